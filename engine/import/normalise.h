/*
 * normalise.h - turns a fetched page into a plain document: title, main text, summary,
 * canonical URL, language, and a content hash, all in UTF-8.
 *
 * The only module that includes libxml2. It never calls xmlInitParser/xmlCleanupParser
 * or changes libxml2's global settings (PHP owns them): it uses a parser context of its
 * own per call.
 */
#ifndef KBJ_NORMALISE_H
#define KBJ_NORMALISE_H

#include <stddef.h>

#include "kbj.h"
#include "kbj_import.h"

/* kbj_norm_limits and kbj_doc are public: see kbj_import.h. */

/*
 * Parses the `len` bytes of `body` fetched from `url` with Content-Type
 * `content_type` (may be NULL). The charset comes from a byte-order mark, else the
 * header's charset parameter, else a <meta charset> or http-equiv Content-Type within
 * the first 4 KiB, else UTF-8 when the bytes are valid UTF-8, else windows-1252; the
 * text is converted to UTF-8 and invalid sequences replaced with U+FFFD (one for each
 * bad byte). An unknown charset name is treated as if none were given. "text/plain"
 * bodies become a document whose text is the body (whitespace collapsed per paragraph,
 * paragraphs separated by blank lines) and whose title is the first non-empty line (cut
 * to 200 bytes); any other type is read as HTML. Relative links resolve against the
 * <base href> (when http(s)) or `url`. All strings are valid UTF-8 without NUL or
 * control characters other than '\n' in text (and in <pre> of html).
 *
 * Bounded: input over max_input is refused; nesting beyond max_depth is not walked
 * (the walk is iterative, never recursive); text is capped. Returns 0 with *doc
 * filled (free with kbj_doc_clear), KBJ_EINVAL (NULL doc or url, NULL body with len
 * above 0, or "page larger than N bytes") or KBJ_ENOMEM, with a message in err; on
 * failure *doc is zeroed. Thread-safe; libxml2's global state (error handlers, the
 * thread's last error) is left as it was.
 */
int kbj_normalise(const char *body, size_t len, const char *content_type, const char *url,
                  const kbj_norm_limits *limits, kbj_doc *doc, kbj_err *err);

/* Frees what a document holds and zeroes it. Accepts NULL. */
void kbj_doc_clear(kbj_doc *doc);

/* Sets up libxml2's global state once (xmlInitParser): call it on the thread that starts
 * others before they normalise, as libxml2 asks. Idempotent. */
void kbj_normalise_init(void);

#endif /* KBJ_NORMALISE_H */
