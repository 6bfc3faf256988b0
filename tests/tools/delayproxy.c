/*
 * delayproxy.c - a TCP proxy on 127.0.0.1 that makes a loopback server look as far away
 * as a remote one: the kernel here has no netem, and a loopback connection pays no round
 * trip at all, so neither TLS handshakes nor HTTP/1.1's one-request-per-connection cost
 * what they cost on the web. The import tests and the benchmark put this proxy between
 * the fetcher and the fixture servers.
 *
 *   delayproxy --listen 127.0.0.1:0 --upstream 127.0.0.1:PORT --rtt-ms N [--conn-log FILE]
 *
 * prints the port it listens on (one line on stdout) once it listens, then runs until
 * SIGTERM or SIGINT. What a network of round-trip time RTT would charge:
 *
 *   - connecting: an accepted client is connected upstream only RTT after it was
 *     accepted (the SYN / SYN-ACK exchange the kernel answered at once), and nothing it
 *     sent is read before then;
 *   - every chunk of bytes read from one side is written to the other RTT/2 after it was
 *     read, in order, per direction. A request on an open connection therefore pays one
 *     RTT, a new connection two (connect, then request), a TLS handshake its round trips;
 *   - an EOF (half-close) is passed on with the same delay (shutdown(SHUT_WR)); a read
 *     or write error, or a reset, closes both sides at once;
 *   - backpressure: a side is not read while more than 1 MiB read from it waits to be
 *     written to the other side.
 *
 * Bandwidth is not limited. With --conn-log FILE, one line per accepted connection:
 * "<serial> <client address:port> <unix time in ms>".
 *
 * One thread, epoll. Every delay of one kind has the same length, so due times come out
 * in the order the events were made: two FIFOs (connects, deliveries) ordered by due time
 * replace a timer wheel, and the next wake-up is the earlier of their heads.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#define MAX_CONNS 8192              /* connections at once (two descriptors each) */
#define READ_CHUNK 65536            /* bytes read per read() call */
#define BACKLOG_LIMIT (1u << 20)    /* a side is not read while this much of it waits */

/* A chunk of bytes waiting to be written, or an EOF marker (len 0, eof 1). */
typedef struct chunk {
    struct chunk *next;
    int64_t due;                    /* monotonic ns from which it may be written */
    size_t len, off;
    int eof;
    char data[];
} chunk;

/* One direction of a connection: bytes read from `from`, written to `to`. */
typedef struct pipe_dir {
    chunk *head, *tail;
    size_t queued;                  /* bytes waiting (len - off summed) */
    int read_eof;                   /* `from` said EOF: read no more */
    int wrote_eof;                  /* the EOF was passed on */
    int blocked;                    /* the last write hit EAGAIN: wait for EPOLLOUT */
} pipe_dir;

enum { CLIENT = 0, UPSTREAM = 1 };

typedef struct conn {
    int used;
    uint32_t gen;                   /* bumped at every reuse of the slot */
    int fd[2];                      /* CLIENT, UPSTREAM (-1 until connected) */
    int connecting;                 /* upstream connect() in progress */
    int connected;                  /* upstream connected: both sides flow */
    int registered[2];              /* the fd is in the epoll set */
    uint32_t events[2];             /* what each fd is registered for */
    pipe_dir dir[2];                /* dir[CLIENT]: client -> upstream; dir[UPSTREAM]: back */
} conn;

/* A wake-up: a connection slot (checked against its generation) and what to do. */
typedef struct timer_ev {
    struct timer_ev *next;
    int64_t due;
    uint32_t slot, gen;
    int dir;                        /* -1: connect upstream; 0/1: flush dir[...] */
} timer_ev;

typedef struct fifo {
    timer_ev *head, *tail;
} fifo;

static conn conns[MAX_CONNS];
static uint32_t free_slots[MAX_CONNS];
static size_t nfree;
static int epfd = -1;
static int64_t rtt_ns, half_ns;
static struct sockaddr_storage up_addr;
static socklen_t up_len;
static FILE *conn_log;
static unsigned long long serial;
static fifo connect_q, deliver_q;

