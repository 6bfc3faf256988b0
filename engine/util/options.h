/*
 * options.h - the numeric options of kbj_run and of imports: their ranges (public
 * through kbj_run_option_range and kbj_import_option_range, so a binding converts and
 * checks against the same numbers), and the checks kbj_run and kbj_import_configure
 * apply before using them, so every caller gets them, C callers included.
 */
#ifndef KBJ_OPTIONS_H
#define KBJ_OPTIONS_H

#include "kbj.h"
#include "kbj_import.h"

/*
 * Checks the numeric fields of run options against their ranges (see
 * kbj_run_option_range; checkpoint_items must not be negative). Returns 0, or KBJ_EINVAL
 * with a message naming the option: `option "idle_ms" must be between 0 and 3600000`.
 * `o` may be NULL (all defaults).
 */
int kbj_run_opts_check(const kbj_run_opts *o, kbj_err *err);

/*
 * Checks import settings against their ranges (see kbj_import_option_range; retries
 * may also be KBJ_FETCH_NO_RETRY). Any argument may be NULL. Returns 0, or KBJ_EINVAL
 * with a message naming the setting: `option "max_redirects" must be between 0 and 20`.
 */
int kbj_import_settings_check(const kbj_fetch_config *fetch, const kbj_norm_limits *limits,
                              const kbj_urllist_limits *list, kbj_err *err);

#endif /* KBJ_OPTIONS_H */
