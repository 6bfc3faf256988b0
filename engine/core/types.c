/*
 * types.c - the registry of job types in one engine.
 */
#include "internal.h"
#include "types.h"

#include <stdlib.h>

struct kbj_typereg {
    kbj_type *types;
    size_t n, cap;
};

static void type_clear(kbj_type *t)
{
    if (t->udata_free)
        t->udata_free(t->udata);
    free(t->name);
    free(t->label);
    free(t->category);
    free(t->queue);
    free(t->params_schema);
    kbj_jsonschema_free(t->schema);
    for (size_t i = 0; i < t->nrules; i++) {
        free((char *)t->rules[i].before);
        free((char *)t->rules[i].after);
        free((char *)t->rules[i].message);
    }
    free(t->rules);
    for (size_t i = 0; i < t->nresources; i++) {
        free((char *)t->resources[i].name);
        free((char *)t->resources[i].op);
    }
    free(t->resources);
    memset(t, 0, sizeof *t);
}

/* The engine's destructor for its registry (see kbj_engine_free). */
static void types_free(kbj_engine *eng)
{
    struct kbj_typereg *reg = eng->types;
    if (!reg)
        return;
    for (size_t i = 0; i < reg->n; i++)
        type_clear(&reg->types[i]);
    free(reg->types);
    free(reg);
    eng->types = NULL;
}

const kbj_type *kbj_type_find(kbj_engine *eng, const char *name)
{
    if (!eng || !eng->types || !name)
        return NULL;
    for (size_t i = 0; i < eng->types->n; i++)
        if (strcmp(eng->types->types[i].name, name) == 0)
            return &eng->types->types[i];
    return NULL;
}

static char *dup_opt(const char *s, int *oom)
{
    char *d;
    if (!s)
        return NULL;
    d = strdup(s);
    if (!d)
        *oom = 1;
    return d;
}

/* Checks a definition: names, ranges, resources and chain rules. */
static int check_def(kbj_engine *eng, const kbj_type_def *def)
{
    if (!def || !kbj_valid_name(def->name))
        return kbj_efail(eng, KBJ_EINVAL, "job type name \"%.80s\" must be 1 to 64 characters of a-z, "
                         "0-9, '_', '.' and '-'", def && def->name ? def->name : "");
    if (def->queue && !kbj_valid_name(def->queue))
        return kbj_efail(eng, KBJ_EINVAL, "queue \"%.80s\" of job type %s is not a valid name",
                         def->queue, def->name);
    if (def->max_attempts < 0 || def->max_attempts > 1000)
        return kbj_efail(eng, KBJ_EINVAL, "max_attempts %d of job type %s is out of range 0..1000",
                         def->max_attempts, def->name);
    if ((int)def->backoff.kind < 0 || def->backoff.kind > KBJ_BACKOFF_POLYNOMIAL || def->backoff.jitter > 1)
        return kbj_efail(eng, KBJ_EINVAL, "the backoff policy of job type %s is invalid", def->name);
    if (def->nresources > KBJ_MAX_RESOURCES || (def->nresources && !def->resources))
        return kbj_efail(eng, KBJ_EINVAL, "job type %s declares more than %d resources", def->name,
                         KBJ_MAX_RESOURCES);
    for (size_t i = 0; i < def->nresources; i++) {
        int rc = kbj_resource_check(eng, &def->resources[i], "");
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < def->nrules; i++) {
        const kbj_chain_rule *r = &def->rules[i];
        if (!r->before || !r->after || !kbj_valid_name(r->before) || !kbj_valid_name(r->after) ||
            strcmp(r->before, r->after) == 0 || (r->severity != KBJ_CHAIN_WARNING && r->severity != KBJ_CHAIN_ERROR))
            return kbj_efail(eng, KBJ_EINVAL, "ordering rule %zu of job type %s is invalid", i, def->name);
    }
    return KBJ_OK;
}

/* The registry's own copy of a definition's strings, rules and resources; 1 when out of
 * memory (t holds what was copied). */
