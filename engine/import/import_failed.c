/*
 * import_failed.c - reading an import's failed items: lists/<list>.failed.jsonl, the
 * file import.c appends one JSON line to per item that failed (see append_failure).
 *
 * The file's rules, as the writer makes them: lines are appended whole (O_APPEND, one
 * write each), so only the last line can be torn; a chunk re-processed after a crash
 * appends its failures again, so an index may appear more than once and the last line
 * of an index is the one that counts; the ranges of an import split into parts append
 * to the import's file (their list is the import's), interleaved.
 *
 * The reader pages by list index: one call reads the file once from its start, line by
 * line through a bounded buffer, and keeps only the `limit` + 1 lowest indexes at or
 * above the cursor (the extra one says whether another page follows). Memory is bounded
 * by `limit`, not by the file; time grows with the file.
 */
#include "internal.h"
#include "fsutil.h"
#include "import.h"

#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Lines longer than this are not the writer's (its lines hold a URL of at most 2 KiB and
 * an error of a few hundred bytes): they are skipped. */
#define FAILED_LINE_MAX 65536
#define FAILED_LIMIT_MAX 1000

/* What a page keeps while the file is read: items sorted by index, at most cap. */
typedef struct page {
    kbj_failed_item *items;
    size_t n, cap;
} page;

static void item_clear(kbj_failed_item *it)
{
    free(it->url);
    free(it->error);
    memset(it, 0, sizeof *it);
}

void kbj_failed_items_free(kbj_failed_item *items, size_t n)
{
    for (size_t i = 0; items && i < n; i++)
        item_clear(&items[i]);
    free(items);
}

/* The position of `index` in the page, or where it would go; *found says which. */
static size_t page_find(const page *pg, unsigned long long index, int *found)
{
    size_t lo = 0, hi = pg->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (pg->items[mid].index < index)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < pg->n && pg->items[lo].index == index;
    return lo;
}

/* Whether a line with `index` would change the page (a new low index, or a later line
 * of one it holds). */
static int page_wants(const page *pg, unsigned long long index)
{
    int found;
    page_find(pg, index, &found);
    return found || pg->n < pg->cap || index < pg->items[pg->n - 1].index;
}

/* Puts `it` into the page (taking its strings): replaces the item of the same index,
 * or inserts it, dropping the highest index when the page is full. */
static void page_put(page *pg, kbj_failed_item *it)
{
    int found;
    size_t pos = page_find(pg, it->index, &found);
    if (found) {
        item_clear(&pg->items[pos]);
        pg->items[pos] = *it;
        return;
    }
    if (pg->n == pg->cap) {
        if (pos == pg->n) {
            item_clear(it);
            return;
        }
        item_clear(&pg->items[--pg->n]);
    }
    memmove(&pg->items[pos + 1], &pg->items[pos], (pg->n - pos) * sizeof *pg->items);
    pg->items[pos] = *it;
    pg->n++;
}

/* The index a line starts with ({"index":N,...}, as the writer puts it first), or -1. */
static long long line_index(const char *line)
{
    static const char key[] = "{\"index\":";
    char *end;
    unsigned long long v;
    if (strncmp(line, key, sizeof key - 1) != 0)
        return -1;
    line += sizeof key - 1;
    if (*line < '0' || *line > '9')
        return -1;
    errno = 0;
    v = strtoull(line, &end, 10);
    if (errno || (*end != ',' && *end != '}') || v > (unsigned long long)INT64_MAX)
        return -1;
    return (long long)v;
}

/* The JSON object a line holds: the whole line, or, for a line glued to a torn one
 * (a writer died mid-line, the next append went on from there), its last object. */
static const char *line_object(const char *line)
{
    const char *p = line, *last = line;
    while ((p = strstr(p + 1, "{\"index\":")) != NULL)
        last = p;
    return last;
}

static char *dup_str(json_t *o, const char *key, int *oom)
{
    const char *s = json_string_value(json_object_get(o, key));
    char *d = strdup(s ? s : "");
    if (!d)
        *oom = 1;
    return d;
}

