/*
 * kbj_cron.h - the public C API of WP-Cron events kept by the engine, next to kbj.h:
 * scheduling with core's semantics, reading, operator changes, claiming a due event
 * with a lease, recording its run, and the run history.
 *
 * Plain C11, no PHP headers; the conventions of kbj.h apply (0 or a negative KBJ_E*
 * code, the message in kbj_errmsg(), explicit ownership). The engine knows nothing of
 * PHP: an event's arguments come as three opaque values the binding makes (args_key,
 * core's md5 of the serialized arguments; args_json, for people; args_php, the
 * binding's own serialization, handed back unchanged when the event runs).
 *
 * Tables (schema 8): {p}kbjobs_cron_events (one row per scheduled event, updated in
 * place as it runs), {p}kbjobs_cron_keys (one guard row per hook and args_key: every
 * write to that pair's events locks it first, so two connections scheduling the same
 * event at once leave one row; never read-then-insert), {p}kbjobs_cron_runs (the
 * history). Times of events are UTC epoch seconds, as WordPress's own; the due check
 * and every time a claim computes come from the database clock (UNIX_TIMESTAMP()).
 *
 * An event's life:
 *   scheduled  next_run = due_at = T; visible to the binding's readers.
 *   claimed    (due_at <= now, not paused; or a lease that expired) a fresh claim sets
 *              run_of = T and, for a recurring event, moves next_run at once to core's
 *              next time (now + interval - ((now - T) mod interval): missed runs are
 *              skipped, never replayed), as core reschedules before it runs; a single
 *              event being run (or waiting for a retry) is hidden from readers, as core
 *              unschedules it first. A "run now" claim runs at the current time and
 *              leaves a recurring event's next_run alone.
 *   released   claimed but never started (the runner's budget ran out, or it was asked
 *              to stop): the claim is undone (kbj_cron_release), due again at once.
 *   finished   ok or failed: a single event is deleted (unless a retry is due:
 *              attempts left, due_at = now + backoff); a recurring one is scheduled
 *              again at its next_run whatever the outcome (a retry only when it comes
 *              before that next run).
 *   lost       a lease that expired (the runner was killed, frozen or cut off): the
 *              run is recorded as lost and the event claimed again as a new attempt of
 *              the same due time; its next occurrence stays scheduled once. At least
 *              once, where core is at most once. After max_attempts + 2 lost or failed
 *              attempts the due time is given up.
 */
#ifndef KBJ_CRON_PUBLIC_H
#define KBJ_CRON_PUBLIC_H

#include <stddef.h>

#include "kbj.h"

#define KBJ_CRON_HOOK_MAX 191      /* bytes of a hook name */
#define KBJ_CRON_SCHEDULE_MAX 64   /* bytes of a schedule name */
#define KBJ_CRON_OUTPUT_MAX 4096   /* bytes of a run's output kept */
#define KBJ_CRON_WINDOW 600        /* core's duplicate window for single events, seconds */
#define KBJ_CRON_ARGS_MAX (4u << 20) /* bytes of args_json, and of args_php */
#define KBJ_CRON_BATCH_DEFAULT 50  /* kbj_run_opts.cron_batch 0: events run per round */

/* ======================================================================== *
 * Scheduling (what core's cron API does)
 * ======================================================================== */

/* How kbj_cron_schedule treats events with the same hook and args_key. */
typedef enum kbj_cron_mode {
    /* wp_schedule_single_event(): refused with KBJ_ECONFLICT (and *id set to the event in
     * the way) when a visible event of the same hook and args_key is due within core's
     * window: from (ts < now + 600 ? 0 : ts - 600) to (ts < now ? now + 600 : ts + 600),
     * `now` being the caller's clock (the one core would use). */
    KBJ_CRON_SINGLE,
    /* wp_schedule_event(): an event with the same hook, args_key and next_run is replaced
     * (its schedule, interval and arguments updated in place); anything else is added. */
    KBJ_CRON_RECURRING,
    /* Migration from the `cron` option: the same hook, args_key and next_run replaces,
     * single or recurring; nothing is refused. Importing the same list twice changes
     * nothing. */
    KBJ_CRON_EXACT
} kbj_cron_mode;

