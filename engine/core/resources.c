/*
 * resources.c - named resources that jobs use ("vectors:768" with operation "index"):
 * one running job per resource across all runners, the concurrency key generalised.
 * A job's resources are rows of kbjobs_resources; while it runs it holds each as a
 * "res:<name>" guard row in kbjobs_keys, taken by the claim and released with the job.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>

int kbj_resource_check(kbj_engine *eng, const kbj_resource *r, const char *where)
{
    size_t n = r && r->name ? strlen(r->name) : 0;
    if (n == 0 || n > 128)
        return kbj_efail(eng, KBJ_EINVAL, "%sresource names are 1 to 128 characters", where);
    for (const char *c = r->name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '_' || *c == '.' || *c == ':' || *c == '-'))
            return kbj_efail(eng, KBJ_EINVAL, "%sresource \"%.128s\" may only hold letters, digits, '_', "
                             "'.', ':' and '-'", where, r->name);
    if (r->op && (strlen(r->op) == 0 || strlen(r->op) > 64))
        return kbj_efail(eng, KBJ_EINVAL, "%sthe operation on resource %s must be 1 to 64 bytes", where, r->name);
    return KBJ_OK;
}

typedef struct status_work {
    kbj_engine *eng;
    kbj_resource_status **out;
    size_t *n;
} status_work;

static int status_from_row(void *elem, const kbj_rows *rows, size_t i, void *arg)
{
    kbj_resource_status *s = elem;
    (void)arg;
    kbj_copy(s->name, sizeof s->name, kbj_rows_str(rows, i, 0));
    s->busy = kbj_rows_str(rows, i, 1) != NULL;
    kbj_copy(s->job_id, sizeof s->job_id, kbj_rows_str(rows, i, 1));
    kbj_copy(s->op, sizeof s->op, kbj_rows_str(rows, i, 2));
    kbj_copy(s->concurrency_key, sizeof s->concurrency_key, kbj_rows_str(rows, i, 3));
    s->waiting = kbj_rows_int(rows, i, 4);
    return 0;
}

static int status_do(kbj_store *st, void *arg)
{
    status_work *w = arg;
    kbj_rows *rows = NULL;
    int rc = kbj_store_query(st,
        "SELECT n.name, h.public_id, hr.op, h.concurrency_key,"
        " (SELECT COUNT(*) FROM {p}kbjobs_resources wr JOIN {p}kbjobs_jobs wj ON wj.id = wr.job_id"
        "   WHERE wr.name = n.name AND wj.status IN ('queued', 'interrupted'))"
        " FROM (SELECT DISTINCT r.name FROM {p}kbjobs_resources r JOIN {p}kbjobs_jobs j ON j.id = r.job_id"
        "   WHERE j.status IN ('queued', 'running', 'interrupted')) n"
        " LEFT JOIN {p}kbjobs_keys k ON k.ckey = CONCAT('res:', n.name)"
        " LEFT JOIN {p}kbjobs_jobs h ON h.id = k.job_id"
        " LEFT JOIN {p}kbjobs_resources hr ON hr.job_id = k.job_id AND hr.name = n.name"
        " ORDER BY n.name LIMIT 1000", NULL, 0, &rows);
    if (rc)
        return rc;
    rc = kbj_rows_to_array(rows, sizeof(kbj_resource_status), status_from_row, NULL, NULL, (void **)w->out, w->n);
    return rc ? kbj_efail(w->eng, KBJ_ENOMEM, "out of memory") : KBJ_OK;
}

int kbj_resources_status(kbj_engine *eng, kbj_resource_status **out, size_t *n)
{
    status_work w = { eng, out, n };
    if (!eng || !out || !n)
        return KBJ_EINVAL;
    *out = NULL;
    *n = 0;
    return kbj_store_do(eng->st, status_do, &w);
}
