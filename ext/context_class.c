/*
 * context_class.c - KBJobs\Context: what a PHP job handler is given. It wraps the
 * engine's kbj_ctx and is valid only while its handler runs.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "php.h"

#include "php_kbjobs.h"

static zend_object_handlers context_handlers;

static zend_object *context_create(zend_class_entry *ce)
{
    kbjobs_context_obj *o = zend_object_alloc(sizeof(kbjobs_context_obj), ce);
    zend_object_std_init(&o->std, ce);
    object_properties_init(&o->std, ce);
    o->std.handlers = &context_handlers;
    return &o->std;
}

void kbjobs_context_new(kbj_ctx *ctx, zval *out)
{
    object_init_ex(out, kbjobs_ce_context);
    kbjobs_context_from(Z_OBJ_P(out))->ctx = ctx;
    kbjobs_context_from(Z_OBJ_P(out))->stopped_early = 0;
}

void kbjobs_context_end(zval *ctx)
{
    kbjobs_context_from(Z_OBJ_P(ctx))->ctx = NULL;
}

int kbjobs_context_stopped_early(zval *ctx)
{
    return kbjobs_context_from(Z_OBJ_P(ctx))->stopped_early;
}

static kbj_ctx *ctx_or_throw(zval *self)
{
    kbj_ctx *c = kbjobs_context_from(Z_OBJ_P(self))->ctx;
    if (!c)
        zend_throw_error(NULL, "KBJobs\\Context is only valid while its handler runs");
    return c;
}

#define CTX(c)                       \
    kbj_ctx *c = ctx_or_throw(ZEND_THIS); \
    if (!c)                          \
        RETURN_THROWS();

#define CTX_CHECK(c, call)                                   \
    do {                                                     \
        int rc_ = (call);                                    \
        if (rc_) {                                           \
            kbjobs_throw(kbj_ctx_engine(c), rc_);            \
            RETURN_THROWS();                                 \
        }                                                    \
    } while (0)

PHP_METHOD(KBJobs_Context, __construct)
{
    ZEND_PARSE_PARAMETERS_NONE();
}

PHP_METHOD(KBJobs_Context, id)
{
    ZEND_PARSE_PARAMETERS_NONE();
    CTX(c);
    RETURN_STRING(kbj_ctx_lease(c)->id);
}

PHP_METHOD(KBJobs_Context, type)
{
    ZEND_PARSE_PARAMETERS_NONE();
    CTX(c);
    RETURN_STRING(kbj_ctx_lease(c)->type);
}

PHP_METHOD(KBJobs_Context, attempt)
{
    ZEND_PARSE_PARAMETERS_NONE();
    CTX(c);
    RETURN_LONG(kbj_ctx_lease(c)->attempts);
}

PHP_METHOD(KBJobs_Context, params)
{
    ZEND_PARSE_PARAMETERS_NONE();
    CTX(c);
    kbjobs_json_decode(kbj_ctx_params(c), return_value);
    if (Z_TYPE_P(return_value) != IS_ARRAY) {
        zval_ptr_dtor(return_value);
        array_init(return_value);
    }
}

PHP_METHOD(KBJobs_Context, progress)
{
    zend_long done, total = 0;
    zend_string *phase = NULL;
    ZEND_PARSE_PARAMETERS_START(1, 3)
        Z_PARAM_LONG(done)
        Z_PARAM_OPTIONAL
        Z_PARAM_LONG(total)
        Z_PARAM_PATH_STR_OR_NULL(phase)
    ZEND_PARSE_PARAMETERS_END();
    CTX(c);
    if (done < 0) {
        zend_argument_value_error(1, "must be greater than or equal to 0");
        RETURN_THROWS();
    }
    if (total < 0) {
        zend_argument_value_error(2, "must be greater than or equal to 0");
        RETURN_THROWS();
    }
    CTX_CHECK(c, kbj_ctx_progress(c, done, total, phase ? ZSTR_VAL(phase) : NULL));
}

PHP_METHOD(KBJobs_Context, title)
{
    zend_string *title;
    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_PATH_STR(title)
    ZEND_PARSE_PARAMETERS_END();
    CTX(c);
    CTX_CHECK(c, kbj_ctx_title(c, ZSTR_VAL(title)));
}

PHP_METHOD(KBJobs_Context, log)
{
    zend_string *level, *message, *cjson = NULL;
    zval *context = NULL;
    int rc;
    ZEND_PARSE_PARAMETERS_START(2, 3)
        Z_PARAM_PATH_STR(level)
        Z_PARAM_PATH_STR(message)
        Z_PARAM_OPTIONAL
        Z_PARAM_ARRAY(context)
    ZEND_PARSE_PARAMETERS_END();
    CTX(c);
    if (context && zend_hash_num_elements(Z_ARRVAL_P(context)) && !(cjson = kbjobs_json_object(context, "context")))
        RETURN_THROWS();
    rc = kbj_ctx_log(c, ZSTR_VAL(level), ZSTR_VAL(message), cjson ? ZSTR_VAL(cjson) : NULL);
    if (cjson)
        zend_string_release(cjson);
    CTX_CHECK(c, rc);
}

PHP_METHOD(KBJobs_Context, metrics)
{
    zval *metrics;
    zend_string *json;
    int rc;
    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_ARRAY(metrics)
    ZEND_PARSE_PARAMETERS_END();
    CTX(c);
    if (!(json = kbjobs_json_object(metrics, "metrics")))
        RETURN_THROWS();
    rc = kbj_ctx_metrics(c, ZSTR_VAL(json));
    zend_string_release(json);
    CTX_CHECK(c, rc);
}

PHP_METHOD(KBJobs_Context, checkpoint)
{
    zval *cursor = NULL, *counts = NULL, *state = NULL;
    bool force = 0;
    zend_string *jc = NULL, *jn = NULL, *js = NULL;
    int rc = KBJ_OK;
    ZEND_PARSE_PARAMETERS_START(0, 4)
        Z_PARAM_OPTIONAL
        Z_PARAM_ZVAL(cursor)
        Z_PARAM_ARRAY(counts)
        Z_PARAM_ZVAL(state)
        Z_PARAM_BOOL(force)
    ZEND_PARSE_PARAMETERS_END();
    CTX(c);
    if ((cursor && Z_TYPE_P(cursor) != IS_NULL && !(jc = kbjobs_json_encode(cursor, "the cursor"))) ||
        (counts && zend_hash_num_elements(Z_ARRVAL_P(counts)) && !(jn = kbjobs_json_object(counts, "counts"))) ||
        (state && Z_TYPE_P(state) != IS_NULL && !(js = kbjobs_json_encode(state, "the state"))))
        rc = KBJ_EINVAL;
    if (rc == KBJ_OK)
        rc = kbj_ctx_checkpoint(c, jc ? ZSTR_VAL(jc) : NULL, jn ? ZSTR_VAL(jn) : NULL, js ? ZSTR_VAL(js) : NULL, force);
    if (jc)
        zend_string_release(jc);
    if (jn)
        zend_string_release(jn);
    if (js)
        zend_string_release(js);
    if (EG(exception))
        RETURN_THROWS();
    CTX_CHECK(c, rc < 0 ? rc : KBJ_OK);
    RETURN_BOOL(rc == 1);
}

PHP_METHOD(KBJobs_Context, lastCheckpoint)
{
    kbj_checkpoint *cp = NULL;
    int rc;
    ZEND_PARSE_PARAMETERS_NONE();
    CTX(c);
    rc = kbj_ctx_last_checkpoint(c, &cp);
    if (rc == KBJ_ENOTFOUND)
        RETURN_NULL();
    CTX_CHECK(c, rc);
    kbjobs_checkpoint_to_array(cp, return_value);
    kbj_checkpoint_free(cp);
}

PHP_METHOD(KBJobs_Context, shouldStop)
{
    ZEND_PARSE_PARAMETERS_NONE();
    CTX(c);
    RETURN_BOOL(kbj_ctx_should_stop(c));
}

PHP_METHOD(KBJobs_Context, cancelled)
{
    ZEND_PARSE_PARAMETERS_NONE();
    CTX(c);
    RETURN_BOOL(kbj_ctx_cancelled(c));
}

PHP_METHOD(KBJobs_Context, stopEarly)
{
    ZEND_PARSE_PARAMETERS_NONE();
    CTX(c);
    (void)c;
    kbjobs_context_from(Z_OBJ_P(ZEND_THIS))->stopped_early = 1;
}

PHP_METHOD(KBJobs_Context, leaseRemaining)
{
    ZEND_PARSE_PARAMETERS_NONE();
    CTX(c);
    RETURN_DOUBLE(kbj_ctx_lease_remaining(c));
}

PHP_METHOD(KBJobs_Context, assertLease)
{
    zend_string *why = NULL;
    ZEND_PARSE_PARAMETERS_START(0, 1)
        Z_PARAM_OPTIONAL
        Z_PARAM_STR_OR_NULL(why)
    ZEND_PARSE_PARAMETERS_END();
    CTX(c);
    CTX_CHECK(c, why ? kbj_ctx_lease_lost(c, ZSTR_VAL(why)) : kbj_ctx_lease_held(c));
}

PHP_METHOD(KBJobs_Context, fenceStatement)
{
    char sql[512];
    ZEND_PARSE_PARAMETERS_NONE();
    CTX(c);
    CTX_CHECK(c, kbj_ctx_fence_sql(c, sql, sizeof sql));
    RETURN_STRING(sql);
}

/* One entry of recordPostsStatement()'s list: its string field `key`, or NULL after
 * throwing. */
