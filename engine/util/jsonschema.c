/*
 * jsonschema.c - a JSON Schema subset for job params: compiled into a tree of nodes once,
 * then applied (defaults, then validation) to each job's params.
 *
 * Paths (for messages) are linked lists on the stack, one link per level, and are only
 * rendered into text when something fails, so a valid document costs no formatting.
 */
#include "jsonschema.h"
#include "utf8.h"

#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- bounded string building -------------------------------------------------------- */

typedef struct sbuf {
    char *p;
    size_t cap, len; /* len <= cap - 1; p is always terminated */
    int cut;
} sbuf;

static void sb_putn(sbuf *b, const char *s, size_t n)
{
    size_t room = b->cap - 1 - b->len;
    if (n > room) {
        n = room;
        b->cut = 1;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_puts(sbuf *b, const char *s)
{
    sb_putn(b, s, strlen(s));
}

/* Ends a cut buffer with "..." (the buffer must hold at least 4 bytes). */
static void sb_mark_cut(sbuf *b)
{
    if (b->cut && b->cap >= 4) {
        size_t at = b->len < 3 ? 0 : b->len - 3;
        memcpy(b->p + at, "...", 4);
        b->len = at + 3;
    }
}

/* Appends one JSON pointer reference token, escaping '~' as "~0" and '/' as "~1". */
static void sb_put_token(sbuf *b, const char *s)
{
    const char *run = s;
    for (; *s; s++) {
        if (*s == '~' || *s == '/') {
            sb_putn(b, run, (size_t)(s - run));
            sb_puts(b, *s == '~' ? "~0" : "~1");
            run = s + 1;
        }
    }
    sb_putn(b, run, (size_t)(s - run));
}

/* ---- paths ----------------------------------------------------------------------------- */

/* Where in the schema: the root has seg NULL. */
typedef struct spath {
    const struct spath *up;
    const char *seg;
} spath;

/* Where in the instance: the root has up NULL and its label in key ("params"); below
 * it, key is a property name, or NULL for array element `index`. */
typedef struct ppath {
    const struct ppath *up;
    const char *key;
    size_t index;
} ppath;

#define PATH_MAX_TEXT 256

static void render_spath(sbuf *b, const spath *at)
{
    if (!at->up)
        return;
    render_spath(b, at->up);
    sb_puts(b, "/");
    sb_put_token(b, at->seg);
}

static void render_ppath(sbuf *b, const ppath *at)
{
    if (!at->up) {
        sb_puts(b, at->key);
        return;
    }
    render_ppath(b, at->up);
    sb_puts(b, "/");
    if (at->key) {
        sb_put_token(b, at->key);
    } else {
        char num[24];
        snprintf(num, sizeof num, "%zu", at->index);
        sb_puts(b, num);
    }
}

/* A problem in the schema itself: "schema at <pointer>: <what>" ("schema: " at the root). */
static int cfail(kbj_err *err, const spath *at, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static int cfail(kbj_err *err, const spath *at, const char *fmt, ...)
{
    char where[PATH_MAX_TEXT], what[384];
    sbuf b = { where, sizeof where, 0, 0 };
    va_list ap;

    where[0] = '\0';
    sb_puts(&b, at->up ? "schema at " : "schema");
    render_spath(&b, at);
    sb_mark_cut(&b);
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return kbj_fail(err, KBJ_EINVAL, "%s: %s", where, what);
}

/* A problem in the instance: "<label><pointer>: <what>". */
static int pfail(kbj_err *err, const ppath *at, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static int pfail(kbj_err *err, const ppath *at, const char *fmt, ...)
{
    char where[PATH_MAX_TEXT], what[384];
    sbuf b = { where, sizeof where, 0, 0 };
    va_list ap;

    where[0] = '\0';
    render_ppath(&b, at);
    sb_mark_cut(&b);
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return kbj_fail(err, KBJ_EINVAL, "%s: %s", where, what);
}

/* ---- the compiled tree ----------------------------------------------------------------- */

enum {
    T_OBJECT = 1u << 0,
    T_ARRAY = 1u << 1,
    T_STRING = 1u << 2,
    T_INTEGER = 1u << 3,
    T_NUMBER = 1u << 4,
    T_BOOLEAN = 1u << 5,
    T_NULL = 1u << 6,
};

static const struct {
    const char *name, *phrase;
    unsigned bit;
} type_names[] = {
    { "object", "an object", T_OBJECT },   { "array", "an array", T_ARRAY },
    { "string", "a string", T_STRING },    { "integer", "an integer", T_INTEGER },
    { "number", "a number", T_NUMBER },    { "boolean", "a boolean", T_BOOLEAN },
    { "null", "null", T_NULL },
};
#define NTYPES (sizeof type_names / sizeof type_names[0])

/* A numeric bound, kept exact when the schema wrote an integer. */
typedef struct num {
    int set, is_int;
    json_int_t i;
    double d;
} num;

enum { ADD_ANY = 0, ADD_NONE, ADD_SCHEMA };

typedef struct node node;

typedef struct prop {
    char *name;
    node *schema;
} prop;

struct node {
    unsigned types;                 /* T_* mask; 0: any type */
    prop *props;
    size_t nprops;
    char **required;
    size_t nrequired;
    int additional;                 /* ADD_* */
    node *additional_schema;
    node *items;
    long long min_items, max_items; /* -1: no bound */
    long long min_length, max_length;
    int has_pattern;
    regex_t re;
    char *pattern;
    json_t *enum_values;            /* a non-empty array, or NULL */
    char *enum_text;                /* "\"a\", \"b\"" for messages */
    json_t *const_value;            /* NULL: no const */
    char *const_text;
    num minimum, maximum, ex_minimum, ex_maximum;
    json_t *def;                    /* NULL: no default */
    int uri;                        /* format "uri" */
};

struct kbj_jsonschema {
    node *root;
};

static void node_free(node *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->nprops; i++) {
        free(n->props[i].name);
        node_free(n->props[i].schema);
    }
    free(n->props);
    for (size_t i = 0; i < n->nrequired; i++)
        free(n->required[i]);
    free(n->required);
    node_free(n->additional_schema);
    node_free(n->items);
    if (n->has_pattern)
        regfree(&n->re);
    free(n->pattern);
    json_decref(n->enum_values);
    free(n->enum_text);
    json_decref(n->const_value);
    free(n->const_text);
    json_decref(n->def);
    free(n);
}

void kbj_jsonschema_free(kbj_jsonschema *s)
{
    if (!s)
        return;
    node_free(s->root);
    free(s);
}

/* ---- numbers and equality ------------------------------------------------------------- */

/* Whether a JSON number has no fractional part (every double beyond 2^63 is integral). */
static int is_integral(const json_t *v)
{
    double d;
    if (json_is_integer(v))
        return 1;
    if (!json_is_real(v))
        return 0;
    d = json_real_value(v);
    if (d > -9.2e18 && d < 9.2e18)
        return (double)(long long)d == d;
    return 1;
}

static num num_of(const json_t *v)
{
    num n = { 1, json_is_integer(v), 0, 0 };
    if (n.is_int)
        n.i = json_integer_value(v);
    else
        n.d = json_real_value(v);
    return n;
}

/* -1, 0 or 1 as a is below, equal to or above b. */
static int num_cmp(const num *a, const num *b)
{
    double x, y;
    if (a->is_int && b->is_int)
        return a->i < b->i ? -1 : a->i > b->i;
    x = a->is_int ? (double)a->i : a->d;
    y = b->is_int ? (double)b->i : b->d;
    return x < y ? -1 : x > y;
}

/* Writes a bound as the schema meant it: "64", "0.5". */
static void num_text(char *buf, size_t cap, const num *n)
{
    if (n->is_int) {
        snprintf(buf, cap, "%lld", (long long)n->i);
        return;
    }
    snprintf(buf, cap, "%.15g", n->d);
    if (strtod(buf, NULL) != n->d)
        snprintf(buf, cap, "%.17g", n->d);
}

/* JSON equality, with numbers compared by value (1 == 1.0). Recurses only as deep as
 * both values go, which the schema's value bounds. */
static int same(const json_t *a, const json_t *b)
{
    if (json_is_number(a) && json_is_number(b)) {
        num x = num_of(a), y = num_of(b);
        return num_cmp(&x, &y) == 0;
    }
    if (json_typeof(a) != json_typeof(b))
        return 0;
    switch (json_typeof(a)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *va;
        if (json_object_size(a) != json_object_size(b))
            return 0;
        json_object_foreach((json_t *)a, key, va) {
            json_t *vb = json_object_get(b, key);
            if (!vb || !same(va, vb))
                return 0;
        }
        return 1;
    }
    case JSON_ARRAY:
        if (json_array_size(a) != json_array_size(b))
            return 0;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!same(json_array_get(a, i), json_array_get(b, i)))
                return 0;
        return 1;
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b) &&
               memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
    default: /* true, false, null */
        return 1;
    }
}

