/*
 * checkpoint.c - resumable job state on disk: checkpoints/<job>.checkpoint.json and
 * <job>.partial.json under the data directory, written atomically and durably, read
 * back with every field checked, so a corrupt, truncated or foreign file is reported
 * and never resumed from.
 */
#include "internal.h"
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FORMAT "kbjobs.checkpoint"
#define FORMAT_VERSION 1
#define MAX_ERRORS 20
#define MAX_FILE (64u * 1024u * 1024u)

static int ckpt_path(kbj_engine *eng, const char *id, const char *suffix, char *out, size_t cap)
{
    if (!kbj_valid_id(id))
        return kbj_efail(eng, KBJ_EINVAL, "\"%.40s\" is not a job id (16 hex characters)", id ? id : "");
    return kbj_fs_path(out, cap, eng->data_dir, "checkpoints", id, suffix, kbj_store_err(eng->st));
}

void kbj_checkpoint_free(kbj_checkpoint *c)
{
    if (!c)
        return;
    free(c->concurrency_key);
    free(c->cursor);
    free(c->counts);
    free(c->errors);
    free(c->state);
    free(c);
}

/* Parses an optional JSON member; -1 when present but invalid. */
static int put_json(json_t *obj, const char *key, const char *text)
{
    json_t *v;
    if (!text)
        return 0;
    v = json_loads(text, JSON_DECODE_ANY, NULL);
    if (!v)
        return -1;
    json_object_set_new(obj, key, v);
    return 0;
}

static char *read_created(kbj_engine *eng, const char *path, double *created)
{
    char *text = NULL;
    size_t len = 0;
    json_t *old;
    *created = 0;
    if (kbj_fs_read_file(path, MAX_FILE, &text, &len, NULL) != KBJ_OK)
        return NULL;
    old = json_loadb(text, len, 0, NULL);
    if (old && json_is_number(json_object_get(old, "created_at")))
        *created = json_number_value(json_object_get(old, "created_at"));
    json_decref(old);
    (void)eng;
    return text;
}

int kbj_checkpoint_save(kbj_engine *eng, const kbj_checkpoint *c)
{
    char path[4096], dir[4096];
    json_t *o;
    char *text, *old;
    double created;
    int rc;

    if (!eng)
        return KBJ_EINVAL;
    if (!c)
        return kbj_efail(eng, KBJ_EINVAL, "no checkpoint given");
    if ((rc = ckpt_path(eng, c->job_id, ".checkpoint.json", path, sizeof path)))
        return rc;
    if (c->worker_id[0] && !kbj_valid_id(c->worker_id))
        return kbj_efail(eng, KBJ_EINVAL, "worker id \"%.40s\" is not a runner id", c->worker_id);
    old = read_created(eng, path, &created);
    free(old);
    o = json_pack("{s:s,s:i,s:s,s:s,s:I,s:I,s:f,s:f,s:i,s:I,s:I}", "format", FORMAT,
                  "version", FORMAT_VERSION, "job_id", c->job_id, "type", c->type,
                  "progress_done", (json_int_t)c->progress_done, "progress_total", (json_int_t)c->progress_total,
                  "created_at", created > 0 ? created : kbj_unix_time(), "saved_at", kbj_unix_time(),
                  "total_workers", c->total_workers > 0 ? c->total_workers : 1,
                  "range_start", (json_int_t)c->range_start, "range_end", (json_int_t)c->range_end);
    if (!o)
        return kbj_efail(eng, KBJ_ENOMEM, "out of memory");
    if (c->worker_id[0])
        json_object_set_new(o, "worker_id", json_string(c->worker_id));
    if (c->concurrency_key)
        json_object_set_new(o, "concurrency_key", json_string(c->concurrency_key));
    if (put_json(o, "cursor", c->cursor) || put_json(o, "counts", c->counts) ||
        put_json(o, "errors", c->errors) || put_json(o, "state", c->state)) {
        json_decref(o);
        return kbj_efail(eng, KBJ_EINVAL, "a checkpoint member (cursor, counts, errors or state) is not valid JSON");
    }
    {
        /* keep only the most recent errors */
        json_t *errs = json_object_get(o, "errors");
        if (errs && !json_is_array(errs)) {
            json_decref(o);
            return kbj_efail(eng, KBJ_EINVAL, "checkpoint errors must be a JSON array");
        }
        while (errs && json_array_size(errs) > MAX_ERRORS)
            json_array_remove(errs, 0);
        if (json_object_get(o, "counts") && !json_is_object(json_object_get(o, "counts"))) {
            json_decref(o);
            return kbj_efail(eng, KBJ_EINVAL, "checkpoint counts must be a JSON object");
        }
    }
    text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!text)
        return kbj_efail(eng, KBJ_ENOMEM, "out of memory");
    snprintf(dir, sizeof dir, "%s/checkpoints", eng->data_dir);
    rc = kbj_fs_mkdirs(dir, kbj_store_err(eng->st));
    if (rc == KBJ_OK)
        rc = kbj_fs_write_atomic(path, text, strlen(text), 1, kbj_store_err(eng->st));
    free(text);
    return rc;
}

