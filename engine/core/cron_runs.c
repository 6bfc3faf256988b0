/*
 * cron_runs.c - running WP-Cron events (kbj_cron.h): claims with leases and fencing
 * tokens, the outcome of a run and where it moves the event, lease renewal, whether a
 * runner takes events, and the run history with its retention.
 *
 * Lock order, as every writer of events (cron_events.c): the pair's guard row in
 * kbjobs_cron_keys first, then the event rows. A claim picks candidates with a plain
 * read, then takes a batch of them in one transaction: the guard rows with SKIP LOCKED
 * (a pair being written is skipped this round), the event rows re-read FOR UPDATE with
 * the due condition, so two runners never both take one event, and one running instance
 * per pair unless the event allows parallel runs (READ COMMITTED: the check sees
 * committed leases). A run now of one event has a transaction of its own. A finish or a
 * release of several runs locks their guard rows in one statement (waiting), then their
 * event rows. Times an event is scheduled at are UTC epoch seconds from the
 * database clock (UNIX_TIMESTAMP()); lease times are DATETIME(6) from NOW(6), as jobs'.
 *
 * Work given to kbj_store_tx may run twice (a connection lost during COMMIT): a claim
 * carries its token from before the first try and, run again, first looks for the events
 * it may already hold under it; a finish that already committed finds its runs finished
 * under their tokens; a release, the leases gone. None leaves a second run.
 */
#include "internal.h"
#include "utf8.h"

#include "kbj_cron.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define ERROR_MAX 65535          /* a TEXT column: a run's error is cut there */
#define RUNS_LIST_MAX 1000
#define PRUNE_BATCH 1000
#define BACKOFF_CAP 3600
#define LOST_MESSAGE "the runner's lease expired (killed, frozen or cut off) during the run"

/* Failed or lost runs in a row of one event that raise an alert (type "wp-cron", in the
 * alerts table the FailureLog's alerts live in): once, when the streak reaches it; a run
 * that succeeds starts the count again. */
#define ALERT_STREAK 3

static int streak_alert(kbj_store *st, unsigned long long event_id, const char *hook, long long streak,
                        const char *error)
{
    char msg[KBJ_CRON_HOOK_MAX + 400];
    size_t cut;
    if (streak != ALERT_STREAK)
        return KBJ_OK;
    error = error && *error ? error : "no message";
    cut = kbj_utf8_cut(error, strnlen(error, 201), 200);
    snprintf(msg, sizeof msg, "WP-Cron event %s (#%llu) failed %lld times in a row; the latest: %.*s", hook,
             event_id, streak, (int)cut, error);
    return kbj_store_exec(st, "INSERT INTO {p}kbjobs_alerts (type, message, failures, window_seconds, created_at)"
                          " VALUES ('wp-cron', ?, ?, 0, NOW(6))",
                          (kbj_val[]){ KBJ_VSN(msg, strlen(msg)), KBJ_VI(streak) }, 2, NULL);
}

/* The due condition, for candidates and for the locked re-read: due and free, or held by
 * a lease that expired (its run is then recorded as lost). A run now runs a paused event
 * once (it stays paused). */
#define DUE_COND                                                                         \
    " (paused = 0 OR run_now = 1) AND ((lease_token IS NULL AND due_at <= UNIX_TIMESTAMP())" \
    " OR (lease_token IS NOT NULL AND lease_expires < NOW(6)))"

void kbj_cron_runs_free(kbj_cron_run *runs, size_t n)
{
    for (size_t i = 0; runs && i < n; i++) {
        free(runs[i].hook);
        free(runs[i].args_json);
        free(runs[i].args_php);
        free(runs[i].schedule);
        free(runs[i].error);
        free(runs[i].output);
    }
    free(runs);
}

static void run_clear(kbj_cron_run *r)
{
    free(r->hook);
    free(r->args_json);
    free(r->args_php);
    free(r->schedule);
    free(r->error);
    free(r->output);
    memset(r, 0, sizeof *r);
}

/* A copy of a possibly binary cell (never NULL unless out of memory: "" for SQL NULL). */
static char *dup_cell(const kbj_rows *rows, size_t i, size_t c, size_t *len)
{
    const char *s = kbj_rows_str(rows, i, c);
    size_t n = s ? kbj_rows_len(rows, i, c) : 0;
    char *out = malloc(n + 1);
    if (out) {
        if (n)
            memcpy(out, s, n);
        out[n] = '\0';
    }
    if (len)
        *len = n;
    return out;
}

int kbj_cron_trigger_valid(const char *t)
{
    size_t n = t ? strlen(t) : 0;
    if (n == 0 || n > 15)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((t[i] >= 'a' && t[i] <= 'z') || t[i] == '-'))
            return 0;
    return 1;
}

/* Core's next run of a recurring event due at `t`, skipping missed runs (wp-includes/
 * cron.php, wp_reschedule_event): never a catch-up, whatever the downtime. */
static long long next_after(long long t, long long interval, long long now)
{
    if (interval <= 0)
        return t;
    if (t >= now)
        return now + interval;
    return now + (interval - ((now - t) % interval));
}

/* ---- claim ----------------------------------------------------------------------- */

typedef struct claim_one {
    kbj_engine *eng;
    const char *runner, *host, *trigger;
    int pid;
    unsigned long long id;
    const char *hook, *args_key;
    int only;                  /* a run now of this one event (only_id) */
    long long token;           /* made before the first try: a rerun finds its own claim */
    kbj_cron_run *run;         /* out, when claimed */
    int claimed;               /* out */
    int lost;                  /* out: lost runs recorded */
} claim_one;

/* Fills w->run from the event w->id held under w->token and its run row. 1 when found,
 * 0 when the event is not held under this token, or an error. */
static int read_claimed(kbj_store *st, claim_one *w)
{
    kbj_rows *rows = NULL;
    kbj_cron_run *r = w->run;
    int rc = kbj_store_query(st, "SELECT e.hook, e.args_key, e.args, e.args_php, e.schedule, e.interval_seconds,"
                             " r.id, r.due, r.attempt, r.run_trigger FROM {p}kbjobs_cron_events e"
                             " JOIN {p}kbjobs_cron_runs r ON r.id = e.run_id AND r.token = e.lease_token"
                             " WHERE e.id = ? AND e.lease_token = ? AND e.lease_owner = ?",
                             (kbj_val[]){ KBJ_VI(w->id), KBJ_VI(w->token), KBJ_VS(w->runner) }, 3, &rows);
    if (rc)
        return rc;
    if (kbj_rows_count(rows) == 0) {
        kbj_rows_free(rows);
        return 0;
    }
    run_clear(r);
    r->event_id = w->id;
    r->run_id = (unsigned long long)kbj_rows_int(rows, 0, 6);
    r->token = w->token;
    kbj_copy(r->runner, sizeof r->runner, w->runner);
    r->hook = dup_cell(rows, 0, 0, NULL);
    kbj_copy(r->args_key, sizeof r->args_key, kbj_rows_str(rows, 0, 1));
    r->args_json = dup_cell(rows, 0, 2, NULL);
    r->args_php = dup_cell(rows, 0, 3, &r->args_php_len);
    r->schedule = kbj_rows_str(rows, 0, 4) ? dup_cell(rows, 0, 4, NULL) : NULL;
    r->interval = kbj_rows_int(rows, 0, 5);
    r->due = kbj_rows_int(rows, 0, 7);
    r->attempt = (int)kbj_rows_int(rows, 0, 8);
    kbj_copy(r->trigger, sizeof r->trigger, kbj_rows_str(rows, 0, 9));
    r->memory_peak = r->queries = r->http_requests = -1;
    rc = r->hook && r->args_json && r->args_php && (r->schedule || !kbj_rows_str(rows, 0, 4)) ? 1 : KBJ_ENOMEM;
    kbj_rows_free(rows);
    return rc == KBJ_ENOMEM ? kbj_efail(w->eng, KBJ_ENOMEM, "out of memory") : rc;
}

/* Locks the pair's guard row: 1 held, 0 busy (skip_locked), or an error. A pair whose
 * guard row is missing (an event written by older code) gets one first. */
static int lock_guard(kbj_store *st, const char *hook, const char *args_key, int skip_locked)
{
    kbj_rows *rows = NULL;
    kbj_val v[2] = { KBJ_VS(hook), KBJ_VS(args_key) };
    int rc = kbj_store_query(st, skip_locked
                             ? "SELECT 1 FROM {p}kbjobs_cron_keys WHERE hook = ? AND args_key = ?"
                               " FOR UPDATE SKIP LOCKED"
                             : "SELECT 1 FROM {p}kbjobs_cron_keys WHERE hook = ? AND args_key = ? FOR UPDATE",
                             v, 2, &rows);
    size_t got = kbj_rows_count(rows);
    kbj_rows_free(rows);
    if (rc || got)
        return rc ? rc : 1;
    /* Not returned: locked by another writer, or not there. A plain read tells them apart
     * (it sees the committed row without waiting for its lock). */
    rows = NULL;
    rc = kbj_store_query(st, "SELECT 1 FROM {p}kbjobs_cron_keys WHERE hook = ? AND args_key = ?", v, 2, &rows);
    got = kbj_rows_count(rows);
    kbj_rows_free(rows);
    if (rc || (got && skip_locked))
        return rc ? rc : 0;
    rc = kbj_store_exec(st, "INSERT IGNORE INTO {p}kbjobs_cron_keys (hook, args_key) VALUES (?, ?)", v, 2, NULL);
    if (rc == KBJ_OK)
        rc = kbj_store_query(st, "SELECT 1 FROM {p}kbjobs_cron_keys WHERE hook = ? AND args_key = ? FOR UPDATE",
                             v, 2, &rows);
    got = kbj_rows_count(rows);
    kbj_rows_free(rows);
    return rc ? rc : got ? 1 : 0;
}

