/*
 * fsutil.c - safe paths, atomic writes, directory fsync, bounded reads, UTF-8 repair.
 */
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* Paths the engine builds stay well below the kernel's PATH_MAX (4096 on Linux). */
#define FS_PATH_CAP 4096
#define FS_SUFFIX_MAX 32

void (*kbj_fs_test_before_rename)(const char *tmp_path, const char *path) = NULL;

/* The system's reason for errno `e`. A full disk or quota gets a message an operator
 * cannot misread. glibc's strerror() returns static, shared strings for every errno it
 * knows, so this is safe to call from several threads. */
static const char *fs_reason(int e)
{
    switch (e) {
    case ENOSPC: return "no space left on device (ENOSPC)";
    case EDQUOT: return "disk quota exceeded, no space left for this user (EDQUOT)";
    default: return strerror(e);
    }
}

int kbj_fs_write_all(int fd, const void *buf, size_t len)
{
    const char *data = buf;
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0) { /* no progress and no error: treat as a full device */
            errno = ENOSPC;
            return -1;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int kbj_fs_mkdirs(const char *path, kbj_err *err)
{
    char buf[FS_PATH_CAP];
    size_t n;

    if (!path || !*path)
        return kbj_fail(err, KBJ_EINVAL, "directory path is empty");
    n = strlen(path);
    if (n >= sizeof buf)
        return kbj_fail(err, KBJ_EINVAL, "directory path is too long (%zu bytes)", n);
    memcpy(buf, path, n + 1);

    /* Create each prefix ending before a '/', then the whole path. */
    for (size_t i = 1; i <= n; i++) {
        if (i < n && buf[i] != '/')
            continue;
        if (i < n && buf[i - 1] == '/') /* "a//b": nothing new to create */
            continue;
        char saved = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0750) != 0) {
            int e = errno;
            if (e != EEXIST || !is_dir(buf)) {
                return kbj_fail(err, KBJ_EIO, "cannot create directory %s: %s", buf,
                                e == EEXIST ? "exists and is not a directory" : fs_reason(e));
            }
        }
        buf[i] = saved;
    }
    return KBJ_OK;
}

