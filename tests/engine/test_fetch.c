/* The fetcher against the fixture site (tests/fixtures/site/router.php, started by
 * tools/fixtures.sh; its base URL comes from KBJOBS_FIXTURE_URL): ordinary pages within
 * connection limits, redirects, statuses and retries with backoff and Retry-After, slow
 * and oversized bodies, gzip bombs, content types, refused addresses (literal, spelled
 * oddly, or reached by a redirect), credentials kept out of results, cancellation, and
 * proxy variables ignored. Kept connections are tested against the keep-alive server of
 * kaserver.c (php -S closes every connection): a length lie or a malformed reply must
 * not break the next request on the same connection. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "fetch.h"
#include "kaserver.h"

static char base[256];  /* "http://127.0.0.1:PORT" */
static char port[16];

static int fixture_setup(void **state)
{
    (void)state;
    const char *u = getenv("KBJOBS_FIXTURE_URL");
    if (!u || strncmp(u, "http://127.0.0.1:", 17) != 0 || strlen(u) >= sizeof base) {
        fprintf(stderr, "test_fetch: KBJOBS_FIXTURE_URL is %s%s%s; start the fixture site with\n"
                        "  export KBJOBS_FIXTURE_URL=$(tools/fixtures.sh start)\n",
                u ? "\"" : "not set", u ? u : "", u ? "\" (want http://127.0.0.1:PORT)" : "");
        return -1;
    }
    snprintf(base, sizeof base, "%s", u);
    size_t l = strlen(base);
    if (base[l - 1] == '/')
        base[l - 1] = '\0';
    l = strspn(base + 17, "0123456789");
    if (l == 0 || l >= sizeof port || base[17 + l] != '\0') {
        fprintf(stderr, "test_fetch: KBJOBS_FIXTURE_URL \"%s\" is not http://127.0.0.1:PORT\n", u);
        return -1;
    }
    memcpy(port, base + 17, l);
    port[l] = '\0';
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* base + path, in one of 16 rotating static buffers. */
static const char *U(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
static const char *U(const char *fmt, ...)
{
    static char bufs[16][1024];
    static int next;
    char *b = bufs[next++ % 16];
    int n = snprintf(b, 1024, "%s", base);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b + n, 1024 - (size_t)n, fmt, ap);
    va_end(ap);
    return b;
}

/* The settings most tests use: the fixture allowed, no retries, short timeouts. */
static kbj_fetch_config cfg_default(void)
{
    kbj_fetch_config c;
    memset(&c, 0, sizeof c);
    c.allow = "127.0.0.1";
    c.retries = KBJ_FETCH_NO_RETRY;
    c.retry_base_ms = 20;
    c.timeout_ms = 10000;
    c.connect_timeout_ms = 3000;
    return c;
}

static kbj_fetcher *fetcher(const kbj_fetch_config *c)
{
    kbj_err err = { "" };
    kbj_fetcher *f = kbj_fetcher_new(c, &err);
    if (!f)
        fail_msg("kbj_fetcher_new: %s", err.msg);
    return f;
}

/* Fetches one URL with settings `c` into *r. */
static void fetch1(const kbj_fetch_config *c, const char *url, kbj_fetch_result *r)
{
    kbj_fetcher *f = fetcher(c);
    const char *urls[1] = { url };
    int rc = kbj_fetch_many(f, urls, 1, r, NULL, NULL);
    if (rc != KBJ_OK)
        fail_msg("kbj_fetch_many: %d %s", rc, kbj_fetcher_errmsg(f));
    kbj_fetcher_free(f);
}

static const char *S(const char *s)
{
    return s ? s : "(null)";
}

static void expect(const kbj_fetch_result *r, const char *url, kbj_fetch_outcome o, const char *error_part)
{
    if (r->outcome != o)
        fail_msg("%s: outcome %d, expected %d (error %s, status %d)", url, r->outcome, o, S(r->error),
                 r->http_status);
    if (o == KBJ_FETCH_OK) {
        if (r->error || !r->body)
            fail_msg("%s: OK with error %s / body %p", url, S(r->error), (void *)r->body);
        assert_int_equal(r->body[r->body_len], '\0');
    } else {
        assert_null(r->body);
        if (!r->error || (error_part && !strstr(r->error, error_part)))
            fail_msg("%s: error \"%s\" lacks \"%s\"", url, S(r->error), error_part);
    }
}

/* ---- ordinary pages ------------------------------------------------------------ */

static void many_pages_within_low_limits(void **state)
{
    (void)state;
    enum { N = 30 };
    kbj_fetch_config c = cfg_default();
    c.max_total = 3;
    c.max_per_host = 2;
    const char *urls[N];
    kbj_fetch_result r[N];
    char marker[64];
    kbj_fetcher *f = fetcher(&c);
    for (int i = 0; i < N; i++)
        urls[i] = strdup(U("/page/%d", i + 1));
    assert_int_equal(kbj_fetch_many(f, urls, N, r, NULL, NULL), KBJ_OK);
    for (int i = 0; i < N; i++) {
        expect(&r[i], urls[i], KBJ_FETCH_OK, NULL);
        snprintf(marker, sizeof marker, "kbjobs-fixture-page-%d-end", i + 1);
        assert_non_null(strstr(r[i].body, marker));
        assert_int_equal(strlen(r[i].body), r[i].body_len);
        assert_int_equal(r[i].http_status, 200);
        assert_string_equal(r[i].content_type, "text/html; charset=utf-8");
        assert_string_equal(r[i].final_url, urls[i]);
        assert_int_equal(r[i].tries, 1);
        kbj_fetch_result_clear(&r[i]);
    }
    /* The same fetcher again (its multi handle and caches are kept). */
    assert_int_equal(kbj_fetch_many(f, urls, 5, r, NULL, NULL), KBJ_OK);
    for (int i = 0; i < 5; i++) {
        expect(&r[i], urls[i], KBJ_FETCH_OK, NULL);
        kbj_fetch_result_clear(&r[i]);
    }
    kbj_fetcher_free(f);
    for (int i = 0; i < N; i++)
        free((char *)urls[i]);
}

/* Six pages that each take 300 ms, two at a time: three waves. */
static void per_host_limit_is_respected(void **state)
{
    (void)state;
    enum { N = 6 };
    kbj_fetch_config c = cfg_default();
    c.max_per_host = 2;
    const char *urls[N];
    kbj_fetch_result r[N];
    for (int i = 0; i < N; i++)
        urls[i] = U("/page/%d?sleep_ms=300", i + 1);
    kbj_fetcher *f = fetcher(&c);
    double t0 = now_s();
    assert_int_equal(kbj_fetch_many(f, urls, N, r, NULL, NULL), KBJ_OK);
    double took = now_s() - t0;
    for (int i = 0; i < N; i++) {
        expect(&r[i], urls[i], KBJ_FETCH_OK, NULL);
        kbj_fetch_result_clear(&r[i]);
    }
    kbj_fetcher_free(f);
    if (took < 0.85 || took > 3.0)
        fail_msg("6 x 300 ms, 2 at a time, took %.2f s", took);
}

static void user_agent_is_sent(void **state)
{
    (void)state;
    kbj_fetch_config c = cfg_default();
    kbj_fetch_result r;
    fetch1(&c, U("/echo-headers"), &r);
    expect(&r, "/echo-headers", KBJ_FETCH_OK, NULL);
    assert_non_null(strstr(r.body, "\"User-Agent\": \"kbjobs/" KBJ_VERSION " (+knowledge-base importer)\""));
    assert_non_null(strstr(r.body, "gzip"));      /* Accept-Encoding */
    assert_non_null(strstr(r.body, "text/html")); /* Accept */
    kbj_fetch_result_clear(&r);
    c.user_agent = "custom-agent/1";
    fetch1(&c, U("/echo-headers"), &r);
    assert_non_null(strstr(r.body, "\"User-Agent\": \"custom-agent/1\""));
    kbj_fetch_result_clear(&r);
}

/* ---- redirects ----------------------------------------------------------------- */

static void redirects_within_the_limit_are_followed(void **state)
{
    (void)state;
    kbj_fetch_config c = cfg_default();
    kbj_fetch_result r;
    fetch1(&c, U("/redirect/5?to=/page/7"), &r);
    expect(&r, "/redirect/5", KBJ_FETCH_OK, NULL);
    assert_string_equal(r.final_url, U("/page/7"));
    assert_non_null(strstr(r.body, "kbjobs-fixture-page-7-end"));
    assert_int_equal(r.http_status, 200);
    kbj_fetch_result_clear(&r);
}

static void too_many_redirects_are_permanent(void **state)
{
    (void)state;
    kbj_fetch_config c = cfg_default();
    c.retries = 2;
    const char *urls[2] = { U("/loop"), U("/redirect/6?to=/page/1") };
    kbj_fetch_result r[2];
    kbj_fetcher *f = fetcher(&c);
    assert_int_equal(kbj_fetch_many(f, urls, 2, r, NULL, NULL), KBJ_OK);
    for (int i = 0; i < 2; i++) {
        expect(&r[i], urls[i], KBJ_FETCH_PERMANENT, "too many redirects");
        assert_int_equal(r[i].tries, 1);
        kbj_fetch_result_clear(&r[i]);
    }
    kbj_fetcher_free(f);
}

/* ---- statuses and retries ------------------------------------------------------ */

static void not_found_is_permanent_and_not_retried(void **state)
{
    (void)state;
    kbj_fetch_config c = cfg_default();
    c.retries = 3;
    kbj_fetch_result r;
    fetch1(&c, U("/status/404"), &r);
    expect(&r, "/status/404", KBJ_FETCH_PERMANENT, NULL);
    assert_string_equal(r.error, "HTTP 404");
    assert_int_equal(r.http_status, 404);
    assert_int_equal(r.tries, 1);
    kbj_fetch_result_clear(&r);
    fetch1(&c, U("/status/404?empty=1"), &r); /* no body: decided at the end */
    expect(&r, "/status/404?empty=1", KBJ_FETCH_PERMANENT, "HTTP 404");
    kbj_fetch_result_clear(&r);
}

static void server_errors_are_retried(void **state)
{
    (void)state;
    kbj_fetch_config c = cfg_default();
    c.retries = 2;
    kbj_fetch_result r;
    fetch1(&c, U("/status/500"), &r);
    expect(&r, "/status/500", KBJ_FETCH_TRANSIENT, NULL);
    assert_string_equal(r.error, "HTTP 500");
    assert_int_equal(r.tries, 3);
    assert_int_equal(r.http_status, 500);
    /* Backoff 20 ms then 40 ms, plus up to half again. */
    assert_true(r.elapsed >= 0.055);
    kbj_fetch_result_clear(&r);
}

static void flaky_page_succeeds_after_retries(void **state)
{
    (void)state;
    char key[64];
    kbj_fetch_config c = cfg_default();
    c.retries = 2;
    kbj_fetch_result r;
    snprintf(key, sizeof key, "flaky-%ld-%ld", (long)getpid(), (long)time(NULL));
    const char *url = U("/flaky?key=%s&fail=2&code=503&page=5", key);
    fetch1(&c, url, &r);
    expect(&r, url, KBJ_FETCH_OK, NULL);
    assert_int_equal(r.tries, 3);
    assert_non_null(strstr(r.body, "kbjobs-fixture-page-5-end"));
    kbj_fetch_result_clear(&r);
    fetch1(&c, U("/flaky-reset?key=%s", key), &r);
    kbj_fetch_result_clear(&r);
}

static void retry_after_is_honoured(void **state)
{
    (void)state;
    char key[64];
    kbj_fetch_config c = cfg_default();
    c.retries = 1;
    c.retry_base_ms = 10;
    /* one at a time: a 429 cannot slow the host down further, so it spends a retry (see
     * test_pipeline.c for the waits a 429 costs nothing) */
    c.max_per_host = 1;
    snprintf(key, sizeof key, "ra-%ld-%ld", (long)getpid(), (long)time(NULL));
    const char *urls[2] = { U("/flaky?key=%s&fail=1&code=429&retry_after=1", key),
                            U("/status/429?retry_after=1") };
    kbj_fetch_result r[2];
    kbj_fetcher *f = fetcher(&c);
    assert_int_equal(kbj_fetch_many(f, urls, 2, r, NULL, NULL), KBJ_OK);
    expect(&r[0], urls[0], KBJ_FETCH_OK, NULL);
    assert_int_equal(r[0].tries, 2);
    if (r[0].elapsed < 1.0 || r[0].elapsed > 3.0)
        fail_msg("Retry-After 1 then success took %.3f s", r[0].elapsed);
    expect(&r[1], urls[1], KBJ_FETCH_TRANSIENT, "HTTP 429");
    assert_int_equal(r[1].tries, 2);
    assert_true(r[1].elapsed >= 1.0);
    assert_true(r[1].retry_after == 1.0);
    for (int i = 0; i < 2; i++)
        kbj_fetch_result_clear(&r[i]);
    kbj_fetcher_free(f);
    fetch1(&c, U("/flaky-reset?key=%s", key), &r[0]);
    kbj_fetch_result_clear(&r[0]);
}

static void retry_after_beyond_the_maximum_gives_up(void **state)
{
    (void)state;
    kbj_fetch_config c = cfg_default();
    c.retries = 3;
    c.retry_after_max_ms = 2000;
    const char *urls[2] = { U("/status/429?retry_after=60"), U("/status/503?retry_after_date=120") };
    kbj_fetch_result r[2];
    kbj_fetcher *f = fetcher(&c);
    assert_int_equal(kbj_fetch_many(f, urls, 2, r, NULL, NULL), KBJ_OK);
    expect(&r[0], urls[0], KBJ_FETCH_TRANSIENT, "HTTP 429");
    assert_non_null(strstr(r[0].error, "Retry-After"));
    assert_int_equal(r[0].tries, 1);
    assert_true(r[0].retry_after == 60.0);
    assert_true(r[0].elapsed < 1.0);
    expect(&r[1], urls[1], KBJ_FETCH_TRANSIENT, "HTTP 503");
    assert_int_equal(r[1].tries, 1);
    if (r[1].retry_after < 115 || r[1].retry_after > 121)
        fail_msg("Retry-After as a date: %.1f s", r[1].retry_after);
    for (int i = 0; i < 2; i++)
        kbj_fetch_result_clear(&r[i]);
    kbj_fetcher_free(f);
}

/* A retry waits in the fetcher's own schedule: the other pages finish meanwhile. */
static void retries_do_not_block_other_transfers(void **state)
{
    (void)state;
    kbj_fetch_config c = cfg_default();
    c.retries = 2;
    c.retry_base_ms = 400;
    c.max_total = 2;
    const char *urls[5] = { U("/status/502"), U("/page/1"), U("/page/2"), U("/page/3"), U("/page/4") };
    kbj_fetch_result r[5];
    kbj_fetcher *f = fetcher(&c);
    assert_int_equal(kbj_fetch_many(f, urls, 5, r, NULL, NULL), KBJ_OK);
    expect(&r[0], urls[0], KBJ_FETCH_TRANSIENT, "HTTP 502");
    assert_int_equal(r[0].tries, 3);
    assert_true(r[0].elapsed >= 1.2); /* 400 + 800 ms at least */
    /* the pages are done before the 502's first backoff (400 ms at least) is over: a
     * backoff that held up the fetcher would have held them up too */
    for (int i = 1; i < 5; i++) {
        expect(&r[i], urls[i], KBJ_FETCH_OK, NULL);
        if (r[i].elapsed >= 0.4)
            fail_msg("%s took %.3f s behind a retry", urls[i], r[i].elapsed);
    }
    for (int i = 0; i < 5; i++)
        kbj_fetch_result_clear(&r[i]);
    kbj_fetcher_free(f);
}

static void connection_refused_is_transient(void **state)
{
    (void)state;
    kbj_fetch_config c = cfg_default();
    c.retries = 1;
    kbj_fetch_result r;
    fetch1(&c, "http://127.0.0.1:1/", &r);
    expect(&r, "127.0.0.1:1", KBJ_FETCH_TRANSIENT, "could not connect");
    assert_int_equal(r.tries, 2);
    assert_int_equal(r.http_status, 0);
    kbj_fetch_result_clear(&r);
}

/* A listener that never accepts, with its accept queue filled: Linux then drops new
 * SYNs, so a connection attempt hangs until the connect timeout. */
/* One try at a connect that hangs: a listener whose accept queue is full (never
 * accepted) drops SYNs. Returns 1 when the fetch ended in the connect timeout, 0 when the
 * kernel let the connection through after all (it does now and then, e.g. with SYN
 * cookies) and the fetch hit the total timeout instead. */
static int try_connect_timeout(void)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    int lfd = socket(AF_INET, SOCK_STREAM, 0), cfd[32], ncfd = 0, stalled = 0, hung;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(lfd, 0), 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &len), 0);
    while (stalled < 3 && ncfd < 32) {
        struct pollfd p;
        cfd[ncfd] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        connect(cfd[ncfd], (struct sockaddr *)&sa, sizeof sa);
        p.fd = cfd[ncfd++];
        p.events = POLLOUT;
        stalled = poll(&p, 1, 200) == 0 ? stalled + 1 : 0;
    }
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/", (unsigned)ntohs(sa.sin_port));
    kbj_fetch_config c = cfg_default();
    c.connect_timeout_ms = 300;
    c.timeout_ms = 1500;
    kbj_fetch_result r;
    fetch1(&c, url, &r);
    for (int i = 0; i < ncfd; i++)
        close(cfd[i]);
    close(lfd);
    hung = r.error && strstr(r.error, "connection timed out") != NULL;
    if (hung) {
        expect(&r, url, KBJ_FETCH_TRANSIENT, "connection timed out after 300 ms");
        if (r.elapsed < 0.29 || r.elapsed > 1.2)
            fail_msg("connect timeout after %.3f s", r.elapsed);
    } else {
        expect(&r, url, KBJ_FETCH_TRANSIENT, "timed out after 1500 ms");
    }
    kbj_fetch_result_clear(&r);
    return hung;
}