static void die(const char *what)
{
    fprintf(stderr, "delayproxy: %s: %s\n", what, strerror(errno));
    exit(1);
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* epoll data: the slot, the side and the slot's generation, so an event read in the
 * same batch as the close of its connection (and a reuse of the slot) is recognised. */
static uint64_t ev_key(uint32_t slot, int side, uint32_t gen)
{
    return ((uint64_t)gen << 32) | ((uint64_t)slot << 1) | (uint64_t)side;
}

static void fifo_push(fifo *q, int64_t due, uint32_t slot, int dir)
{
    timer_ev *t = malloc(sizeof *t);
    if (!t)
        die("malloc");
    t->next = NULL;
    t->due = due;
    t->slot = slot;
    t->gen = conns[slot].gen;
    t->dir = dir;
    if (q->tail)
        q->tail->next = t;
    else
        q->head = t;
    q->tail = t;
}

static timer_ev *fifo_pop_due(fifo *q, int64_t now)
{
    timer_ev *t = q->head;
    if (!t || t->due > now)
        return NULL;
    q->head = t->next;
    if (!q->head)
        q->tail = NULL;
    return t;
}

/* Sets the events fd `side` of `c` is registered for from its state: read while its
 * direction may take more, write while the direction into it is blocked. A side that
 * is done both ways (EOF read from it, EOF passed to it) leaves the epoll set: the
 * hang-up it reports from then on would wake the loop again and again. Errors and
 * hang-ups are reported whatever is asked, so a side registered for nothing still
 * reports a reset. */
static void update_events(uint32_t slot, int side)
{
    conn *c = &conns[slot];
    int fd = c->fd[side];
    if (fd < 0 || !c->registered[side])
        return;
    pipe_dir *in = &c->dir[side], *out = &c->dir[!side];
    if (in->read_eof && out->wrote_eof) {
        if (epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL) < 0)
            die("epoll_ctl del");
        c->registered[side] = 0;
        return;
    }
    uint32_t want = 0;
    if (c->connected && !in->read_eof && in->queued <= BACKLOG_LIMIT)
        want |= EPOLLIN;
    if ((c->connecting && side == UPSTREAM) || out->blocked)
        want |= EPOLLOUT;
    if (want == c->events[side])
        return;
    struct epoll_event ev = { .events = want, .data.u64 = ev_key(slot, side, c->gen) };
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
        die("epoll_ctl mod");
    c->events[side] = want;
}

static void conn_register(uint32_t slot, int side)
{
    conn *c = &conns[slot];
    struct epoll_event ev = { .events = 0, .data.u64 = ev_key(slot, side, c->gen) };
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd[side], &ev) < 0)
        die("epoll_ctl add");
    c->registered[side] = 1;
    c->events[side] = 0;
    update_events(slot, side);
}

static void conn_close(uint32_t slot)
{
    conn *c = &conns[slot];
    for (int s = 0; s < 2; s++) {
        if (c->fd[s] >= 0)
            close(c->fd[s]); /* also leaves the epoll set */
        c->fd[s] = -1;
        chunk *k = c->dir[s].head;
        while (k) {
            chunk *next = k->next;
            free(k);
            k = next;
        }
        memset(&c->dir[s], 0, sizeof c->dir[s]);
    }
    c->used = 0;
    c->gen++;
    free_slots[nfree++] = slot;
}

/* Both EOFs passed on and nothing left to write: the connection is done. */
static int conn_finished(const conn *c)
{
    return c->dir[0].wrote_eof && c->dir[1].wrote_eof;
}

/* Writes what is due in direction `d` of `slot` (d == CLIENT: to the upstream).
 * Returns -1 when the connection was closed. */
static int flush_dir(uint32_t slot, int d, int64_t now)
{
    conn *c = &conns[slot];
    pipe_dir *p = &c->dir[d];
    int to = c->fd[!d];
    p->blocked = 0;
    while (p->head && p->head->due <= now) {
        chunk *k = p->head;
        if (k->eof) {
            if (shutdown(to, SHUT_WR) < 0 && errno != ENOTCONN) {
                conn_close(slot);
                return -1;
            }
            p->wrote_eof = 1;
        } else {
            while (k->off < k->len) {
                ssize_t w = send(to, k->data + k->off, k->len - k->off, MSG_NOSIGNAL);
                if (w < 0 && errno == EINTR)
                    continue;
                if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                    p->blocked = 1;
                    break;
                }
                if (w <= 0) {
                    conn_close(slot);
                    return -1;
                }
                k->off += (size_t)w;
                p->queued -= (size_t)w;
            }
            if (p->blocked)
                break;
        }
        p->head = k->next;
        if (!p->head)
            p->tail = NULL;
        free(k);
    }
    if (conn_finished(c)) {
        conn_close(slot);
        return -1;
    }
    update_events(slot, !d); /* EPOLLOUT while blocked; out of the set once done */
    update_events(slot, d);  /* reading again once the backlog is below the limit */
    return 0;
}

/* Reads what fd `side` has into direction `side`, each read a chunk due RTT/2 later.
 * Returns -1 when the connection was closed. */
