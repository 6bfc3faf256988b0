/*
 * builtins.c - registers the engine's native job types: the diagnostics (diag.c), the
 * combined type (phases.c), the batch import (import.c), bulk actions (bulk.c), the
 * cleanup (cleanup.c) and reconciliation (reconcile.c). It
 * sits above all of them and the runner, so the engine handle itself depends on no job
 * type.
 */
#include "builtins.h"
#include "import.h"
#include "internal.h"
#include "types.h"

int kbj_register_builtin_types(kbj_engine *eng)
{
    int rc = KBJ_OK;
    if (!eng)
        return KBJ_EINVAL;
    if (!kbj_type_find(eng, "diag.echo"))
        rc = kbj_register_diag_types(eng);
    if (rc == KBJ_OK && !kbj_type_find(eng, "combined"))
        rc = kbj_register_combined_type(eng);
    if (rc == KBJ_OK && !kbj_type_find(eng, "import"))
        rc = kbj_register_import_type(eng);
    /* A partial FailureLog entry is resubmitted as a new import of its failed items:
     * kbj_failures_resubmit (core) calls this through the engine, as core cannot call
     * the import layer above it. Left here, beside the import type, because import.c
     * cannot name it either: import_resubmit.c calls import.c's submit. */
    if (rc == KBJ_OK)
        eng->resubmit_partial = kbj_import_resubmit_failed;
    if (rc == KBJ_OK && !kbj_type_find(eng, "kbjobs.bulk"))
        rc = kbj_register_bulk_type(eng);
    if (rc == KBJ_OK && !kbj_type_find(eng, "cleanup"))
        rc = kbj_register_cleanup_type(eng);
    if (rc == KBJ_OK && !kbj_type_find(eng, "reconcile"))
        rc = kbj_register_reconcile_type(eng);
    return rc;
}