/* Offers one complete line to the page. Returns 0 or KBJ_ENOMEM. */
static int take_line(page *pg, const char *line, unsigned long long cursor, unsigned long long start,
                     unsigned long long end)
{
    const char *obj = line_object(line);
    long long index = line_index(obj);
    kbj_failed_item it;
    json_t *o;
    int oom = 0;

    if (index < 0 || (unsigned long long)index < cursor || (unsigned long long)index < start ||
        (unsigned long long)index >= end || !page_wants(pg, (unsigned long long)index))
        return KBJ_OK;
    o = json_loads(obj, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(o) || !json_is_integer(json_object_get(o, "index"))) {
        json_decref(o);
        return KBJ_OK; /* not a line of the writer's: skipped */
    }
    memset(&it, 0, sizeof it);
    it.index = (unsigned long long)index;
    it.url = dup_str(o, "url", &oom);
    it.error = dup_str(o, "error", &oom);
    kbj_copy(it.error_class, sizeof it.error_class,
             json_string_value(json_object_get(o, "class")) ? json_string_value(json_object_get(o, "class"))
                                                            : "permanent");
    it.http_status = (int)json_integer_value(json_object_get(o, "http_status"));
    it.tries = (unsigned)json_integer_value(json_object_get(o, "tries"));
    it.at = json_number_value(json_object_get(o, "at"));
    json_decref(o);
    if (oom) {
        item_clear(&it);
        return KBJ_ENOMEM;
    }
    page_put(pg, &it);
    return KBJ_OK;
}

/* Reads the file at `path` into the page. A missing file is an empty one. */
static int read_file(kbj_engine *eng, const char *path, page *pg, unsigned long long cursor,
                     unsigned long long start, unsigned long long end)
{
    FILE *f = fopen(path, "re");
    char *buf;
    int rc = KBJ_OK, skipping = 0;

    if (!f)
        return errno == ENOENT ? KBJ_OK : kbj_efail(eng, KBJ_EIO, "cannot open %s: %s", path, strerror(errno));
    buf = malloc(FAILED_LINE_MAX + 1);
    if (!buf) {
        fclose(f);
        return kbj_efail(eng, KBJ_ENOMEM, "out of memory");
    }
    while (rc == KBJ_OK && fgets(buf, FAILED_LINE_MAX + 1, f)) {
        size_t len = strlen(buf);
        if (len == 0 || buf[len - 1] != '\n') {
            /* a line longer than the buffer (skipped to its end), or a torn last line
             * without its newline (a writer mid-line or killed: ignored) */
            skipping = 1;
            continue;
        }
        if (skipping) {
            skipping = 0;
            continue;
        }
        buf[len - 1] = '\0';
        rc = take_line(pg, buf, cursor, start, end);
    }
    if (rc == KBJ_OK && ferror(f))
        rc = kbj_efail(eng, KBJ_EIO, "cannot read %s: %s", path, strerror(errno));
    else if (rc == KBJ_ENOMEM)
        rc = kbj_efail(eng, KBJ_ENOMEM, "out of memory");
    free(buf);
    fclose(f);
    return rc;
}

/* The distinct indexes of a failed-items file, growing as it is read. */
typedef struct index_set {
    unsigned long long *v;
    size_t n, cap;
} index_set;

/* Adds the index of one complete line, if it is a line of the writer's. */
static int take_index(index_set *set, const char *line)
{
    const char *obj = line_object(line);
    long long index = line_index(obj);
    json_t *o;

    if (index < 0)
        return KBJ_OK;
    o = json_loads(obj, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(o)) {
        json_decref(o);
        return KBJ_OK;
    }
    json_decref(o);
    if (set->n == set->cap) {
        size_t cap = set->cap ? 2 * set->cap : 256;
        unsigned long long *grown = realloc(set->v, cap * sizeof *grown);
        if (!grown)
            return KBJ_ENOMEM;
        set->v = grown;
        set->cap = cap;
    }
    set->v[set->n++] = (unsigned long long)index;
    return KBJ_OK;
}

static int cmp_index(const void *a, const void *b)
{
    unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;
    return x < y ? -1 : x > y;
}

