/*
 * bench_import.c - the native side of the import benchmark (tests/bench/import/run.sh,
 * run by `make bench`; see tests/bench/README.md, "Import").
 *
 *   bench_import submit LIST PARAMS_JSON    stores the list and submits an import job
 *                                           (kbj_import_submit); prints one JSON line:
 *                                           {"id":..,"seconds":..,"accepted":..,...}
 *   bench_import run [CLAIM_BATCH]          a runner: kbj_run on queue "import" until
 *                                           nothing is due (claim batch default 1, so two
 *                                           runners take one import each); prints its report
 *   bench_import migrate                    creates or upgrades the engine's tables
 *   bench_import status ID...               one JSON line per job: status, progress, metrics
 *   bench_import cancel ID...               cancels jobs (the 1,000,000-URL list is only
 *                                           submitted, never run)
 *   bench_import ceiling LIST OUTDIR [BATCH] [sync]
 *                                           the ceiling: the same fetcher (kbj_fetch_many,
 *                                           the same settings) in batches of BATCH (default
 *                                           50) and the same normaliser (kbj_normalise), one
 *                                           plain write() per page into OUTDIR/<hh>/<hash>.txt;
 *                                           no database, no JSON, no bookkeeping. With
 *                                           "sync": each batch's files are fsync'd and their
 *                                           directories once per batch, like the engine's
 *                                           artifact batches (a diagnostic variant).
 *
 * Every fetch uses the engine's defaults (16 transfers at once, 4 per host, ...) with
 * allow "127.0.0.1", which is what the plugin passes from KBJOBS_FETCH_ALLOW.
 *
 * Settings from the instance's env.sh: KBJOBS_DB_SOCKET, KBJOBS_DB_USER,
 * KBJOBS_DB_PASSWORD, KBJOBS_DB_NAME, KBJOBS_DB_PREFIX, KBJOBS_DATA_DIR (the same tables
 * and data directory the WordPress site uses).
 */
#include "fetch.h"
#include "import.h"
#include "kbj.h"
#include "normalise.h"
#include "sha256.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "bench_import: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

static const char *env_req(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v)
        die("%s is not set (source the instance's env.sh)", name);
    return v;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long maxrss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static kbj_fetch_config fetch_config(void)
{
    kbj_fetch_config fc;
    memset(&fc, 0, sizeof fc);
    fc.allow = "127.0.0.1";
    return fc;
}

static kbj_engine *g_eng;

static kbj_engine *connect_engine(unsigned claim_batch)
{
    static char host[600];
    kbj_config cfg;
    kbj_fetch_config fc = fetch_config();
    kbj_engine *eng = kbj_engine_new();
    int rc;

    if (!eng)
        die("out of memory");
    snprintf(host, sizeof host, "localhost:%s", env_req("KBJOBS_DB_SOCKET"));
    memset(&cfg, 0, sizeof cfg);
    cfg.db.host = host;
    cfg.db.user = env_req("KBJOBS_DB_USER");
    cfg.db.password = env_req("KBJOBS_DB_PASSWORD");
    cfg.db.database = env_req("KBJOBS_DB_NAME");
    cfg.db.prefix = env_req("KBJOBS_DB_PREFIX");
    cfg.data_dir = env_req("KBJOBS_DATA_DIR");
    cfg.claim_batch = claim_batch;
    if ((rc = kbj_engine_connect(eng, &cfg)) || (rc = kbj_register_builtin_types(eng)))
        die("connect: %s", kbj_errmsg(eng));
    if ((rc = kbj_migrate(eng)))
        die("migrate: %s", kbj_errmsg(eng));
    if ((rc = kbj_import_configure(eng, &fc, NULL, NULL)))
        die("import settings: %s", kbj_errmsg(eng));
    g_eng = eng;
    return eng;
}

/* ---- submit / run / status / cancel ---------------------------------------------------- */

static int cmd_submit(const char *list, const char *params)
{
    kbj_engine *eng = connect_engine(1);
    kbj_urllist_report rep;
    char id[KBJ_ID_LEN + 1];
    int fd = open(list, O_RDONLY);
    double t0;
    int rc;

    if (fd < 0)
        die("%s: %s", list, strerror(errno));
    memset(&rep, 0, sizeof rep);
    t0 = now();
    rc = kbj_import_submit(eng, fd, params, NULL, NULL, NULL, &rep, id);
    double secs = now() - t0;
    close(fd);
    if (rc)
        die("submit: %s", kbj_errmsg(eng));
    printf("{\"id\":\"%s\",\"seconds\":%.3f,\"lines\":%llu,\"accepted\":%llu,\"duplicates\":%llu,"
           "\"rejected\":%llu,\"maxrss_kib\":%ld}\n",
           id, secs, (unsigned long long)rep.lines, (unsigned long long)rep.accepted,
           (unsigned long long)rep.duplicates, (unsigned long long)rep.rejected, maxrss_kib());
    kbj_engine_free(eng);
    return 0;
}

