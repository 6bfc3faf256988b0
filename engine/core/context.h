/*
 * context.h - the kbj_ctx a handler works with (context.c), made by the runner for each
 * job it dispatches, and the lease state the runner's heartbeat shares with it.
 */
#ifndef KBJ_CONTEXT_H
#define KBJ_CONTEXT_H

#include <pthread.h>
#include <signal.h>

#include "kbj.h"

/*
 * What the runner's heartbeat thread knows of the lease on the job in hand: the flags
 * it sets (cancel requested, lease lost) and the deadline of the claim in hand on the
 * runner's own clock (kbj_boottime()), never later than the database's lease_expires:
 * set from the time just before the claim, moved on by each renewal that began before it
 * (guarded by mu). A runner paused past it writes nothing more for those jobs.
 */
typedef struct kbj_lease_watch {
    pthread_mutex_t mu;
    double deadline;
    volatile sig_atomic_t cancel, lost;
} kbj_lease_watch;

/* Seconds until the deadline (negative once past). */
double kbj_watch_remaining(kbj_lease_watch *w);
/* The leases just claimed run out lease_seconds after t0, taken before the claim. */
void kbj_watch_claimed(kbj_lease_watch *w, double t0, unsigned lease_seconds);
/* A renewal of all the runner's leases began at t0 and returned at t1. */
void kbj_watch_renewed(kbj_lease_watch *w, double t0, double t1, unsigned lease_seconds);

struct kbj_ctx {
    kbj_engine *eng;
    const kbj_lease *lease;
    kbj_lease_watch *watch;      /* the runner's view of the lease (NULL: none) */
    const char *runner;
    kbj_cadence cadence;
    int checkpointed;            /* a checkpoint was saved during this attempt */
    /* a phase of a combined job runs with a child context: */
    struct kbj_ctx *parent;
    kbj_lease child_lease;       /* the parent's lease with the phase's type and params */
    double base, weight;         /* percent of the parent done before this phase, its share */
    int phase_index;
    char phase_name[KBJ_NAME_MAX + 1];
    char *combined_state;        /* JSON of the completed phases, kept in every checkpoint */
    char *result;
    char *fail_msg;
    int fail_retryable;
    double progress_written;     /* monotonic time of the last progress write */
    long long done, total;
    char phase[KBJ_NAME_MAX + 1];
    int progress_pending;
    unsigned defer_ms;           /* set by kbj_ctx_defer */
};

/* Writes progress reported but not yet written (the runner calls it after a handler). */
int kbj_ctx_flush(kbj_ctx *ctx);

#endif /* KBJ_CONTEXT_H */
