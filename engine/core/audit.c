/*
 * audit.c - the audit log: who did what to which target, from where, with what outcome,
 * one row per operator action in kbjobs_audit, listed newest first with a keyset cursor
 * and kept 90 days by default.
 *
 * The engine records what it is given and interprets none of it: the binding decides
 * what an action is called and what the detail holds. Text is stored as given, only made
 * well-formed UTF-8 (each ill-formed sequence becomes U+FFFD, as a utf8mb4 column needs),
 * so a hostile target or login comes back byte for byte; escaping it is the job of
 * whoever renders it. Closed sets (source, outcome) and the action's alphabet are checked
 * here so that filters on them mean something.
 */
#include "internal.h"
#include "utf8.h"

#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define RETENTION_DEFAULT_DAYS 90
#define RETENTION_BATCH 1000
/* Filters on times beyond this (the year 3000) are refused as mistakes. */
#define MAX_TIME 32503680000.0

static const char *const sources[] = { "screen", "rest", "cli", "cron", "api", NULL };
static const char *const outcomes[] = { "ok", "error", "denied", "partial", NULL };

static int in_set(const char *s, const char *const *set)
{
    for (size_t i = 0; s && set[i]; i++)
        if (strcmp(s, set[i]) == 0)
            return 1;
    return 0;
}

/* `what` names the call in messages: "audit" or "audit filter". */
static int check_source(kbj_engine *eng, const char *what, const char *s)
{
    if (in_set(s, sources))
        return KBJ_OK;
    return kbj_efail(eng, KBJ_EINVAL, "%s source \"%.40s\" must be one of screen, rest, cli, cron or api",
                     what, s ? s : "");
}

static int check_outcome(kbj_engine *eng, const char *what, const char *s)
{
    if (in_set(s, outcomes))
        return KBJ_OK;
    return kbj_efail(eng, KBJ_EINVAL, "%s outcome \"%.40s\" must be one of ok, error, denied or partial",
                     what, s ? s : "");
}

static int check_action(kbj_engine *eng, const char *what, const char *s)
{
    if (kbj_valid_name(s))
        return KBJ_OK;
    return kbj_efail(eng, KBJ_EINVAL, "%s action \"%.80s\" must be 1 to 64 characters of a-z, 0-9, '_', "
                     "'.' and '-'", what, s ? s : "");
}

static int check_user_id(kbj_engine *eng, const char *what, unsigned long long id)
{
    /* bound as a signed BIGINT, and PHP's ints are signed */
    if (id <= (unsigned long long)INT64_MAX)
        return KBJ_OK;
    return kbj_efail(eng, KBJ_EINVAL, "%s user_id %llu is out of range (at most %lld)", what, id,
                     (long long)INT64_MAX);
}

/*
 * `in` (NULL: "") as well-formed UTF-8 in a new string *out (the caller frees it), at
 * most `max` bytes once sanitised: the column holds what the log shows, never a cut
 * version of it. KBJ_EINVAL naming `field`, or KBJ_ENOMEM.
 */
static int clean_text(kbj_engine *eng, const char *what, const char *field, const char *in, size_t max,
                      char **out)
{
    size_t len = 0;
    *out = NULL;
    if (kbj_utf8_sanitize(in ? in : "", in ? strlen(in) : 0, out, &len) != KBJ_OK)
        return kbj_efail(eng, KBJ_ENOMEM, "out of memory");
    if (len > max) {
        free(*out);
        *out = NULL;
        return kbj_efail(eng, KBJ_EINVAL, "%s %s is %zu bytes; at most %zu are allowed", what, field, len, max);
    }
    return KBJ_OK;
}

/* The detail: NULL, or one JSON object (keys unique) of at most KBJ_AUDIT_DETAIL_MAX
 * bytes. It is stored as given, not re-encoded, so numbers keep their digits. */
static int check_detail(kbj_engine *eng, const char *detail)
{
    json_error_t jerr;
    json_t *v;
    size_t len;
    int object;

    if (!detail)
        return KBJ_OK;
    len = strlen(detail);
    if (len > KBJ_AUDIT_DETAIL_MAX)
        return kbj_efail(eng, KBJ_EINVAL, "audit detail is %zu bytes; at most %u are allowed", len,
                         KBJ_AUDIT_DETAIL_MAX);
    v = json_loadb(detail, len, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, &jerr);
    if (!v)
        return kbj_efail(eng, KBJ_EINVAL, "audit detail is not valid JSON: %s at line %d column %d", jerr.text,
                         jerr.line, jerr.column);
    object = json_is_object(v);
    json_decref(v);
    return object ? KBJ_OK : kbj_efail(eng, KBJ_EINVAL, "audit detail must be a JSON object");
}

/* ---- record ------------------------------------------------------------------- */

