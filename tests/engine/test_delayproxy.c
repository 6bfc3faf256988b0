/* The delay proxy (tests/tools/delayproxy.c, built by `make tools`), which the TLS,
 * latency and import tests put between the fetcher and a server on 127.0.0.1: it must
 * charge what a network of the given round-trip time charges (two round trips for a
 * request on a new connection, one on a kept connection), pass bytes and half-closes
 * through intact and in order, hold hundreds of connections at once, and stop on
 * SIGTERM. Upstreams: the keep-alive server of kaserver.c (kept connections), the
 * fixture site (KBJOBS_FIXTURE_URL: large pages, many connections) and plain sockets of
 * the test's own (half-close). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "kaserver.h"
#include "sha256.h"

static char fixture[256]; /* "http://127.0.0.1:PORT" */

static int setup(void **state)
{
    (void)state;
    const char *u = getenv("KBJOBS_FIXTURE_URL");
    if (!u || strncmp(u, "http://127.0.0.1:", 17) != 0 || strlen(u) >= sizeof fixture) {
        fprintf(stderr, "test_delayproxy: KBJOBS_FIXTURE_URL is not http://127.0.0.1:PORT; start the fixture "
                        "site with\n  export KBJOBS_FIXTURE_URL=$(tools/fixtures.sh start)\n");
        return -1;
    }
    snprintf(fixture, sizeof fixture, "%s", u);
    size_t l = strlen(fixture);
    if (fixture[l - 1] == '/')
        fixture[l - 1] = '\0';
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct proxy {
    pid_t pid;
    int port;
    char url[64];       /* "http://127.0.0.1:PORT" */
    char conn_log[128]; /* its --conn-log file */
} proxy;

/* Starts build/tools/delayproxy (under KBJOBS_ROOT when set) in front of `upstream`
 * ("127.0.0.1:PORT") and reads the port it prints. */
static void proxy_start(proxy *p, const char *upstream, int rtt_ms)
{
    char bin[512], rtt[16];
    const char *root = getenv("KBJOBS_ROOT");
    snprintf(bin, sizeof bin, "%s/build/tools/delayproxy", root && *root ? root : ".");
    snprintf(rtt, sizeof rtt, "%d", rtt_ms);
    snprintf(p->conn_log, sizeof p->conn_log, "/tmp/kbjobs-test-delayproxy-%d-%d.log", (int)getpid(), rtt_ms);
    unlink(p->conn_log);
    if (access(bin, X_OK) != 0)
        fail_msg("%s is missing: run `make tools`", bin);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    p->pid = fork();
    assert_true(p->pid >= 0);
    if (p->pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execl(bin, bin, "--listen", "127.0.0.1:0", "--upstream", upstream, "--rtt-ms", rtt, "--conn-log",
              p->conn_log, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    char line[32] = "";
    size_t got = 0;
    struct pollfd pfd = { fds[0], POLLIN, 0 };
    while (got < sizeof line - 1 && !memchr(line, '\n', got) && poll(&pfd, 1, 5000) == 1) {
        ssize_t n = read(fds[0], line + got, sizeof line - 1 - got);
        if (n <= 0)
            break;
        got += (size_t)n;
        line[got] = '\0';
    }
    close(fds[0]);
    p->port = atoi(line);
    if (p->port <= 0)
        fail_msg("delayproxy printed \"%s\", not a port", line);
    snprintf(p->url, sizeof p->url, "http://127.0.0.1:%d", p->port);
}

/* SIGTERM; the proxy must be gone within a second. */
static void proxy_stop(proxy *p)
{
    assert_int_equal(kill(p->pid, SIGTERM), 0);
    double t0 = now_s();
    int status = 0;
    pid_t w;
    while ((w = waitpid(p->pid, &status, WNOHANG)) == 0 && now_s() - t0 < 1.0)
        usleep(10000);
    if (w != p->pid) {
        kill(p->pid, SIGKILL);
        waitpid(p->pid, &status, 0);
        fail_msg("delayproxy did not stop within 1 s of SIGTERM");
    }
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    unlink(p->conn_log);
}

static unsigned count_lines(const char *file)
{
    FILE *f = fopen(file, "r");
    if (!f)
        return 0;
    unsigned n = 0;
    int ch;
    while ((ch = fgetc(f)) != EOF)
        n += ch == '\n';
    fclose(f);
    return n;
}

typedef struct body {
    kbj_sha256 sha;
    size_t len;
    char head[4096];
} body;

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    body *b = arg;
    size_t n = size * nmemb;
    if (b->len < sizeof b->head - 1) {
        size_t k = n < sizeof b->head - 1 - b->len ? n : sizeof b->head - 1 - b->len;
        memcpy(b->head + b->len, data, k);
        b->head[b->len + k] = '\0';
    }
    kbj_sha256_update(&b->sha, data, n);
    b->len += n;
    return n;
}

/* GETs `url` on easy handle `h` (kept connections and all), the body hashed into *b.
 * Returns the seconds it took. */
static double get(CURL *h, const char *url, body *b, char hex[65])
{
    memset(b, 0, sizeof *b);
    assert_int_equal(kbj_sha256_init(&b->sha), 0);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 30000L);
    double t0 = now_s();
    CURLcode rc = curl_easy_perform(h);
    double took = now_s() - t0;
    if (rc != CURLE_OK)
        fail_msg("%s: %s", url, curl_easy_strerror(rc));
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    assert_int_equal(status, 200);
    unsigned char md[32];
    assert_int_equal(kbj_sha256_final(&b->sha, md), 0);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return took;
}

/* ---- tests --------------------------------------------------------------------- */

/* RTT 100 ms: a request on a new connection pays connect + request (>= 200 ms), the
 * next one on the kept connection one round trip (>= 100 ms); neither much more. */
static void new_connection_pays_two_round_trips_kept_one_pays_one(void **state)
{
    (void)state;
    kbj_kaserver *ka = kbj_kaserver_start();
    assert_non_null(ka);
    proxy p;
    proxy_start(&p, kbj_kaserver_url(ka) + 7, 100);
    CURL *h = curl_easy_init();
    body b;
    char hex[65], url[128];

    snprintf(url, sizeof url, "%s/page/1", p.url);
    double first = get(h, url, &b, hex);
    long connects = -1;
    curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
    assert_int_equal(connects, 1);
    assert_non_null(strstr(b.head, "kaserver-page-1-end"));

    snprintf(url, sizeof url, "%s/page/2", p.url);
    double kept = get(h, url, &b, hex);
    curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
    assert_int_equal(connects, 0); /* the same connection */
    assert_non_null(strstr(b.head, "kaserver-page-2-end"));

    if (first < 0.200 || first > 0.450)
        fail_msg("a request on a new connection took %.3f s at RTT 100 ms (want 0.200..0.450)", first);
    if (kept < 0.100 || kept > 0.300)
        fail_msg("a request on a kept connection took %.3f s at RTT 100 ms (want 0.100..0.300)", kept);
    assert_int_equal(kbj_kaserver_connections(ka), 1);
    assert_int_equal(count_lines(p.conn_log), 1);
    curl_easy_cleanup(h);
    proxy_stop(&p);
    kbj_kaserver_stop(ka);
}

/* 16 MiB through the proxy, with its 1 MiB backpressure at work: the same bytes as
 * without it. */
static void large_page_arrives_intact(void **state)
{
    (void)state;
    proxy p;
    proxy_start(&p, fixture + 7, 20);
    CURL *h = curl_easy_init();
    body b;
    char direct[65], proxied[65], url[320];
    snprintf(url, sizeof url, "%s/big?mb=16&length=1", fixture);
    get(h, url, &b, direct);
    assert_int_equal(b.len, 16u << 20);
    snprintf(url, sizeof url, "%s/big?mb=16&length=1", p.url);
    get(h, url, &b, proxied);
    assert_int_equal(b.len, 16u << 20);
    assert_string_equal(proxied, direct);
    curl_easy_cleanup(h);
    proxy_stop(&p);
}

/* 200 connections at once at RTT 100 ms: every page arrives, each connection is logged,
 * and they run side by side (one after another they would take 40 s). */
static void hundreds_of_connections_at_once(void **state)
{
    (void)state;
    enum { N = 200 };
    proxy p;
    proxy_start(&p, fixture + 7, 100);
    CURLM *m = curl_multi_init();
    CURL *h[N];
    body *b = calloc(N, sizeof *b);
    char url[96];
    assert_non_null(b);
    for (int i = 0; i < N; i++) {
        h[i] = curl_easy_init();
        snprintf(url, sizeof url, "%s/page/%d", p.url, i + 1);
        curl_easy_setopt(h[i], CURLOPT_URL, url);
        curl_easy_setopt(h[i], CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(h[i], CURLOPT_WRITEDATA, &b[i]);
        curl_easy_setopt(h[i], CURLOPT_NOPROXY, "*");
        curl_easy_setopt(h[i], CURLOPT_TIMEOUT_MS, 20000L);
        assert_int_equal(kbj_sha256_init(&b[i].sha), 0);
        curl_multi_add_handle(m, h[i]);
    }
    double t0 = now_s();
    int running = 1;
    while (running) {
        curl_multi_perform(m, &running);
        if (running)
            curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    double took = now_s() - t0;
    CURLMsg *msg;
    int left, ok = 0;
    while ((msg = curl_multi_info_read(m, &left)))
        if (msg->msg == CURLMSG_DONE && msg->data.result == CURLE_OK)
            ok++;
    assert_int_equal(ok, N);
    for (int i = 0; i < N; i++) {
        char marker[64];
        snprintf(marker, sizeof marker, "Page %d heading", i + 1);
        if (!strstr(b[i].head, marker))
            fail_msg("page %d: body lacks \"%s\"", i + 1, marker);
        unsigned char md[32];
        kbj_sha256_final(&b[i].sha, md);
        curl_multi_remove_handle(m, h[i]);
        curl_easy_cleanup(h[i]);
    }
    curl_multi_cleanup(m);
    free(b);
    if (took < 0.2 || took > 5.0)
        fail_msg("200 requests on 200 connections at RTT 100 ms took %.2f s (want 0.2..5)", took);
    assert_int_equal(count_lines(p.conn_log), N);
    proxy_stop(&p);
}

/* Waits up to ms for fd to be readable and reads what is there (0 at EOF). */
static ssize_t read_wait(int fd, char *buf, size_t len, int ms)
{
    struct pollfd pfd = { fd, POLLIN, 0 };
    if (poll(&pfd, 1, ms) != 1)
        return -2;
    return recv(fd, buf, len, 0);
}

/* A client that sends and half-closes: the upstream gets the bytes and then the EOF, a
 * round trip after connecting plus half a round trip, while the other way stays open
 * for its answer, which arrives half a round trip later, followed by its own EOF. */
static void half_close_is_passed_on_each_way(void **state)
{
    (void)state;
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t alen = sizeof a;
    assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(lfd, 4), 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &alen), 0);
    char up[32];
    snprintf(up, sizeof up, "127.0.0.1:%d", ntohs(a.sin_port));
    proxy p;
    proxy_start(&p, up, 200);

    int cfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in pa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                              .sin_port = htons((unsigned short)p.port) };
    double t0 = now_s();
    assert_int_equal(connect(cfd, (struct sockaddr *)&pa, sizeof pa), 0);
    assert_int_equal(send(cfd, "hello", 5, 0), 5);
    assert_int_equal(shutdown(cfd, SHUT_WR), 0);

    struct pollfd pfd = { lfd, POLLIN, 0 };
    assert_int_equal(poll(&pfd, 1, 3000), 1);
    double connected = now_s() - t0;
    int sfd = accept(lfd, NULL, NULL);
    assert_true(sfd >= 0);
    char buf[64];
    size_t got = 0;
    ssize_t n;
    while ((n = read_wait(sfd, buf + got, sizeof buf - got, 3000)) > 0)
        got += (size_t)n;
    assert_int_equal(n, 0); /* the client's EOF */
    double eof_at = now_s() - t0;
    assert_int_equal(got, 5);
    assert_memory_equal(buf, "hello", 5);

    /* The other way is still open. */
    double t1 = now_s();
    assert_int_equal(send(sfd, "bye", 3, 0), 3);
    close(sfd);
    got = 0;
    while ((n = read_wait(cfd, buf + got, sizeof buf - got, 3000)) > 0)
        got += (size_t)n;
    assert_int_equal(n, 0);
    double answer = now_s() - t1;
    assert_int_equal(got, 3);
    assert_memory_equal(buf, "bye", 3);
    close(cfd);

    if (connected < 0.200 || connected > 0.400)
        fail_msg("upstream connected %.3f s after the client (RTT 200 ms)", connected);
    if (eof_at < 0.300 || eof_at > 0.500)
        fail_msg("upstream saw the client's bytes and EOF after %.3f s (want 0.300..0.500)", eof_at);
    if (answer < 0.100 || answer > 0.300)
        fail_msg("the answer and its EOF took %.3f s (want 0.100..0.300)", answer);
    close(lfd);
    proxy_stop(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(new_connection_pays_two_round_trips_kept_one_pays_one),
        cmocka_unit_test(large_page_arrives_intact),
        cmocka_unit_test(hundreds_of_connections_at_once),
        cmocka_unit_test(half_close_is_passed_on_each_way),
    };
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = cmocka_run_group_tests(tests, setup, NULL);
    curl_global_cleanup();
    return rc;
}
