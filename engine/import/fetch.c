/*
 * fetch.c - many URLs at once through libcurl's multi interface, with the limits that
 * make it safe on the open web: connection limits, timeouts, a low-speed floor, body
 * caps enforced while downloading (on the wire and after decoding), a content-type
 * check at the first body bytes, redirects limited to http/https, and every socket
 * checked against special-purpose addresses before it connects.
 *
 * The address check lives in the CURLOPT_OPENSOCKETFUNCTION callback: it sees the
 * address libcurl is about to connect to, after DNS, for every hop of a redirect chain
 * and every address of a happy-eyeballs race, so DNS rebinding and odd spellings of
 * loopback (0x7f000001, 2130706433, [::ffff:127.0.0.1]) meet the same check.
 *
 * Scheduling is ours, not libcurl's: at most max_total transfers (and max_per_host per
 * "host:port" of the URL) are in the multi handle at once, because a handle libcurl
 * keeps pending for a connection slot already runs its timeout clock. Transient
 * failures wait for their retry time in our list while the other transfers go on.
 *
 * Kept connections. libcurl keeps a connection for the next request to the same host
 * once a response is complete. A server that sends more than it declared (a length lie)
 * leaves bytes that libcurl 7.88 would read as the start of the NEXT response: it closes
 * the connection itself only when the extra bytes come in the same read as the body's
 * end ("Excess found in a read"), and its check before reuse calls a connection with
 * unread bytes alive. Two defences, see on_prereq and finish_try:
 *   - before a request goes out on a reused plain-HTTP connection, the socket must have
 *     nothing to read (no bytes, no EOF); otherwise the pre-request callback aborts the
 *     try, which makes libcurl close that connection, and the item is tried again at
 *     once on a new one. The sockets are found through the table the open/close socket
 *     callbacks keep (libcurl 7.88 tells a callback the connection's addresses, not its
 *     socket).
 *   - extra bytes that arrive after the request was sent cannot be told from a reply:
 *     a protocol error on a reused connection (malformed status line, HTTP/0.9, nothing
 *     or a broken reply) is tried again once, at once, on a new connection, and the
 *     item's later tries open their own and close them after use (CURLOPT_FRESH_CONNECT
 *     and CURLOPT_FORBID_REUSE; libcurl may still reuse one for a redirect hop, and a
 *     failure there is then an ordinary one). That try is not one of the `retries` and
 *     waits for no backoff. New connections go through on_open_socket like every
 *     other, so the address check still applies.
 * Only plain HTTP without a proxy is checked before reuse: on TLS the socket holds
 * records (HTTP/2 control frames between requests are normal there), and a proxy
 * frames each response itself; both still get the retry on a new connection.
 */
#include "fetch.h"
#include "ids.h"
#include "url.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#define DEF_MAX_TOTAL 16u
#define DEF_MAX_PER_HOST 6u
#define DEF_CONNECT_TIMEOUT_MS 10000u
#define DEF_TIMEOUT_MS 30000u
#define DEF_LOW_SPEED_BYTES 512u
#define DEF_LOW_SPEED_SECONDS 10u
#define DEF_MAX_BODY ((size_t)10 << 20)
#define DEF_MAX_REDIRECTS 5u
#define DEF_RETRIES 2u
#define DEF_RETRY_BASE_MS 500u
#define DEF_RETRY_AFTER_MAX_MS 30000u
#define DEF_USER_AGENT "kbjobs/" KBJ_VERSION " (+knowledge-base importer)"

#define MAX_SIZE_LIMIT ((size_t)1 << 40) /* larger limits are clamped to this */
#define SNIFF_BYTES 512                   /* bytes checked for NUL without a Content-Type */
#define POLL_MS 100                       /* should_stop is asked at least this often */
#define FIRST_BUFFER 16384
#define GOAWAY_TRIES 5                    /* tries an HTTP/2 GOAWAY may end, per item */
#define THROTTLE_TRIES 10                 /* 429 answers waited out, per item */
#define HOST_BUCKETS 64

/* Copies src into dst (capacity cap > 0), truncating, always terminated. */
static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* ---- addresses ------------------------------------------------------------------- */

/* An allow-list entry in IPv6 form: IPv4 a.b.c.d/n is ::ffff:a.b.c.d/(96 + n). */
typedef struct addr_rule {
    unsigned char net[16];
    unsigned prefix;
} addr_rule;

/* A socket libcurl holds (opened by on_open_socket, not yet closed by on_close_socket). */
typedef struct conn_sock {
    int fd;
    unsigned requests;        /* requests sent on it (counted by on_prereq) */
} conn_sock;

/* A host_limits entry: "host" (any port) or "host:port", and its limit. */
typedef struct host_rule {
    char *name;
    int has_port;
    unsigned limit;
} host_rule;

/* What the fetcher knows of one "host:port" while it has items for it, or while it is
 * throttled: the per-host limit and how a 429 slowed it down. */
typedef struct host_ent {
    char *key;
    struct host_ent *next;    /* hash chain */
    unsigned items;           /* items of this host not taken yet */
    unsigned active;          /* transfers in flight */
    unsigned limit;           /* the configured limit (max_per_host or a host_limits rule) */
    unsigned cur;             /* the limit now: cut in half by a 429, grown back by one
                               * after `cur` answers without one */
    unsigned ok_run;          /* answers since the last change of cur */
    double paused_until;      /* monotonic seconds: nothing starts before (Retry-After) */
    double cut_at;            /* when a 429 last cut `cur` */
    int http_version;         /* of the last answer: 11, 20 (0 before) */
} host_ent;

typedef struct xfer xfer;

struct kbj_fetcher {
    kbj_fetch_config cfg;     /* defaults applied; strings point below */
    char *user_agent;
    char *proxy;              /* NULL: no proxy whatever the environment says */
    char *ca_file;            /* NULL: the system's bundle */
    addr_rule *allow;
    size_t nallow;
    host_rule *rules;         /* host_limits */
    size_t nrules;
    conn_sock *socks;         /* every socket of the multi handle's connections */
    size_t nsocks, capsocks;
    CURLM *multi;
    struct curl_slist *headers;
    uint64_t rng;
    kbj_err err;
    /* the stream: items in the order they were added, until taken */
    xfer **q;
    size_t nq, capq, lo;      /* lo: items before it are all done */
    size_t ndone, nactive, nwaiting;
    host_ent **hosts;         /* hash table of hosts with items (or throttled) */
    size_t nhostbuckets, nhosts;
    int need_admit;
    double next_due;          /* the earliest waiting item's due time or host's pause end */
};

