/*
 * reconcile.c - reconciliation, phase 1: the run (its position, findings, saved state
 * and result), kbj_reconcile, and the native job type "reconcile" (read-only; repairs
 * and the PHP phase over posts come later).
 *
 * Order of a run: the artifact index against artifacts/ (reconcile_artifacts.c), then
 * the job rows against lists/, logs/ and checkpoints/ (reconcile_files.c); quarantine/
 * is never walked. Every directory is opened relative to the data directory's
 * descriptor without following symbolic links (reconcile_walk.c), so nothing outside
 * the data directory is ever read. Findings go to the report as they are found; the
 * result keeps the counts and the report's first `keep` lines.
 *
 * The state saved (every save_items items, and when stopped) is the position and the
 * counts after the report was made durable, with the report's length then; a resumed
 * run cuts the report back to that length and goes on after the position. It is a JSON
 * object: {"v":1, "stream", "top" and "name" (hex of the names' bytes, which need not
 * be UTF-8), "row", "report_bytes", "counts", "scanned", "total"}.
 */
#include "reconcile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builtins.h"
#include "fsutil.h"

static const char *const kind_names[RK_COUNT] = { "ghost", "orphan", "drift", "unsafe" };

#define RECONCILE_SCHEMA                                                                         \
    "{\"type\": \"object\", \"additionalProperties\": false, \"properties\": {"                  \
    "\"grace_seconds\": {\"type\": \"integer\", \"minimum\": 1, \"maximum\": 86400, \"default\": 600}," \
    "\"keep\": {\"type\": \"integer\", \"minimum\": 1, \"maximum\": 1000, \"default\": 50},"      \
    "\"batch\": {\"type\": \"integer\", \"minimum\": 1, \"maximum\": 10000, \"default\": 1000},"  \
    "\"shallow\": {\"type\": \"boolean\", \"default\": false}}}"

/* ---- position, findings, items ---------------------------------------------------- */

int recon_set_pos(recon *r, int stream, const char *top, const char *name)
{
    char *t = top ? strdup(top) : NULL, *n = name ? strdup(name) : NULL;
    if ((top && !t) || (name && !n)) {
        free(t);
        free(n);
        return kbj_fail(r->err, KBJ_ENOMEM, "out of memory");
    }
    free(r->top);
    free(r->name);
    r->stream = stream;
    r->top = t;
    r->name = n;
    return KBJ_OK;
}

/* "<dir>[/<top>[/<name>]]", each name escaped; 1 when anything was. */
static int rel_path(int dir, const char *top, const char *name, char *out, size_t cap)
{
    size_t o;
    int esc = 0;
    snprintf(out, cap, "%s", kbj_rdir_name(dir));
    for (int i = 0; i < 2; i++) {
        const char *part = i ? name : top;
        if (!part || (o = strlen(out)) + 2 >= cap)
            break;
        out[o++] = '/';
        esc |= kbj_rname_escape(part, out + o, cap - o);
    }
    return esc;
}

int recon_finding(recon *r, int kind, const char *reason, int dir, const char *top, const char *name,
                  json_t *extra)
{
    char path[1200];
    int esc = rel_path(dir, top, name, path, sizeof path), rc;
    json_t *f = json_pack("{s:s, s:s, s:s}", "kind", kind_names[kind], "reason", reason, "path", path);
    if (f && esc)
        json_object_set_new(f, "escaped", json_true());
    if (f && extra)
        json_object_update(f, extra);
    json_decref(extra);
    if (!f)
        return kbj_fail(r->err, KBJ_ENOMEM, "out of memory");
    rc = kbj_rreport_add(r->report, f, r->err);
    json_decref(f);
    if (rc == KBJ_OK)
        r->counts[kind]++;
    return rc;
}

static const char *file_type(mode_t m)
{
    return S_ISDIR(m) ? "directory" : S_ISFIFO(m) ? "fifo" : S_ISSOCK(m) ? "socket"
         : S_ISCHR(m) || S_ISBLK(m) ? "device" : "other";
}

