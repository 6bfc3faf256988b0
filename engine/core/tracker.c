/*
 * tracker.c - the JobTracker: live runners (host, pid, version, heartbeat, resident
 * memory) and the jobs they are executing. A runner whose heartbeat is older than
 * lost_after_seconds (default 8 s: four beats of kbj_run's 2 s heartbeat) is shown as
 * lost; its jobs' leases expire and the reaper takes them back.
 *
 * Registration and heartbeats run in the runner's own process (its heartbeat thread), so
 * the memory they record is that process's resident set: an operator sees a runner
 * growing long before its memory budget stops it.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct runner_work {
    kbj_engine *eng;
    const char *host, *version, *queues, *id;
    int pid;
    int cron;                  /* registration: the runner takes WP-Cron events */
    unsigned hours;
    kbj_runner_info **out;
    size_t *n;
    unsigned long long memory; /* this process's resident memory in bytes, 0 unknown */
} runner_work;

/* May run twice (kbj_store_do after a lost connection, when the first INSERT had
 * committed): the second run finds its own row by the id and only refreshes it. */
static int register_do(kbj_store *st, void *arg)
{
    runner_work *w = arg;
    return kbj_store_exec(st, "INSERT INTO {p}kbjobs_runners (public_id, host, pid, version, queues,"
                          " started_at, heartbeat_at, memory, cron) VALUES (?, ?, ?, ?, ?, NOW(6), NOW(6), ?, ?)"
                          " ON DUPLICATE KEY UPDATE heartbeat_at = VALUES(heartbeat_at), memory = VALUES(memory)",
                          (kbj_val[]){ KBJ_VS(w->id), KBJ_VS(w->host), KBJ_VI(w->pid), KBJ_VS(w->version),
                                       KBJ_VS(w->queues), KBJ_VI(w->memory), KBJ_VI(w->cron) }, 7, NULL);
}

int kbj_runner_register(kbj_engine *eng, const char *host, int pid, const char *version,
                        const char *queues, char id[KBJ_ID_LEN + 1])
{
    return kbj_runner_register_cron(eng, host, pid, version, queues, 0, id);
}

int kbj_runner_register_cron(kbj_engine *eng, const char *host, int pid, const char *version,
                             const char *queues, int cron, char id[KBJ_ID_LEN + 1])
{
    char h[256], v[32], q[256];
    runner_work w = { eng, h, v, q, id, pid, cron != 0, 0, NULL, NULL, kbj_process_rss() };
    if (!eng || !id)
        return KBJ_EINVAL;
    kbj_copy(h, sizeof h, host && *host ? host : "unknown");
    kbj_copy(v, sizeof v, version && *version ? version : KBJ_VERSION);
    kbj_copy(q, sizeof q, queues && *queues ? queues : "default");
    if (kbj_new_id(id))
        return kbj_efail(eng, KBJ_EIO, "cannot read random bytes for a runner id");
    return kbj_store_do(eng->st, register_do, &w);
}

static int heartbeat_do(kbj_store *st, void *arg)
{
    runner_work *w = arg;
    unsigned long long n = 0;
    int rc = kbj_store_exec(st, "UPDATE {p}kbjobs_runners SET heartbeat_at = NOW(6), memory = ?"
                            " WHERE public_id = ?", (kbj_val[]){ KBJ_VI(w->memory), KBJ_VS(w->id) }, 2, &n);
    if (rc)
        return rc;
    if (n == 0)
        return kbj_efail(w->eng, KBJ_ENOTFOUND, "no runner %s", w->id);
    /* Extends every lease this runner holds that has not expired: an expired lease stays
     * lost even if the reaper has not come by yet. Jobs, then WP-Cron events. */
    rc = kbj_store_exec(st, "UPDATE {p}kbjobs_job_state SET lease_expires = NOW(6) + INTERVAL ? SECOND"
                        " WHERE lease_owner = ? AND status = 'running' AND lease_expires >= NOW(6)",
                        (kbj_val[]){ KBJ_VI(w->eng->cfg.lease_seconds), KBJ_VS(w->id) }, 2, NULL);
    if (rc)
        return rc;
    /* The events' leases: a failure here must not cost the jobs their renewed leases (the
     * beat counts as renewed). An event whose lease was not renewed is fenced out when it
     * finishes, counted lost and run again: at least once, as after a crash. */
    (void)kbj_cron_renew_on(w->eng, st, w->id);
    return KBJ_OK;
}

int kbj_runner_heartbeat(kbj_engine *eng, const char *runner)
{
    runner_work w = { eng, NULL, NULL, NULL, runner, 0, 0, 0, NULL, NULL, kbj_process_rss() };
    if (!eng)
        return KBJ_EINVAL;
    if (!kbj_valid_id(runner))
        return kbj_efail(eng, KBJ_EINVAL, "\"%.40s\" is not a runner id", runner ? runner : "");
    return kbj_store_do(eng->st, heartbeat_do, &w);
}

/* Marks a runner stopped; stopping it again keeps the time it first stopped.
 * KBJ_ENOTFOUND for an unknown runner, as for heartbeats. */