typedef struct record_work {
    const kbj_audit_entry *e;
    const char *login, *target;   /* sanitised */
    unsigned long long id;
} record_work;

/* Run again after a connection lost as the INSERT committed, it records the entry a
 * second time: an audit log may show an action twice, never miss it. */
static int record_do(kbj_store *st, void *arg)
{
    record_work *w = arg;
    int rc = kbj_store_exec(st, "INSERT INTO {p}kbjobs_audit (at, user_id, user_login, source, action, target,"
                            " outcome, detail) VALUES (NOW(6), ?, ?, ?, ?, ?, ?, ?)",
                            (kbj_val[]){ KBJ_VI(w->e->user_id), KBJ_VS(w->login), KBJ_VS(w->e->source),
                                         KBJ_VS(w->e->action), KBJ_VS(w->target), KBJ_VS(w->e->outcome),
                                         KBJ_VS(w->e->detail) }, 7, NULL);
    if (rc == KBJ_OK)
        w->id = kbj_store_insert_id(st);
    return rc;
}

static int check_entry(kbj_engine *eng, const kbj_audit_entry *e)
{
    int rc;
    if ((rc = check_user_id(eng, "audit", e->user_id)) || (rc = check_source(eng, "audit", e->source)) ||
        (rc = check_action(eng, "audit", e->action)) || (rc = check_outcome(eng, "audit", e->outcome)))
        return rc;
    return check_detail(eng, e->detail);
}

int kbj_audit_record(kbj_engine *eng, const kbj_audit_entry *e, unsigned long long *id)
{
    char *login = NULL, *target = NULL;
    record_work w = { e, NULL, NULL, 0 };
    int rc;

    if (!eng)
        return KBJ_EINVAL;
    if (!e)
        return kbj_efail(eng, KBJ_EINVAL, "no audit entry given");
    if ((rc = check_entry(eng, e)) ||
        (rc = clean_text(eng, "audit", "user_login", e->user_login, KBJ_AUDIT_LOGIN_MAX, &login)) ||
        (rc = clean_text(eng, "audit", "target", e->target, KBJ_AUDIT_TARGET_MAX, &target))) {
        free(login);
        return rc;
    }
    w.login = login;
    w.target = target;
    rc = kbj_store_do(eng->st, record_do, &w);
    free(login);
    free(target);
    if (rc == KBJ_OK && id)
        *id = w.id;
    return rc;
}

/* ---- list --------------------------------------------------------------------- */

void kbj_audit_free(kbj_audit_entry *entries, size_t n)
{
    (void)n; /* one allocation holds the entries and their strings */
    free(entries);
}

#define LIST_COLUMNS "id, UNIX_TIMESTAMP(at), user_id, user_login, source, action, target, outcome, detail"
#define FIRST_TEXT 3 /* the columns from user_login on are texts */
#define NCOLUMNS 9

/* Copies column `c` of row `i` to *p and moves *p past it; NULL for SQL NULL. */
static const char *take_text(const kbj_rows *rows, size_t i, size_t c, char **p)
{
    const char *s = kbj_rows_str(rows, i, c), *at = *p;
    size_t len = kbj_rows_len(rows, i, c);
    if (!s)
        return NULL;
    memcpy(*p, s, len);
    (*p)[len] = '\0';
    *p += len + 1;
    return at;
}

/* The first `n` rows as entries in one allocation: the array, then every string it
 * points to. */
static int entries_from_rows(const kbj_rows *rows, size_t n, kbj_audit_entry **out)
{
    size_t bytes = n * sizeof **out;
    char *p;

    for (size_t i = 0; i < n; i++)
        for (size_t c = FIRST_TEXT; c < NCOLUMNS; c++)
            bytes += kbj_rows_len(rows, i, c) + 1;
    *out = malloc(bytes ? bytes : 1);
    if (!*out)
        return KBJ_ENOMEM;
    p = (char *)(*out + n);
    for (size_t i = 0; i < n; i++) {
        kbj_audit_entry *e = &(*out)[i];
        e->id = (unsigned long long)kbj_rows_int(rows, i, 0);
        e->at = kbj_dbtime(kbj_rows_str(rows, i, 1));
        e->user_id = (unsigned long long)kbj_rows_int(rows, i, 2);
        e->user_login = take_text(rows, i, 3, &p);
        e->source = take_text(rows, i, 4, &p);
        e->action = take_text(rows, i, 5, &p);
        e->target = take_text(rows, i, 6, &p);
        e->outcome = take_text(rows, i, 7, &p);
        e->detail = take_text(rows, i, 8, &p);
    }
    return KBJ_OK;
}

