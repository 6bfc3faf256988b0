/* Retry policies: the backoff curves as pure functions, then retries through the engine
 * against the real MariaDB with an injected random source. */
#include "testutil.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- the pure curves ------------------------------------------------------------ */

static unsigned long long delay(kbj_backoff_kind kind, unsigned base, unsigned cap, double jitter,
                                unsigned attempt, double r)
{
    kbj_backoff b = { .kind = kind, .base_ms = base, .cap_ms = cap, .jitter = jitter };
    return kbj_backoff_delay_ms(&b, attempt, r);
}

static void fixed_backoff_waits_the_base_every_time(void **state)
{
    (void)state;
    for (unsigned a = 1; a <= 10; a++)
        assert_int_equal(delay(KBJ_BACKOFF_FIXED, 2500, 0, -1, a, 0.5), 2500);
    /* base 0 is the default 1 s for every kind but polynomial */
    assert_int_equal(delay(KBJ_BACKOFF_FIXED, 0, 0, -1, 3, 0), 1000);
}

static void linear_backoff_grows_by_the_base_per_attempt(void **state)
{
    (void)state;
    assert_int_equal(delay(KBJ_BACKOFF_LINEAR, 1500, 0, -1, 1, 0), 1500);
    assert_int_equal(delay(KBJ_BACKOFF_LINEAR, 1500, 0, -1, 2, 0), 3000);
    assert_int_equal(delay(KBJ_BACKOFF_LINEAR, 1500, 0, -1, 7, 0), 10500);
    assert_int_equal(delay(KBJ_BACKOFF_LINEAR, 0, 0, -1, 4, 0), 4000);
}

static void exponential_backoff_doubles_from_the_base(void **state)
{
    (void)state;
    assert_int_equal(delay(KBJ_BACKOFF_EXPONENTIAL, 500, 0, -1, 1, 0), 500);
    assert_int_equal(delay(KBJ_BACKOFF_EXPONENTIAL, 500, 0, -1, 2, 0), 1000);
    assert_int_equal(delay(KBJ_BACKOFF_EXPONENTIAL, 500, 0, -1, 3, 0), 2000);
    assert_int_equal(delay(KBJ_BACKOFF_EXPONENTIAL, 500, 0, -1, 6, 0), 16000);
    assert_int_equal(delay(KBJ_BACKOFF_EXPONENTIAL, 0, 0, -1, 4, 0), 8000);
}

static void polynomial_backoff_follows_the_sidekiq_curve(void **state)
{
    (void)state;
    /* attempt^4 seconds + base; the base defaults to 15 s */
    assert_int_equal(delay(KBJ_BACKOFF_POLYNOMIAL, 0, 0, -1, 1, 0), 1000 + 15000);
    assert_int_equal(delay(KBJ_BACKOFF_POLYNOMIAL, 0, 0, -1, 2, 0), 16000 + 15000);
    assert_int_equal(delay(KBJ_BACKOFF_POLYNOMIAL, 0, 0, -1, 5, 0), 625000 + 15000);
    assert_int_equal(delay(KBJ_BACKOFF_POLYNOMIAL, 2000, 0, -1, 3, 0), 81000 + 2000);
}

static void default_kind_is_polynomial_with_default_jitter(void **state)
{
    kbj_backoff zero = { 0 };
    (void)state;
    assert_int_equal(kbj_backoff_delay_ms(&zero, 1, 0), 16000);
    assert_int_equal(kbj_backoff_delay_ms(&zero, 3, 0), 96000);
    assert_int_equal(kbj_backoff_delay_ms(NULL, 2, 0), 31000);
    /* the default jitter of 0.1 applies with the default kind too */
    assert_int_equal(kbj_backoff_delay_ms(&zero, 1, 0.5), 16800);
    assert_int_equal(kbj_backoff_delay_ms(NULL, 1, 0.5), 16800);
    /* attempt 0 is read as the first retry */
    assert_int_equal(kbj_backoff_delay_ms(&zero, 0, 0), 16000);
}

