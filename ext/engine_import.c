/*
 * engine_import.c - KBJobs\Engine's import methods and the PHP import sink: the glue
 * between PHP values and engine/import.h. A URL list given as a file, a stream or an
 * array reaches the engine as a file descriptor; documents reach the sink as arrays.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "php.h"
#include "main/php_streams.h"
#include "zend_exceptions.h"

#include "php_kbjobs.h"

#define THIS_ENGINE() kbjobs_engine_from(Z_OBJ_P(ZEND_THIS))
#define MAX_REJECTIONS 1000

/* Writes all `len` bytes to the buffer file `fd`, retrying short writes and EINTR.
 * Returns 0, or -1 with errno set. */
static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

typedef struct rejections {
    zval list;
    zend_long kept;
} rejections;

static void on_reject(unsigned long long line, const char *reason, const char *excerpt, void *arg)
{
    rejections *r = arg;
    zval e;
    if (r->kept >= MAX_REJECTIONS)
        return;
    array_init(&e);
    add_assoc_long(&e, "line", (zend_long)line);
    add_assoc_string(&e, "reason", reason);
    add_assoc_string(&e, "excerpt", excerpt);
    add_next_index_zval(&r->list, &e);
    r->kept++;
}

/* An anonymous in-memory file (memfd) holding `list`'s URLs one a line, rewound. -1 with
 * an exception thrown when an element is not a string or holds a line break or NUL. */
static int array_to_fd(HashTable *list)
{
    zval *v;
    zend_ulong n = 0;
    int fd = memfd_create("kbjobs-urls", MFD_CLOEXEC);
    if (fd < 0) {
        zend_throw_exception_ex(kbjobs_ce_filesystem, KBJ_EIO, "cannot create a buffer for the URL list");
        return -1;
    }
    ZEND_HASH_FOREACH_VAL(list, v) {
        n++;
        ZVAL_DEREF(v);
        if (Z_TYPE_P(v) != IS_STRING) {
            close(fd);
            zend_argument_type_error(1, "must be a list of strings (element %lu is %s)", (unsigned long)n,
                                     zend_zval_type_name(v));
            return -1;
        }
        if (memchr(Z_STRVAL_P(v), '\n', Z_STRLEN_P(v)) || memchr(Z_STRVAL_P(v), '\r', Z_STRLEN_P(v)) ||
            zend_str_has_nul_byte(Z_STR_P(v))) {
            close(fd);
            zend_argument_value_error(1, "element %lu contains a line break or a null byte", (unsigned long)n);
            return -1;
        }
        if (write_all(fd, Z_STRVAL_P(v), Z_STRLEN_P(v)) || write_all(fd, "\n", 1)) {
            close(fd);
            zend_throw_exception_ex(kbjobs_ce_filesystem, KBJ_EIO, "cannot buffer the URL list");
            return -1;
        }
    } ZEND_HASH_FOREACH_END();
    lseek(fd, 0, SEEK_SET);
    return fd;
}

/* A descriptor to read a stream from: its own when it has one (files, pipes, STDIN),
 * else a memfd copy of at most `max_bytes` + 1 bytes (the list cap and one byte more, so
 * that the engine refuses a list over it: an endless stream is not copied forever).
 * *owned says whether the caller closes it. */
