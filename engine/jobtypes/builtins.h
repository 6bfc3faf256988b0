/*
 * builtins.h - the native job types, each registered by the module that runs it.
 */
#ifndef KBJ_BUILTINS_H
#define KBJ_BUILTINS_H

#include "kbj.h"

/* Registers diag.echo, diag.sleep, diag.fail, diag.crud, diag.crud_latency (diag.c). */
int kbj_register_diag_types(kbj_engine *eng);

/* Registers the native "combined" job type (phases.c). */
int kbj_register_combined_type(kbj_engine *eng);

/* Registers the native "kbjobs.bulk" job type (bulk.c). */
int kbj_register_bulk_type(kbj_engine *eng);

/* Registers the native "cleanup" job type (cleanup.c). */
int kbj_register_cleanup_type(kbj_engine *eng);

/* Registers the native "reconcile" job type (reconcile.c). */
int kbj_register_reconcile_type(kbj_engine *eng);

#endif /* KBJ_BUILTINS_H */
