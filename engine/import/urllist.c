/*
 * urllist.c - URL list files: lists/<job>.urls and its offset index lists/<job>.idx,
 * written from a bounded stream of lines, read by chunks with pread.
 */
#include "urllist.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "url.h"

#define LIST_PATH_CAP 4096
#define WBUF_CAP ((size_t)65536)
#define IDX_ENTRY 8

static const char *io_reason(int e)
{
    return e == ENOSPC ? "no space left on device (ENOSPC)" : strerror(e);
}

/* Builds lists/<job><suffix>, or fails with KBJ_EINVAL naming what is wrong. */
static int list_path(char *out, size_t cap, const char *data_dir, const char *job_id,
                     const char *suffix, kbj_err *err)
{
    if (!kbj_fs_safe_name(job_id))
        return kbj_fail(err, KBJ_EINVAL, "invalid job id \"%.200s\"",
                        job_id ? job_id : "(null)");
    return kbj_fs_path(out, cap, data_dir, "lists", job_id, suffix, err);
}

static void put_le64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* ---- SipHash-2-4 (Aumasson and Bernstein), 64-bit output ------------------------- */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                      \
    do {                                                                              \
        v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);                     \
        v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                                        \
        v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                                        \
        v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);                     \
    } while (0)

static uint64_t siphash24(const unsigned char *in, size_t len, uint64_t k0, uint64_t k1)
{
    uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
    uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
    uint64_t b = (uint64_t)len << 56, m;
    size_t i, full = len - len % 8;

    for (i = 0; i < full; i += 8) {
        m = get_le64(in + i);
        v3 ^= m;
        SIPROUND;
        SIPROUND;
        v0 ^= m;
    }
    for (size_t j = 0; i + j < len; j++)
        b |= (uint64_t)in[i + j] << (8 * j);
    v3 ^= b;
    SIPROUND;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

/* A random hash key; getrandom() should not fail, but a clock/pid mix stands in. */
static void random_key(uint64_t key[2])
{
    static atomic_ullong fallback_counter;
    if (getrandom(key, 2 * sizeof key[0], 0) == (ssize_t)(2 * sizeof key[0]))
        return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    key[0] = (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15ULL ^ (uint64_t)ts.tv_sec;
    key[1] = ((uint64_t)getpid() << 32) ^ atomic_fetch_add(&fallback_counter, 1) ^
             (uint64_t)(uintptr_t)&ts;
}

/* ---- a set of 64-bit hashes: open addressing, linear probing, load <= 3/4 ---------- */

typedef struct hset {
    uint64_t *slots; /* 0 marks an empty slot; hash 0 is stored as 1 */
    size_t cap, used;
} hset;

static int hset_grow(hset *s)
{
    size_t ncap = s->cap ? s->cap * 2 : 1024;
    uint64_t *n;
    if (ncap > SIZE_MAX / sizeof *n)
        return -1;
    n = calloc(ncap, sizeof *n);
    if (!n)
        return -1;
    for (size_t i = 0; i < s->cap; i++) {
        uint64_t h = s->slots[i];
        if (!h)
            continue;
        size_t j = (size_t)h & (ncap - 1);
        while (n[j])
            j = (j + 1) & (ncap - 1);
        n[j] = h;
    }
    free(s->slots);
    s->slots = n;
    s->cap = ncap;
    return 0;
}

/* 1 when h was added, 0 when it was there already, -1 when out of memory. */
static int hset_add(hset *s, uint64_t h)
{
    size_t i;
    if (h == 0)
        h = 1;
    if ((s->used + 1) * 4 > s->cap * 3 && hset_grow(s) != 0)
        return -1;
    for (i = (size_t)h & (s->cap - 1); s->slots[i]; i = (i + 1) & (s->cap - 1))
        if (s->slots[i] == h)
            return 0;
    s->slots[i] = h;
    s->used++;
    return 1;
}

/* ---- buffered output to a temporary file ----------------------------------------- */

typedef struct wfile {
    int fd;
    char tmp[LIST_PATH_CAP];  /* the temporary file */
    char path[LIST_PATH_CAP]; /* the final name */
    unsigned char *buf;
    size_t len;
} wfile;

static int wfile_flush(wfile *w, kbj_err *err)
{
    size_t done = 0;
    while (done < w->len) {
        ssize_t n = write(w->fd, w->buf + done, w->len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return kbj_fail(err, KBJ_EIO, "cannot write %s: %s", w->tmp,
                            n < 0 ? io_reason(errno) : "nothing written");
        done += (size_t)n;
    }
    w->len = 0;
    return KBJ_OK;
}

static int wfile_put(wfile *w, const void *data, size_t len, kbj_err *err)
{
    if (w->len + len > WBUF_CAP) {
        int rc = wfile_flush(w, err);
        if (rc != KBJ_OK)
            return rc;
    }
    memcpy(w->buf + w->len, data, len); /* len <= KBJ_URL_MAX + 1 < WBUF_CAP */
    w->len += len;
    return KBJ_OK;
}

/* Creates the temporary file beside `path`: "<dir>/.<base>.tmp.<pid>.<counter>". */
static int wfile_open(wfile *w, const char *path, kbj_err *err)
{
    static atomic_uint counter;
    const char *slash = strrchr(path, '/');
    int n;

    w->fd = -1;
    w->len = 0;
    w->tmp[0] = '\0';
    snprintf(w->path, sizeof w->path, "%s", path);
    n = snprintf(w->tmp, sizeof w->tmp, "%.*s/.%s.tmp.%ld.%u", (int)(slash - path), path,
                 slash + 1, (long)getpid(), atomic_fetch_add(&counter, 1u));
    if (n < 0 || (size_t)n >= sizeof w->tmp) {
        w->tmp[0] = '\0';
        return kbj_fail(err, KBJ_EINVAL, "list path is too long");
    }
    w->buf = malloc(WBUF_CAP);
    if (!w->buf) {
        w->tmp[0] = '\0';
        return kbj_fail(err, KBJ_ENOMEM, "out of memory for a list write buffer");
    }
    w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (w->fd < 0) {
        int e = errno;
        w->tmp[0] = '\0';
        return kbj_fail(err, KBJ_EIO, "cannot create a temporary list file beside %s: %s",
                        path, io_reason(e));
    }
    return KBJ_OK;
}

/* Flushes, fsyncs and closes; the file stays under its temporary name. */
static int wfile_finish(wfile *w, kbj_err *err)
{
    int rc = wfile_flush(w, err);
    if (rc != KBJ_OK)
        return rc;
    if (fsync(w->fd) != 0)
        return kbj_fail(err, KBJ_EIO, "cannot sync %s: %s", w->tmp, io_reason(errno));
    int fd = w->fd;
    w->fd = -1;
    if (close(fd) != 0 && errno != EINTR)
        return kbj_fail(err, KBJ_EIO, "cannot write %s: %s", w->tmp, io_reason(errno));
    return KBJ_OK;
}

/* Closes and removes whatever temporary file is left. */
static void wfile_discard(wfile *w)
{
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
    if (w->tmp[0])
        unlink(w->tmp);
    w->tmp[0] = '\0';
    free(w->buf);
    w->buf = NULL;
}

/* ---- writing a list ---------------------------------------------------------------- */

/* A rejected line named in the "no valid URL" error. */
typedef struct first_reject {
    unsigned long long line;
    char reason[64];
} first_reject;

typedef struct writer {
    wfile urls, idx;
    hset seen;
    uint64_t key[2];
    uint64_t offset; /* bytes written to .urls so far */
    unsigned long long max_bytes, max_lines;
    kbj_urllist_report rep;
    kbj_urllist_reject_fn on_reject;
    void *arg;
    size_t nfirst;
    first_reject first[KBJ_URLLIST_ERROR_LINES];
    int check_only;  /* read and count, write nothing (kbj_urllist_check) */
} writer;

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static void reject(writer *w, const char *line, size_t len, const char *reason)
{
    char excerpt[KBJ_URLLIST_EXCERPT_MAX + 1];
    size_t n = len < KBJ_URLLIST_EXCERPT_MAX ? len : KBJ_URLLIST_EXCERPT_MAX;

    w->rep.rejected++;
    if (w->nfirst < KBJ_URLLIST_ERROR_LINES) {
        w->first[w->nfirst].line = w->rep.lines;
        snprintf(w->first[w->nfirst].reason, sizeof w->first[0].reason, "%s", reason);
        w->nfirst++;
    }
    if (!w->on_reject)
        return;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)line[i];
        excerpt[i] = c >= 0x20 && c <= 0x7E ? (char)c : '?';
    }
    excerpt[n] = '\0';
    w->on_reject(w->rep.lines, reason, excerpt, w->arg);
}

/* Counts one more input line, or refuses the list when it has too many. */
static int count_line(writer *w, kbj_err *err)
{
    if (w->rep.lines >= w->max_lines)
        return kbj_fail(err, KBJ_EINVAL,
                        "the list has more than %llu lines (the max_list_lines setting)",
                        w->max_lines);
    w->rep.lines++;
    return KBJ_OK;
}

/* One complete line (without its '\n'). Returns 0 or a KBJ_E* code for I/O, memory or
 * the line cap. */
static int take_line(writer *w, const char *line, size_t len, kbj_err *err)
{
    char url[KBJ_URL_MAX + 1];
    kbj_err uerr;
    int rc;

    if ((rc = count_line(w, err)) != KBJ_OK)
        return rc;
    while (len > 0 && is_space((unsigned char)line[0])) {
        line++;
        len--;
    }
    while (len > 0 && is_space((unsigned char)line[len - 1]))
        len--;
    if (memchr(line, '\0', len)) {
        reject(w, line, len, "binary data (NUL byte)");
        return KBJ_OK;
    }
    if (len == 0 || line[0] == '#')
        return KBJ_OK;
    rc = kbj_url_normalise(line, len, url, sizeof url, &uerr);
    if (rc == KBJ_ENOMEM)
        return kbj_fail(err, rc, "%s", uerr.msg);
    if (rc != KBJ_OK) {
        reject(w, line, len, uerr.msg);
        return KBJ_OK;
    }

    size_t n = strlen(url);
    rc = hset_add(&w->seen, siphash24((const unsigned char *)url, n, w->key[0], w->key[1]));
    if (rc < 0)
        return kbj_fail(err, KBJ_ENOMEM, "out of memory for the duplicate set (%zu URLs)",
                        w->seen.used);
    if (rc == 0) {
        w->rep.duplicates++;
        return KBJ_OK;
    }
    if (w->check_only) {
        w->rep.accepted++;
        return KBJ_OK;
    }
    unsigned char entry[IDX_ENTRY];
    put_le64(entry, w->offset);
    url[n] = '\n';
    if ((rc = wfile_put(&w->idx, entry, sizeof entry, err)) != KBJ_OK ||
        (rc = wfile_put(&w->urls, url, n + 1, err)) != KBJ_OK)
        return rc;
    w->offset += n + 1;
    w->rep.accepted++;
    return KBJ_OK;
}

/* One read() into buf[*end, KBJ_URLLIST_LINE_MAX) (*end must be below that), never
 * beyond max_bytes + 1 bytes of input in all: one byte over the cap refuses the list.
 * Sets *eof at the end of the input. */
static int fill(writer *w, int fd, char *buf, size_t *end, int *eof, kbj_err *err)
{
    size_t room = KBJ_URLLIST_LINE_MAX - *end;
    unsigned long long left = w->max_bytes - w->rep.bytes; /* rep.bytes <= max_bytes */
    ssize_t n;

    if (left < room)
        room = (size_t)left + 1;
    do
        n = read(fd, buf + *end, room);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return kbj_fail(err, KBJ_EIO, "cannot read the URL list: %s", io_reason(errno));
    if (n == 0) {
        *eof = 1;
        return KBJ_OK;
    }
    *end += (size_t)n;
    w->rep.bytes += (unsigned long long)n;
    if (w->rep.bytes > w->max_bytes)
        return kbj_fail(err, KBJ_EINVAL,
                        "the list is larger than %llu bytes (the max_list_bytes setting)",
                        w->max_bytes);
    return KBJ_OK;
}

static int refuse_encoding(kbj_err *err, const char *what, const char *iconv_name)
{
    return kbj_fail(err, KBJ_EINVAL,
                    "the list %s; save it as UTF-8 (for example `iconv -f %s -t UTF-8 "
                    "list.txt > list-utf8.txt`)",
                    what, iconv_name);
}

/* A control byte that has no place in a text list (escape is let through: colour codes
 * in a copied terminal line are text gone wrong, not binary data). */
static int is_binary_byte(unsigned char c)
{
    return c == 0 || (c < 0x20 && !strchr("\t\n\v\f\r\x1b", c)) || c == 0x7F;
}

/* Looks at the first n bytes of the input (all of it when n < KBJ_URLLIST_SNIFF): refuses
 * UTF-16, UTF-32 and binary input, and stores in *skip the length of a UTF-8 byte-order
 * mark to skip (else 0). */
static int sniff(const unsigned char *b, size_t n, size_t *skip, kbj_err *err)
{
    size_t m, units, le = 0, be = 0, ctl = 0;
    int nul = 0;

    *skip = 0;
    if (n >= 4 && memcmp(b, "\xFF\xFE\0\0", 4) == 0)
        return refuse_encoding(err, "is UTF-32 (little-endian)", "UTF-32");
    if (n >= 4 && memcmp(b, "\0\0\xFE\xFF", 4) == 0)
        return refuse_encoding(err, "is UTF-32 (big-endian)", "UTF-32");
    if (n >= 2 && memcmp(b, "\xFF\xFE", 2) == 0)
        return refuse_encoding(err, "is UTF-16 (little-endian)", "UTF-16");
    if (n >= 2 && memcmp(b, "\xFE\xFF", 2) == 0)
        return refuse_encoding(err, "is UTF-16 (big-endian)", "UTF-16");
    if (n >= 3 && memcmp(b, "\xEF\xBB\xBF", 3) == 0)
        *skip = 3;
    b += *skip;
    n -= *skip;

    /* UTF-16 without a byte-order mark: mostly a character byte beside a zero byte. */
    m = n < 64 ? n : 64;
    units = m / 2;
    for (size_t i = 0; i < units; i++) {
        if (b[2 * i] && !b[2 * i + 1])
            le++;
        else if (!b[2 * i] && b[2 * i + 1])
            be++;
    }
    if (units >= 2 && le * 4 >= units * 3)
        return refuse_encoding(err, "looks like UTF-16 (little-endian, no byte-order mark)",
                               "UTF-16LE");
    if (units >= 2 && be * 4 >= units * 3)
        return refuse_encoding(err, "looks like UTF-16 (big-endian, no byte-order mark)",
                               "UTF-16BE");

    m = n < KBJ_URLLIST_SNIFF ? n : KBJ_URLLIST_SNIFF;
    for (size_t i = 0; i < m; i++) {
        if (b[i] == 0)
            nul = 1;
        ctl += is_binary_byte(b[i]);
    }
    if (nul && ctl * 16 >= m)
        return kbj_fail(err, KBJ_EINVAL,
                        "the list looks binary: %zu of its first %zu bytes are NUL or other "
                        "control bytes",
                        ctl, m);
    return KBJ_OK;
}

/* Reads fd to its end (or a cap), line by line, with at most KBJ_URLLIST_LINE_MAX bytes
 * held, after looking at its first bytes (sniff). */
static int read_lines(writer *w, int fd, kbj_err *err)
{
    char *buf = malloc(KBJ_URLLIST_LINE_MAX);
    size_t start = 0, end = 0;
    int skipping = 0, eof = 0, rc = KBJ_OK;

    if (!buf)
        return kbj_fail(err, KBJ_ENOMEM, "out of memory for the line buffer");
    while (rc == KBJ_OK && !eof && end < KBJ_URLLIST_SNIFF)
        rc = fill(w, fd, buf, &end, &eof, err);
    if (rc == KBJ_OK)
        rc = sniff((const unsigned char *)buf, end, &start, err);
    while (rc == KBJ_OK) {
        char *nl = memchr(buf + start, '\n', end - start);
        if (nl) {
            size_t len = (size_t)(nl - (buf + start));
            if (skipping)
                skipping = 0; /* the tail of an over-long line, already rejected */
            else
                rc = take_line(w, buf + start, len, err);
            start += len + 1;
            continue;
        }
        if (eof) {
            if (end > start && !skipping)
                rc = take_line(w, buf + start, end - start, err);
            break;
        }
        if (start > 0) {
            memmove(buf, buf + start, end - start);
            end -= start;
            start = 0;
        }
        if (end == KBJ_URLLIST_LINE_MAX) {
            /* A full buffer without a newline: reject the line, drop the rest of it. */
            if (!skipping) {
                if ((rc = count_line(w, err)) != KBJ_OK)
                    break;
                size_t k = 0;
                while (k < end && is_space((unsigned char)buf[k]))
                    k++;
                reject(w, buf + k, end - k, "line longer than 2048 bytes");
                skipping = 1;
            }
            end = 0;
        }
        rc = fill(w, fd, buf, &end, &eof, err);
    }
    free(buf);
    return rc;
}

/* The error for a list without a valid URL: why, with the first rejected lines. */
static int no_valid_url(const writer *w, kbj_err *err)
{
    char msg[sizeof err->msg];
    size_t len;

    len = (size_t)snprintf(msg, sizeof msg, "the list has no valid URL: ");
    if (w->rep.lines == 0)
        snprintf(msg + len, sizeof msg - len, "it is empty");
    else if (w->rep.rejected == 0)
        snprintf(msg + len, sizeof msg - len, "it has only blank lines and comments");
    for (size_t i = 0; i < w->nfirst && len < sizeof msg; i++)
        len += (size_t)snprintf(msg + len, sizeof msg - len, "%sline %llu: %s",
                                i ? "; " : "", w->first[i].line, w->first[i].reason);
    if (w->rep.rejected > w->nfirst && len < sizeof msg) {
        unsigned long long more = w->rep.rejected - w->nfirst;
        snprintf(msg + len, sizeof msg - len, "; %llu more %s rejected", more,
                 more == 1 ? "line" : "lines");
    }
    return kbj_fail(err, KBJ_EINVAL, "%s", msg);
}

int kbj_urllist_write(const char *data_dir, const char *job_id, int fd_in,
                      const kbj_urllist_limits *limits, kbj_urllist_reject_fn on_reject,
                      void *arg, kbj_urllist_report *report, kbj_err *err)
{
    char urls_path[LIST_PATH_CAP], idx_path[LIST_PATH_CAP], dir[LIST_PATH_CAP];
    writer w;
    int rc;

    memset(&w, 0, sizeof w);
    w.urls.fd = w.idx.fd = -1;
    w.on_reject = on_reject;
    w.arg = arg;
    w.max_bytes = limits && limits->max_list_bytes ? limits->max_list_bytes
                                                   : KBJ_URLLIST_MAX_BYTES;
    w.max_lines = limits && limits->max_list_lines ? limits->max_list_lines
                                                   : KBJ_URLLIST_MAX_LINES;
    if (report)
        memset(report, 0, sizeof *report);
    if ((rc = list_path(urls_path, sizeof urls_path, data_dir, job_id, ".urls", err)) ||
        (rc = list_path(idx_path, sizeof idx_path, data_dir, job_id, ".idx", err)))
        return rc;
    if (fd_in < 0)
        return kbj_fail(err, KBJ_EINVAL, "no input to read the URL list from");

    /* Create lists/ but never the data directory itself (an unmounted volume must fail). */
    size_t dlen = (size_t)(strrchr(urls_path, '/') - urls_path);
    memcpy(dir, urls_path, dlen);
    dir[dlen] = '\0';
    if (mkdir(dir, 0750) != 0 && errno != EEXIST)
        return kbj_fail(err, KBJ_EIO, "cannot create list directory %s: %s", dir,
                        io_reason(errno));

    random_key(w.key);
    if ((rc = wfile_open(&w.urls, urls_path, err)) != KBJ_OK ||
        (rc = wfile_open(&w.idx, idx_path, err)) != KBJ_OK)
        goto done;
    if ((rc = read_lines(&w, fd_in, err)) != KBJ_OK)
        goto done;
    if (w.rep.accepted == 0) {
        rc = no_valid_url(&w, err);
        goto done;
    }

    unsigned char entry[IDX_ENTRY];
    put_le64(entry, w.offset);
    if ((rc = wfile_put(&w.idx, entry, sizeof entry, err)) != KBJ_OK ||
        (rc = wfile_finish(&w.urls, err)) != KBJ_OK ||
        (rc = wfile_finish(&w.idx, err)) != KBJ_OK)
        goto done;
    if (rename(w.urls.tmp, urls_path) != 0) {
        rc = kbj_fail(err, KBJ_EIO, "cannot rename %s to %s: %s", w.urls.tmp, urls_path,
                      io_reason(errno));
        goto done;
    }
    w.urls.tmp[0] = '\0';
    if (rename(w.idx.tmp, idx_path) != 0) {
        rc = kbj_fail(err, KBJ_EIO, "cannot rename %s to %s: %s", w.idx.tmp, idx_path,
                      io_reason(errno));
        unlink(urls_path); /* no list without its index */
        goto done;
    }
    w.idx.tmp[0] = '\0';
    rc = kbj_fs_fsync_dir(dir, err);

done:
    wfile_discard(&w.urls);
    wfile_discard(&w.idx);
    free(w.seen.slots);
    if (report)
        *report = w.rep;
    return rc;
}

int kbj_urllist_check(int fd_in, const kbj_urllist_limits *limits, kbj_urllist_reject_fn on_reject, void *arg,
                      kbj_urllist_report *report, kbj_err *err)
{
    writer w;
    int rc;

    memset(&w, 0, sizeof w);
    w.urls.fd = w.idx.fd = -1;
    w.check_only = 1;
    w.on_reject = on_reject;
    w.arg = arg;
    w.max_bytes = limits && limits->max_list_bytes ? limits->max_list_bytes
                                                   : KBJ_URLLIST_MAX_BYTES;
    w.max_lines = limits && limits->max_list_lines ? limits->max_list_lines
                                                   : KBJ_URLLIST_MAX_LINES;
    if (report)
        memset(report, 0, sizeof *report);
    if (fd_in < 0)
        return kbj_fail(err, KBJ_EINVAL, "no input to read the URL list from");
    random_key(w.key);
    rc = read_lines(&w, fd_in, err);
    if (rc == KBJ_OK && w.rep.accepted == 0)
        rc = no_valid_url(&w, err);
    free(w.seen.slots);
    if (report)
        *report = w.rep;
    return rc;
}

/* ---- reading ----------------------------------------------------------------------- */

/* Opens the job's file read-only: 0, KBJ_ENOTFOUND or KBJ_EIO. */
static int open_list(const char *path, int *fd, kbj_err *err)
{
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    if (*fd >= 0)
        return KBJ_OK;
    if (errno == ENOENT)
        return kbj_fail(err, KBJ_ENOTFOUND, "no URL list at %s", path);
    return kbj_fail(err, KBJ_EIO, "cannot open %s: %s", path, io_reason(errno));
}

/* The number of URLs the index at fd describes. */
static int index_entries(int fd, const char *path, unsigned long long *n, kbj_err *err)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return kbj_fail(err, KBJ_EIO, "cannot stat %s: %s", path, io_reason(errno));
    if (!S_ISREG(st.st_mode) || st.st_size < 2 * IDX_ENTRY || st.st_size % IDX_ENTRY != 0)
        return kbj_fail(err, KBJ_ECORRUPT, "%s is not a URL list index (%lld bytes)", path,
                        (long long)st.st_size);
    *n = (unsigned long long)st.st_size / IDX_ENTRY - 1;
    return KBJ_OK;
}