typedef struct list_work {
    kbj_engine *eng;
    const kbj_audit_filter *f;
    char *login, *target;         /* the filter's, sanitised as entries are */
    unsigned long long before_id; /* from the cursor; 0: from the newest */
    kbj_audit_entry **out;
    size_t *n;
    char *next;
} list_work;

#define EPOCH_PLUS KBJ_SQL_EPOCH_PLUS
#define micros kbj_micros

static int list_do(kbj_store *st, void *arg)
{
    list_work *w = arg;
    const kbj_audit_filter *f = w->f;
    size_t limit = f->limit ? f->limit : 50, off = 0, k = 0, m;
    char sql[1024];
    kbj_val v[12];
    kbj_rows *rows = NULL;
    int rc;

    off = (size_t)snprintf(sql, sizeof sql, "SELECT " LIST_COLUMNS " FROM {p}kbjobs_audit WHERE 1=1");
    kbj_sql_and(sql, sizeof sql, &off, v, &k, f->user_id != 0, "user_id = ?", KBJ_VI(f->user_id));
    /* Texts match byte for byte: the columns' collation alone would take "Alice" for
     * "alice", "bob " for "bob" and any two characters beyond U+FFFF (emoji) for each
     * other. The first comparison lets the server use the index, the second decides. */
    kbj_sql_and(sql, sizeof sql, &off, v, &k, w->login != NULL, "user_login = ?", KBJ_VS(w->login));
    kbj_sql_and(sql, sizeof sql, &off, v, &k, w->login != NULL, "CAST(user_login AS BINARY) = CAST(? AS BINARY)",
             KBJ_VS(w->login));
    kbj_sql_and(sql, sizeof sql, &off, v, &k, f->action != NULL, "action = ?", KBJ_VS(f->action));
    kbj_sql_and(sql, sizeof sql, &off, v, &k, w->target != NULL, "target = ?", KBJ_VS(w->target));
    kbj_sql_and(sql, sizeof sql, &off, v, &k, w->target != NULL, "CAST(target AS BINARY) = CAST(? AS BINARY)",
             KBJ_VS(w->target));
    kbj_sql_and(sql, sizeof sql, &off, v, &k, f->source != NULL, "source = ?", KBJ_VS(f->source));
    kbj_sql_and(sql, sizeof sql, &off, v, &k, f->outcome != NULL, "outcome = ?", KBJ_VS(f->outcome));
    kbj_sql_and(sql, sizeof sql, &off, v, &k, f->after > 0, "at >= " EPOCH_PLUS, KBJ_VI(micros(f->after)));
    kbj_sql_and(sql, sizeof sql, &off, v, &k, f->before > 0, "at < " EPOCH_PLUS, KBJ_VI(micros(f->before)));
    kbj_sql_and(sql, sizeof sql, &off, v, &k, w->before_id != 0, "id < ?", KBJ_VI(w->before_id));
    snprintf(sql + off, sizeof sql - off, " ORDER BY id DESC LIMIT ?");
    v[k++] = KBJ_VI(limit + 1);

    w->next[0] = '\0';
    rc = kbj_store_query(st, sql, v, k, &rows);
    if (rc)
        return rc;
    /* one row more than the page says whether there is a next page */
    m = kbj_rows_count(rows);
    if (m > limit) {
        m = limit;
        snprintf(w->next, 32, "%lld", kbj_rows_int(rows, m - 1, 0));
    }
    rc = entries_from_rows(rows, m, w->out);
    kbj_rows_free(rows);
    if (rc)
        return kbj_efail(w->eng, KBJ_ENOMEM, "out of memory");
    *w->n = m;
    return KBJ_OK;
}

static int check_time(kbj_engine *eng, const char *name, double t)
{
    if (t >= 0 && t <= MAX_TIME)
        return KBJ_OK;
    return kbj_efail(eng, KBJ_EINVAL, "audit filter %s must be a Unix time between 0 and %.0f", name, MAX_TIME);
}

static int parse_cursor(kbj_engine *eng, const char *cursor, unsigned long long *id)
{
    char *end;
    *id = 0;
    if (!cursor || !cursor[0])
        return KBJ_OK;
    *id = strtoull(cursor, &end, 10);
    if (*end || *id == 0 || cursor[0] < '0' || cursor[0] > '9' || *id > (unsigned long long)INT64_MAX)
        return kbj_efail(eng, KBJ_EINVAL, "malformed audit cursor \"%.40s\"", cursor);
    return KBJ_OK;
}

/* Checks a filter; the closed sets are checked so that a typo is an error, not an
 * empty page. */
