/*
 * fsutil.h - filesystem helpers: safe paths under the data directory, atomic whole-file
 * writes, directory fsync, bounded whole-file reads, and UTF-8 repair.
 *
 * Names that come from outside (job ids, artifact hashes) only ever reach the
 * filesystem through kbj_fs_path(), which refuses anything but a plain file name, so
 * nothing can escape the data directory. Whole files are written with
 * kbj_fs_write_atomic(): a reader sees the old content or the new, never a mix.
 */
#ifndef KBJ_FSUTIL_H
#define KBJ_FSUTIL_H

#include <stddef.h>

#include "kbj.h"

/* The longest name kbj_fs_safe_name() accepts. */
#define KBJ_FS_NAME_MAX 128

/*
 * Creates `path` and any missing parent directories with mode 0750 (before umask), like
 * `mkdir -p`. Directories that already exist are fine. Returns 0; KBJ_EINVAL for a
 * NULL, empty or over-long (4095+ bytes) path; KBJ_EIO when a directory cannot be
 * created or a component exists and is not a directory (the message names it).
 * Directories created before a failure are left in place.
 */
int kbj_fs_mkdirs(const char *path, kbj_err *err);

/*
 * Returns 1 when `name` is 1 to KBJ_FS_NAME_MAX characters of [A-Za-z0-9._-] and does
 * not start with '.', else 0 (also for NULL). Such a name has no '/', is not "." or
 * "..", and is not a hidden or temporary file of kbj_fs_write_atomic().
 */
int kbj_fs_safe_name(const char *name);

/*
 * Builds "<data_dir>/<sub>/<name><suffix>" into `out` (capacity `cap`); trailing
 * slashes of data_dir are dropped. `suffix` may be NULL or "" and otherwise must be at
 * most 32 characters of [A-Za-z0-9._-]. Returns 0, or KBJ_EINVAL when data_dir is not
 * absolute, sub or name is not a kbj_fs_safe_name(), the suffix is malformed, or the
 * result does not fit in `cap`; `out` is then "" (when cap > 0).
 */
int kbj_fs_path(char *out, size_t cap, const char *data_dir, const char *sub,
                const char *name, const char *suffix, kbj_err *err);

/*
 * Replaces the file at `path` with `len` bytes of `data`, atomically: the bytes go to a
 * new temporary file in the same directory (".<base>.tmp.<pid>.<counter>", created
 * with O_EXCL, mode 0640 before umask), which is then renamed over `path`. With
 * `durable` non-zero the temporary file is fsynced before the rename and the directory
 * after it, so the new content survives a crash once the call has returned.
 *
 * Returns 0; KBJ_EINVAL for a NULL or empty path, a path ending in '/', or NULL data
 * with len > 0; KBJ_EIO when any step fails, with the system's reason in the message
 * (a full disk reads "no space left on device"). On failure before the rename, the
 * temporary file is removed and `path` is untouched. If only the final directory fsync
 * fails, `path` already holds the new content but it may not survive a crash.
 * A process killed mid-call leaves `path` untouched (plus, at worst, a stray
 * temporary file whose name starts with '.').
 */
int kbj_fs_write_atomic(const char *path, const void *data, size_t len, int durable,
                        kbj_err *err);

/*
 * Test hook, NULL in production: when set, kbj_fs_write_atomic() calls it with the
 * temporary and the real path after the data has been written (and fsynced when
 * durable) and just before the rename, so a test can kill the process at that point.
 */
extern void (*kbj_fs_test_before_rename)(const char *tmp_path, const char *path);

/* Writes all `len` bytes of `buf` to `fd`, retrying short writes and EINTR (no progress
 * counts as a full device, ENOSPC). Returns 0, or -1 with errno set. */
int kbj_fs_write_all(int fd, const void *buf, size_t len);

/*
 * Flushes the directory entry changes of `dir` (creates, renames, unlinks) to disk.
 * Returns 0, KBJ_EINVAL for a NULL or empty path, or KBJ_EIO when the directory cannot
 * be opened or synced. A filesystem that does not support fsync on directories
 * (EINVAL) counts as success.
 */
int kbj_fs_fsync_dir(const char *dir, kbj_err *err);

/*
 * Reads the whole regular file at `path`, at most `max` bytes, into a new
 * NUL-terminated buffer stored in *out (the caller frees it) with its length, not
 * counting the NUL, in *len (`len` may be NULL). Returns 0; KBJ_ENOTFOUND when the file
 * does not exist; KBJ_EINVAL for NULL arguments, a `max` of SIZE_MAX, or a file longer
 * than `max` ("too large"); KBJ_ENOMEM; KBJ_EIO for other failures, including a path
 * that is not a regular file. On failure *out is NULL and *len is 0.
 */
int kbj_fs_read_file(const char *path, size_t max, char **out, size_t *len, kbj_err *err);

#endif /* KBJ_FSUTIL_H */
