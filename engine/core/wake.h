/*
 * wake.h - the local wake-up: a process that made jobs due (submit, release, resume,
 * rerun) tells the idle runners on the same host and site, so they claim within
 * milliseconds instead of at their next poll.
 *
 * MariaDB has no LISTEN/NOTIFY (nor any server-side push a client can wait on), so the
 * wake-up travels outside the database: each idle runner binds a datagram socket in
 * Linux's abstract Unix socket namespace under the name "\0kbjobs-<site>-<runner id>",
 * where <site> is 16 hex characters of the SHA-256 of the database settings (host, port,
 * socket, database name, table prefix); a submitter finds the names of its site in
 * /proc/net/unix and sends each a one-byte datagram, without blocking. Abstract names
 * are not files: nothing is written in the data directory (which may be a volume that
 * several hosts share), nothing is left behind when a runner dies, and a name lives in
 * one network namespace, so a wake-up never leaves the host (or the container).
 *
 * The wake-up is a hint, never the only way a job is found: runners still poll (on
 * other hosts, in other network namespaces, or when a datagram is lost or a receive
 * queue is full), and a wake-up that finds nothing costs one claim.
 */
#ifndef KBJ_WAKE_H
#define KBJ_WAKE_H

#include "kbj.h"

/* "kbjobs-" and 16 hex characters. */
#define KBJ_WAKE_SITE_LEN 23

/*
 * The site part of the wake-up names from the database settings, as the runner and
 * the submitter were given them (two processes that spell DB_HOST differently for
 * the same server, "localhost" and "127.0.0.1", do not wake each other: they poll).
 * `out` becomes "" when the settings cannot be parsed or hashed (no wake-ups then).
 */
void kbj_wake_site(const kbj_db_settings *db, char out[KBJ_WAKE_SITE_LEN + 1]);

/*
 * For a runner: a non-blocking datagram socket bound to "\0<site>-<runner>" (close-on-
 * exec). Returns the descriptor, or -1 (errno set) when `site` is empty, the runner id
 * is not 16 hex characters or the socket cannot be made: the runner then only polls.
 */
int kbj_wake_listen(const char *site, const char *runner);

/*
 * Waits up to timeout_ms (0: does not wait) for a wake-up on `fd` (from
 * kbj_wake_listen), then reads every pending datagram. Returns 1 when at least one
 * arrived, 0 otherwise (a timeout, an interrupted wait, or fd < 0 after sleeping).
 */
int kbj_wake_wait(int fd, int timeout_ms);

/*
 * For a submitter: sends a one-byte datagram to every socket bound under `site` in this
 * network namespace, never blocking (a receiver gone or with a full queue is skipped).
 * The cost is bounded: /proc/net/unix is read up to 4 MiB and at most 256 runners are
 * woken. Returns how many datagrams were sent; 0 for an empty site.
 */
unsigned kbj_wake_notify(const char *site);

/* How many runners listen under `site` in this network namespace (as kbj_wake_notify
 * finds them, sending nothing): for diagnostics and tests. */
unsigned kbj_wake_listeners(const char *site);

/* What the engine's functions that make jobs due call after their commit: notifies the
 * idle runners of the engine's site (kbj_wake_notify). Never fails. */
void kbj_wake_jobs(kbj_engine *eng);

#endif /* KBJ_WAKE_H */
