/* Reconciliation, phase 1 (kbj_reconcile and the "reconcile" job type) against the real
 * MariaDB and a real data directory seeded with one of each finding: ghosts, orphans,
 * drift (empty, truncated, hash changed, text changed), hostile names, symbolic links
 * pointing out of the data directory, files within the grace time, a queued job's files
 * and a list a rerun still names; quarantine/ ignored. A run stopped after K items and
 * resumed (its report carrying lines written after the checkpoint, as a kill leaves it)
 * writes the same report as an uninterrupted one; the walk's memory does not grow with
 * the number of files. Age comes from backdated file times, never from waiting. */
#include "testutil.h"
#include "fsutil.h"
#include "kbj_import.h"
#include "reconcile_walk.h"
#include "sha256.h"

#include <fcntl.h>
#include <jansson.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef __SANITIZE_ADDRESS__ /* AddressSanitizer keeps its own heap: ask it */
size_t __sanitizer_get_current_allocated_bytes(void); /* libasan's; no header here */
static long long heap_in_use(void)
{
    return (long long)__sanitizer_get_current_allocated_bytes();
}
#else
static long long heap_in_use(void)
{
    return (long long)mallinfo2().uordblks;
}
#endif

#define OLD (-3600) /* an hour ago: past the default grace of 600 s */

static int setup(void **state)
{
    *state = kbj_test_engine("kbt_recon_", 0);
    return 0;
}

static void mkdirs(const char *path)
{
    char p[1200];
    snprintf(p, sizeof p, "%s", path);
    for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        mkdir(p, 0700);
        *s = '/';
    }
    mkdir(p, 0700);
}

/* Writes `len` bytes to data_dir/rel, its mtime `age` seconds from now (0: now). */
static void put(kbj_engine *eng, const char *rel, const char *data, size_t len, int age)
{
    char path[1200], dir[1200];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", eng->data_dir, rel);
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = '\0';
    mkdirs(dir);
    assert_non_null(f = fopen(path, "w"));
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
    if (age) {
        struct timeval tv[2];
        gettimeofday(&tv[0], NULL);
        tv[0].tv_sec += age;
        tv[1] = tv[0];
        assert_int_equal(utimes(path, tv), 0);
    }
}

static void hash_of(const char *s, char out[65])
{
    assert_int_equal(kbj_sha256_hex(s, strlen(s), out), 0);
}

/* An artifact document for URL http://example.test/<n> as the import writes it; its url
 * hash to h and content hash to ch. */
static char *artifact(int n, const char *text, char h[65], char ch[65])
{
    char url[64], body[256];
    json_t *o;
    char *out;
    snprintf(url, sizeof url, "http://example.test/%d", n);
    hash_of(url, h);
    snprintf(body, sizeof body, "Title %d\n%s", n, text);
    hash_of(body, ch);
    snprintf(body, sizeof body, "Title %d", n);
    o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "format", "kbjobs-artifact/1", "url", url, "url_hash", h, "title",
                  body, "text", text, "content_hash", ch);
    out = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return out;
}

static void row(kbj_engine *eng, int n, const char *h, const char *ch)
{
    char sql[600];
    snprintf(sql, sizeof sql,
             "INSERT INTO {p}kbjobs_artifacts (url_hash, url, path, content_hash, fetched_at, updated_at)"
             " VALUES ('%s', 'http://example.test/%d', 'artifacts/%.2s/%s.json', '%s', NOW(6), NOW(6))",
             h, n, h, h, ch);
    kbj_test_exec(eng, sql);
}

/* Artifact n: its file (unless !file) and its row (unless !rec); `text` changed in the
 * file only when `edit`. Returns the url hash (static, rotated). */
static const char *seed(kbj_engine *eng, int n, int file, int rec, int age)
{
    static char hs[8][65];
    static int next;
    char *h = hs[next++ % 8], ch[65], rel[128];
    char *doc = artifact(n, "some text", h, ch);
    snprintf(rel, sizeof rel, "artifacts/%.2s/%s.json", h, h);
    if (file)
        put(eng, rel, doc, strlen(doc), age);
    if (rec)
        row(eng, n, h, ch);
    free(doc);
    return h;
}

