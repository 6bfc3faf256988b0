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

/* The distinct list indexes of the failed items recorded for `list` (an import's list:
 * its ranges' items too), sorted, read from lists/<list>.failed.jsonl in one pass with
 * the rules of kbj_import_failed_items (a torn or foreign line is skipped). *out is
 * malloc'd (free it; NULL when *n is 0). 0, KBJ_EINVAL, KBJ_EIO or KBJ_ENOMEM. */
int kbj_import_failed_indexes(kbj_engine *eng, const char *list, unsigned long long **out, size_t *n);

/* kbj_import_submit_ex whose import job records `rerun_of` (NULL: none) as the job it is
 * a rerun of (its ranges, if any, do not). */
int kbj_import_submit_rerun(kbj_engine *eng, int fd, const char *params, const kbj_submit *opts,
                            kbj_urllist_reject_fn on_reject, void *arg, kbj_urllist_report *report,
                            char id[KBJ_ID_LEN + 1], const char *rerun_of, int *existed);

#endif /* KBJ_IMPORT_H */