/* ---- strings ---------------------------------------------------------------------------- */

static int lower_eq(const char *s, const char *lit, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != lit[i])
            return 0;
    }
    return 1;
}

/* The light "uri" check: http or https (any case), "://", a non-empty host (after any
 * userinfo, before any port), and no whitespace, control character or NUL anywhere. */
static int is_http_url(const char *s, size_t len)
{
    size_t i, end, host;

    for (i = 0; i < len; i++)
        if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
            return 0;
    if (len >= 7 && lower_eq(s, "http://", 7))
        i = 7;
    else if (len >= 8 && lower_eq(s, "https://", 8))
        i = 8;
    else
        return 0;
    for (end = i; end < len && s[end] != '/' && s[end] != '?' && s[end] != '#'; end++)
        ;
    host = i;
    for (size_t k = i; k < end; k++)
        if (s[k] == '@')
            host = k + 1;
    if (host < end && s[host] == '[') {
        size_t k = host + 1;
        while (k < end && s[k] != ']')
            k++;
        return k < end && k > host + 1;
    }
    return host < end && s[host] != ':';
}

/* ---- compiling ------------------------------------------------------------------------ */

static int compile_node(const json_t *j, const spath *at, int depth, node **out, kbj_err *err);
static int apply_node(const node *n, json_t *v, const ppath *at, kbj_err *err);

