/*
 * lease.c - claims, leases with fencing tokens, and the writes a runner makes while it
 * holds a job: heartbeat, progress, title, metrics, complete, fail, cancelled, release,
 * and the reaper that takes back expired leases.
 *
 * Every write after the claim names the job and its lease token and changes nothing
 * unless the job is still running under that token: once a lease is lost (expired and
 * reaped, or the job resumed elsewhere), the old holder is fenced out (KBJ_ELEASE).
 * All times come from the database clock (NOW(6)).
 */
#include "internal.h"
#include "utf8.h"
#include "fsutil.h"
#include "joblog.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* A job's claim state is a row of kbjobs_job_state, its payload a row of kbjobs_job_data
 * (schema_split.c): claims and completions write the state; what a job keeps (results,
 * errors, progress, metrics) goes to the data row, fenced by the state row's token. */
#define STATE "{p}kbjobs_job_state"
#define DATA "{p}kbjobs_job_data"
#define FENCE " WHERE id = ? AND lease_token = ? AND status = 'running'"
#define DATA_FENCED " " DATA " d JOIN " STATE " s ON s.id = d.id"
#define FENCE_S " WHERE s.id = ? AND s.lease_token = ? AND s.status = 'running'"

void kbj_leases_free(kbj_lease *leases, size_t n)
{
    for (size_t i = 0; leases && i < n; i++) {
        free(leases[i].params);
        free(leases[i].concurrency_key);
    }
    free(leases);
}

long long kbj_new_token(void)
{
    unsigned long long t = 0;
    if (getrandom(&t, sizeof t, 0) != (ssize_t)sizeof t)
        t = (unsigned long long)time(NULL) ^ ((unsigned long long)getpid() << 32) ^ (unsigned long long)clock();
    t &= 0x7fffffffffffffffULL;
    return t ? (long long)t : 1;
}

/* ---- claim -------------------------------------------------------------------- */

typedef struct claim_work {
    kbj_engine *eng;
    const char *runner;
    const char *const *queues;
    size_t nqueues, max;
    kbj_lease *out;
    size_t n;
    long long last_token;   /* the token of this claim's last run (0 before the first) */
} claim_work;

/* What a lease needs of claimed jobs (state and payload, read without locks: the state
 * rows are this claim's, the payload does not change while a job runs), by a condition
 * on the state row `s`. */
#define CLAIMED_SELECT                                                                 \
    "SELECT s.id, s.concurrency_key,"                                                  \
    " EXISTS (SELECT 1 FROM {p}kbjobs_resources r WHERE r.job_id = s.id),"             \
    " d.public_id, d.type, s.queue, d.params, s.attempts - 1, d.max_attempts, d.backoff," \
    " d.backoff_base_ms, d.backoff_cap_ms, d.backoff_jitter, d.progress_done,"          \
    " d.progress_total,"                                                               \
    " TIMESTAMPDIFF(MICROSECOND, GREATEST(s.run_at, d.created_at), s.started_at),"      \
    " d.uniq_active IS NOT NULL"                                                       \
    " FROM " STATE " s JOIN " DATA " d ON d.id = s.id WHERE "

/* The due jobs of a queue, locked (rows other claims hold are skipped): the state table
 * only. */
#define CLAIM_SELECT                                                                   \
    "SELECT s.id, s.concurrency_key,"                                                  \
    " EXISTS (SELECT 1 FROM {p}kbjobs_resources r WHERE r.job_id = s.id)"              \
    " FROM " STATE " s"                                                                \
    " WHERE s.status = 'queued' AND s.queue = ? AND s.run_at <= NOW(6)"                \
    " AND (s.concurrency_key IS NULL OR NOT EXISTS"                                    \
    " (SELECT 1 FROM {p}kbjobs_keys k WHERE k.ckey = s.concurrency_key))"              \
    " AND NOT EXISTS (SELECT 1 FROM {p}kbjobs_resources r JOIN {p}kbjobs_keys k"       \
    " ON k.ckey = CONCAT('res:', r.name) WHERE r.job_id = s.id)"                        \
    " ORDER BY s.priority, s.run_at, s.id LIMIT ? FOR UPDATE SKIP LOCKED"

/* Takes the guard rows of a job's concurrency key and resources. 1 when all were free
 * (now held), 0 when one was busy (none held), or an error. */
static int take_keys(kbj_store *st, long long pk, const char *key, int has_resources)
{
    unsigned long long got = 0;
    int rc;
    if (has_resources) {
        unsigned long long want = 0;
        kbj_rows *rows = NULL;
        rc = kbj_store_query(st, "SELECT COUNT(*) FROM {p}kbjobs_resources WHERE job_id = ?",
                             (kbj_val[]){ KBJ_VI(pk) }, 1, &rows);
        if (rc)
            return rc;
        want = (unsigned long long)kbj_rows_int(rows, 0, 0);
        kbj_rows_free(rows);
        rc = kbj_store_exec(st, "INSERT IGNORE INTO {p}kbjobs_keys (ckey, job_id)"
                            " SELECT CONCAT('res:', name), job_id FROM {p}kbjobs_resources WHERE job_id = ?",
                            (kbj_val[]){ KBJ_VI(pk) }, 1, &got);
        if (rc)
            return rc;
        if (got < want)
            goto busy;
    }
    if (key) {
        rc = kbj_store_exec(st, "INSERT IGNORE INTO {p}kbjobs_keys (ckey, job_id) VALUES (?, ?)",
                            (kbj_val[]){ KBJ_VS(key), KBJ_VI(pk) }, 2, &got);
        if (rc)
            return rc;
        if (got == 0)
            goto busy;
    }
    return 1;
busy:
    rc = kbj_store_exec(st, "DELETE FROM {p}kbjobs_keys WHERE job_id = ?", (kbj_val[]){ KBJ_VI(pk) }, 1, NULL);
    return rc ? rc : 0;
}

const char *kbj_claim_sql(void)
{
    return CLAIM_SELECT;
}