static void connect_timeout_is_transient(void **state)
{
    (void)state;
    for (int i = 0; i < 6; i++)
        if (try_connect_timeout())
            return;
    fail_msg("six connects in a row were let through: no connect timeout could be provoked");
}

/* ---- slow and large -------------------------------------------------------------- */

static void trickling_server_hits_the_low_speed_floor(void **state)
{
    (void)state;
    kbj_fetch_config c = cfg_default();
    c.low_speed_bytes = 512;
    c.low_speed_seconds = 2;
    kbj_fetch_result r;
    fetch1(&c, U("/trickle?bytes=100000&delay_ms=100&chunk=10"), &r);
    expect(&r, "/trickle", KBJ_FETCH_TRANSIENT, "slower than 512 bytes/s for 2 s");
    if (r.elapsed < 1.8 || r.elapsed > 5.0)
        fail_msg("low-speed abort after %.2f s", r.elapsed);
    kbj_fetch_result_clear(&r);
}

static void slow_headers_time_out(void **state)
{
    (void)state;
    kbj_fetch_config c = cfg_default();
    c.timeout_ms = 500;
    kbj_fetch_result r;
    fetch1(&c, U("/slow-headers?ms=1500"), &r);
    expect(&r, "/slow-headers", KBJ_FETCH_TRANSIENT, "timed out after 500 ms");
    assert_true(r.elapsed < 1.2);
    kbj_fetch_result_clear(&r);
}