static void jitter_adds_at_most_its_fraction(void **state)
{
    (void)state;
    /* r = 0 is the bare curve */
    assert_int_equal(delay(KBJ_BACKOFF_FIXED, 10000, 0, 0.5, 1, 0), 10000);
    /* r scales the fraction linearly */
    assert_int_equal(delay(KBJ_BACKOFF_FIXED, 10000, 0, 0.5, 1, 0.5), 12500);
    assert_int_equal(delay(KBJ_BACKOFF_FIXED, 10000, 0, 0.2, 1, 0.25), 10500);
    /* r -> 1 approaches, never reaches, base * (1 + jitter) */
    {
        unsigned long long d = delay(KBJ_BACKOFF_FIXED, 10000, 0, 0.3, 1, 0.9999999);
        assert_true(d >= 12999 && d < 13000);
    }
    /* 0 means the default 0.1 */
    assert_int_equal(delay(KBJ_BACKOFF_FIXED, 10000, 0, 0, 1, 0.5), 10500);
    {
        unsigned long long d = delay(KBJ_BACKOFF_LINEAR, 10000, 0, 0, 2, 0.9999999);
        assert_true(d >= 21999 && d < 22000);
    }
    /* negative: none, whatever the draw */
    assert_int_equal(delay(KBJ_BACKOFF_FIXED, 10000, 0, -1, 1, 0.9999), 10000);
    assert_int_equal(delay(KBJ_BACKOFF_EXPONENTIAL, 1000, 0, -0.5, 3, 0.75), 4000);
    /* above 1 is read as 1: at most double */
    assert_int_equal(delay(KBJ_BACKOFF_FIXED, 10000, 0, 7, 1, 0.5), 15000);
    /* a draw outside [0, 1) adds nothing rather than more than the fraction */
    assert_int_equal(delay(KBJ_BACKOFF_FIXED, 10000, 0, 0.5, 1, 1.0), 10000);
    assert_int_equal(delay(KBJ_BACKOFF_FIXED, 10000, 0, 0.5, 1, 42.0), 10000);
    assert_int_equal(delay(KBJ_BACKOFF_FIXED, 10000, 0, 0.5, 1, -3.0), 10000);
    assert_int_equal(delay(KBJ_BACKOFF_FIXED, 10000, 0, 0.5, 1, NAN), 10000);
}

static void a_jitter_that_is_not_a_number_adds_nothing(void **state)
{
    (void)state;
    /* not in the documented range: no jitter, rather than the one-hour cap */
    assert_int_equal(delay(KBJ_BACKOFF_FIXED, 10000, 0, NAN, 1, 0.5), 10000);
    assert_int_equal(delay(KBJ_BACKOFF_LINEAR, 1000, 0, NAN, 3, 0.9), 3000);
}

static void delays_are_capped_at_one_hour_or_the_given_cap(void **state)
{
    (void)state;
    /* default cap: one hour */
    assert_int_equal(delay(KBJ_BACKOFF_EXPONENTIAL, 1000, 0, -1, 30, 0), 3600000);
    assert_int_equal(delay(KBJ_BACKOFF_POLYNOMIAL, 0, 0, -1, 10, 0), 3600000); /* 10^4 s > 1 h */
    assert_int_equal(delay(KBJ_BACKOFF_POLYNOMIAL, 0, 0, -1, 7, 0), 2401000 + 15000); /* below */
    /* a custom cap */
    assert_int_equal(delay(KBJ_BACKOFF_EXPONENTIAL, 1000, 5000, -1, 3, 0), 4000);
    assert_int_equal(delay(KBJ_BACKOFF_EXPONENTIAL, 1000, 5000, -1, 4, 0), 5000);
    assert_int_equal(delay(KBJ_BACKOFF_LINEAR, 1000, 5000, -1, 50, 0), 5000);
    /* jitter never pushes a delay past the cap */
    assert_int_equal(delay(KBJ_BACKOFF_FIXED, 4800, 5000, 0.5, 1, 0.9), 5000);
    assert_int_equal(delay(KBJ_BACKOFF_FIXED, 4000, 5000, 0.1, 1, 0.5), 4200);
    /* a cap above one hour is honoured */
    assert_int_equal(delay(KBJ_BACKOFF_POLYNOMIAL, 0, 86400000, -1, 10, 0), 10000000 + 15000);
}

