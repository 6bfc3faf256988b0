/*
 * import.c - the native import job: list -> fetch -> normalise -> artifact -> sink,
 * one chunk at a time, the cursor advancing after each chunk's posts are written.
 *
 * A chunk goes through these steps; a crash at any point re-processes the chunk on
 * resume, and nothing is made twice:
 *   1. read its URLs from the list by index (no scan);
 *   2. fetch them and normalise the pages: both done by the streaming pipeline
 *      (pipeline.c) on its own threads, up to two chunks ahead of the chunk the steps
 *      below are writing, so the network and the sink's time overlap;
 *   3. look up their artifact index rows: a document whose content hash equals the one
 *      its post was written from is unchanged and goes no further (unless the import's
 *      `rewrite` param asks for every document to be written again: a repair);
 *   4. write the changed artifacts as one batch (synced together), and record them in
 *      the index;
 *   5. hand the changed documents to the sink, which makes or updates the posts (and,
 *      in its own transaction, stores the post ids in the index);
 *   6. in one transaction: store the post ids in the index and advance the job's cursor
 *      (progress_done) and counts (metrics), fenced by the lease token;
 *   7. failed items are appended to lists/<job>.failed.jsonl (one JSON line each; after
 *      a crash an item may appear twice: readers keep the last line of each index).
 */
#include "import.h"
#include "pipeline.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "artifact.h"
#include "fsutil.h"
#include "internal.h"
#include "options.h"
#include "sha256.h"
#include "types.h"
#include "url.h"

struct kbj_import_settings {
    kbj_fetch_config fetch;
    char *user_agent, *allow, *proxy, *ca_file, *host_limits;
    kbj_norm_limits limits;
    kbj_urllist_limits list;
    kbj_import_sink_fn sink;
    void *sink_arg;
};

static void settings_free(kbj_engine *eng);

static struct kbj_import_settings *settings(kbj_engine *eng)
{
    if (!eng->import) {
        eng->import = calloc(1, sizeof *eng->import);
        eng->free_import = settings_free; /* the handle frees them with itself */
    }
    return eng->import;
}

static void settings_free(kbj_engine *eng)
{
    if (!eng || !eng->import)
        return;
    free(eng->import->user_agent);
    free(eng->import->allow);
    free(eng->import->proxy);
    free(eng->import->ca_file);
    free(eng->import->host_limits);
    free(eng->import);
    eng->import = NULL;
}

void kbj_import_set_sink(kbj_engine *eng, kbj_import_sink_fn fn, void *arg)
{
    struct kbj_import_settings *s = eng ? settings(eng) : NULL;
    if (!s)
        return;
    s->sink = fn;
    s->sink_arg = arg;
}

static int dup_opt(const char *in, char **out)
{
    *out = NULL;
    if (!in)
        return 0;
    *out = strdup(in);
    return *out ? 0 : -1;
}

int kbj_import_configure(kbj_engine *eng, const kbj_fetch_config *fetch, const kbj_norm_limits *limits,
                         const kbj_urllist_limits *list)
{
    struct kbj_import_settings *s = settings(eng);
    kbj_fetch_config fc = { 0 };
    char *ua = NULL, *allow = NULL, *proxy = NULL, *ca = NULL, *hl = NULL;
    kbj_err err;

    if (!s)
        return kbj_efail(eng, KBJ_ENOMEM, "out of memory");
    if (kbj_import_settings_check(fetch, limits, list, &err))
        return kbj_efail(eng, KBJ_EINVAL, "%s", err.msg);
    if (fetch)
        fc = *fetch;
    /* a fetcher is made here once to check the settings (the allow list) */
    kbj_fetcher *f = kbj_fetcher_new(&fc, &err);
    if (!f)
        return kbj_efail(eng, KBJ_EINVAL, "%s", err.msg);
    kbj_fetcher_free(f);
    if (dup_opt(fc.user_agent, &ua) || dup_opt(fc.allow, &allow) || dup_opt(fc.proxy, &proxy) ||
        dup_opt(fc.ca_file, &ca) || dup_opt(fc.host_limits, &hl)) {
        free(ua);
        free(allow);
        free(proxy);
        free(ca);
        return kbj_efail(eng, KBJ_ENOMEM, "out of memory");
    }
    free(s->user_agent);
    free(s->allow);
    free(s->proxy);
    free(s->ca_file);
    free(s->host_limits);
    s->user_agent = ua;
    s->allow = allow;
    s->proxy = proxy;
    s->ca_file = ca;
    s->host_limits = hl;
    s->fetch = fc;
    s->fetch.user_agent = ua;
    s->fetch.allow = allow;
    s->fetch.proxy = proxy;
    s->fetch.ca_file = ca;
    s->fetch.host_limits = hl;
    memset(&s->limits, 0, sizeof s->limits);
    if (limits)
        s->limits = *limits;
    memset(&s->list, 0, sizeof s->list);
    if (list)
        s->list = *list;
    return KBJ_OK;
}

void kbj_import_list_limits(kbj_engine *eng, kbj_urllist_limits *out)
{
    const kbj_urllist_limits *l = eng && eng->import ? &eng->import->list : NULL;
    out->max_list_bytes = l && l->max_list_bytes ? l->max_list_bytes : KBJ_URLLIST_MAX_BYTES;
    out->max_list_lines = l && l->max_list_lines ? l->max_list_lines : KBJ_URLLIST_MAX_LINES;
}

/* ---- submit -------------------------------------------------------------------- */

#define IMPORT_SCHEMA                                                                        \
    "{\"type\": \"object\", \"properties\": {"                                              \
    "\"list\": {\"type\": \"string\", \"pattern\": \"^[0-9a-f]{16}$\"},"                    \
    "\"total\": {\"type\": \"integer\", \"minimum\": 0},"                                   \
    "\"chunk_size\": {\"type\": \"integer\", \"minimum\": 1, \"maximum\": 500, \"default\": 10}," \
    "\"posts\": {\"type\": \"boolean\", \"default\": true},"                                \
    "\"rewrite\": {\"type\": \"boolean\", \"default\": false},"                             \
    "\"max_per_host\": {\"type\": \"integer\", \"minimum\": 1, \"maximum\": 100},"           \
    "\"host_limits\": {\"type\": \"string\", \"maxLength\": 4000},"                          \
    "\"range_start\": {\"type\": \"integer\", \"minimum\": 0},"                             \
    "\"range_end\": {\"type\": \"integer\", \"minimum\": 0},"                               \
    "\"ranges\": {\"type\": \"integer\", \"minimum\": 1, \"maximum\": 64, \"default\": 1},"   \
    "\"parent\": {\"type\": \"string\", \"pattern\": \"^[0-9a-f]{16}$\"}"                      \
    "}, \"required\": [\"list\"]}"

