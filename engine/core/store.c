/*
 * store.c - MariaDB/MySQL connection from WordPress-style settings.
 */
#include "store.h"
#include "ids.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#define STMT_CACHE_CAP 256

typedef struct stmt_entry {
    unsigned long long hash;
    char *sql;          /* the template, as passed in */
    MYSQL_STMT *stmt;
} stmt_entry;

struct kbj_store {
    MYSQL *db;
    char prefix[64];
    kbj_err err;
    unsigned last_errno;
    int in_tx;
    unsigned reconnect_timeout_ms;
    unsigned long reconnects;
    /* settings kept for reconnecting */
    char *host, *user, *password, *database;
    stmt_entry cache[STMT_CACHE_CAP];
    size_t ncache;
};

struct kbj_rows {
    size_t nrows, ncols;
    char **cells;   /* nrows * ncols, NULL for SQL NULL */
    size_t *lens;
};

static int store_fail(kbj_store *st, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int store_fail(kbj_store *st, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->err.msg, sizeof st->err.msg, fmt, ap);
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
        memcpy(out->host, "localhost", sizeof "localhost");
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
    kbj_store *st = calloc(1, sizeof(kbj_store));
    if (st)
        st->reconnect_timeout_ms = 60000;
    return st;
}

static void cache_clear(kbj_store *st)
{
    for (size_t i = 0; i < st->ncache; i++) {
        if (st->cache[i].stmt)
            mysql_stmt_close(st->cache[i].stmt);
        free(st->cache[i].sql);
    }
    st->ncache = 0;
}

static void store_close(kbj_store *st)
{
    cache_clear(st);
    if (st->db) {
        mysql_close(st->db);
        st->db = NULL;
    }
    st->in_tx = 0;
}

static void forget_settings(kbj_store *st)
{
    free(st->host);
    free(st->user);
    if (st->password) {
        memset(st->password, 0, strlen(st->password));
        free(st->password);
    }
    free(st->database);
    st->host = st->user = st->password = st->database = NULL;
}

static void store_disconnect(kbj_store *st)
{
    store_close(st);
    forget_settings(st);
    st->prefix[0] = '\0';
}

