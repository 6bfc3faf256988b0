/*
 * store.h - the engine's MariaDB/MySQL connection and its prepared statements.
 *
 * A kbj_store is one connection made from WordPress-style settings. The store is the
 * only module that includes mysql.h. Every statement goes through a prepared statement,
 * cached per SQL text for the life of the connection. SQL texts name tables as
 * "{p}kbjobs_jobs"; the store replaces "{p}" with the table prefix.
 *
 * Errors are kept on the handle: kbj_store_errmsg() returns the last one. Work that
 * must survive a lost connection or a deadlock runs through kbj_store_tx() or
 * kbj_store_do(), which reconnect and run the work again.
 */
#ifndef KBJ_STORE_H
#define KBJ_STORE_H

#include <string.h>

#include "kbj.h"

typedef struct kbj_store kbj_store;

/* DB_HOST split into what the client library takes. */
typedef struct kbj_host {
    char host[256];   /* host name or address; "localhost" means the Unix socket */
    unsigned port;    /* 0 means the default (3306) */
    char socket[256]; /* Unix socket path, or "" for the client's default */
} kbj_host;

/*
 * Parses a WordPress DB_HOST value: a host name, an IPv4 address or a bracketed IPv6
 * address, optionally followed by ":port", ":/socket/path" or ":port:/socket/path".
 * A bare "/socket/path" means localhost through that socket.
 * Returns 0, or KBJ_EINVAL for an empty, oversized or malformed value (a port outside
 * 1..65535, an unclosed bracket, a relative socket path); `out` is then unspecified.
 */
int kbj_parse_db_host(const char *value, kbj_host *out);

/*
 * Whether a server supports SELECT ... FOR UPDATE SKIP LOCKED, from its version string
 * (mysql_get_server_info) and number (mysql_get_server_version): MariaDB 10.6+ or
 * MySQL 8.0.1+. Returns 1 or 0.
 */
int kbj_server_supports_skip_locked(const char *info, unsigned long version);

/* Allocates an unconnected store. Returns NULL when out of memory. */
kbj_store *kbj_store_new(void);

/*
 * Connects with `s` (the settings are copied, for reconnecting later): utf8mb4, UTC
 * session time zone, READ COMMITTED. Refuses (KBJ_EUNSUPPORTED) a server without SKIP
 * LOCKED, naming its version. Returns 0, KBJ_EINVAL for bad settings, KBJ_ECONNECT when
 * the server cannot be reached; the message says which. A connected store may be
 * connected again: the old connection is closed first.
 */
int kbj_store_connect(kbj_store *st, const kbj_db_settings *s);

/*
 * How long kbj_store_tx()/kbj_store_do() keep trying to reconnect after losing the
 * server before giving up with KBJ_ECONNECT (default 60,000 ms; 0 means one attempt).
 */
void kbj_store_set_reconnect_timeout(kbj_store *st, unsigned ms);

/* How many times this store has reconnected after losing its connection. */
unsigned long kbj_store_reconnects(const kbj_store *st);

/* The server's version string ("10.11.19-MariaDB-0+deb12u1"), or "" when unconnected. */
const char *kbj_store_server_info(const kbj_store *st);

/* The table prefix the store was connected with ("" when unconnected). */
const char *kbj_store_prefix(const kbj_store *st);

/* The message of the last failed call on `st`, or "" when it succeeded. Never NULL. */
const char *kbj_store_errmsg(const kbj_store *st);

/* The store's error buffer, for modules that report their own errors on the handle. */
kbj_err *kbj_store_err(kbj_store *st);

/* The server error number of the last failed statement (0 if none). */
unsigned kbj_store_errno(const kbj_store *st);

/* Connects `dst` (a new store) with the settings `src` was connected with. */
int kbj_store_clone(const kbj_store *src, kbj_store *dst);

/* After fork(): points the inherited socket at /dev/null, so closing the connection
 * sends nothing to the parent's session, then closes it; the next kbj_store_tx/do
 * reconnects. */
void kbj_store_forget(kbj_store *st);

/* Per-thread set-up and tear-down of the client library, for threads other than the
 * one that connected first. */
void kbj_store_thread_init(void);
void kbj_store_thread_end(void);

/* Closes the connection and frees the store. Accepts NULL. */
void kbj_store_free(kbj_store *st);

/* ---- statements --------------------------------------------------------------- */

/* A statement parameter. Build with the KBJ_V* macros. */
typedef struct kbj_val {
    char type;          /* 'i' integer, 'd' double, 's' string, 'n' NULL */
    long long i;
    double d;
    const char *s;
    size_t len;
} kbj_val;

#define KBJ_VI(x) ((kbj_val){ .type = 'i', .i = (long long)(x) })
#define KBJ_VD(x) ((kbj_val){ .type = 'd', .d = (double)(x) })
/* A NUL-terminated string; a NULL pointer binds SQL NULL. */
static inline kbj_val kbj_vs(const char *s)
{
    kbj_val v = { .type = s ? 's' : 'n', .s = s, .len = s ? strlen(s) : 0 };
    return v;
}
#define KBJ_VS(x) kbj_vs(x)
#define KBJ_VSN(x, n) ((kbj_val){ .type = 's', .s = (x), .len = (n) })
#define KBJ_VNULL ((kbj_val){ .type = 'n' })