static long max_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static void oversized_bodies_are_stopped_early(void **state)
{
    (void)state;
    kbj_fetch_config c = cfg_default();
    c.max_body = 1 << 20;
    c.retries = 2;
    const char *urls[3] = { U("/big?mb=300"), U("/big?mb=300&chunked=1"), U("/big?mb=300&length=1") };
    kbj_fetch_result r[3];
    long rss0 = max_rss_kb();
    kbj_fetcher *f = fetcher(&c);
    double t0 = now_s();
    assert_int_equal(kbj_fetch_many(f, urls, 3, r, NULL, NULL), KBJ_OK);
    double took = now_s() - t0;
    for (int i = 0; i < 3; i++) {
        expect(&r[i], urls[i], KBJ_FETCH_PERMANENT, "body larger than 1048576 bytes");
        assert_int_equal(r[i].tries, 1);
        assert_int_equal(r[i].http_status, 200);
        kbj_fetch_result_clear(&r[i]);
    }
    kbj_fetcher_free(f);
    if (took > 3.0)
        fail_msg("stopping 300 MiB bodies took %.2f s", took);
    /* Only the count on the wire can stop these: the decoded limit is far above. */
    c.max_decoded = 64 << 20;
    f = fetcher(&c);
    assert_int_equal(kbj_fetch_many(f, urls, 3, r, NULL, NULL), KBJ_OK);
    for (int i = 0; i < 3; i++) {
        expect(&r[i], urls[i], KBJ_FETCH_PERMANENT, "body larger than 1048576 bytes");
        kbj_fetch_result_clear(&r[i]);
    }
    kbj_fetcher_free(f);
    long grew = max_rss_kb() - rss0;
    if (grew > 64 * 1024)
        fail_msg("peak memory grew by %ld KiB", grew);
}

