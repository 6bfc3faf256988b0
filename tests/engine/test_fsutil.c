/* Filesystem helpers: safe names and paths, atomic writes that never expose a half
 * file, bounded reads, UTF-8 repair. Every test works in its own mkdtemp directory. */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "utf8.h"

/* ---- fixtures -------------------------------------------------------------------- */

/* dir/name into a static buffer (one at a time). */
static const char *at(const char *dir, const char *name)
{
    static char buf[1024];
    snprintf(buf, sizeof buf, "%s/%s", dir, name);
    return buf;
}

/* The number of entries in dir, not counting "." and "..". */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

/* The number of temporary files kbj_fs_write_atomic() may leave (".*.tmp.*"). */
static int count_temps(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    if (!d)
        return 0;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] == '.' && strstr(e->d_name, ".tmp."))
            n++;
    closedir(d);
    return n;
}

/* Writes content with plain stdio, for setting up an "old" file. */
static void put_file(const char *path, const char *content)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(content, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

static void assert_file_is(const char *path, const char *want)
{
    char *got = NULL;
    size_t len = 0;
    kbj_err err = { "" };
    int rc = kbj_fs_read_file(path, 1 << 24, &got, &len, &err);
    if (rc != KBJ_OK)
        fail_msg("reading %s: %s", path, err.msg);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(got, want, len);
    free(got);
}

/* ---- mkdirs ---------------------------------------------------------------------- */

static void mkdirs_creates_nested_directories_and_accepts_existing_ones(void **state)
{
    const char *dir = *state;
    char path[1024];
    struct stat st;
    kbj_err err = { "" };

    snprintf(path, sizeof path, "%s/a/b//c/", dir);
    assert_int_equal(kbj_fs_mkdirs(path, &err), KBJ_OK);
    snprintf(path, sizeof path, "%s/a/b/c", dir);
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 0027, 0); /* 0750 at most */
    assert_int_equal(kbj_fs_mkdirs(path, &err), KBJ_OK);
    assert_int_equal(kbj_fs_mkdirs(dir, &err), KBJ_OK);
}

static void mkdirs_refuses_a_path_through_a_regular_file(void **state)
{
    const char *dir = *state;
    char path[1024];
    kbj_err err = { "" };

    put_file(at(dir, "file"), "x");
    snprintf(path, sizeof path, "%s/file/sub", dir);
    assert_int_equal(kbj_fs_mkdirs(path, &err), KBJ_EIO);
    assert_non_null(strstr(err.msg, "file"));
    assert_int_equal(kbj_fs_mkdirs(at(dir, "file"), &err), KBJ_EIO);
    assert_non_null(strstr(err.msg, "not a directory"));
    assert_int_equal(kbj_fs_mkdirs("", &err), KBJ_EINVAL);
    assert_int_equal(kbj_fs_mkdirs(NULL, NULL), KBJ_EINVAL);
}

/* ---- names and paths ------------------------------------------------------------- */

static void safe_name_accepts_plain_names(void **state)
{
    char longest[KBJ_FS_NAME_MAX + 1];
    (void)state;
    memset(longest, 'a', KBJ_FS_NAME_MAX);
    longest[KBJ_FS_NAME_MAX] = '\0';

    assert_true(kbj_fs_safe_name("job-1"));
    assert_true(kbj_fs_safe_name("a.b_C-9"));
    assert_true(kbj_fs_safe_name("0123456789abcdef"));
    assert_true(kbj_fs_safe_name("x..y"));
    assert_true(kbj_fs_safe_name(longest));
}

static void safe_name_refuses_names_that_could_escape_or_hide(void **state)
{
    char too_long[KBJ_FS_NAME_MAX + 2];
    (void)state;
    memset(too_long, 'a', KBJ_FS_NAME_MAX + 1);
    too_long[KBJ_FS_NAME_MAX + 1] = '\0';

    const char *bad[] = { "../x", "a/b", "/etc", ".hidden", ".", "..", "", "a b", "a\\b",
                          "caf\xc3\xa9", "a\nb", "a:b", too_long };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (kbj_fs_safe_name(bad[i]))
            fail_msg("\"%s\" was accepted", bad[i]);
    assert_false(kbj_fs_safe_name(NULL));
}

