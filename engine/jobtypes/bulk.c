/*
 * bulk.c - the native job type "kbjobs.bulk": one action (cancel, resume, rerun,
 * resubmit) applied to every job a filter matches, as a background job with progress,
 * a cursor that survives an interruption, and cancel between chunks.
 *
 * The matching set is bounded when the job starts by the highest job row id then (the
 * snapshot), and walked upwards by row id, KBJ_BULK_BATCH jobs at a time. Walking by
 * row id rather than by the list's newest-first cursor is what makes a status filter
 * safe: the action changes the statuses of the jobs behind the cursor, never the
 * position of the jobs ahead of it, so every matching job is visited once. Jobs made
 * after the snapshot (the reruns this job makes, and any submitted meanwhile) are above
 * the bound and never visited.
 *
 * Each chunk's changes and the job's cursor and counts (its metrics, fenced by its
 * lease) commit in one transaction (kbj_jobs_apply_with), so a crash never leaves a
 * chunk done but not recorded: a resumed bulk job goes on after the last chunk that
 * committed and never reruns a job twice. The checkpoint file, written after every
 * chunk, carries the same cursor for the operator's view (interrupted jobs,
 * Engine::checkpoint); the row is what the job resumes from.
 */
#include "builtins.h"
#include "internal.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#define BULK_SCHEMA                                                                              \
    "{\"type\": \"object\", \"additionalProperties\": false, \"required\": [\"action\", \"filter\"],"    \
    " \"properties\": {"                                                                         \
    "\"action\": {\"enum\": [\"cancel\", \"resume\", \"rerun\", \"resubmit\"]},"                   \
    "\"filter\": {\"type\": [\"object\", \"array\"], \"maxItems\": 0, \"additionalProperties\": false," \
    " \"properties\": {"                                                                         \
    "\"status\": {\"enum\": [\"queued\", \"running\", \"completed\", \"failed\", \"cancelled\","    \
    " \"interrupted\"]},"                                                                        \
    "\"type\": {\"type\": \"string\", \"minLength\": 1, \"maxLength\": 64},"                      \
    "\"queue\": {\"type\": \"string\", \"minLength\": 1, \"maxLength\": 64},"                     \
    "\"search\": {\"type\": \"string\", \"maxLength\": 191},"                                     \
    "\"unique_key_prefix\": {\"type\": \"string\", \"maxLength\": 191},"                          \
    "\"created_after\": {\"type\": \"number\", \"minimum\": 0},"                                  \
    "\"created_before\": {\"type\": \"number\", \"minimum\": 0}}}}}"

/* A bulk job's run: what it applies, to what, and how far it got. */
typedef struct bulk_run {
    kbj_ctx *ctx;
    kbj_engine *eng;
    const kbj_lease *lease;
    json_t *params;              /* owns the strings action and filter point into */
    const char *action;
    kbj_job_filter f;
    unsigned long long upto;     /* the snapshot: jobs with row ids at most this */
    unsigned long long matched;  /* how many matched at the start */
    unsigned long long after;    /* the cursor: every job up to this row id is done */
    kbj_bulk_counts c;           /* counts up to the cursor */
} bulk_run;

static unsigned long long visited(const kbj_bulk_counts *c)
{
    return c->done + c->skipped + c->missing;
}

/* The params' filter into r->f (the strings stay owned by r->params). An empty list
 * is an empty filter: PHP encodes [] as one. */
static void filter_of(bulk_run *r)
{
    json_t *f = json_object_get(r->params, "filter");
    memset(&r->f, 0, sizeof r->f);
    if (!json_is_object(f))
        return;
    r->f.status = json_string_value(json_object_get(f, "status"));
    r->f.type = json_string_value(json_object_get(f, "type"));
    r->f.queue = json_string_value(json_object_get(f, "queue"));
    r->f.search = json_string_value(json_object_get(f, "search"));
    r->f.unique_key_prefix = json_string_value(json_object_get(f, "unique_key_prefix"));
    r->f.created_after = json_number_value(json_object_get(f, "created_after"));
    r->f.created_before = json_number_value(json_object_get(f, "created_before"));
}

