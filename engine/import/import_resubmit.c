/*
 * import_resubmit.c - a new import of an import's failed items (kbj_import_resubmit_failed),
 * what resubmitting a partial FailureLog entry does.
 *
 * The URLs come from the original list file by list index, not from the failed-items
 * file: that one holds them redacted (no credentials), the list holds them as they
 * were given. They go through a temporary file under lists/ (where the list with its
 * credentials already is; unlinked at once, so nothing is left behind) into
 * kbj_import_submit's usual path, which writes the new list and submits the import.
 */
#include "import.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "internal.h"

/* The URLs read from the list per call: one run of consecutive indexes at most. */
#define READ_RUN 500

/* The import `id` as a resubmission needs it: a whole import (not a range), finished.
 * *job receives its view (free it), `list` its list id. */
static int the_import(kbj_engine *eng, const char *id, kbj_job **job, char list[KBJ_ID_LEN + 1])
{
    json_t *p;
    int rc = kbj_job_get(eng, id, job);

    if (rc)
        return rc;
    p = (*job)->params ? json_loads((*job)->params, 0, NULL) : NULL;
    kbj_copy(list, KBJ_ID_LEN + 1, json_string_value(json_object_get(p, "list")));
    if (strcmp((*job)->type, "import") != 0 || !kbj_valid_id(list))
        rc = kbj_efail(eng, KBJ_EINVAL, "job %s is not an import", id);
    else if (json_is_string(json_object_get(p, "parent")))
        rc = kbj_efail(eng, KBJ_EINVAL, "job %s is a range of import %s: resubmit the import", id,
                       json_string_value(json_object_get(p, "parent")));
    else if (strcmp((*job)->status, "completed") && strcmp((*job)->status, "failed") &&
             strcmp((*job)->status, "cancelled"))
        rc = kbj_efail(eng, KBJ_ECONFLICT, "import %s is %s: only a finished import's failed items can be "
                       "resubmitted", id, (*job)->status);
    json_decref(p);
    if (rc) {
        kbj_job_free(*job);
        *job = NULL;
    }
    return rc;
}

/* An anonymous file under lists/ for the URLs: created, then unlinked at once. */
static int temp_list(kbj_engine *eng, int *fd)
{
    char name[KBJ_ID_LEN + 1], path[4096];
    kbj_err err;

    if (kbj_new_id(name))
        return kbj_efail(eng, KBJ_EIO, "cannot read random bytes for a file name");
    if (kbj_fs_path(path, sizeof path, eng->data_dir, "lists", name, ".resubmit", &err))
        return kbj_efail(eng, KBJ_EINVAL, "%s", err.msg);
    *fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (*fd < 0)
        return kbj_efail(eng, KBJ_EIO, "cannot create %s: %s", path, strerror(errno));
    unlink(path);
    return KBJ_OK;
}

/* Writes the URLs of list `list` at the (sorted) indexes idx[0..n) to fd, one a line,
 * reading each run of consecutive indexes with one kbj_urllist_read. */
static int write_urls(kbj_engine *eng, const char *list, const unsigned long long *idx, size_t n, int fd)
{
    size_t i = 0;
    while (i < n) {
        size_t run = 1, got = 0;
        char **urls = NULL;
        kbj_err err;
        int rc;
        while (i + run < n && run < READ_RUN && idx[i + run] == idx[i] + run)
            run++;
        rc = kbj_urllist_read(eng->data_dir, list, idx[i], run, &urls, &got, &err);
        if (rc)
            return kbj_efail(eng, rc, "%s", err.msg);
        for (size_t k = 0; k < got && rc == KBJ_OK; k++)
            if (kbj_fs_write_all(fd, urls[k], strlen(urls[k])) || kbj_fs_write_all(fd, "\n", 1))
                rc = kbj_efail(eng, KBJ_EIO, "cannot write the URLs to resubmit: %s", strerror(errno));
        kbj_urllist_free(urls, got);
        if (rc)
            return rc;
        i += run;
    }
    return lseek(fd, 0, SEEK_SET) == 0 ? KBJ_OK : kbj_efail(eng, KBJ_EIO, "cannot rewind: %s", strerror(errno));
}

/* The original import's params without what kbj_import_submit sets (its list and
 * total) and what only a range has; as text (free it). */
static char *params_of(const kbj_job *job)
{
    static const char *const drop[] = { "list", "total", "parent", "range_start", "range_end" };
    json_t *p = job->params ? json_loads(job->params, 0, NULL) : NULL;
    char *text;
    if (!json_is_object(p)) {
        json_decref(p);
        p = json_object();
    }
    for (size_t i = 0; i < sizeof drop / sizeof drop[0]; i++)
        json_object_del(p, drop[i]);
    text = json_dumps(p, JSON_COMPACT);
    json_decref(p);
    return text;
}

/* The original import's options, as kbj_job_rerun takes them (no unique key). */
static void options_of(const kbj_job *job, kbj_submit *s)
{
    memset(s, 0, sizeof *s);
    s->queue = job->queue;
    s->priority = job->priority;
    s->max_attempts = job->max_attempts;
    s->backoff = job->backoff;
    s->on_expiry = job->on_expiry;
    s->concurrency_key = job->concurrency_key;
}

int kbj_import_resubmit_failed(kbj_engine *eng, const char *import_id, char new_id[KBJ_ID_LEN + 1], size_t *urls)
{
    char list[KBJ_ID_LEN + 1], *params = NULL;
    unsigned long long *idx = NULL;
    kbj_urllist_report report;
    kbj_job *job = NULL;
    kbj_submit opts;
    size_t n = 0;
    int fd = -1, rc;

    if (!eng || !new_id)
        return KBJ_EINVAL;
    if (urls)
        *urls = 0;
    if (!kbj_valid_id(import_id))
        return kbj_efail(eng, KBJ_EINVAL, "\"%.40s\" is not a job id (16 hex characters)", import_id ? import_id : "");
    if (!eng->data_dir)
        return kbj_efail(eng, KBJ_EINVAL, "the engine has no data directory");
    if ((rc = the_import(eng, import_id, &job, list)))
        return rc;
    rc = kbj_import_failed_indexes(eng, list, &idx, &n);
    if (rc == KBJ_OK && n == 0)
        rc = kbj_efail(eng, KBJ_ECONFLICT, "import %s has no failed items", import_id);
    if (rc == KBJ_OK)
        rc = temp_list(eng, &fd);
    if (rc == KBJ_OK)
        rc = write_urls(eng, list, idx, n, fd);
    if (rc == KBJ_OK && !(params = params_of(job)))
        rc = kbj_efail(eng, KBJ_ENOMEM, "out of memory");
    if (rc == KBJ_OK) {
        options_of(job, &opts);
        rc = kbj_import_submit_rerun(eng, fd, params, &opts, NULL, NULL, &report, new_id, import_id, NULL);
    }
    /* the new import is in place: the entry is done with (a failure here leaves it, and
     * the new import, both in place) */
    if (rc == KBJ_OK)
        rc = kbj_failures_remove_partial(eng, import_id);
    if (rc == KBJ_OK && urls)
        *urls = (size_t)report.accepted;
    if (fd >= 0)
        close(fd);
    free(params);
    free(idx);
    kbj_job_free(job);
    return rc;
}