static void path_joins_data_dir_sub_name_and_suffix(void **state)
{
    char out[256];
    kbj_err err = { "" };
    (void)state;

    assert_int_equal(kbj_fs_path(out, sizeof out, "/srv/kb", "logs", "j1", ".log", &err), 0);
    assert_string_equal(out, "/srv/kb/logs/j1.log");
    assert_int_equal(kbj_fs_path(out, sizeof out, "/srv/kb//", "lists", "j1", NULL, &err), 0);
    assert_string_equal(out, "/srv/kb/lists/j1");
    assert_int_equal(kbj_fs_path(out, sizeof out, "/", "logs", "j1", "", &err), 0);
    assert_string_equal(out, "/logs/j1");
    /* Exactly fits: 19 characters and the NUL. */
    assert_int_equal(kbj_fs_path(out, 20, "/srv/kb", "logs", "j1", ".log", &err), 0);
}

static void path_refuses_unsafe_names_relative_dirs_and_overflow(void **state)
{
    char out[256], name129[130];
    kbj_err err = { "" };
    (void)state;
    memset(name129, 'n', 129);
    name129[129] = '\0';

    const char *bad_names[] = { "../x", "a/b", ".hidden", "", "..", name129, NULL };
    for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
        memcpy(out, "sentinel", 9);
        assert_int_equal(kbj_fs_path(out, sizeof out, "/srv/kb", "logs", bad_names[i],
                                     ".log", &err), KBJ_EINVAL);
        assert_string_equal(out, "");
    }
    assert_int_equal(kbj_fs_path(out, sizeof out, "/srv/kb", "../etc", "j1", "", &err), KBJ_EINVAL);
    assert_int_equal(kbj_fs_path(out, sizeof out, "/srv/kb", "a/b", "j1", "", &err), KBJ_EINVAL);
    assert_int_equal(kbj_fs_path(out, sizeof out, "/srv/kb", NULL, "j1", "", &err), KBJ_EINVAL);
    assert_int_equal(kbj_fs_path(out, sizeof out, "/srv/kb", "logs", "j1", "/x", &err), KBJ_EINVAL);
    assert_int_equal(kbj_fs_path(out, sizeof out, "srv/kb", "logs", "j1", "", &err), KBJ_EINVAL);
    assert_non_null(strstr(err.msg, "absolute"));
    assert_int_equal(kbj_fs_path(out, sizeof out, "./kb", "logs", "j1", "", &err), KBJ_EINVAL);
    assert_int_equal(kbj_fs_path(out, sizeof out, "", "logs", "j1", "", &err), KBJ_EINVAL);
    assert_int_equal(kbj_fs_path(out, sizeof out, NULL, "logs", "j1", "", &err), KBJ_EINVAL);
    /* One byte short. */
    assert_int_equal(kbj_fs_path(out, 19, "/srv/kb", "logs", "j1", ".log", &err), KBJ_EINVAL);
    assert_string_equal(out, "");
    assert_non_null(strstr(err.msg, "too long"));
}

/* ---- atomic writes --------------------------------------------------------------- */

static void write_atomic_replaces_content_and_leaves_no_temp_files(void **state)
{
    const char *dir = *state;
    char path[1024];
    kbj_err err = { "" };

    snprintf(path, sizeof path, "%s/doc.json", dir);
    assert_int_equal(kbj_fs_write_atomic(path, "{\"v\":1}", 7, 1, &err), KBJ_OK);
    assert_file_is(path, "{\"v\":1}");
    assert_int_equal(kbj_fs_write_atomic(path, "{\"v\":2,\"more\":true}", 19, 0, &err), KBJ_OK);
    assert_file_is(path, "{\"v\":2,\"more\":true}");
    assert_int_equal(kbj_fs_write_atomic(path, "", 0, 1, &err), KBJ_OK);
    assert_file_is(path, "");
    assert_int_equal(count_entries(dir), 1);
}

