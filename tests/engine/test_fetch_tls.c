/* The fetcher over TLS against the fixture site's nginx (tools/fixtures.sh starts it with
 * the site; the URLs, the test CA and the access log come from KBJOBS_FIXTURE_TLS_URL,
 * KBJOBS_FIXTURE_TLS_H1_URL, KBJOBS_FIXTURE_TLS_GOAWAY_URL, KBJOBS_FIXTURE_CA and
 * KBJOBS_FIXTURE_TLS_LOG): a private CA through ca_file (and a certificate error
 * without it), HTTP/2 multiplexing where ALPN offers h2 (nginx's access log shows which
 * connection carried each request and in which protocol), HTTP/1.1 with the per-host
 * connection limit where it does not, a server that sends GOAWAY every 5 requests
 * without a page failing, a 429 that slows only its host, and TLS through the delay
 * proxy. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "fetch.h"

static char h2_url[128], h1_url[128], goaway_url[128], plain_url[128];
static char ca_file[512], access_log[512];

/* Copies env var `name` into buf, which must start with `prefix`. */
static int env_into(const char *name, const char *prefix, char *buf, size_t size)
{
    const char *v = getenv(name);
    if (!v || strncmp(v, prefix, strlen(prefix)) != 0 || strlen(v) >= size) {
        fprintf(stderr, "test_fetch_tls: %s is %s%s%s (want %s...): start the fixture site with\n"
                        "  tools/up.sh test && . build/test-env/env.sh   (or tools/fixtures.sh start; "
                        "tools/fixtures.sh env)\n",
                name, v ? "\"" : "not set", v ? v : "", v ? "\"" : "", prefix);
        return -1;
    }
    snprintf(buf, size, "%s", v);
    size_t l = strlen(buf);
    if (l > 0 && buf[l - 1] == '/')
        buf[l - 1] = '\0';
    return 0;
}

