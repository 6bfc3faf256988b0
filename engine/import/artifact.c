/*
 * artifact.c - artifact files written in per-chunk batches, and the artifact index.
 */
#include "artifact.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "internal.h"
#include "sha256.h"
#include "url.h"

#define PATH_CAP 4096

static int valid_hash(const char *h)
{
    size_t i;
    if (!h)
        return 0;
    for (i = 0; h[i]; i++)
        if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
            return 0;
    return i == 64;
}

int kbj_artifact_relpath(const char *url_hash, char *out, size_t cap)
{
    int n;
    if (!out || cap == 0)
        return KBJ_EINVAL;
    out[0] = '\0';
    if (!valid_hash(url_hash))
        return KBJ_EINVAL;
    n = snprintf(out, cap, "artifacts/%.2s/%s.json", url_hash, url_hash);
    if (n < 0 || (size_t)n >= cap) {
        out[0] = '\0';
        return KBJ_EINVAL;
    }
    return KBJ_OK;
}

/* ---- batches ------------------------------------------------------------------- */

typedef struct pending {
    char *tmp, *path;
} pending;

struct kbj_artifact_batch {
    char *data_dir;
    pending *files;
    size_t n, cap;
};

kbj_artifact_batch *kbj_artifact_batch_new(const char *data_dir)
{
    kbj_artifact_batch *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->data_dir = strdup(data_dir ? data_dir : "");
    if (!b->data_dir) {
        free(b);
        return NULL;
    }
    return b;
}

size_t kbj_artifact_batch_size(const kbj_artifact_batch *b)
{
    return b ? b->n : 0;
}

int kbj_artifact_batch_add(kbj_artifact_batch *b, const char *url_hash, const char *json,
                           size_t len, kbj_err *err)
{
    static atomic_uint counter;
    char rel[96], path[PATH_CAP], tmp[PATH_CAP], dir[PATH_CAP];
    int fd, e;

    if (!b || !json || kbj_artifact_relpath(url_hash, rel, sizeof rel))
        return kbj_fail(err, KBJ_EINVAL, "invalid artifact hash");
    if (snprintf(path, sizeof path, "%s/%s", b->data_dir, rel) >= (int)sizeof path ||
        snprintf(dir, sizeof dir, "%s/artifacts/%.2s", b->data_dir, url_hash) >= (int)sizeof dir ||
        snprintf(tmp, sizeof tmp, "%s/.%s.tmp.%ld.%u", dir, url_hash, (long)getpid(),
                 atomic_fetch_add(&counter, 1u)) >= (int)sizeof tmp)
        return kbj_fail(err, KBJ_EINVAL, "data directory path is too long");
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16;
        pending *f = realloc(b->files, cap * sizeof *f);
        if (!f)
            return kbj_fail(err, KBJ_ENOMEM, "out of memory");
        b->files = f;
        b->cap = cap;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0 && errno == ENOENT) {
        int rc = kbj_fs_mkdirs(dir, err);
        if (rc)
            return rc;
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    }
    if (fd < 0)
        return kbj_fail(err, KBJ_EIO, "cannot create %s: %s", tmp, strerror(errno));
    if (kbj_fs_write_all(fd, json, len) != 0 || close(fd) != 0) {
        e = errno;
        close(fd);
        unlink(tmp);
        return kbj_fail(err, KBJ_EIO, "cannot write %s: %s", path,
                        e == ENOSPC ? "no space left on device" : strerror(e));
    }
    b->files[b->n].tmp = strdup(tmp);
    b->files[b->n].path = strdup(path);
    if (!b->files[b->n].tmp || !b->files[b->n].path) {
        unlink(tmp);
        free(b->files[b->n].tmp);
        free(b->files[b->n].path);
        return kbj_fail(err, KBJ_ENOMEM, "out of memory");
    }
    b->n++;
    return KBJ_OK;
}

static void drop(kbj_artifact_batch *b, int unlink_tmp)
{
    for (size_t i = 0; i < b->n; i++) {
        if (unlink_tmp && b->files[i].tmp)
            unlink(b->files[i].tmp);
        free(b->files[i].tmp);
        free(b->files[i].path);
    }
    b->n = 0;
}

