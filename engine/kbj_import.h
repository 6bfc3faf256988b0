/*
 * kbj_import.h - the public C API of the kbjobs import pipeline, next to kbj.h: submitting
 * an import (a URL list on disk, fetched chunk by chunk, normalised, written as
 * artifacts, handed to a sink that makes posts), its settings and their ranges, the
 * documents and the sink, the artifact index as callers read it, and an import's failed
 * items.
 *
 * Plain C11, no PHP headers; the conventions of kbj.h apply (0 or a negative KBJ_E*
 * code, the message in kbj_errmsg(), explicit ownership). The engine's own modules
 * (fetch, normalise, urllist, artifact, import) include this header for the types they
 * share with callers and keep the rest of their API internal.
 */
#ifndef KBJ_IMPORT_PUBLIC_H
#define KBJ_IMPORT_PUBLIC_H

#include <stddef.h>

#include "kbj.h"

/* ======================================================================== *
 * Settings: fetching, normalising, URL lists
 * ======================================================================== */

/* Settings. Zero means the default for every field. */
typedef struct kbj_fetch_config {
    unsigned max_total;          /* transfers at once, all hosts (default 16) */
    unsigned max_per_host;       /* requests at once to one host:port (default 6): over
                                  * HTTP/1.1 that many connections, over HTTP/2 that many
                                  * streams on one connection. Six is what browsers open
                                  * per host, so a site that serves browsers serves this;
                                  * raise it for your own sites, lower it for fragile ones
                                  * (see host_limits) */
    unsigned connect_timeout_ms; /* default 10,000 */
    unsigned timeout_ms;         /* whole transfer, redirects included (default 30,000) */
    unsigned low_speed_bytes;    /* abort when slower than this many bytes/s ... (default 512) */
    unsigned low_speed_seconds;  /* ... for this long (default 10) */
    size_t max_body;             /* bytes received, on the wire (default 10 MiB) */
    size_t max_decoded;          /* bytes after gzip/deflate decoding (default max_body) */
    unsigned max_redirects;      /* default 5; every hop is checked like the first */
    unsigned retries;            /* extra tries after a transient error (default 2; set
                                  * KBJ_FETCH_NO_RETRY for none) */
    unsigned retry_base_ms;      /* backoff: base * 2^(try-1), with jitter (default 500) */
    unsigned retry_after_max_ms; /* a Retry-After longer than this is not waited for: the
                                  * item fails as transient (default 30,000) */
    const char *user_agent;      /* NULL: "kbjobs/<version> (+knowledge-base importer)" */
    const char *allow;           /* addresses allowed although special-purpose: a comma-
                                  * separated list of IPv4/IPv6 addresses and CIDR ranges
                                  * ("127.0.0.1, 10.0.0.0/8, ::1"); NULL or "": none.
                                  * An IPv4 entry also allows its IPv4-mapped IPv6 form
                                  * (::ffff:127.0.0.1). Spaces around entries and empty
                                  * entries are ignored. */
    const char *proxy;           /* NULL or "": no proxy at all, whatever the environment
                                  * says; otherwise libcurl's proxy string. With a proxy
                                  * every connection goes to the proxy, so the address
                                  * check is NOT applied (the proxy must enforce it). */
    const char *ca_file;         /* NULL or "": the system's CA bundle; otherwise a PEM file
                                  * of the CA certificates trusted instead (a site with a
                                  * private CA). Certificates are always verified. */
    const char *host_limits;     /* NULL or "": none; otherwise max_per_host for some hosts:
                                  * "docs.example.com=2, example.org:8443=16" (host, or
                                  * host:port for that port only; 1..100 each) */
} kbj_fetch_config;

#define KBJ_FETCH_NO_RETRY 0xFFFFFFFFu

/* Zero (or a NULL pointer) means the default for each field. */
typedef struct kbj_norm_limits {
    size_t max_input;   /* bytes of page accepted (default 10 MiB); more: KBJ_EINVAL */
    size_t max_text;    /* bytes of text kept (default 1 MiB); the rest is cut at a
                         * character boundary and `truncated` set */
    unsigned max_depth; /* element nesting walked (default 256); deeper content is
                         * ignored and `truncated` set */
} kbj_norm_limits;

