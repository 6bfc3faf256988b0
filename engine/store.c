/*
 * store.c - MariaDB/MySQL connection from WordPress-style settings.
 */
#include "store.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>

struct kbj_store {
    MYSQL *db;
    char prefix[64];
    char errmsg[512];
};

static int store_fail(kbj_store *st, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->errmsg, sizeof st->errmsg, fmt, ap);
    va_end(ap);
    return code;
}

/* Copies [src, src+n) into dst (capacity cap) with a NUL; 0, or -1 when too long. */
static int copy_span(char *dst, size_t cap, const char *src, size_t n)
{
    if (n >= cap)
        return -1;
    memcpy(dst, src, n);
    dst[n] = '\0';
    return 0;
}

static int parse_port(const char *s, size_t n, unsigned *out)
{
    unsigned long v = 0;
    if (n == 0 || n > 5)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v < 1 || v > 65535)
        return -1;
    *out = (unsigned)v;
    return 0;
}

int kbj_parse_db_host(const char *value, kbj_host *out)
{
    const char *p, *rest;

    if (!value || !out)
        return KBJ_EINVAL;
    memset(out, 0, sizeof *out);
    if (*value == '\0' || strlen(value) > 511)
        return KBJ_EINVAL;

    if (value[0] == '/') { /* a bare socket path */
        strcpy(out->host, "localhost");
        return copy_span(out->socket, sizeof out->socket, value, strlen(value)) ? KBJ_EINVAL : KBJ_OK;
    }

    if (value[0] == '[') { /* [IPv6] */
        const char *close = strchr(value, ']');
        if (!close || close == value + 1)
            return KBJ_EINVAL;
        if (copy_span(out->host, sizeof out->host, value + 1, (size_t)(close - value - 1)))
            return KBJ_EINVAL;
        for (const char *c = out->host; *c; c++)
            if (!isxdigit((unsigned char)*c) && *c != ':' && *c != '.')
                return KBJ_EINVAL;
        rest = close + 1;
        if (*rest != '\0' && *rest != ':')
            return KBJ_EINVAL;
    } else {
        p = strchr(value, ':');
        size_t n = p ? (size_t)(p - value) : strlen(value);
        if (n == 0 || copy_span(out->host, sizeof out->host, value, n))
            return KBJ_EINVAL;
        for (const char *c = out->host; *c; c++)
            if (!isalnum((unsigned char)*c) && *c != '.' && *c != '-' && *c != '_')
                return KBJ_EINVAL;
        rest = value + n;
    }

    if (*rest == '\0')
        return KBJ_OK;
    rest++; /* past ':' */
    if (*rest != '/') { /* a port, maybe followed by ":/socket" */
        const char *colon = strchr(rest, ':');
        size_t n = colon ? (size_t)(colon - rest) : strlen(rest);
        if (parse_port(rest, n, &out->port))
            return KBJ_EINVAL;
        if (!colon)
            return KBJ_OK;
        rest = colon + 1;
        if (*rest != '/')
            return KBJ_EINVAL;
    }
    return copy_span(out->socket, sizeof out->socket, rest, strlen(rest)) ? KBJ_EINVAL : KBJ_OK;
}

int kbj_server_supports_skip_locked(const char *info, unsigned long version)
{
    if (info && strstr(info, "MariaDB"))
        return version >= 100600;
    return version >= 80001;
}

static int valid_prefix(const char *p)
{
    size_t n = strlen(p);
    if (n == 0 || n > 32)
        return 0;
    for (; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_')
            return 0;
    return 1;
}

kbj_store *kbj_store_new(void)
{
    return calloc(1, sizeof(kbj_store));
}

static void store_disconnect(kbj_store *st)
{
    if (st->db) {
        mysql_close(st->db);
        st->db = NULL;
    }
    st->prefix[0] = '\0';
}

int kbj_store_connect(kbj_store *st, const kbj_db_settings *s)
{
    kbj_host h;
    MYSQL *db;
    const char *info;

    if (!st)
        return KBJ_EINVAL;
    st->errmsg[0] = '\0';
    store_disconnect(st);
    if (!s || !s->host || !s->user || !s->database || !s->prefix)
        return store_fail(st, KBJ_EINVAL, "host, user, database and prefix are required");
    if (kbj_parse_db_host(s->host, &h) != KBJ_OK)
        return store_fail(st, KBJ_EINVAL, "malformed database host \"%.200s\": expected host, "
                          "host:port, host:/socket/path or [ipv6]:port", s->host);
    if (!valid_prefix(s->prefix))
        return store_fail(st, KBJ_EINVAL, "table prefix \"%.40s\" must be 1 to 32 letters, digits "
                          "or underscores", s->prefix);

    db = mysql_init(NULL);
    if (!db)
        return store_fail(st, KBJ_ENOMEM, "mysql_init failed");
    {
        unsigned int timeout = 10;
        my_bool off = 0;
        mysql_optionsv(db, MYSQL_SET_CHARSET_NAME, "utf8mb4");
        mysql_optionsv(db, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
        /* Reconnection is the store's job, done where it knows what to replay. */
        mysql_optionsv(db, MYSQL_OPT_RECONNECT, &off);
        mysql_optionsv(db, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'");
    }
    if (!mysql_real_connect(db, h.host, s->user, s->password ? s->password : "", s->database,
                            h.port, h.socket[0] ? h.socket : NULL, 0)) {
        store_fail(st, KBJ_ECONNECT, "cannot connect to %s: %s", s->host, mysql_error(db));
        mysql_close(db);
        return KBJ_ECONNECT;
    }
    info = mysql_get_server_info(db);
    if (!kbj_server_supports_skip_locked(info, mysql_get_server_version(db))) {
        store_fail(st, KBJ_EUNSUPPORTED, "database server %s is too old: kbjobs needs "
                   "MariaDB 10.6+ or MySQL 8.0.1+ (SELECT ... FOR UPDATE SKIP LOCKED)", info);
        mysql_close(db);
        return KBJ_EUNSUPPORTED;
    }
    st->db = db;
    strcpy(st->prefix, s->prefix); /* length checked by valid_prefix */
    return KBJ_OK;
}

const char *kbj_store_server_info(const kbj_store *st)
{
    return st && st->db ? mysql_get_server_info(st->db) : "";
}

const char *kbj_store_prefix(const kbj_store *st)
{
    return st ? st->prefix : "";
}

const char *kbj_store_errmsg(const kbj_store *st)
{
    return st ? st->errmsg : "";
}

void kbj_store_free(kbj_store *st)
{
    if (!st)
        return;
    store_disconnect(st);
    free(st);
}
