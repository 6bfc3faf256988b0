/* URL list files: writing from a stream of lines (counts, rejects, duplicates, bounded
 * memory), reading chunks through the offset index, deleting. Every test works in its
 * own mkdtemp data directory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "urllist.h"

#define JOB "0123456789abcdef"

/* ---- fixtures -------------------------------------------------------------------- */

/* dir/name into a static buffer (one at a time). */
static const char *at(const char *dir, const char *name)
{
    static char buf[1024];
    snprintf(buf, sizeof buf, "%s/%s", dir, name);
    return buf;
}

/* ---- rejects, as the callback reports them ---------------------------------------- */

typedef struct rejects {
    size_t n;
    unsigned long long line[16];
    char reason[16][64];
    char excerpt[16][KBJ_URLLIST_EXCERPT_MAX + 1];
} rejects;

static void on_reject(unsigned long long line_no, const char *reason, const char *excerpt,
                      void *arg)
{
    rejects *r = arg;
    assert_true(strlen(excerpt) <= KBJ_URLLIST_EXCERPT_MAX);
    for (const char *p = excerpt; *p; p++)
        assert_true(*p >= 0x20 && *p <= 0x7E);
    if (r->n < 16) {
        r->line[r->n] = line_no;
        snprintf(r->reason[r->n], sizeof r->reason[0], "%s", reason);
        snprintf(r->excerpt[r->n], sizeof r->excerpt[0], "%s", excerpt);
    }
    r->n++;
}

/* Writes `len` bytes to a file in dir and returns it open for reading. */
static int input_file(const char *dir, const void *data, size_t len)
{
    const char *path = at(dir, "input.txt");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    return fd;
}

/* Writes the list of job JOB from `len` bytes of `data` (through a file). */
static int write_list(const char *dir, const char *data, size_t len, rejects *r,
                      kbj_urllist_report *rep, kbj_err *err)
{
    int fd = input_file(dir, data, len);
    int rc = kbj_urllist_write(dir, JOB, fd, NULL, r ? on_reject : NULL, r, rep, err);
    close(fd);
    return rc;
}

