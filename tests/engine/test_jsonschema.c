/* Job params against the JSON Schema subset: every keyword passing and failing, defaults,
 * messages that name the field, schemas refused at compile time, hostile inputs.
 * Pure: needs no database, so it links with jsonschema.c and version.c alone. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonschema.h"

/* ---- regcomp, counted ------------------------------------------------------------ */

/* This test's own regcomp wraps the C library's, so a test can see how often patterns
 * are compiled (jsonschema.c is linked into this executable, so it calls this one). */
static int regcomp_calls;

int regcomp(regex_t *restrict preg, const char *restrict pattern, int cflags)
{
    typedef int (*regcomp_fn)(regex_t *restrict, const char *restrict, int);
    static regcomp_fn real;
    regcomp_calls++;
    if (!real) {
        void *sym = dlsym(RTLD_NEXT, "regcomp");
        memcpy(&real, &sym, sizeof real);
    }
    return real ? real(preg, pattern, cflags) : REG_ESPACE;
}

/* ---- helpers ------------------------------------------------------------------------ */

static kbj_jsonschema *compile_ok(const char *text)
{
    kbj_err err = { "" };
    kbj_jsonschema *s = NULL;
    int rc = kbj_jsonschema_compile(text, &s, &err);
    if (rc != 0)
        fail_msg("compiling %s: %s", text, err.msg);
    assert_non_null(s);
    return s;
}

/* Compiling `text` fails with KBJ_EINVAL and exactly `msg`. */
static void refused(const char *text, const char *msg)
{
    kbj_err err = { "" };
    kbj_jsonschema *s = (kbj_jsonschema *)&err; /* must be reset to NULL */
    int rc = kbj_jsonschema_compile(text, &s, &err);
    if (rc != KBJ_EINVAL)
        fail_msg("compiling %s returned %d, not KBJ_EINVAL", text, rc);
    assert_null(s);
    assert_string_equal(err.msg, msg);
}

/* Compiling `text` fails with KBJ_EINVAL and a message starting with `prefix`. */
static const char *refused_prefix(const char *text, const char *prefix)
{
    static kbj_err err;
    kbj_jsonschema *s = NULL;
    err.msg[0] = '\0';
    assert_int_equal(kbj_jsonschema_compile(text, &s, &err), KBJ_EINVAL);
    assert_null(s);
    if (strncmp(err.msg, prefix, strlen(prefix)) != 0)
        fail_msg("\"%s\" does not start with \"%s\"", err.msg, prefix);
    return err.msg;
}

static json_t *parse(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &jerr);
    if (!j)
        fail_msg("bad test JSON %s: %s", text, jerr.text);
    return j;
}

/* Applies an already compiled schema to `params`: "" when they conform, else the
 * message (KBJ_EINVAL asserted). On success *out (may be NULL) gets the params after
 * defaults, compact with sorted keys. The result is a static buffer. */
static const char *apply_to(const kbj_jsonschema *s, const char *params, char **out)
{
    static kbj_err err;
    json_t *p = parse(params);
    int rc;

    err.msg[0] = '\0';
    rc = kbj_jsonschema_apply(s, p, &err);
    if (rc == 0) {
        assert_string_equal(err.msg, "");
        if (out)
            *out = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    } else {
        assert_int_equal(rc, KBJ_EINVAL);
        assert_true(err.msg[0] != '\0');
    }
    json_decref(p);
    return err.msg;
}

/* Compiles `schema`, applies it to `params`, frees it: "" or the message. */
static const char *check(const char *schema, const char *params)
{
    kbj_jsonschema *s = compile_ok(schema);
    const char *msg = apply_to(s, params, NULL);
    kbj_jsonschema_free(s);
    return msg;
}

/* The params after defaults (they must conform), compared as compact sorted JSON. */
static void filled(const char *schema, const char *params, const char *expect)
{
    kbj_jsonschema *s = compile_ok(schema);
    char *got = NULL;
    const char *msg = apply_to(s, params, &got);
    if (*msg)
        fail_msg("params %s refused: %s", params, msg);
    assert_string_equal(got, expect);
    free(got);
    kbj_jsonschema_free(s);
}

/* ---- type ------------------------------------------------------------------------- */

static void type_keyword_accepts_its_type_and_refuses_others(void **state)
{
    static const struct {
        const char *type, *good, *bad, *msg;
    } cases[] = {
        { "object", "{\"a\":1}", "[]", "params/v: must be an object" },
        { "array", "[1,\"a\"]", "{}", "params/v: must be an array" },
        { "string", "\"\"", "1", "params/v: must be a string" },
        { "integer", "-3", "3.5", "params/v: must be an integer" },
        { "integer", "3.0", "\"3\"", "params/v: must be an integer" },
        { "number", "3.5", "\"3.5\"", "params/v: must be a number" },
        { "number", "3", "null", "params/v: must be a number" },
        { "boolean", "false", "0", "params/v: must be a boolean" },
        { "null", "null", "false", "params/v: must be null" },
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char schema[128], good[128], bad[128];
        snprintf(schema, sizeof schema, "{\"properties\":{\"v\":{\"type\":\"%s\"}}}", cases[i].type);
        snprintf(good, sizeof good, "{\"v\":%s}", cases[i].good);
        snprintf(bad, sizeof bad, "{\"v\":%s}", cases[i].bad);
        assert_string_equal(check(schema, good), "");
        assert_string_equal(check(schema, bad), cases[i].msg);
    }
    /* the root is checked too */
    assert_string_equal(check("{\"type\":\"object\"}", "[]"), "params: must be an object");
}

