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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
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
    int rc = kbj_urllist_write(dir, JOB, fd, r ? on_reject : NULL, r, rep, err);
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
    assert_int_equal(kbj_urllist_write(dir, JOB, p[0], NULL, NULL, &rep, &err), KBJ_OK);
    close(p[0]);
    assert_int_equal(rep.lines, 2);
    expect_list(dir, want, 2);
}

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
    assert_string_equal(r.reason[0], "binary data");
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
    assert_string_equal(err.msg, "the list has no valid URL");
    assert_int_equal(rep.lines, 4);
    assert_int_equal(rep.rejected, 2);
    assert_int_equal(list_dir_entries(dir), 0);
    assert_int_equal(kbj_urllist_count(dir, JOB, &n, &err), KBJ_ENOTFOUND);
    assert_int_equal(n, 0);

    assert_int_equal(write_list(dir, "", 0, NULL, &rep, &err), KBJ_EINVAL);
    assert_int_equal(rep.lines, 0);
    assert_int_equal(list_dir_entries(dir), 0);
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

    assert_int_equal(kbj_urllist_write(dir, "../x", 0, NULL, NULL, NULL, &err), KBJ_EINVAL);
    assert_int_equal(kbj_urllist_write("relative", JOB, 0, NULL, NULL, NULL, &err),
                     KBJ_EINVAL);
    assert_int_equal(kbj_urllist_write(dir, JOB, -1, NULL, NULL, NULL, &err), KBJ_EINVAL);
    assert_int_equal(kbj_urllist_count(dir, ".hidden", &n, &err), KBJ_EINVAL);
    assert_int_equal(kbj_urllist_delete(dir, "a/b", &err), KBJ_EINVAL);
    assert_int_equal(kbj_urllist_write(at(dir, "missing"), JOB, 0, NULL, NULL, NULL, &err),
                     KBJ_EIO);
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
    int rc = kbj_urllist_write(dir, JOB, fd, NULL, NULL, &rep, &err);
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
        /* First, so that the peak-memory baseline is not raised by other tests. */
        T(a_million_urls_are_written_in_bounded_memory),
        T(mixed_list_counts_lines_and_reports_rejects_by_line),
        T(crlf_line_endings_are_trimmed),
        T(input_from_a_pipe_is_read_to_its_end),
        T(binary_lines_are_rejected_with_a_clean_excerpt),
        T(overlong_lines_are_rejected_without_being_held),
        T(list_without_a_valid_url_is_refused_and_writes_nothing),
        T(a_failed_rewrite_keeps_the_old_list),
        T(chunks_are_read_at_start_middle_end_and_past_the_end),
        T(a_list_that_disagrees_with_its_index_is_corrupt),
        T(delete_removes_both_files_and_is_idempotent),
        T(bad_names_and_arguments_are_refused),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
