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
    base = b && b->base_ms ? (double)b->base_ms : (kind == KBJ_BACKOFF_POLYNOMIAL ? 15000.0 : 1000.0);
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
        jitter = 0.1;
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
