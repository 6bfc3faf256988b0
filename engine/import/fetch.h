/*
 * fetch.h - the fetcher: many URLs fetched concurrently with libcurl's multi interface,
 * with limits that make it safe to point at the open web.
 *
 * This module and url.c are the only ones that include curl.h. The fetcher never calls
 * curl_global_init/cleanup (the process owns them; PHP's curl extension or the test's
 * main does it).
 */
#ifndef KBJ_FETCH_H
#define KBJ_FETCH_H

#include <stddef.h>

#include "kbj.h"
#include "kbj_import.h"

/* The settings (kbj_fetch_config, KBJ_FETCH_NO_RETRY) are public: see kbj_import.h. */

/*
 * How failures are classified (the reason is in kbj_fetch_result.error):
 *   TRANSIENT: HTTP 408, 429 and 5xx; timeouts ("timed out after N ms", "connection
 *     timed out after N ms"); the low-speed floor ("slower than N bytes/s for S s");
 *     "could not resolve the host name"; "could not connect"; connections that broke
 *     ("connection failed (...)"). Retried up to `retries` times after base * 2^(try-1)
 *     ms plus up to 50% jitter (capped at max(base, retry_after_max_ms)), or after the
 *     server's Retry-After (delta seconds or HTTP date) when that is longer. A
 *     Retry-After above retry_after_max_ms ends the item at once as TRANSIENT with
 *     retry_after set.
 *   PERMANENT: any other non-2xx status ("HTTP 404", also a final 3xx), a content type
 *     other than text/html, application/xhtml+xml or text/plain ("content type image/png
 *     is not accepted"), a body without Content-Type holding a NUL byte in its first 512
 *     bytes ("content without a type looks binary"), "body larger than N bytes" (on the
 *     wire: declared Content-Length or counted) or "body larger than N bytes once
 *     decoded", "address A is not allowed", "scheme is not http or https" (also for a
 *     redirect to file:, ftp: ...), "too many redirects (more than N)", "bad content
 *     encoding", "invalid HTTP response (HTTP/0.9)" or "(bad status line)" (a reply
 *     that is not HTTP), "malformed URL", TLS certificate errors, and other libcurl
 *     errors.
 * Status and type are checked when the first body bytes of the final response arrive,
 * so an error page or an image is not downloaded.
 *
 * Connections are kept for the next request to the same host, but never one that has
 * bytes waiting before a request goes out on it (plain HTTP: what a server sent past
 * its Content-Length). When a request on a reused connection gets a malformed reply,
 * no reply or a broken connection, the item is tried again at once on a new connection
 * and keeps to new connections after that; this happens once per item, is not one of
 * the `retries` and waits for no backoff (it does count in `tries`).
 */

/* How a fetch ended. */
typedef enum kbj_fetch_outcome {
    KBJ_FETCH_OK = 0,        /* a 2xx response with an accepted content type */
    KBJ_FETCH_TRANSIENT,     /* worth trying later: timeouts, connection errors, 429, 5xx */
    KBJ_FETCH_PERMANENT,     /* will not get better: other 4xx, wrong type, too large,
                              * refused address or scheme, too many redirects, ... */
    KBJ_FETCH_CANCELLED,     /* aborted because should_stop said so */
} kbj_fetch_outcome;

typedef struct kbj_fetch_result {
    kbj_fetch_outcome outcome;
    int http_status;             /* last response's status; 0 when none */
    char *body;                  /* decoded body, NUL-terminated (for OK only; else NULL) */
    size_t body_len;
    char *content_type;          /* as sent ("text/html; charset=utf-8"), or NULL when the
                                  * response had none or an empty one (then the body had
                                  * no NUL byte in its first 512 bytes: treat it as HTML) */
    char *final_url;             /* after redirects (credentials redacted), or NULL */
    char *error;                 /* for anything but OK: a short reason that never shows
                                  * credentials ("HTTP 404", "address 10.0.0.1 is not
                                  * allowed", "body larger than 10485760 bytes",
                                  * "content type image/png is not accepted", "timed out
                                  * after 30000 ms", "too many redirects", ...) */
    unsigned tries;              /* attempts made (1 + retries used, + the tries that do
                                  * not count: a reused connection that failed it, an
                                  * HTTP/2 GOAWAY, a 429's wait; 0 for an item cancelled
                                  * before its first try) */
    double retry_after;          /* seconds the server asked to wait (last response), or 0 */
    int http_version;            /* of the last response: 10, 11, 20 (30); 0 when none */
    double elapsed;              /* seconds from the first try to the end */
} kbj_fetch_result;

typedef struct kbj_fetcher kbj_fetcher;

/* Creates a fetcher (a curl multi handle whose connections are reused across calls).
 * `cfg` may be NULL (all defaults); its strings are copied. NULL with the reason in err
 * when out of memory, `allow` does not parse ("allow list: \"300.1.1.1\" is not an
 * IP address or CIDR range") or `host_limits` does not ("host_limits: \"x=0\" is not
 * host[:port]=N with N from 1 to 100"). A fetcher is used by one thread at a time. */