static int check_filter(kbj_engine *eng, const kbj_audit_filter *f)
{
    int rc;
    if (f->limit > 1000)
        return kbj_efail(eng, KBJ_EINVAL, "audit filter limit %zu is out of range 1..1000", f->limit);
    if ((rc = check_user_id(eng, "audit filter", f->user_id)) ||
        (f->source && (rc = check_source(eng, "audit filter", f->source))) ||
        (f->outcome && (rc = check_outcome(eng, "audit filter", f->outcome))) ||
        (f->action && (rc = check_action(eng, "audit filter", f->action))) ||
        (rc = check_time(eng, "after", f->after)) || (rc = check_time(eng, "before", f->before)))
        return rc;
    return KBJ_OK;
}

int kbj_audit_list(kbj_engine *eng, const kbj_audit_filter *f, kbj_audit_entry **out, size_t *n,
                   char next_cursor[32])
{
    kbj_audit_filter none = { 0 };
    char scratch[32];
    list_work w = { eng, f ? f : &none, NULL, NULL, 0, out, n, next_cursor ? next_cursor : scratch };
    int rc;

    if (!eng || !out || !n)
        return eng ? kbj_efail(eng, KBJ_EINVAL, "no output given") : KBJ_EINVAL;
    *out = NULL;
    *n = 0;
    if ((rc = check_filter(eng, w.f)) || (rc = parse_cursor(eng, w.f->cursor, &w.before_id)))
        return rc;
    /* a filter on a text matches what was stored: sanitised the same way */
    if ((w.f->user_login &&
         (rc = clean_text(eng, "audit filter", "user_login", w.f->user_login, KBJ_AUDIT_LOGIN_MAX, &w.login))) ||
        (w.f->target &&
         (rc = clean_text(eng, "audit filter", "target", w.f->target, KBJ_AUDIT_TARGET_MAX, &w.target)))) {
        free(w.login);
        return rc;
    }
    /* cleared only now: callers may pass the previous next_cursor as the cursor */
    w.next[0] = '\0';
    rc = kbj_store_do(eng->st, list_do, &w);
    free(w.login);
    free(w.target);
    return rc;
}

/* ---- retention ---------------------------------------------------------------- */

typedef struct retention_work {
    unsigned days;
    unsigned long long deleted;   /* this batch */
} retention_work;

static int retention_do(kbj_store *st, void *arg)
{
    retention_work *w = arg;
    w->deleted = 0;
    return kbj_store_exec(st, "DELETE FROM {p}kbjobs_audit WHERE at < NOW(6) - INTERVAL ? DAY ORDER BY at LIMIT ?",
                          (kbj_val[]){ KBJ_VI(w->days), KBJ_VI(RETENTION_BATCH) }, 2, &w->deleted);
}

int kbj_audit_retention_batch(kbj_engine *eng, unsigned days, size_t batch, int dry_run, size_t *n)
{
    kbj_rows *rows = NULL;
    unsigned long long got = 0;
    int rc;
    if (n)
        *n = 0;
    if (!eng || !n)
        return KBJ_EINVAL;
    if (days < 1 || days > 36500)
        return kbj_efail(eng, KBJ_EINVAL, "audit retention of %u days is out of range 1..36500", days);
    if (batch < 1 || batch > 10000)
        return kbj_efail(eng, KBJ_EINVAL, "batch %zu is out of range 1..10000", batch);
    if (!dry_run) {
        rc = kbj_store_exec_again(eng->st, "DELETE FROM {p}kbjobs_audit WHERE at < NOW(6) - INTERVAL ? DAY"
                                  " ORDER BY at LIMIT ?", (kbj_val[]){ KBJ_VI(days), KBJ_VI(batch) }, 2, &got);
        *n = (size_t)got;
        return rc;
    }
    rc = kbj_store_query_again(eng->st, "SELECT COUNT(*) FROM {p}kbjobs_audit WHERE at < NOW(6) - INTERVAL ? DAY",
                               (kbj_val[]){ KBJ_VI(days) }, 1, &rows);
    if (rc == KBJ_OK)
        *n = (size_t)kbj_rows_int(rows, 0, 0);
    kbj_rows_free(rows);
    return rc;
}

int kbj_audit_retention(kbj_engine *eng, unsigned days, size_t *deleted)
{
    retention_work w = { days ? days : RETENTION_DEFAULT_DAYS, 0 };
    size_t total = 0;
    int rc;

    if (deleted)
        *deleted = 0;
    if (!eng)
        return KBJ_EINVAL;
    if (w.days > 36500)
        return kbj_efail(eng, KBJ_EINVAL, "audit retention of %u days is out of range 1..36500", days);
    /* in batches, each its own short statement, so a large backlog never holds a long
     * lock on the table that every operator action writes to */
    do {
        rc = kbj_store_do(eng->st, retention_do, &w);
        if (rc == KBJ_OK)
            total += (size_t)w.deleted;
    } while (rc == KBJ_OK && w.deleted == RETENTION_BATCH);
    if (deleted)
        *deleted = total;
    return rc;
}