static void type_array_accepts_any_listed_type(void **state)
{
    const char *s1 = "{\"properties\":{\"v\":{\"type\":[\"string\",\"null\"]}}}";
    const char *s2 = "{\"properties\":{\"v\":{\"type\":[\"null\",\"array\",\"object\"]}}}";
    (void)state;
    assert_string_equal(check(s1, "{\"v\":\"a\"}"), "");
    assert_string_equal(check(s1, "{\"v\":null}"), "");
    assert_string_equal(check(s1, "{\"v\":1}"), "params/v: must be a string or null");
    assert_string_equal(check(s2, "{\"v\":[]}"), "");
    assert_string_equal(check(s2, "{\"v\":true}"), "params/v: must be an object, an array or null");
}

/* ---- objects ---------------------------------------------------------------------- */

static void required_is_reported_before_properties_in_schema_order(void **state)
{
    const char *schema = "{\"required\":[\"list\",\"mode\"],"
                         "\"properties\":{\"mode\":{\"type\":\"string\"}}}";
    (void)state;
    assert_string_equal(check(schema, "{\"list\":1,\"mode\":\"a\"}"), "");
    assert_string_equal(check(schema, "{\"mode\":1}"), "params: \"list\" is required");
    assert_string_equal(check(schema, "{}"), "params: \"list\" is required");
    assert_string_equal(check(schema, "{\"list\":1}"), "params: \"mode\" is required");
    assert_string_equal(check(schema, "{\"list\":1,\"mode\":1}"), "params/mode: must be a string");
    /* a required property need not be described */
    assert_string_equal(check("{\"required\":[\"x\"]}", "{\"x\":[]}"), "");
    /* nested objects name their own path */
    assert_string_equal(check("{\"properties\":{\"opts\":{\"required\":[\"x\"]}}}", "{\"opts\":{}}"),
                        "params/opts: \"x\" is required");
}

static void properties_are_checked_in_schema_order_not_params_order(void **state)
{
    const char *schema = "{\"properties\":{\"b\":{\"type\":\"string\"},\"a\":{\"type\":\"string\"}}}";
    (void)state;
    assert_string_equal(check(schema, "{\"a\":1,\"b\":2}"), "params/b: must be a string");
    assert_string_equal(check(schema, "{\"a\":1,\"b\":\"x\"}"), "params/a: must be a string");
    /* absent optional properties are fine */
    assert_string_equal(check(schema, "{}"), "");
}

static void additional_properties_allow_refuse_or_check_the_others(void **state)
{
    const char *open = "{\"properties\":{\"a\":{}}}";
    const char *closed = "{\"properties\":{\"a\":{}},\"additionalProperties\":false}";
    const char *typed = "{\"properties\":{\"a\":{\"type\":\"string\"}},"
                        "\"additionalProperties\":{\"type\":\"integer\"}}";
    (void)state;
    assert_string_equal(check(open, "{\"a\":1,\"extra\":2}"), "");
    assert_string_equal(check("{\"additionalProperties\":true}", "{\"x\":1}"), "");
    assert_string_equal(check(closed, "{\"a\":1}"), "");
    assert_string_equal(check(closed, "{\"a\":1,\"extra\":2}"), "params/extra: is not an allowed property");
    /* the first unknown key in the params' order */
    assert_string_equal(check(closed, "{\"z\":1,\"a\":1,\"y\":2}"), "params/z: is not an allowed property");
    assert_string_equal(check(typed, "{\"a\":\"s\",\"n\":1,\"m\":2}"), "");
    assert_string_equal(check(typed, "{\"a\":\"s\",\"n\":1,\"m\":\"x\"}"), "params/m: must be an integer");
    /* described properties are not checked against additionalProperties */
    assert_string_equal(check(typed, "{\"a\":1}"), "params/a: must be a string");
}

static void pointers_escape_slash_and_tilde(void **state)
{
    const char *closed = "{\"additionalProperties\":false}";
    (void)state;
    assert_string_equal(check(closed, "{\"a/b~c\":1}"), "params/a~1b~0c: is not an allowed property");
    assert_string_equal(check("{\"properties\":{\"x/y\":{\"items\":{\"type\":\"null\"}}}}",
                              "{\"x/y\":[null,null,1]}"),
                        "params/x~1y/2: must be null");
}

static void very_long_pointers_are_cut_with_an_ellipsis(void **state)
{
    char key[600], params[700];
    const char *msg;
    (void)state;
    memset(key, 'k', sizeof key - 1);
    key[sizeof key - 1] = '\0';
    snprintf(params, sizeof params, "{\"%s\":1}", key);
    msg = check("{\"additionalProperties\":false}", params);
    assert_true(strncmp(msg, "params/kkkk", 11) == 0);
    assert_non_null(strstr(msg, "kkk...: is not an allowed property"));
    assert_true(strlen(msg) < 300);
}

/* ---- arrays ------------------------------------------------------------------------- */

static void items_are_checked_in_order_and_named_by_index(void **state)
{
    const char *schema = "{\"properties\":{\"urls\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}}}";
    (void)state;
    assert_string_equal(check(schema, "{\"urls\":[]}"), "");
    assert_string_equal(check(schema, "{\"urls\":[\"a\",\"b\"]}"), "");
    assert_string_equal(check(schema, "{\"urls\":[\"a\",\"b\",\"c\",4,5]}"), "params/urls/3: must be a string");
    assert_string_equal(check("{\"items\":{\"items\":{\"type\":\"integer\"}}}", "[[1],[2,\"x\"]]"),
                        "params/1/1: must be an integer");
}

