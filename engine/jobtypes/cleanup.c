/*
 * cleanup.c - the native "cleanup" job type and kbj_cleanup, the same work run in the
 * caller's process: what kbjobs keeps for a while and then lets go.
 *
 * In order, each bounded by one deadline (max_seconds from the start):
 *   1. metrics: complete hours rolled up, minute rows past 48 hours and hourly rows past
 *      metrics_days deleted;
 *   2. finished jobs older than jobs_days, `batch` rows per transaction, then their
 *      files (core/jobfiles.c): log, reconcile report, checkpoint and partial, URL list
 *      and its index, failed items (a list only when no job left in the table still
 *      names it: a rerun shares its original's list);
 *   3. logs of finished jobs older than logs_days, walked in (finished_at, id) order
 *      from a cursor kept in kbjobs_meta, so each run goes on where the last stopped;
 *   4. audit rows older than audit_days;
 *   5. checkpoints older than checkpoint_days of jobs neither queued nor running (an
 *      interrupted job's checkpoint is kept until then);
 *   6. quarantine/<Y-m-d>/ folders dated more than quarantine_days ago, with all they
 *      hold (files and symlinks unlinked, never followed).
 * Rows always go before files, so a crash in between leaves only unreferenced files,
 * never a row whose file is gone. A queued or running job's files are never touched:
 * only finished jobs are selected, with their rows locked. When the deadline passes the
 * result says `more` and the next run continues.
 */
#include "builtins.h"
#include "fsutil.h"
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LOGS_CURSOR "cleanup_logs_cursor"

#define DAYS(name, def)                                                                          \
    "\"" name "\": {\"type\": \"integer\", \"minimum\": 1, \"maximum\": 36500, \"default\": " def "}"

#define CLEANUP_SCHEMA                                                                           \
    "{\"type\": \"object\", \"additionalProperties\": false, \"properties\": {"                  \
    DAYS("jobs_days", "30") ", " DAYS("logs_days", "30") ", " DAYS("metrics_days", "90") ", "     \
    DAYS("audit_days", "90") ", " DAYS("quarantine_days", "30") ", " DAYS("checkpoint_days", "7") ", " \
    "\"batch\": {\"type\": \"integer\", \"minimum\": 1, \"maximum\": 10000, \"default\": 1000},"  \
    "\"max_seconds\": {\"type\": \"number\", \"minimum\": 1, \"maximum\": 3600, \"default\": 20}," \
    "\"dry_run\": {\"type\": \"boolean\", \"default\": false}}}"

typedef struct cleanup_run {
    kbj_engine *eng;
    kbj_cleanup_opts o;
    kbj_cleanup_result *r;
    double deadline;
    kbj_ctx *ctx;                /* the job's, or NULL */
} cleanup_run;

/* 1 (and `more` set) when the run must stop here. */
static int stop_now(cleanup_run *c)
{
    if (kbj_monotonic() >= c->deadline || (c->ctx && kbj_ctx_should_stop(c->ctx))) {
        c->r->more = 1;
        return 1;
    }
    return 0;
}

/* Removes (or, dry, measures) data_dir/sub/<name><suffix> when it is a regular file:
 * 1 when there was one, 0 otherwise. */
