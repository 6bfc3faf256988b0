/*
 * joblog.h - per-job logs: JSON lines under <data_dir>/logs/<job_id>.log.
 *
 * Each append is one whole line written with a single write() to a file opened with
 * O_APPEND, so lines from concurrent writers on one host never interleave. Readers
 * work by byte cursor: kbj_joblog_read() continues from a cursor, kbj_joblog_tail()
 * returns the last lines and the cursor to follow from. A torn last line (a writer
 * caught mid-append) is never returned; the cursor stays before it, so a client that
 * polls again gets it whole. Every read is bounded in memory and in bytes read,
 * however large the log.
 *
 * A line: {"ts":"2026-11-23T02:46:17.123456Z","level":"info","msg":"...","ctx":{...}}
 * with "truncated":true after "msg" when the message was cut to fit.
 */
#ifndef KBJ_JOBLOG_H
#define KBJ_JOBLOG_H

#include <stddef.h>

#include "kbj.h"

/* The longest line, newline included. */
#define KBJ_JOBLOG_MAX_LINE 65536
/* The most a single read or tail call reads from disk. */
#define KBJ_JOBLOG_MAX_READ (4u * 1024u * 1024u)
/* What a read reads when the caller passes max_bytes 0. */
#define KBJ_JOBLOG_DEFAULT_READ (256u * 1024u)
/* The most lines a tail returns. */
#define KBJ_JOBLOG_MAX_TAIL 10000

/*
 * Appends one line to the log of `job_id` under the absolute `data_dir`, creating the
 * logs/ directory (0750) and the file (0640) as needed. `level` is one of "debug",
 * "info", "warning", "error". `message` is stored as valid UTF-8 (ill-formed bytes
 * become U+FFFD) and, when the line would exceed KBJ_JOBLOG_MAX_LINE, cut on a
 * character boundary with "truncated":true. `context_json` is NULL or the text of a
 * JSON object, stored as "ctx".
 *
 * Returns 0; KBJ_EINVAL for a bad data_dir or job id, an unknown level, a NULL message,
 * a context that is not a JSON object or is too large to fit a line with an empty
 * message; KBJ_ENOMEM; KBJ_EIO when the file cannot be opened or written (the message
 * says why; a full disk reads "no space left on device"). A write the system cut short
 * is ended with a newline when possible, so later lines stay whole.
 */
int kbj_joblog_append(const char *data_dir, const char *job_id, const char *level,
                      const char *message, const char *context_json, kbj_err *err);

/*
 * Reads the complete lines of the log of `job_id` that start at byte `cursor`, reading
 * at most `max_bytes` from disk (0 means KBJ_JOBLOG_DEFAULT_READ; the value is clamped
 * to KBJ_JOBLOG_MAX_LINE + 1 .. KBJ_JOBLOG_MAX_READ, so at least one line always
 * fits). Empty lines are skipped. Fills *out (which the caller releases with
 * kbj_logread_free()): the lines, next_cursor (just past the last complete line
 * returned or skipped), bytes_read, and eof (1 when the read reached the end of the
 * file, so nothing complete follows next_cursor yet).
 *
 * A missing log is an empty result: count 0, next_cursor = cursor, eof 1. A line longer
 * than max_bytes (only a damaged log holds one) is skipped, which may read past
 * max_bytes up to its end. Returns 0; KBJ_EINVAL for a bad data_dir or job id, a NULL
 * `out`, or a cursor past the end of the file or not at the start of a line;
 * KBJ_ENOMEM; KBJ_EIO. On failure *out is empty.
 */
int kbj_joblog_read(const char *data_dir, const char *job_id, unsigned long long cursor,
                    size_t max_bytes, kbj_logread *out, kbj_err *err);

/*
 * Returns in *out the last `n` complete lines of the log of `job_id` in file order
 * (n clamped to 1..KBJ_JOBLOG_MAX_TAIL), with next_cursor at the end of the last
 * complete line, so a client can follow with kbj_joblog_read(), and eof 1. The log is
 * read backwards in growing blocks and at most about KBJ_JOBLOG_MAX_READ bytes are
 * read: when the last n lines are longer than that, only the most recent lines that fit
 * are returned. A missing log is an empty result with next_cursor 0. Empty lines are
 * skipped. Returns 0; KBJ_EINVAL for a bad data_dir or job id or a NULL `out`;
 * KBJ_ENOMEM; KBJ_EIO. On failure *out is empty.
 */
int kbj_joblog_tail(const char *data_dir, const char *job_id, size_t n, kbj_logread *out,
                    kbj_err *err);

/*
 * Removes the log of `job_id`. A missing log is fine. Returns 0; KBJ_EINVAL for a bad
 * data_dir or job id; KBJ_EIO when the file exists but cannot be removed.
 */
int kbj_joblog_delete(const char *data_dir, const char *job_id, kbj_err *err);

#endif /* KBJ_JOBLOG_H */