static void huge_attempts_and_bases_do_not_overflow(void **state)
{
    kbj_backoff_kind kinds[] = { KBJ_BACKOFF_FIXED, KBJ_BACKOFF_LINEAR, KBJ_BACKOFF_EXPONENTIAL,
                                 KBJ_BACKOFF_POLYNOMIAL, KBJ_BACKOFF_DEFAULT };
    unsigned attempts[] = { 1000, 1001, 65536, 1u << 31, UINT_MAX };
    (void)state;
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        for (size_t a = 0; a < sizeof attempts / sizeof attempts[0]; a++) {
            unsigned long long d = delay(kinds[k], UINT_MAX, 0, 0.9, attempts[a], 0.99);
            assert_int_equal(d, 3600000);
            d = delay(kinds[k], UINT_MAX, UINT_MAX, -1, attempts[a], 0);
            assert_int_equal(d, UINT_MAX);
            d = delay(kinds[k], 1, UINT_MAX, 1, attempts[a], 0.99);
            if (kinds[k] == KBJ_BACKOFF_FIXED)
                assert_int_equal(d, 1); /* 1 ms + 0.99 ms of jitter, truncated */
            else if (kinds[k] == KBJ_BACKOFF_LINEAR)
                assert_true(d >= (unsigned long long)1000 && d <= UINT_MAX);
            else
                assert_int_equal(d, UINT_MAX);
        }
    }
}

static void backoff_names_parse_and_print(void **state)
{
    static const char *const names[] = { "fixed", "linear", "exponential", "polynomial" };
    static const kbj_backoff_kind kinds[] = { KBJ_BACKOFF_FIXED, KBJ_BACKOFF_LINEAR,
                                              KBJ_BACKOFF_EXPONENTIAL, KBJ_BACKOFF_POLYNOMIAL };
    (void)state;
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(kbj_backoff_parse(names[i]), kinds[i]);
        assert_string_equal(kbj_backoff_name(kinds[i]), names[i]);
        assert_int_equal(kbj_backoff_parse(kbj_backoff_name(kinds[i])), kinds[i]);
    }
    assert_int_equal(kbj_backoff_parse(NULL), KBJ_BACKOFF_DEFAULT);
    assert_int_equal(kbj_backoff_parse(""), KBJ_BACKOFF_DEFAULT);
    assert_int_equal(kbj_backoff_parse("Fixed"), -1);
    assert_int_equal(kbj_backoff_parse("fixed "), -1);
    assert_int_equal(kbj_backoff_parse("exp"), -1);
    assert_int_equal(kbj_backoff_parse("polynomial\n"), -1);
    assert_string_equal(kbj_backoff_name(KBJ_BACKOFF_DEFAULT), "polynomial");
}

/* ---- through the engine ----------------------------------------------------------- */

typedef struct fixture {
    kbj_engine *eng;
    char runner[KBJ_ID_LEN + 1];
    double r; /* what the injected random source returns */
} fixture;

static double fixed_random(void *arg)
{
    return *(const double *)arg;
}

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    fx->eng = kbj_test_engine("kbt_retry_", 0);
    fx->r = 0;
    kbj_engine_set_random(fx->eng, fixed_random, &fx->r);
    if (kbj_runner_register(fx->eng, "retry-test", 4242, NULL, "retry", fx->runner) != KBJ_OK)
        fail_msg("register: %s", kbj_errmsg(fx->eng));
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    kbj_test_engine_free(fx->eng);
    free(fx);
    return 0;
}

static const char *const retry_queue[] = { "retry" };

/* Claims exactly one job from the "retry" queue; fails the test otherwise. */
static kbj_lease *claim_one(fixture *fx, const char *want_id)
{
    kbj_lease *l = NULL;
    size_t n = 0;
    if (kbj_claim(fx->eng, fx->runner, retry_queue, 1, 5, &l, &n) != KBJ_OK)
        fail_msg("claim: %s", kbj_errmsg(fx->eng));
    if (n != 1)
        fail_msg("expected to claim 1 job, claimed %zu", n);
    assert_string_equal(l->id, want_id);
    return l;
}

static size_t claim_count(fixture *fx)
{
    kbj_lease *l = NULL;
    size_t n = 0;
    if (kbj_claim(fx->eng, fx->runner, retry_queue, 1, 5, &l, &n) != KBJ_OK)
        fail_msg("claim: %s", kbj_errmsg(fx->eng));
    kbj_leases_free(l, n);
    return n;
}

/* How long until the job is due, in ms, by the database clock. */
static long long due_in_ms(kbj_engine *eng, const char *id)
{
    return kbj_test_job_int(eng, "ROUND((UNIX_TIMESTAMP(run_at) - UNIX_TIMESTAMP(NOW(6))) * 1000)", id);
}

