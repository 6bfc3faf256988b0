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
 *   bench_import ceiling LIST OUTDIR [CHUNK] [sync]
 *                                           the ceiling: the engine's streaming pipeline
 *                                           (kbj_pipeline_start: the same fetcher and
 *                                           normaliser on their own threads, chunks of CHUNK,
 *                                           default 10, two chunks fetched ahead), and one
 *                                           plain write() per page into
 *                                           OUTDIR/<hh>/<hash>.txt as each chunk is handed
 *                                           over; no database, no JSON, no bookkeeping. With
 *                                           "sync": each chunk's files are fsync'd and their
 *                                           directories once per chunk (a diagnostic variant).
 *   bench_import ceiling-batch LIST OUTDIR [BATCH] [sync]
 *                                           the ceiling as it was before the pipeline:
 *                                           kbj_fetch_many in batches of BATCH, then
 *                                           kbj_normalise and the writes, one batch after
 *                                           another on one thread (the pipe drains at every
 *                                           batch boundary); kept for comparison
 *
 * Every fetch uses the engine's defaults with allow "127.0.0.1" (what the plugin passes
 * from KBJOBS_FETCH_ALLOW), and from the environment: KBJOBS_BENCH_MAX_PER_HOST (requests
 * at once per host, 1..100; unset: the engine's default) and KBJOBS_BENCH_CA_FILE (the
 * bench's own CA, for its TLS listeners). The runner and the ceiling read the same two, so
 * a row and its ceiling fetch alike.
 *
 * Settings from the instance's env.sh: KBJOBS_DB_SOCKET, KBJOBS_DB_USER,
 * KBJOBS_DB_PASSWORD, KBJOBS_DB_NAME, KBJOBS_DB_PREFIX, KBJOBS_DATA_DIR (the same tables
 * and data directory the WordPress site uses).
 */
#include "fetch.h"
#include "import.h"
#include "kbj.h"
#include "normalise.h"
#include "pipeline.h"
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
    const char *per_host = getenv("KBJOBS_BENCH_MAX_PER_HOST"), *ca = getenv("KBJOBS_BENCH_CA_FILE");

    memset(&fc, 0, sizeof fc);
    fc.allow = "127.0.0.1";
    if (per_host && *per_host) {
        long v = atol(per_host);
        if (v < 1 || v > 100)
            die("KBJOBS_BENCH_MAX_PER_HOST must be 1..100 (got \"%s\")", per_host);
        fc.max_per_host = (unsigned)v;
    }
    if (ca && *ca)
        fc.ca_file = ca;
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

/* The ceiling's output: one file per page under OUTDIR/<hh>/, and (with sync) the files of
 * the chunk in hand, kept open until the chunk is synced. */
typedef struct ceiling_out {
    const char *dir;
    int sync;
    unsigned char made[256], dirty[256];
    int *fds;
    size_t nfds;
    size_t ok, failed;
    unsigned long long bytes;
} ceiling_out;

/* Writes one normalised page: title, text and HTML, one plain write() each. */
static void ceiling_write(ceiling_out *o, const char *url, const kbj_doc *doc)
{
    char hash[65], path[4096];
    unsigned hh;
    int fd;

    kbj_sha256_hex(url, strlen(url), hash);
    sscanf(hash, "%2x", &hh);
    if (!o->made[hh]) {
        snprintf(path, sizeof path, "%s/%.2s", o->dir, hash);
        if (mkdir(path, 0755) && errno != EEXIST)
            die("%s: %s", path, strerror(errno));
        o->made[hh] = 1;
    }
    o->dirty[hh] = 1;
    snprintf(path, sizeof path, "%s/%.2s/%s.txt", o->dir, hash, hash);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write_all(fd, doc->title, strlen(doc->title)) || write_all(fd, "\n", 1) ||
        write_all(fd, doc->text, strlen(doc->text)) || write_all(fd, "\n", 1) ||
        write_all(fd, doc->html, strlen(doc->html)))
        die("%s: %s", path, strerror(errno));
    if (o->sync)
        o->fds[o->nfds++] = fd;
    else
        close(fd);
    o->ok++;
}

