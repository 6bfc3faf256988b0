/*
 * engine_jobs.c - KBJobs\Engine's job methods: submit (one or many), get, list, cancel,
 * resume, rerun, attempts, logs, retention, checkpoints and interrupted jobs, reap.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "php.h"
#include "zend_exceptions.h"

#include "php_kbjobs.h"

#define THIS_ENGINE() kbjobs_engine_from(Z_OBJ_P(ZEND_THIS))

PHP_METHOD(KBJobs_Engine, submit)
{
    zend_string *type;
    zval *params = NULL;
    HashTable *options = NULL;
    kbj_submit s = { 0 };
    zend_string *pjson = NULL;
    char id[KBJ_ID_LEN + 1];
    kbj_resource res[KBJ_MAX_RESOURCES];
    int rc;

    ZEND_PARSE_PARAMETERS_START(1, 3)
        Z_PARAM_PATH_STR(type)
        Z_PARAM_OPTIONAL
        Z_PARAM_ARRAY(params)
        Z_PARAM_ARRAY_HT(options)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    if (kbjobs_parse_submit_arg(options, params, &s, &pjson, res))
        RETURN_THROWS();
    s.type = ZSTR_VAL(type);
    rc = kbj_submit_job(eng, &s, id, NULL);
    if (pjson)
        zend_string_release(pjson);
    if (rc) {
        kbjobs_throw(eng, rc);
        RETURN_THROWS();
    }
    RETURN_STRINGL(id, KBJ_ID_LEN);
}

PHP_METHOD(KBJobs_Engine, submitMany)
{
    HashTable *jobs;
    kbj_submit *subs;
    zend_string **pj;
    kbj_resource (*res)[KBJ_MAX_RESOURCES];
    char (*ids)[KBJ_ID_LEN + 1];
    uint32_t n, i = 0;
    zval *job;
    int rc = KBJ_OK, bad = 0;

    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_ARRAY_HT(jobs)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    n = zend_hash_num_elements(jobs);
    if (n == 0)
        RETURN_EMPTY_ARRAY();
    if (n > 100000) {
        zend_argument_value_error(1, "must hold at most 100000 jobs");
        RETURN_THROWS();
    }
    subs = ecalloc(n, sizeof *subs);
    pj = ecalloc(n, sizeof *pj);
    res = ecalloc(n, sizeof *res);
    ids = ecalloc(n, sizeof *ids);
    ZEND_HASH_FOREACH_VAL(jobs, job) {
        zval *t, *p;
        ZVAL_DEREF(job);
        if (Z_TYPE_P(job) != IS_ARRAY) {
            zend_argument_type_error(1, "must be a list of arrays, element %u is %s", i, zend_zval_type_name(job));
            bad = 1;
            break;
        }
        t = zend_hash_str_find(Z_ARRVAL_P(job), "type", 4);
        p = zend_hash_str_find(Z_ARRVAL_P(job), "params", 6);
        if (!t || Z_TYPE_P(t) != IS_STRING || zend_str_has_nul_byte(Z_STR_P(t))) {
            zend_argument_value_error(1, t && Z_TYPE_P(t) == IS_STRING
                                         ? "element %u: \"type\" must not contain any null bytes"
                                         : "element %u must have a string \"type\"", i);
            bad = 1;
            break;
        }
        if (p && Z_TYPE_P(p) != IS_ARRAY) {
            zend_argument_type_error(1, "element %u: \"params\" must be an array", i);
            bad = 1;
            break;
        }
        if (kbjobs_known_keys(Z_ARRVAL_P(job), kbjobs_submit_keys, "submit option") ||
            kbjobs_parse_submit(Z_ARRVAL_P(job), p, &subs[i], &pj[i], res[i])) {
            bad = 1;
            break;
        }
        subs[i].type = Z_STRVAL_P(t);
        i++;
    } ZEND_HASH_FOREACH_END();
    if (!bad)
        rc = kbj_submit_many(eng, subs, n, ids);
    for (uint32_t k = 0; k < n; k++)
        if (pj[k])
            zend_string_release(pj[k]);
    if (!bad && rc == KBJ_OK) {
        array_init_size(return_value, n);
        for (uint32_t k = 0; k < n; k++)
            add_next_index_stringl(return_value, ids[k], KBJ_ID_LEN);
    } else if (!bad) {
        kbjobs_throw(eng, rc);
    }
    efree(subs);
    efree(pj);
    efree(res);
    efree(ids);
}

PHP_METHOD(KBJobs_Engine, get)
{
    zend_string *id;
    kbj_job *j = NULL;
    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_PATH_STR(id)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    KBJOBS_CHECK(eng, kbj_job_get(eng, ZSTR_VAL(id), &j));
    kbjobs_job_from(j, return_value);
    kbj_job_free(j);
}

static const char *const filter_keys[] = { "status", "type", "queue", "concurrency_key", "created_after",
                                           "created_before", "search", "unique_key_prefix", "limit", "cursor",
                                           "backlog", NULL };

int kbjobs_parse_job_filter(HashTable *filter, kbj_job_filter *f)
{
    zend_long limit = 0;

    memset(f, 0, sizeof *f);
    if (kbjobs_known_keys(filter, filter_keys, "filter") || kbjobs_opt_string(filter, "status", &f->status) ||
        kbjobs_opt_string(filter, "type", &f->type) || kbjobs_opt_string(filter, "queue", &f->queue) ||
        kbjobs_opt_string(filter, "concurrency_key", &f->concurrency_key) ||
        kbjobs_opt_double(filter, "created_after", 0, 32503680000.0, &f->created_after) ||
        kbjobs_opt_double(filter, "created_before", 0, 32503680000.0, &f->created_before) ||
        kbjobs_opt_string(filter, "search", &f->search) ||
        kbjobs_opt_string(filter, "unique_key_prefix", &f->unique_key_prefix) ||
        kbjobs_opt_string(filter, "backlog", &f->backlog) ||
        kbjobs_opt_long(filter, "limit", 0, 1000, &limit) || kbjobs_opt_string(filter, "cursor", &f->cursor))
        return -1;
    f->limit = (size_t)limit;
    return 0;
}

PHP_METHOD(KBJobs_Engine, list)
{
    HashTable *filter = NULL;
    kbj_job_filter f;
    kbj_job **jobs = NULL;
    size_t n = 0;
    char next[32];
    zval list;

    ZEND_PARSE_PARAMETERS_START(0, 1)
        Z_PARAM_OPTIONAL
        Z_PARAM_ARRAY_HT(filter)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    if (kbjobs_parse_job_filter(filter, &f))
        RETURN_THROWS();
    KBJOBS_CHECK(eng, kbj_job_list(eng, &f, &jobs, &n, next));
    array_init(return_value);
    array_init_size(&list, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        zval j;
        kbjobs_job_from(jobs[i], &j);
        add_next_index_zval(&list, &j);
    }
    kbj_jobs_free(jobs, n);
    add_assoc_zval(return_value, "jobs", &list);
    if (next[0])
        add_assoc_string(return_value, "next_cursor", next);
    else
        add_assoc_null(return_value, "next_cursor");
}

/*
 * jobsByUniqueKeys: the job holding each unique key (a manifest's verify). Each key is
 * one indexed read of the unique-key prefix through the engine's list, paged until the
 * exact key shows (keys compare without case, as the column does); the newest job with
 * the key is taken. Keys no job holds are left out of the answer.
 */
