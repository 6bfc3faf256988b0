/* Job logs: JSON lines appended whole, read by cursor, tailed, never torn. Every test
 * works in its own mkdtemp data directory. */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "fsutil.h"
#include "joblog.h"

/* ---- fixtures -------------------------------------------------------------------- */

/* The log file of job `id` under dir, in a static buffer. */
static const char *log_file(const char *dir, const char *id)
{
    static char buf[1024];
    snprintf(buf, sizeof buf, "%s/logs/%s.log", dir, id);
    return buf;
}

static unsigned long long file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (unsigned long long)st.st_size;
}

/* Appends raw bytes to a file, as a writer caught mid-line would have. */
static void raw_append(const char *path, const char *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0640);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
}

static void append_ok(const char *dir, const char *id, const char *level, const char *msg,
                      const char *ctx)
{
    kbj_err err = { "" };
    int rc = kbj_joblog_append(dir, id, level, msg, ctx, &err);
    if (rc != KBJ_OK)
        fail_msg("append failed (%d): %s", rc, err.msg);
}

/* Parses a line as a JSON object, or fails the test. The caller decrefs. */
static json_t *parse_line(const char *line)
{
    json_error_t jerr;
    json_t *o = json_loads(line, 0, &jerr);
    if (!o || !json_is_object(o))
        fail_msg("not a JSON object line: %s (%.80s)", jerr.text, line);
    return o;
}

static const char *str_field(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    assert_non_null(v);
    assert_true(json_is_string(v));
    return json_string_value(v);
}

/* ---- append and read ------------------------------------------------------------- */

static void append_then_read_returns_the_lines_with_their_context(void **state)
{
    const char *dir = *state;
    kbj_logread r;
    kbj_err err = { "" };
    struct stat st;

    append_ok(dir, "job1", "info", "fetched \"page\"\nsecond line",
              "{\"url\":\"https://e.x/a\",\"n\":3}");
    append_ok(dir, "job1", "error", "boom", NULL);

    assert_int_equal(kbj_joblog_read(dir, "job1", 0, 0, &r, &err), KBJ_OK);
    assert_int_equal(r.count, 2);
    assert_int_equal(r.next_cursor, file_size(log_file(dir, "job1")));
    assert_int_equal(r.eof, 1);
    assert_int_equal(r.bytes_read, r.next_cursor);

    json_t *a = parse_line(r.lines[0]);
    const char *ts = str_field(a, "ts");
    assert_int_equal(strlen(ts), 27); /* 2026-11-23T02:46:17.123456Z */
    assert_int_equal(ts[10], 'T');
    assert_int_equal(ts[19], '.');
    assert_int_equal(ts[26], 'Z');
    assert_string_equal(str_field(a, "level"), "info");
    assert_string_equal(str_field(a, "msg"), "fetched \"page\"\nsecond line");
    json_t *want = json_loads("{\"url\":\"https://e.x/a\",\"n\":3}", 0, NULL);
    assert_true(json_equal(json_object_get(a, "ctx"), want));
    assert_null(json_object_get(a, "truncated"));
    json_decref(want);
    json_decref(a);
    /* Compact: the keys follow each other with no spaces. */
    assert_memory_equal(r.lines[0], "{\"ts\":\"", 7);
    assert_non_null(strstr(r.lines[0], "\",\"level\":\"info\",\"msg\":\""));

    json_t *b = parse_line(r.lines[1]);
    assert_string_equal(str_field(b, "level"), "error");
    assert_string_equal(str_field(b, "msg"), "boom");
    assert_null(json_object_get(b, "ctx"));
    json_decref(b);
    kbj_logread_free(&r);
    assert_null(r.lines);
    kbj_logread_free(NULL);

    assert_int_equal(stat(log_file(dir, "job1"), &st), 0);
    assert_int_equal(st.st_mode & 0137, 0); /* 0640 at most */
}