/* An event to schedule. The strings are the caller's. */
typedef struct kbj_cron_event {
    const char *hook;           /* 1..191 bytes, valid UTF-8; compared byte for byte */
    const char *args_key;       /* 32 lowercase hex digits */
    const char *args_json;      /* a JSON array or object; NULL: "[]" */
    const char *args_php;       /* opaque bytes, may hold NULs; NULL with length 0: none */
    size_t args_php_len;
    const char *schedule;       /* NULL or "": a single event; else 1..64 bytes */
    long long interval;         /* seconds, 1..(10 years) for a recurring event; 0 for single */
    long long next_run;         /* UTC epoch seconds, > 0 */
    int paused;                 /* scheduled paused (migration of a paused event) */
    /* policy, decided by the binding when it schedules (a filter in WordPress) and kept
     * when the event is rescheduled by a run */
    int parallel;               /* 1: runs of the same hook and args_key may overlap */
    int max_attempts;           /* 0 or 1: no retries; n: a failed run is tried n-1 more times */
    unsigned retry_seconds;     /* backoff of attempt k: retry_seconds * 2^(k-1), at most an
                                 * hour (0: 60) */
} kbj_cron_event;

/*
 * Schedules an event as `mode` says, with `now` (UTC epoch seconds) the caller's clock
 * for the single-event window. *id: the new or replaced event (or, with KBJ_ECONFLICT,
 * the one in the way). KBJ_EINVAL for a malformed event (the message names the field).
 */
int kbj_cron_schedule(kbj_engine *eng, const kbj_cron_event *ev, kbj_cron_mode mode, long long now,
                      unsigned long long *id);

/* wp_unschedule_event(): deletes the visible event with exactly this hook, args_key and
 * next_run. *n: how many were deleted (0 or 1). */
int kbj_cron_unschedule(kbj_engine *eng, const char *hook, const char *args_key, long long next_run,
                        unsigned long long *n);

/* wp_clear_scheduled_hook() (args_key given: only those arguments) and
 * wp_unschedule_hook() (args_key NULL: any arguments): deletes the visible events of a
 * hook. *n: how many. A run in progress finishes and is recorded; a recurring event
 * deleted while it runs is not scheduled again. */
int kbj_cron_clear(kbj_engine *eng, const char *hook, const char *args_key, unsigned long long *n);

/* ======================================================================== *
 * Reading
 * ======================================================================== */

/* An event as stored, with its run state. Owned strings. */
typedef struct kbj_cron_info {
    unsigned long long id;
    char *hook;
    char args_key[33];
    char *args_json;
    char *args_php;             /* may hold NULs: use args_php_len */
    size_t args_php_len;
    char *schedule;             /* NULL: single */
    long long interval, next_run;
    long long due_at;           /* when it can next be claimed; 0 while it runs */
    int paused, parallel, max_attempts;
    unsigned retry_seconds;
    int visible;                /* what core's API sees (not a single event being run or
                                 * waiting for a retry) */
    int running;                /* held by a live lease */
    long long run_of;           /* the due time being run or retried; 0: none */
    int attempt;                /* attempts of that due time */
    unsigned long long run_id;  /* the run in progress or last started; 0: none */
    char runner[KBJ_ID_LEN + 1];/* the lease's owner while running, "" otherwise */
    double last_run_at;         /* UTC epoch seconds of the last finished run; 0: never */
    char last_outcome[12];      /* ok, failed, lost; "" before the first */
    int fail_streak;            /* failed or lost runs in a row */
    double created_at, updated_at;
} kbj_cron_info;

/* What a list shows of an event's state (kbj_cron_filter.state). Each is read in SQL
 * from an index of its own (schema 11), so a page costs a page of rows:
 *   DUE      due now and not paused (due_at <= now), in the order runners take them:
 *            the list's time order is due_at, then id, for this state only;
 *   PAUSED   paused by an operator;
 *   RUNNING  held by a live lease (a handful: at most the runners' claimed batches);
 *   FAILING  its last run failed or was lost (fail_streak > 0). */
typedef enum kbj_cron_state {
    KBJ_CRON_ANY = 0,
    KBJ_CRON_DUE,
    KBJ_CRON_PAUSED,
    KBJ_CRON_RUNNING,
    KBJ_CRON_FAILING
} kbj_cron_state;

typedef struct kbj_cron_filter {
    unsigned long long id;      /* 0: any */
    const char *hook;           /* NULL: any */
    const char *hook_prefix;    /* NULL: any; LIKE metacharacters match literally */
    const char *args_key;       /* NULL: any (only with hook) */
    int visible_only;           /* only what core's API sees */
    int due_only;               /* the same as state KBJ_CRON_DUE (kept for older callers) */
    kbj_cron_state state;       /* KBJ_CRON_ANY: every state */
    /* Keyset cursor: the last row of the previous page (after_id 0: the first page).
     * In id order, ids above after_id. In time order, rows after (after_time, after_id):
     * after_time is that row's next_run (its due_at with state DUE). */
    unsigned long long after_id;
    long long after_time;
    int backward;               /* 1: the page before the cursor (rows before it), still
                                 * returned in the list's order: a "Previous" link */
    int order_by_id;            /* 1: id order; 0: next_run (due_at with DUE), then id */
    size_t limit;               /* 0: all */
} kbj_cron_filter;

