/*
 * pipeline.c - the import's streaming pipeline: a fetch thread and a normaliser thread
 * working a sliding window of chunks ahead of the one the caller is writing.
 *
 * The window is a ring of `ahead + 1` slots. The fetch thread fills a free slot with the
 * next chunk's URLs (read from the list by index) and adds them to its fetcher, so that
 * up to `ahead + 1` chunks are in the fetcher at once and every allowed transfer stays
 * busy: a slow page holds back the hand-over of its own chunk, never the transfers behind
 * it. Each finished fetch goes to the normaliser thread, which makes the document and
 * counts the item ready; a chunk whose items are all ready can be handed out. The caller
 * takes chunks strictly in list order (kbj_pipeline_next) and gives each back
 * (kbj_pipeline_done), which frees its slot for the chunk `ahead + 1` further on.
 *
 * Locking: one mutex guards the slots, the normaliser's queue and the flags; the fetcher
 * belongs to the fetch thread alone (kbj_fetch_wakeup, the one thread-safe call, wakes
 * it when a slot is freed or the pipeline stops). Documents are made outside the lock.
 */
#include "pipeline.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "normalise.h"
#include "url.h"

#define POLL_MS 100

typedef enum slot_state { S_FREE, S_FILLING, S_FAILED, S_HANDED } slot_state;

typedef struct slot {
    slot_state state;
    kbj_pipe_chunk chunk;
    size_t ready;               /* items through the normaliser */
    int code;                   /* S_FAILED: the list read's error */
    char msg[sizeof(((kbj_err *)0)->msg)];
} slot;

/* A fetched item on its way to the normaliser. */
typedef struct pending {
    kbj_pipe_item *item;
    slot *slot;
} pending;

struct kbj_pipeline {
    kbj_pipe_config cfg;
    kbj_norm_limits limits;
    kbj_fetcher *fetcher;
    slot *slots;
    size_t nslots;
    unsigned long long next_read;   /* first entry of the next chunk to read */
    unsigned long long next_out;    /* first entry of the next chunk to hand out */
    size_t fill_at, out_at;         /* ring positions */
    pending *queue;                 /* the normaliser's, a ring of window size */
    size_t qcap, qhead, qlen;
    int stop;                       /* kbj_pipeline_stop: the threads end */
    int stopped;                    /* should_stop said so: everything was cancelled */
    int fetch_rc;                   /* a fetcher error (KBJ_EIO, KBJ_ENOMEM) */
    char fetch_msg[sizeof(((kbj_err *)0)->msg)];
    kbj_pipe_stats stats;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    pthread_t fetch_thr, norm_thr;
    int fetch_started, norm_started;
};

/* The URL without its userinfo: what the normaliser resolves links against and falls
 * back to for a title, so credentials never reach a document. */
static void strip_userinfo(const char *url, char *out, size_t cap)
{
    const char *p = strstr(url, "://"), *at, *end;
    if (!p) {
        kbj_copy(out, cap, url);
        return;
    }
    p += 3;
    end = p + strcspn(p, "/?#");
    at = memchr(p, '@', (size_t)(end - p));
    if (!at) {
        kbj_copy(out, cap, url);
        return;
    }
    snprintf(out, cap, "%.*s%s", (int)(p - url), url, at + 1);
}

static int has_text(const char *s)
{
    for (; s && *s; s++)
        if (!strchr(" \t\r\n\f\v", *s))
            return 1;
    return 0;
}

static void item_fail(kbj_pipe_item *it, const char *kind, const char *msg)
{
    free(it->err_msg);
    it->err_msg = strdup(msg && *msg ? msg : "unknown error");
    it->err_kind = kind;
}

/* Makes the document of a fetched item (an empty page is a failed item: no post without
 * content) and frees its body. */
static void normalise_item(const kbj_pipeline *p, kbj_pipe_item *it)
{
    char base[KBJ_URL_MAX + 1];
    kbj_err err;
    if (it->res.outcome != KBJ_FETCH_OK) {
        item_fail(it, it->res.outcome == KBJ_FETCH_TRANSIENT ? "transient" : "permanent", it->res.error);
        return;
    }
    strip_userinfo(it->url, base, sizeof base);
    if (kbj_normalise(it->res.body, it->res.body_len, it->res.content_type, base, &p->limits, &it->doc, &err) !=
        KBJ_OK)
        item_fail(it, "permanent", err.msg);
    else if (!has_text(it->doc.text))
        item_fail(it, "permanent", "empty page");
    else
        it->has_doc = 1;
    free(it->res.body);
    it->res.body = NULL;
    if (it->has_doc && p->cfg.encode)
        it->encoded = p->cfg.encode(p->cfg.encode_arg, it); /* NULL: the caller encodes */
}

