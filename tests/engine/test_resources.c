/* Resources: one running job per named resource across runners, with status. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>

#define PREFIX "kbt_res_"

static int setup(void **state)
{
    *state = kbj_test_engine(PREFIX, 0);
    return 0;
}

static void submit_res(kbj_engine *eng, const char *queue, const char *name, const char *op,
                       const char *ckey, char id[17])
{
    kbj_resource r = { name, op };
    kbj_submit s = { .type = "t", .queue = queue, .concurrency_key = ckey };
    if (name) {
        s.resources = &r;
        s.nresources = 1;
    }
    if (kbj_submit_job(eng, &s, id, NULL) != KBJ_OK)
        fail_msg("submit: %s", kbj_errmsg(eng));
}

static const kbj_lease *find(const kbj_lease *l, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(l[i].id, id) == 0)
            return &l[i];
    return NULL;
}

static void a_busy_resource_makes_its_jobs_wait_while_others_run(void **state)
{
    kbj_engine *eng = *state;
    const char *queues[] = { "r" };
    char a[17], b[17], c[17], d[17], runner[17];
    kbj_lease *l = NULL, *l2 = NULL;
    size_t n = 0, n2 = 0;
    kbj_resource_status *st = NULL;
    size_t ns = 0;
    kbj_job *j = NULL;

    submit_res(eng, "r", "vectors:768", "index", NULL, a);
    submit_res(eng, "r", "vectors:768", "reindex", NULL, b);
    submit_res(eng, "r", "vectors:1536", "index", "site:1", c);
    submit_res(eng, "r", NULL, NULL, NULL, d);
    assert_int_equal(kbj_job_get(eng, a, &j), KBJ_OK);
    assert_string_equal(j->resources, "[{\"name\": \"vectors:768\", \"op\": \"index\"}]");
    kbj_job_free(j);

    assert_int_equal(kbj_runner_register(eng, "h", 1, NULL, "r", runner), KBJ_OK);
    assert_int_equal(kbj_claim(eng, runner, queues, 1, 10, &l, &n), KBJ_OK);
    assert_int_equal(n, 3);
    assert_non_null(find(l, n, a));
    assert_null(find(l, n, b)); /* waits: vectors:768 is busy */
    assert_non_null(find(l, n, c));
    assert_non_null(find(l, n, d));

    assert_int_equal(kbj_resources_status(eng, &st, &ns), KBJ_OK);
    assert_int_equal(ns, 2);
    assert_string_equal(st[0].name, "vectors:1536");
    assert_true(st[0].busy);
    assert_string_equal(st[0].job_id, c);
    assert_string_equal(st[0].op, "index");
    assert_string_equal(st[0].concurrency_key, "site:1");
    assert_string_equal(st[1].name, "vectors:768");
    assert_true(st[1].busy);
    assert_string_equal(st[1].job_id, a);
    assert_int_equal(st[1].waiting, 1);
    free(st);

    /* finishing the holder frees the resource for the waiting job */
    assert_int_equal(kbj_complete(eng, find(l, n, a), NULL), KBJ_OK);
    assert_int_equal(kbj_resources_status(eng, &st, &ns), KBJ_OK);
    assert_false(st[1].busy);
    assert_string_equal(st[1].job_id, "");
    free(st);
    assert_int_equal(kbj_claim(eng, runner, queues, 1, 10, &l2, &n2), KBJ_OK);
    assert_int_equal(n2, 1);
    assert_string_equal(l2[0].id, b);
    assert_true(l2[0].has_resources);

    /* a lease taken back by the reaper gives its resources back too */
    kbj_test_exec(eng, "UPDATE {p}kbjobs_jobs SET lease_expires = NOW(6) - INTERVAL 1 SECOND WHERE status = 'running'");
    assert_int_equal(kbj_reap(eng, NULL), KBJ_OK);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_keys"), 0);
    kbj_leases_free(l, n);
    kbj_leases_free(l2, n2);
}

static void a_concurrency_key_and_a_resource_guard_together(void **state)
{
    kbj_engine *eng = *state;
    const char *queues[] = { "k" };
    char a[17], b[17], c[17], runner[17];
    kbj_lease *l = NULL;
    size_t n = 0;

    submit_res(eng, "k", "gpu", "embed", "source:x", a);
    submit_res(eng, "k", NULL, NULL, "source:x", b);  /* same key */
    submit_res(eng, "k", "gpu", "embed", "source:y", c); /* same resource */
    assert_int_equal(kbj_runner_register(eng, "h", 1, NULL, "k", runner), KBJ_OK);
    assert_int_equal(kbj_claim(eng, runner, queues, 1, 10, &l, &n), KBJ_OK);
    assert_int_equal(n, 1);
    assert_string_equal(l[0].id, a);
    assert_int_equal(kbj_fail_job(eng, &l[0], "boom", 0, NULL), KBJ_OK);
    kbj_leases_free(l, n);
    assert_int_equal(kbj_claim(eng, runner, queues, 1, 10, &l, &n), KBJ_OK);
    assert_int_equal(n, 2);
    kbj_leases_free(l, n);
}

static void a_type_s_declared_resources_apply_to_its_jobs(void **state)
{
    kbj_engine *eng = *state;
    kbj_resource uses[] = { { "index:main", "write" } };
    kbj_type_def def = { .name = "indexer", .resources = uses, .nresources = 1 };
    kbj_submit s = { .type = "indexer", .queue = "t" };
    char id[17];
    kbj_job *j = NULL;

    assert_int_equal(kbj_register_type(eng, &def), KBJ_OK);
    assert_int_equal(kbj_submit_job(eng, &s, id, NULL), KBJ_OK);
    assert_int_equal(kbj_job_get(eng, id, &j), KBJ_OK);
    assert_non_null(strstr(j->resources, "index:main"));
    kbj_job_free(j);
}

static void bad_resources_are_refused(void **state)
{
    kbj_engine *eng = *state;
    kbj_resource bad_name = { "has space", NULL }, empty_op = { "ok", "" }, dup[] = { { "a", NULL }, { "a", NULL } };
    kbj_submit s = { .type = "t", .resources = &bad_name, .nresources = 1 };
    char id[17];
    assert_int_equal(kbj_submit_job(eng, &s, id, NULL), KBJ_EINVAL);
    s.resources = &empty_op;
    assert_int_equal(kbj_submit_job(eng, &s, id, NULL), KBJ_EINVAL);
    s.resources = dup;
    s.nresources = 2;
    assert_int_equal(kbj_submit_job(eng, &s, id, NULL), KBJ_EINVAL);
    assert_non_null(strstr(kbj_errmsg(eng), "named twice"));
    s = (kbj_submit){ .type = "t", .concurrency_key = "res:sneaky" };
    assert_int_equal(kbj_submit_job(eng, &s, id, NULL), KBJ_EINVAL);
    assert_int_equal(kbj_test_int(eng, "SELECT COUNT(*) FROM {p}kbjobs_jobs"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_busy_resource_makes_its_jobs_wait_while_others_run, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_concurrency_key_and_a_resource_guard_together, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_type_s_declared_resources_apply_to_its_jobs, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(bad_resources_are_refused, setup, kbj_test_engine_teardown),
    };
    return cmocka_run_group_tests_name("resources", tests, NULL, NULL);
}
