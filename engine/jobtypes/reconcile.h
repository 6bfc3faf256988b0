/*
 * reconcile.h - what the parts of a reconciliation share (reconcile.c, kbj_reconcile and
 * the job type; reconcile_run.c, position, findings and saved state;
 * reconcile_artifacts.c, the artifact index against artifacts/; reconcile_files.c, job
 * rows against lists/, logs/ and checkpoints/). Not public. The streams call
 * reconcile_run.c only; reconcile.c calls them all.
 *
 * A run walks four streams one after another (KBJ_RDIR_* order), each in byte order of
 * its names. Its position is the last item done: the stream, the top name (a name in the
 * stream's folder: for artifacts/ a bucket or a stray entry) and, inside an artifact
 * bucket, the name in it; plus the last artifact index row consumed. Every item before
 * the position has had its findings written to the report, none after it has, so a
 * resumed run starting after it writes what an uninterrupted run would have.
 */
#ifndef KBJ_RECONCILE_H
#define KBJ_RECONCILE_H

#include <jansson.h>
#include <sys/stat.h>

#include "internal.h"
#include "kbj_import.h"
#include "reconcile_names.h"
#include "reconcile_report.h"

/* Kinds of finding. */
enum { RK_GHOST, RK_ORPHAN, RK_DRIFT, RK_UNSAFE, RK_COUNT };

typedef struct recon {
    kbj_engine *eng;
    kbj_reconcile_opts o;
    int root_fd;                 /* the data directory, opened once */
    double now;                  /* Unix time at the start of this process's run (grace) */
    kbj_rreport *report;
    kbj_err *err;                /* the handle's: every message ends up in kbj_errmsg */

    /* the position: last item done (see above); top/name NULL when none */
    int stream;
    char *top, *name;
    char row_after[65];          /* last artifact index row consumed ("" none) */

    unsigned long long counts[RK_COUNT];
    unsigned long long rows, artifact_files, job_files, recent, items;
    long long total;             /* the progress estimate, fixed at the first start */
    unsigned long long unsaved;  /* items since the last save */
    double saved_at;             /* kbj_monotonic() at the last save (or the start) */
} recon;

/* Sets the position to (stream, top, name); name may be NULL. 0 or KBJ_ENOMEM. */
int recon_set_pos(recon *r, int stream, const char *top, const char *name);

/* Writes one finding of `kind` with `reason` about data_dir/<dir>/<top>[/<name>]
 * (`name` NULL for a top entry), adding the members of `extra` (may be NULL; its
 * reference is taken). Returns 0 or the report's error (on the handle). */
int recon_finding(recon *r, int kind, const char *reason, int dir, const char *top, const char *name,
                  json_t *extra);

/* A finding about what (dir, top, name) is when it is not a plain regular file or its
 * name is hostile: "unsafe" with reason symlink (and its target, escaped, never
 * followed), hostile_name or not_regular_file. 1 when one was written (the item is
 * done), 0 when the entry is a regular file with a safe name, <0 on error. `parent_fd`
 * is the folder holding the entry. */
int recon_unsafe(recon *r, int parent_fd, const char *entry, const struct stat *sb, int hostile, int dir,
                 const char *top, const char *name);

/* 1 when the file's last change is within the grace time (counted as recent). */
int recon_recent(recon *r, const struct stat *sb);

/* Called after each item is done (its findings written and the position set): counts
 * it, reports progress, saves the state when due and stops when asked. 0, KBJ_ESTOPPED
 * (the state saved) or an error. */
int recon_item_done(recon *r, unsigned long long n);

/* Restores the position and counts of a saved state, and the report's length to
 * *bytes. 0 or KBJ_ECORRUPT (not a state this code wrote). */
int recon_restore(recon *r, const char *state, long long *bytes);

/* The counts per kind and of the items scanned, as JSON objects (NULL: out of memory). */
json_t *recon_counts_json(const recon *r);
json_t *recon_scanned_json(const recon *r);

/* The streams. Each starts at the position when it is its stream and from the start
 * otherwise, and returns 0, KBJ_ESTOPPED or an error. */
int recon_artifacts(recon *r);
int recon_job_files(recon *r, int dir);

#endif /* KBJ_RECONCILE_H */
