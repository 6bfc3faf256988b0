/*
 * reconcile_walk.c - sorted, windowed directory reads (see reconcile_walk.h).
 */
#include "reconcile_walk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct kbj_sdir {
    DIR *dir;
    size_t window;
    char **names;        /* the current window: a max-heap while filling, then sorted; each
                          * entry is the name's d_type in one byte, then the name */
    size_t n, pos;
    char *last;          /* the last name handed out (or the starting point); NULL: none */
    int inclusive;       /* `last` itself still to come (only before the first window) */
    char *label;         /* the directory as messages name it */
    int exhausted;       /* the last pass found fewer names than a window */
    unsigned passes;
};

static void heap_down(char **h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && strcmp(h[l] + 1, h[m] + 1) > 0)
            m = l;
        if (r < n && strcmp(h[r] + 1, h[m] + 1) > 0)
            m = r;
        if (m == i)
            return;
        char *t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

static void heap_up(char **h, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (strcmp(h[p] + 1, h[i] + 1) >= 0)
            return;
        char *t = h[i];
        h[i] = h[p];
        h[p] = t;
        i = p;
    }
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a + 1, *(char *const *)b + 1);
}

static void drop_window(kbj_sdir *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->names[i]);
    d->n = d->pos = 0;
}

/* A window entry: the type byte, then the name. */
static char *entry(const char *name, unsigned char type)
{
    size_t len = strlen(name);
    char *e = malloc(len + 2);
    if (e) {
        e[0] = (char)type;
        memcpy(e + 1, name, len + 1);
    }
    return e;
}

/* One pass: the `window` smallest names after d->last (or from it, inclusive). */
static int fill(kbj_sdir *d, kbj_err *err)
{
    struct dirent *e;

    if (d->n) { /* the last name of the window just handed out starts the next */
        char *last = d->names[--d->n];
        free(d->last);
        d->last = strdup(last + 1);
        free(last);
        if (!d->last)
            return kbj_fail(err, KBJ_ENOMEM, "out of memory reading a directory");
    }
    drop_window(d);
    rewinddir(d->dir);
    d->passes++;
    errno = 0;
    while ((e = readdir(d->dir))) {
        const char *nm = e->d_name;
        int c;
        if (strcmp(nm, ".") == 0 || strcmp(nm, "..") == 0)
            continue;
        if (d->last && ((c = strcmp(nm, d->last)) < 0 || (c == 0 && !d->inclusive)))
            continue;
        if (d->n == d->window) {
            if (strcmp(nm, d->names[0] + 1) >= 0)
                continue;
            char *copy = entry(nm, e->d_type);
            if (!copy)
                return kbj_fail(err, KBJ_ENOMEM, "out of memory reading a directory");
            free(d->names[0]);
            d->names[0] = copy;
            heap_down(d->names, d->n, 0);
        } else {
            if (!(d->names[d->n] = entry(nm, e->d_type)))
                return kbj_fail(err, KBJ_ENOMEM, "out of memory reading a directory");
            heap_up(d->names, d->n++);
        }
        errno = 0;
    }
    if (errno)
        return kbj_fail(err, KBJ_EIO, "cannot read the directory %s: %s", d->label, strerror(errno));
    qsort(d->names, d->n, sizeof *d->names, cmp_names);
    d->exhausted = d->n < d->window;
    d->inclusive = 0;
    return KBJ_OK;
}

int kbj_sdir_open(int parent_fd, const char *name, const char *label, size_t window, const char *after,
                  int inclusive, kbj_sdir **out, kbj_err *err)
{
    kbj_sdir *d;
    int fd;

    *out = NULL;
    if (!label)
        label = name;
    fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        struct stat sb;
        if (e == ENOENT)
            return kbj_fail(err, KBJ_ENOTFOUND, "%s does not exist", label);
        /* O_DIRECTORY with O_NOFOLLOW says ENOTDIR or ELOOP for a link: look at it */
        if ((e == ELOOP || e == ENOTDIR) && fstatat(parent_fd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0)
            return kbj_fail(err, KBJ_EIO, "cannot open the directory %s: %s", label,
                            S_ISLNK(sb.st_mode) ? "it is a symbolic link" : "not a directory");
        return kbj_fail(err, KBJ_EIO, "cannot open the directory %s: %s", label, strerror(e));
    }
    d = calloc(1, sizeof *d);
    if (d)
        d->window = window ? window : KBJ_SDIR_WINDOW;
    if (!d || !(d->names = calloc(d->window, sizeof *d->names)) || (after && !(d->last = strdup(after))) ||
        !(d->label = strdup(label))) {
        close(fd);
        kbj_sdir_free(d);
        return kbj_fail(err, KBJ_ENOMEM, "out of memory");
    }
    d->inclusive = inclusive && after;
    if (!(d->dir = fdopendir(fd))) {
        int e = errno;
        close(fd);
        kbj_sdir_free(d);
        return kbj_fail(err, KBJ_EIO, "cannot read the directory %s: %s", label, strerror(e));
    }
    *out = d;
    return KBJ_OK;
}

int kbj_sdir_next(kbj_sdir *d, const char **name, kbj_err *err)
{
    int rc;
    if (d->pos == d->n) {
        if (d->exhausted)
            return 0;
        if ((rc = fill(d, err)))
            return rc;
        if (d->n == 0)
            return 0;
    }
    *name = d->names[d->pos++] + 1;
    return 1;
}

unsigned char kbj_sdir_type(const kbj_sdir *d)
{
    return d && d->pos > 0 ? (unsigned char)d->names[d->pos - 1][0] : DT_UNKNOWN;
}

int kbj_sdir_fd(const kbj_sdir *d)
{
    return dirfd(d->dir);
}

unsigned kbj_sdir_passes(const kbj_sdir *d)
{
    return d ? d->passes : 0;
}

void kbj_sdir_free(kbj_sdir *d)
{
    if (!d)
        return;
    if (d->names) {
        drop_window(d);
        free(d->names);
    }
    free(d->last);
    free(d->label);
    if (d->dir)
        closedir(d->dir);
    free(d);
}
