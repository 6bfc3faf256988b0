/*
 * kbj.h - the public C API of the kbjobs engine.
 *
 * Plain C11, no PHP headers. Every function that can fail returns 0 (KBJ_OK) or a
 * negative KBJ_E* code; functions working on a handle keep the last error message on
 * that handle (see kbj_store_errmsg()). Nothing in the engine prints, exits or aborts
 * on bad input. Ownership is explicit: whoever allocates frees, and every *_free()
 * accepts NULL.
 */
#ifndef KBJ_H
#define KBJ_H

#include <stddef.h>

#define KBJ_VERSION "0.1.0"
/* major * 10000 + minor * 100 + patch, for numeric comparisons. */
#define KBJ_VERSION_ID 100

/* Error codes. Always negative; KBJ_OK is zero. */
enum {
    KBJ_OK = 0,
    KBJ_EINVAL = -1,       /* an argument is malformed or out of range */
    KBJ_ENOMEM = -2,       /* an allocation failed */
    KBJ_EDB = -3,          /* the database refused or failed a statement */
    KBJ_ECONNECT = -4,     /* the database cannot be reached */
    KBJ_EUNSUPPORTED = -5, /* the server or schema is not one this code can use */
    KBJ_ENOTFOUND = -6,    /* no such job, runner or entry */
    KBJ_ECONFLICT = -7,    /* an illegal state transition */
    KBJ_ELEASE = -8,       /* the caller's lease was lost (fenced out) */
    KBJ_EIO = -9,          /* a filesystem operation failed */
    KBJ_EJOBFAILED = -10,  /* a handler reports its job failed (see kbj_ctx_fail) */
    KBJ_ESTOPPED = -11,    /* a handler returned early: cancelled or asked to stop */
    KBJ_ECORRUPT = -12,    /* a file is truncated, corrupt or belongs to something else */
    KBJ_EDEFERRED = -13,   /* a handler gives its job back for later (see kbj_ctx_defer) */
};

/*
 * An error message buffer. Handles embed one; functions without a handle take a
 * pointer to one (which may be NULL when the caller does not want the message).
 */
typedef struct kbj_err {
    char msg[512];
} kbj_err;

/* Formats a message into `err` (if not NULL) and returns `code`, for one-line returns:
 * `return kbj_fail(err, KBJ_EINVAL, "bad queue name \"%s\"", q);` */
