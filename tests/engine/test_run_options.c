/*
 * The engine checks the numeric options of kbj_run and kbj_import_configure itself, so
 * a C caller gets the same refusals a PHP caller does: KBJ_EINVAL with a message naming
 * the option, and nothing run or changed. Also the published ranges bindings convert
 * with, and the process memory reader kbj_run measures against.
 */
#include "testutil.h"

#include <curl/curl.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "kbj_import.h"

#define PREFIX "kbt_runopt_"

static int setup(void **state)
{
    *state = kbj_test_engine(PREFIX, 0);
    return 0;
}

static int teardown(void **state)
{
    kbj_test_engine_free(*state);
    return 0;
}

/* kbj_run with `o` refused as KBJ_EINVAL with `msg`, having claimed nothing. */
static void assert_run_refused(kbj_engine *eng, kbj_run_opts o, const char *msg)
{
    kbj_run_report rep;
    o.until_empty = 1;
    memset(&rep, 0xff, sizeof rep);
    assert_int_equal(kbj_run(eng, &o, &rep), KBJ_EINVAL);
    assert_string_equal(kbj_errmsg(eng), msg);
}

static void run_refuses_options_out_of_range_naming_them(void **state)
{
    kbj_engine *eng = *state;
    const char *id = kbj_test_submit(eng, "diag.echo", NULL, NULL);

    assert_run_refused(eng, (kbj_run_opts){ .idle_ms = 3600001 }, "option \"idle_ms\" must be between 0 and 3600000");
    assert_run_refused(eng, (kbj_run_opts){ .claim_batch = 1001 },
                       "option \"claim_batch\" must be between 0 and 1000");
    assert_run_refused(eng, (kbj_run_opts){ .until_empty_wait_ms = 3600001 },
                       "option \"until_empty_wait_ms\" must be between 0 and 3600000");
    assert_run_refused(eng, (kbj_run_opts){ .grace_seconds = 86401 },
                       "option \"grace_seconds\" must be between 0 and 86400");
    assert_run_refused(eng, (kbj_run_opts){ .max_seconds = -1 },
                       "option \"max_seconds\" must be between 0 and 3.1536e+07");
    assert_run_refused(eng, (kbj_run_opts){ .max_seconds = NAN },
                       "option \"max_seconds\" must be between 0 and 3.1536e+07");
    assert_run_refused(eng, (kbj_run_opts){ .checkpoint_seconds = 86400.5 },
                       "option \"checkpoint_seconds\" must be between 0 and 86400");
    assert_run_refused(eng, (kbj_run_opts){ .checkpoint_items = -1 },
                       "option \"checkpoint_items\" must not be negative");
    /* nothing ran: the job is still queued */
    assert_string_equal(kbj_test_status(eng, id), "queued");

    /* the bounds themselves are fine */
    {
        kbj_run_opts o = { .idle_ms = 3600000, .claim_batch = 1000, .grace_seconds = 0, .max_seconds = 60,
                           .until_empty = 1, .until_empty_wait_ms = 0, .checkpoint_items = 0 };
        kbj_run_report rep;
        assert_int_equal(kbj_run(eng, &o, &rep), KBJ_OK);
        assert_string_equal(kbj_test_status(eng, id), "completed");
    }
}

static void import_configure_refuses_settings_out_of_range_and_keeps_the_old_ones(void **state)
{
    kbj_engine *eng = *state;
    kbj_fetch_config fc = { .max_redirects = 21 };
    kbj_norm_limits lim = { .max_depth = 10001 };
    kbj_urllist_limits list = { .max_list_lines = 100000001 };
    kbj_urllist_limits caps;

    assert_int_equal(kbj_import_configure(eng, &fc, NULL, NULL), KBJ_EINVAL);
    assert_string_equal(kbj_errmsg(eng), "option \"max_redirects\" must be between 0 and 20");
    fc = (kbj_fetch_config){ .retries = 21 };
    assert_int_equal(kbj_import_configure(eng, &fc, NULL, NULL), KBJ_EINVAL);
    assert_string_equal(kbj_errmsg(eng), "option \"retries\" must be between 0 and 20");
    fc = (kbj_fetch_config){ .max_body = (size_t)1 << 33 };
    assert_int_equal(kbj_import_configure(eng, &fc, NULL, NULL), KBJ_EINVAL);
    assert_string_equal(kbj_errmsg(eng), "option \"max_body\" must be between 0 and 4294967296");
    assert_int_equal(kbj_import_configure(eng, NULL, &lim, NULL), KBJ_EINVAL);
    assert_string_equal(kbj_errmsg(eng), "option \"max_depth\" must be between 0 and 10000");

    /* a good configuration, then a bad one that leaves it in place */
    list.max_list_lines = 77;
    assert_int_equal(kbj_import_configure(eng, NULL, NULL, &list), KBJ_OK);
    list.max_list_lines = 100000001;
    assert_int_equal(kbj_import_configure(eng, NULL, NULL, &list), KBJ_EINVAL);
    assert_string_equal(kbj_errmsg(eng), "option \"max_list_lines\" must be between 0 and 100000000");
    kbj_import_list_limits(eng, &caps);
    assert_int_equal(caps.max_list_lines, 77);

    /* "no retries" is its own value, not a count out of range */
    fc = (kbj_fetch_config){ .retries = KBJ_FETCH_NO_RETRY, .max_redirects = 20, .max_total = 1000 };
    assert_int_equal(kbj_import_configure(eng, &fc, NULL, NULL), KBJ_OK);
}

static void ranges_are_published_by_name(void **state)
{
    const kbj_option_range *r = kbj_run_option_range("idle_ms");
    (void)state;
    assert_non_null(r);
    assert_true(r->integer);
    assert_true(r->min == 0 && r->max == 3600000);
    r = kbj_run_option_range("max_seconds");
    assert_non_null(r);
    assert_false(r->integer);
    assert_null(kbj_run_option_range("max_jobs"));
    assert_null(kbj_run_option_range(NULL));
    r = kbj_import_option_range("max_list_bytes");
    assert_non_null(r);
    assert_true(r->max == 1099511627776.0);
    assert_null(kbj_import_option_range("idle_ms"));
}

static void process_rss_reads_this_process(void **state)
{
    size_t rss = kbj_process_rss();
    (void)state;
    assert_true(rss > 1024 * 1024);
    assert_int_equal(rss % (size_t)sysconf(_SC_PAGESIZE), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(run_refuses_options_out_of_range_naming_them, setup, teardown),
        cmocka_unit_test_setup_teardown(import_configure_refuses_settings_out_of_range_and_keeps_the_old_ones, setup,
                                        teardown),
        cmocka_unit_test(ranges_are_published_by_name),
        cmocka_unit_test(process_rss_reads_this_process),
    };
    int rc;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = cmocka_run_group_tests_name("run_options", tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
