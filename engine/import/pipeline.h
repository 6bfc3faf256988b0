/*
 * pipeline.h - the import's streaming pipeline: URLs fetched and normalised on the
 * pipeline's own threads, a sliding window ahead of the chunk its caller is writing.
 *
 * The caller (the import job, on the runner's thread) takes chunks in order with
 * kbj_pipeline_next() and gives each back with kbj_pipeline_done(); meanwhile a fetch
 * thread keeps every allowed transfer busy on the URLs of the next `ahead` chunks, and a
 * normaliser thread turns their pages into documents. Fetching never waits for a chunk
 * boundary: a slow page holds back only the chunk it is in, never the transfers behind
 * it, which go on until the window (the chunk in hand plus `ahead` chunks) is full.
 *
 * Nothing here touches the database or the artifacts: what is committed, and when, is the
 * caller's. A chunk the caller never finished is simply fetched again by the next run.
 */
#ifndef KBJ_PIPELINE_H
#define KBJ_PIPELINE_H

#include <stddef.h>

#include "fetch.h"
#include "kbj.h"
#include "kbj_import.h"

/* One URL of a chunk, once fetched and (when OK) normalised. */
typedef struct kbj_pipe_item {
    char *url;                  /* as read from the list (credentials included) */
    kbj_fetch_result res;       /* the fetch's outcome; body freed once normalised */
    kbj_doc doc;                /* when has_doc */
    int has_doc;
    const char *err_kind;       /* NULL, or "transient" / "permanent": a failed item */
    char *err_msg;              /* its reason (malloc'd) */
    double fetched_at;          /* Unix time the fetch ended */
    char *encoded;              /* what the config's `encode` made of it, or NULL */
} kbj_pipe_item;

typedef struct kbj_pipe_chunk {
    unsigned long long first;   /* list index of items[0] */
    size_t n;
    kbj_pipe_item *items;
} kbj_pipe_chunk;

/* Reads list entries [first, first + n) into urls[0..n-1] (malloc'd strings, owned by the
 * pipeline after the call). 0, or a negative KBJ_E* code with the reason in err; called on
 * the fetch thread. */
typedef int (*kbj_pipe_read_fn)(void *arg, unsigned long long first, size_t n, char **urls,
                                kbj_err *err);

typedef struct kbj_pipe_config {
    const kbj_fetch_config *fetch;  /* copied (with its strings) */
    const kbj_norm_limits *limits;  /* copied; NULL: defaults */
    unsigned long long first, end;  /* the list entries [first, end) */
    size_t chunk;                   /* entries per chunk (>= 1) */
    unsigned ahead;                 /* chunks fetched ahead of the one in hand (0: 2) */
    kbj_pipe_read_fn read;
    void *read_arg;
    /* asked on the pipeline's threads at least every 100 ms (may be NULL): nonzero
     * cancels every transfer, and kbj_pipeline_next() returns KBJ_ESTOPPED */
    int (*should_stop)(void *arg);
    void *stop_arg;
    /* may be NULL: called on the normaliser thread for each item with a document, its
     * malloc'd result kept in the item's `encoded` (the import's artifact JSON, so that
     * its encoding is off the writing thread); must be thread-safe */
    char *(*encode)(void *arg, const kbj_pipe_item *it);
    void *encode_arg;
} kbj_pipe_config;

/* What the fetch thread has done so far (for tests and benchmarks). */
typedef struct kbj_pipe_stats {
    unsigned long long fetched;     /* items whose fetch ended (any outcome) */
    unsigned long long normalised;  /* items through the normaliser */
    unsigned in_flight;             /* transfers running now */
    unsigned queued;                /* items waiting for a slot (or a retry) */
} kbj_pipe_stats;

typedef struct kbj_pipeline kbj_pipeline;

/* Starts the threads. NULL with the reason in err (a fetcher setting refused, out of
 * memory, a thread that did not start). */
kbj_pipeline *kbj_pipeline_start(const kbj_pipe_config *cfg, kbj_err *err);

/*
 * Waits for the next chunk in list order, every item fetched and normalised, and hands it
 * over in *out (the caller owns it until kbj_pipeline_done). Returns 0 (with *out NULL
 * when every chunk was handed out); KBJ_ESTOPPED when should_stop said so; or an error
 * (the list could not be read: its code, KBJ_EIO for libcurl's multi interface,
 * KBJ_ENOMEM) with the reason in err. `wait_stop` (may be NULL) is asked while waiting,
 * on the caller's thread, at least every 100 ms.
 */
int kbj_pipeline_next(kbj_pipeline *p, kbj_pipe_chunk **out, int (*wait_stop)(void *arg), void *arg,
                      kbj_err *err);

/* Frees a chunk handed out, which lets the window move on by one chunk. */
void kbj_pipeline_done(kbj_pipeline *p, kbj_pipe_chunk *c);

void kbj_pipeline_stats(kbj_pipeline *p, kbj_pipe_stats *out);

/* Cancels what is in flight (every transfer stops at once), joins the threads and frees
 * everything, chunks not handed out included. Accepts NULL. */
void kbj_pipeline_stop(kbj_pipeline *p);

#endif /* KBJ_PIPELINE_H */