/* Fills a lease from a CLAIMED_SELECT row. */
static int lease_from_row(kbj_lease *l, const kbj_rows *rows, size_t i, long long token)
{
    l->pk = (unsigned long long)kbj_rows_int(rows, i, 0);
    l->concurrency_key = kbj_rows_str(rows, i, 1) ? strdup(kbj_rows_str(rows, i, 1)) : NULL;
    l->has_resources = (int)kbj_rows_int(rows, i, 2);
    kbj_copy(l->id, sizeof l->id, kbj_rows_str(rows, i, 3));
    kbj_copy(l->type, sizeof l->type, kbj_rows_str(rows, i, 4));
    kbj_copy(l->queue, sizeof l->queue, kbj_rows_str(rows, i, 5));
    l->params = strdup(kbj_rows_str(rows, i, 6) ? kbj_rows_str(rows, i, 6) : "{}");
    l->attempts = (int)kbj_rows_int(rows, i, 7) + 1; /* this claim's attempt */
    l->max_attempts = (int)kbj_rows_int(rows, i, 8);
    l->backoff.kind = (kbj_backoff_kind)kbj_backoff_parse(kbj_rows_str(rows, i, 9));
    l->backoff.base_ms = (unsigned)kbj_rows_int(rows, i, 10);
    l->backoff.cap_ms = (unsigned)kbj_rows_int(rows, i, 11);
    l->backoff.jitter = kbj_dbtime(kbj_rows_str(rows, i, 12));
    l->progress_done = kbj_rows_int(rows, i, 13);
    l->progress_total = kbj_rows_int(rows, i, 14);
    /* the wait is measured by the database's clock, at the claim */
    l->wait_ms = kbj_rows_int(rows, i, 15) / 1000.0;
    if (l->wait_ms < 0)
        l->wait_ms = 0;
    l->has_unique = (int)kbj_rows_int(rows, i, 16);
    l->token = token;
    return l->params && (!kbj_rows_str(rows, i, 1) || l->concurrency_key) ? KBJ_OK : KBJ_ENOMEM;
}

/* The leases of the jobs claimed under `token`, read by CLAIMED_SELECT with `cond` (on
 * state row s) and its values; in the order of `order` (the claim's, n ids) when given,
 * else in id order. */
static int read_claimed(claim_work *w, kbj_store *st, const char *cond, const kbj_val *v, size_t nv,
                        const unsigned long long *order, size_t n, long long token)
{
    kbj_rows *rows = NULL;
    size_t cap = strlen(CLAIMED_SELECT) + strlen(cond) + 32;
    char *sql = malloc(cap);
    int rc;
    if (!sql)
        return kbj_efail(w->eng, KBJ_ENOMEM, "out of memory");
    snprintf(sql, cap, "%s%s ORDER BY s.id", CLAIMED_SELECT, cond);
    rc = kbj_store_query(st, sql, v, nv, &rows);
    free(sql);
    if (order) {
        for (size_t k = 0; rc == KBJ_OK && k < n; k++)
            for (size_t i = 0; i < kbj_rows_count(rows); i++)
                if ((unsigned long long)kbj_rows_int(rows, i, 0) == order[k]) {
                    if (lease_from_row(&w->out[w->n++], rows, i, token) != KBJ_OK)
                        rc = kbj_efail(w->eng, KBJ_ENOMEM, "out of memory");
                    break;
                }
    } else {
        for (size_t i = 0; rc == KBJ_OK && i < kbj_rows_count(rows) && w->n < w->max; i++)
            if (lease_from_row(&w->out[w->n++], rows, i, token) != KBJ_OK)
                rc = kbj_efail(w->eng, KBJ_ENOMEM, "out of memory");
    }
    kbj_rows_free(rows);
    return rc;
}

/*
 * One claim: per queue, the queue's limits, then the due jobs (locked, skipping rows other
 * claims hold) with everything a lease needs, then one UPDATE for all the jobs taken.
 */