PHP_METHOD(KBJobs_Engine, jobsByUniqueKeys)
{
    HashTable *keys;
    zval *k;
    uint32_t i = 0;

    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_ARRAY_HT(keys)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    if (zend_hash_num_elements(keys) > 1000) {
        zend_argument_value_error(1, "must hold at most 1000 keys");
        RETURN_THROWS();
    }
    ZEND_HASH_FOREACH_VAL(keys, k) {
        ZVAL_DEREF(k);
        if (Z_TYPE_P(k) != IS_STRING || Z_STRLEN_P(k) == 0 || Z_STRLEN_P(k) > KBJ_KEY_MAX ||
            zend_str_has_nul_byte(Z_STR_P(k))) {
            zend_argument_value_error(1, "element %u must be a unique key of 1 to %d bytes", i, KBJ_KEY_MAX);
            RETURN_THROWS();
        }
        i++;
    } ZEND_HASH_FOREACH_END();
    array_init(return_value);
    ZEND_HASH_FOREACH_VAL(keys, k) {
        kbj_job_filter f;
        char next[32] = "", cur[32] = "";
        int found = 0;

        ZVAL_DEREF(k);
        memset(&f, 0, sizeof f);
        f.unique_key_prefix = Z_STRVAL_P(k);
        f.limit = 100;
        do {
            kbj_job **jobs = NULL;
            size_t n = 0;
            int rc = kbj_job_list(eng, &f, &jobs, &n, next);
            if (rc) {
                zend_array_destroy(Z_ARR_P(return_value));
                ZVAL_UNDEF(return_value);
                kbjobs_throw(eng, rc);
                RETURN_THROWS();
            }
            for (size_t j = 0; j < n && !found; j++)
                if (jobs[j]->unique_key && strcasecmp(jobs[j]->unique_key, Z_STRVAL_P(k)) == 0) {
                    zval job;
                    kbjobs_job_from(jobs[j], &job);
                    add_assoc_zval_ex(return_value, Z_STRVAL_P(k), Z_STRLEN_P(k), &job);
                    found = 1;
                }
            kbj_jobs_free(jobs, n);
            memcpy(cur, next, sizeof cur);
            f.cursor = cur;
        } while (!found && next[0]);
    } ZEND_HASH_FOREACH_END();
}