static int setup(void **state)
{
    (void)state;
    if (env_into("KBJOBS_FIXTURE_TLS_URL", "https://127.0.0.1:", h2_url, sizeof h2_url) < 0
        || env_into("KBJOBS_FIXTURE_TLS_H1_URL", "https://127.0.0.1:", h1_url, sizeof h1_url) < 0
        || env_into("KBJOBS_FIXTURE_TLS_GOAWAY_URL", "https://127.0.0.1:", goaway_url, sizeof goaway_url) < 0
        || env_into("KBJOBS_FIXTURE_URL", "http://127.0.0.1:", plain_url, sizeof plain_url) < 0
        || env_into("KBJOBS_FIXTURE_CA", "/", ca_file, sizeof ca_file) < 0
        || env_into("KBJOBS_FIXTURE_TLS_LOG", "/", access_log, sizeof access_log) < 0)
        return -1;
    if (access(ca_file, R_OK) != 0) {
        fprintf(stderr, "test_fetch_tls: cannot read the CA %s\n", ca_file);
        return -1;
    }
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The fixture allowed, the test CA trusted, no retries (a page that needs one fails). */
static kbj_fetch_config cfg_tls(void)
{
    kbj_fetch_config c;
    memset(&c, 0, sizeof c);
    c.allow = "127.0.0.1";
    c.ca_file = ca_file;
    c.retries = KBJ_FETCH_NO_RETRY;
    c.timeout_ms = 15000;
    c.connect_timeout_ms = 5000;
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

static const char *S(const char *s)
{
    return s ? s : "(null)";
}

/* A tag unique to this run and test, put in every URL so the test finds its own lines
 * in the access log (which every test of the instance shares). */
static void make_tag(char *tag, size_t size, const char *test)
{
    snprintf(tag, size, "%s-%d-%ld", test, (int)getpid(), (long)time(NULL));
}

/* One access log line: "PORT CONNECTION REQUESTS PROTOCOL STATUS URI". */
typedef struct log_line {
    unsigned long conn, nreq;
    char proto[16];
    int status;
} log_line;

/* Reads the access log lines whose URI holds `tag` into out (at most max), waiting up to
 * 3 s for `want` of them (nginx writes a line when the request ends, which may be just
 * after the client has its response). Returns how many were found. */
static size_t log_lines(const char *tag, log_line *out, size_t max, size_t want)
{
    size_t n = 0;
    double t0 = now_s();
    do {
        n = 0;
        FILE *f = fopen(access_log, "r");
        if (!f)
            fail_msg("cannot open the access log %s", access_log);
        char line[2048];
        while (fgets(line, sizeof line, f) && n < max) {
            if (!strstr(line, tag))
                continue;
            log_line *l = &out[n];
            char uri[1024];
            unsigned port;
            if (sscanf(line, "%u %lu %lu %15s %d %1023s", &port, &l->conn, &l->nreq, l->proto, &l->status, uri) != 6)
                fail_msg("access log line not understood: %s", line);
            n++;
        }
        fclose(f);
        if (n >= want)
            break;
        usleep(50000);
    } while (now_s() - t0 < 3.0);
    return n;
}

/* Distinct connections among the lines, and the most requests any one carried. */
static size_t distinct_connections(const log_line *l, size_t n, size_t *most)
{
    size_t distinct = 0;
    *most = 0;
    for (size_t i = 0; i < n; i++) {
        size_t same = 0, first = 1;
        for (size_t j = 0; j < n; j++) {
            if (l[j].conn == l[i].conn) {
                same++;
                if (j < i)
                    first = 0;
            }
        }
        distinct += first;
        if (same > *most)
            *most = same;
    }
    return distinct;
}

/* Fetches n slow pages (ms each) from base with max_per_host `per_host`, all must be OK;
 * returns the seconds it took. urls[i] get the tag. */
static double fetch_pages(const kbj_fetch_config *c, const char *base, const char *tag, int n, int ms,
                          kbj_fetch_result *r)
{
    const char **urls = calloc((size_t)n, sizeof *urls);
    assert_non_null(urls);
    for (int i = 0; i < n; i++) {
        char *u = malloc(512);
        assert_non_null(u);
        snprintf(u, 512, "%s/slow-page?ms=%d&n=%d&tag=%s", base, ms, i + 1, tag);
        urls[i] = u;
    }
    kbj_fetcher *f = fetcher(c);
    double t0 = now_s();
    int rc = kbj_fetch_many(f, urls, (size_t)n, r, NULL, NULL);
    double took = now_s() - t0;
    if (rc != KBJ_OK)
        fail_msg("kbj_fetch_many: %d %s", rc, kbj_fetcher_errmsg(f));
    kbj_fetcher_free(f);
    for (int i = 0; i < n; i++) {
        char marker[64];
        snprintf(marker, sizeof marker, "Page %d heading", i + 1);
        if (r[i].outcome != KBJ_FETCH_OK)
            fail_msg("%s: outcome %d (error %s, status %d, tries %u)", urls[i], r[i].outcome, S(r[i].error),
                     r[i].http_status, r[i].tries);
        if (!r[i].body || !strstr(r[i].body, marker))
            fail_msg("%s: body lacks \"%s\"", urls[i], marker);
        free((char *)urls[i]);
    }
    free(urls);
    return took;
}

/* ---- a private CA ------------------------------------------------------------------ */

static void private_ca_is_trusted_through_ca_file(void **state)
{
    (void)state;
    kbj_fetch_config c = cfg_tls();
    char url[256];
    snprintf(url, sizeof url, "%s/page/7", h2_url);
    const char *urls[1] = { url };
    kbj_fetch_result r;
    kbj_fetcher *f = fetcher(&c);
    assert_int_equal(kbj_fetch_many(f, urls, 1, &r, NULL, NULL), KBJ_OK);
    kbj_fetcher_free(f);
    if (r.outcome != KBJ_FETCH_OK)
        fail_msg("%s with ca_file %s: outcome %d (%s)", url, ca_file, r.outcome, S(r.error));
    assert_non_null(strstr(r.body, "kbjobs-fixture-page-7-end"));
    assert_int_equal(r.http_status, 200);
    kbj_fetch_result_clear(&r);
}

/* Without ca_file the system's CAs are used, which do not know the test CA: a TLS
 * certificate error, permanent (it will not get better by trying again). */
static void unknown_ca_is_a_permanent_certificate_error(void **state)
{
    (void)state;
    kbj_fetch_config c = cfg_tls();
    c.ca_file = NULL;
    c.retries = 2;
    c.retry_base_ms = 20;
    char url[256];
    snprintf(url, sizeof url, "%s/page/7", h2_url);
    const char *urls[1] = { url };
    kbj_fetch_result r;
    kbj_fetcher *f = fetcher(&c);
    assert_int_equal(kbj_fetch_many(f, urls, 1, &r, NULL, NULL), KBJ_OK);
    kbj_fetcher_free(f);
    if (r.outcome != KBJ_FETCH_PERMANENT || !r.error || !strstr(r.error, "certificate"))
        fail_msg("%s without ca_file: outcome %d, error \"%s\" (want PERMANENT, a certificate error)", url,
                 r.outcome, S(r.error));
    assert_null(r.body);
    assert_int_equal(r.tries, 1);
    kbj_fetch_result_clear(&r);
}

/* ---- protocols and connections ------------------------------------------------------ */

/* 40 pages of 100 ms, 8 at once, where ALPN offers h2: every request in HTTP/2, on at
 * most 2 connections (libcurl waits for the first connection's ALPN before it opens
 * another), 8 streams at a time (5 waves, not 40 and not 1). */
static void http2_is_used_when_offered_many_streams_on_one_connection(void **state)
{
    (void)state;
    enum { N = 40 };
    kbj_fetch_config c = cfg_tls();
    c.max_per_host = 8;
    c.max_total = 16;
    char tag[96];
    make_tag(tag, sizeof tag, "h2");
    kbj_fetch_result r[N];
    double took = fetch_pages(&c, h2_url, tag, N, 100, r);
    for (int i = 0; i < N; i++) {
        assert_int_equal(r[i].tries, 1);
        kbj_fetch_result_clear(&r[i]);
    }
    log_line l[N + 8];
    size_t n = log_lines(tag, l, N + 8, N);
    assert_int_equal(n, N);
    for (size_t i = 0; i < n; i++)
        if (strcmp(l[i].proto, "HTTP/2.0") != 0)
            fail_msg("request %zu of 40 came in %s, not HTTP/2.0", i + 1, l[i].proto);
    size_t most, conns = distinct_connections(l, n, &most);
    if (conns > 2)
        fail_msg("40 requests over HTTP/2 used %zu connections (want at most 2)", conns);
    assert_true(most >= N / 2);
    if (took < 0.45 || took > 2.5)
        fail_msg("40 pages of 100 ms, 8 streams at once, took %.2f s (want 0.45..2.5)", took);
}

/* The same where ALPN offers only http/1.1: HTTP/1.1 on at most 8 connections, several
 * of them (one connection would make 40 x 100 ms). */
static void http11_where_h2_is_not_offered_within_the_connection_limit(void **state)
{
    (void)state;
    enum { N = 40 };
    kbj_fetch_config c = cfg_tls();
    c.max_per_host = 8;
    c.max_total = 16;
    char tag[96];
    make_tag(tag, sizeof tag, "h1");
    kbj_fetch_result r[N];
    double took = fetch_pages(&c, h1_url, tag, N, 100, r);
    for (int i = 0; i < N; i++)
        kbj_fetch_result_clear(&r[i]);
    log_line l[N + 8];
    size_t n = log_lines(tag, l, N + 8, N);
    assert_int_equal(n, N);
    for (size_t i = 0; i < n; i++)
        if (strcmp(l[i].proto, "HTTP/1.1") != 0)
            fail_msg("request %zu of 40 came in %s, not HTTP/1.1", i + 1, l[i].proto);
    size_t most, conns = distinct_connections(l, n, &most);
    if (conns > 8 || conns < 2)
        fail_msg("40 requests over HTTP/1.1, 8 at once, used %zu connections (want 2..8)", conns);
    assert_true(most > 1); /* connections are kept */
    if (took < 0.45 || took > 2.5)
        fail_msg("40 pages of 100 ms, 8 connections, took %.2f s (want 0.45..2.5)", took);
}

/* nginx ends every connection after 5 requests with GOAWAY, with streams of the
 * connection still open or about to be: every page still arrives, without a retry (the
 * fetcher has none here: a stream refused by GOAWAY is tried again apart from
 * `retries`, at most 5 times, fetch.h), over many connections of at most 5 requests. */
static void goaway_every_five_requests_fails_no_page(void **state)
{
    (void)state;
    enum { N = 40 };
    kbj_fetch_config c = cfg_tls();
    c.max_per_host = 8;
    c.max_total = 16;
    char tag[96];
    make_tag(tag, sizeof tag, "goaway");
    kbj_fetch_result r[N];
    fetch_pages(&c, goaway_url, tag, N, 20, r);
    unsigned extra = 0;
    for (int i = 0; i < N; i++) {
        if (r[i].tries < 1 || r[i].tries > 6)
            fail_msg("page %d: %u tries (want 1, or up to 5 more for GOAWAY)", i + 1, r[i].tries);
        extra += r[i].tries - 1;
        kbj_fetch_result_clear(&r[i]);
    }
    log_line l[4 * N];
    size_t n = log_lines(tag, l, 4 * N, N);
    size_t ok = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(l[i].proto, "HTTP/2.0") != 0)
            fail_msg("a request came in %s, not HTTP/2.0", l[i].proto);
        if (l[i].nreq > 5)
            fail_msg("a connection carried a request number %lu (nginx allows 5)", l[i].nreq);
        ok += l[i].status == 200;
    }
    assert_true(ok >= N);
    size_t most, conns = distinct_connections(l, n, &most);
    if (conns < N / 5)
        fail_msg("40 requests at 5 per connection used %zu connections", conns);
    print_message("goaway: %zu requests logged on %zu connections, %u tries beyond the first\n", n, conns,
                  extra);
}

