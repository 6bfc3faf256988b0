/*
 * artifact.h - artifacts: one normalised document per imported URL, stored as
 * artifacts/<hh>/<url_hash>.json under the data directory (url_hash: the sha256 of the
 * normalised URL, hh its first two characters), and the artifact index in the database
 * (kbjobs_artifacts: URL, path, content hash, post id), which reconciliation compares
 * with the files.
 *
 * Files are written in batches, one per chunk of an import: each file goes to a
 * temporary name; kbj_artifact_batch_commit() then makes them durable together with one
 * syncfs() of the filesystem holding the artifacts, renames them into place, and makes
 * the renames durable with a second syncfs(). Two flushes per chunk instead of one
 * fsync per file and per directory (measured: 1.7x the pages/s of per-file fdatasync
 * plus per-directory fsync at 50 files a chunk, tests/bench/README.md). The price:
 * syncfs flushes whatever else is dirty on that filesystem, so the data directory is
 * best on a volume of its own. A file is never visible under its real name
 * half-written.
 */
#ifndef KBJ_ARTIFACT_H
#define KBJ_ARTIFACT_H

#include <stddef.h>

#include "kbj.h"
#include "kbj_import.h"

/* The artifact file of `url_hash` relative to the data directory
 * ("artifacts/ab/ab12....json") into out (capacity at least 96). 0 or KBJ_EINVAL when
 * url_hash is not 64 lowercase hex characters. */
int kbj_artifact_relpath(const char *url_hash, char *out, size_t cap);

typedef struct kbj_artifact_batch kbj_artifact_batch;

/* A new, empty batch writing under data_dir; NULL when out of memory. */
kbj_artifact_batch *kbj_artifact_batch_new(const char *data_dir);

/*
 * Writes the `len` bytes of `json` to a temporary file beside the artifact of
 * `url_hash` (creating artifacts/<hh>/ as needed); not yet visible, not yet synced.
 * Returns 0, KBJ_EINVAL (bad hash), KBJ_ENOMEM or KBJ_EIO (the message names the file
 * and the system's reason, "no space left on device" for a full disk).
 */
int kbj_artifact_batch_add(kbj_artifact_batch *b, const char *url_hash, const char *json,
                           size_t len, kbj_err *err);

/*
 * Makes the batch durable and visible: syncs the filesystem (the temporary files),
 * renames each over its artifact, then syncs the filesystem again (the renames).
 * Returns 0 or KBJ_EIO; on failure before the renames no artifact changed (the
 * temporary files are removed by kbj_artifact_batch_free). After a commit the batch is
 * empty and can be reused.
 */
int kbj_artifact_batch_commit(kbj_artifact_batch *b, kbj_err *err);

/* Number of files added and not yet committed. */
size_t kbj_artifact_batch_size(const kbj_artifact_batch *b);

/* Removes any temporary files not committed and frees the batch. Accepts NULL. */
void kbj_artifact_batch_free(kbj_artifact_batch *b);

/* One row of the artifact index. */
typedef struct kbj_artifact_row {
    char url_hash[65];      /* "" when the URL has no row */
    char content_hash[65];  /* of the document the artifact file holds */
    char post_hash[65];     /* of the document the post was last written from ("" none) */
    long long post_id;      /* 0: no post yet */
    char job_id[KBJ_ID_LEN + 1];      /* the import that last wrote the artifact ("" none) */
    char created_job[KBJ_ID_LEN + 1]; /* the import that made the post (or, without
                                       * posts, the row) ("" unknown) */
} kbj_artifact_row;

/* Reads the index rows of `n` URL hashes (at most 1000) into rows[i] for hashes[i].
 * Returns 0, KBJ_EINVAL or KBJ_EDB. */
int kbj_artifact_lookup(kbj_engine *eng, const char *const *hashes, size_t n, kbj_artifact_row *rows);

/* What is recorded for an artifact just written. */
typedef struct kbj_artifact_rec {
    const char *url_hash, *url, *content_hash;
    const char *job_id;     /* the import that wrote it */
    int http_status;
    double fetched_at;      /* Unix time */
} kbj_artifact_rec;

/* Inserts or updates the index rows of `n` artifacts (post id and post hash are kept)
 * in one statement; a new row's created_job is the import writing it. URLs are stored
 * with their credentials redacted (userinfo replaced by "***"): the index is in every
 * database dump, while the list file that holds the URLs as given stays private to the
 * data directory. Returns 0, KBJ_EINVAL or KBJ_EDB. */
int kbj_artifact_record(kbj_engine *eng, const kbj_artifact_rec *recs, size_t n);

/* kbj_artifact_get, kbj_artifact_count and kbj_artifact_posts_sql, with their types, are
 * public: see kbj_import.h. */

#endif /* KBJ_ARTIFACT_H */