static void read_continues_from_the_cursor_across_appends(void **state)
{
    const char *dir = *state;
    kbj_logread r;
    unsigned long long cursor;
    kbj_err err = { "" };

    append_ok(dir, "j", "info", "one", NULL);
    append_ok(dir, "j", "info", "two", NULL);
    assert_int_equal(kbj_joblog_read(dir, "j", 0, 0, &r, &err), KBJ_OK);
    assert_int_equal(r.count, 2);
    cursor = r.next_cursor;
    kbj_logread_free(&r);

    append_ok(dir, "j", "warning", "three", NULL);
    append_ok(dir, "j", "debug", "four", "{}");
    assert_int_equal(kbj_joblog_read(dir, "j", cursor, 0, &r, &err), KBJ_OK);
    assert_int_equal(r.count, 2);
    json_t *o = parse_line(r.lines[0]);
    assert_string_equal(str_field(o, "msg"), "three");
    json_decref(o);
    o = parse_line(r.lines[1]);
    assert_string_equal(str_field(o, "msg"), "four");
    assert_true(json_is_object(json_object_get(o, "ctx")));
    json_decref(o);
    assert_true(r.next_cursor > cursor);
    cursor = r.next_cursor;
    kbj_logread_free(&r);

    /* Nothing new: an empty result at the same cursor. */
    assert_int_equal(kbj_joblog_read(dir, "j", cursor, 0, &r, &err), KBJ_OK);
    assert_int_equal(r.count, 0);
    assert_int_equal(r.next_cursor, cursor);
    assert_int_equal(r.eof, 1);
    kbj_logread_free(&r);
}

static void torn_last_line_is_returned_only_once_complete(void **state)
{
    const char *dir = *state;
    const char *torn =
        "{\"ts\":\"2026-01-01T00:00:00.000000Z\",\"level\":\"info\",\"msg\":\"late\"}\n";
    size_t half = 20;
    kbj_logread r;
    unsigned long long cursor;
    kbj_err err = { "" };

    append_ok(dir, "j", "info", "first", NULL);
    raw_append(log_file(dir, "j"), torn, half);

    assert_int_equal(kbj_joblog_read(dir, "j", 0, 0, &r, &err), KBJ_OK);
    assert_int_equal(r.count, 1);
    assert_int_equal(r.eof, 1);
    cursor = r.next_cursor;
    assert_int_equal(cursor, file_size(log_file(dir, "j")) - half);
    kbj_logread_free(&r);

    assert_int_equal(kbj_joblog_read(dir, "j", cursor, 0, &r, &err), KBJ_OK);
    assert_int_equal(r.count, 0);
    assert_int_equal(r.next_cursor, cursor);
    kbj_logread_free(&r);

    assert_int_equal(kbj_joblog_tail(dir, "j", 5, &r, &err), KBJ_OK);
    assert_int_equal(r.count, 1);
    assert_int_equal(r.next_cursor, cursor);
    kbj_logread_free(&r);

    raw_append(log_file(dir, "j"), torn + half, strlen(torn) - half);
    assert_int_equal(kbj_joblog_read(dir, "j", cursor, 0, &r, &err), KBJ_OK);
    assert_int_equal(r.count, 1);
    assert_int_equal(strlen(r.lines[0]), strlen(torn) - 1);
    assert_memory_equal(r.lines[0], torn, strlen(torn) - 1);
    assert_int_equal(r.next_cursor, file_size(log_file(dir, "j")));
    kbj_logread_free(&r);
}