/* The delay the failure set, exactly: run_at - updated_at, both written by the same
 * statement with the same NOW(6). */
static long long set_delay_us(kbj_engine *eng, const char *id)
{
    return kbj_test_job_int(eng, "TIMESTAMPDIFF(MICROSECOND, updated_at, run_at)", id);
}

/* Asserts the job will be due in `want` ms: exactly by the stored times, and within a
 * small margin by the clock now. */
static void assert_due_in(kbj_engine *eng, const char *id, unsigned long long want)
{
    long long exact = set_delay_us(eng, id), left = due_in_ms(eng, id);
    if (exact != (long long)want * 1000)
        fail_msg("run_at - updated_at is %lld us, expected %llu ms", exact, want);
    if (left > (long long)want || left < (long long)want - 250)
        fail_msg("due in %lld ms by the database clock, expected just under %llu ms", left, want);
}

static void make_due(kbj_engine *eng, const char *id)
{
    char sql[256];
    snprintf(sql, sizeof sql, "UPDATE {p}kbjobs_jobs SET run_at = NOW(6) - INTERVAL 1 SECOND"
             " WHERE public_id = '%s'", id);
    assert_int_equal(kbj_test_exec(eng, sql), 1);
}

static void submit(fixture *fx, kbj_backoff b, int max_attempts, char id[KBJ_ID_LEN + 1])
{
    kbj_submit s = { .type = "retry.t", .queue = "retry", .max_attempts = max_attempts, .backoff = b };
    if (kbj_submit_job(fx->eng, &s, id, NULL) != KBJ_OK)
        fail_msg("submit: %s", kbj_errmsg(fx->eng));
}

static void a_retryable_failure_requeues_after_the_computed_backoff(void **state)
{
    fixture *fx = *state;
    kbj_backoff b = { .kind = KBJ_BACKOFF_EXPONENTIAL, .base_ms = 2000, .cap_ms = 0, .jitter = 0.5 };
    char id[17];
    kbj_lease *l;
    int will_retry = 0;
    kbj_job *j = NULL;

    fx->r = 0.5;
    submit(fx, b, 3, id);
    l = claim_one(fx, id);
    assert_int_equal(l->attempts, 1);
    assert_int_equal(kbj_fail_job(fx->eng, l, "first: connection reset", 1, &will_retry), KBJ_OK);
    assert_int_equal(will_retry, 1);
    kbj_leases_free(l, 1);

    /* 2000 * 2^0 plus jitter 0.5 * r 0.5 of it */
    assert_due_in(fx->eng, id, kbj_backoff_delay_ms(&b, 1, 0.5));
    assert_due_in(fx->eng, id, 2500);
    assert_int_equal(kbj_job_get(fx->eng, id, &j), KBJ_OK);
    assert_string_equal(j->status, "queued");
    assert_int_equal(j->attempts, 1);
    assert_string_equal(j->error, "first: connection reset");
    assert_string_equal(j->runner, "");
    assert_true(j->lease_expires == 0);
    kbj_job_free(j);

    /* not claimable before it is due */
    assert_int_equal(claim_count(fx), 0);
    make_due(fx->eng, id);
    l = claim_one(fx, id);
    assert_int_equal(l->attempts, 2);

    /* the second retry waits 2000 * 2^1 plus jitter 0.5 * r 0.25 of that */
    fx->r = 0.25;
    assert_int_equal(kbj_fail_job(fx->eng, l, "second: timeout", 1, &will_retry), KBJ_OK);
    assert_int_equal(will_retry, 1);
    kbj_leases_free(l, 1);
    assert_due_in(fx->eng, id, kbj_backoff_delay_ms(&b, 2, 0.25));
    assert_due_in(fx->eng, id, 4500);
    assert_int_equal(claim_count(fx), 0);
}