static void gzip_bomb_is_stopped_early(void **state)
{
    (void)state;
    kbj_fetch_config c = cfg_default();
    c.max_body = 4 << 20;
    c.max_decoded = 2 << 20;
    kbj_fetch_result r;
    long rss0 = max_rss_kb();
    fetch1(&c, U("/gzip-bomb"), &r);
    expect(&r, "/gzip-bomb", KBJ_FETCH_PERMANENT, "body larger than 2097152 bytes once decoded");
    assert_true(r.elapsed < 5.0); /* the first request also builds the bomb's cache file */
    kbj_fetch_result_clear(&r);
    long grew = max_rss_kb() - rss0;
    if (grew > 64 * 1024)
        fail_msg("peak memory grew by %ld KiB", grew);
    fetch1(&c, U("/gzip-bomb"), &r);
    expect(&r, "/gzip-bomb", KBJ_FETCH_PERMANENT, "once decoded");
    assert_true(r.elapsed < 1.0);
    kbj_fetch_result_clear(&r);
}

static void encoded_pages_are_decoded(void **state)
{
    (void)state;
    kbj_fetch_config c = cfg_default();
    const char *urls[3] = { U("/gzip"), U("/deflate"), U("/bad-encoding") };
    kbj_fetch_result r[3];
    kbj_fetcher *f = fetcher(&c);
    assert_int_equal(kbj_fetch_many(f, urls, 3, r, NULL, NULL), KBJ_OK);
    expect(&r[0], urls[0], KBJ_FETCH_OK, NULL);
    assert_non_null(strstr(r[0].body, "<title>Fixture page 2</title>"));
    expect(&r[1], urls[1], KBJ_FETCH_OK, NULL);
    assert_non_null(strstr(r[1].body, "<title>Fixture page 3</title>"));
    expect(&r[2], urls[2], KBJ_FETCH_PERMANENT, "bad content encoding");
    for (int i = 0; i < 3; i++)
        kbj_fetch_result_clear(&r[i]);
    kbj_fetcher_free(f);
}

/* ---- content types ------------------------------------------------------------- */