/*
 * Submits the import `id` with params `p`: one job, or for ranges > 1 the import (which
 * then only sums up its parts) and one job per range of the list, each with its own
 * lease and checkpoint, all in one transaction. A range's unique key is
 * "<id>/range/<n>": cancelling or resuming the import does the same to its ranges.
 */
static int submit_parts(kbj_engine *eng, json_t *p, const kbj_submit *opts, const char *id,
                        unsigned long long count, size_t ranges, const char *rerun_of,
                        char got[KBJ_ID_LEN + 1], int *existed)
{
    kbj_submit *jobs = calloc(ranges + 1, sizeof *jobs);
    char **texts = calloc(ranges + 1, sizeof *texts);
    char (*keys)[KBJ_ID_LEN + 16] = calloc(ranges + 1, sizeof *keys);
    char (*ids)[KBJ_ID_LEN + 1] = calloc(ranges + 1, sizeof *ids);
    const char **reruns = calloc(ranges + 1, sizeof *reruns);
    size_t n = ranges > 1 ? ranges + 1 : 1;
    int rc = KBJ_OK;

    if (!jobs || !texts || !keys || !ids || !reruns) {
        rc = kbj_efail(eng, KBJ_ENOMEM, "out of memory");
        goto out;
    }
    reruns[0] = rerun_of; /* the import is the rerun; its ranges are its parts */
    for (size_t i = 0; i < n; i++) {
        json_t *q = json_deep_copy(p);
        if (opts)
            jobs[i] = *opts;
        jobs[i].type = "import";
        jobs[i].id = i == 0 ? id : NULL;
        if (i > 0) {
            unsigned long long start = count * (i - 1) / ranges, end = count * i / ranges;
            json_object_del(q, "ranges");
            json_object_set_new(q, "parent", json_string(id));
            json_object_set_new(q, "range_start", json_integer((json_int_t)start));
            json_object_set_new(q, "range_end", json_integer((json_int_t)end));
            snprintf(keys[i], sizeof keys[i], "%s/range/%zu", id, i);
            jobs[i].unique_key = keys[i];
            jobs[i].unique_scope = KBJ_UNIQUE_RETAINED;
        }
        texts[i] = q ? json_dumps(q, JSON_COMPACT) : NULL;
        json_decref(q);
        if (!texts[i]) {
            rc = kbj_efail(eng, KBJ_ENOMEM, "out of memory");
            goto out;
        }
        jobs[i].params = texts[i];
    }
    rc = kbj_submit_parts(eng, jobs, n, ids, reruns, existed);
    if (rc == KBJ_OK)
        kbj_copy(got, KBJ_ID_LEN + 1, ids[0]);
out:
    for (size_t i = 0; texts && i <= ranges; i++)
        free(texts[i]);
    free(texts);
    free(jobs);
    free(keys);
    free(ids);
    free(reruns);
    return rc;
}

int kbj_import_submit(kbj_engine *eng, int fd, const char *params, const kbj_submit *opts,
                      kbj_urllist_reject_fn on_reject, void *arg, kbj_urllist_report *report,
                      char id[KBJ_ID_LEN + 1])
{
    return kbj_import_submit_rerun(eng, fd, params, opts, on_reject, arg, report, id, NULL, NULL);
}

int kbj_import_submit_ex(kbj_engine *eng, int fd, const char *params, const kbj_submit *opts,
                         kbj_urllist_reject_fn on_reject, void *arg, kbj_urllist_report *report,
                         char id[KBJ_ID_LEN + 1], int *existed)
{
    return kbj_import_submit_rerun(eng, fd, params, opts, on_reject, arg, report, id, NULL, existed);
}

int kbj_import_check(kbj_engine *eng, int fd, kbj_urllist_reject_fn on_reject, void *arg,
                     kbj_urllist_report *report)
{
    kbj_urllist_limits caps;
    kbj_err err;
    int rc;

    if (!eng)
        return KBJ_EINVAL;
    kbj_import_list_limits(eng, &caps);
    rc = kbj_urllist_check(fd, &caps, on_reject, arg, report, &err);
    return rc ? kbj_efail(eng, rc, "%s", err.msg) : KBJ_OK;
}

int kbj_import_submit_rerun(kbj_engine *eng, int fd, const char *params, const kbj_submit *opts,
                            kbj_urllist_reject_fn on_reject, void *arg, kbj_urllist_report *report,
                            char id[KBJ_ID_LEN + 1], const char *rerun_of, int *existed)
{
    kbj_urllist_report scratch;
    unsigned long long count = 0;
    json_t *p;
    json_error_t jerr;
    json_int_t ranges;
    kbj_err err;
    char got[KBJ_ID_LEN + 1] = "";
    int rc, found = 0;

    if (existed)
        *existed = 0;
    if (!report)
        report = &scratch;
    memset(report, 0, sizeof *report);
    if (!eng->data_dir)
        return kbj_efail(eng, KBJ_EINVAL, "the engine has no data directory");
    p = params ? json_loads(params, 0, &jerr) : json_object();
    if (!json_is_object(p)) {
        json_decref(p);
        return kbj_efail(eng, KBJ_EINVAL, "import params must be a JSON object");
    }
    if (json_is_string(json_object_get(p, "host_limits"))) {
        /* checked now, not when a runner would first fail on it */
        kbj_fetch_config hc = { 0 };
        kbj_fetcher *f;
        hc.host_limits = json_string_value(json_object_get(p, "host_limits"));
        if (!(f = kbj_fetcher_new(&hc, &err))) {
            json_decref(p);
            return kbj_efail(eng, KBJ_EINVAL, "params/%s", err.msg);
        }
        kbj_fetcher_free(f);
    }
    if (kbj_new_id(id)) {
        json_decref(p);
        return kbj_efail(eng, KBJ_EIO, "cannot read random bytes for a job id");
    }
    rc = kbj_urllist_write(eng->data_dir, id, fd, eng->import ? &eng->import->list : NULL, on_reject, arg,
                           report, &err);
    if (rc == KBJ_OK)
        rc = kbj_urllist_count(eng->data_dir, id, &count, &err);
    if (rc) {
        json_decref(p);
        kbj_urllist_delete(eng->data_dir, id, NULL);
        return kbj_efail(eng, rc, "%s", err.msg);
    }
    json_object_set_new(p, "list", json_string(id));
    json_object_set_new(p, "total", json_integer((json_int_t)count));
    ranges = json_is_integer(json_object_get(p, "ranges")) ? json_integer_value(json_object_get(p, "ranges")) : 1;
    if (ranges < 1 || ranges > 64) {
        json_decref(p);
        kbj_urllist_delete(eng->data_dir, id, NULL);
        return kbj_efail(eng, KBJ_EINVAL, "params/ranges: must be 1 to 64");
    }
    if ((unsigned long long)ranges > count)
        ranges = (json_int_t)count;
    json_object_set_new(p, "ranges", json_integer(ranges));
    rc = submit_parts(eng, p, opts, id, count, (size_t)ranges, rerun_of, got, &found);
    json_decref(p);
    if (rc) {
        char msg[sizeof err.msg];
        kbj_copy(msg, sizeof msg, kbj_errmsg(eng));
        kbj_urllist_delete(eng->data_dir, id, NULL);
        return kbj_efail(eng, rc, "%s", msg);
    }
    if (found) {
        /* the unique key is an existing import's: it keeps its own list */
        kbj_urllist_delete(eng->data_dir, id, NULL);
        kbj_copy(id, KBJ_ID_LEN + 1, got);
        if (existed)
            *existed = 1;
    }
    return KBJ_OK;
}

