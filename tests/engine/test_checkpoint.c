/* Checkpoints: atomic files, cadence, corrupt files, lifecycle through kbj_run,
 * interrupted-job listing, start-fresh and stale cleanup. */
#include "testutil.h"
#include "fsutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define PREFIX "kbt_ckpt_"

static int setup(void **state)
{
    *state = kbj_test_engine(PREFIX, 0);
    return 0;
}

static void ckpt_file(kbj_engine *eng, const char *id, char *out, size_t cap)
{
    snprintf(out, cap, "%s/checkpoints/%s.checkpoint.json", eng->data_dir, id);
}

static void write_file(const char *path, const char *text, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, n, f), n);
    fclose(f);
}

static kbj_checkpoint sample(const char *id)
{
    kbj_checkpoint c;
    memset(&c, 0, sizeof c);
    snprintf(c.job_id, sizeof c.job_id, "%s", id);
    snprintf(c.type, sizeof c.type, "test.import");
    c.concurrency_key = "source:example.com";
    c.progress_done = 4000;
    c.progress_total = 10000;
    c.total_workers = 2;
    c.range_start = 0;
    c.range_end = 5000;
    c.cursor = "{\"line\":4001,\"offset\":123456}";
    c.counts = "{\"created\":3990,\"failed\":10}";
    c.errors = "[\"e1\",\"e2\"]";
    c.state = "{\"phases_done\":[\"fetch\"]}";
    return c;
}

static void save_then_load_round_trips_every_field(void **state)
{
    kbj_engine *eng = *state;
    const char *id = kbj_test_submit(eng, "test.import", NULL, "ck");
    kbj_checkpoint c = sample(id), *got = NULL;
    double first_created;

    assert_int_equal(kbj_checkpoint_save(eng, &c), KBJ_OK);
    assert_int_equal(kbj_checkpoint_load(eng, id, &got), KBJ_OK);
    assert_string_equal(got->job_id, id);
    assert_string_equal(got->type, "test.import");
    assert_string_equal(got->concurrency_key, "source:example.com");
    assert_int_equal(got->progress_done, 4000);
    assert_int_equal(got->progress_total, 10000);
    assert_int_equal(got->total_workers, 2);
    assert_int_equal(got->range_end, 5000);
    assert_string_equal(got->cursor, "{\"line\":4001,\"offset\":123456}");
    assert_string_equal(got->counts, "{\"created\":3990,\"failed\":10}");
    assert_string_equal(got->state, "{\"phases_done\":[\"fetch\"]}");
    assert_true(got->saved_at > 0 && got->created_at > 0);
    first_created = got->created_at;
    kbj_checkpoint_free(got);

    /* a later save keeps created_at and bounds the errors to the most recent 20 */
    c.errors = "[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24]";
    c.progress_done = 5000;
    assert_int_equal(kbj_checkpoint_save(eng, &c), KBJ_OK);
    assert_int_equal(kbj_checkpoint_load(eng, id, &got), KBJ_OK);
    assert_true(got->created_at == first_created);
    assert_int_equal(got->progress_done, 5000);
    assert_string_equal(got->errors, "[5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24]");
    kbj_checkpoint_free(got);

    /* partial results beside it */
    char *partial = NULL;
    assert_int_equal(kbj_partial_save(eng, id, "{\"posts\":[1,2,3]}"), KBJ_OK);
    assert_int_equal(kbj_partial_load(eng, id, &partial), KBJ_OK);
    assert_string_equal(partial, "{\"posts\":[1,2,3]}");
    free(partial);

    assert_int_equal(kbj_checkpoint_delete(eng, id), KBJ_OK);
    assert_int_equal(kbj_checkpoint_load(eng, id, &got), KBJ_ENOTFOUND);
    assert_int_equal(kbj_partial_load(eng, id, &partial), KBJ_ENOTFOUND);
    assert_int_equal(kbj_checkpoint_delete(eng, id), KBJ_OK); /* nothing left: still fine */
}

static void bad_members_and_ids_are_refused(void **state)
{
    kbj_engine *eng = *state;
    kbj_checkpoint c = sample("0123456789abcdef");
    c.cursor = "{not json";
    assert_int_equal(kbj_checkpoint_save(eng, &c), KBJ_EINVAL);
    c = sample("../../etc/passwd");
    assert_int_equal(kbj_checkpoint_save(eng, &c), KBJ_EINVAL);
    c = sample("0123456789abcdef");
    c.counts = "[1]";
    assert_int_equal(kbj_checkpoint_save(eng, &c), KBJ_EINVAL);
    assert_int_equal(kbj_partial_save(eng, "0123456789abcdef", "nope"), KBJ_EINVAL);
}

