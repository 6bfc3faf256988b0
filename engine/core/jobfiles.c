/*
 * jobfiles.c - the files of finished jobs whose rows retention removed: one place that
 * knows them, for kbj_retention (core) and the cleanup job (jobtypes/cleanup.c).
 *
 * A job's files: logs/<job>.log, logs/<job>.reconcile.jsonl (a reconcile job's report),
 * checkpoints/<job>.checkpoint.json and .partial.json, lists/<job>.urls, .idx and
 * .failed.jsonl. A URL list stays while a job left in the table still names it as its
 * `list` (a rerun of an import reads its original's list), with its index and failed
 * items; reconciliation applies the same rule, so what retention keeps it never reports.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"

/* Removes (or, dry, measures) data_dir/sub/<name><suffix> when it is a regular file (a
 * symlink there is reconciliation's to report, never followed): 1 when there was one. */
static int drop_file(kbj_engine *eng, int dry_run, const char *sub, const char *name, const char *suffix,
                     kbj_job_files_result *r)
{
    char path[4096];
    struct stat sb;
    kbj_err err;
    if (kbj_fs_path(path, sizeof path, eng->data_dir, sub, name, suffix, &err) || lstat(path, &sb) != 0 ||
        !S_ISREG(sb.st_mode))
        return 0;
    if (!dry_run && unlink(path) != 0)
        return 0;
    r->bytes_freed += (unsigned long long)sb.st_size;
    return 1;
}

static int list_exists(kbj_engine *eng, const char *id)
{
    char path[4096];
    struct stat sb;
    kbj_err err;
    return kbj_fs_path(path, sizeof path, eng->data_dir, "lists", id, ".urls", &err) == 0 && lstat(path, &sb) == 0;
}

/* Of the lists named by ids[0..n), marks in keep[] those a job left in the table (other
 * than themselves: a dry run's jobs are all still there) names in its params. One query
 * for the whole batch, over the import jobs only. */
static int lists_in_use(kbj_engine *eng, char (*ids)[KBJ_ID_LEN + 1], size_t n, char *keep)
{
    size_t k = 0, cap = 2 * n + 256;
    kbj_val *v = calloc(2 * n + 1, sizeof *v);
    char *ph = kbj_placeholders(n), *sql = malloc(cap);
    kbj_rows *rows = NULL;
    int rc;

    if (!v || !ph || !sql) {
        free(v);
        free(ph);
        free(sql);
        return kbj_efail(eng, KBJ_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        v[k++] = KBJ_VS(ids[i]);
    for (size_t i = 0; i < n; i++)
        v[k++] = KBJ_VS(ids[i]);
    snprintf(sql, cap, "SELECT DISTINCT JSON_VALUE(params, '$.list') FROM {p}kbjobs_jobs"
             " WHERE type = 'import' AND JSON_VALUE(params, '$.list') IN (%s) AND public_id NOT IN (%s)", ph, ph);
    rc = kbj_store_query_again(eng->st, sql, v, k, &rows);
    for (size_t r = 0; rc == KBJ_OK && r < kbj_rows_count(rows); r++)
        for (size_t i = 0; i < n; i++)
            if (kbj_rows_str(rows, r, 0) && strcmp(kbj_rows_str(rows, r, 0), ids[i]) == 0)
                keep[i] = 1;
    kbj_rows_free(rows);
    free(v);
    free(ph);
    free(sql);
    return rc;
}

int kbj_job_files_drop(kbj_engine *eng, char (*ids)[KBJ_ID_LEN + 1], size_t n, int dry_run,
                       kbj_job_files_result *r)
{
    char (*lists)[KBJ_ID_LEN + 1];
    char *keep;
    size_t nl = 0;
    int rc = KBJ_OK;

    if (!eng || !r || (n && !ids))
        return KBJ_EINVAL;
    lists = calloc(n ? n : 1, sizeof *lists);
    keep = calloc(n ? n : 1, 1);
    if (!lists || !keep) {
        free(lists);
        free(keep);
        return kbj_efail(eng, KBJ_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        r->logs += (unsigned long long)drop_file(eng, dry_run, "logs", ids[i], ".log", r);
        r->logs += (unsigned long long)drop_file(eng, dry_run, "logs", ids[i], ".reconcile.jsonl", r);
        r->checkpoints += (unsigned long long)drop_file(eng, dry_run, "checkpoints", ids[i], ".checkpoint.json", r);
        (void)drop_file(eng, dry_run, "checkpoints", ids[i], ".partial.json", r);
        if (list_exists(eng, ids[i]))
            memcpy(lists[nl++], ids[i], KBJ_ID_LEN + 1);
        else /* failed items of a list owned elsewhere are that list's */
            r->failed_items += (unsigned long long)drop_file(eng, dry_run, "lists", ids[i], ".failed.jsonl", r);
    }
    if (nl)
        rc = lists_in_use(eng, lists, nl, keep);
    for (size_t i = 0; rc == KBJ_OK && i < nl; i++) {
        if (keep[i])
            continue;
        r->lists += (unsigned long long)drop_file(eng, dry_run, "lists", lists[i], ".urls", r);
        (void)drop_file(eng, dry_run, "lists", lists[i], ".idx", r);
        r->failed_items += (unsigned long long)drop_file(eng, dry_run, "lists", lists[i], ".failed.jsonl", r);
    }
    free(lists);
    free(keep);
    return rc;
}