static void chunk_clear(kbj_pipe_chunk *c)
{
    for (size_t i = 0; c->items && i < c->n; i++) {
        kbj_pipe_item *it = &c->items[i];
        free(it->url);
        kbj_fetch_result_clear(&it->res);
        kbj_doc_clear(&it->doc);
        free(it->err_msg);
        free(it->encoded);
    }
    free(c->items);
    memset(c, 0, sizeof *c);
}

/* ---- the fetch thread ---------------------------------------------------------------- */

/* Reads the next chunk into the free slot at fill_at and adds its URLs to the fetcher.
 * Called without the lock (the slot is the fetch thread's while S_FILLING with nothing
 * added). 0, or an error of the fetcher (the list's errors are the slot's). */
static int fill_slot(kbj_pipeline *p, slot *s, unsigned long long first, size_t n)
{
    kbj_pipe_chunk *c = &s->chunk;
    char **urls = calloc(n, sizeof *urls);
    kbj_err err = { "" };
    int rc;

    c->items = calloc(n, sizeof *c->items);
    if (!urls || !c->items) {
        free(urls);
        s->code = KBJ_ENOMEM;
        kbj_copy(s->msg, sizeof s->msg, "out of memory");
        return KBJ_OK;
    }
    rc = p->cfg.read(p->cfg.read_arg, first, n, urls, &err);
    for (size_t i = 0; i < n; i++)
        c->items[i].url = urls[i];
    free(urls);
    if (rc == KBJ_OK)
        for (size_t i = 0; i < n; i++)
            if (!c->items[i].url) {
                rc = KBJ_ECORRUPT;
                kbj_copy(err.msg, sizeof err.msg, "the URL list is shorter than its index says");
            }
    if (rc != KBJ_OK) {
        s->code = rc;
        kbj_copy(s->msg, sizeof s->msg, err.msg[0] ? err.msg : "the URL list could not be read");
        return KBJ_OK;
    }
    for (size_t i = 0; i < n; i++) {
        if ((rc = kbj_fetch_add(p->fetcher, c->items[i].url, &c->items[i])))
            return rc;
    }
    return KBJ_OK;
}

/* Fills free slots while the window has room. */
static int fill_window(kbj_pipeline *p)
{
    for (;;) {
        slot *s;
        unsigned long long first;
        size_t n;
        int rc;
        pthread_mutex_lock(&p->mu);
        s = &p->slots[p->fill_at];
        if (p->stop || p->stopped || s->state != S_FREE || p->next_read >= p->cfg.end) {
            pthread_mutex_unlock(&p->mu);
            return KBJ_OK;
        }
        first = p->next_read;
        n = p->cfg.end - first < p->cfg.chunk ? (size_t)(p->cfg.end - first) : p->cfg.chunk;
        s->state = S_FILLING;
        s->ready = 0;
        s->code = 0;
        s->chunk.first = first;
        s->chunk.n = n;
        pthread_mutex_unlock(&p->mu);

        rc = fill_slot(p, s, first, n);

        pthread_mutex_lock(&p->mu);
        p->next_read = first + n;
        p->fill_at = (p->fill_at + 1) % p->nslots;
        if (s->code) {
            s->state = S_FAILED;
            pthread_cond_broadcast(&p->cond);
        }
        pthread_mutex_unlock(&p->mu);
        if (rc)
            return rc;
        if (s->code)
            return KBJ_OK; /* nothing past a list that cannot be read */
    }
}

/* The fetcher's counts, as readers of the stats see them (under p->mu; fetch thread only). */
static void publish_counts(kbj_pipeline *p)
{
    size_t in_flight = 0, waiting = 0;
    kbj_fetch_counts(p->fetcher, &in_flight, &waiting, NULL);
    p->stats.in_flight = (unsigned)in_flight;
    p->stats.queued = (unsigned)waiting;
}

