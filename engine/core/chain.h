/*
 * chain.h - checks the order of a chain of phases (a combined job) against the ordering
 * rules that job types declare.
 *
 * A rule says "phases of type `before` should run before phases of type `after`". It is
 * broken wherever a phase of type `after` comes earlier in the chain than a phase of
 * type `before`. Rules carry a severity: an error makes the chain invalid, a warning is
 * advice the operator may ignore. Errors and warnings are reported separately, each as
 * one finished sentence, so a UI can list them as they are.
 */
#ifndef KBJ_CHAIN_H
#define KBJ_CHAIN_H

#include <stddef.h>

#include "kbj.h"

/* The longest chain checked; a longer one is reported as an error in the report. */
#define KBJ_CHAIN_MAX_PHASES 256

/* kbj_chain_rule, kbj_chain_report, the severities and kbj_chain_report_free are public:
 * see kbj.h. */

/*
 * Checks the chain `types[0..n-1]` (phase 1 is types[0]) and fills *out, which is
 * overwritten (not freed) on entry. Messages, in this order:
 *   - an empty chain: "the chain has no phases" (error; nothing else is checked);
 *   - a chain of more than KBJ_CHAIN_MAX_PHASES phases: "the chain has 300 phases; at
 *     most 256 are allowed" (error; nothing else is checked);
 *   - each phase whose type `known` does not know, in phase order:
 *     "phase 2 (foo.bar): unknown job type" (error);
 *   - for each rule in order, each phase of type `after` followed later by a phase of
 *     type `before`, paired with the first such phase:
 *     "phase 3 (index) runs before phase 4 (metadata): metadata should run before index"
 *     followed by "; <message>" when the rule has a message (error or warning, as the
 *     rule's severity says).
 * Repeated phase types are allowed. Names longer than 80 bytes and messages longer than
 * 200 are cut in the text.
 *
 * `known(type, arg)` returns 1 when the type exists, 0 when it does not, or a negative
 * KBJ_E* code when it cannot tell; that code is then returned.
 *
 * Returns 0 (whether or not the chain is valid: see out->nerrors); KBJ_EINVAL when out
 * or known is NULL, types is NULL with n > 0 or holds a NULL, rules is NULL with
 * nrules > 0, or a rule lacks a type, names the same type twice or has an unknown
 * severity (the message names the rule's index); KBJ_ENOMEM; or the negative code
 * `known` returned. On any error *out is left empty (all zero), and `known` is not
 * called after bad arguments.
 */
int kbj_chain_validate(const char *const *types, size_t n, const kbj_chain_rule *rules,
                       size_t nrules, int (*known)(const char *type, void *arg), void *arg,
                       kbj_chain_report *out, kbj_err *err);


#endif