PHP_METHOD(KBJobs_Engine, cancel)
{
    zend_string *id;
    int was_running = 0;
    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_PATH_STR(id)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    KBJOBS_CHECK(eng, kbj_job_cancel(eng, ZSTR_VAL(id), &was_running));
    RETURN_BOOL(was_running);
}

PHP_METHOD(KBJobs_Engine, resume)
{
    zend_string *id;
    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_PATH_STR(id)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    KBJOBS_CHECK(eng, kbj_job_resume(eng, ZSTR_VAL(id)));
}

PHP_METHOD(KBJobs_Engine, rerun)
{
    zend_string *id;
    char new_id[KBJ_ID_LEN + 1];
    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_PATH_STR(id)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    KBJOBS_CHECK(eng, kbj_job_rerun(eng, ZSTR_VAL(id), new_id));
    RETURN_STRINGL(new_id, KBJ_ID_LEN);
}

PHP_METHOD(KBJobs_Engine, attempts)
{
    zend_string *id;
    kbj_attempt *a = NULL;
    size_t n = 0;
    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_PATH_STR(id)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    KBJOBS_CHECK(eng, kbj_job_attempts(eng, ZSTR_VAL(id), &a, &n));
    array_init_size(return_value, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        zval row;
        array_init(&row);
        add_assoc_long(&row, "attempt", a[i].attempt);
        add_assoc_string(&row, "outcome", a[i].outcome);
        if (a[i].runner[0])
            add_assoc_string(&row, "runner", a[i].runner);
        else
            add_assoc_null(&row, "runner");
        kbjobs_add_time(&row, "started_at", a[i].started_at);
        kbjobs_add_time(&row, "finished_at", a[i].finished_at);
        if (a[i].error)
            add_assoc_string(&row, "error", a[i].error);
        else
            add_assoc_null(&row, "error");
        add_next_index_zval(return_value, &row);
    }
    kbj_attempts_free(a, n);
}