/* ---- running ------------------------------------------------------------------- */

typedef struct counts {
    long long fetched, created, updated, unchanged, failed, bytes;
} counts;

static char *counts_json(const counts *c)
{
    char buf[320];
    snprintf(buf, sizeof buf,
             "{\"fetched\":%lld,\"created\":%lld,\"updated\":%lld,\"unchanged\":%lld,\"failed\":%lld,"
             "\"bytes\":%lld}",
             c->fetched, c->created, c->updated, c->unchanged, c->failed, c->bytes);
    return strdup(buf);
}

static void counts_from_json(counts *c, const char *text)
{
    json_t *m = text ? json_loads(text, 0, NULL) : NULL;
    memset(c, 0, sizeof *c);
    if (json_is_object(m)) {
        c->fetched = json_integer_value(json_object_get(m, "fetched"));
        c->created = json_integer_value(json_object_get(m, "created"));
        c->updated = json_integer_value(json_object_get(m, "updated"));
        c->unchanged = json_integer_value(json_object_get(m, "unchanged"));
        c->failed = json_integer_value(json_object_get(m, "failed"));
        c->bytes = json_integer_value(json_object_get(m, "bytes"));
    }
    json_decref(m);
}

/* One URL of the chunk in hand. */
typedef struct item {
    char *url;
    char hash[65];
    kbj_fetch_result res;
    kbj_doc doc;
    int has_doc;
    char artifact[96];
    kbj_artifact_row row;
    int changed;            /* goes to the sink */
    int created;            /* the sink made its post now */
    long long post_id;      /* after the sink */
    char *error;            /* why the item failed (malloc'd), or NULL */
    const char *error_class;/* transient, permanent, sink */
    double fetched_at;
    char *json;             /* its artifact, encoded on the pipeline's thread (or NULL) */
} item;

typedef struct import_run {
    kbj_ctx *ctx;
    kbj_engine *eng;
    const kbj_lease *lease;
    struct kbj_import_settings *set;
    char list[KBJ_ID_LEN + 1];
    long long start, end;   /* the range of the list this job covers */
    int is_range;           /* one range of an import split into ranges */
    int posts;
    int rewrite;            /* unchanged documents are written again (artifact, row, post) */
    size_t chunk;
    counts c;
    kbj_fetch_config fetch;  /* the engine's settings with this import's limits */
    char *host_limits;       /* the engine's host_limits, then this import's (malloc'd) */
    kbj_pipeline *pipe;
    kbj_artifact_batch *batch;
    int failed_fd;
} import_run;

/* Stops transfers in flight only for a cancel or a lost lease: a runner asked to stop
 * finishes the chunk in hand. */
static int fetch_should_stop(void *arg)
{
    import_run *r = arg;
    return kbj_ctx_cancelled(r->ctx) || (kbj_ctx_should_stop(r->ctx) && !r->eng->stop);
}

/* How often a chunk is handed to a sink that lost its connection (1, 2, 4, 8, 8 s apart). */
#define SINK_TRIES 6

/* Whether this job made the post (or, without posts, the index row) of an item: true
 * for a chunk replayed after a crash between the sink's commit and the cursor's. */
static int created_here(const import_run *r, const item *it)
{
    return strcmp(it->row.created_job, r->lease->id) == 0;
}

static void set_error(item *it, const char *cls, const char *msg)
{
    free(it->error);
    it->error = strdup(msg ? msg : "unknown error");
    it->error_class = cls;
}

/* The artifact document of a page: what it was fetched as and its normalised content.
 * Pure (no state but its arguments): the pipeline's normaliser thread calls it. */
static char *artifact_encode(const char *job_id, const char *raw_url, const char *url_hash,
                             const kbj_fetch_result *res, double fetched_at, const kbj_doc *d)
{
    json_t *o = json_object();
    char url[KBJ_URL_MAX + 1];
    char *text;

    kbj_url_redact(raw_url, url, sizeof url);
    json_object_set_new(o, "format", json_string("kbjobs-artifact/1"));
    json_object_set_new(o, "url", json_string(url));
    json_object_set_new(o, "url_hash", json_string(url_hash));
    json_object_set_new(o, "final_url", res->final_url ? json_string(res->final_url) : json_null());
    json_object_set_new(o, "http_status", json_integer(res->http_status));
    json_object_set_new(o, "content_type", res->content_type ? json_string(res->content_type) : json_null());
    json_object_set_new(o, "fetched_at", json_real(fetched_at));
    json_object_set_new(o, "job", json_string(job_id));
    json_object_set_new(o, "charset", json_string(d->charset));
    json_object_set_new(o, "title", json_string(d->title));
    json_object_set_new(o, "description", d->description ? json_string(d->description) : json_null());
    json_object_set_new(o, "canonical", d->canonical ? json_string(d->canonical) : json_null());
    json_object_set_new(o, "language", d->language ? json_string(d->language) : json_null());
    json_object_set_new(o, "content_hash", json_string(d->content_hash));
    json_object_set_new(o, "truncated", json_boolean(d->truncated));
    json_object_set_new(o, "text", json_string(d->text));
    json_object_set_new(o, "html", json_string(d->html));
    text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
}

static char *artifact_json(const import_run *r, const item *it)
{
    return artifact_encode(r->lease->id, it->url, it->hash, &it->res, it->fetched_at, &it->doc);
}

/* The pipeline's encoder: the artifact of a page, made on its normaliser thread. */
static char *pipe_encode(void *arg, const kbj_pipe_item *pi)
{
    const import_run *r = arg;
    char hash[65];
    if (kbj_sha256_hex(pi->url, strlen(pi->url), hash))
        return NULL;
    return artifact_encode(r->lease->id, pi->url, hash, &pi->res, pi->fetched_at, &pi->doc);
}