/* Whether the first `bits` bits of a and b agree (both at least (bits + 7) / 8 bytes). */
static int prefix_match(const unsigned char *a, const unsigned char *b, unsigned bits)
{
    unsigned whole = bits / 8, rest = bits % 8;
    if (memcmp(a, b, whole) != 0)
        return 0;
    if (rest == 0)
        return 1;
    unsigned char mask = (unsigned char)(0xFFu << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

/* An IPv4 address (4 bytes, network order) is special-purpose. */
static int v4_special(const unsigned char *a)
{
    static const struct {
        unsigned char net[4];
        unsigned prefix;
    } nets[] = {
        { { 0, 0, 0, 0 }, 8 },         /* "this network" */
        { { 10, 0, 0, 0 }, 8 },        /* private */
        { { 100, 64, 0, 0 }, 10 },     /* shared address space (CGNAT) */
        { { 127, 0, 0, 0 }, 8 },       /* loopback */
        { { 169, 254, 0, 0 }, 16 },    /* link-local (cloud metadata) */
        { { 172, 16, 0, 0 }, 12 },     /* private */
        { { 192, 0, 0, 0 }, 24 },      /* IETF protocol assignments */
        { { 192, 0, 2, 0 }, 24 },      /* TEST-NET-1 */
        { { 192, 88, 99, 0 }, 24 },    /* 6to4 relay anycast */
        { { 192, 168, 0, 0 }, 16 },    /* private */
        { { 198, 18, 0, 0 }, 15 },     /* benchmarking */
        { { 198, 51, 100, 0 }, 24 },   /* TEST-NET-2 */
        { { 203, 0, 113, 0 }, 24 },    /* TEST-NET-3 */
        { { 224, 0, 0, 0 }, 4 },       /* multicast */
        { { 240, 0, 0, 0 }, 4 },       /* reserved, and 255.255.255.255 */
    };
    for (size_t i = 0; i < sizeof nets / sizeof nets[0]; i++)
        if (prefix_match(a, nets[i].net, nets[i].prefix))
            return 1;
    return 0;
}

/* An IPv6 address (16 bytes) is special-purpose. Everything outside 2000::/3 (global
 * unicast) is, except the IPv4-mapped and NAT64 forms of public IPv4 addresses. */
static int v6_special(const unsigned char *a)
{
    static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF };
    static const unsigned char nat64[12] = { 0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0 };
    /* Full 16-byte networks: prefix_match reads the byte after the whole ones. */
    static const unsigned char ietf[16] = { 0x20, 0x01 };                /* 2001::/23 */
    static const unsigned char doc[16] = { 0x20, 0x01, 0x0D, 0xB8 };     /* 2001:db8::/32 */
    static const unsigned char doc2[16] = { 0x3F, 0xFF };                /* 3fff::/20 */
    static const unsigned char sixto4[16] = { 0x20, 0x02 };              /* 2002::/16 */

    if (memcmp(a, mapped, 12) == 0 || memcmp(a, nat64, 12) == 0)
        return v4_special(a + 12);
    if ((a[0] & 0xE0) != 0x20)
        return 1; /* ::, ::1, ::/96, 64:ff9b:1::/48, 100::/64, fc00::/7, fe80::/10,
                   * fec0::/10, ff00::/8 and everything else outside 2000::/3 */
    if (prefix_match(a, ietf, 23) || prefix_match(a, doc, 32) || prefix_match(a, doc2, 20))
        return 1;
    if (prefix_match(a, sixto4, 16))
        return v4_special(a + 2);
    return 0;
}

int kbj_fetch_addr_special(const struct sockaddr *sa)
{
    if (!sa)
        return 1;
    if (sa->sa_family == AF_INET) {
        struct sockaddr_in in;
        memcpy(&in, sa, sizeof in);
        return v4_special((const unsigned char *)&in.sin_addr);
    }
    if (sa->sa_family == AF_INET6) {
        struct sockaddr_in6 in6;
        memcpy(&in6, sa, sizeof in6);
        return v6_special(in6.sin6_addr.s6_addr);
    }
    return 1; /* AF_UNIX and anything else */
}

/* The address of `sa` in IPv6 form (IPv4 as ::ffff:a.b.c.d) and as text; 0, or -1 for
 * another family. */
static int addr_v6_form(const struct sockaddr *sa, unsigned char out[16], char *text, size_t cap)
{
    if (sa->sa_family == AF_INET) {
        struct sockaddr_in in;
        memcpy(&in, sa, sizeof in);
        memset(out, 0, 10);
        out[10] = out[11] = 0xFF;
        memcpy(out + 12, &in.sin_addr, 4);
        if (!inet_ntop(AF_INET, &in.sin_addr, text, (socklen_t)cap))
            copy_str(text, cap, "?");
        return 0;
    }
    if (sa->sa_family == AF_INET6) {
        struct sockaddr_in6 in6;
        memcpy(&in6, sa, sizeof in6);
        memcpy(out, in6.sin6_addr.s6_addr, 16);
        if (!inet_ntop(AF_INET6, &in6.sin6_addr, text, (socklen_t)cap))
            copy_str(text, cap, "?");
        return 0;
    }
    copy_str(text, cap, "(not an IP address)");
    return -1;
}

/* Whether the fetcher may connect to `sa`: an ordinary address, or one the allow list
 * names. An IPv4-mapped IPv6 address matches IPv4 entries (both are kept in one form). */
static int addr_allowed(const kbj_fetcher *f, const struct sockaddr *sa, char *text, size_t cap)
{
    unsigned char a[16];
    if (addr_v6_form(sa, a, text, cap) != 0)
        return 0;
    if (!kbj_fetch_addr_special(sa))
        return 1;
    for (size_t i = 0; i < f->nallow; i++)
        if (prefix_match(a, f->allow[i].net, f->allow[i].prefix))
            return 1;
    return 0;
}

/* Parses one allow-list entry "addr" or "addr/prefix" (no spaces). 0 or -1. */
static int parse_rule(const char *s, addr_rule *r)
{
    char buf[64];
    const char *slash = strchr(s, '/');
    size_t alen = slash ? (size_t)(slash - s) : strlen(s);
    unsigned max, prefix;
    unsigned char v4[4];

    if (alen == 0 || alen >= sizeof buf)
        return -1;
    memcpy(buf, s, alen);
    buf[alen] = '\0';
    memset(r->net, 0, sizeof r->net);
    if (inet_pton(AF_INET, buf, v4) == 1) {
        r->net[10] = r->net[11] = 0xFF;
        memcpy(r->net + 12, v4, 4);
        max = 32;
    } else if (inet_pton(AF_INET6, buf, r->net) == 1) {
        max = 128;
    } else {
        return -1;
    }
    prefix = max;
    if (slash) {
        const char *p = slash + 1;
        if (!*p || strlen(p) > 3)
            return -1;
        prefix = 0;
        for (; *p; p++) {
            if (*p < '0' || *p > '9')
                return -1;
            prefix = prefix * 10 + (unsigned)(*p - '0');
        }
        if (prefix > max)
            return -1;
    }
    r->prefix = prefix + (max == 32 ? 96 : 0);
    return 0;
}

/* Parses the comma-separated allow list into f->allow. 0, or a KBJ_E* code. */
static int parse_allow(kbj_fetcher *f, const char *list, kbj_err *err)
{
    size_t cap = 1;
    for (const char *p = list; *p; p++)
        cap += *p == ',';
    f->allow = calloc(cap, sizeof *f->allow);
    if (!f->allow)
        return kbj_fail(err, KBJ_ENOMEM, "out of memory");
    const char *p = list;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char item[80];
        while (len > 0 && (*p == ' ' || *p == '\t')) {
            p++;
            len--;
        }
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len > 0) {
            if (len >= sizeof item)
                return kbj_fail(err, KBJ_EINVAL, "allow list: \"%.*s...\" is not an IP address or CIDR range",
                                40, p);
            memcpy(item, p, len);
            item[len] = '\0';
            if (parse_rule(item, &f->allow[f->nallow]) != 0)
                return kbj_fail(err, KBJ_EINVAL, "allow list: \"%s\" is not an IP address or CIDR range",
                                item);
            f->nallow++;
        }
        if (!end)
            break;
        p = end + 1;
    }
    return KBJ_OK;
}

/* One host_limits entry, "name=N", trimmed, into r. 0, or -1 when malformed. */
static int parse_host_rule(const char *item, size_t len, host_rule *r)
{
    const char *eq = memchr(item, '=', len);
    size_t nlen;
    unsigned long v = 0;
    const char *colon;
    if (!eq)
        return -1;
    nlen = (size_t)(eq - item);
    while (nlen > 0 && (item[nlen - 1] == ' ' || item[nlen - 1] == '\t'))
        nlen--;
    if (nlen == 0 || nlen > 300)
        return -1;
    for (const char *p = eq + 1; p < item + len; p++) {
        if (*p == ' ' || *p == '\t')
            continue;
        if (*p < '0' || *p > '9' || v > 1000)
            return -1;
        v = v * 10 + (unsigned long)(*p - '0');
    }
    if (v < 1 || v > 100)
        return -1;
    for (size_t i = 0; i < nlen; i++)
        if (!(item[i] == '.' || item[i] == '-' || item[i] == '_' || item[i] == ':' || item[i] == '[' ||
              item[i] == ']' || (item[i] >= '0' && item[i] <= '9') || ((item[i] | 32) >= 'a' && (item[i] | 32) <= 'z')))
            return -1;
    if (!(r->name = malloc(nlen + 1)))
        return -2;
    for (size_t i = 0; i < nlen; i++)
        r->name[i] = (char)(item[i] >= 'A' && item[i] <= 'Z' ? item[i] + 32 : item[i]);
    r->name[nlen] = '\0';
    /* "host:port" or "[v6]:port"; a bare IPv6 address must come in brackets */
    colon = strrchr(r->name, ':');
    r->has_port = colon && colon[1] && strspn(colon + 1, "0123456789") == strlen(colon + 1) &&
                  (r->name[0] != '[' || colon[-1] == ']');
    r->limit = (unsigned)v;
    return 0;
}