static void the_last_attempt_fails_the_job_and_every_error_is_kept(void **state)
{
    fixture *fx = *state;
    kbj_backoff b = { .kind = KBJ_BACKOFF_FIXED, .base_ms = 60000, .jitter = -1 };
    static const char *const errors[] = { "attempt one broke", "attempt two broke", "attempt three broke" };
    char id[17];
    kbj_attempt *a = NULL;
    size_t n = 0, count = 0;
    kbj_failure *f = NULL;
    int will_retry = -1;

    fx->r = 0.9;
    submit(fx, b, 3, id);
    for (int i = 0; i < 3; i++) {
        kbj_lease *l = claim_one(fx, id);
        assert_int_equal(l->attempts, i + 1);
        assert_int_equal(l->max_attempts, 3);
        assert_int_equal(kbj_fail_job(fx->eng, l, errors[i], 1, &will_retry), KBJ_OK);
        kbj_leases_free(l, 1);
        if (i < 2) {
            assert_int_equal(will_retry, 1);
            assert_string_equal(kbj_test_status(fx->eng, id), "queued");
            assert_due_in(fx->eng, id, 60000); /* negative jitter: none, whatever r is */
            make_due(fx->eng, id);
        }
    }
    assert_int_equal(will_retry, 0);
    assert_string_equal(kbj_test_status(fx->eng, id), "failed");
    assert_int_equal(kbj_test_job_int(fx->eng, "attempts", id), 3);
    assert_int_equal(kbj_test_job_int(fx->eng, "finished_at IS NOT NULL", id), 1);
    assert_int_equal(claim_count(fx), 0);

    assert_int_equal(kbj_job_attempts(fx->eng, id, &a, &n), KBJ_OK);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(a[i].attempt, (int)i + 1);
        assert_string_equal(a[i].outcome, "failed");
        assert_string_equal(a[i].error, errors[i]);
        assert_string_equal(a[i].runner, fx->runner);
        assert_true(a[i].started_at > 0 && a[i].finished_at >= a[i].started_at);
        if (i)
            assert_true(a[i].finished_at >= a[i - 1].finished_at);
    }
    kbj_attempts_free(a, n);

    /* the job is in the FailureLog with its last error */
    assert_int_equal(kbj_failures_count(fx->eng, &count, NULL), KBJ_OK);
    assert_int_equal(count, 1);
    assert_int_equal(kbj_failures_list(fx->eng, 10, 0, &f, &n), KBJ_OK);
    assert_int_equal(n, 1);
    assert_string_equal(f[0].job_id, id);
    assert_string_equal(f[0].message, errors[2]);
    assert_int_equal(f[0].attempts, 3);
    kbj_failures_free(f, n);
}

static void a_non_retryable_failure_skips_the_remaining_attempts(void **state)
{
    fixture *fx = *state;
    kbj_backoff b = { .kind = KBJ_BACKOFF_LINEAR, .base_ms = 1000 };
    char id[17];
    kbj_lease *l;
    kbj_attempt *a = NULL;
    size_t n = 0;
    int will_retry = -1;

    submit(fx, b, 10, id);
    l = claim_one(fx, id);
    assert_int_equal(kbj_fail_job(fx->eng, l, "the URL list is malformed", 0, &will_retry), KBJ_OK);
    kbj_leases_free(l, 1);
    assert_int_equal(will_retry, 0);
    assert_string_equal(kbj_test_status(fx->eng, id), "failed");
    assert_int_equal(kbj_test_job_int(fx->eng, "attempts", id), 1);
    assert_int_equal(claim_count(fx), 0);
    assert_int_equal(kbj_test_int(fx->eng, "SELECT COUNT(*) FROM {p}kbjobs_failures"), 1);
    assert_int_equal(kbj_test_int(fx->eng, "SELECT attempts FROM {p}kbjobs_failures"), 1);

    assert_int_equal(kbj_job_attempts(fx->eng, id, &a, &n), KBJ_OK);
    assert_int_equal(n, 1);
    assert_string_equal(a[0].outcome, "failed");
    assert_string_equal(a[0].error, "the URL list is malformed");
    kbj_attempts_free(a, n);
}

static void the_default_policy_is_polynomial_with_ten_percent_jitter(void **state)
{
    fixture *fx = *state;
    kbj_backoff none = { 0 };
    char id[17];
    kbj_lease *l;
    int will_retry = 0;

    fx->r = 0.5;
    submit(fx, none, 0, id);
    assert_int_equal(kbj_test_job_int(fx->eng, "max_attempts", id), KBJ_DEFAULT_MAX_ATTEMPTS);
    l = claim_one(fx, id);
    assert_int_equal(kbj_fail_job(fx->eng, l, "x", 1, &will_retry), KBJ_OK);
    kbj_leases_free(l, 1);
    assert_int_equal(will_retry, 1);
    /* (1^4 s + 15 s) * (1 + 0.1 * 0.5) */
    assert_due_in(fx->eng, id, 16800);

    make_due(fx->eng, id);
    l = claim_one(fx, id);
    fx->r = 0;
    assert_int_equal(kbj_fail_job(fx->eng, l, "y", 1, &will_retry), KBJ_OK);
    kbj_leases_free(l, 1);
    assert_due_in(fx->eng, id, 31000); /* 2^4 s + 15 s */
}