static char *slurp(const char *path)
{
    char *buf = NULL;
    size_t len;
    kbj_err err;
    if (kbj_fs_read_file(path, 1 << 24, &buf, &len, &err) != KBJ_OK)
        fail_msg("read %s: %s", path, err.msg);
    return buf;
}

typedef struct hooks {
    unsigned long long stop_after, seen;
    char *state;
    int saves;
    long long peak_heap, base_heap;
} hooks;

static int stop_hook(void *arg)
{
    hooks *h = arg;
    long long used = heap_in_use() - h->base_heap;
    if (used > h->peak_heap)
        h->peak_heap = used;
    return h->stop_after && ++h->seen >= h->stop_after;
}

static int save_hook(void *arg, const char *state)
{
    hooks *h = arg;
    free(h->state);
    h->state = strdup(state);
    h->saves++;
    return 0;
}

static char *run(kbj_engine *eng, kbj_reconcile_opts o, const char *report, const char *resume, int expect)
{
    char *result = NULL;
    int rc = kbj_reconcile(eng, &o, report, resume, &result);
    if (rc != expect)
        fail_msg("reconcile: %d, %s", rc, kbj_errmsg(eng));
    return result;
}

static long long count_of(const char *result, const char *kind)
{
    json_t *r = json_loads(result, 0, NULL);
    long long n = json_integer_value(json_object_get(json_object_get(r, "counts"), kind));
    json_decref(r);
    return n;
}

static int has_line(const char *report, const char *kind, const char *reason, const char *path)
{
    char want[1400];
    snprintf(want, sizeof want, "{\"kind\":\"%s\",\"reason\":\"%s\",\"path\":\"%s\"", kind, reason, path);
    return strstr(report, want) != NULL;
}

/* The seeded tree; `hA` gets the drifted artifact with a changed text. */
static void seed_tree(kbj_engine *eng)
{
    char rel[300], h[65], ch[65], *doc;
    const char *x;
    char sql[400], ids[4][KBJ_ID_LEN + 1];

    for (int i = 0; i < 6; i++) /* good pairs */
        seed(eng, i, 1, 1, OLD);
    seed(eng, 10, 0, 1, OLD);             /* ghosts */
    seed(eng, 11, 0, 1, OLD);
    seed(eng, 20, 1, 0, OLD);             /* an orphan artifact */
    seed(eng, 21, 1, 0, 0);               /* one being written: within the grace time */
    x = seed(eng, 30, 0, 1, OLD);         /* drift: empty */
    snprintf(rel, sizeof rel, "artifacts/%.2s/%s.json", x, x);
    put(eng, rel, "", 0, OLD);
    doc = artifact(31, "some text", h, ch); /* drift: truncated */
    row(eng, 31, h, ch);
    snprintf(rel, sizeof rel, "artifacts/%.2s/%s.json", h, h);
    put(eng, rel, doc, strlen(doc) / 2, OLD);
    free(doc);
    doc = artifact(32, "some text", h, ch); /* drift: the row has another content hash */
    row(eng, 32, h, "0000000000000000000000000000000000000000000000000000000000000000");
    snprintf(rel, sizeof rel, "artifacts/%.2s/%s.json", h, h);
    put(eng, rel, doc, strlen(doc), OLD);
    free(doc);
    doc = artifact(33, "some text", h, ch); /* drift: its text changed, its hashes not */
    row(eng, 33, h, ch);
    *strstr(doc, "some text") = 'S';
    snprintf(rel, sizeof rel, "artifacts/%.2s/%s.json", h, h);
    put(eng, rel, doc, strlen(doc), OLD);
    free(doc);

    /* strays, temporary files, hostile names, links out of the data directory */
    put(eng, "artifacts/ab/notes.txt", "x", 1, OLD);                 /* orphan: unexpected_name */
    put(eng, "artifacts/ab/.0123.json.tmp.42.7", "x", 1, OLD);      /* orphan: stale_temp */
    put(eng, "artifacts/ab/.4567.json.tmp.42.8", "x", 1, 0);        /* being written */
    put(eng, "artifacts/ab/bad name.json", "x", 1, OLD);            /* unsafe: hostile_name */
    put(eng, "logs/evil\nname.log", "x", 1, OLD);                   /* unsafe: hostile_name */
    put(eng, "lists/a..b", "x", 1, OLD);                            /* unsafe: hostile_name */
    snprintf(rel, sizeof rel, "%s/artifacts/zz", eng->data_dir);    /* unsafe: symlink (a bucket name) */
    assert_int_equal(symlink("/etc", rel), 0);
    snprintf(rel, sizeof rel, "%s/logs/0000000000000000.log", eng->data_dir); /* unsafe: symlink */
    assert_int_equal(symlink("/etc/passwd", rel), 0);
    put(eng, "quarantine/2026-01-01/junk", "x", 1, OLD);             /* never walked */

    /* job files: a queued job's and a finished job's are theirs; a deleted job's are
     * orphans unless recent or (for a list) named by a rerun */
    kbj_copy(ids[0], sizeof ids[0], kbj_test_submit(eng, "diag.echo", "{}", "c1"));
    kbj_copy(ids[1], sizeof ids[1], kbj_test_submit(eng, "diag.echo", "{}", "c1"));
    kbj_test_exec(eng, "UPDATE {p}kbjobs_jobs SET status = 'completed', finished_at = NOW(6) WHERE queue = 'c1'"
                       " ORDER BY id DESC LIMIT 1");
    snprintf(sql, sizeof sql, "UPDATE {p}kbjobs_jobs SET type = 'import', params = '{\"list\": \"%s\"}'"
             " WHERE public_id = '%s'", "1111111111111111", ids[0]);
    kbj_test_exec(eng, sql);
    for (int i = 0; i < 2; i++) {
        snprintf(rel, sizeof rel, "logs/%s.log", ids[i]);
        put(eng, rel, "{}\n", 3, OLD);
        snprintf(rel, sizeof rel, "checkpoints/%s.checkpoint.json", ids[i]);
        put(eng, rel, "{}", 2, OLD);
    }
    put(eng, "lists/1111111111111111.urls", "u\n", 2, OLD);       /* a rerun names it */
    put(eng, "lists/1111111111111111.idx", "i", 1, OLD);
    put(eng, "lists/2222222222222222.urls", "u\n", 2, OLD);       /* orphan: no_job */
    put(eng, "logs/3333333333333333.log", "{}\n", 3, OLD);        /* orphan: no_job */
    put(eng, "logs/4444444444444444.log", "{}\n", 3, 0);          /* recent: not yet */
    put(eng, "checkpoints/5555555555555555.partial.json", "{}", 2, OLD); /* orphan: no_job */
    put(eng, "checkpoints/README", "x", 1, OLD);                  /* orphan: unexpected_name */
}