/* Passes the fetches that ended to the normaliser. */
static void hand_over(kbj_pipeline *p)
{
    kbj_fetch_result r;
    void *tag;
    while (kbj_fetch_take(p->fetcher, &r, &tag)) {
        kbj_pipe_item *it = tag;
        it->res = r;
        it->fetched_at = kbj_unix_time();
        pthread_mutex_lock(&p->mu);
        /* the slot holding `it`: found by address, the ring is small */
        slot *s = NULL;
        for (size_t i = 0; i < p->nslots && !s; i++)
            if (it >= p->slots[i].chunk.items && it < p->slots[i].chunk.items + p->slots[i].chunk.n)
                s = &p->slots[i];
        p->queue[(p->qhead + p->qlen) % p->qcap] = (pending){ it, s };
        p->qlen++;
        p->stats.fetched++;
        publish_counts(p); /* with `fetched`, so no reader sees this page both fetched and in flight */
        pthread_cond_broadcast(&p->cond);
        pthread_mutex_unlock(&p->mu);
    }
}

static void *fetch_main(void *arg)
{
    kbj_pipeline *p = arg;
    int rc = KBJ_OK;

    for (;;) {
        size_t in_flight = 0, waiting = 0, done = 0;
        int stop, idle;

        if (p->cfg.should_stop && p->cfg.should_stop(p->cfg.stop_arg)) {
            pthread_mutex_lock(&p->mu);
            p->stopped = 1;
            pthread_cond_broadcast(&p->cond);
            pthread_mutex_unlock(&p->mu);
            kbj_fetch_cancel(p->fetcher);
            hand_over(p); /* the cancelled items, so their slots are whole for freeing */
            break;
        }
        if ((rc = fill_window(p)))
            break;
        kbj_fetch_counts(p->fetcher, &in_flight, &waiting, &done);
        pthread_mutex_lock(&p->mu);
        stop = p->stop;
        p->stats.in_flight = (unsigned)in_flight;
        p->stats.queued = (unsigned)waiting;
        idle = in_flight == 0 && waiting == 0 && done == 0;
        if (!stop && idle) {
            /* nothing to fetch until a slot is freed (or the list is done) */
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += POLL_MS * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&p->cond, &p->mu, &ts);
            stop = p->stop;
        }
        pthread_mutex_unlock(&p->mu);
        if (stop) {
            kbj_fetch_cancel(p->fetcher);
            hand_over(p);
            break;
        }
        if (!idle) {
            if ((rc = kbj_fetch_work(p->fetcher, POLL_MS)))
                break;
            hand_over(p);
        }
    }
    if (rc) {
        pthread_mutex_lock(&p->mu);
        p->fetch_rc = rc;
        kbj_copy(p->fetch_msg, sizeof p->fetch_msg, kbj_fetcher_errmsg(p->fetcher));
        pthread_cond_broadcast(&p->cond);
        pthread_mutex_unlock(&p->mu);
    }
    return NULL;
}

/* ---- the normaliser thread ------------------------------------------------------------ */