static void read_refuses_a_cursor_past_the_end_or_inside_a_line(void **state)
{
    const char *dir = *state;
    unsigned long long size;
    kbj_logread r;
    kbj_err err = { "" };

    append_ok(dir, "j", "info", "a line", NULL);
    size = file_size(log_file(dir, "j"));

    assert_int_equal(kbj_joblog_read(dir, "j", size + 1, 0, &r, &err), KBJ_EINVAL);
    assert_non_null(strstr(err.msg, "past the end"));
    assert_int_equal(r.count, 0);
    assert_int_equal(kbj_joblog_read(dir, "j", 5, 0, &r, &err), KBJ_EINVAL);
    assert_non_null(strstr(err.msg, "start of a line"));
    assert_int_equal(r.count, 0);
    assert_null(r.lines);
    assert_int_equal(kbj_joblog_read(dir, "j", size - 1, 0, &r, &err), KBJ_EINVAL);

    assert_int_equal(kbj_joblog_read(dir, "j", size, 0, &r, &err), KBJ_OK);
    assert_int_equal(r.count, 0);
    assert_int_equal(r.next_cursor, size);
    assert_int_equal(r.eof, 1);
    kbj_logread_free(&r);
}

static void missing_log_reads_and_tails_as_empty(void **state)
{
    const char *dir = *state;
    kbj_logread r;
    kbj_err err = { "" };

    assert_int_equal(kbj_joblog_read(dir, "nolog", 0, 0, &r, &err), KBJ_OK);
    assert_int_equal(r.count, 0);
    assert_int_equal(r.next_cursor, 0);
    assert_int_equal(r.eof, 1);
    kbj_logread_free(&r);
    assert_int_equal(kbj_joblog_read(dir, "nolog", 42, 0, &r, &err), KBJ_OK);
    assert_int_equal(r.next_cursor, 42);
    kbj_logread_free(&r);
    assert_int_equal(kbj_joblog_tail(dir, "nolog", 10, &r, &err), KBJ_OK);
    assert_int_equal(r.count, 0);
    assert_int_equal(r.next_cursor, 0);
    assert_int_equal(r.eof, 1);
    kbj_logread_free(&r);
}

/* ---- tail ------------------------------------------------------------------------ */

static void tail_returns_the_last_lines_in_order_and_a_cursor_to_follow(void **state)
{
    const char *dir = *state;
    kbj_logread r;
    kbj_err err = { "" };
    char msg[16];

    for (int i = 1; i <= 5; i++) {
        snprintf(msg, sizeof msg, "m%d", i);
        append_ok(dir, "j", "info", msg, NULL);
    }
    assert_int_equal(kbj_joblog_tail(dir, "j", 3, &r, &err), KBJ_OK);
    assert_int_equal(r.count, 3);
    for (int i = 0; i < 3; i++) {
        json_t *o = parse_line(r.lines[i]);
        snprintf(msg, sizeof msg, "m%d", i + 3);
        assert_string_equal(str_field(o, "msg"), msg);
        json_decref(o);
    }
    assert_int_equal(r.next_cursor, file_size(log_file(dir, "j")));
    assert_int_equal(r.eof, 1);
    unsigned long long cursor = r.next_cursor;
    kbj_logread_free(&r);

    /* More than there are, and 0 (clamped to 1). */
    assert_int_equal(kbj_joblog_tail(dir, "j", 10, &r, &err), KBJ_OK);
    assert_int_equal(r.count, 5);
    kbj_logread_free(&r);
    assert_int_equal(kbj_joblog_tail(dir, "j", 0, &r, &err), KBJ_OK);
    assert_int_equal(r.count, 1);
    assert_non_null(strstr(r.lines[0], "\"m5\""));
    kbj_logread_free(&r);

    /* Tail, then follow from its cursor: the next line and nothing else. */
    append_ok(dir, "j", "info", "m6", NULL);
    assert_int_equal(kbj_joblog_read(dir, "j", cursor, 0, &r, &err), KBJ_OK);
    assert_int_equal(r.count, 1);
    assert_non_null(strstr(r.lines[0], "\"m6\""));
    kbj_logread_free(&r);
}

/* 200,000 lines of a fixed width, written with one write(). */
enum { BIG_LINES = 200000 };
#define BIG_FMT \
    "{\"ts\":\"2026-01-01T00:00:00.000000Z\",\"level\":\"info\",\"msg\":\"line %06u\"}\n"