static void min_and_max_items_bound_array_sizes(void **state)
{
    const char *one = "{\"properties\":{\"urls\":{\"minItems\":1,\"maxItems\":2}}}";
    const char *two = "{\"properties\":{\"urls\":{\"minItems\":2,\"maxItems\":1.0e0}}}";
    (void)state;
    assert_string_equal(check(one, "{\"urls\":[1]}"), "");
    assert_string_equal(check(one, "{\"urls\":[1,2]}"), "");
    assert_string_equal(check(one, "{\"urls\":[]}"), "params/urls: must have at least 1 item");
    assert_string_equal(check(one, "{\"urls\":[1,2,3]}"), "params/urls: must have at most 2 items");
    /* they apply to arrays only */
    assert_string_equal(check(one, "{\"urls\":\"\"}"), "");
    refused(two, "schema at /properties/urls: \"minItems\" is greater than \"maxItems\"");
    assert_string_equal(check("{\"minItems\":2}", "[1]"), "params: must have at least 2 items");
    assert_string_equal(check("{\"maxItems\":1}", "[1,2]"), "params: must have at most 1 item");
}

/* ---- strings ------------------------------------------------------------------------ */

static void min_and_max_length_count_characters_not_bytes(void **state)
{
    const char *max3 = "{\"properties\":{\"s\":{\"maxLength\":3}}}";
    const char *min2 = "{\"properties\":{\"s\":{\"minLength\":2}}}";
    (void)state;
    assert_string_equal(check(max3, "{\"s\":\"h\xc3\xa9\xc3\xa9\"}"), "");       /* 5 bytes */
    assert_string_equal(check(max3, "{\"s\":\"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\"}"), "");
    assert_string_equal(check(max3, "{\"s\":\"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9ex\"}"),
                        "params/s: must be at most 3 characters long");
    assert_string_equal(check(min2, "{\"s\":\"\xc3\xa9\"}"),                    /* 2 bytes */
                        "params/s: must be at least 2 characters long");
    assert_string_equal(check(min2, "{\"s\":\"\xf0\x9f\x98\x80\xf0\x9f\x98\x80\"}"), "");
    assert_string_equal(check(min2, "{\"s\":\"\\ud83d\\ude00\"}"),              /* one emoji */
                        "params/s: must be at least 2 characters long");
    assert_string_equal(check("{\"minLength\":1}", "\"\""), "params: must be at least 1 character long");
    assert_string_equal(check("{\"maxLength\":1}", "\"ab\""), "params: must be at most 1 character long");
    assert_string_equal(check(max3, "{\"s\":12345}"), "");
    refused("{\"minLength\":3,\"maxLength\":2}", "schema: \"minLength\" is greater than \"maxLength\"");
}

static void pattern_is_a_posix_extended_regex_matching_anywhere_unless_anchored(void **state)
{
    const char *slug = "{\"properties\":{\"slug\":{\"pattern\":\"^[a-z]+(-[a-z]+)*$\"}}}";
    const char *loose = "{\"pattern\":\"b\"}";
    const char *ere = "{\"pattern\":\"^(ab|cd){2,3}[[:digit:]]+$\"}";
    (void)state;
    assert_string_equal(check(slug, "{\"slug\":\"abc-def\"}"), "");
    assert_string_equal(check(slug, "{\"slug\":\"Abc\"}"),
                        "params/slug: must match the pattern \"^[a-z]+(-[a-z]+)*$\"");
    assert_string_equal(check(slug, "{\"slug\":\"abc-\"}"),
                        "params/slug: must match the pattern \"^[a-z]+(-[a-z]+)*$\"");
    assert_string_equal(check(loose, "\"abc\""), "");
    assert_string_equal(check(loose, "\"xyz\""), "params: must match the pattern \"b\"");
    assert_string_equal(check(ere, "\"abcd42\""), "");
    assert_string_equal(check(ere, "\"ab42\""), "params: must match the pattern \"^(ab|cd){2,3}[[:digit:]]+$\"");
    /* only strings are matched */
    assert_string_equal(check(loose, "42"), "");
}

static void pattern_is_compiled_once_when_the_schema_is_compiled(void **state)
{
    const char *schema = "{\"properties\":{\"a\":{\"pattern\":\"^a+$\"},"
                         "\"b\":{\"items\":{\"pattern\":\"^b+$\"}}}}";
    kbj_jsonschema *s;
    int before;
    (void)state;

    before = regcomp_calls;
    s = compile_ok(schema);
    assert_int_equal(regcomp_calls - before, 2);
    before = regcomp_calls;
    for (int i = 0; i < 1000; i++)
        assert_string_equal(apply_to(s, "{\"a\":\"aaa\",\"b\":[\"b\",\"bb\"]}", NULL), "");
    assert_string_equal(apply_to(s, "{\"a\":\"aaa\",\"b\":[\"b\",\"ab\"]}", NULL),
                        "params/b/1: must match the pattern \"^b+$\"");
    assert_int_equal(regcomp_calls - before, 0);
    kbj_jsonschema_free(s);
}