static int stream_to_fd(zval *zs, unsigned long long max_bytes, int *owned)
{
    php_stream *stream;
    int fd = -1;
    char buf[65536];
    ssize_t n;
    unsigned long long copied = 0;

    php_stream_from_zval_no_verify(stream, zs);
    if (!stream) {
        zend_argument_type_error(1, "must be an open stream");
        return -1;
    }
    *owned = 0;
    if (php_stream_can_cast(stream, PHP_STREAM_AS_FD) == SUCCESS &&
        php_stream_cast(stream, PHP_STREAM_AS_FD, (void **)&fd, 0) == SUCCESS && fd >= 0)
        return fd;
    fd = memfd_create("kbjobs-urls", MFD_CLOEXEC);
    if (fd < 0) {
        zend_throw_exception_ex(kbjobs_ce_filesystem, KBJ_EIO, "cannot create a buffer for the URL list");
        return -1;
    }
    while (copied <= max_bytes) {
        size_t want = max_bytes - copied < sizeof buf ? (size_t)(max_bytes - copied) + 1 : sizeof buf;
        if ((n = php_stream_read(stream, buf, want)) <= 0)
            break;
        if (write_all(fd, buf, (size_t)n)) {
            close(fd);
            zend_throw_exception_ex(kbjobs_ce_filesystem, KBJ_EIO, "cannot buffer the URL list");
            return -1;
        }
        copied += (unsigned long long)n;
    }
    lseek(fd, 0, SEEK_SET);
    *owned = 1;
    return fd;
}

/* A descriptor to read the list argument `list` (a file path, a list of URL strings or
 * a stream) from; *owned says whether the caller closes it. -1 with an exception thrown
 * when the argument is not one of those or cannot be read. */
