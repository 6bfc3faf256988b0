/*
 * quarantine.c - moving a file aside instead of deleting it: reconciliation's repair
 * of orphans. kbj_quarantine moves one file, named by its path relative to the data
 * directory, to quarantine/<Y-m-d>/<the same relative path>; the cleanup job removes
 * dated folders after quarantine_days (jobtypes/cleanup.c).
 *
 * The path is walked a component at a time from the data directory's descriptor with
 * O_NOFOLLOW | O_DIRECTORY, so a symlinked folder anywhere on the way is refused and
 * nothing outside the data directory is ever reached; the last component is lstat'ed
 * and moved as it is (a symlink is moved, never its target) with rename(2) inside the
 * data directory's file system. An existing name in quarantine is never replaced: the
 * file gets a numbered suffix (renameat2's RENAME_NOREPLACE makes that race-free).
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define QUARANTINE "quarantine"
#define MAX_DEPTH 16          /* folders in a relative path */
#define MAX_SUFFIX 1000       /* name, name.1 .. name.999 */

int kbj_quarantine_date_name(const char *name)
{
    static const char shape[] = "dddd-dd-dd";
    if (!name || strlen(name) != sizeof shape - 1)
        return 0;
    for (size_t i = 0; i < sizeof shape - 1; i++)
        if (shape[i] == 'd' ? (name[i] < '0' || name[i] > '9') : name[i] != shape[i])
            return 0;
    return 1;
}

/* Splits `rel` (copied into buf) into its components; 0, or -1 when it is not a plain
 * relative path: empty, absolute, an empty, "." or ".." component, too deep or long. */
static int split(const char *rel, char *buf, size_t cap, char **parts, size_t *n)
{
    size_t len = rel ? strlen(rel) : 0;
    char *p;
    *n = 0;
    if (len == 0 || len >= cap || rel[0] == '/')
        return -1;
    memcpy(buf, rel, len + 1);
    p = buf;
    for (;;) {
        char *slash = strchr(p, '/');
        if (slash)
            *slash = '\0';
        if (*p == '\0' || strcmp(p, ".") == 0 || strcmp(p, "..") == 0 || strlen(p) > 255 || *n >= MAX_DEPTH)
            return -1;
        parts[(*n)++] = p;
        if (!slash)
            return 0;
        p = slash + 1;
    }
}

/* Opens (with create, mkdir -p) the folder `name` inside `dir`, never through a symlink;
 * -1 with errno set on failure. */
static int open_dir_at(int dir, const char *name, int create)
{
    int fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && create) {
        if (mkdirat(dir, name, 0750) != 0 && errno != EEXIST)
            return -1;
        fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    return fd;
}

/* rename(2) of from_dir/from to to_dir/to, failing with EEXIST rather than replacing. */
static int move_noreplace(int from_dir, const char *from, int to_dir, const char *to)
{
#ifdef RENAME_NOREPLACE
    if (renameat2(from_dir, from, to_dir, to, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
#endif
    /* a file system without RENAME_NOREPLACE: check, then rename (a narrow race) */
    struct stat sb;
    if (fstatat(to_dir, to, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
        errno = EEXIST;
        return -1;
    }
    return renameat(from_dir, from, to_dir, to);
}

int kbj_quarantine(kbj_engine *eng, const char *rel, char *out, size_t cap)
{
    char buf[4096], date[16], name[300];
    char *parts[MAX_DEPTH];
    size_t n = 0;
    int root = -1, src = -1, dst = -1, rc = KBJ_OK;
    struct stat sb;
    struct tm tm;
    time_t now = (time_t)kbj_unix_time();

    if (out && cap)
        out[0] = '\0';
    if (!eng || !rel || !out || cap == 0)
        return KBJ_EINVAL;
    if (split(rel, buf, sizeof buf, parts, &n) != 0)
        return kbj_efail(eng, KBJ_EINVAL, "not a plain path relative to the data directory");
    if (strcmp(parts[0], QUARANTINE) == 0)
        return kbj_efail(eng, KBJ_EINVAL, "the file is in quarantine already");
    if (!gmtime_r(&now, &tm) || strftime(date, sizeof date, "%Y-%m-%d", &tm) == 0)
        return kbj_efail(eng, KBJ_EIO, "cannot tell today's date");
    root = open(eng->data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root < 0)
        return kbj_efail(eng, KBJ_EIO, "cannot open the data directory: %s", strerror(errno));

    /* the source's folder, component by component */
    src = dup(root);
    for (size_t i = 0; src >= 0 && i + 1 < n; i++) {
        int next = open_dir_at(src, parts[i], 0);
        close(src);
        src = next;
    }
    if (src < 0) {
        rc = errno == ENOENT ? kbj_efail(eng, KBJ_ENOTFOUND, "no such file")
                             : kbj_efail(eng, KBJ_EINVAL, "a folder on the path is not a plain folder (a symlink?)");
        goto out;
    }
    if (fstatat(src, parts[n - 1], &sb, AT_SYMLINK_NOFOLLOW) != 0) {
        rc = errno == ENOENT ? kbj_efail(eng, KBJ_ENOTFOUND, "no such file")
                             : kbj_efail(eng, KBJ_EIO, "cannot read the file: %s", strerror(errno));
        goto out;
    }
    if (S_ISDIR(sb.st_mode)) {
        rc = kbj_efail(eng, KBJ_EINVAL, "a folder is not moved to quarantine, only files");
        goto out;
    }

    /* quarantine/<date>/<folders of rel>/, made as needed, also never through a symlink */
    dst = open_dir_at(root, QUARANTINE, 1);
    if (dst >= 0) {
        int next = open_dir_at(dst, date, 1);
        close(dst);
        dst = next;
    }
    for (size_t i = 0; dst >= 0 && i + 1 < n; i++) {
        int next = open_dir_at(dst, parts[i], 1);
        close(dst);
        dst = next;
    }
    if (dst < 0) {
        rc = kbj_efail(eng, KBJ_EIO, "cannot make the quarantine folder: %s", strerror(errno));
        goto out;
    }

    for (int k = 0; k < MAX_SUFFIX; k++) {
        if (k == 0)
            snprintf(name, sizeof name, "%s", parts[n - 1]);
        else
            snprintf(name, sizeof name, "%s.%d", parts[n - 1], k);
        if (move_noreplace(src, parts[n - 1], dst, name) == 0)
            break;
        if (errno != EEXIST) {
            rc = kbj_efail(eng, errno == ENOENT ? KBJ_ENOTFOUND : KBJ_EIO, "cannot move the file: %s",
                           strerror(errno));
            goto out;
        }
        if (k + 1 == MAX_SUFFIX) {
            rc = kbj_efail(eng, KBJ_EIO, "too many files of that name in quarantine today");
            goto out;
        }
    }
    (void)fsync(dst);
    (void)fsync(src);
    {
        /* the new path: quarantine/<date>/<folders>/<name> */
        size_t used = (size_t)snprintf(out, cap, "%s/%s", QUARANTINE, date);
        for (size_t i = 0; used < cap && i + 1 < n; i++)
            used += (size_t)snprintf(out + used, cap - used, "/%s", parts[i]);
        if (used < cap)
            used += (size_t)snprintf(out + used, cap - used, "/%s", name);
        if (used >= cap)
            rc = kbj_efail(eng, KBJ_EINVAL, "the new path does not fit the buffer (moved all the same)");
    }
out:
    if (src >= 0)
        close(src);
    if (dst >= 0)
        close(dst);
    close(root);
    return rc;
}