/* The event row's columns a claim reads (locked). */
#define EVENT_SELECT                                                                     \
    "SELECT schedule IS NOT NULL AND interval_seconds > 0, interval_seconds, next_run, run_of,"   \
    " attempt, max_attempts, parallel, run_now, run_id, lease_token, lease_token IS NOT NULL"      \
    " AND lease_expires < NOW(6), UNIX_TIMESTAMP(), hook, args_key, args, schedule,"      \
    " fail_streak, id FROM {p}kbjobs_cron_events"
#define EVENT_COLS EVENT_SELECT " WHERE id = ?"

/* An expired lease met by a claim: its run becomes 'lost' and the event is freed as a
 * retry of the same due time (lease cleared, run_of and next_run kept), or, past
 * max(1, max_attempts) + 2 attempts, the due time is given up (a single event deleted, a
 * recurring one idle at its next_run). *gone: the event no longer exists. */
static int record_lost(kbj_store *st, unsigned long long id, const kbj_rows *ev, size_t row, int *given_up)
{
    int recurring = (int)kbj_rows_int(ev, row, 0);
    int attempt = (int)kbj_rows_int(ev, row, 4), max_attempts = (int)kbj_rows_int(ev, row, 5);
    int limit = (max_attempts > 1 ? max_attempts : 1) + 2;
    char msg[256];
    int rc;

    *given_up = attempt >= limit;
    if (*given_up)
        snprintf(msg, sizeof msg, LOST_MESSAGE "; due time given up after %d attempts", attempt);
    else
        snprintf(msg, sizeof msg, LOST_MESSAGE);
    rc = kbj_store_exec(st, "UPDATE {p}kbjobs_cron_runs SET outcome = 'lost', ended_at = NOW(6), error = ?"
                        " WHERE id = ? AND token = ? AND outcome = 'running'",
                        (kbj_val[]){ KBJ_VS(msg), KBJ_VI(kbj_rows_int(ev, row, 8)), KBJ_VI(kbj_rows_int(ev, row, 9)) },
                        3, NULL);
    if (rc)
        return rc;
    if ((rc = streak_alert(st, id, kbj_rows_str(ev, row, 12), kbj_rows_int(ev, row, 16) + 1, msg)))
        return rc;
    if (*given_up && !recurring)
        return kbj_store_exec(st, "DELETE FROM {p}kbjobs_cron_events WHERE id = ?", (kbj_val[]){ KBJ_VI(id) }, 1,
                              NULL);
    return kbj_store_exec(st, "UPDATE {p}kbjobs_cron_events SET lease_owner = NULL, lease_token = NULL,"
                          " lease_expires = NULL, run_of = IF(?, NULL, run_of), attempt = IF(?, 0, attempt),"
                          " due_at = IF(?, next_run, UNIX_TIMESTAMP()), last_run_at = NOW(6), last_outcome = 'lost',"
                          " fail_streak = fail_streak + 1, updated_at = NOW(6) WHERE id = ?",
                          (kbj_val[]){ KBJ_VI(*given_up), KBJ_VI(*given_up), KBJ_VI(*given_up), KBJ_VI(id) }, 4,
                          NULL);
}

/* Whether another event of the pair holds a live lease. */
static int pair_busy(kbj_store *st, claim_one *w, int *busy)
{
    kbj_rows *rows = NULL;
    int rc = kbj_store_query(st, "SELECT 1 FROM {p}kbjobs_cron_events WHERE hook = ? AND args_key = ? AND id <> ?"
                             " AND lease_token IS NOT NULL AND lease_expires >= NOW(6) LIMIT 1",
                             (kbj_val[]){ KBJ_VS(w->hook), KBJ_VS(w->args_key), KBJ_VI(w->id) }, 3, &rows);
    *busy = kbj_rows_count(rows) > 0;
    kbj_rows_free(rows);
    return rc;
}

static int claim_one_tx(kbj_store *st, void *arg)
{
    claim_one *w = arg;
    kbj_rows *ev = NULL;
    long long run_of, next_run, now, interval;
    int rc, attempt, recurring, busy = 0, run_now;
    unsigned long long run_id;
    char trigger[16];

    w->claimed = 0;
    w->lost = 0;
    /* Run again after a connection lost during COMMIT: the event may be ours already. */
    rc = read_claimed(st, w);
    if (rc != 0) {
        w->claimed = rc == 1;
        return rc == 1 ? KBJ_OK : rc;
    }
    rc = lock_guard(st, w->hook, w->args_key, !w->only);
    if (rc <= 0)
        return rc; /* busy: skipped this round */
    rc = kbj_store_query(st, w->only ? EVENT_COLS " FOR UPDATE" : EVENT_COLS " AND" DUE_COND " FOR UPDATE",
                         (kbj_val[]){ KBJ_VI(w->id) }, 1, &ev);
    if (rc)
        return rc;
    if (kbj_rows_count(ev) == 0) {
        kbj_rows_free(ev);
        return w->only ? kbj_efail(w->eng, KBJ_ENOTFOUND, "no cron event %llu", w->id) : KBJ_OK;
    }
    if (kbj_rows_str(ev, 0, 9) && !kbj_rows_int(ev, 0, 10)) {
        /* only_id: held by a live lease */
        kbj_rows_free(ev);
        return kbj_efail(w->eng, KBJ_ECONFLICT, "cron event %llu is running", w->id);
    }
    if (kbj_rows_str(ev, 0, 9)) {
        int given_up = 0;
        rc = record_lost(st, w->id, ev, 0, &given_up);
        w->lost += rc == KBJ_OK;
        if (rc || given_up) {
            kbj_rows_free(ev);
            if (rc == KBJ_OK && w->only)
                rc = kbj_efail(w->eng, KBJ_ECONFLICT, "cron event %llu: its due time was given up after its "
                               "runs' leases expired", w->id);
            return rc;
        }
    }
    recurring = (int)kbj_rows_int(ev, 0, 0);
    interval = kbj_rows_int(ev, 0, 1);
    next_run = kbj_rows_int(ev, 0, 2);
    run_of = kbj_rows_int(ev, 0, 3);
    attempt = (int)kbj_rows_int(ev, 0, 4);
    run_now = (int)kbj_rows_int(ev, 0, 7);
    now = kbj_rows_int(ev, 0, 11);
    if (!kbj_rows_int(ev, 0, 6) && (rc = pair_busy(st, w, &busy)) == KBJ_OK && busy) {
        kbj_rows_free(ev);
        /* what record_lost wrote commits; the event waits for the pair's run to end */
        return w->only ? kbj_efail(w->eng, KBJ_ECONFLICT, "another event of hook and arguments of cron event %llu "
                                   "is running", w->id) : KBJ_OK;
    }
    if (rc) {
        kbj_rows_free(ev);
        return rc;
    }

    if (kbj_rows_str(ev, 0, 3)) {
        attempt++;              /* a retry (or a lost attempt) of the same due time */
    } else if (run_now || w->only) {
        run_of = now;           /* a run now: a recurring event's schedule stays */
        attempt = 1;
    } else {
        run_of = next_run;      /* as core, rescheduled before it runs */
        attempt = 1;
        if (recurring)
            next_run = next_after(next_run, interval, now);
    }
    kbj_copy(trigger, sizeof trigger, run_now && !w->only ? "run-now" : w->trigger);

    rc = kbj_store_exec(st, "INSERT INTO {p}kbjobs_cron_runs (event_id, hook, args_key, args, schedule, due, attempt,"
                        " run_trigger, runner, host, pid, token, started_at, outcome)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NOW(6), 'running')",
                        (kbj_val[]){ KBJ_VI(w->id), KBJ_VSN(kbj_rows_str(ev, 0, 12), kbj_rows_len(ev, 0, 12)),
                                     KBJ_VS(kbj_rows_str(ev, 0, 13)),
                                     KBJ_VSN(kbj_rows_str(ev, 0, 14), kbj_rows_len(ev, 0, 14)),
                                     KBJ_VS(kbj_rows_str(ev, 0, 15)), KBJ_VI(run_of), KBJ_VI(attempt),
                                     KBJ_VS(trigger), KBJ_VS(w->runner), KBJ_VS(w->host), KBJ_VI(w->pid),
                                     KBJ_VI(w->token) }, 12, NULL);
    kbj_rows_free(ev);
    if (rc)
        return rc;
    run_id = kbj_store_insert_id(st);
    rc = kbj_store_exec(st, "UPDATE {p}kbjobs_cron_events SET lease_owner = ?, lease_token = ?,"
                        " lease_expires = NOW(6) + INTERVAL ? SECOND, due_at = NULL, run_now = 0, run_of = ?,"
                        " attempt = ?, next_run = ?, run_id = ?, updated_at = NOW(6) WHERE id = ?",
                        (kbj_val[]){ KBJ_VS(w->runner), KBJ_VI(w->token), KBJ_VI(w->eng->cfg.lease_seconds),
                                     KBJ_VI(run_of), KBJ_VI(attempt), KBJ_VI(next_run), KBJ_VI(run_id),
                                     KBJ_VI(w->id) }, 8, NULL);
    if (rc)
        return rc;
    rc = read_claimed(st, w);
    if (rc == 0)
        rc = kbj_efail(w->eng, KBJ_EDB, "cron event %llu: the claim just written cannot be read back", w->id);
    w->claimed = rc == 1;
    return rc == 1 ? KBJ_OK : rc;
}

/* ---- statements over lists --------------------------------------------------------- */

/* A statement built from pieces (lists of placeholders); oom set when memory ran out. */
typedef struct sqlbuf {
    char *s;
    size_t len, cap;
    int oom;
} sqlbuf;