static int stopped_do(kbj_store *st, void *arg)
{
    runner_work *w = arg;
    unsigned long long n = 0; /* rows matched: the store connects with CLIENT_FOUND_ROWS */
    int rc = kbj_store_exec(st, "UPDATE {p}kbjobs_runners SET stopped_at = COALESCE(stopped_at, NOW(6)),"
                            " heartbeat_at = NOW(6) WHERE public_id = ?", (kbj_val[]){ KBJ_VS(w->id) }, 1, &n);
    if (rc == KBJ_OK && n == 0)
        return kbj_efail(w->eng, KBJ_ENOTFOUND, "no runner %s", w->id);
    return rc;
}

int kbj_runner_stopped(kbj_engine *eng, const char *runner)
{
    runner_work w = { eng, NULL, NULL, NULL, runner, 0, 0, 0, NULL, NULL, 0 };
    if (!eng)
        return KBJ_EINVAL;
    if (!kbj_valid_id(runner))
        return kbj_efail(eng, KBJ_EINVAL, "\"%.40s\" is not a runner id", runner ? runner : "");
    return kbj_store_do(eng->st, stopped_do, &w);
}

static int runner_from_row(void *elem, const kbj_rows *rows, size_t i, void *arg)
{
    kbj_runner_info *r = elem;
    (void)arg;
    kbj_copy(r->id, sizeof r->id, kbj_rows_str(rows, i, 0));
    kbj_copy(r->host, sizeof r->host, kbj_rows_str(rows, i, 1));
    r->pid = (int)kbj_rows_int(rows, i, 2);
    kbj_copy(r->version, sizeof r->version, kbj_rows_str(rows, i, 3));
    kbj_copy(r->queues, sizeof r->queues, kbj_rows_str(rows, i, 4));
    r->started_at = kbj_dbtime(kbj_rows_str(rows, i, 5));
    r->heartbeat_at = kbj_dbtime(kbj_rows_str(rows, i, 6));
    r->stopped_at = kbj_dbtime(kbj_rows_str(rows, i, 7));
    kbj_copy(r->state, sizeof r->state, r->stopped_at > 0 ? "stopped" : kbj_rows_int(rows, i, 8) ? "lost" : "active");
    r->running_jobs = (int)kbj_rows_int(rows, i, 9);
    r->memory = (unsigned long long)kbj_rows_int(rows, i, 10);
    return 0;
}

static int list_do(kbj_store *st, void *arg)
{
    runner_work *w = arg;
    kbj_rows *rows = NULL;
    int rc = kbj_store_query(st,
        "SELECT r.public_id, r.host, r.pid, r.version, r.queues, UNIX_TIMESTAMP(r.started_at),"
        " UNIX_TIMESTAMP(r.heartbeat_at), UNIX_TIMESTAMP(r.stopped_at),"
        " r.stopped_at IS NULL AND r.heartbeat_at < NOW(6) - INTERVAL ? SECOND,"
        /* the running jobs counted by owner in one read of their range of the claim
         * index (the state has no index by owner: it would change at every claim) */
        " COALESCE(c.n, 0), r.memory FROM {p}kbjobs_runners r LEFT JOIN (SELECT lease_owner, COUNT(*) AS n"
        " FROM {p}kbjobs_job_state WHERE status = 'running' GROUP BY lease_owner) c ON c.lease_owner = r.public_id"
        " WHERE r.heartbeat_at > NOW(6) - INTERVAL ? HOUR ORDER BY r.id DESC LIMIT 1000",
        (kbj_val[]){ KBJ_VI(w->eng->cfg.lost_after_seconds), KBJ_VI(w->hours) }, 2, &rows);
    if (rc)
        return rc;
    rc = kbj_rows_to_array(rows, sizeof(kbj_runner_info), runner_from_row, NULL, NULL, (void **)w->out, w->n);
    return rc ? kbj_efail(w->eng, KBJ_ENOMEM, "out of memory") : KBJ_OK;
}

/* A window beyond the server's DATETIME range would make the cut-off NULL and list
 * nothing: a century is "every runner". */
#define MAX_LIST_HOURS (100u * 366 * 24)

int kbj_runners_list(kbj_engine *eng, unsigned hours, kbj_runner_info **out, size_t *n)
{
    runner_work w = { eng, NULL, NULL, NULL, NULL, 0, 0, hours ? hours : 24, out, n, 0 };
    if (!eng || !out || !n)
        return KBJ_EINVAL;
    if (w.hours > MAX_LIST_HOURS)
        w.hours = MAX_LIST_HOURS;
    *out = NULL;
    *n = 0;
    return kbj_store_do(eng->st, list_do, &w);
}

typedef struct active_work {
    kbj_engine *eng;
    kbj_job ***out;
    size_t *n;
} active_work;

static int active_do(kbj_store *st, void *arg)
{
    active_work *w = arg;
    (void)st;
    return kbj_jobs_query(w->eng, "SELECT " JOB_COLUMNS " FROM {p}kbjobs_jobs WHERE status = 'running'"
                          " ORDER BY started_at LIMIT 1000", NULL, 0, w->out, w->n);
}

int kbj_active_jobs(kbj_engine *eng, kbj_job ***out, size_t *n)
{
    active_work w = { eng, out, n };
    if (!eng || !out || !n)
        return KBJ_EINVAL;
    return kbj_store_do(eng->st, active_do, &w);
}