int kbj_cron_list(kbj_engine *eng, const kbj_cron_filter *f, kbj_cron_info **out, size_t *n);
int kbj_cron_get(kbj_engine *eng, unsigned long long id, kbj_cron_info *out); /* KBJ_ENOTFOUND */
void kbj_cron_info_free(kbj_cron_info *v, size_t n);
void kbj_cron_info_clear(kbj_cron_info *v);

/* Counts for a screen: events in all, paused, due now (late), running, failing (a
 * fail_streak > 0). Each is one query on an index that reads at most
 * KBJ_CRON_COUNT_CAP + 1 rows: exact up to the cap, above it the optimizer's estimate
 * with its *_estimated flag set (events: the table's size as the server knows it). */
#define KBJ_CRON_COUNT_CAP 50
typedef struct kbj_cron_counts {
    unsigned long long events, paused, due, running, failing;
    int events_estimated, paused_estimated, due_estimated, running_estimated, failing_estimated;
} kbj_cron_counts;
int kbj_cron_count(kbj_engine *eng, kbj_cron_counts *out);

/* The schedules recurring events use, by name, with how many use each (exact up to
 * KBJ_CRON_COUNT_CAP, an estimate above it, flagged), in name order. The names are read
 * from an index a name at a time (one row each, whatever the number of events), at most
 * KBJ_CRON_SCHEDULES_MAX of them; *more (may be NULL) is 1 when there are others.
 * *out: malloc'd, free() it (also on an error, when it is NULL). */
#define KBJ_CRON_SCHEDULES_MAX 100
typedef struct kbj_cron_schedule_use {
    char name[KBJ_CRON_SCHEDULE_MAX + 1];
    unsigned long long events;
    int estimated;
} kbj_cron_schedule_use;
int kbj_cron_schedule_uses(kbj_engine *eng, kbj_cron_schedule_use **out, size_t *n, int *more);

/* ======================================================================== *
 * Operator changes (screen, REST, WP-CLI)
 * ======================================================================== */

typedef struct kbj_cron_change {
    int set_next_run;
    long long next_run;         /* > 0 */
    int set_schedule;
    const char *schedule;       /* NULL or "": make it a single event */
    long long interval;         /* with a schedule: > 0 */
    int set_paused;
    int paused;
} kbj_cron_change;

/* Changes an event in place (under its guard row). KBJ_ENOTFOUND, KBJ_EINVAL; changing
 * the time or schedule of a running event is KBJ_ECONFLICT, and so is a next_run that
 * another visible event of the same hook and args_key has (core keeps one per time). */
int kbj_cron_update(kbj_engine *eng, unsigned long long id, const kbj_cron_change *c);

/* Deletes an event (its runs stay in the history). KBJ_ENOTFOUND. */
int kbj_cron_delete(kbj_engine *eng, unsigned long long id);

/* Makes an event due now as a "run now": the next claim runs it at the current time,
 * with trigger "run-now", and leaves a recurring event's schedule as it was; a paused
 * event runs once and stays paused.
 * KBJ_ENOTFOUND; KBJ_ECONFLICT when it is running. */
int kbj_cron_run_now(kbj_engine *eng, unsigned long long id);

/* ======================================================================== *
 * Running
 * ======================================================================== */

/* A claimed event, handed to the handler; the handler fills the outcome fields. */
typedef struct kbj_cron_run {
    unsigned long long event_id, run_id;
    long long token;            /* the lease's fencing token (the runs of one claim share it) */
    char runner[KBJ_ID_LEN + 1];
    char *hook;
    char args_key[33];
    char *args_json;
    char *args_php;
    size_t args_php_len;
    char *schedule;             /* NULL: single */
    long long interval;
    long long due;              /* the due time this run is for (run_of) */
    int attempt;                /* 1 for the first */
    char trigger[16];           /* runner, loopback, run-now, cli */
    int run_now;                /* claimed as a run now (kbj_cron_release gives it back as one) */
    /* the outcome, filled by the handler (strings malloc'd; the engine frees them) */
    int failed;                 /* 1: the run failed (error says why) */
    char *error;
    long long memory_peak;      /* bytes, -1 unknown */
    long long queries;          /* database queries the run made, -1 unknown */
    long long http_requests;    /* HTTP requests the run made, -1 unknown */
    char *output;               /* what the run printed; the first 4 KiB are kept */
    size_t output_len;
} kbj_cron_run;

