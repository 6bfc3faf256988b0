/*
 * import.h - the native `import` job: a URL list on disk, fetched chunk by chunk,
 * normalised, written as artifacts, handed to a sink that makes posts, with a cursor
 * that advances only after a chunk's posts are written.
 *
 * Submitting: kbj_import_submit() stores the list (lists/<job>.urls + .idx) and submits
 * the job under the same id. Running: any kbj_run() whose queues include the import's
 * queue ("import" by default) runs it; without a sink registered in that process, an
 * import with posts fails its attempt (retryable) so a runner that has one can take it.
 */
#ifndef KBJ_IMPORT_H
#define KBJ_IMPORT_H

#include <stddef.h>

#include "fetch.h"
#include "kbj.h"
#include "kbj_import.h"
#include "normalise.h"
#include "urllist.h"

/* The public part (documents, the sink, settings, submit, failed items) is in
 * kbj_import.h; what follows is for the engine only. */

/* Registers the native import type (kbj_register_builtin_types does). */
int kbj_register_import_type(kbj_engine *eng);

#endif /* KBJ_IMPORT_H */