int kbj_fs_safe_name(const char *name)
{
    size_t n = 0;

    if (!name || name[0] == '.' || name[0] == '\0')
        return 0;
    for (const char *p = name; *p; p++, n++) {
        char c = *p;
        if (n >= KBJ_FS_NAME_MAX)
            return 0;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
              || c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static int safe_suffix(const char *s)
{
    size_t n = 0;
    for (; *s; s++, n++) {
        char c = *s;
        if (n >= FS_SUFFIX_MAX)
            return 0;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
              || c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

int kbj_fs_path(char *out, size_t cap, const char *data_dir, const char *sub,
                const char *name, const char *suffix, kbj_err *err)
{
    size_t dlen;
    int n;

    if (out && cap > 0)
        out[0] = '\0';
    if (!out || cap == 0)
        return kbj_fail(err, KBJ_EINVAL, "no room for the path");
    if (!data_dir || data_dir[0] != '/')
        return kbj_fail(err, KBJ_EINVAL, "data directory \"%.200s\" is not an absolute path",
                        data_dir ? data_dir : "(null)");
    if (!kbj_fs_safe_name(sub))
        return kbj_fail(err, KBJ_EINVAL, "\"%.200s\" is not a safe directory name",
                        sub ? sub : "(null)");
    if (!kbj_fs_safe_name(name))
        return kbj_fail(err, KBJ_EINVAL, "\"%.200s\" is not a safe name: use 1 to %d letters, "
                        "digits, '.', '_' or '-', not starting with '.'",
                        name ? name : "(null)", KBJ_FS_NAME_MAX);
    if (!suffix)
        suffix = "";
    if (!safe_suffix(suffix))
        return kbj_fail(err, KBJ_EINVAL, "\"%.40s\" is not a safe file name suffix", suffix);

    dlen = strlen(data_dir);
    while (dlen > 1 && data_dir[dlen - 1] == '/')
        dlen--;
    if (dlen == 1) /* the root directory itself */
        dlen = 0;
    if (dlen > (size_t)INT_MAX)
        return kbj_fail(err, KBJ_EINVAL, "data directory path is too long");
    n = snprintf(out, cap, "%.*s/%s/%s%s", (int)dlen, data_dir, sub, name, suffix);
    if (n < 0 || (size_t)n >= cap) {
        out[0] = '\0';
        return kbj_fail(err, KBJ_EINVAL, "path under %.200s is too long (limit %zu bytes)",
                        data_dir, cap - 1);
    }
    return KBJ_OK;
}

int kbj_fs_fsync_dir(const char *dir, kbj_err *err)
{
    int fd, rc;

    if (!dir || !*dir)
        return kbj_fail(err, KBJ_EINVAL, "directory path is empty");
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return kbj_fail(err, KBJ_EIO, "cannot open directory %s: %s", dir, fs_reason(errno));
    rc = fsync(fd);
    if (rc != 0 && errno != EINVAL) {
        int e = errno;
        close(fd);
        return kbj_fail(err, KBJ_EIO, "cannot sync directory %s: %s", dir, fs_reason(e));
    }
    close(fd);
    return KBJ_OK;
}

int kbj_fs_write_atomic(const char *path, const void *data, size_t len, int durable,
                        kbj_err *err)
{
    static atomic_uint counter;
    char dir[FS_PATH_CAP], tmp[FS_PATH_CAP];
    const char *slash, *base;
    size_t plen, dlen;
    int fd, n, e;

    if (!path || !*path)
        return kbj_fail(err, KBJ_EINVAL, "file path is empty");
    if (!data && len > 0)
        return kbj_fail(err, KBJ_EINVAL, "no data to write to %.200s", path);
    plen = strlen(path);
    if (plen >= sizeof dir)
        return kbj_fail(err, KBJ_EINVAL, "file path is too long (%zu bytes)", plen);
    if (path[plen - 1] == '/')
        return kbj_fail(err, KBJ_EINVAL, "file path %.200s names a directory", path);

    slash = strrchr(path, '/');
    if (slash) {
        dlen = slash == path ? 1 : (size_t)(slash - path);
        memcpy(dir, path, dlen);
        dir[dlen] = '\0';
        base = slash + 1;
    } else {
        dir[0] = '.';
        dir[1] = '\0';
        dlen = 0;
        base = path;
    }
    /* The base is cut to 200 bytes so the temporary name fits NAME_MAX (255). */
    n = snprintf(tmp, sizeof tmp, "%.*s%s.%.200s.tmp.%ld.%u", (int)dlen, path,
                 slash ? "/" : "", base, (long)getpid(), atomic_fetch_add(&counter, 1u));
    if (n < 0 || (size_t)n >= sizeof tmp)
        return kbj_fail(err, KBJ_EINVAL, "file path is too long (%zu bytes)", plen);

    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0)
        return kbj_fail(err, KBJ_EIO, "cannot create %s: %s", tmp, fs_reason(errno));
    if (kbj_fs_write_all(fd, data, len) != 0) {
        e = errno;
        close(fd);
        unlink(tmp);
        return kbj_fail(err, KBJ_EIO, "cannot write %s: %s", path, fs_reason(e));
    }
    if (durable && fsync(fd) != 0) {
        e = errno;
        close(fd);
        unlink(tmp);
        return kbj_fail(err, KBJ_EIO, "cannot sync %s: %s", path, fs_reason(e));
    }
    /* close() can report a deferred write error (NFS, quotas): it counts. */
    if (close(fd) != 0 && errno != EINTR) {
        e = errno;
        unlink(tmp);
        return kbj_fail(err, KBJ_EIO, "cannot write %s: %s", path, fs_reason(e));
    }
    if (kbj_fs_test_before_rename)
        kbj_fs_test_before_rename(tmp, path);
    if (rename(tmp, path) != 0) {
        e = errno;
        unlink(tmp);
        return kbj_fail(err, KBJ_EIO, "cannot rename %s to %s: %s", tmp, path, fs_reason(e));
    }
    if (durable) {
        kbj_err derr;
        if (kbj_fs_fsync_dir(dir, &derr) != KBJ_OK)
            return kbj_fail(err, KBJ_EIO, "%s was written but may not survive a crash: %s",
                            path, derr.msg);
    }
    return KBJ_OK;
}

int kbj_fs_read_file(const char *path, size_t max, char **out, size_t *len, kbj_err *err)
{
    struct stat st;
    char *buf = NULL;
    size_t cap, used = 0;
    int fd, e;

    if (out)
        *out = NULL;
    if (len)
        *len = 0;
    if (!path || !*path || !out)
        return kbj_fail(err, KBJ_EINVAL, "file path or output is missing");
    if (max == SIZE_MAX)
        return kbj_fail(err, KBJ_EINVAL, "read limit is too large");

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        e = errno;
        if (e == ENOENT)
            return kbj_fail(err, KBJ_ENOTFOUND, "%s does not exist", path);
        return kbj_fail(err, KBJ_EIO, "cannot open %s: %s", path, fs_reason(e));
    }
    if (fstat(fd, &st) != 0) {
        e = errno;
        close(fd);
        return kbj_fail(err, KBJ_EIO, "cannot stat %s: %s", path, fs_reason(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return kbj_fail(err, KBJ_EIO, "%s is not a regular file", path);
    }
    if (st.st_size < 0 || (unsigned long long)st.st_size > max) {
        close(fd);
        return kbj_fail(err, KBJ_EINVAL, "%s is too large (%lld bytes, limit %zu)", path,
                        (long long)st.st_size, max);
    }

    /* The size is a hint: the file may grow or shrink while it is read. */
    cap = (size_t)st.st_size + 1;
    buf = malloc(cap);
    if (!buf) {
        close(fd);
        return kbj_fail(err, KBJ_ENOMEM, "out of memory reading %s", path);
    }
    for (;;) {
        ssize_t n;
        if (used + 1 == cap) { /* full: stop at max, else grow */
            char probe;
            if (used == max) {
                n = read(fd, &probe, 1);
                if (n < 0 && errno == EINTR)
                    continue;
                if (n < 0) {
                    e = errno;
                    goto io_error;
                }
                if (n > 0) {
                    close(fd);
                    free(buf);
                    return kbj_fail(err, KBJ_EINVAL, "%s is too large (limit %zu bytes)",
                                    path, max);
                }
                break;
            }
            /* Grow to twice the room (at least 4 KiB more), never beyond max. */
            size_t room = cap - 1, want = room < 4096 ? 4096 : room;
            size_t ncap = (want > max - room ? max : room + want) + 1;
            char *nb = realloc(buf, ncap);
            if (!nb) {
                close(fd);
                free(buf);
                return kbj_fail(err, KBJ_ENOMEM, "out of memory reading %s", path);
            }
            buf = nb;
            cap = ncap;
        }
        n = read(fd, buf + used, cap - 1 - used);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            e = errno;
            goto io_error;
        }
        if (n == 0)
            break;
        used += (size_t)n;
    }
    close(fd);
    buf[used] = '\0';
    *out = buf;
    if (len)
        *len = used;
    return KBJ_OK;

io_error:
    close(fd);
    free(buf);
    return kbj_fail(err, KBJ_EIO, "cannot read %s: %s", path, fs_reason(e));
}