static size_t write_big_log(const char *dir, const char *id)
{
    char line[128];
    size_t width = (size_t)snprintf(line, sizeof line, BIG_FMT, 0u);
    char *all = malloc(width * BIG_LINES + 1);
    kbj_err err = { "" };
    char logs[1024];

    assert_non_null(all);
    for (unsigned i = 0; i < BIG_LINES; i++)
        snprintf(all + (size_t)i * width, width + 1, BIG_FMT, i % 1000000u);
    snprintf(logs, sizeof logs, "%s/logs", dir);
    assert_int_equal(kbj_fs_mkdirs(logs, &err), KBJ_OK);
    raw_append(log_file(dir, id), all, width * BIG_LINES);
    free(all);
    return width;
}

static void assert_line_number(const char *line, unsigned want)
{
    char expect[128];
    int n = snprintf(expect, sizeof expect, BIG_FMT, want);
    assert_int_equal(strlen(line), (size_t)n - 1);
    assert_memory_equal(line, expect, (size_t)n - 1);
}

static void tail_and_read_stay_bounded_on_a_large_log(void **state)
{
    const char *dir = *state;
    size_t width = write_big_log(dir, "big");
    unsigned long long size = (unsigned long long)width * BIG_LINES;
    kbj_logread r;
    kbj_err err = { "" };

    assert_int_equal(file_size(log_file(dir, "big")), size);

    assert_int_equal(kbj_joblog_tail(dir, "big", 10, &r, &err), KBJ_OK);
    assert_int_equal(r.count, 10);
    for (int i = 0; i < 10; i++)
        assert_line_number(r.lines[i], BIG_LINES - 10 + (unsigned)i);
    assert_true(r.bytes_read < 200 * 1024);
    assert_int_equal(r.next_cursor, size);
    kbj_logread_free(&r);

    assert_int_equal(kbj_joblog_tail(dir, "big", KBJ_JOBLOG_MAX_TAIL, &r, &err), KBJ_OK);
    assert_int_equal(r.count, KBJ_JOBLOG_MAX_TAIL);
    assert_line_number(r.lines[0], BIG_LINES - KBJ_JOBLOG_MAX_TAIL);
    assert_line_number(r.lines[r.count - 1], BIG_LINES - 1);
    assert_true(r.bytes_read <= KBJ_JOBLOG_MAX_TAIL * width + 65536);
    kbj_logread_free(&r);

    /* From the middle, with a 256 KiB budget. */
    unsigned long long cursor = (unsigned long long)width * 100000;
    assert_int_equal(kbj_joblog_read(dir, "big", cursor, 256 * 1024, &r, &err), KBJ_OK);
    assert_true(r.bytes_read <= 256 * 1024);
    assert_true(r.count > 1000);
    assert_int_equal(r.eof, 0);
    for (size_t i = 0; i < r.count; i++)
        assert_line_number(r.lines[i], 100000 + (unsigned)i);
    assert_int_equal(r.next_cursor, cursor + r.count * width);
    kbj_logread_free(&r);

    /* Following the whole log from 0 sees every line once, each call bounded. */
    size_t total = 0;
    cursor = 0;
    for (int calls = 0;; calls++) {
        assert_true(calls < 1000);
        assert_int_equal(kbj_joblog_read(dir, "big", cursor, 0, &r, &err), KBJ_OK);
        assert_true(r.bytes_read <= KBJ_JOBLOG_DEFAULT_READ);
        if (r.count > 0)
            assert_line_number(r.lines[0], (unsigned)total);
        total += r.count;
        cursor = r.next_cursor;
        int eof = r.eof;
        kbj_logread_free(&r);
        if (eof)
            break;
    }
    assert_int_equal(total, BIG_LINES);
    assert_int_equal(cursor, size);

    /* A budget below one line is raised to fit one; above the cap it is capped. */
    assert_int_equal(kbj_joblog_read(dir, "big", 0, 1, &r, &err), KBJ_OK);
    assert_int_equal(r.bytes_read, KBJ_JOBLOG_MAX_LINE + 1);
    kbj_logread_free(&r);
    assert_int_equal(kbj_joblog_read(dir, "big", 0, (size_t)1 << 30, &r, &err), KBJ_OK);
    assert_int_equal(r.bytes_read, KBJ_JOBLOG_MAX_READ);
    kbj_logread_free(&r);
}