static void ceiling_fail(ceiling_out *o, const char *url, const char *why)
{
    if (o->failed++ < 5)
        fprintf(stderr, "bench_import: %s: %s\n", url, why ? why : "?");
}

/* The end of a chunk: with sync, its files and then each directory it wrote into are
 * fsync'd (what the engine's artifact batches did before syncfs()). */
static void ceiling_chunk_end(ceiling_out *o)
{
    if (o->sync) {
        for (size_t i = 0; i < o->nfds; i++) {
            if (fsync(o->fds[i]))
                die("fsync: %s", strerror(errno));
            close(o->fds[i]);
        }
        for (unsigned d = 0; d < 256; d++) {
            char path[4096];
            int dfd;
            if (!o->dirty[d])
                continue;
            snprintf(path, sizeof path, "%s/%02x", o->dir, d);
            dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (dfd < 0 || fsync(dfd))
                die("%s: %s", path, strerror(errno));
            close(dfd);
        }
    }
    o->nfds = 0;
    memset(o->dirty, 0, sizeof o->dirty);
}

static void ceiling_init(ceiling_out *o, const char *outdir, size_t chunk, int sync)
{
    memset(o, 0, sizeof *o);
    if (chunk < 1 || chunk > 500)
        die("the chunk must be 1..500");
    if (mkdir(outdir, 0755) && errno != EEXIST)
        die("%s: %s", outdir, strerror(errno));
    o->dir = outdir;
    o->sync = sync;
    if (!(o->fds = calloc(chunk, sizeof *o->fds)))
        die("out of memory");
}

static void ceiling_report(ceiling_out *o, size_t n, double t0)
{
    printf("{\"urls\":%zu,\"ok\":%zu,\"failed\":%zu,\"bytes\":%llu,\"seconds\":%.3f,\"maxrss_kib\":%ld}\n", n, o->ok,
           o->failed, o->bytes, now() - t0, maxrss_kib());
    free(o->fds);
}

/* The pipeline's read callback: the list is already in memory. */
typedef struct ceiling_list {
    char **urls;
    size_t n;
} ceiling_list;

static int ceiling_read(void *arg, unsigned long long first, size_t n, char **out, kbj_err *err)
{
    ceiling_list *l = arg;
    if (first > l->n || n > l->n - first)
        return kbj_fail(err, KBJ_EINVAL, "entries %llu..%llu are past the list's end", first, first + n);
    for (size_t i = 0; i < n; i++) {
        if (!(out[i] = strdup(l->urls[first + i]))) {
            while (i > 0)
                free(out[--i]);
            return kbj_fail(err, KBJ_ENOMEM, "out of memory reading the list");
        }
    }
    return 0;
}

/* The ceiling over the engine's pipeline: the fetching and normalising threads run up to
 * two chunks ahead while this thread writes the chunk in hand, as an import does; only
 * the writes differ (plain files instead of artifacts, the index and the sink). */
