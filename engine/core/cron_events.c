/*
 * cron_events.c - WP-Cron events kept by the engine (kbj_cron.h): scheduling with
 * core's semantics, reading, counts, and the operator's changes (update, delete, run
 * now). Claims, finishing a run, the history and its retention are cron_runs.c's.
 *
 * Lock discipline, shared with the claims so that no deadlock can form: every write to
 * the events of a (hook, args_key) pair first locks the pair's guard row in
 * {p}kbjobs_cron_keys, made on demand by an INSERT ... ON DUPLICATE KEY UPDATE that
 * takes the row's exclusive lock whether it inserts or not; only then are event rows
 * read (FOR UPDATE) and written. A write by id reads the event's pair without a lock,
 * locks the guard, then reads the row again under the lock (its pair never changes).
 * Two connections scheduling the same event at once are thereby serialised on the guard
 * row: the second sees the first's row and leaves one, where a read-then-insert would
 * leave two (Cavalcade #89). The store runs READ COMMITTED, so the second's read after
 * the lock sees the first's committed insert.
 *
 * "Visible" is what core's API sees: a recurring event always (core reschedules it
 * before running it), a single event unless it is being run or waits for a retry (core
 * unschedules it first): schedule IS NOT NULL OR run_of IS NULL.
 *
 * Work runs through kbj_store_tx, which runs it again after a deadlock or a connection
 * lost at COMMIT: each function starts from scratch. A single event whose COMMIT was
 * lost and retried finds itself in the window and answers KBJ_ECONFLICT with its own
 * id: the caller may then be told "duplicate" for an event that was scheduled, never
 * left with two rows.
 */
#include "internal.h"
#include "utf8.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kbj_cron.h"

/* The latest time an event may be given: 9999-12-31T23:59:59Z, the last second a
 * DATETIME and PHP's date functions show; it also keeps ts + 600 from overflowing. */
#define MAX_TIME 253402300799LL
/* 10 years of 365 days: a longer interval is a mistake (a timestamp given as one). */
#define MAX_INTERVAL (3650LL * 86400)
/* Arguments are stored in the row: a bound under the server's default packet size. */
#define ARGS_MAX KBJ_CRON_ARGS_MAX
#define MAX_ATTEMPTS 100
#define MAX_RETRY_SECONDS 86400u

/* What core's API sees (see the top of the file). */
#define VISIBLE "(schedule IS NOT NULL OR run_of IS NULL)"
/* Held by a live lease (an expired one is a lost run waiting to be claimed again). */
#define RUNNING "(lease_token IS NOT NULL AND lease_expires >= NOW(6))"

/* ---- checks --------------------------------------------------------------------- */

static int valid_hook(const char *hook)
{
    size_t len = hook ? strlen(hook) : 0;
    return len >= 1 && len <= KBJ_CRON_HOOK_MAX && kbj_utf8_valid((const unsigned char *)hook, len);
}

static int valid_args_key(const char *key)
{
    size_t i = 0;
    for (; key && i < 32; i++)
        if (!((key[i] >= '0' && key[i] <= '9') || (key[i] >= 'a' && key[i] <= 'f')))
            return 0;
    return key && key[32] == '\0';
}

static int check_hook(kbj_engine *eng, const char *what, const char *hook)
{
    if (valid_hook(hook))
        return KBJ_OK;
    return kbj_efail(eng, KBJ_EINVAL, "%s hook must be 1 to %d bytes of valid UTF-8 (%zu bytes given)", what,
                     KBJ_CRON_HOOK_MAX, hook ? strlen(hook) : 0);
}

static int check_args_key(kbj_engine *eng, const char *what, const char *key)
{
    if (valid_args_key(key))
        return KBJ_OK;
    return kbj_efail(eng, KBJ_EINVAL, "%s args_key \"%.40s\" must be 32 lowercase hex digits (an md5)", what,
                     key ? key : "");
}

static int check_time(kbj_engine *eng, const char *what, const char *field, long long t)
{
    if (t > 0 && t <= MAX_TIME)
        return KBJ_OK;
    return kbj_efail(eng, KBJ_EINVAL, "%s %s %lld must be a Unix time from 1 to %lld", what, field, t, MAX_TIME);
}

/* A schedule name (NULL or "": none) and its interval, as an event or a change gives
 * them: a name of at most 64 bytes of UTF-8 with an interval of 1 s to 10 years, or no
 * name and no interval. */
static int check_schedule(kbj_engine *eng, const char *what, const char *schedule, long long interval)
{
    size_t len = schedule ? strlen(schedule) : 0;
    if (len == 0) {
        if (interval != 0)
            return kbj_efail(eng, KBJ_EINVAL, "%s interval must be 0 for a single event (no schedule), %lld given",
                             what, interval);
        return KBJ_OK;
    }
    if (len > KBJ_CRON_SCHEDULE_MAX || !kbj_utf8_valid((const unsigned char *)schedule, len))
        return kbj_efail(eng, KBJ_EINVAL, "%s schedule must be at most %d bytes of valid UTF-8 (%zu bytes given)",
                         what, KBJ_CRON_SCHEDULE_MAX, len);
    if (interval < 1 || interval > MAX_INTERVAL)
        return kbj_efail(eng, KBJ_EINVAL, "%s interval %lld of schedule \"%s\" must be from 1 to %lld seconds",
                         what, interval, schedule, MAX_INTERVAL);
    return KBJ_OK;
}

/* The arguments as JSON: an array or an object (core's args are a PHP array, which
 * JSON writes as one or the other), of at most ARGS_MAX bytes. "\u0000" is allowed:
 * json_encode() writes a PHP string's NUL bytes so. */
static int check_args_json(kbj_engine *eng, const char *json)
{
    json_error_t jerr;
    json_t *v;
    size_t len = strlen(json);
    int ok;

    if (len > ARGS_MAX)
        return kbj_efail(eng, KBJ_EINVAL, "cron event args_json is %zu bytes; at most %u are allowed", len,
                         ARGS_MAX);
    v = json_loadb(json, len, JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, &jerr);
    if (!v)
        return kbj_efail(eng, KBJ_EINVAL, "cron event args_json is not valid JSON: %s at line %d column %d",
                         jerr.text, jerr.line, jerr.column);
    ok = json_is_array(v) || json_is_object(v);
    json_decref(v);
    return ok ? KBJ_OK : kbj_efail(eng, KBJ_EINVAL, "cron event args_json must be a JSON array or object");
}

