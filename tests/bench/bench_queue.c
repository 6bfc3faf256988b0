/*
 * bench_queue.c - the engine benchmark (run by `make bench`, see tests/bench/README.md).
 *
 * Measures, at default durability (innodb_flush_log_at_trx_commit=1), for N no-op jobs:
 *
 *   enqueue   engine kbj_submit_many (chunks of 1000) vs a raw multi-row INSERT loop
 *             (500 rows a statement, one transaction each) vs one INSERT per transaction
 *   engine    drain N diag.echo jobs with 1, 2, 4 runner processes (kbj_run, until_empty,
 *             claim_batch 100 and 500)
 *   naive     bare SQL, per job: one transaction SELECT ... FOR UPDATE SKIP LOCKED LIMIT 1 +
 *             UPDATE to running with a token, then one fenced completing UPDATE
 *   batched   bare SQL, per batch of B: one claim transaction (SKIP LOCKED + one UPDATE ...
 *             WHERE id IN (...)), then one fenced UPDATE completing them all (the ceiling)
 *   noop      the engine drain again with a job type whose handler sets no result
 *   batched-engine  the batched bare SQL with the engine's own statements on the engine's
 *             table: together with noop it splits the engine's gap into schema and code
 *   memory    the single-runner engine drain at N/10 and N: peak RSS should not grow
 *
 * Every measured piece of work runs in forked children that connect first, then wait at a
 * start line; the parent takes its snapshots (SHOW GLOBAL STATUS, /proc/<mariadbd>/stat,
 * /proc/stat) right before releasing them and right after the last one exited, and reads
 * each child's CPU time and peak RSS from wait4() (the numbers getrusage(RUSAGE_CHILDREN)
 * sums, but per run: RUSAGE_CHILDREN's ru_maxrss never goes down within one process).
 *
 * Settings come from the instance's env.sh (KBJOBS_DB_SOCKET, _USER, _PASSWORD, _NAME,
 * KBJOBS_HOME) and from KBJOBS_BENCH_JOBS (default 100000), KBJOBS_BENCH_OUT (results
 * directory), KBJOBS_BENCH_NAIVE_JOBS, KBJOBS_BENCH_ONLY (comma list of the sections
 * above, for quick experiments).
 */
#include "kbj.h"

#include <errno.h>
#include <mysql.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PREFIX "kbb_"
#define QUEUE "bench"
#define MAX_PROCS 16
#define MAX_ROWS 128

/* ---- settings ------------------------------------------------------------------------ */

static const char *g_socket, *g_user, *g_password, *g_dbname, *g_home, *g_outdir;
static char g_host[512], g_datadir[1024], g_pidfile[1024];
static long g_jobs, g_naive_jobs;
static const char *g_only;

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "bench_queue: ");
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

static long env_long(const char *name, long def)
{
    const char *v = getenv(name);
    char *end;
    long n;
    if (!v || !*v)
        return def;
    n = strtol(v, &end, 10);
    if (*end || n <= 0)
        die("%s must be a positive integer, got \"%s\"", name, v);
    return n;
}

static int wanted(const char *section)
{
    char buf[256], *tok, *save = NULL;
    if (!g_only || !*g_only)
        return 1;
    snprintf(buf, sizeof buf, "%s", g_only);
    for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
        if (strcmp(tok, section) == 0)
            return 1;
    return 0;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long long rand64(void)
{
    unsigned long long v = 0;
    if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v)
        v = (unsigned long long)getpid() * 2654435761ULL ^ (unsigned long long)time(NULL);
    v &= 0x1fffffffffffffULL; /* 53 bits, like the engine's tokens */
    return v ? (long long)v : 1;
}

/* ---- raw connections ------------------------------------------------------------------- */