/* Parses host_limits: "docs.example.com=2, example.org:8443=16". */
static int parse_host_limits(kbj_fetcher *f, const char *list, kbj_err *err)
{
    size_t cap = 1;
    for (const char *p = list; *p; p++)
        cap += *p == ',';
    f->rules = calloc(cap, sizeof *f->rules);
    if (!f->rules)
        return kbj_fail(err, KBJ_ENOMEM, "out of memory");
    for (const char *p = list; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len > 0 && (*p == ' ' || *p == '\t')) {
            p++;
            len--;
        }
        if (len > 0) {
            int rc = parse_host_rule(p, len, &f->rules[f->nrules]);
            if (rc == -2)
                return kbj_fail(err, KBJ_ENOMEM, "out of memory");
            if (rc != 0)
                return kbj_fail(err, KBJ_EINVAL, "host_limits: \"%.*s\" is not host[:port]=N with N from 1 to 100",
                                (int)(len > 80 ? 80 : len), p);
            f->nrules++;
        }
        if (!end)
            break;
        p = end + 1;
    }
    return KBJ_OK;
}

/* ---- small helpers ------------------------------------------------------------------ */

/* A number in [0, 1) (xorshift64*; jitter does not need more). */
static double rnd(kbj_fetcher *f)
{
    uint64_t x = f->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    f->rng = x;
    return (double)((x * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0;
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* The URL with any credentials replaced by "***@", malloc'd; NULL when out of memory. */
static char *redacted(const char *url)
{
    size_t cap = strlen(url) + 8;
    char *out = malloc(cap);
    if (out)
        kbj_url_redact(url, out, cap);
    return out;
}

/* The media type of a Content-Type value ("text/html; charset=x" -> "text/html"),
 * printable ASCII only, at most cap - 1 bytes. */
static void media_type(const char *ct, char *out, size_t cap)
{
    size_t o = 0;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    for (; *ct && *ct != ';' && o + 1 < cap; ct++) {
        unsigned char c = (unsigned char)*ct;
        if (c > 0x20 && c < 0x7F)
            out[o++] = (char)c;
    }
    out[o] = '\0';
}

/* Whether a Content-Type value names a type at all ("" and ";" do not: sniff then). */
static int has_type(const char *ct)
{
    char mt[100];
    if (!ct)
        return 0;
    media_type(ct, mt, sizeof mt);
    return mt[0] != '\0';
}

static int type_accepted(const char *ct)
{
    char mt[100];
    media_type(ct, mt, sizeof mt);
    return strcasecmp(mt, "text/html") == 0 || strcasecmp(mt, "application/xhtml+xml") == 0 ||
           strcasecmp(mt, "text/plain") == 0;
}

/* ---- one URL ----------------------------------------------------------------------- */

typedef enum xstate { X_WAITING, X_ACTIVE, X_DONE } xstate;

struct xfer {
    kbj_fetcher *f;
    kbj_fetch_result *res;     /* &own */
    kbj_fetch_result own;
    const char *url;
    void *tag;
    host_ent *host;            /* for the per-host limit */
    CURL *easy;
    xstate state;
    double due;                /* when the next try may start (monotonic seconds) */
    double first_start;        /* when the first try started; 0 before */
    double try_started;        /* when the current (or last) try started */
    int fresh;                 /* new connections only: a try on a reused one failed (the
                                * one try that does not count against `retries`) */
    unsigned free_tries;       /* tries that do not count against `retries`: the one on a
                                * new connection, those a GOAWAY or REFUSED_STREAM ended,
                                * and the waits a 429 asked for */
    unsigned throttled;        /* 429 answers so far */
    unsigned goaways;          /* tries an HTTP/2 connection ended under us */
    /* the current try */
    char *buf;
    size_t len, cap;
    int checked;               /* status and type checked at the first body bytes */
    int sniff;                 /* no Content-Type: the NUL check is still to do */
    int encoded;               /* the current response has a Content-Encoding */
    double retry_after;        /* the current response's Retry-After in seconds, or -1 */
    int aborted;               /* a callback stopped the transfer, for `why` */
    int reused;                /* the last request went out on a reused connection */
    int stale;                 /* on_prereq refused a reused connection with data waiting */
    kbj_fetch_outcome why_outcome;
    char why[192];
    char refused[96];          /* the first address the socket callback refused, or "" */
    int nomem;
    char errbuf[CURL_ERROR_SIZE];
};

/* Stops the transfer from a callback with an outcome and a reason. */
static void stop_with(xfer *x, kbj_fetch_outcome o, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static void stop_with(xfer *x, kbj_fetch_outcome o, const char *fmt, ...)
{
    va_list ap;
    if (x->aborted)
        return;
    x->aborted = 1;
    x->why_outcome = o;
    va_start(ap, fmt);
    vsnprintf(x->why, sizeof x->why, fmt, ap);
    va_end(ap);
}

/* The outcome a final HTTP status stands for. */
static kbj_fetch_outcome status_outcome(long status)
{
    if (status >= 200 && status < 300)
        return KBJ_FETCH_OK;
    if (status == 429 || status == 408 || (status >= 500 && status < 600))
        return KBJ_FETCH_TRANSIENT;
    return KBJ_FETCH_PERMANENT;
}

/* ---- the sockets of kept connections ------------------------------------------------ */

/* Adds `fd` to the fetcher's table with no request sent yet (an entry a missed close
 * left for the same number is taken over). 0, or -1 when out of memory. */
static int sock_add(kbj_fetcher *f, int fd)
{
    for (size_t i = 0; i < f->nsocks; i++) {
        if (f->socks[i].fd == fd) {
            f->socks[i].requests = 0;
            return 0;
        }
    }
    if (f->nsocks == f->capsocks) {
        size_t cap = f->capsocks ? f->capsocks * 2 : 16;
        conn_sock *ns = realloc(f->socks, cap * sizeof *ns);
        if (!ns)
            return -1;
        f->socks = ns;
        f->capsocks = cap;
    }
    f->socks[f->nsocks].fd = fd;
    f->socks[f->nsocks].requests = 0;
    f->nsocks++;
    return 0;
}

/* Removes `fd` from the table (nothing when it is not there). */
static void sock_forget(kbj_fetcher *f, int fd)
{
    for (size_t i = 0; i < f->nsocks; i++) {
        if (f->socks[i].fd == fd) {
            f->socks[i] = f->socks[--f->nsocks];
            return;
        }
    }
}

/* Whether `ss` holds address `ip` (as libcurl writes it: "127.0.0.1", "::1") and `port`. */
static int sockaddr_is(const struct sockaddr_storage *ss, const char *ip, int port)
{
    if (ss->ss_family == AF_INET) {
        struct sockaddr_in in;
        struct in_addr a;
        memcpy(&in, ss, sizeof in);
        return ntohs(in.sin_port) == port && inet_pton(AF_INET, ip, &a) == 1 &&
               memcmp(&a, &in.sin_addr, sizeof a) == 0;
    }
    if (ss->ss_family == AF_INET6) {
        struct sockaddr_in6 in6;
        struct in6_addr a;
        memcpy(&in6, ss, sizeof in6);
        return ntohs(in6.sin6_port) == port && inet_pton(AF_INET6, ip, &a) == 1 &&
               memcmp(&a, &in6.sin6_addr, sizeof a) == 0;
    }
    return 0;
}

/* The table entry of the connected socket with these ends, or NULL. */
static conn_sock *sock_find(kbj_fetcher *f, const char *peer_ip, int peer_port, const char *local_ip,
                            int local_port)
{
    for (size_t i = 0; i < f->nsocks; i++) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        if (getsockname(f->socks[i].fd, (struct sockaddr *)&ss, &len) != 0 ||
            !sockaddr_is(&ss, local_ip, local_port))
            continue;
        len = sizeof ss;
        if (getpeername(f->socks[i].fd, (struct sockaddr *)&ss, &len) == 0 &&
            sockaddr_is(&ss, peer_ip, peer_port))
            return &f->socks[i];
    }
    return NULL;
}

/* Whether a connected socket has something to read: bytes, EOF or an error. */
static int input_waiting(int fd)
{
    char c;
    ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return !(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
}

static curl_socket_t on_open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
    xfer *x = clientp;
    curl_socket_t fd;
    (void)purpose;
    if (!x->f->proxy) {
        struct sockaddr_storage ss;
        char text[INET6_ADDRSTRLEN + 1];
        size_t n = a->addrlen < sizeof ss ? a->addrlen : sizeof ss;
        memset(&ss, 0, sizeof ss);
        memcpy(&ss, &a->addr, n);
        ss.ss_family = (sa_family_t)a->family;
        if (!addr_allowed(x->f, (const struct sockaddr *)&ss, text, sizeof text)) {
            if (!x->refused[0])
                snprintf(x->refused, sizeof x->refused, "address %s is not allowed", text);
            return CURL_SOCKET_BAD;
        }
    }
    fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
    if (fd != CURL_SOCKET_BAD && sock_add(x->f, fd) != 0) {
        close(fd);
        x->nomem = 1;
        return CURL_SOCKET_BAD;
    }
    return fd;
}

/* libcurl closes a socket of ours. `clientp` is the fetcher: connections outlive the
 * transfer that opened them. */
static int on_close_socket(void *clientp, curl_socket_t fd)
{
    sock_forget(clientp, fd);
    return close(fd);
}

/* Called once a connection (new or reused) is ready, before each request, redirect
 * hops included. Notes whether the connection is reused and refuses a reused
 * plain-HTTP one that has anything to read: bytes there now were sent before our
 * request (a length lie's excess, a stray reply) or the server is closing it. Aborting
 * here sends nothing; libcurl then closes the connection (an abort by callback counts
 * as premature for HTTP/1), and finish_try starts the item again on a new one. */
static int on_prereq(void *clientp, char *peer_ip, char *local_ip, int peer_port, int local_port)
{
    xfer *x = clientp;
    conn_sock *cs = sock_find(x->f, peer_ip, peer_port, local_ip, local_port);
    char *scheme = NULL;
    x->reused = cs && cs->requests > 0;
    if (!cs)
        return CURL_PREREQFUNC_OK;
    cs->requests++;
    curl_easy_getinfo(x->easy, CURLINFO_SCHEME, &scheme);
    if (x->reused && !x->f->proxy && scheme && strcasecmp(scheme, "http") == 0 && input_waiting(cs->fd)) {
        x->stale = 1;
        return CURL_PREREQFUNC_ABORT;
    }
    return CURL_PREREQFUNC_OK;
}

/* Parses a Retry-After value: delta seconds or an HTTP date. Seconds, or -1. */
static double parse_retry_after(const char *v, size_t len)
{
    char buf[64];
    while (len > 0 && (*v == ' ' || *v == '\t')) {
        v++;
        len--;
    }
    while (len > 0 && strchr(" \t\r\n", v[len - 1]))
        len--;
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, v, len);
    buf[len] = '\0';
    if (strspn(buf, "0123456789") == len) {
        double s = 0;
        for (size_t i = 0; i < len && s < 1e9; i++)
            s = s * 10 + (buf[i] - '0');
        return s;
    }
    time_t t = curl_getdate(buf, NULL);
    if (t < 0)
        return -1;
    time_t now = time(NULL);
    return t > now ? (double)(t - now) : 0;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
    xfer *x = ud;
    size_t n = size * nmemb;
    if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) { /* a new response (redirect hop, 1xx) */
        x->encoded = 0;
        x->retry_after = -1;
    } else if (n > 17 && strncasecmp(p, "Content-Encoding:", 17) == 0) {
        const char *v = p + 17;
        size_t vl = n - 17;
        while (vl > 0 && (*v == ' ' || *v == '\t')) {
            v++;
            vl--;
        }
        if (!(vl >= 8 && strncasecmp(v, "identity", 8) == 0) && vl > 0 && *v != '\r' && *v != '\n')
            x->encoded = 1;
    } else if (n > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
        x->retry_after = parse_retry_after(p + 12, n - 12);
    }
    return n;
}

/* The first body bytes of the final response: checks its status and content type. */
static int check_first_bytes(xfer *x)
{
    long status = 0;
    char *ct = NULL;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    kbj_fetch_outcome o = status_outcome(status);
    if (o != KBJ_FETCH_OK) {
        stop_with(x, o, "HTTP %ld", status);
        return -1;
    }
    curl_easy_getinfo(x->easy, CURLINFO_CONTENT_TYPE, &ct);
    if (has_type(ct)) {
        if (!type_accepted(ct)) {
            char mt[100];
            media_type(ct, mt, sizeof mt);
            stop_with(x, KBJ_FETCH_PERMANENT, "content type %s is not accepted", mt);
            return -1;
        }
    } else {
        x->sniff = 1;
    }
    return 0;
}

/* Whether the first SNIFF_BYTES (or fewer) bytes look binary (hold a NUL). */
static int looks_binary(const char *b, size_t len)
{
    return len > 0 && memchr(b, '\0', len < SNIFF_BYTES ? len : SNIFF_BYTES) != NULL;
}

static size_t on_write(char *p, size_t size, size_t nmemb, void *ud)
{
    xfer *x = ud;
    size_t n = size * nmemb;
    const kbj_fetch_config *c = &x->f->cfg;

    if (!x->checked) {
        long status = 0;
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
        if (status >= 300 && status < 400)
            return n; /* the body of a redirect being followed (libcurl skips those) */
        x->checked = 1;
        if (check_first_bytes(x) != 0)
            return 0;
    }
    if (n > c->max_decoded - x->len) {
        if (x->encoded)
            stop_with(x, KBJ_FETCH_PERMANENT, "body larger than %zu bytes once decoded", c->max_decoded);
        else
            stop_with(x, KBJ_FETCH_PERMANENT, "body larger than %zu bytes", c->max_decoded);
        return 0;
    }
    if (x->len + n + 1 > x->cap) {
        size_t want = x->len + n + 1, cap = x->cap ? x->cap : FIRST_BUFFER;
        while (cap < want)
            cap *= 2;
        if (cap > c->max_decoded + 1)
            cap = c->max_decoded + 1;
        char *nb = realloc(x->buf, cap);
        if (!nb) {
            x->nomem = 1;
            stop_with(x, KBJ_FETCH_PERMANENT, "out of memory");
            return 0;
        }
        x->buf = nb;
        x->cap = cap;
    }
    memcpy(x->buf + x->len, p, n);
    x->len += n;
    x->buf[x->len] = '\0';
    if (x->sniff && x->len >= SNIFF_BYTES) {
        x->sniff = 0;
        if (looks_binary(x->buf, x->len)) {
            stop_with(x, KBJ_FETCH_PERMANENT, "content without a type looks binary");
            return 0;
        }
    }
    return n;
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    xfer *x = ud;
    (void)dltotal;
    (void)ultotal;
    (void)ulnow;
    if (dlnow > 0 && (size_t)dlnow > x->f->cfg.max_body) {
        stop_with(x, KBJ_FETCH_PERMANENT, "body larger than %zu bytes", x->f->cfg.max_body);
        return 1;
    }
    return 0;
}

/* Creates and configures the easy handle of `x`. 0, or -1 when out of memory. */
static int easy_setup(kbj_fetcher *f, xfer *x)
{
    const kbj_fetch_config *c = &f->cfg;
    CURL *e = curl_easy_init();
    CURLcode rc = CURLE_OK;
    if (!e)
        return -1;
    x->easy = e;
#define SET(opt, val) do { if (rc == CURLE_OK) rc = curl_easy_setopt(e, opt, val); } while (0)
    SET(CURLOPT_PRIVATE, (void *)x);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_FOLLOWLOCATION, 1L);
    SET(CURLOPT_MAXREDIRS, (long)c->max_redirects);
    SET(CURLOPT_CONNECTTIMEOUT_MS, (long)c->connect_timeout_ms);
    SET(CURLOPT_TIMEOUT_MS, (long)c->timeout_ms);
    SET(CURLOPT_LOW_SPEED_LIMIT, (long)c->low_speed_bytes);
    SET(CURLOPT_LOW_SPEED_TIME, (long)c->low_speed_seconds);
    SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->max_body);
    SET(CURLOPT_ACCEPT_ENCODING, "");
    SET(CURLOPT_WRITEFUNCTION, on_write);
    SET(CURLOPT_WRITEDATA, (void *)x);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, (void *)x);
    SET(CURLOPT_NOPROGRESS, 0L);
    SET(CURLOPT_XFERINFOFUNCTION, on_progress);
    SET(CURLOPT_XFERINFODATA, (void *)x);
    SET(CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
    SET(CURLOPT_OPENSOCKETDATA, (void *)x);
    SET(CURLOPT_CLOSESOCKETFUNCTION, on_close_socket);
    SET(CURLOPT_CLOSESOCKETDATA, (void *)f);
    SET(CURLOPT_PREREQFUNCTION, on_prereq);
    SET(CURLOPT_PREREQDATA, (void *)x);
    SET(CURLOPT_USERAGENT, f->user_agent);
    SET(CURLOPT_HTTPHEADER, f->headers);
    SET(CURLOPT_PROXY, f->proxy ? f->proxy : "");
    /* Over TLS a second request to a host waits for the first one's handshake to say
     * (ALPN) whether the connection multiplexes (HTTP/2) instead of opening a connection
     * of its own. Not over plain HTTP: there libcurl would learn it only from the first
     * response, so a slow first page would hold back every request behind it. */
    SET(CURLOPT_PIPEWAIT, (long)(strncasecmp(x->url, "https:", 6) == 0));
    SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    if (f->ca_file)
        SET(CURLOPT_CAINFO, f->ca_file);
    SET(CURLOPT_ERRORBUFFER, x->errbuf);
#undef SET
    if (rc != CURLE_OK)
        return -1;
    /* A URL libcurl refuses to store (longer than its 8 MB limit) fails at perform. */
    if (curl_easy_setopt(e, CURLOPT_URL, x->url) == CURLE_OUT_OF_MEMORY)
        return -1;
    return 0;
}

