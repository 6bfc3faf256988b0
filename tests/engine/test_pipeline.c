/* The fetcher's stream and the import's streaming pipeline against the fixture site
 * (KBJOBS_FIXTURE_URL): a slow page does not hold back the pages behind it (counted: the
 * transfers in flight stay at the limit while it is pending, and the whole window is
 * fetched before its chunk is handed out); chunks come out in list order whatever order
 * their pages end in; a list that cannot be read fails at its chunk, after the chunks
 * before it; a stop cancels every transfer at once; per-host limits from host_limits,
 * and a 429 that slows down its own host only. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "fetch.h"
#include "kaserver.h"
#include "pipeline.h"
#include "testutil.h"

static char base[256];

static int fixture_setup(void **state)
{
    (void)state;
    const char *u = kbj_test_env("KBJOBS_FIXTURE_URL");
    snprintf(base, sizeof base, "%s", u);
    return 0;
}

static kbj_fetch_config config(unsigned total, unsigned per_host)
{
    kbj_fetch_config c;
    memset(&c, 0, sizeof c);
    c.allow = "127.0.0.1, ::1";
    c.max_total = total;
    c.max_per_host = per_host;
    c.retries = KBJ_FETCH_NO_RETRY;
    c.retry_base_ms = 20;
    return c;
}

/* ---- the pipeline over a list in memory -------------------------------------------- */

typedef struct list {
    char **urls;
    size_t n;
    unsigned long long fail_at; /* a read of a chunk starting here fails (0: never) */
    int stop;                   /* should_stop's answer */
} list;

static int read_list(void *arg, unsigned long long first, size_t n, char **urls, kbj_err *err)
{
    list *l = arg;
    if (l->fail_at && first == l->fail_at) {
        snprintf(err->msg, sizeof err->msg, "the list is damaged at entry %llu", first);
        return KBJ_ECORRUPT;
    }
    for (size_t i = 0; i < n && first + i < l->n; i++)
        urls[i] = strdup(l->urls[first + i]);
    return KBJ_OK;
}

static int stop_flag(void *arg)
{
    return ((list *)arg)->stop;
}

static list make_list(size_t n, const char *slow_path, size_t slow_at)
{
    list l = { calloc(n, sizeof(char *)), n, 0, 0 };
    for (size_t i = 0; i < n; i++) {
        char u[512];
        if (slow_path && i == slow_at)
            snprintf(u, sizeof u, "%s%s", base, slow_path);
        else
            snprintf(u, sizeof u, "%s/page/%zu", base, i + 1);
        l.urls[i] = strdup(u);
    }
    return l;
}

static void free_list(list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->urls[i]);
    free(l->urls);
}

static kbj_pipeline *start(list *l, const kbj_fetch_config *fc, size_t chunk, unsigned ahead)
{
    kbj_pipe_config pc;
    kbj_err err = { "" };
    kbj_pipeline *p;
    memset(&pc, 0, sizeof pc);
    pc.fetch = fc;
    pc.first = 0;
    pc.end = l->n;
    pc.chunk = chunk;
    pc.ahead = ahead;
    pc.read = read_list;
    pc.read_arg = l;
    pc.should_stop = stop_flag;
    pc.stop_arg = l;
    p = kbj_pipeline_start(&pc, &err);
    if (!p)
        fail_msg("kbj_pipeline_start: %s", err.msg);
    return p;
}

/* A page held until the test releases it (not a set delay: a loaded CI machine once
 * took longer than 6 s for the other pages), by the test's own server (a php -S worker
 * would serve the pages it accepted with the held one only after it), first in a list of
 * 30 with chunks of 5 and two chunks ahead: while it is pending the other 14 pages of the
 * window are all fetched, three at a time (the limit), before the first chunk can be
 * handed out; the transfers in flight never drop below the limit while pages of the
 * window wait, and nothing past the window is asked for. */