/*
 * Claims up to `max` due events for `runner` (a registered runner's id; its heartbeat
 * renews the leases), recording a run row ("running") for each with the trigger, host
 * and pid, all in one transaction (a batch: a statement per step for all its events).
 * Skips paused events, events whose pair (hook and args_key) is being written or
 * claimed by another connection at that moment and, unless the event allows parallel
 * runs, events whose pair already has a run holding a live lease; a pair due twice in
 * one batch gets one run. `only_id` (non-zero): only that event, due or not, as a run
 * now (KBJ_ENOTFOUND when it does not exist, KBJ_ECONFLICT when it is running). Expired
 * leases met on the way are recorded as lost runs. On an error nothing is claimed.
 * *out: malloc'd, free with kbj_cron_runs_free.
 */
int kbj_cron_claim(kbj_engine *eng, const char *runner, const char *host, int pid, const char *trigger,
                   unsigned long long only_id, size_t max, kbj_cron_run **out, size_t *n);

/*
 * Records a claimed run's outcome from run->failed, error, memory_peak, queries,
 * http_requests and output, and moves the event on (deleted, retried, or scheduled at
 * its next_run; its last_run_at, last_outcome and fail_streak updated), in one
 * transaction. KBJ_ELEASE when the lease is no longer this run's (it expired, even if
 * no one took the event yet, or another runner holds it): nothing is written. An event
 * deleted while it ran: the run is recorded, nothing is rescheduled.
 */
int kbj_cron_finish(kbj_engine *eng, const kbj_cron_run *run);

/*
 * kbj_cron_finish for `n` claimed runs (1..1000, each given once) in one transaction.
 * Each run is fenced on its own: rcs[i] is KBJ_OK (recorded, or recorded already) or
 * KBJ_ELEASE (its lease was lost: nothing written for it), and a lost run does not keep
 * the others from being recorded. Returns an error (nothing written) only when the
 * transaction fails.
 */
int kbj_cron_finish_many(kbj_engine *eng, const kbj_cron_run *runs, size_t n, int *rcs);

/*
 * Gives back claimed runs that were never started (a budget or a stop request ended
 * the runner first), in one transaction, as if they had not been claimed: the 'running'
 * run row is deleted and the event restored (a fresh claim's next_run, run_of and
 * attempt; a retry's attempt; a run now stays one), due again at once for any runner.
 * rcs[i]: KBJ_OK, or KBJ_ELEASE when that run's lease was lost (left as it is: the
 * next claim records it as a lost run). Never give back a run whose handler started.
 */
int kbj_cron_release(kbj_engine *eng, const kbj_cron_run *runs, size_t n, int *rcs);

/* Renews the leases of every event `runner` is running (kbj_runner_heartbeat calls it
 * too). An expired lease stays lost. */
int kbj_cron_renew(kbj_engine *eng, const char *runner);

void kbj_cron_runs_free(kbj_cron_run *runs, size_t n);

/* Whether a live runner (heartbeat within lost_after_seconds, not stopped) takes cron
 * events: *alive 1 or 0. */
int kbj_cron_runner_alive(kbj_engine *eng, int *alive);

/* ======================================================================== *
 * History
 * ======================================================================== */

typedef struct kbj_cron_run_info {
    unsigned long long id, event_id;
    char *hook;
    char args_key[33];
    char *args_json;
    char *schedule;             /* NULL: single */
    long long due;
    int attempt;
    char trigger[16];
    char runner[KBJ_ID_LEN + 1];
    char *host;
    int pid;
    double started_at, ended_at;/* UTC epoch seconds; ended_at 0 while running */
    char outcome[12];           /* running, ok, failed, lost */
    char *error;                /* NULL: none */
    long long memory_peak, queries, http_requests; /* -1: unknown */
    char *output;               /* NULL: none; may hold NULs: output_len */
    size_t output_len;
} kbj_cron_run_info;

typedef struct kbj_cron_runs_filter {
    unsigned long long event_id;/* 0: any */
    const char *hook;           /* NULL: any */
    const char *outcome;        /* NULL: any */
    const char *trigger;        /* NULL: any */
    unsigned long long before_id; /* keyset cursor, newest first: ids below this */
    size_t limit;               /* 0: 50 */
} kbj_cron_runs_filter;

/* Runs newest first. */
int kbj_cron_runs(kbj_engine *eng, const kbj_cron_runs_filter *f, kbj_cron_run_info **out, size_t *n);
void kbj_cron_run_info_free(kbj_cron_run_info *v, size_t n);

/* Retention: removes finished runs older than `days` and, per hook, all but the newest
 * `per_hook` (0: no cap), in batches; guard rows whose pair has no event left. *removed:
 * runs removed. */
int kbj_cron_prune(kbj_engine *eng, unsigned days, unsigned per_hook, unsigned long long *removed);

#endif
