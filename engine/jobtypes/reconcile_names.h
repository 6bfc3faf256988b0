/*
 * reconcile_names.h - the file names reconciliation expects under the data directory,
 * in one table (reconcile_names.c), and how a name it did not expect is shown.
 *
 *   artifacts/<hh>/<sha256>.json     hh: the hash's first two characters
 *   lists/<job>.urls, <job>.idx, <job>.failed.jsonl
 *   logs/<job>.log, <job>.reconcile.jsonl
 *   checkpoints/<job>.checkpoint.json, <job>.partial.json
 *   any folder: .<name>.tmp.<pid>.<n> (an atomic write in progress, or left by a crash),
 *               lists/<random>.resubmit (a resubmission's scratch file, unlinked at once)
 *
 * <job> is a public job id (16 lowercase hex characters). quarantine/ is never walked.
 * docs/engine.md (Reconciliation) lists the same names: change both together.
 */
#ifndef KBJ_RECONCILE_NAMES_H
#define KBJ_RECONCILE_NAMES_H

#include <stddef.h>

#include "kbj.h"

/* What a name in one of the walked folders is. */
typedef enum kbj_rname_kind {
    KBJ_RNAME_JOB_FILE,   /* <job><suffix>: belongs to the job row `id` */
    KBJ_RNAME_ARTIFACT,   /* <sha256>.json inside artifacts/<hh>/ */
    KBJ_RNAME_BUCKET,     /* <hh> inside artifacts/ */
    KBJ_RNAME_TEMP,       /* a temporary file: an orphan only once past the grace time */
    KBJ_RNAME_UNEXPECTED, /* a plain name that matches no pattern of its folder */
    KBJ_RNAME_HOSTILE     /* control characters, spaces, non-ASCII bytes, "..", a leading '-' */
} kbj_rname_kind;

/* The folders walked, in the order of a run (the artifacts first). */
enum { KBJ_RDIR_ARTIFACTS, KBJ_RDIR_LISTS, KBJ_RDIR_LOGS, KBJ_RDIR_CHECKPOINTS, KBJ_RDIR_COUNT };

/* The folder's name under the data directory ("artifacts", "lists", ...). */
const char *kbj_rdir_name(int dir);

/*
 * Classifies `name` found in folder `dir` (for KBJ_RDIR_ARTIFACTS, `bucket` is NULL for
 * a name directly under artifacts/ and the bucket's name for one inside it). For a job
 * file the job id goes to id (capacity KBJ_ID_LEN + 1) and *suffix points into `name`
 * at the matched suffix; otherwise id is "". Never fails.
 */
kbj_rname_kind kbj_rname_classify(int dir, const char *bucket, const char *name, char *id,
                                  const char **suffix);

/* 1 when the suffix belongs to a URL list (and so may be shared by a rerun naming it
 * in its params' "list"): .urls, .idx, .failed.jsonl. */
int kbj_rname_is_list_suffix(const char *suffix);

/*
 * Writes `name` into out (capacity cap) with every byte outside 0x21..0x7e and every
 * backslash as \xHH (so a newline, a space or a non-UTF-8 byte stays visible and the
 * result is one safe line of ASCII). Cut short, never mid-escape, when it does not fit.
 * Returns 1 when anything was escaped.
 */
int kbj_rname_escape(const char *name, char *out, size_t cap);

#endif /* KBJ_RECONCILE_NAMES_H */
