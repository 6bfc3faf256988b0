/*
 * urllist.h - URL list files: lists/<job>.urls holds the job's normalised URLs, one a
 * line in input order, and lists/<job>.idx the byte offset of each line start as a
 * little-endian uint64, followed by the .urls file's size as the last entry. A job's
 * URLs can so be counted from the index size and read in any chunk with two preads.
 */
#ifndef KBJ_URLLIST_H
#define KBJ_URLLIST_H

#include <stddef.h>

#include "kbj.h"

/* Input lines longer than this are rejected without being held in memory whole. */
#define KBJ_URLLIST_LINE_MAX ((size_t)65536)
/* Rejected-line excerpts passed to the callback are cut to this many bytes. */
#define KBJ_URLLIST_EXCERPT_MAX 200

/* What kbj_urllist_write() did with its input. `lines` counts every line, blank and
 * comment lines included; accepted + duplicates + rejected + (blank and comment lines)
 * == lines. */
typedef struct kbj_urllist_report {
    unsigned long long lines, accepted, duplicates, rejected;
} kbj_urllist_report;

/* Called once per rejected line: its 1-based number, the reason ("binary data", "line
 * longer than 2048 bytes", or a kbj_url_normalise() reason such as "not a URL") and an
 * excerpt of the line, trimmed, cut to KBJ_URLLIST_EXCERPT_MAX bytes, with every byte
 * outside printable ASCII (0x20..0x7E) replaced by '?'. The strings are valid only
 * during the call. */
typedef void (*kbj_urllist_reject_fn)(unsigned long long line_no, const char *reason,
                                      const char *line_excerpt, void *arg);

/*
 * Reads lines ('\n'-terminated; a final line without one counts; a '\r' before the
 * '\n' is trimmed with the other whitespace) from `fd_in` (a file or a pipe, read to its
 * end, not closed) through a buffer of KBJ_URLLIST_LINE_MAX bytes, and writes the job's
 * list files. Blank lines and lines starting with '#' after trimming are skipped. A line
 * with a NUL byte is rejected as "binary data", a line longer than KBJ_URLLIST_LINE_MAX
 * as "line longer than 2048 bytes", and any other line kbj_url_normalise() refuses with
 * that function's reason; `on_reject` (may be NULL) is called for each. Duplicates of
 * an earlier accepted URL (after normalisation) are dropped and counted, without a
 * callback.
 *
 * Duplicates are found with a set of 64-bit SipHash-2-4 hashes of the normalised URLs,
 * keyed at random per call (open addressing, grown as needed: 11 to 21 bytes per unique
 * URL, about 16 on average, plus the old table while growing). Two different URLs hash
 * alike with probability about 2^-64, so a list of n URLs loses a URL as a false
 * duplicate with probability about n^2 / 2^65 (3e-8 for a million URLs); the random
 * key means input cannot be crafted to collide.
 *
 * Both files are written to temporary files in lists/ (created, but never the data
 * directory itself) and fsynced, then renamed into place, .urls first, and the directory
 * fsynced; an existing list of the job is replaced (each file atomically; do not rewrite
 * a list while it is being read). `report` (may be NULL) receives the counts, also on
 * failure (then as far as the input was read).
 *
 * Returns 0; KBJ_EINVAL for an invalid data directory or job id, a negative fd_in, or
 * "the list has no valid URL" when no line was accepted; KBJ_ENOMEM; KBJ_EIO
 * when reading the input or writing the files fails. On failure no list file is created
 * or changed and no temporary file is left behind, with one exception: when only the
 * final directory fsync fails, the new list is in place but may not survive a crash.
 */
int kbj_urllist_write(const char *data_dir, const char *job_id, int fd_in,
                      kbj_urllist_reject_fn on_reject, void *arg,
                      kbj_urllist_report *report, kbj_err *err);

/*
 * Stores the number of URLs in the job's list in *n, from the index size. Returns 0;
 * KBJ_EINVAL for a bad data directory or job id or NULL `n`; KBJ_ENOTFOUND when the job
 * has no list; KBJ_ECORRUPT when the index size is not a whole number of entries or
 * has no final size entry; KBJ_EIO. *n is 0 on failure.
 */
int kbj_urllist_count(const char *data_dir, const char *job_id, unsigned long long *n,
                      kbj_err *err);

/*
 * Reads the URLs numbered [first, first + count) (0-based; clamped to the end of the
 * list) with one pread of their index entries and one of exactly their bytes, no scan.
 * *urls receives a new array of *n new NUL-terminated strings (free with
 * kbj_urllist_free); first at or beyond the end, or count 0, gives *urls NULL and *n 0.
 * Memory is at most about count * 2 KiB. Returns 0; KBJ_EINVAL for bad arguments;
 * KBJ_ENOTFOUND when the job has no list; KBJ_ECORRUPT when the index and the list do
 * not agree (offsets out of order or out of range, a line over KBJ_URL_MAX bytes or not
 * ending in '\n', a truncated file); KBJ_ENOMEM; KBJ_EIO. On failure *urls is NULL and
 * *n 0.
 */
int kbj_urllist_read(const char *data_dir, const char *job_id, unsigned long long first,
                     size_t count, char ***urls, size_t *n, kbj_err *err);

/* Frees `n` strings from kbj_urllist_read and their array. Accepts NULL. */
void kbj_urllist_free(char **urls, size_t n);

/*
 * Removes the job's .urls and .idx files; a file that does not exist is fine. Returns
 * 0, KBJ_EINVAL for a bad data directory or job id, or KBJ_EIO when a file exists but
 * cannot be removed.
 */
int kbj_urllist_delete(const char *data_dir, const char *job_id, kbj_err *err);

#endif /* KBJ_URLLIST_H */