static char *dup_json(json_t *v)
{
    return v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
}

static int corrupt(kbj_engine *eng, const char *path, const char *why)
{
    return kbj_efail(eng, KBJ_ECORRUPT, "checkpoint %s is unusable (%s): start the job fresh", path, why);
}

int kbj_checkpoint_load(kbj_engine *eng, const char *job_id, kbj_checkpoint **out)
{
    char path[4096];
    char *text = NULL;
    size_t len = 0;
    json_t *o, *v;
    json_error_t jerr;
    kbj_checkpoint *c;
    int rc;

    if (!eng || !out)
        return KBJ_EINVAL;
    *out = NULL;
    if ((rc = ckpt_path(eng, job_id, ".checkpoint.json", path, sizeof path)))
        return rc;
    rc = kbj_fs_read_file(path, MAX_FILE, &text, &len, kbj_store_err(eng->st));
    if (rc == KBJ_ENOTFOUND)
        return kbj_efail(eng, KBJ_ENOTFOUND, "job %s has no checkpoint", job_id);
    if (rc == KBJ_EINVAL)
        return corrupt(eng, path, "larger than 64 MiB");
    if (rc)
        return rc;
    o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    free(text);
    if (!o)
        return corrupt(eng, path, len == 0 ? "empty" : "not JSON, or truncated");
    if (!json_is_object(o) || !json_is_string(json_object_get(o, "format")) ||
        strcmp(json_string_value(json_object_get(o, "format")), FORMAT) != 0) {
        json_decref(o);
        return corrupt(eng, path, "not a kbjobs checkpoint");
    }
    if (json_integer_value(json_object_get(o, "version")) != FORMAT_VERSION) {
        json_decref(o);
        return corrupt(eng, path, "a checkpoint format this version does not read");
    }
    v = json_object_get(o, "job_id");
    if (!json_is_string(v) || strcmp(json_string_value(v), job_id) != 0) {
        json_decref(o);
        return corrupt(eng, path, "it belongs to another job");
    }
    if (!json_is_string(json_object_get(o, "type")) || !json_is_integer(json_object_get(o, "progress_done")) ||
        !json_is_integer(json_object_get(o, "progress_total")) || !json_is_number(json_object_get(o, "saved_at")) ||
        (json_object_get(o, "counts") && !json_is_object(json_object_get(o, "counts"))) ||
        (json_object_get(o, "errors") && !json_is_array(json_object_get(o, "errors")))) {
        json_decref(o);
        return corrupt(eng, path, "fields are missing or of the wrong type");
    }
    c = calloc(1, sizeof *c);
    if (!c) {
        json_decref(o);
        return kbj_efail(eng, KBJ_ENOMEM, "out of memory");
    }
    kbj_copy(c->job_id, sizeof c->job_id, job_id);
    kbj_copy(c->type, sizeof c->type, json_string_value(json_object_get(o, "type")));
    if (json_is_string(json_object_get(o, "concurrency_key")))
        c->concurrency_key = strdup(json_string_value(json_object_get(o, "concurrency_key")));
    c->progress_done = json_integer_value(json_object_get(o, "progress_done"));
    c->progress_total = json_integer_value(json_object_get(o, "progress_total"));
    c->created_at = json_number_value(json_object_get(o, "created_at"));
    c->saved_at = json_number_value(json_object_get(o, "saved_at"));
    if (json_is_string(json_object_get(o, "worker_id")))
        kbj_copy(c->worker_id, sizeof c->worker_id, json_string_value(json_object_get(o, "worker_id")));
    c->total_workers = (int)json_integer_value(json_object_get(o, "total_workers"));
    c->range_start = json_integer_value(json_object_get(o, "range_start"));
    c->range_end = json_integer_value(json_object_get(o, "range_end"));
    c->cursor = dup_json(json_object_get(o, "cursor"));
    c->counts = dup_json(json_object_get(o, "counts"));
    c->errors = dup_json(json_object_get(o, "errors"));
    c->state = dup_json(json_object_get(o, "state"));
    json_decref(o);
    *out = c;
    return KBJ_OK;
}