static int oom(kbj_err *err)
{
    return kbj_fail(err, KBJ_ENOMEM, "out of memory");
}

/* A non-negative integer (an integral real counts, up to 2^53). */
static int as_count(const json_t *v, long long *out)
{
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *out = json_integer_value(v);
        return 1;
    }
    if (json_is_real(v) && is_integral(v) && json_real_value(v) >= 0 &&
        json_real_value(v) <= 9007199254740992.0) {
        *out = (long long)json_real_value(v);
        return 1;
    }
    return 0;
}

#define RENDER_MAX 200

/* "\"a\", \"b\"" for the elements of a list (or one value), cut with "..." past
 * RENDER_MAX bytes; *out is malloc'd. */
static int render_values(const json_t *v, int list, char **out, kbj_err *err)
{
    char buf[RENDER_MAX + 8];
    sbuf b = { buf, sizeof buf, 0, 0 };
    size_t n = list ? json_array_size(v) : 1;

    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        char *s = json_dumps(list ? json_array_get(v, i) : v, JSON_COMPACT | JSON_ENCODE_ANY);
        size_t need;
        if (!s)
            return oom(err);
        need = strlen(s) + (i ? 2 : 0);
        if (b.len + need > RENDER_MAX) {
            sb_puts(&b, i ? ", ..." : "...");
            free(s);
            break;
        }
        if (i)
            sb_puts(&b, ", ");
        sb_puts(&b, s);
        free(s);
    }
    if (!(*out = strdup(buf)))
        return oom(err);
    return 0;
}

static int compile_type(node *n, const json_t *v, const spath *at, kbj_err *err)
{
    size_t count = json_is_array(v) ? json_array_size(v) : 1;

    if (!json_is_string(v) && !(json_is_array(v) && count > 0))
        goto bad;
    for (size_t i = 0; i < count; i++) {
        const json_t *e = json_is_array(v) ? json_array_get(v, i) : v;
        unsigned bit = 0;
        if (!json_is_string(e))
            goto bad;
        for (size_t t = 0; t < NTYPES; t++)
            if (strcmp(json_string_value(e), type_names[t].name) == 0)
                bit = type_names[t].bit;
        if (!bit || (n->types & bit))
            goto bad;
        n->types |= bit;
    }
    return 0;
bad:
    return cfail(err, at, "\"type\" must be one of object, array, string, integer, number, "
                          "boolean, null, or an array of them without repeats");
}