static int check_event(kbj_engine *eng, const kbj_cron_event *ev, kbj_cron_mode mode, long long now)
{
    int rc;
    if (mode != KBJ_CRON_SINGLE && mode != KBJ_CRON_RECURRING && mode != KBJ_CRON_EXACT)
        return kbj_efail(eng, KBJ_EINVAL, "unknown cron mode %d", (int)mode);
    if ((rc = check_hook(eng, "cron event", ev->hook)) || (rc = check_args_key(eng, "cron event", ev->args_key)) ||
        (ev->args_json && (rc = check_args_json(eng, ev->args_json))) ||
        (rc = check_schedule(eng, "cron event", ev->schedule, ev->interval)) ||
        (rc = check_time(eng, "cron event", "next_run", ev->next_run)))
        return rc;
    if (!ev->args_php && ev->args_php_len)
        return kbj_efail(eng, KBJ_EINVAL, "cron event args_php is NULL with a length of %zu", ev->args_php_len);
    if (ev->args_php_len > ARGS_MAX)
        return kbj_efail(eng, KBJ_EINVAL, "cron event args_php is %zu bytes; at most %u are allowed",
                         ev->args_php_len, ARGS_MAX);
    if (ev->max_attempts < 0 || ev->max_attempts > MAX_ATTEMPTS)
        return kbj_efail(eng, KBJ_EINVAL, "cron event max_attempts %d must be from 0 to %d", ev->max_attempts,
                         MAX_ATTEMPTS);
    if (ev->retry_seconds > MAX_RETRY_SECONDS)
        return kbj_efail(eng, KBJ_EINVAL, "cron event retry_seconds %u must be at most %u", ev->retry_seconds,
                         MAX_RETRY_SECONDS);
    /* a recurring call without a schedule is not what wp_schedule_event() makes */
    if (mode == KBJ_CRON_RECURRING && !(ev->schedule && ev->schedule[0]))
        return kbj_efail(eng, KBJ_EINVAL, "cron event schedule is required in recurring mode");
    if (mode == KBJ_CRON_SINGLE && (ev->schedule && ev->schedule[0]))
        return kbj_efail(eng, KBJ_EINVAL, "cron event schedule must be empty in single mode (\"%.64s\" given)",
                         ev->schedule);
    if (mode == KBJ_CRON_SINGLE)
        return check_time(eng, "cron", "now", now);
    return KBJ_OK;
}

/* ---- the guard row -------------------------------------------------------------- */

/* Locks the guard row of (hook, args_key), making it when missing: the insert takes the
 * new row's exclusive lock, and on a duplicate key the no-op update takes the existing
 * row's. Held until the transaction ends. */
static int lock_pair(kbj_store *st, const char *hook, const char *args_key)
{
    return kbj_store_exec(st, "INSERT INTO {p}kbjobs_cron_keys (hook, args_key) VALUES (?, ?)"
                          " ON DUPLICATE KEY UPDATE hook = hook",
                          (kbj_val[]){ KBJ_VS(hook), KBJ_VS(args_key) }, 2, NULL);
}

/* ---- schedule ------------------------------------------------------------------- */

typedef struct schedule_work {
    kbj_engine *eng;
    const kbj_cron_event *ev;
    kbj_cron_mode mode;
    long long now;
    const char *args_json;          /* ev's, or "[]" */
    const char *schedule;           /* ev's, or NULL for a single event */
    unsigned long long id;          /* out */
    long long in_the_way;           /* SINGLE refused: the next_run of the event in the way */
} schedule_work;

/* The visible event of the pair that core's single-event window finds, into w->id
 * (0: none). Core walks the events in time order, skips those before the window's
 * start and stops after its end: any event of the pair in [min, max], both included. */
static int window_find(kbj_store *st, schedule_work *w)
{
    long long ts = w->ev->next_run, now = w->now;
    long long min = ts < now + KBJ_CRON_WINDOW ? 0 : ts - KBJ_CRON_WINDOW;
    long long max = ts < now ? now + KBJ_CRON_WINDOW : ts + KBJ_CRON_WINDOW;
    kbj_rows *rows = NULL;
    int rc = kbj_store_query(st, "SELECT id, next_run FROM {p}kbjobs_cron_events WHERE hook = ? AND args_key = ?"
                             " AND " VISIBLE " AND next_run BETWEEN ? AND ? ORDER BY next_run, id LIMIT 1",
                             (kbj_val[]){ KBJ_VS(w->ev->hook), KBJ_VS(w->ev->args_key), KBJ_VI(min), KBJ_VI(max) },
                             4, &rows);
    if (rc)
        return rc;
    if (kbj_rows_count(rows)) {
        w->id = (unsigned long long)kbj_rows_int(rows, 0, 0);
        w->in_the_way = kbj_rows_int(rows, 0, 1);
    }
    kbj_rows_free(rows);
    return KBJ_OK;
}

/* The visible event of the pair at exactly ev->next_run, locked, into w->id (0: none). */
static int same_time_find(kbj_store *st, schedule_work *w)
{
    kbj_rows *rows = NULL;
    int rc = kbj_store_query(st, "SELECT id FROM {p}kbjobs_cron_events WHERE hook = ? AND args_key = ?"
                             " AND next_run = ? AND " VISIBLE " ORDER BY id LIMIT 1 FOR UPDATE",
                             (kbj_val[]){ KBJ_VS(w->ev->hook), KBJ_VS(w->ev->args_key), KBJ_VI(w->ev->next_run) },
                             3, &rows);
    if (rc)
        return rc;
    if (kbj_rows_count(rows))
        w->id = (unsigned long long)kbj_rows_int(rows, 0, 0);
    kbj_rows_free(rows);
    return KBJ_OK;
}

