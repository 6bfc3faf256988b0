/*
 * reconcile_run.c - what every stream of a reconciliation writes through: its position,
 * its findings (to the report, counted by kind), its items (progress, the stop hook)
 * and its saved state.
 *
 * The state saved (after save_items items once save_ms passed, and when stopped) is the position and the
 * counts after the report was made durable, with the report's length then; a resumed
 * run cuts the report back to that length and goes on after the position. It is a JSON
 * object: {"v":1, "stream", "top" and "name" (hex of the names' bytes, which need not
 * be UTF-8), "row", "report_bytes", "counts", "scanned", "total"}.
 */
#include "reconcile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ids.h"

static const char *const kind_names[RK_COUNT] = { "ghost", "orphan", "drift", "unsafe" };

/* ---- position, findings, items ---------------------------------------------------- */

int recon_set_pos(recon *r, int stream, const char *top, const char *name)
{
    char *t = top ? strdup(top) : NULL, *n = name ? strdup(name) : NULL;
    if ((top && !t) || (name && !n)) {
        free(t);
        free(n);
        return kbj_fail(r->err, KBJ_ENOMEM, "out of memory");
    }
    free(r->top);
    free(r->name);
    r->stream = stream;
    r->top = t;
    r->name = n;
    return KBJ_OK;
}

/* "<dir>[/<top>[/<name>]]", each name escaped; 1 when anything was. */
static int rel_path(int dir, const char *top, const char *name, char *out, size_t cap)
{
    size_t o;
    int esc = 0;
    snprintf(out, cap, "%s", kbj_rdir_name(dir));
    for (int i = 0; i < 2; i++) {
        const char *part = i ? name : top;
        if (!part || (o = strlen(out)) + 2 >= cap)
            break;
        out[o++] = '/';
        esc |= kbj_rname_escape(part, out + o, cap - o);
    }
    return esc;
}

int recon_finding(recon *r, int kind, const char *reason, int dir, const char *top, const char *name,
                  json_t *extra)
{
    char path[2200]; /* two names of 255 bytes, every byte escaped in four */
    int esc = rel_path(dir, top, name, path, sizeof path), rc;
    json_t *f = json_pack("{s:s, s:s, s:s}", "kind", kind_names[kind], "reason", reason, "path", path);
    if (f && esc)
        json_object_set_new(f, "escaped", json_true());
    if (f && extra)
        json_object_update(f, extra);
    json_decref(extra);
    if (!f)
        return kbj_fail(r->err, KBJ_ENOMEM, "out of memory");
    rc = kbj_rreport_add(r->report, f, r->err);
    json_decref(f);
    if (rc == KBJ_OK)
        r->counts[kind]++;
    return rc;
}

static const char *file_type(mode_t m)
{
    return S_ISDIR(m) ? "directory" : S_ISFIFO(m) ? "fifo" : S_ISSOCK(m) ? "socket"
         : S_ISCHR(m) || S_ISBLK(m) ? "device" : "other";
}

int recon_unsafe(recon *r, int parent_fd, const char *entry, const struct stat *sb, int hostile, int dir,
                 const char *top, const char *name)
{
    int rc;
    if (S_ISLNK(sb->st_mode)) {
        char target[1024], shown[4100];
        ssize_t n = readlinkat(parent_fd, entry, target, sizeof target - 1);
        target[n > 0 ? n : 0] = '\0';
        kbj_rname_escape(target, shown, sizeof shown);
        rc = recon_finding(r, RK_UNSAFE, "symlink", dir, top, name, json_pack("{s:s}", "target", shown));
    } else if (hostile) {
        rc = recon_finding(r, RK_UNSAFE, "hostile_name", dir, top, name, NULL);
    } else if (!S_ISREG(sb->st_mode)) {
        rc = recon_finding(r, RK_UNSAFE, "not_regular_file", dir, top, name,
                           json_pack("{s:s}", "type", file_type(sb->st_mode)));
    } else {
        return 0;
    }
    return rc ? rc : 1;
}

int recon_recent(recon *r, const struct stat *sb)
{
    /* the modification time: what a writer moves (an atomic write's rename keeps the
     * temporary file's, which is when the content was written) */
    if ((double)sb->st_mtime > r->now - r->o.grace_seconds) {
        r->recent++;
        return 1;
    }
    return 0;
}

/* ---- saved state -------------------------------------------------------------------- */

static json_t *hex_of(const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = s ? strlen(s) : 0;
    char *h;
    json_t *j;
    if (!s)
        return json_null();
    if (!(h = malloc(2 * n + 1)))
        return NULL;
    for (size_t i = 0; i < n; i++) {
        h[2 * i] = hex[(unsigned char)s[i] >> 4];
        h[2 * i + 1] = hex[(unsigned char)s[i] & 15];
    }
    h[2 * n] = '\0';
    j = json_string(h);
    free(h);
    return j;
}