static const char *post_field(HashTable *post, const char *key, uint32_t i)
{
    zval *v = zend_hash_str_find_deref(post, key, strlen(key));
    if (!v || Z_TYPE_P(v) != IS_STRING) {
        zend_argument_type_error(1, "entry %u must have a string \"%s\"", i, key);
        return NULL;
    }
    return Z_STRVAL_P(v);
}

PHP_METHOD(KBJobs_Context, recordPostsStatement)
{
    HashTable *list;
    kbj_artifact_post *posts;
    zval *entry;
    uint32_t n, i = 0;
    char *sql = NULL;
    int rc;

    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_ARRAY_HT(list)
    ZEND_PARSE_PARAMETERS_END();
    CTX(c);
    n = zend_hash_num_elements(list);
    posts = ecalloc(n ? n : 1, sizeof *posts);
    ZEND_HASH_FOREACH_VAL(list, entry) {
        zval *id, *created;
        ZVAL_DEREF(entry);
        if (Z_TYPE_P(entry) != IS_ARRAY) {
            zend_argument_type_error(1, "entry %u must be an array", i);
            efree(posts);
            RETURN_THROWS();
        }
        id = zend_hash_str_find_deref(Z_ARRVAL_P(entry), "post_id", sizeof "post_id" - 1);
        created = zend_hash_str_find_deref(Z_ARRVAL_P(entry), "created", sizeof "created" - 1);
        posts[i].url_hash = post_field(Z_ARRVAL_P(entry), "url_hash", i);
        posts[i].content_hash = posts[i].url_hash ? post_field(Z_ARRVAL_P(entry), "content_hash", i) : NULL;
        if (!posts[i].content_hash) {
            efree(posts);
            RETURN_THROWS();
        }
        if (!id || Z_TYPE_P(id) != IS_LONG) {
            zend_argument_type_error(1, "entry %u must have an int \"post_id\"", i);
            efree(posts);
            RETURN_THROWS();
        }
        posts[i].post_id = (long long)Z_LVAL_P(id);
        posts[i].created = created && zend_is_true(created);
        i++;
    } ZEND_HASH_FOREACH_END();
    rc = kbj_artifact_posts_sql(kbj_ctx_engine(c), kbj_ctx_lease(c)->id, posts, n, &sql);
    efree(posts);
    CTX_CHECK(c, rc);
    RETVAL_STRING(sql);
    free(sql);
}

void kbjobs_context_minit(void)
{
    kbjobs_ce_context->create_object = context_create;
    memcpy(&context_handlers, zend_get_std_object_handlers(), sizeof context_handlers);
    context_handlers.offset = XtOffsetOf(kbjobs_context_obj, std);
    context_handlers.clone_obj = NULL;
    kbjobs_ce_context->ce_flags |= ZEND_ACC_NOT_SERIALIZABLE;
}