static void read_skips_a_damaged_line_longer_than_its_budget(void **state)
{
    const char *dir = *state;
    size_t longlen = 300 * 1024;
    char *junk = malloc(longlen + 1);
    kbj_logread r;
    kbj_err err = { "" };

    assert_non_null(junk);
    memset(junk, 'x', longlen);
    junk[longlen] = '\n';
    append_ok(dir, "j", "info", "before", NULL);
    raw_append(log_file(dir, "j"), junk, longlen + 1);
    free(junk);
    append_ok(dir, "j", "info", "after", NULL);

    assert_int_equal(kbj_joblog_read(dir, "j", 0, 100 * 1024, &r, &err), KBJ_OK);
    assert_int_equal(r.count, 1);
    unsigned long long cursor = r.next_cursor;
    kbj_logread_free(&r);
    assert_int_equal(kbj_joblog_read(dir, "j", cursor, 100 * 1024, &r, &err), KBJ_OK);
    assert_int_equal(r.count, 0);
    assert_int_equal(r.eof, 0);
    assert_true(r.next_cursor > cursor + longlen);
    cursor = r.next_cursor;
    kbj_logread_free(&r);
    assert_int_equal(kbj_joblog_read(dir, "j", cursor, 100 * 1024, &r, &err), KBJ_OK);
    assert_int_equal(r.count, 1);
    assert_non_null(strstr(r.lines[0], "\"after\""));
    assert_int_equal(r.eof, 1);
    kbj_logread_free(&r);
}

/* ---- message limits and refusals ------------------------------------------------- */

/* The single line of job `id`'s log, parsed; its raw length in *len. */
static json_t *only_line(const char *dir, const char *id, size_t *len)
{
    kbj_logread r;
    kbj_err err = { "" };
    assert_int_equal(kbj_joblog_read(dir, id, 0, 0, &r, &err), KBJ_OK);
    assert_int_equal(r.count, 1);
    *len = strlen(r.lines[0]);
    json_t *o = parse_line(r.lines[0]);
    kbj_logread_free(&r);
    return o;
}

static void oversized_message_is_truncated_to_a_valid_line(void **state)
{
    const char *dir = *state;
    size_t n = 200 * 1024, len;
    char *msg = malloc(n + 1);
    json_t *o;

    assert_non_null(msg);
    memset(msg, 'a', n);
    msg[n] = '\0';
    append_ok(dir, "ascii", "info", msg, "{\"k\":\"v\"}");
    o = only_line(dir, "ascii", &len);
    assert_int_equal(len + 1, KBJ_JOBLOG_MAX_LINE); /* cut exactly at the limit */
    assert_true(json_is_true(json_object_get(o, "truncated")));
    assert_true(json_is_object(json_object_get(o, "ctx")));
    assert_memory_equal(str_field(o, "msg"), msg, strlen(str_field(o, "msg")));
    json_decref(o);

    /* Characters that expand when escaped, multi-byte ones, and an invalid byte. */
    for (size_t i = 0; i + 4 <= n; i += 4)
        memcpy(msg + i, i % 3 ? "\"\xc3\xa9\x01" : "\xe2\x82\xac\xff", 4);
    append_ok(dir, "mixed", "warning", msg, NULL);
    o = only_line(dir, "mixed", &len);
    assert_true(len + 1 <= KBJ_JOBLOG_MAX_LINE);
    assert_true(len + 1 > KBJ_JOBLOG_MAX_LINE - 16);
    assert_true(json_is_true(json_object_get(o, "truncated")));
    json_decref(o);

    /* A message that just fits is kept whole. */
    msg[1000] = '\0';
    memset(msg, 'b', 1000);
    append_ok(dir, "small", "info", msg, NULL);
    o = only_line(dir, "small", &len);
    assert_string_equal(str_field(o, "msg"), msg);
    assert_null(json_object_get(o, "truncated"));
    json_decref(o);
    free(msg);
}