static void sb_add(sqlbuf *b, const char *fmt, ...)
{
    va_list ap;
    int need;
    if (b->oom)
        return;
    va_start(ap, fmt);
    need = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
    va_end(ap);
    if (need < 0) {
        b->oom = 1;
        return;
    }
    if (!b->s || b->len + (size_t)need + 1 > b->cap) {
        size_t cap = (b->cap ? b->cap : 512) * 2 + (size_t)need;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->oom = 1;
            return;
        }
        b->s = s;
        b->cap = cap;
        va_start(ap, fmt);
        vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)need;
}

/* "(?, ?), (?, ?), ..." n times, or "?, ?, ..." with per == 1. */
static void sb_tuples(sqlbuf *b, size_t n, int per)
{
    for (size_t i = 0; i < n; i++)
        sb_add(b, per == 1 ? "%s?" : "%s(?, ?)", i ? ", " : "");
}

static int same_pair(const char *h1, const char *k1, const char *h2, const char *k2)
{
    return h1 && h2 && k1 && k2 && strcmp(h1, h2) == 0 && strcmp(k1, k2) == 0;
}

/* ---- claim of a batch ---------------------------------------------------------------- */

/*
 * A batch claim takes up to `max` due events in one transaction, with a statement per
 * step for all of them rather than per event: the candidates (a plain read), their
 * pairs' guard rows (locked, SKIP LOCKED: a pair being written, or taken by another
 * runner's claim, is skipped this round), the event rows re-read FOR UPDATE with the due
 * condition, the pairs' live leases (one running instance per pair), one INSERT of the
 * run rows and one UPDATE of the events, joined to their run rows for run_id. Expired
 * leases met on the way are recorded as lost runs one by one (rare). All runs of a batch
 * share one fencing token, made before the first try (as a claim of jobs does): a rerun
 * after a commit that was not acknowledged finds the batch held under it.
 */
typedef struct claim_batch {
    kbj_engine *eng;
    const char *runner, *host, *trigger;
    int pid;
    size_t max;
    long long token;
    int tried;                  /* the work ran before: its commit may have gone through */
    kbj_cron_run *out;          /* max of them; n filled */
    size_t n;
    unsigned long long *ids;    /* the events the last try took, and which of them were */
    unsigned char *run_now;     /* claimed as a run now (read back with the batch) */
    size_t nids;
} claim_batch;

/* The runs held under the batch's token, with their events, into w->out. */
static int read_batch(kbj_store *st, claim_batch *w)
{
    kbj_rows *rows = NULL;
    int rc = kbj_store_query(st, "SELECT e.id, e.hook, e.args_key, e.args, e.args_php, e.schedule,"
                             " e.interval_seconds, r.id, r.due, r.attempt, r.run_trigger"
                             " FROM {p}kbjobs_cron_events e JOIN {p}kbjobs_cron_runs r"
                             " ON r.id = e.run_id AND r.token = e.lease_token"
                             " WHERE e.lease_owner = ? AND e.lease_token = ? ORDER BY r.id",
                             (kbj_val[]){ KBJ_VS(w->runner), KBJ_VI(w->token) }, 2, &rows);
    if (rc)
        return rc;
    for (size_t i = 0; i < kbj_rows_count(rows) && w->n < w->max; i++) {
        kbj_cron_run *r = &w->out[w->n++];
        memset(r, 0, sizeof *r);
        r->event_id = (unsigned long long)kbj_rows_int(rows, i, 0);
        r->run_id = (unsigned long long)kbj_rows_int(rows, i, 7);
        r->token = w->token;
        kbj_copy(r->runner, sizeof r->runner, w->runner);
        r->hook = dup_cell(rows, i, 1, NULL);
        kbj_copy(r->args_key, sizeof r->args_key, kbj_rows_str(rows, i, 2));
        r->args_json = dup_cell(rows, i, 3, NULL);
        r->args_php = dup_cell(rows, i, 4, &r->args_php_len);
        r->schedule = kbj_rows_str(rows, i, 5) ? dup_cell(rows, i, 5, NULL) : NULL;
        r->interval = kbj_rows_int(rows, i, 6);
        r->due = kbj_rows_int(rows, i, 8);
        r->attempt = (int)kbj_rows_int(rows, i, 9);
        kbj_copy(r->trigger, sizeof r->trigger, kbj_rows_str(rows, i, 10));
        r->memory_peak = r->queries = r->http_requests = -1;
        for (size_t k = 0; k < w->nids; k++)
            if (w->ids[k] == r->event_id)
                r->run_now = w->run_now[k];
        if (!r->hook || !r->args_json || !r->args_php || (kbj_rows_str(rows, i, 5) && !r->schedule)) {
            kbj_rows_free(rows);
            return kbj_efail(w->eng, KBJ_ENOMEM, "out of memory");
        }
    }
    kbj_rows_free(rows);
    return KBJ_OK;
}

/* Locks the guard rows of free pairs among the candidates, in due order, up to w->max of
 * them: the next pairs wanted in one statement (SKIP LOCKED), and the next ones again
 * only for those skipped, so runners racing for the same candidates share them rather
 * than one taking all and the others none. locked[i]: candidate i's pair is held. */
static int lock_guards(kbj_store *st, claim_batch *w, const kbj_rows *cand, unsigned char *locked)
{
    size_t nc = kbj_rows_count(cand), pos = 0, nlocked = 0;
    kbj_val *v = calloc(2 * nc + 1, sizeof *v);
    sqlbuf b = { 0 };
    kbj_rows *rows = NULL;
    int rc = KBJ_OK;

    if (!v)
        return kbj_efail(w->eng, KBJ_ENOMEM, "out of memory");
    while (rc == KBJ_OK && nlocked < w->max && pos < nc) {
        size_t np = 0;
        b.len = 0;
        sb_add(&b, "SELECT hook, args_key FROM {p}kbjobs_cron_keys WHERE (hook, args_key) IN (");
        for (; pos < nc && np < w->max - nlocked; pos++) {
            int dup = 0;
            for (size_t k = 0; k < pos && !dup; k++)
                dup = same_pair(kbj_rows_str(cand, pos, 1), kbj_rows_str(cand, pos, 2), kbj_rows_str(cand, k, 1),
                                kbj_rows_str(cand, k, 2));
            if (dup)
                continue;
            sb_add(&b, "%s(?, ?)", np ? ", " : "");
            v[2 * np] = KBJ_VS(kbj_rows_str(cand, pos, 1));
            v[2 * np + 1] = KBJ_VS(kbj_rows_str(cand, pos, 2));
            np++;
        }
        sb_add(&b, ") FOR UPDATE SKIP LOCKED");
        if (np == 0)
            break;
        rc = b.oom ? kbj_efail(w->eng, KBJ_ENOMEM, "out of memory") : kbj_store_query(st, b.s, v, 2 * np, &rows);
        for (size_t r = 0; rc == KBJ_OK && r < kbj_rows_count(rows); r++)
            for (size_t i = 0; i < nc; i++)
                if (same_pair(kbj_rows_str(rows, r, 0), kbj_rows_str(rows, r, 1), kbj_rows_str(cand, i, 1),
                              kbj_rows_str(cand, i, 2)))
                    locked[i] = 1;
        nlocked += kbj_rows_count(rows);
        kbj_rows_free(rows);
        rows = NULL;
    }
    /* Fewer than asked for: the others are held by other writers (skipped this round),
     * or a pair has no guard row yet (an event written by older code). A plain read tells
     * them apart; lock_guard makes the missing ones (rare: one by one). */
    if (rc == KBJ_OK && nlocked < w->max) {
        size_t nu = 0;
        b.len = 0;
        sb_add(&b, "SELECT hook, args_key FROM {p}kbjobs_cron_keys WHERE (hook, args_key) IN (");
        for (size_t i = 0; i < nc; i++)
            if (!locked[i]) {
                sb_add(&b, "%s(?, ?)", nu ? ", " : "");
                v[2 * nu] = KBJ_VS(kbj_rows_str(cand, i, 1));
                v[2 * nu + 1] = KBJ_VS(kbj_rows_str(cand, i, 2));
                nu++;
            }
        sb_add(&b, ")");
        rc = nu == 0 ? KBJ_OK : b.oom ? kbj_efail(w->eng, KBJ_ENOMEM, "out of memory")
                                      : kbj_store_query(st, b.s, v, 2 * nu, &rows);
        for (size_t i = 0; rc == KBJ_OK && nu && i < nc; i++) {
            int exists = 0, got;
            for (size_t r = 0; r < kbj_rows_count(rows) && !exists; r++)
                exists = same_pair(kbj_rows_str(rows, r, 0), kbj_rows_str(rows, r, 1), kbj_rows_str(cand, i, 1),
                                   kbj_rows_str(cand, i, 2));
            if (locked[i] || exists)
                continue;
            got = lock_guard(st, kbj_rows_str(cand, i, 1), kbj_rows_str(cand, i, 2), 1);
            if (got < 0)
                rc = got;
            for (size_t k = i; got == 1 && k < nc; k++)
                if (same_pair(kbj_rows_str(cand, i, 1), kbj_rows_str(cand, i, 2), kbj_rows_str(cand, k, 1),
                              kbj_rows_str(cand, k, 2)))
                    locked[k] = 1;
        }
        kbj_rows_free(rows);
    }
    free(v);
    free(b.s);
    return rc;
}

/* The row of event `id` in `ev` (column 17), or -1. */
static long find_event(const kbj_rows *ev, unsigned long long id)
{
    for (size_t i = 0; i < kbj_rows_count(ev); i++)
        if ((unsigned long long)kbj_rows_int(ev, i, 17) == id)
            return (long)i;
    return -1;
}

