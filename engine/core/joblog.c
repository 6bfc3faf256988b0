/*
 * joblog.c - per-job JSON-lines logs: append one whole line per write(), read by
 * cursor, tail backwards, delete.
 */
#include "joblog.h"
#include "utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "fsutil.h"

#define LOG_PATH_CAP 4096
#define TAIL_BLOCK ((size_t)65536)

/* Builds the log's path, or fails with KBJ_EINVAL naming what is wrong. */
static int log_path(char *out, size_t cap, const char *data_dir, const char *job_id,
                    kbj_err *err)
{
    if (!kbj_fs_safe_name(job_id))
        return kbj_fail(err, KBJ_EINVAL, "invalid job id \"%.200s\"",
                        job_id ? job_id : "(null)");
    return kbj_fs_path(out, cap, data_dir, "logs", job_id, ".log", err);
}

static const char *io_reason(int e)
{
    return e == ENOSPC ? "no space left on device (ENOSPC)" : strerror(e);
}

void kbj_logread_free(kbj_logread *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->count; i++)
        free(r->lines[i]);
    free(r->lines);
    memset(r, 0, sizeof *r);
}

/* ---- append ---------------------------------------------------------------------- */

static int valid_level(const char *level)
{
    static const char *const levels[] = { "debug", "info", "warning", "error" };
    if (!level)
        return 0;
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
        if (strcmp(level, levels[i]) == 0)
            return 1;
    return 0;
}

/* "2026-11-23T02:46:17.123456Z" (27 characters) into buf. */
static void utc_timestamp(char *buf, size_t cap)
{
    struct timespec ts;
    struct tm tm;
    size_t n;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    n = strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, cap - n, ".%06ldZ", (long)(ts.tv_nsec / 1000));
}

/* The line for `msg` (mlen bytes of valid UTF-8), compact, without newline: a new
 * string in *line, its length in *len. Returns 0 or KBJ_ENOMEM. */
static int render_line(const char *ts, const char *level, const char *msg, size_t mlen,
                       int truncated, json_t *ctx, char **line, size_t *len)
{
    json_t *o = json_object();
    int bad = !o;

    bad |= json_object_set_new(o, "ts", json_string(ts));
    bad |= json_object_set_new(o, "level", json_string(level));
    bad |= json_object_set_new(o, "msg", json_stringn(msg, mlen));
    if (truncated)
        bad |= json_object_set_new(o, "truncated", json_true());
    if (ctx)
        bad |= json_object_set(o, "ctx", ctx);
    *line = bad ? NULL : json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!*line)
        return KBJ_ENOMEM;
    *len = strlen(*line);
    return KBJ_OK;
}

/* The most bytes jansson can emit for the UTF-8 character at s (k bytes). */
static size_t escaped_cost(const unsigned char *s, size_t k)
{
    if (k > 1)
        return k;
    if (s[0] == '"' || s[0] == '\\')
        return 2;
    if (s[0] < 0x20 || s[0] == 0x7F)
        return 6; /* \u00XX at most */
    return 1;
}

/* The longest prefix of msg (valid UTF-8) whose escaped form fits `budget` bytes. */
static size_t fit_prefix(const char *msg, size_t mlen, size_t budget)
{
    const unsigned char *s = (const unsigned char *)msg;
    size_t i = 0, used = 0;
    while (i < mlen) {
        uint32_t cp;
        size_t k = kbj_utf8_decode(s + i, mlen - i, &cp);
        size_t c = escaped_cost(s + i, k);
        if (k == 0 || used + c > budget)
            break;
        used += c;
        i += k;
    }
    return i;
}

/* Cuts `cut` back by at least `excess` bytes, onto a character boundary of msg. */
static size_t shrink_prefix(const char *msg, size_t cut, size_t excess)
{
    return excess >= cut ? 0 : kbj_utf8_cut(msg, cut, cut - excess);
}