/* Reads exactly len bytes at off; a short file is KBJ_ECORRUPT. */
static int pread_all(int fd, void *buf, size_t len, uint64_t off, const char *path,
                     kbj_err *err)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return kbj_fail(err, KBJ_EIO, "cannot read %s: %s", path, io_reason(errno));
        if (n == 0)
            return kbj_fail(err, KBJ_ECORRUPT, "%s is truncated", path);
        done += (size_t)n;
    }
    return KBJ_OK;
}

int kbj_urllist_count(const char *data_dir, const char *job_id, unsigned long long *n,
                      kbj_err *err)
{
    char path[LIST_PATH_CAP];
    int fd, rc;

    if (!n)
        return kbj_fail(err, KBJ_EINVAL, "no place for the URL count");
    *n = 0;
    if ((rc = list_path(path, sizeof path, data_dir, job_id, ".idx", err)) != KBJ_OK ||
        (rc = open_list(path, &fd, err)) != KBJ_OK)
        return rc;
    rc = index_entries(fd, path, n, err);
    close(fd);
    if (rc != KBJ_OK)
        *n = 0;
    return rc;
}

void kbj_urllist_free(char **urls, size_t n)
{
    if (!urls)
        return;
    for (size_t i = 0; i < n; i++)
        free(urls[i]);
    free(urls);
}