typedef struct kbj_doc {
    char *title;        /* <title>, else the first <h1> of the text's region, else the
                         * first <h1> anywhere, else the URL ("untitled" for an empty
                         * URL); whitespace collapsed, at most 1,000 bytes (text/plain:
                         * 200); never NULL or empty */
    char *text;         /* main text: the first <main> when it has text, else the
                         * <article>s (all of them, in order) when they have text, else
                         * <body>; without script, style, noscript, template, nav,
                         * header, footer, aside, form, svg, iframe, button, select,
                         * head (and textarea, object, embed, canvas, audio, video);
                         * blocks separated by "\n\n", <br> by "\n", other whitespace
                         * (also inside <pre>, and U+00A0) collapsed to one space; never
                         * NULL */
    char *html;         /* the same content as simple HTML: p, h1-h6, ul/ol/li, pre,
                         * code, blockquote, table/thead/tbody/tr/td/th, em/strong/b/i,
                         * br, and a with an absolute http(s) href, no other attributes;
                         * always well nested (text outside blocks gets a <p>, other
                         * block elements are unwrapped, empty elements are left out);
                         * whitespace of <pre> kept (tabs as four spaces); text and
                         * attribute values escaped (& < > "); at most 2 * max_text
                         * bytes; never NULL */
    char *description;  /* <meta name="description">, at most 1,000 bytes, or NULL */
    char *canonical;    /* <link rel="canonical"> resolved against the <base href> or the
                         * URL, http(s) only, at most 2,048 bytes (else dropped), or NULL */
    char *language;     /* <html lang>, else Content-Language meta, at most 35 bytes, or
                         * NULL */
    char charset[40];   /* the charset the page was decoded from, by its lowercase
                         * canonical name ("utf-8", "windows-1252", "shift_jis",
                         * "utf-16le"); iso-8859-1 and us-ascii are read as windows-1252 */
    char content_hash[65]; /* sha256 (hex) of title "\n" text: what decides "changed" */
    int truncated;      /* a limit cut the text, the html or the walk (too deep, too many
                         * stray tags, or the parse stopped once the text was full) */
} kbj_doc;

/* Caps on a list's input. Zero (or a NULL pointer) means the default for each field. */
typedef struct kbj_urllist_limits {
    unsigned long long max_list_bytes; /* bytes read, byte-order mark, blank lines and
                                        * comments included (default 1 GiB) */
    unsigned long long max_list_lines; /* lines, blank and comment lines included: the
                                        * report's `lines` (default 5,000,000) */
} kbj_urllist_limits;

/* What kbj_urllist_write() did with its input. `bytes` counts the bytes read, `lines`
 * every line, blank and comment lines included; accepted + duplicates + rejected +
 * (blank and comment lines) == lines. */
typedef struct kbj_urllist_report {
    unsigned long long bytes, lines, accepted, duplicates, rejected;
} kbj_urllist_report;

/* Called once per rejected line: its 1-based number, the reason ("binary data (NUL
 * byte)", "line longer than 2048 bytes", or a kbj_url_normalise() reason such as "not a
 * URL") and an excerpt of the line, trimmed, cut to KBJ_URLLIST_EXCERPT_MAX bytes, with
 * every byte outside printable ASCII (0x20..0x7E) replaced by '?'. The strings are valid
 * only during the call. */
typedef void (*kbj_urllist_reject_fn)(unsigned long long line_no, const char *reason,
                                      const char *line_excerpt, void *arg);

/* ======================================================================== *
 * Imports
 * ======================================================================== */

/* The default queue of import jobs, and URLs per chunk. */
#define KBJ_IMPORT_QUEUE "import"
#define KBJ_IMPORT_CHUNK 10