/* Replaces the event w->id in place with ev: schedule, arguments and policy. It keeps
 * its id, created_at and run state, and an operator's pause (a plugin scheduling its
 * event again on every request must not resume what an operator paused). */
static int replace_event(kbj_store *st, schedule_work *w)
{
    const kbj_cron_event *ev = w->ev;
    return kbj_store_exec(st, "UPDATE {p}kbjobs_cron_events SET schedule = ?, interval_seconds = ?, args = ?,"
                          " args_php = ?, paused = paused OR ?, parallel = ?, max_attempts = ?, retry_seconds = ?,"
                          " updated_at = NOW(6) WHERE id = ?",
                          (kbj_val[]){ KBJ_VS(w->schedule), KBJ_VI(ev->interval), KBJ_VS(w->args_json),
                                       KBJ_VSN(ev->args_php ? ev->args_php : "", ev->args_php_len),
                                       KBJ_VI(ev->paused != 0), KBJ_VI(ev->parallel != 0), KBJ_VI(ev->max_attempts),
                                       KBJ_VI(ev->retry_seconds), KBJ_VI(w->id) }, 9, NULL);
}

static int insert_event(kbj_store *st, schedule_work *w)
{
    const kbj_cron_event *ev = w->ev;
    int rc = kbj_store_exec(st, "INSERT INTO {p}kbjobs_cron_events (hook, args_key, args, args_php, schedule,"
                            " interval_seconds, next_run, due_at, paused, parallel, max_attempts, retry_seconds,"
                            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NOW(6), NOW(6))",
                            (kbj_val[]){ KBJ_VS(ev->hook), KBJ_VS(ev->args_key), KBJ_VS(w->args_json),
                                         KBJ_VSN(ev->args_php ? ev->args_php : "", ev->args_php_len),
                                         KBJ_VS(w->schedule), KBJ_VI(ev->interval), KBJ_VI(ev->next_run),
                                         KBJ_VI(ev->next_run), KBJ_VI(ev->paused != 0), KBJ_VI(ev->parallel != 0),
                                         KBJ_VI(ev->max_attempts), KBJ_VI(ev->retry_seconds) }, 12, NULL);
    if (rc == KBJ_OK)
        w->id = kbj_store_insert_id(st);
    return rc;
}

static int schedule_tx(kbj_store *st, void *arg)
{
    schedule_work *w = arg;
    int rc;

    w->id = 0;
    w->in_the_way = 0;
    if ((rc = lock_pair(st, w->ev->hook, w->ev->args_key)))
        return rc;
    if (w->mode == KBJ_CRON_SINGLE) {
        if ((rc = window_find(st, w)))
            return rc;
        if (w->id)
            return kbj_efail(w->eng, KBJ_ECONFLICT, "event %llu of hook \"%.191s\" with these arguments is due at "
                             "%lld, within %d s of %lld: a duplicate single event", w->id, w->ev->hook,
                             w->in_the_way, KBJ_CRON_WINDOW, w->ev->next_run);
        return insert_event(st, w);
    }
    if ((rc = same_time_find(st, w)))
        return rc;
    return w->id ? replace_event(st, w) : insert_event(st, w);
}

int kbj_cron_schedule(kbj_engine *eng, const kbj_cron_event *ev, kbj_cron_mode mode, long long now,
                      unsigned long long *id)
{
    schedule_work w = { eng, ev, mode, now, NULL, NULL, 0, 0 };
    int rc;

    if (id)
        *id = 0;
    if (!eng)
        return KBJ_EINVAL;
    if (!ev)
        return kbj_efail(eng, KBJ_EINVAL, "no cron event given");
    if ((rc = check_event(eng, ev, mode, now)))
        return rc;
    w.args_json = ev->args_json ? ev->args_json : "[]";
    w.schedule = ev->schedule && ev->schedule[0] ? ev->schedule : NULL;
    rc = kbj_store_tx(eng->st, schedule_tx, &w);
    /* an event due now is run at once by an idle runner on this host (the runners that
     * run WP-Cron events look for them at each wake-up) */
    if (rc == KBJ_OK && !ev->paused && ev->next_run <= now)
        kbj_wake_jobs(eng);
    /* the event in the way is the answer of a refused single event */
    if (id && (rc == KBJ_OK || rc == KBJ_ECONFLICT))
        *id = w.id;
    return rc;
}

/* ---- unschedule and clear ------------------------------------------------------- */

typedef struct delete_work {
    const char *hook, *args_key;    /* args_key NULL: any arguments */
    long long next_run;             /* 0: any time */
    unsigned long long n;           /* out */
} delete_work;

/* Locks the guard rows of every pair of a hook that has one, in key order (the order a
 * lock on one pair cannot cross). An event with no guard row (none is ever made
 * without one) would still be deleted, only without it. */
static int lock_hook(kbj_store *st, const char *hook)
{
    kbj_rows *rows = NULL;
    int rc = kbj_store_query(st, "SELECT args_key FROM {p}kbjobs_cron_keys WHERE hook = ? ORDER BY args_key"
                             " FOR UPDATE", (kbj_val[]){ KBJ_VS(hook) }, 1, &rows);
    kbj_rows_free(rows);
    return rc;
}

static int delete_tx(kbj_store *st, void *arg)
{
    delete_work *w = arg;
    int rc;

    w->n = 0;
    rc = w->args_key ? lock_pair(st, w->hook, w->args_key) : lock_hook(st, w->hook);
    if (rc)
        return rc;
    /* A single event being run or waiting for a retry is not core's any more (core
     * unscheduled it before running it): only visible events go. A recurring event
     * deleted while it runs is gone when its run finishes, which then reschedules
     * nothing. There is at most one visible event per pair and time (schedule keeps it
     * so), hence no LIMIT for unschedule. */
    if (w->args_key && w->next_run)
        return kbj_store_exec(st, "DELETE FROM {p}kbjobs_cron_events WHERE hook = ? AND args_key = ?"
                              " AND next_run = ? AND " VISIBLE,
                              (kbj_val[]){ KBJ_VS(w->hook), KBJ_VS(w->args_key), KBJ_VI(w->next_run) }, 3, &w->n);
    if (w->args_key)
        return kbj_store_exec(st, "DELETE FROM {p}kbjobs_cron_events WHERE hook = ? AND args_key = ? AND " VISIBLE,
                              (kbj_val[]){ KBJ_VS(w->hook), KBJ_VS(w->args_key) }, 2, &w->n);
    return kbj_store_exec(st, "DELETE FROM {p}kbjobs_cron_events WHERE hook = ? AND " VISIBLE,
                          (kbj_val[]){ KBJ_VS(w->hook) }, 1, &w->n);
}

