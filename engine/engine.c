/*
 * engine.c - the engine handle: settings, connection, and small shared helpers
 * (ids, names, times, randomness).
 */
#include "import.h"
#include "internal.h"
#include "types.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
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
    eng->cfg.lost_after_seconds = or_default(cfg->lost_after_seconds, 3 * eng->cfg.lease_seconds);
    eng->cfg.alert_threshold = or_default(cfg->alert_threshold, 5);
    eng->cfg.alert_window_seconds = or_default(cfg->alert_window_seconds, 600);

    rc = kbj_store_connect(eng->st, &cfg->db);
    if (rc)
        return rc;
    rc = kbj_schema_check_connected(eng);
    if (rc == KBJ_OK && !kbj_type_find(eng, "diag.echo"))
        rc = kbj_register_diag_types(eng);
    if (rc == KBJ_OK && !kbj_type_find(eng, "combined"))
        rc = kbj_register_combined_type(eng);
    if (rc == KBJ_OK && !kbj_type_find(eng, "import"))
        rc = kbj_register_import_type(eng);
    return rc;
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
    kbj_types_free(eng->types);
    kbj_import_settings_free(eng);
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

int kbj_new_id(char id[KBJ_ID_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[KBJ_ID_LEN / 2];
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return KBJ_EIO;
        }
        got += (size_t)n;
    }
    for (size_t i = 0; i < sizeof raw; i++) {
        id[2 * i] = hex[raw[i] >> 4];
        id[2 * i + 1] = hex[raw[i] & 15];
    }
    id[KBJ_ID_LEN] = '\0';
    return KBJ_OK;
}

int kbj_valid_name(const char *s)
{
    size_t n = 0;
    if (!s)
        return 0;
    for (; s[n]; n++) {
        char c = s[n];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
            return 0;
        if (n >= KBJ_NAME_MAX)
            return 0;
    }
    return n > 0;
}

int kbj_valid_id(const char *s)
{
    size_t n = 0;
    if (!s)
        return 0;
    for (; s[n]; n++)
        if (n >= KBJ_ID_LEN || !((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
            return 0;
    return n == KBJ_ID_LEN;
}

void kbj_copy(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (cap == 0)
        return;
    if (n >= cap)
        n = cap - 1;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

double kbj_dbtime(const char *s)
{
    return s ? strtod(s, NULL) : 0;
}

char *kbj_placeholders(size_t n)
{
    char *p = malloc(n ? 2 * n : 1);
    if (!p)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        p[2 * i] = '?';
        p[2 * i + 1] = ',';
    }
    p[n ? 2 * n - 1 : 0] = '\0';
    return p;
}