int kbj_checkpoint_delete(kbj_engine *eng, const char *job_id)
{
    static const char *const suffixes[] = { ".checkpoint.json", ".partial.json" };
    char path[4096];
    int rc;
    if (!eng)
        return KBJ_EINVAL;
    for (size_t i = 0; i < 2; i++) {
        if ((rc = ckpt_path(eng, job_id, suffixes[i], path, sizeof path)))
            return rc;
        if (unlink(path) != 0 && errno != ENOENT)
            return kbj_efail(eng, KBJ_EIO, "cannot remove %s: %s", path, strerror(errno));
    }
    return KBJ_OK;
}

int kbj_partial_save(kbj_engine *eng, const char *job_id, const char *json)
{
    char path[4096], dir[4096];
    json_t *v;
    int rc;
    if (!eng)
        return KBJ_EINVAL;
    if ((rc = ckpt_path(eng, job_id, ".partial.json", path, sizeof path)))
        return rc;
    v = json ? json_loads(json, JSON_DECODE_ANY, NULL) : NULL;
    if (!v)
        return kbj_efail(eng, KBJ_EINVAL, "partial results must be valid JSON");
    json_decref(v);
    snprintf(dir, sizeof dir, "%s/checkpoints", eng->data_dir);
    rc = kbj_fs_mkdirs(dir, kbj_store_err(eng->st));
    return rc ? rc : kbj_fs_write_atomic(path, json, strlen(json), 1, kbj_store_err(eng->st));
}

int kbj_partial_load(kbj_engine *eng, const char *job_id, char **out)
{
    char path[4096];
    size_t len = 0;
    json_t *v;
    int rc;
    if (!eng || !out)
        return KBJ_EINVAL;
    *out = NULL;
    if ((rc = ckpt_path(eng, job_id, ".partial.json", path, sizeof path)))
        return rc;
    rc = kbj_fs_read_file(path, MAX_FILE, out, &len, kbj_store_err(eng->st));
    if (rc == KBJ_ENOTFOUND)
        return kbj_efail(eng, KBJ_ENOTFOUND, "job %s has no partial results", job_id);
    if (rc)
        return rc;
    v = json_loadb(*out, len, JSON_DECODE_ANY, NULL);
    if (!v) {
        free(*out);
        *out = NULL;
        return kbj_efail(eng, KBJ_ECORRUPT, "partial results %s are not JSON, or truncated", path);
    }
    json_decref(v);
    return KBJ_OK;
}

/* ---- cadence -------------------------------------------------------------------- */

static double mono_clock(void *arg)
{
    (void)arg;
    return kbj_monotonic();
}

void kbj_cadence_start(kbj_cadence *c)
{
    if (!c)
        return;
    if (c->seconds <= 0)
        c->seconds = 60;
    if (c->items <= 0)
        c->items = 2000;
    if (!c->clock)
        c->clock = mono_clock;
    c->last_at = c->clock(c->clock_arg);
    c->last_items = 0;
}

int kbj_cadence_due(kbj_cadence *c, long long items)
{
    double now;
    if (!c || !c->clock)
        return 0;
    now = c->clock(c->clock_arg);
    if (now - c->last_at >= c->seconds || items - c->last_items >= c->items) {
        c->last_at = now;
        c->last_items = items;
        return 1;
    }
    return 0;
}