static void *norm_main(void *arg)
{
    kbj_pipeline *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        pending job;
        int stopping;
        while (p->qlen == 0 && !p->stop)
            pthread_cond_wait(&p->cond, &p->mu);
        if (p->qlen == 0)
            break; /* stopping, and nothing left */
        job = p->queue[p->qhead];
        p->qhead = (p->qhead + 1) % p->qcap;
        p->qlen--;
        stopping = p->stop || p->stopped;
        pthread_mutex_unlock(&p->mu);
        if (!stopping && job.item->res.outcome != KBJ_FETCH_CANCELLED)
            normalise_item(p, job.item);
        pthread_mutex_lock(&p->mu);
        p->stats.normalised++;
        if (job.slot && ++job.slot->ready == job.slot->chunk.n)
            pthread_cond_broadcast(&p->cond);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* ---- the caller's side ------------------------------------------------------------------ */

kbj_pipeline *kbj_pipeline_start(const kbj_pipe_config *cfg, kbj_err *err)
{
    kbj_pipeline *p;
    size_t window;

    if (!cfg || !cfg->read || cfg->chunk < 1 || cfg->first > cfg->end) {
        kbj_fail(err, KBJ_EINVAL, "pipeline settings are incomplete");
        return NULL;
    }
    p = calloc(1, sizeof *p);
    if (!p) {
        kbj_fail(err, KBJ_ENOMEM, "out of memory");
        return NULL;
    }
    p->cfg = *cfg;
    p->cfg.fetch = NULL;
    p->cfg.limits = NULL;
    if (!p->cfg.ahead)
        p->cfg.ahead = 2;
    if (cfg->limits)
        p->limits = *cfg->limits;
    p->nslots = p->cfg.ahead + 1;
    window = p->nslots * p->cfg.chunk;
    p->slots = calloc(p->nslots, sizeof *p->slots);
    p->qcap = window;
    p->queue = calloc(p->qcap, sizeof *p->queue);
    p->next_read = p->next_out = cfg->first;
    if (!p->slots || !p->queue) {
        kbj_fail(err, KBJ_ENOMEM, "out of memory");
        free(p->slots);
        free(p->queue);
        free(p);
        return NULL;
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cond, NULL);
    p->fetcher = kbj_fetcher_new(cfg->fetch, err);
    if (!p->fetcher) {
        kbj_pipeline_stop(p);
        return NULL;
    }
    kbj_normalise_init(); /* libxml2 is set up here, before its first use on another thread */
    p->norm_started = pthread_create(&p->norm_thr, NULL, norm_main, p) == 0;
    p->fetch_started = p->norm_started && pthread_create(&p->fetch_thr, NULL, fetch_main, p) == 0;
    if (!p->fetch_started) {
        kbj_fail(err, KBJ_EIO, "cannot start the import's threads");
        kbj_pipeline_stop(p);
        return NULL;
    }
    return p;
}

int kbj_pipeline_next(kbj_pipeline *p, kbj_pipe_chunk **out, int (*wait_stop)(void *arg), void *arg,
                      kbj_err *err)
{
    int rc = KBJ_OK;
    *out = NULL;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        slot *s = &p->slots[p->out_at];
        struct timespec ts;
        if (p->next_out >= p->cfg.end)
            break; /* every chunk was handed out */
        if (p->stopped) {
            rc = KBJ_ESTOPPED;
            break;
        }
        if (s->state == S_FAILED) {
            rc = s->code;
            kbj_fail(err, rc, "%s", s->msg);
            break;
        }
        if (s->state == S_FILLING && s->chunk.first == p->next_out && s->ready == s->chunk.n) {
            s->state = S_HANDED;
            *out = &s->chunk;
            p->next_out += s->chunk.n;
            p->out_at = (p->out_at + 1) % p->nslots;
            break;
        }
        if (p->fetch_rc) {
            rc = p->fetch_rc;
            kbj_fail(err, rc, "%s", p->fetch_msg);
            break;
        }
        pthread_mutex_unlock(&p->mu);
        if (wait_stop && wait_stop(arg)) {
            pthread_mutex_lock(&p->mu);
            rc = KBJ_ESTOPPED;
            break;
        }
        pthread_mutex_lock(&p->mu);
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += POLL_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        if (!(s->state == S_FILLING && s->ready == s->chunk.n) && !p->stopped && !p->fetch_rc)
            pthread_cond_timedwait(&p->cond, &p->mu, &ts);
    }
    pthread_mutex_unlock(&p->mu);
    return rc;
}

void kbj_pipeline_done(kbj_pipeline *p, kbj_pipe_chunk *c)
{
    if (!p || !c)
        return;
    chunk_clear(c);
    pthread_mutex_lock(&p->mu);
    for (size_t i = 0; i < p->nslots; i++)
        if (&p->slots[i].chunk == c)
            p->slots[i].state = S_FREE;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->mu);
    kbj_fetch_wakeup(p->fetcher); /* room for one more chunk */
}

void kbj_pipeline_stats(kbj_pipeline *p, kbj_pipe_stats *out)
{
    pthread_mutex_lock(&p->mu);
    *out = p->stats;
    pthread_mutex_unlock(&p->mu);
}

void kbj_pipeline_stop(kbj_pipeline *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->mu);
    if (p->fetcher)
        kbj_fetch_wakeup(p->fetcher);
    if (p->fetch_started)
        pthread_join(p->fetch_thr, NULL);
    if (p->norm_started)
        pthread_join(p->norm_thr, NULL);
    kbj_fetcher_free(p->fetcher); /* after the fetch thread: items not taken are freed */
    for (size_t i = 0; p->slots && i < p->nslots; i++)
        chunk_clear(&p->slots[i].chunk);
    free(p->slots);
    free(p->queue);
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->mu);
    free(p);
}