static void corrupt_truncated_or_foreign_files_are_reported_not_resumed(void **state)
{
    kbj_engine *eng = *state;
    char id[17], other[17], path[600];
    kbj_checkpoint c, *got = NULL;
    static const char garbage[] = "\x00\xff\xfe binary";
    const char *bad[] = {
        "",                                                    /* empty */
        "{\"format\":\"kbjobs.checkpoint\",\"version\":1,\"job", /* truncated */
        "[1,2,3]",                                             /* not an object */
        "{\"format\":\"something.else\",\"version\":1}",       /* another format */
        "{\"format\":\"kbjobs.checkpoint\",\"version\":99}",   /* a future version */
        NULL,
    };

    snprintf(id, sizeof id, "%s", kbj_test_submit(eng, "test.import", NULL, "ck"));
    snprintf(other, sizeof other, "%s", kbj_test_submit(eng, "test.import", NULL, "ck"));
    c = sample(id);
    assert_int_equal(kbj_checkpoint_save(eng, &c), KBJ_OK);
    ckpt_file(eng, id, path, sizeof path);
    for (int i = 0; bad[i]; i++) {
        write_file(path, bad[i], strlen(bad[i]));
        assert_int_equal(kbj_checkpoint_load(eng, id, &got), KBJ_ECORRUPT);
        assert_null(got);
        assert_non_null(strstr(kbj_errmsg(eng), "start the job fresh"));
    }
    write_file(path, garbage, sizeof garbage - 1);
    assert_int_equal(kbj_checkpoint_load(eng, id, &got), KBJ_ECORRUPT);

    /* another job's checkpoint copied under this job's name */
    c = sample(other);
    assert_int_equal(kbj_checkpoint_save(eng, &c), KBJ_OK);
    {
        char src[600];
        char *text = NULL;
        size_t len = 0;
        ckpt_file(eng, other, src, sizeof src);
        assert_int_equal(kbj_fs_read_file(src, 1 << 20, &text, &len, NULL), KBJ_OK);
        write_file(path, text, len);
        free(text);
    }
    assert_int_equal(kbj_checkpoint_load(eng, id, &got), KBJ_ECORRUPT);
    assert_non_null(strstr(kbj_errmsg(eng), "another job"));

    /* the interrupted list says so, and start-fresh clears it */
    kbj_test_exec(eng, "UPDATE {p}kbjobs_jobs SET status = 'interrupted', progress_done = 7");
    {
        kbj_interrupted *list = NULL;
        size_t n = 0;
        int seen = 0;
        assert_int_equal(kbj_interrupted_list(eng, 10, &list, &n), KBJ_OK);
        for (size_t i = 0; i < n; i++)
            if (strcmp(list[i].job_id, id) == 0) {
                seen = 1;
                assert_string_equal(list[i].checkpoint_status, "corrupt");
                assert_int_equal(list[i].progress_done, 7);
            } else {
                assert_string_equal(list[i].checkpoint_status, "ok");
                assert_int_equal(list[i].progress_done, 4000);
                assert_true(list[i].checkpoint_age >= 0 && list[i].checkpoint_age < 60);
            }
        assert_true(seen);
        free(list);
    }
    assert_int_equal(kbj_checkpoint_discard(eng, id), KBJ_OK);
    assert_int_equal(kbj_checkpoint_load(eng, id, &got), KBJ_ENOTFOUND);
    assert_int_equal(kbj_test_int(eng, "SELECT MIN(progress_done) FROM {p}kbjobs_jobs"), 0);
    kbj_test_exec(eng, "UPDATE {p}kbjobs_jobs SET status = 'queued'");
    assert_int_equal(kbj_checkpoint_discard(eng, id), KBJ_ECONFLICT);
}

static void die_before_rename(const char *tmp, const char *path)
{
    (void)tmp;
    (void)path;
    raise(SIGKILL);
}

static void a_kill_between_write_and_rename_leaves_the_old_checkpoint_whole(void **state)
{
    kbj_engine *eng = *state;
    const char *id = kbj_test_submit(eng, "test.import", NULL, "ck");
    kbj_checkpoint c = sample(id), *got = NULL;
    pid_t child;
    int status;

    assert_int_equal(kbj_checkpoint_save(eng, &c), KBJ_OK);
    child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        kbj_checkpoint n = sample(id);
        n.progress_done = 9999;
        kbj_fs_test_before_rename = die_before_rename;
        kbj_checkpoint_save(eng, &n);
        _exit(0);
    }
    waitpid(child, &status, 0);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(kbj_checkpoint_load(eng, id, &got), KBJ_OK);
    assert_int_equal(got->progress_done, 4000);
    kbj_checkpoint_free(got);
}