int kbj_cron_unschedule(kbj_engine *eng, const char *hook, const char *args_key, long long next_run,
                        unsigned long long *n)
{
    delete_work w = { hook, args_key, next_run, 0 };
    int rc;

    if (n)
        *n = 0;
    if (!eng)
        return KBJ_EINVAL;
    if ((rc = check_hook(eng, "cron unschedule", hook)) || (rc = check_args_key(eng, "cron unschedule", args_key)) ||
        (rc = check_time(eng, "cron unschedule", "next_run", next_run)))
        return rc;
    rc = kbj_store_tx(eng->st, delete_tx, &w);
    if (rc == KBJ_OK && n)
        *n = w.n;
    return rc;
}

int kbj_cron_clear(kbj_engine *eng, const char *hook, const char *args_key, unsigned long long *n)
{
    delete_work w = { hook, args_key, 0, 0 };
    int rc;

    if (n)
        *n = 0;
    if (!eng)
        return KBJ_EINVAL;
    if ((rc = check_hook(eng, "cron clear", hook)) ||
        (args_key && (rc = check_args_key(eng, "cron clear", args_key))))
        return rc;
    rc = kbj_store_tx(eng->st, delete_tx, &w);
    if (rc == KBJ_OK && n)
        *n = w.n;
    return rc;
}

/* ---- reading -------------------------------------------------------------------- */

#define INFO_COLUMNS                                                                         \
    "id, hook, args_key, args, args_php, schedule, interval_seconds, next_run, due_at, paused," \
    " parallel, max_attempts, retry_seconds, " VISIBLE ", " RUNNING ", run_of, attempt, run_id,"  \
    " IF(" RUNNING ", lease_owner, NULL), " KBJ_SQL_UNIX("last_run_at") ", last_outcome,"      \
    " fail_streak, " KBJ_SQL_UNIX("created_at") ", " KBJ_SQL_UNIX("updated_at")

void kbj_cron_info_clear(kbj_cron_info *v)
{
    if (!v)
        return;
    free(v->hook);
    free(v->args_json);
    free(v->args_php);
    free(v->schedule);
    memset(v, 0, sizeof *v);
}

void kbj_cron_info_free(kbj_cron_info *v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        kbj_cron_info_clear(&v[i]);
    free(v);
}

/* Column `c` of row `i` as a new string (may hold NULs; terminated), NULL for SQL NULL;
 * -1 when out of memory. */
static int dup_col(const kbj_rows *rows, size_t i, size_t c, char **out, size_t *len)
{
    const char *s = kbj_rows_str(rows, i, c);
    size_t n = kbj_rows_len(rows, i, c);
    *out = NULL;
    if (len)
        *len = 0;
    if (!s)
        return 0;
    *out = malloc(n + 1);
    if (!*out)
        return -1;
    memcpy(*out, s, n);
    (*out)[n] = '\0';
    if (len)
        *len = n;
    return 0;
}

static int info_from_row(void *elem, const kbj_rows *rows, size_t i, void *arg)
{
    kbj_cron_info *v = elem;
    (void)arg;
    v->id = (unsigned long long)kbj_rows_int(rows, i, 0);
    kbj_copy(v->args_key, sizeof v->args_key, kbj_rows_str(rows, i, 2));
    v->interval = kbj_rows_int(rows, i, 6);
    v->next_run = kbj_rows_int(rows, i, 7);
    v->due_at = kbj_rows_int(rows, i, 8);
    v->paused = kbj_rows_int(rows, i, 9) != 0;
    v->parallel = kbj_rows_int(rows, i, 10) != 0;
    v->max_attempts = (int)kbj_rows_int(rows, i, 11);
    v->retry_seconds = (unsigned)kbj_rows_int(rows, i, 12);
    v->visible = kbj_rows_int(rows, i, 13) != 0;
    v->running = kbj_rows_int(rows, i, 14) != 0;
    v->run_of = kbj_rows_int(rows, i, 15);
    v->attempt = (int)kbj_rows_int(rows, i, 16);
    v->run_id = (unsigned long long)kbj_rows_int(rows, i, 17);
    kbj_copy(v->runner, sizeof v->runner, kbj_rows_str(rows, i, 18));
    v->last_run_at = kbj_dbtime(kbj_rows_str(rows, i, 19));
    kbj_copy(v->last_outcome, sizeof v->last_outcome, kbj_rows_str(rows, i, 20));
    v->fail_streak = (int)kbj_rows_int(rows, i, 21);
    v->created_at = kbj_dbtime(kbj_rows_str(rows, i, 22));
    v->updated_at = kbj_dbtime(kbj_rows_str(rows, i, 23));
    if (dup_col(rows, i, 1, &v->hook, NULL) || dup_col(rows, i, 3, &v->args_json, NULL) ||
        dup_col(rows, i, 4, &v->args_php, &v->args_php_len) || dup_col(rows, i, 5, &v->schedule, NULL))
        return -1;
    return 0;
}

static void infos_clear(void *array, size_t n)
{
    kbj_cron_info_free(array, n);
}

typedef struct list_work {
    kbj_engine *eng;
    const kbj_cron_filter *f;
    char like[2 * KBJ_CRON_HOOK_MAX + 2];
    kbj_cron_info **out;
    size_t *n;
} list_work;

/* The condition of a state, written so that each reads the index schema 11 gave it
 * (see kbj_cron_state). */
