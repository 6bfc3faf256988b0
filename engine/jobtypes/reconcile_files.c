/*
 * reconcile_files.c - job rows against lists/, logs/ and checkpoints/: each folder walked
 * in byte order (reconcile_walk.c), its names classified by the table in
 * reconcile_names.c, and the job ids of a batch of names looked up together by the
 * jobs' unique key (one IN query of at most `batch` ids). A lookup rather than a
 * merge-join with the job table: the files name a small part of the jobs (retention
 * removes finished jobs with their files), and reading every job row in id order to
 * meet them would cost more than probing the unique key for the ids the files name.
 *
 * A file is an orphan when no job row has its id (for a URL list, its index and its
 * failed items: nor does any import name it as its "list", as a rerun does) and it has
 * not changed within the grace time. A queued or running job has its row, so its files
 * are never orphans.
 */
#include "reconcile.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reconcile_walk.h"

typedef struct entry {
    char *name;
    char id[KBJ_ID_LEN + 1];
    kbj_rname_kind kind;
    struct stat sb;
    int gone;        /* removed since the directory was read */
    int list;        /* a URL list's file: a rerun may name it */
    int owned;       /* a job row (or an import's "list") owns it */
    int lookup;      /* its id must be looked up */
} entry;

typedef struct batch {
    entry *e;
    size_t n;
} batch;

/* Whether entry e takes part in a lookup (`lists`: only list files, by their list name). */
static int wanted(const entry *e, int lists)
{
    return e->lookup && !e->owned && (!lists || e->list);
}

/* Marks the entries whose id is in the first column of `sql`'s rows (sql_head, the
 * placeholders, sql_tail). A batch is in name order, and a job file's name starts with
 * its id (16 characters), so the ids are in order too: each id is sent once and the
 * rows, in the same order, are merged with the entries in one pass. */
static int mark_owned(recon *r, batch *b, const char *sql_head, const char *sql_tail, int lists)
{
    kbj_val *v = calloc(b->n ? b->n : 1, sizeof *v);
    size_t k = 0, j = 0, cap = 0;
    char *ph = NULL, *sql = NULL;
    const char *prev = "";
    kbj_rows *rows = NULL;
    int rc;

    for (size_t i = 0; v && i < b->n; i++)
        if (wanted(&b->e[i], lists) && strcmp(b->e[i].id, prev) != 0)
            v[k++] = KBJ_VS(prev = b->e[i].id);
    if (v && k == 0) {
        free(v);
        return KBJ_OK;
    }
    if (v && (ph = kbj_placeholders(k)))
        sql = malloc(cap = strlen(sql_head) + strlen(ph) + strlen(sql_tail) + 1);
    if (!v || !ph || !sql) {
        free(v);
        free(ph);
        return kbj_fail(r->err, KBJ_ENOMEM, "out of memory");
    }
    snprintf(sql, cap, "%s%s%s", sql_head, ph, sql_tail);
    rc = kbj_store_query_again(r->eng->st, sql, v, k, &rows);
    for (size_t i = 0; rc == KBJ_OK && i < b->n; i++) {
        const char *id;
        if (!wanted(&b->e[i], lists))
            continue;
        while (j < kbj_rows_count(rows) && (!(id = kbj_rows_str(rows, j, 0)) || strcmp(id, b->e[i].id) < 0))
            j++;
        if (j < kbj_rows_count(rows) && strcmp(kbj_rows_str(rows, j, 0), b->e[i].id) == 0)
            b->e[i].owned = 1;
    }
    kbj_rows_free(rows);
    free(v);
    free(ph);
    free(sql);
    return rc;
}

/* The batch's findings, in name order: each entry's file looked at (lstat, never
 * followed), the ids of job files that may be orphans looked up together, then what each
 * entry is. The position moves to the batch's last name. */
