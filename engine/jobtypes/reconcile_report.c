/*
 * reconcile_report.c - the findings file of a reconciliation (see reconcile_report.h).
 */
#include "reconcile_report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"

#define LINE_MAX_BYTES (64 * 1024)

struct kbj_rreport {
    int fd;
    long long bytes;
    char *path;
};

int kbj_rreport_open(const char *path, long long resume_bytes, kbj_rreport **out, kbj_err *err)
{
    kbj_rreport *r;
    struct stat sb;
    int fd;

    *out = NULL;
    fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0640);
    if (fd < 0)
        return kbj_fail(err, KBJ_EIO, "cannot open the report %s: %s", path, strerror(errno));
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return kbj_fail(err, KBJ_EIO, "the report %s is not a regular file", path);
    }
    if (resume_bytes >= 0 && sb.st_size < resume_bytes) {
        close(fd);
        return kbj_fail(err, KBJ_ECORRUPT, "the report %s is shorter (%lld bytes) than its checkpoint says (%lld)",
                        path, (long long)sb.st_size, resume_bytes);
    }
    if (ftruncate(fd, resume_bytes >= 0 ? (off_t)resume_bytes : 0) != 0) {
        int e = errno;
        close(fd);
        return kbj_fail(err, KBJ_EIO, "cannot cut the report %s back: %s", path, strerror(e));
    }
    if (!(r = calloc(1, sizeof *r)) || !(r->path = strdup(path))) {
        free(r);
        close(fd);
        return kbj_fail(err, KBJ_ENOMEM, "out of memory");
    }
    r->fd = fd;
    r->bytes = resume_bytes >= 0 ? resume_bytes : 0;
    *out = r;
    return KBJ_OK;
}

int kbj_rreport_add(kbj_rreport *r, const json_t *finding, kbj_err *err)
{
    char *text = json_dumps(finding, JSON_COMPACT | JSON_ENSURE_ASCII);
    size_t len;
    int rc = KBJ_OK;

    if (!text)
        return kbj_fail(err, KBJ_ENOMEM, "out of memory writing a finding");
    len = strlen(text);
    text[len] = '\n'; /* json_dumps's NUL becomes the line's end: one write, one line */
    if (kbj_fs_write_all(r->fd, text, len + 1) != 0)
        rc = kbj_fail(err, KBJ_EIO, "cannot write the report %s: %s", r->path,
                      errno == ENOSPC ? "no space left on device" : strerror(errno));
    else
        r->bytes += (long long)len + 1;
    free(text);
    return rc;
}

long long kbj_rreport_bytes(const kbj_rreport *r)
{
    return r->bytes;
}

int kbj_rreport_sync(kbj_rreport *r, kbj_err *err)
{
    if (fdatasync(r->fd) != 0)
        return kbj_fail(err, KBJ_EIO, "cannot sync the report %s: %s", r->path, strerror(errno));
    return KBJ_OK;
}

void kbj_rreport_free(kbj_rreport *r)
{
    if (!r)
        return;
    close(r->fd);
    free(r->path);
    free(r);
}

json_t *kbj_rreport_head(const char *path, size_t n)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
    json_t *out = json_array();
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;

    if (!f || !out) {
        if (fd >= 0 && !f)
            close(fd);
        if (f)
            fclose(f);
        json_decref(out);
        return NULL;
    }
    while (json_array_size(out) < n && (len = getline(&line, &cap, f)) > 0) {
        json_t *j;
        if (len > LINE_MAX_BYTES || line[len - 1] != '\n') /* a torn last line is skipped */
            continue;
        if ((j = json_loadb(line, (size_t)len, 0, NULL)))
            json_array_append_new(out, j);
    }
    free(line);
    fclose(f);
    return out;
}