/* The "host:port" of a URL for the per-host limit (the URL itself when it does not
 * parse); NULL when out of memory. */
static char *host_key(const char *url)
{
    CURLU *u = curl_url();
    char *host = NULL, *port = NULL, *key = NULL;
    if (!u)
        return NULL;
    if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
        size_t n = strlen(host) + strlen(port) + 2;
        key = malloc(n);
        if (key) {
            snprintf(key, n, "%s:%s", host, port);
            for (char *p = key; *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                    *p = (char)(*p + 32);
        }
    } else {
        key = dup_str(url);
    }
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return key;
}

/* Forgets the current try's body and flags before a (new) try. */
static void try_reset(xfer *x)
{
    free(x->buf);
    x->buf = NULL;
    x->len = x->cap = 0;
    x->checked = x->sniff = x->encoded = x->aborted = x->reused = x->stale = 0;
    x->retry_after = -1;
    x->why[0] = x->refused[0] = x->errbuf[0] = '\0';
}

/* Replaces *slot with a copy of s (NULL: none). 0, or -1 when out of memory. */
static int set_str(char **slot, const char *s)
{
    free(*slot);
    *slot = NULL;
    if (!s)
        return 0;
    *slot = dup_str(s);
    return *slot ? 0 : -1;
}

/* The reason and outcome for a libcurl error code. */
static kbj_fetch_outcome curl_outcome(kbj_fetcher *f, xfer *x, CURLcode code, char *why, size_t cap)
{
    const kbj_fetch_config *c = &f->cfg;
    switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
        if (strncmp(x->errbuf, "Operation too slow", 18) == 0)
            snprintf(why, cap, "slower than %u bytes/s for %u s", c->low_speed_bytes, c->low_speed_seconds);
        else if (strncmp(x->errbuf, "Failed to connect", 17) == 0 ||
                 strncmp(x->errbuf, "Connection timed out", 20) == 0 ||
                 strncmp(x->errbuf, "Resolving timed out", 19) == 0)
            /* libcurl 7.88: "Failed to connect to H port P after N ms: Timeout was
             * reached" when the connect timeout ran out, "Connection timed out after N
             * milliseconds" when the whole timeout ran out while connecting. */
            snprintf(why, cap, "connection timed out after %u ms",
                     c->connect_timeout_ms < c->timeout_ms ? c->connect_timeout_ms : c->timeout_ms);
        else
            snprintf(why, cap, "timed out after %u ms", c->timeout_ms);
        return KBJ_FETCH_TRANSIENT;
    case CURLE_COULDNT_RESOLVE_HOST:
        snprintf(why, cap, "could not resolve the host name");
        return KBJ_FETCH_TRANSIENT;
    case CURLE_COULDNT_RESOLVE_PROXY:
        snprintf(why, cap, "could not resolve the proxy");
        return KBJ_FETCH_TRANSIENT;
    case CURLE_COULDNT_CONNECT:
        snprintf(why, cap, "could not connect");
        return KBJ_FETCH_TRANSIENT;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP3:
    case CURLE_QUIC_CONNECT_ERROR:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PROXY:
        snprintf(why, cap, "connection failed (%s)", curl_easy_strerror(code));
        return KBJ_FETCH_TRANSIENT;
    case CURLE_TOO_MANY_REDIRECTS:
        snprintf(why, cap, "too many redirects (more than %u)", c->max_redirects);
        return KBJ_FETCH_PERMANENT;
    case CURLE_UNSUPPORTED_PROTOCOL:
        /* libcurl 7.88 also uses this code for replies it cannot parse: "Received
         * HTTP/0.9 when not allowed", "Unsupported response code in HTTP response",
         * "Unsupported HTTP version in response". */
        if (strstr(x->errbuf, "HTTP/0.9"))
            snprintf(why, cap, "invalid HTTP response (HTTP/0.9)");
        else if (strstr(x->errbuf, "response"))
            snprintf(why, cap, "invalid HTTP response (bad status line)");
        else
            snprintf(why, cap, "scheme is not http or https");
        return KBJ_FETCH_PERMANENT;
    case CURLE_WEIRD_SERVER_REPLY:
        snprintf(why, cap, "invalid HTTP response");
        return KBJ_FETCH_PERMANENT;
    case CURLE_URL_MALFORMAT:
        snprintf(why, cap, "malformed URL");
        return KBJ_FETCH_PERMANENT;
    case CURLE_FILESIZE_EXCEEDED:
        snprintf(why, cap, "body larger than %zu bytes", c->max_body);
        return KBJ_FETCH_PERMANENT;
    case CURLE_BAD_CONTENT_ENCODING:
        snprintf(why, cap, "bad content encoding");
        return KBJ_FETCH_PERMANENT;
    case CURLE_PEER_FAILED_VERIFICATION:
        snprintf(why, cap, "TLS certificate not valid for the host");
        return KBJ_FETCH_PERMANENT;
    case CURLE_OUT_OF_MEMORY:
        x->nomem = 1;
        snprintf(why, cap, "out of memory");
        return KBJ_FETCH_PERMANENT;
    default:
        snprintf(why, cap, "%s", curl_easy_strerror(code));
        return KBJ_FETCH_PERMANENT;
    }
}

