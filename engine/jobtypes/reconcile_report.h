/*
 * reconcile_report.h - a reconciliation's findings as a stream of JSON lines.
 *
 * One finding per line, each line one write(2) to a file opened O_APPEND (as logs are:
 * a reader never sees half a line, and ignores a torn last one after a crash). The file
 * is not replaced atomically as a whole: it grows while the run goes on, and the run's
 * checkpoint records how many bytes were durable (fdatasync) when it was saved, so a
 * resumed run cuts the file back to that length and writes the rest again: the same
 * lines as an uninterrupted run.
 */
#ifndef KBJ_RECONCILE_REPORT_H
#define KBJ_RECONCILE_REPORT_H

#include <jansson.h>

#include "kbj.h"

typedef struct kbj_rreport kbj_rreport;

/*
 * Opens the report at `path` (never through a symbolic link), empty when `resume_bytes`
 * is negative, else cut back to `resume_bytes`. Returns 0 with *out set; KBJ_ECORRUPT
 * when the file is shorter than resume_bytes (the findings before it are lost: start
 * again); KBJ_EIO (the message names the file and the reason); KBJ_ENOMEM.
 */
int kbj_rreport_open(const char *path, long long resume_bytes, kbj_rreport **out, kbj_err *err);

/* Appends `finding` as one line. Returns 0, KBJ_ENOMEM or KBJ_EIO. */
int kbj_rreport_add(kbj_rreport *r, const json_t *finding, kbj_err *err);

/* Bytes written so far (what a checkpoint records, after kbj_rreport_sync). */
long long kbj_rreport_bytes(const kbj_rreport *r);

/* Makes what was written durable. Returns 0 or KBJ_EIO. */
int kbj_rreport_sync(kbj_rreport *r, kbj_err *err);

/* Closes the file and frees the report. Accepts NULL. */
void kbj_rreport_free(kbj_rreport *r);

/* The first `n` findings of the report at `path` as a new JSON array (lines over 64 KiB
 * or not JSON are skipped), or NULL when the file cannot be read or out of memory. */
json_t *kbj_rreport_head(const char *path, size_t n);

#endif /* KBJ_RECONCILE_REPORT_H */
