/*
 * reconcile_artifacts.c - the artifact index against artifacts/, as a merge-join of two
 * sorted streams: index rows read by keyset pages in url_hash order (the unique key
 * url_hash: one index range read per page, whatever the table's size), and the files
 * walked in byte order, bucket by bucket (reconcile_walk.c). An artifact's path is
 * derived from its url_hash (artifacts/<hh>/<url_hash>.json), so both streams are in
 * the same order: a row's position is (hh, <url_hash>.json), a file's (bucket, name),
 * compared a component at a time, as the walk goes. A row whose position the walk has
 * passed without meeting its file is a ghost; a file without its row is an orphan; a
 * pair is checked for drift. Memory: one page of rows plus one directory window plus
 * one artifact document at a time.
 */
#include "reconcile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "artifact.h"
#include "reconcile_walk.h"
#include "sha256.h"

/* An artifact bigger than this is drift ("too_large") rather than read: the import's
 * documents are bounded far below it. */
#define ARTIFACT_MAX (64u * 1024 * 1024)

typedef struct rowpage {
    kbj_rows *rows;
    size_t i;
    int last;      /* the page read last was short: no rows after it */
} rowpage;

/* The next row, or NULL at the end (*rc set on error). Columns: url_hash, NULL, path,
 * content_hash: all three from one index (recon), read as a range; the URL, which only
 * a finding needs, is looked up by with_url. */
static int row_peek(recon *r, rowpage *pg, size_t *row)
{
    if (pg->rows && pg->i < kbj_rows_count(pg->rows)) {
        *row = pg->i;
        return 1;
    }
    if (pg->last)
        return 0;
    kbj_rows_free(pg->rows);
    pg->rows = NULL;
    pg->i = 0;
    int rc = kbj_store_query_again(r->eng->st,
                                   "SELECT url_hash, NULL, path, content_hash FROM {p}kbjobs_artifacts"
                                   " WHERE url_hash > ? ORDER BY url_hash LIMIT ?",
                                   (kbj_val[]){ KBJ_VS(r->row_after), KBJ_VI(r->o.batch) }, 2, &pg->rows);
    if (rc)
        return rc;
    pg->last = kbj_rows_count(pg->rows) < r->o.batch;
    if (kbj_rows_count(pg->rows) == 0)
        return 0;
    *row = 0;
    return 1;
}

static void row_consume(recon *r, rowpage *pg)
{
    kbj_copy(r->row_after, sizeof r->row_after, kbj_rows_str(pg->rows, pg->i, 0));
    pg->i++;
    r->rows++;
}

/* Adds the URL of the index row of `hash` to a finding's detail (what a repair
 * re-fetches): one lookup on the unique key, for a finding only. */
static int with_url(recon *r, const char *hash, json_t *x)
{
    kbj_rows *rows = NULL;
    int rc;
    if (!x)
        return KBJ_OK;
    rc = kbj_store_query_again(r->eng->st, "SELECT url FROM {p}kbjobs_artifacts WHERE url_hash = ?",
                               (kbj_val[]){ KBJ_VS(hash) }, 1, &rows);
    if (rc == KBJ_OK && kbj_rows_count(rows) == 1 && kbj_rows_str(rows, 0, 0))
        json_object_set_new(x, "url", json_string(kbj_rows_str(rows, 0, 0)));
    kbj_rows_free(rows);
    return rc;
}

/* A row's position against (top, name) (name NULL: the top entry itself, before all of
 * its names; top NULL: the end, after everything). */
static int row_cmp(const char *hash, const char *top, const char *name)
{
    char rt[3], rn[80];
    int c;
    if (!top)
        return -1;
    snprintf(rt, sizeof rt, "%.2s", hash);
    if ((c = strcmp(rt, top)) != 0 || !name)
        return c ? c : 1;
    snprintf(rn, sizeof rn, "%.70s.json", hash);
    return strcmp(rn, name);
}

/* Rows before (top, name) are ghosts: their files were not there when the walk passed
 * their place. With `through_top`, the rows of `top`'s bucket too (the walk is done
 * with it). */