static const char *state_cond(kbj_cron_state state)
{
    switch (state) {
    case KBJ_CRON_DUE:
        return "paused = 0 AND due_at <= UNIX_TIMESTAMP()";
    case KBJ_CRON_PAUSED:
        return "paused = 1";
    case KBJ_CRON_RUNNING:
        return "lease_expires >= NOW(6) AND lease_token IS NOT NULL";
    case KBJ_CRON_FAILING:
        return "failing = 1";
    case KBJ_CRON_ANY:
        break;
    }
    return NULL;
}

/* The index that reads a state's page in the list's order from the cursor on, named to
 * the optimizer: left to itself, with estimates skewed (delete-marked rows not yet
 * purged count in a range's estimate) it may read (paused) by ref from one end of the
 * state and skip to the cursor, every row of the state for a page. NULL: the optimizer
 * chooses (no better index, or the hook's own filters narrow the list first). Running
 * events are read by their lease's expiry and sorted: a handful, whatever the site. */
static const char *state_index(const kbj_cron_filter *f, kbj_cron_state state)
{
    if (f->id || f->hook || (f->hook_prefix && f->hook_prefix[0]))
        return NULL;
    switch (state) {
    case KBJ_CRON_ANY:
        return f->order_by_id ? NULL : "next_run";
    case KBJ_CRON_DUE:
        /* in id order, the ids from the cursor on, skipping events not due: due times
         * and ids share no index (the one list whose page may read more than a page) */
        return f->order_by_id ? "PRIMARY" : "paused_due";
    case KBJ_CRON_PAUSED:
        return f->order_by_id ? "paused_id" : "paused_next";
    case KBJ_CRON_FAILING:
        return f->order_by_id ? "failing_id" : "failing_next";
    case KBJ_CRON_RUNNING:
        break;
    }
    return NULL;
}

/* Reverses a page read backward, so that it comes back in the list's order. */
static void reverse_infos(kbj_cron_info *v, size_t n)
{
    for (size_t i = 0; i < n / 2; i++) {
        kbj_cron_info t = v[i];
        v[i] = v[n - 1 - i];
        v[n - 1 - i] = t;
    }
}

static int list_do(kbj_store *st, void *arg)
{
    list_work *w = arg;
    const kbj_cron_filter *f = w->f;
    kbj_cron_state state = f->due_only ? KBJ_CRON_DUE : f->state;
    /* the time the list is ordered by: when an event is next claimed, for due ones */
    const char *tcol = state == KBJ_CRON_DUE ? "due_at" : "next_run";
    const char *cond = state_cond(state);
    const char *dir = f->backward ? " DESC" : "";
    char cmp = f->backward ? '<' : '>';
    size_t off, k = 0;
    char sql[2048];
    kbj_val v[10];
    kbj_rows *rows = NULL;
    int rc;

    *w->out = NULL;
    *w->n = 0;
    const char *index = state_index(f, state);

    off = (size_t)snprintf(sql, sizeof sql, "SELECT " INFO_COLUMNS " FROM {p}kbjobs_cron_events%s%s%s WHERE 1=1",
                           index ? " FORCE INDEX (" : "", index ? index : "", index ? ")" : "");
    kbj_sql_and(sql, sizeof sql, &off, v, &k, f->id != 0, "id = ?", KBJ_VI(f->id));
    kbj_sql_and(sql, sizeof sql, &off, v, &k, f->hook != NULL, "hook = ?", KBJ_VS(f->hook));
    kbj_sql_and(sql, sizeof sql, &off, v, &k, f->args_key != NULL, "args_key = ?", KBJ_VS(f->args_key));
    kbj_sql_and(sql, sizeof sql, &off, v, &k, f->hook_prefix && f->hook_prefix[0], "hook LIKE ? ESCAPE '!'",
             KBJ_VS(w->like));
    if (cond)
        off += (size_t)snprintf(sql + off, sizeof sql - off, " AND %s", cond);
    if (f->visible_only)
        off += (size_t)snprintf(sql + off, sizeof sql - off, " AND " VISIBLE);
    if (f->after_id && f->order_by_id) {
        off += (size_t)snprintf(sql + off, sizeof sql - off, " AND id %c ?", cmp);
        v[k++] = KBJ_VI(f->after_id);
    } else if (f->after_id) {
        /* (t, id) after the cursor's: t from the cursor's on is a plain range of the
         * (state, t) index, which the optimizer always reads from the cursor (given
         * "t > ? OR (t = ? AND id > ?)" alone, it may read the state's whole index from
         * one end); the rows of the cursor's own time before it are skipped, so a page
         * reads at most the events that share that second besides its own rows */
        off += (size_t)snprintf(sql + off, sizeof sql - off, " AND %s %c= ? AND (%s %c ? OR id %c ?)", tcol, cmp,
                                tcol, cmp, cmp);
        v[k++] = KBJ_VI(f->after_time);
        v[k++] = KBJ_VI(f->after_time);
        v[k++] = KBJ_VI(f->after_id);
    }
    if (f->order_by_id)
        off += (size_t)snprintf(sql + off, sizeof sql - off, " ORDER BY id%s", dir);
    else
        off += (size_t)snprintf(sql + off, sizeof sql - off, " ORDER BY %s%s, id%s", tcol, dir, dir);
    if (f->limit) {
        snprintf(sql + off, sizeof sql - off, " LIMIT ?");
        v[k++] = KBJ_VI(f->limit);
    }
    rc = kbj_store_query(st, sql, v, k, &rows);
    if (rc)
        return rc;
    rc = kbj_rows_to_array(rows, sizeof(kbj_cron_info), info_from_row, infos_clear, NULL, (void **)w->out, w->n);
    if (rc)
        return kbj_efail(w->eng, KBJ_ENOMEM, "out of memory");
    if (f->backward)
        reverse_infos(*w->out, *w->n);
    return KBJ_OK;
}