/* The delay before the next try after `tries` tries, in seconds: base * 2^(tries-1)
 * plus up to half of that at random, at most max(base, retry_after_max_ms). */
static double backoff_s(kbj_fetcher *f, unsigned tries)
{
    double base = f->cfg.retry_base_ms, cap = f->cfg.retry_after_max_ms;
    double d = base;
    for (unsigned i = 1; i < tries && d < 1e9; i++)
        d *= 2;
    if (cap < base)
        cap = base;
    d += d * 0.5 * rnd(f);
    if (d > cap)
        d = cap;
    return d / 1000.0;
}

/* Whether a try that ended with `code` (why: `why`) may have failed because of the
 * connection it reused rather than the server's answer to this request: the
 * connection had data waiting, or the reply was malformed, missing or cut off. */
static int reuse_failure(xfer *x, CURLcode code, const char *why)
{
    long connects = -1;
    if (x->stale)
        return 1;
    curl_easy_getinfo(x->easy, CURLINFO_NUM_CONNECTS, &connects);
    if (!x->reused && connects != 0)
        return 0; /* the failing request went out on a new connection */
    switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
        return strncmp(why, "invalid HTTP response", 21) == 0;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
        return 1;
    default:
        return 0;
    }
}

/* A try ended with `code`: fills the result and decides between done and retry.
 * 0, or -1 when out of memory. */
/* What a finished try came to, and why (left empty for success). -1 when out of memory. */
static int classify_try(kbj_fetcher *f, xfer *x, CURLcode code, long status, const char *ct, char *why,
                        size_t cap, kbj_fetch_outcome *o)
{
    if (x->nomem)
        return -1;
    if (x->aborted) {
        *o = x->why_outcome;
        copy_str(why, cap, x->why);
    } else if (x->stale) {
        *o = KBJ_FETCH_TRANSIENT;
        snprintf(why, cap, "connection failed (data waiting on a reused connection)");
    } else if (code == CURLE_OK) {
        *o = status_outcome(status);
        if (*o != KBJ_FETCH_OK) {
            snprintf(why, cap, "HTTP %ld", status);
        } else if (ct && !type_accepted(ct)) {
            char mt[100];
            media_type(ct, mt, sizeof mt);
            *o = KBJ_FETCH_PERMANENT;
            snprintf(why, cap, "content type %s is not accepted", mt);
        } else if (!ct && looks_binary(x->buf, x->len)) {
            *o = KBJ_FETCH_PERMANENT;
            snprintf(why, cap, "content without a type looks binary");
        }
    } else if (x->refused[0] && code == CURLE_COULDNT_CONNECT) {
        *o = KBJ_FETCH_PERMANENT;
        copy_str(why, cap, x->refused);
    } else {
        *o = curl_outcome(f, x, code, why, cap);
        if (x->nomem)
            return -1;
    }
    return 0;
}