int recon_unsafe(recon *r, int parent_fd, const char *entry, const struct stat *sb, int hostile, int dir,
                 const char *top, const char *name)
{
    int rc;
    if (S_ISLNK(sb->st_mode)) {
        char target[1024], shown[1200];
        ssize_t n = readlinkat(parent_fd, entry, target, sizeof target - 1);
        target[n > 0 ? n : 0] = '\0';
        kbj_rname_escape(target, shown, sizeof shown);
        rc = recon_finding(r, RK_UNSAFE, "symlink", dir, top, name, json_pack("{s:s}", "target", shown));
    } else if (hostile) {
        rc = recon_finding(r, RK_UNSAFE, "hostile_name", dir, top, name, NULL);
    } else if (!S_ISREG(sb->st_mode)) {
        rc = recon_finding(r, RK_UNSAFE, "not_regular_file", dir, top, name,
                           json_pack("{s:s}", "type", file_type(sb->st_mode)));
    } else {
        return 0;
    }
    return rc ? rc : 1;
}

int recon_recent(recon *r, const struct stat *sb)
{
    /* the modification time: what a writer moves (an atomic write's rename keeps the
     * temporary file's, which is when the content was written) */
    if ((double)sb->st_mtime > r->now - r->o.grace_seconds) {
        r->recent++;
        return 1;
    }
    return 0;
}

/* ---- saved state -------------------------------------------------------------------- */

static json_t *hex_of(const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = s ? strlen(s) : 0;
    char *h;
    json_t *j;
    if (!s)
        return json_null();
    if (!(h = malloc(2 * n + 1)))
        return NULL;
    for (size_t i = 0; i < n; i++) {
        h[2 * i] = hex[(unsigned char)s[i] >> 4];
        h[2 * i + 1] = hex[(unsigned char)s[i] & 15];
    }
    h[2 * n] = '\0';
    j = json_string(h);
    free(h);
    return j;
}

/* A name back from its hex (NULL for JSON null); 0, or -1 when malformed. */
static int unhex(const json_t *j, char **out)
{
    const char *h = json_string_value(j);
    size_t n;
    *out = NULL;
    if (json_is_null(j))
        return 0;
    if (!h || (n = strlen(h)) % 2 || n / 2 > 255 || !(*out = malloc(n / 2 + 1)))
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(h + 2 * i, "%2x", &v) != 1 || v == 0 || v == '/') {
            free(*out);
            *out = NULL;
            return -1;
        }
        (*out)[i] = (char)v;
    }
    (*out)[n / 2] = '\0';
    return 0;
}

static json_t *counts_json(const recon *r)
{
    return json_pack("{s:I, s:I, s:I, s:I}", "ghost", (json_int_t)r->counts[RK_GHOST], "orphan",
                     (json_int_t)r->counts[RK_ORPHAN], "drift", (json_int_t)r->counts[RK_DRIFT], "unsafe",
                     (json_int_t)r->counts[RK_UNSAFE]);
}

static json_t *scanned_json(const recon *r)
{
    return json_pack("{s:I, s:I, s:I, s:I, s:I}", "index_rows", (json_int_t)r->rows, "artifact_files",
                     (json_int_t)r->artifact_files, "job_files", (json_int_t)r->job_files, "recent",
                     (json_int_t)r->recent, "items", (json_int_t)r->items);
}

