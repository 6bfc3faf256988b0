/*
 * types.h - the registry of job types: what the claim loop dispatches by name, and the
 * defaults a submit takes from a job's type.
 */
#ifndef KBJ_TYPES_H
#define KBJ_TYPES_H

#include "kbj.h"

/* A registered job type (see kbj_register_type in kbj.h). */
typedef struct kbj_type {
    char *name, *label, *category, *queue;   /* queue NULL: "default" */
    int max_attempts;                        /* 0: KBJ_DEFAULT_MAX_ATTEMPTS */
    kbj_backoff backoff;
    kbj_expiry on_expiry;
    kbj_resource *resources;                 /* owned copies of the names and ops */
    size_t nresources;
    kbj_handler handler;                     /* NULL: known here but run elsewhere */
    void *udata;
    void (*udata_free)(void *);
} kbj_type;

/* The type registered under `name` in this engine, or NULL. */
const kbj_type *kbj_type_find(kbj_engine *eng, const char *name);

#endif
