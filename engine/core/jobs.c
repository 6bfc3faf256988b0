/*
 * jobs.c - submitting jobs and operating on them: get, list, cancel, resume, rerun,
 * attempts, retention. Claims and everything a runner does live in lease.c.
 */
#include "internal.h"
#include "utf8.h"
#include "joblog.h"
#include "types.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static char *dup_field(const kbj_rows *r, size_t row, size_t col, int *oom)
{
    const char *s = kbj_rows_str(r, row, col);
    char *d;
    if (!s)
        return NULL;
    d = strdup(s);
    if (!d)
        *oom = 1;
    return d;
}

void kbj_job_free(kbj_job *j)
{
    if (!j)
        return;
    free(j->params);
    free(j->result);
    free(j->error);
    free(j->metrics);
    free(j->phase);
    free(j->title);
    free(j->concurrency_key);
    free(j->unique_key);
    free(j->resources);
    free(j);
}

void kbj_jobs_free(kbj_job **jobs, size_t n)
{
    if (!jobs)
        return;
    for (size_t i = 0; i < n; i++)
        kbj_job_free(jobs[i]);
    free(jobs);
}

static kbj_expiry expiry_parse(const char *s)
{
    return s && strcmp(s, "requeue") == 0 ? KBJ_EXPIRY_REQUEUE : KBJ_EXPIRY_INTERRUPT;
}

static const char *expiry_name(kbj_expiry e)
{
    return e == KBJ_EXPIRY_REQUEUE ? "requeue" : "interrupt";
}

/* Builds a job view from row `i` of a JOB_COLUMNS result; NULL when out of memory. */
static kbj_job *job_from_row(const kbj_rows *r, size_t i)
{
    int oom = 0;
    kbj_job *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    kbj_copy(j->id, sizeof j->id, kbj_rows_str(r, i, 0));
    kbj_copy(j->type, sizeof j->type, kbj_rows_str(r, i, 1));
    kbj_copy(j->queue, sizeof j->queue, kbj_rows_str(r, i, 2));
    kbj_copy(j->status, sizeof j->status, kbj_rows_str(r, i, 3));
    j->priority = (int)kbj_rows_int(r, i, 4);
    j->params = dup_field(r, i, 5, &oom);
    j->result = dup_field(r, i, 6, &oom);
    j->error = dup_field(r, i, 7, &oom);
    j->metrics = dup_field(r, i, 8, &oom);
    j->phase = dup_field(r, i, 9, &oom);
    j->title = dup_field(r, i, 10, &oom);
    j->progress_done = kbj_rows_int(r, i, 11);
    j->progress_total = kbj_rows_int(r, i, 12);
    j->attempts = (int)kbj_rows_int(r, i, 13);
    j->max_attempts = (int)kbj_rows_int(r, i, 14);
    j->backoff.kind = (kbj_backoff_kind)kbj_backoff_parse(kbj_rows_str(r, i, 15));
    j->backoff.base_ms = (unsigned)kbj_rows_int(r, i, 16);
    j->backoff.cap_ms = (unsigned)kbj_rows_int(r, i, 17);
    j->backoff.jitter = kbj_dbtime(kbj_rows_str(r, i, 18));
    j->on_expiry = expiry_parse(kbj_rows_str(r, i, 19));
    j->concurrency_key = dup_field(r, i, 20, &oom);
    j->unique_key = dup_field(r, i, 21, &oom);
    kbj_copy(j->unique_scope, sizeof j->unique_scope, kbj_rows_str(r, i, 22));
    j->cancel_requested = (int)kbj_rows_int(r, i, 23);
    if (strcmp(j->status, "running") == 0)
        kbj_copy(j->runner, sizeof j->runner, kbj_rows_str(r, i, 24));
    kbj_copy(j->rerun_of, sizeof j->rerun_of, kbj_rows_str(r, i, 25));
    j->run_at = kbj_dbtime(kbj_rows_str(r, i, 26));
    j->created_at = kbj_dbtime(kbj_rows_str(r, i, 27));
    j->started_at = kbj_dbtime(kbj_rows_str(r, i, 28));
    j->progress_at = kbj_dbtime(kbj_rows_str(r, i, 29));
    j->finished_at = kbj_dbtime(kbj_rows_str(r, i, 30));
    j->updated_at = kbj_dbtime(kbj_rows_str(r, i, 31));
    j->lease_expires = kbj_dbtime(kbj_rows_str(r, i, 32));
    j->resources = dup_field(r, i, 33, &oom);
    kbj_copy(j->backlog, sizeof j->backlog, kbj_rows_str(r, i, 34));
    if (oom) {
        kbj_job_free(j);
        return NULL;
    }
    return j;
}

static int job_from_row_cb(void *elem, const kbj_rows *rows, size_t i, void *arg)
{
    kbj_job **j = elem;
    (void)arg;
    *j = job_from_row(rows, i);
    return *j ? 0 : -1;
}

static void jobs_clear(void *a, size_t n)
{
    kbj_jobs_free(a, n);
}

int kbj_jobs_query(kbj_engine *eng, const char *sql, const kbj_val *p, size_t n,
                   kbj_job ***out, size_t *count)
{
    kbj_rows *rows = NULL;
    int rc = kbj_store_query(eng->st, sql, p, n, &rows);

    *out = NULL;
    *count = 0;
    if (rc)
        return rc;
    rc = kbj_rows_to_array(rows, sizeof(kbj_job *), job_from_row_cb, jobs_clear, NULL, (void **)out, count);
    return rc ? kbj_efail(eng, KBJ_ENOMEM, "out of memory") : KBJ_OK;
}

/* ---- submit ------------------------------------------------------------------- */

/* A job ready to insert: validated, defaults applied. */
typedef struct prepared {
    const char *type, *queue, *ckey, *ukey, *scope;
    const char *id;        /* chosen by the caller, or NULL */
    const char *backlog;   /* or NULL */
    const char *status;    /* "queued", or "held" */
    const kbj_resource *resources;
    size_t nresources;
    char *params;          /* owned: normalised JSON */
    int priority, max_attempts;
    double run_at;
    long long delay_us;
    kbj_backoff backoff;
    kbj_expiry on_expiry;
} prepared;

static int valid_key(const char *k)
{
    size_t n;
    if (!k)
        return 1;
    n = strlen(k);
    if (n == 0 || n > KBJ_KEY_MAX)
        return 0;
    /* a key must be valid text for a utf8mb4 column */
    return kbj_utf8_valid((const unsigned char *)k, n);
}

/* The params: valid JSON, an object, within the size limit, checked against the type's
 * schema with its defaults filled in; p->params is the compact text. */
static int prepare_params(kbj_engine *eng, const kbj_submit *in, const kbj_type *t, const char *where, prepared *p)
{
    json_t *params;
    json_error_t jerr;

    if (in->params && strlen(in->params) > KBJ_MAX_PARAMS)
        return kbj_efail(eng, KBJ_EINVAL, "%sparams are %zu bytes; at most %u are allowed", where,
                         strlen(in->params), KBJ_MAX_PARAMS);
    params = json_loads(in->params ? in->params : "{}", JSON_REJECT_DUPLICATES, &jerr);
    if (!params)
        return kbj_efail(eng, KBJ_EINVAL, "%sparams are not valid JSON: %s at line %d column %d",
                         where, jerr.text, jerr.line, jerr.column);
    if (!json_is_object(params)) {
        json_decref(params);
        return kbj_efail(eng, KBJ_EINVAL, "%sparams must be a JSON object", where);
    }
    if (t) {
        int rc = kbj_type_apply_schema(eng, t, params, where);
        if (rc) {
            json_decref(params);
            return rc;
        }
    }
    p->params = json_dumps(params, JSON_COMPACT);
    json_decref(params);
    if (!p->params)
        return kbj_efail(eng, KBJ_ENOMEM, "out of memory");
    if (strlen(p->params) > KBJ_MAX_PARAMS)
        return kbj_efail(eng, KBJ_EINVAL, "%sparams are larger than %u bytes", where, KBJ_MAX_PARAMS);
    return KBJ_OK;
}

/* When and how it runs: priority, attempts and backoff (the job's, else its type's,
 * else the defaults: retry.c), run-at and delay, what a lost lease does. */