static void invalid_utf8_in_a_message_is_replaced(void **state)
{
    const char *dir = *state;
    size_t len;

    append_ok(dir, "j", "info", "bad \xff\xc0\xaf byte, ok \xc3\xa9", NULL);
    json_t *o = only_line(dir, "j", &len);
    assert_string_equal(str_field(o, "msg"),
                        "bad \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd byte, ok \xc3\xa9");
    json_decref(o);
}

static void append_refuses_bad_levels_contexts_and_job_ids(void **state)
{
    const char *dir = *state;
    kbj_err err = { "" };
    char big[KBJ_JOBLOG_MAX_LINE + 100];
    char logs[1024];

    const char *levels[] = { "fatal", "INFO", "", NULL };
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
        assert_int_equal(kbj_joblog_append(dir, "j", levels[i], "m", NULL, &err), KBJ_EINVAL);
    assert_non_null(strstr(err.msg, "level"));

    const char *ctxs[] = { "[1,2]", "\"text\"", "42", "null", "{bad", "{\"a\":1} trailing", "" };
    for (size_t i = 0; i < sizeof ctxs / sizeof ctxs[0]; i++)
        if (kbj_joblog_append(dir, "j", "info", "m", ctxs[i], &err) != KBJ_EINVAL)
            fail_msg("context %s was accepted", ctxs[i]);

    /* A context too large for any line. */
    memset(big, ' ', sizeof big);
    memcpy(big, "{\"k\":\"", 6);
    memset(big + 6, 'v', sizeof big - 10);
    memcpy(big + sizeof big - 4, "\"}", 3);
    assert_int_equal(kbj_joblog_append(dir, "j", "info", "m", big, &err), KBJ_EINVAL);
    assert_non_null(strstr(err.msg, "too large"));

    const char *ids[] = { "../x", "a/b", ".hidden", "", NULL };
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        kbj_logread r;
        assert_int_equal(kbj_joblog_append(dir, ids[i], "info", "m", NULL, &err), KBJ_EINVAL);
        assert_int_equal(kbj_joblog_read(dir, ids[i], 0, 0, &r, &err), KBJ_EINVAL);
        assert_int_equal(kbj_joblog_tail(dir, ids[i], 5, &r, &err), KBJ_EINVAL);
        assert_int_equal(kbj_joblog_delete(dir, ids[i], &err), KBJ_EINVAL);
    }
    assert_int_equal(kbj_joblog_append("relative/dir", "j", "info", "m", NULL, &err), KBJ_EINVAL);
    assert_int_equal(kbj_joblog_append(dir, "j", "info", NULL, NULL, &err), KBJ_EINVAL);

    /* Nothing was written. */
    snprintf(logs, sizeof logs, "%s/logs", dir);
    assert_int_equal(access(logs, F_OK), -1);
}

static void append_creates_logs_but_not_a_missing_data_dir(void **state)
{
    const char *dir = *state;
    char missing[1024];
    kbj_err err = { "" };

    snprintf(missing, sizeof missing, "%s/unmounted", dir);
    assert_int_equal(kbj_joblog_append(missing, "j", "info", "m", NULL, &err), KBJ_EIO);
    assert_non_null(strstr(err.msg, "No such file"));
    assert_int_equal(access(missing, F_OK), -1);
}

