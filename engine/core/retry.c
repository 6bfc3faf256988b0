/*
 * retry.c - backoff policies: how long a failed job waits before its next attempt.
 *
 * Defaults: polynomial (Sidekiq's curve: attempt^4 seconds plus a 15 s base), jitter
 * adding up to 10 %, capped at one hour, 5 attempts in all.
 */
#include "kbj.h"

#include <math.h>
#include <string.h>

#define DEFAULT_CAP_MS 3600000ULL
#define DEFAULT_JITTER 0.1

/* The base delay of a kind when none is given. */
static unsigned long long default_base_ms(kbj_backoff_kind kind)
{
    return kind == KBJ_BACKOFF_POLYNOMIAL || kind == KBJ_BACKOFF_DEFAULT ? 15000 : 1000;
}

int kbj_backoff_resolve(const kbj_backoff *job, const kbj_backoff *type, kbj_backoff *out, kbj_err *err)
{
    static const kbj_backoff none;
    kbj_backoff b;
    if (!job)
        job = &none;
    /* the job's own kind wins; without one, the type's policy with the job's numbers */
    b = job->kind ? *job : (type ? *type : none);
    if (job->kind == KBJ_BACKOFF_DEFAULT) {
        if (job->base_ms)
            b.base_ms = job->base_ms;
        if (job->cap_ms)
            b.cap_ms = job->cap_ms;
        if (job->jitter)
            b.jitter = job->jitter;
    }
    if ((int)b.kind < 0 || b.kind > KBJ_BACKOFF_POLYNOMIAL)
        return kbj_fail(err, KBJ_EINVAL, "unknown backoff kind %d", (int)b.kind);
    if (b.kind == KBJ_BACKOFF_DEFAULT)
        b.kind = KBJ_BACKOFF_POLYNOMIAL;
    if (!b.base_ms)
        b.base_ms = default_base_ms(b.kind);
    if (!b.cap_ms)
        b.cap_ms = DEFAULT_CAP_MS;
    if (b.jitter == 0)
        b.jitter = DEFAULT_JITTER;
    if (b.jitter > 1 || isnan(b.jitter))
        return kbj_fail(err, KBJ_EINVAL, "backoff jitter must be at most 1");
    if (b.jitter < 0)
        b.jitter = -1; /* none */
    *out = b;
    return KBJ_OK;
}

unsigned long long kbj_backoff_delay_ms(const kbj_backoff *b, unsigned attempt, double r)
{
    kbj_backoff_kind kind = b ? b->kind : KBJ_BACKOFF_DEFAULT;
    double base, delay, jitter;
    unsigned long long cap = b && b->cap_ms ? b->cap_ms : DEFAULT_CAP_MS;

    if (kind == KBJ_BACKOFF_DEFAULT)
        kind = KBJ_BACKOFF_POLYNOMIAL;
    if (attempt < 1)
        attempt = 1;
    if (attempt > 1000)
        attempt = 1000;
    base = (double)(b && b->base_ms ? b->base_ms : default_base_ms(kind));
    switch (kind) {
    case KBJ_BACKOFF_FIXED:
        delay = base;
        break;
    case KBJ_BACKOFF_LINEAR:
        delay = base * attempt;
        break;
    case KBJ_BACKOFF_EXPONENTIAL:
        delay = base * pow(2.0, (double)(attempt - 1));
        break;
    default:
        delay = pow((double)attempt, 4.0) * 1000.0 + base;
        break;
    }
    jitter = b ? b->jitter : 0;
    if (jitter == 0)
        jitter = DEFAULT_JITTER;
    if (jitter < 0)
        jitter = 0;
    if (jitter > 1)
        jitter = 1;
    if (jitter > 0 && r > 0 && r < 1)
        delay += delay * jitter * r;
    if (!(delay < (double)cap)) /* also catches overflow to inf */
        return cap;
    return (unsigned long long)delay;
}

int kbj_backoff_parse(const char *name)
{
    static const char *const names[] = { "fixed", "linear", "exponential", "polynomial" };
    if (!name || !*name)
        return KBJ_BACKOFF_DEFAULT;
    for (int i = 0; i < 4; i++)
        if (strcmp(name, names[i]) == 0)
            return i + 1;
    return -1;
}

const char *kbj_backoff_name(kbj_backoff_kind kind)
{
    switch (kind) {
    case KBJ_BACKOFF_FIXED: return "fixed";
    case KBJ_BACKOFF_LINEAR: return "linear";
    case KBJ_BACKOFF_EXPONENTIAL: return "exponential";
    default: return "polynomial";
    }
}