static int drop_file(cleanup_run *c, const char *sub, const char *name, const char *suffix)
{
    char path[4096];
    struct stat sb;
    kbj_err err;
    if (kbj_fs_path(path, sizeof path, c->eng->data_dir, sub, name, suffix, &err) ||
        lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
        return 0;
    if (!c->o.dry_run && unlink(path) != 0)
        return 0;
    c->r->bytes_freed += (unsigned long long)sb.st_size;
    return 1;
}

/* The files of the jobs ids[0..n), whose rows are gone (or, dry, would be). */
static int drop_job_files(cleanup_run *c, char (*ids)[KBJ_ID_LEN + 1], size_t n)
{
    kbj_job_files_result f = { 0 };
    int rc = kbj_job_files_drop(c->eng, ids, n, c->o.dry_run, &f);
    c->r->logs += f.logs;
    c->r->checkpoints += f.checkpoints;
    c->r->lists += f.lists;
    c->r->failed_items += f.failed_items;
    c->r->bytes_freed += f.bytes_freed;
    return rc;
}

static int step_jobs(cleanup_run *c)
{
    char (*ids)[KBJ_ID_LEN + 1] = calloc(c->o.batch, sizeof *ids);
    unsigned long long after = 0;
    size_t n = 0;
    int rc = KBJ_OK;

    if (!ids)
        return kbj_efail(c->eng, KBJ_ENOMEM, "out of memory");
    while (rc == KBJ_OK && !stop_now(c)) {
        rc = kbj_retention_batch(c->eng, c->o.jobs_days, c->o.batch, c->o.dry_run, &after, ids, &n);
        if (rc == KBJ_OK)
            rc = drop_job_files(c, ids, n);
        c->r->jobs += n;
        if (n < c->o.batch)
            break;
    }
    free(ids);
    return rc;
}

/* ---- logs of finished jobs ------------------------------------------------------------ */

typedef struct logs_work {
    cleanup_run *c;
    long long at_us;             /* cursor: finished_at in microseconds, row id */
    unsigned long long id;
    char (*ids)[KBJ_ID_LEN + 1];
    size_t n;
} logs_work;

static int logs_cursor_do(kbj_store *st, void *arg)
{
    logs_work *w = arg;
    kbj_rows *rows = NULL;
    int rc = kbj_store_query(st, "SELECT value FROM {p}kbjobs_meta WHERE name = '" LOGS_CURSOR "'", NULL, 0, &rows);
    w->at_us = 0;
    w->id = 0;
    if (rc == KBJ_OK && kbj_rows_count(rows) &&
        sscanf(kbj_rows_str(rows, 0, 0), "%lld:%llu", &w->at_us, &w->id) != 2)
        w->at_us = 0, w->id = 0;
    kbj_rows_free(rows);
    return rc;
}

static int logs_batch_do(kbj_store *st, void *arg)
{
    logs_work *w = arg;
    kbj_rows *rows = NULL;
    int rc = kbj_store_query(st, "SELECT id, public_id,"
                             " TIMESTAMPDIFF(MICROSECOND, TIMESTAMP'1970-01-01 00:00:00', finished_at)"
                             " FROM {p}kbjobs_jobs WHERE status IN ('completed', 'failed', 'cancelled')"
                             " AND finished_at < NOW(6) - INTERVAL ? DAY"
                             /* older ones are the jobs step's (a dry run still sees them) */
                             " AND finished_at >= NOW(6) - INTERVAL ? DAY"
                             " AND (finished_at > " KBJ_SQL_EPOCH_PLUS
                             " OR (finished_at = " KBJ_SQL_EPOCH_PLUS " AND id > ?))"
                             " ORDER BY finished_at, id LIMIT ?",
                             (kbj_val[]){ KBJ_VI(w->c->o.logs_days), KBJ_VI(w->c->o.jobs_days), KBJ_VI(w->at_us),
                                          KBJ_VI(w->at_us), KBJ_VI(w->id), KBJ_VI(w->c->o.batch) }, 6, &rows);
    w->n = 0;
    for (size_t i = 0; rc == KBJ_OK && i < kbj_rows_count(rows); i++) {
        w->id = (unsigned long long)kbj_rows_int(rows, i, 0);
        kbj_copy(w->ids[w->n++], KBJ_ID_LEN + 1, kbj_rows_str(rows, i, 1));
        w->at_us = kbj_rows_int(rows, i, 2);
    }
    kbj_rows_free(rows);
    return rc;
}

static int logs_save_do(kbj_store *st, void *arg)
{
    logs_work *w = arg;
    char v[64];
    snprintf(v, sizeof v, "%lld:%llu", w->at_us, w->id);
    return kbj_store_exec(st, "INSERT INTO {p}kbjobs_meta (name, value) VALUES ('" LOGS_CURSOR "', ?)"
                          " ON DUPLICATE KEY UPDATE value = VALUES(value)", (kbj_val[]){ KBJ_VS(v) }, 1, NULL);
}

static int step_logs(cleanup_run *c)
{
    logs_work w = { c, 0, 0, NULL, 0 };
    int rc;

    if (c->o.logs_days >= c->o.jobs_days)
        return KBJ_OK; /* the jobs step took them with their jobs */
    if (!(w.ids = calloc(c->o.batch, sizeof *w.ids)))
        return kbj_efail(c->eng, KBJ_ENOMEM, "out of memory");
    rc = kbj_store_do(c->eng->st, logs_cursor_do, &w);
    while (rc == KBJ_OK && !stop_now(c)) {
        rc = kbj_store_do(c->eng->st, logs_batch_do, &w);
        for (size_t i = 0; rc == KBJ_OK && i < w.n; i++)
            c->r->logs += (unsigned long long)drop_file(c, "logs", w.ids[i], ".log");
        if (rc == KBJ_OK && w.n && !c->o.dry_run)
            rc = kbj_store_do(c->eng->st, logs_save_do, &w);
        if (w.n < c->o.batch)
            break;
    }
    free(w.ids);
    return rc;
}

/* ---- audit, checkpoints, quarantine ----------------------------------------------------- */

static int step_audit(cleanup_run *c)
{
    size_t n = 0;
    int rc = KBJ_OK;
    while (rc == KBJ_OK && !stop_now(c)) {
        rc = kbj_audit_retention_batch(c->eng, c->o.audit_days, c->o.batch, c->o.dry_run, &n);
        c->r->audit += n;
        if (c->o.dry_run || n < c->o.batch)
            break;
    }
    return rc;
}

/* Removes (or, dry, counts) everything under the directory `fd` (which it closes):
 * files and symlinks unlinked (a symlink is never followed), folders emptied and then
 * removed by the caller. Depth-bounded; stops at the deadline with `more` set. */
static void sweep_tree(cleanup_run *c, int fd, int depth)
{
    DIR *d = fdopendir(fd);
    struct dirent *e;
    if (!d) {
        close(fd);
        return;
    }
    while ((e = readdir(d)) && !stop_now(c)) {
        struct stat sb;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
            fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        if (S_ISDIR(sb.st_mode)) {
            int sub = depth < 64 ? openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
            if (sub >= 0)
                sweep_tree(c, sub, depth + 1);
            if (!c->o.dry_run)
                (void)unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR); /* only succeeds when empty */
        } else if (c->o.dry_run || unlinkat(dirfd(d), e->d_name, 0) == 0) {
            c->r->quarantine++;
            c->r->bytes_freed += S_ISREG(sb.st_mode) ? (unsigned long long)sb.st_size : 0;
        }
    }
    closedir(d);
}