static void each_kind_of_finding_is_reported_with_escaped_names(void **state)
{
    kbj_engine *eng = *state;
    char report[1200], want[300], *text, *result;
    const char *h;

    seed_tree(eng);
    snprintf(report, sizeof report, "%s/report.jsonl", eng->data_dir);
    result = run(eng, (kbj_reconcile_opts){ .batch = 3 }, report, NULL, KBJ_OK);
    text = slurp(report);
    assert_int_equal(count_of(result, "ghost"), 2);
    assert_int_equal(count_of(result, "drift"), 4);
    /* artifact 20, notes.txt, the stale temp; 2222.urls, 3333.log, 5555.partial, README */
    assert_int_equal(count_of(result, "orphan"), 7);
    /* bad name, evil\nname, a..b, the zz and 0000.log links */
    assert_int_equal(count_of(result, "unsafe"), 5);

    h = seed(eng, 10, 0, 0, 0);
    snprintf(want, sizeof want, "artifacts/%.2s/%s.json", h, h);
    assert_true(has_line(text, "ghost", "missing", want));
    h = seed(eng, 20, 0, 0, 0);
    snprintf(want, sizeof want, "artifacts/%.2s/%s.json", h, h);
    assert_true(has_line(text, "orphan", "no_record", want));
    h = seed(eng, 21, 0, 0, 0);
    snprintf(want, sizeof want, "%s.json", h);
    assert_null(strstr(text, want)); /* within the grace time */
    assert_true(has_line(text, "orphan", "unexpected_name", "artifacts/ab/notes.txt"));
    assert_true(has_line(text, "orphan", "stale_temp", "artifacts/ab/.0123.json.tmp.42.7"));
    assert_null(strstr(text, ".4567.json.tmp"));
    assert_true(has_line(text, "unsafe", "hostile_name", "artifacts/ab/bad\\\\x20name.json"));
    assert_true(has_line(text, "unsafe", "hostile_name", "logs/evil\\\\x0aname.log"));
    assert_true(has_line(text, "unsafe", "hostile_name", "lists/a..b"));
    assert_true(has_line(text, "unsafe", "symlink", "artifacts/zz"));
    assert_non_null(strstr(text, "\"target\":\"/etc\""));
    assert_true(has_line(text, "unsafe", "symlink", "logs/0000000000000000.log"));
    assert_true(has_line(text, "orphan", "no_job", "lists/2222222222222222.urls"));
    assert_true(has_line(text, "orphan", "no_job", "logs/3333333333333333.log"));
    assert_true(has_line(text, "orphan", "no_job", "checkpoints/5555555555555555.partial.json"));
    assert_true(has_line(text, "orphan", "unexpected_name", "checkpoints/README"));
    assert_null(strstr(text, "1111111111111111"));
    assert_null(strstr(text, "4444444444444444"));
    assert_null(strstr(text, "quarantine"));
    /* the link was reported with its target, never read through */
    assert_non_null(strstr(text, "\"target\":\"/etc/passwd\""));
    assert_null(strstr(text, "root:"));
    assert_non_null(strstr(text, "\"reason\":\"empty\""));
    assert_non_null(strstr(text, "\"reason\":\"invalid_json\""));
    assert_non_null(strstr(text, "\"reason\":\"hash_mismatch\""));
    assert_non_null(strstr(text, "\"reason\":\"content_changed\""));
    /* the result keeps the first findings, in report order */
    {
        json_t *r = json_loads(result, 0, NULL);
        json_t *first = json_object_get(r, "first");
        char *line1 = strndup(text, strcspn(text, "\n"));
        json_t *l1 = json_loads(line1, 0, NULL);
        assert_int_equal(json_array_size(first), 18);
        assert_true(json_equal(json_array_get(first, 0), l1));
        assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "scanned"), "index_rows")), 12);
        /* one finding a line, each line JSON (a newline in a name is escaped) */
        size_t lines = 0;
        for (const char *p = text; (p = strchr(p, '\n')); p++)
            lines++;
        assert_int_equal(lines, 18);
        json_decref(l1);
        free(line1);
        json_decref(r);
    }
    free(text);
    free(result);
}