static int check_filter(kbj_engine *eng, const kbj_cron_filter *f)
{
    int rc;
    if (f->hook && (rc = check_hook(eng, "cron filter", f->hook)))
        return rc;
    if (f->args_key && !f->hook)
        return kbj_efail(eng, KBJ_EINVAL, "cron filter args_key needs a hook");
    if (f->args_key && (rc = check_args_key(eng, "cron filter", f->args_key)))
        return rc;
    if (f->hook_prefix && (strlen(f->hook_prefix) > KBJ_CRON_HOOK_MAX ||
                           !kbj_utf8_valid((const unsigned char *)f->hook_prefix, strlen(f->hook_prefix))))
        return kbj_efail(eng, KBJ_EINVAL, "cron filter hook_prefix must be at most %d bytes of valid UTF-8",
                         KBJ_CRON_HOOK_MAX);
    if (f->id > (unsigned long long)INT64_MAX || f->after_id > (unsigned long long)INT64_MAX)
        return kbj_efail(eng, KBJ_EINVAL, "cron filter id and after must be at most %lld", (long long)INT64_MAX);
    if (f->limit > (size_t)INT64_MAX)
        return kbj_efail(eng, KBJ_EINVAL, "cron filter limit %zu is out of range", f->limit);
    if ((int)f->state < KBJ_CRON_ANY || (int)f->state > KBJ_CRON_FAILING)
        return kbj_efail(eng, KBJ_EINVAL, "unknown cron filter state %d", (int)f->state);
    if (f->due_only && f->state != KBJ_CRON_ANY && f->state != KBJ_CRON_DUE)
        return kbj_efail(eng, KBJ_EINVAL, "cron filter due_only goes with no other state");
    if (f->backward && !f->after_id)
        return kbj_efail(eng, KBJ_EINVAL, "cron filter backward needs a cursor (after)");
    return KBJ_OK;
}

int kbj_cron_list(kbj_engine *eng, const kbj_cron_filter *f, kbj_cron_info **out, size_t *n)
{
    kbj_cron_filter none = { 0 };
    list_work w = { eng, f ? f : &none, "", out, n };
    int rc;

    if (!eng || !out || !n)
        return eng ? kbj_efail(eng, KBJ_EINVAL, "no output given") : KBJ_EINVAL;
    *out = NULL;
    *n = 0;
    if ((rc = check_filter(eng, w.f)))
        return rc;
    if (w.f->hook_prefix && w.f->hook_prefix[0])
        kbj_sql_like_prefix(w.f->hook_prefix, w.like, sizeof w.like);
    return kbj_store_do(eng->st, list_do, &w);
}

int kbj_cron_get(kbj_engine *eng, unsigned long long id, kbj_cron_info *out)
{
    kbj_cron_filter f = { .id = id, .limit = 1 };
    kbj_cron_info *v = NULL;
    size_t n = 0;
    int rc;

    if (!eng || !out)
        return eng ? kbj_efail(eng, KBJ_EINVAL, "no output given") : KBJ_EINVAL;
    memset(out, 0, sizeof *out);
    if (id == 0)
        return kbj_efail(eng, KBJ_ENOTFOUND, "no cron event 0");
    if ((rc = kbj_cron_list(eng, &f, &v, &n)))
        return rc;
    if (n == 0) {
        kbj_cron_info_free(v, n);
        return kbj_efail(eng, KBJ_ENOTFOUND, "no cron event %llu", id);
    }
    *out = v[0];    /* the strings move to *out */
    free(v);
    return KBJ_OK;
}

typedef struct count_work {
    kbj_cron_counts *out;
} count_work;

/* The table's size as the server knows it (EXPLAIN of a whole read: InnoDB's row
 * estimate, kept by its statistics), for the count of all events above the cap: a
 * range's estimate is capped at half the table. Nothing is read. */
static int table_rows(kbj_store *st, unsigned long long *out)
{
    kbj_rows *rows = NULL;
    int rc = kbj_store_query(st, "EXPLAIN SELECT 1 FROM {p}kbjobs_cron_events", NULL, 0, &rows);
    *out = 0;
    if (rc)
        return rc;
    if (kbj_rows_count(rows) && kbj_rows_int(rows, 0, 8) > 0)
        *out = (unsigned long long)kbj_rows_int(rows, 0, 8);  /* "rows" is the 9th column */
    kbj_rows_free(rows);
    return KBJ_OK;
}

static int count_do(kbj_store *st, void *arg)
{
    count_work *w = arg;
    kbj_cron_counts *c = w->out;
    /* each state's count reads its own index (see state_cond); all events, the primary
     * key from its start */
    struct {
        kbj_cron_state state;
        unsigned long long *n;
        int *est;
    } parts[] = {
        { KBJ_CRON_PAUSED, &c->paused, &c->paused_estimated },
        { KBJ_CRON_DUE, &c->due, &c->due_estimated },
        { KBJ_CRON_RUNNING, &c->running, &c->running_estimated },
        { KBJ_CRON_FAILING, &c->failing, &c->failing_estimated },
    };
    /* no parameters, but never a NULL array: the helper copies it (memcpy of NULL is
     * undefined even for 0 bytes) */
    kbj_val none[1] = { KBJ_VI(0) };
    char from[256];
    int rc;

    memset(c, 0, sizeof *c);
    rc = kbj_store_count_upto(st, "{p}kbjobs_cron_events WHERE id > 0", none, 0, KBJ_CRON_COUNT_CAP, &c->events,
                              &c->events_estimated);
    if (rc == KBJ_OK && c->events_estimated) {
        unsigned long long all = 0;
        rc = table_rows(st, &all);
        if (all > c->events)
            c->events = all;
    }
    for (size_t i = 0; rc == KBJ_OK && i < sizeof parts / sizeof parts[0]; i++) {
        snprintf(from, sizeof from, "{p}kbjobs_cron_events WHERE %s", state_cond(parts[i].state));
        rc = kbj_store_count_upto(st, from, none, 0, KBJ_CRON_COUNT_CAP, parts[i].n, parts[i].est);
    }
    return rc;
}