/* ---- 429 --------------------------------------------------------------------------- */

/* The fixture's /throttle answers 429 with Retry-After: 2 once on the h2 endpoint: that
 * page waits the 2 s and arrives, without spending a retry (it has none here: fetch.h,
 * a 429's wait is not one), while pages of another host (the h1 endpoint, another
 * port) go on at once. */
static void throttle_on_one_host_slows_only_that_host(void **state)
{
    (void)state;
    enum { N = 9 };
    kbj_fetch_config c = cfg_tls();
    c.max_per_host = 8;
    c.max_total = 16;
    char key[64], urls_buf[N][256];
    const char *urls[N];
    snprintf(key, sizeof key, "tls-throttle-%d-%ld", (int)getpid(), (long)time(NULL));
    snprintf(urls_buf[0], sizeof urls_buf[0], "%s/throttle?key=%s&n=1&retry_after=2&page=3", h2_url, key);
    for (int i = 1; i < N; i++)
        snprintf(urls_buf[i], sizeof urls_buf[i], "%s/slow-page?ms=0&n=%d", h1_url, i);
    for (int i = 0; i < N; i++)
        urls[i] = urls_buf[i];
    kbj_fetch_result r[N];
    kbj_fetcher *f = fetcher(&c);
    assert_int_equal(kbj_fetch_many(f, urls, N, r, NULL, NULL), KBJ_OK);
    kbj_fetcher_free(f);
    for (int i = 0; i < N; i++)
        if (r[i].outcome != KBJ_FETCH_OK)
            fail_msg("%s: outcome %d (%s, status %d, tries %u)", urls[i], r[i].outcome, S(r[i].error),
                     r[i].http_status, r[i].tries);
    assert_non_null(strstr(r[0].body, "kbjobs-fixture-page-3-end"));
    if (r[0].tries < 2 || r[0].elapsed < 2.0 || r[0].elapsed > 6.0)
        fail_msg("the throttled page: %u tries in %.2f s (want 2 or more, after its Retry-After of 2 s)",
                 r[0].tries, r[0].elapsed);
    for (int i = 1; i < N; i++)
        if (r[i].elapsed > 1.0)
            fail_msg("%s took %.2f s: another host's 429 held it back", urls[i], r[i].elapsed);
    for (int i = 0; i < N; i++)
        kbj_fetch_result_clear(&r[i]);
    /* The key's counter file goes (on the site itself: one counter for every endpoint). */
    snprintf(urls_buf[0], sizeof urls_buf[0], "%s/flaky-reset?key=%s", plain_url, key);
    f = fetcher(&c);
    assert_int_equal(kbj_fetch_many(f, urls, 1, r, NULL, NULL), KBJ_OK);
    kbj_fetcher_free(f);
    kbj_fetch_result_clear(&r[0]);
}