static void content_types(void **state)
{
    (void)state;
    kbj_fetch_config c = cfg_default();
    c.retries = 2;
    const char *urls[8] = { U("/image.png"), U("/plain.txt"), U("/xhtml"), U("/notype"),
                            U("/notype-binary"), U("/empty"), U("/charset/latin1"), U("/emptytype") };
    kbj_fetch_result r[8];
    kbj_fetcher *f = fetcher(&c);
    assert_int_equal(kbj_fetch_many(f, urls, 8, r, NULL, NULL), KBJ_OK);
    expect(&r[0], urls[0], KBJ_FETCH_PERMANENT, NULL);
    assert_string_equal(r[0].error, "content type image/png is not accepted");
    assert_string_equal(r[0].content_type, "image/png");
    assert_int_equal(r[0].tries, 1);
    expect(&r[1], urls[1], KBJ_FETCH_OK, NULL);
    assert_string_equal(r[1].content_type, "text/plain; charset=utf-8");
    assert_true(strncmp(r[1].body, "Plain text fixture\n", 19) == 0);
    expect(&r[2], urls[2], KBJ_FETCH_OK, NULL);
    expect(&r[3], urls[3], KBJ_FETCH_OK, NULL);
    assert_null(r[3].content_type);
    assert_non_null(strstr(r[3].body, "<title>Fixture page 4</title>"));
    expect(&r[4], urls[4], KBJ_FETCH_PERMANENT, "content without a type looks binary");
    expect(&r[5], urls[5], KBJ_FETCH_OK, NULL);
    assert_int_equal(r[5].body_len, 0);
    assert_string_equal(r[5].body, "");
    expect(&r[6], urls[6], KBJ_FETCH_OK, NULL); /* bytes kept as sent */
    assert_string_equal(r[6].content_type, "text/html; charset=ISO-8859-1");
    assert_non_null(strstr(r[6].body, "Caf\xE9"));
    expect(&r[7], urls[7], KBJ_FETCH_OK, NULL); /* "Content-Type:" empty: sniffed */
    assert_null(r[7].content_type);
    for (int i = 0; i < 8; i++)
        kbj_fetch_result_clear(&r[i]);
    kbj_fetcher_free(f);
}

/* ---- addresses and schemes ------------------------------------------------------- */

static void loopback_in_any_spelling_is_refused_without_allow_list(void **state)
{
    (void)state;
    kbj_fetch_config c = cfg_default();
    c.allow = NULL;
    c.retries = 2;
    char urls_buf[6][128];
    const char *urls[6];
    const char *hosts[6] = { "127.0.0.1", "0x7f000001", "2130706433", "[::ffff:127.0.0.1]", "localhost",
                             "127.1" };
    for (int i = 0; i < 6; i++) {
        snprintf(urls_buf[i], sizeof urls_buf[i], "http://%s:%s/page/1", hosts[i], port);
        urls[i] = urls_buf[i];
    }
    kbj_fetch_result r[6];
    kbj_fetcher *f = fetcher(&c);
    assert_int_equal(kbj_fetch_many(f, urls, 6, r, NULL, NULL), KBJ_OK);
    for (int i = 0; i < 6; i++) {
        expect(&r[i], urls[i], KBJ_FETCH_PERMANENT, "is not allowed");
        assert_int_equal(r[i].tries, 1);
        assert_int_equal(r[i].http_status, 0);
    }
    assert_string_equal(r[0].error, "address 127.0.0.1 is not allowed");
    assert_string_equal(r[1].error, "address 127.0.0.1 is not allowed");
    assert_string_equal(r[2].error, "address 127.0.0.1 is not allowed");
    assert_string_equal(r[3].error, "address ::ffff:127.0.0.1 is not allowed");
    for (int i = 0; i < 6; i++)
        kbj_fetch_result_clear(&r[i]);
    kbj_fetcher_free(f);
}

static void allow_list_covers_every_spelling(void **state)
{
    (void)state;
    kbj_fetch_config c = cfg_default();
    char a[128], b[128], d[128];
    snprintf(a, sizeof a, "http://0x7f000001:%s/page/1", port);
    snprintf(b, sizeof b, "http://[::ffff:127.0.0.1]:%s/page/2", port);
    snprintf(d, sizeof d, "http://2130706433:%s/page/3", port);
    const char *urls[3] = { a, b, d };
    kbj_fetch_result r[3];
    kbj_fetcher *f = fetcher(&c);
    assert_int_equal(kbj_fetch_many(f, urls, 3, r, NULL, NULL), KBJ_OK);
    for (int i = 0; i < 3; i++) {
        expect(&r[i], urls[i], KBJ_FETCH_OK, NULL);
        kbj_fetch_result_clear(&r[i]);
    }
    kbj_fetcher_free(f);
    /* A range works too, and a list that misses the address refuses it. */
    c.allow = "10.0.0.0/8, 127.0.0.0/30";
    fetch1(&c, U("/page/1"), &r[0]);
    expect(&r[0], "127.0.0.0/30", KBJ_FETCH_OK, NULL);
    kbj_fetch_result_clear(&r[0]);
    c.allow = "10.0.0.0/8, ::1, 127.0.0.2";
    fetch1(&c, U("/page/1"), &r[0]);
    expect(&r[0], "not in list", KBJ_FETCH_PERMANENT, "address 127.0.0.1 is not allowed");
    kbj_fetch_result_clear(&r[0]);
}

static void redirects_to_special_addresses_are_refused_on_the_hop(void **state)
{
    (void)state;
    kbj_fetch_config c = cfg_default();
    c.retries = 2;
    c.connect_timeout_ms = 10000;
    char v6[128], odd[128];
    snprintf(v6, sizeof v6, "/redirect-to?url=http://[::1]:%s/page/1", port);
    snprintf(odd, sizeof odd, "/redirect-to?url=http://0xa000001/");
    const char *urls[5] = { U("/redirect-to?url=http://10.0.0.1/"),
                            U("/redirect-to?url=http://169.254.169.254/latest/meta-data/"),
                            U("%s", v6), U("%s", odd),
                            U("/redirect/2?to=http://192.168.1.1:8080/admin") };
    const char *want[5] = { "address 10.0.0.1 is not allowed", "address 169.254.169.254 is not allowed",
                            "address ::1 is not allowed", "address 10.0.0.1 is not allowed",
                            "address 192.168.1.1 is not allowed" };
    kbj_fetch_result r[5];
    kbj_fetcher *f = fetcher(&c);
    double t0 = now_s();
    assert_int_equal(kbj_fetch_many(f, urls, 5, r, NULL, NULL), KBJ_OK);
    double took = now_s() - t0;
    for (int i = 0; i < 5; i++) {
        expect(&r[i], urls[i], KBJ_FETCH_PERMANENT, NULL);
        assert_string_equal(r[i].error, want[i]);
        assert_int_equal(r[i].tries, 1);
    }
    assert_string_equal(r[0].final_url, "http://10.0.0.1/");
    for (int i = 0; i < 5; i++)
        kbj_fetch_result_clear(&r[i]);
    kbj_fetcher_free(f);
    if (took > 1.0)
        fail_msg("refusing redirect hops took %.2f s", took);
}

