/*
 * reconcile.c - reconciliation, phase 1: kbj_reconcile (options, the streams in order,
 * the result) and the native job type "reconcile" (read-only; repairs and the PHP phase
 * over posts come later).
 *
 * Order of a run: the artifact index against artifacts/ (reconcile_artifacts.c), then
 * the job rows against lists/, logs/ and checkpoints/ (reconcile_files.c), both writing
 * through reconcile_run.c (position, findings, saved state); quarantine/ is never
 * walked. Every directory is opened relative to the data directory's descriptor without
 * following symbolic links (reconcile_walk.c), so nothing outside the data directory is
 * ever read. Findings go to the report as they are found; the result keeps the counts
 * and the report's first `keep` lines.
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
#include "ids.h"

#define RECONCILE_SCHEMA                                                                         \
    "{\"type\": \"object\", \"additionalProperties\": false, \"properties\": {"                  \
    "\"grace_seconds\": {\"type\": \"integer\", \"minimum\": 1, \"maximum\": 86400, \"default\": 600}," \
    "\"keep\": {\"type\": \"integer\", \"minimum\": 1, \"maximum\": 1000, \"default\": 50},"      \
    "\"batch\": {\"type\": \"integer\", \"minimum\": 1, \"maximum\": 10000, \"default\": 1000},"  \
    "\"shallow\": {\"type\": \"boolean\", \"default\": false}}}"

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
    if (!o->save_ms)
        o->save_ms = 5000;
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
    res = json_pack("{s:o, s:I, s:o, s:o*, s:b, s:b}", "counts", recon_counts_json(r), "findings", (json_int_t)all,
                    "scanned", recon_scanned_json(r), "first", first, "more_findings", all > r->o.keep, "shallow",
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
    r.saved_at = kbj_monotonic();
    r.root_fd = open(eng->data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (r.root_fd < 0)
        return kbj_efail(eng, KBJ_EIO, "cannot open the data directory %s: %s", eng->data_dir, strerror(errno));
    rc = resume ? recon_restore(&r, resume, &bytes) : estimate_total(&r);
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
    {   /* where the whole list is, for whoever reads the result */
        json_t *res = json_loads(result, 0, NULL);
        char rel[64], *text;
        snprintf(rel, sizeof rel, "logs/%s.reconcile.jsonl", kbj_ctx_lease(ctx)->id);
        if (res)
            json_object_set_new(res, "report", json_string(rel));
        text = res ? json_dumps(res, JSON_COMPACT) : NULL;
        json_decref(res);
        rc = kbj_ctx_set_result(ctx, text ? text : result);
        free(text);
    }
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