static void on_term(int sig)
{
    (void)sig;
    if (g_eng)
        kbj_request_stop(g_eng);
}

static int cmd_run(unsigned claim_batch)
{
    kbj_engine *eng = connect_engine(claim_batch);
    const char *queues[1] = { KBJ_IMPORT_QUEUE };
    kbj_run_opts o;
    kbj_run_report rep;
    struct sigaction sa;
    int rc;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    memset(&o, 0, sizeof o);
    o.queues = queues;
    o.nqueues = 1;
    o.until_empty = 1;
    o.idle_ms = 50;
    memset(&rep, 0, sizeof rep);
    rc = kbj_run(eng, &o, &rep);
    if (rc)
        die("run: %s", kbj_errmsg(eng));
    printf("{\"runner\":\"%s\",\"claimed\":%lu,\"completed\":%lu,\"failed\":%lu,\"retried\":%lu,"
           "\"elapsed\":%.3f,\"stop_reason\":\"%s\",\"maxrss_kib\":%ld}\n",
           rep.runner, rep.claimed, rep.completed, rep.failed, rep.retried, rep.elapsed, rep.stop_reason,
           maxrss_kib());
    g_eng = NULL;
    kbj_engine_free(eng);
    return rep.failed || rep.retried ? 2 : 0;
}

static void json_str(const char *s)
{
    putchar('"');
    for (; s && *s; s++) {
        if (*s == '"' || *s == '\\')
            printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            printf("\\u%04x", (unsigned char)*s);
        else
            putchar(*s);
    }
    putchar('"');
}

static int cmd_status(int argc, char **argv)
{
    kbj_engine *eng = connect_engine(1);
    for (int i = 0; i < argc; i++) {
        kbj_job *j = NULL;
        if (kbj_job_get(eng, argv[i], &j))
            die("job %s: %s", argv[i], kbj_errmsg(eng));
        printf("{\"id\":\"%s\",\"status\":\"%s\",\"done\":%lld,\"total\":%lld,\"attempts\":%d,\"metrics\":%s,"
               "\"error\":",
               j->id, j->status, j->progress_done, j->progress_total, j->attempts,
               j->metrics ? j->metrics : "null");
        if (j->error)
            json_str(j->error);
        else
            printf("null");
        printf("}\n");
        kbj_job_free(j);
    }
    kbj_engine_free(eng);
    return 0;
}

static int cmd_cancel(int argc, char **argv)
{
    kbj_engine *eng = connect_engine(1);
    for (int i = 0; i < argc; i++) {
        int was_running = 0;
        if (kbj_job_cancel(eng, argv[i], &was_running))
            die("cancel %s: %s", argv[i], kbj_errmsg(eng));
    }
    kbj_engine_free(eng);
    return 0;
}

/* ---- the ceiling ------------------------------------------------------------------------- */

static char **read_lines(const char *path, size_t *n)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0, len = 0, acap = 0;
    ssize_t got;
    char **out = NULL;

    if (!f)
        die("%s: %s", path, strerror(errno));
    while ((got = getline(&line, &cap, f)) >= 0) {
        while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r'))
            line[--got] = '\0';
        if (got == 0)
            continue;
        if (len == acap) {
            acap = acap ? acap * 2 : 1024;
            out = realloc(out, acap * sizeof *out);
            if (!out)
                die("out of memory");
        }
        if (!(out[len++] = strdup(line)))
            die("out of memory");
    }
    free(line);
    fclose(f);
    *n = len;
    return out;
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