/* Flushes the whole filesystem that holds the artifacts (syncfs): one call makes every
 * file and directory change of a batch durable, instead of one fsync per file and per
 * directory, each of which waits for the device on its own. */
static int sync_artifacts_fs(const kbj_artifact_batch *b)
{
    char dir[PATH_CAP];
    int fd, rc;
    snprintf(dir, sizeof dir, "%s/artifacts", b->data_dir);
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    rc = syncfs(fd);
    close(fd);
    return rc;
}

int kbj_artifact_batch_commit(kbj_artifact_batch *b, kbj_err *err)
{
    if (!b)
        return kbj_fail(err, KBJ_EINVAL, "no batch");
    if (b->n == 0)
        return KBJ_OK;
    /* the data first, then the renames, then the directory entries */
    if (sync_artifacts_fs(b) != 0)
        return kbj_fail(err, KBJ_EIO, "cannot sync the artifacts: %s", strerror(errno));
    for (size_t i = 0; i < b->n; i++) {
        if (rename(b->files[i].tmp, b->files[i].path) != 0)
            return kbj_fail(err, KBJ_EIO, "cannot rename %s into place: %s", b->files[i].path,
                            strerror(errno));
        free(b->files[i].tmp);
        b->files[i].tmp = NULL;
    }
    if (sync_artifacts_fs(b) != 0)
        return kbj_fail(err, KBJ_EIO, "cannot sync the artifacts' directories: %s", strerror(errno));
    drop(b, 0);
    return KBJ_OK;
}

void kbj_artifact_batch_free(kbj_artifact_batch *b)
{
    if (!b)
        return;
    drop(b, 1);
    free(b->files);
    free(b->data_dir);
    free(b);
}

/* ---- the index ----------------------------------------------------------------- */