static void write_atomic_into_a_missing_directory_fails_and_creates_nothing(void **state)
{
    const char *dir = *state;
    char path[1024];
    kbj_err err = { "" };

    snprintf(path, sizeof path, "%s/missing/doc.json", dir);
    assert_int_equal(kbj_fs_write_atomic(path, "x", 1, 1, &err), KBJ_EIO);
    assert_non_null(strstr(err.msg, "No such file or directory"));
    assert_int_equal(count_entries(dir), 0);
}

static void write_atomic_refuses_bad_arguments(void **state)
{
    const char *dir = *state;
    kbj_err err = { "" };

    assert_int_equal(kbj_fs_write_atomic(NULL, "x", 1, 0, &err), KBJ_EINVAL);
    assert_int_equal(kbj_fs_write_atomic("", "x", 1, 0, &err), KBJ_EINVAL);
    assert_int_equal(kbj_fs_write_atomic(at(dir, "d/"), "x", 1, 0, &err), KBJ_EINVAL);
    assert_int_equal(kbj_fs_write_atomic(at(dir, "f"), NULL, 1, 0, &err), KBJ_EINVAL);
    assert_int_equal(count_entries(dir), 0);
}

static void write_atomic_whose_rename_fails_removes_its_temp_file(void **state)
{
    const char *dir = *state;
    char path[1024];
    kbj_err err = { "" };

    /* The target is a non-empty directory: the data is written, the rename refused. */
    snprintf(path, sizeof path, "%s/target", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    put_file(at(path, "keep"), "kept");
    assert_int_equal(kbj_fs_write_atomic(path, "new", 3, 1, &err), KBJ_EIO);
    assert_non_null(strstr(err.msg, "rename"));
    assert_file_is(at(path, "keep"), "kept");
    assert_int_equal(count_entries(dir), 1);
    assert_int_equal(count_temps(dir), 0);
}

/* A write the system cuts short (the file size limit here) keeps the old file. */
static void write_atomic_failing_mid_write_keeps_the_old_file(void **state)
{
    const char *dir = *state;
    char path[1024];
    pid_t pid;
    int status;

    snprintf(path, sizeof path, "%s/doc.json", dir);
    put_file(path, "old content");
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rlimit rl = { 4096, 4096 };
        static char big[64 * 1024];
        kbj_err err = { "" };
        signal(SIGXFSZ, SIG_IGN);
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
            _exit(2);
        memset(big, 'n', sizeof big);
        if (kbj_fs_write_atomic(path, big, sizeof big, 1, &err) != KBJ_EIO)
            _exit(3);
        if (!strstr(err.msg, "File too large"))
            _exit(4);
        _exit(0);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_file_is(path, "old content");
    assert_int_equal(count_temps(dir), 0);
    assert_int_equal(count_entries(dir), 1);
}

/* In a child with its own mount namespace (root, or an unprivileged user namespace),
 * mounts a 64 KiB tmpfs on dir. Returns 0, or -1 when the system does not allow it. */
static int mount_small_tmpfs(const char *dir)
{
    if (unshare(CLONE_NEWNS) != 0) {
        char map[64];
        unsigned uid = (unsigned)getuid(), gid = (unsigned)getgid();
        int fd;
        if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0)
            return -1;
        fd = open("/proc/self/setgroups", O_WRONLY);
        if (fd >= 0) {
            if (write(fd, "deny", 4) != 4) { /* best effort */ }
            close(fd);
        }
        snprintf(map, sizeof map, "0 %u 1", uid);
        fd = open("/proc/self/uid_map", O_WRONLY);
        if (fd < 0 || write(fd, map, strlen(map)) < 0)
            return -1;
        close(fd);
        snprintf(map, sizeof map, "0 %u 1", gid);
        fd = open("/proc/self/gid_map", O_WRONLY);
        if (fd < 0 || write(fd, map, strlen(map)) < 0)
            return -1;
        close(fd);
    }
    if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0) /* type ignored */
        return -1;
    return mount("kbj-test", dir, "tmpfs", 0, "size=64k,mode=0700");
}

