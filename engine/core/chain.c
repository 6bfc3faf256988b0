/*
 * chain.c - ordering rules for chains of phases.
 */
#include "chain.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One growing list of messages in a report. */
typedef struct msglist {
    char ***v;
    size_t *n;
    size_t cap;
} msglist;

static int add(msglist *l, kbj_err *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static int add(msglist *l, kbj_err *err, const char *fmt, ...)
{
    char buf[512];
    char *s;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (*l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        char **grown = realloc(*l->v, cap * sizeof *grown);
        if (!grown)
            return kbj_fail(err, KBJ_ENOMEM, "out of memory");
        *l->v = grown;
        l->cap = cap;
    }
    if (!(s = strdup(buf)))
        return kbj_fail(err, KBJ_ENOMEM, "out of memory");
    (*l->v)[(*l->n)++] = s;
    return 0;
}

void kbj_chain_report_free(kbj_chain_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nerrors; i++)
        free(r->errors[i]);
    free(r->errors);
    for (size_t i = 0; i < r->nwarnings; i++)
        free(r->warnings[i]);
    free(r->warnings);
    memset(r, 0, sizeof *r);
}

/* "%.80s" plus "..." when cut, for names that may come from outside. */
#define NAME_MAX_SHOWN 80
#define MSG_MAX_SHOWN 200
#define CUT(s, max) (int)(max), (s), strlen(s) > (max) ? "..." : ""

static int check_args(const char *const *types, size_t n, const kbj_chain_rule *rules,
                      size_t nrules, int (*known)(const char *, void *), kbj_err *err)
{
    if (!known)
        return kbj_fail(err, KBJ_EINVAL, "no function to look job types up with");
    if (n > 0 && !types)
        return kbj_fail(err, KBJ_EINVAL, "no phase types");
    if (nrules > 0 && !rules)
        return kbj_fail(err, KBJ_EINVAL, "no rules");
    for (size_t i = 0; i < n; i++)
        if (!types[i])
            return kbj_fail(err, KBJ_EINVAL, "phase %zu has no type", i + 1);
    for (size_t i = 0; i < nrules; i++) {
        const kbj_chain_rule *r = &rules[i];
        if (!r->before || !*r->before || !r->after || !*r->after)
            return kbj_fail(err, KBJ_EINVAL, "chain rule %zu lacks a job type", i);
        if (strcmp(r->before, r->after) == 0)
            return kbj_fail(err, KBJ_EINVAL, "chain rule %zu names %.*s%s twice", i,
                            CUT(r->before, NAME_MAX_SHOWN));
        if (r->severity != KBJ_CHAIN_WARNING && r->severity != KBJ_CHAIN_ERROR)
            return kbj_fail(err, KBJ_EINVAL, "chain rule %zu has an unknown severity %d", i,
                            r->severity);
    }
    return 0;
}

static int check_chain(const char *const *types, size_t n, const kbj_chain_rule *rules,
                       size_t nrules, int (*known)(const char *, void *), void *arg,
                       msglist *errors, msglist *warnings, kbj_err *err)
{
    int rc;

    if (n == 0)
        return add(errors, err, "the chain has no phases");
    if (n > KBJ_CHAIN_MAX_PHASES)
        return add(errors, err, "the chain has %zu phases; at most %d are allowed", n,
                   KBJ_CHAIN_MAX_PHASES);
    for (size_t i = 0; i < n; i++) {
        int k = known(types[i], arg);
        if (k < 0)
            return kbj_fail(err, k, "looking up job type %.*s%s failed: %s",
                            CUT(types[i], NAME_MAX_SHOWN), kbj_strerror(k));
        if (k == 0 && (rc = add(errors, err, "phase %zu (%.*s%s): unknown job type", i + 1,
                                CUT(types[i], NAME_MAX_SHOWN))))
            return rc;
    }
    for (size_t r = 0; r < nrules; r++) {
        const kbj_chain_rule *rule = &rules[r];
        msglist *to = rule->severity == KBJ_CHAIN_ERROR ? errors : warnings;
        int has_msg = rule->message && *rule->message;
        for (size_t i = 0; i < n; i++) {
            size_t j = i + 1;
            if (strcmp(types[i], rule->after) != 0)
                continue;
            while (j < n && strcmp(types[j], rule->before) != 0)
                j++;
            if (j == n)
                break; /* no `before` after this phase, so none after any later one */
            rc = add(to, err, "phase %zu (%.*s%s) runs before phase %zu (%.*s%s): "
                     "%.*s%s should run before %.*s%s%s%.*s%s",
                     i + 1, CUT(types[i], NAME_MAX_SHOWN), j + 1, CUT(types[j], NAME_MAX_SHOWN),
                     CUT(rule->before, NAME_MAX_SHOWN), CUT(rule->after, NAME_MAX_SHOWN),
                     has_msg ? "; " : "", CUT(has_msg ? rule->message : "", MSG_MAX_SHOWN));
            if (rc)
                return rc;
        }
    }
    return 0;
}

int kbj_chain_validate(const char *const *types, size_t n, const kbj_chain_rule *rules,
                       size_t nrules, int (*known)(const char *type, void *arg), void *arg,
                       kbj_chain_report *out, kbj_err *err)
{
    msglist errors, warnings;
    int rc;

    if (!out)
        return kbj_fail(err, KBJ_EINVAL, "no report to fill");
    memset(out, 0, sizeof *out);
    if ((rc = check_args(types, n, rules, nrules, known, err)))
        return rc;
    errors = (msglist){ &out->errors, &out->nerrors, 0 };
    warnings = (msglist){ &out->warnings, &out->nwarnings, 0 };
    rc = check_chain(types, n, rules, nrules, known, arg, &errors, &warnings, err);
    if (rc)
        kbj_chain_report_free(out);
    return rc;
}