static void other_schemes_are_refused(void **state)
{
    (void)state;
    kbj_fetch_config c = cfg_default();
    c.retries = 2;
    const char *urls[4] = { U("/redirect-to?url=file:///etc/passwd"), U("/redirect-to?url=ftp://127.0.0.1/"),
                            "file:///etc/passwd", "gopher://127.0.0.1/" };
    kbj_fetch_result r[4];
    kbj_fetcher *f = fetcher(&c);
    assert_int_equal(kbj_fetch_many(f, urls, 4, r, NULL, NULL), KBJ_OK);
    for (int i = 0; i < 4; i++) {
        expect(&r[i], urls[i], KBJ_FETCH_PERMANENT, "scheme is not http or https");
        assert_int_equal(r[i].tries, 1);
        kbj_fetch_result_clear(&r[i]);
    }
    kbj_fetcher_free(f);
}

static void no_credentials_in_results(void **state)
{
    (void)state;
    kbj_fetch_config c = cfg_default();
    char a[256], b[256], d[256];
    snprintf(a, sizeof a, "http://user:secret@127.0.0.1:%s/status/404", port);
    snprintf(b, sizeof b, "http://user:secret@127.0.0.1:%s/redirect-to?url=http://bob:secret2@10.0.0.1/",
             port);
    snprintf(d, sizeof d, "http://user:secret@10.0.0.1/x");
    const char *urls[3] = { a, b, d };
    kbj_fetch_result r[3];
    kbj_fetcher *f = fetcher(&c);
    assert_int_equal(kbj_fetch_many(f, urls, 3, r, NULL, NULL), KBJ_OK);
    expect(&r[0], a, KBJ_FETCH_PERMANENT, "HTTP 404");
    expect(&r[1], b, KBJ_FETCH_PERMANENT, "address 10.0.0.1 is not allowed");
    expect(&r[2], d, KBJ_FETCH_PERMANENT, "address 10.0.0.1 is not allowed");
    for (int i = 0; i < 3; i++) {
        if (strstr(S(r[i].error), "secret") || strstr(S(r[i].final_url), "secret"))
            fail_msg("credentials shown: error %s, final_url %s", S(r[i].error), S(r[i].final_url));
        assert_non_null(r[i].final_url);
        assert_non_null(strstr(r[i].final_url, "***@"));
        kbj_fetch_result_clear(&r[i]);
    }
    kbj_fetcher_free(f);
}

/* ---- proxies ------------------------------------------------------------------- */

static void proxy_environment_is_ignored(void **state)
{
    (void)state;
    static const char *const vars[] = { "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
                                        "all_proxy", "ALL_PROXY" };
    kbj_fetch_config c = cfg_default();
    kbj_fetch_result r;
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        setenv(vars[i], "http://127.0.0.1:1", 1);
    unsetenv("no_proxy");
    unsetenv("NO_PROXY");
    fetch1(&c, U("/page/1"), &r);
    expect(&r, "/page/1 with proxy variables", KBJ_FETCH_OK, NULL);
    kbj_fetch_result_clear(&r);
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
    /* A configured proxy is used (this one is dead). */
    c.proxy = "http://127.0.0.1:1";
    fetch1(&c, U("/page/1"), &r);
    expect(&r, "/page/1 through a dead proxy", KBJ_FETCH_TRANSIENT, "could not connect");
    kbj_fetch_result_clear(&r);
}

/* ---- kept connections ------------------------------------------------------------- */

static kbj_kaserver *ka_start(void)
{
    kbj_kaserver *s = kbj_kaserver_start();
    if (!s)
        fail_msg("the keep-alive server did not start");
    return s;
}

/* The keep-alive server's URL + path, in one of 16 rotating static buffers. */
static const char *KA(const kbj_kaserver *s, const char *path)
{
    static char bufs[16][256];
    static int next;
    char *b = bufs[next++ % 16];
    snprintf(b, 256, "%s%s", kbj_kaserver_url(s), path);
    return b;
}

static void expect_ka_page(const kbj_fetch_result *r, const char *url, int n)
{
    char marker[64];
    expect(r, url, KBJ_FETCH_OK, NULL);
    snprintf(marker, sizeof marker, "kaserver-page-%d-end", n);
    if (!strstr(r->body, marker))
        fail_msg("%s: body lacks %s: %.200s", url, marker, r->body);
}

/* Content-Length: 100, then the extra bytes 200 ms later: the response ends cleanly,
 * its connection is kept, and the next page (one connection per host) goes out on it
 * before the extra bytes come, which then read as a reply that is not HTTP. The page
 * is fetched again at once on a new connection, without using up a retry. */
static void length_lie_does_not_break_the_next_request_on_its_connection(void **state)
{
    (void)state;
    kbj_kaserver *s = ka_start();
    kbj_fetch_config c = cfg_default();
    c.max_per_host = 1;
    c.retry_base_ms = 5000; /* a backoff would show */
    const char *urls[3] = { KA(s, "/lie-length?gap_ms=200"), KA(s, "/page/1"), KA(s, "/page/2") };
    kbj_fetch_result r[3];
    kbj_fetcher *f = fetcher(&c);
    assert_int_equal(kbj_fetch_many(f, urls, 3, r, NULL, NULL), KBJ_OK);
    expect(&r[0], urls[0], KBJ_FETCH_OK, NULL);
    assert_int_equal(r[0].body_len, 100);
    expect_ka_page(&r[1], urls[1], 1);
    assert_int_equal(r[1].tries, 2);
    if (r[1].elapsed > 2.0)
        fail_msg("the page behind the lie took %.2f s", r[1].elapsed);
    expect_ka_page(&r[2], urls[2], 2);
    assert_int_equal(r[2].tries, 1);
    for (int i = 0; i < 3; i++)
        kbj_fetch_result_clear(&r[i]);
    kbj_fetcher_free(f);
    assert_true(kbj_kaserver_count(s, "/page/1") >= 1);
    assert_int_equal(kbj_kaserver_count(s, "/page/2"), 1);
    kbj_kaserver_stop(s);
}