static void write_atomic_on_a_full_disk_says_no_space_left(void **state)
{
    const char *dir = *state;
    char mnt[1024];
    pid_t pid;
    int status;

    snprintf(mnt, sizeof mnt, "%s/small", dir);
    assert_int_equal(mkdir(mnt, 0700), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char path[1100];
        static char big[1024 * 1024];
        kbj_err err = { "" };
        char *got = NULL;
        size_t len = 0;
        if (mount_small_tmpfs(mnt) != 0)
            _exit(77);
        snprintf(path, sizeof path, "%s/doc.json", mnt);
        if (kbj_fs_write_atomic(path, "old", 3, 1, &err) != KBJ_OK)
            _exit(2);
        memset(big, 'n', sizeof big);
        if (kbj_fs_write_atomic(path, big, sizeof big, 1, &err) != KBJ_EIO)
            _exit(3);
        if (!strstr(err.msg, "no space left on device"))
            _exit(4);
        if (kbj_fs_read_file(path, 100, &got, &len, &err) != KBJ_OK || len != 3
            || memcmp(got, "old", 3) != 0)
            _exit(5);
        free(got);
        if (count_temps(mnt) != 0)
            _exit(6);
        _exit(0);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77)
        skip(); /* no mount namespace here: nothing to fill */
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void kill_self(const char *tmp_path, const char *path)
{
    (void)tmp_path;
    (void)path;
    raise(SIGKILL);
}

static void write_atomic_killed_before_rename_leaves_the_old_file(void **state)
{
    const char *dir = *state;
    char path[1024], other[1024];
    pid_t pid;
    int status;

    snprintf(path, sizeof path, "%s/checkpoint.json", dir);
    snprintf(other, sizeof other, "%s/fresh.json", dir);
    put_file(path, "{\"done\":10}");
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        kbj_fs_test_before_rename = kill_self;
        kbj_fs_write_atomic(path, "{\"done\":20}", 11, 1, NULL);
        _exit(1); /* not reached */
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGKILL);
    assert_file_is(path, "{\"done\":10}");
    /* The stray temporary is hidden and holds the whole new content. */
    assert_int_equal(count_temps(dir), 1);
    {
        DIR *d = opendir(dir);
        struct dirent *e;
        assert_non_null(d);
        while ((e = readdir(d)) != NULL)
            if (strstr(e->d_name, ".tmp."))
                assert_file_is(at(dir, e->d_name), "{\"done\":20}");
        closedir(d);
    }

    /* A first write killed the same way leaves no file under the real name at all. */
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        kbj_fs_test_before_rename = kill_self;
        kbj_fs_write_atomic(other, "{}", 2, 0, NULL);
        _exit(1);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(access(other, F_OK), -1);
    assert_int_equal(errno, ENOENT);
}

/* A writer killed at arbitrary moments: the file is always one whole version. */
static void write_atomic_killed_at_random_moments_never_exposes_a_half_file(void **state)
{
    enum { SIZE = 256 * 1024 };
    const char *dir = *state;
    char path[1024];
    char *got = NULL;
    size_t len = 0;
    kbj_err err = { "" };

    snprintf(path, sizeof path, "%s/artifact.json", dir);
    {
        char *first = malloc(SIZE);
        assert_non_null(first);
        memset(first, 'a', SIZE);
        assert_int_equal(kbj_fs_write_atomic(path, first, SIZE, 0, &err), KBJ_OK);
        free(first);
    }
    srand((unsigned)time(NULL));
    for (int round = 0; round < 8; round++) {
        pid_t pid = fork();
        int status;
        assert_true(pid >= 0);
        if (pid == 0) {
            static char buf[SIZE];
            for (unsigned v = 0;; v++) {
                memset(buf, 'a' + (int)(v % 26), SIZE);
                if (kbj_fs_write_atomic(path, buf, SIZE, (v & 1) != 0, NULL) != KBJ_OK)
                    _exit(2);
            }
        }
        usleep((useconds_t)(2000 + rand() % 20000));
        assert_int_equal(kill(pid, SIGKILL), 0);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status));

        assert_int_equal(kbj_fs_read_file(path, SIZE, &got, &len, &err), KBJ_OK);
        assert_int_equal(len, SIZE);
        for (size_t i = 1; i < len; i++)
            if (got[i] != got[0])
                fail_msg("round %d: byte %zu is '%c', byte 0 is '%c'", round, i, got[i], got[0]);
        free(got);
        got = NULL;
    }
}