/* The rows of a result set, every value as text (NULL for SQL NULL). */
typedef struct kbj_rows kbj_rows;

size_t kbj_rows_count(const kbj_rows *r);
/* The value at (row, col) as a NUL-terminated string, or NULL for SQL NULL or out of range. */
const char *kbj_rows_str(const kbj_rows *r, size_t row, size_t col);
/* Its length in bytes (0 for NULL). */
size_t kbj_rows_len(const kbj_rows *r, size_t row, size_t col);
/* The value parsed as a signed integer; 0 for NULL. */
long long kbj_rows_int(const kbj_rows *r, size_t row, size_t col);
/* Frees the rows. Accepts NULL. */
void kbj_rows_free(kbj_rows *r);

/*
 * Runs one statement that returns no rows with `n` parameters. `affected` (may be
 * NULL) receives the affected-row count. Returns 0, KBJ_EDB (the server refused it;
 * kbj_store_errno() says why), KBJ_ECONNECT (the connection is gone) or KBJ_ENOMEM.
 * Does not reconnect: callers that want that run inside kbj_store_tx/do.
 */
int kbj_store_exec(kbj_store *st, const char *sql, const kbj_val *params, size_t n,
                   unsigned long long *affected);

/* Like kbj_store_exec for a statement that returns rows; on success *out holds them
 * (free with kbj_rows_free), on failure *out is NULL. */
int kbj_store_query(kbj_store *st, const char *sql, const kbj_val *params, size_t n,
                    kbj_rows **out);

/* The AUTO_INCREMENT id of the last INSERT on this connection. */
unsigned long long kbj_store_insert_id(const kbj_store *st);

/* Work run by kbj_store_tx/do. It may be run more than once: it must start from
 * scratch each time (reset its outputs) and return 0 or a KBJ_E* code. */
typedef int (*kbj_store_work)(kbj_store *st, void *arg);

/*
 * Runs `work` inside a transaction and commits. On a deadlock or lock wait timeout
 * (1213, 1205) the transaction is rolled back and run again (up to 20 times); on a
 * lost connection the store reconnects (within the reconnect timeout) and runs it
 * again. Any other error from `work` rolls back and is returned as is.
 * A connection lost during COMMIT is ambiguous: the work is run again, so work must be
 * written so that a second run after a committed first run is harmless (the engine's
 * claims and fenced writes are).
 */
int kbj_store_tx(kbj_store *st, kbj_store_work work, void *arg);

/* Like kbj_store_tx without a transaction (autocommit), for single statements. */
int kbj_store_do(kbj_store *st, kbj_store_work work, void *arg);

/*
 * One element per row: *out = calloc(count, size), then fill(element, rows, i, arg) for
 * each row, which returns 0 or -1 when out of memory; then *n = count. On failure
 * clear(array, i) frees the i elements filled and the array (NULL: free(array)), *out is
 * NULL and KBJ_ENOMEM is returned. `rows` is freed either way.
 */
int kbj_rows_to_array(kbj_rows *rows, size_t size, int (*fill)(void *elem, const kbj_rows *rows, size_t i, void *arg),
                      void (*clear)(void *array, size_t n), void *arg, void **out, size_t *n);

/* kbj_store_query and kbj_store_exec run through kbj_store_do: a lost connection is
 * reconnected and the statement run again, so only for reads and idempotent writes. */
int kbj_store_query_again(kbj_store *st, const char *sql, const kbj_val *v, size_t n, kbj_rows **out);
int kbj_store_exec_again(kbj_store *st, const char *sql, const kbj_val *v, size_t n,
                         unsigned long long *affected);

/*
 * A count that costs no more than `cap` rows, whatever the table's size: `from_where`
 * is what follows FROM in "SELECT 1 FROM ...", e.g. "{p}kbjobs_jobs WHERE status = ?".
 * Up to `cap` matching rows the count is exact (*estimated = 0); above, it is the
 * optimizer's estimate for the same query (EXPLAIN's rows, an index dive), never less
 * than cap + 1, and *estimated = 1. For screens: an exact COUNT(*) reads every
 * matching row, which at a million jobs is a tenth of a second per count.
 * InnoDB caps a range's estimate at half the table's rows: a count of most of a table
 * is better had as the table's size less the other counts.
 */
int kbj_store_count_upto(kbj_store *st, const char *from_where, const kbj_val *params, size_t n,
                         unsigned long long cap, unsigned long long *count, int *estimated);

/* Building a list query's WHERE clause. */

/* `prefix` as a LIKE pattern that matches what starts with it: '%', '_' and '!' are
 * escaped with '!' (the statement must say ESCAPE '!'), so they match themselves. `out`
 * holds at least 2 * strlen(prefix) + 2 bytes, or the prefix is cut to fit. */
void kbj_sql_like_prefix(const char *prefix, char *out, size_t cap);

/* When `on`: appends " AND <cond>" to sql (of `cap` bytes, *off used) and its value to
 * v[*k]. */
void kbj_sql_and(char *sql, size_t cap, size_t *off, kbj_val *v, size_t *k, int on, const char *cond, kbj_val val);

#endif /* KBJ_STORE_H */