/* ---- interrupted jobs, discard, cleanup ---------------------------------------- */

typedef struct ilist_work {
    kbj_engine *eng;
    size_t limit;
    kbj_interrupted **out;
    size_t *n;
} ilist_work;

/* An interrupted job, with its checkpoint's progress and age when it has one. */
static int interrupted_from_row(void *elem, const kbj_rows *rows, size_t i, void *arg)
{
    kbj_interrupted *it = elem;
    kbj_checkpoint *c = NULL;
    int lrc;
    kbj_copy(it->job_id, sizeof it->job_id, kbj_rows_str(rows, i, 0));
    kbj_copy(it->type, sizeof it->type, kbj_rows_str(rows, i, 1));
    it->progress_done = kbj_rows_int(rows, i, 2);
    it->progress_total = kbj_rows_int(rows, i, 3);
    it->interrupted_at = kbj_dbtime(kbj_rows_str(rows, i, 4));
    it->checkpoint_age = -1;
    lrc = kbj_checkpoint_load(arg, it->job_id, &c);
    if (lrc == KBJ_OK) {
        kbj_copy(it->checkpoint_status, sizeof it->checkpoint_status, "ok");
        it->progress_done = c->progress_done;
        it->progress_total = c->progress_total;
        it->checkpoint_age = kbj_unix_time() - c->saved_at;
        kbj_checkpoint_free(c);
    } else {
        kbj_copy(it->checkpoint_status, sizeof it->checkpoint_status, lrc == KBJ_ECORRUPT ? "corrupt" : "missing");
    }
    return 0;
}

static int ilist_do(kbj_store *st, void *arg)
{
    ilist_work *w = arg;
    kbj_rows *rows = NULL;
    int rc = kbj_store_query(st, "SELECT public_id, type, progress_done, progress_total, UNIX_TIMESTAMP(updated_at)"
                             " FROM {p}kbjobs_jobs WHERE status = 'interrupted' ORDER BY updated_at DESC LIMIT ?",
                             (kbj_val[]){ KBJ_VI(w->limit) }, 1, &rows);
    if (rc)
        return rc;
    rc = kbj_rows_to_array(rows, sizeof(kbj_interrupted), interrupted_from_row, NULL, w->eng, (void **)w->out, w->n);
    kbj_store_err(w->eng->st)->msg[0] = '\0'; /* a missing checkpoint is not an error here */
    return rc ? kbj_efail(w->eng, KBJ_ENOMEM, "out of memory") : KBJ_OK;
}

int kbj_interrupted_list(kbj_engine *eng, size_t limit, kbj_interrupted **out, size_t *n)
{
    ilist_work w = { eng, limit ? limit : 50, out, n };
    if (!eng || !out || !n)
        return KBJ_EINVAL;
    *out = NULL;
    *n = 0;
    if (w.limit > 1000)
        return kbj_efail(eng, KBJ_EINVAL, "limit %zu is out of range 1..1000", limit);
    return kbj_store_do(eng->st, ilist_do, &w);
}

typedef struct discard_work {
    kbj_engine *eng;
    const char *id;
} discard_work;

static int discard_tx(kbj_store *st, void *arg)
{
    discard_work *w = arg;
    kbj_rows *rows = NULL;
    char status[16];
    int rc = kbj_store_query(st, "SELECT status FROM {p}kbjobs_jobs WHERE public_id = ? FOR UPDATE",
                             (kbj_val[]){ KBJ_VS(w->id) }, 1, &rows);
    if (rc)
        return rc;
    if (kbj_rows_count(rows) == 0) {
        kbj_rows_free(rows);
        return kbj_efail(w->eng, KBJ_ENOTFOUND, "no job %s", w->id);
    }
    kbj_copy(status, sizeof status, kbj_rows_str(rows, 0, 0));
    kbj_rows_free(rows);
    if (strcmp(status, "interrupted") && strcmp(status, "cancelled") && strcmp(status, "failed"))
        return kbj_efail(w->eng, KBJ_ECONFLICT, "job %s is %s: only an interrupted, cancelled or failed "
                         "job's checkpoint can be discarded", w->id, status);
    rc = kbj_store_exec(st, "UPDATE {p}kbjobs_job_data SET progress_done = 0, phase = NULL, progress_at = NULL,"
                        " updated_at = NOW(6) WHERE public_id = ?", (kbj_val[]){ KBJ_VS(w->id) }, 1, NULL);
    /* the files go inside the transaction: if removing them fails, progress is kept */
    return rc ? rc : kbj_checkpoint_delete(w->eng, w->id);
}