int kbj_import_failed_indexes(kbj_engine *eng, const char *list, unsigned long long **out, size_t *n)
{
    char path[4096], *buf;
    index_set set = { 0 };
    kbj_err err;
    FILE *f;
    int rc = KBJ_OK, skipping = 0;

    *out = NULL;
    *n = 0;
    if (kbj_fs_path(path, sizeof path, eng->data_dir, "lists", list, ".failed.jsonl", &err))
        return kbj_efail(eng, KBJ_EINVAL, "%s", err.msg);
    if (!(f = fopen(path, "re")))
        return errno == ENOENT ? KBJ_OK : kbj_efail(eng, KBJ_EIO, "cannot open %s: %s", path, strerror(errno));
    if (!(buf = malloc(FAILED_LINE_MAX + 1))) {
        fclose(f);
        return kbj_efail(eng, KBJ_ENOMEM, "out of memory");
    }
    /* the same lines as read_file takes: complete ones, not too long */
    while (rc == KBJ_OK && fgets(buf, FAILED_LINE_MAX + 1, f)) {
        size_t len = strlen(buf);
        if (len == 0 || buf[len - 1] != '\n') {
            skipping = 1;
            continue;
        }
        if (skipping) {
            skipping = 0;
            continue;
        }
        buf[len - 1] = '\0';
        rc = take_index(&set, buf);
    }
    if (rc == KBJ_OK && ferror(f))
        rc = kbj_efail(eng, KBJ_EIO, "cannot read %s: %s", path, strerror(errno));
    else if (rc == KBJ_ENOMEM)
        rc = kbj_efail(eng, KBJ_ENOMEM, "out of memory");
    free(buf);
    fclose(f);
    if (rc) {
        free(set.v);
        return rc;
    }
    qsort(set.v, set.n, sizeof *set.v, cmp_index);
    for (size_t i = 0; i < set.n; i++)
        if (*n == 0 || set.v[*n - 1] != set.v[i])
            set.v[(*n)++] = set.v[i];
    *out = set.v;
    return KBJ_OK;
}

/* The list whose failed-items file holds the job's items, and the part of it that is
 * the job's: a range of an import reads the import's file, its own indexes only. 1 when
 * the job is an import, 0 when it is not (it has no failed items). */
static int job_list(const kbj_job *j, char list[KBJ_ID_LEN + 1], unsigned long long *start,
                    unsigned long long *end)
{
    json_t *p = j->params ? json_loads(j->params, 0, NULL) : NULL;
    const char *l = json_string_value(json_object_get(p, "list"));
    int ok = strcmp(j->type, "import") == 0 && kbj_valid_id(l);

    *start = 0;
    *end = UINT64_MAX;
    if (ok) {
        kbj_copy(list, KBJ_ID_LEN + 1, l);
        if (json_is_string(json_object_get(p, "parent"))) {
            *start = (unsigned long long)json_integer_value(json_object_get(p, "range_start"));
            *end = (unsigned long long)json_integer_value(json_object_get(p, "range_end"));
        }
    }
    json_decref(p);
    return ok;
}

int kbj_import_failed_items(kbj_engine *eng, const char *job_id, unsigned long long cursor, size_t limit,
                            kbj_failed_item **items, size_t *n, long long *next_cursor)
{
    char list[KBJ_ID_LEN + 1], path[4096];
    unsigned long long start, end;
    kbj_job *j = NULL;
    page pg = { 0 };
    kbj_err err;
    int rc, is_import;

    if (!eng || !items || !n || !next_cursor)
        return KBJ_EINVAL;
    *items = NULL;
    *n = 0;
    *next_cursor = -1;
    if (limit < 1 || limit > FAILED_LIMIT_MAX)
        return kbj_efail(eng, KBJ_EINVAL, "limit must be between 1 and %d", FAILED_LIMIT_MAX);
    if (cursor > (unsigned long long)INT64_MAX)
        return kbj_efail(eng, KBJ_EINVAL, "cursor must be between 0 and %lld", (long long)INT64_MAX);
    if ((rc = kbj_job_get(eng, job_id, &j)))
        return rc;
    is_import = job_list(j, list, &start, &end);
    kbj_job_free(j);
    if (!is_import || !eng->data_dir)
        return KBJ_OK;
    if (kbj_fs_path(path, sizeof path, eng->data_dir, "lists", list, ".failed.jsonl", &err))
        return kbj_efail(eng, KBJ_EINVAL, "%s", err.msg);
    pg.cap = limit + 1;
    pg.items = calloc(pg.cap, sizeof *pg.items);
    if (!pg.items)
        return kbj_efail(eng, KBJ_ENOMEM, "out of memory");
    rc = read_file(eng, path, &pg, cursor, start, end);
    if (rc) {
        kbj_failed_items_free(pg.items, pg.n);
        return rc;
    }
    if (pg.n > limit) {
        item_clear(&pg.items[--pg.n]);
        *next_cursor = (long long)pg.items[pg.n - 1].index + 1;
    }
    if (pg.n == 0) {
        free(pg.items);
        pg.items = NULL;
    }
    *items = pg.items;
    *n = pg.n;
    return KBJ_OK;
}