/* The job's metrics: its cursor, snapshot and counts, as every chunk records them. */
static char *state_json(const bulk_run *r, unsigned long long after, const kbj_bulk_counts *c)
{
    char buf[320];
    snprintf(buf, sizeof buf, "{\"cursor\":%llu,\"upto\":%llu,\"matched\":%llu,\"done\":%llu,\"skipped\":%llu,"
             "\"missing\":%llu}", after, r->upto, r->matched, c->done, c->skipped, c->missing);
    return strdup(buf);
}

/* Writes the job's state into its row, fenced by its lease: inside a chunk's
 * transaction, or alone at the start. KBJ_ELEASE when the lease is gone. */
static int save_state(bulk_run *r, unsigned long long after, const kbj_bulk_counts *c)
{
    char *metrics = state_json(r, after, c);
    unsigned long long affected = 0, total = r->matched > visited(c) ? r->matched : visited(c);
    int rc;

    if (!metrics)
        return kbj_efail(r->eng, KBJ_ENOMEM, "out of memory");
    rc = kbj_store_exec(r->eng->st, "UPDATE {p}kbjobs_job_data d JOIN {p}kbjobs_job_state s ON s.id = d.id"
                        " SET metrics = ?, progress_done = ?,"
                        " progress_total = ?, phase = 'bulk', progress_at = NOW(6), d.updated_at = NOW(6)"
                        " WHERE s.id = ? AND lease_token = ? AND status = 'running'",
                        (kbj_val[]){ KBJ_VS(metrics), KBJ_VI(visited(c)), KBJ_VI(total), KBJ_VI(r->lease->pk),
                                     KBJ_VI(r->lease->token) }, 5, &affected);
    free(metrics);
    if (rc == KBJ_OK && affected == 0)
        rc = kbj_efail(r->eng, KBJ_ELEASE, "the lease on job %s was lost", r->lease->id);
    return rc;
}

/* Where an earlier attempt got to, from the job's row: 1 when it had started (r->upto,
 * matched, after and counts set), 0 when this is the first start. */
static int load_state(bulk_run *r)
{
    kbj_job *j = NULL;
    json_t *m;
    int started;

    if (kbj_job_get(r->eng, r->lease->id, &j) != KBJ_OK)
        return 0;
    m = j->metrics ? json_loads(j->metrics, 0, NULL) : NULL;
    started = json_is_integer(json_object_get(m, "upto"));
    if (started) {
        r->upto = (unsigned long long)json_integer_value(json_object_get(m, "upto"));
        r->matched = (unsigned long long)json_integer_value(json_object_get(m, "matched"));
        r->after = (unsigned long long)json_integer_value(json_object_get(m, "cursor"));
        r->c.done = (unsigned long long)json_integer_value(json_object_get(m, "done"));
        r->c.skipped = (unsigned long long)json_integer_value(json_object_get(m, "skipped"));
        r->c.missing = (unsigned long long)json_integer_value(json_object_get(m, "missing"));
    }
    json_decref(m);
    kbj_job_free(j);
    return started;
}

/* The first start: the snapshot (the highest row id now) and how many jobs up to it
 * match, not counting this job, which never acts on itself. */
static int snapshot(bulk_run *r)
{
    kbj_job_ref self;
    size_t n = 0;
    int rc;

    if ((rc = kbj_job_max_pk(r->eng, &r->upto)) || (rc = kbj_job_count_upto(r->eng, &r->f, r->upto, &r->matched)))
        return rc;
    if ((rc = kbj_job_walk(r->eng, &r->f, r->lease->pk - 1, r->lease->pk, &self, 1, &n)))
        return rc;
    if (n == 1 && r->matched > 0)
        r->matched--;
    return save_state(r, 0, &r->c);
}

/* What a chunk's transaction commits with its changes: the cursor past the chunk and
 * the counts with the chunk's. */
typedef struct chunk_step {
    bulk_run *r;
    unsigned long long after;
} chunk_step;

static int record_chunk(kbj_store *st, const kbj_bulk_counts *batch, void *arg)
{
    chunk_step *s = arg;
    kbj_bulk_counts c = s->r->c;
    (void)st;
    c.done += batch->done;
    c.skipped += batch->skipped;
    c.missing += batch->missing;
    return save_state(s->r, s->after, &c);
}

/* The result: the action and its counts (also for a cancelled job: how far it got). */
static int set_result(bulk_run *r)
{
    char buf[320];
    snprintf(buf, sizeof buf, "{\"action\":\"%s\",\"matched\":%llu,\"done\":%llu,\"skipped\":%llu,\"missing\":%llu}",
             r->action, r->matched, r->c.done, r->c.skipped, r->c.missing);
    return kbj_ctx_set_result(r->ctx, buf);
}