static void a_slow_page_does_not_hold_back_the_pages_behind_it(void **state)
{
    (void)state;
    kbj_kaserver *held = kbj_kaserver_start();
    assert_non_null(held);
    list l = make_list(30, NULL, 0);
    kbj_fetch_config fc = config(3, 3);
    kbj_pipeline *p;
    free(l.urls[0]);
    l.urls[0] = malloc(512);
    snprintf(l.urls[0], 512, "%s/hold/1", kbj_kaserver_url(held));
    for (size_t i = 1; i < l.n; i++) { /* 100 ms each: long enough to be sampled */
        free(l.urls[i]);
        l.urls[i] = malloc(512);
        snprintf(l.urls[i], 512, "%s/slow-headers?ms=100&n=%zu", base, i);
    }
    p = start(&l, &fc, 5, 2);
    kbj_pipe_stats st;
    kbj_pipe_chunk *c = NULL;
    kbj_err err = { "" };
    unsigned samples = 0, below = 0;

    /* Sample while the slow page is pending: until 14 pages are fetched, every sample
     * that sees work waiting must see three transfers in flight. */
    for (;;) {
        kbj_pipeline_stats(p, &st);
        if (st.fetched >= 14)
            break;
        if (st.queued > 0) {
            samples++;
            below += st.in_flight < 3;
        }
        kbj_test_msleep(5);
    }
    assert_int_equal(st.fetched, 14); /* the window: chunks 0 to 2, less the slow page */
    print_message("in-flight samples while pages waited: %u, below the limit: %u\n", samples, below);
    /* A sample may fall between a transfer's end and the next start (the fetch thread
     * refills after each poll); never most of them. */
    assert_true(below * 10 <= samples);
    assert_true(samples > 0);
    kbj_test_msleep(300); /* time for a page past the window, were one asked for */
    kbj_pipeline_stats(p, &st);
    assert_int_equal(st.fetched, 14);
    assert_int_equal(st.in_flight, 1); /* only the slow page: the window is full */
    assert_int_equal(kbj_kaserver_count(held, "=page"), 0);
    kbj_kaserver_release(held);

    /* The chunks in order, each whole. */
    for (unsigned long long first = 0; first < 30; first += 5) {
        assert_int_equal(kbj_pipeline_next(p, &c, NULL, NULL, &err), KBJ_OK);
        assert_non_null(c);
        assert_int_equal(c->first, first);
        assert_int_equal(c->n, 5);
        for (size_t i = 0; i < c->n; i++) {
            kbj_pipe_item *it = &c->items[i];
            if (it->res.outcome != KBJ_FETCH_OK || !it->has_doc)
                fail_msg("item %llu: outcome %d, %s", first + i, it->res.outcome, it->err_msg ? it->err_msg : "");
            assert_string_equal(it->url, l.urls[first + i]);
            assert_null(it->res.body); /* freed once normalised */
            assert_non_null(it->doc.title);
            assert_true(it->fetched_at > 0);
        }
        kbj_pipeline_done(p, c);
    }
    assert_int_equal(kbj_pipeline_next(p, &c, NULL, NULL, &err), KBJ_OK);
    assert_null(c);
    kbj_pipeline_stop(p);
    free_list(&l);
    kbj_kaserver_stop(held);
}

/* Failed pages are items with a kind and a reason; an empty page fails too. */
static void failed_pages_are_items_with_their_reason(void **state)
{
    (void)state;
    list l = make_list(4, NULL, 0);
    kbj_fetch_config fc = config(4, 4);
    kbj_pipeline *p;
    kbj_pipe_chunk *c = NULL;
    kbj_err err = { "" };
    free(l.urls[1]);
    free(l.urls[2]);
    l.urls[1] = malloc(512);
    l.urls[2] = malloc(512);
    snprintf(l.urls[1], 512, "%s/status/404", base);
    snprintf(l.urls[2], 512, "%s/empty", base);
    p = start(&l, &fc, 4, 0);
    assert_int_equal(kbj_pipeline_next(p, &c, NULL, NULL, &err), KBJ_OK);
    assert_true(c->items[0].has_doc);
    assert_false(c->items[1].has_doc);
    assert_string_equal(c->items[1].err_kind, "permanent");
    assert_string_equal(c->items[1].err_msg, "HTTP 404");
    assert_false(c->items[2].has_doc);
    assert_string_equal(c->items[2].err_msg, "empty page");
    assert_true(c->items[3].has_doc);
    kbj_pipeline_done(p, c);
    kbj_pipeline_stop(p);
    free_list(&l);
}