int kbj_cron_count(kbj_engine *eng, kbj_cron_counts *out)
{
    count_work w = { out };
    int rc;
    if (!eng || !out)
        return eng ? kbj_efail(eng, KBJ_EINVAL, "no output given") : KBJ_EINVAL;
    memset(out, 0, sizeof *out);
    rc = kbj_store_do(eng->st, count_do, &w);
    if (rc)
        memset(out, 0, sizeof *out);
    return rc;
}

typedef struct uses_work {
    kbj_engine *eng;
    kbj_cron_schedule_use **out;
    size_t *n;
    int *more;
} uses_work;

/* The first schedule name after `after` ("" for the first), into `name` ("" when none):
 * one row of the (schedule) index. A name at a time, where a DISTINCT may be planned as
 * a read of the whole index. */
static int next_schedule(kbj_store *st, const char *after, char *name, size_t cap)
{
    kbj_rows *rows = NULL;
    int rc = kbj_store_query(st, "SELECT schedule FROM {p}kbjobs_cron_events FORCE INDEX (schedule)"
                             " WHERE schedule > ? ORDER BY schedule LIMIT 1", (kbj_val[]){ KBJ_VS(after) }, 1, &rows);
    name[0] = '\0';
    if (rc)
        return rc;
    if (kbj_rows_count(rows))
        kbj_copy(name, cap, kbj_rows_str(rows, 0, 0));
    kbj_rows_free(rows);
    return KBJ_OK;
}

static int uses_do(kbj_store *st, void *arg)
{
    uses_work *w = arg;
    char name[KBJ_CRON_SCHEDULE_MAX + 1] = "";
    int rc = KBJ_OK;

    free(*w->out);
    *w->n = 0;
    *w->more = 0;
    *w->out = calloc(KBJ_CRON_SCHEDULES_MAX, sizeof **w->out);
    if (!*w->out)
        return kbj_efail(w->eng, KBJ_ENOMEM, "out of memory");
    for (;;) {
        kbj_cron_schedule_use *u;
        char after[sizeof name];
        memcpy(after, name, sizeof after);
        if ((rc = next_schedule(st, after, name, sizeof name)) || !name[0])
            break;
        if (*w->n == KBJ_CRON_SCHEDULES_MAX) {
            *w->more = 1;
            break;
        }
        u = &(*w->out)[(*w->n)++];
        memcpy(u->name, name, sizeof u->name);
        /* a recurring event is always what core sees: no visibility test */
        rc = kbj_store_count_upto(st, "{p}kbjobs_cron_events WHERE schedule = ?", (kbj_val[]){ KBJ_VS(u->name) }, 1,
                                  KBJ_CRON_COUNT_CAP, &u->events, &u->estimated);
        if (rc)
            break;
    }
    return rc;
}