static void a_run_stopped_and_resumed_reports_what_an_uninterrupted_run_does(void **state)
{
    kbj_engine *eng = *state;
    char full[1200], part[1200], *want, *got, *r1, *r2;

    seed_tree(eng);
    for (int i = 100; i < 160; i++) /* more pairs and ghosts, across pages and windows */
        seed(eng, i, i % 3 != 0, i % 5 != 0, OLD);
    snprintf(full, sizeof full, "%s/full.jsonl", eng->data_dir);
    snprintf(part, sizeof part, "%s/part.jsonl", eng->data_dir);
    r1 = run(eng, (kbj_reconcile_opts){ .batch = 4, .window = 64 }, full, NULL, KBJ_OK);
    want = slurp(full);
    for (unsigned k = 4; k <= 26; k += 11) {
        hooks h = { .stop_after = k };
        kbj_reconcile_opts o = { .batch = 4, .window = 64, .save_items = 5, .save_ms = 1, .should_stop = stop_hook,
                                 .save = save_hook, .arg = &h };
        int stops = 0;
        char *res = run(eng, o, part, NULL, KBJ_ESTOPPED);
        assert_null(res);
        for (;;) {
            /* as a kill leaves it: lines written after the state was saved, one torn */
            int fd = open(part, O_WRONLY | O_APPEND);
            assert_true(fd >= 0);
            assert_int_equal(write(fd, "{\"kind\":\"ghost\"}\n{\"ki", 21), 21);
            close(fd);
            stops++;
            h.seen = 0;
            char *rc_res = NULL;
            int rc = kbj_reconcile(eng, &o, part, h.state, &rc_res);
            if (rc == KBJ_OK) {
                r2 = rc_res;
                break;
            }
            assert_int_equal(rc, KBJ_ESTOPPED);
        }
        assert_true(stops > 3);
        got = slurp(part);
        assert_string_equal(got, want);
        for (int i = 0; i < 4; i++) {
            static const char *const kinds[] = { "ghost", "orphan", "drift", "unsafe" };
            assert_int_equal(count_of(r2, kinds[i]), count_of(r1, kinds[i]));
        }
        free(got);
        free(r2);
        free(h.state);
    }
    /* a state from elsewhere is refused, and so is a report shorter than the state says */
    {
        char *res = NULL;
        assert_int_equal(kbj_reconcile(eng, NULL, part, "{\"v\": 2}", &res), KBJ_ECORRUPT);
        assert_int_equal(kbj_reconcile(eng, NULL, part,
                                       "{\"v\":1,\"stream\":1,\"top\":null,\"name\":null,\"row\":\"\","
                                       "\"report_bytes\":99999999,\"counts\":{},\"scanned\":{},\"total\":1}",
                                       &res),
                         KBJ_ECORRUPT);
        assert_null(res);
    }
    free(want);
    free(r1);
}