/* A list that cannot be read from entry 10 on: chunks 0 and 1 come out, then the error. */
static void an_unreadable_list_fails_at_its_chunk(void **state)
{
    (void)state;
    list l = make_list(20, NULL, 0);
    kbj_fetch_config fc = config(4, 4);
    kbj_pipeline *p;
    kbj_pipe_chunk *c = NULL;
    kbj_err err = { "" };
    l.fail_at = 10;
    p = start(&l, &fc, 5, 2);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(kbj_pipeline_next(p, &c, NULL, NULL, &err), KBJ_OK);
        assert_int_equal(c->first, (unsigned long long)i * 5);
        kbj_pipeline_done(p, c);
    }
    assert_int_equal(kbj_pipeline_next(p, &c, NULL, NULL, &err), KBJ_ECORRUPT);
    assert_null(c);
    assert_non_null(strstr(err.msg, "damaged at entry 10"));
    kbj_pipeline_stop(p);
    free_list(&l);
}

/* A server that accepts connections (the kernel does, into the backlog) and never
 * answers: transfers to it wait until they are cancelled, holding no fixture worker. */
static int black_hole(int *port)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 64) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        fail_msg("black hole: %s", strerror(errno));
    *port = ntohs(a.sin_port);
    return fd;
}

/* should_stop cancels every transfer at once: pages that never come end within a second,
 * and kbj_pipeline_next says so. */
static void a_stop_cancels_every_transfer_at_once(void **state)
{
    (void)state;
    list l = make_list(12, NULL, 0);
    kbj_fetch_config fc = config(8, 8);
    kbj_pipeline *p;
    kbj_pipe_chunk *c = NULL;
    kbj_pipe_stats st;
    kbj_err err = { "" };
    double t0;
    int hole_port = 0, hole = black_hole(&hole_port);
    for (size_t i = 0; i < l.n; i++) {
        free(l.urls[i]);
        l.urls[i] = malloc(512);
        snprintf(l.urls[i], 512, "http://127.0.0.1:%d/never?n=%zu", hole_port, i);
    }
    p = start(&l, &fc, 4, 2);
    do {
        kbj_test_msleep(20);
        kbj_pipeline_stats(p, &st);
    } while (st.in_flight < 8);
    t0 = kbj_test_now();
    l.stop = 1;
    assert_int_equal(kbj_pipeline_next(p, &c, NULL, NULL, &err), KBJ_ESTOPPED);
    kbj_pipeline_stop(p);
    assert_true(kbj_test_now() - t0 < 1.0);
    close(hole);
    free_list(&l);
}

/* ---- the fetcher's stream and its hosts -------------------------------------------- */

/* host_limits: a rule for host:port beats one for the host; malformed rules are refused. */
static void host_limits_pick_the_most_specific_rule(void **state)
{
    (void)state;
    kbj_fetch_config fc = config(16, 6);
    kbj_err err = { "" };
    unsigned lim, cur;
    double paused;
    int ver;
    fc.host_limits = "example.com:8443=16, example.com=2, Docs.Example.org=9";
    kbj_fetcher *f = kbj_fetcher_new(&fc, &err);
    assert_non_null(f);
    assert_int_equal(kbj_fetch_host_state(f, "https://example.com/x", &lim, &cur, &paused, &ver), 0);
    assert_int_equal(lim, 2);
    kbj_fetch_host_state(f, "https://example.com:8443/x", &lim, &cur, &paused, &ver);
    assert_int_equal(lim, 16);
    kbj_fetch_host_state(f, "http://docs.example.org/", &lim, &cur, &paused, &ver);
    assert_int_equal(lim, 9);
    kbj_fetch_host_state(f, "http://other.example.net/", &lim, &cur, &paused, &ver);
    assert_int_equal(lim, 6);
    kbj_fetcher_free(f);

    static const char *bad[] = { "example.com", "example.com=0", "example.com=101", "=3", "ex ample.com=2",
                                 "example.com=2x" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        fc.host_limits = bad[i];
        f = kbj_fetcher_new(&fc, &err);
        if (f)
            fail_msg("host_limits \"%s\" was accepted", bad[i]);
        assert_non_null(strstr(err.msg, "host_limits"));
    }
}

/* A host answering 429 with Retry-After has its limit halved and is paused; another host
 * keeps its limit and goes on; the throttled pages end OK without spending a retry. */