/* quarantine/<Y-m-d>/ folders (kbj_quarantine's) older than quarantine_days, by the
 * date in their name (a moved file keeps its own mtime, so the day it was moved is the
 * folder's name, not any file's age), removed with what they hold. Other names in
 * quarantine/ are left alone. */
static int step_quarantine(cleanup_run *c)
{
    char dir[4096], cutoff[16];
    time_t t = (time_t)(kbj_unix_time() - 86400.0 * c->o.quarantine_days);
    struct tm tm;
    DIR *d;
    struct dirent *e;

    if (snprintf(dir, sizeof dir, "%s/quarantine", c->eng->data_dir) >= (int)sizeof dir || !gmtime_r(&t, &tm))
        return KBJ_OK;
    strftime(cutoff, sizeof cutoff, "%Y-%m-%d", &tm);
    if (!(d = opendir(dir)))
        return KBJ_OK;
    while ((e = readdir(d)) && !stop_now(c)) {
        int fd;
        if (!kbj_quarantine_date_name(e->d_name) || strcmp(e->d_name, cutoff) >= 0)
            continue;
        fd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            continue;
        sweep_tree(c, fd, 0);
        if (!c->o.dry_run)
            (void)unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR);
    }
    closedir(d);
    return KBJ_OK;
}

static int step_checkpoints(cleanup_run *c)
{
    size_t n = 0;
    int rc;
    if (stop_now(c))
        return KBJ_OK;
    rc = kbj_checkpoints_cleanup_ex(c->eng, c->o.checkpoint_days, c->o.dry_run, c->o.jobs_days, &n,
                                    &c->r->bytes_freed);
    c->r->checkpoints += n;
    return rc;
}

static int step_metrics(cleanup_run *c)
{
    size_t rows = 0, deleted = 0;
    int more = 0, rc;
    rc = kbj_metrics_rollup(c->eng, c->deadline, c->o.dry_run, &rows, &more);
    c->r->metrics_rolled_up += rows;
    c->r->more |= more;
    if (rc == KBJ_OK && !more) {
        rc = kbj_metrics_delete(c->eng, c->o.metrics_days, c->o.batch, c->deadline, c->o.dry_run, &deleted, &more);
        c->r->metrics_deleted += deleted;
        c->r->more |= more;
    }
    return rc;
}

/* ---- the API and the job type -------------------------------------------------------------- */

static void defaults(kbj_cleanup_opts *o)
{
    if (!o->jobs_days)
        o->jobs_days = 30;
    if (!o->logs_days)
        o->logs_days = 30;
    if (!o->metrics_days)
        o->metrics_days = 90;
    if (!o->audit_days)
        o->audit_days = 90;
    if (!o->quarantine_days)
        o->quarantine_days = 30;
    if (!o->checkpoint_days)
        o->checkpoint_days = 7;
    if (!o->batch)
        o->batch = 1000;
    if (!(o->max_seconds > 0))
        o->max_seconds = 20;
}

int kbj_cleanup_opts_check(kbj_engine *eng, const kbj_cleanup_opts *o)
{
    const struct {
        const char *name;
        unsigned v;
    } days[] = { { "jobs_days", o->jobs_days }, { "logs_days", o->logs_days }, { "metrics_days", o->metrics_days },
                 { "audit_days", o->audit_days }, { "quarantine_days", o->quarantine_days },
                 { "checkpoint_days", o->checkpoint_days } };
    for (size_t i = 0; i < sizeof days / sizeof days[0]; i++)
        if (days[i].v > 36500)
            return kbj_efail(eng, KBJ_EINVAL, "option \"%s\" must be between 1 and 36500, got %u", days[i].name,
                             days[i].v);
    if (o->batch > 10000)
        return kbj_efail(eng, KBJ_EINVAL, "option \"batch\" must be between 1 and 10000, got %u", o->batch);
    if (o->max_seconds < 0 || o->max_seconds > 3600)
        return kbj_efail(eng, KBJ_EINVAL, "option \"max_seconds\" must be between 1 and 3600, got %g", o->max_seconds);
    return KBJ_OK;
}