static int append_failure(import_run *r, unsigned long long index, const item *it)
{
    char url[KBJ_URL_MAX + 1];
    json_t *o;
    char *line;
    size_t len;
    int rc = KBJ_OK;

    if (r->failed_fd < 0) {
        char path[4096];
        kbj_err err;
        if (kbj_fs_path(path, sizeof path, r->eng->data_dir, "lists", r->list, ".failed.jsonl", &err))
            return kbj_efail(r->eng, KBJ_EINVAL, "%s", err.msg);
        r->failed_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (r->failed_fd < 0)
            return kbj_efail(r->eng, KBJ_EIO, "cannot open %s: %s", path, strerror(errno));
    }
    kbj_url_redact(it->url, url, sizeof url);
    o = json_object();
    json_object_set_new(o, "index", json_integer((json_int_t)index));
    json_object_set_new(o, "url", json_string(url));
    json_object_set_new(o, "class", json_string(it->error_class ? it->error_class : "permanent"));
    json_object_set_new(o, "error", json_string(it->error ? it->error : ""));
    json_object_set_new(o, "http_status", json_integer(it->res.http_status));
    json_object_set_new(o, "tries", json_integer(it->res.tries));
    json_object_set_new(o, "at", json_real(kbj_unix_time()));
    line = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!line)
        return kbj_efail(r->eng, KBJ_ENOMEM, "out of memory");
    len = strlen(line);
    {
        /* one write of the whole line, so concurrent appenders never interleave */
        char *nl = realloc(line, len + 2);
        if (!nl) {
            free(line);
            return kbj_efail(r->eng, KBJ_ENOMEM, "out of memory");
        }
        line = nl;
        line[len] = '\n';
        if (write(r->failed_fd, line, len + 1) != (ssize_t)(len + 1))
            rc = kbj_efail(r->eng, KBJ_EIO, "cannot append to the failed-items file: %s", strerror(errno));
    }
    free(line);
    return rc;
}

/* Step 6: post ids into the index, cursor and counts into the job, in one transaction. */
typedef struct advance_work {
    import_run *r;
    item *items;
    size_t n;
    long long done;
    const char *metrics;
} advance_work;

/* The post ids of a chunk into the artifact index, in one statement (a sink that
 * records them itself, in its own fenced transaction, makes this a no-op). */
static int record_posts(kbj_store *st, const item *items, size_t n, const char *job_id)
{
    kbj_val *v = malloc((6 * n + 1) * sizeof *v);
    size_t cap = 300 + 50 * n, k = 0, m = 0, ncreated = 0, off;
    char *sql = malloc(cap);
    int rc;

    if (!v || !sql) {
        free(v);
        free(sql);
        return KBJ_ENOMEM;
    }
    off = (size_t)snprintf(sql, cap, "UPDATE {p}kbjobs_artifacts SET post_id = CASE url_hash");
    for (size_t i = 0; i < n; i++)
        if (items[i].changed && items[i].post_id > 0) {
            off += (size_t)snprintf(sql + off, cap - off, " WHEN ? THEN ?");
            v[k++] = KBJ_VS(items[i].hash);
            v[k++] = KBJ_VI(items[i].post_id);
            m++;
        }
    if (m == 0) {
        free(v);
        free(sql);
        return KBJ_OK;
    }
    off += (size_t)snprintf(sql + off, cap - off, " END, post_hash = CASE url_hash");
    for (size_t i = 0; i < n; i++)
        if (items[i].changed && items[i].post_id > 0) {
            off += (size_t)snprintf(sql + off, cap - off, " WHEN ? THEN ?");
            v[k++] = KBJ_VS(items[i].hash);
            v[k++] = KBJ_VS(items[i].doc.content_hash);
        }
    off += (size_t)snprintf(sql + off, cap - off, " END");
    for (size_t i = 0; i < n; i++)
        if (items[i].changed && items[i].post_id > 0 && items[i].created) {
            off += (size_t)snprintf(sql + off, cap - off, "%s",
                                    ncreated++ ? ",?" : ", created_job = CASE WHEN url_hash IN (?");
            v[k++] = KBJ_VS(items[i].hash);
        }
    if (ncreated) {
        off += (size_t)snprintf(sql + off, cap - off, ") THEN ? ELSE created_job END");
        v[k++] = KBJ_VS(job_id);
    }
    off += (size_t)snprintf(sql + off, cap - off, ", updated_at = NOW(6) WHERE url_hash IN (");
    for (size_t i = 0, first = 1; i < n; i++)
        if (items[i].changed && items[i].post_id > 0) {
            off += (size_t)snprintf(sql + off, cap - off, first ? "?" : ",?");
            first = 0;
            v[k++] = KBJ_VS(items[i].hash);
        }
    snprintf(sql + off, cap - off, ")");
    rc = kbj_store_exec(st, sql, v, k, NULL);
    free(v);
    free(sql);
    return rc;
}

static int advance_tx(kbj_store *st, void *arg)
{
    advance_work *w = arg;
    unsigned long long affected = 0;
    int rc = KBJ_OK;

    rc = record_posts(st, w->items, w->n, w->r->lease->id);
    if (rc)
        return rc;
    rc = kbj_store_exec(st, "UPDATE {p}kbjobs_job_data d JOIN {p}kbjobs_job_state s ON s.id = d.id"
                            " SET progress_done = ?, progress_total = ?,"
                            " metrics = ?, phase = 'import', progress_at = NOW(6), d.updated_at = NOW(6)"
                            " WHERE s.id = ? AND lease_token = ? AND status = 'running'",
                        (kbj_val[]){ KBJ_VI(w->done), KBJ_VI(w->r->end - w->r->start), KBJ_VS(w->metrics),
                                     KBJ_VI(w->r->lease->pk), KBJ_VI(w->r->lease->token) },
                        5, &affected);
    if (rc == KBJ_OK && affected == 0)
        rc = kbj_efail(w->r->eng, KBJ_ELEASE, "the lease on job %s was lost", w->r->lease->id);
    return rc;
}

static void items_clear(item *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(items[i].url);
        kbj_fetch_result_clear(&items[i].res);
        kbj_doc_clear(&items[i].doc);
        free(items[i].error);
        free(items[i].json);
    }
    memset(items, 0, n * sizeof *items);
}

/* After a sink lost its connection: reads the index rows of the items it was given
 * again; those whose posts are in place after all (its COMMIT went through, the answer
 * was lost) are counted and go no further. */