static int claim_batch_tx(kbj_store *st, void *arg)
{
    claim_batch *w = arg;
    kbj_rows *cand = NULL, *ev = NULL, *live = NULL;
    unsigned char *locked = NULL, *take = NULL, *run_now = NULL;
    long *row = NULL;
    long long *run_of = NULL, *next_run = NULL;
    int *attempt = NULL;
    kbj_val *v = NULL;
    sqlbuf b = { 0 };
    size_t nc, ntake = 0, nv = 0, nlive = 0;
    int rc;

    for (size_t i = 0; i < w->n; i++)
        run_clear(&w->out[i]);
    w->n = 0;
    /* Run again after a connection lost during COMMIT: the batch may be ours already. */
    if (w->tried && ((rc = read_batch(st, w)) || w->n))
        return rc;
    w->tried = 1;
    w->nids = 0;

    /* A plain read: more than wanted, since some will be skipped (their pair busy, or
     * taken by another runner in the meantime). */
    rc = kbj_store_query(st, "SELECT id, hook, args_key FROM {p}kbjobs_cron_events WHERE" DUE_COND
                         " ORDER BY due_at, id LIMIT ?", (kbj_val[]){ KBJ_VI(w->max * 2 + 2) }, 1, &cand);
    nc = kbj_rows_count(cand);
    if (rc || nc == 0)
        goto out;
    locked = calloc(nc, 1);
    take = calloc(nc, 1);
    run_now = calloc(nc, 1);
    row = calloc(nc, sizeof *row);
    run_of = calloc(nc, sizeof *run_of);
    next_run = calloc(nc, sizeof *next_run);
    attempt = calloc(nc, sizeof *attempt);
    v = calloc(12 * nc + 8, sizeof *v);
    if (!locked || !take || !run_now || !row || !run_of || !next_run || !attempt || !v) {
        rc = kbj_efail(w->eng, KBJ_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = lock_guards(st, w, cand, locked)))
        goto out;

    /* The events of the pairs held, re-read and locked with the due condition: one taken
     * by another runner since the plain read is not due any more. */
    sb_add(&b, EVENT_SELECT " WHERE id IN (");
    for (size_t i = 0; i < nc; i++)
        if (locked[i]) {
            sb_add(&b, "%s?", nv ? ", " : "");
            v[nv++] = KBJ_VI(kbj_rows_int(cand, i, 0));
        }
    sb_add(&b, ") AND" DUE_COND " FOR UPDATE");
    if (nv == 0)
        goto out;
    if (b.oom) {
        rc = kbj_efail(w->eng, KBJ_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = kbj_store_query(st, b.s, v, nv, &ev)))
        goto out;
    for (size_t i = 0; i < nc; i++) {
        int given_up = 0;
        row[i] = locked[i] ? find_event(ev, (unsigned long long)kbj_rows_int(cand, i, 0)) : -1;
        if (row[i] < 0 || !kbj_rows_str(ev, (size_t)row[i], 9))
            continue;
        /* held by a lease that expired: its run is lost; the event is retried, or given up */
        if ((rc = record_lost(st, (unsigned long long)kbj_rows_int(cand, i, 0), ev, (size_t)row[i], &given_up)))
            goto out;
        if (given_up)
            row[i] = -1;
    }

    /* One running instance per pair: the live leases of the pairs of events that do not
     * allow parallel runs (READ COMMITTED: committed leases; their writers hold the
     * guard rows this claim holds now). */
    b.len = 0;
    nv = 0;
    sb_add(&b, "SELECT id, hook, args_key FROM {p}kbjobs_cron_events WHERE (hook, args_key) IN (");
    for (size_t i = 0; i < nc; i++)
        if (row[i] >= 0 && !kbj_rows_int(ev, (size_t)row[i], 6)) {
            sb_add(&b, "%s(?, ?)", nv ? ", " : "");
            v[nv++] = KBJ_VS(kbj_rows_str(cand, i, 1));
            v[nv++] = KBJ_VS(kbj_rows_str(cand, i, 2));
        }
    sb_add(&b, ") AND lease_token IS NOT NULL AND lease_expires >= NOW(6)");
    if (b.oom) {
        rc = kbj_efail(w->eng, KBJ_ENOMEM, "out of memory");
        goto out;
    }
    if (nv && (rc = kbj_store_query(st, b.s, v, nv, &live)))
        goto out;
    nlive = kbj_rows_count(live);

    for (size_t i = 0; i < nc && ntake < w->max; i++) {
        size_t r = (size_t)row[i];
        unsigned long long id = (unsigned long long)kbj_rows_int(cand, i, 0);
        const char *hook = kbj_rows_str(cand, i, 1), *key = kbj_rows_str(cand, i, 2);
        int busy = 0;
        long long now;
        if (row[i] < 0)
            continue;
        if (!kbj_rows_int(ev, r, 6)) {
            for (size_t k = 0; k < nlive && !busy; k++)
                busy = (unsigned long long)kbj_rows_int(live, k, 0) != id &&
                       same_pair(kbj_rows_str(live, k, 1), kbj_rows_str(live, k, 2), hook, key);
            /* a pair twice in this batch (two due times of one hook and args): one run */
            for (size_t k = 0; k < i && !busy; k++)
                busy = take[k] && same_pair(kbj_rows_str(cand, k, 1), kbj_rows_str(cand, k, 2), hook, key);
        }
        if (busy)
            continue; /* what record_lost wrote commits; the event waits for the pair's run */
        take[i] = 1;
        ntake++;
        now = kbj_rows_int(ev, r, 11);
        run_of[i] = kbj_rows_int(ev, r, 3);
        attempt[i] = (int)kbj_rows_int(ev, r, 4);
        next_run[i] = kbj_rows_int(ev, r, 2);
        run_now[i] = (unsigned char)(kbj_rows_int(ev, r, 7) != 0);
        if (kbj_rows_str(ev, r, 3)) {
            attempt[i]++;           /* a retry (or a lost attempt) of the same due time */
        } else if (run_now[i]) {
            run_of[i] = now;        /* a run now: a recurring event's schedule stays */
            attempt[i] = 1;
        } else {
            run_of[i] = next_run[i]; /* as core, rescheduled before it runs */
            attempt[i] = 1;
            if (kbj_rows_int(ev, r, 0))
                next_run[i] = next_after(next_run[i], kbj_rows_int(ev, r, 1), now);
        }
    }
    if (ntake == 0)
        goto out;

    /* The run rows, then the events joined to them (run_id), in two statements. */
    b.len = 0;
    nv = 0;
    sb_add(&b, "INSERT INTO {p}kbjobs_cron_runs (event_id, hook, args_key, args, schedule, due, attempt,"
           " run_trigger, runner, host, pid, token, started_at, outcome) VALUES ");
    for (size_t i = 0; i < nc; i++) {
        size_t r = (size_t)row[i];
        if (!take[i])
            continue;
        sb_add(&b, "%s(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NOW(6), 'running')", nv ? ", " : "");
        v[nv++] = KBJ_VI(kbj_rows_int(cand, i, 0));
        v[nv++] = KBJ_VSN(kbj_rows_str(ev, r, 12), kbj_rows_len(ev, r, 12));
        v[nv++] = KBJ_VS(kbj_rows_str(ev, r, 13));
        v[nv++] = KBJ_VSN(kbj_rows_str(ev, r, 14), kbj_rows_len(ev, r, 14));
        v[nv++] = KBJ_VS(kbj_rows_str(ev, r, 15));
        v[nv++] = KBJ_VI(run_of[i]);
        v[nv++] = KBJ_VI(attempt[i]);
        v[nv++] = KBJ_VS(run_now[i] ? "run-now" : w->trigger);
        v[nv++] = KBJ_VS(w->runner);
        v[nv++] = KBJ_VS(w->host);
        v[nv++] = KBJ_VI(w->pid);
        v[nv++] = KBJ_VI(w->token);
    }
    if (b.oom) {
        rc = kbj_efail(w->eng, KBJ_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = kbj_store_exec(st, b.s, v, nv, NULL)))
        goto out;
    b.len = 0;
    nv = 0;
    sb_add(&b, "UPDATE {p}kbjobs_cron_events e JOIN {p}kbjobs_cron_runs r ON r.event_id = e.id AND r.token = ?"
           " AND r.outcome = 'running' SET e.lease_owner = ?, e.lease_token = ?,"
           " e.lease_expires = NOW(6) + INTERVAL ? SECOND, e.due_at = NULL, e.run_now = 0, e.run_of = r.due,"
           " e.attempt = r.attempt, e.run_id = r.id, e.updated_at = NOW(6), e.next_run = CASE e.id");
    v[nv++] = KBJ_VI(w->token);
    v[nv++] = KBJ_VS(w->runner);
    v[nv++] = KBJ_VI(w->token);
    v[nv++] = KBJ_VI(w->eng->cfg.lease_seconds);
    for (size_t i = 0; i < nc; i++)
        if (take[i]) {
            sb_add(&b, " WHEN ? THEN ?");
            v[nv++] = KBJ_VI(kbj_rows_int(cand, i, 0));
            v[nv++] = KBJ_VI(next_run[i]);
        }
    sb_add(&b, " ELSE e.next_run END WHERE e.id IN (");
    for (size_t i = 0, k = 0; i < nc; i++)
        if (take[i]) {
            sb_add(&b, "%s?", k++ ? ", " : "");
            v[nv++] = KBJ_VI(kbj_rows_int(cand, i, 0));
        }
    sb_add(&b, ")");
    if (b.oom) {
        rc = kbj_efail(w->eng, KBJ_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = kbj_store_exec(st, b.s, v, nv, NULL)))
        goto out;
    for (size_t i = 0; i < nc; i++)
        if (take[i]) {
            w->ids[w->nids] = (unsigned long long)kbj_rows_int(cand, i, 0);
            w->run_now[w->nids++] = run_now[i];
        }
    if ((rc = read_batch(st, w)) == KBJ_OK && w->n != ntake)
        rc = kbj_efail(w->eng, KBJ_EDB, "the claim of %zu cron events just written reads back as %zu", ntake, w->n);
out:
    kbj_rows_free(cand);
    kbj_rows_free(ev);
    kbj_rows_free(live);
    free(locked);
    free(take);
    free(run_now);
    free(row);
    free(run_of);
    free(next_run);
    free(attempt);
    free(v);
    free(b.s);
    return rc;
}