static void a_job_without_a_policy_takes_its_types_policy(void **state)
{
    fixture *fx = *state;
    kbj_type_def def = { .name = "retry.typed", .queue = "retry", .max_attempts = 2,
                         .backoff = { .kind = KBJ_BACKOFF_LINEAR, .base_ms = 3000, .jitter = -1 } };
    kbj_submit s = { .type = "retry.typed" };
    char id[17];
    kbj_lease *l;
    int will_retry = 0;

    assert_int_equal(kbj_register_type(fx->eng, &def), KBJ_OK);
    assert_int_equal(kbj_submit_job(fx->eng, &s, id, NULL), KBJ_OK);
    assert_int_equal(kbj_test_job_int(fx->eng, "max_attempts", id), 2);
    l = claim_one(fx, id);
    assert_int_equal(l->backoff.kind, KBJ_BACKOFF_LINEAR);
    fx->r = 0.7;
    assert_int_equal(kbj_fail_job(fx->eng, l, "x", 1, &will_retry), KBJ_OK);
    kbj_leases_free(l, 1);
    assert_int_equal(will_retry, 1);
    assert_due_in(fx->eng, id, 3000);

    make_due(fx->eng, id);
    l = claim_one(fx, id);
    assert_int_equal(kbj_fail_job(fx->eng, l, "x", 1, &will_retry), KBJ_OK);
    kbj_leases_free(l, 1);
    assert_int_equal(will_retry, 0); /* the type's max_attempts of 2 */
    assert_string_equal(kbj_test_status(fx->eng, id), "failed");
}

static void a_retry_delay_is_capped_by_the_jobs_cap(void **state)
{
    fixture *fx = *state;
    kbj_backoff b = { .kind = KBJ_BACKOFF_POLYNOMIAL, .base_ms = 1000, .cap_ms = 1500, .jitter = 0.5 };
    char id[17];
    kbj_lease *l;
    int will_retry = 0;

    fx->r = 0.99;
    submit(fx, b, 5, id);
    l = claim_one(fx, id);
    assert_int_equal(kbj_fail_job(fx->eng, l, "x", 1, &will_retry), KBJ_OK);
    kbj_leases_free(l, 1);
    assert_due_in(fx->eng, id, 1500); /* 2000 ms (+ jitter) capped at 1500 */
}

int main(void)
{
    const struct CMUnitTest pure[] = {
        cmocka_unit_test(fixed_backoff_waits_the_base_every_time),
        cmocka_unit_test(linear_backoff_grows_by_the_base_per_attempt),
        cmocka_unit_test(exponential_backoff_doubles_from_the_base),
        cmocka_unit_test(polynomial_backoff_follows_the_sidekiq_curve),
        cmocka_unit_test(default_kind_is_polynomial_with_default_jitter),
        cmocka_unit_test(jitter_adds_at_most_its_fraction),
        cmocka_unit_test(a_jitter_that_is_not_a_number_adds_nothing),
        cmocka_unit_test(delays_are_capped_at_one_hour_or_the_given_cap),
        cmocka_unit_test(huge_attempts_and_bases_do_not_overflow),
        cmocka_unit_test(backoff_names_parse_and_print),
    };
    const struct CMUnitTest engine[] = {
        cmocka_unit_test_setup_teardown(a_retryable_failure_requeues_after_the_computed_backoff, setup, teardown),
        cmocka_unit_test_setup_teardown(the_last_attempt_fails_the_job_and_every_error_is_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(a_non_retryable_failure_skips_the_remaining_attempts, setup, teardown),
        cmocka_unit_test_setup_teardown(the_default_policy_is_polynomial_with_ten_percent_jitter, setup, teardown),
        cmocka_unit_test_setup_teardown(a_job_without_a_policy_takes_its_types_policy, setup, teardown),
        cmocka_unit_test_setup_teardown(a_retry_delay_is_capped_by_the_jobs_cap, setup, teardown),
    };
    int failed = cmocka_run_group_tests_name("retry curves", pure, NULL, NULL);
    return failed + cmocka_run_group_tests_name("retry through the engine", engine, NULL, NULL);
}
