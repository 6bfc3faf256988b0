/*
 * kaserver.c - the keep-alive HTTP/1.1 test server (see kaserver.h).
 *
 * Blocking sockets, a thread per connection. Stopping shuts every live connection down
 * (which wakes a thread blocked in recv or send), then joins the threads. A connection's
 * descriptor is closed only by its thread, after it took it out of the list under the
 * lock, so the stopping thread never shuts down a descriptor number reused elsewhere.
 */
#include "kaserver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 128           /* connections over the server's life */
#define MAX_PATHS 64            /* distinct paths counted */
#define HEAD_MAX 16384          /* a request head longer than this ends the connection */
#define EXCESS_BYTES ((size_t)10 << 20)
#define SEND_TIMEOUT_S 5        /* a client that stops reading ends its connection */

typedef struct ka_conn {
    kbj_kaserver *s;
    pthread_t thread;
    int fd;                     /* -1 once its thread is closing it */
} ka_conn;

struct kbj_kaserver {
    int lfd;
    char url[64];
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t released_cv; /* signalled by kbj_kaserver_release and by stopping */
    int released;
    int stopping;
    ka_conn conns[MAX_CONNS];
    unsigned nconns;
    struct {
        char path[128];
        unsigned n;
    } counts[MAX_PATHS];
    unsigned npaths;
};