static int read_side(uint32_t slot, int side, int64_t now)
{
    conn *c = &conns[slot];
    pipe_dir *p = &c->dir[side];
    static char buf[READ_CHUNK];
    while (!p->read_eof && p->queued <= BACKLOG_LIMIT) {
        ssize_t r = recv(c->fd[side], buf, sizeof buf, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (r < 0) {
            conn_close(slot);
            return -1;
        }
        chunk *k = malloc(sizeof *k + (size_t)r);
        if (!k)
            die("malloc");
        k->next = NULL;
        k->due = now + half_ns;
        k->len = (size_t)r;
        k->off = 0;
        k->eof = r == 0;
        memcpy(k->data, buf, (size_t)r);
        if (p->tail)
            p->tail->next = k;
        else
            p->head = k;
        p->tail = k;
        p->queued += (size_t)r;
        if (r == 0)
            p->read_eof = 1;
        fifo_push(&deliver_q, k->due, slot, side);
    }
    update_events(slot, side);
    return 0;
}

static void accept_all(int lfd, int64_t now)
{
    for (;;) {
        struct sockaddr_storage peer;
        socklen_t plen = sizeof peer;
        int fd = accept4(lfd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                fprintf(stderr, "delayproxy: accept: %s\n", strerror(errno));
            return;
        }
        if (nfree == 0) {
            fprintf(stderr, "delayproxy: more than %d connections: refusing one\n", MAX_CONNS);
            close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        uint32_t slot = free_slots[--nfree];
        conn *c = &conns[slot];
        c->used = 1;
        c->registered[CLIENT] = c->registered[UPSTREAM] = 0;
        c->fd[CLIENT] = fd;
        c->fd[UPSTREAM] = -1;
        c->connecting = c->connected = 0;
        conn_register(slot, CLIENT);
        fifo_push(&connect_q, now + rtt_ns, slot, -1);
        serial++;
        if (conn_log) {
            char host[INET6_ADDRSTRLEN] = "?", port[8] = "?";
            getnameinfo((struct sockaddr *)&peer, plen, host, sizeof host, port, sizeof port,
                        NI_NUMERICHOST | NI_NUMERICSERV);
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            fprintf(conn_log, "%llu %s:%s %lld\n", serial, host, port,
                    (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
            fflush(conn_log);
        }
    }
}

/* The RTT since the client connected has passed: connect to the upstream. */
static void start_upstream(uint32_t slot)
{
    conn *c = &conns[slot];
    int fd = socket(up_addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fprintf(stderr, "delayproxy: socket: %s\n", strerror(errno));
        conn_close(slot);
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->fd[UPSTREAM] = fd;
    if (connect(fd, (struct sockaddr *)&up_addr, up_len) == 0) {
        c->connected = 1;
    } else if (errno == EINPROGRESS) {
        c->connecting = 1;
    } else {
        conn_close(slot);
        return;
    }
    conn_register(slot, UPSTREAM);
    update_events(slot, CLIENT);
}

static void upstream_connected(uint32_t slot)
{
    conn *c = &conns[slot];
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->fd[UPSTREAM], SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
        conn_close(slot);
        return;
    }
    c->connecting = 0;
    c->connected = 1;
    update_events(slot, UPSTREAM);
    update_events(slot, CLIENT);
}

static void handle_event(uint64_t key, uint32_t events, int64_t now)
{
    uint32_t slot = (uint32_t)(key & 0xffffffffu) >> 1;
    int side = (int)(key & 1);
    uint32_t gen = (uint32_t)(key >> 32);
    if (slot >= MAX_CONNS || !conns[slot].used || conns[slot].gen != gen)
        return;
    conn *c = &conns[slot];
    if (side == UPSTREAM && c->connecting) {
        if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
            upstream_connected(slot);
        return;
    }
    /* Data before errors: a peer that sent its last bytes and reset is read first. */
    if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && c->events[side] & EPOLLIN) {
        if (read_side(slot, side, now) < 0)
            return;
    }
    if (events & EPOLLERR) {
        conn_close(slot);
        return;
    }
    if (events & EPOLLOUT) {
        /* fd `side` can take more: flush the direction that writes to it. */
        if (flush_dir(slot, !side, now) < 0)
            return;
    }
}

static void parse_addr(const char *s, struct sockaddr_storage *out, socklen_t *len, int passive)
{
    char host[256];
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s || (size_t)(colon - s) >= sizeof host) {
        fprintf(stderr, "delayproxy: \"%s\" is not host:port\n", s);
        exit(2);
    }
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    struct addrinfo hints, *ai;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = passive ? AI_PASSIVE : 0;
    int rc = getaddrinfo(host, colon + 1, &hints, &ai);
    if (rc != 0) {
        fprintf(stderr, "delayproxy: %s: %s\n", s, gai_strerror(rc));
        exit(2);
    }
    memcpy(out, ai->ai_addr, ai->ai_addrlen);
    *len = ai->ai_addrlen;
    freeaddrinfo(ai);
}

static void usage(void)
{
    fprintf(stderr, "usage: delayproxy --listen HOST:PORT --upstream HOST:PORT --rtt-ms N [--conn-log FILE]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *listen_s = NULL, *up_s = NULL, *log_s = NULL;
    long rtt_ms = -1;
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            usage();
        if (strcmp(argv[i], "--listen") == 0) {
            listen_s = argv[++i];
        } else if (strcmp(argv[i], "--upstream") == 0) {
            up_s = argv[++i];
        } else if (strcmp(argv[i], "--rtt-ms") == 0) {
            char *end;
            errno = 0;
            rtt_ms = strtol(argv[++i], &end, 10);
            if (errno || *end || rtt_ms < 0 || rtt_ms > 60000) {
                fprintf(stderr, "delayproxy: --rtt-ms must be 0..60000\n");
                return 2;
            }
        } else if (strcmp(argv[i], "--conn-log") == 0) {
            log_s = argv[++i];
        } else {
            usage();
        }
    }
    if (!listen_s || !up_s || rtt_ms < 0)
        usage();
    rtt_ns = (int64_t)rtt_ms * 1000000;
    half_ns = rtt_ns / 2;
    parse_addr(up_s, &up_addr, &up_len, 0);
    if (log_s && !(conn_log = fopen(log_s, "a")))
        die(log_s);

    struct sockaddr_storage la;
    socklen_t llen;
    parse_addr(listen_s, &la, &llen, 1);
    int lfd = socket(la.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (lfd < 0)
        die("socket");
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(lfd, (struct sockaddr *)&la, llen) < 0)
        die("bind");
    if (listen(lfd, 1024) < 0)
        die("listen");
    if (getsockname(lfd, (struct sockaddr *)&la, &llen) < 0)
        die("getsockname");

    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_IGN);
    int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sfd < 0)
        die("signalfd");

    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0)
        die("epoll_create1");
    /* The listener and the signal fd carry keys no connection can have (slot beyond
     * MAX_CONNS). */
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = ev_key(MAX_CONNS, 0, 0) };
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev) < 0)
        die("epoll_ctl");
    ev.data.u64 = ev_key(MAX_CONNS + 1, 0, 0);
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, sfd, &ev) < 0)
        die("epoll_ctl");
    for (uint32_t i = 0; i < MAX_CONNS; i++) {
        conns[i].fd[0] = conns[i].fd[1] = -1;
        free_slots[nfree++] = MAX_CONNS - 1 - i;
    }

    printf("%u\n", la.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&la)->sin6_port)
                                             : ntohs(((struct sockaddr_in *)&la)->sin_port));
    fflush(stdout);

    struct epoll_event evs[256];
    for (;;) {
        int64_t now = now_ns(), next = -1;
        if (connect_q.head)
            next = connect_q.head->due;
        if (deliver_q.head && (next < 0 || deliver_q.head->due < next))
            next = deliver_q.head->due;
        /* Round up: waking a little late keeps every delay at least what was asked. */
        int timeout = next < 0 ? -1 : next <= now ? 0 : (int)((next - now + 999999) / 1000000);
        int n = epoll_wait(epfd, evs, 256, timeout);
        if (n < 0 && errno != EINTR)
            die("epoll_wait");
        now = now_ns();
        for (int i = 0; i < n; i++) {
            uint64_t key = evs[i].data.u64;
            uint32_t slot = (uint32_t)(key & 0xffffffffu) >> 1;
            if (slot == MAX_CONNS) {
                accept_all(lfd, now);
            } else if (slot == MAX_CONNS + 1) {
                if (conn_log)
                    fclose(conn_log);
                return 0;
            } else {
                handle_event(key, evs[i].events, now);
            }
        }
        timer_ev *t;
        while ((t = fifo_pop_due(&connect_q, now))) {
            if (conns[t->slot].used && conns[t->slot].gen == t->gen)
                start_upstream(t->slot);
            free(t);
        }
        while ((t = fifo_pop_due(&deliver_q, now))) {
            conn *c = &conns[t->slot];
            /* A blocked direction is flushed by EPOLLOUT instead. (Nothing is read
             * before the upstream is connected, so both fds are there.) */
            if (c->used && c->gen == t->gen && c->connected && !c->dir[t->dir].blocked)
                flush_dir(t->slot, t->dir, now);
            free(t);
        }
    }
}