static int compile_properties(node *n, const json_t *v, const spath *at, int depth, kbj_err *err)
{
    spath here = { at, "properties" };
    const char *key;
    json_t *sub;

    if (!json_is_object(v))
        return cfail(err, at, "\"properties\" must be an object of schemas");
    if (!(n->props = calloc(json_object_size(v) + 1, sizeof *n->props)))
        return oom(err);
    json_object_foreach((json_t *)v, key, sub) {
        spath kp = { &here, key };
        prop *p = &n->props[n->nprops];
        int rc;
        if (!(p->name = strdup(key)))
            return oom(err);
        n->nprops++;
        if ((rc = compile_node(sub, &kp, depth + 1, &p->schema, err)))
            return rc;
    }
    return 0;
}

static int compile_required(node *n, const json_t *v, const spath *at, kbj_err *err)
{
    size_t count = json_array_size(v);

    if (!json_is_array(v))
        goto bad;
    for (size_t i = 0; i < count; i++) {
        const json_t *e = json_array_get(v, i);
        if (!json_is_string(e))
            goto bad;
        for (size_t k = 0; k < i; k++)
            if (same(e, json_array_get(v, k)))
                goto bad;
    }
    if (!(n->required = calloc(count + 1, sizeof *n->required)))
        return oom(err);
    for (size_t i = 0; i < count; i++) {
        if (!(n->required[i] = strdup(json_string_value(json_array_get(v, i)))))
            return oom(err);
        n->nrequired++;
    }
    return 0;
bad:
    return cfail(err, at, "\"required\" must be an array of unique strings");
}

static int compile_pattern(node *n, const json_t *v, const spath *at, kbj_err *err)
{
    char why[128];
    int rc;

    if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
        return cfail(err, at, "\"pattern\" must be a string");
    if (json_string_length(v) > KBJ_JSONSCHEMA_MAX_PATTERN)
        return cfail(err, at, "\"pattern\" is longer than %d bytes", KBJ_JSONSCHEMA_MAX_PATTERN);
    if (!(n->pattern = strdup(json_string_value(v))))
        return oom(err);
    rc = regcomp(&n->re, n->pattern, REG_EXTENDED | REG_NOSUB);
    if (rc == REG_ESPACE)
        return oom(err);
    if (rc != 0) {
        regerror(rc, &n->re, why, sizeof why);
        return cfail(err, at, "\"pattern\" is not a valid POSIX extended regular expression: %s",
                     why);
    }
    n->has_pattern = 1;
    return 0;
}

/* Fills in one keyword of `n`. */
static int compile_keyword(node *n, const char *kw, const json_t *v, const spath *at, int depth,
                           kbj_err *err)
{
    static const char *const counts[] = { "minItems", "maxItems", "minLength", "maxLength" };
    static const char *const bounds[] = { "minimum", "maximum", "exclusiveMinimum",
                                          "exclusiveMaximum" };
    /* annotations: checked to be strings, otherwise ignored */
    static const char *const notes[] = { "title", "description", "$comment", "$schema", "$id" };

    if (strcmp(kw, "type") == 0)
        return compile_type(n, v, at, err);
    if (strcmp(kw, "properties") == 0)
        return compile_properties(n, v, at, depth, err);
    if (strcmp(kw, "required") == 0)
        return compile_required(n, v, at, err);
    if (strcmp(kw, "additionalProperties") == 0) {
        spath sub = { at, "additionalProperties" };
        if (json_is_boolean(v)) {
            n->additional = json_is_true(v) ? ADD_ANY : ADD_NONE;
            return 0;
        }
        if (!json_is_object(v))
            return cfail(err, at, "\"additionalProperties\" must be a boolean or a schema");
        n->additional = ADD_SCHEMA;
        return compile_node(v, &sub, depth + 1, &n->additional_schema, err);
    }
    if (strcmp(kw, "items") == 0) {
        spath sub = { at, "items" };
        if (!json_is_object(v))
            return cfail(err, at, "\"items\" must be a schema (an object)");
        return compile_node(v, &sub, depth + 1, &n->items, err);
    }
    for (size_t i = 0; i < 4; i++) {
        long long *slot[] = { &n->min_items, &n->max_items, &n->min_length, &n->max_length };
        if (strcmp(kw, counts[i]) == 0) {
            if (!as_count(v, slot[i]))
                return cfail(err, at, "\"%s\" must be a non-negative integer", kw);
            return 0;
        }
    }
    if (strcmp(kw, "pattern") == 0)
        return compile_pattern(n, v, at, err);
    if (strcmp(kw, "enum") == 0) {
        if (!json_is_array(v) || json_array_size(v) == 0)
            return cfail(err, at, "\"enum\" must be a non-empty array");
        n->enum_values = json_incref((json_t *)v);
        return render_values(v, 1, &n->enum_text, err);
    }
    if (strcmp(kw, "const") == 0) {
        n->const_value = json_incref((json_t *)v);
        return render_values(v, 0, &n->const_text, err);
    }
    for (size_t i = 0; i < 4; i++) {
        num *slot[] = { &n->minimum, &n->maximum, &n->ex_minimum, &n->ex_maximum };
        if (strcmp(kw, bounds[i]) == 0) {
            if (i >= 2 && json_is_boolean(v))
                return cfail(err, at, "\"%s\" must be a number (the draft 2020 form; the "
                                      "boolean form of draft 4 is not supported)", kw);
            if (!json_is_number(v))
                return cfail(err, at, "\"%s\" must be a number", kw);
            *slot[i] = num_of(v);
            return 0;
        }
    }
    if (strcmp(kw, "default") == 0) {
        n->def = json_incref((json_t *)v);
        return 0;
    }
    if (strcmp(kw, "format") == 0) {
        if (!json_is_string(v))
            return cfail(err, at, "\"format\" must be a string");
        n->uri = strcmp(json_string_value(v), "uri") == 0;
        return 0;
    }
    for (size_t i = 0; i < sizeof notes / sizeof notes[0]; i++)
        if (strcmp(kw, notes[i]) == 0) {
            if (!json_is_string(v))
                return cfail(err, at, "\"%s\" must be a string", kw);
            return 0;
        }
    return cfail(err, at, "unknown keyword \"%.64s%s\"", kw, strlen(kw) > 64 ? "..." : "");
}

