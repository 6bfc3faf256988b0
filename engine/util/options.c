/*
 * options.c - the ranges of the numeric options of kbj_run and of imports, in one table
 * each, and the checks made against them (see options.h).
 */
#include "options.h"

#include <math.h>
#include <string.h>

/* kbj_run_opts fields with a range. max_jobs and max_memory have none (any count or
 * size is a budget); checkpoint_items is only checked not to be negative. */
static const kbj_option_range run_ranges[] = {
    { "max_seconds", 0, 86400.0 * 365, 0 },
    { "idle_ms", 0, 3600000, 1 },
    { "idle_min_ms", 0, 3600000, 1 },
    { "claim_batch", 0, 1000, 1 },
    { "until_empty_wait_ms", 0, 3600000, 1 },
    { "grace_seconds", 0, 86400, 1 },
    { "checkpoint_seconds", 0, 86400, 0 },
};

/* kbj_fetch_config, kbj_norm_limits and kbj_urllist_limits fields; 0 is each one's
 * default. */
static const kbj_option_range import_ranges[] = {
    { "max_total", 0, 1000, 1 },
    { "max_per_host", 0, 100, 1 },
    { "connect_timeout_ms", 0, 600000, 1 },
    { "timeout_ms", 0, 3600000, 1 },
    { "low_speed_bytes", 0, 1 << 30, 1 },
    { "low_speed_seconds", 0, 3600, 1 },
    { "max_body", 0, 4294967296.0, 1 },
    { "max_decoded", 0, 4294967296.0, 1 },
    { "max_redirects", 0, 20, 1 },
    { "retries", 0, 20, 1 },
    { "retry_base_ms", 0, 600000, 1 },
    { "retry_after_max_ms", 0, 3600000, 1 },
    { "max_input", 0, 4294967296.0, 1 },
    { "max_text", 0, 1 << 30, 1 },
    { "max_depth", 0, 10000, 1 },
    { "max_list_bytes", 0, 1099511627776.0, 1 },
    { "max_list_lines", 0, 100000000, 1 },
};

static const kbj_option_range *find(const kbj_option_range *t, size_t n, const char *name)
{
    for (size_t i = 0; name && i < n; i++)
        if (strcmp(t[i].name, name) == 0)
            return &t[i];
    return NULL;
}

const kbj_option_range *kbj_run_option_range(const char *name)
{
    return find(run_ranges, sizeof run_ranges / sizeof run_ranges[0], name);
}

const kbj_option_range *kbj_import_option_range(const char *name)
{
    return find(import_ranges, sizeof import_ranges / sizeof import_ranges[0], name);
}

/* 0 when `v` is within the range of option `name` in `r`, else KBJ_EINVAL naming it. */
static int check(const kbj_option_range *r, double v, kbj_err *err)
{
    if (v >= r->min && v <= r->max) /* false for NaN */
        return KBJ_OK;
    if (r->integer)
        return kbj_fail(err, KBJ_EINVAL, "option \"%s\" must be between %.0f and %.0f", r->name, r->min, r->max);
    return kbj_fail(err, KBJ_EINVAL, "option \"%s\" must be between %g and %g", r->name, r->min, r->max);
}

#define CHECK(table, name, value)                                     \
    do {                                                              \
        int rc_ = check(kbj_##table##_option_range(name), (double)(value), err); \
        if (rc_)                                                      \
            return rc_;                                               \
    } while (0)

int kbj_run_opts_check(const kbj_run_opts *o, kbj_err *err)
{
    if (!o)
        return KBJ_OK;
    CHECK(run, "max_seconds", o->max_seconds);
    CHECK(run, "idle_ms", o->idle_ms);
    CHECK(run, "idle_min_ms", o->idle_min_ms);
    CHECK(run, "claim_batch", o->claim_batch);
    CHECK(run, "until_empty_wait_ms", o->until_empty_wait_ms);
    CHECK(run, "grace_seconds", o->grace_seconds);
    CHECK(run, "checkpoint_seconds", o->checkpoint_seconds);
    if (o->checkpoint_items < 0)
        return kbj_fail(err, KBJ_EINVAL, "option \"checkpoint_items\" must not be negative");
    return KBJ_OK;
}

int kbj_import_settings_check(const kbj_fetch_config *f, const kbj_norm_limits *l, const kbj_urllist_limits *u,
                              kbj_err *err)
{
    if (f) {
        CHECK(import, "max_total", f->max_total);
        CHECK(import, "max_per_host", f->max_per_host);
        CHECK(import, "connect_timeout_ms", f->connect_timeout_ms);
        CHECK(import, "timeout_ms", f->timeout_ms);
        CHECK(import, "low_speed_bytes", f->low_speed_bytes);
        CHECK(import, "low_speed_seconds", f->low_speed_seconds);
        CHECK(import, "max_body", f->max_body);
        CHECK(import, "max_decoded", f->max_decoded);
        CHECK(import, "max_redirects", f->max_redirects);
        if (f->retries != KBJ_FETCH_NO_RETRY)
            CHECK(import, "retries", f->retries);
        CHECK(import, "retry_base_ms", f->retry_base_ms);
        CHECK(import, "retry_after_max_ms", f->retry_after_max_ms);
    }
    if (l) {
        CHECK(import, "max_input", l->max_input);
        CHECK(import, "max_text", l->max_text);
        CHECK(import, "max_depth", l->max_depth);
    }
    if (u) {
        CHECK(import, "max_list_bytes", u->max_list_bytes);
        CHECK(import, "max_list_lines", u->max_list_lines);
    }
    return KBJ_OK;
}
