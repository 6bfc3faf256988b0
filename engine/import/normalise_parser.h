/*
 * normalise_parser.h - the walk over a page in clean UTF-8 (normalise_parser.c):
 * libxml2's HTML parser in SAX mode, or the lines of a text/plain page, into the parts
 * of a document. Internal to the normaliser (see normalise_internal.h).
 */
#ifndef KBJ_NORMALISE_PARSER_H
#define KBJ_NORMALISE_PARSER_H

#include <stddef.h>

#include "normalise.h"
#include "normalise_internal.h"

/*
 * Appends `ref` to `out` as a URL libxml2's xmlBuildURI accepts, as browsers read it:
 * leading and trailing whitespace trimmed, tab, CR and LF dropped, and bytes that may
 * not appear in a URL (controls, space, non-ASCII, " < > \ ^ ` { | }, a % that starts
 * no escape) percent-encoded. Returns 0, KBJ_EINVAL when longer than 2,048 bytes, or
 * KBJ_ENOMEM; the caller frees `out` either way.
 */
int kbj_norm_url_escape(const char *ref, buf *out);

/*
 * Walks the page `u` (n bytes of clean UTF-8, NUL-terminated; for HTML, with its
 * references rewritten and its start tags defused in place) as HTML, or as text/plain
 * when `plain`, within `limits` (may be NULL), and fills doc's title, text, html,
 * description, canonical, language and truncated as normalise.h says. `page` is the
 * page URL as kbj_norm_url_escape() made it, malloc'd, or NULL (relative links then
 * have no base unless the page has a <base href>); it is taken over and freed. `url`
 * is the page URL as given, the last resort for the title. Returns 0, or KBJ_ENOMEM
 * with doc partly filled: the caller clears it. libxml2's global state is left as it
 * was.
 */
int kbj_norm_walk(char *u, size_t n, int plain, char *page, const char *url,
                  const kbj_norm_limits *limits, kbj_doc *doc);

#endif /* KBJ_NORMALISE_PARSER_H */