int kbj_cron_claim(kbj_engine *eng, const char *runner, const char *host, int pid, const char *trigger,
                   unsigned long long only_id, size_t max, kbj_cron_run **out, size_t *n)
{
    claim_one w = { 0 };
    claim_batch bw = { 0 };
    kbj_rows *cand = NULL;
    char hook[KBJ_CRON_HOOK_MAX + 1], args_key[33];
    int rc = KBJ_OK;

    if (!eng || !out || !n)
        return KBJ_EINVAL;
    *out = NULL;
    *n = 0;
    if (!kbj_valid_id(runner))
        return kbj_efail(eng, KBJ_EINVAL, "\"%.40s\" is not a runner id", runner ? runner : "");
    if (trigger && !kbj_cron_trigger_valid(trigger))
        return kbj_efail(eng, KBJ_EINVAL, "trigger \"%.40s\" must be 1 to 15 characters of a-z and '-'", trigger);
    if (only_id)
        max = 1;
    if (max == 0 || max > 1000)
        return kbj_efail(eng, KBJ_EINVAL, "claim size %zu is out of range 1..1000", max);
    *out = calloc(max, sizeof **out);
    if (!*out)
        return kbj_efail(eng, KBJ_ENOMEM, "out of memory");

    if (!only_id) {
        bw.eng = eng;
        bw.runner = runner;
        bw.host = host ? host : "";
        bw.pid = pid;
        bw.trigger = trigger ? trigger : "runner";
        bw.max = max;
        bw.token = kbj_new_token();
        bw.out = *out;
        bw.ids = calloc(max, sizeof *bw.ids);
        bw.run_now = calloc(max, 1);
        rc = bw.ids && bw.run_now ? kbj_store_tx(eng->st, claim_batch_tx, &bw)
                                  : kbj_efail(eng, KBJ_ENOMEM, "out of memory");
        free(bw.ids);
        free(bw.run_now);
        *n = rc == KBJ_OK ? bw.n : 0;
        if (rc || *n == 0) {
            kbj_cron_runs_free(*out, bw.n);
            *out = NULL;
            *n = 0;
        }
        return rc;
    }

    /* A run now of one event, due or not. */
    w.eng = eng;
    w.runner = runner;
    w.host = host ? host : "";
    w.pid = pid;
    w.trigger = trigger ? trigger : "runner";
    w.only = 1;
    rc = kbj_store_query_again(eng->st, "SELECT hook, args_key FROM {p}kbjobs_cron_events WHERE id = ?",
                               (kbj_val[]){ KBJ_VI(only_id) }, 1, &cand);
    if (rc == KBJ_OK && kbj_rows_count(cand) == 0)
        rc = kbj_efail(eng, KBJ_ENOTFOUND, "no cron event %llu", only_id);
    if (rc == KBJ_OK) {
        w.id = only_id;
        kbj_copy(hook, sizeof hook, kbj_rows_str(cand, 0, 0));
        kbj_copy(args_key, sizeof args_key, kbj_rows_str(cand, 0, 1));
        w.hook = hook;
        w.args_key = args_key;
        w.token = kbj_new_token();
        w.run = &(*out)[0];
        rc = kbj_store_tx(eng->st, claim_one_tx, &w);
    }
    kbj_rows_free(cand);
    if (rc == KBJ_OK && w.claimed) {
        (*out)[0].run_now = 1;
        *n = 1;
        return KBJ_OK;
    }
    kbj_cron_runs_free(*out, 1);
    *out = NULL;
    return rc;
}

/* ---- finish ------------------------------------------------------------------------ */

/*
 * Finishing a batch of runs: one transaction, and a statement per step for all of them:
 * the pairs' guard rows locked (waiting: a finish is never skipped), the events re-read
 * FOR UPDATE, the run rows' outcomes read, one UPDATE of the run rows (their per-run
 * values through CASE), one statement per way the events move (deleted; scheduled again
 * after an ok run; after a failed one), and one per retry or alert (rare). Each run is
 * fenced on its own: one whose lease was lost is refused (KBJ_ELEASE in its place) and
 * the others are recorded.
 */
typedef struct finish_work {
    kbj_engine *eng;
    const kbj_cron_run *runs;
    size_t n;
    char **error;              /* per run: sanitized and cut, or NULL */
    size_t *output_len;        /* per run: what of output is kept */
    int *rcs;                  /* out: per run, KBJ_OK or KBJ_ELEASE */
    char *outcome;             /* per run, 12 bytes: the run row's outcome under its token */
    long *row;                 /* per run: its event's row, -1 when gone */
    unsigned char *act;        /* per run: 0 nothing, 1 record the run, 2 and move the event */
} finish_work;

static long long clamp_int(long long v)
{
    return v > INT_MAX ? INT_MAX : v;
}

/* The events' columns a finish reads (locked). */
#define FINISH_SELECT                                                                    \
    "SELECT run_id, lease_token, lease_expires >= NOW(6), schedule IS NOT NULL AND"     \
    " interval_seconds > 0, next_run, attempt, max_attempts, retry_seconds, UNIX_TIMESTAMP()," \
    " fail_streak, id FROM {p}kbjobs_cron_events WHERE id IN ("

/* Locks the guard rows of the runs' pairs, waiting for them (missing ones made). */
static int finish_guards(kbj_store *st, finish_work *w)
{
    kbj_val *v = calloc(2 * w->n + 1, sizeof *v);
    sqlbuf b = { 0 };
    kbj_rows *rows = NULL;
    size_t np = 0;
    int rc;

    if (!v)
        return kbj_efail(w->eng, KBJ_ENOMEM, "out of memory");
    sb_add(&b, "SELECT hook, args_key FROM {p}kbjobs_cron_keys WHERE (hook, args_key) IN (");
    for (size_t i = 0; i < w->n; i++) {
        int dup = 0;
        for (size_t k = 0; k < i && !dup; k++)
            dup = same_pair(w->runs[i].hook, w->runs[i].args_key, w->runs[k].hook, w->runs[k].args_key);
        if (dup)
            continue;
        sb_add(&b, "%s(?, ?)", np ? ", " : "");
        v[2 * np] = KBJ_VS(w->runs[i].hook);
        v[2 * np + 1] = KBJ_VS(w->runs[i].args_key);
        np++;
    }
    sb_add(&b, ") FOR UPDATE");
    rc = b.oom ? kbj_efail(w->eng, KBJ_ENOMEM, "out of memory") : kbj_store_query(st, b.s, v, 2 * np, &rows);
    /* A pair without a guard row (written by older code): lock_guard makes it. */
    for (size_t i = 0; rc == KBJ_OK && kbj_rows_count(rows) < np && i < w->n; i++) {
        int found = 0;
        for (size_t r = 0; r < kbj_rows_count(rows) && !found; r++)
            found = same_pair(kbj_rows_str(rows, r, 0), kbj_rows_str(rows, r, 1), w->runs[i].hook,
                              w->runs[i].args_key);
        if (!found) {
            int got = lock_guard(st, w->runs[i].hook, w->runs[i].args_key, 0);
            rc = got < 0 ? got : KBJ_OK;
        }
    }
    kbj_rows_free(rows);
    free(v);
    free(b.s);
    return rc;
}

