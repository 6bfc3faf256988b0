/* Chains of phases against ordering rules: unknown types, warnings apart from errors,
 * every violation reported, empty and over-long chains, bad arguments.
 * Pure: needs no database, so it links with chain.c and version.c alone. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"

/* The job types these tests know. */
static const char *const registry[] = { "fetch", "metadata", "index", "normalise", "cleanup" };

static int known(const char *type, void *arg)
{
    int *calls = arg;
    if (calls)
        (*calls)++;
    for (size_t i = 0; i < sizeof registry / sizeof registry[0]; i++)
        if (strcmp(type, registry[i]) == 0)
            return 1;
    return 0;
}

static const kbj_chain_rule rules[] = {
    { "fetch", "normalise", KBJ_CHAIN_ERROR, NULL },
    { "metadata", "index", KBJ_CHAIN_ERROR, "" },
    { "index", "cleanup", KBJ_CHAIN_WARNING, "cleanup removes the files the index reads" },
};
#define NRULES (sizeof rules / sizeof rules[0])

static void validate(const char *const *types, size_t n, kbj_chain_report *r)
{
    kbj_err err = { "" };
    int rc = kbj_chain_validate(types, n, rules, NRULES, known, NULL, r, &err);
    if (rc != 0)
        fail_msg("kbj_chain_validate returned %d: %s", rc, err.msg);
}

static void a_valid_chain_has_no_messages(void **state)
{
    const char *const chain[] = { "fetch", "normalise", "metadata", "index", "cleanup" };
    kbj_chain_report r;
    (void)state;
    validate(chain, 5, &r);
    assert_int_equal(r.nerrors, 0);
    assert_int_equal(r.nwarnings, 0);
    assert_null(r.errors);
    assert_null(r.warnings);
    kbj_chain_report_free(&r);
}

static void an_unknown_type_is_an_error_naming_the_phase(void **state)
{
    const char *const chain[] = { "fetch", "foo.bar", "normalise", "" };
    kbj_chain_report r;
    (void)state;
    validate(chain, 4, &r);
    assert_int_equal(r.nerrors, 2);
    assert_string_equal(r.errors[0], "phase 2 (foo.bar): unknown job type");
    assert_string_equal(r.errors[1], "phase 4 (): unknown job type");
    assert_int_equal(r.nwarnings, 0);
    kbj_chain_report_free(&r);
}

static void a_broken_rule_is_reported_with_its_severity(void **state)
{
    const char *const err_chain[] = { "fetch", "normalise", "index", "metadata" };
    const char *const warn_chain[] = { "cleanup", "metadata", "index" };
    kbj_chain_report r;
    (void)state;

    validate(err_chain, 4, &r);
    assert_int_equal(r.nerrors, 1);
    assert_int_equal(r.nwarnings, 0);
    /* an empty message adds nothing */
    assert_string_equal(r.errors[0], "phase 3 (index) runs before phase 4 (metadata): "
                                     "metadata should run before index");
    kbj_chain_report_free(&r);

    validate(warn_chain, 3, &r);
    assert_int_equal(r.nerrors, 0); /* a warning alone leaves the chain valid */
    assert_int_equal(r.nwarnings, 1);
    assert_string_equal(r.warnings[0], "phase 1 (cleanup) runs before phase 3 (index): "
                                       "index should run before cleanup; cleanup removes the "
                                       "files the index reads");
    kbj_chain_report_free(&r);
}

static void every_violation_is_reported_in_rule_then_phase_order(void **state)
{
    const char *const chain[] = { "cleanup", "normalise", "index", "nope", "fetch", "index",
                                  "metadata" };
    kbj_chain_report r;
    (void)state;
    validate(chain, 7, &r);
    assert_int_equal(r.nerrors, 4);
    assert_string_equal(r.errors[0], "phase 4 (nope): unknown job type");
    assert_string_equal(r.errors[1], "phase 2 (normalise) runs before phase 5 (fetch): "
                                     "fetch should run before normalise");
    assert_string_equal(r.errors[2], "phase 3 (index) runs before phase 7 (metadata): "
                                     "metadata should run before index");
    assert_string_equal(r.errors[3], "phase 6 (index) runs before phase 7 (metadata): "
                                     "metadata should run before index");
    assert_int_equal(r.nwarnings, 1);
    assert_string_equal(r.warnings[0], "phase 1 (cleanup) runs before phase 3 (index): "
                                       "index should run before cleanup; cleanup removes the "
                                       "files the index reads");
    kbj_chain_report_free(&r);
}

