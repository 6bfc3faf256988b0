/*
 * urllist.h - URL list files: lists/<job>.urls holds the job's normalised URLs, one a
 * line in input order, and lists/<job>.idx the byte offset of each line start as a
 * little-endian uint64, followed by the .urls file's size as the last entry. A job's
 * URLs can so be counted from the index size and read in any chunk with two preads.
 * The input is UTF-8 text, capped in bytes and lines; UTF-16, UTF-32 and binary input
 * is refused whole, with a message that says why (see kbj_urllist_write).
 */
#ifndef KBJ_URLLIST_H
#define KBJ_URLLIST_H

#include <stddef.h>

#include "kbj.h"
#include "kbj_import.h"

/* Input lines longer than this are rejected without being held in memory whole. */
#define KBJ_URLLIST_LINE_MAX ((size_t)65536)
/* Rejected-line excerpts passed to the callback are cut to this many bytes. */
#define KBJ_URLLIST_EXCERPT_MAX 200
/* The default caps of a list's input: 1 GiB and 5,000,000 lines. */
#define KBJ_URLLIST_MAX_BYTES ((unsigned long long)1 << 30)
#define KBJ_URLLIST_MAX_LINES 5000000ULL
/* How many of the first input bytes are looked at for the encoding and binary data. */
#define KBJ_URLLIST_SNIFF 8000
/* How many rejected lines the "no valid URL" error names. */
#define KBJ_URLLIST_ERROR_LINES 5

/* kbj_urllist_limits, kbj_urllist_report and kbj_urllist_reject_fn are public: see
 * kbj_import.h. */

/*
 * Reads lines ('\n'-terminated; a final line without one counts; a '\r' before the
 * '\n' is trimmed with the other whitespace) from `fd_in` (a file or a pipe, read to its
 * end or to a cap, not closed) through a buffer of KBJ_URLLIST_LINE_MAX bytes, and
 * writes the job's list files.
 *
 * The list is UTF-8 text. First, before any line is taken, its first KBJ_URLLIST_SNIFF
 * bytes (or all of it when shorter) are looked at:
 *   - a UTF-8 byte-order mark (EF BB BF) is skipped;
 *   - a UTF-16 or UTF-32 byte-order mark, or, without one, UTF-16 guessed from the
 *     first 64 bytes (at least 2, and at least 3 in 4, of their 16-bit units are a
 *     non-zero byte beside a zero byte, the zero on the same side in all of them),
 *     refuses the list; it is not decoded. The message names the encoding and the
 *     fix, e.g. "the list is UTF-16 (little-endian); save it as UTF-8 (for example
 *     `iconv -f UTF-16 -t UTF-8 list.txt > list-utf8.txt`)", or for a guess "the list
 *     looks like UTF-16 (big-endian, no byte-order mark); save it as UTF-8 (for example
 *     `iconv -f UTF-16BE -t UTF-8 list.txt > list-utf8.txt`)";
 *   - a list whose first bytes hold a NUL byte and at least one in 16 of them are NUL or
 *     other control bytes (0x00..0x1F except tab, line feed, vertical tab, form feed,
 *     carriage return and escape; 0x7F) is refused as "the list looks binary: <n> of its
 *     first <m> bytes are NUL or other control bytes". A stray NUL in a text list is
 *     left to the per-line check below.
 *
 * Blank lines and lines starting with '#' after trimming are skipped. A line with a NUL
 * byte is rejected as "binary data (NUL byte)", a line longer than KBJ_URLLIST_LINE_MAX
 * as "line longer than 2048 bytes" (its bytes are read and dropped, never held), and any
 * other line kbj_url_normalise() refuses with that function's reason; `on_reject` (may
 * be NULL) is called for each. Duplicates of an earlier accepted URL (after
 * normalisation) are dropped and counted, without a callback.
 *
 * `limits` (may be NULL: defaults) caps the input: no more than max_list_bytes + 1 bytes
 * are ever read, and a list with more bytes is refused as "the list is larger than
 * <max_list_bytes> bytes (the max_list_bytes setting)"; the line after max_list_lines
 * lines refuses the list as "the list has more than <max_list_lines> lines (the
 * max_list_lines setting)". Endless input (a pipe from /dev/zero, `yes`) so stops at a
 * cap or at the binary check.
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
 * Returns 0; KBJ_EINVAL for an invalid data directory or job id, a negative fd_in, a
 * list refused as UTF-16, UTF-32, binary or over a cap (messages above), or when no
 * line was accepted: "the list has no valid URL: " followed by "it is empty", "it has
 * only blank lines and comments", or the first KBJ_URLLIST_ERROR_LINES rejected lines
 * as "line 1: not a URL; line 2: binary data (NUL byte)" and, when there are more,
 * "; 7 more lines rejected" ("; 1 more line rejected"); KBJ_ENOMEM; KBJ_EIO when
 * reading the input or writing the files fails. On failure no list file is created or
 * changed and no temporary file is left behind, with one exception: when only the final
 * directory fsync fails, the new list is in place but may not survive a crash.
 */
int kbj_urllist_write(const char *data_dir, const char *job_id, int fd_in,
                      const kbj_urllist_limits *limits, kbj_urllist_reject_fn on_reject,
                      void *arg, kbj_urllist_report *report, kbj_err *err);

/*
 * Reads a list from `fd_in` exactly as kbj_urllist_write() does (the same checks, caps,
 * counts, rejected lines with their numbers, and errors) without writing anything: a
 * check before a list is stored. Returns what kbj_urllist_write() would return, but for
 * the errors of writing files.
 */
int kbj_urllist_check(int fd_in, const kbj_urllist_limits *limits, kbj_urllist_reject_fn on_reject, void *arg,
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