static int prepare_policies(kbj_engine *eng, const kbj_submit *in, const kbj_type *t, const char *where,
                            prepared *p)
{
    kbj_err err;

    if (in->priority < -100 || in->priority > 100)
        return kbj_efail(eng, KBJ_EINVAL, "%spriority %d is out of range -100..100", where, in->priority);
    p->priority = in->priority;
    p->max_attempts = in->max_attempts ? in->max_attempts
                      : (t && t->max_attempts ? t->max_attempts : KBJ_DEFAULT_MAX_ATTEMPTS);
    if (p->max_attempts < 1 || p->max_attempts > 1000)
        return kbj_efail(eng, KBJ_EINVAL, "%smax_attempts %d is out of range 1..1000", where,
                         p->max_attempts);
    if (in->run_at < 0 || in->run_at > 32503680000.0 || isnan(in->run_at))
        return kbj_efail(eng, KBJ_EINVAL, "%srun_at is out of range", where);
    if (in->delay_ms < 0 || in->delay_ms > 10LL * 365 * 86400 * 1000)
        return kbj_efail(eng, KBJ_EINVAL, "%sdelay_ms %lld is out of range (0 to 10 years)", where,
                         in->delay_ms);
    p->run_at = in->run_at;
    p->delay_us = in->delay_ms * 1000;
    if (kbj_backoff_resolve(&in->backoff, t ? &t->backoff : NULL, &p->backoff, &err))
        return kbj_efail(eng, KBJ_EINVAL, "%s%s", where, err.msg);
    p->on_expiry = in->on_expiry ? in->on_expiry : (t && t->on_expiry ? t->on_expiry : KBJ_EXPIRY_INTERRUPT);
    if (p->on_expiry != KBJ_EXPIRY_INTERRUPT && p->on_expiry != KBJ_EXPIRY_REQUEUE)
        return kbj_efail(eng, KBJ_EINVAL, "%sunknown on_expiry policy %d", where, (int)p->on_expiry);
    return KBJ_OK;
}

/* Its keys (concurrency and unique, with the unique scope) and resources. */
static int prepare_keys(kbj_engine *eng, const kbj_submit *in, const kbj_type *t, const char *where, prepared *p)
{
    if (!valid_key(in->concurrency_key))
        return kbj_efail(eng, KBJ_EINVAL, "%sconcurrency key must be 1 to %d bytes of UTF-8", where,
                         KBJ_KEY_MAX);
    if (!valid_key(in->unique_key))
        return kbj_efail(eng, KBJ_EINVAL, "%sunique key must be 1 to %d bytes of UTF-8", where, KBJ_KEY_MAX);
    if (in->concurrency_key && strncmp(in->concurrency_key, "res:", 4) == 0)
        return kbj_efail(eng, KBJ_EINVAL, "%sconcurrency keys starting with \"res:\" are reserved for "
                         "resources", where);
    p->ckey = in->concurrency_key;
    p->ukey = in->unique_key;
    p->resources = in->nresources ? in->resources : (t ? t->resources : NULL);
    p->nresources = in->nresources ? in->nresources : (t ? t->nresources : 0);
    if (p->nresources > KBJ_MAX_RESOURCES || (p->nresources && !p->resources))
        return kbj_efail(eng, KBJ_EINVAL, "%sat most %d resources per job", where, KBJ_MAX_RESOURCES);
    for (size_t r = 0; r < p->nresources; r++) {
        int rc = kbj_resource_check(eng, &p->resources[r], where);
        if (rc)
            return rc;
        for (size_t q = 0; q < r; q++)
            if (strcmp(p->resources[q].name, p->resources[r].name) == 0)
                return kbj_efail(eng, KBJ_EINVAL, "%sresource \"%s\" is named twice", where, p->resources[r].name);
    }
    if (in->unique_key) {
        if (in->unique_scope == KBJ_UNIQUE_ACTIVE || in->unique_scope == KBJ_UNIQUE_NONE)
            p->scope = "active";
        else if (in->unique_scope == KBJ_UNIQUE_RETAINED)
            p->scope = "retained";
        else
            return kbj_efail(eng, KBJ_EINVAL, "%sunknown unique scope %d", where, (int)in->unique_scope);
    } else if (in->unique_scope != KBJ_UNIQUE_NONE) {
        return kbj_efail(eng, KBJ_EINVAL, "%sa unique scope needs a unique key", where);
    }
    return KBJ_OK;
}

/* Checks a job to submit and fills in what its type and the defaults say; `index` names
 * it in messages when it is one of many ((size_t)-1 when alone). */
static int prepare_job(kbj_engine *eng, const kbj_submit *in, size_t index, prepared *p)
{
    const kbj_type *t;
    char where[48] = "";
    int rc;

    memset(p, 0, sizeof *p);
    if (index != (size_t)-1)
        snprintf(where, sizeof where, "job %zu: ", index);
    if (!in || !kbj_valid_name(in->type))
        return kbj_efail(eng, KBJ_EINVAL, "%stype \"%.80s\" must be 1 to 64 characters of a-z, "
                         "0-9, '_', '.' and '-'", where, in && in->type ? in->type : "");
    if (in->id && !kbj_valid_id(in->id))
        return kbj_efail(eng, KBJ_EINVAL, "%sid must be 16 characters of 0-9 and a-f", where);
    p->id = in->id;
    t = kbj_type_find(eng, in->type);
    p->type = in->type;
    p->queue = in->queue ? in->queue : (t && t->queue ? t->queue : "default");
    if (!kbj_valid_name(p->queue))
        return kbj_efail(eng, KBJ_EINVAL, "%squeue \"%.80s\" must be 1 to 64 characters of a-z, "
                         "0-9, '_', '.' and '-'", where, p->queue);
    if (in->backlog && !kbj_valid_name(in->backlog))
        return kbj_efail(eng, KBJ_EINVAL, "%sbacklog \"%.80s\" must be 1 to 64 characters of a-z, "
                         "0-9, '_', '.' and '-'", where, in->backlog);
    /* a held job is released by its backlog's name: without one nothing could release it */
    if (in->hold && !in->backlog)
        return kbj_efail(eng, KBJ_EINVAL, "%sa held job needs a backlog to be released by", where);
    p->backlog = in->backlog;
    p->status = in->hold ? "held" : "queued";
    if ((rc = prepare_params(eng, in, t, where, p)) || (rc = prepare_policies(eng, in, t, where, p)))
        return rc;
    return prepare_keys(eng, in, t, where, p);
}

/* A job is two rows: its payload (kbjobs_job_data, with the auto-increment id) and its
 * claim state (kbjobs_job_state, under the same id). */
#define INSERT_COLUMNS                                                                       \
    "INSERT INTO {p}kbjobs_job_data (public_id, type, params, max_attempts, backoff,"        \
    " backoff_base_ms, backoff_cap_ms, backoff_jitter, on_expiry, unique_key, unique_scope," \
    " uniq_active, uniq_retained, rerun_of, created_at, updated_at) VALUES "
#define INSERT_ROW "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NOW(6), NOW(6))"
#define INSERT_PARAMS 13 /* and rerun_of */
#define STATE_COLUMNS                                                                        \
    "INSERT INTO {p}kbjobs_job_state (id, queue, status, priority, run_at, concurrency_key,"  \
    " backlog, updated_at) VALUES "
#define STATE_ROW "(?, ?, ?, ?, IF(? > 0, " KBJ_SQL_EPOCH_PLUS ", NOW(6) + INTERVAL ? MICROSECOND), ?, ?, NOW(6))"
#define STATE_PARAMS 9

static void bind_row(kbj_val *v, const prepared *p, const char *id)
{
    size_t k = 0;
    v[k++] = KBJ_VS(id);
    v[k++] = KBJ_VS(p->type);
    v[k++] = KBJ_VS(p->params);
    v[k++] = KBJ_VI(p->max_attempts);
    v[k++] = KBJ_VS(kbj_backoff_name(p->backoff.kind));
    v[k++] = KBJ_VI(p->backoff.base_ms);
    v[k++] = KBJ_VI(p->backoff.cap_ms);
    v[k++] = KBJ_VD(p->backoff.jitter);
    v[k++] = KBJ_VS(expiry_name(p->on_expiry));
    v[k++] = KBJ_VS(p->ukey);
    v[k++] = KBJ_VS(p->scope);
    v[k++] = KBJ_VS(p->ukey);                                   /* uniq_active */
    v[k++] = p->scope && strcmp(p->scope, "retained") == 0 ? KBJ_VS(p->ukey) : KBJ_VNULL;
}

static void bind_state(kbj_val *v, const prepared *p, unsigned long long pk)
{
    size_t k = 0;
    v[k++] = KBJ_VI(pk);
    v[k++] = KBJ_VS(p->queue);
    v[k++] = KBJ_VS(p->status);
    v[k++] = KBJ_VI(p->priority);
    v[k++] = KBJ_VD(p->run_at);
    v[k++] = KBJ_VI(kbj_micros(p->run_at));
    v[k++] = KBJ_VI(p->delay_us);
    v[k++] = KBJ_VS(p->ckey);
    v[k++] = KBJ_VS(p->backlog);
}

/* The SQL of an INSERT of `rows` rows: `head` then `row` `rows` times, comma-separated.
 * NULL when out of memory; the caller frees it. */
static char *multi_row_sql(const char *head, const char *row, size_t rows)
{
    size_t hl = strlen(head), rl = strlen(row), off = hl;
    char *sql = malloc(hl + rows * (rl + 1) + 1);
    if (!sql)
        return NULL;
    memcpy(sql, head, hl);
    for (size_t k = 0; k < rows; k++) {
        if (k)
            sql[off++] = ',';
        memcpy(sql + off, row, rl);
        off += rl;
    }
    sql[off] = '\0';
    return sql;
}

/* The state rows of `n` jobs whose data rows were just inserted under the public ids
 * `ids`: their auto-increment ids are read back by public id (a multi-row INSERT's ids
 * are consecutive only in some of InnoDB's auto-increment lock modes). */