static void msleep(unsigned ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* Sends all of buf. 0, or -1 when the connection failed or the client stopped reading. */
static int send_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

static void count(kbj_kaserver *s, const char *path)
{
    pthread_mutex_lock(&s->mu);
    unsigned i;
    for (i = 0; i < s->npaths; i++)
        if (strcmp(s->counts[i].path, path) == 0)
            break;
    if (i == s->npaths && i < MAX_PATHS) {
        snprintf(s->counts[i].path, sizeof s->counts[i].path, "%s", path);
        s->npaths++;
    }
    if (i < MAX_PATHS)
        s->counts[i].n++;
    pthread_mutex_unlock(&s->mu);
}

/* The value of query parameter `name` as a number, or `def`. */
static long query_num(const char *query, const char *name, long def)
{
    size_t nl = strlen(name);
    for (const char *p = query; *p;) {
        const char *amp = strchr(p, '&');
        if (strncmp(p, name, nl) == 0 && p[nl] == '=')
            return strtol(p + nl + 1, NULL, 10);
        if (!amp)
            break;
        p = amp + 1;
    }
    return def;
}

/* The page /page/N, head and body in one write. */
static int send_page(int fd, long n)
{
    char body[512], out[1024];
    int bl = snprintf(body, sizeof body,
                      "<!DOCTYPE html><html><head><title>Keep-alive page %ld</title></head>"
                      "<body><p>Served on a kept connection.</p><p>kaserver-page-%ld-end</p></body></html>\n",
                      n, n);
    int ol = snprintf(out, sizeof out,
                      "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                      "Content-Length: %d\r\nConnection: keep-alive\r\n\r\n%s", bl, body);
    return send_all(fd, out, (size_t)ol);
}

/* A response whose body goes on 10 MiB past its Content-Length. */
static int send_lie(int fd, long gap_ms)
{
    static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                               "Content-Length: 100\r\nConnection: keep-alive\r\n\r\n";
    char chunk[65536];
    size_t off = sizeof head - 1, left = EXCESS_BYTES;
    memcpy(chunk, head, off);
    memset(chunk + off, 'k', sizeof chunk - off);
    memcpy(chunk + off, "<p>", 3); /* the declared 100 bytes: "<p>kkk...k" */
    if (gap_ms > 0) {
        if (send_all(fd, chunk, off + 100) != 0)
            return -1;
        msleep((unsigned)gap_ms);
    } else {
        left -= sizeof chunk - off - 100;
        if (send_all(fd, chunk, sizeof chunk) != 0)
            return -1;
    }
    memset(chunk, 'k', sizeof chunk);
    while (left > 0) {
        size_t n = left < sizeof chunk ? left : sizeof chunk;
        if (send_all(fd, chunk, n) != 0)
            return -1;
        left -= n;
    }
    return 0;
}

static void send_garbage(int fd, const char *query)
{
    static const char http09[] = "this is not an HTTP response\r\n\r\n";
    static const char status[] = "HTTP/1.1 2x0 OK\r\nContent-Type: text/html\r\n"
                                 "Content-Length: 5\r\n\r\nhello";
    if (strstr(query, "kind=status"))
        send_all(fd, status, sizeof status - 1);
    else
        send_all(fd, http09, sizeof http09 - 1);
}

/* The page /hold/N once kbj_kaserver_release was called; nothing (-1) when the server
 * stops first. */
static int send_held(kbj_kaserver *s, int fd, long n)
{
    int go;
    pthread_mutex_lock(&s->mu);
    while (!s->released && !s->stopping)
        pthread_cond_wait(&s->released_cv, &s->mu);
    go = s->released;
    pthread_mutex_unlock(&s->mu);
    if (!go)
        return -1;
    count(s, "=page");
    return send_page(fd, n);
}

/* Answers one request. 0 to read the next one, -1 to end the connection. */
static int serve(kbj_kaserver *s, int fd, const char *path, const char *query, int reused)
{
    static const char not_found[] = "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n"
                                    "Content-Length: 10\r\n\r\nnot found\n";
    count(s, path);
    if (strncmp(path, "/garbage-if-reused/", 19) == 0 && !reused) {
        count(s, "=page");
        return send_page(fd, strtol(path + 19, NULL, 10));
    }
    if (strncmp(path, "/page/", 6) == 0) {
        count(s, "=page");
        return send_page(fd, strtol(path + 6, NULL, 10));
    }
    if (strncmp(path, "/hold/", 6) == 0)
        return send_held(s, fd, strtol(path + 6, NULL, 10));
    if (strcmp(path, "/lie-length") == 0) {
        count(s, "=lie");
        return send_lie(fd, query_num(query, "gap_ms", 0));
    }
    if (strcmp(path, "/garbage") == 0 || strncmp(path, "/garbage-if-reused/", 19) == 0) {
        count(s, "=garbage");
        send_garbage(fd, query);
        return -1;
    }
    return send_all(fd, not_found, sizeof not_found - 1);
}

/* Reads and answers the requests of one connection until it ends. */
static void *conn_main(void *arg)
{
    ka_conn *c = arg;
    kbj_kaserver *s = c->s;
    int fd = c->fd;
    char buf[HEAD_MAX + 1];
    size_t len = 0;
    unsigned served = 0;
    struct timeval tv = { SEND_TIMEOUT_S, 0 };

    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    for (;;) {
        char *end, target[1024] = "", *query;
        buf[len] = '\0';
        while (!(end = strstr(buf, "\r\n\r\n"))) {
            if (len == HEAD_MAX)
                goto done;
            ssize_t n = recv(fd, buf + len, HEAD_MAX - len, 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                goto done;
            len += (size_t)n;
            buf[len] = '\0';
        }
        sscanf(buf, "%*s %1023s", target); /* "GET /path?query HTTP/1.1" */
        query = strchr(target, '?');
        if (query)
            *query++ = '\0';
        else
            query = target + strlen(target);
        size_t used = (size_t)(end + 4 - buf);
        memmove(buf, buf + used, len - used);
        len -= used;
        if (serve(s, fd, target, query, served++ > 0) != 0)
            break;
    }
done:
    pthread_mutex_lock(&s->mu);
    c->fd = -1;
    pthread_mutex_unlock(&s->mu);
    close(fd);
    return NULL;
}

static void *listen_main(void *arg)
{
    kbj_kaserver *s = arg;
    for (;;) {
        struct pollfd p = { s->lfd, POLLIN, 0 };
        int stopping;
        pthread_mutex_lock(&s->mu);
        stopping = s->stopping;
        pthread_mutex_unlock(&s->mu);
        if (stopping)
            break;
        if (poll(&p, 1, 50) <= 0)
            continue;
        int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        pthread_mutex_lock(&s->mu);
        if (s->stopping || s->nconns == MAX_CONNS) {
            pthread_mutex_unlock(&s->mu);
            close(fd);
            continue;
        }
        ka_conn *c = &s->conns[s->nconns];
        c->s = s;
        c->fd = fd;
        if (pthread_create(&c->thread, NULL, conn_main, c) != 0) {
            pthread_mutex_unlock(&s->mu);
            close(fd);
            continue;
        }
        s->nconns++;
        pthread_mutex_unlock(&s->mu);
    }
    return NULL;
}

kbj_kaserver *kbj_kaserver_start(void)
{
    kbj_kaserver *s = calloc(1, sizeof *s);
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    int one = 1;
    if (!s)
        return NULL;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->released_cv, NULL);
    s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (s->lfd < 0 || setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(s->lfd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(s->lfd, 64) != 0 ||
        getsockname(s->lfd, (struct sockaddr *)&sa, &sl) != 0) {
        perror("kaserver: listening socket");
        goto fail;
    }
    snprintf(s->url, sizeof s->url, "http://127.0.0.1:%u", (unsigned)ntohs(sa.sin_port));
    if (pthread_create(&s->thread, NULL, listen_main, s) != 0) {
        fprintf(stderr, "kaserver: cannot start the listening thread\n");
        goto fail;
    }
    return s;
fail:
    if (s->lfd >= 0)
        close(s->lfd);
    pthread_cond_destroy(&s->released_cv);
    pthread_mutex_destroy(&s->mu);
    free(s);
    return NULL;
}

const char *kbj_kaserver_url(const kbj_kaserver *s)
{
    return s->url;
}

unsigned kbj_kaserver_count(kbj_kaserver *s, const char *path)
{
    unsigned n = 0;
    pthread_mutex_lock(&s->mu);
    for (unsigned i = 0; i < s->npaths; i++)
        if (strcmp(s->counts[i].path, path) == 0)
            n = s->counts[i].n;
    pthread_mutex_unlock(&s->mu);
    return n;
}

void kbj_kaserver_release(kbj_kaserver *s)
{
    pthread_mutex_lock(&s->mu);
    s->released = 1;
    pthread_cond_broadcast(&s->released_cv);
    pthread_mutex_unlock(&s->mu);
}

unsigned kbj_kaserver_connections(kbj_kaserver *s)
{
    pthread_mutex_lock(&s->mu);
    unsigned n = s->nconns;
    pthread_mutex_unlock(&s->mu);
    return n;
}

void kbj_kaserver_stop(kbj_kaserver *s)
{
    unsigned n;
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->stopping = 1;
    pthread_cond_broadcast(&s->released_cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL);
    close(s->lfd);
    pthread_mutex_lock(&s->mu);
    n = s->nconns;
    for (unsigned i = 0; i < n; i++)
        if (s->conns[i].fd >= 0)
            shutdown(s->conns[i].fd, SHUT_RDWR);
    pthread_mutex_unlock(&s->mu);
    for (unsigned i = 0; i < n; i++)
        pthread_join(s->conns[i].thread, NULL);
    pthread_cond_destroy(&s->released_cv);
    pthread_mutex_destroy(&s->mu);
    free(s);
}