static void bad_patterns_are_refused_at_compile_time(void **state)
{
    char big[KBJ_JSONSCHEMA_MAX_PATTERN + 64];
    (void)state;
    refused_prefix("{\"properties\":{\"slug\":{\"pattern\":\"(abc\"}}}",
                   "schema at /properties/slug: \"pattern\" is not a valid POSIX extended "
                   "regular expression: ");
    refused_prefix("{\"pattern\":\"[a-\"}",
                   "schema: \"pattern\" is not a valid POSIX extended regular expression: ");
    refused("{\"pattern\":5}", "schema: \"pattern\" must be a string");
    snprintf(big, sizeof big, "{\"pattern\":\"%0*d\"}", KBJ_JSONSCHEMA_MAX_PATTERN + 1, 0);
    refused(big, "schema: \"pattern\" is longer than 1024 bytes");
}

static void a_string_with_a_nul_cannot_be_matched_against_a_pattern(void **state)
{
    kbj_jsonschema *s = compile_ok("{\"pattern\":\"^a\"}");
    kbj_err err = { "" };
    json_t *v = json_stringn("a\0b", 3);
    (void)state;
    assert_int_equal(kbj_jsonschema_apply(s, v, &err), KBJ_EINVAL);
    assert_string_equal(err.msg, "params: contains a NUL character, which \"pattern\" cannot check");
    json_decref(v);
    kbj_jsonschema_free(s);
}

static void format_uri_accepts_absolute_http_and_https_urls_only(void **state)
{
    static const char *const good[] = {
        "http://example.com", "https://example.com/a/b?c=d#e", "HTTPS://Example.COM:8443/",
        "http://user:pw@host.example/", "http://[::1]:8080/x", "http://h?q", "http://127.0.0.1",
    };
    static const char *const bad[] = {
        "", "example.com", "ftp://example.com/", "javascript:alert(1)", "http:/example.com",
        "http://", "http:///path", "https://:443/", "http://user@/x", "http://exa mple.com/",
        "http://example.com/a b", "http://[]/", "http://example.com\\t", " http://example.com",
        "mailto:a@b.c", "//example.com/",
    };
    const char *schema = "{\"properties\":{\"url\":{\"format\":\"uri\"}}}";
    char params[256];
    (void)state;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        snprintf(params, sizeof params, "{\"url\":\"%s\"}", good[i]);
        if (*check(schema, params))
            fail_msg("%s refused: %s", good[i], check(schema, params));
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(params, sizeof params, "{\"url\":\"%s\"}", bad[i]);
        if (strcmp(check(schema, params), "params/url: must be an absolute http or https URL") != 0)
            fail_msg("%s: got \"%s\"", bad[i], check(schema, params));
    }
    /* formats apply to strings only; other formats are not checked */
    assert_string_equal(check(schema, "{\"url\":5}"), "");
    assert_string_equal(check("{\"format\":\"email\"}", "\"not an address\""), "");
}

/* ---- enum, const, numbers --------------------------------------------------------- */

static void enum_allows_only_its_values(void **state)
{
    const char *mode = "{\"properties\":{\"mode\":{\"enum\":[\"compatible\",\"bulk\"]}}}";
    const char *mixed = "{\"enum\":[1,null,{\"a\":[1,2]},\"x\"]}";
    (void)state;
    assert_string_equal(check(mode, "{\"mode\":\"bulk\"}"), "");
    assert_string_equal(check(mode, "{\"mode\":\"fast\"}"),
                        "params/mode: must be one of \"compatible\", \"bulk\"");
    assert_string_equal(check(mode, "{\"mode\":\"Bulk\"}"),
                        "params/mode: must be one of \"compatible\", \"bulk\"");
    assert_string_equal(check(mixed, "1.0"), "");      /* 1 == 1.0 */
    assert_string_equal(check(mixed, "null"), "");
    assert_string_equal(check(mixed, "{\"a\":[1,2.0]}"), "");
    assert_string_equal(check(mixed, "{\"a\":[2,1]}"), "params: must be one of 1, null, {\"a\":[1,2]}, \"x\"");
    assert_string_equal(check(mixed, "{\"a\":[1,2],\"b\":0}"),
                        "params: must be one of 1, null, {\"a\":[1,2]}, \"x\"");
    assert_string_equal(check(mixed, "\"1\""), "params: must be one of 1, null, {\"a\":[1,2]}, \"x\"");
}

static void long_enum_lists_are_cut_in_messages(void **state)
{
    char schema[4096], *p = schema;
    const char *msg;
    (void)state;
    p += snprintf(p, 32, "{\"enum\":[");
    for (int i = 0; i < 100; i++)
        p += snprintf(p, 32, "%s\"value-%03d\"", i ? "," : "", i);
    snprintf(p, 8, "]}");
    msg = check(schema, "\"nope\"");
    assert_true(strncmp(msg, "params: must be one of \"value-000\", \"value-001\"", 47) == 0);
    assert_true(strlen(msg) < 260);
    assert_string_equal(msg + strlen(msg) - 5, ", ...");
    assert_string_equal(check(schema, "\"value-099\""), "");
}

static void const_allows_one_value(void **state)
{
    (void)state;
    assert_string_equal(check("{\"properties\":{\"v\":{\"const\":\"x\"}}}", "{\"v\":\"x\"}"), "");
    assert_string_equal(check("{\"properties\":{\"v\":{\"const\":\"x\"}}}", "{\"v\":\"y\"}"),
                        "params/v: must be \"x\"");
    assert_string_equal(check("{\"const\":2}", "2.0"), "");
    assert_string_equal(check("{\"const\":2}", "2.5"), "params: must be 2");
    assert_string_equal(check("{\"const\":null}", "false"), "params: must be null");
    assert_string_equal(check("{\"const\":{\"k\":[true]}}", "{\"k\":[true]}"), "");
    assert_string_equal(check("{\"const\":{\"k\":[true]}}", "{\"k\":[false]}"), "params: must be {\"k\":[true]}");
}

