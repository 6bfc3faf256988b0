/*
 * internal.h - what the engine's modules share and nobody else sees: the engine
 * struct and small helpers. Not installed, not included by ext/.
 */
#ifndef KBJ_INTERNAL_H
#define KBJ_INTERNAL_H

#include <math.h>
#include <signal.h>

#include "ids.h"
#include "kbj.h"
#include "store.h"
#include "wake.h"

struct kbj_engine {
    kbj_store *st;
    kbj_config cfg;              /* defaults applied; cfg.db strings are not kept */
    char *data_dir;
    double (*rnd)(void *);
    void *rnd_arg;
    struct kbj_typereg *types;   /* job type registry (types.c) */
    volatile sig_atomic_t stop;  /* set by kbj_request_stop */
    double queues_checked_at;    /* monotonic time queues_exist was read (queues.c) */
    int queues_exist;            /* whether any queue has settings */
    char wake_site[KBJ_WAKE_SITE_LEN + 1]; /* this site's wake-up names (wake.c); "" none */
    int schema_version;          /* as read at connect or by the last migration (schema.c) */
    struct kbj_import_settings *import; /* fetch settings and sink (import.c) */
    /* destructors of what modules above the handle hang on it, called by kbj_engine_free */
    void (*free_types)(kbj_engine *eng);
    void (*free_import)(kbj_engine *eng);
    /* what kbj_failures_resubmit does with a partial FailureLog entry: set by the import
     * layer when it registers its job type, since core cannot call the layer above it */
    int (*resubmit_partial)(kbj_engine *eng, const char *import_id, char new_id[KBJ_ID_LEN + 1], size_t *urls);
};

/* A second engine on its own connection with the same settings (for the heartbeat
 * thread); NULL with the reason in kbj_errmsg(eng) on failure. */
kbj_engine *kbj_engine_clone(kbj_engine *eng);

/* A fresh fencing token from the OS (not the engine's replaceable random source, so
 * tests that fix that source still get distinct tokens). Never 0, which marks a job
 * whose lease was taken back. Used by job claims (lease.c) and event claims
 * (cron_runs.c). */
long long kbj_new_token(void);

/* kbj_runner_register that also records whether the runner takes WP-Cron events
 * (runners.cron), which kbj_cron_runner_alive looks for. */
int kbj_runner_register_cron(kbj_engine *eng, const char *host, int pid, const char *version,
                             const char *queues, int cron, char id[KBJ_ID_LEN + 1]);

/* Inside the caller's statement sequence (no transaction of its own): extends the lease
 * of every event `runner` is running whose lease has not expired, as kbj_cron_renew
 * does. For the runner's heartbeat (tracker.c), which renews jobs and events together. */
int kbj_cron_renew_on(kbj_engine *eng, kbj_store *st, const char *runner);

/* Whether `t` can be a cron run's trigger (runs.run_trigger): 1..15 bytes of a-z and
 * '-' ("runner", "loopback", "run-now", "cli"). */
int kbj_cron_trigger_valid(const char *t);

/* The start of the UPDATE that puts ended jobs back in their queue (resume, resubmit):
 * the state as a new job's, and the unique key active again (a job holding it already
 * makes the statement fail with a duplicate key). Continue with a WHERE on s.id. */
#define KBJ_REQUEUE_SET                                                                        \
    "UPDATE {p}kbjobs_job_state s JOIN {p}kbjobs_job_data d ON d.id = s.id SET s.status = 'queued'," \
    " s.attempts = 0, s.cancel_requested = 0, s.run_at = NOW(6), s.finished_at = NULL,"          \
    " s.lease_token = 0, s.lease_expires = NULL, d.uniq_active = d.unique_key, s.updated_at = NOW(6)"

/* Records a message on the engine's handle and returns `code`. */
#define kbj_efail(eng, code, ...) kbj_fail(kbj_store_err((eng)->st), (code), __VA_ARGS__)

/* A random number in [0, 1) from the engine's source. */
double kbj_random(kbj_engine *eng);

/* Adds a FailureLog entry for a job that failed for good, evicting beyond the cap and
 * checking the alert threshold. Runs inside the caller's transaction. */
int kbj_failures_record(kbj_engine *eng, unsigned long long pk, const char *id, const char *type,
                        const char *message, int attempts);

/* Refuses (KBJ_EUNSUPPORTED) a stored schema that needs newer code; 0 otherwise.
 * Notes the stored version (kbj_schema_behind). */
int kbj_schema_check_connected(kbj_engine *eng);


/* Schema 14 (schema_split.c): whether the old jobs table still has rows to move (0 when
 * it is gone or empty), and the split itself, resumable. */
int kbj_schema_jobs_rows(kbj_store *st, unsigned long long *rows);
int kbj_schema_split_jobs(kbj_store *st, const kbj_migrate_progress *progress);

/* A DATETIME column as Unix seconds with microseconds (text for kbj_dbtime): unlike
 * UNIX_TIMESTAMP, which gives NULL past 2038 on some servers, it reads the times a job
 * may be given (run_at up to the year 3000). For non-negative times. */