/* Splits the bytes of k lines (offsets off[0..k], relative to off[0]) into strings. */
static int split_lines(const char *buf, const uint64_t *off, size_t k, const char *path,
                       char **out, kbj_err *err)
{
    for (size_t i = 0; i < k; i++) {
        const char *line = buf + (off[i] - off[0]);
        size_t len = (size_t)(off[i + 1] - off[i]) - 1;
        if (line[len] != '\n' || memchr(line, '\n', len) || memchr(line, '\0', len))
            return kbj_fail(err, KBJ_ECORRUPT, "%s does not match its index", path);
        out[i] = malloc(len + 1);
        if (!out[i])
            return kbj_fail(err, KBJ_ENOMEM, "out of memory reading URLs");
        memcpy(out[i], line, len);
        out[i][len] = '\0';
    }
    return KBJ_OK;
}

int kbj_urllist_read(const char *data_dir, const char *job_id, unsigned long long first,
                     size_t count, char ***urls, size_t *n, kbj_err *err)
{
    char idx_path[LIST_PATH_CAP], urls_path[LIST_PATH_CAP];
    unsigned char *raw = NULL;
    uint64_t *off = NULL;
    char *bytes = NULL, **out = NULL;
    unsigned long long total;
    int ifd = -1, ufd = -1, rc;
    size_t k = 0;

    if (!urls || !n)
        return kbj_fail(err, KBJ_EINVAL, "no place for the URLs read");
    *urls = NULL;
    *n = 0;
    if ((rc = list_path(idx_path, sizeof idx_path, data_dir, job_id, ".idx", err)) ||
        (rc = list_path(urls_path, sizeof urls_path, data_dir, job_id, ".urls", err)) ||
        (rc = open_list(idx_path, &ifd, err)) ||
        (rc = index_entries(ifd, idx_path, &total, err)))
        goto done;
    if (first >= total || count == 0)
        goto done;
    k = total - first < count ? (size_t)(total - first) : count;

    raw = malloc((k + 1) * IDX_ENTRY);
    off = malloc((k + 1) * sizeof *off);
    out = calloc(k, sizeof *out);
    if (!raw || !off || !out) {
        rc = kbj_fail(err, KBJ_ENOMEM, "out of memory reading %zu URLs", k);
        goto done;
    }
    if ((rc = pread_all(ifd, raw, (k + 1) * IDX_ENTRY, first * IDX_ENTRY, idx_path, err)))
        goto done;
    for (size_t i = 0; i <= k; i++) {
        off[i] = get_le64(raw + i * IDX_ENTRY);
        if (i > 0 && (off[i] <= off[i - 1] || off[i] - off[i - 1] > KBJ_URL_MAX + 1)) {
            rc = kbj_fail(err, KBJ_ECORRUPT, "%s has a bad offset at entry %llu", idx_path,
                          first + i);
            goto done;
        }
    }
    size_t span = (size_t)(off[k] - off[0]); /* at most k * 2049, checked above */
    if ((rc = open_list(urls_path, &ufd, err)))
        goto done;
    bytes = malloc(span);
    if (!bytes) {
        rc = kbj_fail(err, KBJ_ENOMEM, "out of memory reading %zu bytes of URLs", span);
        goto done;
    }
    if ((rc = pread_all(ufd, bytes, span, off[0], urls_path, err)) ||
        (rc = split_lines(bytes, off, k, urls_path, out, err)))
        goto done;
    *urls = out;
    *n = k;
    out = NULL;

done:
    kbj_urllist_free(out, k);
    free(bytes);
    free(off);
    free(raw);
    if (ifd >= 0)
        close(ifd);
    if (ufd >= 0)
        close(ufd);
    return rc;
}

int kbj_urllist_delete(const char *data_dir, const char *job_id, kbj_err *err)
{
    static const char *const suffixes[] = { ".idx", ".urls" };
    char path[LIST_PATH_CAP];
    int rc;

    for (size_t i = 0; i < 2; i++) {
        if ((rc = list_path(path, sizeof path, data_dir, job_id, suffixes[i], err)))
            return rc;
        if (unlink(path) != 0 && errno != ENOENT)
            return kbj_fail(err, KBJ_EIO, "cannot remove %s: %s", path, io_reason(errno));
    }
    return KBJ_OK;
}