static int cmd_ceiling(const char *list, const char *outdir, size_t chunk, int sync)
{
    ceiling_list l;
    kbj_fetch_config fc = fetch_config();
    kbj_pipe_config pc;
    kbj_pipeline *p;
    kbj_pipe_chunk *c;
    ceiling_out o;
    kbj_err err;
    double t0 = now();
    int rc;

    l.urls = read_lines(list, &l.n);
    ceiling_init(&o, outdir, chunk, sync);
    memset(&pc, 0, sizeof pc);
    pc.fetch = &fc;
    pc.first = 0;
    pc.end = l.n;
    pc.chunk = chunk;
    pc.ahead = 2;
    pc.read = ceiling_read;
    pc.read_arg = &l;
    memset(&err, 0, sizeof err);
    if (!(p = kbj_pipeline_start(&pc, &err)))
        die("pipeline: %s", err.msg);
    /* 0 with no chunk: every chunk was handed out */
    while ((rc = kbj_pipeline_next(p, &c, NULL, NULL, &err)) == 0 && c) {
        for (size_t i = 0; i < c->n; i++) {
            kbj_pipe_item *it = &c->items[i];
            if (!it->has_doc) {
                ceiling_fail(&o, it->url, it->err_msg ? it->err_msg : it->res.error);
                continue;
            }
            o.bytes += it->res.body_len;
            ceiling_write(&o, it->url, &it->doc);
        }
        ceiling_chunk_end(&o);
        kbj_pipeline_done(p, c);
    }
    if (rc)
        die("pipeline: %s", err.msg);
    kbj_pipeline_stop(p);
    ceiling_report(&o, l.n, t0);
    for (size_t i = 0; i < l.n; i++)
        free(l.urls[i]);
    free(l.urls);
    return o.failed ? 2 : 0;
}

/* The ceiling before the pipeline: fetch a batch, then normalise and write it, in turn. */
static int cmd_ceiling_batch(const char *list, const char *outdir, size_t batch, int sync)
{
    size_t n = 0;
    char **urls = read_lines(list, &n);
    kbj_fetch_config fc = fetch_config();
    kbj_err err;
    kbj_fetcher *f;
    kbj_fetch_result *res;
    ceiling_out o;
    double t0 = now();

    ceiling_init(&o, outdir, batch, sync);
    f = kbj_fetcher_new(&fc, &err);
    if (!f)
        die("fetcher: %s", err.msg);
    if (!(res = calloc(batch, sizeof *res)))
        die("out of memory");
    for (size_t first = 0; first < n; first += batch) {
        size_t m = n - first < batch ? n - first : batch;
        if (kbj_fetch_many(f, (const char *const *)urls + first, m, res, NULL, NULL))
            die("fetch: %s", kbj_fetcher_errmsg(f));
        for (size_t i = 0; i < m; i++) {
            kbj_fetch_result *r = &res[i];
            kbj_doc doc;

            if (r->outcome != KBJ_FETCH_OK) {
                ceiling_fail(&o, urls[first + i], r->error);
                kbj_fetch_result_clear(r);
                continue;
            }
            o.bytes += r->body_len;
            if (kbj_normalise(r->body, r->body_len, r->content_type, urls[first + i], NULL, &doc, &err)) {
                ceiling_fail(&o, urls[first + i], err.msg);
                kbj_fetch_result_clear(r);
                continue;
            }
            kbj_fetch_result_clear(r);
            ceiling_write(&o, urls[first + i], &doc);
            kbj_doc_clear(&doc);
        }
        ceiling_chunk_end(&o);
    }
    ceiling_report(&o, n, t0);
    kbj_fetcher_free(f);
    free(res);
    for (size_t i = 0; i < n; i++)
        free(urls[i]);
    free(urls);
    return o.failed ? 2 : 0;
}

/* ---- main ------------------------------------------------------------------------------------ */

static void usage(void)
{
    fprintf(stderr, "usage: bench_import submit LIST PARAMS_JSON | run [CLAIM_BATCH] | migrate | status ID... |"
                    " cancel ID... | ceiling LIST OUTDIR [CHUNK] [sync] | ceiling-batch LIST OUTDIR [BATCH] [sync]\n");
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
        rc = cmd_ceiling(argv[2], argv[3], argc >= 5 ? (size_t)atol(argv[4]) : 10,
                         argc == 6 && strcmp(argv[5], "sync") == 0);
    else if (strcmp(argv[1], "ceiling-batch") == 0 && argc >= 4 && argc <= 6)
        rc = cmd_ceiling_batch(argv[2], argv[3], argc >= 5 ? (size_t)atol(argv[4]) : 10,
                               argc == 6 && strcmp(argv[5], "sync") == 0);
    else
        usage();
    curl_global_cleanup();
    return rc;
}