static int finish_tx(kbj_store *st, void *arg)
{
    finish_work *w = arg;
    kbj_rows *ev = NULL, *runs = NULL;
    kbj_val *v = NULL;
    sqlbuf b = { 0 };
    size_t nv = 0, nrec = 0;
    int rc;

    for (size_t i = 0; i < w->n; i++) {
        w->rcs[i] = KBJ_OK;
        w->act[i] = 0;
        w->row[i] = -1;
        w->outcome[12 * i] = '\0';
    }
    v = calloc(13 * w->n + 4, sizeof *v);
    if (!v)
        return kbj_efail(w->eng, KBJ_ENOMEM, "out of memory");
    if ((rc = finish_guards(st, w)))
        goto out;

    sb_add(&b, FINISH_SELECT);
    sb_tuples(&b, w->n, 1);
    sb_add(&b, ") FOR UPDATE");
    for (size_t i = 0; i < w->n; i++)
        v[i] = KBJ_VI(w->runs[i].event_id);
    if (b.oom || (rc = kbj_store_query(st, b.s, v, w->n, &ev)))
        goto out;
    b.len = 0;
    sb_add(&b, "SELECT id, token, outcome FROM {p}kbjobs_cron_runs WHERE id IN (");
    sb_tuples(&b, w->n, 1);
    sb_add(&b, ")");
    for (size_t i = 0; i < w->n; i++)
        v[i] = KBJ_VI(w->runs[i].run_id);
    if (b.oom || (rc = kbj_store_query(st, b.s, v, w->n, &runs)))
        goto out;

    for (size_t i = 0; i < w->n; i++) {
        const kbj_cron_run *r = &w->runs[i];
        char *outcome = &w->outcome[12 * i];
        size_t e;
        for (size_t k = 0; k < kbj_rows_count(runs); k++)
            if ((unsigned long long)kbj_rows_int(runs, k, 0) == r->run_id && kbj_rows_int(runs, k, 1) == r->token)
                kbj_copy(outcome, 12, kbj_rows_str(runs, k, 2));
        for (e = 0; e < kbj_rows_count(ev); e++)
            if ((unsigned long long)kbj_rows_int(ev, e, 10) == r->event_id)
                break;
        if (e == kbj_rows_count(ev) || (unsigned long long)kbj_rows_int(ev, e, 0) != r->run_id ||
            !kbj_rows_str(ev, e, 1) || kbj_rows_int(ev, e, 1) != r->token || kbj_rows_int(ev, e, 2) != 1) {
            int gone = e == kbj_rows_count(ev);
            /* Already recorded by a first run of this work whose commit was not acknowledged. */
            if (strcmp(outcome, "ok") == 0 || strcmp(outcome, "failed") == 0)
                continue;
            /* Deleted while it ran: the run is still recorded; nothing is rescheduled. */
            if (!gone || strcmp(outcome, "running") != 0) {
                w->rcs[i] = KBJ_ELEASE;
                continue;
            }
            w->act[i] = 1;
        } else {
            w->act[i] = 2;
            w->row[i] = (long)e;
        }
        nrec++;
    }
    if (nrec == 0)
        goto out;

    /* The run rows, each with its own values. */
#define FINISH_CASE(col, then, value)                                                    \
    do {                                                                                 \
        sb_add(&b, ", " col " = CASE id");                                               \
        for (size_t i = 0; i < w->n; i++)                                                \
            if (w->act[i]) {                                                             \
                const kbj_cron_run *r = &w->runs[i];                                     \
                sb_add(&b, " WHEN ? THEN " then);                                        \
                v[nv++] = KBJ_VI(r->run_id);                                             \
                v[nv++] = (value);                                                       \
            }                                                                            \
        sb_add(&b, " END");                                                              \
    } while (0)
    b.len = 0;
    nv = 0;
    sb_add(&b, "UPDATE {p}kbjobs_cron_runs SET ended_at = NOW(6)");
    FINISH_CASE("outcome", "?", KBJ_VS(r->failed ? "failed" : "ok"));
    FINISH_CASE("error", "?", KBJ_VS(w->error[i]));
    FINISH_CASE("memory_peak", "?", r->memory_peak >= 0 ? KBJ_VI(r->memory_peak) : KBJ_VNULL);
    FINISH_CASE("queries", "?", r->queries >= 0 ? KBJ_VI(clamp_int(r->queries)) : KBJ_VNULL);
    FINISH_CASE("http_requests", "?", r->http_requests >= 0 ? KBJ_VI(clamp_int(r->http_requests)) : KBJ_VNULL);
    FINISH_CASE("output", "CAST(? AS BINARY)", r->output ? KBJ_VSN(r->output, w->output_len[i]) : KBJ_VNULL);
#undef FINISH_CASE
    sb_add(&b, " WHERE outcome = 'running' AND id IN (");
    for (size_t i = 0, k = 0; i < w->n; i++)
        if (w->act[i]) {
            sb_add(&b, "%s?", k++ ? ", " : "");
            v[nv++] = KBJ_VI(w->runs[i].run_id);
        }
    sb_add(&b, ")");
    if (b.oom || (rc = kbj_store_exec(st, b.s, v, nv, NULL)))
        goto out;

    /* The events: deleted, scheduled again after an ok run, after a failed one (each a
     * statement for all), retried (one each, rare). */
    {
        size_t ndel = 0, nok = 0, nfail = 0;
        unsigned long long *del = calloc(w->n, sizeof *del), *ok = calloc(w->n, sizeof *ok),
                           *fail = calloc(w->n, sizeof *fail);
        if (!del || !ok || !fail) {
            free(del);
            free(ok);
            free(fail);
            rc = KBJ_ENOMEM;
            goto out;
        }
        for (size_t i = 0; rc == KBJ_OK && i < w->n; i++) {
            const kbj_cron_run *r = &w->runs[i];
            size_t e = (size_t)w->row[i];
            int failed = r->failed != 0, recurring, attempt, max_attempts, retry;
            long long next_run, now, streak, backoff;
            if (w->act[i] != 2)
                continue;
            recurring = (int)kbj_rows_int(ev, e, 3);
            next_run = kbj_rows_int(ev, e, 4);
            now = kbj_rows_int(ev, e, 8);
            attempt = (int)kbj_rows_int(ev, e, 5);
            max_attempts = (int)kbj_rows_int(ev, e, 6);
            streak = failed ? kbj_rows_int(ev, e, 9) + 1 : 0;
            backoff = kbj_rows_int(ev, e, 7) ? kbj_rows_int(ev, e, 7) : 60;
            for (int k = 1; k < attempt && backoff < BACKOFF_CAP; k++)
                backoff *= 2;
            if (backoff > BACKOFF_CAP)
                backoff = BACKOFF_CAP;
            /* a recurring event retries only when the retry comes before its next run */
            retry = failed && attempt < max_attempts && (!recurring || now + backoff < next_run);
            if (failed && (rc = streak_alert(st, r->event_id, r->hook, streak, w->error[i])))
                break;
            if (!recurring && !retry)
                del[ndel++] = r->event_id;
            else if (!retry)
                failed ? (fail[nfail++] = r->event_id) : (ok[nok++] = r->event_id);
            else
                rc = kbj_store_exec(st, "UPDATE {p}kbjobs_cron_events SET lease_owner = NULL, lease_token = NULL,"
                                    " lease_expires = NULL, due_at = ?, last_run_at = NOW(6), last_outcome = 'failed',"
                                    " fail_streak = fail_streak + 1, updated_at = NOW(6) WHERE id = ?",
                                    (kbj_val[]){ KBJ_VI(now + backoff), KBJ_VI(r->event_id) }, 2, NULL);
        }
        for (int step = 0; step < 3 && rc == KBJ_OK; step++) {
            unsigned long long *ids = step == 0 ? del : step == 1 ? ok : fail;
            size_t k = step == 0 ? ndel : step == 1 ? nok : nfail;
            if (k == 0)
                continue;
            b.len = 0;
            sb_add(&b, step == 0 ? "DELETE FROM {p}kbjobs_cron_events WHERE id IN ("
                   : "UPDATE {p}kbjobs_cron_events SET lease_owner = NULL, lease_token = NULL, lease_expires = NULL,"
                     " run_of = NULL, attempt = 0, due_at = next_run, last_run_at = NOW(6), last_outcome = %s,"
                     " fail_streak = %s, updated_at = NOW(6) WHERE id IN (",
                   step == 1 ? "'ok'" : "'failed'", step == 1 ? "0" : "fail_streak + 1");
            sb_tuples(&b, k, 1);
            sb_add(&b, ")");
            for (size_t j = 0; j < k; j++)
                v[j] = KBJ_VI(ids[j]);
            rc = b.oom ? KBJ_ENOMEM : kbj_store_exec(st, b.s, v, k, NULL);
        }
        free(del);
        free(ok);
        free(fail);
    }
out:
    if (rc == KBJ_OK && b.oom)
        rc = KBJ_ENOMEM;
    if (rc == KBJ_ENOMEM)
        rc = kbj_efail(w->eng, KBJ_ENOMEM, "out of memory");
    kbj_rows_free(ev);
    kbj_rows_free(runs);
    free(v);
    free(b.s);
    return rc;
}

int kbj_cron_finish_many(kbj_engine *eng, const kbj_cron_run *runs, size_t n, int *rcs)
{
    finish_work w = { 0 };
    int rc = KBJ_OK;

    if (!eng)
        return KBJ_EINVAL;
    if (n == 0)
        return KBJ_OK;
    if (!runs || !rcs || n > 1000)
        return kbj_efail(eng, KBJ_EINVAL, "finish: 1 to 1000 claimed runs and their result array are needed");
    for (size_t i = 0; i < n; i++) {
        if (!runs[i].hook || !runs[i].event_id || !runs[i].run_id)
            return kbj_efail(eng, KBJ_EINVAL, "no claimed run given");
        for (size_t k = 0; k < i; k++)
            if (runs[k].run_id == runs[i].run_id)
                return kbj_efail(eng, KBJ_EINVAL, "run %llu is given twice", runs[i].run_id);
    }
    w.eng = eng;
    w.runs = runs;
    w.n = n;
    w.rcs = rcs;
    w.error = calloc(n, sizeof *w.error);
    w.output_len = calloc(n, sizeof *w.output_len);
    w.outcome = calloc(n, 12);
    w.row = calloc(n, sizeof *w.row);
    w.act = calloc(n, 1);
    if (!w.error || !w.output_len || !w.outcome || !w.row || !w.act)
        rc = kbj_efail(eng, KBJ_ENOMEM, "out of memory");
    for (size_t i = 0; rc == KBJ_OK && i < n; i++) {
        const kbj_cron_run *r = &runs[i];
        if (r->failed) { /* an error is kept with a failed run only */
            /* errors are kept in a utf8mb4 TEXT column: valid UTF-8, cut on a character */
            const char *msg = r->error && *r->error ? r->error : "failed without a message";
            size_t len = 0;
            if (kbj_utf8_sanitize(msg, strlen(msg), &w.error[i], &len) != KBJ_OK)
                rc = kbj_efail(eng, KBJ_ENOMEM, "out of memory");
            else
                w.error[i][kbj_utf8_cut(w.error[i], len, ERROR_MAX)] = '\0';
        }
        w.output_len[i] = r->output ? (r->output_len < KBJ_CRON_OUTPUT_MAX ? r->output_len : KBJ_CRON_OUTPUT_MAX) : 0;
    }
    if (rc == KBJ_OK)
        rc = kbj_store_tx(eng->st, finish_tx, &w);
    for (size_t i = 0; w.error && i < n; i++)
        free(w.error[i]);
    free(w.error);
    free(w.output_len);
    free(w.outcome);
    free(w.row);
    free(w.act);
    return rc;
}

int kbj_cron_finish(kbj_engine *eng, const kbj_cron_run *run)
{
    int one = KBJ_OK, rc;
    if (!eng)
        return KBJ_EINVAL;
    if (!run || !run->hook || !run->event_id || !run->run_id)
        return kbj_efail(eng, KBJ_EINVAL, "no claimed run given");
    rc = kbj_cron_finish_many(eng, run, 1, &one);
    if (rc == KBJ_OK && one == KBJ_ELEASE)
        rc = kbj_efail(eng, KBJ_ELEASE, "the lease on cron event %llu (run %llu) was lost: it expired or the "
                       "event was taken over, so this runner's outcome was refused", run->event_id, run->run_id);
    return rc;
}