static void delete_removes_the_log_and_accepts_a_missing_one(void **state)
{
    const char *dir = *state;
    kbj_err err = { "" };

    append_ok(dir, "j", "info", "m", NULL);
    assert_int_equal(access(log_file(dir, "j"), F_OK), 0);
    assert_int_equal(kbj_joblog_delete(dir, "j", &err), KBJ_OK);
    assert_int_equal(access(log_file(dir, "j"), F_OK), -1);
    assert_int_equal(kbj_joblog_delete(dir, "j", &err), KBJ_OK);
    assert_int_equal(kbj_joblog_delete(dir, "never", &err), KBJ_OK);
}

/* ---- concurrency ----------------------------------------------------------------- */

static void concurrent_appends_from_four_processes_stay_whole(void **state)
{
    enum { PROCS = 4, EACH = 2000 };
    const char *dir = *state;
    pid_t pids[PROCS];
    int next[PROCS] = { 0 };
    size_t total = 0;
    unsigned long long cursor = 0;
    kbj_err err = { "" };

    for (int p = 0; p < PROCS; p++) {
        pids[p] = fork();
        assert_true(pids[p] >= 0);
        if (pids[p] == 0) {
            char msg[64], ctx[64];
            for (int i = 0; i < EACH; i++) {
                snprintf(msg, sizeof msg, "process %d line %d", p, i);
                snprintf(ctx, sizeof ctx, "{\"p\":%d,\"i\":%d}", p, i);
                if (kbj_joblog_append(dir, "shared", "info", msg, ctx, NULL) != KBJ_OK)
                    _exit(1);
            }
            _exit(0);
        }
    }
    for (int p = 0; p < PROCS; p++) {
        int status;
        assert_int_equal(waitpid(pids[p], &status, 0), pids[p]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }

    for (;;) {
        kbj_logread r;
        assert_int_equal(kbj_joblog_read(dir, "shared", cursor, 0, &r, &err), KBJ_OK);
        for (size_t i = 0; i < r.count; i++) {
            json_t *o = parse_line(r.lines[i]);
            json_t *ctx = json_object_get(o, "ctx");
            int p = (int)json_integer_value(json_object_get(ctx, "p"));
            int n = (int)json_integer_value(json_object_get(ctx, "i"));
            char want[64];
            assert_true(p >= 0 && p < PROCS);
            assert_int_equal(n, next[p]); /* each process's lines in its order */
            next[p]++;
            snprintf(want, sizeof want, "process %d line %d", p, n);
            assert_string_equal(str_field(o, "msg"), want);
            json_decref(o);
        }
        total += r.count;
        cursor = r.next_cursor;
        int eof = r.eof;
        kbj_logread_free(&r);
        if (eof)
            break;
    }
    assert_int_equal(total, PROCS * EACH);
    assert_int_equal(cursor, file_size(log_file(dir, "shared")));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, kbj_test_tmpdir_setup, kbj_test_tmpdir_teardown)
    const struct CMUnitTest tests[] = {
        T(append_then_read_returns_the_lines_with_their_context),
        T(read_continues_from_the_cursor_across_appends),
        T(torn_last_line_is_returned_only_once_complete),
        T(read_refuses_a_cursor_past_the_end_or_inside_a_line),
        T(missing_log_reads_and_tails_as_empty),
        T(tail_returns_the_last_lines_in_order_and_a_cursor_to_follow),
        T(tail_and_read_stay_bounded_on_a_large_log),
        T(read_skips_a_damaged_line_longer_than_its_budget),
        T(oversized_message_is_truncated_to_a_valid_line),
        T(invalid_utf8_in_a_message_is_replaced),
        T(append_refuses_bad_levels_contexts_and_job_ids),
        T(append_creates_logs_but_not_a_missing_data_dir),
        T(delete_removes_the_log_and_accepts_a_missing_one),
        T(concurrent_appends_from_four_processes_stay_whole),
    };
#undef T
    return cmocka_run_group_tests_name("joblog", tests, NULL, NULL);
}