PHP_METHOD(KBJobs_Engine, log)
{
    zend_string *id, *level, *message;
    zval *context = NULL;
    zend_string *cjson = NULL;
    int rc;
    ZEND_PARSE_PARAMETERS_START(3, 4)
        Z_PARAM_PATH_STR(id)
        Z_PARAM_PATH_STR(level)
        Z_PARAM_PATH_STR(message)
        Z_PARAM_OPTIONAL
        Z_PARAM_ARRAY(context)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    {
        /* a log belongs to a job: one that does not exist would never be cleaned up */
        kbj_job *j = NULL;
        KBJOBS_CHECK(eng, kbj_job_get(eng, ZSTR_VAL(id), &j));
        kbj_job_free(j);
    }
    if (context && zend_hash_num_elements(Z_ARRVAL_P(context)) && !(cjson = kbjobs_json_object(context, "context")))
        RETURN_THROWS();
    rc = kbj_log(eng, ZSTR_VAL(id), ZSTR_VAL(level), ZSTR_VAL(message), cjson ? ZSTR_VAL(cjson) : NULL);
    if (cjson)
        zend_string_release(cjson);
    KBJOBS_CHECK(eng, rc);
}

static void logread_to_array(kbj_logread *r, zval *out)
{
    zval lines;
    array_init(out);
    array_init_size(&lines, (uint32_t)r->count);
    for (size_t i = 0; i < r->count; i++) {
        zval line;
        kbjobs_json_decode(r->lines[i], &line);
        add_next_index_zval(&lines, &line);
    }
    add_assoc_zval(out, "lines", &lines);
    add_assoc_long(out, "next_cursor", (zend_long)r->next_cursor);
    add_assoc_bool(out, "eof", r->eof);
}

PHP_METHOD(KBJobs_Engine, logs)
{
    zend_string *id;
    zend_long cursor = 0, max_bytes = 0;
    kbj_logread r;
    ZEND_PARSE_PARAMETERS_START(1, 3)
        Z_PARAM_PATH_STR(id)
        Z_PARAM_OPTIONAL
        Z_PARAM_LONG(cursor)
        Z_PARAM_LONG(max_bytes)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    if (cursor < 0) {
        zend_argument_value_error(2, "must be greater than or equal to 0");
        RETURN_THROWS();
    }
    if (max_bytes < 0) {
        zend_argument_value_error(3, "must be greater than or equal to 0");
        RETURN_THROWS();
    }
    KBJOBS_CHECK(eng, kbj_log_read(eng, ZSTR_VAL(id), (unsigned long long)cursor, (size_t)max_bytes, &r));
    logread_to_array(&r, return_value);
    kbj_logread_free(&r);
}

PHP_METHOD(KBJobs_Engine, tail)
{
    zend_string *id;
    zend_long lines = 100;
    kbj_logread r;
    ZEND_PARSE_PARAMETERS_START(1, 2)
        Z_PARAM_PATH_STR(id)
        Z_PARAM_OPTIONAL
        Z_PARAM_LONG(lines)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    if (lines < 1 || lines > 10000) {
        zend_argument_value_error(2, "must be between 1 and 10000");
        RETURN_THROWS();
    }
    KBJOBS_CHECK(eng, kbj_log_tail(eng, ZSTR_VAL(id), (size_t)lines, &r));
    logread_to_array(&r, return_value);
    kbj_logread_free(&r);
}

PHP_METHOD(KBJobs_Engine, retention)
{
    zend_long days = 30;
    size_t deleted = 0;
    ZEND_PARSE_PARAMETERS_START(0, 1)
        Z_PARAM_OPTIONAL
        Z_PARAM_LONG(days)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    if (days < 0 || days > 36500) {
        zend_argument_value_error(1, "must be between 0 and 36500");
        RETURN_THROWS();
    }
    KBJOBS_CHECK(eng, kbj_retention(eng, (unsigned)days, &deleted));
    RETURN_LONG((zend_long)deleted);
}