static int save(recon *r)
{
    json_t *s;
    char *text;
    int rc;
    if (!r->o.save)
        return KBJ_OK;
    if ((rc = kbj_rreport_sync(r->report, r->err))) /* the state never names bytes a crash can lose */
        return rc;
    s = json_pack("{s:i, s:i, s:o, s:o, s:s, s:I, s:o, s:o, s:I}", "v", 1, "stream", r->stream, "top",
                  hex_of(r->top), "name", hex_of(r->name), "row", r->row_after, "report_bytes",
                  (json_int_t)kbj_rreport_bytes(r->report), "counts", counts_json(r), "scanned", scanned_json(r),
                  "total", (json_int_t)r->total);
    text = s ? json_dumps(s, JSON_COMPACT) : NULL;
    json_decref(s);
    if (!text)
        return kbj_fail(r->err, KBJ_ENOMEM, "out of memory saving the reconciliation's state");
    rc = r->o.save(r->o.arg, text);
    free(text);
    r->unsaved = 0;
    if (rc) {
        char why[sizeof r->err->msg];
        kbj_copy(why, sizeof why, r->err->msg[0] ? r->err->msg : "the save hook failed");
        return kbj_fail(r->err, rc < 0 ? rc : KBJ_EIO, "cannot save the reconciliation's state: %s", why);
    }
    return KBJ_OK;
}

static unsigned long long get_u(const json_t *o, const char *k)
{
    json_int_t v = json_integer_value(json_object_get(o, k));
    return v > 0 ? (unsigned long long)v : 0;
}

/* The position and counts of a saved state; the report's length to *bytes. */
static int restore(recon *r, const char *state, long long *bytes)
{
    json_t *s = json_loads(state, 0, NULL), *c, *sc;
    const char *row;
    char *top = NULL, *name = NULL;
    int stream, ok;

    stream = (int)json_integer_value(json_object_get(s, "stream"));
    row = json_string_value(json_object_get(s, "row"));
    c = json_object_get(s, "counts");
    sc = json_object_get(s, "scanned");
    ok = s && json_integer_value(json_object_get(s, "v")) == 1 && stream >= 0 && stream <= KBJ_RDIR_COUNT &&
         row && strlen(row) < sizeof r->row_after && json_is_object(c) && json_is_object(sc) &&
         json_is_integer(json_object_get(s, "report_bytes")) &&
         unhex(json_object_get(s, "top"), &top) == 0 && unhex(json_object_get(s, "name"), &name) == 0 &&
         (!name || top);
    if (ok) {
        r->stream = stream;
        r->top = top;
        r->name = name;
        kbj_copy(r->row_after, sizeof r->row_after, row);
        for (int k = 0; k < RK_COUNT; k++)
            r->counts[k] = get_u(c, kind_names[k]);
        r->rows = get_u(sc, "index_rows");
        r->artifact_files = get_u(sc, "artifact_files");
        r->job_files = get_u(sc, "job_files");
        r->recent = get_u(sc, "recent");
        r->items = get_u(sc, "items");
        r->total = (long long)get_u(s, "total");
        *bytes = json_integer_value(json_object_get(s, "report_bytes"));
    } else {
        free(top);
        free(name);
    }
    json_decref(s);
    return ok ? KBJ_OK : kbj_fail(r->err, KBJ_ECORRUPT, "the reconciliation's saved state is not usable");
}

int recon_item_done(recon *r, unsigned long long n)
{
    r->items += n;
    r->unsaved += n;
    if (r->o.progress)
        r->o.progress(r->o.arg, (long long)r->items < r->total ? (long long)r->items : r->total,
                      r->total, kbj_rdir_name(r->stream));
    if (r->o.should_stop && r->o.should_stop(r->o.arg)) {
        int rc = save(r);
        return rc ? rc : kbj_fail(r->err, KBJ_ESTOPPED, "the reconciliation was stopped");
    }
    return r->unsaved >= r->o.save_items ? save(r) : KBJ_OK;
}

/* ---- the run ----------------------------------------------------------------------- */

static void defaults(kbj_reconcile_opts *o)
{
    if (!o->grace_seconds)
        o->grace_seconds = 600;
    if (!o->keep)
        o->keep = 50;
    if (!o->batch)
        o->batch = 1000;
    if (!o->window)
        o->window = 16384;
    if (!o->save_items)
        o->save_items = 2000;
}