int kbj_artifact_lookup(kbj_engine *eng, const char *const *hashes, size_t n, kbj_artifact_row *rows)
{
    kbj_val *v;
    kbj_rows *res = NULL;
    char *ph, *sql;
    int rc;

    if (n == 0)
        return KBJ_OK;
    if (n > 1000 || !hashes || !rows)
        return kbj_efail(eng, KBJ_EINVAL, "at most 1000 artifacts are looked up at once");
    memset(rows, 0, n * sizeof *rows);
    v = malloc(n * sizeof *v);
    ph = kbj_placeholders(n);
    size_t cap = ph ? strlen(ph) + 160 : 0;
    sql = ph ? malloc(cap) : NULL;
    if (!v || !ph || !sql) {
        free(v);
        free(ph);
        free(sql);
        return kbj_efail(eng, KBJ_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        v[i] = KBJ_VS(hashes[i]);
    snprintf(sql, cap, "SELECT url_hash, content_hash, post_hash, post_id, job_id, created_job"
             " FROM {p}kbjobs_artifacts WHERE url_hash IN (%s)", ph);
    rc = kbj_store_query_again(eng->st, sql, v, n, &res); /* a database restart is waited out */
    for (size_t r = 0; rc == KBJ_OK && r < kbj_rows_count(res); r++) {
        const char *h = kbj_rows_str(res, r, 0);
        for (size_t i = 0; i < n; i++) {
            if (h && strcmp(h, hashes[i]) == 0) {
                kbj_copy(rows[i].url_hash, sizeof rows[i].url_hash, h);
                kbj_copy(rows[i].content_hash, sizeof rows[i].content_hash, kbj_rows_str(res, r, 1));
                kbj_copy(rows[i].post_hash, sizeof rows[i].post_hash, kbj_rows_str(res, r, 2));
                rows[i].post_id = kbj_rows_int(res, r, 3);
                kbj_copy(rows[i].job_id, sizeof rows[i].job_id, kbj_rows_str(res, r, 4));
                kbj_copy(rows[i].created_job, sizeof rows[i].created_job, kbj_rows_str(res, r, 5));
            }
        }
    }
    kbj_rows_free(res);
    free(v);
    free(ph);
    free(sql);
    return rc;
}

#define REC_PARAMS 8


int kbj_artifact_record(kbj_engine *eng, const kbj_artifact_rec *recs, size_t n)
{
    static const char head[] = "INSERT INTO {p}kbjobs_artifacts (url_hash, url, path, content_hash, job_id,"
                               " created_job, http_status, fetched_at, updated_at) VALUES ";
    static const char row[] = "(?, ?, ?, ?, ?, ?, ?, FROM_UNIXTIME(?), NOW(6))";
    static const char tail[] = " ON DUPLICATE KEY UPDATE url = VALUES(url), path = VALUES(path),"
                               " content_hash = VALUES(content_hash), job_id = VALUES(job_id),"
                               " http_status = VALUES(http_status), fetched_at = VALUES(fetched_at),"
                               " updated_at = NOW(6)";
    char (*paths)[96];
    char **urls;
    kbj_val *v;
    char *sql;
    size_t off;
    int rc;

    if (n == 0)
        return KBJ_OK;
    if (n > 1000 || !recs)
        return kbj_efail(eng, KBJ_EINVAL, "at most 1000 artifacts are recorded at once");
    paths = malloc(n * sizeof *paths);
    urls = calloc(n, sizeof *urls);
    v = malloc(n * REC_PARAMS * sizeof *v);
    sql = malloc(sizeof head + n * sizeof row + sizeof tail);
    if (!paths || !urls || !v || !sql) {
        free(paths);
        free(urls);
        free(v);
        free(sql);
        return kbj_efail(eng, KBJ_ENOMEM, "out of memory");
    }
    memcpy(sql, head, sizeof head - 1);
    off = sizeof head - 1;
    rc = KBJ_OK;
    for (size_t i = 0; i < n && rc == KBJ_OK; i++) {
        if (kbj_artifact_relpath(recs[i].url_hash, paths[i], sizeof paths[i]) || !recs[i].url ||
            !valid_hash(recs[i].content_hash)) {
            rc = kbj_efail(eng, KBJ_EINVAL, "artifact %zu: invalid hash or URL", i);
            break;
        }
        /* "***@" is four bytes where the userinfo had at least one and its "@" */
        urls[i] = malloc(strlen(recs[i].url) + 4);
        if (!urls[i] || kbj_url_redact(recs[i].url, urls[i], strlen(recs[i].url) + 4)) {
            rc = kbj_efail(eng, urls[i] ? KBJ_EINVAL : KBJ_ENOMEM, "artifact %zu: cannot redact its URL", i);
            break;
        }
        if (i)
            sql[off++] = ',';
        memcpy(sql + off, row, sizeof row - 1);
        off += sizeof row - 1;
        v[i * REC_PARAMS + 0] = KBJ_VS(recs[i].url_hash);
        v[i * REC_PARAMS + 1] = KBJ_VS(urls[i]);
        v[i * REC_PARAMS + 2] = KBJ_VS(paths[i]);
        v[i * REC_PARAMS + 3] = KBJ_VS(recs[i].content_hash);
        v[i * REC_PARAMS + 4] = KBJ_VS(recs[i].job_id);
        v[i * REC_PARAMS + 5] = KBJ_VS(recs[i].job_id);
        v[i * REC_PARAMS + 6] = KBJ_VI(recs[i].http_status);
        v[i * REC_PARAMS + 7] = KBJ_VD(recs[i].fetched_at);
    }
    memcpy(sql + off, tail, sizeof tail);
    if (rc == KBJ_OK) /* idempotent: run again after a reconnect */
        rc = kbj_store_exec_again(eng->st, sql, v, n * REC_PARAMS, NULL);
    for (size_t i = 0; i < n; i++)
        free(urls[i]);
    free(urls);
    free(paths);
    free(v);
    free(sql);
    return rc;
}

int kbj_artifact_get(kbj_engine *eng, const char *url, kbj_artifact_info *out)
{
    char hash[65];
    kbj_rows *r = NULL;
    int rc;

    if (!url || !out)
        return kbj_efail(eng, KBJ_EINVAL, "no URL");
    memset(out, 0, sizeof *out);
    if (kbj_sha256_hex(url, strlen(url), hash))
        return kbj_efail(eng, KBJ_ENOMEM, "out of memory hashing a URL");
    rc = kbj_store_query(eng->st,
                         "SELECT url_hash, url, path, content_hash, post_hash, post_id, job_id, http_status,"
                         " UNIX_TIMESTAMP(fetched_at), UNIX_TIMESTAMP(updated_at)"
                         " FROM {p}kbjobs_artifacts WHERE url_hash = ?",
                         (kbj_val[]){ KBJ_VS(hash) }, 1, &r);
    if (rc)
        return rc;
    if (kbj_rows_count(r) == 0) {
        kbj_rows_free(r);
        return kbj_efail(eng, KBJ_ENOTFOUND, "no artifact for %.200s", url);
    }
    kbj_copy(out->url_hash, sizeof out->url_hash, kbj_rows_str(r, 0, 0));
    out->url = strdup(kbj_rows_str(r, 0, 1) ? kbj_rows_str(r, 0, 1) : "");
    kbj_copy(out->path, sizeof out->path, kbj_rows_str(r, 0, 2));
    kbj_copy(out->content_hash, sizeof out->content_hash, kbj_rows_str(r, 0, 3));
    kbj_copy(out->post_hash, sizeof out->post_hash, kbj_rows_str(r, 0, 4));
    out->post_id = kbj_rows_int(r, 0, 5);
    kbj_copy(out->job_id, sizeof out->job_id, kbj_rows_str(r, 0, 6));
    out->http_status = (int)kbj_rows_int(r, 0, 7);
    out->fetched_at = kbj_dbtime(kbj_rows_str(r, 0, 8));
    out->updated_at = kbj_dbtime(kbj_rows_str(r, 0, 9));
    kbj_rows_free(r);
    if (!out->url)
        return kbj_efail(eng, KBJ_ENOMEM, "out of memory");
    return KBJ_OK;
}

void kbj_artifact_info_clear(kbj_artifact_info *a)
{
    if (!a)
        return;
    free(a->url);
    memset(a, 0, sizeof *a);
}

int kbj_artifact_count(kbj_engine *eng, unsigned long long *entries, unsigned long long *with_post)
{
    kbj_rows *r = NULL;
    int rc = kbj_store_query(eng->st, "SELECT COUNT(*), COALESCE(SUM(post_id > 0), 0) FROM {p}kbjobs_artifacts",
                             NULL, 0, &r);
    if (rc)
        return rc;
    if (entries)
        *entries = (unsigned long long)kbj_rows_int(r, 0, 0);
    if (with_post)
        *with_post = (unsigned long long)kbj_rows_int(r, 0, 1);
    kbj_rows_free(r);
    return KBJ_OK;
}

/* Appends to out (capacity cap, *off used so far); 1 once the text would not fit (the
 * rest of the statement is then not written). */
static int append(char *out, size_t cap, size_t *off, const char *fmt, ...)
{
    va_list ap;
    int n;
    if (*off >= cap)
        return 1;
    va_start(ap, fmt);
    n = vsnprintf(out + *off, cap - *off, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= cap - *off) {
        *off = cap;
        return 1;
    }
    *off += (size_t)n;
    return 0;
}

/* The most one post adds to the statement: its post id clause (7 + 64 + 7 + 20), its
 * post hash clause (7 + 64 + 8 + 64 + 1), and its hash in the two IN lists (2 x 67). */
#define POST_SQL_MAX 400

int kbj_artifact_posts_sql(kbj_engine *eng, const char *job_id, const kbj_artifact_post *posts, size_t n,
                           char **sql)
{
    const char *prefix = kbj_store_prefix(eng->st);
    size_t cap, off = 0, ncreated = 0;
    int cut = 0;
    char *out;

    *sql = NULL;
    if (n == 0 || n > 1000 || !posts)
        return kbj_efail(eng, KBJ_EINVAL, "1 to 1000 posts are recorded at once");
    if (!kbj_valid_id(job_id))
        return kbj_efail(eng, KBJ_EINVAL, "\"%.40s\" is not a job id", job_id ? job_id : "");
    for (size_t i = 0; i < n; i++) {
        if (!valid_hash(posts[i].url_hash) || !valid_hash(posts[i].content_hash))
            return kbj_efail(eng, KBJ_EINVAL, "post %zu: url_hash and content_hash must be 64 lowercase hex digits", i);
        if (posts[i].post_id <= 0)
            return kbj_efail(eng, KBJ_EINVAL, "post %zu: the post id must be positive", i);
        ncreated += posts[i].created != 0;
    }
    cap = 400 + strlen(prefix) + n * POST_SQL_MAX;
    out = malloc(cap);
    if (!out)
        return kbj_efail(eng, KBJ_ENOMEM, "out of memory");
    cut |= append(out, cap, &off, "UPDATE `%skbjobs_artifacts` SET post_id = CASE url_hash", prefix);
    for (size_t i = 0; i < n; i++)
        cut |= append(out, cap, &off, " WHEN '%s' THEN %lld", posts[i].url_hash, posts[i].post_id);
    cut |= append(out, cap, &off, " END, post_hash = CASE url_hash");
    for (size_t i = 0; i < n; i++)
        cut |= append(out, cap, &off, " WHEN '%s' THEN '%s'", posts[i].url_hash, posts[i].content_hash);
    cut |= append(out, cap, &off, " END");
    if (ncreated) {
        cut |= append(out, cap, &off, ", created_job = CASE WHEN url_hash IN (");
        for (size_t i = 0, k = 0; i < n; i++)
            if (posts[i].created)
                cut |= append(out, cap, &off, "%s'%s'", k++ ? "," : "", posts[i].url_hash);
        cut |= append(out, cap, &off, ") THEN '%s' ELSE created_job END", job_id);
    }
    cut |= append(out, cap, &off, ", updated_at = UTC_TIMESTAMP(6) WHERE url_hash IN (");
    for (size_t i = 0; i < n; i++)
        cut |= append(out, cap, &off, "%s'%s'", i ? "," : "", posts[i].url_hash);
    cut |= append(out, cap, &off, ")");
    if (cut) { /* cannot happen with POST_SQL_MAX as computed; never run a cut statement */
        free(out);
        return kbj_efail(eng, KBJ_EINVAL, "the statement for %zu posts does not fit", n);
    }
    *sql = out;
    return KBJ_OK;
}

/* ---- the index as the dashboard reads it: posts and their imports ------------------ */

/* Resolves a job id column to its import: the import a range belongs to, else itself. */
#define IMPORT_OF(col, alias)                                                                   \
    "COALESCE((SELECT JSON_UNQUOTE(JSON_EXTRACT(" alias ".params, '$.parent')) FROM {p}kbjobs_jobs " \
    alias " WHERE " alias ".public_id = a." col " AND " alias ".type = 'import'"                 \
    " AND JSON_EXTRACT(" alias ".params, '$.parent') IS NOT NULL), a." col ")"

static int source_from_row(void *elem, const kbj_rows *rows, size_t i, void *arg)
{
    kbj_post_source *s = elem;
    (void)arg;
    s->post_id = kbj_rows_int(rows, i, 0);
    s->url = strdup(kbj_rows_str(rows, i, 1) ? kbj_rows_str(rows, i, 1) : "");
    s->fetched_at = kbj_dbtime(kbj_rows_str(rows, i, 2));
    s->http_status = (int)kbj_rows_int(rows, i, 3);
    kbj_copy(s->job_id, sizeof s->job_id, kbj_rows_str(rows, i, 4) ? kbj_rows_str(rows, i, 4) : "");
    kbj_copy(s->created_job, sizeof s->created_job, kbj_rows_str(rows, i, 5) ? kbj_rows_str(rows, i, 5) : "");
    kbj_copy(s->import_id, sizeof s->import_id, kbj_rows_str(rows, i, 6) ? kbj_rows_str(rows, i, 6) : "");
    kbj_copy(s->created_import, sizeof s->created_import, kbj_rows_str(rows, i, 7) ? kbj_rows_str(rows, i, 7) : "");
    return s->url ? 0 : -1;
}

static void sources_clear(void *array, size_t n)
{
    kbj_post_sources_free(array, n);
}

int kbj_post_sources(kbj_engine *eng, const long long *post_ids, size_t n, kbj_post_source **out, size_t *nout)
{
    kbj_post_source *all = NULL;
    kbj_val *v;
    kbj_rows *rows = NULL;
    char *ph, *sql;
    size_t cap, nall = 0, kept = 0;
    int rc;

    if (!eng || !out || !nout)
        return eng ? kbj_efail(eng, KBJ_EINVAL, "no output given") : KBJ_EINVAL;
    *out = NULL;
    *nout = 0;
    if (n == 0)
        return KBJ_OK;
    if (n > 1000 || !post_ids)
        return kbj_efail(eng, KBJ_EINVAL, "1 to 1000 post ids are looked up at once, got %zu", n);
    for (size_t i = 0; i < n; i++)
        if (post_ids[i] <= 0)
            return kbj_efail(eng, KBJ_EINVAL, "post id %zu must be positive, got %lld", i, post_ids[i]);
    v = malloc(n * sizeof *v);
    ph = kbj_placeholders(n);
    cap = ph ? strlen(ph) + 1024 : 0;
    sql = ph ? malloc(cap) : NULL;
    if (!v || !ph || !sql) {
        free(v);
        free(ph);
        free(sql);
        return kbj_efail(eng, KBJ_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        v[i] = KBJ_VI(post_ids[i]);
    /* newest row first for each post: a post made from two URLs (never by the sinks)
     * shows the one written last */
    snprintf(sql, cap, "SELECT a.post_id, a.url, UNIX_TIMESTAMP(a.fetched_at), a.http_status, a.job_id,"
             " a.created_job, " IMPORT_OF("job_id", "j") ", " IMPORT_OF("created_job", "c")
             " FROM {p}kbjobs_artifacts a WHERE a.post_id IN (%s) ORDER BY a.post_id, a.updated_at DESC, a.id DESC",
             ph);
    rc = kbj_store_query_again(eng->st, sql, v, n, &rows);
    free(v);
    free(ph);
    free(sql);
    if (rc)
        return rc;
    rc = kbj_rows_to_array(rows, sizeof(kbj_post_source), source_from_row, sources_clear, NULL, (void **)&all, &nall);
    if (rc)
        return kbj_efail(eng, KBJ_ENOMEM, "out of memory");
    /* one entry per post: the first row of each (rows are sorted by post id) */
    for (size_t i = 0; i < nall; i++) {
        if (kept > 0 && all[kept - 1].post_id == all[i].post_id) {
            free(all[i].url);
            continue;
        }
        all[kept++] = all[i];
    }
    if (kept == 0) {
        free(all);
        all = NULL;
    }
    *out = all;
    *nout = kept;
    return KBJ_OK;
}

void kbj_post_sources_free(kbj_post_source *s, size_t n)
{
    for (size_t i = 0; s && i < n; i++)
        free(s[i].url);
    free(s);
}

/* The job ids whose posts count as import `id`'s: itself and, for an import split into
 * ranges, its ranges (unique keys "<id>/range/<n>"; at most 64). */
static int import_job_ids(kbj_engine *eng, const char *id, char (*ids)[KBJ_ID_LEN + 1], size_t cap, size_t *n)
{
    char like[KBJ_ID_LEN + 16];
    kbj_rows *rows = NULL;
    int rc;

    kbj_copy(ids[0], KBJ_ID_LEN + 1, id);
    *n = 1;
    snprintf(like, sizeof like, "%s/range/%%", id); /* a job id is hex: nothing to escape */
    rc = kbj_store_query_again(eng->st, "SELECT public_id FROM {p}kbjobs_jobs WHERE unique_key LIKE ?"
                               " AND type = 'import' ORDER BY id LIMIT 100", (kbj_val[]){ KBJ_VS(like) }, 1, &rows);
    if (rc)
        return rc;
    for (size_t i = 0; i < kbj_rows_count(rows) && *n < cap; i++)
        kbj_copy(ids[(*n)++], KBJ_ID_LEN + 1, kbj_rows_str(rows, i, 0));
    kbj_rows_free(rows);
    return KBJ_OK;
}

#define IMPORT_JOBS_MAX 101 /* an import and its ranges (64 at most; room to spare) */

int kbj_import_post_ids(kbj_engine *eng, const char *import_id, const char *by, long long after, size_t limit,
                        long long *post_ids, size_t *n, long long *next_after)
{
    static const char part[] = "(SELECT post_id FROM {p}kbjobs_artifacts WHERE %s = ? AND post_id > ?"
                               " ORDER BY post_id LIMIT %zu)";
    char (*ids)[KBJ_ID_LEN + 1] = NULL;
    const char *cols[2];
    size_t nids = 0, ncols = 0, nparts, cap, off = 0, k = 0;
    kbj_val *v = NULL;
    kbj_rows *rows = NULL;
    char *sql = NULL;
    int rc;

    if (!eng || !post_ids || !n || !next_after)
        return eng ? kbj_efail(eng, KBJ_EINVAL, "no output given") : KBJ_EINVAL;
    *n = 0;
    *next_after = 0;
    if (!kbj_valid_id(import_id))
        return kbj_efail(eng, KBJ_EINVAL, "\"%.40s\" is not a job id", import_id ? import_id : "");
    if (limit < 1 || limit > 1000)
        return kbj_efail(eng, KBJ_EINVAL, "limit must be between 1 and 1000, got %zu", limit);
    if (after < 0)
        return kbj_efail(eng, KBJ_EINVAL, "the cursor must be 0 or a post id, got %lld", after);
    if (!by || !*by || strcmp(by, "any") == 0) {
        cols[ncols++] = "created_job";
        cols[ncols++] = "job_id";
    } else if (strcmp(by, "created") == 0) {
        cols[ncols++] = "created_job";
    } else if (strcmp(by, "written") == 0) {
        cols[ncols++] = "job_id";
    } else {
        return kbj_efail(eng, KBJ_EINVAL, "by must be \"any\", \"created\" or \"written\", got \"%.40s\"", by);
    }
    ids = calloc(IMPORT_JOBS_MAX, sizeof *ids);
    if (!ids)
        return kbj_efail(eng, KBJ_ENOMEM, "out of memory");
    rc = import_job_ids(eng, import_id, ids, IMPORT_JOBS_MAX, &nids);
    if (rc)
        goto out;
    nparts = nids * ncols;
    cap = nparts * (sizeof part + 40) + 64;
    sql = malloc(cap);
    v = malloc(2 * nparts * sizeof *v + sizeof *v);
    if (!sql || !v) {
        rc = kbj_efail(eng, KBJ_ENOMEM, "out of memory");
        goto out;
    }
    /* one index range read per job and column, limit + 1 rows each, merged: a page in
     * post id order whatever the import's size */
    for (size_t i = 0; i < nids; i++)
        for (size_t c = 0; c < ncols; c++) {
            if (off)
                off += (size_t)snprintf(sql + off, cap - off, " UNION ");
            off += (size_t)snprintf(sql + off, cap - off, part, cols[c], limit + 1);
            v[k++] = KBJ_VS(ids[i]);
            v[k++] = KBJ_VI(after);
        }
    snprintf(sql + off, cap - off, " ORDER BY post_id LIMIT %zu", limit + 1);
    rc = kbj_store_query_again(eng->st, sql, v, k, &rows);
    if (rc)
        goto out;
    for (size_t r = 0; r < kbj_rows_count(rows) && *n < limit; r++)
        post_ids[(*n)++] = kbj_rows_int(rows, r, 0);
    if (kbj_rows_count(rows) > limit)
        *next_after = post_ids[limit - 1];
out:
    kbj_rows_free(rows);
    free(sql);
    free(v);
    free(ids);
    return rc;
}
