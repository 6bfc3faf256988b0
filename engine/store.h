/*
 * store.h - the engine's MariaDB/MySQL connection.
 *
 * A kbj_store is one connection made from WordPress-style settings. The store is the
 * only module that includes mysql.h; every statement it runs is prepared. Errors are
 * kept on the handle: kbj_store_errmsg() returns the last one.
 */
#ifndef KBJ_STORE_H
#define KBJ_STORE_H

#include "kbj.h"

typedef struct kbj_store kbj_store;

/* Connection settings, in the forms WordPress uses for DB_HOST and $table_prefix. */
typedef struct kbj_db_settings {
    const char *host;     /* "localhost", "localhost:/path.sock", "127.0.0.1:3307", "[::1]:3306" */
    const char *user;
    const char *password;
    const char *database;
    const char *prefix;   /* table prefix, e.g. "wp_"; letters, digits and '_' only */
} kbj_db_settings;

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
 * Connects with `s`: utf8mb4, UTC session time zone. Refuses (KBJ_EUNSUPPORTED) a
 * server without SKIP LOCKED, naming its version. Returns 0, KBJ_EINVAL for bad
 * settings, KBJ_ECONNECT when the server cannot be reached; the message says which.
 * A connected store may be connected again: the old connection is closed first.
 */
int kbj_store_connect(kbj_store *st, const kbj_db_settings *s);

/* The server's version string ("10.11.19-MariaDB-0+deb12u1"), or "" when unconnected. */
const char *kbj_store_server_info(const kbj_store *st);

/* The table prefix the store was connected with ("" when unconnected). */
const char *kbj_store_prefix(const kbj_store *st);

/* The message of the last failed call on `st`, or "" when it succeeded. Never NULL. */
const char *kbj_store_errmsg(const kbj_store *st);

/* Closes the connection and frees the store. Accepts NULL. */
void kbj_store_free(kbj_store *st);

#endif /* KBJ_STORE_H */