/* Checks that a compiled node is consistent and its default satisfies it. */
static int check_node(const node *n, const spath *at, kbj_err *err)
{
    if (n->min_items >= 0 && n->max_items >= 0 && n->min_items > n->max_items)
        return cfail(err, at, "\"minItems\" is greater than \"maxItems\"");
    if (n->min_length >= 0 && n->max_length >= 0 && n->min_length > n->max_length)
        return cfail(err, at, "\"minLength\" is greater than \"maxLength\"");
    if (n->minimum.set && n->maximum.set && num_cmp(&n->minimum, &n->maximum) > 0)
        return cfail(err, at, "\"minimum\" is greater than \"maximum\"");
    if (n->def) {
        ppath root = { NULL, "default", 0 };
        kbj_err inner;
        json_t *copy = json_deep_copy(n->def);
        int rc;
        if (!copy)
            return oom(err);
        rc = apply_node(n, copy, &root, &inner);
        json_decref(copy);
        if (rc == KBJ_ENOMEM)
            return oom(err);
        if (rc)
            return cfail(err, at, "\"default\" does not satisfy its own schema (%s)", inner.msg);
    }
    return 0;
}

static int compile_node(const json_t *j, const spath *at, int depth, node **out, kbj_err *err)
{
    const char *kw;
    json_t *v;
    node *n;
    int rc = 0;

    *out = NULL;
    if (depth > KBJ_JSONSCHEMA_MAX_DEPTH)
        return cfail(err, at, "schemas are nested deeper than %d levels", KBJ_JSONSCHEMA_MAX_DEPTH);
    if (!json_is_object(j))
        return cfail(err, at, "must be an object");
    if (!(n = calloc(1, sizeof *n)))
        return oom(err);
    n->min_items = n->max_items = n->min_length = n->max_length = -1;
    json_object_foreach((json_t *)j, kw, v) {
        if ((rc = compile_keyword(n, kw, v, at, depth, err)))
            break;
    }
    if (!rc)
        rc = check_node(n, at, err);
    if (rc) {
        node_free(n);
        return rc;
    }
    *out = n;
    return 0;
}