/* A child that saves its state to a file (atomically, as a checkpoint is) and is killed
 * with SIGKILL between two items, some of them done since its last save. */
static const char *kill_state_path;
static unsigned long long kill_after, kill_seen;

static int kill_stop(void *arg)
{
    (void)arg;
    if (++kill_seen >= kill_after)
        raise(SIGKILL);
    return 0;
}

static int kill_save(void *arg, const char *state)
{
    kbj_err err;
    (void)arg;
    return kbj_fs_write_atomic(kill_state_path, state, strlen(state), 1, &err);
}

static void a_run_killed_with_sigkill_resumes_from_its_last_save(void **state)
{
    kbj_engine *eng = *state;
    char full[1200], part[1200], st[1200], *want, *got, *saved, *res = NULL;
    int status;
    pid_t pid;

    seed_tree(eng);
    for (int i = 100; i < 160; i++)
        seed(eng, i, i % 3 != 0, i % 5 != 0, OLD);
    snprintf(full, sizeof full, "%s/full.jsonl", eng->data_dir);
    snprintf(part, sizeof part, "%s/part.jsonl", eng->data_dir);
    snprintf(st, sizeof st, "%s/state.json", eng->data_dir);
    free(run(eng, (kbj_reconcile_opts){ .batch = 4, .window = 64 }, full, NULL, KBJ_OK));
    want = slurp(full);
    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        kbj_engine *child = kbj_test_engine_open("kbt_recon_", 0, eng->data_dir);
        kbj_reconcile_opts o = { .batch = 4, .window = 64, .save_items = 7, .save_ms = 1, .should_stop = kill_stop,
                                 .save = kill_save };
        char *r = NULL;
        kill_state_path = st;
        kill_after = 40; /* 5 saves, then 5 items done and lost with the process */
        (void)kbj_reconcile(child, &o, part, NULL, &r);
        _exit(3); /* not reached: killed first */
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    saved = slurp(st);
    assert_int_equal(kbj_reconcile(eng, &(kbj_reconcile_opts){ .batch = 4, .window = 64 }, part, saved, &res),
                     KBJ_OK);
    got = slurp(part);
    assert_string_equal(got, want);
    free(got);
    free(saved);
    free(res);
    free(want);
}

/* A reconcile job interrupted with a checkpoint goes on from it (its report kept up to
 * the checkpoint's length), in a run with other batch and window sizes. */