int kbj_checkpoint_discard(kbj_engine *eng, const char *job_id)
{
    discard_work w = { eng, job_id };
    if (!eng)
        return KBJ_EINVAL;
    if (!kbj_valid_id(job_id))
        return kbj_efail(eng, KBJ_EINVAL, "\"%.40s\" is not a job id (16 hex characters)", job_id ? job_id : "");
    return kbj_store_tx(eng->st, discard_tx, &w);
}

typedef struct status_work {
    const char *id;
    unsigned gone_days;
    char status[16];
    int gone;                    /* finished more than gone_days ago */
} status_work;

static int status_do(kbj_store *st, void *arg)
{
    status_work *w = arg;
    kbj_rows *rows = NULL;
    int rc = kbj_store_query(st, "SELECT status, status IN ('completed', 'failed', 'cancelled')"
                             " AND finished_at < NOW(6) - INTERVAL ? DAY FROM {p}kbjobs_jobs WHERE public_id = ?",
                             (kbj_val[]){ KBJ_VI(w->gone_days), KBJ_VS(w->id) }, 2, &rows);
    if (rc == KBJ_OK) {
        kbj_copy(w->status, sizeof w->status, kbj_rows_count(rows) ? kbj_rows_str(rows, 0, 0) : "");
        w->gone = w->gone_days && kbj_rows_count(rows) && kbj_rows_int(rows, 0, 1) == 1;
    }
    kbj_rows_free(rows);
    return rc;
}

int kbj_checkpoints_cleanup(kbj_engine *eng, unsigned days, size_t *removed)
{
    return kbj_checkpoints_cleanup_ex(eng, days, 0, 0, removed, NULL);
}

int kbj_checkpoints_cleanup_ex(kbj_engine *eng, unsigned days, int dry_run, unsigned gone_days, size_t *removed,
                               unsigned long long *bytes)
{
    char dir[4096];
    DIR *d;
    struct dirent *e;
    size_t count = 0;
    double cutoff;
    int rc = KBJ_OK;

    if (!eng)
        return KBJ_EINVAL;
    if (removed)
        *removed = 0;
    cutoff = kbj_unix_time() - 86400.0 * (days ? days : 7);
    snprintf(dir, sizeof dir, "%s/checkpoints", eng->data_dir);
    d = opendir(dir);
    if (!d)
        return errno == ENOENT ? KBJ_OK : kbj_efail(eng, KBJ_EIO, "cannot read %s: %s", dir, strerror(errno));
    while (rc == KBJ_OK && (e = readdir(d))) {
        char id[KBJ_ID_LEN + 1], path[4096 + 260];
        struct stat sb;
        status_work w;
        const char *dot = strchr(e->d_name, '.');
        if (!dot || dot - e->d_name != KBJ_ID_LEN ||
            (strcmp(dot, ".checkpoint.json") != 0 && strcmp(dot, ".partial.json") != 0))
            continue;
        memcpy(id, e->d_name, KBJ_ID_LEN);
        id[KBJ_ID_LEN] = '\0';
        if (!kbj_valid_id(id))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &sb) != 0 || (double)sb.st_mtime > cutoff)
            continue;
        w.id = id;
        w.gone_days = dry_run ? gone_days : 0;
        rc = kbj_store_do(eng->st, status_do, &w);
        if (rc)
            break;
        if (strcmp(w.status, "queued") == 0 || strcmp(w.status, "running") == 0 || w.gone)
            continue;
        if (dry_run || unlink(path) == 0) {
            if (bytes)
                *bytes += (unsigned long long)sb.st_size;
            if (strcmp(dot, ".checkpoint.json") == 0)
                count++;
        }
    }
    closedir(d);
    if (removed)
        *removed = count;
    return rc;
}