int kbj_cron_schedule_uses(kbj_engine *eng, kbj_cron_schedule_use **out, size_t *n, int *more)
{
    int more_ = 0;
    uses_work w = { eng, out, n, more ? more : &more_ };
    int rc;

    if (!eng || !out || !n)
        return eng ? kbj_efail(eng, KBJ_EINVAL, "no output given") : KBJ_EINVAL;
    *out = NULL;
    *n = 0;
    rc = kbj_store_do(eng->st, uses_do, &w);
    if (rc) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

/* ---- operator changes ----------------------------------------------------------- */

/* An event as a write by id sees it under its guard's lock. */
typedef struct locked_event {
    int found, running;
    char hook[KBJ_CRON_HOOK_MAX + 1], args_key[33];
} locked_event;

/* Reads event `id`'s pair, locks its guard row, then reads the row again under the lock
 * (FOR UPDATE): the lock order of every write, guard before event. `e->found` 0: no
 * such event (or it went while the guard was awaited). */
static int lock_event(kbj_store *st, unsigned long long id, locked_event *e)
{
    kbj_rows *rows = NULL;
    int rc;

    memset(e, 0, sizeof *e);
    rc = kbj_store_query(st, "SELECT hook, args_key FROM {p}kbjobs_cron_events WHERE id = ?",
                         (kbj_val[]){ KBJ_VI(id) }, 1, &rows);
    if (rc)
        return rc;
    if (kbj_rows_count(rows) == 0) {
        kbj_rows_free(rows);
        return KBJ_OK;
    }
    kbj_copy(e->hook, sizeof e->hook, kbj_rows_str(rows, 0, 0));
    kbj_copy(e->args_key, sizeof e->args_key, kbj_rows_str(rows, 0, 1));
    kbj_rows_free(rows);
    if ((rc = lock_pair(st, e->hook, e->args_key)))
        return rc;
    rc = kbj_store_query(st, "SELECT " RUNNING " FROM {p}kbjobs_cron_events WHERE id = ? FOR UPDATE",
                         (kbj_val[]){ KBJ_VI(id) }, 1, &rows);
    if (rc)
        return rc;
    if (kbj_rows_count(rows)) {
        e->found = 1;
        e->running = kbj_rows_int(rows, 0, 0) != 0;
    }
    kbj_rows_free(rows);
    return KBJ_OK;
}

typedef struct change_work {
    kbj_engine *eng;
    unsigned long long id;
    const kbj_cron_change *c;
    const char *schedule;           /* c's, NULL for single */
    enum { CHANGE, DELETE, RUN_NOW } op;
} change_work;

/* KBJ_ECONFLICT when another visible event of the pair is at the new time: core keeps
 * one event per time, hook and args, and so does every write here. */
static int same_time_taken(kbj_store *st, change_work *w, const locked_event *e)
{
    kbj_rows *rows = NULL;
    unsigned long long other = 0;
    int rc = kbj_store_query(st, "SELECT id FROM {p}kbjobs_cron_events WHERE hook = ? AND args_key = ?"
                             " AND next_run = ? AND " VISIBLE " AND id <> ? LIMIT 1",
                             (kbj_val[]){ KBJ_VS(e->hook), KBJ_VS(e->args_key), KBJ_VI(w->c->next_run),
                                          KBJ_VI(w->id) }, 4, &rows);
    if (rc)
        return rc;
    if (kbj_rows_count(rows))
        other = (unsigned long long)kbj_rows_int(rows, 0, 0);
    kbj_rows_free(rows);
    if (other)
        return kbj_efail(w->eng, KBJ_ECONFLICT, "cron event %llu of the same hook and arguments is already at %lld",
                         other, w->c->next_run);
    return KBJ_OK;
}

static int change_apply(kbj_store *st, change_work *w, const locked_event *e)
{
    const kbj_cron_change *c = w->c;
    int rc;

    if ((c->set_next_run || c->set_schedule) && e->running)
        return kbj_efail(w->eng, KBJ_ECONFLICT, "cron event %llu is running: its time and schedule can change "
                         "once the run has finished", w->id);
    if (c->set_next_run && (rc = same_time_taken(st, w, e)))
        return rc;
    if (c->set_schedule) {
        rc = kbj_store_exec(st, "UPDATE {p}kbjobs_cron_events SET schedule = ?, interval_seconds = ?,"
                            " updated_at = NOW(6) WHERE id = ?",
                            (kbj_val[]){ KBJ_VS(w->schedule), KBJ_VI(w->schedule ? c->interval : 0), KBJ_VI(w->id) },
                            3, NULL);
        if (rc)
            return rc;
    }
    if (c->set_next_run) {
        /* An idle event is next claimed at its next run. A recurring event waiting for
         * a retry keeps that retry unless the new time comes first; a single event has
         * no other time than the one the operator gives, retry or not. A lost run's
         * expired lease is left to the claim, which takes it whatever due_at says. */
        rc = kbj_store_exec(st, "UPDATE {p}kbjobs_cron_events SET next_run = ?,"
                            " due_at = CASE WHEN lease_token IS NOT NULL THEN due_at"
                            " WHEN run_of IS NULL OR schedule IS NULL THEN ?"
                            " ELSE LEAST(COALESCE(due_at, ?), ?) END, updated_at = NOW(6) WHERE id = ?",
                            (kbj_val[]){ KBJ_VI(c->next_run), KBJ_VI(c->next_run), KBJ_VI(c->next_run),
                                         KBJ_VI(c->next_run), KBJ_VI(w->id) }, 5, NULL);
        if (rc)
            return rc;
    }
    if (c->set_paused)
        return kbj_store_exec(st, "UPDATE {p}kbjobs_cron_events SET paused = ?, updated_at = NOW(6) WHERE id = ?",
                              (kbj_val[]){ KBJ_VI(c->paused != 0), KBJ_VI(w->id) }, 2, NULL);
    return KBJ_OK;
}

static int change_tx(kbj_store *st, void *arg)
{
    change_work *w = arg;
    locked_event e;
    int rc = lock_event(st, w->id, &e);

    if (rc)
        return rc;
    if (!e.found)
        return kbj_efail(w->eng, KBJ_ENOTFOUND, "no cron event %llu", w->id);
    switch (w->op) {
    case CHANGE:
        return change_apply(st, w, &e);
    case DELETE:
        /* a run in progress finishes and is recorded; nothing reschedules the event */
        return kbj_store_exec(st, "DELETE FROM {p}kbjobs_cron_events WHERE id = ?", (kbj_val[]){ KBJ_VI(w->id) },
                              1, NULL);
    case RUN_NOW:
        if (e.running)
            return kbj_efail(w->eng, KBJ_ECONFLICT, "cron event %llu is running now", w->id);
        /* the claim reads run_now: it runs the event at the current time and leaves a
         * recurring event's next_run where it is */
        return kbj_store_exec(st, "UPDATE {p}kbjobs_cron_events SET run_now = 1, due_at = UNIX_TIMESTAMP(),"
                              " updated_at = NOW(6) WHERE id = ?", (kbj_val[]){ KBJ_VI(w->id) }, 1, NULL);
    }
    return KBJ_OK;
}

static int check_change(kbj_engine *eng, const kbj_cron_change *c)
{
    int rc;
    if (c->set_next_run && (rc = check_time(eng, "cron change", "next_run", c->next_run)))
        return rc;
    if (c->set_schedule && (rc = check_schedule(eng, "cron change", c->schedule, c->interval)))
        return rc;
    return KBJ_OK;
}

static int check_id(kbj_engine *eng, unsigned long long id)
{
    if (id == 0 || id > (unsigned long long)INT64_MAX)
        return kbj_efail(eng, KBJ_ENOTFOUND, "no cron event %llu", id);
    return KBJ_OK;
}

int kbj_cron_update(kbj_engine *eng, unsigned long long id, const kbj_cron_change *c)
{
    change_work w = { eng, id, c, NULL, CHANGE };
    int rc;

    if (!eng)
        return KBJ_EINVAL;
    if (!c)
        return kbj_efail(eng, KBJ_EINVAL, "no cron change given");
    if ((rc = check_change(eng, c)) || (rc = check_id(eng, id)))
        return rc;
    w.schedule = c->schedule && c->schedule[0] ? c->schedule : NULL;
    rc = kbj_store_tx(eng->st, change_tx, &w);
    /* moved to now or earlier, or resumed (it may be due): runners look at once */
    if (rc == KBJ_OK && ((c->set_next_run && c->next_run <= (long long)time(NULL)) || (c->set_paused && !c->paused)))
        kbj_wake_jobs(eng);
    return rc;
}

/* An operator's change that takes nothing but the event's id (delete, run now). */
static int change_by_id(kbj_engine *eng, unsigned long long id, int kind)
{
    kbj_cron_change none = { 0 };
    change_work w = { eng, id, &none, NULL, kind };
    int rc;

    if (!eng)
        return KBJ_EINVAL;
    if ((rc = check_id(eng, id)))
        return rc;
    return kbj_store_tx(eng->st, change_tx, &w);
}

int kbj_cron_delete(kbj_engine *eng, unsigned long long id)
{
    return change_by_id(eng, id, DELETE);
}

int kbj_cron_run_now(kbj_engine *eng, unsigned long long id)
{
    int rc = change_by_id(eng, id, RUN_NOW);
    if (rc == KBJ_OK)
        kbj_wake_jobs(eng);
    return rc;
}
