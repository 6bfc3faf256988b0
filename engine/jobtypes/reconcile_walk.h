/*
 * reconcile_walk.h - a directory's names in byte order, in bounded memory, never
 * through a symbolic link.
 *
 * A directory is read in windows: each pass of readdir keeps the `window` smallest names
 * after the last one handed out (a max-heap of that size), sorts them and hands them out;
 * the next window re-reads the directory from its start. Memory is bounded by the window
 * (at most `window` names of at most 255 bytes each; with the default 16,384 names about
 * 1 MB for typical names, 4.3 MB at worst), whatever the directory holds; a directory of
 * N names costs ceil(N / window) passes of readdir. An artifacts/<hh>/ bucket holds
 * about 1/256 of the artifacts (3,900 of a million): one pass. A name added or removed
 * during the walk is seen or not, like a keyset page of a table; none is handed out
 * twice and the order never goes back.
 *
 * Directories are opened relative to their parent's descriptor with O_NOFOLLOW, so a
 * symbolic link in place of a directory is refused (ELOOP/ENOTDIR) and the walk never
 * leaves the tree it started in.
 */
#ifndef KBJ_RECONCILE_WALK_H
#define KBJ_RECONCILE_WALK_H

#include <stddef.h>

#include "kbj.h"

/* The default window, in names. */
#define KBJ_SDIR_WINDOW 16384

typedef struct kbj_sdir kbj_sdir;

/*
 * Opens `name` under the directory descriptor `parent_fd` (AT_FDCWD with an absolute
 * path for the root) without following a symbolic link, for names after `after` (NULL:
 * from the first; with `inclusive` non-zero, `after` itself too). Messages call it
 * `label` ("artifacts/ab"; NULL: `name`). Returns 0 with *out
 * set; KBJ_ENOTFOUND when it does not exist; KBJ_EIO when it is a symbolic link, not a
 * directory or cannot be read (the message says which); KBJ_ENOMEM.
 */
int kbj_sdir_open(int parent_fd, const char *name, const char *label, size_t window, const char *after,
                  int inclusive, kbj_sdir **out, kbj_err *err);

/* The next name in byte order: 1 with *name set (valid until the next call), 0 at the
 * end, or KBJ_EIO / KBJ_ENOMEM. "." and ".." are never handed out. */
int kbj_sdir_next(kbj_sdir *d, const char **name, kbj_err *err);

/* The type readdir gave the name handed out last (DT_REG, DT_LNK, ...; DT_UNKNOWN when
 * the file system does not say): what a walk may trust without an lstat of its own. */
unsigned char kbj_sdir_type(const kbj_sdir *d);

/* The directory's descriptor, for fstatat/openat of its names. */
int kbj_sdir_fd(const kbj_sdir *d);

/* How many passes of readdir the walk took so far (for tests of the bound). */
unsigned kbj_sdir_passes(const kbj_sdir *d);

/* Closes the directory and frees the walk. Accepts NULL. */
void kbj_sdir_free(kbj_sdir *d);

#endif /* KBJ_RECONCILE_WALK_H */