/* Applies the action to the next chunk after the cursor. 1 when there was one, 0 at the
 * end, or a negative KBJ_E* code. */
static int next_chunk(bulk_run *r, kbj_job_ref *refs, const char **ids)
{
    size_t n = 0, k = 0;
    kbj_bulk_counts batch;
    chunk_step step = { r, 0 };
    char cursor[64], *counts;
    int rc = kbj_job_walk(r->eng, &r->f, r->after, r->upto, refs, KBJ_BULK_BATCH, &n);

    if (rc || n == 0)
        return rc;
    for (size_t i = 0; i < n; i++)
        if (refs[i].pk != r->lease->pk)
            ids[k++] = refs[i].id;
    step.after = refs[n - 1].pk;
    rc = kbj_jobs_apply_with(r->eng, r->action, ids, k, &batch, record_chunk, &step);
    if (rc)
        return rc;
    r->after = step.after;
    r->c.done += batch.done;
    r->c.skipped += batch.skipped;
    r->c.missing += batch.missing;
    (void)kbj_ctx_progress(r->ctx, (long long)visited(&r->c),
                           (long long)(r->matched > visited(&r->c) ? r->matched : visited(&r->c)), "bulk");
    snprintf(cursor, sizeof cursor, "{\"after\":%llu,\"upto\":%llu}", r->after, r->upto);
    counts = state_json(r, r->after, &r->c);
    /* after every chunk: a chunk is seconds of work, a checkpoint a file write */
    rc = counts ? kbj_ctx_checkpoint(r->ctx, cursor, counts, NULL, 1) : KBJ_ENOMEM;
    free(counts);
    return rc < 0 ? rc : 1;
}

static int bulk_handler(kbj_ctx *ctx, void *udata)
{
    bulk_run r;
    kbj_job_ref *refs = calloc(KBJ_BULK_BATCH, sizeof *refs);
    const char **ids = calloc(KBJ_BULK_BATCH, sizeof *ids);
    int rc = KBJ_OK;
    (void)udata;

    memset(&r, 0, sizeof r);
    r.ctx = ctx;
    r.eng = kbj_ctx_engine(ctx);
    r.lease = kbj_ctx_lease(ctx);
    r.params = json_loads(kbj_ctx_params(ctx), 0, NULL);
    r.action = json_string_value(json_object_get(r.params, "action"));
    filter_of(&r);
    if (!refs || !ids || !r.params) {
        rc = kbj_efail(r.eng, KBJ_ENOMEM, "out of memory");
    } else if (!r.action) {
        rc = kbj_ctx_fail(ctx, "kbjobs.bulk: params.action is missing", 0);
    } else if (!load_state(&r)) {
        rc = snapshot(&r);
    }
    if (rc == KBJ_OK && r.after == 0) {
        char title[96];
        snprintf(title, sizeof title, "Bulk %s of %llu jobs", r.action, r.matched);
        (void)kbj_ctx_title(ctx, title);
    }
    while (rc == KBJ_OK) {
        /* a cancel is looked up in the database between chunks, not left to the next
         * heartbeat: one statement per chunk, and a bulk job stops within a chunk */
        if (kbj_ctx_check(ctx) == KBJ_ELEASE || kbj_ctx_should_stop(ctx)) {
            rc = KBJ_ESTOPPED;
            break;
        }
        rc = next_chunk(&r, refs, ids);
        if (rc == 1)
            rc = KBJ_OK;
        else if (rc == 0)
            break;
    }
    if (rc == KBJ_OK || rc == KBJ_ESTOPPED)
        (void)set_result(&r);
    json_decref(r.params);
    free(refs);
    free(ids);
    return rc;
}

int kbj_register_bulk_type(kbj_engine *eng)
{
    kbj_type_def d = { 0 };
    d.name = "kbjobs.bulk";
    d.label = "Bulk action on jobs";
    d.category = "maintenance";
    d.params_schema = BULK_SCHEMA;
    d.queue = KBJ_BULK_QUEUE;
    d.max_attempts = 5;
    d.handler = bulk_handler;
    return kbj_register_type(eng, &d);
}
