/*
 * types.h - the registry of job types: what the claim loop dispatches by name, and the
 * defaults a submit takes from a job's type.
 */
#ifndef KBJ_TYPES_H
#define KBJ_TYPES_H

#include "chain.h"
#include "jsonschema.h"
#include "kbj.h"

#include <jansson.h>

/* A registered job type (see kbj_register_type in kbj.h). */
typedef struct kbj_type {
    char *name, *label, *category, *queue;   /* queue NULL: "default" */
    char *params_schema;                     /* the schema's text, or NULL */
    kbj_jsonschema *schema;                  /* compiled, or NULL */
    kbj_chain_rule *rules;                   /* owned copies */
    size_t nrules;
    int max_attempts;                        /* 0: KBJ_DEFAULT_MAX_ATTEMPTS */
    kbj_backoff backoff;
    kbj_expiry on_expiry;
    kbj_resource *resources;                 /* owned copies of the names and ops */
    size_t nresources;
    kbj_handler handler;                     /* NULL: known here but run elsewhere */
    void *udata;
    void (*udata_free)(void *);
} kbj_type;

/* Validates params against the type's schema and fills in its defaults, in place.
 * KBJ_EINVAL naming the field (prefixed with `where`) when they do not fit. */
int kbj_type_apply_schema(kbj_engine *eng, const kbj_type *t, json_t *params, const char *where);

/* Every rule of every registered type, for chain validation; *n receives the count.
 * The array is malloc'd (free() it); the strings stay owned by the types. */
kbj_chain_rule *kbj_types_rules(kbj_engine *eng, size_t *n);

/* The type registered under `name` in this engine, or NULL. */
const kbj_type *kbj_type_find(kbj_engine *eng, const char *name);

#endif