static void the_reconcile_job_resumes_from_its_checkpoint(void **state)
{
    kbj_engine *eng = *state;
    char full[1200], part[1200], *want, *got;
    hooks h = { .stop_after = 9 };
    kbj_checkpoint c;
    kbj_job *j;
    char id[KBJ_ID_LEN + 1];

    seed_tree(eng);
    kbj_copy(id, sizeof id, kbj_test_submit(eng, "reconcile", "{}", "rq"));
    snprintf(full, sizeof full, "%s/full.jsonl", eng->data_dir);
    snprintf(part, sizeof part, "%s/logs/%s.reconcile.jsonl", eng->data_dir, id);
    free(run(eng, (kbj_reconcile_opts){ 0 }, full, NULL, KBJ_OK));
    want = slurp(full);
    assert_null(run(eng, (kbj_reconcile_opts){ .batch = 2, .window = 64, .save_items = 3, .save_ms = 1, .should_stop = stop_hook,
                                               .save = save_hook, .arg = &h },
                    part, NULL, KBJ_ESTOPPED));
    {   /* mark the report's first byte: a resumed run keeps it, a fresh one would not */
        int fd = open(part, O_WRONLY);
        assert_true(fd >= 0);
        assert_int_equal(pwrite(fd, "X", 1, 0), 1);
        close(fd);
    }
    memset(&c, 0, sizeof c);
    kbj_copy(c.job_id, sizeof c.job_id, id);
    kbj_copy(c.type, sizeof c.type, "reconcile");
    c.state = h.state;
    assert_int_equal(kbj_checkpoint_save(eng, &c), KBJ_OK);
    kbj_test_run_queue(eng, "rq");
    j = kbj_test_job(eng, id);
    assert_string_equal(j->status, "completed");
    assert_non_null(strstr(j->result, "\"ghost\":2,\"orphan\":7,\"drift\":4,\"unsafe\":5"));
    got = slurp(part);
    assert_int_equal(got[0], 'X');
    assert_string_equal(got + 1, want + 1);
    kbj_job_free(j);
    free(got);
    free(want);
    free(h.state);
}