/* The extra bytes are already waiting on the kept connection when the next fetch
 * wants it (the next kbj_fetch_many of the same fetcher, default limits): the
 * connection is refused before any request goes out on it, and the pages are fetched
 * on new ones. The lie in one write is caught by libcurl itself. */
static void connection_with_bytes_waiting_is_not_reused(void **state)
{
    (void)state;
    kbj_kaserver *s = ka_start();
    kbj_fetch_config c = cfg_default();
    const char *lies[2] = { "/lie-length?gap_ms=50", "/lie-length" };
    kbj_fetcher *f = fetcher(&c);
    for (int round = 0; round < 2; round++) {
        const char *lie = KA(s, lies[round]);
        const char *pages[3] = { KA(s, "/page/3"), KA(s, "/page/4"), KA(s, "/page/5") };
        kbj_fetch_result r[3];
        assert_int_equal(kbj_fetch_many(f, &lie, 1, r, NULL, NULL), KBJ_OK);
        expect(&r[0], lie, KBJ_FETCH_OK, NULL);
        assert_int_equal(r[0].body_len, 100);
        kbj_fetch_result_clear(&r[0]);
        struct timespec ts = { 0, 300 * 1000000L };
        nanosleep(&ts, NULL);
        assert_int_equal(kbj_fetch_many(f, pages, 3, r, NULL, NULL), KBJ_OK);
        unsigned tries = 0;
        for (int i = 0; i < 3; i++) {
            expect_ka_page(&r[i], pages[i], 3 + i);
            tries += r[i].tries;
            kbj_fetch_result_clear(&r[i]);
        }
        /* Round 0: one page was given the lie's connection, refused it and went on a
         * new one. Round 1: libcurl had closed that connection already. */
        assert_int_equal(tries, round == 0 ? 4 : 3);
    }
    kbj_fetcher_free(f);
    for (int i = 3; i <= 5; i++) {
        char path[32];
        snprintf(path, sizeof path, "/page/%d", i);
        assert_int_equal(kbj_kaserver_count(s, path), 2);
    }
    kbj_kaserver_stop(s);
}

/* With the default limits the lie and many pages of its host share connections. */
static void length_lie_among_many_pages_of_its_host(void **state)
{
    (void)state;
    enum { N = 12 };
    kbj_kaserver *s = ka_start();
    kbj_fetch_config c = cfg_default();
    const char *urls[N];
    kbj_fetch_result r[N];
    urls[0] = KA(s, "/lie-length?gap_ms=100");
    for (int i = 1; i < N; i++) {
        char path[32];
        snprintf(path, sizeof path, "/page/%d", i);
        urls[i] = strdup(KA(s, path));
    }
    kbj_fetcher *f = fetcher(&c);
    assert_int_equal(kbj_fetch_many(f, urls, N, r, NULL, NULL), KBJ_OK);
    expect(&r[0], urls[0], KBJ_FETCH_OK, NULL);
    for (int i = 1; i < N; i++)
        expect_ka_page(&r[i], urls[i], i);
    for (int i = 0; i < N; i++)
        kbj_fetch_result_clear(&r[i]);
    kbj_fetcher_free(f);
    assert_int_equal(kbj_kaserver_count(s, "=lie"), 1);
    assert_true(kbj_kaserver_count(s, "=page") >= N - 1);
    for (int i = 1; i < N; i++)
        free((char *)urls[i]);
    kbj_kaserver_stop(s);
}

/* A reply that is not HTTP, or whose status line is broken, on a reused connection:
 * tried once more at once on a new connection, where this server answers properly. */
static void malformed_reply_on_a_reused_connection_is_retried_on_a_new_one(void **state)
{
    (void)state;
    kbj_kaserver *s = ka_start();
    kbj_fetch_config c = cfg_default(); /* no retries: the retry on a new one is not one */
    c.max_per_host = 1;
    c.retry_base_ms = 5000;
    /* The retry's connection is closed after it: /page/4 opens the one /3 reuses. */
    const char *urls[4] = { KA(s, "/page/1"), KA(s, "/garbage-if-reused/2"), KA(s, "/page/4"),
                            KA(s, "/garbage-if-reused/3?kind=status") };
    kbj_fetch_result r[4];
    kbj_fetcher *f = fetcher(&c);
    double t0 = now_s();
    assert_int_equal(kbj_fetch_many(f, urls, 4, r, NULL, NULL), KBJ_OK);
    double took = now_s() - t0;
    expect_ka_page(&r[0], urls[0], 1);
    assert_int_equal(r[0].tries, 1);
    expect_ka_page(&r[1], urls[1], 2);
    assert_int_equal(r[1].tries, 2);
    expect_ka_page(&r[2], urls[2], 4);
    assert_int_equal(r[2].tries, 1);
    expect_ka_page(&r[3], urls[3], 3);
    assert_int_equal(r[3].tries, 2);
    for (int i = 0; i < 4; i++)
        kbj_fetch_result_clear(&r[i]);
    kbj_fetcher_free(f);
    if (took > 1.0)
        fail_msg("the retries on new connections took %.2f s", took);
    assert_int_equal(kbj_kaserver_count(s, "/garbage-if-reused/2"), 2);
    assert_int_equal(kbj_kaserver_count(s, "/garbage-if-reused/3"), 2);
    assert_int_equal(kbj_kaserver_count(s, "=garbage"), 2);
    kbj_kaserver_stop(s);
}

/* A server that answers garbage every time: one more try on a new connection, then a
 * permanent failure that says what was wrong. On a new connection, no retry at all. */