static int insert_states(kbj_engine *eng, const prepared *jobs, char (*ids)[KBJ_ID_LEN + 1], size_t n,
                         unsigned long long first_pk)
{
    kbj_val *v = calloc(n * STATE_PARAMS + (n > 1 ? n : 0), sizeof *v);
    unsigned long long *pks = calloc(n, sizeof *pks);
    char *sql = NULL, *ph = NULL;
    kbj_rows *rows = NULL;
    int rc = KBJ_OK;

    if (!v || !pks) {
        rc = kbj_efail(eng, KBJ_ENOMEM, "out of memory");
        goto out;
    }
    if (n == 1) {
        pks[0] = first_pk;
    } else {
        size_t cap;
        for (size_t k = 0; k < n; k++)
            v[k] = KBJ_VS(ids[k]);
        ph = kbj_placeholders(n);
        cap = 3 * n + 128;
        sql = ph ? malloc(cap) : NULL;
        if (!sql) {
            rc = kbj_efail(eng, KBJ_ENOMEM, "out of memory");
            goto out;
        }
        snprintf(sql, cap, "SELECT public_id, id FROM {p}kbjobs_job_data WHERE public_id IN (%s)", ph);
        if ((rc = kbj_store_query(eng->st, sql, v, n, &rows)))
            goto out;
        for (size_t r = 0; r < kbj_rows_count(rows); r++)
            for (size_t k = 0; k < n; k++)
                if (!pks[k] && strcmp(ids[k], kbj_rows_str(rows, r, 0)) == 0) {
                    pks[k] = (unsigned long long)kbj_rows_int(rows, r, 1);
                    break;
                }
        for (size_t k = 0; k < n; k++)
            if (!pks[k]) {
                rc = kbj_efail(eng, KBJ_EDB, "job %s was not found after its insert", ids[k]);
                goto out;
            }
        free(sql);
    }
    sql = multi_row_sql(STATE_COLUMNS, STATE_ROW, n);
    if (!sql) {
        rc = kbj_efail(eng, KBJ_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t k = 0; k < n; k++)
        bind_state(v + k * STATE_PARAMS, &jobs[k], pks[k]);
    rc = kbj_store_exec(eng->st, sql, v, n * STATE_PARAMS, NULL);
out:
    kbj_rows_free(rows);
    free(ph);
    free(sql);
    free(pks);
    free(v);
    return rc;
}

/* Finds the job a unique key points to; 1 with id filled, 0 when none, or an error. */
static int find_unique(kbj_store *st, const prepared *p, char id[KBJ_ID_LEN + 1])
{
    kbj_rows *rows = NULL;
    int rc;
    if (strcmp(p->scope, "active") == 0)
        rc = kbj_store_query(st, "SELECT public_id FROM {p}kbjobs_jobs WHERE uniq_active = ?",
                             (kbj_val[]){ KBJ_VS(p->ukey) }, 1, &rows);
    else
        rc = kbj_store_query(st, "SELECT public_id FROM {p}kbjobs_jobs WHERE unique_key = ?"
                             " ORDER BY (uniq_active IS NOT NULL) DESC, id DESC LIMIT 1",
                             (kbj_val[]){ KBJ_VS(p->ukey) }, 1, &rows);
    if (rc)
        return rc;
    rc = kbj_rows_count(rows) > 0;
    if (rc)
        kbj_copy(id, KBJ_ID_LEN + 1, kbj_rows_str(rows, 0, 0));
    kbj_rows_free(rows);
    return rc;
}

/* Inserts one prepared job (with its unique-key handling); *existed set when a unique
 * key matched. */
static int insert_one(kbj_engine *eng, const prepared *p, const char *rerun_of,
                      char id[KBJ_ID_LEN + 1], int *existed)
{
    kbj_val v[INSERT_PARAMS + 1];
    int rc;

    *existed = 0;
    for (int tries = 0; tries < 5; tries++) {
        if (p->ukey) {
            rc = find_unique(eng->st, p, id);
            if (rc < 0)
                return rc;
            if (rc == 1) {
                *existed = 1;
                return KBJ_OK;
            }
        }
        if (p->id)
            kbj_copy(id, KBJ_ID_LEN + 1, p->id);
        else if (kbj_new_id(id))
            return kbj_efail(eng, KBJ_EIO, "cannot read random bytes for a job id");
        bind_row(v, p, id);
        v[INSERT_PARAMS] = KBJ_VS(rerun_of);
        rc = kbj_store_exec(eng->st, INSERT_COLUMNS INSERT_ROW, v, INSERT_PARAMS + 1, NULL);
        if (rc == KBJ_OK) {
            unsigned long long pk = kbj_store_insert_id(eng->st);
            rc = insert_states(eng, p, (char (*)[KBJ_ID_LEN + 1])id, 1, pk);
            for (size_t r = 0; rc == KBJ_OK && r < p->nresources; r++)
                rc = kbj_store_exec(eng->st, "INSERT INTO {p}kbjobs_resources (job_id, name, op) VALUES (?, ?, ?)",
                                    (kbj_val[]){ KBJ_VI(pk), KBJ_VS(p->resources[r].name),
                                                 KBJ_VS(p->resources[r].op) }, 3, NULL);
            return rc;
        }
        if (!(rc == KBJ_EDB && kbj_store_errno(eng->st) == 1062))
            return rc;
        /* a duplicate: a concurrent submit took the unique key (found on the next
         * round), or, once in 2^64, the random id */
    }
    return rc;
}

typedef struct submit_work {
    kbj_engine *eng;
    prepared *jobs;
    size_t n;
    char (*ids)[KBJ_ID_LEN + 1];
    int *existed;
    const char *const *rerun_of; /* per job (NULL: none) */
    int parts;                   /* jobs 1..n-1 are parts of job 0: none is inserted when job
                                  * 0's unique key matched an existing job */
} submit_work;

/* The job that job `i` of a submit is a rerun of, or NULL. */
static const char *rerun_of_job(const submit_work *w, size_t i)
{
    return w->rerun_of ? w->rerun_of[i] : NULL;
}

#define BULK_ROWS 200

static int submit_tx(kbj_store *st, void *arg)
{
    submit_work *w = arg;
    kbj_val *v = NULL;
    char *sql = NULL;
    size_t i = 0;
    int rc = KBJ_OK;
    (void)st;

    while (i < w->n && rc == KBJ_OK) {
        size_t run = 0;
        if (w->jobs[i].ukey || w->jobs[i].nresources || w->n == 1) {
            rc = insert_one(w->eng, &w->jobs[i], rerun_of_job(w, i), w->ids[i], &w->existed[i]);
            i++;
            if (rc == KBJ_OK && i == 1 && w->parts && w->existed[0])
                break; /* the job is there already, with its own parts */
            continue;
        }
        /* consecutive jobs without unique keys go in multi-row INSERTs */
        while (i + run < w->n && run < BULK_ROWS && !w->jobs[i + run].ukey && !w->jobs[i + run].nresources)
            run++;
        if (!v)
            v = malloc(sizeof *v * (BULK_ROWS * (INSERT_PARAMS + 1)));
        free(sql);
        sql = multi_row_sql(INSERT_COLUMNS, INSERT_ROW, run);
        if (!v || !sql) {
            rc = kbj_efail(w->eng, KBJ_ENOMEM, "out of memory");
            break;
        }
        for (size_t k = 0; k < run && rc == KBJ_OK; k++) {
            w->existed[i + k] = 0;
            if (w->jobs[i + k].id)
                kbj_copy(w->ids[i + k], KBJ_ID_LEN + 1, w->jobs[i + k].id);
            else if (kbj_new_id(w->ids[i + k]))
                rc = kbj_efail(w->eng, KBJ_EIO, "cannot read random bytes for a job id");
            bind_row(v + k * (INSERT_PARAMS + 1), &w->jobs[i + k], w->ids[i + k]);
            v[k * (INSERT_PARAMS + 1) + INSERT_PARAMS] = KBJ_VS(rerun_of_job(w, i + k));
        }
        if (rc == KBJ_OK)
            rc = kbj_store_exec(w->eng->st, sql, v, run * (INSERT_PARAMS + 1), NULL);
        if (rc == KBJ_OK)
            rc = insert_states(w->eng, &w->jobs[i], &w->ids[i], run, kbj_store_insert_id(w->eng->st));
        i += run;
    }
    free(v);
    free(sql);
    return rc;
}

/* Whether one of the jobs is queued (not held) and due now: what a runner woken now
 * could claim. */
static int any_due_now(const prepared *p, size_t n)
{
    double now = kbj_unix_time();
    for (size_t i = 0; i < n; i++)
        if (strcmp(p[i].status, "queued") == 0 && p[i].delay_us <= 0 && p[i].run_at <= now)
            return 1;
    return 0;
}

static void free_prepared(prepared *p, size_t n)
{
    for (size_t i = 0; p && i < n; i++)
        free(p[i].params);
    free(p);
}

static int submit_prepared(kbj_engine *eng, const kbj_submit *jobs, size_t n,
                           char (*ids)[KBJ_ID_LEN + 1], int *existed, const char *const *reruns, int parts)
{
    submit_work w = { eng, NULL, n, ids, existed, reruns, parts };
    int rc;

    if (n == 0)
        return KBJ_OK;
    if (n > 100000)
        return kbj_efail(eng, KBJ_EINVAL, "at most 100000 jobs can be submitted at once");
    if ((rc = kbj_schema_require(eng)))
        return rc;
    w.jobs = calloc(n, sizeof *w.jobs);
    if (!w.jobs)
        return kbj_efail(eng, KBJ_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        rc = prepare_job(eng, &jobs[i], n == 1 ? (size_t)-1 : i, &w.jobs[i]);
        if (rc) {
            free_prepared(w.jobs, n);
            return rc;
        }
    }
    rc = kbj_store_tx(eng->st, submit_tx, &w);
    /* after the commit, so a runner woken now sees the rows: only for jobs due now (held
     * or later jobs would wake runners for nothing) */
    if (rc == KBJ_OK && any_due_now(w.jobs, n))
        kbj_wake_jobs(eng);
    free_prepared(w.jobs, n);
    return rc;
}

int kbj_submit_job(kbj_engine *eng, const kbj_submit *job, char id[KBJ_ID_LEN + 1], int *existed)
{
    int ex = 0, rc;
    if (!eng || !job || !id)
        return eng ? kbj_efail(eng, KBJ_EINVAL, "no job or id buffer given") : KBJ_EINVAL;
    rc = submit_prepared(eng, job, 1, (char(*)[KBJ_ID_LEN + 1])id, &ex, NULL, 0);
    if (existed)
        *existed = rc == KBJ_OK ? ex : 0;
    return rc;
}

int kbj_submit_many(kbj_engine *eng, const kbj_submit *jobs, size_t n, char (*ids)[KBJ_ID_LEN + 1])
{
    return kbj_submit_many_rerun(eng, jobs, n, ids, NULL);
}

int kbj_submit_many_rerun(kbj_engine *eng, const kbj_submit *jobs, size_t n, char (*ids)[KBJ_ID_LEN + 1],
                          const char *const *reruns)
{
    int *existed, rc;
    if (!eng || (n && (!jobs || !ids)))
        return eng ? kbj_efail(eng, KBJ_EINVAL, "no jobs or id buffer given") : KBJ_EINVAL;
    existed = calloc(n ? n : 1, sizeof *existed);
    if (!existed)
        return kbj_efail(eng, KBJ_ENOMEM, "out of memory");
    rc = submit_prepared(eng, jobs, n, ids, existed, reruns, 0);
    free(existed);
    return rc;
}

int kbj_submit_parts(kbj_engine *eng, const kbj_submit *jobs, size_t n, char (*ids)[KBJ_ID_LEN + 1],
                     const char *const *reruns, int *first_existed)
{
    int *existed, rc;
    *first_existed = 0;
    if (!eng || !n || !jobs || !ids)
        return eng ? kbj_efail(eng, KBJ_EINVAL, "no jobs or id buffer given") : KBJ_EINVAL;
    existed = calloc(n, sizeof *existed);
    if (!existed)
        return kbj_efail(eng, KBJ_ENOMEM, "out of memory");
    rc = submit_prepared(eng, jobs, n, ids, existed, reruns, 1);
    if (rc == KBJ_OK)
        *first_existed = existed[0];
    free(existed);
    return rc;
}

/* ---- reading ------------------------------------------------------------------ */

static int bad_id(kbj_engine *eng, const char *id)
{
    return kbj_efail(eng, KBJ_EINVAL, "\"%.40s\" is not a job id (16 hex characters)", id ? id : "");
}

typedef struct get_work {
    kbj_engine *eng;
    const char *id;
    kbj_job **out;
} get_work;

static int get_do(kbj_store *st, void *arg)
{
    get_work *w = arg;
    kbj_job **jobs;
    size_t n;
    int rc;
    (void)st;
    rc = kbj_jobs_query(w->eng, "SELECT " JOB_COLUMNS " FROM {p}kbjobs_jobs WHERE public_id = ?",
                        (kbj_val[]){ KBJ_VS(w->id) }, 1, &jobs, &n);
    if (rc)
        return rc;
    if (n == 0) {
        kbj_jobs_free(jobs, n);
        return kbj_efail(w->eng, KBJ_ENOTFOUND, "no job %s", w->id);
    }
    *w->out = jobs[0];
    free(jobs);
    return KBJ_OK;
}

int kbj_job_get(kbj_engine *eng, const char *id, kbj_job **out)
{
    get_work w = { eng, id, out };
    if (!eng || !out)
        return KBJ_EINVAL;
    *out = NULL;
    if (!kbj_valid_id(id))
        return bad_id(eng, id);
    return kbj_store_do(eng->st, get_do, &w);
}

/* ---- filters ------------------------------------------------------------------ */

static const char *const statuses[KBJ_NSTATUS] = { "queued", "running", "completed", "failed", "cancelled",
                                                    "interrupted", "held" };

const char *kbj_status_name(int index)
{
    return index >= 0 && index < KBJ_NSTATUS ? statuses[index] : NULL;
}

static int valid_status(const char *s)
{
    for (size_t i = 0; i < KBJ_NSTATUS; i++)
        if (strcmp(s, statuses[i]) == 0)
            return 1;
    return 0;
}

/* A filter as SQL: the WHERE conditions with their parameters, and the LIKE patterns
 * the parameters point into (so they live as long as the statement's parameters). */
typedef struct filter_sql {
    char where[1024];
    kbj_val v[16];
    size_t k;
    char search_like[2 * KBJ_KEY_MAX + 2];
    char ukey_like[2 * KBJ_KEY_MAX + 2];
    const char *from; /* the state table when every condition is on its columns, else the view */
} filter_sql;

#define JOBS_VIEW "{p}kbjobs_jobs"
#define JOBS_STATE "{p}kbjobs_job_state"

static void where_add(filter_sql *q, const char *cond, kbj_val v)
{
    size_t off = strlen(q->where);
    snprintf(q->where + off, sizeof q->where - off, " AND %s", cond);
    q->v[q->k++] = v;
}

/* Checks a filter's fields: a known status, and a search text and unique-key prefix of
 * at most KBJ_KEY_MAX bytes of UTF-8. */
static int filter_check(kbj_engine *eng, const kbj_job_filter *f)
{
    if (f->status && !valid_status(f->status))
        return kbj_efail(eng, KBJ_EINVAL, "unknown status \"%.40s\"", f->status);
    if (f->backlog && f->backlog[0] && !kbj_valid_name(f->backlog))
        return kbj_efail(eng, KBJ_EINVAL, "backlog \"%.80s\" must be 1 to 64 characters of a-z, 0-9, '_', "
                         "'.' and '-'", f->backlog);
    if (f->search && (strlen(f->search) > KBJ_KEY_MAX ||
                      !kbj_utf8_valid((const unsigned char *)f->search, strlen(f->search))))
        return kbj_efail(eng, KBJ_EINVAL, "search must be at most %d bytes of UTF-8", KBJ_KEY_MAX);
    if (f->unique_key_prefix && (strlen(f->unique_key_prefix) > KBJ_KEY_MAX ||
                                 !kbj_utf8_valid((const unsigned char *)f->unique_key_prefix,
                                                 strlen(f->unique_key_prefix))))
        return kbj_efail(eng, KBJ_EINVAL, "unique_key_prefix must be at most %d bytes of UTF-8", KBJ_KEY_MAX);
    return KBJ_OK;
}

/* The filter's conditions (its status too unless `no_status`); limit and cursor are the
 * caller's. A search that is a job id matches that job only: ids are random, so a type
 * or key that starts with one is not what was meant. */
static void filter_build(const kbj_job_filter *f, int no_status, filter_sql *q)
{
    q->where[0] = '\0';
    q->k = 0;
    /* ids, lists and counts by status, queue, concurrency key and backlog read the state
     * alone (its indexes, without a row of the payload per job) */
    q->from = f->type || f->created_after > 0 || f->created_before > 0 || (f->search && f->search[0]) ||
              (f->unique_key_prefix && f->unique_key_prefix[0]) ? JOBS_VIEW : JOBS_STATE;
    if (f->status && !no_status)
        where_add(q, "status = ?", KBJ_VS(f->status));
    if (f->type)
        where_add(q, "type = ?", KBJ_VS(f->type));
    if (f->queue)
        where_add(q, "queue = ?", KBJ_VS(f->queue));
    if (f->concurrency_key)
        where_add(q, "concurrency_key = ?", KBJ_VS(f->concurrency_key));
    if (f->backlog && f->backlog[0])
        where_add(q, "backlog = ?", KBJ_VS(f->backlog));
    if (f->created_after > 0)
        where_add(q, "created_at >= " KBJ_SQL_EPOCH_PLUS, KBJ_VI(kbj_micros(f->created_after)));
    if (f->created_before > 0)
        where_add(q, "created_at < " KBJ_SQL_EPOCH_PLUS, KBJ_VI(kbj_micros(f->created_before)));
    if (f->search && f->search[0] && kbj_valid_id(f->search)) {
        where_add(q, "public_id = ?", KBJ_VS(f->search));
    } else if (f->search && f->search[0]) {
        kbj_sql_like_prefix(f->search, q->search_like, sizeof q->search_like);
        where_add(q, "(type LIKE ? ESCAPE '!' OR unique_key LIKE ? ESCAPE '!')", KBJ_VS(q->search_like));
        q->v[q->k++] = KBJ_VS(q->search_like);
    }
    if (f->unique_key_prefix && f->unique_key_prefix[0]) {
        kbj_sql_like_prefix(f->unique_key_prefix, q->ukey_like, sizeof q->ukey_like);
        where_add(q, "unique_key LIKE ? ESCAPE '!'", KBJ_VS(q->ukey_like));
    }
}

/* ---- list and counts ------------------------------------------------------------ */

typedef struct list_work {
    kbj_engine *eng;
    const kbj_job_filter *f;
    unsigned long long after;
    kbj_job ***out;
    size_t *n;
    char *next;
} list_work;

/* The views of the jobs whose row ids are the first `take` rows of `ids`, newest first. */
static int list_views(list_work *w, kbj_rows *ids, size_t take)
{
    char *ph = kbj_placeholders(take), *q;
    kbj_val *iv = calloc(take, sizeof *iv);
    size_t cap = strlen(JOB_COLUMNS) + 2 * take + 128;
    int rc;

    q = malloc(cap);
    if (!ph || !iv || !q) {
        free(ph);
        free(iv);
        free(q);
        return kbj_efail(w->eng, KBJ_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < take; i++)
        iv[i] = KBJ_VI(kbj_rows_int(ids, i, 0));
    snprintf(q, cap, "SELECT " JOB_COLUMNS " FROM {p}kbjobs_jobs WHERE id IN (%s) ORDER BY id DESC", ph);
    rc = kbj_jobs_query(w->eng, q, iv, take, w->out, w->n);
    free(q);
    free(ph);
    free(iv);
    return rc;
}

static int list_do(kbj_store *st, void *arg)
{
    list_work *w = arg;
    const kbj_job_filter *f = w->f;
    filter_sql q;
    char sql[1200];
    size_t limit = f->limit ? f->limit : 50, m, take;
    kbj_rows *ids = NULL;
    int rc;
    (void)st;

    /* First the page's ids (index-only where possible), then their views. */
    filter_build(f, 0, &q);
    if (w->after)
        where_add(&q, "id < ?", KBJ_VI(w->after));
    snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE 1=1%s ORDER BY id DESC LIMIT ?", q.from, q.where);
    q.v[q.k++] = KBJ_VI(limit + 1);

    w->next[0] = '\0';
    rc = kbj_store_query(w->eng->st, sql, q.v, q.k, &ids);
    if (rc)
        return rc;
    m = kbj_rows_count(ids);
    take = m > limit ? limit : m;
    if (take == 0) {
        kbj_rows_free(ids);
        *w->out = calloc(1, sizeof(kbj_job *));
        *w->n = 0;
        return *w->out ? KBJ_OK : kbj_efail(w->eng, KBJ_ENOMEM, "out of memory");
    }
    if (m > limit)
        snprintf(w->next, 32, "%lld", kbj_rows_int(ids, take - 1, 0));
    rc = list_views(w, ids, take);
    kbj_rows_free(ids);
    return rc;
}

int kbj_job_list(kbj_engine *eng, const kbj_job_filter *f, kbj_job ***out, size_t *n,
                 char next_cursor[32])
{
    kbj_job_filter none = { 0 };
    char scratch[32];
    list_work w = { eng, f ? f : &none, 0, out, n, next_cursor ? next_cursor : scratch };

    if (!eng || !out || !n)
        return KBJ_EINVAL;
    *out = NULL;
    *n = 0;
    if (w.f->limit > 1000)
        return kbj_efail(eng, KBJ_EINVAL, "limit %zu is out of range 1..1000", w.f->limit);
    if (filter_check(eng, w.f))
        return KBJ_EINVAL;
    if (w.f->cursor && w.f->cursor[0]) {
        char *end;
        unsigned long long c = strtoull(w.f->cursor, &end, 10);
        if (*end || c == 0 || w.f->cursor[0] == '-')
            return kbj_efail(eng, KBJ_EINVAL, "malformed cursor \"%.40s\"", w.f->cursor);
        w.after = c;
    }
    /* cleared only now: callers may pass the previous next_cursor as the cursor */
    w.next[0] = '\0';
    return kbj_store_do(eng->st, list_do, &w);
}

typedef struct count_work {
    kbj_engine *eng;
    const kbj_job_filter *f;
    unsigned long long upto;     /* row ids at most this; 0: any */
    unsigned long long counts[KBJ_NSTATUS];
    unsigned long long total;
} count_work;

static int count_do(kbj_store *st, void *arg)
{
    count_work *w = arg;
    filter_sql q;
    char sql[1200];
    kbj_rows *rows = NULL;
    int rc;

    filter_build(w->f, 0, &q);
    if (w->upto)
        where_add(&q, "id <= ?", KBJ_VI(w->upto));
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM %s WHERE 1=1%s", q.from, q.where);
    rc = kbj_store_query(st, sql, q.v, q.k, &rows);
    if (rc == KBJ_OK)
        w->total = (unsigned long long)kbj_rows_int(rows, 0, 0);
    kbj_rows_free(rows);
    return rc;
}

int kbj_job_count_upto(kbj_engine *eng, const kbj_job_filter *f, unsigned long long upto,
                       unsigned long long *count)
{
    kbj_job_filter none = { 0 };
    count_work w = { eng, f ? f : &none, upto, { 0 }, 0 };
    int rc;

    if (!eng || !count)
        return KBJ_EINVAL;
    *count = 0;
    if (filter_check(eng, w.f))
        return KBJ_EINVAL;
    rc = kbj_store_do(eng->st, count_do, &w);
    if (rc == KBJ_OK)
        *count = w.total;
    return rc;
}

int kbj_job_count(kbj_engine *eng, const kbj_job_filter *f, unsigned long long *count)
{
    return kbj_job_count_upto(eng, f, 0, count);
}

static int status_counts_do(kbj_store *st, void *arg)
{
    count_work *w = arg;
    filter_sql q;
    char sql[1200];
    kbj_rows *rows = NULL;
    int rc;

    filter_build(w->f, 1, &q);
    snprintf(sql, sizeof sql, "SELECT status, COUNT(*) FROM %s WHERE 1=1%s GROUP BY status", q.from, q.where);
    rc = kbj_store_query(st, sql, q.v, q.k, &rows);
    memset(w->counts, 0, sizeof w->counts);
    for (size_t i = 0; rc == KBJ_OK && i < kbj_rows_count(rows); i++)
        for (int s = 0; s < KBJ_NSTATUS; s++)
            if (strcmp(kbj_rows_str(rows, i, 0), statuses[s]) == 0)
                w->counts[s] = (unsigned long long)kbj_rows_int(rows, i, 1);
    kbj_rows_free(rows);
    return rc;
}

int kbj_job_status_counts(kbj_engine *eng, const kbj_job_filter *f, unsigned long long counts[KBJ_NSTATUS])
{
    kbj_job_filter none = { 0 };
    count_work w = { eng, f ? f : &none, 0, { 0 }, 0 };
    int rc;

    if (!eng || !counts)
        return KBJ_EINVAL;
    memset(counts, 0, KBJ_NSTATUS * sizeof *counts);
    /* the status is what is counted: a filter's own status does not narrow it */
    none = *w.f;
    none.status = NULL;
    w.f = &none;
    if (filter_check(eng, w.f))
        return KBJ_EINVAL;
    rc = kbj_store_do(eng->st, status_counts_do, &w);
    if (rc == KBJ_OK)
        memcpy(counts, w.counts, sizeof w.counts);
    return rc;
}

int kbj_count_rows(kbj_store *st, const char *from_where, const kbj_val *params, size_t n, int flags,
                   unsigned long long *count, int *how)
{
    char sql[1400];
    kbj_rows *rows = NULL;
    int rc, est = 0;

    *how = KBJ_COUNT_EXACT;
    if (!(flags & KBJ_COUNT_FLAG_EXACT)) {
        rc = kbj_store_count_upto(st, from_where, params, n, KBJ_COUNT_CAP, count, &est);
        *how = est ? KBJ_COUNT_ESTIMATED : KBJ_COUNT_EXACT;
        return rc;
    }
    *count = 0;
    if (snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM %s", from_where) >= (int)sizeof sql)
        return kbj_fail(kbj_store_err(st), KBJ_EINVAL, "count query too long");
    if ((rc = kbj_store_query(st, sql, params, n, &rows)))
        return rc;
    *count = (unsigned long long)kbj_rows_int(rows, 0, 0);
    kbj_rows_free(rows);
    return KBJ_OK;
}

int kbj_table_rows_estimate(kbj_store *st, const char *table, unsigned long long *rows_out)
{
    char sql[256];
    kbj_rows *rows = NULL;
    long long r;
    int rc;

    *rows_out = 0;
    snprintf(sql, sizeof sql, "EXPLAIN SELECT 1 FROM %s", table);
    if ((rc = kbj_store_query(st, sql, NULL, 0, &rows)))
        return rc;
    r = kbj_rows_count(rows) ? kbj_rows_int(rows, 0, 8) : 0; /* "rows" is the 9th column */
    kbj_rows_free(rows);
    *rows_out = r > 0 ? (unsigned long long)r : 0;
    return KBJ_OK;
}

typedef struct bounded_work {
    kbj_engine *eng;
    const kbj_job_filter *f;
    unsigned long long counts[KBJ_NSTATUS];
    int how[KBJ_NSTATUS];
} bounded_work;

/* Each status on its own: "status = ?" first, so the claim index's range is one status
 * (and one queue, with a queue filter) and the count stops at the cap. */
static int bounded_counts_do(kbj_store *st, void *arg)
{
    bounded_work *w = arg;
    filter_sql q;
    char from[1200];
    kbj_val v[17];
    int queue_only, unfiltered, top = -1;
    unsigned long long others = 0, table = 0;
    int rc;

    filter_build(w->f, 1, &q);
    unfiltered = q.k == 0;
    queue_only = q.k == 1 && w->f->queue && w->f->queue[0];
    snprintf(from, sizeof from, "%s WHERE status = ?%s", q.from, q.where);
    memcpy(v + 1, q.v, q.k * sizeof *v);
    for (int s = 0; s < KBJ_NSTATUS; s++) {
        v[0] = KBJ_VS(statuses[s]);
        if ((rc = kbj_count_rows(st, from, v, q.k + 1, 0, &w->counts[s], &w->how[s])))
            return rc;
        if (w->how[s] == KBJ_COUNT_ESTIMATED && !unfiltered && !queue_only) {
            /* the estimate is of the index range the optimizer chose, not of the
             * filter's matches: say only what the rows read prove */
            w->how[s] = KBJ_COUNT_MORE;
            w->counts[s] = KBJ_COUNT_CAP + 1;
        }
        if (w->how[s] == KBJ_COUNT_ESTIMATED && (top < 0 || w->counts[s] > w->counts[top]))
            top = s;
    }
    if (!unfiltered || top < 0)
        return KBJ_OK;
    /* InnoDB caps a range's estimate at half the table: the largest status (completed,
     * on a site that has run a million jobs) is the table's size less the others */
    if ((rc = kbj_table_rows_estimate(st, JOBS_STATE, &table)))
        return rc;
    for (int s = 0; s < KBJ_NSTATUS; s++)
        if (s != top)
            others += w->counts[s];
    if (table > others && table - others > w->counts[top])
        w->counts[top] = table - others;
    return KBJ_OK;
}

int kbj_job_status_counts_opt(kbj_engine *eng, const kbj_job_filter *f, int flags,
                              unsigned long long counts[KBJ_NSTATUS], int how[KBJ_NSTATUS])
{
    kbj_job_filter none = { 0 };
    bounded_work w;
    int rc;

    if (!eng || !counts)
        return KBJ_EINVAL;
    memset(counts, 0, KBJ_NSTATUS * sizeof *counts);
    if (how)
        memset(how, 0, KBJ_NSTATUS * sizeof *how);
    if (flags & KBJ_COUNT_FLAG_EXACT)
        return kbj_job_status_counts(eng, f, counts);
    if (f)
        none = *f;
    none.status = NULL; /* the status is what is counted */
    if (filter_check(eng, &none))
        return KBJ_EINVAL;
    memset(&w, 0, sizeof w);
    w.eng = eng;
    w.f = &none;
    rc = kbj_store_do(eng->st, bounded_counts_do, &w);
    if (rc == KBJ_OK) {
        memcpy(counts, w.counts, sizeof w.counts);
        if (how)
            memcpy(how, w.how, sizeof w.how);
    }
    return rc;
}

/* ---- walking a filter in row-id order (the bulk job) ------------------------------ */

typedef struct walk_work {
    kbj_engine *eng;
    const kbj_job_filter *f;
    unsigned long long after, upto;
    size_t limit;
    kbj_job_ref *out;
    size_t n;
} walk_work;

static int walk_do(kbj_store *st, void *arg)
{
    walk_work *w = arg;
    filter_sql q;
    char sql[1200];
    kbj_rows *rows = NULL;
    int rc;

    filter_build(w->f, 0, &q);
    where_add(&q, "id > ?", KBJ_VI(w->after));
    where_add(&q, "id <= ?", KBJ_VI(w->upto));
    snprintf(sql, sizeof sql, "SELECT id, public_id FROM {p}kbjobs_jobs WHERE 1=1%s ORDER BY id LIMIT ?", q.where);
    q.v[q.k++] = KBJ_VI(w->limit);
    w->n = 0;
    rc = kbj_store_query(st, sql, q.v, q.k, &rows);
    for (size_t i = 0; rc == KBJ_OK && i < kbj_rows_count(rows); i++) {
        w->out[i].pk = (unsigned long long)kbj_rows_int(rows, i, 0);
        kbj_copy(w->out[i].id, sizeof w->out[i].id, kbj_rows_str(rows, i, 1));
        w->n++;
    }
    kbj_rows_free(rows);
    return rc;
}

int kbj_job_walk(kbj_engine *eng, const kbj_job_filter *f, unsigned long long after, unsigned long long upto,
                 kbj_job_ref *out, size_t limit, size_t *n)
{
    kbj_job_filter none = { 0 };
    walk_work w = { eng, f ? f : &none, after, upto, limit, out, 0 };
    int rc;

    *n = 0;
    if (filter_check(eng, w.f))
        return KBJ_EINVAL;
    if (limit == 0 || after >= upto)
        return KBJ_OK;
    rc = kbj_store_do(eng->st, walk_do, &w);
    if (rc == KBJ_OK)
        *n = w.n;
    return rc;
}

static int max_pk_do(kbj_store *st, void *arg)
{
    unsigned long long *max = arg;
    kbj_rows *rows = NULL;
    int rc = kbj_store_query(st, "SELECT COALESCE(MAX(id), 0) FROM {p}kbjobs_jobs", NULL, 0, &rows);
    if (rc == KBJ_OK)
        *max = (unsigned long long)kbj_rows_int(rows, 0, 0);
    kbj_rows_free(rows);
    return rc;
}

int kbj_job_max_pk(kbj_engine *eng, unsigned long long *max)
{
    *max = 0;
    return kbj_store_do(eng->st, max_pk_do, max);
}

/* ---- lifecycle ------------------------------------------------------------------ */

typedef struct op_work {
    kbj_engine *eng;
    const char *id;
    int *flag;
    char *new_id;
} op_work;

/* Locks a job row and reads its status; KBJ_ENOTFOUND when missing. */
static int lock_job(kbj_engine *eng, const char *id, unsigned long long *pk, char status[16])
{
    kbj_rows *rows = NULL;
    int rc = kbj_store_query(eng->st, "SELECT id, status FROM {p}kbjobs_jobs WHERE public_id = ? FOR UPDATE",
                             (kbj_val[]){ KBJ_VS(id) }, 1, &rows);
    if (rc)
        return rc;
    if (kbj_rows_count(rows) == 0) {
        kbj_rows_free(rows);
        return kbj_efail(eng, KBJ_ENOTFOUND, "no job %s", id);
    }
    *pk = (unsigned long long)kbj_rows_int(rows, 0, 0);
    kbj_copy(status, 16, kbj_rows_str(rows, 0, 1));
    kbj_rows_free(rows);
    return KBJ_OK;
}

static int cancel_tx(kbj_store *st, void *arg)
{
    op_work *w = arg;
    unsigned long long pk;
    char status[16];
    int rc = lock_job(w->eng, w->id, &pk, status);
    if (rc)
        return rc;
    if (strcmp(status, "queued") == 0 || strcmp(status, "interrupted") == 0 || strcmp(status, "held") == 0) {
        *w->flag = 0;
        rc = kbj_store_exec(st, "UPDATE {p}kbjobs_job_state SET status = 'cancelled', finished_at = NOW(6),"
                            " updated_at = NOW(6) WHERE id = ?", (kbj_val[]){ KBJ_VI(pk) }, 1, NULL);
        return rc ? rc : kbj_store_exec(st, "UPDATE {p}kbjobs_job_data SET uniq_active = NULL WHERE id = ?",
                                        (kbj_val[]){ KBJ_VI(pk) }, 1, NULL);
    }
    if (strcmp(status, "running") == 0) {
        *w->flag = 1;
        return kbj_store_exec(st, "UPDATE {p}kbjobs_job_state SET cancel_requested = 1, updated_at = NOW(6)"
                              " WHERE id = ?", (kbj_val[]){ KBJ_VI(pk) }, 1, NULL);
    }
    return kbj_efail(w->eng, KBJ_ECONFLICT, "job %s is %s: only held, queued, running or interrupted "
                     "jobs can be cancelled", w->id, status);
}

/*
 * A job split into parts (an import's ranges) owns jobs whose unique key is
 * "<its id>/range/<n>": cancelling or resuming it does the same to them. Parts already
 * in the target state, or in a state the operation does not apply to, are left alone.
 */
int kbj_job_cascade(kbj_engine *eng, const char *id, int resume)
{
    char prefix[KBJ_ID_LEN + 16];
    kbj_rows *rows = NULL;
    int rc;

    snprintf(prefix, sizeof prefix, "%s/range/%%", id);
    rc = kbj_store_query(eng->st, "SELECT public_id, status FROM {p}kbjobs_jobs WHERE unique_key LIKE ?",
                         (kbj_val[]){ KBJ_VS(prefix) }, 1, &rows);
    for (size_t i = 0; rc == KBJ_OK && i < kbj_rows_count(rows); i++) {
        const char *child = kbj_rows_str(rows, i, 0), *st = kbj_rows_str(rows, i, 1);
        if (resume && (!strcmp(st, "failed") || !strcmp(st, "cancelled") || !strcmp(st, "interrupted")))
            rc = kbj_job_resume(eng, child);
        else if (!resume && (!strcmp(st, "queued") || !strcmp(st, "running") || !strcmp(st, "interrupted") ||
                             !strcmp(st, "held")))
            rc = kbj_job_cancel(eng, child, NULL);
        if (rc == KBJ_ECONFLICT) /* it changed state meanwhile */
            rc = KBJ_OK;
    }
    kbj_rows_free(rows);
    return rc;
}

int kbj_job_cancel(kbj_engine *eng, const char *id, int *was_running)
{
    int flag = 0, rc;
    op_work w = { eng, id, &flag, NULL };
    if (!eng)
        return KBJ_EINVAL;
    if (!kbj_valid_id(id))
        return bad_id(eng, id);
    rc = kbj_store_tx(eng->st, cancel_tx, &w);
    if (rc == KBJ_OK)
        rc = kbj_job_cascade(eng, id, 0);
    if (was_running)
        *was_running = flag;
    return rc;
}

static int resume_tx(kbj_store *st, void *arg)
{
    op_work *w = arg;
    unsigned long long pk;
    char status[16];
    int rc = lock_job(w->eng, w->id, &pk, status);
    if (rc)
        return rc;
    if (strcmp(status, "interrupted") && strcmp(status, "cancelled") && strcmp(status, "failed"))
        return kbj_efail(w->eng, KBJ_ECONFLICT, "job %s is %s: only interrupted, cancelled or failed "
                         "jobs can be resumed", w->id, status);
    rc = kbj_store_exec(st, KBJ_REQUEUE_SET " WHERE s.id = ?", (kbj_val[]){ KBJ_VI(pk) }, 1, NULL);
    if (rc == KBJ_EDB && kbj_store_errno(st) == 1062)
        return kbj_efail(w->eng, KBJ_ECONFLICT, "job %s cannot resume: another active job holds its "
                         "unique key", w->id);
    if (rc)
        return rc;
    return kbj_store_exec(st, "DELETE FROM {p}kbjobs_failures WHERE job_id = ?",
                          (kbj_val[]){ KBJ_VI(pk) }, 1, NULL);
}

int kbj_job_resume(kbj_engine *eng, const char *id)
{
    op_work w = { eng, id, NULL, NULL };
    int rc;
    if (!eng)
        return KBJ_EINVAL;
    if (!kbj_valid_id(id))
        return bad_id(eng, id);
    rc = kbj_store_tx(eng->st, resume_tx, &w);
    if (rc == KBJ_OK)
        rc = kbj_job_cascade(eng, id, 1);
    if (rc == KBJ_OK)
        kbj_wake_jobs(eng);
    return rc;
}

/* What a rerun of `o` submits: its type, params, queue, priority and policies, and its
 * resources (parsed into res[]; *rs holds their strings: json_decref it after use).
 * The unique key stays with the original: a retained key would return it. */
static void rerun_submit(const kbj_job *o, kbj_submit *s, kbj_resource res[KBJ_MAX_RESOURCES], json_t **rs)
{
    size_t nres = 0;

    memset(s, 0, sizeof *s);
    s->type = o->type;
    s->params = o->params;
    s->queue = o->queue;
    s->priority = o->priority;
    s->max_attempts = o->max_attempts;
    s->backoff = o->backoff;
    s->on_expiry = o->on_expiry;
    s->concurrency_key = o->concurrency_key;
    *rs = o->resources ? json_loads(o->resources, 0, NULL) : NULL;
    for (size_t r = 0; json_is_array(*rs) && r < json_array_size(*rs) && nres < KBJ_MAX_RESOURCES; r++) {
        json_t *e = json_array_get(*rs, r);
        res[nres].name = json_string_value(json_object_get(e, "name"));
        res[nres].op = json_string_value(json_object_get(e, "op"));
        if (res[nres].name)
            nres++;
    }
    s->resources = nres ? res : NULL;
    s->nresources = nres;
}

static int rerun_tx(kbj_store *st, void *arg)
{
    op_work *w = arg;
    kbj_job **jobs = NULL;
    size_t n;
    int rc;
    (void)st;

    rc = kbj_jobs_query(w->eng, "SELECT " JOB_COLUMNS " FROM {p}kbjobs_jobs WHERE public_id = ?",
                        (kbj_val[]){ KBJ_VS(w->id) }, 1, &jobs, &n);
    if (rc)
        return rc;
    if (n == 0) {
        kbj_jobs_free(jobs, n);
        return kbj_efail(w->eng, KBJ_ENOTFOUND, "no job %s", w->id);
    }
    if (strcmp(jobs[0]->status, "queued") == 0 || strcmp(jobs[0]->status, "running") == 0 ||
        strcmp(jobs[0]->status, "held") == 0) {
        rc = kbj_efail(w->eng, KBJ_ECONFLICT, "job %s is %s: only finished or interrupted jobs can be "
                       "rerun", w->id, jobs[0]->status);
    } else {
        kbj_submit s;
        kbj_resource res[KBJ_MAX_RESOURCES];
        json_t *rs;
        prepared p;
        int existed;
        rerun_submit(jobs[0], &s, res, &rs);
        rc = prepare_job(w->eng, &s, (size_t)-1, &p);
        if (rc == KBJ_OK)
            rc = insert_one(w->eng, &p, jobs[0]->id, w->new_id, &existed);
        free(p.params);
        json_decref(rs);
    }
    kbj_jobs_free(jobs, n);
    return rc;
}

int kbj_jobs_rerun_tx(kbj_engine *eng, kbj_job *const *orig, size_t n, char (*new_ids)[KBJ_ID_LEN + 1])
{
    prepared *jobs = calloc(n ? n : 1, sizeof *jobs);
    const char **of = calloc(n ? n : 1, sizeof *of);
    char (*ids)[KBJ_ID_LEN + 1] = calloc(n ? n : 1, sizeof *ids);
    int *existed = calloc(n ? n : 1, sizeof *existed);
    size_t *at = calloc(n ? n : 1, sizeof *at), m = 0;
    int rc = KBJ_OK;

    if (!jobs || !of || !ids || !existed || !at) {
        rc = kbj_efail(eng, KBJ_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        kbj_submit s;
        kbj_resource res[KBJ_MAX_RESOURCES];
        json_t *rs;
        new_ids[i][0] = '\0';
        rerun_submit(orig[i], &s, res, &rs);
        /* res[] lives for this iteration only: a job with resources is inserted now, the
         * others go into multi-row INSERTs below */
        if (prepare_job(eng, &s, (size_t)-1, &jobs[m]) != KBJ_OK) {
            /* its type's schema now refuses its params: no new id, the caller counts it
             * skipped, and the batch goes on */
            free(jobs[m].params);
            memset(&jobs[m], 0, sizeof jobs[m]);
            kbj_store_err(eng->st)->msg[0] = '\0';
        } else if (s.nresources) {
            rc = insert_one(eng, &jobs[m], orig[i]->id, new_ids[i], &existed[0]);
            free(jobs[m].params);
            memset(&jobs[m], 0, sizeof jobs[m]);
        } else {
            of[m] = orig[i]->id;
            at[m++] = i;
        }
        json_decref(rs);
        if (rc)
            goto out;
    }
    {
        submit_work w = { eng, jobs, m, ids, existed, of, 0 };
        rc = m ? submit_tx(eng->st, &w) : KBJ_OK;
    }
    for (size_t k = 0; rc == KBJ_OK && k < m; k++)
        kbj_copy(new_ids[at[k]], KBJ_ID_LEN + 1, ids[k]);
out:
    for (size_t k = 0; jobs && k < m; k++)
        free(jobs[k].params);
    free(jobs);
    free(of);
    free(ids);
    free(existed);
    free(at);
    return rc;
}

int kbj_job_rerun(kbj_engine *eng, const char *id, char new_id[KBJ_ID_LEN + 1])
{
    op_work w = { eng, id, NULL, new_id };
    int rc;
    if (!eng || !new_id)
        return KBJ_EINVAL;
    if (!kbj_valid_id(id))
        return bad_id(eng, id);
    rc = kbj_store_tx(eng->st, rerun_tx, &w);
    if (rc == KBJ_OK)
        kbj_wake_jobs(eng);
    return rc;
}

void kbj_attempts_free(kbj_attempt *a, size_t n)
{
    for (size_t i = 0; a && i < n; i++)
        free(a[i].error);
    free(a);
}

typedef struct attempts_work {
    kbj_engine *eng;
    const char *id;
    kbj_attempt **out;
    size_t *n;
} attempts_work;

static int attempt_from_row(void *elem, const kbj_rows *rows, size_t i, void *arg)
{
    kbj_attempt *a = elem;
    (void)arg;
    a->attempt = (int)kbj_rows_int(rows, i, 0);
    kbj_copy(a->outcome, sizeof a->outcome, kbj_rows_str(rows, i, 1));
    kbj_copy(a->runner, sizeof a->runner, kbj_rows_str(rows, i, 2));
    a->started_at = kbj_dbtime(kbj_rows_str(rows, i, 3));
    a->finished_at = kbj_dbtime(kbj_rows_str(rows, i, 4));
    a->error = kbj_rows_str(rows, i, 5) ? strdup(kbj_rows_str(rows, i, 5)) : NULL;
    return kbj_rows_str(rows, i, 5) && !a->error ? -1 : 0;
}

static void attempts_clear(void *a, size_t n)
{
    kbj_attempts_free(a, n);
}

static int attempts_do(kbj_store *st, void *arg)
{
    attempts_work *w = arg;
    kbj_rows *rows = NULL;
    int rc = kbj_store_query(st, "SELECT a.attempt, a.outcome, a.runner, UNIX_TIMESTAMP(a.started_at),"
                             " UNIX_TIMESTAMP(a.finished_at), a.error FROM {p}kbjobs_attempts a"
                             " JOIN {p}kbjobs_jobs j ON j.id = a.job_id WHERE j.public_id = ?"
                             " ORDER BY a.finished_at, a.attempt",
                             (kbj_val[]){ KBJ_VS(w->id) }, 1, &rows);
    if (rc)
        return rc;
    rc = kbj_rows_to_array(rows, sizeof(kbj_attempt), attempt_from_row, attempts_clear, NULL, (void **)w->out, w->n);
    return rc ? kbj_efail(w->eng, KBJ_ENOMEM, "out of memory") : KBJ_OK;
}

int kbj_job_attempts(kbj_engine *eng, const char *id, kbj_attempt **out, size_t *n)
{
    attempts_work w = { eng, id, out, n };
    if (!eng || !out || !n)
        return KBJ_EINVAL;
    *out = NULL;
    *n = 0;
    if (!kbj_valid_id(id))
        return bad_id(eng, id);
    return kbj_store_do(eng->st, attempts_do, &w);
}

/* ---- retention ---------------------------------------------------------------- */

typedef struct retention_work {
    kbj_engine *eng;
    unsigned days;
    size_t limit;
    int dry_run;
    unsigned long long after;    /* dry runs: the last row id seen */
    size_t deleted;              /* this batch */
    char (*ids)[KBJ_ID_LEN + 1]; /* this batch's public ids, for their files */
} retention_work;

#define RETENTION_BATCH 500

static int retention_tx(kbj_store *st, void *arg)
{
    retention_work *w = arg;
    kbj_rows *rows = NULL;
    kbj_val *v;
    char *ph, *sql;
    size_t m;
    int rc;

    w->deleted = 0;
    if (w->dry_run)
        rc = kbj_store_query(st, "SELECT id, public_id FROM {p}kbjobs_jobs"
                             " WHERE status IN ('completed', 'failed', 'cancelled')"
                             " AND finished_at < NOW(6) - INTERVAL ? DAY AND id > ? ORDER BY id LIMIT ?",
                             (kbj_val[]){ KBJ_VI(w->days), KBJ_VI(w->after), KBJ_VI(w->limit) }, 3, &rows);
    else
        rc = kbj_store_query(st, "SELECT id, public_id FROM {p}kbjobs_jobs"
                             " WHERE status IN ('completed', 'failed', 'cancelled')"
                             " AND finished_at < NOW(6) - INTERVAL ? DAY ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED",
                             (kbj_val[]){ KBJ_VI(w->days), KBJ_VI(w->limit) }, 2, &rows);
    if (rc)
        return rc;
    m = kbj_rows_count(rows);
    if (m == 0 || w->dry_run) {
        for (size_t i = 0; i < m; i++) {
            kbj_copy(w->ids[i], KBJ_ID_LEN + 1, kbj_rows_str(rows, i, 1));
            w->after = (unsigned long long)kbj_rows_int(rows, i, 0);
        }
        w->deleted = m;
        kbj_rows_free(rows);
        return KBJ_OK;
    }
    v = calloc(m, sizeof *v);
    ph = kbj_placeholders(m);
    sql = malloc(2 * m + 128);
    if (!v || !ph || !sql) {
        kbj_rows_free(rows);
        free(v);
        free(ph);
        free(sql);
        return kbj_efail(w->eng, KBJ_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < m; i++) {
        v[i] = KBJ_VI(kbj_rows_int(rows, i, 0));
        kbj_copy(w->ids[i], KBJ_ID_LEN + 1, kbj_rows_str(rows, i, 1));
    }
    kbj_rows_free(rows);
    static const char *const tables[] = {
        "DELETE FROM {p}kbjobs_attempts WHERE job_id IN (%s)",
        "DELETE FROM {p}kbjobs_failures WHERE job_id IN (%s)",
        "DELETE FROM {p}kbjobs_keys WHERE job_id IN (%s)",
        "DELETE FROM {p}kbjobs_resources WHERE job_id IN (%s)",
        "DELETE FROM {p}kbjobs_job_state WHERE id IN (%s)",
        "DELETE FROM {p}kbjobs_job_data WHERE id IN (%s)",
    };
    for (size_t t = 0; t < sizeof tables / sizeof tables[0] && rc == KBJ_OK; t++) {
        snprintf(sql, 2 * m + 128, tables[t], ph);
        rc = kbj_store_exec(st, sql, v, m, NULL);
    }
    free(v);
    free(ph);
    free(sql);
    if (rc == KBJ_OK)
        w->deleted = m;
    return rc;
}

int kbj_retention_batch(kbj_engine *eng, unsigned days, size_t limit, int dry_run, unsigned long long *after,
                        char (*ids)[KBJ_ID_LEN + 1], size_t *n)
{
    retention_work w = { eng, days, limit, dry_run, after ? *after : 0, 0, ids };
    int rc;
    if (n)
        *n = 0;
    if (!eng || !ids || !n)
        return KBJ_EINVAL;
    if (days > 36500)
        return kbj_efail(eng, KBJ_EINVAL, "retention of %u days is out of range", days);
    if (limit < 1 || limit > 10000)
        return kbj_efail(eng, KBJ_EINVAL, "batch %zu is out of range 1..10000", limit);
    rc = dry_run ? kbj_store_do(eng->st, retention_tx, &w) : kbj_store_tx(eng->st, retention_tx, &w);
    if (rc == KBJ_OK) {
        *n = w.deleted;
        if (after)
            *after = w.after;
    }
    return rc;
}

int kbj_retention(kbj_engine *eng, unsigned days, size_t *deleted)
{
    char (*ids)[KBJ_ID_LEN + 1];
    size_t total = 0, n = 0;
    int rc = KBJ_OK;

    if (!eng)
        return KBJ_EINVAL;
    if (days > 36500)
        return kbj_efail(eng, KBJ_EINVAL, "retention of %u days is out of range", days);
    ids = calloc(RETENTION_BATCH, sizeof *ids);
    if (!ids)
        return kbj_efail(eng, KBJ_ENOMEM, "out of memory");
    do {
        kbj_job_files_result files = { 0 };
        rc = kbj_retention_batch(eng, days, RETENTION_BATCH, 0, NULL, ids, &n);
        /* Rows first, then files (logs, reports, checkpoints, lists not shared with a
         * rerun): a crash in between leaves only unreferenced files, which
         * reconciliation finds; never a row whose log is gone. */
        if (rc == KBJ_OK && n)
            rc = kbj_job_files_drop(eng, ids, n, 0, &files);
        total += n;
    } while (rc == KBJ_OK && n == RETENTION_BATCH);
    free(ids);
    if (deleted)
        *deleted = total;
    return rc;
}

/* ---- rate and ETA ----------------------------------------------------------------- */

double kbj_job_rate(const kbj_job *j)
{
    double span;
    if (!j || j->started_at <= 0 || j->progress_at <= 0 || j->progress_done <= 0)
        return -1;
    span = j->progress_at - j->started_at;
    return span > 0 ? (double)j->progress_done / span : -1;
}

double kbj_job_eta(const kbj_job *j)
{
    double r;
    if (!j)
        return -1;
    if (strcmp(j->status, "completed") == 0)
        return 0;
    r = kbj_job_rate(j);
    if (r <= 0 || j->progress_total <= 0)
        return -1;
    return j->progress_total > j->progress_done ? (double)(j->progress_total - j->progress_done) / r : 0.0;
}