static int cleanup_with(kbj_engine *eng, const kbj_cleanup_opts *opts, kbj_cleanup_result *out, kbj_ctx *ctx)
{
    static int (*const steps[])(cleanup_run *) = { step_metrics, step_jobs, step_logs, step_audit,
                                                   step_checkpoints, step_quarantine };
    kbj_cleanup_opts none = { 0 };
    cleanup_run c;
    int rc = KBJ_OK;

    if (!eng || !out)
        return KBJ_EINVAL;
    memset(out, 0, sizeof *out);
    if ((rc = kbj_cleanup_opts_check(eng, opts ? opts : &none)))
        return rc;
    memset(&c, 0, sizeof c);
    c.eng = eng;
    c.o = opts ? *opts : none;
    defaults(&c.o);
    c.r = out;
    c.ctx = ctx;
    c.deadline = kbj_monotonic() + c.o.max_seconds;
    for (size_t s = 0; rc == KBJ_OK && s < sizeof steps / sizeof steps[0] && !out->more; s++) {
        rc = steps[s](&c);
        if (ctx)
            (void)kbj_ctx_progress(ctx, (long long)s + 1, (long long)(sizeof steps / sizeof steps[0]), "cleanup");
    }
    return rc;
}

int kbj_cleanup(kbj_engine *eng, const kbj_cleanup_opts *opts, kbj_cleanup_result *out)
{
    return cleanup_with(eng, opts, out, NULL);
}

static int cleanup_handler(kbj_ctx *ctx, void *udata)
{
    json_t *p = json_loads(kbj_ctx_params(ctx), 0, NULL), *r;
    kbj_cleanup_opts o = { 0 };
    kbj_cleanup_result res;
    char *text;
    int rc;
    (void)udata;
    if (!p)
        return kbj_ctx_fail(ctx, "cleanup: params are not JSON", 0);
    /* the schema has checked the ranges and filled in the defaults */
    o.jobs_days = (unsigned)json_integer_value(json_object_get(p, "jobs_days"));
    o.logs_days = (unsigned)json_integer_value(json_object_get(p, "logs_days"));
    o.metrics_days = (unsigned)json_integer_value(json_object_get(p, "metrics_days"));
    o.audit_days = (unsigned)json_integer_value(json_object_get(p, "audit_days"));
    o.quarantine_days = (unsigned)json_integer_value(json_object_get(p, "quarantine_days"));
    o.checkpoint_days = (unsigned)json_integer_value(json_object_get(p, "checkpoint_days"));
    o.batch = (unsigned)json_integer_value(json_object_get(p, "batch"));
    o.max_seconds = json_number_value(json_object_get(p, "max_seconds"));
    o.dry_run = json_is_true(json_object_get(p, "dry_run"));
    json_decref(p);
    rc = cleanup_with(kbj_ctx_engine(ctx), &o, &res, ctx);
    if (rc) {
        char msg[600];
        snprintf(msg, sizeof msg, "cleanup: %s", kbj_errmsg(kbj_ctx_engine(ctx)));
        return kbj_ctx_fail(ctx, msg, 1);
    }
    r = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:b}", "jobs", (json_int_t)res.jobs,
                  "logs", (json_int_t)res.logs, "checkpoints", (json_int_t)res.checkpoints, "lists",
                  (json_int_t)res.lists, "failed_items", (json_int_t)res.failed_items, "metrics_rolled_up",
                  (json_int_t)res.metrics_rolled_up, "metrics_deleted", (json_int_t)res.metrics_deleted, "audit",
                  (json_int_t)res.audit, "quarantine", (json_int_t)res.quarantine, "bytes_freed",
                  (json_int_t)res.bytes_freed, "more", res.more, "dry_run", o.dry_run);
    text = r ? json_dumps(r, JSON_COMPACT) : NULL;
    json_decref(r);
    if (!text)
        return kbj_ctx_fail(ctx, "cleanup: out of memory", 1);
    rc = kbj_ctx_set_result(ctx, text);
    free(text);
    return rc;
}

int kbj_register_cleanup_type(kbj_engine *eng)
{
    kbj_type_def d = { 0 };
    d.name = "cleanup";
    d.label = "Cleanup";
    d.category = "maintenance";
    d.params_schema = CLEANUP_SCHEMA;
    d.max_attempts = 3;
    d.handler = cleanup_handler;
    return kbj_register_type(eng, &d);
}