/* Schedules the item's next try `delay` seconds from now. -1 when out of memory. */
static int try_again(xfer *x, kbj_fetch_outcome o, const char *why, double due)
{
    if (set_str(&x->res->error, why) != 0)
        return -1;
    x->res->outcome = o;
    x->state = X_WAITING;
    x->due = due;
    try_reset(x);
    return 0;
}

/* A transient failure: another try after the backoff (or the server's Retry-After) while
 * retries are left. 0 when scheduled, 1 when not (`why` may say why), -1 out of memory. */
static int retry_transient(kbj_fetcher *f, xfer *x, char *why, size_t cap, double now)
{
    const kbj_fetch_config *c = &f->cfg;
    double ra = x->retry_after;
    unsigned counted = x->res->tries - x->free_tries; /* tries that count as retries */
    if (ra >= 0 && ra * 1000.0 > c->retry_after_max_ms) {
        size_t l = strlen(why);
        snprintf(why + l, cap - l, " (Retry-After %.0f s is longer than %u ms)", ra, c->retry_after_max_ms);
        return 1;
    }
    if (counted < 1 + c->retries) {
        double d = backoff_s(f, counted);
        if (ra >= 0 && ra > d)
            d = ra;
        return try_again(x, KBJ_FETCH_TRANSIENT, why, now + d);
    }
    return 1;
}

/* The item is done: its outcome, and the body or the reason. -1 when out of memory. */
static int settle_item(xfer *x, kbj_fetch_outcome o, const char *why, double now)
{
    kbj_fetch_result *r = x->res;
    r->outcome = o;
    r->elapsed = now - x->first_start;
    if (o == KBJ_FETCH_OK) {
        set_str(&r->error, NULL);
        if (!x->buf) {
            x->buf = malloc(1);
            if (!x->buf)
                return -1;
            x->buf[0] = '\0';
        }
        r->body = x->buf;
        r->body_len = x->len;
        x->buf = NULL;
    } else if (set_str(&r->error, why) != 0) {
        return -1;
    }
    x->state = X_DONE;
    try_reset(x);
    return 0;
}

/* ---- hosts ---------------------------------------------------------------------- */

/* The limit of a "host:port" key: the last host_limits rule naming host:port, else the
 * last naming the host, else max_per_host. */
static unsigned host_limit_for(const kbj_fetcher *f, const char *key)
{
    const char *colon = strrchr(key, ':');
    size_t hlen = colon ? (size_t)(colon - key) : strlen(key);
    unsigned by_host = 0, by_port = 0;
    for (size_t i = 0; i < f->nrules; i++) {
        const host_rule *r = &f->rules[i];
        if (r->has_port ? strcmp(r->name, key) == 0 : strlen(r->name) == hlen && strncmp(r->name, key, hlen) == 0)
            *(r->has_port ? &by_port : &by_host) = r->limit;
    }
    return by_port ? by_port : by_host ? by_host : f->cfg.max_per_host;
}

static size_t host_bucket(const kbj_fetcher *f, const char *key)
{
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return (size_t)(h % f->nhostbuckets);
}

/* The entry of `key` (made when missing; the key is taken over, or freed when an entry
 * exists), or NULL when out of memory. */
static host_ent *host_get(kbj_fetcher *f, char *key)
{
    size_t b = host_bucket(f, key);
    host_ent *h;
    for (h = f->hosts[b]; h; h = h->next)
        if (strcmp(h->key, key) == 0) {
            free(key);
            return h;
        }
    h = calloc(1, sizeof *h);
    if (!h) {
        free(key);
        return NULL;
    }
    h->key = key;
    h->limit = h->cur = host_limit_for(f, key);
    h->next = f->hosts[b];
    f->hosts[b] = h;
    f->nhosts++;
    return h;
}

/* Forgets a host that has no items left and is not slowed down: a list of a million
 * hosts keeps only those in the window. */
static void host_release(kbj_fetcher *f, host_ent *h, double now)
{
    host_ent **pp;
    if (h->items > 0 || h->active > 0 || h->cur < h->limit || h->paused_until > now)
        return;
    for (pp = &f->hosts[host_bucket(f, h->key)]; *pp; pp = &(*pp)->next)
        if (*pp == h) {
            *pp = h->next;
            break;
        }
    free(h->key);
    free(h);
    f->nhosts--;
}

/* Notes what a host answered: its protocol, and on a success one step back towards its
 * configured limit after a 429 cut it (additive increase, one per `cur` answers). */
static void host_answer(xfer *x, CURLcode code, long status)
{
    host_ent *h = x->host;
    long v = 0;
    if (curl_easy_getinfo(x->easy, CURLINFO_HTTP_VERSION, &v) == CURLE_OK && v)
        h->http_version = x->res->http_version = v == CURL_HTTP_VERSION_2_0 ? 20 : v == CURL_HTTP_VERSION_1_0 ? 10
                                                                               : v == CURL_HTTP_VERSION_3 ? 30 : 11;
    if (code == CURLE_OK && status >= 200 && status < 400 && h->cur < h->limit && ++h->ok_run >= h->cur) {
        h->cur++;
        h->ok_run = 0;
    }
}

/* A 429 (or a 503 with Retry-After) from the host of `x`: halves the host's limit and
 * pauses it for the Retry-After, or for the backoff of the item's throttled tries when
 * the server said nothing. Returns the end of the pause. */
static double host_throttle(kbj_fetcher *f, xfer *x, double now)
{
    host_ent *h = x->host;
    double wait = x->retry_after >= 0 ? x->retry_after : backoff_s(f, x->throttled + 1);
    if (h->cur > 1) {
        h->cur /= 2;
        h->cut_at = now;
    }
    h->ok_run = 0;
    if (now + wait > h->paused_until)
        h->paused_until = now + wait;
    return h->paused_until;
}

static int finish_try(kbj_fetcher *f, xfer *x, CURLcode code, double now)
{
    kbj_fetch_result *r = x->res;
    long status = 0;
    char *ct = NULL, *eff = NULL;
    char why[256] = "";
    kbj_fetch_outcome o = KBJ_FETCH_OK;
    int rc;

    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(x->easy, CURLINFO_CONTENT_TYPE, &ct);
    curl_easy_getinfo(x->easy, CURLINFO_EFFECTIVE_URL, &eff);
    r->http_status = (int)status;
    r->retry_after = x->retry_after > 0 ? x->retry_after : 0;
    if (!has_type(ct))
        ct = NULL;
    if (set_str(&r->content_type, ct) != 0)
        return -1;
    free(r->final_url);
    r->final_url = eff ? redacted(eff) : NULL;
    if (eff && !r->final_url)
        return -1;
    if (classify_try(f, x, code, status, ct, why, sizeof why, &o))
        return -1;

    host_answer(x, code, status);
    /* A reused connection's fault: once per item, at once, on new connections only. */
    if (o != KBJ_FETCH_OK && !x->fresh && !x->aborted && reuse_failure(x, code, why)) {
        x->fresh = 1;
        x->free_tries++;
        return try_again(x, o, why, now);
    }
    /* An HTTP/2 connection that went away (GOAWAY) or refused the stream: the request was
     * not served; at once again, on whatever connection libcurl picks next. */
    if ((code == CURLE_HTTP2 || code == CURLE_HTTP2_STREAM) && !x->aborted && x->goaways < GOAWAY_TRIES) {
        x->goaways++;
        x->free_tries++;
        return try_again(x, o, why, now);
    }
    /* The host asks us to slow down: its limit is cut and its items wait, this one
     * included, without spending a retry. */
    if ((status == 429 || (status == 503 && x->retry_after >= 0)) && o == KBJ_FETCH_TRANSIENT &&
        !(x->retry_after >= 0 && x->retry_after * 1000.0 > f->cfg.retry_after_max_ms)) {
        /* Free while the host could still be slowed down (above one request at a time),
         * or when the request went out before it was: an answer to the old pace. */
        int free_wait = (x->host->cur > 1 || x->try_started < x->host->cut_at) && x->throttled < THROTTLE_TRIES;
        double until = host_throttle(f, x, now);
        if (free_wait) {
            x->throttled++;
            x->free_tries++;
            return try_again(x, o, why, until);
        }
    }
    if (o == KBJ_FETCH_TRANSIENT && (rc = retry_transient(f, x, why, sizeof why, now)) != 1)
        return rc;
    return settle_item(x, o, why, now);
}