static MYSQL *raw_connect(char *err, size_t cap)
{
    MYSQL *db = mysql_init(NULL);
    if (!db) {
        snprintf(err, cap, "mysql_init failed");
        return NULL;
    }
    mysql_optionsv(db, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    /* the same session settings as the engine's store: UTC, READ COMMITTED */
    mysql_optionsv(db, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'");
    mysql_optionsv(db, MYSQL_INIT_COMMAND, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
    if (!mysql_real_connect(db, "localhost", g_user, g_password, g_dbname, 0, g_socket, 0)) {
        snprintf(err, cap, "connect: %s", mysql_error(db));
        mysql_close(db);
        return NULL;
    }
    return db;
}

/* Runs a statement; on failure writes the reason into err and returns -1. */
static int q(MYSQL *db, char *err, size_t cap, const char *fmt, ...)
{
    char sql[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    if (mysql_query(db, sql)) {
        snprintf(err, cap, "%s: %.200s", mysql_error(db), sql);
        return -1;
    }
    return 0;
}

static int qlen(MYSQL *db, char *err, size_t cap, const char *sql, size_t len)
{
    if (mysql_real_query(db, sql, (unsigned long)len)) {
        snprintf(err, cap, "%s: %.200s", mysql_error(db), sql);
        return -1;
    }
    return 0;
}

/* The parent's own connection: status snapshots, table resets, checks. */
static MYSQL *g_mon;

static void mon(const char *fmt, ...)
{
    char sql[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    if (mysql_query(g_mon, sql))
        die("%s: %s", mysql_error(g_mon), sql);
    MYSQL_RES *r = mysql_store_result(g_mon);
    if (r)
        mysql_free_result(r);
}

static long long mon_int(const char *sql)
{
    MYSQL_RES *r;
    MYSQL_ROW row;
    long long v = 0;
    if (mysql_query(g_mon, sql) || !(r = mysql_store_result(g_mon)))
        die("%s: %s", mysql_error(g_mon), sql);
    if ((row = mysql_fetch_row(r)) && row[0])
        v = atoll(row[0]);
    mysql_free_result(r);
    return v;
}

static long long mon_status(const char *name)
{
    char sql[256];
    MYSQL_RES *r;
    MYSQL_ROW row;
    long long v = -1;
    snprintf(sql, sizeof sql, "SHOW GLOBAL STATUS LIKE '%s'", name);
    if (mysql_query(g_mon, sql) || !(r = mysql_store_result(g_mon)))
        die("%s: %s", mysql_error(g_mon), sql);
    if ((row = mysql_fetch_row(r)) && row[1])
        v = atoll(row[1]);
    mysql_free_result(r);
    return v;
}

/* ---- measurements ------------------------------------------------------------------------ */

typedef struct snap {
    double wall;
    double db_cpu;                       /* mariadbd utime + stime, seconds */
    unsigned long long host_busy, host_all; /* /proc/stat jiffies, all cores */
    long long commits, fsyncs, questions;
} snap;

static pid_t g_mariadbd;

static double proc_cpu(pid_t pid)
{
    char path[64], buf[4096], *p;
    unsigned long long ut = 0, st = 0;
    FILE *f;
    size_t n;
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (!(f = fopen(path, "r")))
        die("cannot read %s: %s", path, strerror(errno));
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* fields after "(comm)": state is field 3, utime 14, stime 15 */
    p = strrchr(buf, ')');
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        die("cannot parse %s", path);
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static void host_cpu(unsigned long long *busy, unsigned long long *all)
{
    unsigned long long v[10] = { 0 };
    FILE *f = fopen("/proc/stat", "r");
    if (!f || fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
                     &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]) < 8)
        die("cannot read /proc/stat");
    fclose(f);
    *all = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
    *busy = *all - v[3] - v[4]; /* minus idle and iowait */
}

static void take(snap *s)
{
    s->commits = mon_status("Com_commit");
    s->fsyncs = mon_status("Innodb_data_fsyncs");
    s->questions = mon_status("Questions");
    s->db_cpu = proc_cpu(g_mariadbd);
    host_cpu(&s->host_busy, &s->host_all);
    s->wall = now();
}

/* Waits (up to 30 s) until InnoDB has purged the history of earlier runs, so one run's
 * background work is not billed to the next. */
static void quiesce(void)
{
    for (int i = 0; i < 300 && mon_status("Innodb_history_list_length") > 1000; i++)
        usleep(100000);
}

/* One line of results. */
typedef struct row {
    char section[12];
    char what[40];
    int procs;
    unsigned batch;
    long jobs;
    double secs, rate;
    double commits_pj, fsyncs_pj, stmts_pj;
    double db_cpu, run_cpu, host_busy;  /* host_busy: share of all cores, 0..1 */
    double other_cpu;                   /* CPU seconds spent by everything else on the host */
    long rss_kb;                        /* peak RSS of one child */
} row;

static row g_rows[MAX_ROWS];
static size_t g_nrows;

/* ---- the children ------------------------------------------------------------------------- */

typedef enum kind {
    K_MIGRATE,        /* setup: connect and kbj_migrate */
    K_ENGINE_SUBMIT,  /* kbj_submit_many of jobs, chunks of 1000 */
    K_ENGINE_DRAIN,   /* kbj_run until empty */
    K_RAW_INSERT,     /* multi-row or single-row INSERTs, one transaction per statement */
    K_NAIVE,          /* per-job claim + complete */
    K_BATCHED,        /* per-batch claim + complete */
} kind;

typedef enum table_kind { T_BENCH_Q, T_ENGINE } table_kind;

typedef struct spec {
    kind k;
    int procs;
    unsigned batch;        /* claim batch; rows per INSERT */
    long jobs;             /* to insert (split between procs) or expected to drain */
    const char *type;      /* engine job type */
    table_kind table;
} spec;

typedef struct child_out {
    long long jobs;
    int rc;
    char err[480];
} child_out;

static int g_ready_fd = -1, g_go_fd = -1;

/* Tells the parent this child is connected, then waits for the start. */
static void start_line(void)
{
    char c = 1, d;
    if (write(g_ready_fd, &c, 1) != 1)
        _exit(3);
    while (read(g_go_fd, &d, 1) < 0 && errno == EINTR)
        ;
}

static kbj_engine *engine_open(unsigned batch, char *err, size_t cap)
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
    cfg.claim_batch = batch;
    if (!eng) {
        snprintf(err, cap, "out of memory");
        return NULL;
    }
    if ((rc = kbj_engine_connect(eng, &cfg)) || (rc = kbj_register_builtin_types(eng))) {
        snprintf(err, cap, "kbj_engine_connect: %s: %s", kbj_strerror(rc), kbj_errmsg(eng));
        kbj_engine_free(eng);
        return NULL;
    }
    return eng;
}

/* A job type whose handler does nothing and sets no result. */
static int noop_handler(kbj_ctx *ctx, void *udata)
{
    (void)ctx;
    (void)udata;
    return 0;
}

static int register_noop(kbj_engine *eng, char *err, size_t cap)
{
    kbj_type_def def;
    int rc;
    memset(&def, 0, sizeof def);
    def.name = "bench.noop";
    def.category = "diagnostics";
    def.queue = QUEUE;
    def.handler = noop_handler;
    if ((rc = kbj_register_type(eng, &def))) {
        snprintf(err, cap, "kbj_register_type: %s", kbj_errmsg(eng));
        return rc;
    }
    return 0;
}

static int child_migrate(const spec *s, child_out *o)
{
    kbj_engine *eng = engine_open(0, o->err, sizeof o->err);
    int rc;
    (void)s;
    start_line();
    if (!eng)
        return -1;
    rc = kbj_migrate(eng);
    if (rc)
        snprintf(o->err, sizeof o->err, "kbj_migrate: %s", kbj_errmsg(eng));
    kbj_engine_free(eng);
    return rc;
}

static int child_engine_submit(const spec *s, long share, child_out *o)
{
    enum { CHUNK = 1000 };
    kbj_submit jobs[CHUNK];
    static char ids[CHUNK][KBJ_ID_LEN + 1];
    kbj_engine *eng = engine_open(0, o->err, sizeof o->err);
    int rc = 0;
    start_line();
    if (!eng)
        return -1;
    memset(jobs, 0, sizeof jobs);
    for (size_t i = 0; i < CHUNK; i++) {
        jobs[i].type = s->type;
        jobs[i].queue = QUEUE;
    }
    for (long done = 0; done < share && rc == 0;) {
        size_t n = share - done < CHUNK ? (size_t)(share - done) : CHUNK;
        rc = kbj_submit_many(eng, jobs, n, ids);
        if (rc)
            snprintf(o->err, sizeof o->err, "kbj_submit_many: %s", kbj_errmsg(eng));
        else
            done += (long)n;
        o->jobs = done;
    }
    kbj_engine_free(eng);
    return rc;
}

static int child_engine_drain(const spec *s, child_out *o)
{
    static const char *const queues[] = { QUEUE };
    kbj_run_opts opts;
    kbj_run_report rep;
    kbj_engine *eng = engine_open(s->batch, o->err, sizeof o->err);
    int rc;
    if (eng && strcmp(s->type, "bench.noop") == 0 && register_noop(eng, o->err, sizeof o->err)) {
        kbj_engine_free(eng);
        eng = NULL;
    }
    start_line();
    if (!eng)
        return -1;
    memset(&opts, 0, sizeof opts);
    opts.queues = queues;
    opts.nqueues = 1;
    opts.until_empty = 1;
    rc = kbj_run(eng, &opts, &rep);
    o->jobs = (long long)rep.completed;
    if (rc)
        snprintf(o->err, sizeof o->err, "kbj_run: %s: %s", kbj_strerror(rc), kbj_errmsg(eng));
    else if (rep.failed || rep.lost || rep.retried || rep.interrupted)
        snprintf(o->err, sizeof o->err, "kbj_run: %lu failed, %lu lost, %lu retried, %lu interrupted",
                 rep.failed, rep.lost, rep.retried, rep.interrupted), rc = -1;
    kbj_engine_free(eng);
    return rc;
}

static void hex_id(char out[17])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[8];
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
        memset(raw, 0, sizeof raw);
    for (int i = 0; i < 8; i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 15];
    }
    out[16] = '\0';
}

static int child_raw_insert(const spec *s, long share, child_out *o)
{
    MYSQL *db = raw_connect(o->err, sizeof o->err);
    size_t cap = 256 + (size_t)s->batch * 256, off;
    char *sql = malloc(cap);
    int rc = 0;
    start_line();
    if (!db || !sql) {
        free(sql);
        return -1;
    }
    mysql_autocommit(db, 0);
    for (long done = 0; done < share && rc == 0;) {
        long n = share - done < (long)s->batch ? share - done : (long)s->batch;
        if (s->table == T_BENCH_Q) {
            off = (size_t)snprintf(sql, cap, "INSERT INTO bench_q (status, priority, run_at) VALUES ");
            for (long i = 0; i < n; i++)
                off += (size_t)snprintf(sql + off, cap - off, "%s('queued',0,NOW(6))", i ? "," : "");
        } else {
            /* the engine's rows, as kbj_submit_many writes them for a job with defaults: the
             * payload, then the state under the same ids (consecutive here: one inserter) */
            off = (size_t)snprintf(sql, cap,
                                   "INSERT INTO " PREFIX "kbjobs_job_data (public_id, type, params,"
                                   " max_attempts, backoff, backoff_base_ms, backoff_cap_ms, backoff_jitter,"
                                   " on_expiry, created_at, updated_at) VALUES ");
            for (long i = 0; i < n; i++) {
                char id[17];
                hex_id(id);
                off += (size_t)snprintf(sql + off, cap - off,
                                        "%s('%s','diag.echo','{}',5,'polynomial',15000,3600000,0.1,"
                                        "'interrupt',NOW(6),NOW(6))", i ? "," : "", id);
            }
            rc = qlen(db, o->err, sizeof o->err, sql, off);
            off = (size_t)snprintf(sql, cap,
                                   "INSERT INTO " PREFIX "kbjobs_job_state (id, queue, status, priority, run_at,"
                                   " updated_at) SELECT id, '" QUEUE "', 'queued', 0, NOW(6), NOW(6) FROM "
                                   PREFIX "kbjobs_job_data WHERE id >= LAST_INSERT_ID() AND id < LAST_INSERT_ID() + %ld",
                                   n);
        }
        if (rc == 0)
            rc = qlen(db, o->err, sizeof o->err, sql, off);
        if (rc == 0)
            rc = q(db, o->err, sizeof o->err, "COMMIT");
        if (rc == 0)
            done += n;
        o->jobs = done;
    }
    free(sql);
    mysql_close(db);
    return rc;
}

#define BQ_CLAIM \
    "SELECT id FROM bench_q WHERE status = 'queued' AND run_at <= NOW(6)" \
    " ORDER BY priority, run_at, id LIMIT %u FOR UPDATE SKIP LOCKED"

/* The engine's own statements as bare text SQL on the engine's table: what the schema
 * costs without the engine's code. The claim SELECT is the engine's (kbj_claim_sql, as the
 * engine tests use it), so it follows changes to lease.c; EQ_TAKE, EQ_READ and EQ_DONE
 * copy its claim UPDATE, the read of what it took and the completion of jobs without a
 * result (on the state table, schema 14). */
extern const char *kbj_claim_sql(void);
static char *g_eq_claim; /* printf format with one %u: the batch size */

static void build_eq_claim(void)
{
    const char *src = kbj_claim_sql();
    size_t cap = strlen(src) * 2 + 64, o = 0;
    int nq = 0;
    g_eq_claim = malloc(cap);
    if (!g_eq_claim)
        die("out of memory");
    for (const char *c = src; *c; c++) {
        const char *put = NULL;
        char one[2] = { *c, 0 };
        if (strncmp(c, "{p}", 3) == 0) {
            put = PREFIX;
            c += 2;
        } else if (*c == '?') {
            put = nq++ == 0 ? "'" QUEUE "'" : "%u";
        } else if (*c == '%') {
            put = "%%";
        } else {
            put = one;
        }
        if (o + strlen(put) + 1 > cap)
            die("claim SQL too long");
        memcpy(g_eq_claim + o, put, strlen(put));
        o += strlen(put);
    }
    g_eq_claim[o] = '\0';
    if (nq != 2)
        die("kbj_claim_sql() has %d parameters, expected 2 (queue, limit): update bench_queue.c", nq);
}

#define EQ_TAKE \
    "UPDATE " PREFIX "kbjobs_job_state SET status = 'running', lease_owner = 'b0b0b0b0b0b0b0b0'," \
    " lease_token = %lld, lease_expires = NOW(6) + INTERVAL 60 SECOND, attempts = attempts + 1," \
    " cancel_requested = 0, started_at = NOW(6), updated_at = NOW(6) WHERE id IN (%s)"
/* what a claim then reads of the jobs it took (lease.c's CLAIMED_SELECT, its columns) */
#define EQ_READ \
    "SELECT s.id, s.concurrency_key, d.public_id, d.type, s.queue, d.params, s.attempts, d.max_attempts," \
    " d.backoff, d.backoff_base_ms, d.backoff_cap_ms, d.backoff_jitter, d.progress_done, d.progress_total," \
    " d.uniq_active IS NOT NULL FROM " PREFIX "kbjobs_job_state s JOIN " PREFIX "kbjobs_job_data d" \
    " ON d.id = s.id WHERE s.id IN (%s) ORDER BY s.id"
#define EQ_DONE \
    "UPDATE " PREFIX "kbjobs_job_state SET status = 'completed', finished_at = NOW(6)," \
    " updated_at = NOW(6), lease_expires = NULL" \
    " WHERE lease_token = %lld AND status = 'running' AND id IN (%s)"
#define BQ_TAKE \
    "UPDATE bench_q SET status = 'running', token = %lld," \
    " lease_expires = NOW(6) + INTERVAL 60 SECOND WHERE id IN (%s)"
#define BQ_DONE \
    "UPDATE bench_q SET status = 'done', lease_expires = NULL" \
    " WHERE token = %lld AND status = 'running' AND id IN (%s)"

static int child_naive(const spec *s, child_out *o)
{
    MYSQL *db = raw_connect(o->err, sizeof o->err);
    int rc = 0;
    (void)s;
    start_line();
    if (!db)
        return -1;
    mysql_autocommit(db, 0); /* every transaction ends with a COMMIT statement */
    for (;;) {
        MYSQL_RES *r;
        MYSQL_ROW rw;
        long long id, token = rand64();
        if ((rc = q(db, o->err, sizeof o->err, BQ_CLAIM, 1u)))
            break;
        r = mysql_store_result(db);
        rw = r ? mysql_fetch_row(r) : NULL;
        id = rw ? atoll(rw[0]) : 0;
        if (r)
            mysql_free_result(r);
        if (!id) {
            rc = q(db, o->err, sizeof o->err, "COMMIT");
            break;
        }
        if ((rc = q(db, o->err, sizeof o->err,
                    "UPDATE bench_q SET status = 'running', token = %lld,"
                    " lease_expires = NOW(6) + INTERVAL 60 SECOND WHERE id = %lld", token, id)) ||
            (rc = q(db, o->err, sizeof o->err, "COMMIT")))
            break;
        /* the work (none), then the fenced completion */
        if ((rc = q(db, o->err, sizeof o->err,
                    "UPDATE bench_q SET status = 'done', lease_expires = NULL"
                    " WHERE id = %lld AND token = %lld AND status = 'running'", id, token)))
            break;
        if (mysql_affected_rows(db) != 1) {
            snprintf(o->err, sizeof o->err, "job %lld was fenced out", id);
            rc = -1;
            break;
        }
        if ((rc = q(db, o->err, sizeof o->err, "COMMIT")))
            break;
        o->jobs++;
    }
    mysql_close(db);
    return rc;
}

static int child_batched(const spec *s, child_out *o)
{
    MYSQL *db = raw_connect(o->err, sizeof o->err);
    size_t cap = 512 + (size_t)s->batch * 24;
    char *ids = malloc(cap), *sql = malloc(cap + 1024);
    int rc = 0, eng = s->table == T_ENGINE;
    start_line();
    if (!db || !ids || !sql) {
        free(ids);
        free(sql);
        return -1;
    }
    mysql_autocommit(db, 0);
    for (;;) {
        MYSQL_RES *r;
        MYSQL_ROW rw;
        long long token = rand64();
        size_t off = 0;
        unsigned long long n = 0;
        int len;
        if ((rc = q(db, o->err, sizeof o->err, eng ? g_eq_claim : BQ_CLAIM, s->batch)))
            break;
        if (!(r = mysql_store_result(db))) {
            snprintf(o->err, sizeof o->err, "no result: %s", mysql_error(db));
            rc = -1;
            break;
        }
        while ((rw = mysql_fetch_row(r))) {
            off += (size_t)snprintf(ids + off, cap - off, "%s%s", n ? "," : "", rw[0]);
            n++;
        }
        mysql_free_result(r);
        if (n == 0) {
            rc = q(db, o->err, sizeof o->err, "COMMIT");
            break;
        }
        len = snprintf(sql, cap + 1024, eng ? EQ_TAKE : BQ_TAKE, token, ids);
        if ((rc = qlen(db, o->err, sizeof o->err, sql, (size_t)len)))
            break;
        if (eng) {
            len = snprintf(sql, cap + 1024, EQ_READ, ids);
            if ((rc = qlen(db, o->err, sizeof o->err, sql, (size_t)len)))
                break;
            mysql_free_result(mysql_store_result(db));
        }
        if ((rc = q(db, o->err, sizeof o->err, "COMMIT")))
            break;
        len = snprintf(sql, cap + 1024, eng ? EQ_DONE : BQ_DONE, token, ids);
        if ((rc = qlen(db, o->err, sizeof o->err, sql, (size_t)len)))
            break;
        if (mysql_affected_rows(db) != n) {
            snprintf(o->err, sizeof o->err, "%llu of %llu jobs were fenced out",
                     n - (unsigned long long)mysql_affected_rows(db), n);
            rc = -1;
            break;
        }
        if ((rc = q(db, o->err, sizeof o->err, "COMMIT")))
            break;
        o->jobs += (long long)n;
    }
    free(ids);
    free(sql);
    mysql_close(db);
    return rc;
}

static void child_main(const spec *s, int idx, child_out *o)
{
    long share = s->jobs / s->procs + (idx < s->jobs % s->procs ? 1 : 0);
    switch (s->k) {
    case K_MIGRATE: o->rc = child_migrate(s, o); break;
    case K_ENGINE_SUBMIT: o->rc = child_engine_submit(s, share, o); break;
    case K_ENGINE_DRAIN: o->rc = child_engine_drain(s, o); break;
    case K_RAW_INSERT: o->rc = child_raw_insert(s, share, o); break;
    case K_NAIVE: o->rc = child_naive(s, o); break;
    case K_BATCHED: o->rc = child_batched(s, o); break;
    }
}

/* ---- the parent: runs one spec in children and measures it ------------------------------ */

typedef struct outcome {
    long long jobs;
    double secs, db_cpu, run_cpu, host_busy;
    double commits_pj, fsyncs_pj, stmts_pj;
    long rss_kb;
} outcome;

static void run_spec(const spec *s, outcome *out)
{
    int ready[2], go[2], res[MAX_PROCS][2];
    pid_t pids[MAX_PROCS];
    child_out co[MAX_PROCS];
    snap a, b;
    long long jobs = 0;
    int failed = 0;

    if (s->procs < 1 || s->procs > MAX_PROCS)
        die("bad process count %d", s->procs);
    if (pipe(ready) || pipe(go))
        die("pipe: %s", strerror(errno));
    fflush(NULL);
    for (int i = 0; i < s->procs; i++) {
        if (pipe(res[i]))
            die("pipe: %s", strerror(errno));
        pids[i] = fork();
        if (pids[i] < 0)
            die("fork: %s", strerror(errno));
        if (pids[i] == 0) {
            child_out o;
            ssize_t w;
            memset(&o, 0, sizeof o);
            close(ready[0]);
            close(go[1]);
            close(res[i][0]);
            g_ready_fd = ready[1];
            g_go_fd = go[0];
            child_main(s, i, &o);
            w = write(res[i][1], &o, sizeof o);
            /* _exit: the parent's connection is shared by fork and must not be closed here */
            _exit(w == (ssize_t)sizeof o ? 0 : 4);
        }
        close(res[i][1]);
    }
    close(ready[1]);
    close(go[0]);
    for (int i = 0; i < s->procs; i++) {
        char c;
        if (read(ready[0], &c, 1) != 1)
            die("a child died before the start");
    }
    close(ready[0]);
    take(&a);
    close(go[1]); /* the start: every child's read returns */

    memset(out, 0, sizeof *out);
    for (int i = 0; i < s->procs; i++) {
        struct rusage ru;
        int status;
        if (wait4(pids[i], &status, 0, &ru) < 0)
            die("wait4: %s", strerror(errno));
        out->run_cpu += (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
                        (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
        if (ru.ru_maxrss > out->rss_kb)
            out->rss_kb = ru.ru_maxrss;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "bench_queue: child %d ended abnormally (status %d)\n", i, status);
            failed = 1;
        }
    }
    take(&b);
    for (int i = 0; i < s->procs; i++) {
        ssize_t n = read(res[i][0], &co[i], sizeof co[i]);
        close(res[i][0]);
        if (n != (ssize_t)sizeof co[i]) {
            failed = 1;
            continue;
        }
        jobs += co[i].jobs;
        if (co[i].rc) {
            fprintf(stderr, "bench_queue: child %d: %s\n", i, co[i].err);
            failed = 1;
        }
    }
    if (failed)
        die("a run failed");
    out->jobs = jobs;
    out->secs = b.wall - a.wall;
    out->db_cpu = b.db_cpu - a.db_cpu;
    out->host_busy = b.host_all > a.host_all
                         ? (double)(b.host_busy - a.host_busy) / (double)(b.host_all - a.host_all) : 0;
    if (jobs) {
        /* the parent's own snapshot statements (3 per snapshot) are not the run's */
        out->commits_pj = (double)(b.commits - a.commits) / (double)jobs;
        out->fsyncs_pj = (double)(b.fsyncs - a.fsyncs) / (double)jobs;
        out->stmts_pj = (double)(b.questions - a.questions - 3) / (double)jobs;
    }
}

static row *record(const char *section, const char *what, const spec *s, const outcome *o)
{
    row *r;
    if (g_nrows == MAX_ROWS)
        die("too many rows");
    r = &g_rows[g_nrows++];
    memset(r, 0, sizeof *r);
    snprintf(r->section, sizeof r->section, "%s", section);
    snprintf(r->what, sizeof r->what, "%s", what);
    r->procs = s->procs;
    r->batch = s->batch;
    r->jobs = (long)o->jobs;
    r->secs = o->secs;
    r->rate = o->secs > 0 ? (double)o->jobs / o->secs : 0;
    r->commits_pj = o->commits_pj;
    r->fsyncs_pj = o->fsyncs_pj;
    r->stmts_pj = o->stmts_pj;
    r->db_cpu = o->db_cpu;
    r->run_cpu = o->run_cpu;
    r->host_busy = o->host_busy;
    r->other_cpu = o->host_busy * (double)sysconf(_SC_NPROCESSORS_ONLN) * o->secs - o->db_cpu - o->run_cpu;
    if (r->other_cpu < 0)
        r->other_cpu = 0;
    r->rss_kb = o->rss_kb;
    printf("  %-8s %-30s p=%d B=%-4u %8ld jobs %7.2f s %9.0f jobs/s  db %.1f s  runners %.1f s  "
           "host %3.0f%%  rss %.1f MiB\n", r->section, r->what, r->procs, r->batch, r->jobs, r->secs,
           r->rate, r->db_cpu, r->run_cpu, r->host_busy * 100, r->rss_kb / 1024.0);
    fflush(stdout);
    return r;
}

static const row *find(const char *what, int procs, unsigned batch)
{
    for (size_t i = 0; i < g_nrows; i++)
        if (strcmp(g_rows[i].what, what) == 0 && g_rows[i].procs == procs && g_rows[i].batch == batch)
            return &g_rows[i];
    return NULL;
}

/* ---- the setups ------------------------------------------------------------------------- */

static void reset_engine(void)
{
    /* every table of the engine's schema but its meta table, whatever the version */
    MYSQL_RES *r;
    MYSQL_ROW rw;
    char names[32][72];
    size_t n = 0;
    if (mysql_query(g_mon, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"
                           " AND TABLE_NAME LIKE '" PREFIX "kbjobs\\_%' AND TABLE_NAME <> '" PREFIX "kbjobs_meta'"
                           " AND TABLE_TYPE = 'BASE TABLE'")
        || !(r = mysql_store_result(g_mon)))
        die("listing the engine's tables: %s", mysql_error(g_mon));
    while ((rw = mysql_fetch_row(r)) && n < 32)
        snprintf(names[n++], sizeof names[0], "%s", rw[0]);
    mysql_free_result(r);
    if (n == 0)
        die("no engine tables with the prefix " PREFIX);
    for (size_t i = 0; i < n; i++)
        mon("TRUNCATE TABLE `%s`", names[i]);
}

static void reset_bench_q(void)
{
    mon("DROP TABLE IF EXISTS bench_q");
    mon("CREATE TABLE bench_q ("
        " id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,"
        " status VARCHAR(12) CHARACTER SET ascii NOT NULL,"
        " token BIGINT NOT NULL DEFAULT 0,"
        " lease_expires DATETIME(6) NULL,"
        " priority SMALLINT NOT NULL DEFAULT 0,"
        " run_at DATETIME(6) NOT NULL,"
        " KEY claim (status, priority, run_at, id)) ENGINE=InnoDB");
}

static double g_setup_rates[64];
static size_t g_nsetup;

/* Empties the engine's tables and submits n jobs of `type` (not part of the figures). */
static void fill_engine(const char *type, long n)
{
    spec s = { K_ENGINE_SUBMIT, 1, 1000, n, type, T_ENGINE };
    outcome o;
    reset_engine();
    run_spec(&s, &o);
    if (o.jobs != n)
        die("submitted %lld jobs, wanted %ld", o.jobs, n);
    if (g_nsetup < sizeof g_setup_rates / sizeof g_setup_rates[0])
        g_setup_rates[g_nsetup++] = o.jobs / o.secs;
    quiesce();
}

static void fill_bench_q(long n)
{
    spec s = { K_RAW_INSERT, 1, 1000, n, NULL, T_BENCH_Q };
    outcome o;
    reset_bench_q();
    run_spec(&s, &o);
    if (o.jobs != n)
        die("inserted %lld rows, wanted %ld", o.jobs, n);
    quiesce();
}

static void check_drained(const char *table, const char *done_status, long n)
{
    char sql[256];
    long long done, all;
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM %s WHERE status = '%s'", table, done_status);
    done = mon_int(sql);
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM %s", table);
    all = mon_int(sql);
    if (done != n || all != n)
        die("%s: %lld of %lld rows are %s, expected all %ld", table, done, all, done_status, n);
}

/* ---- the sections ---------------------------------------------------------------------------- */

static const int g_procs[] = { 1, 2, 4 };
static const unsigned g_batches[] = { 100, 500 };
#define NPROCS (sizeof g_procs / sizeof g_procs[0])
#define NBATCH (sizeof g_batches / sizeof g_batches[0])

static void section_enqueue(void)
{
    long single = g_naive_jobs;
    outcome o;
    printf("enqueue\n");
    {
        spec s = { K_ENGINE_SUBMIT, 1, 1000, g_jobs, "diag.echo", T_ENGINE };
        reset_engine();
        quiesce();
        run_spec(&s, &o);
        record("enqueue", "engine kbj_submit_many", &s, &o);
    }
    {
        spec s = { K_RAW_INSERT, 1, 500, g_jobs, NULL, T_BENCH_Q };
        reset_bench_q();
        quiesce();
        run_spec(&s, &o);
        record("enqueue", "raw INSERT x500 bench_q", &s, &o);
    }
    {
        spec s = { K_RAW_INSERT, 1, 500, g_jobs, NULL, T_ENGINE };
        reset_engine();
        quiesce();
        run_spec(&s, &o);
        record("enqueue", "raw INSERT x500 engine table", &s, &o);
    }
    {
        spec s = { K_RAW_INSERT, 1, 1, single, NULL, T_BENCH_Q };
        reset_bench_q();
        quiesce();
        run_spec(&s, &o);
        record("enqueue", "raw INSERT x1 bench_q", &s, &o);
    }
}

static void drain_engine(const char *type, const char *what, int procs, unsigned batch)
{
    spec s = { K_ENGINE_DRAIN, procs, batch, g_jobs, type, T_ENGINE };
    outcome o;
    fill_engine(type, g_jobs);
    run_spec(&s, &o);
    check_drained(PREFIX "kbjobs_jobs", "completed", g_jobs);
    if (o.jobs != g_jobs)
        die("the runners report %lld completed jobs, expected %ld", o.jobs, g_jobs);
    record("drain", what, &s, &o);
}

static void drain_batched(table_kind t, int procs, unsigned batch)
{
    spec s = { K_BATCHED, procs, batch, g_jobs, NULL, t };
    outcome o;
    if (t == T_ENGINE) {
        fill_engine("diag.echo", g_jobs);
        run_spec(&s, &o);
        check_drained(PREFIX "kbjobs_jobs", "completed", g_jobs);
        record("drain", "batched SQL engine table", &s, &o);
    } else {
        fill_bench_q(g_jobs);
        run_spec(&s, &o);
        check_drained("bench_q", "done", g_jobs);
        record("drain", "batched SQL", &s, &o);
    }
}

/* The batched drains, interleaved so that the runs compared with each other ran close in
 * time: the load of other work on a shared machine comes and goes. */
static void section_drains(void)
{
    printf("drain: engine and batched bare SQL, interleaved\n");
    for (size_t b = 0; b < NBATCH; b++)
        for (size_t p = 0; p < NPROCS; p++) {
            if (wanted("engine"))
                drain_engine("diag.echo", "engine diag.echo", g_procs[p], g_batches[b]);
            if (wanted("batched"))
                drain_batched(T_BENCH_Q, g_procs[p], g_batches[b]);
            if (wanted("noop"))
                drain_engine("bench.noop", "engine bench.noop (no result)", g_procs[p], g_batches[b]);
            if (wanted("batched-engine"))
                drain_batched(T_ENGINE, g_procs[p], g_batches[b]);
        }
}

static void section_memory(void)
{
    long small = g_jobs / 10;
    outcome o;
    spec s = { K_ENGINE_DRAIN, 1, 100, small, "diag.echo", T_ENGINE };
    printf("memory: one runner, B=100, N/10 and N\n");
    fill_engine("diag.echo", small);
    run_spec(&s, &o);
    check_drained(PREFIX "kbjobs_jobs", "completed", small);
    record("memory", "engine diag.echo N/10", &s, &o);
    if (!find("engine diag.echo", 1, 100)) {
        s.jobs = g_jobs;
        fill_engine("diag.echo", g_jobs);
        run_spec(&s, &o);
        check_drained(PREFIX "kbjobs_jobs", "completed", g_jobs);
        record("drain", "engine diag.echo", &s, &o);
    }
}

static void section_naive(void)
{
    outcome o;
    printf("drain: naive bare SQL (%ld jobs)\n", g_naive_jobs);
    for (size_t p = 0; p < NPROCS; p++) {
        spec s = { K_NAIVE, g_procs[p], 1, g_naive_jobs, NULL, T_BENCH_Q };
        fill_bench_q(g_naive_jobs);
        run_spec(&s, &o);
        check_drained("bench_q", "done", g_naive_jobs);
        record("drain", "naive SQL", &s, &o);
    }
}

/* ---- the report ----------------------------------------------------------------------------- */

static FILE *g_summary;

/* Prints to stdout and to summary.txt. */
static void out(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    if (g_summary) {
        va_start(ap, fmt);
        vfprintf(g_summary, fmt, ap);
        va_end(ap);
    }
}

static void print_table(void)
{
    out("\n%-8s %-30s %2s %4s %8s %7s %9s %8s %8s %7s %7s %7s %7s %7s %5s %7s\n", "section", "what", "p", "B",
        "jobs", "secs", "jobs/s", "commit/j", "fsync/j", "stmt/j", "db cpu", "db us/j", "run cpu", "others",
        "host", "rss MiB");
    static const char *const order[] = { "engine kbj_submit_many", "raw INSERT x500 bench_q",
        "raw INSERT x500 engine table", "raw INSERT x1 bench_q", "naive SQL", "engine diag.echo",
        "batched SQL", "engine bench.noop (no result)", "batched SQL engine table",
        "engine diag.echo N/10" };
    const row *sorted[MAX_ROWS];
    size_t ns = 0;
    for (size_t w = 0; w < sizeof order / sizeof order[0]; w++)
        for (size_t i = 0; i < g_nrows; i++)
            if (strcmp(g_rows[i].what, order[w]) == 0)
                sorted[ns++] = &g_rows[i];
    for (size_t i = 0; i < g_nrows; i++) {
        int seen = 0;
        for (size_t j = 0; j < ns && !seen; j++)
            seen = sorted[j] == &g_rows[i];
        if (!seen)
            sorted[ns++] = &g_rows[i];
    }
    for (size_t i = 0; i < ns; i++) {
        const row *r = sorted[i];
        out("%-8s %-30s %2d %4u %8ld %7.2f %9.0f %8.4f %8.4f %7.3f %7.2f %7.0f %7.2f %7.2f %4.0f%% %7.1f\n",
            r->section, r->what, r->procs, r->batch, r->jobs, r->secs, r->rate, r->commits_pj,
            r->fsyncs_pj, r->stmts_pj, r->db_cpu, r->jobs ? r->db_cpu * 1e6 / (double)r->jobs : 0,
            r->run_cpu, r->other_cpu, r->host_busy * 100, r->rss_kb / 1024.0);
    }
}

static const char *verdict(double v, double target, int higher_is_better)
{
    return (higher_is_better ? v >= target : v <= target) ? "met" : "MISSED";
}

/* mariadbd CPU per job, microseconds */
static double us_pj(const row *r)
{
    return r->jobs ? r->db_cpu * 1e6 / (double)r->jobs : 0;
}

static void print_ratios(void)
{
    const row *a, *b;
    out("\nratios\n");
    for (size_t p = 0; p < NPROCS; p++)
        for (size_t k = 0; k < NBATCH; k++) {
            a = find("engine diag.echo", g_procs[p], g_batches[k]);
            b = find("naive SQL", g_procs[p], 1);
            if (a && b && b->rate > 0)
                out("  engine (B=%-3u) / naive SQL,        p=%d: %6.1fx   (target >= 25x: %s; mariadbd CPU"
                    " per job %.0f vs %.0f us)\n", g_batches[k], g_procs[p], a->rate / b->rate,
                    verdict(a->rate / b->rate, 25, 1), us_pj(a), us_pj(b));
        }
    for (size_t k = 0; k < NBATCH; k++)
        for (size_t p = 0; p < NPROCS; p++) {
            a = find("engine diag.echo", g_procs[p], g_batches[k]);
            b = find("batched SQL", g_procs[p], g_batches[k]);
            if (a && b && b->rate > 0)
                out("  engine / batched SQL, B=%-3u,       p=%d: %6.2f    (target >= 0.70: %s; mariadbd CPU"
                    " per job %.0f vs %.0f us)\n", g_batches[k], g_procs[p], a->rate / b->rate,
                    verdict(a->rate / b->rate, 0.7, 1), us_pj(a), us_pj(b));
        }
    for (size_t k = 0; k < NBATCH; k++)
        for (size_t p = 0; p < NPROCS; p++) {
            a = find("engine bench.noop (no result)", g_procs[p], g_batches[k]);
            b = find("batched SQL", g_procs[p], g_batches[k]);
            if (a && b && b->rate > 0)
                out("  engine no-result / batched, B=%-3u, p=%d: %6.2f    (for comparison)\n",
                    g_batches[k], g_procs[p], a->rate / b->rate);
        }
    for (size_t k = 0; k < NBATCH; k++)
        for (size_t p = 0; p < NPROCS; p++) {
            a = find("batched SQL engine table", g_procs[p], g_batches[k]);
            b = find("batched SQL", g_procs[p], g_batches[k]);
            if (a && b && b->rate > 0)
                out("  batched SQL engine table / bench_q, B=%-3u, p=%d: %6.2f    (what the schema costs)\n",
                    g_batches[k], g_procs[p], a->rate / b->rate);
        }
    for (size_t k = 0; k < NBATCH; k++)
        for (size_t p = 0; p < NPROCS; p++) {
            a = find("engine bench.noop (no result)", g_procs[p], g_batches[k]);
            b = find("batched SQL engine table", g_procs[p], g_batches[k]);
            if (a && b && b->rate > 0)
                out("  engine no-result / batched SQL engine table, B=%-3u, p=%d: %6.2f    (what the engine code costs)\n",
                    g_batches[k], g_procs[p], a->rate / b->rate);
        }
    a = find("engine kbj_submit_many", 1, 1000);
    b = find("raw INSERT x500 bench_q", 1, 500);
    if (a && b && b->rate > 0)
        out("  enqueue: engine / raw multi-row INSERT (bench_q):      %5.2f (target >= 0.5: %s)\n",
            a->rate / b->rate, verdict(a->rate / b->rate, 0.5, 1));
    b = find("raw INSERT x500 engine table", 1, 500);
    if (a && b && b->rate > 0)
        out("  enqueue: engine / raw multi-row INSERT (engine table): %5.2f (for comparison)\n",
            a->rate / b->rate);
    b = find("raw INSERT x1 bench_q", 1, 1);
    if (a && b && b->rate > 0)
        out("  enqueue: engine / one INSERT per transaction:          %5.1fx\n", a->rate / b->rate);
    a = find("engine diag.echo N/10", 1, 100);
    b = find("engine diag.echo", 1, 100);
    if (a && b && a->rss_kb > 0)
        out("  memory: peak runner RSS %.1f MiB at %ld jobs, %.1f MiB at %ld jobs (x%.2f): %s\n",
            a->rss_kb / 1024.0, a->jobs, b->rss_kb / 1024.0, b->jobs, (double)b->rss_kb / (double)a->rss_kb,
            b->rss_kb <= a->rss_kb + a->rss_kb / 10 + 1024 ? "flat" : "GROWS");
    if (g_nsetup) {
        double lo = g_setup_rates[0], hi = g_setup_rates[0];
        for (size_t i = 1; i < g_nsetup; i++) {
            lo = g_setup_rates[i] < lo ? g_setup_rates[i] : lo;
            hi = g_setup_rates[i] > hi ? g_setup_rates[i] : hi;
        }
        out("  (engine submit_many during the %zu drain set-ups: %.0f to %.0f jobs/s)\n", g_nsetup, lo, hi);
    }
}

static void write_csv(void)
{
    char path[1200];
    FILE *f;
    snprintf(path, sizeof path, "%s/results.csv", g_outdir);
    if (!(f = fopen(path, "w")))
        die("cannot write %s: %s", path, strerror(errno));
    fprintf(f, "section,what,procs,batch,jobs,secs,jobs_per_s,commits_per_job,fsyncs_per_job,"
               "stmts_per_job,mariadbd_cpu_s,runner_cpu_s,other_cpu_s,host_busy,peak_rss_kib\n");
    for (size_t i = 0; i < g_nrows; i++) {
        const row *r = &g_rows[i];
        fprintf(f, "%s,%s,%d,%u,%ld,%.3f,%.1f,%.5f,%.5f,%.4f,%.3f,%.3f,%.3f,%.3f,%ld\n", r->section,
                r->what, r->procs, r->batch, r->jobs, r->secs, r->rate, r->commits_pj, r->fsyncs_pj,
                r->stmts_pj, r->db_cpu, r->run_cpu, r->other_cpu, r->host_busy, r->rss_kb);
    }
    fclose(f);
}

int main(void)
{
    char err[512], path[1200];
    FILE *f;
    double t0 = now();

    g_socket = env_req("KBJOBS_DB_SOCKET");
    g_user = env_req("KBJOBS_DB_USER");
    g_password = env_req("KBJOBS_DB_PASSWORD");
    g_dbname = env_req("KBJOBS_DB_NAME");
    g_home = env_req("KBJOBS_HOME");
    g_outdir = getenv("KBJOBS_BENCH_OUT") && *getenv("KBJOBS_BENCH_OUT") ? getenv("KBJOBS_BENCH_OUT") : ".";
    g_only = getenv("KBJOBS_BENCH_ONLY");
    g_jobs = env_long("KBJOBS_BENCH_JOBS", 100000);
    if (g_jobs < 1000)
        die("KBJOBS_BENCH_JOBS must be at least 1000");
    g_naive_jobs = env_long("KBJOBS_BENCH_NAIVE_JOBS", g_jobs / 10 > 5000 ? g_jobs / 10 : (g_jobs < 5000 ? g_jobs : 5000));
    snprintf(g_host, sizeof g_host, "localhost:%s", g_socket);
    snprintf(g_datadir, sizeof g_datadir, "%s/data/bench", g_home);
    snprintf(g_pidfile, sizeof g_pidfile, "%s/mariadb/mariadbd.pid", g_home);
    if (g_datadir[0] != '/')
        die("KBJOBS_HOME must be an absolute path");
    snprintf(path, sizeof path, "%s/data", g_home);
    mkdir(path, 0700);
    mkdir(g_datadir, 0700);

    if (!(f = fopen(g_pidfile, "r")) || fscanf(f, "%d", &g_mariadbd) != 1)
        die("cannot read mariadbd's pid from %s", g_pidfile);
    fclose(f);
    (void)proc_cpu(g_mariadbd);

    if (mysql_library_init(0, NULL, NULL))
        die("mysql_library_init failed");
    if (!(g_mon = raw_connect(err, sizeof err)))
        die("%s", err);
    snprintf(path, sizeof path, "%s/summary.txt", g_outdir);
    g_summary = fopen(path, "w");
    if (!g_summary)
        die("cannot write %s: %s", path, strerror(errno));

    {
        MYSQL_RES *r;
        MYSQL_ROW rw;
        out("kbjobs engine benchmark: N=%ld jobs (naive drain and single-row insert: %ld), "
            "MariaDB %s, ", g_jobs, g_naive_jobs, mysql_get_server_info(g_mon));
        if (mysql_query(g_mon, "SELECT @@innodb_flush_log_at_trx_commit, @@innodb_buffer_pool_size, @@log_bin")
            || !(r = mysql_store_result(g_mon)))
            die("%s", mysql_error(g_mon));
        rw = mysql_fetch_row(r);
        out("innodb_flush_log_at_trx_commit=%s, buffer pool %lld MiB, log_bin=%s\n", rw[0],
            atoll(rw[1]) >> 20, rw[2]);
        mysql_free_result(r);
    }
    {
        spec s = { K_MIGRATE, 1, 0, 0, NULL, T_ENGINE };
        outcome o;
        run_spec(&s, &o);
    }
    build_eq_claim();
    fflush(g_summary);

    if (wanted("enqueue"))
        section_enqueue();
    if (wanted("naive"))
        section_naive();
    section_drains();
    if (wanted("memory"))
        section_memory();

    print_table();
    print_ratios();
    out("\ntotal %.0f s\n", now() - t0);
    write_csv();
    fclose(g_summary);
    reset_engine();
    mon("DROP TABLE IF EXISTS bench_q");
    mysql_close(g_mon);
    mysql_library_end();
    return 0;
}