/* ---- release ----------------------------------------------------------------------- */

typedef struct release_work {
    kbj_engine *eng;
    const kbj_cron_run *runs;
    size_t n;
    int *rcs;
    finish_work fw;             /* for finish_guards */
} release_work;

/*
 * Gives back claimed runs that never started, as if they had not been claimed: under
 * the guard rows and the event rows (locked), each run still held under its lease has
 * its 'running' run row deleted and its event restored: a fresh claim's next_run (the
 * due time it ran for), run_of and attempt; a retry's attempt; a run now's flag; run_id
 * the run before. A run whose lease is gone is left alone (KBJ_ELEASE in its place): it
 * is recorded as lost by the next claim, as any expired lease.
 */
static int release_tx(kbj_store *st, void *arg)
{
    release_work *w = arg;
    kbj_rows *ev = NULL;
    kbj_val *v = calloc(w->n + 1, sizeof *v);
    sqlbuf b = { 0 };
    int rc;

    if (!v)
        return kbj_efail(w->eng, KBJ_ENOMEM, "out of memory");
    for (size_t i = 0; i < w->n; i++)
        w->rcs[i] = KBJ_OK;
    if ((rc = finish_guards(st, &w->fw)))
        goto out;
    sb_add(&b, FINISH_SELECT);
    sb_tuples(&b, w->n, 1);
    sb_add(&b, ") FOR UPDATE");
    for (size_t i = 0; i < w->n; i++)
        v[i] = KBJ_VI(w->runs[i].event_id);
    if (b.oom) {
        rc = kbj_efail(w->eng, KBJ_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = kbj_store_query(st, b.s, v, w->n, &ev)))
        goto out;
    for (size_t i = 0; rc == KBJ_OK && i < w->n; i++) {
        const kbj_cron_run *r = &w->runs[i];
        size_t e;
        int kind;
        for (e = 0; e < kbj_rows_count(ev); e++)
            if ((unsigned long long)kbj_rows_int(ev, e, 10) == r->event_id)
                break;
        if (e < kbj_rows_count(ev) && ((unsigned long long)kbj_rows_int(ev, e, 0) != r->run_id ||
                                       !kbj_rows_str(ev, e, 1) || kbj_rows_int(ev, e, 1) != r->token ||
                                       kbj_rows_int(ev, e, 2) != 1)) {
            w->rcs[i] = KBJ_ELEASE;
            continue;
        }
        /* the run never started: it leaves no trace (also when its event was deleted; a
         * rerun after a commit that went through finds nothing to delete) */
        rc = kbj_store_exec(st, "DELETE FROM {p}kbjobs_cron_runs WHERE id = ? AND token = ? AND outcome = 'running'",
                            (kbj_val[]){ KBJ_VI(r->run_id), KBJ_VI(r->token) }, 2, NULL);
        if (rc || e == kbj_rows_count(ev))
            continue;
        /* 0: a fresh claim (it moved next_run from its due time); 1: a run now; 2: a retry */
        kind = r->attempt > 1 ? 2 : r->run_now ? 1 : 0;
        rc = kbj_store_exec(st, "UPDATE {p}kbjobs_cron_events SET lease_owner = NULL, lease_token = NULL,"
                            " lease_expires = NULL, next_run = IF(? = 0, run_of, next_run),"
                            " due_at = IF(? = 0, run_of, UNIX_TIMESTAMP()), run_now = ?,"
                            " run_of = IF(? = 2, run_of, NULL), attempt = IF(? = 2, attempt - 1, 0),"
                            " run_id = (SELECT MAX(id) FROM {p}kbjobs_cron_runs WHERE event_id = ?),"
                            " updated_at = NOW(6) WHERE id = ?",
                            (kbj_val[]){ KBJ_VI(kind), KBJ_VI(kind), KBJ_VI(r->run_now != 0), KBJ_VI(kind),
                                         KBJ_VI(kind), KBJ_VI(r->event_id), KBJ_VI(r->event_id) }, 7, NULL);
    }
out:
    kbj_rows_free(ev);
    free(v);
    free(b.s);
    return rc;
}

int kbj_cron_release(kbj_engine *eng, const kbj_cron_run *runs, size_t n, int *rcs)
{
    release_work w = { 0 };
    if (!eng)
        return KBJ_EINVAL;
    if (n == 0)
        return KBJ_OK;
    if (!runs || !rcs || n > 1000)
        return kbj_efail(eng, KBJ_EINVAL, "release: 1 to 1000 claimed runs and their result array are needed");
    for (size_t i = 0; i < n; i++)
        if (!runs[i].hook || !runs[i].event_id || !runs[i].run_id)
            return kbj_efail(eng, KBJ_EINVAL, "no claimed run given");
    w.eng = eng;
    w.runs = runs;
    w.n = n;
    w.rcs = rcs;
    w.fw.eng = eng;
    w.fw.runs = runs;
    w.fw.n = n;
    return kbj_store_tx(eng->st, release_tx, &w);
}

/* ---- renew, runners ---------------------------------------------------------------- */

int kbj_cron_renew_on(kbj_engine *eng, kbj_store *st, const char *runner)
{
    int rc = kbj_store_exec(st, "UPDATE {p}kbjobs_cron_events SET lease_expires = NOW(6) + INTERVAL ? SECOND"
                            " WHERE lease_owner = ? AND lease_token IS NOT NULL AND lease_expires >= NOW(6)",
                            (kbj_val[]){ KBJ_VI(eng->cfg.lease_seconds), KBJ_VS(runner) }, 2, NULL);
    /* A database not migrated to schema 8 yet has no events: the jobs' heartbeat goes on. */
    if (rc == KBJ_EDB && kbj_store_errno(st) == 1146)
        return KBJ_OK;
    return rc;
}

typedef struct renew_work {
    kbj_engine *eng;
    const char *runner;
    int alive;
} renew_work;

static int renew_do(kbj_store *st, void *arg)
{
    renew_work *w = arg;
    return kbj_cron_renew_on(w->eng, st, w->runner);
}

int kbj_cron_renew(kbj_engine *eng, const char *runner)
{
    renew_work w = { eng, runner, 0 };
    if (!eng)
        return KBJ_EINVAL;
    if (!kbj_valid_id(runner))
        return kbj_efail(eng, KBJ_EINVAL, "\"%.40s\" is not a runner id", runner ? runner : "");
    return kbj_store_do(eng->st, renew_do, &w);
}

static int alive_do(kbj_store *st, void *arg)
{
    renew_work *w = arg;
    kbj_rows *rows = NULL;
    /* "lost" as the JobTracker decides it (tracker.c): silent for lost_after_seconds */
    int rc = kbj_store_query(st, "SELECT EXISTS (SELECT 1 FROM {p}kbjobs_runners WHERE cron = 1 AND stopped_at IS NULL"
                             " AND heartbeat_at >= NOW(6) - INTERVAL ? SECOND)",
                             (kbj_val[]){ KBJ_VI(w->eng->cfg.lost_after_seconds) }, 1, &rows);
    w->alive = rc == KBJ_OK && kbj_rows_int(rows, 0, 0) == 1;
    kbj_rows_free(rows);
    return rc;
}

int kbj_cron_runner_alive(kbj_engine *eng, int *alive)
{
    renew_work w = { eng, NULL, 0 };
    int rc;
    if (!eng || !alive)
        return KBJ_EINVAL;
    rc = kbj_store_do(eng->st, alive_do, &w);
    *alive = rc == KBJ_OK ? w.alive : 0;
    return rc;
}

/* ---- history ----------------------------------------------------------------------- */

void kbj_cron_run_info_free(kbj_cron_run_info *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        free(v[i].hook);
        free(v[i].args_json);
        free(v[i].schedule);
        free(v[i].host);
        free(v[i].error);
        free(v[i].output);
    }
    free(v);
}

static void run_info_clear(void *array, size_t n)
{
    kbj_cron_run_info_free(array, n);
}

static long long int_or_unknown(const kbj_rows *rows, size_t i, size_t c)
{
    return kbj_rows_str(rows, i, c) ? kbj_rows_int(rows, i, c) : -1;
}

static int run_info_from_row(void *elem, const kbj_rows *rows, size_t i, void *arg)
{
    kbj_cron_run_info *r = elem;
    (void)arg;
    r->id = (unsigned long long)kbj_rows_int(rows, i, 0);
    r->event_id = (unsigned long long)kbj_rows_int(rows, i, 1);
    r->hook = dup_cell(rows, i, 2, NULL);
    kbj_copy(r->args_key, sizeof r->args_key, kbj_rows_str(rows, i, 3));
    r->args_json = dup_cell(rows, i, 4, NULL);
    r->schedule = kbj_rows_str(rows, i, 5) ? dup_cell(rows, i, 5, NULL) : NULL;
    r->due = kbj_rows_int(rows, i, 6);
    r->attempt = (int)kbj_rows_int(rows, i, 7);
    kbj_copy(r->trigger, sizeof r->trigger, kbj_rows_str(rows, i, 8));
    kbj_copy(r->runner, sizeof r->runner, kbj_rows_str(rows, i, 9));
    r->host = dup_cell(rows, i, 10, NULL);
    r->pid = (int)kbj_rows_int(rows, i, 11);
    r->started_at = kbj_dbtime(kbj_rows_str(rows, i, 12));
    r->ended_at = kbj_dbtime(kbj_rows_str(rows, i, 13));
    kbj_copy(r->outcome, sizeof r->outcome, kbj_rows_str(rows, i, 14));
    r->error = kbj_rows_str(rows, i, 15) ? dup_cell(rows, i, 15, NULL) : NULL;
    r->memory_peak = int_or_unknown(rows, i, 16);
    r->queries = int_or_unknown(rows, i, 17);
    r->http_requests = int_or_unknown(rows, i, 18);
    r->output = kbj_rows_str(rows, i, 19) ? dup_cell(rows, i, 19, &r->output_len) : NULL;
    if (!r->hook || !r->args_json || !r->host || (kbj_rows_str(rows, i, 5) && !r->schedule) ||
        (kbj_rows_str(rows, i, 15) && !r->error) || (kbj_rows_str(rows, i, 19) && !r->output)) {
        free(r->hook);
        free(r->args_json);
        free(r->schedule);
        free(r->host);
        free(r->error);
        free(r->output);
        return -1;
    }
    return 0;
}