/* ---- the fetcher ------------------------------------------------------------------- */

kbj_fetcher *kbj_fetcher_new(const kbj_fetch_config *cfg, kbj_err *err)
{
    static const kbj_fetch_config none;
    kbj_fetcher *f;
    kbj_fetch_config *c;

    if (!cfg)
        cfg = &none;
    f = calloc(1, sizeof *f);
    if (!f) {
        kbj_fail(err, KBJ_ENOMEM, "out of memory");
        return NULL;
    }
    c = &f->cfg;
    *c = *cfg;
    if (!c->max_total)
        c->max_total = DEF_MAX_TOTAL;
    if (!c->max_per_host)
        c->max_per_host = DEF_MAX_PER_HOST;
    if (!c->connect_timeout_ms)
        c->connect_timeout_ms = DEF_CONNECT_TIMEOUT_MS;
    if (!c->timeout_ms)
        c->timeout_ms = DEF_TIMEOUT_MS;
    if (!c->low_speed_bytes)
        c->low_speed_bytes = DEF_LOW_SPEED_BYTES;
    if (!c->low_speed_seconds)
        c->low_speed_seconds = DEF_LOW_SPEED_SECONDS;
    if (!c->max_body)
        c->max_body = DEF_MAX_BODY;
    if (c->max_body > MAX_SIZE_LIMIT)
        c->max_body = MAX_SIZE_LIMIT;
    if (!c->max_decoded)
        c->max_decoded = c->max_body;
    if (c->max_decoded > MAX_SIZE_LIMIT)
        c->max_decoded = MAX_SIZE_LIMIT;
    if (!c->max_redirects)
        c->max_redirects = DEF_MAX_REDIRECTS;
    if (!c->retries)
        c->retries = DEF_RETRIES;
    else if (c->retries == KBJ_FETCH_NO_RETRY)
        c->retries = 0;
    if (!c->retry_base_ms)
        c->retry_base_ms = DEF_RETRY_BASE_MS;
    if (!c->retry_after_max_ms)
        c->retry_after_max_ms = DEF_RETRY_AFTER_MAX_MS;

    f->user_agent = dup_str(cfg->user_agent && *cfg->user_agent ? cfg->user_agent : DEF_USER_AGENT);
    if (cfg->proxy && *cfg->proxy)
        f->proxy = dup_str(cfg->proxy);
    if (cfg->ca_file && *cfg->ca_file && !(f->ca_file = dup_str(cfg->ca_file))) {
        kbj_fail(err, KBJ_ENOMEM, "out of memory");
        kbj_fetcher_free(f);
        return NULL;
    }
    f->nhostbuckets = HOST_BUCKETS;
    f->hosts = calloc(f->nhostbuckets, sizeof *f->hosts);
    f->next_due = 1e300;
    f->headers = curl_slist_append(NULL, "Accept: text/html,application/xhtml+xml;q=0.9,"
                                         "text/plain;q=0.8,*/*;q=0.1");
    f->multi = curl_multi_init();
    if (!f->user_agent || (cfg->proxy && *cfg->proxy && !f->proxy) || !f->headers || !f->multi || !f->hosts) {
        kbj_fail(err, KBJ_ENOMEM, "out of memory");
        kbj_fetcher_free(f);
        return NULL;
    }
    c->user_agent = f->user_agent;
    c->proxy = f->proxy;
    c->ca_file = f->ca_file;
    c->allow = NULL;
    c->host_limits = NULL;
    if ((cfg->allow && parse_allow(f, cfg->allow, err) != KBJ_OK) ||
        (cfg->host_limits && parse_host_limits(f, cfg->host_limits, err) != KBJ_OK)) {
        kbj_fetcher_free(f);
        return NULL;
    }
    /* Our scheduler keeps to each host's limit; libcurl's own cap (which also binds the
     * hops of redirects) is the largest of them. */
    unsigned most = c->max_per_host;
    for (size_t i = 0; i < f->nrules; i++)
        if (f->rules[i].limit > most)
            most = f->rules[i].limit;
    if (curl_multi_setopt(f->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)c->max_total) != CURLM_OK ||
        curl_multi_setopt(f->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)most) != CURLM_OK) {
        kbj_fail(err, KBJ_EINVAL, "libcurl refused the connection limits");
        kbj_fetcher_free(f);
        return NULL;
    }
    f->rng = (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ULL ^ (uint64_t)getpid() << 32 ^
             (uint64_t)(uintptr_t)f ^ (uint64_t)(kbj_monotonic() * 1e9);
    if (!f->rng)
        f->rng = 0x853C49E6748FEA9BULL;
    if (err)
        err->msg[0] = '\0';
    return f;
}

void kbj_fetcher_free(kbj_fetcher *f)
{
    if (!f)
        return;
    kbj_fetch_cancel(f);
    for (size_t i = 0; i < f->nq; i++) {
        kbj_fetch_result_clear(&f->q[i]->own);
        free(f->q[i]);
    }
    free(f->q);
    for (size_t b = 0; f->hosts && b < f->nhostbuckets; b++)
        for (host_ent *h = f->hosts[b], *next; h; h = next) {
            next = h->next;
            free(h->key);
            free(h);
        }
    free(f->hosts);
    for (size_t i = 0; i < f->nrules; i++)
        free(f->rules[i].name);
    free(f->rules);
    free(f->ca_file);
    if (f->multi)
        curl_multi_cleanup(f->multi);
    curl_slist_free_all(f->headers);
    free(f->user_agent);
    free(f->proxy);
    free(f->allow);
    free(f->socks); /* after curl_multi_cleanup, whose closes go through on_close_socket */
    free(f);
}

const char *kbj_fetcher_errmsg(const kbj_fetcher *f)
{
    return f ? f->err.msg : "no fetcher";
}

void kbj_fetch_result_clear(kbj_fetch_result *r)
{
    if (!r)
        return;
    free(r->body);
    free(r->content_type);
    free(r->final_url);
    free(r->error);
    memset(r, 0, sizeof *r);
}

/* Starts the next try of `x`. 0, or -1 when out of memory. */
static int start_try(kbj_fetcher *f, xfer *x, double now)
{
    try_reset(x);
    if (!x->easy && easy_setup(f, x) != 0)
        return -1;
    if (curl_easy_setopt(x->easy, CURLOPT_FRESH_CONNECT, (long)x->fresh) != CURLE_OK ||
        curl_easy_setopt(x->easy, CURLOPT_FORBID_REUSE, (long)x->fresh) != CURLE_OK)
        return -1;
    if (curl_multi_add_handle(f->multi, x->easy) != CURLM_OK)
        return -1;
    x->state = X_ACTIVE;
    x->res->tries++;
    x->try_started = now;
    if (x->first_start == 0)
        x->first_start = now;
    x->host->active++;
    f->nactive++;
    f->nwaiting--;
    return 0;
}

/* Takes `x` out of the multi handle and frees its easy handle and buffer. */
static void xfer_release(kbj_fetcher *f, xfer *x)
{
    if (x->easy) {
        if (x->state == X_ACTIVE) {
            curl_multi_remove_handle(f->multi, x->easy);
            x->host->active--;
            f->nactive--;
        }
        curl_easy_cleanup(x->easy);
        x->easy = NULL;
    }
    free(x->buf);
    x->buf = NULL;
}

/* `x` is done (its result is final): it waits to be taken. */
static void xfer_done(kbj_fetcher *f, xfer *x, double now)
{
    if (x->state == X_WAITING)
        f->nwaiting--;
    xfer_release(f, x);
    x->state = X_DONE;
    f->ndone++;
    x->host->items--;
    host_release(f, x->host, now);
    x->host = NULL;
}

/* Admits what is due, in the order added, within the global limit and each host's limit
 * and pause: only when a slot was freed, an item added, or a retry or pause fell due
 * since the last look. */