static double fake_now;
static double fake_clock(void *arg)
{
    (void)arg;
    return fake_now;
}

static void cadence_is_every_60_seconds_or_2000_items_whichever_first(void **state)
{
    kbj_cadence c = { .clock = fake_clock };
    (void)state;
    fake_now = 1000;
    kbj_cadence_start(&c);
    assert_false(kbj_cadence_due(&c, 1999));
    assert_true(kbj_cadence_due(&c, 2000));   /* by count */
    assert_false(kbj_cadence_due(&c, 2500));
    fake_now += 59.9;
    assert_false(kbj_cadence_due(&c, 2600));
    fake_now += 0.1;
    assert_true(kbj_cadence_due(&c, 2601));   /* by time */
    assert_false(kbj_cadence_due(&c, 4600));
    assert_true(kbj_cadence_due(&c, 4601));

    kbj_cadence custom = { .seconds = 5, .items = 10, .clock = fake_clock };
    kbj_cadence_start(&custom);
    assert_true(kbj_cadence_due(&custom, 10));
    fake_now += 5;
    assert_true(kbj_cadence_due(&custom, 11));
}

/* A handler that resumes from its checkpoint: items 1..20, checkpointing each 5. */
typedef struct counter {
    int stop_at;         /* ask the run to stop after this item (0: never) */
    int started_from;
} counter;

static int counting(kbj_ctx *ctx, void *udata)
{
    counter *c = udata;
    kbj_checkpoint *last = NULL;
    int from = 0;
    if (kbj_ctx_last_checkpoint(ctx, &last) == KBJ_OK) {
        from = atoi(strstr(last->cursor, ":") + 1);
        kbj_checkpoint_free(last);
    }
    c->started_from = from;
    for (int i = from + 1; i <= 20; i++) {
        char cursor[32];
        kbj_ctx_progress(ctx, i, 20, "count");
        snprintf(cursor, sizeof cursor, "{\"next\":%d}", i);
        if (kbj_ctx_checkpoint(ctx, cursor, NULL, NULL, 0) < 0)
            return KBJ_EIO;
        if (c->stop_at && i == c->stop_at) {
            kbj_ctx_checkpoint(ctx, cursor, NULL, NULL, 1);
            kbj_request_stop(kbj_ctx_engine(ctx));
        }
        if (kbj_ctx_should_stop(ctx))
            return KBJ_ESTOPPED;
    }
    return KBJ_OK;
}

static void a_stopped_job_resumes_from_its_checkpoint_which_is_deleted_on_success(void **state)
{
    kbj_engine *eng = *state;
    counter cnt = { 12, -1 };
    kbj_type_def def = { .name = "test.count", .handler = counting, .udata = &cnt };
    const char *queues[] = { "resume" };
    kbj_run_opts o = { .queues = queues, .nqueues = 1, .until_empty = 1, .checkpoint_items = 5 };
    kbj_run_report rep;
    char id[17], path[600];
    kbj_checkpoint *got = NULL;
    struct stat sb;

    assert_int_equal(kbj_register_type(eng, &def), KBJ_OK);
    snprintf(id, sizeof id, "%s", kbj_test_submit(eng, "test.count", NULL, "resume"));
    assert_int_equal(kbj_run(eng, &o, &rep), KBJ_OK);
    assert_int_equal(rep.interrupted, 1);
    assert_string_equal(kbj_test_status(eng, id), "queued");
    assert_int_equal(kbj_checkpoint_load(eng, id, &got), KBJ_OK);
    assert_string_equal(got->cursor, "{\"next\":12}");
    assert_int_equal(got->progress_done, 12);
    assert_non_null(strstr(got->worker_id, rep.runner) ? got->worker_id : NULL);
    kbj_checkpoint_free(got);

    cnt.stop_at = 0;
    assert_int_equal(kbj_run(eng, &o, &rep), KBJ_OK);
    assert_int_equal(rep.completed, 1);
    assert_int_equal(cnt.started_from, 12);
    assert_string_equal(kbj_test_status(eng, id), "completed");
    ckpt_file(eng, id, path, sizeof path);
    assert_int_equal(stat(path, &sb), -1);
}