/* A name back from its hex (NULL for JSON null); 0, or -1 when malformed. */
static int unhex(const json_t *j, char **out)
{
    const char *h = json_string_value(j);
    size_t n;
    *out = NULL;
    if (json_is_null(j))
        return 0;
    if (!h || (n = strlen(h)) % 2 || n / 2 > 255 || !(*out = malloc(n / 2 + 1)))
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(h + 2 * i, "%2x", &v) != 1 || v == 0 || v == '/') {
            free(*out);
            *out = NULL;
            return -1;
        }
        (*out)[i] = (char)v;
    }
    (*out)[n / 2] = '\0';
    return 0;
}

json_t *recon_counts_json(const recon *r)
{
    return json_pack("{s:I, s:I, s:I, s:I}", "ghost", (json_int_t)r->counts[RK_GHOST], "orphan",
                     (json_int_t)r->counts[RK_ORPHAN], "drift", (json_int_t)r->counts[RK_DRIFT], "unsafe",
                     (json_int_t)r->counts[RK_UNSAFE]);
}

json_t *recon_scanned_json(const recon *r)
{
    return json_pack("{s:I, s:I, s:I, s:I, s:I}", "index_rows", (json_int_t)r->rows, "artifact_files",
                     (json_int_t)r->artifact_files, "job_files", (json_int_t)r->job_files, "recent",
                     (json_int_t)r->recent, "items", (json_int_t)r->items);
}

static int save(recon *r)
{
    json_t *s;
    char *text;
    int rc;
    if (!r->o.save)
        return KBJ_OK;
    if ((rc = kbj_rreport_sync(r->report, r->err))) /* the state never names bytes a crash can lose */
        return rc;
    s = json_pack("{s:i, s:i, s:o, s:o, s:s, s:I, s:o, s:o, s:I}", "v", 1, "stream", r->stream, "top",
                  hex_of(r->top), "name", hex_of(r->name), "row", r->row_after, "report_bytes",
                  (json_int_t)kbj_rreport_bytes(r->report), "counts", recon_counts_json(r), "scanned",
                  recon_scanned_json(r), "total", (json_int_t)r->total);
    text = s ? json_dumps(s, JSON_COMPACT) : NULL;
    json_decref(s);
    if (!text)
        return kbj_fail(r->err, KBJ_ENOMEM, "out of memory saving the reconciliation's state");
    rc = r->o.save(r->o.arg, text);
    free(text);
    r->unsaved = 0;
    r->saved_at = kbj_monotonic();
    if (rc) {
        char why[sizeof r->err->msg];
        kbj_copy(why, sizeof why, r->err->msg[0] ? r->err->msg : "the save hook failed");
        return kbj_fail(r->err, rc < 0 ? rc : KBJ_EIO, "cannot save the reconciliation's state: %s", why);
    }
    return KBJ_OK;
}

static unsigned long long get_u(const json_t *o, const char *k)
{
    json_int_t v = json_integer_value(json_object_get(o, k));
    return v > 0 ? (unsigned long long)v : 0;
}

int recon_restore(recon *r, const char *state, long long *bytes)
{
    json_t *s = json_loads(state, 0, NULL), *c, *sc;
    const char *row;
    char *top = NULL, *name = NULL;
    int stream, ok;

    stream = (int)json_integer_value(json_object_get(s, "stream"));
    row = json_string_value(json_object_get(s, "row"));
    c = json_object_get(s, "counts");
    sc = json_object_get(s, "scanned");
    ok = s && json_integer_value(json_object_get(s, "v")) == 1 && stream >= 0 && stream <= KBJ_RDIR_COUNT &&
         row && strlen(row) < sizeof r->row_after && json_is_object(c) && json_is_object(sc) &&
         json_is_integer(json_object_get(s, "report_bytes")) &&
         unhex(json_object_get(s, "top"), &top) == 0 && unhex(json_object_get(s, "name"), &name) == 0 &&
         (!name || top);
    if (ok) {
        r->stream = stream;
        r->top = top;
        r->name = name;
        kbj_copy(r->row_after, sizeof r->row_after, row);
        for (int k = 0; k < RK_COUNT; k++)
            r->counts[k] = get_u(c, kind_names[k]);
        r->rows = get_u(sc, "index_rows");
        r->artifact_files = get_u(sc, "artifact_files");
        r->job_files = get_u(sc, "job_files");
        r->recent = get_u(sc, "recent");
        r->items = get_u(sc, "items");
        r->total = (long long)get_u(s, "total");
        *bytes = json_integer_value(json_object_get(s, "report_bytes"));
    } else {
        free(top);
        free(name);
    }
    json_decref(s);
    return ok ? KBJ_OK : kbj_fail(r->err, KBJ_ECORRUPT, "the reconciliation's saved state is not usable");
}

int recon_item_done(recon *r, unsigned long long n)
{
    r->items += n;
    r->unsaved += n;
    if (r->o.progress)
        r->o.progress(r->o.arg, (long long)r->items < r->total ? (long long)r->items : r->total,
                      r->total, kbj_rdir_name(r->stream));
    if (r->o.should_stop && r->o.should_stop(r->o.arg)) {
        int rc = save(r);
        return rc ? rc : kbj_fail(r->err, KBJ_ESTOPPED, "the reconciliation was stopped");
    }
    return r->unsaved >= r->o.save_items && (kbj_monotonic() - r->saved_at) * 1000 >= r->o.save_ms ? save(r) : KBJ_OK;
}