static int check_opts(kbj_engine *eng, const kbj_reconcile_opts *o)
{
    if (o->grace_seconds > 86400)
        return kbj_efail(eng, KBJ_EINVAL, "option \"grace_seconds\" must be between 1 and 86400, got %u",
                         o->grace_seconds);
    if (o->keep > 1000)
        return kbj_efail(eng, KBJ_EINVAL, "option \"keep\" must be between 1 and 1000, got %u", o->keep);
    if (o->batch > 10000)
        return kbj_efail(eng, KBJ_EINVAL, "option \"batch\" must be between 1 and 10000, got %u", o->batch);
    if (o->window && (o->window < 64 || o->window > 1048576))
        return kbj_efail(eng, KBJ_EINVAL, "option \"window\" must be between 64 and 1048576, got %u", o->window);
    return KBJ_OK;
}

/* The progress total: index rows plus job rows (a job has a file or three). */
static int estimate_total(recon *r)
{
    kbj_rows *rows = NULL;
    int rc = kbj_store_query_again(r->eng->st,
                                   "SELECT (SELECT COUNT(*) FROM {p}kbjobs_artifacts)"
                                   " + (SELECT COUNT(*) FROM {p}kbjobs_jobs)", NULL, 0, &rows);
    if (rc == KBJ_OK)
        r->total = kbj_rows_int(rows, 0, 0) + 1;
    kbj_rows_free(rows);
    return rc;
}

static char *result_text(recon *r, const char *report_path)
{
    json_t *first = kbj_rreport_head(report_path, r->o.keep), *res;
    unsigned long long all = 0;
    char *text;
    for (int k = 0; k < RK_COUNT; k++)
        all += r->counts[k];
    res = json_pack("{s:o, s:I, s:o, s:o*, s:b, s:b}", "counts", counts_json(r), "findings", (json_int_t)all,
                    "scanned", scanned_json(r), "first", first, "more_findings", all > r->o.keep, "shallow",
                    r->o.shallow);
    text = res ? json_dumps(res, JSON_COMPACT) : NULL;
    json_decref(res);
    return text;
}