static void a_429_slows_down_only_its_host(void **state)
{
    (void)state;
    kbj_fetch_config fc = config(8, 4);
    kbj_fetcher *f;
    const char *port = strrchr(base, ':') + 1;
    char a[8][512], b[8][512];
    unsigned lim, cur, seen_cut = 0;
    double paused;
    int ver, ok = 0;
    char run[32];
    /* A's first four requests go out together and are answered 429 at the old pace: they
     * cost no retry. Its later pages meet a host already at one at a time: each 429 of
     * theirs spends one of the two retries. */
    fc.retries = 2;
    f = kbj_fetcher_new(&fc, NULL);
    snprintf(run, sizeof run, "%ld", (long)(kbj_test_now() * 1000));
    for (int i = 0; i < 8; i++) {
        /* host A: 127.0.0.1, each page a 429 (Retry-After 1) once; host B: localhost */
        snprintf(a[i], sizeof a[i], "%s/flaky?key=t429-%s-%d&fail=1&code=429&retry_after=1&page=%d", base, run, i,
                 i + 1);
        snprintf(b[i], sizeof b[i], "http://localhost:%s/slow-headers?ms=200&n=%d", port, i);
        assert_int_equal(kbj_fetch_add(f, a[i], (void *)(uintptr_t)i), KBJ_OK);
        assert_int_equal(kbj_fetch_add(f, b[i], (void *)(uintptr_t)(100 + i)), KBJ_OK);
    }
    while (ok < 16) {
        kbj_fetch_result r;
        void *tag;
        assert_int_equal(kbj_fetch_work(f, 50), KBJ_OK);
        if (kbj_fetch_host_state(f, a[0], &lim, &cur, &paused, &ver) && cur < lim) {
            seen_cut = 1;
            assert_int_equal(lim, 4);
            unsigned blim, bcur;
            double bpaused;
            if (kbj_fetch_host_state(f, b[0], &blim, &bcur, &bpaused, &ver)) {
                assert_int_equal(bcur, 4); /* the other host is not slowed down */
                assert_true(bpaused == 0);
            }
        }
        while (kbj_fetch_take(f, &r, &tag)) {
            uintptr_t t = (uintptr_t)tag;
            if (r.outcome != KBJ_FETCH_OK)
                fail_msg("%s: outcome %d (%s)", t < 100 ? a[t] : b[t - 100], r.outcome, r.error ? r.error : "");
            if (t < 100 && r.tries < 2) /* A: a 429 first, always */
                fail_msg("%s: %u tries, status %d", a[t], r.tries, r.http_status);
            kbj_fetch_result_clear(&r);
            ok++;
        }
    }
    assert_true(seen_cut);
    kbj_fetcher_free(f);
}

/* kbj_fetch_many refuses a fetcher in the middle of a stream; a stream cancelled gives
 * every item back as cancelled. */
static void a_cancelled_stream_gives_every_item_back(void **state)
{
    (void)state;
    kbj_fetch_config fc = config(2, 2);
    kbj_fetcher *f = kbj_fetcher_new(&fc, NULL);
    char u[5][512];
    kbj_fetch_result r;
    const char *one[1];
    size_t n = 0, inflight, waiting, done;
    int hole_port = 0, hole = black_hole(&hole_port);
    for (int i = 0; i < 5; i++) {
        snprintf(u[i], sizeof u[i], "http://127.0.0.1:%d/never?n=%d", hole_port, i);
        assert_int_equal(kbj_fetch_add(f, u[i], NULL), KBJ_OK);
    }
    assert_int_equal(kbj_fetch_work(f, 10), KBJ_OK);
    kbj_fetch_counts(f, &inflight, &waiting, &done);
    assert_int_equal(inflight, 2);
    assert_int_equal(waiting, 3);
    one[0] = u[0];
    assert_int_equal(kbj_fetch_many(f, one, 1, &r, NULL, NULL), KBJ_EINVAL);
    kbj_fetch_cancel(f);
    while (kbj_fetch_take(f, &r, NULL)) {
        assert_int_equal(r.outcome, KBJ_FETCH_CANCELLED);
        kbj_fetch_result_clear(&r);
        n++;
    }
    assert_int_equal(n, 5);
    kbj_fetcher_free(f);
    close(hole);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_slow_page_does_not_hold_back_the_pages_behind_it),
        cmocka_unit_test(failed_pages_are_items_with_their_reason),
        cmocka_unit_test(an_unreadable_list_fails_at_its_chunk),
        cmocka_unit_test(a_stop_cancels_every_transfer_at_once),
        cmocka_unit_test(host_limits_pick_the_most_specific_rule),
        cmocka_unit_test(a_429_slows_down_only_its_host),
        cmocka_unit_test(a_cancelled_stream_gives_every_item_back),
    };
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = cmocka_run_group_tests(tests, fixture_setup, NULL);
    curl_global_cleanup();
    return rc;
}