/* The walk hands out every name once, in byte order, a window at a time. */
static void a_directory_is_walked_in_byte_order_in_windows(void **state)
{
    kbj_engine *eng = *state;
    char dir[1200], rel[64], prev[256] = "";
    kbj_sdir *d = NULL;
    const char *name;
    kbj_err err;
    int n = 0, rc;

    for (int i = 0; i < 300; i++) {
        snprintf(rel, sizeof rel, "w/%08x", (unsigned)(i * 2654435761u));
        put(eng, rel, "", 0, 0);
    }
    snprintf(dir, sizeof dir, "%s/w", eng->data_dir);
    assert_int_equal(kbj_sdir_open(AT_FDCWD, dir, NULL, 64, NULL, 0, &d, &err), KBJ_OK);
    while ((rc = kbj_sdir_next(d, &name, &err)) == 1) {
        assert_true(strcmp(prev, name) < 0);
        snprintf(prev, sizeof prev, "%s", name);
        n++;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(n, 300);
    assert_int_equal(kbj_sdir_passes(d), 5); /* 64 names a pass (each after the last one) */
    kbj_sdir_free(d);
    /* from a name on, and a symbolic link refused */
    assert_int_equal(kbj_sdir_open(AT_FDCWD, dir, NULL, 64, prev, 1, &d, &err), KBJ_OK);
    assert_int_equal(kbj_sdir_next(d, &name, &err), 1);
    assert_string_equal(name, prev);
    assert_int_equal(kbj_sdir_next(d, &name, &err), 0);
    kbj_sdir_free(d);
    snprintf(rel, sizeof rel, "%s/l", eng->data_dir);
    assert_int_equal(symlink(dir, rel), 0);
    assert_int_equal(kbj_sdir_open(AT_FDCWD, rel, NULL, 64, NULL, 0, &d, &err), KBJ_EIO);
    assert_non_null(strstr(err.msg, "symbolic link"));
}

/* The heap in use during a run, above its start, with n more pairs of artifacts and
 * rows, and n more orphan logs in logs/ (one folder: many windows of 64 names). */
static long long peak_for(kbj_engine *eng, int from, int n)
{
    char report[1200], rel[160], *res;
    hooks h = { 0 };
    kbj_reconcile_opts o = { .batch = 100, .window = 64, .should_stop = stop_hook, .arg = &h };
    size_t cap = 200 * 300 + 200, off = 0;
    char *sql = malloc(cap);
    assert_non_null(sql);
    for (int i = from; i < from + n; i++) { /* rows 200 to a statement: seeding stays quick */
        char h[65], ch[65], *doc = artifact(i, "some text", h, ch);
        snprintf(rel, sizeof rel, "artifacts/%.2s/%s.json", h, h);
        put(eng, rel, doc, strlen(doc), OLD);
        free(doc);
        if (off == 0)
            off = (size_t)snprintf(sql, cap, "INSERT INTO {p}kbjobs_artifacts (url_hash, url, path, content_hash,"
                                   " fetched_at, updated_at) VALUES ");
        else
            sql[off++] = ',';
        off += (size_t)snprintf(sql + off, cap - off, "('%s', 'http://example.test/%d', 'artifacts/%.2s/%s.json',"
                                " '%s', NOW(6), NOW(6))", h, i, h, h, ch);
        if ((i - from) % 200 == 199 || i == from + n - 1) {
            kbj_test_exec(eng, sql);
            off = 0;
        }
        snprintf(rel, sizeof rel, "logs/%016x.log", (unsigned)i * 2654435761u);
        put(eng, rel, "{}\n", 3, OLD);
    }
    free(sql);
    snprintf(report, sizeof report, "%s/mem.jsonl", eng->data_dir);
    h.base_heap = heap_in_use();
    res = run(eng, o, report, NULL, KBJ_OK);
    free(res);
    return h.peak_heap;
}

static void memory_stays_flat_as_the_artifacts_grow(void **state)
{
    kbj_engine *eng = *state;
    long long small = peak_for(eng, 0, 400);
    long long large = peak_for(eng, 400, 2000); /* 2,400 in all: six times as many */
    print_message("heap peak above the start: %lld bytes at 400 artifacts, %lld at 2,400\n", small, large);
    assert_true(small > 0);
    assert_true(large < small + 32 * 1024); /* 2,000 more names in logs/ would be 100 KB */
}

static void the_reconcile_job_writes_its_report_next_to_its_log(void **state)
{
    kbj_engine *eng = *state;
    char path[1200], *text;
    kbj_type_info types[32];
    size_t nt = kbj_types_list(eng, types, 32);
    kbj_job *j;
    const char *id;
    int found = 0;

    for (size_t i = 0; i < nt && i < 32; i++)
        if (strcmp(types[i].name, "reconcile") == 0) {
            found = 1;
            assert_int_equal(types[i].nresources, 1); /* one at a time, whoever submits it */
            assert_string_equal(types[i].resources[0].name, "kbjobs.reconcile");
        }
    assert_true(found);
    seed(eng, 1, 1, 1, OLD);
    seed(eng, 2, 0, 1, OLD);
    id = kbj_test_submit(eng, "reconcile", "{\"keep\": 5}", "rq");
    kbj_test_run_queue(eng, "rq");
    j = kbj_test_job(eng, id);
    assert_string_equal(j->status, "completed");
    assert_non_null(strstr(j->result, "\"ghost\":1"));
    assert_non_null(strstr(j->result, "\"orphan\":0"));
    assert_non_null(strstr(j->result, "\"report\":\"logs/"));
    snprintf(path, sizeof path, "%s/logs/%s.reconcile.jsonl", eng->data_dir, id);
    text = slurp(path);
    assert_non_null(strstr(text, "\"kind\":\"ghost\""));
    assert_null(strstr(text, "reconcile.jsonl")); /* its own report is its job's file */
    free(text);
    kbj_job_free(j);
    /* a second run finds the first's report theirs too */
    id = kbj_test_submit(eng, "reconcile", "{}", "rq");
    kbj_test_run_queue(eng, "rq");
    j = kbj_test_job(eng, id);
    assert_string_equal(j->status, "completed");
    assert_non_null(strstr(j->result, "\"orphan\":0"));
    kbj_job_free(j);
    {
        char *res = NULL;
        kbj_reconcile_opts bad[] = { { .grace_seconds = 90000 }, { .keep = 1001 }, { .batch = 10001 },
                                     { .window = 10 } };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
            assert_int_equal(kbj_reconcile(eng, &bad[i], path, NULL, &res), KBJ_EINVAL);
        assert_int_equal(kbj_reconcile(eng, NULL, "relative.jsonl", NULL, &res), KBJ_EINVAL);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(each_kind_of_finding_is_reported_with_escaped_names, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_run_stopped_and_resumed_reports_what_an_uninterrupted_run_does, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_run_killed_with_sigkill_resumes_from_its_last_save, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(the_reconcile_job_resumes_from_its_checkpoint, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(a_directory_is_walked_in_byte_order_in_windows, setup,
                                        kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(memory_stays_flat_as_the_artifacts_grow, setup, kbj_test_engine_teardown),
        cmocka_unit_test_setup_teardown(the_reconcile_job_writes_its_report_next_to_its_log, setup,
                                        kbj_test_engine_teardown),
    };
    return cmocka_run_group_tests_name("reconcile", tests, NULL, NULL);
}