/* ---- reads ----------------------------------------------------------------------- */

static void read_file_returns_the_whole_file_nul_terminated(void **state)
{
    const char *dir = *state;
    char *got = NULL;
    size_t len = 99;
    kbj_err err = { "" };

    put_file(at(dir, "a.txt"), "hello\nworld");
    assert_int_equal(kbj_fs_read_file(at(dir, "a.txt"), 11, &got, &len, &err), KBJ_OK);
    assert_int_equal(len, 11);
    assert_string_equal(got, "hello\nworld");
    free(got);

    put_file(at(dir, "empty"), "");
    assert_int_equal(kbj_fs_read_file(at(dir, "empty"), 0, &got, NULL, &err), KBJ_OK);
    assert_string_equal(got, "");
    free(got);
}

static void read_file_refuses_missing_oversized_and_non_regular_files(void **state)
{
    const char *dir = *state;
    char *got = (char *)"sentinel";
    size_t len = 99;
    kbj_err err = { "" };

    assert_int_equal(kbj_fs_read_file(at(dir, "none"), 100, &got, &len, &err), KBJ_ENOTFOUND);
    assert_null(got);
    assert_int_equal(len, 0);

    put_file(at(dir, "big"), "0123456789");
    assert_int_equal(kbj_fs_read_file(at(dir, "big"), 9, &got, &len, &err), KBJ_EINVAL);
    assert_non_null(strstr(err.msg, "too large"));
    assert_null(got);

    assert_int_equal(kbj_fs_read_file(dir, 100, &got, &len, &err), KBJ_EIO);
    assert_null(got);
    assert_int_equal(kbj_fs_read_file(NULL, 100, &got, &len, &err), KBJ_EINVAL);
}

static void read_file_does_not_trust_the_reported_size(void **state)
{
    char *got = NULL;
    size_t len = 0;
    kbj_err err = { "" };
    (void)state;

    /* /proc files report size 0 and still have content. */
    assert_int_equal(kbj_fs_read_file("/proc/self/status", 1 << 20, &got, &len, &err), KBJ_OK);
    assert_true(len > 0);
    assert_int_equal(strlen(got), len);
    assert_non_null(strstr(got, "Name:"));
    free(got);
    assert_int_equal(kbj_fs_read_file("/proc/self/status", 4, &got, &len, &err), KBJ_EINVAL);
    assert_non_null(strstr(err.msg, "too large"));
    assert_null(got);
}

/* ---- UTF-8 ----------------------------------------------------------------------- */

#define FFFD "\xef\xbf\xbd"

static void check_sanitize(const char *in, size_t len, const char *want, size_t wantlen)
{
    char *out = NULL;
    size_t outlen = 0;
    assert_int_equal(kbj_utf8_sanitize(in, len, &out, &outlen), KBJ_OK);
    assert_non_null(out);
    if (outlen != wantlen || memcmp(out, want, wantlen) != 0)
        fail_msg("sanitizing %zu bytes gave %zu bytes, want %zu", len, outlen, wantlen);
    assert_int_equal(out[outlen], '\0');
    free(out);
}

#define SANITIZE(in, want) check_sanitize(in, sizeof(in) - 1, want, sizeof(want) - 1)