static int claim_tx(kbj_store *st, void *arg)
{
    claim_work *w = arg;
    kbj_val *v = NULL;
    unsigned long long *ids = NULL;
    size_t nids = 0;
    long long token = kbj_new_token();
    char *ph = NULL, *sql = NULL;
    kbj_rows *rows = NULL;
    int rc = KBJ_OK;

    kbj_leases_free(w->out, w->n);
    w->out = calloc(w->max, sizeof *w->out);
    w->n = 0;
    v = calloc(w->max + 3, sizeof *v);
    if (!w->out || !v) {
        free(v);
        return kbj_efail(w->eng, KBJ_ENOMEM, "out of memory");
    }
    /* Run again after a connection lost during COMMIT: if that commit went through, the
     * jobs it took are this claim's, held by this runner; taking others instead would
     * leave them running with nobody working on them, their leases renewed by this
     * runner's heartbeat for ever. */
    if (w->last_token) {
        rc = read_claimed(w, st, "s.lease_owner = ? AND s.lease_token = ? AND s.status = 'running'",
                          (kbj_val[]){ KBJ_VS(w->runner), KBJ_VI(w->last_token) }, 2, NULL, 0, w->last_token);
        if (rc || w->n > 0)
            goto done;
    }
    w->last_token = token;
    ids = calloc(w->max, sizeof *ids);
    if (!ids) {
        rc = kbj_efail(w->eng, KBJ_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t q = 0; q < w->nqueues && nids < w->max && rc == KBJ_OK; q++) {
        size_t allowed = 0, before = nids;
        int rate_limited = 0;
        rc = kbj_queue_admit(w->eng, w->queues[q], w->max - nids, &allowed, &rate_limited);
        if (rc || allowed == 0)
            continue;
        rc = kbj_store_query(st, CLAIM_SELECT,
                             (kbj_val[]){ KBJ_VS(w->queues[q]), KBJ_VI(allowed) }, 2, &rows);
        for (size_t i = 0; rc == KBJ_OK && i < kbj_rows_count(rows); i++) {
            long long pk = kbj_rows_int(rows, i, 0);
            const char *key = kbj_rows_str(rows, i, 1);
            int has_resources = (int)kbj_rows_int(rows, i, 2);
            if (key || has_resources) {
                /* one running job per key and per resource: their rows are the guard */
                int free_now = take_keys(st, pk, key, has_resources);
                if (free_now < 0)
                    rc = free_now;
                if (free_now <= 0)
                    continue;
            }
            ids[nids] = (unsigned long long)pk;
            v[3 + nids++] = KBJ_VI(pk);
        }
        kbj_rows_free(rows);
        rows = NULL;
        if (rc == KBJ_OK && rate_limited && nids > before)
            rc = kbj_queue_consume(w->eng, w->queues[q], nids - before);
    }
    if (rc || nids == 0)
        goto done;

    ph = kbj_placeholders(nids);
    sql = malloc(2 * nids + 1024);
    if (!ph || !sql) {
        rc = kbj_efail(w->eng, KBJ_ENOMEM, "out of memory");
        goto done;
    }
    v[0] = KBJ_VS(w->runner);
    v[1] = KBJ_VI(token);
    v[2] = KBJ_VI(w->eng->cfg.lease_seconds);
    snprintf(sql, 2 * nids + 1024,
             "UPDATE " STATE " SET status = 'running', lease_owner = ?, lease_token = ?,"
             " lease_expires = NOW(6) + INTERVAL ? SECOND, attempts = attempts + 1,"
             " cancel_requested = 0, started_at = NOW(6), updated_at = NOW(6) WHERE id IN (%s)", ph);
    rc = kbj_store_exec(st, sql, v, nids + 3, NULL);
    if (rc == KBJ_OK) {
        snprintf(sql, 2 * nids + 1024, "s.id IN (%s)", ph);
        rc = read_claimed(w, st, sql, v + 3, nids, ids, nids, token);
    }
done:
    kbj_rows_free(rows);
    free(v);
    free(ids);
    free(ph);
    free(sql);
    if (rc || w->n == 0) {
        kbj_leases_free(w->out, w->n);
        w->out = NULL;
        w->n = 0;
    }
    return rc;
}

int kbj_claim(kbj_engine *eng, const char *runner, const char *const *queues, size_t nqueues,
              size_t max, kbj_lease **out, size_t *n)
{
    static const char *const fallback[] = { "default" };
    claim_work w = { eng, runner, queues, nqueues, max, NULL, 0, 0 };
    int rc;

    if (!eng || !out || !n)
        return KBJ_EINVAL;
    *out = NULL;
    *n = 0;
    if (!kbj_valid_id(runner))
        return kbj_efail(eng, KBJ_EINVAL, "\"%.40s\" is not a runner id", runner ? runner : "");
    if (max == 0 || max > 1000)
        return kbj_efail(eng, KBJ_EINVAL, "claim size %zu is out of range 1..1000", max);
    if (!queues || nqueues == 0) {
        w.queues = fallback;
        w.nqueues = 1;
    }
    for (size_t q = 0; q < w.nqueues; q++)
        if (!kbj_valid_name(w.queues[q]))
            return kbj_efail(eng, KBJ_EINVAL, "queue \"%.80s\" must be 1 to 64 characters of a-z, "
                             "0-9, '_', '.' and '-'", w.queues[q] ? w.queues[q] : "");
    rc = kbj_store_tx(eng->st, claim_tx, &w);
    if (rc == KBJ_OK) {
        *out = w.out;
        *n = w.n;
    }
    return rc;
}

/* ---- fenced writes -------------------------------------------------------------- */

typedef struct fenced_work {
    kbj_engine *eng;
    const kbj_lease *l;
    const char *result; /* fail and cancel: a result to keep, or NULL */
    const char *text;   /* result, phase, title, metrics, message */
    long long a, b;     /* progress done/total */
    int flag;           /* retryable; out: cancel / will_retry */
} fenced_work;

static int lost(kbj_engine *eng, const kbj_lease *l)
{
    return kbj_efail(eng, KBJ_ELEASE, "the lease on job %s was lost: it expired or the job was taken "
                     "over, so this runner's write was refused", l->id);
}

static int check_lease(kbj_engine *eng, const kbj_lease *l)
{
    if (!eng)
        return KBJ_EINVAL;
    if (!l)
        return kbj_efail(eng, KBJ_EINVAL, "no lease given");
    return KBJ_OK;
}

static int heartbeat_do(kbj_store *st, void *arg)
{
    fenced_work *w = arg;
    unsigned long long n = 0;
    kbj_rows *rows = NULL;
    int rc = kbj_store_exec(st, "UPDATE " STATE " SET lease_expires = NOW(6) + INTERVAL ? SECOND" FENCE,
                            (kbj_val[]){ KBJ_VI(w->eng->cfg.lease_seconds), KBJ_VI(w->l->pk),
                                         KBJ_VI(w->l->token) }, 3, &n);
    if (rc)
        return rc;
    if (n == 0)
        return lost(w->eng, w->l);
    rc = kbj_store_query(st, "SELECT cancel_requested FROM " STATE " WHERE id = ?",
                         (kbj_val[]){ KBJ_VI(w->l->pk) }, 1, &rows);
    if (rc == KBJ_OK)
        w->flag = (int)kbj_rows_int(rows, 0, 0);
    kbj_rows_free(rows);
    return rc;
}

int kbj_heartbeat(kbj_engine *eng, const kbj_lease *lease, int *cancel)
{
    fenced_work w = { eng, lease, NULL, NULL, 0, 0, 0 };
    int rc = check_lease(eng, lease);
    if (rc)
        return rc;
    rc = kbj_store_do(eng->st, heartbeat_do, &w);
    if (cancel)
        *cancel = rc == KBJ_OK ? w.flag : 0;
    return rc;
}

static int progress_do(kbj_store *st, void *arg)
{
    fenced_work *w = arg;
    unsigned long long n = 0;
    int rc = kbj_store_exec(st, "UPDATE" DATA_FENCED " SET d.progress_done = ?, d.progress_total = ?,"
                            " d.phase = COALESCE(?, d.phase), d.progress_at = NOW(6), d.updated_at = NOW(6)" FENCE_S,
                            (kbj_val[]){ KBJ_VI(w->a), KBJ_VI(w->b), KBJ_VS(w->text), KBJ_VI(w->l->pk),
                                         KBJ_VI(w->l->token) }, 5, &n);
    return rc ? rc : n ? KBJ_OK : lost(w->eng, w->l);
}

int kbj_progress(kbj_engine *eng, const kbj_lease *lease, long long done, long long total,
                 const char *phase)
{
    fenced_work w = { eng, lease, NULL, phase, done, total, 0 };
    int rc = check_lease(eng, lease);
    if (rc)
        return rc;
    if (done < 0 || total < 0)
        return kbj_efail(eng, KBJ_EINVAL, "progress must not be negative");
    if (phase && (strlen(phase) > KBJ_NAME_MAX))
        return kbj_efail(eng, KBJ_EINVAL, "phase names are at most %d bytes", KBJ_NAME_MAX);
    return kbj_store_do(eng->st, progress_do, &w);
}

static int title_do(kbj_store *st, void *arg)
{
    fenced_work *w = arg;
    unsigned long long n = 0;
    int rc = kbj_store_exec(st, "UPDATE" DATA_FENCED " SET d.title = ?, d.updated_at = NOW(6)" FENCE_S,
                            (kbj_val[]){ KBJ_VS(w->text), KBJ_VI(w->l->pk), KBJ_VI(w->l->token) }, 3, &n);
    return rc ? rc : n ? KBJ_OK : lost(w->eng, w->l);
}

int kbj_set_title(kbj_engine *eng, const kbj_lease *lease, const char *title)
{
    fenced_work w = { eng, lease, NULL, title, 0, 0, 0 };
    int rc = check_lease(eng, lease);
    if (rc)
        return rc;
    if (title && strlen(title) > 255)
        return kbj_efail(eng, KBJ_EINVAL, "titles are at most 255 bytes");
    return kbj_store_do(eng->st, title_do, &w);
}

static int metrics_tx(kbj_store *st, void *arg)
{
    fenced_work *w = arg;
    kbj_rows *rows = NULL;
    json_t *have = NULL, *add, *v;
    const char *key;
    char *text;
    int rc;

    rc = kbj_store_query(st, "SELECT d.metrics FROM" DATA_FENCED FENCE_S " FOR UPDATE",
                         (kbj_val[]){ KBJ_VI(w->l->pk), KBJ_VI(w->l->token) }, 2, &rows);
    if (rc)
        return rc;
    if (kbj_rows_count(rows) == 0) {
        kbj_rows_free(rows);
        return lost(w->eng, w->l);
    }
    if (kbj_rows_str(rows, 0, 0))
        have = json_loads(kbj_rows_str(rows, 0, 0), 0, NULL);
    kbj_rows_free(rows);
    if (!json_is_object(have)) {
        json_decref(have);
        have = json_object();
    }
    add = json_loads(w->text, 0, NULL);
    json_object_foreach(add, key, v) {
        json_t *old = json_object_get(have, key);
        double sum = json_number_value(v) + (json_is_number(old) ? json_number_value(old) : 0);
        if (json_is_integer(v) && (!old || json_is_integer(old)))
            json_object_set_new(have, key, json_integer((json_int_t)sum));
        else
            json_object_set_new(have, key, json_real(sum));
    }
    json_decref(add);
    text = json_dumps(have, JSON_COMPACT);
    json_decref(have);
    if (!text)
        return kbj_efail(w->eng, KBJ_ENOMEM, "out of memory");
    rc = kbj_store_exec(st, "UPDATE " DATA " SET metrics = ?, updated_at = NOW(6) WHERE id = ?",
                        (kbj_val[]){ KBJ_VS(text), KBJ_VI(w->l->pk) }, 2, NULL);
    free(text);
    return rc;
}

int kbj_add_metrics(kbj_engine *eng, const kbj_lease *lease, const char *metrics_json)
{
    fenced_work w = { eng, lease, NULL, metrics_json, 0, 0, 0 };
    json_t *m, *v;
    const char *key;
    int rc = check_lease(eng, lease);
    if (rc)
        return rc;
    m = metrics_json ? json_loads(metrics_json, 0, NULL) : NULL;
    if (!json_is_object(m)) {
        json_decref(m);
        return kbj_efail(eng, KBJ_EINVAL, "metrics must be a JSON object of numbers");
    }
    json_object_foreach(m, key, v) {
        if (!json_is_number(v) || strlen(key) > 64) {
            json_decref(m);
            return kbj_efail(eng, KBJ_EINVAL, "metric \"%.64s\" must be a number with a name of at "
                             "most 64 bytes", key);
        }
    }
    if (json_object_size(m) > 64) {
        json_decref(m);
        return kbj_efail(eng, KBJ_EINVAL, "at most 64 metrics per job");
    }
    json_decref(m);
    return kbj_store_tx(eng->st, metrics_tx, &w);
}

/* Releases a job's concurrency key and resources, if it holds any. */
static int release_key(kbj_store *st, const kbj_lease *l)
{
    if (!l->concurrency_key && !l->has_resources)
        return KBJ_OK;
    return kbj_store_exec(st, "DELETE FROM {p}kbjobs_keys WHERE job_id = ?",
                          (kbj_val[]){ KBJ_VI(l->pk) }, 1, NULL);
}

/* Whether a job is already in `status` under this lease's token: the earlier run of an
 * idempotent write whose acknowledgement was lost with the connection. */
static int already(kbj_store *st, const kbj_lease *l, const char *status)
{
    kbj_rows *rows = NULL;
    int yes = 0;
    if (kbj_store_query(st, "SELECT 1 FROM " STATE " WHERE id = ? AND lease_token = ? AND status = ?",
                        (kbj_val[]){ KBJ_VI(l->pk), KBJ_VI(l->token), KBJ_VS(status) }, 3, &rows) == KBJ_OK)
        yes = kbj_rows_count(rows) > 0;
    kbj_rows_free(rows);
    return yes;
}

static int validate_result(kbj_engine *eng, const char *result)
{
    json_t *r;
    if (!result)
        return KBJ_OK;
    if (strlen(result) > 16u * 1024 * 1024)
        return kbj_efail(eng, KBJ_EINVAL, "results are at most 16 MiB");
    r = json_loads(result, JSON_DECODE_ANY, NULL);
    if (!r)
        return kbj_efail(eng, KBJ_EINVAL, "the result is not valid JSON");
    json_decref(r);
    return KBJ_OK;
}

typedef struct complete_work {
    kbj_engine *eng;
    const kbj_lease *leases;
    const char *const *results;
    size_t n, fenced;
    unsigned char *refused;      /* may be NULL */
    unsigned char *skip;         /* per lease: refused by its fence (its data row stays) */
    int (*also)(kbj_store *st, void *arg);
    void *also_arg;
} complete_work;

/* Whether completing job `m` writes its data row: a result to keep, an active unique key
 * to free, or an error from an earlier attempt to clear. Other completions write only the
 * state. */
static int completion_writes_data(const complete_work *w, size_t m)
{
    const kbj_lease *l = &w->leases[m];
    return (w->results && w->results[m]) || l->has_unique || l->attempts > 1;
}

/* Completes one token group (a claim's batch, usually): one UPDATE of the state rows,
 * then, for the jobs that keep something, one UPDATE of their data rows, results going in
 * through CASE id WHEN ? THEN ? ... END. */
static int complete_group(complete_work *w, const size_t *members, size_t k)
{
    kbj_store *st = w->eng->st;
    int rc;
    size_t nv = 0, cap, nd = 0;
    kbj_val *v;
    char *sql, *ph;
    unsigned long long got = 0;

    v = calloc(3 * k + 2, sizeof *v);
    ph = kbj_placeholders(k);
    cap = 24 * k + 512;
    sql = malloc(cap);
    if (!v || !ph || !sql) {
        free(v);
        free(ph);
        free(sql);
        return kbj_efail(w->eng, KBJ_ENOMEM, "out of memory");
    }
    snprintf(sql, cap, "UPDATE " STATE " SET status = 'completed', finished_at = NOW(6), updated_at = NOW(6),"
             " lease_expires = NULL WHERE lease_token = ? AND status = 'running' AND id IN (%s)", ph);
    v[nv++] = KBJ_VI(w->leases[members[0]].token);
    for (size_t m = 0; m < k; m++)
        v[nv++] = KBJ_VI(w->leases[members[m]].pk);
    rc = kbj_store_exec(st, sql, v, nv, &got);
    if (rc == KBJ_OK && got < k) {
        /* find which were refused, not counting ones already completed by this lease
         * (an earlier run of this write whose acknowledgement was lost) */
        for (size_t m = 0; m < k; m++)
            if (!already(st, &w->leases[members[m]], "completed")) {
                w->fenced++;
                if (w->refused)
                    w->refused[members[m]] = 1;
                w->skip[members[m]] = 1;
            }
    }
    /* the data rows of the jobs completed here that keep something */
    if (rc == KBJ_OK) {
        size_t off = (size_t)snprintf(sql, cap, "UPDATE " DATA " SET result = CASE id");
        nv = 0;
        for (size_t m = 0; m < k; m++) {
            size_t j = members[m];
            if (w->skip[j] || !completion_writes_data(w, j))
                continue;
            off += (size_t)snprintf(sql + off, cap - off, " WHEN ? THEN ?");
            v[nv++] = KBJ_VI(w->leases[j].pk);
            v[nv++] = w->results && w->results[j] ? KBJ_VS(w->results[j]) : KBJ_VNULL;
            nd++;
        }
        if (nd > 0) {
            off += (size_t)snprintf(sql + off, cap - off, " END, error = NULL, uniq_active = NULL WHERE id IN (");
            for (size_t m = 0, c = 0; m < k; m++) {
                size_t j = members[m];
                if (w->skip[j] || !completion_writes_data(w, j))
                    continue;
                off += (size_t)snprintf(sql + off, cap - off, "%s?", c++ ? "," : "");
                v[nv++] = KBJ_VI(w->leases[j].pk);
            }
            snprintf(sql + off, cap - off, ")");
            rc = kbj_store_exec(st, sql, v, nv, NULL);
        }
    }
    free(v);
    free(ph);
    free(sql);
    return rc;
}

static int complete_tx(kbj_store *st, void *arg)
{
    complete_work *w = arg;
    size_t *members = calloc(w->n ? w->n : 1, sizeof *members);
    char *done = calloc(w->n ? w->n : 1, 1);
    int rc = KBJ_OK, keys = 0;

    w->fenced = 0;
    if (w->refused) /* the work may run again */
        memset(w->refused, 0, w->n);
    free(w->skip);
    w->skip = calloc(w->n ? w->n : 1, 1);
    if (!members || !done || !w->skip) {
        free(members);
        free(done);
        return kbj_efail(w->eng, KBJ_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < w->n && rc == KBJ_OK; i++) {
        size_t k = 0;
        keys |= w->leases[i].concurrency_key || w->leases[i].has_resources;
        if (done[i])
            continue;
        for (size_t j = i; j < w->n; j++)
            if (!done[j] && w->leases[j].token == w->leases[i].token) {
                members[k++] = j;
                done[j] = 1;
            }
        rc = complete_group(w, members, k);
    }
    for (size_t i = 0; rc == KBJ_OK && keys && i < w->n; i++)
        rc = release_key(st, &w->leases[i]);
    if (rc == KBJ_OK && w->also)
        rc = w->also(st, w->also_arg);
    free(members);
    free(done);
    return rc;
}

int kbj_complete_many(kbj_engine *eng, const kbj_lease *leases, const char *const *results,
                      size_t n, size_t *fenced)
{
    return kbj_complete_many_with(eng, leases, results, n, fenced, NULL, NULL, NULL);
}

int kbj_complete_many_with(kbj_engine *eng, const kbj_lease *leases, const char *const *results, size_t n,
                           size_t *fenced, unsigned char *refused, int (*also)(kbj_store *st, void *arg),
                           void *arg)
{
    complete_work w = { eng, leases, results, n, 0, refused, NULL, also, arg };
    int rc;
    if (!eng || (n && !leases))
        return eng ? kbj_efail(eng, KBJ_EINVAL, "no leases given") : KBJ_EINVAL;
    for (size_t i = 0; results && i < n; i++)
        if ((rc = validate_result(eng, results[i])))
            return rc;
    if (n == 0)
        return KBJ_OK;
    {
        /* Without guard rows to release or data rows to write, each token group is one
         * UPDATE: atomic on its own, so no transaction (and its two extra round trips) is
         * needed. */
        int tx = also != NULL;
        for (size_t i = 0; i < n && !tx; i++)
            tx = leases[i].concurrency_key || leases[i].has_resources || completion_writes_data(&w, i);
        rc = tx ? kbj_store_tx(eng->st, complete_tx, &w) : kbj_store_do(eng->st, complete_tx, &w);
        free(w.skip);
    }
    if (fenced)
        *fenced = rc == KBJ_OK ? w.fenced : 0;
    return rc;
}

int kbj_complete(kbj_engine *eng, const kbj_lease *lease, const char *result)
{
    size_t fenced = 0;
    const char *results[1] = { result };
    int rc = check_lease(eng, lease);
    if (rc)
        return rc;
    rc = kbj_complete_many(eng, lease, results, 1, &fenced);
    if (rc == KBJ_OK && fenced)
        return lost(eng, lease);
    return rc;
}

static int record_attempt(kbj_store *st, const kbj_lease *l, const char *outcome, const char *runner,
                          const char *error)
{
    return kbj_store_exec(st, "INSERT INTO {p}kbjobs_attempts (job_id, attempt, outcome, runner,"
                          " started_at, finished_at, error) SELECT id, attempts, ?, COALESCE(?, lease_owner),"
                          " started_at, NOW(6), ? FROM " STATE " WHERE id = ?",
                          (kbj_val[]){ KBJ_VS(outcome), KBJ_VS(runner), KBJ_VS(error), KBJ_VI(l->pk) }, 4, NULL);
}

/* A job's error (and a result to keep, when given) on its data row; `ended` also frees
 * its active unique key. */
static int set_error(kbj_store *st, unsigned long long pk, const char *error, const char *result, int ended)
{
    return kbj_store_exec(st, "UPDATE " DATA " SET error = ?, result = COALESCE(?, result),"
                          " uniq_active = IF(?, NULL, uniq_active) WHERE id = ?",
                          (kbj_val[]){ KBJ_VS(error), KBJ_VS(result), KBJ_VI(ended), KBJ_VI(pk) }, 4, NULL);
}

static int fail_tx(kbj_store *st, void *arg)
{
    fenced_work *w = arg;
    kbj_rows *rows = NULL;
    int attempts, max_attempts, retry, rc;
    char runner[KBJ_ID_LEN + 1], type[KBJ_NAME_MAX + 1];

    rc = kbj_store_query(st, "SELECT s.attempts, d.max_attempts, s.lease_owner, d.type FROM" DATA_FENCED
                         FENCE_S " FOR UPDATE", (kbj_val[]){ KBJ_VI(w->l->pk), KBJ_VI(w->l->token) }, 2, &rows);
    if (rc)
        return rc;
    if (kbj_rows_count(rows) == 0) {
        kbj_rows_free(rows);
        /* This write may already have happened, its acknowledgement lost with the
         * connection: the job is then queued (a retry) or failed under this token. The
         * reaper and resume clear the token, so an old holder never matches. */
        if (already(st, w->l, "queued")) {
            w->flag = 1;
            return KBJ_OK;
        }
        if (already(st, w->l, "failed")) {
            w->flag = 0;
            return KBJ_OK;
        }
        return lost(w->eng, w->l);
    }
    attempts = (int)kbj_rows_int(rows, 0, 0);
    max_attempts = (int)kbj_rows_int(rows, 0, 1);
    kbj_copy(runner, sizeof runner, kbj_rows_str(rows, 0, 2));
    kbj_copy(type, sizeof type, kbj_rows_str(rows, 0, 3));
    kbj_rows_free(rows);

    rc = record_attempt(st, w->l, "failed", runner, w->text);
    if (rc)
        return rc;
    retry = w->flag && attempts < max_attempts;
    if (retry) {
        unsigned long long delay = kbj_backoff_delay_ms(&w->l->backoff, (unsigned)attempts, kbj_random(w->eng));
        rc = kbj_store_exec(st, "UPDATE " STATE " SET status = 'queued', lease_expires = NULL,"
                            " run_at = NOW(6) + INTERVAL ? MICROSECOND, updated_at = NOW(6) WHERE id = ?",
                            (kbj_val[]){ KBJ_VI(delay * 1000ULL), KBJ_VI(w->l->pk) }, 2, NULL);
        if (rc == KBJ_OK)
            rc = set_error(st, w->l->pk, w->text, w->result, 0);
    } else {
        rc = kbj_store_exec(st, "UPDATE " STATE " SET status = 'failed', lease_expires = NULL,"
                            " finished_at = NOW(6), updated_at = NOW(6) WHERE id = ?",
                            (kbj_val[]){ KBJ_VI(w->l->pk) }, 1, NULL);
        if (rc == KBJ_OK)
            rc = set_error(st, w->l->pk, w->text, w->result, 1);
        if (rc == KBJ_OK)
            rc = kbj_failures_record(w->eng, w->l->pk, w->l->id, type, w->text, attempts);
    }
    if (rc == KBJ_OK)
        rc = release_key(st, w->l);
    w->flag = retry; /* out: will retry */
    return rc;
}

int kbj_fail_job(kbj_engine *eng, const kbj_lease *lease, const char *message, int retryable,
                 int *will_retry)
{
    return kbj_fail_job_result(eng, lease, message, retryable, NULL, will_retry);
}

int kbj_fail_job_result(kbj_engine *eng, const kbj_lease *lease, const char *message, int retryable,
                        const char *result, int *will_retry)
{
    const char *msg = message && *message ? message : "failed without a message";
    char *clean = NULL;
    size_t len = 0;
    fenced_work w = { eng, lease, NULL, NULL, 0, 0, retryable };
    int rc = check_lease(eng, lease);
    if (rc)
        return rc;
    /* Errors are kept per attempt, in utf8mb4 columns: valid UTF-8, at most 4 KiB, cut
     * at a character boundary. */
    if (kbj_utf8_sanitize(msg, strlen(msg), &clean, &len) != KBJ_OK)
        return kbj_efail(eng, KBJ_ENOMEM, "out of memory");
    len = kbj_utf8_cut(clean, len, 4095);
    clean[len] = '\0';
    if (result && (rc = validate_result(eng, result))) {
        free(clean);
        return rc;
    }
    w.text = clean;
    w.result = result;
    rc = kbj_store_tx(eng->st, fail_tx, &w);
    free(clean);
    if (will_retry)
        *will_retry = rc == KBJ_OK ? w.flag : 0;
    return rc;
}

static int cancelled_tx(kbj_store *st, void *arg)
{
    fenced_work *w = arg;
    unsigned long long n = 0;
    int rc = kbj_store_exec(st, "UPDATE " STATE " SET status = 'cancelled', lease_expires = NULL,"
                            " finished_at = NOW(6), updated_at = NOW(6)" FENCE,
                            (kbj_val[]){ KBJ_VI(w->l->pk), KBJ_VI(w->l->token) }, 2, &n);
    if (rc)
        return rc;
    if (n == 0)
        return already(st, w->l, "cancelled") ? KBJ_OK : lost(w->eng, w->l);
    rc = kbj_store_exec(st, "UPDATE " DATA " SET uniq_active = NULL, result = COALESCE(?, result) WHERE id = ?",
                        (kbj_val[]){ KBJ_VS(w->result), KBJ_VI(w->l->pk) }, 2,
                        NULL);
    return rc ? rc : release_key(st, w->l);
}

int kbj_finish_cancelled(kbj_engine *eng, const kbj_lease *lease)
{
    return kbj_finish_cancelled_result(eng, lease, NULL);
}

int kbj_finish_cancelled_result(kbj_engine *eng, const kbj_lease *lease, const char *result)
{
    fenced_work w = { eng, lease, result, NULL, 0, 0, 0 };
    int rc = check_lease(eng, lease);
    if (rc == KBJ_OK && result)
        rc = validate_result(eng, result);
    return rc ? rc : kbj_store_tx(eng->st, cancelled_tx, &w);
}

/* w->a: the delay in ms; w->flag: a deferral (no attempt row) */
static int release_tx(kbj_store *st, void *arg)
{
    fenced_work *w = arg;
    unsigned long long n = 0;
    int rc = w->flag ? KBJ_OK : record_attempt(st, w->l, "stopped", NULL, "the runner stopped before the job finished");
    if (rc)
        return rc;
    rc = kbj_store_exec(st, "UPDATE " STATE " SET status = 'queued', attempts = GREATEST(attempts - 1, 0),"
                        " lease_expires = NULL, run_at = NOW(6) + INTERVAL ? MICROSECOND, updated_at = NOW(6)" FENCE,
                        (kbj_val[]){ KBJ_VI(w->a * 1000), KBJ_VI(w->l->pk), KBJ_VI(w->l->token) }, 3, &n);
    if (rc)
        return rc;
    if (n == 0)
        return lost(w->eng, w->l); /* rolls back the attempt row too */
    return release_key(st, w->l);
}

int kbj_release(kbj_engine *eng, const kbj_lease *lease)
{
    fenced_work w = { eng, lease, NULL, NULL, 0, 0, 0 };
    int rc = check_lease(eng, lease);
    return rc ? rc : kbj_store_tx(eng->st, release_tx, &w);
}

int kbj_release_after(kbj_engine *eng, const kbj_lease *lease, unsigned delay_ms)
{
    fenced_work w = { eng, lease, NULL, NULL, delay_ms, 0, 1 };
    int rc = check_lease(eng, lease);
    if (rc == KBJ_OK && delay_ms > 3600000u)
        rc = kbj_efail(eng, KBJ_EINVAL, "a job is deferred by at most one hour");
    return rc ? rc : kbj_store_tx(eng->st, release_tx, &w);
}

/* ---- the reaper ------------------------------------------------------------------ */

typedef struct reap_work {
    kbj_engine *eng;
    size_t reaped;
} reap_work;

#define REAP_BATCH 200
#define REAP_BATCH_SQL "200"

static int reap_tx(kbj_store *st, void *arg)
{
    reap_work *w = arg;
    kbj_rows *rows = NULL;
    int rc;

    w->reaped = 0;
    /* the expired leases from the running jobs (few: as many as runners run), then those
     * rows locked, by id: only they are locked, not every running job scanned */
    rc = kbj_store_query(st, "SELECT id FROM " STATE " WHERE status = 'running' AND lease_expires < NOW(6)"
                         " ORDER BY lease_expires LIMIT " REAP_BATCH_SQL, NULL, 0, &rows);
    if (rc || kbj_rows_count(rows) == 0) {
        kbj_rows_free(rows);
        return rc;
    }
    {
        size_t n = kbj_rows_count(rows);
        kbj_val *v = calloc(n, sizeof *v);
        char *ph = kbj_placeholders(n), *sql = malloc(2 * n + 512);
        if (!v || !ph || !sql) {
            free(v);
            free(ph);
            free(sql);
            kbj_rows_free(rows);
            return kbj_efail(w->eng, KBJ_ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < n; i++)
            v[i] = KBJ_VI(kbj_rows_int(rows, i, 0));
        snprintf(sql, 2 * n + 512, "SELECT s.id, d.public_id, d.type, d.on_expiry, s.attempts, d.max_attempts,"
                 " s.lease_owner, s.lease_token, s.concurrency_key FROM " STATE " s JOIN " DATA " d"
                 " ON d.id = s.id WHERE s.id IN (%s) AND s.status = 'running' AND s.lease_expires < NOW(6)"
                 " ORDER BY s.lease_expires FOR UPDATE SKIP LOCKED", ph);
        {
            kbj_rows *ids = rows;
            rows = NULL;
            rc = kbj_store_query(st, sql, v, n, &rows);
            kbj_rows_free(ids);
        }
        free(v);
        free(ph);
        free(sql);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < kbj_rows_count(rows) && rc == KBJ_OK; i++) {
        kbj_lease l = { 0 };
        const char *owner = kbj_rows_str(rows, i, 6);
        const char *type = kbj_rows_str(rows, i, 2);
        int requeue = kbj_rows_str(rows, i, 3) && strcmp(kbj_rows_str(rows, i, 3), "requeue") == 0;
        int attempts = (int)kbj_rows_int(rows, i, 4), max_attempts = (int)kbj_rows_int(rows, i, 5);
        char msg[160];

        l.pk = (unsigned long long)kbj_rows_int(rows, i, 0);
        kbj_copy(l.id, sizeof l.id, kbj_rows_str(rows, i, 1));
        l.token = kbj_rows_int(rows, i, 7);
        l.concurrency_key = (char *)kbj_rows_str(rows, i, 8);
        l.has_resources = 1; /* whatever it held goes back: the delete is by job */
        snprintf(msg, sizeof msg, "the lease expired: runner %s stopped renewing it", owner ? owner : "?");
        rc = record_attempt(st, &l, "expired", owner, (const char *)msg);
        if (rc)
            break;
        if (!requeue) {
            rc = kbj_store_exec(st, "UPDATE " STATE " SET status = 'interrupted', lease_token = 0,"
                                " lease_expires = NULL, updated_at = NOW(6) WHERE id = ?",
                                (kbj_val[]){ KBJ_VI(l.pk) }, 1, NULL);
            if (rc == KBJ_OK)
                rc = set_error(st, l.pk, msg, NULL, 0);
        } else if (attempts < max_attempts) {
            rc = kbj_store_exec(st, "UPDATE " STATE " SET status = 'queued', lease_token = 0,"
                                " lease_expires = NULL, run_at = NOW(6), updated_at = NOW(6) WHERE id = ?",
                                (kbj_val[]){ KBJ_VI(l.pk) }, 1, NULL);
            if (rc == KBJ_OK)
                rc = set_error(st, l.pk, msg, NULL, 0);
        } else {
            rc = kbj_store_exec(st, "UPDATE " STATE " SET status = 'failed', lease_token = 0, lease_expires = NULL,"
                                " finished_at = NOW(6), updated_at = NOW(6) WHERE id = ?",
                                (kbj_val[]){ KBJ_VI(l.pk) }, 1, NULL);
            if (rc == KBJ_OK)
                rc = set_error(st, l.pk, msg, NULL, 1);
            if (rc == KBJ_OK)
                rc = kbj_failures_record(w->eng, l.pk, l.id, type, msg, attempts);
        }
        if (rc == KBJ_OK)
            rc = release_key(st, &l);
        if (rc == KBJ_OK)
            w->reaped++;
    }
    kbj_rows_free(rows);
    return rc;
}

int kbj_reap(kbj_engine *eng, size_t *reaped)
{
    reap_work w = { eng, 0 };
    size_t total = 0;
    int rc;
    if (!eng)
        return KBJ_EINVAL;
    do {
        rc = kbj_store_tx(eng->st, reap_tx, &w);
        if (rc == KBJ_OK)
            total += w.reaped;
    } while (rc == KBJ_OK && w.reaped == REAP_BATCH);
    if (reaped)
        *reaped = total;
    return rc;
}

/* ---- logs ------------------------------------------------------------------------ */

int kbj_log(kbj_engine *eng, const char *id, const char *level, const char *message,
            const char *context_json)
{
    if (!eng)
        return KBJ_EINVAL;
    if (!kbj_valid_id(id))
        return kbj_efail(eng, KBJ_EINVAL, "\"%.40s\" is not a job id (16 hex characters)", id ? id : "");
    return kbj_joblog_append(eng->data_dir, id, level, message, context_json, kbj_store_err(eng->st));
}

int kbj_log_read(kbj_engine *eng, const char *id, unsigned long long cursor, size_t max_bytes,
                 kbj_logread *out)
{
    if (!eng || !out)
        return KBJ_EINVAL;
    memset(out, 0, sizeof *out);
    if (!kbj_valid_id(id))
        return kbj_efail(eng, KBJ_EINVAL, "\"%.40s\" is not a job id (16 hex characters)", id ? id : "");
    return kbj_joblog_read(eng->data_dir, id, cursor, max_bytes, out, kbj_store_err(eng->st));
}

int kbj_log_tail(kbj_engine *eng, const char *id, size_t n, kbj_logread *out)
{
    if (!eng || !out)
        return KBJ_EINVAL;
    memset(out, 0, sizeof *out);
    if (!kbj_valid_id(id))
        return kbj_efail(eng, KBJ_EINVAL, "\"%.40s\" is not a job id (16 hex characters)", id ? id : "");
    return kbj_joblog_tail(eng->data_dir, id, n, out, kbj_store_err(eng->st));
}

static int lease_alive_do(kbj_store *st, void *arg)
{
    fenced_work *w = arg;
    kbj_rows *rows = NULL;
    int rc = kbj_store_query(st, "SELECT 1 FROM " STATE FENCE,
                             (kbj_val[]){ KBJ_VI(w->l->pk), KBJ_VI(w->l->token) }, 2, &rows);
    if (rc == KBJ_OK && kbj_rows_count(rows) == 0)
        rc = lost(w->eng, w->l);
    kbj_rows_free(rows);
    return rc;
}

int kbj_lease_log(kbj_engine *eng, const kbj_lease *lease, const char *level,
                  const char *message, const char *context_json)
{
    fenced_work w = { eng, lease, NULL, NULL, 0, 0, 0 };
    int rc = check_lease(eng, lease);
    if (rc == KBJ_OK)
        rc = kbj_store_do(eng->st, lease_alive_do, &w);
    return rc ? rc : kbj_log(eng, lease->id, level, message, context_json);
}