static int admit(kbj_fetcher *f, double now)
{
    if (!f->need_admit && now < f->next_due)
        return KBJ_OK;
    f->need_admit = 0;
    f->next_due = 1e300;
    while (f->lo < f->nq && f->q[f->lo]->state == X_DONE)
        f->lo++;
    for (size_t i = f->lo; i < f->nq && f->nactive < f->cfg.max_total; i++) {
        xfer *x = f->q[i];
        double due;
        if (x->state != X_WAITING)
            continue;
        due = x->due > x->host->paused_until ? x->due : x->host->paused_until;
        if (due > now) {
            if (due < f->next_due)
                f->next_due = due;
            continue;
        }
        if (x->host->active >= x->host->cur)
            continue;
        if (start_try(f, x, now) != 0)
            return kbj_fail(&f->err, KBJ_ENOMEM, "out of memory starting a transfer");
    }
    return KBJ_OK;
}

/* Takes the tries libcurl finished and decides what each item does next. */
static int collect(kbj_fetcher *f)
{
    CURLMsg *msg;
    int queued;
    while ((msg = curl_multi_info_read(f->multi, &queued))) {
        CURL *e = msg->easy_handle;
        xfer *x = NULL;
        double now;
        if (msg->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&x);
        if (!x || x->state != X_ACTIVE)
            continue;
        curl_multi_remove_handle(f->multi, e);
        x->state = X_WAITING; /* until finish_try decides */
        x->host->active--;
        f->nactive--;
        f->need_admit = 1;
        now = kbj_monotonic();
        if (finish_try(f, x, msg->data.result, now) != 0)
            return kbj_fail(&f->err, KBJ_ENOMEM, "out of memory finishing a transfer");
        if (x->state == X_DONE)
            xfer_done(f, x, now); /* settled: not waiting, so not counted as such */
        else
            f->nwaiting++; /* to be tried again */
    }
    return KBJ_OK;
}

int kbj_fetch_add(kbj_fetcher *f, const char *url, void *tag)
{
    xfer *x;
    char *key;
    if (!f || !url)
        return KBJ_EINVAL;
    if (f->nq == f->capq) {
        size_t cap = f->capq ? f->capq * 2 : 64;
        xfer **nq = realloc(f->q, cap * sizeof *nq);
        if (!nq)
            return kbj_fail(&f->err, KBJ_ENOMEM, "out of memory");
        f->q = nq;
        f->capq = cap;
    }
    x = calloc(1, sizeof *x);
    key = x ? host_key(url) : NULL;
    if (!x || !key || !(x->host = host_get(f, key))) {
        free(x);
        return kbj_fail(&f->err, KBJ_ENOMEM, "out of memory");
    }
    x->f = f;
    x->res = &x->own;
    x->url = url;
    x->tag = tag;
    x->state = X_WAITING;
    x->due = kbj_monotonic();
    x->retry_after = -1;
    x->host->items++;
    f->q[f->nq++] = x;
    f->nwaiting++;
    f->need_admit = 1;
    return KBJ_OK;
}

int kbj_fetch_work(kbj_fetcher *f, int timeout_ms)
{
    double now = kbj_monotonic(), wait = timeout_ms < 0 ? 0 : timeout_ms;
    int running = 0, rc;
    CURLMcode mc;

    if (!f)
        return KBJ_EINVAL;
    if ((rc = admit(f, now)))
        return rc;
    if (f->next_due < 1e300 && (f->next_due - now) * 1000.0 < wait)
        wait = (f->next_due - now) * 1000.0 + 1;
    if (wait < 0)
        wait = 0;
    mc = curl_multi_poll(f->multi, NULL, 0, (int)wait, NULL);
    if (mc == CURLM_OK)
        mc = curl_multi_perform(f->multi, &running);
    if (mc != CURLM_OK)
        return kbj_fail(&f->err, mc == CURLM_OUT_OF_MEMORY ? KBJ_ENOMEM : KBJ_EIO, "libcurl: %s",
                        curl_multi_strerror(mc));
    if ((rc = collect(f)))
        return rc;
    /* what finished made room: start the next at once rather than after the next poll */
    return admit(f, kbj_monotonic());
}

int kbj_fetch_take(kbj_fetcher *f, kbj_fetch_result *out, void **tag)
{
    size_t i, j;
    if (!f || f->ndone == 0)
        return 0;
    for (i = 0; i < f->nq && f->q[i]->state != X_DONE; i++)
        ;
    if (i == f->nq)
        return 0;
    xfer *x = f->q[i];
    *out = x->own;
    if (tag)
        *tag = x->tag;
    free(x);
    for (j = i; j + 1 < f->nq; j++)
        f->q[j] = f->q[j + 1];
    f->nq--;
    f->ndone--;
    if (i < f->lo)
        f->lo--;
    return 1;
}

void kbj_fetch_cancel(kbj_fetcher *f)
{
    double now = kbj_monotonic();
    for (size_t i = 0; f && i < f->nq; i++) {
        xfer *x = f->q[i];
        if (x->state == X_DONE)
            continue;
        x->res->outcome = KBJ_FETCH_CANCELLED;
        x->res->elapsed = x->first_start > 0 ? now - x->first_start : 0;
        if (set_str(&x->res->error, "cancelled") != 0)
            x->nomem = 1; /* the result says CANCELLED all the same */
        xfer_done(f, x, now);
    }
}

void kbj_fetch_wakeup(kbj_fetcher *f)
{
    if (f && f->multi)
        curl_multi_wakeup(f->multi);
}

void kbj_fetch_counts(const kbj_fetcher *f, size_t *in_flight, size_t *waiting, size_t *done)
{
    if (in_flight)
        *in_flight = f ? f->nactive : 0;
    if (waiting)
        *waiting = f ? f->nwaiting : 0;
    if (done)
        *done = f ? f->ndone : 0;
}

int kbj_fetch_host_state(kbj_fetcher *f, const char *url, unsigned *limit, unsigned *now_limit,
                         double *paused_for, int *http_version)
{
    char *key = f ? host_key(url) : NULL;
    host_ent *h = NULL;
    if (key) {
        for (h = f->hosts[host_bucket(f, key)]; h; h = h->next)
            if (strcmp(h->key, key) == 0)
                break;
        if (!h)
            *limit = *now_limit = host_limit_for(f, key);
    }
    free(key);
    if (!h) {
        *paused_for = 0;
        *http_version = 0;
        return 0;
    }
    *limit = h->limit;
    *now_limit = h->cur;
    *paused_for = h->paused_until > kbj_monotonic() ? h->paused_until - kbj_monotonic() : 0;
    *http_version = h->http_version;
    return 1;
}

int kbj_fetch_many(kbj_fetcher *f, const char *const *urls, size_t n, kbj_fetch_result *results,
                   int (*should_stop)(void *arg), void *arg)
{
    size_t got = 0;
    int rc = KBJ_OK;

    if (!f)
        return KBJ_EINVAL;
    f->err.msg[0] = '\0';
    if (n > 0 && (!urls || !results))
        return kbj_fail(&f->err, KBJ_EINVAL, "URLs or results missing");
    for (size_t i = 0; i < n; i++)
        if (!urls[i])
            return kbj_fail(&f->err, KBJ_EINVAL, "URL %zu is NULL", i);
    if (f->nq > 0)
        return kbj_fail(&f->err, KBJ_EINVAL, "the fetcher has a stream of its own in progress");
    if (n == 0)
        return KBJ_OK;
    memset(results, 0, n * sizeof *results);

    for (size_t i = 0; i < n && rc == KBJ_OK; i++)
        rc = kbj_fetch_add(f, urls[i], (void *)(uintptr_t)i);
    while (rc == KBJ_OK && got < n) {
        kbj_fetch_result r;
        void *tag;
        while (kbj_fetch_take(f, &r, &tag)) {
            results[(uintptr_t)tag] = r;
            got++;
        }
        if (got == n)
            break;
        if (should_stop && should_stop(arg))
            kbj_fetch_cancel(f);
        else
            rc = kbj_fetch_work(f, POLL_MS);
    }
    if (rc != KBJ_OK) {
        kbj_fetch_cancel(f);
        for (kbj_fetch_result r; kbj_fetch_take(f, &r, NULL);)
            kbj_fetch_result_clear(&r);
        for (size_t i = 0; i < n; i++)
            kbj_fetch_result_clear(&results[i]);
    }
    return rc;
}