typedef struct runs_work {
    kbj_engine *eng;
    const char *sql;
    kbj_val v[6];
    size_t nv;
    kbj_cron_run_info **out;
    size_t *n;
} runs_work;

static int runs_do(kbj_store *st, void *arg)
{
    runs_work *w = arg;
    kbj_rows *rows = NULL;
    int rc = kbj_store_query(st, w->sql, w->v, w->nv, &rows);
    if (rc)
        return rc;
    rc = kbj_rows_to_array(rows, sizeof(kbj_cron_run_info), run_info_from_row, run_info_clear, NULL,
                           (void **)w->out, w->n);
    return rc ? kbj_efail(w->eng, KBJ_ENOMEM, "out of memory") : KBJ_OK;
}

int kbj_cron_runs(kbj_engine *eng, const kbj_cron_runs_filter *f, kbj_cron_run_info **out, size_t *n)
{
    static const char *const outcomes[] = { "running", "ok", "failed", "lost", NULL };
    kbj_cron_runs_filter none = { 0 };
    runs_work w = { 0 };
    char sql[1024];
    size_t off, limit;
    int known = 0;

    if (!eng || !out || !n)
        return KBJ_EINVAL;
    *out = NULL;
    *n = 0;
    f = f ? f : &none;
    limit = f->limit ? f->limit : 50;
    if (limit > RUNS_LIST_MAX)
        return kbj_efail(eng, KBJ_EINVAL, "limit %zu is out of range 1..%d", f->limit, RUNS_LIST_MAX);
    for (size_t i = 0; f->outcome && outcomes[i]; i++)
        known |= strcmp(f->outcome, outcomes[i]) == 0;
    if (f->outcome && !known)
        return kbj_efail(eng, KBJ_EINVAL, "outcome \"%.40s\" is not one of running, ok, failed, lost", f->outcome);
    if (f->trigger && !kbj_cron_trigger_valid(f->trigger))
        return kbj_efail(eng, KBJ_EINVAL, "trigger \"%.40s\" must be 1 to 15 characters of a-z and '-'", f->trigger);
    if (f->hook && (!*f->hook || strlen(f->hook) > KBJ_CRON_HOOK_MAX))
        return kbj_efail(eng, KBJ_EINVAL, "hook must be 1 to %d bytes", KBJ_CRON_HOOK_MAX);

    off = (size_t)snprintf(sql, sizeof sql, "SELECT id, event_id, hook, args_key, args, schedule, due, attempt,"
                           " run_trigger, runner, host, pid, " KBJ_SQL_UNIX("started_at") ","
                           " IF(ended_at IS NULL, NULL, " KBJ_SQL_UNIX("ended_at") "), outcome, error,"
                           " memory_peak, queries, http_requests, output FROM {p}kbjobs_cron_runs WHERE 1 = 1");
#define RUNS_COND(cond, text, val)                                         \
    if (cond) {                                                            \
        off += (size_t)snprintf(sql + off, sizeof sql - off, "%s", text);  \
        w.v[w.nv++] = val;                                                 \
    }
    RUNS_COND(f->event_id, " AND event_id = ?", KBJ_VI(f->event_id));
    RUNS_COND(f->hook, " AND hook = ?", KBJ_VS(f->hook));
    RUNS_COND(f->outcome, " AND outcome = ?", KBJ_VS(f->outcome));
    RUNS_COND(f->trigger, " AND run_trigger = ?", KBJ_VS(f->trigger));
    RUNS_COND(f->before_id, " AND id < ?", KBJ_VI(f->before_id));
#undef RUNS_COND
    snprintf(sql + off, sizeof sql - off, " ORDER BY id DESC LIMIT ?");
    w.v[w.nv++] = KBJ_VI(limit);
    w.eng = eng;
    w.sql = sql;
    w.out = out;
    w.n = n;
    return kbj_store_do(eng->st, runs_do, &w);
}

/* ---- retention ----------------------------------------------------------------------- */

typedef struct prune_work {
    kbj_engine *eng;
    unsigned days, per_hook;
    unsigned long long removed;  /* out, per call */
    int more;                    /* out of prune_keys_tx: a full batch, some deleted */
    unsigned long long cut_id;   /* per hook: runs below this id go */
    const char *hook;
} prune_work;

static int prune_old_do(kbj_store *st, void *arg)
{
    prune_work *w = arg;
    return kbj_store_exec(st, "DELETE FROM {p}kbjobs_cron_runs WHERE outcome <> 'running'"
                          " AND started_at < NOW(6) - INTERVAL ? DAY ORDER BY id LIMIT 1000",
                          (kbj_val[]){ KBJ_VI(w->days) }, 1, &w->removed);
}

static int prune_hook_do(kbj_store *st, void *arg)
{
    prune_work *w = arg;
    return kbj_store_exec(st, "DELETE FROM {p}kbjobs_cron_runs WHERE hook = ? AND id < ? AND outcome <> 'running'"
                          " ORDER BY id LIMIT 1000",
                          (kbj_val[]){ KBJ_VS(w->hook), KBJ_VI(w->cut_id) }, 2, &w->removed);
}

/* Guard rows whose pair has no event left, each deleted under its own lock and only when
 * no event of the pair exists then: a writer that schedules one holds that lock first. */
static int prune_keys_tx(kbj_store *st, void *arg)
{
    prune_work *w = arg;
    kbj_rows *rows = NULL;
    int rc = kbj_store_query(st, "SELECT k.hook, k.args_key FROM {p}kbjobs_cron_keys k WHERE NOT EXISTS"
                             " (SELECT 1 FROM {p}kbjobs_cron_events e"
                             " WHERE e.hook = k.hook AND e.args_key = k.args_key) LIMIT 1000", NULL, 0, &rows);
    w->removed = 0;
    for (size_t i = 0; rc == KBJ_OK && i < kbj_rows_count(rows); i++) {
        unsigned long long d = 0;
        kbj_val v[2] = { KBJ_VS(kbj_rows_str(rows, i, 0)), KBJ_VS(kbj_rows_str(rows, i, 1)) };
        kbj_rows *lk = NULL;
        rc = kbj_store_query(st, "SELECT 1 FROM {p}kbjobs_cron_keys WHERE hook = ? AND args_key = ?"
                             " FOR UPDATE SKIP LOCKED", v, 2, &lk);
        if (rc == KBJ_OK && kbj_rows_count(lk) == 1)
            rc = kbj_store_exec(st, "DELETE FROM {p}kbjobs_cron_keys WHERE hook = ? AND args_key = ? AND NOT EXISTS"
                                " (SELECT 1 FROM {p}kbjobs_cron_events e WHERE e.hook = ? AND e.args_key = ?)",
                                (kbj_val[]){ v[0], v[1], v[0], v[1] }, 4, &d);
        kbj_rows_free(lk);
        w->removed += d;
    }
    /* A full batch asks for another, unless none of it could go (busy or in use again:
     * left for the next prune). */
    w->more = rc == KBJ_OK && kbj_rows_count(rows) == PRUNE_BATCH && w->removed > 0;
    kbj_rows_free(rows);
    return rc;
}

int kbj_cron_prune(kbj_engine *eng, unsigned days, unsigned per_hook, unsigned long long *removed)
{
    prune_work w = { eng, days, per_hook, 0, 0, 0, NULL };
    unsigned long long total = 0;
    kbj_rows *hooks = NULL;
    int rc = KBJ_OK;

    if (!eng)
        return KBJ_EINVAL;
    if (days > 36600)
        return kbj_efail(eng, KBJ_EINVAL, "days %u is out of range 0..36600", days);
    /* days 0: no age limit (only the per-hook cap), as per_hook 0 is no cap */
    while (days && rc == KBJ_OK) {
        rc = kbj_store_do(eng->st, prune_old_do, &w);
        if (rc == KBJ_OK)
            total += w.removed;
        if (w.removed < PRUNE_BATCH)
            break;
    }
    if (rc == KBJ_OK && per_hook)
        rc = kbj_store_query_again(eng->st, "SELECT hook FROM {p}kbjobs_cron_runs GROUP BY hook HAVING COUNT(*) > ?",
                                   (kbj_val[]){ KBJ_VI(per_hook) }, 1, &hooks);
    for (size_t i = 0; rc == KBJ_OK && i < kbj_rows_count(hooks); i++) {
        kbj_rows *cut = NULL;
        w.hook = kbj_rows_str(hooks, i, 0);
        rc = kbj_store_query_again(eng->st, "SELECT id FROM {p}kbjobs_cron_runs WHERE hook = ?"
                                   " ORDER BY id DESC LIMIT 1 OFFSET ?",
                                   (kbj_val[]){ KBJ_VS(w.hook), KBJ_VI(per_hook - 1) }, 2, &cut);
        w.cut_id = rc == KBJ_OK ? (unsigned long long)kbj_rows_int(cut, 0, 0) : 0;
        kbj_rows_free(cut);
        while (rc == KBJ_OK && w.cut_id) {
            rc = kbj_store_do(eng->st, prune_hook_do, &w);
            if (rc == KBJ_OK)
                total += w.removed;
            if (w.removed < PRUNE_BATCH)
                break;
        }
    }
    kbj_rows_free(hooks);
    while (rc == KBJ_OK) {
        rc = kbj_store_tx(eng->st, prune_keys_tx, &w);
        if (!w.more)
            break;
    }
    if (removed)
        *removed = rc == KBJ_OK ? total : 0;
    return rc;
}
