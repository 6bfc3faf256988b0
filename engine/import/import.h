/*
 * import.h - the native `import` job: a URL list on disk, fetched chunk by chunk,
 * normalised, written as artifacts, handed to a sink that makes posts, with a cursor
 * that advances only after a chunk's posts are written.
 *
 * Submitting: kbj_import_submit() stores the list (lists/<job>.urls + .idx) and submits
 * the job under the same id. Running: any kbj_run() whose queues include the import's
 * queue ("import" by default) runs it; without a sink registered in that process, an
 * import with posts fails its attempt (retryable) so a runner that has one can take it.
 */
#ifndef KBJ_IMPORT_H
#define KBJ_IMPORT_H

#include <stddef.h>

#include "fetch.h"
#include "kbj.h"
#include "normalise.h"
#include "urllist.h"

/* The default queue of import jobs, and URLs per chunk. */
#define KBJ_IMPORT_QUEUE "import"
#define KBJ_IMPORT_CHUNK 10

/* One document handed to the sink. */
typedef struct kbj_import_doc {
    const char *url;            /* the normalised source URL (may carry credentials: redact
                                 * before showing it) */
    const char *url_hash;       /* its sha256 (hex): the artifact index key */
    const char *final_url;      /* after redirects, credentials redacted */
    const char *artifact;       /* the artifact file, relative to the data directory */
    const kbj_doc *doc;         /* the normalised document */
    long long post_id;          /* the post made earlier from this URL, 0 if none */
    int http_status;
    double fetched_at;          /* Unix time */
    unsigned long long index;   /* position in the list (0-based) */
} kbj_import_doc;

/*
 * The sink: writes `n` documents as posts, storing post_ids[i] (> 0) for docs[i], or
 * leaving post_ids[i] at 0 and setting errors[i] to a malloc'd message (freed by the
 * engine) when that document could not be written: it is recorded as a failed item.
 * For crash safety a sink should, in the same transaction as the posts, set post_id and
 * post_hash (the document's content hash) of the docs' rows in kbjobs_artifacts (key:
 * url_hash): the engine records them again after the sink returns. Returns 0, or a
 * negative KBJ_E* code when the chunk as a whole failed (nothing is advanced; the
 * attempt fails and is retried), with a message set through kbj_ctx_fail().
 */
typedef int (*kbj_import_sink_fn)(kbj_ctx *ctx, const kbj_import_doc *docs, size_t n,
                                  long long *post_ids, char **errors, void *arg);

/* Registers the sink of this process (NULL to remove it). */
void kbj_import_set_sink(kbj_engine *eng, kbj_import_sink_fn fn, void *arg);

/* Sets the fetcher's settings and the normaliser's limits for imports run by this
 * engine, and the caps on the URL lists kbj_import_submit() takes (max_list_bytes,
 * max_list_lines; see kbj_urllist_write). NULL or zero fields: defaults. Strings are
 * copied. Returns 0 or KBJ_EINVAL for an allow list that does not parse, KBJ_ENOMEM. */
int kbj_import_configure(kbj_engine *eng, const kbj_fetch_config *fetch, const kbj_norm_limits *limits,
                         const kbj_urllist_limits *list);

/* Stores in *out the list caps kbj_import_submit() applies, defaults filled in. */
void kbj_import_list_limits(kbj_engine *eng, kbj_urllist_limits *out);

/*
 * Stores the URL list read from `fd` and submits an import job for it. `opts` gives
 * queue, priority and the other submit options (NULL: defaults; its type, id and
 * params are ignored); `params` is a JSON object of import options:
 *   chunk_size  URLs per chunk, 1..500 (default 10)
 *   posts       true (default): hand documents to the sink; false: artifacts only
 *   + anything else the sink reads (post_type, author, sink mode, ...), kept as given.
 * The list is read with the caps set by kbj_import_configure() (default 1 GiB and
 * 5,000,000 lines); its rejected lines are reported through on_reject (see
 * kbj_urllist_write) and counted in *report. id receives the job's id. Returns 0,
 * KBJ_EINVAL (bad params, or a list refused: no valid URL, UTF-16, binary, over a cap),
 * KBJ_EIO, KBJ_EDB; on failure no job and no list remain.
 */
int kbj_import_submit(kbj_engine *eng, int fd, const char *params, const kbj_submit *opts,
                      kbj_urllist_reject_fn on_reject, void *arg, kbj_urllist_report *report,
                      char id[KBJ_ID_LEN + 1]);

/* Registers the native import type (kbj_register_builtin_types does). */
int kbj_register_import_type(kbj_engine *eng);

#endif /* KBJ_IMPORT_H */