static void numeric_bounds_inclusive_and_exclusive(void **state)
{
    const char *conc = "{\"properties\":{\"concurrency\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":64}}}";
    const char *ex = "{\"exclusiveMinimum\":0,\"exclusiveMaximum\":1.5}";
    (void)state;
    assert_string_equal(check(conc, "{\"concurrency\":1}"), "");
    assert_string_equal(check(conc, "{\"concurrency\":64}"), "");
    assert_string_equal(check(conc, "{\"concurrency\":65}"), "params/concurrency: must be at most 64");
    assert_string_equal(check(conc, "{\"concurrency\":0}"), "params/concurrency: must be at least 1");
    assert_string_equal(check(conc, "{\"concurrency\":-9000000000}"), "params/concurrency: must be at least 1");
    assert_string_equal(check(ex, "0.001"), "");
    assert_string_equal(check(ex, "1.49"), "");
    assert_string_equal(check(ex, "0"), "params: must be greater than 0");
    assert_string_equal(check(ex, "-0.5"), "params: must be greater than 0");
    assert_string_equal(check(ex, "1.5"), "params: must be less than 1.5");
    assert_string_equal(check(ex, "2"), "params: must be less than 1.5");
    assert_string_equal(check("{\"maximum\":64}", "64.5"), "params: must be at most 64");
    assert_string_equal(check("{\"minimum\":0.25}", "0.2"), "params: must be at least 0.25");
    assert_string_equal(check("{\"maximum\":0.1}", "0.1"), "");
    /* integers compare exactly, beyond a double's 53 bits */
    assert_string_equal(check("{\"maximum\":9007199254740993}", "9007199254740994"),
                        "params: must be at most 9007199254740993");
    assert_string_equal(check("{\"maximum\":9007199254740993}", "9007199254740993"), "");
    /* bounds apply to numbers only */
    assert_string_equal(check(conc, "{\"concurrency\":\"100\"}"), "params/concurrency: must be an integer");
    assert_string_equal(check("{\"maximum\":1}", "\"100\""), "");
    refused("{\"minimum\":3,\"maximum\":2.5}", "schema: \"minimum\" is greater than \"maximum\"");
}

static void annotations_are_accepted_and_ignored(void **state)
{
    (void)state;
    assert_string_equal(check("{\"title\":\"T\",\"description\":\"D\",\"$comment\":\"C\","
                              "\"type\":\"string\"}", "\"x\""), "");
    assert_string_equal(check("{}", "{\"anything\":[1,{\"goes\":null}]}"), "");
    assert_string_equal(check("{}", "7"), "");
}

/* ---- defaults ------------------------------------------------------------------------ */

static void defaults_fill_missing_properties_and_keep_given_ones(void **state)
{
    const char *schema = "{\"type\":\"object\",\"properties\":{"
                         "\"mode\":{\"type\":\"string\",\"default\":\"bulk\"},"
                         "\"concurrency\":{\"type\":\"integer\",\"default\":4},"
                         "\"tags\":{\"type\":\"array\",\"default\":[\"a\"]},"
                         "\"note\":{\"type\":\"string\"}}}";
    (void)state;
    filled(schema, "{}", "{\"concurrency\":4,\"mode\":\"bulk\",\"tags\":[\"a\"]}");
    filled(schema, "{\"concurrency\":8,\"tags\":[]}", "{\"concurrency\":8,\"mode\":\"bulk\",\"tags\":[]}");
    /* null is a value, not a missing property */
    assert_string_equal(check(schema, "{\"mode\":null}"), "params/mode: must be a string");
}

static void defaults_fill_nested_objects_that_exist_or_that_a_default_creates(void **state)
{
    const char *schema =
        "{\"properties\":{\"options\":{\"type\":\"object\",\"default\":{},\"properties\":{"
        "\"retries\":{\"type\":\"integer\",\"default\":3},"
        "\"http\":{\"type\":\"object\",\"default\":{\"timeout\":10},\"properties\":{"
        "\"timeout\":{\"type\":\"integer\",\"maximum\":60},"
        "\"agent\":{\"type\":\"string\",\"default\":\"kb\"}}}}}}}";
    (void)state;
    filled(schema, "{}", "{\"options\":{\"http\":{\"agent\":\"kb\",\"timeout\":10},\"retries\":3}}");
    filled(schema, "{\"options\":{\"retries\":1}}",
           "{\"options\":{\"http\":{\"agent\":\"kb\",\"timeout\":10},\"retries\":1}}");
    filled(schema, "{\"options\":{\"http\":{\"agent\":\"me\"}}}",
           "{\"options\":{\"http\":{\"agent\":\"me\"},\"retries\":3}}");
    /* the values filled in are validated like the rest */
    assert_string_equal(check(schema, "{\"options\":{\"http\":{\"timeout\":61}}}"),
                        "params/options/http/timeout: must be at most 60");
}

static void defaults_fill_objects_inside_arrays_and_additional_properties(void **state)
{
    const char *schema =
        "{\"properties\":{\"sources\":{\"items\":{\"properties\":{\"weight\":{\"default\":1}}}}},"
        "\"additionalProperties\":{\"properties\":{\"on\":{\"default\":true}}}}";
    (void)state;
    filled(schema, "{\"sources\":[{},{\"weight\":5}],\"x\":{}}",
           "{\"sources\":[{\"weight\":1},{\"weight\":5}],\"x\":{\"on\":true}}");
}