static void checkpoints_are_kept_when_a_job_fails_or_is_cancelled(void **state)
{
    kbj_engine *eng = *state;
    const char *queues[] = { "keep" };
    char runner[17], failed[17], cancelled[17];
    kbj_lease *l = NULL;
    size_t n = 0;
    kbj_checkpoint c, *got = NULL;

    snprintf(failed, sizeof failed, "%s", kbj_test_submit(eng, "t", NULL, "keep"));
    snprintf(cancelled, sizeof cancelled, "%s", kbj_test_submit(eng, "t", NULL, "keep"));
    assert_int_equal(kbj_runner_register(eng, "h", 1, NULL, "keep", runner), KBJ_OK);
    assert_int_equal(kbj_claim(eng, runner, queues, 1, 2, &l, &n), KBJ_OK);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++) {
        c = sample(l[i].id);
        assert_int_equal(kbj_checkpoint_save(eng, &c), KBJ_OK);
        if (strcmp(l[i].id, failed) == 0)
            assert_int_equal(kbj_fail_job(eng, &l[i], "boom", 0, NULL), KBJ_OK);
        else
            assert_int_equal(kbj_finish_cancelled(eng, &l[i]), KBJ_OK);
    }
    assert_int_equal(kbj_checkpoint_load(eng, failed, &got), KBJ_OK);
    kbj_checkpoint_free(got);
    assert_int_equal(kbj_checkpoint_load(eng, cancelled, &got), KBJ_OK);
    kbj_checkpoint_free(got);
    kbj_leases_free(l, n);
}

static void stale_checkpoints_go_after_seven_days_unless_their_job_is_active(void **state)
{
    kbj_engine *eng = *state;
    char old_done[17], old_queued[17], fresh[17], orphan[17] = "00000000deadbeef", path[600];
    struct timeval tv[2];
    size_t removed = 0;
    kbj_checkpoint c, *got = NULL;

    snprintf(old_done, sizeof old_done, "%s", kbj_test_submit(eng, "t", NULL, "stale"));
    snprintf(old_queued, sizeof old_queued, "%s", kbj_test_submit(eng, "t", NULL, "stale"));
    snprintf(fresh, sizeof fresh, "%s", kbj_test_submit(eng, "t", NULL, "stale"));
    assert_int_equal(kbj_job_cancel(eng, old_done, NULL), KBJ_OK);
    assert_int_equal(kbj_job_cancel(eng, fresh, NULL), KBJ_OK);
    const char *ids[] = { old_done, old_queued, fresh, orphan };
    gettimeofday(&tv[0], NULL);
    tv[0].tv_sec -= 8 * 86400;
    tv[1] = tv[0];
    for (int i = 0; i < 4; i++) {
        c = sample(ids[i]);
        assert_int_equal(kbj_checkpoint_save(eng, &c), KBJ_OK);
        if (ids[i] != fresh) {
            ckpt_file(eng, ids[i], path, sizeof path);
            assert_int_equal(utimes(path, tv), 0);
        }
    }
    assert_int_equal(kbj_checkpoints_cleanup(eng, 0, &removed), KBJ_OK);
    assert_int_equal(removed, 2); /* the finished job's and the orphan's */
    assert_int_equal(kbj_checkpoint_load(eng, old_done, &got), KBJ_ENOTFOUND);
    assert_int_equal(kbj_checkpoint_load(eng, orphan, &got), KBJ_ENOTFOUND);
    assert_int_equal(kbj_checkpoint_load(eng, old_queued, &got), KBJ_OK);
    kbj_checkpoint_free(got);
    assert_int_equal(kbj_checkpoint_load(eng, fresh, &got), KBJ_OK);
    kbj_checkpoint_free(got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(save_then_load_round_trips_every_field, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(bad_members_and_ids_are_refused, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(corrupt_truncated_or_foreign_files_are_reported_not_resumed, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_kill_between_write_and_rename_leaves_the_old_checkpoint_whole, setup, kbj_test_engine_teardown),
        cmocka_unit_test(cadence_is_every_60_seconds_or_2000_items_whichever_first),
        cmocka_unit_test_setup_teardown(a_stopped_job_resumes_from_its_checkpoint_which_is_deleted_on_success, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(checkpoints_are_kept_when_a_job_fails_or_is_cancelled, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(stale_checkpoints_go_after_seven_days_unless_their_job_is_active, setup, kbj_test_engine_teardown),
    };
    return cmocka_run_group_tests_name("checkpoint", tests, NULL, NULL);
}
