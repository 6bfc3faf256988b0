/*
 * wake.c - the local wake-up between submitters and idle runners (see wake.h for the
 * design and its limits).
 *
 * Why datagrams in the abstract namespace: a datagram needs no connection, so a
 * submitter does one sendto() per runner with MSG_DONTWAIT and is done (a runner that
 * died leaves no name behind: the kernel drops the name with the socket); each runner
 * has a name of its own because Unix datagram sockets have no fan-out (one name, one
 * socket), and the names of a site are found in /proc/net/unix, which lists the bound
 * sockets of the reader's network namespace only. A receive queue that is full means the
 * runner has wake-ups pending already: losing one more changes nothing.
 */
#include "wake.h"

#include "internal.h"
#include "sha256.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* /proc/net/unix is read up to this much (a host with 40,000 sockets lists about 4 MiB);
 * runners beyond WAKE_MAX are left to their poll. */
#define WAKE_READ_MAX (4u << 20)
#define WAKE_MAX 256

void kbj_wake_site(const kbj_db_settings *db, char out[KBJ_WAKE_SITE_LEN + 1])
{
    kbj_host h;
    char buf[1024], hex[65];
    int n;

    out[0] = '\0';
    if (!db || !db->host || kbj_parse_db_host(db->host, &h) != KBJ_OK)
        return;
    for (char *c = h.host; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    /* one field a line: none of them holds a newline (a database name or prefix with one
     * is refused by the connection anyway) */
    n = snprintf(buf, sizeof buf, "%s\n%u\n%s\n%s\n%s", h.host, h.port ? h.port : 3306, h.socket,
                 db->database ? db->database : "", db->prefix ? db->prefix : "");
    if (n < 0 || (size_t)n >= sizeof buf || kbj_sha256_hex(buf, (size_t)n, hex) != KBJ_OK)
        return;
    snprintf(out, KBJ_WAKE_SITE_LEN + 1, "kbjobs-%.16s", hex);
}

/* The abstract address "\0<site>-<runner>" and its length (abstract names are the
 * exact bytes given, with no terminating NUL). 0 when the name would not fit. */
static socklen_t wake_addr(struct sockaddr_un *a, const char *site, const char *runner, size_t rlen)
{
    size_t slen = strlen(site);
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    if (1 + slen + 1 + rlen > sizeof a->sun_path)
        return 0;
    memcpy(a->sun_path + 1, site, slen);
    a->sun_path[1 + slen] = '-';
    memcpy(a->sun_path + 2 + slen, runner, rlen);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 2 + slen + rlen);
}

static int is_hex_id(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]))
            return 0;
    return n == KBJ_ID_LEN;
}

int kbj_wake_listen(const char *site, const char *runner)
{
    struct sockaddr_un a;
    socklen_t len;
    int fd;

    if (!site || !site[0] || !runner || !is_hex_id(runner, strlen(runner))) {
        errno = EINVAL;
        return -1;
    }
    len = wake_addr(&a, site, runner, strlen(runner));
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (!len || bind(fd, (struct sockaddr *)&a, len) != 0) {
        int e = len ? errno : EINVAL;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

int kbj_wake_wait(int fd, int timeout_ms)
{
    char buf[64];
    int woke = 0;

    if (fd < 0) {
        if (timeout_ms > 0) {
            struct timespec ts = { timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L };
            nanosleep(&ts, NULL);
        }
        return 0;
    }
    if (timeout_ms > 0) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, timeout_ms) <= 0)
            return 0;
    }
    /* every pending datagram: one wake-up stands for all that came before it */
    while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) >= 0)
        woke = 1;
    return woke;
}

/* Sends a byte to each runner listening under `site` (send 0: only counts them);
 * returns how many were sent (or found). */
static unsigned wake_each(const char *site, int send)
{
    char line[512], pat[KBJ_WAKE_SITE_LEN + 3];
    size_t plen, read = 0;
    unsigned sent = 0, tried = 0;
    FILE *f;
    int fd = -1;

    if (!site || !site[0])
        return 0;
    plen = (size_t)snprintf(pat, sizeof pat, " @%s-", site);
    if (!(f = fopen("/proc/net/unix", "re")))
        return 0;
    /* a line: "Num RefCount Protocol Flags Type St Inode Path"; an abstract name's path
     * is shown with '@' for its leading NUL. Ours end the line after the runner id. */
    while (tried < WAKE_MAX && read < WAKE_READ_MAX && fgets(line, sizeof line, f)) {
        size_t n = strlen(line);
        const char *hit, *id;
        struct sockaddr_un a;
        socklen_t alen;

        read += n;
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (!(hit = strstr(line, pat)))
            continue;
        id = hit + plen;
        if (id + KBJ_ID_LEN != line + n || !is_hex_id(id, KBJ_ID_LEN))
            continue;
        tried++;
        if (!send) {
            sent++;
            continue;
        }
        if (fd < 0 && (fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
            break;
        alen = wake_addr(&a, site, id, KBJ_ID_LEN);
        /* a receiver gone (ECONNREFUSED) or with a full queue (EAGAIN) is skipped */
        if (alen && sendto(fd, "w", 1, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&a, alen) == 1)
            sent++;
    }
    fclose(f);
    if (fd >= 0)
        close(fd);
    return sent;
}

unsigned kbj_wake_notify(const char *site)
{
    return wake_each(site, 1);
}

unsigned kbj_wake_listeners(const char *site)
{
    return wake_each(site, 0);
}

void kbj_wake_jobs(kbj_engine *eng)
{
    if (eng)
        (void)kbj_wake_notify(eng->wake_site);
}
