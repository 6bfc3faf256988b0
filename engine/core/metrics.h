/*
 * metrics.h - a runner's metrics accumulator (metrics.c): what the jobs it ran did,
 * counted in memory per minute, queue and type, and written to its own rows every few
 * seconds, inside a transaction the runner makes anyway when it can, and merged into
 * runner-free rows once a minute by one of the runners. The read side (kbj_stats_read),
 * the merge, the rollup and the deletes are public (kbj.h).
 */
#ifndef KBJ_METRICS_H
#define KBJ_METRICS_H

#include "kbj.h"
#include "store.h"

/* Pending metrics are written once the oldest is this old (seconds), or sooner when
 * this many minute rows are pending. */
#define KBJ_METRICS_FLUSH_SECONDS 5.0
#define KBJ_METRICS_MAX_PENDING 256

typedef struct kbj_metrics kbj_metrics;

/* What became of a job's attempt. */
typedef enum kbj_metrics_outcome {
    KBJ_METRIC_COMPLETED,
    KBJ_METRIC_FAILED,   /* failed for good */
    KBJ_METRIC_RETRIED   /* failed, and will run again */
} kbj_metrics_outcome;

/* A new accumulator for runner `runner` (a runner id); NULL when out of memory. */
kbj_metrics *kbj_metrics_new(const char *runner);
/* Frees it, pending metrics included. Accepts NULL. */
void kbj_metrics_free(kbj_metrics *m);

/* A job of `queue` and `type` started at Unix time `now` after waiting `wait_ms`.
 * KBJ_ENOMEM when it could not be counted (the count is lost, nothing else). */
int kbj_metrics_started(kbj_metrics *m, double now, const char *queue, const char *type, double wait_ms);
/* An attempt ended at `now` with `outcome` after running `run_ms`. KBJ_ENOMEM as above. */
int kbj_metrics_ended(kbj_metrics *m, double now, const char *queue, const char *type, kbj_metrics_outcome outcome,
                      double run_ms);

/* Reads the database's clock so that the minutes counted are the database's (the
 * runner calls it when its run starts); until then, this process's clock. */
void kbj_metrics_sync(kbj_metrics *m, kbj_store *st);

/* 1 when metrics are pending (0 for NULL). */
int kbj_metrics_pending(const kbj_metrics *m);
/* 1 when pending metrics should be written now (see KBJ_METRICS_FLUSH_SECONDS). */
int kbj_metrics_due(const kbj_metrics *m);

/* Adds the pending metrics to the runner's rows, inside the caller's statement sequence
 * (its transaction): multi-row upserts that add. Keeps them pending: the caller calls
 * kbj_metrics_written once its transaction has committed, as the work may run again. */
int kbj_metrics_write(kbj_metrics *m, kbj_store *st);
/* Forgets the pending metrics (written and committed). */
void kbj_metrics_written(kbj_metrics *m);

/* Writes the pending metrics in a transaction of their own and forgets them; on
 * failure they stay pending (and the error is on the engine's handle). */
int kbj_metrics_flush(kbj_engine *eng, kbj_metrics *m);

/* At most once a minute per accumulator (no query otherwise): claims the merge of the
 * minutes now complete (a conditional UPDATE of kbjobs_meta.metrics_merged_until, which
 * one runner wins each minute) and, when it wins, merges runners' rows
 * (kbj_metrics_merge) for up to `seconds`; what is left goes to the next minute's
 * winner. Errors are left on the handle and otherwise ignored: metrics never end a run. */
void kbj_metrics_merge_turn(kbj_engine *eng, kbj_metrics *m, double seconds);

#endif /* KBJ_METRICS_H */