static void repeated_phase_types_are_fine(void **state)
{
    const char *const chain[] = { "fetch", "fetch", "normalise", "fetch", "normalise" };
    const char *const again[] = { "metadata", "index", "metadata" };
    kbj_chain_report r;
    (void)state;
    /* fetch runs again after a normalise: that normalise ran before a fetch */
    validate(chain, 5, &r);
    assert_int_equal(r.nerrors, 1);
    assert_string_equal(r.errors[0], "phase 3 (normalise) runs before phase 4 (fetch): "
                                     "fetch should run before normalise");
    kbj_chain_report_free(&r);
    validate(chain, 3, &r); /* fetch, fetch, normalise */
    assert_int_equal(r.nerrors, 0);
    assert_int_equal(r.nwarnings, 0);
    kbj_chain_report_free(&r);
    validate(again, 3, &r);
    assert_int_equal(r.nerrors, 1);
    assert_string_equal(r.errors[0], "phase 2 (index) runs before phase 3 (metadata): "
                                     "metadata should run before index");
    kbj_chain_report_free(&r);
}

static void an_empty_chain_is_an_error(void **state)
{
    kbj_chain_report r;
    kbj_err err = { "" };
    int calls = 0;
    (void)state;
    assert_int_equal(kbj_chain_validate(NULL, 0, rules, NRULES, known, &calls, &r, &err), 0);
    assert_int_equal(r.nerrors, 1);
    assert_string_equal(r.errors[0], "the chain has no phases");
    assert_int_equal(r.nwarnings, 0);
    assert_int_equal(calls, 0);
    kbj_chain_report_free(&r);
}

static void an_over_long_chain_is_an_error(void **state)
{
    const char *chain[KBJ_CHAIN_MAX_PHASES + 1];
    kbj_chain_report r;
    (void)state;
    for (size_t i = 0; i <= KBJ_CHAIN_MAX_PHASES; i++)
        chain[i] = i % 2 ? "index" : "metadata";
    validate(chain, KBJ_CHAIN_MAX_PHASES + 1, &r);
    assert_int_equal(r.nerrors, 1);
    assert_string_equal(r.errors[0], "the chain has 257 phases; at most 256 are allowed");
    kbj_chain_report_free(&r);
    /* the longest allowed chain reports every index followed by a metadata */
    validate(chain, KBJ_CHAIN_MAX_PHASES, &r);
    assert_int_equal(r.nerrors, KBJ_CHAIN_MAX_PHASES / 2 - 1);
    assert_string_equal(r.errors[0], "phase 2 (index) runs before phase 3 (metadata): "
                                     "metadata should run before index");
    kbj_chain_report_free(&r);
}

