/*
 * cron_runs.c - running WP-Cron events (kbj_cron.h): claims with leases and fencing
 * tokens, the outcome of a run and where it moves the event, lease renewal, whether a
 * runner takes events, and the run history with its retention.
 *
 * Lock order, as every writer of events (cron_events.c): the pair's guard row in
 * kbjobs_cron_keys first, then the event rows. A claim picks candidates with a plain
 * read, then takes each in a short transaction of its own: the guard row with SKIP
 * LOCKED (a pair being written is skipped this round), the event row re-read FOR UPDATE
 * with the due condition, so two runners never both take one event, and one running
 * instance per pair unless the event allows parallel runs (READ COMMITTED: the check
 * sees committed leases). Times an event is scheduled at are UTC epoch seconds from the
 * database clock (UNIX_TIMESTAMP()); lease times are DATETIME(6) from NOW(6), as jobs'.
 *
 * Work given to kbj_store_tx may run twice (a connection lost during COMMIT): a claim
 * carries its token from before the first try and, run again, first looks for the event
 * it may already hold under it; a finish that already committed finds its run finished
 * under its token. Neither leaves a second run.
 */
#include "internal.h"
#include "utf8.h"

#include "kbj_cron.h"

#include <limits.h>
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
#define EVENT_COLS                                                                       \
    "SELECT schedule IS NOT NULL AND interval_seconds > 0, interval_seconds, next_run, run_of,"   \
    " attempt, max_attempts, parallel, run_now, run_id, lease_token, lease_token IS NOT NULL"      \
    " AND lease_expires < NOW(6), UNIX_TIMESTAMP(), hook, args_key, args, schedule,"      \
    " fail_streak FROM {p}kbjobs_cron_events WHERE id = ?"

/* An expired lease met by a claim: its run becomes 'lost' and the event is freed as a
 * retry of the same due time (lease cleared, run_of and next_run kept), or, past
 * max(1, max_attempts) + 2 attempts, the due time is given up (a single event deleted, a
 * recurring one idle at its next_run). *gone: the event no longer exists. */