int kbj_fail(kbj_err *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/*
 * Returns a static, human-readable name for an error code ("invalid argument"), or
 * "unknown error" for a code the engine does not define. Never NULL.
 */
const char *kbj_strerror(int code);

/* Returns the engine's version string, KBJ_VERSION. */
const char *kbj_version(void);

/* One library the engine links, with the version found at run time. */
typedef struct kbj_library {
    const char *name;    /* "libmariadb", "libcurl", "jansson", "libxml2" */
    const char *version; /* static string owned by the library; never NULL */
} kbj_library;

/*
 * Writes up to `cap` entries describing the libraries the engine links into `out`
 * and returns the number of libraries known (which may exceed `cap`; call with
 * cap 0 to ask). The strings are static and need no freeing.
 */
size_t kbj_libraries(kbj_library *out, size_t cap);

/* ======================================================================== *
 * The engine handle
 * ======================================================================== */

typedef struct kbj_engine kbj_engine;

/* Database settings, in the forms WordPress uses for DB_HOST and $table_prefix. */
typedef struct kbj_db_settings {
    const char *host;     /* "localhost", "localhost:/path.sock", "127.0.0.1:3307", "[::1]:3306" */
    const char *user;
    const char *password;
    const char *database;
    const char *prefix;   /* table prefix, e.g. "wp_"; letters, digits and '_' only */
} kbj_db_settings;

/* Engine settings. Zero means the default for every numeric field. */
typedef struct kbj_config {
    kbj_db_settings db;
    const char *data_dir;        /* absolute path: logs/, checkpoints/, lists/, artifacts/ */
    unsigned lease_seconds;      /* default 60: a claim's lease; heartbeats renew it */
    unsigned claim_batch;        /* default 10: jobs claimed per transaction by kbj_run */
    unsigned failure_cap;        /* default 50: FailureLog entries kept */
    unsigned lost_after_seconds; /* default 4 * heartbeat_seconds (8): a runner whose last
                                  * heartbeat is older than this is shown as lost; at most
                                  * 604,800, and above heartbeat_seconds */
    unsigned alert_threshold;    /* default 5: failures of one type within the window ... */
    unsigned alert_window_seconds; /* default 600: ... raise an alert */
    unsigned heartbeat_seconds;  /* default 2 (1..3600): how often kbj_run's heartbeat thread
                                  * records the runner alive and renews its leases; a lease
                                  * shorter than three beats is renewed every third of it */
} kbj_config;

/* The defaults of kbj_config's runner settings. */
#define KBJ_DEFAULT_HEARTBEAT_SECONDS 2
/* An idle runner's longest pause between looks for due jobs (kbj_run_opts.idle_ms): a job
 * submitted where no wake-up reaches the runner (another host) waits at most this long,
 * and each look is one read of the claim index. */
#define KBJ_DEFAULT_IDLE_MS 200
#define KBJ_HEARTBEAT_SECONDS_MAX 3600
#define KBJ_LOST_AFTER_SECONDS_MAX 604800

/* Allocates an unconnected engine; NULL when out of memory. */
kbj_engine *kbj_engine_new(void);

/*
 * Connects to the database and checks that its kbjobs schema, if any, is one this code
 * can use (a schema whose minimum code version is above ours is refused with
 * KBJ_EUNSUPPORTED). Does not create tables: call kbj_migrate(). Settings out of their
 * range (lease_seconds above 86,400, claim_batch above 1000, failure_cap above 100,000,
 * heartbeat_seconds above 3600, lost_after_seconds above 604,800, or a heartbeat_seconds
 * not below lost_after_seconds once the defaults are applied) are KBJ_EINVAL, the
 * message naming them, before anything connects. Returns 0 or a KBJ_E* code with the
 * message in kbj_errmsg().
 */
int kbj_engine_connect(kbj_engine *eng, const kbj_config *cfg);

/* The last error message on `eng` ("" after success). Never NULL. */
const char *kbj_errmsg(const kbj_engine *eng);

/* Closes the engine's connection and frees it. Accepts NULL. */
void kbj_engine_free(kbj_engine *eng);

/*
 * For a child process after fork(): forgets the connection inherited from the parent
 * without talking to the server over it (the parent still uses that session); the next
 * call reconnects. Never fails.
 */
void kbj_engine_forget_connection(kbj_engine *eng);

/* Replaces the engine's random source (for tests); NULL restores the default. The
 * function returns a number in [0, 1). */
void kbj_engine_set_random(kbj_engine *eng, double (*rnd)(void *), void *arg);

/* ======================================================================== *
 * Schema
 * ======================================================================== */

/* The schema version this code creates, and the oldest it can work with: 14 split the
 * jobs table (the claim state apart from the payload), which code before it cannot
 * use and which it cannot use without. */
#define KBJ_SCHEMA_VERSION 14
#define KBJ_SCHEMA_OLDEST 14

/*
 * Creates or upgrades the kbjobs tables to KBJ_SCHEMA_VERSION, under a database lock so
 * concurrent callers do not collide. Migrating an up-to-date (or newer but compatible)
 * schema changes nothing. A migration that moves rows (14: the jobs' state into its own
 * table) is not run here while it has rows to move: it is left to kbj_migrate_all (`wp
 * kb migrate`, runners stopped), and kbj_migrate returns 0 with the schema still behind
 * (kbj_schema_behind says so). Returns 0, KBJ_EUNSUPPORTED for a schema that needs newer
 * code, or KBJ_EDB.
 */
int kbj_migrate(kbj_engine *eng);

/* What kbj_migrate_all reports while it moves rows: the rows moved so far, the highest
 * job id reached and the highest to reach. */
typedef struct kbj_migrate_progress {
    void (*fn)(unsigned long long moved, unsigned long long at_id, unsigned long long top_id, void *arg);
    void *arg;
} kbj_migrate_progress;

/* kbj_migrate with the migrations that move rows, in batches (each resumable when
 * interrupted). For the command line, with every runner stopped: a runner of older code
 * would go on writing the tables being moved. `progress` may be NULL. */
int kbj_migrate_all(kbj_engine *eng, const kbj_migrate_progress *progress);

/* 1 when the stored schema (as read at connect or by the last migration) is older than
 * this code works with (KBJ_SCHEMA_OLDEST), or not made yet; 0 otherwise. */
int kbj_schema_behind(kbj_engine *eng);

/* KBJ_EUNSUPPORTED, with a message that says to run `wp kb migrate` with the runners
 * stopped, when the schema is older than this code works with (read again first: another
 * process may have migrated it since); 0 otherwise. Runs and submits check it. */
int kbj_schema_require(kbj_engine *eng);

/* The stored schema version and the minimum code version it requires (0, 0 before the
 * first migration). */
int kbj_schema_info(kbj_engine *eng, int *version, int *min_code);

/* ======================================================================== *
 * Retry policies
 * ======================================================================== */

typedef enum kbj_backoff_kind {
    KBJ_BACKOFF_DEFAULT = 0,    /* the job type's policy, else polynomial */
    KBJ_BACKOFF_FIXED,          /* base */
    KBJ_BACKOFF_LINEAR,         /* base * attempt */
    KBJ_BACKOFF_EXPONENTIAL,    /* base * 2^(attempt-1) */
    KBJ_BACKOFF_POLYNOMIAL,     /* attempt^4 seconds + base (Sidekiq's curve) */
} kbj_backoff_kind;

typedef struct kbj_backoff {
    kbj_backoff_kind kind;
    unsigned base_ms;   /* 0: default for the kind (15,000 polynomial, 1,000 otherwise) */
    unsigned cap_ms;    /* 0: default 3,600,000 (one hour) */
    double jitter;      /* 0..1: adds up to this fraction of the delay at random;
                         * 0: the default 0.1; negative: none */
} kbj_backoff;

/* Defaults when neither the job nor its type says otherwise. */
#define KBJ_DEFAULT_MAX_ATTEMPTS 5

/*
 * The delay before retry number `attempt` (1 = the retry after the first failure) in
 * milliseconds, with `r` in [0, 1) as the random draw for jitter. Pure; never fails.
 */
unsigned long long kbj_backoff_delay_ms(const kbj_backoff *b, unsigned attempt, double r);
/* The policy a job runs with: the job's own (`job`, when its kind is set), else its
 * type's (`type`, may be NULL) with the job's numbers over it, and the defaults for what
 * is left (polynomial, base 15 s (1 s for the other kinds), cap 1 h, jitter 10 %; jitter
 * -1 in *out means none). 0, or KBJ_EINVAL for an unknown kind or a jitter over 1. */
int kbj_backoff_resolve(const kbj_backoff *job, const kbj_backoff *type, kbj_backoff *out, kbj_err *err);

/* Parses "fixed", "linear", "exponential" or "polynomial"; KBJ_BACKOFF_DEFAULT for NULL
 * or "" and -1 for anything else. */
int kbj_backoff_parse(const char *name);
/* The name of a kind ("polynomial" for the default). */
const char *kbj_backoff_name(kbj_backoff_kind kind);

/* ======================================================================== *
 * Jobs
 * ======================================================================== */

#define KBJ_ID_LEN 16            /* public ids: 16 lowercase hex characters */
#define KBJ_MAX_PARAMS (1u << 20) /* params JSON, bytes */
#define KBJ_NAME_MAX 64          /* job type and queue names */
#define KBJ_KEY_MAX 191          /* concurrency and unique keys */

typedef enum kbj_unique_scope {
    KBJ_UNIQUE_NONE = 0,
    KBJ_UNIQUE_ACTIVE,    /* a queued, running or interrupted job with the key is returned */
    KBJ_UNIQUE_RETAINED,  /* any job still in the table with the key is returned */
} kbj_unique_scope;

typedef enum kbj_expiry {
    KBJ_EXPIRY_DEFAULT = 0, /* the job type's policy, else interrupt */
    KBJ_EXPIRY_INTERRUPT,   /* an expired lease leaves the job interrupted (resumable) */
    KBJ_EXPIRY_REQUEUE,     /* an expired lease re-queues it (counted as an attempt) */
} kbj_expiry;

/* A named resource a job uses, with the operation it performs on it ("vectors:768"
 * with "index"). One running job per resource: the generalised concurrency key. */
typedef struct kbj_resource {
    const char *name;   /* 1..128 of [A-Za-z0-9_.:-] */
    const char *op;     /* 1..64 bytes, or NULL */
} kbj_resource;

#define KBJ_MAX_RESOURCES 16

/* What to submit. Zero-initialise and set what you need. */
typedef struct kbj_submit {
    const char *type;            /* required: [a-z0-9_.-], 1..64 */
    const char *id;              /* the public id to give it (16 lowercase hex characters,
                                  * for files prepared before the job exists); NULL: a new
                                  * random one. A taken id fails with KBJ_EDB. */
    const char *params;          /* a JSON object, at most 1 MiB; NULL means {} */
    const char *queue;           /* [a-z0-9_.-], 1..64; NULL: the type's queue or "default" */
    int priority;                /* -100..100, lower runs first; default 0 */
    double run_at;               /* Unix time to run at (UTC); 0: now */
    long long delay_ms;          /* or: run this long after now (ignored when run_at is set) */
    int max_attempts;            /* 1..1000; 0: the type's or KBJ_DEFAULT_MAX_ATTEMPTS */
    kbj_backoff backoff;         /* kind 0: the type's or the default policy */
    kbj_expiry on_expiry;
    const char *concurrency_key; /* one running job per key; NULL for none */
    const char *unique_key;      /* with unique_scope; NULL for none */
    kbj_unique_scope unique_scope;
    const kbj_resource *resources; /* resources it uses (NULL: the type's), at most 16 */
    size_t nresources;
    const char *backlog;         /* the named backlog it belongs to ([a-z0-9_.-], 1..64), or
                                  * NULL: kept on the job, listed and counted by it */
    int hold;                    /* 1: inserted "held" (no runner claims it) until
                                  * kbj_backlog_release; needs a backlog to be released by */
} kbj_submit;

/*
 * Submits one job. On success `id` (17 bytes) receives its public id and *existed (may
 * be NULL) is 1 when a unique key matched an existing job, whose id is returned instead.
 * Returns 0, KBJ_EINVAL naming the bad field, or KBJ_EDB.
 */
int kbj_submit_job(kbj_engine *eng, const kbj_submit *job, char id[KBJ_ID_LEN + 1], int *existed);

/*
 * Submits `n` jobs in one transaction: all or none. ids[i] receives job i's id (the
 * existing job's id when a unique key matched). Returns as kbj_submit_job; on error
 * nothing was submitted and the message names the index of the bad job.
 */
int kbj_submit_many(kbj_engine *eng, const kbj_submit *jobs, size_t n, char (*ids)[KBJ_ID_LEN + 1]);

/* A read-only view of a job. Times are Unix seconds (UTC) with microseconds; 0 when not
 * set. Strings are NUL-terminated; pointer fields are NULL when not set. */
typedef struct kbj_job {
    char id[KBJ_ID_LEN + 1];
    char type[KBJ_NAME_MAX + 1];
    char queue[KBJ_NAME_MAX + 1];
    char status[16];             /* held queued running completed failed cancelled interrupted */
    int priority;
    char *params, *result, *error, *metrics; /* JSON texts (error: plain text) */
    char *phase, *title;
    long long progress_done, progress_total;
    int attempts, max_attempts;
    kbj_backoff backoff;
    kbj_expiry on_expiry;
    char *concurrency_key, *unique_key;
    char *resources;             /* JSON array of {"name", "op"}, or NULL */
    char unique_scope[12];       /* "", "active" or "retained" */
    int cancel_requested;
    char runner[KBJ_ID_LEN + 1]; /* lease owner while running, else "" */
    char rerun_of[KBJ_ID_LEN + 1];
    double run_at, created_at, started_at, progress_at, finished_at, updated_at, lease_expires;
    char backlog[KBJ_NAME_MAX + 1]; /* its backlog, or "" */
} kbj_job;

/* Frees a job view. Accepts NULL. */
void kbj_job_free(kbj_job *job);

/*
 * A job's rate: items per second from its start (started_at) to its last progress
 * report (progress_at), progress_done / (progress_at - started_at). Returns -1 when it
 * is not known: no items done, a time not set, or no time between them. Pure; reads
 * only those fields, so a caller may fill a zeroed kbj_job with them.
 */
double kbj_job_rate(const kbj_job *j);

/*
 * A job's ETA in seconds: the items left (progress_total - progress_done, 0 when done
 * has reached total) at kbj_job_rate(). 0 for a completed job; -1 when it is not known
 * (no positive rate, or no total). Pure; reads status, progress_done, progress_total,
 * started_at and progress_at.
 */
double kbj_job_eta(const kbj_job *j);
/* Frees an array of views from kbj_job_list. Accepts NULL. */
void kbj_jobs_free(kbj_job **jobs, size_t n);

/* Fetches one job. KBJ_ENOTFOUND when no job has that id. */
int kbj_job_get(kbj_engine *eng, const char *id, kbj_job **out);

/* Filters for kbj_job_list, kbj_job_count and kbj_job_status_counts. Zero-initialise;
 * unset fields (NULL, "" for the texts, 0) do not filter. */
typedef struct kbj_job_filter {
    const char *status;          /* one status, or NULL */
    const char *type;
    const char *queue;
    const char *concurrency_key;
    double created_after;        /* Unix time; 0: any */
    double created_before;
    size_t limit;                /* 1..1000; default 50 */
    const char *cursor;          /* from a previous call's next_cursor, or NULL */
    const char *search;          /* a job id (16 hex characters): that job only; anything
                                  * else: jobs whose type or unique key starts with it
                                  * ('%' and '_' match themselves; keys compare without
                                  * case). At most KBJ_KEY_MAX bytes of UTF-8. */
    const char *unique_key_prefix; /* jobs whose unique key starts with it, like search */
    const char *backlog;         /* jobs of that backlog */
} kbj_job_filter;

/*
 * Lists jobs, newest first, with a stable cursor: pass next_cursor back to get the next
 * page (it is "" after the last page). *out is an array of *n views (free with
 * kbj_jobs_free). Returns 0, KBJ_EINVAL for a bad filter or cursor, or KBJ_EDB.
 */
int kbj_job_list(kbj_engine *eng, const kbj_job_filter *f, kbj_job ***out, size_t *n,
                 char next_cursor[32]);

/* ---- job counts -------------------------------------------------------------------- */

/* The statuses by index, in the order kbj_job_status_counts reports them. */
enum {
    KBJ_ST_QUEUED = 0,
    KBJ_ST_RUNNING,
    KBJ_ST_COMPLETED,
    KBJ_ST_FAILED,
    KBJ_ST_CANCELLED,
    KBJ_ST_INTERRUPTED,
    KBJ_ST_HELD,         /* in a backlog not yet released: never claimed, reaped or counted as waiting */
    KBJ_NSTATUS
};

/* The name of a status by its index ("queued" for KBJ_ST_QUEUED), or NULL outside
 * 0..KBJ_NSTATUS-1. Static; never freed. */
const char *kbj_status_name(int index);

/*
 * Stores in *count how many jobs match `f` (NULL: all jobs), with the filters of
 * kbj_job_list; its limit and cursor are ignored. Returns 0, KBJ_EINVAL for a bad
 * filter, or KBJ_EDB; *count is 0 on failure.
 */
int kbj_job_count(kbj_engine *eng, const kbj_job_filter *f, unsigned long long *count);

/*
 * Counts the jobs matching `f` (NULL: all jobs) by status, into counts[KBJ_ST_QUEUED]
 * ... counts[KBJ_ST_HELD] (queued running completed failed cancelled interrupted
 * held), one query. The filter's status, limit and cursor are ignored, so a
 * status tab bar can show every tab's number under the other filters. Returns 0,
 * KBJ_EINVAL for a bad filter, or KBJ_EDB; the counts are 0 on failure.
 */
int kbj_job_status_counts(kbj_engine *eng, const kbj_job_filter *f, unsigned long long counts[KBJ_NSTATUS]);

/*
 * Counts for screens: a count that costs no more than a page of rows, whatever the
 * number of jobs. Up to KBJ_COUNT_CAP matching rows a count is exact; above, it is the
 * optimizer's estimate from the index (one index dive, no rows read), or, where no
 * index serves every condition and the estimate would be a guess, only "more than
 * KBJ_COUNT_CAP". 190: a count reads at most cap + 1 rows plus its index lookup, which
 * keeps it under the dashboard's rule of 200 rows read per query (ten pages of 20);
 * and a screen showing "190" exactly and "more than 190" or "~ 1.0M" above loses nothing
 * an operator acts on.
 */
#define KBJ_COUNT_CAP 190

/* How a count is known. */
enum {
    KBJ_COUNT_EXACT = 0,     /* exact */
    KBJ_COUNT_ESTIMATED = 1, /* the index's estimate, above KBJ_COUNT_CAP */
    KBJ_COUNT_MORE = 2       /* more than KBJ_COUNT_CAP: the count given is KBJ_COUNT_CAP + 1 */
};

/* Option of the bounded counts: count exactly, reading every matching row (for a CLI
 * that asks, tests, and a bulk preview where the number matters more than the time). */
#define KBJ_COUNT_FLAG_EXACT 1

/*
 * kbj_job_status_counts bounded: each status counted on its own through the claim
 * index (status, queue, ...) with at most KBJ_COUNT_CAP + 1 rows read, and how[s] says
 * how counts[s] is known (KBJ_COUNT_EXACT, _ESTIMATED or _MORE; `how` may be NULL).
 * Without a filter, InnoDB's estimate of a range that is most of the table is capped at
 * half its rows: the largest status is then estimated as the table's estimated size
 * less the other counts. With a queue filter (which the claim index serves) counts above
 * the cap are estimates; with any other filter (type, search, dates, keys) no index
 * serves the status and the filter together, so they are KBJ_COUNT_MORE.
 * `flags` KBJ_COUNT_FLAG_EXACT: every count exact (one GROUP BY query reading every
 * matching row), how[] all KBJ_COUNT_EXACT. Returns as kbj_job_status_counts.
 */
int kbj_job_status_counts_opt(kbj_engine *eng, const kbj_job_filter *f, int flags,
                              unsigned long long counts[KBJ_NSTATUS], int how[KBJ_NSTATUS]);

/*
 * Cancels a job. A held, queued or interrupted job becomes cancelled at once (*was_running 0);
 * a running job gets a cancel request that its runner sees at its next heartbeat or
 * check (*was_running 1). A finished job (completed, failed, cancelled) is KBJ_ECONFLICT.
 */
int kbj_job_cancel(kbj_engine *eng, const char *id, int *was_running);

/* Puts an interrupted, cancelled or failed job back in its queue (due now, attempts
 * reset, progress kept). Any other status is KBJ_ECONFLICT. Cancel and resume apply to
 * a job's parts too (an import split into ranges: jobs with unique key
 * "<id>/range/<n>"). */
int kbj_job_resume(kbj_engine *eng, const char *id);

/* Submits a new job with the original's type, params, queue and policies; the original
 * stays as it is. new_id receives the new job's id. A running or queued original is
 * KBJ_ECONFLICT. */
int kbj_job_rerun(kbj_engine *eng, const char *id, char new_id[KBJ_ID_LEN + 1]);

/* ======================================================================== *
 * Bulk actions
 * ======================================================================== */

/* What a bulk action did, one count per distinct id: done; skipped (the action does
 * not apply to the job's status, see kbj_jobs_apply); missing (no job has that id). */
typedef struct kbj_bulk_counts {
    unsigned long long done, skipped, missing;
} kbj_bulk_counts;

/* Ids per transaction of kbj_jobs_apply, and jobs per chunk of a kbjobs.bulk job. */
#define KBJ_BULK_BATCH 500

/*
 * Applies `action` to the jobs `ids` (n of them, any number; an id given twice counts
 * once), in batches of KBJ_BULK_BATCH ids, each batch one transaction with one UPDATE
 * (multi-row INSERTs for reruns) per kind of change, so ten thousand jobs take seconds:
 *   "cancel"    queued or interrupted: cancelled at once; running: a cancel request
 *               its runner sees (as kbj_job_cancel; counted done)
 *   "resume"    interrupted, cancelled or failed: queued again, due now, attempts reset,
 *               progress kept, its FailureLog entry removed (as kbj_job_resume)
 *   "rerun"     completed, failed, cancelled or interrupted: a new job with its type,
 *               params, queue and policies, rerun_of set (as kbj_job_rerun)
 *   "resubmit"  failed: queued again, due now, attempts reset, and its FailureLog entry
 *               removed if it has one (one evicted by the cap is resubmitted all the same)
 * A job in any other status is skipped, as is one whose action cannot be done (resumed
 * while another active job holds its unique key, rerun with params its type's schema
 * now refuses). Cancel and resume apply to the ranges of an import split into ranges as
 * they do for one job. *out (may be NULL) receives the counts.
 *
 * Returns 0, KBJ_EINVAL for an unknown action or an id that is not a job id (then
 * nothing is done), or KBJ_EDB / KBJ_ECONNECT; on such an error the batches before the
 * failing one stay applied and *out counts them.
 */
int kbj_jobs_apply(kbj_engine *eng, const char *action, const char *const *ids, size_t n, kbj_bulk_counts *out);

/*
 * The native job type "kbjobs.bulk" (registered by kbj_register_builtin_types, queue
 * KBJ_BULK_QUEUE: runners must claim that queue for bulk jobs to run) applies an action
 * to every job a filter matches. Params:
 *   {"action": "cancel" | "resume" | "rerun" | "resubmit",
 *    "filter": {"status", "type", "queue", "search", "unique_key_prefix",
 *               "created_after", "created_before"}}   (required; {} or []: every job)
 * It counts the matching jobs with row ids up to the highest one when it starts (jobs
 * made later, its own reruns among them, are never touched, nor is the bulk job
 * itself), then walks them in row-id order KBJ_BULK_BATCH at a time through
 * kbj_jobs_apply. Each chunk's changes and the cursor past it commit in one
 * transaction (in the job's metrics), so an interrupted bulk job resumes after the
 * last chunk done and never acts twice; its checkpoint file carries the same cursor.
 * A job is checked against the filter when the walk reaches it, and the walk moves on
 * by row id, so a status filter sees each job once even though the action changes
 * statuses. Progress is the jobs visited of those matched at the start. Cancelling it
 * stops it between chunks. Its result (also when cancelled):
 *   {"action": "...", "matched": N, "done": N, "skipped": N, "missing": N}
 */
#define KBJ_BULK_QUEUE "kbjobs"

/* One attempt of a job that did not succeed, with its error. */
typedef struct kbj_attempt {
    int attempt;
    char outcome[16];    /* failed, expired, stopped */
    char runner[KBJ_ID_LEN + 1];
    double started_at, finished_at;
    char *error;
} kbj_attempt;

/* The failed attempts of a job, oldest first. Free with kbj_attempts_free. */
int kbj_job_attempts(kbj_engine *eng, const char *id, kbj_attempt **out, size_t *n);
void kbj_attempts_free(kbj_attempt *a, size_t n);

/* Deletes finished jobs (completed, failed, cancelled) that finished more than `days`
 * ago, with their attempts and their files: logs, reconcile reports, checkpoints, URL
 * lists with their index and failed items (a list a rerun still reads stays);
 * *deleted receives the count. */
int kbj_retention(kbj_engine *eng, unsigned days, size_t *deleted);

/* One batch of kbj_retention: deletes up to `limit` (1..10000) finished jobs that
 * finished more than `days` ago (rows locked with SKIP LOCKED, so a job another
 * connection holds waits for the next batch), with their attempts, FailureLog entries
 * and guard rows, in one transaction, oldest row first. Their files are the caller's to
 * remove (after this returns: a crash in between leaves only unreferenced files). ids
 * (room for `limit`) receives the public ids of the jobs deleted, *n how many.
 * With dry_run nothing changes and ids/n describe the next `limit` that would go after
 * row id *after (0 to start; moved on to the last one). */
int kbj_retention_batch(kbj_engine *eng, unsigned days, size_t limit, int dry_run, unsigned long long *after,
                        char (*ids)[KBJ_ID_LEN + 1], size_t *n);

/* ======================================================================== *
 * Claims, leases and fencing (what a runner does; kbj_run does it all)
 * ======================================================================== */

/* A claimed job. The token fences every later write: once the lease is lost (expired
 * and reaped, or the job was resumed elsewhere), writes with this token are refused. */
typedef struct kbj_lease {
    unsigned long long pk;       /* internal row id */
    char id[KBJ_ID_LEN + 1];
    char type[KBJ_NAME_MAX + 1];
    char queue[KBJ_NAME_MAX + 1];
    long long token;
    char *params;                /* JSON text */
    char *concurrency_key;       /* NULL when none */
    int has_resources;           /* it holds resources (released with the job) */
    int attempts, max_attempts;  /* attempts includes this one */
    kbj_backoff backoff;
    long long progress_done, progress_total;
    double wait_ms;              /* claim time minus the later of run_at and created_at */
    int has_unique;              /* it holds an active unique key (freed when it ends) */
} kbj_lease;

/* Frees an array of leases from kbj_claim. Accepts NULL. */
void kbj_leases_free(kbj_lease *leases, size_t n);

/*
 * Claims up to `max` due jobs for runner `runner` from the named queues (in the order
 * given) in one short transaction: SELECT ... FOR UPDATE SKIP LOCKED, then UPDATE.
 * Jobs are taken by priority, run-at, id; a job whose concurrency key is held by a
 * running job is passed over. A queue with a concurrency limit gives at most one job per
 * claim (a claim's jobs run one after another: a batch would hold slots of the limit
 * idle). *out receives *n leases (possibly 0).
 */
int kbj_claim(kbj_engine *eng, const char *runner, const char *const *queues, size_t nqueues,
              size_t max, kbj_lease **out, size_t *n);

/* Extends a lease by the lease time. *cancel (may be NULL) receives the job's cancel
 * request. KBJ_ELEASE when the lease was lost. */
int kbj_heartbeat(kbj_engine *eng, const kbj_lease *lease, int *cancel);

/* Records progress (fenced): done of total, and the current phase (NULL keeps it). */
int kbj_progress(kbj_engine *eng, const kbj_lease *lease, long long done, long long total,
                 const char *phase);

/* Sets the job's human-readable title (fenced). */
int kbj_set_title(kbj_engine *eng, const kbj_lease *lease, const char *title);

/* Adds to the job's numeric metrics (fenced): a JSON object of name -> number, added to
 * what is stored ({"bytes": 1200, "cost": 0.02}). */
int kbj_add_metrics(kbj_engine *eng, const kbj_lease *lease, const char *metrics_json);

/* Completes a job with its result (a JSON text, or NULL). Fenced; idempotent for the
 * same lease. */
int kbj_complete(kbj_engine *eng, const kbj_lease *lease, const char *result);

/* Completes `n` jobs in one transaction; results may be NULL (or hold NULLs). *fenced
 * (may be NULL) receives how many were refused because their lease was lost. */
int kbj_complete_many(kbj_engine *eng, const kbj_lease *leases, const char *const *results,
                      size_t n, size_t *fenced);

/*
 * Fails the current attempt with `message`. A retryable failure with attempts left
 * re-queues the job after its backoff (*will_retry 1); otherwise the job fails for good
 * and enters the FailureLog. Every attempt's error is kept (kbj_job_attempts).
 */
int kbj_fail_job(kbj_engine *eng, const kbj_lease *lease, const char *message, int retryable,
                 int *will_retry);

/* Finishes a job whose cancel request the handler honoured: status cancelled. */
int kbj_finish_cancelled(kbj_engine *eng, const kbj_lease *lease);

/* Gives an unfinished job back (the runner is stopping): queued again, due now, the
 * attempt not counted, progress kept. */
int kbj_release(kbj_engine *eng, const kbj_lease *lease);

/* Gives a job back to be run again after `delay_ms` (a job waiting for others, see
 * kbj_ctx_defer): queued, the attempt not counted and not recorded, progress kept. */
int kbj_release_after(kbj_engine *eng, const kbj_lease *lease, unsigned delay_ms);

/*
 * Turns running jobs whose lease expired (by the database clock) into interrupted jobs
 * or re-queues them, per each job's on-expiry policy (a re-queued job out of attempts
 * fails). *reaped (may be NULL) receives the count.
 */
int kbj_reap(kbj_engine *eng, size_t *reaped);

/* ======================================================================== *
 * Job logs (logs/<job>.log under the data directory)
 * ======================================================================== */

/* Appends a line to a job's log: level debug|info|warning|error, a message, and an
 * optional JSON object of context. Not fenced (see kbj_lease_log). */
int kbj_log(kbj_engine *eng, const char *id, const char *level, const char *message,
            const char *context_json);

/* Appends to the log of a claimed job, refused with KBJ_ELEASE once the lease is lost. */
int kbj_lease_log(kbj_engine *eng, const kbj_lease *lease, const char *level,
                  const char *message, const char *context_json);

/* Lines read from a log. Owned by the caller; release with kbj_logread_free(). */
typedef struct kbj_logread {
    char **lines;       /* each a NUL-terminated JSON text, without the newline */
    size_t count;
    unsigned long long next_cursor; /* byte offset to continue from */
    unsigned long long bytes_read;  /* bytes read from disk by this call, for bounds checks */
    int eof;            /* 1 when next_cursor is at the end of the complete lines */
} kbj_logread;

/* Frees the lines and zeroes *r; accepts NULL. Does not free r itself. */
void kbj_logread_free(kbj_logread *r);

/*
 * Reads a job's log from byte `cursor` (0: the start): the complete lines found within
 * max_bytes (0: 256 KiB) and the cursor to continue from, so a client that disconnects
 * comes back with next_cursor and misses nothing. A torn last line (being written) is
 * left for the next read. A job without a log reads as empty.
 */
int kbj_log_read(kbj_engine *eng, const char *id, unsigned long long cursor, size_t max_bytes,
                 kbj_logread *out);

/* The last n lines (1..10000) of a job's log, reading backwards in bounded memory;
 * next_cursor is where a follower continues. */
int kbj_log_tail(kbj_engine *eng, const char *id, size_t n, kbj_logread *out);

/* ======================================================================== *
 * Checkpoints (checkpoints/<job>.checkpoint.json under the data directory)
 * ======================================================================== */

/* Resumable state of a job. JSON members are texts; NULL means absent. */
typedef struct kbj_checkpoint {
    char job_id[KBJ_ID_LEN + 1];
    char type[KBJ_NAME_MAX + 1];
    char *concurrency_key;
    long long progress_done, progress_total;
    double created_at, saved_at;  /* Unix times; filled in by save */
    char worker_id[KBJ_ID_LEN + 1]; /* the runner that saved it */
    int total_workers;            /* workers sharing the job's range (1 when alone) */
    long long range_start, range_end; /* the work range this checkpoint covers */
    char *cursor;                 /* JSON: where to continue */
    char *counts;                 /* JSON object of counters */
    char *errors;                 /* JSON array of the most recent errors (kept to 20) */
    char *state;                  /* JSON: anything else the job needs (phases, ...) */
} kbj_checkpoint;

/* Frees a checkpoint. Accepts NULL. */
void kbj_checkpoint_free(kbj_checkpoint *c);

/*
 * Writes a job's checkpoint atomically and durably: a temp file in the same directory,
 * fsync, rename, fsync of the directory. created_at is kept from an earlier checkpoint
 * of the same job; saved_at is now. Returns 0, KBJ_EINVAL (a member is not valid JSON,
 * or the id is not a job id) or KBJ_EIO.
 */
int kbj_checkpoint_save(kbj_engine *eng, const kbj_checkpoint *c);

/*
 * Reads a job's checkpoint. KBJ_ENOTFOUND when there is none; KBJ_ECORRUPT, naming the
 * file and what is wrong, when it is truncated, not JSON, of another format or of
 * another job: the caller can then start fresh (kbj_checkpoint_delete). Never resumes
 * from garbage.
 */
int kbj_checkpoint_load(kbj_engine *eng, const char *job_id, kbj_checkpoint **out);

/* Removes a job's checkpoint and partial file; missing files are fine. */
int kbj_checkpoint_delete(kbj_engine *eng, const char *job_id);

/* Writes / reads <job>.partial.json: partial results as a JSON text (atomic, durable).
 * load: KBJ_ENOTFOUND when absent; *out is malloc'd. */
int kbj_partial_save(kbj_engine *eng, const char *job_id, const char *json);
int kbj_partial_load(kbj_engine *eng, const char *job_id, char **out);

/* When to checkpoint: every `seconds` (default 60) or every `items` (default 2,000),
 * whichever comes first. The clock is injectable for tests (NULL: CLOCK_MONOTONIC). */
typedef struct kbj_cadence {
    double seconds;
    long long items;
    double (*clock)(void *arg);
    void *clock_arg;
    double last_at;     /* internal: clock value of the last checkpoint */
    long long last_items;
} kbj_cadence;

/* Starts a cadence now (zero fields take the defaults). */
void kbj_cadence_start(kbj_cadence *c);
/* Whether a checkpoint is due with `items` done so far; when it returns 1 the cadence
 * counts the checkpoint as taken. */
int kbj_cadence_due(kbj_cadence *c, long long items);

/* An interrupted job with what its checkpoint says. */
typedef struct kbj_interrupted {
    char job_id[KBJ_ID_LEN + 1];
    char type[KBJ_NAME_MAX + 1];
    long long progress_done, progress_total;
    double interrupted_at;        /* when the job last changed */
    double checkpoint_age;        /* seconds since the checkpoint was saved; -1: none */
    char checkpoint_status[12];   /* ok, missing, corrupt */
} kbj_interrupted;

/* Lists interrupted jobs (newest first, at most `limit`, 1..1000) with their
 * checkpoints' progress and age. Free with free(). */
int kbj_interrupted_list(kbj_engine *eng, size_t limit, kbj_interrupted **out, size_t *n);

/* "Start fresh": removes an interrupted, cancelled or failed job's checkpoint and
 * partial file and resets its progress, so a resume starts from the beginning. */
int kbj_checkpoint_discard(kbj_engine *eng, const char *job_id);

/* Removes checkpoint and partial files older than `days` (0: 7) whose job is not
 * queued or running, and those of jobs no longer in the table. *removed (may be NULL)
 * receives the number of jobs whose files were removed. */
int kbj_checkpoints_cleanup(kbj_engine *eng, unsigned days, size_t *removed);

/* kbj_checkpoints_cleanup that can count without removing (dry_run) and adds the bytes
 * of the files removed (or that would be) to *bytes (may be NULL). In a dry run, the
 * files of a job that finished more than `gone_days` ago (0: none) are not counted: the
 * retention that runs before it would have removed them with the job. */
int kbj_checkpoints_cleanup_ex(kbj_engine *eng, unsigned days, int dry_run, unsigned gone_days, size_t *removed,
                               unsigned long long *bytes);

/* One batch of audit retention: deletes up to `batch` (1..10000) audit rows older than
 * `days` (1..36500), oldest first, in one statement; *n receives how many. With dry_run,
 * counts every row that would go (*n) and deletes none. */
int kbj_audit_retention_batch(kbj_engine *eng, unsigned days, size_t batch, int dry_run, size_t *n);

/* ======================================================================== *
 * Metrics and stats
 * ======================================================================== */

/*
 * Each runner counts, per minute, queue and job type, the jobs it started, completed,
 * failed (for good) and retried (a failed attempt that will run again), and records
 * their wait time (claim time minus the later of run_at and created_at) and run time
 * (the handler's, on the runner's monotonic clock) in a fixed log-scale histogram:
 * bucket 0 holds 0..1 ms, bucket i (1 <= i < KBJ_METRICS_BUCKETS - 1) holds
 * (2^((i-1)/2), 2^(i/2)] ms, the last everything above. Every runner uses the same
 * bounds, so rows merge by adding. A runner writes its own rows (no row is shared by two
 * runners) every few seconds and when its run ends; once a minute, one runner (the one
 * that claims that minute in kbjobs_meta) merges the runners' rows of the minutes that
 * ended 15 s ago or more into runner-free minute rows (kbj_metrics_merge), so a read's
 * rows grow with minutes, queues, types and buckets, not with runners. Minute rows are
 * kept 48 hours; kbj_metrics_rollup merges complete hours into runner-free hourly rows
 * kept for `metrics_days` (kbj_metrics_delete). Counts are of what committed: a
 * completion refused because the runner lost the job's lease is not counted.
 */
#define KBJ_METRICS_BUCKETS 56
/* Minute rows are kept this long (seconds). */
#define KBJ_METRICS_MINUTES_KEEP (48 * 3600)

/* The bucket of a duration in milliseconds, and a bucket's upper bound in ms (the last
 * bucket's is its lower bound: it has none). */
int kbj_metrics_bucket_of(double ms);
double kbj_metrics_bucket_upper(int bucket);

/* What happened in a window, a queue, a type or a bucket of time. Percentiles are the
 * upper bound of the histogram bucket holding that rank (so never below the true value
 * and less than sqrt(2) times above it), -1 when there was no sample. */
typedef struct kbj_stats_row {
    unsigned long long started, completed, failed, retried;
    double wait_p50_ms, wait_p95_ms, run_p50_ms, run_p95_ms;
} kbj_stats_row;

typedef struct kbj_stats_named {
    char name[KBJ_NAME_MAX + 1];
    kbj_stats_row row;
} kbj_stats_named;

typedef struct kbj_stats_point {
    long long t;                 /* the bucket's start, Unix seconds */
    kbj_stats_row row;
} kbj_stats_point;

typedef struct kbj_stats_opts {
    long long since;             /* seconds back from now: 0 = 3600; at most 90 days */
    unsigned step;               /* 60 or 3600; 0 = 60 up to 48 hours back, else 3600 */
    const char *queue, *type;    /* NULL: all */
} kbj_stats_opts;

typedef struct kbj_stats {
    long long since, until;      /* the first bucket's start; now */
    unsigned step;
    kbj_stats_row totals;
    kbj_stats_named *queues, *types; /* by name */
    size_t nqueues, ntypes;
    kbj_stats_point *series;     /* every bucket from since to until, zeros included */
    size_t nseries;
} kbj_stats;

/*
 * Reads the metrics of the window into *out (free with kbj_stats_free): minute rows for
 * step 60, hourly rows (and minute rows of the hours not rolled up yet) for step 3600.
 * KBJ_EINVAL for an option out of range (since above 90 days, a step other than 60 or
 * 3600, step 60 further back than 48 hours, a bad queue or type name).
 */
int kbj_stats_read(kbj_engine *eng, const kbj_stats_opts *opts, kbj_stats **out);
void kbj_stats_free(kbj_stats *s);

/*
 * Merges runners' own minute rows into runner-free minute rows (adding to them) and
 * deletes them, 1,000 rows of a table per transaction, for every minute that ended
 * 15 s ago or more, until none is left or `deadline` (kbj_monotonic(); 0: none)
 * passes. Rows a runner wrote late, for an hour already rolled up, are added to that
 * hour's rows too. Safe to run from several processes at once (the rows are locked),
 * though runners take turns (one a minute). *rows (may be NULL) receives the rows
 * merged, *more whether some are left.
 */
int kbj_metrics_merge(kbj_engine *eng, double deadline, size_t *rows, int *more);

/*
 * Rolls complete hours of minute rows (those that ended more than 10 minutes ago) into
 * hourly rows, one hour per transaction, oldest first, until none is left or `deadline`
 * (kbj_monotonic(); 0: none) passes. Runners' rows are merged first (kbj_metrics_merge);
 * one written after its hour was rolled up is added to that hour's rows when merged, so
 * none is lost. An hour is rolled up once (behind a watermark). *rows receives the rows
 * merged and the minute rows rolled up, *more whether some are left. With dry_run
 * nothing changes and *rows counts the runners' rows that would be merged and the
 * minute rows of complete hours not rolled up yet.
 */
int kbj_metrics_rollup(kbj_engine *eng, double deadline, int dry_run, size_t *rows, int *more);

/*
 * Deletes minute rows older than 48 hours that are rolled up, and hourly rows older
 * than `hour_days` (1..36500), `batch` rows per statement, until none is left or
 * `deadline` passes; *deleted receives the rows deleted (histogram rows included),
 * *more whether some are left. dry_run: counted, not deleted.
 */
int kbj_metrics_delete(kbj_engine *eng, unsigned hour_days, size_t batch, double deadline, int dry_run,
                       size_t *deleted, int *more);

/* ======================================================================== *
 * Quarantine (core/quarantine.c)
 * ======================================================================== */

/*
 * Moves one file, given by its path relative to the data directory (`rel`, e.g.
 * "artifacts/ab/<hash>.json"), to quarantine/<Y-m-d>/<rel> (today's UTC date; folders
 * made as needed), with rename(2), so it is never copied nor deleted. The path is walked
 * without following symlinks: a symlinked folder on the way is refused, and a symlink
 * as the last component is moved itself, never its target. A name already in quarantine
 * is not replaced: the file becomes <name>.1, <name>.2, ... `out` (capacity `cap`)
 * receives the new relative path. Returns 0; KBJ_EINVAL for an absolute path, an empty,
 * "." or ".." component, a path inside quarantine/, a folder, or a symlinked folder on
 * the way; KBJ_ENOTFOUND when there is no such file; KBJ_EIO when the move fails.
 */
int kbj_quarantine(kbj_engine *eng, const char *rel, char *out, size_t cap);

/* ======================================================================== *
 * Cleanup (the native job type "cleanup", jobtypes/cleanup.c)
 * ======================================================================== */

/* Options of kbj_cleanup and of a cleanup job's params (0: the default). */
typedef struct kbj_cleanup_opts {
    unsigned jobs_days;          /* finished jobs and their files: 30 */
    unsigned logs_days;          /* logs of finished jobs: 30 */
    unsigned metrics_days;       /* hourly metrics: 90 */
    unsigned audit_days;         /* audit rows: 90 */
    unsigned quarantine_days;    /* quarantined files: 30 */
    unsigned checkpoint_days;    /* checkpoints of jobs not queued or running: 7 */
    unsigned batch;              /* rows per transaction: 1000 (1..10000) */
    double max_seconds;          /* then stop with more = 1: 20 (at most 3600) */
    int dry_run;                 /* count what would go, change nothing */
} kbj_cleanup_opts;

/* What a cleanup removed (or, dry, would remove). */
typedef struct kbj_cleanup_result {
    unsigned long long jobs, logs, checkpoints, lists, failed_items, metrics_rolled_up, metrics_deleted, audit,
        quarantine, bytes_freed;
    int more;                    /* stopped by max_seconds with work left */
} kbj_cleanup_result;

/* The ranges of the options, checked by kbj_cleanup (KBJ_EINVAL naming the option). */
int kbj_cleanup_opts_check(kbj_engine *eng, const kbj_cleanup_opts *o);

/*
 * Runs a cleanup now, in this process (what the "cleanup" job does), in this order:
 * finished jobs older than jobs_days with their files (log, checkpoint and partial,
 * URL list and its index, failed items), logs of finished jobs older than logs_days,
 * the metrics rollup and deletes, audit rows, quarantined files, stale checkpoints. A
 * queued, running or interrupted job's files are never touched (an interrupted job's
 * checkpoint only once stale). Bounded: `batch` rows per short transaction, and it
 * stops at max_seconds with more = 1, to continue at the next run.
 */
int kbj_cleanup(kbj_engine *eng, const kbj_cleanup_opts *opts, kbj_cleanup_result *out);

/* ======================================================================== *
 * Job types, handlers and the runner loop
 * ======================================================================== */

/* What a handler sees of the job it runs (see the kbj_ctx_* functions). */
typedef struct kbj_ctx kbj_ctx;

/*
 * A job handler. Returns 0 to complete the job (with the result set through
 * kbj_ctx_set_result, if any), KBJ_EJOBFAILED after kbj_ctx_fail(), or KBJ_ESTOPPED when
 * it returned early because kbj_ctx_should_stop() said so. Any other negative code fails
 * the attempt as retryable with that code's message.
 */
typedef int (*kbj_handler)(kbj_ctx *ctx, void *udata);

/* Severities of an ordering rule. */
enum { KBJ_CHAIN_WARNING = 1, KBJ_CHAIN_ERROR = 2 };

/* An ordering rule for chains: "type `before` should run before type `after`", as a
 * warning or an error. */
typedef struct kbj_chain_rule {
    const char *before;   /* a job type name; required */
    const char *after;    /* a job type name, not the same as `before`; required */
    int severity;         /* KBJ_CHAIN_WARNING or KBJ_CHAIN_ERROR */
    const char *message;  /* why, for people; NULL or "" for none */
} kbj_chain_rule;

/* A job type: defaults for its jobs, and its handler in this process. */
typedef struct kbj_type_def {
    const char *name;          /* [a-z0-9_.-], 1..64 */
    const char *label;         /* human-readable; NULL: the name */
    const char *category;      /* content, indexing, maintenance, cloud, diagnostics, ... */
    const char *params_schema; /* JSON Schema of its params, with defaults; NULL: any object.
                                * Checked on submit, the message naming the field. */
    const kbj_chain_rule *rules; /* ordering rules it declares for chains */
    size_t nrules;
    const char *queue;         /* default queue of its jobs; NULL: "default" */
    int max_attempts;          /* 0: KBJ_DEFAULT_MAX_ATTEMPTS */
    kbj_backoff backoff;       /* kind 0: the default policy */
    kbj_expiry on_expiry;
    const kbj_resource *resources; /* used by its jobs unless a job names its own */
    size_t nresources;
    kbj_handler handler;       /* NULL: jobs of this type are run by other processes */
    void *udata;               /* passed to the handler */
    void (*udata_free)(void *);/* called when the type is replaced or the engine freed */
} kbj_type_def;

/* A registered type as listed (strings owned by the engine). */
typedef struct kbj_type_info {
    const char *name, *label, *category, *queue, *params_schema;
    int max_attempts;
    int has_handler;
    const kbj_resource *resources;
    size_t nresources;
    const kbj_chain_rule *rules; /* the ordering rules it declares (for builders to show) */
    size_t nrules;
} kbj_type_info;

/* Lists registered types into out (up to cap) and returns how many there are. */
size_t kbj_types_list(kbj_engine *eng, kbj_type_info *out, size_t cap);

/* Registers the native job types (diag.*, combined, import, kbjobs.bulk, cleanup, reconcile) that are not
 * registered yet; call it once after kbj_engine_connect in every process that runs
 * jobs. */
int kbj_register_builtin_types(kbj_engine *eng);

/* Registers (or replaces) a job type in this engine. The native types diag.echo,
 * diag.sleep, diag.fail, diag.crud and diag.crud_latency are registered by
 * kbj_register_builtin_types. On failure def->udata_free is not called. */
int kbj_register_type(kbj_engine *eng, const kbj_type_def *def);

/* The job being run. */
const kbj_lease *kbj_ctx_lease(const kbj_ctx *ctx);
/* Its params, a JSON object text. */
const char *kbj_ctx_params(const kbj_ctx *ctx);
/* The engine running it (for the handler's own kbj_* calls). */
kbj_engine *kbj_ctx_engine(const kbj_ctx *ctx);
/* Reports progress; written at most every 250 ms (and always when the phase changes or
 * done reaches total). KBJ_ELEASE once the lease is lost. */
int kbj_ctx_progress(kbj_ctx *ctx, long long done, long long total, const char *phase);
int kbj_ctx_title(kbj_ctx *ctx, const char *title);
int kbj_ctx_log(kbj_ctx *ctx, const char *level, const char *message, const char *context_json);
int kbj_ctx_metrics(kbj_ctx *ctx, const char *metrics_json);
/* Sets the result the job completes with (a JSON text; copied). */
int kbj_ctx_set_result(kbj_ctx *ctx, const char *json);
/* Records why the attempt failed; returns KBJ_EJOBFAILED for `return kbj_ctx_fail(...)`. */
int kbj_ctx_fail(kbj_ctx *ctx, const char *message, int retryable);
/* 1 when the job was cancelled, the runner was asked to stop, or the lease was lost:
 * the handler should return KBJ_ESTOPPED at its next safe point. Cheap: reads flags that
 * the heartbeat thread keeps. */
int kbj_ctx_should_stop(const kbj_ctx *ctx);
/* 1 when the job's cancel was requested (as seen at the last heartbeat or check). */
int kbj_ctx_cancelled(const kbj_ctx *ctx);
/*
 * Saves the job's checkpoint when the cadence says so (every 60 s or 2,000 items of
 * progress, configurable per run), or always with `force`: the progress last reported,
 * the runner as worker, and the given cursor, counts and state (JSON texts or NULL).
 * Returns 1 when written, 0 when not due, or a negative KBJ_E* code.
 */
int kbj_ctx_checkpoint(kbj_ctx *ctx, const char *cursor, const char *counts, const char *state, int force);
/* The job's last checkpoint (from an earlier attempt, or this one): 0 with *out set,
 * KBJ_ENOTFOUND, or KBJ_ECORRUPT (the handler should then start fresh). */
int kbj_ctx_last_checkpoint(kbj_ctx *ctx, kbj_checkpoint **out);

/* Gives the job back to its queue to run again after `ms` (at most one hour): for a job
 * that waits for others. Returns KBJ_EDEFERRED, for `return kbj_ctx_defer(ctx, 1000);`.
 * A kbj_run with until_empty waits for a job due within its until_empty_wait_ms. */
int kbj_ctx_defer(kbj_ctx *ctx, unsigned ms);

/* Asks the database now whether the job was cancelled (and whether the lease holds). */
int kbj_ctx_check(kbj_ctx *ctx);

/*
 * The lease on the runner's own clock. A runner keeps each lease's deadline on a clock
 * that goes on while the process is stopped or the machine suspended, never later than
 * the database's lease_expires (it starts from the time before the claim and moves on
 * only with renewals that began before it). After a pause past that deadline (SIGSTOP
 * then SIGCONT, a VM pause, Ctrl-Z then fg) every kbj_ctx write is refused with
 * KBJ_ELEASE, kbj_ctx_should_stop() says 1, and the job is not completed by this runner.
 *
 * kbj_ctx_lease_remaining: seconds left (0 when lost or run out).
 * kbj_ctx_lease_held: 0 while the lease holds; KBJ_ELEASE (and the lease marked lost)
 * once it ran out or was lost.
 * kbj_ctx_lease_lost: marks the lease lost (a handler found out, e.g. through a fence),
 * with `why` in the message; returns KBJ_ELEASE.
 */
double kbj_ctx_lease_remaining(const kbj_ctx *ctx);
/* A handler (or sink) lost a database connection of its own mid-work and committed
 * nothing: returns KBJ_ECONNECT with `why` as the message. The import retries the chunk
 * in place; any other handler's attempt fails as retryable. */
int kbj_ctx_disconnected(kbj_ctx *ctx, const char *why);
int kbj_ctx_lease_held(kbj_ctx *ctx);
int kbj_ctx_lease_lost(kbj_ctx *ctx, const char *why);

/*
 * The fence for writes a job makes on another connection (WordPress's, for one): a
 * statement that, run first inside that connection's transaction, returns one row while
 * this runner holds the job's lease and locks the job's row until the transaction ends,
 * so nobody can take the job over meanwhile (claims skip locked rows, the reaper too):
 *
 *   SELECT id FROM `<prefix>kbjobs_jobs` WHERE id = <row id> AND lease_token = <token>
 *     AND status = 'running' AND lease_expires > NOW(6) FOR UPDATE
 *
 * No row: the lease is gone; roll back. The values are integers the engine made, written
 * into the text (no placeholders needed). Keep fenced transactions short against the
 * lease: the runner's heartbeat waits for the row while the transaction holds it, so the
 * transaction must end within kbj_ctx_lease_remaining() of its start (check it before
 * COMMIT). 0, or KBJ_EINVAL when buf is too small (256 bytes is enough).
 */
int kbj_ctx_fence_sql(kbj_ctx *ctx, char *buf, size_t cap);
/* Sleeps up to ms, waking early when the handler should stop; returns should_stop. */
int kbj_ctx_sleep(kbj_ctx *ctx, unsigned ms);

/* What kbj_run does and when it stops. Zero-initialise; zero means "no limit" or the
 * default. */
struct kbj_cron_run;

typedef struct kbj_run_opts {
    const char *const *queues;  /* claimed in this order; NULL: { "default" } */
    size_t nqueues;
    double max_seconds;         /* stop claiming after this long */
    unsigned long max_jobs;     /* stop after this many jobs */
    size_t max_memory;          /* stop when memory_usage() (or the RSS) exceeds this */
    size_t (*memory_usage)(void *arg);
    void *memory_arg;
    unsigned idle_ms;           /* the longest pause when nothing is due (default 200): the
                                 * pause starts at idle_min_ms after a claim that found jobs
                                 * and doubles with each claim that finds none, up to this */
    unsigned idle_min_ms;       /* the first pause after activity (default 50; at most idle_ms) */
    int no_wake;                /* 1: do not listen for local wake-ups (kbj_run's contract);
                                 * the runner only polls */
    unsigned claim_batch;       /* jobs claimed at once, at most the engine's claim_batch
                                 * (0: that); 1 for long jobs such as imports, so a runner
                                 * does not hold jobs that other runners could start */
    int until_empty;            /* return as soon as nothing is due now or within
                                 * until_empty_wait_ms (a job due in a moment, such as one
                                 * waiting for others or retrying after a short backoff,
                                 * is waited for) */
    unsigned until_empty_wait_ms; /* default 2000 */
    unsigned grace_seconds;     /* after a stop request, how long a running job keeps its
                                 * lease before it is left to expire (default 30) */
    double checkpoint_seconds;  /* checkpoint cadence (default 60 s ... */
    long long checkpoint_items; /* ... or 2,000 items, whichever first) */
    void (*idle_tick)(void *arg); /* called about every 20 ms while nothing is due (a PHP
                                 * binding dispatches pending signals here) */
    void *tick_arg;
    const char *host;           /* for the JobTracker; NULL: gethostname() */
    const char *version;        /* NULL: KBJ_VERSION */
    /* WP-Cron events (kbj_cron.h). With a handler the runner is registered as taking
     * events and each round runs up to cron_batch due events before its jobs: claimed
     * together (as many as run in about a quarter second, by how long events took so
     * far: slow events are claimed one by one and shared with other runners), each run
     * through the handler (the heartbeat renews their leases), the outcomes recorded
     * together (kbj_cron_finish_many; at least once a second), and the events claimed
     * but not started when a budget ran out or a stop was requested given back
     * (kbj_cron_release); events count toward the until_empty check. The handler returns
     * KBJ_OK (with run->failed set for a failed run); anything else is recorded as a
     * failed run. Between two events the budgets and stop requests apply as between jobs;
     * events do not count toward max_jobs. cron_event or cron_only without a handler,
     * cron_batch above 1000 or a cron_trigger not of 1..15 of a-z and '-' are
     * KBJ_EINVAL. */
    int (*cron_handler)(struct kbj_cron_run *run, void *arg);
    void *cron_arg;
    const char *cron_trigger;   /* recorded with each run; NULL: "runner" */
    unsigned cron_batch;        /* events run per round, claimed in batches (0: KBJ_CRON_BATCH_DEFAULT, 50) */
    unsigned long long cron_event; /* non-zero: run only this event, now, then return */
    int cron_only;              /* claim no jobs, only events */
} kbj_run_opts;

typedef struct kbj_run_report {
    char runner[KBJ_ID_LEN + 1];
    unsigned long claimed, completed, failed, retried, cancelled, interrupted, lost, deferred;
    /* events handed to the cron handler; of them, recorded as failed, and those whose
     * lease was lost before their outcome could be recorded (the event runs again) */
    unsigned long cron_ran, cron_failed, cron_lost;
    unsigned long wakeups;      /* idle waits ended early by a local wake-up */
    double elapsed;             /* seconds */
    char stop_reason[32];       /* time, jobs, memory, requested, empty; event (cron_event) */
    /* deferred: jobs given back for later by their handler (kbj_ctx_defer) */
} kbj_run_report;

/*
 * Runs jobs: registers this process as a runner, claims batches from the queues,
 * dispatches each job to its type's handler, completes, fails, retries or releases it,
 * and reaps expired leases on the way. An idle runner waits between claims with a pause
 * that adapts (idle_min_ms after activity, doubling up to idle_ms), and wakes within
 * milliseconds when a process on the same host submits, releases, resumes or reruns
 * jobs on the same database and table prefix: it binds a Linux abstract Unix datagram
 * socket named from a hash of the database settings and its runner id, which the
 * engine's submitting functions find in /proc/net/unix and send one byte (best-effort,
 * never blocking; MariaDB has no LISTEN/NOTIFY). Abstract sockets live in one network
 * namespace: runners on other hosts or in other containers rely on their poll, and so
 * does a runner whose socket cannot be bound (no error: it only polls). A thread with its own database connection keeps
 * the runner's heartbeat and its leases alive and watches for cancel requests, so a
 * handler busy for minutes keeps its lease. Returns 0 with *report filled when a budget
 * or a stop request ended the run, KBJ_EINVAL for a bad queue name or an option out of
 * its range (see kbj_run_option_range; nothing is claimed then), or a KBJ_E* code when
 * the database failed for good.
 */
int kbj_run(kbj_engine *eng, const kbj_run_opts *opts, kbj_run_report *report);

/*
 * The range a numeric option accepts (min and max included), for bindings that read
 * options in their own language and must convert them to the C types: they check
 * against the same numbers the engine does. `integer`: the option is a whole number.
 */
typedef struct kbj_option_range {
    const char *name;
    double min, max;
    int integer;
} kbj_option_range;

/*
 * The range of a kbj_run_opts field by its name: max_seconds (0..31,536,000),
 * idle_ms (0..3,600,000), idle_min_ms (0..3,600,000), claim_batch (0..1000), until_empty_wait_ms (0..3,600,000),
 * grace_seconds (0..86,400), checkpoint_seconds (0..86,400); NULL for any other name.
 * kbj_run refuses a value outside its range with KBJ_EINVAL and the message
 * `option "idle_ms" must be between 0 and 3600000`, and a negative checkpoint_items;
 * max_jobs and max_memory take any value. The table is static: never freed.
 */
const kbj_option_range *kbj_run_option_range(const char *name);

/* The resident memory of this process in bytes (from /proc/self/statm), what kbj_run
 * measures against max_memory when no memory_usage is given; 0 when it cannot be read. */
size_t kbj_process_rss(void);

/* Asks a running kbj_run to stop: safe from a signal handler or another thread. */
void kbj_request_stop(kbj_engine *eng);

/* ======================================================================== *
 * Combined jobs: named phases run as one job
 * ======================================================================== */

/* Errors and warnings about a chain (kbj_validate_chain, kbj_submit_combined). The
 * chain is valid when nerrors is 0. Every string is malloc'd and owned by the report;
 * free them with kbj_chain_report_free. */
typedef struct kbj_chain_report {
    char **errors;
    size_t nerrors;
    char **warnings;
    size_t nwarnings;
} kbj_chain_report;

/* Frees the messages in a report and zeroes it; the struct itself is the caller's.
 * Accepts NULL and an already emptied report. */
void kbj_chain_report_free(kbj_chain_report *r);

/* One phase of a combined job: a job type with its own params and a weight. */
typedef struct kbj_phase {
    const char *name;    /* unique within the job, [a-z0-9_.-] 1..64 */
    const char *type;    /* a registered job type */
    const char *params;  /* JSON object or NULL */
    int weight;          /* 1..100; the weights of a job sum to 100 */
} kbj_phase;

/*
 * Submits a combined job (type "combined"): its phases run in order in one job, its
 * progress is the weighted sum of the phases' progress, and after each phase a
 * checkpoint records the completed phases and their results, so a resumed job skips
 * them. `opts` gives queue, priority and the other submit options (its type and params
 * are ignored). The chain is validated first (see kbj_validate_chain): any error
 * refuses it with KBJ_EINVAL; warnings do not. `report` (may be NULL) receives both.
 */
int kbj_submit_combined(kbj_engine *eng, const kbj_submit *opts, const kbj_phase *phases, size_t n,
                        char id[KBJ_ID_LEN + 1], kbj_chain_report *report);

/*
 * Validates a chain of phases without submitting it: weights summing to 100, unique
 * names, known job types, each phase's params against its type's schema, and the
 * ordering rules job types declare. Errors and warnings are reported separately; the
 * return is 0 when the report was produced (check report->nerrors), or KBJ_ENOMEM.
 */
int kbj_validate_chain(kbj_engine *eng, const kbj_phase *phases, size_t n, kbj_chain_report *report);

/* ======================================================================== *
 * Queues: limits shared by every runner
 * ======================================================================== */

/*
 * Sets a queue's limits, stored in the database so every runner on every host sees
 * them: at most `max_running` jobs running at once across all runners (0: no limit),
 * and at most `rate` starts per `period_ms` as a token bucket holding up to `rate`
 * tokens (rate 0: no rate limit). Setting limits does not pause or resume the queue.
 */
int kbj_queue_set(kbj_engine *eng, const char *queue, unsigned max_running, unsigned rate,
                  unsigned period_ms);

/* Pauses a queue (no job of it starts; running ones go on) or resumes it. */
int kbj_queue_pause(kbj_engine *eng, const char *queue, int paused);

/* A queue's settings, its numbers, and why it is not starting jobs. */
typedef struct kbj_queue_stats {
    char name[KBJ_NAME_MAX + 1];
    unsigned max_running, rate, period_ms;
    int paused;
    long long queued, running, due; /* bounded counts (see KBJ_COUNT_CAP) */
    int queued_how, running_how, due_how; /* KBJ_COUNT_EXACT or KBJ_COUNT_ESTIMATED */
    long long started_last_minute; /* jobs started in the last complete minute (the runners' metrics) */
    double oldest_due_age;        /* seconds the oldest due job has waited; 0 when none */
    char blocked[16];             /* "", "paused", "concurrency" or "rate" */
    double rate_limited_until;    /* Unix time the next token arrives, when blocked by rate */
    long long held;               /* held jobs (in backlogs not released), a bounded count */
    int held_how;
    char held_backlog[KBJ_NAME_MAX + 1]; /* the backlog of its first held job in claim order, or "" */
    char reason_code[16];         /* why no job of it starts now (kbj_queue_reason), or "" */
    char reason[160];             /* the same in words, or "" */
    double reason_until;          /* rate: the Unix time of the next token; 0 otherwise */
} kbj_queue_stats;

/*
 * Why a queue is not being fed, from its stats (kbj_queue_stats_get fills it in): the
 * first that applies of
 *
 *   code          reason
 *   paused        paused
 *   held          held: N in backlog X    (no job due, only held ones left)
 *   idle          nothing due             (no job due, none held)
 *   concurrency   at concurrency N/N
 *   rate          rate limited until HH:MM:SS UTC (reason_until: the next token)
 *
 * or "" for both when a due job may start now (it waits only for a runner). Nothing due
 * comes before the limits: a queue at its limit with nothing left to start is not held
 * back by the limit. Pure; reads only the stats.
 */
void kbj_queue_reason(kbj_queue_stats *s);

/*
 * One queue's stats (a queue with no settings and no jobs reports zeros). Its queued,
 * running and due jobs are bounded counts (exact up to KBJ_COUNT_CAP, the index's
 * estimate above, with *_how saying which), each read from the claim index; the oldest
 * due job is one index seek per priority in use. So "concurrency" in `blocked` compares
 * an estimate with a limit above KBJ_COUNT_CAP (claims themselves count exactly).
 */
int kbj_queue_stats_get(kbj_engine *eng, const char *queue, kbj_queue_stats *out);

/* Every queue that has settings or jobs not yet finished (found by a loose scan of the
 * claim index: a few rows per queue), by name, at most 1000, with kbj_queue_stats_get's
 * numbers. Free with free(). */
int kbj_queues_list(kbj_engine *eng, kbj_queue_stats **out, size_t *n);

/* The same, with `flags` KBJ_COUNT_FLAG_EXACT: the counts exact, reading every
 * matching row. */
int kbj_queue_stats_get_opt(kbj_engine *eng, const char *queue, int flags, kbj_queue_stats *out);
int kbj_queues_list_opt(kbj_engine *eng, int flags, kbj_queue_stats **out, size_t *n);

/* ======================================================================== *
 * Backlogs: named sets of jobs, held until released
 * ======================================================================== */

/*
 * Releases a backlog: its held jobs become queued (due at their own run_at, so a runner
 * takes them at once, in submit order within a priority), 1000 a transaction, so a runner
 * picks up the first ones while the rest are released and no lock is held long.
 * *released (may be NULL) receives how many. A name no held job has releases nothing
 * (0, *released 0). Returns 0, KBJ_EINVAL for a bad name, or KBJ_EDB (the jobs released
 * before the error stay released, counted in *released).
 */
int kbj_backlog_release(kbj_engine *eng, const char *name, unsigned long long *released);

/* Jobs released per transaction by kbj_backlog_release. */
#define KBJ_BACKLOG_BATCH 1000

/* A backlog and its jobs by status (indexed as kbj_job_status_counts: KBJ_ST_*). */
typedef struct kbj_backlog_stats {
    char name[KBJ_NAME_MAX + 1];
    unsigned long long counts[KBJ_NSTATUS]; /* bounded counts (see KBJ_COUNT_CAP) */
    int how[KBJ_NSTATUS];                   /* KBJ_COUNT_EXACT or KBJ_COUNT_ESTIMATED */
} kbj_backlog_stats;

/*
 * Every backlog that still has jobs in the table, by name, at most 1000, each with its
 * jobs counted by status, bounded (exact up to KBJ_COUNT_CAP, the (backlog, status)
 * index's estimate above; `flags` KBJ_COUNT_FLAG_EXACT: exact). Free with free().
 */
int kbj_backlogs_list(kbj_engine *eng, int flags, kbj_backlog_stats **out, size_t *n);

/* ======================================================================== *
 * Resources
 * ======================================================================== */

/* A resource known from unfinished jobs: busy (held by a running job) or idle. */
typedef struct kbj_resource_status {
    char name[129];
    int busy;
    char job_id[KBJ_ID_LEN + 1]; /* the running job holding it, when busy */
    char op[65];                 /* its operation, when busy */
    char concurrency_key[192];   /* its concurrency key, when busy and it has one */
    long long waiting;           /* queued or interrupted jobs that need it */
} kbj_resource_status;

/* Lists known resources by name (at most 1000). Free with free(). */
int kbj_resources_status(kbj_engine *eng, kbj_resource_status **out, size_t *n);

/* ======================================================================== *
 * Why a queued job is not running
 * ======================================================================== */

/*
 * What holds a queued job back: the first of these that applies, in this order, with a
 * plain English sentence (times in ISO 8601 UTC, rounded up to the second):
 *
 *   code             what holds it                          message
 *   paused           its queue is paused                     queue q is paused
 *   scheduled        run_at ahead, never attempted           scheduled for 2026-12-05T17:40:00Z
 *   retrying         run_at ahead after a failed attempt     retrying at T after attempt 2 failed
 *   concurrency_key  a running job holds its key (holder)    its concurrency key "k" is held by
 *                                                            running job X
 *   resource         a running job holds one of its          waiting for resource R, held by
 *                    resources (resource, holder)            running job X
 *   concurrency      its queue's running jobs reach the      queue q is at its concurrency
 *                    queue's limit (running, limit)          limit 3/3
 *   rate_limited     its queue's token bucket is empty       queue q is rate limited until T
 *   ready            none: due and free to start             due and free to start: waiting for
 *                                                            a runner that takes queue q
 *
 * A job that is not queued (running, interrupted, finished) has code "" and a message
 * naming its status. The answer is a moment's: a runner may claim the job, or a holder
 * finish, right after it is read.
 */
typedef struct kbj_why {
    char code[16];               /* one of the codes above, or "" when the job is not queued */
    char message[512];
    double until;                /* Unix time it may start at the earliest: scheduled, retrying
                                  * (its run_at), rate_limited (the next token); 0 otherwise */
    char queue[KBJ_NAME_MAX + 1];
    char holder[KBJ_ID_LEN + 1]; /* concurrency_key, resource: the running job holding it, else "" */
    char resource[129];          /* resource: the held resource's name, else "" */
    int attempt;                 /* attempts made so far (retrying: the one that failed) */
    long long running, limit;    /* jobs of its queue running now, and its concurrency limit
                                  * (0: none); filled for every queued job */
} kbj_why;

/*
 * Says why queued job `id` is not running (see kbj_why). Returns 0 with *out filled (code
 * "" for a job that is not queued), KBJ_EINVAL for a malformed id, KBJ_ENOTFOUND for an
 * unknown one, or KBJ_EDB. Reads only; takes no locks.
 */
int kbj_job_why(kbj_engine *eng, const char *id, kbj_why *out);

/* ======================================================================== *
 * Audit log: what operators did (kbjobs_audit)
 * ======================================================================== */

#define KBJ_AUDIT_LOGIN_MAX 60      /* user_login, bytes */
#define KBJ_AUDIT_TARGET_MAX 191    /* target, bytes */
#define KBJ_AUDIT_DETAIL_MAX 65535  /* detail, bytes (64 KiB less one: what a TEXT column holds) */

/*
 * One action: who (user_id, user_login), from where (source), did what (action) to
 * what (target), with what outcome, and any detail. kbj_audit_record reads it (ignoring
 * id and at); kbj_audit_list fills it, every string then set ("" for no login or
 * target) but detail, which is NULL when there is none.
 *
 * Texts are stored as given once made well-formed UTF-8 (each ill-formed sequence
 * becomes U+FFFD): quotes, markup, control characters and the like are kept, so whoever
 * shows an entry escapes it for where it shows it.
 */
typedef struct kbj_audit_entry {
    unsigned long long id;       /* listed: the entry's id, increasing */
    double at;                   /* listed: when it was recorded, Unix time (database clock) */
    unsigned long long user_id;  /* 0: no user (cron, a CLI without a user); at most 2^63 - 1 */
    const char *user_login;      /* NULL or "": none; at most 60 bytes */
    const char *source;          /* required: screen, rest, cli, cron or api */
    const char *action;          /* required: 1..64 of [a-z0-9_.-], e.g. "job.cancel" */
    const char *target;          /* NULL or "": none; at most 191 bytes, e.g. "job:0123456789abcdef" */
    const char *outcome;         /* required: ok, error, denied or partial */
    const char *detail;          /* NULL, or a JSON object of at most 65,535 bytes, stored as given */
} kbj_audit_entry;

/*
 * Records one entry, at the database's NOW(6); *id (may be NULL) receives its id.
 * Returns 0, KBJ_EINVAL naming the field that is out of its range or set, or KBJ_EDB.
 * A connection lost just as the entry was written may record it twice (never not at
 * all): the write is run again after reconnecting.
 */
int kbj_audit_record(kbj_engine *eng, const kbj_audit_entry *e, unsigned long long *id);

/* Filters for kbj_audit_list. Zero-initialise; unset fields do not filter. */
typedef struct kbj_audit_filter {
    unsigned long long user_id;  /* 0: any user */
    const char *user_login;      /* byte for byte (once made well-formed UTF-8, as stored) */
    const char *action;
    const char *target;          /* byte for byte, as user_login */
    const char *source;          /* one of the sources, or NULL */
    const char *outcome;         /* one of the outcomes, or NULL */
    double after, before;        /* Unix times: at >= after, at < before; 0: any */
    size_t limit;                /* 1..1000; 0: 50 */
    const char *cursor;          /* a previous call's next_cursor, or NULL */
} kbj_audit_filter;

/*
 * Lists entries newest first, at most f->limit, from f->cursor: next_cursor (may be
 * NULL) receives the cursor of the next page, "" after the last. *out is one allocation
 * holding the *n entries and their strings: free it with kbj_audit_free. Returns 0,
 * KBJ_EINVAL for a filter out of range (an unknown source or outcome, a malformed action
 * or cursor, a text too long to match anything) or KBJ_EDB.
 */
int kbj_audit_list(kbj_engine *eng, const kbj_audit_filter *f, kbj_audit_entry **out, size_t *n,
                   char next_cursor[32]);

/* Frees entries from kbj_audit_list. Accepts NULL. */
void kbj_audit_free(kbj_audit_entry *entries, size_t n);

/* Deletes entries recorded more than `days` ago (0: 90; at most 36,500), in batches of
 * 1,000; *deleted (may be NULL) receives how many. */
int kbj_audit_retention(kbj_engine *eng, unsigned days, size_t *deleted);

/* ======================================================================== *
 * JobTracker
 * ======================================================================== */

typedef struct kbj_runner_info {
    char id[KBJ_ID_LEN + 1];
    char host[256];
    int pid;
    char version[32];
    char queues[256];
    char state[12];              /* active; lost (not stopped, and its last heartbeat is older
                                  * than the reading engine's lost_after_seconds); stopped */
    double started_at, heartbeat_at, stopped_at;
    int running_jobs;
    unsigned long long memory;   /* resident memory in bytes at its last heartbeat; 0 unknown */
} kbj_runner_info;

/* Registers this process as a runner, with its resident memory (kbj_process_rss); id
 * receives its public id. */
int kbj_runner_register(kbj_engine *eng, const char *host, int pid, const char *version,
                        const char *queues, char id[KBJ_ID_LEN + 1]);
/* Records a runner heartbeat with the calling process's resident memory (the caller is
 * the runner: kbj_run's heartbeat thread) and extends the leases of its running jobs.
 * KBJ_ENOTFOUND for an unknown runner. */
int kbj_runner_heartbeat(kbj_engine *eng, const char *runner);
/* Marks a runner stopped. */
int kbj_runner_stopped(kbj_engine *eng, const char *runner);
/* Lists runners seen in the last `hours` (0: 24), newest first. Free with free(). */
int kbj_runners_list(kbj_engine *eng, unsigned hours, kbj_runner_info **out, size_t *n);
/* Lists running jobs with their runner, start time and progress (kbj_job views). */
int kbj_active_jobs(kbj_engine *eng, kbj_job ***out, size_t *n);

/* ======================================================================== *
 * FailureLog
 * ======================================================================== */

/*
 * The FailureLog holds entries of two kinds, one entry per job at most:
 *   "job"      a job that failed for good (failed_items and total_items 0)
 *   "partial"  an import (job type "import"; an import split into ranges has one entry,
 *              its own, not one per range) that completed with failed items:
 *              failed_items of total_items URLs failed ("7 of 205 URLs failed"); the
 *              job stays completed
 * Each kind is capped on its own at failure_cap entries, the oldest evicted first and
 * counted per kind: evicting one kind never evicts the other.
 */
#define KBJ_FAILURE_JOB "job"
#define KBJ_FAILURE_PARTIAL "partial"

typedef struct kbj_failure {
    char job_id[KBJ_ID_LEN + 1];
    char type[KBJ_NAME_MAX + 1];
    char *message;
    int attempts;
    double failed_at;            /* when it failed, or the import completed */
    char kind[12];               /* "job" or "partial" */
    long long failed_items, total_items; /* partial entries; 0 for job entries */
} kbj_failure;

/* The newest entries of every kind first, at most `limit` (1..1000) from `offset`. */
int kbj_failures_list(kbj_engine *eng, size_t limit, size_t offset, kbj_failure **out, size_t *n);
/* kbj_failures_list of the entries of one kind ("job" or "partial"; NULL: every kind);
 * KBJ_EINVAL for another kind. */
int kbj_failures_list_kind(kbj_engine *eng, const char *kind, size_t limit, size_t offset, kbj_failure **out,
                           size_t *n);
void kbj_failures_free(kbj_failure *f, size_t n);
/* How many entries of kind "job" there are, and how many of them were evicted by the
 * cap so far (as before entries had kinds). */
int kbj_failures_count(kbj_engine *eng, size_t *count, unsigned long long *evicted);
/* kbj_failures_count of the entries of one kind ("job" or "partial"), with that kind's
 * own eviction count; KBJ_EINVAL for another kind. */
int kbj_failures_count_kind(kbj_engine *eng, const char *kind, size_t *count, unsigned long long *evicted);
/*
 * Resubmits the entries of the jobs `ids` and removes them; *done receives how many had
 * an entry (ids without one are skipped). Job entries: the failed jobs are queued again
 * now with attempts reset, all in one transaction. Partial entries: each import's
 * failed items become a new import, as kbj_import_resubmit_failed does (one at a time,
 * after the job entries; this needs the import job type, registered by
 * kbj_register_builtin_types, else KBJ_EUNSUPPORTED). On an error from a partial entry
 * the entries before it stay resubmitted and *done counts them.
 */
int kbj_failures_resubmit(kbj_engine *eng, const char *const *ids, size_t n, size_t *done);
/* Acknowledges and removes entries of either kind; failed jobs keep their failed status,
 * imports stay completed. */
int kbj_failures_delete(kbj_engine *eng, const char *const *ids, size_t n, size_t *done);

typedef struct kbj_alert {
    long long id;
    char type[KBJ_NAME_MAX + 1];
    char *message;
    int failures;
    unsigned window_seconds;
    double created_at;
} kbj_alert;

/* Unacknowledged alerts, newest first. */
int kbj_alerts_list(kbj_engine *eng, kbj_alert **out, size_t *n);
void kbj_alerts_free(kbj_alert *a, size_t n);
int kbj_alert_ack(kbj_engine *eng, long long id);

#endif /* KBJ_H */