static void long_names_and_messages_are_cut(void **state)
{
    char name[300], msg[400], expect[600];
    const char *chain[2];
    kbj_chain_rule rule = { "a", "b", KBJ_CHAIN_ERROR, msg };
    kbj_chain_report r;
    kbj_err err = { "" };
    (void)state;
    memset(name, 'x', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    memset(msg, 'm', sizeof msg - 1);
    msg[sizeof msg - 1] = '\0';
    chain[0] = name;
    assert_int_equal(kbj_chain_validate(chain, 1, NULL, 0, known, NULL, &r, &err), 0);
    snprintf(expect, sizeof expect, "phase 1 (%.80s...): unknown job type", name);
    assert_string_equal(r.errors[0], expect);
    kbj_chain_report_free(&r);

    chain[0] = "b";
    chain[1] = "a";
    assert_int_equal(kbj_chain_validate(chain, 2, &rule, 1, known, NULL, &r, &err), 0);
    assert_int_equal(r.nerrors, 3);
    snprintf(expect, sizeof expect, "phase 1 (b) runs before phase 2 (a): a should run before b; "
             "%.200s...", msg);
    assert_string_equal(r.errors[2], expect);
    kbj_chain_report_free(&r);
}

static int failing_lookup(const char *type, void *arg)
{
    (void)arg;
    return strcmp(type, "index") == 0 ? KBJ_EDB : 1;
}

static void a_failed_lookup_is_returned_and_leaves_the_report_empty(void **state)
{
    const char *const chain[] = { "nope", "metadata", "index" };
    kbj_chain_report r;
    kbj_err err = { "" };
    (void)state;
    assert_int_equal(kbj_chain_validate(chain, 3, rules, NRULES, failing_lookup, NULL, &r, &err),
                     KBJ_EDB);
    assert_string_equal(err.msg, "looking up job type index failed: database error");
    assert_int_equal(r.nerrors, 0);
    assert_null(r.errors);
    assert_int_equal(r.nwarnings, 0);
    assert_null(r.warnings);
}

static void bad_arguments_are_refused_before_any_lookup(void **state)
{
    const char *const chain[] = { "fetch", NULL };
    kbj_chain_rule same = { "index", "index", KBJ_CHAIN_ERROR, NULL };
    kbj_chain_rule half = { "index", NULL, KBJ_CHAIN_ERROR, NULL };
    kbj_chain_rule empty = { "", "index", KBJ_CHAIN_ERROR, NULL };
    kbj_chain_rule sev = { "metadata", "index", 7, NULL };
    kbj_chain_report r;
    kbj_err err = { "" };
    int calls = 0;
    (void)state;

    assert_int_equal(kbj_chain_validate(chain, 1, rules, NRULES, known, &calls, NULL, &err), KBJ_EINVAL);
    assert_string_equal(err.msg, "no report to fill");
    assert_int_equal(kbj_chain_validate(chain, 1, rules, NRULES, NULL, NULL, &r, &err), KBJ_EINVAL);
    assert_string_equal(err.msg, "no function to look job types up with");
    assert_int_equal(kbj_chain_validate(NULL, 1, rules, NRULES, known, &calls, &r, &err), KBJ_EINVAL);
    assert_string_equal(err.msg, "no phase types");
    assert_int_equal(kbj_chain_validate(chain, 2, rules, NRULES, known, &calls, &r, &err), KBJ_EINVAL);
    assert_string_equal(err.msg, "phase 2 has no type");
    assert_int_equal(kbj_chain_validate(chain, 1, NULL, 2, known, &calls, &r, &err), KBJ_EINVAL);
    assert_string_equal(err.msg, "no rules");
    assert_int_equal(kbj_chain_validate(chain, 1, &same, 1, known, &calls, &r, &err), KBJ_EINVAL);
    assert_string_equal(err.msg, "chain rule 0 names index twice");
    assert_int_equal(kbj_chain_validate(chain, 1, &half, 1, known, &calls, &r, &err), KBJ_EINVAL);
    assert_string_equal(err.msg, "chain rule 0 lacks a job type");
    assert_int_equal(kbj_chain_validate(chain, 1, &empty, 1, known, &calls, &r, &err), KBJ_EINVAL);
    assert_string_equal(err.msg, "chain rule 0 lacks a job type");
    assert_int_equal(kbj_chain_validate(chain, 1, &sev, 1, known, &calls, &r, &err), KBJ_EINVAL);
    assert_string_equal(err.msg, "chain rule 0 has an unknown severity 7");
    assert_int_equal(r.nerrors, 0);
    assert_null(r.errors);
    assert_int_equal(calls, 0);
    /* a NULL err is allowed */
    assert_int_equal(kbj_chain_validate(chain, 1, &sev, 1, known, NULL, &r, NULL), KBJ_EINVAL);
    /* and no rules at all is fine */
    assert_int_equal(kbj_chain_validate(chain, 1, NULL, 0, known, &calls, &r, &err), 0);
    assert_int_equal(calls, 1);
    assert_int_equal(r.nerrors, 0);
    kbj_chain_report_free(&r);
}

static void report_free_accepts_null_and_an_emptied_report(void **state)
{
    const char *const chain[] = { "nope" };
    kbj_chain_report r;
    (void)state;
    kbj_chain_report_free(NULL);
    validate(chain, 1, &r);
    assert_int_equal(r.nerrors, 1);
    kbj_chain_report_free(&r);
    assert_int_equal(r.nerrors, 0);
    assert_null(r.errors);
    kbj_chain_report_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_valid_chain_has_no_messages),
        cmocka_unit_test(an_unknown_type_is_an_error_naming_the_phase),
        cmocka_unit_test(a_broken_rule_is_reported_with_its_severity),
        cmocka_unit_test(every_violation_is_reported_in_rule_then_phase_order),
        cmocka_unit_test(repeated_phase_types_are_fine),
        cmocka_unit_test(an_empty_chain_is_an_error),
        cmocka_unit_test(an_over_long_chain_is_an_error),
        cmocka_unit_test(long_names_and_messages_are_cut),
        cmocka_unit_test(a_failed_lookup_is_returned_and_leaves_the_report_empty),
        cmocka_unit_test(bad_arguments_are_refused_before_any_lookup),
        cmocka_unit_test(report_free_accepts_null_and_an_emptied_report),
    };
    return cmocka_run_group_tests_name("chain", tests, NULL, NULL);
}