/* Opens the connection from the kept settings. */
static int store_open(kbj_store *st)
{
    kbj_host h;
    MYSQL *db;
    const char *info;

    if (kbj_parse_db_host(st->host, &h) != KBJ_OK)
        return store_fail(st, KBJ_EINVAL, "malformed database host \"%.200s\"", st->host);
    db = mysql_init(NULL);
    if (!db)
        return store_fail(st, KBJ_ENOMEM, "mysql_init failed");
    {
        unsigned int timeout = 10;
        my_bool off = 0;
        mysql_optionsv(db, MYSQL_SET_CHARSET_NAME, "utf8mb4");
        mysql_optionsv(db, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
        /* Reconnection is the store's job, done where it knows what to run again. */
        mysql_optionsv(db, MYSQL_OPT_RECONNECT, &off);
        mysql_optionsv(db, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'");
        mysql_optionsv(db, MYSQL_INIT_COMMAND,
                       "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
    }
    if (!mysql_real_connect(db, h.host, st->user, st->password ? st->password : "", st->database,
                            h.port, h.socket[0] ? h.socket : NULL, CLIENT_FOUND_ROWS)) {
        store_fail(st, KBJ_ECONNECT, "cannot connect to %s: %s", st->host, mysql_error(db));
        st->last_errno = mysql_errno(db);
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
    return KBJ_OK;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

int kbj_store_connect(kbj_store *st, const kbj_db_settings *s)
{
    kbj_host h;
    int rc;

    if (!st)
        return KBJ_EINVAL;
    st->err.msg[0] = '\0';
    st->last_errno = 0;
    store_disconnect(st);
    if (!s || !s->host || !s->user || !s->database || !s->prefix)
        return store_fail(st, KBJ_EINVAL, "host, user, database and prefix are required");
    if (kbj_parse_db_host(s->host, &h) != KBJ_OK)
        return store_fail(st, KBJ_EINVAL, "malformed database host \"%.200s\": expected host, "
                          "host:port, host:/socket/path or [ipv6]:port", s->host);
    if (!valid_prefix(s->prefix))
        return store_fail(st, KBJ_EINVAL, "table prefix \"%.40s\" must be 1 to 32 letters, digits "
                          "or underscores", s->prefix);
    st->host = strdup(s->host);
    st->user = strdup(s->user);
    st->password = dup_or_null(s->password);
    st->database = strdup(s->database);
    if (!st->host || !st->user || !st->database || (s->password && !st->password)) {
        forget_settings(st);
        return store_fail(st, KBJ_ENOMEM, "out of memory");
    }
    rc = store_open(st);
    if (rc != KBJ_OK) {
        forget_settings(st);
        return rc;
    }
    memcpy(st->prefix, s->prefix, strlen(s->prefix) + 1); /* length checked by valid_prefix */
    return KBJ_OK;
}

int kbj_store_clone(const kbj_store *src, kbj_store *dst)
{
    kbj_db_settings s = { 0 };
    int rc;
    if (!src || !dst || !src->host)
        return KBJ_EINVAL;
    s.host = src->host;
    s.user = src->user;
    s.password = src->password;
    s.database = src->database;
    s.prefix = src->prefix;
    rc = kbj_store_connect(dst, &s);
    dst->reconnect_timeout_ms = src->reconnect_timeout_ms;
    return rc;
}

void kbj_store_forget(kbj_store *st)
{
    if (!st || !st->db)
        return;
    {
        my_socket fd = mysql_get_socket(st->db);
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null >= 0 && fd >= 0) {
            dup2(null, (int)fd);
        }
        if (null >= 0)
            close(null);
    }
    store_close(st);
}

void kbj_store_thread_init(void)
{
    mysql_thread_init();
}

void kbj_store_thread_end(void)
{
    mysql_thread_end();
}

void kbj_store_set_reconnect_timeout(kbj_store *st, unsigned ms)
{
    if (st)
        st->reconnect_timeout_ms = ms;
}

unsigned long kbj_store_reconnects(const kbj_store *st)
{
    return st ? st->reconnects : 0;
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
    return st ? st->err.msg : "";
}

kbj_err *kbj_store_err(kbj_store *st)
{
    return st ? &st->err : NULL;
}

unsigned kbj_store_errno(const kbj_store *st)
{
    return st ? st->last_errno : 0;
}

void kbj_store_free(kbj_store *st)
{
    if (!st)
        return;
    store_disconnect(st);
    free(st);
}

/* ---- statements --------------------------------------------------------------- */

static unsigned long long fnv1a(const char *s)
{
    unsigned long long h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

/* Whether a server or client error means the connection is gone. */
static int is_connection_error(unsigned e)
{
    return e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST || e == CR_CONN_HOST_ERROR ||
           e == CR_CONNECTION_ERROR || e == CR_COMMANDS_OUT_OF_SYNC ||
           e == ER_SERVER_SHUTDOWN || e == ER_CONNECTION_KILLED || e == 4031 /* idle timeout */ ||
           e == 2026 /* SSL */ || e == 5014 /* CR_ERR_NET_WRITE */ || e == 5013 /* CR_ERR_NET_READ */;
}

static int is_retryable_error(unsigned e)
{
    return e == ER_LOCK_DEADLOCK || e == ER_LOCK_WAIT_TIMEOUT;
}

static int stmt_fail(kbj_store *st, unsigned e, const char *what, const char *sql)
{
    st->last_errno = e;
    return store_fail(st, is_connection_error(e) ? KBJ_ECONNECT : KBJ_EDB, "%s (%u): %s [%.120s]",
                      what, e, st->db ? mysql_error(st->db) : "not connected", sql);
}

static int expand_into(const kbj_store *st, const char *sql, char *out, size_t cap);

/* Expands "{p}" into the prefix; returns a malloc'd text or NULL when out of memory. */
static char *expand_sql(const kbj_store *st, const char *sql)
{
    size_t n = 0, plen = strlen(st->prefix), cap;
    char *out;
    for (const char *p = strstr(sql, "{p}"); p; p = strstr(p + 3, "{p}"))
        n++;
    cap = strlen(sql) + n * plen + 1;
    out = malloc(cap);
    if (out && expand_into(st, sql, out, cap) != 0) {
        free(out);
        out = NULL;
    }
    return out;
}

static int expand_into(const kbj_store *st, const char *sql, char *out, size_t cap)
{
    size_t o = 0, plen = strlen(st->prefix);
    for (const char *p = sql; *p; p++) {
        if (p[0] == '{' && p[1] == 'p' && p[2] == '}') {
            if (o + plen >= cap)
                return -1;
            memcpy(out + o, st->prefix, plen);
            o += plen;
            p += 2;
        } else {
            if (o + 1 >= cap)
                return -1;
            out[o++] = *p;
        }
    }
    out[o] = '\0';
    return 0;
}

/* The prepared statement for `sql`, from the cache or newly prepared; NULL on error. */
static MYSQL_STMT *prepare(kbj_store *st, const char *sql, int *rc)
{
    unsigned long long h = fnv1a(sql);
    char *text;
    MYSQL_STMT *stmt;
    my_bool on = 1;

    for (size_t i = 0; i < st->ncache; i++)
        if (st->cache[i].hash == h && strcmp(st->cache[i].sql, sql) == 0)
            return st->cache[i].stmt;
    if (!st->db) {
        *rc = store_fail(st, KBJ_ECONNECT, "not connected");
        return NULL;
    }
    if (st->ncache == STMT_CACHE_CAP)
        cache_clear(st); /* a bounded cache: dynamic IN lists could otherwise grow it */
    text = expand_sql(st, sql);
    stmt = text ? mysql_stmt_init(st->db) : NULL;
    if (!stmt) {
        free(text);
        *rc = store_fail(st, KBJ_ENOMEM, "out of memory preparing a statement");
        return NULL;
    }
    if (mysql_stmt_prepare(stmt, text, strlen(text))) {
        free(text);
        *rc = stmt_fail(st, mysql_stmt_errno(stmt), "prepare failed", sql);
        /* the statement's own message is the precise one */
        snprintf(st->err.msg, sizeof st->err.msg, "prepare failed (%u): %s [%.200s]",
                 mysql_stmt_errno(stmt), mysql_stmt_error(stmt), sql);
        mysql_stmt_close(stmt);
        return NULL;
    }
    free(text);
    mysql_stmt_attr_set(stmt, STMT_ATTR_UPDATE_MAX_LENGTH, &on);
    st->cache[st->ncache].hash = h;
    st->cache[st->ncache].sql = strdup(sql);
    st->cache[st->ncache].stmt = stmt;
    if (!st->cache[st->ncache].sql) {
        mysql_stmt_close(stmt);
        *rc = store_fail(st, KBJ_ENOMEM, "out of memory");
        return NULL;
    }
    st->ncache++;
    return stmt;
}

/* Prepares, binds and executes; returns the statement or NULL with *rc set. */
static MYSQL_STMT *execute(kbj_store *st, const char *sql, const kbj_val *params, size_t n, int *rc)
{
    MYSQL_BIND local[32], *bind = local;
    MYSQL_STMT *stmt;

    *rc = KBJ_OK;
    if (!st)
        return NULL;
    st->last_errno = 0;
    if (n > 8192) {
        *rc = store_fail(st, KBJ_EINVAL, "too many parameters (%zu) [%.120s]", n, sql);
        return NULL;
    }
    stmt = prepare(st, sql, rc);
    if (!stmt)
        return NULL;
    if (mysql_stmt_param_count(stmt) != n) {
        *rc = store_fail(st, KBJ_EINVAL, "statement takes %lu parameters, %zu given [%.120s]",
                         mysql_stmt_param_count(stmt), n, sql);
        return NULL;
    }
    if (n > 32 && !(bind = malloc(sizeof(MYSQL_BIND) * n))) {
        *rc = store_fail(st, KBJ_ENOMEM, "out of memory");
        return NULL;
    }
    memset(bind, 0, sizeof(MYSQL_BIND) * (n ? n : 1));
    for (size_t i = 0; i < n; i++) {
        switch (params[i].type) {
        case 'i':
            bind[i].buffer_type = MYSQL_TYPE_LONGLONG;
            bind[i].buffer = (void *)&params[i].i;
            break;
        case 'd':
            bind[i].buffer_type = MYSQL_TYPE_DOUBLE;
            bind[i].buffer = (void *)&params[i].d;
            break;
        case 's':
            bind[i].buffer_type = MYSQL_TYPE_STRING;
            bind[i].buffer = (void *)(params[i].s ? params[i].s : "");
            bind[i].buffer_length = (unsigned long)params[i].len;
            break;
        default:
            bind[i].buffer_type = MYSQL_TYPE_NULL;
            break;
        }
    }
    if ((n && mysql_stmt_bind_param(stmt, bind)) || mysql_stmt_execute(stmt)) {
        if (bind != local)
            free(bind);
        *rc = stmt_fail(st, mysql_stmt_errno(stmt), "statement failed", sql);
        snprintf(st->err.msg, sizeof st->err.msg, "statement failed (%u): %s [%.200s]",
                 mysql_stmt_errno(stmt), mysql_stmt_error(stmt), sql);
        if (*rc == KBJ_ECONNECT)
            store_close(st); /* the statement handles died with the connection */
        return NULL;
    }
    if (bind != local)
        free(bind);
    return stmt;
}

int kbj_store_exec(kbj_store *st, const char *sql, const kbj_val *params, size_t n,
                   unsigned long long *affected)
{
    int rc;
    MYSQL_STMT *stmt = execute(st, sql, params, n, &rc);
    if (!stmt)
        return rc ? rc : KBJ_EINVAL;
    if (affected)
        *affected = (unsigned long long)mysql_stmt_affected_rows(stmt);
    if (mysql_stmt_field_count(stmt) > 0) {
        /* a statement that returned rows anyway (ANALYZE, CHECK): drain them, or the
         * connection is out of sync for every later statement */
        mysql_stmt_store_result(stmt);
        mysql_stmt_free_result(stmt);
    }
    return KBJ_OK;
}

unsigned long long kbj_store_insert_id(const kbj_store *st)
{
    return st && st->db ? (unsigned long long)mysql_insert_id(st->db) : 0;
}

void kbj_rows_free(kbj_rows *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nrows * r->ncols; i++)
        free(r->cells[i]);
    free(r->cells);
    free(r->lens);
    free(r);
}

/* One function on purpose (longer than the others): the prepared statement, the result
 * metadata, the per-column buffers sized from max_length (so memory is bounded by the
 * widest value, not read twice), the MYSQL_BIND array and the rows copied out share one
 * cleanup that every error path must reach; split, each part would need them all. */
int kbj_store_query(kbj_store *st, const char *sql, const kbj_val *params, size_t n,
                    kbj_rows **out)
{
    int rc;
    MYSQL_STMT *stmt;
    MYSQL_RES *meta;
    MYSQL_FIELD *fields;
    MYSQL_BIND *bind = NULL;
    unsigned long *lengths = NULL;
    my_bool *nulls = NULL;
    char **bufs = NULL;
    kbj_rows *rows = NULL;
    size_t ncols, nrows, ncells, r = 0;

    if (out)
        *out = NULL;
    stmt = execute(st, sql, params, n, &rc);
    if (!stmt)
        return rc ? rc : KBJ_EINVAL;
    meta = mysql_stmt_result_metadata(stmt);
    if (!meta)
        return store_fail(st, KBJ_EINVAL, "statement returns no rows [%.120s]", sql);
    if (mysql_stmt_store_result(stmt)) {
        mysql_free_result(meta);
        rc = stmt_fail(st, mysql_stmt_errno(stmt), "reading rows failed", sql);
        if (rc == KBJ_ECONNECT)
            store_close(st);
        return rc;
    }
    ncols = mysql_num_fields(meta);
    fields = mysql_fetch_fields(meta);
    nrows = (size_t)mysql_stmt_num_rows(stmt);

    rc = KBJ_ENOMEM;
    rows = calloc(1, sizeof *rows);
    bind = calloc(ncols ? ncols : 1, sizeof *bind);
    lengths = calloc(ncols ? ncols : 1, sizeof *lengths);
    nulls = calloc(ncols ? ncols : 1, sizeof *nulls);
    bufs = calloc(ncols ? ncols : 1, sizeof *bufs);
    if (!rows || !bind || !lengths || !nulls || !bufs)
        goto done;
    rows->ncols = ncols;
    ncells = nrows * ncols;
    rows->nrows = nrows; /* every cell is freed on error; unfetched ones are NULL */
    rows->cells = calloc(ncells ? ncells : 1, sizeof *rows->cells);
    rows->lens = calloc(ncells ? ncells : 1, sizeof *rows->lens);
    if (!rows->cells || !rows->lens)
        goto done;
    for (size_t c = 0; c < ncols; c++) {
        size_t cap = (size_t)fields[c].max_length + 1;
        bufs[c] = malloc(cap);
        if (!bufs[c])
            goto done;
        bind[c].buffer_type = MYSQL_TYPE_STRING;
        bind[c].buffer = bufs[c];
        bind[c].buffer_length = (unsigned long)cap;
        bind[c].length = &lengths[c];
        bind[c].is_null = &nulls[c];
    }
    if (ncols && mysql_stmt_bind_result(stmt, bind)) {
        rc = stmt_fail(st, mysql_stmt_errno(stmt), "binding rows failed", sql);
        goto done;
    }
    for (;;) {
        int f = mysql_stmt_fetch(stmt);
        if (f == MYSQL_NO_DATA)
            break;
        if (f == 1) {
            rc = stmt_fail(st, mysql_stmt_errno(stmt), "fetching rows failed", sql);
            goto done;
        }
        if (r >= nrows)
            break;
        for (size_t c = 0; c < ncols; c++) {
            size_t idx = r * ncols + c;
            if (nulls[c])
                continue;
            rows->cells[idx] = malloc(lengths[c] + 1);
            if (!rows->cells[idx])
                goto done;
            memcpy(rows->cells[idx], bufs[c], lengths[c]);
            rows->cells[idx][lengths[c]] = '\0';
            rows->lens[idx] = lengths[c];
        }
        r++;
    }
    rows->nrows = r;
    rc = KBJ_OK;
done:
    if (rc == KBJ_ENOMEM)
        store_fail(st, KBJ_ENOMEM, "out of memory reading rows");
    mysql_stmt_free_result(stmt);
    mysql_free_result(meta);
    for (size_t c = 0; bufs && c < ncols; c++)
        free(bufs[c]);
    free(bufs);
    free(bind);
    free(lengths);
    free(nulls);
    if (rc != KBJ_OK) {
        if (rows && !rows->cells)
            rows->nrows = 0;
        kbj_rows_free(rows);
        return rc;
    }
    if (out)
        *out = rows;
    else
        kbj_rows_free(rows);
    return KBJ_OK;
}

size_t kbj_rows_count(const kbj_rows *r)
{
    return r ? r->nrows : 0;
}

const char *kbj_rows_str(const kbj_rows *r, size_t row, size_t col)
{
    if (!r || row >= r->nrows || col >= r->ncols)
        return NULL;
    return r->cells[row * r->ncols + col];
}

size_t kbj_rows_len(const kbj_rows *r, size_t row, size_t col)
{
    if (!r || row >= r->nrows || col >= r->ncols)
        return 0;
    return r->lens[row * r->ncols + col];
}

long long kbj_rows_int(const kbj_rows *r, size_t row, size_t col)
{
    const char *s = kbj_rows_str(r, row, col);
    return s ? strtoll(s, NULL, 10) : 0;
}

/* ---- transactions and reconnection ------------------------------------------- */

static void sleep_ms(unsigned ms)
{
    struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static unsigned long long now_ms(void)
{
    return (unsigned long long)(kbj_monotonic() * 1000.0);
}

/* Reconnects with growing pauses until the reconnect timeout. */
static int reconnect(kbj_store *st)
{
    unsigned long long deadline = now_ms() + st->reconnect_timeout_ms;
    unsigned pause = 50;
    char why[sizeof st->err.msg];
    int rc;

    memcpy(why, st->err.msg, sizeof why);
    store_close(st);
    for (;;) {
        rc = store_open(st);
        if (rc == KBJ_OK) {
            st->reconnects++;
            return KBJ_OK;
        }
        if (rc != KBJ_ECONNECT || now_ms() + pause > deadline)
            break;
        sleep_ms(pause);
        pause = pause * 2 > 1000 ? 1000 : pause * 2;
    }
    return store_fail(st, rc, "lost the database connection (%.200s) and could not reconnect "
                      "within %u ms: %.200s", why, st->reconnect_timeout_ms, st->err.msg);
}

static int simple(kbj_store *st, const char *q)
{
    if (!st->db)
        return store_fail(st, KBJ_ECONNECT, "not connected");
    if (mysql_query(st->db, q)) {
        int rc = stmt_fail(st, mysql_errno(st->db), q, q);
        if (rc == KBJ_ECONNECT)
            store_close(st);
        return rc;
    }
    return KBJ_OK;
}

static int run_work(kbj_store *st, kbj_store_work work, void *arg, int transactional)
{
    int attempt = 0, rc;

    if (!st || !work)
        return KBJ_EINVAL;
    if (st->in_tx) /* nested: part of the caller's transaction */
        return work(st, arg);
    for (;;) {
        st->err.msg[0] = '\0';
        rc = st->db ? KBJ_OK : reconnect(st);
        if (rc == KBJ_OK && transactional) {
            rc = simple(st, "START TRANSACTION");
            if (rc == KBJ_OK)
                st->in_tx = 1;
        }
        if (rc == KBJ_OK)
            rc = work(st, arg);
        if (transactional && st->in_tx) {
            st->in_tx = 0;
            if (rc == KBJ_OK) {
                rc = simple(st, "COMMIT");
            } else {
                char keep[sizeof st->err.msg];
                unsigned keep_errno = st->last_errno;
                memcpy(keep, st->err.msg, sizeof keep);
                if (st->db)
                    (void)simple(st, "ROLLBACK");
                memcpy(st->err.msg, keep, sizeof keep);
                st->last_errno = keep_errno;
            }
        }
        if (rc == KBJ_OK)
            return KBJ_OK;
        if (rc == KBJ_ECONNECT) {
            if (attempt++ >= 5 || st->reconnect_timeout_ms == 0)
                return rc;
            if (reconnect(st) != KBJ_OK)
                return KBJ_ECONNECT;
            continue;
        }
        if (rc == KBJ_EDB && is_retryable_error(st->last_errno) && attempt++ < 20) {
            sleep_ms(5u * (unsigned)attempt);
            continue;
        }
        return rc;
    }
}

int kbj_store_tx(kbj_store *st, kbj_store_work work, void *arg)
{
    return run_work(st, work, arg, 1);
}

int kbj_store_do(kbj_store *st, kbj_store_work work, void *arg)
{
    return run_work(st, work, arg, 0);
}

typedef struct again_work {
    const char *sql;
    const kbj_val *v;
    size_t n;
    kbj_rows **rows;              /* a query's result, or NULL for a write */
    unsigned long long *affected;
} again_work;

static int again_do(kbj_store *st, void *arg)
{
    again_work *w = arg;
    if (!w->rows)
        return kbj_store_exec(st, w->sql, w->v, w->n, w->affected);
    kbj_rows_free(*w->rows); /* from a run lost with its connection */
    *w->rows = NULL;
    return kbj_store_query(st, w->sql, w->v, w->n, w->rows);
}

int kbj_store_query_again(kbj_store *st, const char *sql, const kbj_val *v, size_t n, kbj_rows **out)
{
    again_work w = { sql, v, n, out, NULL };
    *out = NULL;
    return kbj_store_do(st, again_do, &w);
}

int kbj_store_exec_again(kbj_store *st, const char *sql, const kbj_val *v, size_t n,
                         unsigned long long *affected)
{
    again_work w = { sql, v, n, NULL, affected };
    return kbj_store_do(st, again_do, &w);
}

int kbj_rows_to_array(kbj_rows *rows, size_t size, int (*fill)(void *elem, const kbj_rows *rows, size_t i, void *arg),
                      void (*clear)(void *array, size_t n), void *arg, void **out, size_t *n)
{
    size_t m = kbj_rows_count(rows);
    char *a = calloc(m ? m : 1, size);

    *out = NULL;
    for (size_t i = 0; a && i < m; i++) {
        if (fill(a + i * size, rows, i, arg) != 0) {
            if (clear)
                clear(a, i);
            else
                free(a);
            a = NULL;
        }
    }
    kbj_rows_free(rows);
    if (!a)
        return KBJ_ENOMEM;
    *out = a;
    if (n)
        *n = m;
    return KBJ_OK;
}

/* ---- list queries ------------------------------------------------------------------ */

void kbj_sql_like_prefix(const char *prefix, char *out, size_t cap)
{
    size_t o = 0;
    for (const char *p = prefix; *p && o + 3 < cap; p++) {
        if (*p == '%' || *p == '_' || *p == '!')
            out[o++] = '!';
        out[o++] = *p;
    }
    out[o++] = '%';
    out[o] = '\0';
}

void kbj_sql_and(char *sql, size_t cap, size_t *off, kbj_val *v, size_t *k, int on, const char *cond, kbj_val val)
{
    if (!on)
        return;
    *off += (size_t)snprintf(sql + *off, cap - *off, " AND %s", cond);
    v[(*k)++] = val;
}

int kbj_store_count_upto(kbj_store *st, const char *from_where, const kbj_val *params, size_t n,
                         unsigned long long cap, unsigned long long *count, int *estimated)
{
    char sql[2048];
    kbj_rows *rows = NULL;
    unsigned long long rows_est = 0;
    int rc;

    *count = 0;
    *estimated = 0;
    /* the rows themselves (a constant each), counted here: COUNT(*) over a derived table
     * would also write them to a temporary table and read them back, twice the reads */
    if (n > 30 || snprintf(sql, sizeof sql, "SELECT 1 FROM %s LIMIT ?", from_where) >= (int)sizeof sql)
        return store_fail(st, KBJ_EINVAL, "count query too long [%.120s]", from_where);
    {
        kbj_val v[31];
        if (n)
            memcpy(v, params, n * sizeof *v);
        v[n] = KBJ_VI(cap + 1);
        rc = kbj_store_query(st, sql, v, n + 1, &rows);
    }
    if (rc)
        return rc;
    *count = (unsigned long long)kbj_rows_count(rows);
    kbj_rows_free(rows);
    if (*count <= cap)
        return KBJ_OK;
    snprintf(sql, sizeof sql, "EXPLAIN SELECT 1 FROM %s", from_where);
    if ((rc = kbj_store_query(st, sql, params, n, &rows)))
        return rc;
    /* one row per table read (a count reads one); "rows" is the 9th column */
    for (size_t i = 0; i < kbj_rows_count(rows); i++) {
        long long r = kbj_rows_int(rows, i, 8);
        if (r > 0 && (unsigned long long)r > rows_est)
            rows_est = (unsigned long long)r;
    }
    kbj_rows_free(rows);
    *estimated = 1;
    if (rows_est > *count)
        *count = rows_est;
    return KBJ_OK;
}
