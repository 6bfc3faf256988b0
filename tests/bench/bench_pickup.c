/*
 * bench_pickup.c - pickup latency with an idle runner, and what an idle runner costs
 * (section `pickup` of `make bench`, see tests/bench/README.md).
 *
 * One runner process (kbj_run, default idle settings unless KBJOBS_BENCH_IDLE_MS is
 * set) waits on queue "pickup"; the parent submits one job at a time, each carrying the
 * time it was submitted (CLOCK_REALTIME: both processes are on this host), and the job's
 * handler sends back how long after its submit it started. Between two jobs the parent
 * waits 2.2 to 3.2 s (random), so that the runner's pause has grown back to its cap and
 * each job meets an idle runner at a random point of its poll.
 *
 *   wake   the runner listens for local wake-ups (same host, same site)
 *   poll   the runner does not (no_wake): what a runner on another host sees
 *   idle   Questions, Com_select, Com_update and Com_commit of the server over 10 s
 *          with only the idle runner connected (the parent's two status reads taken out)
 *
 * Settings: the instance's env.sh (KBJOBS_DB_SOCKET, _USER, _PASSWORD, _NAME,
 * KBJOBS_HOME), KBJOBS_BENCH_OUT, KBJOBS_BENCH_PICKUPS (samples per mode, default 30),
 * KBJOBS_BENCH_IDLE_MS (the runner's idle_ms, default the engine's KBJ_DEFAULT_IDLE_MS).
 */
#include "kbj.h"

#include <errno.h>
#include <mysql.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PREFIX "kbp_"
#define QUEUE "pickup"

static const char *g_socket, *g_user, *g_password, *g_dbname, *g_home;
static char g_host[512], g_datadir[1024];
static int g_pipe[2];
static unsigned g_idle_ms;

static void die(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "bench_pickup: ");
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    exit(1);
}

static const char *env_req(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v)
        die("%s is not set (source the instance's env.sh)%s", name, "");
    return v;
}

static double realtime(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
    struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
    nanosleep(&ts, NULL);
}

static kbj_engine *engine_open(void)
{
    kbj_config cfg;
    kbj_engine *eng = kbj_engine_new();
    int rc;
    memset(&cfg, 0, sizeof cfg);
    cfg.db.host = g_host;
    cfg.db.user = g_user;
    cfg.db.password = g_password;
    cfg.db.database = g_dbname;
    cfg.db.prefix = PREFIX;
    cfg.data_dir = g_datadir;
    if (!eng)
        die("out of memory%s%s", "", "");
    if ((rc = kbj_engine_connect(eng, &cfg)) || (rc = kbj_migrate(eng)))
        die("connect: %s: %s", kbj_strerror(rc), kbj_errmsg(eng));
    return eng;
}

/* The job's handler: how long after its submit it started, to the parent. */
static int pickup_handler(kbj_ctx *ctx, void *udata)
{
    const char *p = kbj_ctx_params(ctx);
    const char *t = p ? strstr(p, "\"t\":") : NULL;
    double lat = t ? realtime() - strtod(t + 4, NULL) : -1;
    (void)udata;
    if (write(g_pipe[1], &lat, sizeof lat) != (ssize_t)sizeof lat)
        return KBJ_EIO;
    return KBJ_OK;
}

static void register_pickup(kbj_engine *eng)
{
    kbj_type_def def;
    memset(&def, 0, sizeof def);
    def.name = "bench.pickup";
    def.category = "diagnostics";
    def.queue = QUEUE;
    def.handler = pickup_handler;
    if (kbj_register_type(eng, &def))
        die("register: %s%s", kbj_errmsg(eng), "");
}

static pid_t start_runner(int no_wake)
{
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s%s", strerror(errno), "");
    if (pid == 0) {
        kbj_engine *eng = engine_open();
        const char *queues[] = { QUEUE };
        kbj_run_opts o = { .queues = queues, .nqueues = 1, .idle_ms = g_idle_ms, .no_wake = no_wake };
        kbj_run_report rep;
        int rc;
        register_pickup(eng);
        signal(SIGTERM, SIG_DFL);
        rc = kbj_run(eng, &o, &rep);
        kbj_engine_free(eng);
        _exit(rc ? 1 : 0);
    }
    return pid;
}