static int list_to_fd(kbj_engine *eng, zval *list, int *owned)
{
    int fd;
    *owned = 1;
    if (Z_TYPE_P(list) == IS_STRING) {
        if (zend_str_has_nul_byte(Z_STR_P(list))) {
            zend_argument_value_error(1, "must not contain any null bytes");
            return -1;
        }
        if (php_check_open_basedir(Z_STRVAL_P(list)))
            return -1;
        fd = open(Z_STRVAL_P(list), O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            zend_throw_exception_ex(kbjobs_ce_filesystem, KBJ_EIO, "cannot open the URL list %s: %s",
                                    Z_STRVAL_P(list), strerror(errno));
        return fd;
    }
    if (Z_TYPE_P(list) == IS_ARRAY)
        return array_to_fd(Z_ARRVAL_P(list));
    if (Z_TYPE_P(list) == IS_RESOURCE) {
        kbj_urllist_limits caps;
        kbj_import_list_limits(eng, &caps);
        return stream_to_fd(list, caps.max_list_bytes, owned);
    }
    zend_argument_type_error(1, "must be a file path, a stream or a list of URLs, %s given",
                             zend_zval_type_name(list));
    return -1;
}

/* The counts and rejected lines of a list, as import() and checkList() return them. */
static void add_list_report(zval *out, const kbj_urllist_report *rep, rejections *rj)
{
    add_assoc_long(out, "lines", (zend_long)rep->lines);
    add_assoc_long(out, "accepted", (zend_long)rep->accepted);
    add_assoc_long(out, "duplicates", (zend_long)rep->duplicates);
    add_assoc_long(out, "rejected", (zend_long)rep->rejected);
    add_assoc_zval(out, "rejections", &rj->list);
    add_assoc_bool(out, "rejections_truncated", rep->rejected > (unsigned long long)rj->kept);
}

/* {{{ KBJobs\Engine::checkList(mixed $list): array */
PHP_METHOD(KBJobs_Engine, checkList)
{
    zval *list;
    kbj_urllist_report rep;
    rejections rj;
    int fd, owned, rc;

    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_ZVAL(list)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    fd = list_to_fd(eng, list, &owned);
    if (fd < 0)
        RETURN_THROWS();
    array_init(&rj.list);
    rj.kept = 0;
    rc = kbj_import_check(eng, fd, on_reject, &rj, &rep);
    if (owned)
        close(fd);
    if (rc && rc != KBJ_EINVAL) {
        zval_ptr_dtor(&rj.list);
        kbjobs_throw(eng, rc);
        RETURN_THROWS();
    }
    /* a list an import would refuse is a result here, with import()'s reason */
    array_init(return_value);
    add_assoc_bool(return_value, "valid", rc == KBJ_OK);
    if (rc)
        add_assoc_string(return_value, "error", (char *)kbj_errmsg(eng));
    else
        add_assoc_null(return_value, "error");
    add_list_report(return_value, &rep, &rj);
}
/* }}} */

/* {{{ KBJobs\Engine::import(mixed $list, array $params = [], array $options = []): array */
PHP_METHOD(KBJobs_Engine, import)
{
    zval *list, *params = NULL;
    HashTable *options = NULL;
    kbj_submit s = { 0 };
    zend_string *pjson = NULL;
    kbj_resource res[KBJ_MAX_RESOURCES];
    kbj_urllist_report rep;
    rejections rj;
    char id[KBJ_ID_LEN + 1];
    int fd = -1, owned = 1, existed = 0, rc;

    ZEND_PARSE_PARAMETERS_START(1, 3)
        Z_PARAM_ZVAL(list)
        Z_PARAM_OPTIONAL
        Z_PARAM_ARRAY(params)
        Z_PARAM_ARRAY_HT(options)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    if (kbjobs_parse_submit_arg(options, params, &s, &pjson, res))
        RETURN_THROWS();

    fd = list_to_fd(eng, list, &owned);
    if (fd < 0)
        goto fail;

    array_init(&rj.list);
    rj.kept = 0;
    rc = kbj_import_submit_ex(eng, fd, s.params, &s, on_reject, &rj, &rep, id, &existed);
    if (owned)
        close(fd);
    if (pjson)
        zend_string_release(pjson);
    if (rc) {
        zval_ptr_dtor(&rj.list);
        kbjobs_throw(eng, rc);
        RETURN_THROWS();
    }
    array_init(return_value);
    add_assoc_stringl(return_value, "id", id, KBJ_ID_LEN);
    add_list_report(return_value, &rep, &rj);
    add_assoc_bool(return_value, "existed", existed);
    return;
fail:
    if (pjson)
        zend_string_release(pjson);
    RETURN_THROWS();
}
/* }}} */

static const char *const import_keys[] = { "allow", "proxy", "user_agent", "ca_file", "host_limits",
    "max_total", "max_per_host",
    "connect_timeout_ms", "timeout_ms", "low_speed_bytes", "low_speed_seconds", "max_body", "max_decoded",
    "max_redirects", "retries", "retry_base_ms", "retry_after_max_ms", "max_text", "max_depth",
    "max_list_bytes", "max_list_lines", NULL };

/* {{{ KBJobs\Engine::configureImport(array $settings): void */
PHP_METHOD(KBJobs_Engine, configureImport)
{
    HashTable *set;
    kbj_fetch_config fc = { 0 };
    kbj_norm_limits lim = { 0 };
    kbj_urllist_limits list = { 0 };
    zend_long v;

    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_ARRAY_HT(set)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    if (kbjobs_known_keys(set, import_keys, "import setting") ||
        kbjobs_opt_string(set, "allow", &fc.allow) || kbjobs_opt_string(set, "proxy", &fc.proxy) ||
        kbjobs_opt_string(set, "user_agent", &fc.user_agent) || kbjobs_opt_string(set, "ca_file", &fc.ca_file) ||
        kbjobs_opt_string(set, "host_limits", &fc.host_limits))
        RETURN_THROWS();
    /* the ranges are the engine's (kbj_import_option_range), which checks them again */
#define SET_U(key, field)                                                          \
    if (kbjobs_opt_long_in(set, key, kbj_import_option_range(key), &v))            \
        RETURN_THROWS();                                                           \
    field = v;
    SET_U("max_total", fc.max_total);
    SET_U("max_per_host", fc.max_per_host);
    SET_U("connect_timeout_ms", fc.connect_timeout_ms);
    SET_U("timeout_ms", fc.timeout_ms);
    SET_U("low_speed_bytes", fc.low_speed_bytes);
    SET_U("low_speed_seconds", fc.low_speed_seconds);
    SET_U("max_body", fc.max_body);
    SET_U("max_decoded", fc.max_decoded);
    SET_U("max_redirects", fc.max_redirects);
    SET_U("retry_base_ms", fc.retry_base_ms);
    SET_U("retry_after_max_ms", fc.retry_after_max_ms);
    SET_U("max_text", lim.max_text);
    SET_U("max_depth", lim.max_depth);
#undef SET_U
    /* 0 would mean the default to the engine: here a cap is given or left out */
    if (kbjobs_opt_long(set, "max_list_bytes", 1, (zend_long)kbj_import_option_range("max_list_bytes")->max, &v))
        RETURN_THROWS();
    list.max_list_bytes = (unsigned long long)v;
    if (kbjobs_opt_long(set, "max_list_lines", 1, (zend_long)kbj_import_option_range("max_list_lines")->max, &v))
        RETURN_THROWS();
    list.max_list_lines = (unsigned long long)v;
    if (zend_hash_str_exists(set, "retries", 7)) {
        if (kbjobs_opt_long_in(set, "retries", kbj_import_option_range("retries"), &v))
            RETURN_THROWS();
        fc.retries = v == 0 ? KBJ_FETCH_NO_RETRY : (unsigned)v;
    }
    KBJOBS_CHECK(eng, kbj_import_configure(eng, &fc, &lim, &list));
}
/* }}} */

/* {{{ KBJobs\Engine::artifact(string $url): ?array */
PHP_METHOD(KBJobs_Engine, artifact)
{
    zend_string *url;
    kbj_artifact_info a;
    int rc;

    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_PATH_STR(url)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    rc = kbj_artifact_get(eng, ZSTR_VAL(url), &a);
    if (rc == KBJ_ENOTFOUND)
        RETURN_NULL();
    KBJOBS_CHECK(eng, rc);
    array_init(return_value);
    add_assoc_string(return_value, "url", a.url);
    add_assoc_string(return_value, "url_hash", a.url_hash);
    add_assoc_string(return_value, "path", a.path);
    add_assoc_string(return_value, "content_hash", a.content_hash);
    add_assoc_long(return_value, "post_id", (zend_long)a.post_id);
    if (a.post_hash[0])
        add_assoc_string(return_value, "post_hash", a.post_hash);
    else
        add_assoc_null(return_value, "post_hash");
    add_assoc_string(return_value, "job", a.job_id);
    add_assoc_long(return_value, "http_status", a.http_status);
    kbjobs_add_time(return_value, "fetched_at", a.fetched_at);
    kbjobs_add_time(return_value, "updated_at", a.updated_at);
    kbj_artifact_info_clear(&a);
}
/* }}} */

static void add_id_or_null(zval *arr, const char *key, const char *id)
{
    if (id[0])
        add_assoc_string(arr, key, id);
    else
        add_assoc_null(arr, key);
}

/* {{{ KBJobs\Engine::postSources(array $postIds): array */
PHP_METHOD(KBJobs_Engine, postSources)
{
    HashTable *ids;
    long long *v;
    kbj_post_source *src = NULL;
    size_t n = 0, k = 0;
    zval *z;
    int rc;

    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_ARRAY_HT(ids)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    if (zend_hash_num_elements(ids) > 1000) {
        zend_argument_value_error(1, "must hold at most 1000 post ids");
        RETURN_THROWS();
    }
    array_init(return_value);
    if (zend_hash_num_elements(ids) == 0)
        return;
    v = safe_emalloc(zend_hash_num_elements(ids), sizeof *v, 0);
    ZEND_HASH_FOREACH_VAL(ids, z) {
        ZVAL_DEREF(z);
        if (Z_TYPE_P(z) != IS_LONG || Z_LVAL_P(z) <= 0) {
            efree(v);
            zend_argument_value_error(1, "must be a list of positive post ids (element %zu is not)", k + 1);
            RETURN_THROWS();
        }
        v[k++] = Z_LVAL_P(z);
    } ZEND_HASH_FOREACH_END();
    rc = kbj_post_sources(eng, v, k, &src, &n);
    efree(v);
    KBJOBS_CHECK(eng, rc);
    for (size_t i = 0; i < n; i++) {
        zval row;
        array_init_size(&row, 8);
        add_assoc_long(&row, "post_id", (zend_long)src[i].post_id);
        add_assoc_string(&row, "url", src[i].url);
        kbjobs_add_time(&row, "fetched_at", src[i].fetched_at);
        add_assoc_long(&row, "http_status", src[i].http_status);
        add_id_or_null(&row, "job_id", src[i].job_id);
        add_id_or_null(&row, "created_job", src[i].created_job);
        add_id_or_null(&row, "import_id", src[i].import_id);
        add_id_or_null(&row, "created_import", src[i].created_import);
        add_index_zval(return_value, (zend_ulong)src[i].post_id, &row);
    }
    kbj_post_sources_free(src, n);
}
/* }}} */

/* {{{ KBJobs\Engine::importPostIds(string $importId, string $by = "any", int $after = 0, int $limit = 100): array */
PHP_METHOD(KBJobs_Engine, importPostIds)
{
    zend_string *id, *by = NULL;
    zend_long after = 0, limit = 100;
    long long *ids, next = 0;
    size_t n = 0;
    zval list;
    int rc;

    ZEND_PARSE_PARAMETERS_START(1, 4)
        Z_PARAM_PATH_STR(id)
        Z_PARAM_OPTIONAL
        Z_PARAM_PATH_STR(by)
        Z_PARAM_LONG(after)
        Z_PARAM_LONG(limit)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    if (limit < 1 || limit > 1000) {
        zend_argument_value_error(4, "must be between 1 and 1000");
        RETURN_THROWS();
    }
    if (after < 0) {
        zend_argument_value_error(3, "must be greater than or equal to 0");
        RETURN_THROWS();
    }
    ids = safe_emalloc((size_t)limit, sizeof *ids, 0);
    rc = kbj_import_post_ids(eng, ZSTR_VAL(id), by ? ZSTR_VAL(by) : "any", after, (size_t)limit, ids, &n, &next);
    if (rc) {
        efree(ids);
        kbjobs_throw(eng, rc);
        RETURN_THROWS();
    }
    array_init_size(&list, (uint32_t)n);
    for (size_t i = 0; i < n; i++)
        add_next_index_long(&list, (zend_long)ids[i]);
    efree(ids);
    array_init(return_value);
    add_assoc_zval(return_value, "post_ids", &list);
    if (next > 0)
        add_assoc_long(return_value, "next_cursor", (zend_long)next);
    else
        add_assoc_null(return_value, "next_cursor");
}
/* }}} */

/* {{{ KBJobs\Engine::failedItems(string $id, int $cursor = 0, int $limit = 100): array */
PHP_METHOD(KBJobs_Engine, failedItems)
{
    zend_string *id;
    zend_long cursor = 0, limit = 100;
    kbj_failed_item *items = NULL;
    size_t n = 0;
    long long next = -1;
    zval list;

    ZEND_PARSE_PARAMETERS_START(1, 3)
        Z_PARAM_PATH_STR(id)
        Z_PARAM_OPTIONAL
        Z_PARAM_LONG(cursor)
        Z_PARAM_LONG(limit)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    if (cursor < 0) {
        zend_argument_value_error(2, "must be greater than or equal to 0");
        RETURN_THROWS();
    }
    /* the engine checks the limit (a negative one converts to one far above its range) */
    KBJOBS_CHECK(eng, kbj_import_failed_items(eng, ZSTR_VAL(id), (unsigned long long)cursor, (size_t)limit,
                                              &items, &n, &next));
    array_init_size(&list, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        zval row;
        array_init_size(&row, 7);
        add_assoc_long(&row, "index", (zend_long)items[i].index);
        add_assoc_string(&row, "url", items[i].url);
        add_assoc_string(&row, "class", items[i].error_class);
        add_assoc_string(&row, "error", items[i].error);
        add_assoc_long(&row, "http_status", items[i].http_status);
        add_assoc_long(&row, "tries", (zend_long)items[i].tries);
        add_assoc_double(&row, "at", items[i].at);
        add_next_index_zval(&list, &row);
    }
    kbj_failed_items_free(items, n);
    array_init(return_value);
    add_assoc_zval(return_value, "items", &list);
    if (next >= 0)
        add_assoc_long(return_value, "next_cursor", (zend_long)next);
    else
        add_assoc_null(return_value, "next_cursor");
}
/* }}} */

static void add_str_or_null(zval *arr, const char *key, const char *v)
{
    if (v)
        add_assoc_string(arr, key, v);
    else
        add_assoc_null(arr, key);
}

static void doc_to_array(const kbj_import_doc *d, zval *out)
{
    array_init_size(out, 20);
    add_assoc_string(out, "url", d->url); /* credentials redacted by the engine */
    add_assoc_string(out, "url_hash", d->url_hash);
    add_str_or_null(out, "final_url", d->final_url);
    add_assoc_string(out, "artifact", d->artifact);
    add_assoc_string(out, "title", d->doc->title);
    add_assoc_string(out, "text", d->doc->text);
    add_assoc_string(out, "html", d->doc->html);
    add_str_or_null(out, "description", d->doc->description);
    add_str_or_null(out, "canonical", d->doc->canonical);
    add_str_or_null(out, "language", d->doc->language);
    add_assoc_string(out, "charset", d->doc->charset);
    add_assoc_string(out, "content_hash", d->doc->content_hash);
    add_assoc_long(out, "post_id", (zend_long)d->post_id);
    add_assoc_long(out, "http_status", d->http_status);
    add_assoc_double(out, "fetched_at", d->fetched_at);
    add_assoc_long(out, "index", (zend_long)d->index);
}

int kbjobs_import_sink(kbj_ctx *ctx, const kbj_import_doc *docs, size_t n, long long *post_ids,
                       char **errors, void *arg)
{
    kbjobs_engine_obj *o = arg;
    zval args[2], retval, *v;
    size_t i = 0;
    int rc;

    array_init_size(&args[0], (uint32_t)n);
    for (size_t k = 0; k < n; k++) {
        zval d;
        doc_to_array(&docs[k], &d);
        add_next_index_zval(&args[0], &d);
    }
    kbjobs_context_new(ctx, &args[1]);
    rc = kbjobs_call_in_job(o, ctx, &o->sink, args, 2, &retval, NULL);
    kbjobs_context_end(&args[1]);
    zval_ptr_dtor(&args[0]);
    zval_ptr_dtor(&args[1]);
    if (rc)
        return rc;
    if (Z_TYPE(retval) != IS_ARRAY || zend_hash_num_elements(Z_ARRVAL(retval)) != n) {
        zval_ptr_dtor(&retval);
        return kbj_ctx_fail(ctx, "the import sink must return a list with one post id (or error message)"
                                 " per document", 1);
    }
    ZEND_HASH_FOREACH_VAL(Z_ARRVAL(retval), v) {
        ZVAL_DEREF(v);
        if (Z_TYPE_P(v) == IS_LONG && Z_LVAL_P(v) > 0) {
            post_ids[i] = Z_LVAL_P(v);
        } else if (Z_TYPE_P(v) == IS_STRING) {
            errors[i] = strndup(Z_STRVAL_P(v), Z_STRLEN_P(v) > 500 ? 500 : Z_STRLEN_P(v));
        } else {
            errors[i] = strdup("the sink returned no post id");
        }
        i++;
    } ZEND_HASH_FOREACH_END();
    zval_ptr_dtor(&retval);
    return KBJ_OK;
}

PHP_METHOD(KBJobs_Engine, resubmitFailedItems)
{
    zend_string *id;
    char new_id[KBJ_ID_LEN + 1];
    size_t urls = 0;
    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_PATH_STR(id)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    KBJOBS_CHECK(eng, kbj_import_resubmit_failed(eng, ZSTR_VAL(id), new_id, &urls));
    array_init_size(return_value, 2);
    add_assoc_stringl(return_value, "id", new_id, KBJ_ID_LEN);
    add_assoc_long(return_value, "urls", (zend_long)urls);
}