static void utf8_sanitize_keeps_valid_text_unchanged(void **state)
{
    (void)state;
    SANITIZE("plain ascii", "plain ascii");
#define MULTI "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"
#define EDGES "\xed\x9f\xbf \xee\x80\x80 \xf4\x8f\xbf\xbf" /* U+D7FF U+E000 U+10FFFF */
    SANITIZE(MULTI, MULTI);
    SANITIZE(EDGES, EDGES);
    SANITIZE("nul\0inside", "nul\0inside");
    check_sanitize(NULL, 0, "", 0);
}

static void utf8_sanitize_replaces_each_ill_formed_sequence(void **state)
{
    (void)state;
    SANITIZE("a\x80z", "a" FFFD "z");               /* stray continuation */
    SANITIZE("a\xffz", "a" FFFD "z");               /* never valid */
    SANITIZE("\xc0\xaf", FFFD FFFD);                /* overlong '/' */
    SANITIZE("\xe0\x80\xaf", FFFD FFFD FFFD);       /* overlong, 3 bytes */
    SANITIZE("\xf0\x80\x80\xaf", FFFD FFFD FFFD FFFD);
    SANITIZE("\xed\xa0\x80", FFFD FFFD FFFD);       /* surrogate U+D800 */
    SANITIZE("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD); /* U+110000 */
    SANITIZE("\xf5\x80", FFFD FFFD);
    SANITIZE("end\xe2\x82", "end" FFFD);            /* truncated at the end */
    SANITIZE("\xe2\x82z", FFFD "z");                /* truncated in the middle */
    SANITIZE("\xf0\x9f\x98z\xc3", FFFD "z" FFFD);
    SANITIZE("\xc3\xc3\xa9", FFFD "\xc3\xa9");      /* a lead cut short by another */
}

static void utf8_sanitize_refuses_missing_arguments(void **state)
{
    char *out = (char *)"sentinel";
    (void)state;
    assert_int_equal(kbj_utf8_sanitize("x", 1, NULL, NULL), KBJ_EINVAL);
    assert_int_equal(kbj_utf8_sanitize(NULL, 1, &out, NULL), KBJ_EINVAL);
    assert_null(out);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, kbj_test_tmpdir_setup, kbj_test_tmpdir_teardown)
    const struct CMUnitTest tests[] = {
        T(mkdirs_creates_nested_directories_and_accepts_existing_ones),
        T(mkdirs_refuses_a_path_through_a_regular_file),
        cmocka_unit_test(safe_name_accepts_plain_names),
        cmocka_unit_test(safe_name_refuses_names_that_could_escape_or_hide),
        cmocka_unit_test(path_joins_data_dir_sub_name_and_suffix),
        cmocka_unit_test(path_refuses_unsafe_names_relative_dirs_and_overflow),
        T(write_atomic_replaces_content_and_leaves_no_temp_files),
        T(write_atomic_into_a_missing_directory_fails_and_creates_nothing),
        T(write_atomic_refuses_bad_arguments),
        T(write_atomic_whose_rename_fails_removes_its_temp_file),
        T(write_atomic_failing_mid_write_keeps_the_old_file),
        T(write_atomic_on_a_full_disk_says_no_space_left),
        T(write_atomic_killed_before_rename_leaves_the_old_file),
        T(write_atomic_killed_at_random_moments_never_exposes_a_half_file),
        T(read_file_returns_the_whole_file_nul_terminated),
        T(read_file_refuses_missing_oversized_and_non_regular_files),
        cmocka_unit_test(read_file_does_not_trust_the_reported_size),
        cmocka_unit_test(utf8_sanitize_keeps_valid_text_unchanged),
        cmocka_unit_test(utf8_sanitize_replaces_each_ill_formed_sequence),
        cmocka_unit_test(utf8_sanitize_refuses_missing_arguments),
    };
#undef T
    return cmocka_run_group_tests_name("fsutil", tests, NULL, NULL);
}