static int cmd_ceiling(const char *list, const char *outdir, size_t batch, int sync)
{
    size_t n = 0, ok = 0, failed = 0;
    char **urls = read_lines(list, &n);
    kbj_fetch_config fc = fetch_config();
    kbj_err err;
    kbj_fetcher *f;
    kbj_fetch_result *res;
    int *fds;
    unsigned char made[256] = { 0 }, dirty[256];
    unsigned long long bytes = 0;
    double t0 = now();

    if (batch < 1 || batch > 500)
        die("batch must be 1..500");
    if (mkdir(outdir, 0755) && errno != EEXIST)
        die("%s: %s", outdir, strerror(errno));
    f = kbj_fetcher_new(&fc, &err);
    if (!f)
        die("fetcher: %s", err.msg);
    res = calloc(batch, sizeof *res);
    fds = calloc(batch, sizeof *fds);
    if (!res || !fds)
        die("out of memory");

    for (size_t first = 0; first < n; first += batch) {
        size_t m = n - first < batch ? n - first : batch, nfds = 0;
        memset(dirty, 0, sizeof dirty);
        if (kbj_fetch_many(f, (const char *const *)urls + first, m, res, NULL, NULL))
            die("fetch: %s", kbj_fetcher_errmsg(f));
        for (size_t i = 0; i < m; i++) {
            kbj_fetch_result *r = &res[i];
            kbj_doc doc;
            char hash[65], path[4096];
            unsigned hh;
            int fd;

            if (r->outcome != KBJ_FETCH_OK) {
                if (failed++ < 5)
                    fprintf(stderr, "bench_import: %s: %s\n", urls[first + i], r->error ? r->error : "?");
                kbj_fetch_result_clear(r);
                continue;
            }
            bytes += r->body_len;
            if (kbj_normalise(r->body, r->body_len, r->content_type, urls[first + i], NULL, &doc, &err)) {
                if (failed++ < 5)
                    fprintf(stderr, "bench_import: %s: %s\n", urls[first + i], err.msg);
                kbj_fetch_result_clear(r);
                continue;
            }
            kbj_fetch_result_clear(r);
            kbj_sha256_hex(urls[first + i], strlen(urls[first + i]), hash);
            sscanf(hash, "%2x", &hh);
            snprintf(path, sizeof path, "%s/%.2s", outdir, hash);
            if (!made[hh]) {
                if (mkdir(path, 0755) && errno != EEXIST)
                    die("%s: %s", path, strerror(errno));
                made[hh] = 1;
            }
            dirty[hh] = 1;
            snprintf(path, sizeof path, "%s/%.2s/%s.txt", outdir, hash, hash);
            fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            if (fd < 0 || write_all(fd, doc.title, strlen(doc.title)) || write_all(fd, "\n", 1) ||
                write_all(fd, doc.text, strlen(doc.text)) || write_all(fd, "\n", 1) ||
                write_all(fd, doc.html, strlen(doc.html)))
                die("%s: %s", path, strerror(errno));
            kbj_doc_clear(&doc);
            if (sync)
                fds[nfds++] = fd;
            else
                close(fd);
            ok++;
        }
        if (sync) {
            for (size_t i = 0; i < nfds; i++) {
                if (fsync(fds[i]))
                    die("fsync: %s", strerror(errno));
                close(fds[i]);
            }
            for (unsigned d = 0; d < 256; d++) {
                char path[4096];
                int dfd;
                if (!dirty[d])
                    continue;
                snprintf(path, sizeof path, "%s/%02x", outdir, d);
                dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (dfd < 0 || fsync(dfd))
                    die("%s: %s", path, strerror(errno));
                close(dfd);
            }
        }
    }
    printf("{\"urls\":%zu,\"ok\":%zu,\"failed\":%zu,\"bytes\":%llu,\"seconds\":%.3f,\"maxrss_kib\":%ld}\n", n, ok,
           failed, bytes, now() - t0, maxrss_kib());
    kbj_fetcher_free(f);
    free(res);
    free(fds);
    for (size_t i = 0; i < n; i++)
        free(urls[i]);
    free(urls);
    return failed ? 2 : 0;
}

/* ---- main ------------------------------------------------------------------------------------ */

static void usage(void)
{
    fprintf(stderr, "usage: bench_import submit LIST PARAMS_JSON | run [CLAIM_BATCH] | migrate | status ID... |"
                    " cancel ID... | ceiling LIST OUTDIR [BATCH] [sync]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    int rc;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2)
        usage();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (strcmp(argv[1], "submit") == 0 && argc == 4)
        rc = cmd_submit(argv[2], argv[3]);
    else if (strcmp(argv[1], "run") == 0 && argc <= 3)
        rc = cmd_run(argc == 3 ? (unsigned)atoi(argv[2]) : 1);
    else if (strcmp(argv[1], "migrate") == 0 && argc == 2) {
        kbj_engine_free(connect_engine(1)); /* connecting migrates */
        rc = 0;
    } else if (strcmp(argv[1], "status") == 0 && argc >= 3)
        rc = cmd_status(argc - 2, argv + 2);
    else if (strcmp(argv[1], "cancel") == 0 && argc >= 3)
        rc = cmd_cancel(argc - 2, argv + 2);
    else if (strcmp(argv[1], "ceiling") == 0 && argc >= 4 && argc <= 6)
        rc = cmd_ceiling(argv[2], argv[3], argc >= 5 ? (size_t)atol(argv[4]) : 50,
                         argc == 6 && strcmp(argv[5], "sync") == 0);
    else
        usage();
    curl_global_cleanup();
    return rc;
}