kbj_fetcher *kbj_fetcher_new(const kbj_fetch_config *cfg, kbj_err *err);
/* Frees the fetcher and closes its connections. Accepts NULL. */
void kbj_fetcher_free(kbj_fetcher *f);
/* The message of the last kbj_fetch_many that returned an error ("" otherwise). */
const char *kbj_fetcher_errmsg(const kbj_fetcher *f);

/*
 * Fetches the `n` URLs (absolute http/https, as from kbj_url_normalise) at once within
 * the limits, retrying transient failures with backoff (Retry-After honoured up to
 * retry_after_max_ms), and fills results[i] for urls[i]. `should_stop` (may be NULL) is
 * called at least every 100 ms: when it returns nonzero the transfers in flight are
 * aborted and their results are KBJ_FETCH_CANCELLED (so are items still waiting for a
 * first try or a retry). Returns 0 when every result is filled (each with its own
 * outcome), or KBJ_EINVAL (f, urls or results NULL, or a NULL URL), KBJ_ENOMEM, or
 * KBJ_EIO (libcurl's multi interface failed), with the message in kbj_fetcher_errmsg().
 *
 * `results` is overwritten (zeroed first, old contents NOT freed); on an error return
 * every result is cleared. At most max_total transfers run at once and at most
 * max_per_host for the "host:port" of each URL (libcurl's connection limits enforce the
 * same numbers for redirect hops); items wait in order of their index.
 */
int kbj_fetch_many(kbj_fetcher *f, const char *const *urls, size_t n, kbj_fetch_result *results,
                   int (*should_stop)(void *arg), void *arg);
/* (kbj_fetch_many refuses, KBJ_EINVAL, a fetcher with a stream in progress.) */

/*
 * The stream: URLs added one by one as a caller's window allows, worked on while the
 * caller does other things, their results taken as they end (in any order). The same
 * limits, retries and order of admission as kbj_fetch_many, which is built on it. A
 * fetcher is used by one thread at a time, except kbj_fetch_wakeup.
 *
 * kbj_fetch_add: queues `url` (not copied: it must stay valid until its result is
 * taken) with a tag given back by kbj_fetch_take. 0, KBJ_EINVAL or KBJ_ENOMEM.
 * kbj_fetch_work: starts what the limits allow, waits up to timeout_ms for network
 * activity (less when a retry falls due; at once after kbj_fetch_wakeup) and settles
 * what ended. 0, or KBJ_ENOMEM / KBJ_EIO with the message in kbj_fetcher_errmsg().
 * kbj_fetch_take: moves the result of an item that ended (the earliest added first) into
 * *out and its tag into *tag (may be NULL): 1, or 0 when none has ended.
 * kbj_fetch_cancel: ends every item not ended yet as KBJ_FETCH_CANCELLED ("cancelled"),
 * aborting its transfer at once; their results are then taken as any other.
 * kbj_fetch_counts: transfers in flight, items waiting (for a slot, a retry or a host's
 * pause), items ended and not taken.
 *
 * Per host (the URL's "host:port"): at most max_per_host (or its host_limits rule)
 * requests at once; over HTTP/2 they share one connection as streams (libcurl waits for
 * the first connection's ALPN before opening another). A 429, or a 503 with
 * Retry-After, halves that host's limit and pauses the host for the Retry-After (else
 * the backoff), its items waiting without spending their `retries` (at most 10 such
 * waits per item); each run of `limit now` answers without one adds one back, up to the
 * configured limit. Other hosts go on as before. An HTTP/2 stream ended by GOAWAY or
 * REFUSED_STREAM is tried again at once (at most 5 times per item), not as a retry.
 */
int kbj_fetch_add(kbj_fetcher *f, const char *url, void *tag);
int kbj_fetch_work(kbj_fetcher *f, int timeout_ms);
int kbj_fetch_take(kbj_fetcher *f, kbj_fetch_result *out, void **tag);
void kbj_fetch_cancel(kbj_fetcher *f);
/* Interrupts a kbj_fetch_work waiting on another thread (thread-safe). */
void kbj_fetch_wakeup(kbj_fetcher *f);
void kbj_fetch_counts(const kbj_fetcher *f, size_t *in_flight, size_t *waiting, size_t *done);

/* Frees what a result holds and zeroes it. */
void kbj_fetch_result_clear(kbj_fetch_result *r);

/*
 * Whether an address is special-purpose (loopback, private, link-local, CGNAT,
 * multicast, documentation, benchmarking, reserved, unspecified, IPv4-mapped/NAT64/6to4
 * forms of those, unique-local and site-local IPv6, ...): 1 when it is, 0 when it is an
 * ordinary public address. `sa` is a struct sockaddr_in or sockaddr_in6. Exposed for
 * tests.
 */
struct sockaddr;
int kbj_fetch_addr_special(const struct sockaddr *sa);

#endif /* KBJ_FETCH_H */