/* ---- TLS through the delay proxy ---------------------------------------------------- */

static pid_t proxy_pid; /* the delay proxy of tls_through_the_delay_proxy, or 0 */

/* Stops the proxy whether its test passed or not (a failing assertion leaves the test
 * at once). */
static int stop_proxy(void **state)
{
    (void)state;
    if (proxy_pid > 0) {
        kill(proxy_pid, SIGTERM);
        waitpid(proxy_pid, NULL, 0);
        proxy_pid = 0;
    }
    return 0;
}

/* The bench measures HTTPS through the delay proxy: the certificate (IP 127.0.0.1) still
 * matches on the proxy's port, and the handshake pays its round trips. */
static void tls_through_the_delay_proxy(void **state)
{
    (void)state;
    char bin[512], up[128], rtt[] = "100";
    const char *root = getenv("KBJOBS_ROOT");
    snprintf(bin, sizeof bin, "%s/build/tools/delayproxy", root && *root ? root : ".");
    snprintf(up, sizeof up, "%s", h2_url + 8);
    if (access(bin, X_OK) != 0)
        fail_msg("%s is missing: run `make tools`", bin);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execl(bin, bin, "--listen", "127.0.0.1:0", "--upstream", up, "--rtt-ms", rtt, (char *)NULL);
        _exit(127);
    }
    proxy_pid = pid;
    close(fds[1]);
    char line[32] = "";
    struct pollfd pfd = { fds[0], POLLIN, 0 };
    ssize_t got = poll(&pfd, 1, 5000) == 1 ? read(fds[0], line, sizeof line - 1) : -1;
    close(fds[0]);
    if (got <= 0 || atoi(line) <= 0)
        fail_msg("delayproxy printed no port");
    line[got] = '\0';
    char base[64];
    snprintf(base, sizeof base, "https://127.0.0.1:%d", atoi(line));

    enum { N = 16 };
    kbj_fetch_config c = cfg_tls();
    c.max_per_host = 8;
    char tag[96];
    make_tag(tag, sizeof tag, "proxied");
    kbj_fetch_result r[N];
    double took = fetch_pages(&c, base, tag, N, 0, r);
    for (int i = 0; i < N; i++)
        kbj_fetch_result_clear(&r[i]);
    /* At least: connect (1 RTT), TLS 1.3 handshake (1), the requests (1 each wave). */
    if (took < 0.3 || took > 3.0)
        fail_msg("16 pages over TLS at RTT 100 ms took %.2f s (want 0.3..3)", took);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(private_ca_is_trusted_through_ca_file),
        cmocka_unit_test(unknown_ca_is_a_permanent_certificate_error),
        cmocka_unit_test(http2_is_used_when_offered_many_streams_on_one_connection),
        cmocka_unit_test(http11_where_h2_is_not_offered_within_the_connection_limit),
        cmocka_unit_test(goaway_every_five_requests_fails_no_page),
        cmocka_unit_test(throttle_on_one_host_slows_only_that_host),
        cmocka_unit_test_teardown(tls_through_the_delay_proxy, stop_proxy),
    };
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = cmocka_run_group_tests(tests, setup, NULL);
    curl_global_cleanup();
    return rc;
}
