/*
 * convert.c - conversions between PHP values and the engine's JSON texts, and the
 * mapping of engine error codes to exceptions.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "php.h"
#include "ext/json/php_json.h"
#include "zend_exceptions.h"
#include "zend_smart_str.h"

#include "php_kbjobs.h"

void kbjobs_throw(kbj_engine *eng, int rc)
{
    const char *msg = eng ? kbj_errmsg(eng) : "";
    zend_class_entry *ce;

    if (!msg || !*msg)
        msg = kbj_strerror(rc);
    switch (rc) {
    case KBJ_EINVAL:
        /* a ValueError, carrying the engine's code like every other engine error */
        zend_throw_exception(zend_ce_value_error, msg, rc);
        return;
    case KBJ_ENOTFOUND:
        ce = kbjobs_ce_not_found;
        break;
    case KBJ_ECONFLICT:
        ce = kbjobs_ce_conflict;
        break;
    case KBJ_ELEASE:
        ce = kbjobs_ce_lease_lost;
        break;
    case KBJ_EDB:
    case KBJ_ECONNECT:
    case KBJ_EUNSUPPORTED:
        ce = kbjobs_ce_database;
        break;
    case KBJ_EIO:
    case KBJ_ECORRUPT:
        ce = kbjobs_ce_filesystem;
        break;
    default:
        ce = kbjobs_ce_exception;
        break;
    }
    zend_throw_exception(ce, msg, rc);
}

static const char *json_error(int code)
{
    switch (code) {
    case PHP_JSON_ERROR_UTF8: return "malformed UTF-8 characters";
    case PHP_JSON_ERROR_DEPTH: return "maximum nesting depth exceeded";
    case PHP_JSON_ERROR_RECURSION: return "recursive references";
    case PHP_JSON_ERROR_INF_OR_NAN: return "INF or NAN";
    case PHP_JSON_ERROR_UNSUPPORTED_TYPE: return "a value of an unsupported type";
    default: return "an unencodable value";
    }
}

zend_string *kbjobs_json_encode(zval *v, const char *what)
{
    smart_str buf = { 0 };
    if (php_json_encode(&buf, v, PHP_JSON_UNESCAPED_SLASHES | PHP_JSON_UNESCAPED_UNICODE |
                                    PHP_JSON_PRESERVE_ZERO_FRACTION) == FAILURE ||
        JSON_G(error_code) != PHP_JSON_ERROR_NONE) {
        smart_str_free(&buf);
        if (!EG(exception))
            zend_value_error("%s cannot be encoded as JSON: %s", what,
                             json_error(JSON_G(error_code)));
        JSON_G(error_code) = PHP_JSON_ERROR_NONE;
        return NULL;
    }
    smart_str_0(&buf);
    return buf.s ? buf.s : ZSTR_EMPTY_ALLOC();
}

zend_string *kbjobs_json_object(zval *arr, const char *what)
{
    if (Z_TYPE_P(arr) != IS_ARRAY) {
        zend_type_error("%s must be an array", what);
        return NULL;
    }
    if (zend_hash_num_elements(Z_ARRVAL_P(arr)) == 0)
        return zend_string_init("{}", 2, 0);
    if (zend_array_is_list(Z_ARRVAL_P(arr))) {
        zend_value_error("%s must be an associative array (a JSON object), not a list", what);
        return NULL;
    }
    return kbjobs_json_encode(arr, what);
}

void kbjobs_json_decode(const char *json, zval *out)
{
    ZVAL_NULL(out);
    if (!json)
        return;
    if (php_json_decode_ex(out, json, strlen(json), PHP_JSON_OBJECT_AS_ARRAY, 512) == FAILURE) {
        JSON_G(error_code) = PHP_JSON_ERROR_NONE;
        ZVAL_NULL(out);
    }
}

void kbjobs_checkpoint_to_array(const kbj_checkpoint *c, zval *out)
{
    zval v;
    array_init(out);
    add_assoc_string(out, "job_id", (char *)c->job_id);
    add_assoc_string(out, "type", (char *)c->type);
    add_assoc_long(out, "progress_done", (zend_long)c->progress_done);
    add_assoc_long(out, "progress_total", (zend_long)c->progress_total);
    kbjobs_json_decode(c->cursor, &v);
    add_assoc_zval(out, "cursor", &v);
    kbjobs_json_decode(c->counts, &v);
    if (Z_TYPE(v) != IS_ARRAY) {
        zval_ptr_dtor(&v);
        array_init(&v);
    }
    add_assoc_zval(out, "counts", &v);
    kbjobs_json_decode(c->errors, &v);
    if (Z_TYPE(v) != IS_ARRAY) {
        zval_ptr_dtor(&v);
        array_init(&v);
    }
    add_assoc_zval(out, "errors", &v);
    kbjobs_json_decode(c->state, &v);
    add_assoc_zval(out, "state", &v);
    if (c->worker_id[0])
        add_assoc_string(out, "worker_id", (char *)c->worker_id);
    else
        add_assoc_null(out, "worker_id");
    add_assoc_long(out, "total_workers", c->total_workers);
    add_assoc_long(out, "range_start", (zend_long)c->range_start);
    add_assoc_long(out, "range_end", (zend_long)c->range_end);
    add_assoc_double(out, "created_at", c->created_at);
    add_assoc_double(out, "saved_at", c->saved_at);
}

void kbjobs_add_time(zval *arr, const char *key, double t)
{
    if (t > 0)
        add_assoc_double(arr, key, t);
    else
        add_assoc_null(arr, key);
}