#define KBJ_SQL_UNIX(col)                                                                    \
    "CONCAT(TIMESTAMPDIFF(SECOND, TIMESTAMP'1970-01-01 00:00:00', " col "), '.',"           \
    " LPAD(MICROSECOND(" col "), 6, '0'))"

/* The columns every job view is read from, in the order job_from_row expects. */
#define JOB_COLUMNS                                                                          \
    "public_id, type, queue, status, priority, params, result, error, metrics, phase, title," \
    " progress_done, progress_total, attempts, max_attempts, backoff, backoff_base_ms,"      \
    " backoff_cap_ms, backoff_jitter, on_expiry, concurrency_key, unique_key, unique_scope,"  \
    " cancel_requested, lease_owner, rerun_of, " KBJ_SQL_UNIX("run_at") ","                  \
    " UNIX_TIMESTAMP(created_at), UNIX_TIMESTAMP(started_at), UNIX_TIMESTAMP(progress_at),"  \
    " UNIX_TIMESTAMP(finished_at), UNIX_TIMESTAMP(updated_at), UNIX_TIMESTAMP(lease_expires),"  \
    " (SELECT JSON_ARRAYAGG(JSON_OBJECT('name', r.name, 'op', r.op)) FROM {p}kbjobs_resources r"  \
    "   WHERE r.job_id = {p}kbjobs_jobs.id), backlog"

/* Runs a query selecting JOB_COLUMNS and builds a view from every row. */
int kbj_jobs_query(kbj_engine *eng, const char *sql, const kbj_val *p, size_t n,
                   kbj_job ***out, size_t *count);

/*
 * Inside a claim transaction: locks the queue's settings row (when it has one) and
 * returns in *allowed how many of `want` jobs may start now under its pause flag,
 * concurrency limit and token bucket.
 */
int kbj_queue_admit(kbj_engine *eng, const char *queue, size_t want, size_t *allowed, int *rate_limited);
/* Inside the same transaction: takes `n` tokens for jobs just started. */
int kbj_queue_consume(kbj_engine *eng, const char *queue, size_t n);

/* Checks a resource's name and operation; KBJ_EINVAL naming it (message prefixed with
 * `where`) otherwise. */
int kbj_resource_check(kbj_engine *eng, const kbj_resource *r, const char *where);

/* For combined jobs (phases.c): a context for one phase, whose progress is mapped into
 * the parent's by weight and whose checkpoints carry the completed phases. */
kbj_ctx *kbj_ctx_child(kbj_ctx *parent, const char *type, const char *params, double base, double weight,
                       int index, const char *name, const char *combined_state);
void kbj_ctx_child_free(kbj_ctx *c);
/* The result a handler set, and the failure it recorded (NULL when none). */
const char *kbj_ctx_result(const kbj_ctx *ctx);
const char *kbj_ctx_fail_message(const kbj_ctx *ctx, int *retryable);

/* kbj_fail_job and kbj_finish_cancelled that also store a result (NULL keeps it). */
int kbj_fail_job_result(kbj_engine *eng, const kbj_lease *lease, const char *message, int retryable,
                        const char *result, int *will_retry);
int kbj_finish_cancelled_result(kbj_engine *eng, const kbj_lease *lease, const char *result);


/* ---- bulk actions and FailureLog kinds ------------------------------------------ */

/* A job as the bulk job walks them: its row id and its public id. */
typedef struct kbj_job_ref {
    unsigned long long pk;
    char id[KBJ_ID_LEN + 1];
} kbj_job_ref;

/* kbj_job_count of the jobs whose row id is at most `upto` (0: any). */
int kbj_job_count_upto(kbj_engine *eng, const kbj_job_filter *f, unsigned long long upto,
                       unsigned long long *count);

/* A count for a screen: with KBJ_COUNT_FLAG_EXACT in `flags` an exact COUNT(*) over
 * `from_where` (what follows FROM), else kbj_store_count_upto with KBJ_COUNT_CAP; *how is
 * KBJ_COUNT_EXACT or KBJ_COUNT_ESTIMATED. Returns 0 or the store's error. */
int kbj_count_rows(kbj_store *st, const char *from_where, const kbj_val *params, size_t n, int flags,
                   unsigned long long *count, int *how);

/* kbj_queue_stats_get with only what says whether the queue is blocked: its settings,
 * its running jobs (a bounded count) and `blocked`; the other numbers are 0. For why a
 * job waits, which a screen asks for each job of a page. */
int kbj_queue_blocked(kbj_engine *eng, const char *queue, kbj_queue_stats *out);

/* The optimizer's estimate of a table's rows (EXPLAIN of a scan: the table's statistics,
 * no rows read), e.g. "{p}kbjobs_jobs". */
int kbj_table_rows_estimate(kbj_store *st, const char *table, unsigned long long *rows);

/* Up to `limit` jobs matching `f` (limit and cursor ignored) with after < row id <= upto,
 * in row-id order, into out[0..*n). 0, KBJ_EINVAL for a bad filter, or KBJ_EDB. */
int kbj_job_walk(kbj_engine *eng, const kbj_job_filter *f, unsigned long long after, unsigned long long upto,
                 kbj_job_ref *out, size_t limit, size_t *n);