/* Writes the line (newline included) with one write(). */
static int append_line(const char *path, const char *line, size_t len, kbj_err *err)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0 && errno == ENOENT) {
        /* Create logs/ but never the data directory itself: a missing data directory
         * (an unmounted shared volume) must fail, not fill the local disk. */
        char dir[LOG_PATH_CAP];
        size_t dlen = (size_t)(strrchr(path, '/') - path);
        memcpy(dir, path, dlen);
        dir[dlen] = '\0';
        if (mkdir(dir, 0750) != 0 && errno != EEXIST)
            return kbj_fail(err, KBJ_EIO, "cannot create log directory %s: %s", dir,
                            io_reason(errno));
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    }
    if (fd < 0)
        return kbj_fail(err, KBJ_EIO, "cannot open log %s: %s", path, io_reason(errno));

    ssize_t n;
    do
        n = write(fd, line, len);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        int e = errno;
        close(fd);
        return kbj_fail(err, KBJ_EIO, "cannot append to log %s: %s", path, io_reason(e));
    }
    if ((size_t)n < len) {
        /* End the torn line so the next append starts a line of its own. */
        const char *why = "the system wrote part of it (disk full?)";
        if (n > 0 && write(fd, "\n", 1) < 0)
            why = io_reason(errno);
        close(fd);
        return kbj_fail(err, KBJ_EIO, "log line to %s cut short after %zd of %zu bytes: %s",
                        path, n, len, why);
    }
    if (close(fd) != 0 && errno != EINTR)
        return kbj_fail(err, KBJ_EIO, "cannot append to log %s: %s", path, io_reason(errno));
    return KBJ_OK;
}

int kbj_joblog_append(const char *data_dir, const char *job_id, const char *level,
                      const char *message, const char *context_json, kbj_err *err)
{
    char path[LOG_PATH_CAP], ts[64];
    json_t *ctx = NULL;
    char *msg = NULL, *line = NULL;
    size_t rawlen, mlen, len;
    int truncated, rc;

    rc = log_path(path, sizeof path, data_dir, job_id, err);
    if (rc != KBJ_OK)
        return rc;
    if (!valid_level(level))
        return kbj_fail(err, KBJ_EINVAL, "log level \"%.40s\" is not one of debug, info, "
                        "warning, error", level ? level : "(null)");
    if (!message)
        return kbj_fail(err, KBJ_EINVAL, "log message is missing");
    if (context_json) {
        json_error_t jerr;
        if (strnlen(context_json, KBJ_JOBLOG_MAX_LINE) >= KBJ_JOBLOG_MAX_LINE)
            return kbj_fail(err, KBJ_EINVAL, "log context is too large (limit %d bytes)",
                            KBJ_JOBLOG_MAX_LINE);
        ctx = json_loads(context_json, JSON_REJECT_DUPLICATES, &jerr);
        if (!ctx)
            return kbj_fail(err, KBJ_EINVAL, "log context is not valid JSON: %s (column %d)",
                            jerr.text, jerr.column);
        if (!json_is_object(ctx)) {
            json_decref(ctx);
            return kbj_fail(err, KBJ_EINVAL, "log context must be a JSON object");
        }
    }

    /* Only the first KBJ_JOBLOG_MAX_LINE bytes of a message can ever fit a line. */
    rawlen = strnlen(message, KBJ_JOBLOG_MAX_LINE + 1);
    truncated = rawlen > KBJ_JOBLOG_MAX_LINE;
    if (truncated)
        rawlen = KBJ_JOBLOG_MAX_LINE;
    if (kbj_utf8_sanitize(message, rawlen, &msg, &mlen) != KBJ_OK) {
        rc = kbj_fail(err, KBJ_ENOMEM, "out of memory formatting a log line");
        goto done;
    }
    utc_timestamp(ts, sizeof ts);

    rc = render_line(ts, level, msg, mlen, truncated, ctx, &line, &len);
    if (rc == KBJ_OK && (truncated || len + 1 > KBJ_JOBLOG_MAX_LINE)) {
        /* Too long: measure the line around an empty message, then keep the longest
         * prefix that fits, checking the result (the cost estimate is an upper bound). */
        size_t base, cut;
        free(line);
        line = NULL;
        rc = render_line(ts, level, "", 0, 1, ctx, &line, &base);
        if (rc != KBJ_OK)
            goto done;
        if (base + 1 > KBJ_JOBLOG_MAX_LINE) {
            rc = kbj_fail(err, KBJ_EINVAL, "log context is too large for a log line "
                          "(limit %d bytes)", KBJ_JOBLOG_MAX_LINE);
            goto done;
        }
        cut = fit_prefix(msg, mlen, KBJ_JOBLOG_MAX_LINE - 1 - base);
        for (;;) {
            free(line);
            line = NULL;
            rc = render_line(ts, level, msg, cut, 1, ctx, &line, &len);
            if (rc != KBJ_OK || len + 1 <= KBJ_JOBLOG_MAX_LINE)
                break;
            cut = shrink_prefix(msg, cut, len + 1 - KBJ_JOBLOG_MAX_LINE);
        }
    }
    if (rc != KBJ_OK) {
        rc = kbj_fail(err, KBJ_ENOMEM, "out of memory formatting a log line");
        goto done;
    }
    /* json_dumps leaves room for nothing: make room for the newline. */
    {
        char *nl = realloc(line, len + 2);
        if (!nl) {
            rc = kbj_fail(err, KBJ_ENOMEM, "out of memory formatting a log line");
            goto done;
        }
        line = nl;
        line[len] = '\n';
        line[len + 1] = '\0';
    }
    rc = append_line(path, line, len + 1, err);

done:
    free(line);
    free(msg);
    json_decref(ctx);
    return rc;
}