static int record_lost(kbj_store *st, claim_one *w, const kbj_rows *ev, int *given_up)
{
    int recurring = (int)kbj_rows_int(ev, 0, 0);
    int attempt = (int)kbj_rows_int(ev, 0, 4), max_attempts = (int)kbj_rows_int(ev, 0, 5);
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
                        (kbj_val[]){ KBJ_VS(msg), KBJ_VI(kbj_rows_int(ev, 0, 8)), KBJ_VI(kbj_rows_int(ev, 0, 9)) },
                        3, NULL);
    if (rc)
        return rc;
    w->lost++;
    if ((rc = streak_alert(st, w->id, kbj_rows_str(ev, 0, 12), kbj_rows_int(ev, 0, 16) + 1, msg)))
        return rc;
    if (*given_up && !recurring)
        return kbj_store_exec(st, "DELETE FROM {p}kbjobs_cron_events WHERE id = ?", (kbj_val[]){ KBJ_VI(w->id) }, 1,
                              NULL);
    return kbj_store_exec(st, "UPDATE {p}kbjobs_cron_events SET lease_owner = NULL, lease_token = NULL,"
                          " lease_expires = NULL, run_of = IF(?, NULL, run_of), attempt = IF(?, 0, attempt),"
                          " due_at = IF(?, next_run, UNIX_TIMESTAMP()), last_run_at = NOW(6), last_outcome = 'lost',"
                          " fail_streak = fail_streak + 1, updated_at = NOW(6) WHERE id = ?",
                          (kbj_val[]){ KBJ_VI(*given_up), KBJ_VI(*given_up), KBJ_VI(*given_up), KBJ_VI(w->id) }, 4,
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
        rc = record_lost(st, w, ev, &given_up);
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

int kbj_cron_claim(kbj_engine *eng, const char *runner, const char *host, int pid, const char *trigger,
                   unsigned long long only_id, size_t max, kbj_cron_run **out, size_t *n)
{
    claim_one w = { 0 };
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
    w.eng = eng;
    w.runner = runner;
    w.host = host ? host : "";
    w.pid = pid;
    w.trigger = trigger ? trigger : "runner";
    w.only = only_id != 0;
    *out = calloc(max, sizeof **out);
    if (!*out)
        return kbj_efail(eng, KBJ_ENOMEM, "out of memory");

    if (only_id) {
        rc = kbj_store_query_again(eng->st, "SELECT hook, args_key FROM {p}kbjobs_cron_events WHERE id = ?",
                                   (kbj_val[]){ KBJ_VI(only_id) }, 1, &cand);
        if (rc == KBJ_OK && kbj_rows_count(cand) == 0)
            rc = kbj_efail(eng, KBJ_ENOTFOUND, "no cron event %llu", only_id);
    } else {
        /* A plain read: a few times as many as wanted, since some will be skipped (their
         * pair busy, or taken by another runner in the meantime). */
        rc = kbj_store_query_again(eng->st, "SELECT id, hook, args_key FROM {p}kbjobs_cron_events WHERE" DUE_COND
                                   " ORDER BY due_at, id LIMIT ?", (kbj_val[]){ KBJ_VI(max * 3) }, 1, &cand);
    }
    for (size_t i = 0; rc == KBJ_OK && i < kbj_rows_count(cand) && *n < max; i++) {
        size_t c = only_id ? 0 : 1;
        w.id = only_id ? only_id : (unsigned long long)kbj_rows_int(cand, i, 0);
        kbj_copy(hook, sizeof hook, kbj_rows_str(cand, i, c));
        kbj_copy(args_key, sizeof args_key, kbj_rows_str(cand, i, c + 1));
        w.hook = hook;
        w.args_key = args_key;
        w.token = kbj_new_token();
        w.run = &(*out)[*n];
        rc = kbj_store_tx(eng->st, claim_one_tx, &w);
        if (rc == KBJ_OK && w.claimed)
            (*n)++;
        else
            run_clear(w.run);
    }
    kbj_rows_free(cand);
    /* Events claimed before an error are running under this runner's leases: they are
     * handed over (the error stays in kbj_errmsg) rather than left to expire. */
    if (rc && *n == 0) {
        free(*out);
        *out = NULL;
        return rc;
    }
    if (*n == 0) {
        free(*out);
        *out = NULL;
    }
    return KBJ_OK;
}

/* ---- finish ------------------------------------------------------------------------ */

typedef struct finish_work {
    kbj_engine *eng;
    const kbj_cron_run *run;
    const char *error;         /* sanitized and cut, or NULL */
    size_t output_len;         /* what of run->output is kept */
} finish_work;

static int lease_lost(kbj_engine *eng, const kbj_cron_run *r)
{
    return kbj_efail(eng, KBJ_ELEASE, "the lease on cron event %llu (run %llu) was lost: it expired or the "
                     "event was taken over, so this runner's outcome was refused", r->event_id, r->run_id);
}

/* The run row's outcome under this token: "" when there is none. */
static int run_outcome(kbj_store *st, const kbj_cron_run *r, char out[12])
{
    kbj_rows *rows = NULL;
    int rc = kbj_store_query(st, "SELECT outcome FROM {p}kbjobs_cron_runs WHERE id = ? AND token = ?",
                             (kbj_val[]){ KBJ_VI(r->run_id), KBJ_VI(r->token) }, 2, &rows);
    kbj_copy(out, 12, rc == KBJ_OK ? kbj_rows_str(rows, 0, 0) : NULL);
    kbj_rows_free(rows);
    return rc;
}

static long long clamp_int(long long v)
{
    return v > INT_MAX ? INT_MAX : v;
}

static int finish_tx(kbj_store *st, void *arg)
{
    finish_work *w = arg;
    const kbj_cron_run *r = w->run;
    kbj_rows *ev = NULL;
    char outcome[12];
    int rc, failed = r->failed != 0;

    rc = lock_guard(st, r->hook, r->args_key, 0);
    if (rc < 0)
        return rc;
    rc = kbj_store_query(st, "SELECT run_id, lease_token, lease_expires >= NOW(6), schedule IS NOT NULL AND"
                         " interval_seconds > 0, next_run, attempt, max_attempts, retry_seconds, UNIX_TIMESTAMP(),"
                         " fail_streak FROM {p}kbjobs_cron_events WHERE id = ? FOR UPDATE",
                         (kbj_val[]){ KBJ_VI(r->event_id) }, 1, &ev);
    if (rc)
        return rc;
    if ((rc = run_outcome(st, r, outcome))) {
        kbj_rows_free(ev);
        return rc;
    }
    if (kbj_rows_count(ev) == 0 || (unsigned long long)kbj_rows_int(ev, 0, 0) != r->run_id ||
        !kbj_rows_str(ev, 0, 1) || kbj_rows_int(ev, 0, 1) != r->token || kbj_rows_int(ev, 0, 2) != 1) {
        int gone = kbj_rows_count(ev) == 0;
        kbj_rows_free(ev);
        /* Already recorded by a first run of this work whose commit was not acknowledged. */
        if (strcmp(outcome, "ok") == 0 || strcmp(outcome, "failed") == 0)
            return KBJ_OK;
        /* Deleted while it ran: the run is still recorded; nothing is rescheduled. */
        if (!gone || strcmp(outcome, "running") != 0)
            return lease_lost(w->eng, r);
        ev = NULL;
    }
    rc = kbj_store_exec(st, "UPDATE {p}kbjobs_cron_runs SET ended_at = NOW(6), outcome = ?, error = ?,"
                        " memory_peak = ?, queries = ?, http_requests = ?, output = ?"
                        " WHERE id = ? AND token = ? AND outcome = 'running'",
                        (kbj_val[]){ KBJ_VS(failed ? "failed" : "ok"), KBJ_VS(w->error),
                                     r->memory_peak >= 0 ? KBJ_VI(r->memory_peak) : KBJ_VNULL,
                                     r->queries >= 0 ? KBJ_VI(clamp_int(r->queries)) : KBJ_VNULL,
                                     r->http_requests >= 0 ? KBJ_VI(clamp_int(r->http_requests)) : KBJ_VNULL,
                                     r->output ? KBJ_VSN(r->output, w->output_len) : KBJ_VNULL,
                                     KBJ_VI(r->run_id), KBJ_VI(r->token) }, 8, NULL);
    if (rc || !ev)
        return rc;
    {
        int recurring = (int)kbj_rows_int(ev, 0, 3);
        long long next_run = kbj_rows_int(ev, 0, 4), now = kbj_rows_int(ev, 0, 8);
        int attempt = (int)kbj_rows_int(ev, 0, 5), max_attempts = (int)kbj_rows_int(ev, 0, 6);
        long long streak = failed ? kbj_rows_int(ev, 0, 9) + 1 : 0;
        long long base = kbj_rows_int(ev, 0, 7) ? kbj_rows_int(ev, 0, 7) : 60, backoff = base;
        int retry;

        for (int k = 1; k < attempt && backoff < BACKOFF_CAP; k++)
            backoff *= 2;
        if (backoff > BACKOFF_CAP)
            backoff = BACKOFF_CAP;
        /* a recurring event retries only when the retry comes before its next run */
        retry = failed && attempt < max_attempts && (!recurring || now + backoff < next_run);
        kbj_rows_free(ev);
        if (failed && (rc = streak_alert(st, r->event_id, r->hook, streak, w->error)))
            return rc;
        if (!recurring && !retry)
            return kbj_store_exec(st, "DELETE FROM {p}kbjobs_cron_events WHERE id = ?",
                                  (kbj_val[]){ KBJ_VI(r->event_id) }, 1, NULL);
        return kbj_store_exec(st, "UPDATE {p}kbjobs_cron_events SET lease_owner = NULL, lease_token = NULL,"
                              " lease_expires = NULL, run_of = IF(?, run_of, NULL), attempt = IF(?, attempt, 0),"
                              " due_at = IF(?, ?, next_run), last_run_at = NOW(6), last_outcome = ?,"
                              " fail_streak = IF(?, fail_streak + 1, 0), updated_at = NOW(6) WHERE id = ?",
                              (kbj_val[]){ KBJ_VI(retry), KBJ_VI(retry), KBJ_VI(retry), KBJ_VI(now + backoff),
                                           KBJ_VS(failed ? "failed" : "ok"), KBJ_VI(failed), KBJ_VI(r->event_id) },
                              7, NULL);
    }
}

int kbj_cron_finish(kbj_engine *eng, const kbj_cron_run *run)
{
    finish_work w = { eng, run, NULL, 0 };
    char *clean = NULL;
    int rc;

    if (!eng)
        return KBJ_EINVAL;
    if (!run || !run->hook || !run->event_id || !run->run_id)
        return kbj_efail(eng, KBJ_EINVAL, "no claimed run given");
    if (run->failed) { /* an error is kept with a failed run only */
        /* errors are kept in a utf8mb4 TEXT column: valid UTF-8, cut on a character */
        const char *msg = run->error && *run->error ? run->error : "failed without a message";
        size_t len = 0;
        if (kbj_utf8_sanitize(msg, strlen(msg), &clean, &len) != KBJ_OK)
            return kbj_efail(eng, KBJ_ENOMEM, "out of memory");
        clean[kbj_utf8_cut(clean, len, ERROR_MAX)] = '\0';
        w.error = clean;
    }
    w.output_len = run->output ? (run->output_len < KBJ_CRON_OUTPUT_MAX ? run->output_len : KBJ_CRON_OUTPUT_MAX) : 0;
    rc = kbj_store_tx(eng->st, finish_tx, &w);
    free(clean);
    return rc;
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
