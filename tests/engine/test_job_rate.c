/*
 * kbj_job_rate and kbj_job_eta: a job's items per second and seconds left, from the
 * fields a job view carries, and -1 wherever they are not known. Pure: no database.
 */
#include "testutil.h"

#include <string.h>

static kbj_job view(const char *status, long long done, long long total, double started, double at)
{
    kbj_job j;
    memset(&j, 0, sizeof j);
    kbj_copy(j.status, sizeof j.status, status);
    j.progress_done = done;
    j.progress_total = total;
    j.started_at = started;
    j.progress_at = at;
    return j;
}

static void rate_is_items_done_per_second_since_the_start(void **state)
{
    kbj_job j = view("running", 50, 200, 1000.0, 1010.0);
    (void)state;
    assert_float_equal(kbj_job_rate(&j), 5.0, 1e-9);
    j = view("running", 1, 0, 1000.0, 1000.25);
    assert_float_equal(kbj_job_rate(&j), 4.0, 1e-9);
}

static void rate_is_unknown_without_items_times_or_time_between_them(void **state)
{
    kbj_job j = view("running", 0, 200, 1000.0, 1010.0);
    (void)state;
    assert_true(kbj_job_rate(&j) < 0);
    j = view("queued", 10, 200, 0, 1010.0);
    assert_true(kbj_job_rate(&j) < 0);
    j = view("running", 10, 200, 1000.0, 0);
    assert_true(kbj_job_rate(&j) < 0);
    j = view("running", 10, 200, 1000.0, 1000.0);
    assert_true(kbj_job_rate(&j) < 0);
    j = view("running", 10, 200, 1010.0, 1000.0); /* clocks apart: no negative rate */
    assert_true(kbj_job_rate(&j) < 0);
    j = view("running", -3, 200, 1000.0, 1010.0);
    assert_true(kbj_job_rate(&j) < 0);
    assert_true(kbj_job_rate(NULL) < 0);
}

static void eta_is_items_left_at_the_rate(void **state)
{
    kbj_job j = view("running", 50, 200, 1000.0, 1010.0);
    (void)state;
    assert_float_equal(kbj_job_eta(&j), 30.0, 1e-9);
    j = view("running", 250, 200, 1000.0, 1010.0); /* done past total: nothing left */
    assert_float_equal(kbj_job_eta(&j), 0.0, 0);
    j = view("interrupted", 200, 200, 1000.0, 1010.0);
    assert_float_equal(kbj_job_eta(&j), 0.0, 0);
}

static void eta_of_a_completed_job_is_zero_even_without_a_rate(void **state)
{
    kbj_job j = view("completed", 0, 0, 0, 0);
    (void)state;
    assert_float_equal(kbj_job_eta(&j), 0.0, 0);
}

static void eta_is_unknown_without_rate_or_total(void **state)
{
    kbj_job j = view("running", 0, 200, 1000.0, 1010.0);
    (void)state;
    assert_true(kbj_job_eta(&j) < 0);
    j = view("running", 50, 0, 1000.0, 1010.0);
    assert_true(kbj_job_eta(&j) < 0);
    j = view("failed", 50, 200, 1000.0, 0);
    assert_true(kbj_job_eta(&j) < 0);
    assert_true(kbj_job_eta(NULL) < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rate_is_items_done_per_second_since_the_start),
        cmocka_unit_test(rate_is_unknown_without_items_times_or_time_between_them),
        cmocka_unit_test(eta_is_items_left_at_the_rate),
        cmocka_unit_test(eta_of_a_completed_job_is_zero_even_without_a_rate),
        cmocka_unit_test(eta_is_unknown_without_rate_or_total),
    };
    return cmocka_run_group_tests_name("job_rate", tests, NULL, NULL);
}
