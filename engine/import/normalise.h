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

/* Zero (or a NULL pointer) means the default for each field. */
typedef struct kbj_norm_limits {
    size_t max_input;   /* bytes of page accepted (default 10 MiB); more: KBJ_EINVAL */
    size_t max_text;    /* bytes of text kept (default 1 MiB); the rest is cut at a
                         * character boundary and `truncated` set */
    unsigned max_depth; /* element nesting walked (default 256); deeper content is
                         * ignored and `truncated` set */
} kbj_norm_limits;

typedef struct kbj_doc {
    char *title;        /* <title>, else the first <h1> of the text's region, else the
                         * first <h1> anywhere, else the URL ("untitled" for an empty
                         * URL); whitespace collapsed, at most 1,000 bytes (text/plain:
                         * 200); never NULL or empty */
    char *text;         /* main text: the first <main> when it has text, else the
                         * <article>s (all of them, in order) when they have text, else
                         * <body>; without script, style, noscript, template, nav,
                         * header, footer, aside, form, svg, iframe, button, select,
                         * head (and textarea, object, embed, canvas, audio, video);
                         * blocks separated by "\n\n", <br> by "\n", other whitespace
                         * (also inside <pre>, and U+00A0) collapsed to one space; never
                         * NULL */
    char *html;         /* the same content as simple HTML: p, h1-h6, ul/ol/li, pre,
                         * code, blockquote, table/thead/tbody/tr/td/th, em/strong/b/i,
                         * br, and a with an absolute http(s) href, no other attributes;
                         * always well nested (text outside blocks gets a <p>, other
                         * block elements are unwrapped, empty elements are left out);
                         * whitespace of <pre> kept (tabs as four spaces); text and
                         * attribute values escaped (& < > "); at most 2 * max_text
                         * bytes; never NULL */
    char *description;  /* <meta name="description">, at most 1,000 bytes, or NULL */
    char *canonical;    /* <link rel="canonical"> resolved against the <base href> or the
                         * URL, http(s) only, at most 2,048 bytes (else dropped), or NULL */
    char *language;     /* <html lang>, else Content-Language meta, at most 35 bytes, or
                         * NULL */
    char charset[40];   /* the charset the page was decoded from, by its lowercase
                         * canonical name ("utf-8", "windows-1252", "shift_jis",
                         * "utf-16le"); iso-8859-1 and us-ascii are read as windows-1252 */
    char content_hash[65]; /* sha256 (hex) of title "\n" text: what decides "changed" */
    int truncated;      /* a limit cut the text, the html or the walk (too deep, too many
                         * stray tags, or the parse stopped once the text was full) */
} kbj_doc;

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

#endif /* KBJ_NORMALISE_H */