static void a_default_satisfies_required(void **state)
{
    const char *schema = "{\"required\":[\"mode\"],\"properties\":{\"mode\":{\"default\":\"bulk\"}}}";
    (void)state;
    filled(schema, "{}", "{\"mode\":\"bulk\"}");
}

static void defaults_are_copies_never_shared(void **state)
{
    kbj_jsonschema *s = compile_ok("{\"properties\":{\"list\":{\"default\":[1]}}}");
    json_t *a = json_object(), *b = json_object();
    char *text;
    (void)state;
    assert_int_equal(kbj_jsonschema_apply(s, a, NULL), 0);
    assert_int_equal(json_array_append_new(json_object_get(a, "list"), json_integer(2)), 0);
    assert_int_equal(kbj_jsonschema_apply(s, b, NULL), 0);
    text = json_dumps(b, JSON_COMPACT);
    assert_string_equal(text, "{\"list\":[1]}");
    free(text);
    json_decref(a);
    json_decref(b);
    kbj_jsonschema_free(s);
}

static void a_default_must_satisfy_its_own_schema(void **state)
{
    (void)state;
    refused("{\"properties\":{\"n\":{\"type\":\"integer\",\"maximum\":64,\"default\":100}}}",
            "schema at /properties/n: \"default\" does not satisfy its own schema "
            "(default: must be at most 64)");
    refused("{\"properties\":{\"o\":{\"default\":{},\"properties\":{\"x\":{\"type\":\"string\","
            "\"default\":3}}}}}",
            "schema at /properties/o/properties/x: \"default\" does not satisfy its own schema "
            "(default: must be a string)");
    refused("{\"properties\":{\"o\":{\"default\":{\"x\":[1]},\"properties\":{\"x\":{\"items\":{"
            "\"type\":\"string\"}}}}}}",
            "schema at /properties/o: \"default\" does not satisfy its own schema "
            "(default/x/0: must be a string)");
}

/* ---- schemas refused ------------------------------------------------------------------ */