static int settle(import_run *r, item *items, size_t n)
{
    const char **hashes = malloc(n * sizeof *hashes);
    kbj_artifact_row *rows = calloc(n, sizeof *rows);
    size_t m = 0;
    int rc;

    if (!hashes || !rows) {
        free(hashes);
        free(rows);
        return kbj_efail(r->eng, KBJ_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        if (items[i].changed)
            hashes[m++] = items[i].hash;
    rc = kbj_artifact_lookup(r->eng, hashes, m, rows);
    for (size_t i = 0, j = 0; rc == KBJ_OK && i < n; i++) {
        item *it = &items[i];
        if (!it->changed)
            continue;
        it->row = rows[j++];
        if (it->row.post_id > 0 && strcmp(it->row.post_hash, it->doc.content_hash) == 0) {
            created_here(r, it) ? r->c.created++ : r->c.updated++;
            it->post_id = it->row.post_id;
            it->changed = 0;
        }
    }
    free(hashes);
    free(rows);
    return rc;
}

/* The chunk in hand: list entries [first, first + n), one item each. */
typedef struct chunk {
    unsigned long long first;
    size_t n;
    item *items;
    size_t nchanged;        /* items whose artifact was written: they go to the sink */
} chunk;

/* Steps 1 and 2 were the pipeline's: the chunk's URLs read from the list, fetched and
 * normalised on its threads. Moves them into the import's items, with their hashes.
 * KBJ_ESTOPPED when a fetch in it was cancelled. */
static int chunk_take(import_run *r, kbj_pipe_chunk *pc, chunk *c)
{
    int rc = KBJ_OK;
    c->first = pc->first;
    c->n = pc->n;
    for (size_t i = 0; i < c->n; i++) {
        item *it = &c->items[i];
        kbj_pipe_item *pi = &pc->items[i];
        it->url = pi->url;
        pi->url = NULL;
        it->res = pi->res;
        memset(&pi->res, 0, sizeof pi->res);
        it->doc = pi->doc;
        memset(&pi->doc, 0, sizeof pi->doc);
        it->has_doc = pi->has_doc;
        it->fetched_at = pi->fetched_at;
        it->json = pi->encoded;
        pi->encoded = NULL;
        if (it->res.outcome == KBJ_FETCH_CANCELLED)
            rc = KBJ_ESTOPPED;
        if (pi->err_kind)
            set_error(it, pi->err_kind, pi->err_msg);
        if (it->res.outcome == KBJ_FETCH_OK) {
            r->c.fetched++;
            r->c.bytes += (long long)it->res.body_len;
        }
        if (kbj_sha256_hex(it->url, strlen(it->url), it->hash))
            return kbj_efail(r->eng, KBJ_ENOMEM, "out of memory hashing URLs");
        kbj_artifact_relpath(it->hash, it->artifact, sizeof it->artifact);
    }
    return rc;
}

/* Step 3: what changed, from the artifact index. A document in place is unchanged since
 * an earlier import, or was written by this job in a run of this chunk whose cursor never
 * advanced (counted as it was then); the rest is marked changed. */
static int chunk_diff(import_run *r, chunk *c)
{
    const char **hashes = malloc(c->n * sizeof *hashes);
    kbj_artifact_row *rows = calloc(c->n, sizeof *rows);
    int rc;

    if (!hashes || !rows) {
        free(hashes);
        free(rows);
        return kbj_efail(r->eng, KBJ_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < c->n; i++)
        hashes[i] = c->items[i].hash;
    rc = kbj_artifact_lookup(r->eng, hashes, c->n, rows);
    for (size_t i = 0; rc == KBJ_OK && i < c->n; i++) {
        item *it = &c->items[i];
        const kbj_artifact_row *row = &rows[i];
        if (!it->has_doc)
            continue;
        it->row = *row;
        it->post_id = row->post_id;
        /* rewrite: written again even when unchanged (a repair restoring a missing or
         * damaged artifact), unless this job wrote it already in an earlier run of the
         * chunk (the row names this job): resumed, it is not written twice */
        if (r->rewrite && strcmp(row->job_id, r->lease->id) != 0) {
            it->changed = 1;
            continue;
        }
        if (r->posts ? (row->post_id > 0 && strcmp(row->post_hash, it->doc.content_hash) == 0 &&
                        strcmp(row->content_hash, it->doc.content_hash) == 0)
                     : (row->url_hash[0] && strcmp(row->content_hash, it->doc.content_hash) == 0)) {
            if (strcmp(row->job_id, r->lease->id) != 0)
                r->c.unchanged++;
            else
                created_here(r, it) ? r->c.created++ : r->c.updated++;
            continue;
        }
        it->changed = 1;
    }
    free(hashes);
    free(rows);
    return rc;
}

/* Step 4: the changed documents' artifacts, synced as one batch, then their index rows. */
static int chunk_artifacts(import_run *r, chunk *c)
{
    kbj_artifact_rec *recs = calloc(c->n, sizeof *recs);
    kbj_err err;
    int rc = KBJ_OK;

    if (!recs)
        return kbj_efail(r->eng, KBJ_ENOMEM, "out of memory");
    c->nchanged = 0;
    for (size_t i = 0; i < c->n && rc == KBJ_OK; i++) {
        item *it = &c->items[i];
        char *json;
        if (!it->changed)
            continue;
        json = it->json ? it->json : artifact_json(r, it);
        it->json = NULL;
        if (!json) {
            rc = kbj_efail(r->eng, KBJ_ENOMEM, "out of memory");
            break;
        }
        if (kbj_artifact_batch_add(r->batch, it->hash, json, strlen(json), &err))
            rc = kbj_ctx_fail(r->ctx, err.msg, 1);
        free(json);
        recs[c->nchanged++] = (kbj_artifact_rec){ it->hash, it->url, it->doc.content_hash, r->lease->id,
                                                  it->res.http_status, it->fetched_at };
    }
    if (rc == KBJ_OK && c->nchanged) {
        if (kbj_artifact_batch_commit(r->batch, &err))
            rc = kbj_ctx_fail(r->ctx, err.msg, 1);
        else
            rc = kbj_artifact_record(r->eng, recs, c->nchanged);
    }
    free(recs);
    return rc;
}

/* The sink's arguments for one try: the documents still changed. */
typedef struct sink_call {
    kbj_import_doc *docs;
    char (*shown)[KBJ_URL_MAX + 1]; /* the docs' URLs, credentials redacted */
    long long *post_ids;
    char **errors;
    size_t k;
} sink_call;

static void sink_call_fill(chunk *c, sink_call *sc)
{
    sc->k = 0;
    for (size_t i = 0; i < c->n; i++) {
        item *it = &c->items[i];
        kbj_import_doc *d = &sc->docs[sc->k];
        if (!it->changed)
            continue;
        /* sinks never see credentials: posts and logs show what they get */
        kbj_url_redact(it->url, sc->shown[sc->k], sizeof sc->shown[sc->k]);
        d->url = sc->shown[sc->k];
        d->url_hash = it->hash;
        d->final_url = it->res.final_url;
        d->artifact = it->artifact;
        d->doc = &it->doc;
        d->post_id = it->row.post_id;
        d->http_status = it->res.http_status;
        d->fetched_at = it->fetched_at;
        d->index = c->first + i;
        sc->k++;
    }
}

/* The sink lost its own (WordPress's) connection and committed nothing, or perhaps all:
 * waits, then looks again at what the index says (settle). A database restart costs a
 * pause, not an attempt. */
static int sink_pause(import_run *r, chunk *c, int tries)
{
    char msg[600];
    unsigned ms = 1000u << (tries - 1 < 3 ? tries - 1 : 3);
    snprintf(msg, sizeof msg, "the sink lost its database connection (try %d of %d): %.400s;"
             " trying the chunk again in %u ms", tries, SINK_TRIES, kbj_errmsg(r->eng), ms);
    (void)kbj_ctx_log(r->ctx, "warning", msg, NULL);
    if (kbj_ctx_sleep(r->ctx, ms))
        return kbj_ctx_lease_held(r->ctx) ? KBJ_ELEASE : KBJ_ESTOPPED;
    return settle(r, c->items, c->n);
}

/* Counts what the sink made of each document: a post (created or updated) or a failed
 * item. */
static void sink_results(import_run *r, chunk *c, const sink_call *sc)
{
    size_t k = 0;
    for (size_t i = 0; i < c->n; i++) {
        item *it = &c->items[i];
        if (!it->changed)
            continue;
        if (sc->post_ids[k] > 0) {
            int same = it->row.post_id > 0 && it->row.post_id == sc->post_ids[k];
            same && !created_here(r, it) ? r->c.updated++ : r->c.created++;
            it->created = !same;
            it->post_id = sc->post_ids[k];
        } else {
            set_error(it, "sink", sc->errors[k] ? sc->errors[k] : "the sink returned no post");
            it->changed = 0;
        }
        k++;
    }
}

/* Step 5: the sink writes the changed documents' posts (tried again in place when it
 * loses its connection); without posts, new and changed artifacts count as created and
 * updated. */
static int chunk_sink(import_run *r, chunk *c)
{
    sink_call sc = { calloc(c->n, sizeof *sc.docs), malloc(c->n * sizeof *sc.shown),
                     calloc(c->n, sizeof *sc.post_ids), calloc(c->n, sizeof *sc.errors), 0 };
    int rc = KBJ_OK;

    if (!c->nchanged || !r->posts) {
        for (size_t i = 0; i < c->n; i++)
            if (c->items[i].changed)
                c->items[i].row.url_hash[0] && !created_here(r, &c->items[i]) ? r->c.updated++ : r->c.created++;
    } else if (!sc.docs || !sc.shown || !sc.post_ids || !sc.errors) {
        rc = kbj_efail(r->eng, KBJ_ENOMEM, "out of memory");
    } else {
        for (int tries = 1;; tries++) {
            sink_call_fill(c, &sc);
            if (sc.k == 0)
                break; /* all written by a try whose acknowledgement was lost */
            /* a runner paused past its lease writes nothing more */
            if ((rc = kbj_ctx_lease_held(r->ctx)))
                break;
            rc = r->set->sink(r->ctx, sc.docs, sc.k, sc.post_ids, sc.errors, r->set->sink_arg);
            if (rc != KBJ_ECONNECT || tries >= SINK_TRIES || (rc = sink_pause(r, c, tries)))
                break;
        }
        if (rc && rc != KBJ_EJOBFAILED && rc != KBJ_ESTOPPED && rc != KBJ_ELEASE)
            rc = kbj_ctx_fail(r->ctx, kbj_errmsg(r->eng)[0] ? kbj_errmsg(r->eng) : "the sink failed", 1);
        if (rc == KBJ_OK && sc.k)
            sink_results(r, c, &sc);
    }
    for (size_t i = 0; sc.errors && i < c->n; i++)
        free(sc.errors[i]);
    free(sc.errors);
    free(sc.post_ids);
    free(sc.shown);
    free(sc.docs);
    return rc;
}

/* Step 6: failed items to lists/<job>.failed.jsonl and the job's log. */
static int chunk_failures(import_run *r, chunk *c)
{
    for (size_t i = 0; i < c->n; i++) {
        char url[KBJ_URL_MAX + 1], msg[KBJ_URL_MAX + 400];
        int rc;
        if (!c->items[i].error)
            continue;
        r->c.failed++;
        if ((rc = append_failure(r, c->first + i, &c->items[i])))
            return rc;
        kbj_url_redact(c->items[i].url, url, sizeof url);
        snprintf(msg, sizeof msg, "%s failed: %s", url, c->items[i].error);
        (void)kbj_ctx_log(r->ctx, "warning", msg, NULL);
    }
    return KBJ_OK;
}

/* Step 7: post ids into the index, the cursor and counts into the job, in one fenced
 * transaction. */
static int chunk_advance(import_run *r, chunk *c, long long done_after)
{
    char *metrics = counts_json(&r->c);
    int rc;
    if (!metrics)
        return kbj_efail(r->eng, KBJ_ENOMEM, "out of memory");
    if ((rc = kbj_ctx_lease_held(r->ctx)) == KBJ_OK) {
        advance_work w = { r, c->items, c->n, done_after, metrics };
        rc = kbj_store_tx(r->eng->st, advance_tx, &w);
    }
    free(metrics);
    return rc;
}

/* Processes a chunk the pipeline handed over: diff, artifacts, sink, failures, advance.
 * Returns 0, KBJ_ESTOPPED when cancelled mid-fetch (nothing advanced), or an error. */
static int run_chunk(import_run *r, kbj_pipe_chunk *pc, item *items, long long done_after)
{
    chunk c = { 0, 0, items, 0 };
    int rc;
    if ((rc = chunk_take(r, pc, &c)) || (rc = chunk_diff(r, &c)) || (rc = chunk_artifacts(r, &c)) ||
        (rc = chunk_sink(r, &c)) || (rc = chunk_failures(r, &c)))
        return rc;
    return chunk_advance(r, &c, done_after);
}

/*
 * An import that completes with failed items gets a FailureLog entry of kind "partial"
 * ("7 of 205 URLs failed"): once per import, so a range leaves it to the import it is
 * part of, which sums the ranges' counts. It is written under the job's lease just
 * before the handler returns, not in the runner's completion: should the completion be
 * lost after it (the runner dies in between), the job is run again from its cursor and
 * records its entry again (one entry per job), or is resumed, which removes the entry.
 */
static int record_partial(kbj_engine *eng, const kbj_lease *l, long long failed, long long total)
{
    char msg[96];
    if (failed <= 0)
        return KBJ_OK;
    snprintf(msg, sizeof msg, "%lld of %lld URLs failed", failed, total);
    return kbj_failures_record_partial(eng, l, failed, total, msg);
}

/* The import of a list split into ranges: sums its ranges' progress and counts, waits
 * (deferring itself for a second at a time) while any is queued or running, and ends
 * completed when all completed, failed when any did not. */
static int aggregate(kbj_ctx *ctx, kbj_engine *eng, const kbj_lease *l, long long total)
{
    char prefix[KBJ_ID_LEN + 16], *metrics, msg[400] = "", phase[KBJ_NAME_MAX + 1];
    kbj_rows *rows = NULL;
    counts sum = { 0 }, c;
    long long done = 0;
    size_t active = 0, stuck = 0, nparts;
    unsigned long long affected = 0;
    int rc;

    if (kbj_ctx_cancelled(ctx))
        return KBJ_ESTOPPED; /* cancelling the import cancelled its ranges */
    snprintf(prefix, sizeof prefix, "%s/range/%%", l->id);
    rc = kbj_store_query_again(eng->st, "SELECT status, progress_done, metrics, unique_key, error FROM {p}kbjobs_jobs"
                                  " WHERE unique_key LIKE ? ORDER BY id",
                         (kbj_val[]){ KBJ_VS(prefix) }, 1, &rows);
    if (rc)
        return rc;
    nparts = kbj_rows_count(rows);
    for (size_t i = 0; i < nparts; i++) {
        const char *st = kbj_rows_str(rows, i, 0);
        counts_from_json(&c, kbj_rows_str(rows, i, 2));
        done += kbj_rows_int(rows, i, 1);
        sum.fetched += c.fetched;
        sum.created += c.created;
        sum.updated += c.updated;
        sum.unchanged += c.unchanged;
        sum.failed += c.failed;
        sum.bytes += c.bytes;
        if (!strcmp(st, "queued") || !strcmp(st, "running")) {
            active++;
        } else if (strcmp(st, "completed") != 0) {
            size_t off = strlen(msg);
            stuck++;
            if (off < sizeof msg - 120)
                snprintf(msg + off, sizeof msg - off, "%s%s is %s", off ? "; " : "",
                         strrchr(kbj_rows_str(rows, i, 3), '/') ? kbj_rows_str(rows, i, 3) + KBJ_ID_LEN + 1 : "?", st);
        }
    }
    kbj_rows_free(rows);
    metrics = counts_json(&sum);
    if (!metrics)
        return kbj_efail(eng, KBJ_ENOMEM, "out of memory");
    snprintf(phase, sizeof phase, "ranges %zu/%zu done", nparts - active - stuck, nparts);
    rc = kbj_store_exec_again(eng->st, "UPDATE {p}kbjobs_job_data d JOIN {p}kbjobs_job_state s ON s.id = d.id"
                                 " SET progress_done = ?,"
                                 " progress_total = ?, metrics = ?, phase = ?, progress_at = NOW(6),"
                                 " d.updated_at = NOW(6) WHERE s.id = ? AND lease_token = ? AND status = 'running'",
                        (kbj_val[]){ KBJ_VI(done), KBJ_VI(total), KBJ_VS(metrics), KBJ_VS(phase), KBJ_VI(l->pk),
                                     KBJ_VI(l->token) }, 6, &affected);
    if (rc == KBJ_OK && affected == 0)
        rc = kbj_efail(eng, KBJ_ELEASE, "the lease on job %s was lost", l->id);
    if (rc == KBJ_OK) {
        if (nparts == 0) {
            rc = kbj_ctx_fail(ctx, "the import's ranges are gone", 0);
        } else if (active) {
            rc = kbj_ctx_defer(ctx, 1000);
        } else if (stuck) {
            char full[520];
            snprintf(full, sizeof full, "not every range completed (%s): resume the import to go on", msg);
            rc = kbj_ctx_fail(ctx, full, 0);
        } else {
            char result[512];
            snprintf(result, sizeof result,
                     "{\"urls\":%lld,\"ranges\":%zu,\"counts\":%s,\"failed_items\":\"lists/%s.failed.jsonl\"}",
                     total, nparts, metrics, l->id);
            rc = kbj_ctx_set_result(ctx, result);
            if (rc == KBJ_OK)
                rc = record_partial(eng, l, sum.failed, total);
        }
    }
    free(metrics);
    return rc;
}

/* The parent of an import split into ranges: it only sums its ranges (aggregate). */
static int run_parent(kbj_ctx *ctx, import_run *r, json_t *p)
{
    long long total = json_integer_value(json_object_get(p, "total"));
    char title[96];
    snprintf(title, sizeof title, "Import of %lld URLs in %lld ranges", total,
             (long long)json_integer_value(json_object_get(p, "ranges")));
    if (r->lease->progress_done == 0)
        (void)kbj_ctx_title(ctx, title);
    return aggregate(ctx, r->eng, r->lease, total);
}

/* What a worker (a whole import, or one range of it) does, from its params: posts or
 * not, the chunk size, its part of the list, and the counts so far. */
static int worker_setup(kbj_ctx *ctx, import_run *r, json_t *p)
{
    unsigned long long count = 0;
    kbj_job *job = NULL;
    kbj_err err;
    int rc;

    r->posts = !json_is_false(json_object_get(p, "posts"));
    r->rewrite = json_is_true(json_object_get(p, "rewrite"));
    r->chunk = json_is_integer(json_object_get(p, "chunk_size"))
                   ? (size_t)json_integer_value(json_object_get(p, "chunk_size")) : KBJ_IMPORT_CHUNK;
    if (r->chunk < 1 || r->chunk > 500)
        r->chunk = KBJ_IMPORT_CHUNK;
    r->fetch = r->set->fetch;
    if (json_is_integer(json_object_get(p, "max_per_host")))
        r->fetch.max_per_host = (unsigned)json_integer_value(json_object_get(p, "max_per_host"));
    if (json_is_string(json_object_get(p, "host_limits"))) {
        const char *mine = json_string_value(json_object_get(p, "host_limits"));
        const char *theirs = r->set->fetch.host_limits ? r->set->fetch.host_limits : "";
        size_t len = strlen(theirs) + strlen(mine) + 3;
        /* later rules win: the import's come after the engine's */
        if (!(r->host_limits = malloc(len)))
            return kbj_efail(r->eng, KBJ_ENOMEM, "out of memory");
        snprintf(r->host_limits, len, "%s%s%s", theirs, *theirs ? ", " : "", mine);
        r->fetch.host_limits = r->host_limits;
    }
    if (r->posts && !r->set->sink)
        return kbj_ctx_fail(ctx, "this runner has no sink for posts (run imports with `wp kb work`"
                                 " or the plugin's cron tick)", 1);
    if ((rc = kbj_urllist_count(r->eng->data_dir, r->list, &count, &err)))
        return kbj_ctx_fail(ctx, err.msg, 0);
    r->is_range = json_is_string(json_object_get(p, "parent"));
    r->start = json_integer_value(json_object_get(p, "range_start"));
    r->end = json_is_integer(json_object_get(p, "range_end")) ? json_integer_value(json_object_get(p, "range_end"))
                                                              : (long long)count;
    if (r->end > (long long)count)
        r->end = (long long)count;
    if (r->start > r->end)
        r->start = r->end;
    if ((rc = kbj_job_get(r->eng, r->lease->id, &job)))
        return rc;
    counts_from_json(&r->c, job->metrics);
    kbj_job_free(job);
    return KBJ_OK;
}

/* The pipeline's list reader: entries [first, first + n) of this job's list. */
static int read_list(void *arg, unsigned long long first, size_t n, char **urls, kbj_err *err)
{
    import_run *r = arg;
    char **got_urls = NULL;
    size_t got = 0;
    int rc = kbj_urllist_read(r->eng->data_dir, r->list, first, n, &got_urls, &got, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < got && i < n; i++)
        urls[i] = got_urls[i];
    for (size_t i = n; i < got; i++)
        free(got_urls[i]);
    free(got_urls);
    return KBJ_OK; /* fewer than n: the pipeline reports the list as short */
}

/* Takes the next chunk from the pipeline and processes it. */
static int next_chunk(import_run *r, item *items, long long done_after)
{
    kbj_pipe_chunk *pc = NULL;
    kbj_err err = { "" };
    int rc = kbj_pipeline_next(r->pipe, &pc, fetch_should_stop, r, &err);

    if (rc == KBJ_ESTOPPED)
        return rc;
    if (rc == KBJ_EIO || rc == KBJ_ENOMEM)
        return kbj_ctx_fail(r->ctx, err.msg, 1);
    if (rc) /* the list cannot be read: no retry makes it readable */
        return kbj_ctx_fail(r->ctx, err.msg, rc != KBJ_ECORRUPT && rc != KBJ_ENOTFOUND);
    if (!pc)
        return kbj_ctx_fail(r->ctx, "the URL list ended before the job's range", 0);
    rc = run_chunk(r, pc, items, done_after);
    kbj_pipeline_done(r->pipe, pc);
    return rc;
}

/* Runs the worker's chunks from its cursor to the end of its part, a checkpoint after
 * each, until done or told to stop; sets the result when done. The pipeline fetches and
 * normalises up to two chunks ahead of the one being written. */
static int run_worker(kbj_ctx *ctx, import_run *r, item *items)
{
    long long done = r->lease->progress_done, total = r->end - r->start;
    kbj_pipe_config pc = { 0 };
    kbj_err err;
    int rc = KBJ_OK;

    if (done < 0 || done > total)
        done = 0;
    if (done == 0) {
        char title[96];
        snprintf(title, sizeof title, "Import of %lld URLs", total);
        (void)kbj_ctx_title(ctx, title);
    }
    (void)kbj_ctx_progress(ctx, done, total, "import");
    if (done >= total)
        goto finished;
    pc.fetch = &r->fetch;
    pc.limits = &r->set->limits;
    pc.first = (unsigned long long)(r->start + done);
    pc.end = (unsigned long long)r->end;
    pc.chunk = r->chunk;
    pc.read = read_list;
    pc.read_arg = r;
    pc.should_stop = fetch_should_stop;
    pc.stop_arg = r;
    pc.encode = pipe_encode;
    pc.encode_arg = r;
    if (!(r->pipe = kbj_pipeline_start(&pc, &err)))
        return kbj_ctx_fail(ctx, err.msg, 0);
    while (done < total) {
        size_t n = (long long)r->chunk > total - done ? (size_t)(total - done) : r->chunk;
        char cursor[64], *cj;
        if (kbj_ctx_should_stop(ctx))
            return KBJ_ESTOPPED;
        rc = next_chunk(r, items, done + (long long)n);
        items_clear(items, n);
        if (rc)
            return rc;
        done += (long long)n;
        (void)kbj_ctx_progress(ctx, done, total, "import");
        cj = counts_json(&r->c);
        snprintf(cursor, sizeof cursor, "{\"done\":%lld}", done);
        rc = kbj_ctx_checkpoint(ctx, cursor, cj, NULL, 0);
        free(cj);
        if (rc < 0)
            return rc;
    }
finished:
    {
        char *cj = counts_json(&r->c);
        char result[512];
        snprintf(result, sizeof result, "{\"urls\":%lld,\"counts\":%s,\"failed_items\":\"lists/%s.failed.jsonl\"}",
                 total, cj ? cj : "{}", r->list);
        free(cj);
        (void)kbj_ctx_set_result(ctx, result);
    }
    return r->is_range ? KBJ_OK : record_partial(r->eng, r->lease, r->c.failed, total);
}

static int import_handler(kbj_ctx *ctx, void *udata)
{
    import_run r;
    json_t *p;
    item *items = NULL;
    int rc, parent;
    (void)udata;

    memset(&r, 0, sizeof r);
    r.ctx = ctx;
    r.eng = kbj_ctx_engine(ctx);
    r.lease = kbj_ctx_lease(ctx);
    r.failed_fd = -1;
    r.set = settings(r.eng);
    if (!r.set)
        return kbj_efail(r.eng, KBJ_ENOMEM, "out of memory");

    p = json_loads(kbj_ctx_params(ctx), 0, NULL);
    if (!kbj_valid_id(json_string_value(json_object_get(p, "list")))) {
        json_decref(p);
        return kbj_ctx_fail(ctx, "import params need the id of a URL list", 0);
    }
    kbj_copy(r.list, sizeof r.list, json_string_value(json_object_get(p, "list")));
    parent = json_integer_value(json_object_get(p, "ranges")) > 1 && !json_object_get(p, "parent");
    rc = parent ? run_parent(ctx, &r, p) : worker_setup(ctx, &r, p);
    json_decref(p);
    if (parent || rc)
        return rc;

    r.batch = kbj_artifact_batch_new(r.eng->data_dir);
    items = calloc(r.chunk, sizeof *items);
    if (!r.batch || !items)
        rc = kbj_efail(r.eng, KBJ_ENOMEM, "out of memory");
    else
        rc = run_worker(ctx, &r, items);
    /* transfers still in flight (a cancel, a stop, a failed chunk) end here, at once */
    kbj_pipeline_stop(r.pipe);
    if (r.failed_fd >= 0)
        close(r.failed_fd);
    free(items);
    kbj_artifact_batch_free(r.batch);
    free(r.host_limits);
    return rc;
}

int kbj_register_import_type(kbj_engine *eng)
{
    kbj_type_def d = { 0 };
    d.name = "import";
    d.label = "Batch import of a URL list";
    d.category = "content";
    d.params_schema = IMPORT_SCHEMA;
    d.queue = KBJ_IMPORT_QUEUE;
    d.max_attempts = 5;
    d.backoff.kind = KBJ_BACKOFF_EXPONENTIAL;
    d.backoff.base_ms = 5000;
    d.backoff.cap_ms = 600000;
    d.on_expiry = KBJ_EXPIRY_INTERRUPT;
    d.handler = import_handler;
    return kbj_register_type(eng, &d);
}