/* Reads every URL of JOB and checks them against `want` (n entries). */
static void expect_list(const char *dir, const char *const *want, size_t n)
{
    char **urls = NULL;
    size_t got = 0;
    unsigned long long count = 0;
    kbj_err err;

    assert_int_equal(kbj_urllist_count(dir, JOB, &count, &err), KBJ_OK);
    assert_int_equal(count, n);
    assert_int_equal(kbj_urllist_read(dir, JOB, 0, n + 5, &urls, &got, &err), KBJ_OK);
    assert_int_equal(got, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(urls[i], want[i]);
    kbj_urllist_free(urls, got);
}

/* Number of entries in dir/lists other than . and .. (0 when it does not exist). */
static int list_dir_entries(const char *dir)
{
    DIR *d = opendir(at(dir, "lists"));
    struct dirent *e;
    int n = 0;
    if (!d)
        return 0;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

/* A child process that writes `pattern` over and over into a pipe: `total` bytes in all
 * (the last copy cut short), or without end (total 0) until the reader goes away. The
 * read end is returned in *fd; reap the child with reap() after closing it. */
static pid_t generator(const char *pattern, size_t plen, unsigned long long total, int *fd)
{
    int p[2];
    pid_t pid;

    assert_int_equal(pipe(p), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        static char buf[65536];
        unsigned long long sent = 0;
        close(p[0]);
        for (size_t i = 0; i < sizeof buf; i++)
            buf[i] = pattern[i % plen];
        for (;;) {
            size_t n = sizeof buf - sizeof buf % plen;
            if (total && total - sent < n)
                n = (size_t)(total - sent);
            if (n == 0)
                _exit(0);
            ssize_t w = write(p[1], buf, n);
            if (w <= 0)
                _exit(0); /* the reader is gone (EPIPE, if SIGPIPE is ignored) */
            sent += (unsigned long long)w;
        }
    }
    close(p[1]);
    *fd = p[0];
    return pid;
}

static void reap(pid_t pid)
{
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* `text` (ASCII) as UTF-16 or UTF-32 (unit 2 or 4 bytes), big- or little-endian, with or
 * without a byte-order mark, into out; returns the length. */
static size_t encode_wide(const char *text, size_t unit, int big, int bom, char *out)
{
    size_t len = 0;
    unsigned long c = 0xFEFF;
    for (const char *p = bom ? NULL : text;; p = p ? p + 1 : text) {
        if (p) {
            if (!*p)
                return len;
            c = (unsigned char)*p;
        }
        for (size_t i = 0; i < unit; i++)
            out[len + i] = (char)(c >> (8 * (big ? unit - 1 - i : i)));
        len += unit;
    }
}

/* Checks a refused list: the code, the exact message, and that nothing was written. */
static void expect_refused(const char *dir, const char *data, size_t len,
                           const kbj_urllist_limits *limits, const char *msg,
                           kbj_urllist_report *rep)
{
    kbj_err err;
    int fd = input_file(dir, data, len);
    assert_int_equal(kbj_urllist_write(dir, JOB, fd, limits, NULL, NULL, rep, &err),
                     KBJ_EINVAL);
    close(fd);
    assert_string_equal(err.msg, msg);
    assert_int_equal(list_dir_entries(dir), 0);
}

/* ---- tests ------------------------------------------------------------------------ */

static void mixed_list_counts_lines_and_reports_rejects_by_line(void **state)
{
    const char *dir = *state;
    static const char input[] =
        "http://example.com/a\n"                 /* 1 accepted */
        "\n"                                     /* 2 blank */
        "# a comment\n"                          /* 3 comment */
        "  HTTP://EXAMPLE.com:80/a#frag  \n"     /* 4 duplicate of 1 */
        "not a url\n"                            /* 5 rejected */
        "ftp://example.com/file\n"               /* 6 rejected */
        "https://example.org:443/b\n"            /* 7 accepted */
        "    # indented comment\n"               /* 8 comment */
        "   \t  \n"                              /* 9 blank */
        "http://example.com/a\n"                 /* 10 duplicate */
        "http://example.com/with space\n"        /* 11 rejected */
        "http://example.net/c";                  /* 12 accepted, no newline */
    static const char *const want[] = { "http://example.com/a", "https://example.org/b",
                                        "http://example.net/c" };
    rejects r = { 0 };
    kbj_urllist_report rep;
    kbj_err err;

    assert_int_equal(write_list(dir, input, sizeof input - 1, &r, &rep, &err), KBJ_OK);
    assert_int_equal(rep.lines, 12);
    assert_int_equal(rep.accepted, 3);
    assert_int_equal(rep.duplicates, 2);
    assert_int_equal(rep.rejected, 3);
    assert_int_equal(r.n, 3);
    assert_int_equal(r.line[0], 5);
    assert_string_equal(r.reason[0], "not a URL");
    assert_string_equal(r.excerpt[0], "not a url");
    assert_int_equal(r.line[1], 6);
    assert_string_equal(r.reason[1], "scheme must be http or https");
    assert_int_equal(r.line[2], 11);
    assert_string_equal(r.reason[2], "contains control characters or spaces");
    expect_list(dir, want, 3);

    /* The files are exactly as documented: lines, and offsets plus the size. */
    static const char urls[] = "http://example.com/a\nhttps://example.org/b\n"
                               "http://example.net/c\n";
    char *body = NULL;
    size_t len = 0;
    FILE *f = fopen(at(dir, "lists/" JOB ".urls"), "rb");
    assert_non_null(f);
    body = calloc(1, 256);
    len = fread(body, 1, 255, f);
    fclose(f);
    assert_int_equal(len, sizeof urls - 1);
    assert_memory_equal(body, urls, len);
    free(body);

    unsigned char idx[64];
    f = fopen(at(dir, "lists/" JOB ".idx"), "rb");
    assert_non_null(f);
    assert_int_equal(fread(idx, 1, sizeof idx, f), 32);
    fclose(f);
    static const unsigned char want_idx[32] = { 0, 0, 0, 0, 0, 0, 0, 0, 21, 0, 0, 0, 0, 0, 0,
                                                0, 43, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0, 0, 0, 0,
                                                0, 0 };
    assert_memory_equal(idx, want_idx, 32);
    assert_int_equal(list_dir_entries(dir), 2); /* no temporary files left */
}

static void crlf_line_endings_are_trimmed(void **state)
{
    const char *dir = *state;
    static const char input[] = "http://a.example/1\r\n\r\n# c\r\nhttp://a.example/2\r\n";
    static const char *const want[] = { "http://a.example/1", "http://a.example/2" };
    kbj_urllist_report rep;
    kbj_err err;

    assert_int_equal(write_list(dir, input, sizeof input - 1, NULL, &rep, &err), KBJ_OK);
    assert_int_equal(rep.lines, 4);
    assert_int_equal(rep.accepted, 2);
    assert_int_equal(rep.rejected, 0);
    expect_list(dir, want, 2);
}

static void input_from_a_pipe_is_read_to_its_end(void **state)
{
    const char *dir = *state;
    static const char input[] = "http://p.example/1\nhttp://p.example/2";
    static const char *const want[] = { "http://p.example/1", "http://p.example/2" };
    kbj_urllist_report rep;
    kbj_err err;
    int p[2];

    assert_int_equal(pipe(p), 0);
    assert_int_equal(write(p[1], input, sizeof input - 1), sizeof input - 1);
    close(p[1]);
    assert_int_equal(kbj_urllist_write(dir, JOB, p[0], NULL, NULL, NULL, &rep, &err),
                     KBJ_OK);
    close(p[0]);
    assert_int_equal(rep.lines, 2);
    expect_list(dir, want, 2);
}

/* A stray NUL in a text list is a rejected line; the list as a whole is text (3 control
 * bytes in its 53, fewer than one in 16). */
static void binary_lines_are_rejected_with_a_clean_excerpt(void **state)
{
    const char *dir = *state;
    static const char input[] = "http://b.example/1\n"
                                "ab\0cd\x01\xff\n"
                                "\x89PNG\r\n\x1a\n"
                                "http://b.example/2\n";
    rejects r = { 0 };
    kbj_urllist_report rep;
    kbj_err err;

    assert_int_equal(write_list(dir, input, sizeof input - 1, &r, &rep, &err), KBJ_OK);
    assert_int_equal(rep.lines, 5);
    assert_int_equal(rep.accepted, 2);
    assert_int_equal(rep.rejected, 3);
    assert_int_equal(r.line[0], 2);
    assert_string_equal(r.reason[0], "binary data (NUL byte)");
    assert_string_equal(r.excerpt[0], "ab?cd??");
    assert_int_equal(r.line[1], 3);
    assert_string_equal(r.reason[1], "not a URL");
    assert_string_equal(r.excerpt[1], "?PNG");
    assert_int_equal(r.line[2], 4);
    assert_string_equal(r.excerpt[2], "?");
}

static void overlong_lines_are_rejected_without_being_held(void **state)
{
    const char *dir = *state;
    size_t big = 100 * 1024, mid = 3000;
    size_t cap = big * 2 + mid + 256, len = 0;
    char *input = malloc(cap);
    rejects r = { 0 };
    kbj_urllist_report rep;
    kbj_err err;

    assert_non_null(input);
    len += (size_t)snprintf(input + len, cap - len, "http://o.example/1\n");
    memset(input + len, 'a', big); /* line 2: 100 KiB */
    len += big;
    input[len++] = '\n';
    len += (size_t)snprintf(input + len, cap - len, "http://o.example/%0*d\n",
                            (int)mid, 7); /* line 3: 3017 bytes */
    len += (size_t)snprintf(input + len, cap - len, "http://o.example/2\n");
    memset(input + len, 'b', big); /* line 5: 100 KiB at the end, no newline */
    len += big;

    assert_int_equal(write_list(dir, input, len, &r, &rep, &err), KBJ_OK);
    free(input);
    assert_int_equal(rep.lines, 5);
    assert_int_equal(rep.accepted, 2);
    assert_int_equal(rep.rejected, 3);
    assert_int_equal(r.n, 3);
    assert_int_equal(r.line[0], 2);
    assert_string_equal(r.reason[0], "line longer than 2048 bytes");
    assert_int_equal(strlen(r.excerpt[0]), KBJ_URLLIST_EXCERPT_MAX);
    assert_int_equal(r.line[1], 3);
    assert_string_equal(r.reason[1], "longer than 2048 bytes");
    assert_int_equal(r.line[2], 5);
    assert_string_equal(r.reason[2], "line longer than 2048 bytes");
    static const char *const want[] = { "http://o.example/1", "http://o.example/2" };
    expect_list(dir, want, 2);
}

static void list_without_a_valid_url_is_refused_and_writes_nothing(void **state)
{
    const char *dir = *state;
    static const char input[] = "# only comments\n\nnot a url\nmailto:x@example.com\n";
    rejects r = { 0 };
    kbj_urllist_report rep;
    kbj_err err;
    unsigned long long n = 99;

    assert_int_equal(write_list(dir, input, sizeof input - 1, &r, &rep, &err), KBJ_EINVAL);
    assert_string_equal(err.msg, "the list has no valid URL: line 3: not a URL; "
                                 "line 4: scheme must be http or https");
    assert_int_equal(rep.lines, 4);
    assert_int_equal(rep.rejected, 2);
    assert_int_equal(r.n, 2);
    assert_int_equal(list_dir_entries(dir), 0);
    assert_int_equal(kbj_urllist_count(dir, JOB, &n, &err), KBJ_ENOTFOUND);
    assert_int_equal(n, 0);

    assert_int_equal(write_list(dir, "", 0, NULL, &rep, &err), KBJ_EINVAL);
    assert_string_equal(err.msg, "the list has no valid URL: it is empty");
    assert_int_equal(rep.lines, 0);
    assert_int_equal(list_dir_entries(dir), 0);

    assert_int_equal(write_list(dir, "# a\n\n  \n#b", 10, NULL, &rep, &err), KBJ_EINVAL);
    assert_string_equal(err.msg,
                        "the list has no valid URL: it has only blank lines and comments");
    assert_int_equal(rep.lines, 4);
    assert_int_equal(list_dir_entries(dir), 0);
}

static void a_utf8_byte_order_mark_is_skipped(void **state)
{
    const char *dir = *state;
    static const char input[] = "\xEF\xBB\xBFhttp://bom.example/1\nhttp://bom.example/2\n";
    static const char *const want[] = { "http://bom.example/1", "http://bom.example/2" };
    rejects r = { 0 };
    kbj_urllist_report rep;
    kbj_err err;

    assert_int_equal(write_list(dir, input, sizeof input - 1, &r, &rep, &err), KBJ_OK);
    assert_int_equal(rep.bytes, sizeof input - 1);
    assert_int_equal(rep.lines, 2);
    assert_int_equal(rep.accepted, 2);
    assert_int_equal(rep.rejected, 0);
    assert_int_equal(r.n, 0);
    expect_list(dir, want, 2);

    /* Only at the start: a BOM further on is part of its line. */
    static const char later[] = "http://bom.example/1\n\xEF\xBB\xBFhttp://bom.example/3\n";
    memset(&r, 0, sizeof r);
    assert_int_equal(write_list(dir, later, sizeof later - 1, &r, &rep, &err), KBJ_OK);
    assert_int_equal(rep.accepted, 1);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.line[0], 2);
    assert_string_equal(r.reason[0], "not a URL");
    assert_string_equal(r.excerpt[0], "???http://bom.example/3");
}

static void utf16_and_utf32_lists_are_refused_with_the_way_to_convert_them(void **state)
{
    const char *dir = *state;
    static const char text[] = "http://wide.example/1\nhttp://wide.example/2\n";
    static const struct {
        size_t unit;
        int big, bom;
        const char *msg;
    } cases[] = {
        { 2, 0, 1, "the list is UTF-16 (little-endian); save it as UTF-8 (for example "
                   "`iconv -f UTF-16 -t UTF-8 list.txt > list-utf8.txt`)" },
        { 2, 1, 1, "the list is UTF-16 (big-endian); save it as UTF-8 (for example "
                   "`iconv -f UTF-16 -t UTF-8 list.txt > list-utf8.txt`)" },
        { 2, 0, 0, "the list looks like UTF-16 (little-endian, no byte-order mark); "
                   "save it as UTF-8 (for example `iconv -f UTF-16LE -t UTF-8 list.txt > "
                   "list-utf8.txt`)" },
        { 2, 1, 0, "the list looks like UTF-16 (big-endian, no byte-order mark); save it "
                   "as UTF-8 (for example `iconv -f UTF-16BE -t UTF-8 list.txt > "
                   "list-utf8.txt`)" },
        { 4, 0, 1, "the list is UTF-32 (little-endian); save it as UTF-8 (for example "
                   "`iconv -f UTF-32 -t UTF-8 list.txt > list-utf8.txt`)" },
        { 4, 1, 1, "the list is UTF-32 (big-endian); save it as UTF-8 (for example "
                   "`iconv -f UTF-32 -t UTF-8 list.txt > list-utf8.txt`)" },
    };
    char wide[4 * sizeof text];
    kbj_urllist_report rep;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = encode_wide(text, cases[i].unit, cases[i].big, cases[i].bom, wide);
        expect_refused(dir, wide, len, NULL, cases[i].msg, &rep);
        assert_int_equal(rep.lines, 0);
        assert_int_equal(rep.bytes, len);
    }
    /* A UTF-16 list through a pipe is read far enough to be recognised. */
    size_t len = encode_wide(text, 2, 0, 0, wide);
    int fd;
    kbj_err err;
    pid_t pid = generator(wide, len, 0, &fd);
    assert_int_equal(kbj_urllist_write(dir, JOB, fd, NULL, NULL, NULL, &rep, &err),
                     KBJ_EINVAL);
    close(fd);
    reap(pid);
    assert_string_equal(err.msg, cases[2].msg);
}

static void a_list_without_a_valid_url_names_its_first_rejected_lines(void **state)
{
    const char *dir = *state;
    static const char input[] = "not a url\n"                 /* 1 */
                                "ftp://example.com/\n"        /* 2 */
                                "# a comment\n"               /* 3 */
                                "http://a\0b.example/\n"      /* 4 */
                                "http://x.example/a b\n"      /* 5 */
                                "http:///path\n"              /* 6 */
                                "\n"                          /* 7 */
                                "mailto:x@example.com\n"      /* 8 */
                                "javascript:alert(1)\n"       /* 9 */
                                "http://x.example:99999/\n";  /* 10 */
    rejects r = { 0 };
    kbj_urllist_report rep;
    kbj_err err;

    assert_int_equal(write_list(dir, input, sizeof input - 1, &r, &rep, &err), KBJ_EINVAL);
    assert_string_equal(err.msg, "the list has no valid URL: line 1: not a URL; "
                                 "line 2: scheme must be http or https; "
                                 "line 4: binary data (NUL byte); "
                                 "line 5: contains control characters or spaces; "
                                 "line 6: no host; 3 more lines rejected");
    assert_int_equal(rep.lines, 10);
    assert_int_equal(rep.rejected, 8);
    assert_int_equal(r.n, 8);
    assert_int_equal(list_dir_entries(dir), 0);

    static const char six[] = "a\nb\nc\nd\ne\nhttp://\n";
    assert_int_equal(write_list(dir, six, sizeof six - 1, NULL, &rep, &err), KBJ_EINVAL);
    assert_string_equal(err.msg, "the list has no valid URL: line 1: not a URL; "
                                 "line 2: not a URL; line 3: not a URL; line 4: not a URL; "
                                 "line 5: not a URL; 1 more line rejected");
}

static void a_50_mib_line_is_refused_quickly_in_bounded_memory(void **state)
{
    const char *dir = *state;
    const unsigned long long size = 50ULL << 20;
    struct rusage before, after;
    kbj_urllist_report rep;
    rejects r = { 0 };
    kbj_err err;
    int fd;

    assert_int_equal(getrusage(RUSAGE_SELF, &before), 0);
    double t0 = now_seconds();
    pid_t pid = generator("a", 1, size, &fd);
    int rc = kbj_urllist_write(dir, JOB, fd, NULL, on_reject, &r, &rep, &err);
    double t = now_seconds() - t0;
    close(fd);
    reap(pid);
    assert_int_equal(getrusage(RUSAGE_SELF, &after), 0);

    assert_int_equal(rc, KBJ_EINVAL);
    assert_string_equal(err.msg,
                        "the list has no valid URL: line 1: line longer than 2048 bytes");
    assert_int_equal(rep.bytes, size);
    assert_int_equal(rep.lines, 1);
    assert_int_equal(r.n, 1);
    assert_int_equal(strlen(r.excerpt[0]), KBJ_URLLIST_EXCERPT_MAX);
    assert_true(t < 5.0);
#if !defined(__SANITIZE_ADDRESS__)
    assert_true(after.ru_maxrss - before.ru_maxrss < 4 * 1024); /* KiB */
#endif
    assert_int_equal(list_dir_entries(dir), 0);
}

static void binary_input_is_refused_as_a_whole(void **state)
{
    const char *dir = *state;
    static char data[65536];
    kbj_urllist_report rep;
    kbj_err err;
    char msg[160];

    /* NUL bytes: all of the first 8000 (or all of a shorter input). */
    memset(data, 0, sizeof data);
    expect_refused(dir, data, sizeof data, NULL,
                   "the list looks binary: 8000 of its first 8000 bytes are NUL or other "
                   "control bytes", &rep);
    assert_int_equal(rep.lines, 0);
    expect_refused(dir, data, 100, NULL,
                   "the list looks binary: 100 of its first 100 bytes are NUL or other "
                   "control bytes", &rep);

    /* Random bytes (a fixed xorshift sequence): about 1 in 10 is a control byte. */
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    size_t ctl = 0;
    for (size_t i = 0; i < sizeof data; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        data[i] = (char)(x >> 24);
    }
    for (size_t i = 0; i < 8000; i++) {
        unsigned char c = (unsigned char)data[i];
        ctl += (c < 0x20 && c != '\t' && c != '\n' && c != '\v' && c != '\f' && c != '\r' &&
                c != 0x1b) || c == 0x7F;
    }
    assert_true(ctl > 600 && ctl < 1100);
    snprintf(msg, sizeof msg,
             "the list looks binary: %zu of its first 8000 bytes are NUL or other control "
             "bytes",
             ctl);
    expect_refused(dir, data, sizeof data, NULL, msg, &rep);

    /* /dev/zero is refused after its first read, not read forever. */
    int fd = open("/dev/zero", O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(kbj_urllist_write(dir, JOB, fd, NULL, NULL, NULL, &rep, &err),
                     KBJ_EINVAL);
    close(fd);
    assert_string_equal(err.msg, "the list looks binary: 8000 of its first 8000 bytes are "
                                 "NUL or other control bytes");
    assert_true(rep.bytes <= KBJ_URLLIST_LINE_MAX);
}

static void a_list_over_the_byte_cap_is_refused(void **state)
{
    const char *dir = *state;
    const kbj_urllist_limits lim = { .max_list_bytes = 100 };
    char input[128];
    kbj_urllist_report rep;
    kbj_err err;

    /* 5 lines of 20 bytes: exactly at the cap. */
    for (int i = 0; i < 5; i++)
        snprintf(input + 20 * i, sizeof input - 20 * (size_t)i, "http://c.example/%02d\n", i);
    int fd = input_file(dir, input, 100);
    assert_int_equal(kbj_urllist_write(dir, JOB, fd, &lim, NULL, NULL, &rep, &err), KBJ_OK);
    close(fd);
    assert_int_equal(rep.accepted, 5);

    assert_int_equal(kbj_urllist_delete(dir, JOB, &err), KBJ_OK);
    input[100] = '#';
    expect_refused(dir, input, 101, &lim,
                   "the list is larger than 100 bytes (the max_list_bytes setting)", &rep);
    assert_int_equal(rep.bytes, 101);
}

static void a_list_over_the_line_cap_is_refused(void **state)
{
    const char *dir = *state;
    const kbj_urllist_limits lim = { .max_list_lines = 4 };
    static const char four[] = "http://l.example/1\n\n# c\nhttp://l.example/2\n";
    static const char five[] = "http://l.example/1\n\n# c\nhttp://l.example/2\nx";
    kbj_urllist_report rep;
    kbj_err err;

    /* Blank and comment lines count; a final newline does not start a line. */
    int fd = input_file(dir, four, sizeof four - 1);
    assert_int_equal(kbj_urllist_write(dir, JOB, fd, &lim, NULL, NULL, &rep, &err), KBJ_OK);
    close(fd);
    assert_int_equal(rep.lines, 4);

    assert_int_equal(kbj_urllist_delete(dir, JOB, &err), KBJ_OK);
    expect_refused(dir, five, sizeof five - 1, &lim,
                   "the list has more than 4 lines (the max_list_lines setting)", &rep);
    assert_int_equal(rep.lines, 4);

    /* An over-long line counts as one line too. */
    char *big = malloc(100000);
    assert_non_null(big);
    memcpy(big, four, sizeof four - 1);
    memset(big + sizeof four - 1, 'a', 100000 - (sizeof four - 1));
    expect_refused(dir, big, 100000, &lim,
                   "the list has more than 4 lines (the max_list_lines setting)", &rep);
    free(big);
}

static void endless_input_stops_at_a_cap(void **state)
{
    const char *dir = *state;
    kbj_urllist_report rep;
    kbj_err err;
    int fd, rc;
    pid_t pid;

    alarm(60); /* a reader that never stops fails the test instead of hanging it */

    /* `yes ''`: blank lines without end, stopped by the default line cap. */
    double t0 = now_seconds();
    pid = generator("\n", 1, 0, &fd);
    rc = kbj_urllist_write(dir, JOB, fd, NULL, NULL, NULL, &rep, &err);
    close(fd);
    reap(pid);
    assert_int_equal(rc, KBJ_EINVAL);
    assert_string_equal(err.msg,
                        "the list has more than 5000000 lines (the max_list_lines setting)");
    assert_int_equal(rep.lines, KBJ_URLLIST_MAX_LINES);
    assert_true(now_seconds() - t0 < 10.0);

    /* The same URL without end, stopped by a byte cap after max_list_bytes + 1 bytes. */
    const kbj_urllist_limits lim = { .max_list_bytes = 1 << 20 };
    pid = generator("http://e.example/\n", 18, 0, &fd);
    rc = kbj_urllist_write(dir, JOB, fd, &lim, NULL, NULL, &rep, &err);
    close(fd);
    reap(pid);
    assert_int_equal(rc, KBJ_EINVAL);
    assert_string_equal(err.msg,
                        "the list is larger than 1048576 bytes (the max_list_bytes setting)");
    assert_int_equal(rep.bytes, (1 << 20) + 1);
    assert_int_equal(rep.accepted, 1);
    assert_int_equal(rep.duplicates, rep.lines - 1);

    /* One endless line: read and dropped up to the byte cap. */
    pid = generator("a", 1, 0, &fd);
    rc = kbj_urllist_write(dir, JOB, fd, &lim, NULL, NULL, &rep, &err);
    close(fd);
    reap(pid);
    assert_int_equal(rc, KBJ_EINVAL);
    assert_string_equal(err.msg,
                        "the list is larger than 1048576 bytes (the max_list_bytes setting)");
    assert_int_equal(rep.lines, 1);
    assert_int_equal(rep.rejected, 1);
    assert_int_equal(list_dir_entries(dir), 0);
    alarm(0);
}

static void a_failed_rewrite_keeps_the_old_list(void **state)
{
    const char *dir = *state;
    static const char *const want[] = { "http://k.example/1" };
    kbj_err err;

    assert_int_equal(write_list(dir, "http://k.example/1\n", 19, NULL, NULL, &err), KBJ_OK);
    assert_int_equal(write_list(dir, "junk\n", 5, NULL, NULL, &err), KBJ_EINVAL);
    expect_list(dir, want, 1);
    assert_int_equal(list_dir_entries(dir), 2);
}

/* A list of 100 URLs "http://r.example/<i>". */
static void write_hundred(const char *dir)
{
    char input[4096];
    size_t len = 0;
    kbj_err err;
    for (int i = 0; i < 100; i++)
        len += (size_t)snprintf(input + len, sizeof input - len, "http://r.example/%d\n", i);
    assert_int_equal(write_list(dir, input, len, NULL, NULL, &err), KBJ_OK);
}

static void expect_chunk(const char *dir, unsigned long long first, size_t count,
                         size_t want_n)
{
    char **urls = (char **)1, want[64];
    size_t n = 99;
    kbj_err err;

    assert_int_equal(kbj_urllist_read(dir, JOB, first, count, &urls, &n, &err), KBJ_OK);
    assert_int_equal(n, want_n);
    if (want_n == 0)
        assert_null(urls);
    for (size_t i = 0; i < n; i++) {
        snprintf(want, sizeof want, "http://r.example/%llu", first + i);
        assert_string_equal(urls[i], want);
    }
    kbj_urllist_free(urls, n);
}

static void chunks_are_read_at_start_middle_end_and_past_the_end(void **state)
{
    const char *dir = *state;
    unsigned long long n = 0;
    kbj_err err;

    write_hundred(dir);
    assert_int_equal(kbj_urllist_count(dir, JOB, &n, &err), KBJ_OK);
    assert_int_equal(n, 100);
    expect_chunk(dir, 0, 10, 10);
    expect_chunk(dir, 45, 10, 10);
    expect_chunk(dir, 99, 1, 1);
    expect_chunk(dir, 95, 10, 5);
    expect_chunk(dir, 0, (size_t)-1, 100);
    expect_chunk(dir, 100, 10, 0);
    expect_chunk(dir, 1000000, 10, 0);
    expect_chunk(dir, 10, 0, 0);
}

static void a_list_that_disagrees_with_its_index_is_corrupt(void **state)
{
    const char *dir = *state;
    char **urls = NULL;
    size_t n = 0;
    kbj_err err;

    write_hundred(dir);
    assert_int_equal(truncate(at(dir, "lists/" JOB ".urls"), 100), 0);
    assert_int_equal(kbj_urllist_read(dir, JOB, 90, 10, &urls, &n, &err), KBJ_ECORRUPT);
    assert_null(urls);
    assert_int_equal(n, 0);
    assert_int_equal(truncate(at(dir, "lists/" JOB ".idx"), 13), 0);
    assert_int_equal(kbj_urllist_count(dir, JOB, (unsigned long long *)&n, &err),
                     KBJ_ECORRUPT);
}

static void delete_removes_both_files_and_is_idempotent(void **state)
{
    const char *dir = *state;
    unsigned long long n;
    char **urls = NULL;
    size_t got = 0;
    kbj_err err;

    write_hundred(dir);
    assert_int_equal(kbj_urllist_delete(dir, JOB, &err), KBJ_OK);
    assert_int_equal(list_dir_entries(dir), 0);
    assert_int_equal(kbj_urllist_count(dir, JOB, &n, &err), KBJ_ENOTFOUND);
    assert_int_equal(kbj_urllist_read(dir, JOB, 0, 1, &urls, &got, &err), KBJ_ENOTFOUND);
    assert_int_equal(kbj_urllist_delete(dir, JOB, &err), KBJ_OK);
}

static void bad_names_and_arguments_are_refused(void **state)
{
    const char *dir = *state;
    kbj_err err;
    unsigned long long n;

    assert_int_equal(kbj_urllist_write(dir, "../x", 0, NULL, NULL, NULL, NULL, &err),
                     KBJ_EINVAL);
    assert_int_equal(kbj_urllist_write("relative", JOB, 0, NULL, NULL, NULL, NULL, &err),
                     KBJ_EINVAL);
    assert_int_equal(kbj_urllist_write(dir, JOB, -1, NULL, NULL, NULL, NULL, &err),
                     KBJ_EINVAL);
    assert_int_equal(kbj_urllist_count(dir, ".hidden", &n, &err), KBJ_EINVAL);
    assert_int_equal(kbj_urllist_delete(dir, "a/b", &err), KBJ_EINVAL);
    assert_int_equal(
        kbj_urllist_write(at(dir, "missing"), JOB, 0, NULL, NULL, NULL, NULL, &err), KBJ_EIO);
    kbj_urllist_free(NULL, 3);
}

static void a_million_urls_are_written_in_bounded_memory(void **state)
{
    const char *dir = *state;
    const unsigned long long total = 1000000;
    struct rusage before, after;
    kbj_urllist_report rep;
    unsigned long long n = 0;
    kbj_err err;
    char **urls = NULL, want[128];
    size_t got = 0;

    FILE *f = fopen(at(dir, "million.txt"), "wb");
    assert_non_null(f);
    for (unsigned long long i = 0; i < total; i++)
        fprintf(f, "https://host%llu.example/articles/%llu?page=%llu\n", i % 997, i, i % 7);
    assert_int_equal(fclose(f), 0);
    int fd = open(at(dir, "million.txt"), O_RDONLY);
    assert_true(fd >= 0);

    assert_int_equal(getrusage(RUSAGE_SELF, &before), 0);
    int rc = kbj_urllist_write(dir, JOB, fd, NULL, NULL, NULL, &rep, &err);
    assert_int_equal(getrusage(RUSAGE_SELF, &after), 0);
    close(fd);
    if (rc != KBJ_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(rep.lines, total);
    assert_int_equal(rep.accepted, total);
    assert_int_equal(rep.duplicates, 0);
    /* Peak RSS growth in KiB: the hash set (16 MiB at most here) and the buffers.
     * AddressSanitizer keeps freed blocks in a quarantine of up to 256 MiB, which
     * inflates the peak without any leak, so the bound is checked without it. */
#if !defined(__SANITIZE_ADDRESS__)
    assert_true(after.ru_maxrss - before.ru_maxrss < 64 * 1024);
#endif

    assert_int_equal(kbj_urllist_count(dir, JOB, &n, &err), KBJ_OK);
    assert_int_equal(n, total);
    assert_int_equal(kbj_urllist_read(dir, JOB, total - 2, 10, &urls, &got, &err), KBJ_OK);
    assert_int_equal(got, 2);
    snprintf(want, sizeof want, "https://host%llu.example/articles/%llu?page=%llu",
             (total - 1) % 997, total - 1, (total - 1) % 7);
    assert_string_equal(urls[1], want);
    kbj_urllist_free(urls, got);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, kbj_test_tmpdir_setup, kbj_test_tmpdir_teardown)
    const struct CMUnitTest tests[] = {
        /* First, so that the peak-memory baselines are not raised by other tests (the
         * 50 MiB line holds less than the million URLs, so it goes before). */
        T(a_50_mib_line_is_refused_quickly_in_bounded_memory),
        T(a_million_urls_are_written_in_bounded_memory),
        T(mixed_list_counts_lines_and_reports_rejects_by_line),
        T(crlf_line_endings_are_trimmed),
        T(input_from_a_pipe_is_read_to_its_end),
        T(binary_lines_are_rejected_with_a_clean_excerpt),
        T(overlong_lines_are_rejected_without_being_held),
        T(list_without_a_valid_url_is_refused_and_writes_nothing),
        T(a_utf8_byte_order_mark_is_skipped),
        T(utf16_and_utf32_lists_are_refused_with_the_way_to_convert_them),
        T(a_list_without_a_valid_url_names_its_first_rejected_lines),
        T(binary_input_is_refused_as_a_whole),
        T(a_list_over_the_byte_cap_is_refused),
        T(a_list_over_the_line_cap_is_refused),
        T(endless_input_stops_at_a_cap),
        T(a_failed_rewrite_keeps_the_old_list),
        T(chunks_are_read_at_start_middle_end_and_past_the_end),
        T(a_list_that_disagrees_with_its_index_is_corrupt),
        T(delete_removes_both_files_and_is_idempotent),
        T(bad_names_and_arguments_are_refused),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