static void garbage_every_time_fails_after_one_retry_on_a_new_connection(void **state)
{
    (void)state;
    kbj_kaserver *s = ka_start();
    kbj_fetch_config c = cfg_default();
    c.max_per_host = 1;
    c.retries = 2;
    const char *urls[3] = { KA(s, "/page/1"), KA(s, "/garbage"), KA(s, "/garbage?kind=status") };
    kbj_fetch_result r[3];
    kbj_fetcher *f = fetcher(&c);
    assert_int_equal(kbj_fetch_many(f, urls, 3, r, NULL, NULL), KBJ_OK);
    expect_ka_page(&r[0], urls[0], 1);
    expect(&r[1], urls[1], KBJ_FETCH_PERMANENT, NULL);
    assert_string_equal(r[1].error, "invalid HTTP response (HTTP/0.9)");
    assert_int_equal(r[1].tries, 2);
    expect(&r[2], urls[2], KBJ_FETCH_PERMANENT, NULL);
    assert_string_equal(r[2].error, "invalid HTTP response (bad status line)");
    assert_int_equal(r[2].tries, 1); /* /garbage closed the connection: a new one */
    for (int i = 0; i < 3; i++)
        kbj_fetch_result_clear(&r[i]);
    kbj_fetcher_free(f);
    assert_int_equal(kbj_kaserver_count(s, "/garbage"), 3);
    kbj_kaserver_stop(s);
}

/* ---- cancellation ---------------------------------------------------------------- */

typedef struct stopper {
    double at;
    int calls;
    double last, max_gap;
} stopper;

static int stop_after(void *arg)
{
    stopper *s = arg;
    double t = now_s();
    if (s->last > 0 && t - s->last > s->max_gap)
        s->max_gap = t - s->last;
    s->last = t;
    s->calls++;
    return t >= s->at;
}

/* Two transfers stuck waiting for headers, one item waiting for its retry (port 1
 * refuses connections) and one already finished (a refused address): should_stop turns
 * the first three into CANCELLED within a poll interval and leaves the fourth alone.
 * (The fast items do not use the fixture: a php -S worker may accept two connections
 * and serve them in turn, so a fast page could sit behind a sleeping one.) */
static void should_stop_cancels_promptly(void **state)
{
    (void)state;
    kbj_fetch_config c = cfg_default();
    c.retries = 2;
    c.retry_base_ms = 5000;
    const char *urls[4] = { U("/slow-headers?ms=10000"), U("/slow-headers?ms=10000"), "http://127.0.0.1:1/",
                            "http://10.0.0.1/" };
    kbj_fetch_result r[4];
    kbj_fetcher *f = fetcher(&c);
    double t0 = now_s();
    stopper s = { t0 + 0.2, 0, 0, 0 };
    assert_int_equal(kbj_fetch_many(f, urls, 4, r, stop_after, &s), KBJ_OK);
    double took = now_s() - t0;
    for (int i = 0; i < 3; i++) {
        expect(&r[i], urls[i], KBJ_FETCH_CANCELLED, NULL);
        assert_string_equal(r[i].error, "cancelled");
        assert_int_equal(r[i].tries, 1);
        assert_true(r[i].elapsed >= 0.19 && r[i].elapsed < 1.0);
    }
    expect(&r[3], urls[3], KBJ_FETCH_PERMANENT, "address 10.0.0.1 is not allowed");
    for (int i = 0; i < 4; i++)
        kbj_fetch_result_clear(&r[i]);
    kbj_fetcher_free(f);
    if (took > 0.5)
        fail_msg("cancelling took %.2f s", took);
    /* asked at least every poll interval (100 ms), with room for a loaded machine; a
     * fetcher that asked only between transfers would not ask at all before 10 s */
    if (s.max_gap > 0.2)
        fail_msg("should_stop was not asked for %.3f s", s.max_gap);
    assert_true(s.calls >= 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(many_pages_within_low_limits),
        cmocka_unit_test(per_host_limit_is_respected),
        cmocka_unit_test(user_agent_is_sent),
        cmocka_unit_test(redirects_within_the_limit_are_followed),
        cmocka_unit_test(too_many_redirects_are_permanent),
        cmocka_unit_test(not_found_is_permanent_and_not_retried),
        cmocka_unit_test(server_errors_are_retried),
        cmocka_unit_test(flaky_page_succeeds_after_retries),
        cmocka_unit_test(retry_after_is_honoured),
        cmocka_unit_test(retry_after_beyond_the_maximum_gives_up),
        cmocka_unit_test(retries_do_not_block_other_transfers),
        cmocka_unit_test(connection_refused_is_transient),
        cmocka_unit_test(connect_timeout_is_transient),
        cmocka_unit_test(trickling_server_hits_the_low_speed_floor),
        cmocka_unit_test(slow_headers_time_out),
        cmocka_unit_test(oversized_bodies_are_stopped_early),
        cmocka_unit_test(gzip_bomb_is_stopped_early),
        cmocka_unit_test(encoded_pages_are_decoded),
        cmocka_unit_test(content_types),
        cmocka_unit_test(loopback_in_any_spelling_is_refused_without_allow_list),
        cmocka_unit_test(allow_list_covers_every_spelling),
        cmocka_unit_test(redirects_to_special_addresses_are_refused_on_the_hop),
        cmocka_unit_test(other_schemes_are_refused),
        cmocka_unit_test(no_credentials_in_results),
        cmocka_unit_test(proxy_environment_is_ignored),
        cmocka_unit_test(length_lie_does_not_break_the_next_request_on_its_connection),
        cmocka_unit_test(connection_with_bytes_waiting_is_not_reused),
        cmocka_unit_test(length_lie_among_many_pages_of_its_host),
        cmocka_unit_test(malformed_reply_on_a_reused_connection_is_retried_on_a_new_one),
        cmocka_unit_test(garbage_every_time_fails_after_one_retry_on_a_new_connection),
        cmocka_unit_test(should_stop_cancels_promptly), /* last: leaves two server workers asleep */
    };
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = cmocka_run_group_tests(tests, fixture_setup, NULL);
    curl_global_cleanup();
    return rc;
}