PHP_METHOD(KBJobs_Engine, quarantine)
{
    zend_string *rel;
    char out[4096];
    int rc;
    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_PATH_STR(rel)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    rc = kbj_quarantine(eng, ZSTR_VAL(rel), out, sizeof out);
    if (rc == KBJ_EINVAL) {
        zend_argument_value_error(1, "%s", kbj_errmsg(eng));
        RETURN_THROWS();
    }
    KBJOBS_CHECK(eng, rc);
    RETURN_STRING(out);
}

PHP_METHOD(KBJobs_Engine, interrupted)
{
    zend_long limit = 50;
    kbj_interrupted *list = NULL;
    size_t n = 0;
    ZEND_PARSE_PARAMETERS_START(0, 1)
        Z_PARAM_OPTIONAL
        Z_PARAM_LONG(limit)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    if (limit < 1 || limit > 1000) {
        zend_argument_value_error(1, "must be between 1 and 1000");
        RETURN_THROWS();
    }
    KBJOBS_CHECK(eng, kbj_interrupted_list(eng, (size_t)limit, &list, &n));
    array_init_size(return_value, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        zval row;
        array_init(&row);
        add_assoc_string(&row, "job_id", list[i].job_id);
        add_assoc_string(&row, "type", list[i].type);
        add_assoc_long(&row, "progress_done", (zend_long)list[i].progress_done);
        add_assoc_long(&row, "progress_total", (zend_long)list[i].progress_total);
        kbjobs_add_time(&row, "interrupted_at", list[i].interrupted_at);
        if (list[i].checkpoint_age >= 0)
            add_assoc_double(&row, "checkpoint_age", list[i].checkpoint_age);
        else
            add_assoc_null(&row, "checkpoint_age");
        add_assoc_string(&row, "checkpoint", list[i].checkpoint_status);
        add_next_index_zval(return_value, &row);
    }
    free(list);
}

PHP_METHOD(KBJobs_Engine, checkpoint)
{
    zend_string *id;
    kbj_checkpoint *c = NULL;
    int rc;
    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_PATH_STR(id)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    rc = kbj_checkpoint_load(eng, ZSTR_VAL(id), &c);
    if (rc == KBJ_ENOTFOUND)
        RETURN_NULL();
    KBJOBS_CHECK(eng, rc);
    kbjobs_checkpoint_to_array(c, return_value);
    kbj_checkpoint_free(c);
}

PHP_METHOD(KBJobs_Engine, discardCheckpoint)
{
    zend_string *id;
    ZEND_PARSE_PARAMETERS_START(1, 1)
        Z_PARAM_PATH_STR(id)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    KBJOBS_CHECK(eng, kbj_checkpoint_discard(eng, ZSTR_VAL(id)));
}

PHP_METHOD(KBJobs_Engine, cleanupCheckpoints)
{
    zend_long days = 7;
    size_t removed = 0;
    ZEND_PARSE_PARAMETERS_START(0, 1)
        Z_PARAM_OPTIONAL
        Z_PARAM_LONG(days)
    ZEND_PARSE_PARAMETERS_END();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    if (days < 1 || days > 36500) {
        zend_argument_value_error(1, "must be between 1 and 36500");
        RETURN_THROWS();
    }
    KBJOBS_CHECK(eng, kbj_checkpoints_cleanup(eng, (unsigned)days, &removed));
    RETURN_LONG((zend_long)removed);
}

PHP_METHOD(KBJobs_Engine, reap)
{
    size_t reaped = 0;
    ZEND_PARSE_PARAMETERS_NONE();
    ENGINE_OR_THROW(THIS_ENGINE(), eng);
    KBJOBS_CHECK(eng, kbj_reap(eng, &reaped));
    RETURN_LONG((zend_long)reaped);
}