static void schema_errors_name_the_keyword_and_its_pointer(void **state)
{
    static const struct {
        const char *schema, *msg;
    } cases[] = {
        { "{\"properties\":{\"urls\":{\"minItems\":-1}}}",
          "schema at /properties/urls: \"minItems\" must be a non-negative integer" },
        { "{\"maxItems\":\"3\"}", "schema: \"maxItems\" must be a non-negative integer" },
        { "{\"minLength\":1.5}", "schema: \"minLength\" must be a non-negative integer" },
        { "{\"maxLength\":null}", "schema: \"maxLength\" must be a non-negative integer" },
        { "{\"type\":\"strin\"}", "schema: \"type\" must be one of object, array, string, integer, "
                                  "number, boolean, null, or an array of them without repeats" },
        { "{\"type\":[]}", "schema: \"type\" must be one of object, array, string, integer, "
                           "number, boolean, null, or an array of them without repeats" },
        { "{\"type\":[\"string\",\"string\"]}", "schema: \"type\" must be one of object, array, "
          "string, integer, number, boolean, null, or an array of them without repeats" },
        { "{\"properties\":[]}", "schema: \"properties\" must be an object of schemas" },
        { "{\"properties\":{\"a\":5}}", "schema at /properties/a: must be an object" },
        { "{\"properties\":{\"a\":true}}", "schema at /properties/a: must be an object" },
        { "{\"required\":\"a\"}", "schema: \"required\" must be an array of unique strings" },
        { "{\"required\":[\"a\",\"a\"]}", "schema: \"required\" must be an array of unique strings" },
        { "{\"required\":[1]}", "schema: \"required\" must be an array of unique strings" },
        { "{\"additionalProperties\":1}",
          "schema: \"additionalProperties\" must be a boolean or a schema" },
        { "{\"additionalProperties\":{\"type\":\"nope\"}}",
          "schema at /additionalProperties: \"type\" must be one of object, array, string, "
          "integer, number, boolean, null, or an array of them without repeats" },
        { "{\"items\":[{}]}", "schema: \"items\" must be a schema (an object)" },
        { "{\"items\":{\"items\":{\"minitems\":1}}}", "schema at /items/items: unknown keyword \"minitems\"" },
        { "{\"enum\":[]}", "schema: \"enum\" must be a non-empty array" },
        { "{\"enum\":\"a\"}", "schema: \"enum\" must be a non-empty array" },
        { "{\"minimum\":\"0\"}", "schema: \"minimum\" must be a number" },
        { "{\"maximum\":[]}", "schema: \"maximum\" must be a number" },
        { "{\"exclusiveMinimum\":true}", "schema: \"exclusiveMinimum\" must be a number (the "
          "draft 2020 form; the boolean form of draft 4 is not supported)" },
        { "{\"exclusiveMaximum\":\"1\"}", "schema: \"exclusiveMaximum\" must be a number" },
        { "{\"format\":5}", "schema: \"format\" must be a string" },
        { "{\"title\":5}", "schema: \"title\" must be a string" },
        { "{\"description\":{}}", "schema: \"description\" must be a string" },
        { "{\"$schema\":5}", "schema: \"$schema\" must be a string" },
        { "{\"anyOf\":[]}", "schema: unknown keyword \"anyOf\"" },
        { "{\"oneOf\":[]}", "schema: unknown keyword \"oneOf\"" },
        { "{\"properties\":{\"a/b~c\":{\"minItems\":\"x\"}}}",
          "schema at /properties/a~1b~0c: \"minItems\" must be a non-negative integer" },
        { "[]", "schema: must be an object" },
        { "\"string\"", "schema: must be an object" },
        { "true", "schema: must be an object" },
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        refused(cases[i].schema, cases[i].msg);
}

static void text_that_is_not_json_is_refused(void **state)
{
    const char *msg;
    (void)state;
    refused_prefix("{\"type\":", "schema: invalid JSON at line 1, column ");
    refused_prefix("", "schema: invalid JSON at line ");
    msg = refused_prefix("{\"type\":\"string\",\"type\":\"integer\"}", "schema: invalid JSON at line 1");
    assert_non_null(strstr(msg, "duplicate"));
    /* jansson refuses ill-formed UTF-8 and \u0000, so no string the schema sees has them */
    refused_prefix("{\"enum\":[\"\xff\"]}", "schema: invalid JSON at line 1");
    refused_prefix("{\"enum\":[\"\\u0000\"]}", "schema: invalid JSON at line 1");
}

static void params_text_cannot_carry_invalid_utf8_or_nul(void **state)
{
    json_error_t jerr;
    (void)state;
    assert_null(json_loads("{\"s\":\"\xc3\x28\"}", 0, &jerr));
    assert_null(json_loads("{\"s\":\"\xed\xa0\x80\"}", 0, &jerr));  /* a UTF-16 surrogate */
    assert_null(json_loads("{\"s\":\"\\ud800\"}", 0, &jerr));        /* a lone surrogate escape */
    assert_null(json_loads("{\"s\":\"a\\u0000b\"}", 0, &jerr));
    assert_null(json_string("\xff"));
}

/* ---- hostile sizes and depths ------------------------------------------------------ */

/* {"items":{"items":...{}...}} with `levels` schemas in all. */
static char *nested_items(int levels)
{
    size_t cap = (size_t)levels * 12 + 8, len = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    for (int i = 1; i < levels; i++)
        len += (size_t)snprintf(s + len, cap - len, "{\"items\":");
    len += (size_t)snprintf(s + len, cap - len, "{}");
    for (int i = 1; i < levels; i++)
        len += (size_t)snprintf(s + len, cap - len, "}");
    return s;
}

static void schema_nesting_is_bounded(void **state)
{
    char *ok = nested_items(KBJ_JSONSCHEMA_MAX_DEPTH), *deep = nested_items(KBJ_JSONSCHEMA_MAX_DEPTH + 1);
    char expect[512];
    size_t len;
    (void)state;

    kbj_jsonschema_free(compile_ok(ok));
    len = (size_t)snprintf(expect, sizeof expect, "schema at ");
    for (int i = 0; i < KBJ_JSONSCHEMA_MAX_DEPTH; i++)
        len += (size_t)snprintf(expect + len, sizeof expect - len, "/items");
    snprintf(expect + len, sizeof expect - len, ": schemas are nested deeper than 32 levels");
    refused(deep, expect);
    free(ok);
    free(deep);

    /* nesting through properties counts the same way */
    {
        size_t cap = 64 * 40, n = 0;
        char *s = malloc(cap);
        assert_non_null(s);
        for (int i = 1; i <= KBJ_JSONSCHEMA_MAX_DEPTH; i++)
            n += (size_t)snprintf(s + n, cap - n, "{\"properties\":{\"p\":");
        n += (size_t)snprintf(s + n, cap - n, "{}");
        for (int i = 1; i <= KBJ_JSONSCHEMA_MAX_DEPTH; i++)
            n += (size_t)snprintf(s + n, cap - n, "}}");
        refused_prefix(s, "schema at /properties/p/properties/p/");
        free(s);
    }
}

static void absurdly_deep_schema_text_is_refused_by_the_parser(void **state)
{
    size_t levels = 100000;
    char *s = malloc(2 * levels + 1);
    (void)state;
    assert_non_null(s);
    memset(s, '[', levels);
    memset(s + levels, ']', levels);
    s[2 * levels] = '\0';
    refused_prefix(s, "schema: invalid JSON");
    free(s);
}

static void over_long_schema_text_is_refused(void **state)
{
    size_t len = KBJ_JSONSCHEMA_MAX_TEXT + 1;
    char *s = malloc(len + 1);
    (void)state;
    assert_non_null(s);
    memset(s, ' ', len);
    s[0] = '{';
    s[len - 1] = '}';
    s[len] = '\0';
    refused(s, "schema: longer than 1048576 bytes");
    s[len - 2] = '}';
    s[len - 1] = '\0';
    kbj_jsonschema_free(compile_ok(s)); /* exactly the limit is fine */
    free(s);
}

static void huge_arrays_are_checked_in_full(void **state)
{
    kbj_jsonschema *s = compile_ok("{\"properties\":{\"urls\":{\"type\":\"array\",\"maxItems\":500000,"
                                   "\"items\":{\"type\":\"string\",\"format\":\"uri\",\"pattern\":\"^https://\"}}}}");
    json_t *params = json_object(), *urls = json_array();
    kbj_err err = { "" };
    (void)state;
    assert_int_equal(json_object_set_new(params, "urls", urls), 0);
    for (int i = 0; i < 200000; i++) {
        char url[64];
        snprintf(url, sizeof url, "https://example.com/page/%d", i);
        assert_int_equal(json_array_append_new(urls, json_string(url)), 0);
    }
    assert_int_equal(kbj_jsonschema_apply(s, params, &err), 0);
    assert_int_equal(json_array_set_new(urls, 199999, json_string("http://example.com/")), 0);
    assert_int_equal(kbj_jsonschema_apply(s, params, &err), KBJ_EINVAL);
    assert_string_equal(err.msg, "params/urls/199999: must match the pattern \"^https://\"");
    json_decref(params);
    kbj_jsonschema_free(s);
}

static void params_nested_deeper_than_the_schema_are_not_walked(void **state)
{
    kbj_jsonschema *s = compile_ok("{\"properties\":{\"n\":{\"type\":\"integer\"}}}");
    json_t *params = json_object(), *deep = json_array();
    (void)state;
    /* 3,000 levels: deeper than jansson's parser allows, built by hand */
    for (int i = 0; i < 3000; i++) {
        json_t *outer = json_array();
        assert_int_equal(json_array_append_new(outer, deep), 0);
        deep = outer;
    }
    assert_int_equal(json_object_set_new(params, "blob", deep), 0);
    assert_int_equal(json_object_set_new(params, "n", json_integer(1)), 0);
    assert_int_equal(kbj_jsonschema_apply(s, params, NULL), 0);
    json_decref(params);
    kbj_jsonschema_free(s);
}

/* ---- arguments ---------------------------------------------------------------------- */

static void bad_arguments_are_refused_without_crashing(void **state)
{
    kbj_jsonschema *s = compile_ok("{}");
    kbj_jsonschema *out = s;
    json_t *p = json_object();
    kbj_err err = { "" };
    (void)state;
    assert_int_equal(kbj_jsonschema_compile(NULL, &out, &err), KBJ_EINVAL);
    assert_null(out);
    assert_int_equal(kbj_jsonschema_compile("{}", NULL, &err), KBJ_EINVAL);
    assert_int_equal(kbj_jsonschema_compile("{}", NULL, NULL), KBJ_EINVAL);
    assert_int_equal(kbj_jsonschema_apply(NULL, p, &err), KBJ_EINVAL);
    assert_string_equal(err.msg, "params: no schema to check against");
    assert_int_equal(kbj_jsonschema_apply(s, NULL, &err), KBJ_EINVAL);
    assert_string_equal(err.msg, "params: missing");
    /* a NULL err is allowed everywhere */
    assert_int_equal(kbj_jsonschema_compile("{\"type\":1}", &out, NULL), KBJ_EINVAL);
    kbj_jsonschema_free(NULL);
    json_decref(p);
    kbj_jsonschema_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(type_keyword_accepts_its_type_and_refuses_others),
        cmocka_unit_test(type_array_accepts_any_listed_type),
        cmocka_unit_test(required_is_reported_before_properties_in_schema_order),
        cmocka_unit_test(properties_are_checked_in_schema_order_not_params_order),
        cmocka_unit_test(additional_properties_allow_refuse_or_check_the_others),
        cmocka_unit_test(pointers_escape_slash_and_tilde),
        cmocka_unit_test(very_long_pointers_are_cut_with_an_ellipsis),
        cmocka_unit_test(items_are_checked_in_order_and_named_by_index),
        cmocka_unit_test(min_and_max_items_bound_array_sizes),
        cmocka_unit_test(min_and_max_length_count_characters_not_bytes),
        cmocka_unit_test(pattern_is_a_posix_extended_regex_matching_anywhere_unless_anchored),
        cmocka_unit_test(pattern_is_compiled_once_when_the_schema_is_compiled),
        cmocka_unit_test(bad_patterns_are_refused_at_compile_time),
        cmocka_unit_test(a_string_with_a_nul_cannot_be_matched_against_a_pattern),
        cmocka_unit_test(format_uri_accepts_absolute_http_and_https_urls_only),
        cmocka_unit_test(enum_allows_only_its_values),
        cmocka_unit_test(long_enum_lists_are_cut_in_messages),
        cmocka_unit_test(const_allows_one_value),
        cmocka_unit_test(numeric_bounds_inclusive_and_exclusive),
        cmocka_unit_test(annotations_are_accepted_and_ignored),
        cmocka_unit_test(defaults_fill_missing_properties_and_keep_given_ones),
        cmocka_unit_test(defaults_fill_nested_objects_that_exist_or_that_a_default_creates),
        cmocka_unit_test(defaults_fill_objects_inside_arrays_and_additional_properties),
        cmocka_unit_test(a_default_satisfies_required),
        cmocka_unit_test(defaults_are_copies_never_shared),
        cmocka_unit_test(a_default_must_satisfy_its_own_schema),
        cmocka_unit_test(schema_errors_name_the_keyword_and_its_pointer),
        cmocka_unit_test(text_that_is_not_json_is_refused),
        cmocka_unit_test(params_text_cannot_carry_invalid_utf8_or_nul),
        cmocka_unit_test(schema_nesting_is_bounded),
        cmocka_unit_test(absurdly_deep_schema_text_is_refused_by_the_parser),
        cmocka_unit_test(over_long_schema_text_is_refused),
        cmocka_unit_test(huge_arrays_are_checked_in_full),
        cmocka_unit_test(params_nested_deeper_than_the_schema_are_not_walked),
        cmocka_unit_test(bad_arguments_are_refused_without_crashing),
    };
    return cmocka_run_group_tests_name("jsonschema", tests, NULL, NULL);
}
