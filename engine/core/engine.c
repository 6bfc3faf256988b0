/*
 * engine.c - the engine handle: settings, connection, its error message and its source
 * of randomness. Modules above it that hang state on the handle (the type registry, the
 * import settings) leave a destructor in it, so the handle calls nothing above itself.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

kbj_engine *kbj_engine_new(void)
{
    kbj_engine *eng = calloc(1, sizeof *eng);
    if (!eng)
        return NULL;
    eng->queues_checked_at = -1e9;
    eng->st = kbj_store_new();
    if (!eng->st) {
        free(eng);
        return NULL;
    }
    return eng;
}

static unsigned or_default(unsigned v, unsigned def)
{
    return v ? v : def;
}

int kbj_engine_connect(kbj_engine *eng, const kbj_config *cfg)
{
    int rc;

    if (!eng)
        return KBJ_EINVAL;
    if (!cfg)
        return kbj_efail(eng, KBJ_EINVAL, "no settings given");
    if (!cfg->data_dir || cfg->data_dir[0] != '/')
        return kbj_efail(eng, KBJ_EINVAL, "the data directory must be an absolute path, got \"%.200s\"",
                         cfg->data_dir ? cfg->data_dir : "");
    if (cfg->lease_seconds > 86400 || cfg->claim_batch > 1000 || cfg->failure_cap > 100000)
        return kbj_efail(eng, KBJ_EINVAL, "lease_seconds (<= 86400), claim_batch (<= 1000) or "
                         "failure_cap (<= 100000) out of range");
    {
        unsigned hb = or_default(cfg->heartbeat_seconds, KBJ_DEFAULT_HEARTBEAT_SECONDS);
        unsigned lost = cfg->lost_after_seconds ? cfg->lost_after_seconds : 4 * hb;
        if (cfg->heartbeat_seconds > KBJ_HEARTBEAT_SECONDS_MAX)
            return kbj_efail(eng, KBJ_EINVAL, "heartbeat_seconds must be between 1 and %d, got %u",
                             KBJ_HEARTBEAT_SECONDS_MAX, cfg->heartbeat_seconds);
        if (cfg->lost_after_seconds > KBJ_LOST_AFTER_SECONDS_MAX)
            return kbj_efail(eng, KBJ_EINVAL, "lost_after_seconds must be between 2 and %d, got %u",
                             KBJ_LOST_AFTER_SECONDS_MAX, cfg->lost_after_seconds);
        if (hb >= lost)
            return kbj_efail(eng, KBJ_EINVAL, "heartbeat_seconds (%u) must be less than lost_after_seconds (%u):"
                             " a runner would be shown lost between two heartbeats", hb, lost);
    }
    free(eng->data_dir);
    eng->data_dir = strdup(cfg->data_dir);
    if (!eng->data_dir)
        return kbj_efail(eng, KBJ_ENOMEM, "out of memory");
    {
        size_t n = strlen(eng->data_dir);
        while (n > 1 && eng->data_dir[n - 1] == '/')
            eng->data_dir[--n] = '\0';
    }
    eng->cfg = *cfg;
    memset(&eng->cfg.db, 0, sizeof eng->cfg.db); /* not kept: the store has its copy */
    eng->cfg.data_dir = eng->data_dir;
    eng->cfg.lease_seconds = or_default(cfg->lease_seconds, 60);
    eng->cfg.claim_batch = or_default(cfg->claim_batch, 10);
    eng->cfg.failure_cap = or_default(cfg->failure_cap, 50);
    eng->cfg.heartbeat_seconds = or_default(cfg->heartbeat_seconds, KBJ_DEFAULT_HEARTBEAT_SECONDS);
    eng->cfg.lost_after_seconds = or_default(cfg->lost_after_seconds, 4 * eng->cfg.heartbeat_seconds);
    eng->cfg.alert_threshold = or_default(cfg->alert_threshold, 5);
    eng->cfg.alert_window_seconds = or_default(cfg->alert_window_seconds, 600);

    rc = kbj_store_connect(eng->st, &cfg->db);
    if (rc)
        return rc;
    kbj_wake_site(&cfg->db, eng->wake_site);
    return kbj_schema_check_connected(eng);
}

kbj_engine *kbj_engine_clone(kbj_engine *eng)
{
    kbj_engine *c = kbj_engine_new();
    int rc;
    if (!c) {
        kbj_efail(eng, KBJ_ENOMEM, "out of memory");
        return NULL;
    }
    rc = kbj_store_clone(eng->st, c->st);
    c->cfg = eng->cfg;
    memcpy(c->wake_site, eng->wake_site, sizeof c->wake_site);
    c->schema_version = eng->schema_version;
    c->data_dir = strdup(eng->data_dir);
    c->cfg.data_dir = c->data_dir;
    c->rnd = eng->rnd;
    c->rnd_arg = eng->rnd_arg;
    if (rc || !c->data_dir) {
        if (rc)
            kbj_efail(eng, rc, "%s", kbj_errmsg(c));
        else
            kbj_efail(eng, KBJ_ENOMEM, "out of memory");
        kbj_engine_free(c);
        return NULL;
    }
    return c;
}

const char *kbj_errmsg(const kbj_engine *eng)
{
    return eng ? kbj_store_errmsg(eng->st) : "no engine";
}

void kbj_engine_free(kbj_engine *eng)
{
    if (!eng)
        return;
    kbj_store_free(eng->st);
    if (eng->free_types)
        eng->free_types(eng);
    if (eng->free_import)
        eng->free_import(eng);
    free(eng->data_dir);
    free(eng);
}

void kbj_engine_forget_connection(kbj_engine *eng)
{
    if (eng)
        kbj_store_forget(eng->st);
}

void kbj_engine_set_random(kbj_engine *eng, double (*rnd)(void *), void *arg)
{
    if (!eng)
        return;
    eng->rnd = rnd;
    eng->rnd_arg = arg;
}

double kbj_random(kbj_engine *eng)
{
    unsigned long long v;
    if (eng && eng->rnd) {
        double r = eng->rnd(eng->rnd_arg);
        return r < 0 ? 0 : r >= 1 ? 0.999999999 : r;
    }
    if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v)
        v = (unsigned long long)time(NULL) * 2654435761ULL ^ (unsigned long long)getpid();
    return (double)(v >> 11) / (double)(1ULL << 53);
}