int kbj_jsonschema_compile(const char *schema_text, kbj_jsonschema **out, kbj_err *err)
{
    spath root = { NULL, NULL };
    json_error_t jerr;
    json_t *doc;
    size_t len;
    int rc;

    if (out)
        *out = NULL;
    if (!schema_text || !out)
        return kbj_fail(err, KBJ_EINVAL, "schema: no text or no place for the result");
    len = strnlen(schema_text, KBJ_JSONSCHEMA_MAX_TEXT + 1);
    if (len > KBJ_JSONSCHEMA_MAX_TEXT)
        return kbj_fail(err, KBJ_EINVAL, "schema: longer than %u bytes", KBJ_JSONSCHEMA_MAX_TEXT);
    if (!(doc = json_loadb(schema_text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr)))
        return kbj_fail(err, KBJ_EINVAL, "schema: invalid JSON at line %d, column %d: %s",
                        jerr.line, jerr.column, jerr.text);
    if (!(*out = calloc(1, sizeof **out))) {
        json_decref(doc);
        return oom(err);
    }
    rc = compile_node(doc, &root, 1, &(*out)->root, err);
    json_decref(doc);
    if (rc) {
        kbj_jsonschema_free(*out);
        *out = NULL;
    }
    return rc;
}

/* ---- applying ----------------------------------------------------------------------- */

static int type_ok(unsigned types, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return (types & T_OBJECT) != 0;
    case JSON_ARRAY: return (types & T_ARRAY) != 0;
    case JSON_STRING: return (types & T_STRING) != 0;
    case JSON_INTEGER:
    case JSON_REAL: return (types & T_NUMBER) || ((types & T_INTEGER) && is_integral(v));
    case JSON_TRUE:
    case JSON_FALSE: return (types & T_BOOLEAN) != 0;
    default: return (types & T_NULL) != 0;
    }
}

/* "must be a string", "must be a string or null", "must be an object, an array or null" */
static int type_fail(unsigned types, const ppath *at, kbj_err *err)
{
    char buf[128];
    sbuf b = { buf, sizeof buf, 0, 0 };
    size_t total = 0, seen = 0;

    buf[0] = '\0';
    for (size_t t = 0; t < NTYPES; t++)
        total += (types & type_names[t].bit) != 0;
    for (size_t t = 0; t < NTYPES; t++) {
        if (!(types & type_names[t].bit))
            continue;
        if (seen)
            sb_puts(&b, seen + 1 == total ? " or " : ", ");
        sb_puts(&b, type_names[t].phrase);
        seen++;
    }
    return pfail(err, at, "must be %s", buf);
}

static int in_props(const node *n, const char *key)
{
    for (size_t i = 0; i < n->nprops; i++)
        if (strcmp(n->props[i].name, key) == 0)
            return 1;
    return 0;
}

static int apply_object(const node *n, json_t *v, const ppath *at, kbj_err *err)
{
    const char *key;
    json_t *child;
    int rc;

    for (size_t i = 0; i < n->nprops; i++) {
        const json_t *def = n->props[i].schema->def;
        if (def && !json_object_get(v, n->props[i].name)) {
            json_t *copy = json_deep_copy(def);
            if (!copy || json_object_set_new(v, n->props[i].name, copy) != 0) {
                ppath kp = { at, n->props[i].name, 0 };
                char where[PATH_MAX_TEXT];
                sbuf b = { where, sizeof where, 0, 0 };
                where[0] = '\0';
                render_ppath(&b, &kp);
                sb_mark_cut(&b);
                return kbj_fail(err, KBJ_ENOMEM, "%s: out of memory filling in the default",
                                where);
            }
        }
    }
    for (size_t i = 0; i < n->nrequired; i++)
        if (!json_object_get(v, n->required[i]))
            return pfail(err, at, "\"%.100s\" is required", n->required[i]);
    for (size_t i = 0; i < n->nprops; i++) {
        ppath kp = { at, n->props[i].name, 0 };
        if ((child = json_object_get(v, n->props[i].name)) &&
            (rc = apply_node(n->props[i].schema, child, &kp, err)))
            return rc;
    }
    if (n->additional == ADD_ANY)
        return 0;
    json_object_foreach(v, key, child) {
        ppath kp = { at, key, 0 };
        if (in_props(n, key))
            continue;
        if (n->additional == ADD_NONE)
            return pfail(err, &kp, "is not an allowed property");
        if ((rc = apply_node(n->additional_schema, child, &kp, err)))
            return rc;
    }
    return 0;
}

