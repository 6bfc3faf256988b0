/*
 * normalise_entities.h - character references rewritten before libxml2 reads a page
 * (normalise_entities.c). Internal to the normaliser (see normalise_internal.h).
 */
#ifndef KBJ_NORMALISE_ENTITIES_H
#define KBJ_NORMALISE_ENTITIES_H

#include <stddef.h>

#include "normalise_internal.h"

/*
 * Appends the `n` bytes of UTF-8 at `s` to `out` with every '&' rewritten into a form
 * libxml2 2.9 decodes at once, to the same text as HTML reads: a named reference of
 * libxml2's table becomes "&#value;", a numeric one "&#value;" with the value HTML gives
 * it (U+FFFD for 0, surrogates and values beyond U+10FFFF, windows-1252 for 0x80-0x9F,
 * nothing for other controls and U+FFFE/U+FFFF), and any other '&' "&amp;". Returns 0
 * or KBJ_ENOMEM; the caller frees `out` either way.
 */
int kbj_norm_rewrite_references(const char *s, size_t n, buf *out);

#endif /* KBJ_NORMALISE_ENTITIES_H */