static int flush(recon *r, batch *b, int dir, int fd)
{
    int rc = KBJ_OK;
    for (size_t i = 0; i < b->n; i++) {
        entry *e = &b->e[i];
        e->gone = fstatat(fd, e->name, &e->sb, AT_SYMLINK_NOFOLLOW) != 0;
        e->lookup = !e->gone && e->kind == KBJ_RNAME_JOB_FILE && S_ISREG(e->sb.st_mode);
    }
    rc = mark_owned(r, b, "SELECT public_id FROM {p}kbjobs_jobs WHERE public_id IN (", ")"
                   " ORDER BY public_id", 0);
    if (rc == KBJ_OK)
        rc = mark_owned(r, b,
                        "SELECT DISTINCT JSON_VALUE(params, '$.list') FROM {p}kbjobs_jobs WHERE type = 'import'"
                        " AND JSON_VALUE(params, '$.list') IN (", ") ORDER BY 1", 1);
    for (size_t i = 0; rc == KBJ_OK && i < b->n; i++) {
        entry *e = &b->e[i];
        if (e->gone)
            continue;
        if ((rc = recon_unsafe(r, fd, e->name, &e->sb, e->kind == KBJ_RNAME_HOSTILE, dir, e->name, NULL))) {
            rc = rc < 0 ? rc : KBJ_OK;
            continue;
        }
        r->job_files++;
        if (recon_recent(r, &e->sb) || e->owned)
            continue;
        if (e->kind == KBJ_RNAME_JOB_FILE)
            rc = recon_finding(r, RK_ORPHAN, "no_job", dir, e->name, NULL, json_pack("{s:s}", "job_id", e->id));
        else
            rc = recon_finding(r, RK_ORPHAN, e->kind == KBJ_RNAME_TEMP ? "stale_temp" : "unexpected_name", dir,
                               e->name, NULL, NULL);
    }
    if (rc == KBJ_OK && b->n)
        rc = recon_set_pos(r, dir, b->e[b->n - 1].name, NULL);
    size_t n = b->n;
    for (size_t i = 0; i < b->n; i++)
        free(b->e[i].name);
    b->n = 0;
    return rc == KBJ_OK && n ? recon_item_done(r, n) : rc;
}

/* Adds a name to the batch, classified by the table of expected names. */
static int entry_add(recon *r, batch *b, int dir, const char *name)
{
    const char *suffix;
    entry *e = &b->e[b->n];
    memset(e, 0, sizeof *e);
    e->kind = kbj_rname_classify(dir, NULL, name, e->id, &suffix);
    e->list = e->kind == KBJ_RNAME_JOB_FILE && kbj_rname_is_list_suffix(suffix);
    if (!(e->name = strdup(name)))
        return kbj_fail(r->err, KBJ_ENOMEM, "out of memory");
    b->n++;
    return KBJ_OK;
}

int recon_job_files(recon *r, int dir)
{
    batch b = { calloc(r->o.batch, sizeof(entry)), 0 };
    const char *after = r->stream == dir ? r->top : NULL, *name;
    kbj_sdir *d = NULL;
    int rc;

    if (!b.e)
        return kbj_fail(r->err, KBJ_ENOMEM, "out of memory");
    rc = kbj_sdir_open(r->root_fd, kbj_rdir_name(dir), NULL, r->o.window, after, 0, &d, r->err);
    if (rc == KBJ_EIO) {
        struct stat sb;
        if (fstatat(r->root_fd, kbj_rdir_name(dir), &sb, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(sb.st_mode))
            rc = recon_unsafe(r, r->root_fd, kbj_rdir_name(dir), &sb, 0, dir, NULL, NULL);
        rc = rc < 0 ? rc : KBJ_OK;
    } else if (rc == KBJ_ENOTFOUND) {
        rc = KBJ_OK;
    }
    while (rc == KBJ_OK && d && (rc = kbj_sdir_next(d, &name, r->err)) == 1) {
        rc = entry_add(r, &b, dir, name);
        if (rc == KBJ_OK && b.n == r->o.batch)
            rc = flush(r, &b, dir, kbj_sdir_fd(d));
    }
    if (rc == KBJ_OK && d)
        rc = flush(r, &b, dir, kbj_sdir_fd(d));
    for (size_t i = 0; i < b.n; i++)
        free(b.e[i].name);
    free(b.e);
    kbj_sdir_free(d);
    return rc;
}
