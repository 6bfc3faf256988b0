/*
 * kaserver.h - a keep-alive HTTP/1.1 server on 127.0.0.1 for the fetcher's tests, run
 * by threads of the test process (one listening, one per connection).
 *
 * The fixture site (php -S) closes every connection, so it cannot show what a response
 * leaves behind on a connection that libcurl keeps for the next request. This server
 * answers any number of requests per connection and counts what it served:
 *
 *   /page/N              an ordinary HTML page (Content-Length, keep-alive) holding the
 *                        marker "kaserver-page-N-end"
 *   /hold/N              the page /page/N, sent only once kbj_kaserver_release was
 *                        called: a page slow for exactly as long as a test wants. (The
 *                        fixture site cannot hold a page: a php -S worker accepts
 *                        several connections and serves them one after another, so
 *                        the pages it accepted with a held one wait behind it.)
 *   /lie-length          "Content-Length: 100", 100 bytes, then 10 MiB more bytes ('k')
 *                        on the same connection, which stays open; ?gap_ms=G waits G ms
 *                        between the 100 bytes and the rest (default 0: one write)
 *   /garbage             a malformed response: "?kind=http09" (the default) a line that
 *                        is not HTTP at all, "?kind=status" an HTTP/1.1 status line
 *                        whose code is not a number; the connection is then closed
 *   /garbage-if-reused/N the /garbage answer on a connection that already served a
 *                        request, the page /page/N on a new one
 *   anything else        404 with a short body
 *
 * A request is counted under its path without the query ("/page/3"), and each answer
 * under its kind: "=page", "=lie", "=garbage". Requests are read until the blank line;
 * bodies are not expected (the fetcher only sends GET).
 */
#ifndef KBJ_KASERVER_H
#define KBJ_KASERVER_H

typedef struct kbj_kaserver kbj_kaserver;

/* Starts a server on 127.0.0.1 and a free port. NULL (with the reason on stderr) when
 * the socket or a thread cannot be made. */
kbj_kaserver *kbj_kaserver_start(void);

/* "http://127.0.0.1:PORT", valid until kbj_kaserver_stop. */
const char *kbj_kaserver_url(const kbj_kaserver *s);

/* How many requests for `path` (without query) were read so far, or answers of a kind
 * ("=page", "=lie", "=garbage") sent. */
unsigned kbj_kaserver_count(kbj_kaserver *s, const char *path);

/* Lets every /hold/N request, pending or to come, answer. */
void kbj_kaserver_release(kbj_kaserver *s);

/* How many connections were accepted so far. */
unsigned kbj_kaserver_connections(kbj_kaserver *s);

/* Closes every connection, joins the threads and frees the server. Accepts NULL. */
void kbj_kaserver_stop(kbj_kaserver *s);

#endif /* KBJ_KASERVER_H */