static void stop_runner(pid_t pid)
{
    int st;
    kill(pid, SIGTERM);
    waitpid(pid, &st, 0);
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(const double *v, int n, double p)
{
    int i = (int)(p * (n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

/* n pickups against an idle runner; prints p50, p99 and max in ms. */
static void measure(kbj_engine *eng, const char *what, int no_wake, int n, FILE *csv)
{
    pid_t pid = start_runner(no_wake);
    double *lat = calloc((size_t)n, sizeof *lat);
    unsigned seed = (unsigned)getpid();

    sleep_s(3.0); /* registered, and its pause grown to the cap */
    for (int i = 0; i < n; i++) {
        char params[64], id[KBJ_ID_LEN + 1];
        kbj_submit s = { .type = "bench.pickup", .queue = QUEUE, .params = params };
        int rc;
        snprintf(params, sizeof params, "{\"t\":%.6f}", realtime());
        if ((rc = kbj_submit_job(eng, &s, id, NULL)))
            die("submit: %s%s", kbj_errmsg(eng), "");
        if (read(g_pipe[0], &lat[i], sizeof lat[i]) != (ssize_t)sizeof lat[i])
            die("the runner died%s%s", "", "");
        sleep_s(2.2 + (rand_r(&seed) % 1000) / 1000.0);
    }
    stop_runner(pid);
    qsort(lat, (size_t)n, sizeof *lat, cmp);
    printf("pickup %-5s n=%d  p50 %7.1f ms  p99 %7.1f ms  max %7.1f ms\n", what, n, pct(lat, n, 0.5) * 1e3,
           pct(lat, n, 0.99) * 1e3, lat[n - 1] * 1e3);
    fprintf(csv, "%s,%d,%.3f,%.3f,%.3f\n", what, n, pct(lat, n, 0.5) * 1e3, pct(lat, n, 0.99) * 1e3,
            lat[n - 1] * 1e3);
    free(lat);
}

static long long status(MYSQL *db, const char *name)
{
    char sql[128];
    MYSQL_RES *r;
    MYSQL_ROW row;
    long long v = -1;
    snprintf(sql, sizeof sql, "SHOW GLOBAL STATUS LIKE '%s'", name);
    if (mysql_query(db, sql) || !(r = mysql_store_result(db)))
        die("%s%s", mysql_error(db), "");
    if ((row = mysql_fetch_row(r)))
        v = atoll(row[1]);
    mysql_free_result(r);
    return v;
}

/* The server's statements over 10 s with one idle runner (wake-ups on). */
static void idle_cost(FILE *csv)
{
    static const char *const names[] = { "Questions", "Com_select", "Com_update", "Com_commit" };
    long long before[4], after[4];
    MYSQL *db = mysql_init(NULL);
    pid_t pid = start_runner(0);

    if (!mysql_real_connect(db, "localhost", g_user, g_password, g_dbname, 0, g_socket, 0))
        die("%s%s", mysql_error(db), "");
    sleep_s(3.0);
    for (int i = 0; i < 4; i++)
        before[i] = status(db, names[i]);
    sleep_s(10.0);
    for (int i = 0; i < 4; i++)
        after[i] = status(db, names[i]);
    stop_runner(pid);
    /* the parent's own SHOW STATUS statements: 4 between the two Questions reads */
    after[0] -= 4;
    printf("idle runner over 10 s: %.1f queries/s (Com_select %.1f/s, Com_update %.1f/s, Com_commit %.1f/s)\n",
           (after[0] - before[0]) / 10.0, (after[1] - before[1]) / 10.0, (after[2] - before[2]) / 10.0,
           (after[3] - before[3]) / 10.0);
    fprintf(csv, "idle_qps,10,%.1f,%.1f,%.1f\n", (after[0] - before[0]) / 10.0, (after[1] - before[1]) / 10.0,
            (after[2] - before[2]) / 10.0);
    mysql_close(db);
}

int main(void)
{
    char path[1200];
    const char *outdir = getenv("KBJOBS_BENCH_OUT") && *getenv("KBJOBS_BENCH_OUT") ? getenv("KBJOBS_BENCH_OUT") : ".";
    int n = getenv("KBJOBS_BENCH_PICKUPS") ? atoi(getenv("KBJOBS_BENCH_PICKUPS")) : 30;
    kbj_engine *eng;
    FILE *csv;

    g_socket = env_req("KBJOBS_DB_SOCKET");
    g_user = env_req("KBJOBS_DB_USER");
    g_password = env_req("KBJOBS_DB_PASSWORD");
    g_dbname = env_req("KBJOBS_DB_NAME");
    g_home = env_req("KBJOBS_HOME");
    g_idle_ms = getenv("KBJOBS_BENCH_IDLE_MS") ? (unsigned)atoi(getenv("KBJOBS_BENCH_IDLE_MS")) : 0;
    if (n < 2)
        n = 2;
    snprintf(g_host, sizeof g_host, "localhost:%s", g_socket);
    snprintf(g_datadir, sizeof g_datadir, "%s/data/pickup", g_home);
    snprintf(path, sizeof path, "%s/data", g_home);
    mkdir(path, 0700);
    mkdir(g_datadir, 0700);
    if (pipe(g_pipe))
        die("pipe: %s%s", strerror(errno), "");
    snprintf(path, sizeof path, "%s/pickup.csv", outdir);
    if (!(csv = fopen(path, "w")))
        die("cannot write %s: %s", path, strerror(errno));
    fprintf(csv, "mode,n,p50_ms,p99_ms,max_ms\n");

    eng = engine_open();
    register_pickup(eng);
    printf("== Pickup latency: one idle runner, idle_ms %u (0: the default %u), %d jobs per mode ==\n",
           g_idle_ms, (unsigned)KBJ_DEFAULT_IDLE_MS, n);
    fflush(stdout);
    measure(eng, "wake", 0, n, csv);
    fflush(stdout);
    measure(eng, "poll", 1, n, csv);
    fflush(stdout);
    idle_cost(csv);
    kbj_engine_free(eng);
    fclose(csv);
    return 0;
}