int kbj_reconcile(kbj_engine *eng, const kbj_reconcile_opts *opts, const char *report_path, const char *resume,
                  char **result)
{
    kbj_reconcile_opts none = { 0 };
    long long bytes = -1;
    recon r;
    int rc;

    if (!eng || !result)
        return KBJ_EINVAL;
    *result = NULL;
    if (!report_path || report_path[0] != '/')
        return kbj_efail(eng, KBJ_EINVAL, "the report path must be absolute");
    if ((rc = check_opts(eng, opts ? opts : &none)))
        return rc;
    memset(&r, 0, sizeof r);
    r.eng = eng;
    r.o = opts ? *opts : none;
    defaults(&r.o);
    r.err = kbj_store_err(eng->st);
    r.now = kbj_unix_time();
    r.root_fd = open(eng->data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (r.root_fd < 0)
        return kbj_efail(eng, KBJ_EIO, "cannot open the data directory %s: %s", eng->data_dir, strerror(errno));
    rc = resume ? restore(&r, resume, &bytes) : estimate_total(&r);
    if (rc == KBJ_OK)
        rc = kbj_rreport_open(report_path, bytes, &r.report, r.err);
    for (int s = r.stream; rc == KBJ_OK && s < KBJ_RDIR_COUNT; s++) {
        rc = s == KBJ_RDIR_ARTIFACTS ? recon_artifacts(&r) : recon_job_files(&r, s);
        if (rc == KBJ_OK) /* the next stream, from its start */
            rc = recon_set_pos(&r, s + 1, NULL, NULL);
    }
    if (rc == KBJ_OK)
        rc = kbj_rreport_sync(r.report, r.err);
    if (rc == KBJ_OK && !(*result = result_text(&r, report_path)))
        rc = kbj_efail(eng, KBJ_ENOMEM, "out of memory");
    kbj_rreport_free(r.report);
    close(r.root_fd);
    free(r.top);
    free(r.name);
    return rc;
}

/* ---- the job type ------------------------------------------------------------------ */

typedef struct job_hooks {
    kbj_ctx *ctx;
} job_hooks;

static int job_should_stop(void *arg)
{
    return kbj_ctx_should_stop(((job_hooks *)arg)->ctx);
}

static int job_save(void *arg, const char *state)
{
    int rc = kbj_ctx_checkpoint(((job_hooks *)arg)->ctx, NULL, NULL, state, 1);
    return rc < 0 ? rc : 0;
}

static void job_progress(void *arg, long long done, long long total, const char *phase)
{
    (void)kbj_ctx_progress(((job_hooks *)arg)->ctx, done, total, phase);
}

static int reconcile_handler(kbj_ctx *ctx, void *udata)
{
    kbj_engine *eng = kbj_ctx_engine(ctx);
    json_t *p = json_loads(kbj_ctx_params(ctx), 0, NULL);
    kbj_reconcile_opts o = { 0 };
    job_hooks h = { ctx };
    kbj_checkpoint *ck = NULL;
    char path[4096], dir[4096], *result = NULL;
    kbj_err err;
    int rc;

    (void)udata;
    if (!p)
        return kbj_ctx_fail(ctx, "reconcile: params are not JSON", 0);
    /* the schema has checked the ranges and filled in the defaults */
    o.grace_seconds = (unsigned)json_integer_value(json_object_get(p, "grace_seconds"));
    o.keep = (unsigned)json_integer_value(json_object_get(p, "keep"));
    o.batch = (unsigned)json_integer_value(json_object_get(p, "batch"));
    o.shallow = json_is_true(json_object_get(p, "shallow"));
    json_decref(p);
    o.should_stop = job_should_stop;
    o.save = job_save;
    o.progress = job_progress;
    o.arg = &h;
    if (kbj_fs_path(path, sizeof path, eng->data_dir, "logs", kbj_ctx_lease(ctx)->id, ".reconcile.jsonl", &err))
        return kbj_ctx_fail(ctx, err.msg, 0);
    if (snprintf(dir, sizeof dir, "%s/logs", eng->data_dir) >= (int)sizeof dir || kbj_fs_mkdirs(dir, &err))
        return kbj_ctx_fail(ctx, "reconcile: cannot create the logs folder", 1);
    /* a checkpoint that cannot be used is started over, report and all */
    rc = kbj_ctx_last_checkpoint(ctx, &ck);
    rc = kbj_reconcile(eng, &o, path, rc == KBJ_OK && ck->state ? ck->state : NULL, &result);
    if (rc == KBJ_ECORRUPT && ck) {
        (void)kbj_ctx_log(ctx, "warning", "reconcile: the checkpoint cannot be resumed from; starting over", NULL);
        rc = kbj_reconcile(eng, &o, path, NULL, &result);
    }
    kbj_checkpoint_free(ck);
    if (rc == KBJ_ESTOPPED)
        return rc;
    if (rc) {
        char msg[600];
        snprintf(msg, sizeof msg, "reconcile: %s", kbj_errmsg(eng));
        return kbj_ctx_fail(ctx, msg, rc != KBJ_EINVAL);
    }
    rc = kbj_ctx_set_result(ctx, result);
    free(result);
    return rc;
}

/* One reconciliation at a time across every runner: the jobs use the resource
 * "kbjobs.reconcile" (a concurrency key every job of the type has, whoever submits it
 * and whatever key it gives). Bounded attempts: a failure is usually the data
 * directory or the database, which a retry a little later may find back. */
int kbj_register_reconcile_type(kbj_engine *eng)
{
    static const kbj_resource res[] = { { "kbjobs.reconcile", "scan" } };
    kbj_type_def d = { 0 };
    d.name = "reconcile";
    d.label = "Reconciliation";
    d.category = "maintenance";
    d.params_schema = RECONCILE_SCHEMA;
    d.max_attempts = 3;
    d.resources = res;
    d.nresources = 1;
    d.handler = reconcile_handler;
    return kbj_register_type(eng, &d);
}