/* ---- reading --------------------------------------------------------------------- */

/* Reads exactly len bytes at off. Returns 0, or -1 with errno set (EIO when the file
 * ended first). */
static int pread_full(int fd, char *buf, size_t len, unsigned long long off)
{
    while (len > 0) {
        ssize_t n = pread(fd, buf, len, (off_t)off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0) {
            errno = EIO;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
        off += (unsigned long long)n;
    }
    return 0;
}

/* Appends the non-empty lines of data[0, len) (which ends with '\n') to out. */
static int add_lines(kbj_logread *out, const char *data, size_t len)
{
    size_t nlines = 0, i, from;
    char **lines;

    for (i = 0; i < len; i++)
        if (data[i] == '\n' && (i == 0 || data[i - 1] != '\n'))
            nlines++;
    if (nlines == 0)
        return KBJ_OK;
    lines = realloc(out->lines, (out->count + nlines) * sizeof *lines);
    if (!lines)
        return KBJ_ENOMEM;
    out->lines = lines;
    for (i = 0, from = 0; i < len; i++) {
        if (data[i] != '\n')
            continue;
        if (i > from) {
            char *l = malloc(i - from + 1);
            if (!l)
                return KBJ_ENOMEM;
            memcpy(l, data + from, i - from);
            l[i - from] = '\0';
            out->lines[out->count++] = l;
        }
        from = i + 1;
    }
    return KBJ_OK;
}

/* Opens the log read-only and stats it. Returns 1 when it exists, 0 when it does not,
 * or a negative code. */
static int open_log(const char *path, int *fd, unsigned long long *size, kbj_err *err)
{
    struct stat st;
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    if (*fd < 0) {
        if (errno == ENOENT)
            return 0;
        return kbj_fail(err, KBJ_EIO, "cannot open log %s: %s", path, io_reason(errno));
    }
    if (fstat(*fd, &st) != 0) {
        int e = errno;
        close(*fd);
        *fd = -1;
        return kbj_fail(err, KBJ_EIO, "cannot stat log %s: %s", path, io_reason(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(*fd);
        *fd = -1;
        return kbj_fail(err, KBJ_EIO, "log %s is not a regular file", path);
    }
    *size = (unsigned long long)st.st_size;
    return 1;
}

/* Past a line longer than the read buffer: finds the next '\n' at or after `off`.
 * Sets *next to the offset after it, or to 0 when the file ends first. */
static int skip_long_line(int fd, unsigned long long off, unsigned long long size,
                          unsigned long long *next, unsigned long long *bytes_read)
{
    char block[4096];
    *next = 0;
    while (off < size) {
        size_t want = size - off < sizeof block ? (size_t)(size - off) : sizeof block;
        if (pread_full(fd, block, want, off) != 0)
            return -1;
        *bytes_read += want;
        char *nl = memchr(block, '\n', want);
        if (nl) {
            *next = off + (unsigned long long)(nl - block) + 1;
            return 0;
        }
        off += want;
    }
    return 0;
}

int kbj_joblog_read(const char *data_dir, const char *job_id, unsigned long long cursor,
                    size_t max_bytes, kbj_logread *out, kbj_err *err)
{
    char path[LOG_PATH_CAP];
    unsigned long long size, start;
    char *buf = NULL;
    size_t want, skip;
    int fd, rc;

    if (!out)
        return kbj_fail(err, KBJ_EINVAL, "no result to fill");
    memset(out, 0, sizeof *out);
    rc = log_path(path, sizeof path, data_dir, job_id, err);
    if (rc != KBJ_OK)
        return rc;
    if (max_bytes == 0)
        max_bytes = KBJ_JOBLOG_DEFAULT_READ;
    if (max_bytes < KBJ_JOBLOG_MAX_LINE + 1)
        max_bytes = KBJ_JOBLOG_MAX_LINE + 1;
    if (max_bytes > KBJ_JOBLOG_MAX_READ)
        max_bytes = KBJ_JOBLOG_MAX_READ;

    rc = open_log(path, &fd, &size, err);
    if (rc <= 0) {
        if (rc == 0) {
            out->next_cursor = cursor;
            out->eof = 1;
        }
        return rc;
    }
    if (cursor > size) {
        close(fd);
        return kbj_fail(err, KBJ_EINVAL, "log cursor %llu is past the end of the log "
                        "(%llu bytes)", cursor, size);
    }
    /* Read from the byte before the cursor too, to check it ends a line. */
    skip = cursor > 0 ? 1 : 0;
    start = cursor - skip;
    want = size - start < max_bytes ? (size_t)(size - start) : max_bytes;
    buf = malloc(want + 1);
    if (!buf) {
        close(fd);
        return kbj_fail(err, KBJ_ENOMEM, "out of memory reading log %s", path);
    }
    if (pread_full(fd, buf, want, start) != 0)
        goto io_error;
    out->bytes_read = want;
    if (skip && buf[0] != '\n') {
        free(buf);
        close(fd);
        memset(out, 0, sizeof *out);
        return kbj_fail(err, KBJ_EINVAL, "log cursor %llu is not at the start of a line",
                        cursor);
    }

    {
        const char *data = buf + skip;
        size_t dlen = want - skip, end = dlen;
        int at_end = start + want == size;

        while (end > 0 && data[end - 1] != '\n')
            end--;
        if (end > 0) {
            if (add_lines(out, data, end) != KBJ_OK) {
                rc = kbj_fail(err, KBJ_ENOMEM, "out of memory reading log %s", path);
                goto fail;
            }
            out->next_cursor = cursor + end;
            out->eof = at_end;
        } else if (at_end) { /* nothing, or only a torn line */
            out->next_cursor = cursor;
            out->eof = 1;
        } else { /* one line longer than the buffer: a damaged log */
            unsigned long long next;
            if (skip_long_line(fd, start + want, size, &next, &out->bytes_read) != 0)
                goto io_error;
            out->next_cursor = next ? next : cursor;
            out->eof = next ? next == size : 1;
        }
    }
    free(buf);
    close(fd);
    return KBJ_OK;

io_error:
    rc = kbj_fail(err, KBJ_EIO, "cannot read log %s: %s", path, io_reason(errno));
fail:
    free(buf);
    close(fd);
    kbj_logread_free(out);
    return rc;
}

/*
 * The blocks a tail has read, backwards from the end of the file: block i holds
 * [size - (i+1)*TAIL_BLOCK, size - i*TAIL_BLOCK), the last one clipped at 0.
 */
typedef struct tail_blocks {
    char **blk;
    size_t n;
    unsigned long long size;
} tail_blocks;

static unsigned long long block_lo(const tail_blocks *t, size_t i)
{
    unsigned long long back = (unsigned long long)(i + 1) * TAIL_BLOCK;
    return back >= t->size ? 0 : t->size - back;
}

/* Copies [a, b) out of the blocks into dst. */
static void blocks_copy(const tail_blocks *t, unsigned long long a, unsigned long long b,
                        char *dst)
{
    while (a < b) {
        size_t i = (size_t)((t->size - 1 - a) / TAIL_BLOCK);
        unsigned long long lo = block_lo(t, i), hi = t->size - (unsigned long long)i * TAIL_BLOCK;
        size_t take = (size_t)((b < hi ? b : hi) - a);
        memcpy(dst, t->blk[i] + (a - lo), take);
        dst += take;
        a += take;
    }
}

/* Adds the non-empty lines of [a, b) (b - 1 is a '\n') to out, oldest first. */
static int blocks_add_lines(const tail_blocks *t, unsigned long long a, unsigned long long b,
                            kbj_logread *out)
{
    size_t nlines = 0;
    unsigned long long from = a;

    for (unsigned long long x = a; x < b; x++) {
        size_t i = (size_t)((t->size - 1 - x) / TAIL_BLOCK);
        if (t->blk[i][x - block_lo(t, i)] == '\n')
            nlines++;
    }
    if (nlines == 0)
        return KBJ_OK;
    out->lines = malloc(nlines * sizeof *out->lines);
    if (!out->lines)
        return KBJ_ENOMEM;
    for (unsigned long long x = a; x < b; x++) {
        size_t i = (size_t)((t->size - 1 - x) / TAIL_BLOCK);
        if (t->blk[i][x - block_lo(t, i)] != '\n')
            continue;
        if (x > from) {
            size_t n = (size_t)(x - from);
            char *l = malloc(n + 1);
            if (!l)
                return KBJ_ENOMEM;
            blocks_copy(t, from, x, l);
            l[n] = '\0';
            out->lines[out->count++] = l;
        }
        from = x + 1;
    }
    return KBJ_OK;
}

static void blocks_free(tail_blocks *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->blk[i]);
    free(t->blk);
}

int kbj_joblog_tail(const char *data_dir, const char *job_id, size_t n, kbj_logread *out,
                    kbj_err *err)
{
    enum { MAX_BLOCKS = KBJ_JOBLOG_MAX_READ / TAIL_BLOCK };
    char path[LOG_PATH_CAP];
    tail_blocks t = { 0 };
    unsigned long long size, lo, end = 0, start = 0, first_nl = 0;
    size_t found = 0;
    int have_end = 0, have_start = 0, fd, rc;

    if (!out)
        return kbj_fail(err, KBJ_EINVAL, "no result to fill");
    memset(out, 0, sizeof *out);
    rc = log_path(path, sizeof path, data_dir, job_id, err);
    if (rc != KBJ_OK)
        return rc;
    if (n < 1)
        n = 1;
    if (n > KBJ_JOBLOG_MAX_TAIL)
        n = KBJ_JOBLOG_MAX_TAIL;

    rc = open_log(path, &fd, &size, err);
    if (rc <= 0) {
        if (rc == 0)
            out->eof = 1;
        return rc;
    }
    rc = KBJ_OK;
    t.size = size;
    t.blk = calloc(MAX_BLOCKS, sizeof *t.blk);
    if (!t.blk) {
        close(fd);
        return kbj_fail(err, KBJ_ENOMEM, "out of memory reading log %s", path);
    }

    /* Read blocks backwards until the n+1-th newline from the end (the one before the
     * first wanted line), the start of the file, or the read limit. */
    lo = size;
    while (lo > 0 && !have_start && t.n < MAX_BLOCKS) {
        unsigned long long blo = block_lo(&t, t.n);
        size_t len = (size_t)(lo - blo);
        char *b = malloc(len);
        if (!b) {
            rc = kbj_fail(err, KBJ_ENOMEM, "out of memory reading log %s", path);
            goto done;
        }
        t.blk[t.n++] = b;
        if (pread_full(fd, b, len, blo) != 0) {
            rc = kbj_fail(err, KBJ_EIO, "cannot read log %s: %s", path, io_reason(errno));
            goto done;
        }
        out->bytes_read += len;
        for (size_t k = len; k-- > 0;) {
            if (b[k] != '\n')
                continue;
            if (!have_end) { /* the newline that ends the last complete line */
                have_end = 1;
                end = blo + k + 1;
            } else if (++found == n) {
                have_start = 1;
                start = blo + k + 1;
                break;
            } else {
                first_nl = blo + k;
            }
        }
        lo = blo;
    }

    if (!have_end) {
        if (lo > 0) {
            rc = kbj_fail(err, KBJ_EIO, "log %s is damaged: its last %u bytes hold no "
                          "complete line", path, KBJ_JOBLOG_MAX_READ);
            goto done;
        }
        out->eof = 1; /* nothing yet, or only a torn line */
        goto done;
    }
    if (!have_start) {
        if (lo == 0)
            start = 0;
        else if (found > 0) /* the read limit: keep the lines wholly inside it */
            start = first_nl + 1;
        else
            start = end; /* the last line alone is longer than the limit */
    }
    if (blocks_add_lines(&t, start, end, out) != KBJ_OK) {
        rc = kbj_fail(err, KBJ_ENOMEM, "out of memory reading log %s", path);
        goto done;
    }
    out->next_cursor = end;
    out->eof = 1;

done:
    blocks_free(&t);
    close(fd);
    if (rc != KBJ_OK)
        kbj_logread_free(out);
    return rc;
}

int kbj_joblog_delete(const char *data_dir, const char *job_id, kbj_err *err)
{
    char path[LOG_PATH_CAP];
    int rc = log_path(path, sizeof path, data_dir, job_id, err);
    if (rc != KBJ_OK)
        return rc;
    if (unlink(path) != 0 && errno != ENOENT)
        return kbj_fail(err, KBJ_EIO, "cannot remove log %s: %s", path, io_reason(errno));
    return KBJ_OK;
}
