/*
 * normalise_charset.h - the normaliser's charsets (normalise_charset.c): which charset
 * a page is in, and its bytes as clean UTF-8 for the parser. Internal to the normaliser
 * (see normalise_internal.h).
 */
#ifndef KBJ_NORMALISE_CHARSET_H
#define KBJ_NORMALISE_CHARSET_H

#include <stddef.h>

#include "normalise_internal.h"

/*
 * Picks the charset of the `n` bytes at `s` as normalise.h says (a byte-order mark, else
 * the charset parameter of `content_type` (may be NULL), else - when `html` - a <meta>
 * declaration within the first 4 KiB, else UTF-8 when the bytes are valid UTF-8, else
 * windows-1252; an unknown name or one iconv lacks counts as none) and appends the page
 * to the empty buffer `out` as clean UTF-8: one U+FFFD for each byte that is not part
 * of a character (and for NUL), form feed as a space, the other C0 controls but tab, LF
 * and CR, DEL and the C1 controls dropped. *charset receives the canonical name of the
 * charset used ("utf-8", "windows-1252", ...; static storage). Returns 0 with `out`
 * NUL-terminated (also when empty), or KBJ_ENOMEM; the caller frees `out` either way.
 */
int kbj_norm_decode_page(const unsigned char *s, size_t n, const char *content_type, int html,
                         buf *out, const char **charset);

#endif /* KBJ_NORMALISE_CHARSET_H */