/* One document handed to the sink. */
typedef struct kbj_import_doc {
    const char *url;            /* the normalised source URL, its user:password (if any)
                                 * replaced by "***": safe to store and show; the engine
                                 * fetches with the real one, which sinks never see */
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
 * A sink writing on a connection of its own runs its writes in one transaction that
 * starts with the job's fence (kbj_ctx_fence_sql) and records the posts in the artifact
 * index with kbj_artifact_posts_sql in that same transaction, so a crash never makes a
 * second post and a runner that lost its lease writes nothing (the engine records the
 * post ids again after the sink returns, for sinks that do not). Returns 0; KBJ_ECONNECT
 * (kbj_ctx_disconnected) when its connection was lost and nothing was committed: the
 * chunk is handed over again after a pause; KBJ_ELEASE (kbj_ctx_lease_lost) when the
 * fence found the lease gone; or another negative KBJ_E* code when the chunk as a whole
 * failed (nothing is advanced; the attempt fails and is retried), with a message set
 * through kbj_ctx_fail().
 */
typedef int (*kbj_import_sink_fn)(kbj_ctx *ctx, const kbj_import_doc *docs, size_t n,
                                  long long *post_ids, char **errors, void *arg);

/*
 * The range of an import setting by its field name in kbj_fetch_config, kbj_norm_limits
 * or kbj_urllist_limits (0 is always the default): max_total 0..1000, max_per_host
 * 0..100, connect_timeout_ms 0..600,000, timeout_ms 0..3,600,000, low_speed_bytes
 * 0..2^30, low_speed_seconds 0..3600, max_body and max_decoded 0..2^32, max_redirects
 * 0..20, retries 0..20 (or KBJ_FETCH_NO_RETRY), retry_base_ms 0..600,000,
 * retry_after_max_ms 0..3,600,000, max_input 0..2^32, max_text 0..2^30, max_depth
 * 0..10,000, max_list_bytes 0..2^40, max_list_lines 0..100,000,000; NULL for any other
 * name. The table is static: never freed.
 */
const kbj_option_range *kbj_import_option_range(const char *name);

/* Registers the sink of this process (NULL to remove it). */
void kbj_import_set_sink(kbj_engine *eng, kbj_import_sink_fn fn, void *arg);

/* Sets the fetcher's settings and the normaliser's limits for imports run by this
 * engine, and the caps on the URL lists kbj_import_submit() takes (max_list_bytes,
 * max_list_lines; see kbj_urllist_write). NULL or zero fields: defaults. Strings are
 * copied. Returns 0, KBJ_EINVAL for a setting out of its range (the message names it:
 * `option "max_redirects" must be between 0 and 20`, see kbj_import_option_range) or an
 * allow list that does not parse (nothing changes then), or KBJ_ENOMEM. */
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
 *   rewrite     false (default): a document whose content hash is the one in its index
 *               row (and its post's) is unchanged and nothing is written; true: it is
 *               written again all the same (artifact file, index row, post), which is
 *               how a repair restores a missing or damaged artifact
 *   max_per_host  requests at once per host for this import, 1..100 (default: the
 *               engine's setting)
 *   host_limits   per-host limits for this import, as kbj_fetch_config.host_limits;
 *               they win over the engine's for the hosts they name
 *   + anything else the sink reads (post_type, author, sink mode, ...), kept as given.
 * The list is read with the caps set by kbj_import_configure() (default 1 GiB and
 * 5,000,000 lines); its rejected lines are reported through on_reject (see
 * kbj_urllist_write) and counted in *report. id receives the job's id. When opts has a
 * unique key that an existing job holds (see kbj_unique_scope), id receives that job's id
 * instead and nothing is submitted: neither the list given (*report still counts it)
 * nor, for an import split into ranges, any range. Returns 0, KBJ_EINVAL (bad params, or
 * a list refused: no valid URL, UTF-16, binary, over a cap), KBJ_EIO, KBJ_EDB; on
 * failure no job and no list remain.
 */
int kbj_import_submit(kbj_engine *eng, int fd, const char *params, const kbj_submit *opts,
                      kbj_urllist_reject_fn on_reject, void *arg, kbj_urllist_report *report,
                      char id[KBJ_ID_LEN + 1]);

/* kbj_import_submit, with *existed (may be NULL) set to 1 when the unique key matched an
 * existing job (id is then that job's and nothing was submitted), else 0. */
int kbj_import_submit_ex(kbj_engine *eng, int fd, const char *params, const kbj_submit *opts,
                         kbj_urllist_reject_fn on_reject, void *arg, kbj_urllist_report *report,
                         char id[KBJ_ID_LEN + 1], int *existed);

/*
 * Checks a URL list read from `fd` as kbj_import_submit() would read it, with the same
 * caps (kbj_import_configure), without storing it or submitting anything: *report (may
 * be NULL) receives the same counts and on_reject (may be NULL) is called for the same
 * rejected lines with the same numbers, reasons and excerpts. Returns 0 when an import
 * would take the list; KBJ_EINVAL with the message kbj_import_submit() would give when
 * it would refuse it (no valid URL, UTF-16 or UTF-32, binary, over a cap), *report and
 * the callbacks describing what was read up to then; KBJ_ENOMEM or KBJ_EIO (reading
 * failed). Memory is that of kbj_import_submit(): the line buffer and the duplicate set.
 */
int kbj_import_check(kbj_engine *eng, int fd, kbj_urllist_reject_fn on_reject, void *arg,
                     kbj_urllist_report *report);

/* ======================================================================== *
 * Failed items
 * ======================================================================== */

/* One URL of an import that failed: not fetched, not normalised, or refused by the sink. */
typedef struct kbj_failed_item {
    unsigned long long index;   /* its position in the import's URL list (0-based) */
    char *url;                  /* the normalised URL, credentials redacted */
    char error_class[16];       /* "transient", "permanent" or "sink" */
    char *error;                /* why, in words ("HTTP 404", "empty page", ...) */
    int http_status;            /* the last response's status; 0 when none */
    unsigned tries;             /* fetch attempts made */
    double at;                  /* Unix time it was recorded */
} kbj_failed_item;

/*
 * Reads a page of the failed items of the import `job_id` (or of one range of an import
 * split into ranges: its own items only; a job of another type has none), in list
 * order: the items whose index is at or above `cursor` (0: from the start), at most
 * `limit` (1..1000). *items receives an array of *n items (free it with
 * kbj_failed_items_free; NULL when *n is 0) and *next_cursor the cursor of the next page
 * (the index after the last item returned), or -1 when this page is the last.
 *
 * The items come from lists/<list>.failed.jsonl, which the import appends to: when a
 * crash made it record an item twice, the last line of that index is the one returned;
 * a torn last line (a writer mid-line or killed) is ignored, as is anything that is not
 * a line of the writer's. Because the cursor is an index, not a file offset, a page
 * never repeats or misses an item that a later line of the file replaced. One call reads
 * the file once in a bounded buffer and holds at most limit + 1 items: memory is bounded
 * by `limit`, time grows with the file.
 *
 * Returns 0 (also when the import has no failed items yet), KBJ_EINVAL (a malformed id,
 * a limit outside 1..1000, a cursor above 2^63 - 1), KBJ_ENOTFOUND when no job has that
 * id, KBJ_EIO when the file cannot be read, KBJ_ENOMEM or KBJ_EDB; nothing to free then.
 */
int kbj_import_failed_items(kbj_engine *eng, const char *job_id, unsigned long long cursor, size_t limit,
                            kbj_failed_item **items, size_t *n, long long *next_cursor);

/* Frees `n` items from kbj_import_failed_items and their array. Accepts NULL. */
void kbj_failed_items_free(kbj_failed_item *items, size_t n);

/* ---- resubmitting failed items ----------------------------------------------------- */

/*
 * Imports the failed items of the finished import `import_id` again, as a new import of
 * exactly those URLs: read by their list index from the original list file, so with
 * their credentials (never the redacted form the failed-items file and the sink show),
 * in list order, with the original import's params (chunk_size, posts, ranges, what
 * the sink reads) and options (queue, priority, max_attempts, backoff, on_expiry,
 * concurrency key; not its unique key), its rerun_of set to `import_id`. The import's
 * FailureLog entry of kind "partial", if it has one, is removed: kbj_failures_resubmit
 * of that entry does exactly this. new_id receives the new import's id and *urls (may
 * be NULL) how many URLs it has.
 *
 * Returns 0; KBJ_EINVAL for a malformed id, a job that is not an import, or a range of
 * an import split into ranges (resubmit the import: its items are the ranges' items);
 * KBJ_ENOTFOUND when no job has that id or its list is gone; KBJ_ECONFLICT when the
 * import is not finished (completed, failed or cancelled) or has no failed items;
 * KBJ_EIO, KBJ_ENOMEM or KBJ_EDB. On failure no new import exists and the entry stays
 * (unless only removing the entry failed: then the new import exists and the entry too).
 * Resubmitting the same import twice makes two imports.
 */
int kbj_import_resubmit_failed(kbj_engine *eng, const char *import_id, char new_id[KBJ_ID_LEN + 1],
                               size_t *urls);

/* ======================================================================== *
 * The artifact index, as sinks and callers read it
 * ======================================================================== */

/* An index entry as listed. */
typedef struct kbj_artifact_info {
    char url_hash[65];
    char *url;
    char path[96];
    char content_hash[65];
    char post_hash[65];
    long long post_id;
    char job_id[KBJ_ID_LEN + 1];
    int http_status;
    double fetched_at, updated_at;
} kbj_artifact_info;

/* The index entry of a (normalised) URL: 0, KBJ_ENOTFOUND, KBJ_EINVAL or KBJ_EDB. */
int kbj_artifact_get(kbj_engine *eng, const char *url, kbj_artifact_info *out);
/* Frees what an entry holds. */
void kbj_artifact_info_clear(kbj_artifact_info *a);
/* How many index entries there are, and how many of them have a post. */
int kbj_artifact_count(kbj_engine *eng, unsigned long long *entries, unsigned long long *with_post);

/* A post a sink wrote for an artifact. */
typedef struct kbj_artifact_post {
    const char *url_hash;     /* 64 lowercase hex digits */
    long long post_id;        /* > 0 */
    const char *content_hash; /* 64 lowercase hex digits: the document it was written from */
    int created;              /* made now, not updated */
} kbj_artifact_post;

/*
 * The statement a sink runs inside its fenced transaction (see kbj_ctx_fence_sql) to
 * record the posts it wrote in the artifact index, so posts and index commit together:
 *
 *   UPDATE `<prefix>kbjobs_artifacts` SET post_id = CASE url_hash WHEN '<hash>' THEN <id> …
 *     END, post_hash = CASE url_hash WHEN '<hash>' THEN '<content hash>' … END,
 *     created_job = CASE WHEN url_hash IN ('<hash of a created post>', …) THEN '<job>'
 *     ELSE created_job END, updated_at = UTC_TIMESTAMP(6) WHERE url_hash IN ('<hash>', …)
 *
 * Every value is checked (hex digests, positive ids, the job id) and written into the
 * text, so it runs on any connection without placeholders. *sql is malloc'd (free it).
 * 0, KBJ_EINVAL (naming the bad entry) or KBJ_ENOMEM; n = 0 gives KBJ_EINVAL.
 */
int kbj_artifact_posts_sql(kbj_engine *eng, const char *job_id, const kbj_artifact_post *posts, size_t n,
                           char **sql);

/* ---- posts and the imports that wrote them ------------------------------------------ */

/* What the artifact index knows of a post an import wrote. */
typedef struct kbj_post_source {
    long long post_id;
    char *url;                       /* the source URL, credentials redacted ("***") */
    double fetched_at;               /* Unix time of the fetch last written, 0 unknown */
    int http_status;                 /* that fetch's HTTP status */
    char job_id[KBJ_ID_LEN + 1];      /* the job that last wrote the artifact ("" unknown) */
    char created_job[KBJ_ID_LEN + 1]; /* the job that made the post ("" unknown: older rows) */
    char import_id[KBJ_ID_LEN + 1];   /* job_id's import: for a range of an import split into
                                       * ranges that import, else job_id itself (also once
                                       * retention removed the job) */
    char created_import[KBJ_ID_LEN + 1]; /* the same for created_job */
} kbj_post_source;

/*
 * Where the posts `post_ids` (1..1000 of them, each positive) came from, in one query:
 * *out receives an array of *nout entries, one per post the index knows (a post it does
 * not know, one not made by an import, is left out), in post id order. Free it with
 * kbj_post_sources_free (NULL when *nout is 0). Returns 0, KBJ_EINVAL (no ids, more than
 * 1000, one not positive), KBJ_ENOMEM or KBJ_EDB. Reads only.
 */
int kbj_post_sources(kbj_engine *eng, const long long *post_ids, size_t n, kbj_post_source **out, size_t *nout);

/* Frees `n` entries from kbj_post_sources and their array. Accepts NULL. */
void kbj_post_sources_free(kbj_post_source *s, size_t n);

/*
 * A page of the ids of the posts of import `import_id` (and of its ranges when it is
 * split into ranges), in increasing order, from the post id after `after` (0: from the
 * start): `by` "created" gives the posts the import made (created_job), "written" the
 * posts whose artifact it wrote last (job_id: made or updated by it and not fetched
 * again since), "any" (or NULL) both. At most `limit` (1..1000) ids go to post_ids
 * (room for `limit`), *n receives how many, and *next_after the cursor of the next page
 * (the last id returned) or 0 after the last page. Each page is one statement of index
 * range reads, whatever the size of the import; an unknown job id has no posts. Returns
 * 0, KBJ_EINVAL (a malformed id, an unknown `by`, a limit out of range, a negative
 * cursor), KBJ_ENOMEM or KBJ_EDB.
 */
int kbj_import_post_ids(kbj_engine *eng, const char *import_id, const char *by, long long after, size_t limit,
                        long long *post_ids, size_t *n, long long *next_after);

/* ======================================================================== *
 * Reconciliation, phase 1 (the native job type "reconcile", jobtypes/reconcile*.c)
 * ======================================================================== */

/* Options of kbj_reconcile and of a reconcile job's params (0: the default). */
typedef struct kbj_reconcile_opts {
    unsigned grace_seconds; /* a file modified this recently is never an orphan nor drift: 600 (1..86400) */
    unsigned keep;          /* findings kept in the result: 50 (1..1000) */
    unsigned batch;         /* index rows per page and job files per lookup: 1000 (1..10000) */
    unsigned window;        /* names per directory pass: 16384 (64..1048576) */
    unsigned save_items;    /* state saved (through `save`) after this many items: 2000 */
    unsigned save_ms;       /* ... and at least this long after the last save: 5000 ms. A save
                             * syncs the report and commits the job's checkpoint, two disk
                             * flushes: a million items at 2,000 a save spent most of their
                             * time flushing */
    int shallow;            /* 1: names, types (readdir's) and the rows' paths only: no artifact
                             * with its row is stat-ed or read */
    /* Hooks, each optional, called with `arg` between items (never mid-item):
     * should_stop: 1 to stop now (the state is saved first);
     * save: keep the state (a JSON text) to resume from; non-zero fails the run;
     * progress: items done of an estimate of the total, and the folder being walked. */
    int (*should_stop)(void *arg);
    int (*save)(void *arg, const char *state);
    void (*progress)(void *arg, long long done, long long total, const char *phase);
    void *arg;
} kbj_reconcile_opts;

/*
 * Compares the artifact index with artifacts/ and the job rows with lists/, logs/ and
 * checkpoints/ (read-only: nothing is repaired), writing each finding as a JSON line to
 * `report_path` (an absolute path; truncated at the start, or on resume to the length the
 * state records). Findings: "ghost" (an index row whose file is missing), "orphan" (a
 * file no row owns), "drift" (the file is empty, not valid JSON, or its hashes disagree
 * with the row or its own text), "unsafe" (a symbolic link, a hostile name, a file that
 * is not a regular file: reported, never followed). Each line has kind, reason and path
 * (relative to the data directory, every byte outside 0x21..0x7e as \xHH), plus the ids
 * and hashes involved. Files modified within grace_seconds are never orphans nor drift,
 * and a queued or running job's files always have their row.
 *
 * With `resume` (a state from the `save` hook) it goes on after the last item done and
 * reports what an uninterrupted run would. Returns 0 with *result (a JSON object, the
 * caller frees it: counts per kind, items scanned, the first `keep` findings);
 * KBJ_ESTOPPED when should_stop said so (the state saved, *result NULL); KBJ_ECORRUPT
 * when `resume` is unusable (start again without it); KBJ_EINVAL, KBJ_EIO, KBJ_EDB or
 * KBJ_ENOMEM with the message on the handle.
 */
int kbj_reconcile(kbj_engine *eng, const kbj_reconcile_opts *opts, const char *report_path, const char *resume,
                  char **result);

#endif /* KBJ_IMPORT_PUBLIC_H */