static int copy_def(kbj_type *t, const kbj_type_def *def)
{
    int oom = 0;
    t->name = dup_opt(def->name, &oom);
    t->label = dup_opt(def->label ? def->label : def->name, &oom);
    t->category = dup_opt(def->category ? def->category : "other", &oom);
    t->queue = dup_opt(def->queue, &oom);
    t->params_schema = dup_opt(def->params_schema, &oom);
    if (def->nrules && !oom) {
        t->rules = calloc(def->nrules, sizeof *t->rules);
        oom = !t->rules;
        for (size_t i = 0; !oom && i < def->nrules; i++) {
            t->rules[i].before = dup_opt(def->rules[i].before, &oom);
            t->rules[i].after = dup_opt(def->rules[i].after, &oom);
            t->rules[i].message = dup_opt(def->rules[i].message, &oom);
            t->rules[i].severity = def->rules[i].severity;
            t->nrules = i + 1;
        }
    }
    if (def->nresources && !oom) {
        t->resources = calloc(def->nresources, sizeof *t->resources);
        oom = !t->resources;
        for (size_t i = 0; !oom && i < def->nresources; i++) {
            t->resources[i].name = dup_opt(def->resources[i].name, &oom);
            t->resources[i].op = dup_opt(def->resources[i].op, &oom);
            t->nresources = i + 1;
        }
    }
    t->max_attempts = def->max_attempts;
    t->backoff = def->backoff;
    t->on_expiry = def->on_expiry;
    t->handler = def->handler;
    t->udata = def->udata;
    return oom;
}

/* The registry's slot for `name`: the existing type's (cleared), else a new one. NULL when
 * out of memory. */
static kbj_type *slot_for(struct kbj_typereg *reg, const char *name)
{
    for (size_t i = 0; i < reg->n; i++)
        if (strcmp(reg->types[i].name, name) == 0) {
            type_clear(&reg->types[i]);
            return &reg->types[i];
        }
    if (reg->n == reg->cap) {
        size_t cap = reg->cap ? 2 * reg->cap : 16;
        kbj_type *grown = realloc(reg->types, cap * sizeof *grown);
        if (!grown)
            return NULL;
        reg->types = grown;
        reg->cap = cap;
    }
    return &reg->types[reg->n++];
}

int kbj_register_type(kbj_engine *eng, const kbj_type_def *def)
{
    kbj_type t = { 0 }, *slot;
    int rc;

    if (!eng)
        return KBJ_EINVAL;
    if ((rc = check_def(eng, def)))
        return rc;
    if (def->params_schema && (rc = kbj_jsonschema_compile(def->params_schema, &t.schema, kbj_store_err(eng->st)))) {
        char why[sizeof kbj_store_err(eng->st)->msg];
        memcpy(why, kbj_errmsg(eng), sizeof why);
        return kbj_efail(eng, rc, "job type %s: %s", def->name, why);
    }
    if (!eng->types) {
        if (!(eng->types = calloc(1, sizeof *eng->types))) {
            kbj_jsonschema_free(t.schema);
            return kbj_efail(eng, KBJ_ENOMEM, "out of memory");
        }
        eng->free_types = types_free; /* the handle frees the registry with itself */
    }
    /* on failure the definition's udata stays the caller's (udata_free not called) */
    if (copy_def(&t, def) || !(slot = slot_for(eng->types, def->name))) {
        t.udata_free = NULL;
        type_clear(&t);
        return kbj_efail(eng, KBJ_ENOMEM, "out of memory");
    }
    t.udata_free = def->udata_free;
    *slot = t;
    return KBJ_OK;
}

int kbj_type_apply_schema(kbj_engine *eng, const kbj_type *t, json_t *params, const char *where)
{
    int rc;
    char why[sizeof kbj_store_err(eng->st)->msg];
    if (!t || !t->schema)
        return KBJ_OK;
    rc = kbj_jsonschema_apply(t->schema, params, kbj_store_err(eng->st));
    if (rc) {
        memcpy(why, kbj_errmsg(eng), sizeof why);
        return kbj_efail(eng, rc, "%s%s", where, why);
    }
    return KBJ_OK;
}

kbj_chain_rule *kbj_types_rules(kbj_engine *eng, size_t *n)
{
    size_t total = 0, k = 0;
    kbj_chain_rule *all;
    *n = 0;
    for (size_t i = 0; eng->types && i < eng->types->n; i++)
        total += eng->types->types[i].nrules;
    all = calloc(total ? total : 1, sizeof *all);
    if (!all)
        return NULL;
    for (size_t i = 0; eng->types && i < eng->types->n; i++)
        for (size_t r = 0; r < eng->types->types[i].nrules; r++)
            all[k++] = eng->types->types[i].rules[r];
    *n = total;
    return all;
}

size_t kbj_types_list(kbj_engine *eng, kbj_type_info *out, size_t cap)
{
    size_t n = eng && eng->types ? eng->types->n : 0;
    for (size_t i = 0; i < n && i < cap; i++) {
        const kbj_type *t = &eng->types->types[i];
        out[i].name = t->name;
        out[i].label = t->label;
        out[i].category = t->category;
        out[i].queue = t->queue;
        out[i].params_schema = t->params_schema;
        out[i].max_attempts = t->max_attempts;
        out[i].has_handler = t->handler != NULL;
        out[i].resources = t->resources;
        out[i].nresources = t->nresources;
        out[i].rules = t->rules;
        out[i].nrules = t->nrules;
    }
    return n;
}