static int apply_array(const node *n, json_t *v, const ppath *at, kbj_err *err)
{
    size_t size = json_array_size(v);
    int rc;

    if (n->min_items >= 0 && size < (unsigned long long)n->min_items)
        return pfail(err, at, "must have at least %lld item%s", n->min_items,
                     n->min_items == 1 ? "" : "s");
    if (n->max_items >= 0 && size > (unsigned long long)n->max_items)
        return pfail(err, at, "must have at most %lld item%s", n->max_items,
                     n->max_items == 1 ? "" : "s");
    if (n->items)
        for (size_t i = 0; i < size; i++) {
            ppath ip = { at, NULL, i };
            if ((rc = apply_node(n->items, json_array_get(v, i), &ip, err)))
                return rc;
        }
    return 0;
}

static int apply_string(const node *n, const json_t *v, const ppath *at, kbj_err *err)
{
    const char *s = json_string_value(v);
    size_t len = json_string_length(v), chars = kbj_utf8_count(s, len);

    if (n->min_length >= 0 && chars < (unsigned long long)n->min_length)
        return pfail(err, at, "must be at least %lld character%s long", n->min_length,
                     n->min_length == 1 ? "" : "s");
    if (n->max_length >= 0 && chars > (unsigned long long)n->max_length)
        return pfail(err, at, "must be at most %lld character%s long", n->max_length,
                     n->max_length == 1 ? "" : "s");
    if (n->has_pattern) {
        int rc;
        if (strlen(s) != len)
            return pfail(err, at, "contains a NUL character, which \"pattern\" cannot check");
        rc = regexec(&n->re, s, 0, NULL, 0);
        if (rc == REG_NOMATCH)
            return pfail(err, at, "must match the pattern \"%.100s\"", n->pattern);
        if (rc != 0)
            return kbj_fail(err, KBJ_ENOMEM, "out of memory matching a pattern");
    }
    if (n->uri && !is_http_url(s, len))
        return pfail(err, at, "must be an absolute http or https URL");
    return 0;
}

static int apply_number(const node *n, const json_t *v, const ppath *at, kbj_err *err)
{
    num x = num_of(v);
    char bound[40];

    if (n->minimum.set && num_cmp(&x, &n->minimum) < 0) {
        num_text(bound, sizeof bound, &n->minimum);
        return pfail(err, at, "must be at least %s", bound);
    }
    if (n->maximum.set && num_cmp(&x, &n->maximum) > 0) {
        num_text(bound, sizeof bound, &n->maximum);
        return pfail(err, at, "must be at most %s", bound);
    }
    if (n->ex_minimum.set && num_cmp(&x, &n->ex_minimum) <= 0) {
        num_text(bound, sizeof bound, &n->ex_minimum);
        return pfail(err, at, "must be greater than %s", bound);
    }
    if (n->ex_maximum.set && num_cmp(&x, &n->ex_maximum) >= 0) {
        num_text(bound, sizeof bound, &n->ex_maximum);
        return pfail(err, at, "must be less than %s", bound);
    }
    return 0;
}

static int apply_node(const node *n, json_t *v, const ppath *at, kbj_err *err)
{
    if (n->types && !type_ok(n->types, v))
        return type_fail(n->types, at, err);
    if (n->enum_values) {
        size_t i, count = json_array_size(n->enum_values);
        for (i = 0; i < count; i++)
            if (same(v, json_array_get(n->enum_values, i)))
                break;
        if (i == count)
            return pfail(err, at, "must be one of %s", n->enum_text);
    }
    if (n->const_value && !same(v, n->const_value))
        return pfail(err, at, "must be %s", n->const_text);
    switch (json_typeof(v)) {
    case JSON_OBJECT: return apply_object(n, v, at, err);
    case JSON_ARRAY: return apply_array(n, v, at, err);
    case JSON_STRING: return apply_string(n, v, at, err);
    case JSON_INTEGER:
    case JSON_REAL: return apply_number(n, v, at, err);
    default: return 0;
    }
}

int kbj_jsonschema_apply(const kbj_jsonschema *s, json_t *params, kbj_err *err)
{
    ppath root = { NULL, "params", 0 };

    if (!s || !s->root)
        return kbj_fail(err, KBJ_EINVAL, "params: no schema to check against");
    if (!params)
        return kbj_fail(err, KBJ_EINVAL, "params: missing");
    return apply_node(s->root, params, &root, err);
}