static int ghosts(recon *r, rowpage *pg, const char *top, const char *name, int through_top)
{
    size_t i;
    int rc;
    while ((rc = row_peek(r, pg, &i)) == 1) {
        const char *hash = kbj_rows_str(pg->rows, i, 0);
        char rt[3], rn[80];
        int c = row_cmp(hash, top, name);
        if (through_top && top) {
            snprintf(rt, sizeof rt, "%.2s", hash);
            c = strcmp(rt, top) <= 0 ? -1 : 1;
        }
        if (c >= 0)
            return KBJ_OK;
        snprintf(rt, sizeof rt, "%.2s", hash);
        snprintf(rn, sizeof rn, "%.70s.json", hash);
        json_t *x = json_pack("{s:s}", "url_hash", hash);
        if ((rc = with_url(r, hash, x))) {
            json_decref(x);
            return rc;
        }
        row_consume(r, pg);
        if ((rc = recon_finding(r, RK_GHOST, "missing", KBJ_RDIR_ARTIFACTS, rt, rn, x)) ||
            (rc = recon_item_done(r, 1)))
            return rc;
    }
    return rc;
}

/* Reads the whole artifact (size known, bounded) from `fd` when it is open (>= 0; left
 * open), else opened through the bucket's descriptor. */
static char *read_artifact(int fd, int bfd, const char *name, size_t size, size_t *len)
{
    int own = fd < 0;
    if (own)
        fd = openat(bfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    char *buf = fd >= 0 ? malloc(size + 1) : NULL;
    size_t got = 0;
    if (!buf) {
        if (fd >= 0 && own)
            close(fd);
        return NULL;
    }
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    if (own)
        close(fd);
    buf[got] = '\0';
    *len = got;
    return buf;
}

/* sha256 hex of title "\n" text, as the normaliser computes a document's content hash. */
static int content_hash(const json_t *title, const json_t *text, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[32];
    kbj_sha256 h;
    (void)kbj_sha256_init(&h);
    (void)kbj_sha256_update(&h, json_string_value(title), json_string_length(title));
    (void)kbj_sha256_update(&h, "\n", 1);
    (void)kbj_sha256_update(&h, json_string_value(text), json_string_length(text));
    if (kbj_sha256_final(&h, md))
        return KBJ_ENOMEM;
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
    return KBJ_OK;
}

/* The first thing wrong with an artifact and its row, as a drift finding (none when
 * all agree): the row's path, an empty or oversized file, JSON that does not parse
 * (a truncated file), a document that is not an artifact, the file's url_hash, its
 * content hash against the row's, and against its own title and text. */
static int check_drift(recon *r, rowpage *pg, size_t row, int fd, int bfd, const char *top, const char *name,
                       const struct stat *sb)
{
    const char *hash = kbj_rows_str(pg->rows, row, 0), *path = kbj_rows_str(pg->rows, row, 2),
               *rec_hash = kbj_rows_str(pg->rows, row, 3);
    char expect[96], computed[65];
    const char *why = NULL;
    json_t *x = NULL, *doc = NULL;
    json_error_t je;
    char *buf = NULL;
    size_t len = 0;
    int rc;

    snprintf(expect, sizeof expect, "artifacts/%s/%s", top, name);
    if (!path || strcmp(path, expect) != 0) {
        why = "path_mismatch";
        x = json_pack("{s:s, s:s}", "url_hash", hash, "record_path", path ? path : "");
    } else if (sb->st_size == 0) {
        why = "empty";
    } else if (r->o.shallow) {
        return KBJ_OK;
    } else if ((unsigned long long)sb->st_size > ARTIFACT_MAX) {
        why = "too_large";
    } else if (!(buf = read_artifact(fd, bfd, name, (size_t)sb->st_size, &len))) {
        return kbj_fail(r->err, KBJ_EIO, "cannot read %s: %s", expect, strerror(errno));
    } else if (!(doc = json_loadb(buf, len, 0, &je))) {
        why = "invalid_json";
        x = json_pack("{s:s, s:I}", "error", je.text, "at", (json_int_t)je.position);
    } else {
        json_t *ch = json_object_get(doc, "content_hash"), *uh = json_object_get(doc, "url_hash"),
               *title = json_object_get(doc, "title"), *text = json_object_get(doc, "text");
        if (!json_is_object(doc) || !json_is_string(ch) || !json_is_string(title) || !json_is_string(text)) {
            why = "not_an_artifact";
        } else if (!json_is_string(uh) || strcmp(json_string_value(uh), hash) != 0) {
            why = "url_hash_mismatch";
        } else if (strcmp(json_string_value(ch), rec_hash ? rec_hash : "") != 0) {
            why = "hash_mismatch";
            x = json_pack("{s:s, s:s}", "file_hash", json_string_value(ch), "record_hash", rec_hash ? rec_hash : "");
        } else if (content_hash(title, text, computed) != KBJ_OK) {
            json_decref(doc);
            free(buf);
            return kbj_fail(r->err, KBJ_ENOMEM, "out of memory hashing %s", expect);
        } else if (strcmp(computed, json_string_value(ch)) != 0) {
            why = "content_changed";
            x = json_pack("{s:s, s:s}", "file_hash", json_string_value(ch), "computed_hash", computed);
        }
    }
    json_decref(doc);
    free(buf);
    if (!why)
        return KBJ_OK;
    if (!x)
        x = json_object();
    if (x && !json_object_get(x, "url_hash"))
        json_object_set_new(x, "url_hash", json_string(hash));
    if ((rc = with_url(r, hash, x))) {
        json_decref(x);
        return rc;
    }
    if (x)
        json_object_set_new(x, "size", json_integer((json_int_t)sb->st_size));
    rc = recon_finding(r, RK_DRIFT, why, KBJ_RDIR_ARTIFACTS, top, name, x);
    return rc;
}

/* The common case, told by the listing alone: a regular file (readdir's type) with an
 * artifact's name and its row. A shallow run checks only the row's path, stat-ing the
 * file for the grace period only when that is wrong; a full run opens the file and
 * fstats the descriptor, with no path lookup of its own. Returns 1 when the entry was
 * done here, 0 to look at it the long way (it is not a regular file after all). */
static int known_artifact(recon *r, rowpage *pg, size_t row, int bfd, const char *top, const char *name)
{
    struct stat sb;
    char expect[96];
    const char *path = kbj_rows_str(pg->rows, row, 2);
    int fd, rc;

    if (r->o.shallow) {
        snprintf(expect, sizeof expect, "artifacts/%s/%s", top, name);
        rc = KBJ_OK;
        if (!path || strcmp(path, expect) != 0) {
            if (fstatat(bfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(sb.st_mode))
                return 0;
            rc = recon_recent(r, &sb) ? KBJ_OK : check_drift(r, pg, row, -1, bfd, top, name, &sb);
        }
        r->artifact_files++;
        row_consume(r, pg);
        return rc ? rc : 1;
    }
    /* O_NONBLOCK: a FIFO put in place since the listing must not hang the open. */
    fd = openat(bfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return 0;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return 0;
    }
    r->artifact_files++;
    rc = recon_recent(r, &sb) ? KBJ_OK : check_drift(r, pg, row, fd, bfd, top, name, &sb);
    close(fd);
    row_consume(r, pg);
    return rc ? rc : 1;
}

/* A name inside a bucket, of the type readdir gave. */
static int bucket_entry(recon *r, rowpage *pg, int bfd, unsigned char type, const char *top, const char *name)
{
    struct stat sb;
    char id[KBJ_ID_LEN + 1];
    kbj_rname_kind kind;
    size_t row;
    int rc;

    if ((rc = ghosts(r, pg, top, name, 0)))
        return rc;
    kind = kbj_rname_classify(KBJ_RDIR_ARTIFACTS, top, name, id, NULL);
    if (type == DT_REG && kind == KBJ_RNAME_ARTIFACT) {
        if ((rc = row_peek(r, pg, &row)) < 0)
            return rc;
        if (rc == 1 && row_cmp(kbj_rows_str(pg->rows, row, 0), top, name) == 0 &&
            (rc = known_artifact(r, pg, row, bfd, top, name)) != 0)
            return rc == 1 ? KBJ_OK : rc;
    }
    if (fstatat(bfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
        return KBJ_OK; /* gone since the directory was read */
    if ((rc = recon_unsafe(r, bfd, name, &sb, kind == KBJ_RNAME_HOSTILE, KBJ_RDIR_ARTIFACTS, top, name)))
        return rc < 0 ? rc : KBJ_OK;
    if (kind != KBJ_RNAME_ARTIFACT) {
        if (recon_recent(r, &sb))
            return KBJ_OK;
        return recon_finding(r, RK_ORPHAN, kind == KBJ_RNAME_TEMP ? "stale_temp" : "unexpected_name",
                             KBJ_RDIR_ARTIFACTS, top, name, NULL);
    }
    r->artifact_files++;
    if ((rc = row_peek(r, pg, &row)) < 0)
        return rc;
    if (rc == 1 && row_cmp(kbj_rows_str(pg->rows, row, 0), top, name) == 0) {
        rc = recon_recent(r, &sb) ? KBJ_OK : check_drift(r, pg, row, -1, bfd, top, name, &sb);
        row_consume(r, pg);
        return rc;
    }
    if (recon_recent(r, &sb))
        return KBJ_OK;
    return recon_finding(r, RK_ORPHAN, "no_record", KBJ_RDIR_ARTIFACTS, top, name,
                         json_pack("{s:s#}", "url_hash", name, 64));
}

static int walk_bucket(recon *r, rowpage *pg, int top_fd, const char *top, const char *after)
{
    kbj_sdir *b = NULL;
    const char *name;
    char label[300];
    int rc;
    snprintf(label, sizeof label, "artifacts/%s", top);
    rc = kbj_sdir_open(top_fd, top, label, r->o.window, after, 0, &b, r->err);
    if (rc == KBJ_ENOTFOUND)
        return KBJ_OK; /* removed since it was listed: its rows are ghosts */
    while (rc == KBJ_OK && (rc = kbj_sdir_next(b, &name, r->err)) == 1) {
        if ((rc = bucket_entry(r, pg, kbj_sdir_fd(b), kbj_sdir_type(b), top, name)) == KBJ_OK &&
            (rc = recon_set_pos(r, KBJ_RDIR_ARTIFACTS, top, name)) == KBJ_OK)
            rc = recon_item_done(r, 1);
    }
    kbj_sdir_free(b);
    return rc;
}

/* An entry directly under artifacts/ that is not a bucket to walk. */
static int top_entry(recon *r, int top_fd, const char *top, const struct stat *sb, kbj_rname_kind kind)
{
    int rc = recon_unsafe(r, top_fd, top, sb, kind == KBJ_RNAME_HOSTILE, KBJ_RDIR_ARTIFACTS, top, NULL);
    if (rc)
        return rc < 0 ? rc : KBJ_OK;
    if (recon_recent(r, sb))
        return KBJ_OK;
    return recon_finding(r, RK_ORPHAN, kind == KBJ_RNAME_TEMP ? "stale_temp" : "unexpected_name",
                         KBJ_RDIR_ARTIFACTS, top, NULL, NULL);
}

int recon_artifacts(recon *r)
{
    rowpage pg = { NULL, 0, 0 };
    kbj_sdir *d = NULL;
    char *start_top = NULL, *start_name = NULL;
    const char *top;
    int rc = KBJ_OK;

    if (r->stream == KBJ_RDIR_ARTIFACTS && r->top &&
        (!(start_top = strdup(r->top)) || (r->name && !(start_name = strdup(r->name))))) {
        free(start_top);
        return kbj_fail(r->err, KBJ_ENOMEM, "out of memory");
    }
    /* mid-bucket: that bucket again (inclusive), from after the name done */
    rc = kbj_sdir_open(r->root_fd, "artifacts", NULL, r->o.window, start_top, start_name != NULL, &d, r->err);
    if (rc == KBJ_EIO) {
        struct stat sb;
        if (fstatat(r->root_fd, "artifacts", &sb, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(sb.st_mode))
            rc = recon_unsafe(r, r->root_fd, "artifacts", &sb, 0, KBJ_RDIR_ARTIFACTS, NULL, NULL);
        rc = rc < 0 ? rc : KBJ_OK; /* the folder is not walked: every row is a ghost */
    } else if (rc == KBJ_ENOTFOUND) {
        rc = KBJ_OK;
    }
    while (rc == KBJ_OK && d && (rc = kbj_sdir_next(d, &top, r->err)) == 1) {
        struct stat sb;
        char id[KBJ_ID_LEN + 1];
        kbj_rname_kind kind = kbj_rname_classify(KBJ_RDIR_ARTIFACTS, NULL, top, id, NULL);

        if ((rc = ghosts(r, &pg, top, NULL, 0)))
            break;
        if (fstatat(kbj_sdir_fd(d), top, &sb, AT_SYMLINK_NOFOLLOW) != 0)
            rc = KBJ_OK;
        else if (kind == KBJ_RNAME_BUCKET && S_ISDIR(sb.st_mode))
            rc = walk_bucket(r, &pg, kbj_sdir_fd(d), top,
                             start_name && strcmp(top, start_top) == 0 ? start_name : NULL);
        else
            rc = top_entry(r, kbj_sdir_fd(d), top, &sb, kind);
        if (rc == KBJ_OK)
            rc = ghosts(r, &pg, top, NULL, 1);
        if (rc == KBJ_OK)
            rc = recon_set_pos(r, KBJ_RDIR_ARTIFACTS, top, NULL);
        if (rc == KBJ_OK)
            rc = recon_item_done(r, 1);
    }
    if (rc == 0) /* the end of the walk: every row left is a ghost */
        rc = ghosts(r, &pg, NULL, NULL, 0);
    kbj_sdir_free(d);
    kbj_rows_free(pg.rows);
    free(start_top);
    free(start_name);
    return rc;
}