/* The highest job row id (0 for an empty table): the bound a bulk job snapshots. */
int kbj_job_max_pk(kbj_engine *eng, unsigned long long *max);

/* Cancels (resume 0) or resumes (1) the parts of a job split into ranges (unique keys
 * "<id>/range/<n>"), as kbj_job_cancel and kbj_job_resume do after the job itself; runs
 * inside the caller's transaction when there is one. */
int kbj_job_cascade(kbj_engine *eng, const char *id, int resume);

/* Inside the caller's transaction: submits a rerun of each of the `n` job views (type,
 * params, queue and policies; no unique key), new_ids[i] receiving the new id of
 * orig[i] ("" for a job whose params its type's schema now refuses: not rerun),
 * multi-row INSERTs where it can. 0, or a KBJ_E* code (the caller rolls back). */
int kbj_jobs_rerun_tx(kbj_engine *eng, kbj_job *const *orig, size_t n, char (*new_ids)[KBJ_ID_LEN + 1]);

/* kbj_jobs_apply that runs `also` (may be NULL) at the end of each batch's transaction,
 * with that batch's counts: what must commit with the batch's changes or not at all
 * (the bulk job's cursor). An error from it rolls the batch back and ends the call. */
int kbj_jobs_apply_with(kbj_engine *eng, const char *action, const char *const *ids, size_t n,
                        kbj_bulk_counts *out, int (*also)(kbj_store *st, const kbj_bulk_counts *batch, void *arg),
                        void *arg);

/* kbj_submit_many whose job i records reruns[i] as the job it is a rerun of (`reruns`
 * NULL, or an entry NULL: none). */
int kbj_submit_many_rerun(kbj_engine *eng, const kbj_submit *jobs, size_t n, char (*ids)[KBJ_ID_LEN + 1],
                          const char *const *reruns);

/* kbj_submit_many_rerun of a job (jobs[0]) and its parts (the rest), in one transaction,
 * except that when job 0's unique key matches an existing job, ids[0] receives that job's
 * id, *first_existed is set to 1, and no part is submitted (the job there has its own). */
int kbj_submit_parts(kbj_engine *eng, const kbj_submit *jobs, size_t n, char (*ids)[KBJ_ID_LEN + 1],
                     const char *const *reruns, int *first_existed);

/*
 * Records (or replaces) the FailureLog entry of kind "partial" of a job that is
 * completing with failed items: `failed` of `total`, and `message`. Fenced by the
 * lease: written only while `lease` holds the running job, in one transaction with the
 * eviction of the oldest partial entries beyond failure_cap. KBJ_ELEASE when the lease
 * is gone.
 */
int kbj_failures_record_partial(kbj_engine *eng, const kbj_lease *lease, long long failed, long long total,
                                const char *message);

/* Removes the partial entry of job `id`, if any (an import whose failed items were
 * resubmitted). */
int kbj_failures_remove_partial(kbj_engine *eng, const char *id);

/* A Unix time in SQL, bound as microseconds (kbj_micros): unlike FROM_UNIXTIME, which
 * gives NULL past 2038 on some servers, it reaches the year 3000 (the store's sessions
 * are in UTC, so the epoch is 1970-01-01 UTC). */
#define KBJ_SQL_EPOCH_PLUS "TIMESTAMP'1970-01-01 00:00:00' + INTERVAL ? MICROSECOND"

static inline long long kbj_micros(double t)
{
    return (long long)llround(t * 1e6);
}

/* kbj_complete_many that also runs `also` (may be NULL) at the end of its transaction
 * (then always one): what should commit with the completions at no extra round trip,
 * the runner's metrics. An error from it rolls the completions back. `refused` (may be
 * NULL; n flags) is set, on success, to 1 for each completion refused because its lease
 * was lost and 0 for each that committed. */
int kbj_complete_many_with(kbj_engine *eng, const kbj_lease *leases, const char *const *results, size_t n,
                           size_t *fenced, unsigned char *refused, int (*also)(kbj_store *st, void *arg), void *arg);

/* What kbj_job_files_drop removed (or, dry, would remove); added to, not reset. */
typedef struct kbj_job_files_result {
    unsigned long long logs, checkpoints, lists, failed_items, bytes_freed;
} kbj_job_files_result;

/* The files of the finished jobs ids[0..n), whose rows retention has just deleted (or,
 * with dry_run, would delete: nothing is removed then, only counted): logs and
 * reconcile reports, checkpoints and partials, URL lists with their index and failed
 * items, except a list that a job still in the table names as its `list` (a rerun's).
 * Regular files only; a missing file is fine. Returns 0, or the query's error (the
 * files of lists not known to be free are then kept). (core/jobfiles.c) */
int kbj_job_files_drop(kbj_engine *eng, char (*ids)[KBJ_ID_LEN + 1], size_t n, int dry_run,
                       kbj_job_files_result *r);

/* 1 when `name` is a quarantine folder's name, "YYYY-MM-DD" (core/quarantine.c). */
int kbj_quarantine_date_name(const char *name);

#endif /* KBJ_INTERNAL_H */
