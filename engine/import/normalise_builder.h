/*
 * normalise_builder.h - the state of one walk over a page, shared by the normaliser's
 * parser (normalise_parser.c: libxml2's SAX callbacks, metadata, the walk's lifecycle)
 * and its document builder (normalise_builder.c: captures, and the text and safe html
 * of the three sinks). Internal to the normaliser (see normalise_internal.h).
 *
 * libxml2's parser context is named by its struct tag only, so that libxml2's headers
 * stay in normalise*.c.
 */
#ifndef KBJ_NORMALISE_BUILDER_H
#define KBJ_NORMALISE_BUILDER_H

#include <stddef.h>

#include "normalise_internal.h"

struct _xmlParserCtxt; /* libxml2's htmlParserCtxt */

/* ======================================================================== *
 * Elements
 * ======================================================================== */

enum tag {
    T_OTHER, T_A, T_ARTICLE, T_B, T_BASE, T_BLOCKQUOTE, T_BR, T_CODE, T_EM,
    T_H1, T_H2, T_H3, T_H4, T_H5, T_H6, T_HTML, T_I, T_LI, T_LINK, T_MAIN, T_META,
    T_OL, T_P, T_PRE, T_STRONG, T_SVG, T_TABLE, T_TBODY, T_TD, T_TH, T_THEAD, T_TITLE,
    T_TR, T_UL,
};

#define F_BLOCK 1 /* a block of text: separated from what is around it by a blank line */
#define F_SKIP 2  /* not content: nothing inside reaches text or html */
#define F_CELL 4  /* a table cell: separated by a space */

typedef struct tagdef {
    const char *name;
    unsigned char tag, flags;
} tagdef;

/* ======================================================================== *
 * The walk: SAX state, captures and sinks
 * ======================================================================== */

/* Text captured for the title, a heading or an attribute: whitespace collapsed. */
typedef struct capture {
    buf b;
    int state;  /* 0 not started, 1 capturing, 2 done */
    int space;  /* whitespace seen since the last content */
    size_t cap; /* bytes kept */
} capture;

/* One open element of a sink's html output; written out only once content reaches
 * it, so elements left empty never appear. */
typedef struct outel {
    unsigned char tag, implicit;
    unsigned serial;
    char *href;        /* for a */
} outel;

/* Where content goes: the first <main>, the <article>s, or the whole body. Each keeps
 * its own text and html; the first non-empty one in that order is the document. */
typedef struct sink {
    int active, seen, truncated;
    buf text;
    int sep;           /* separator owed before the next text: SEP_* */
    int text_full;
    buf html;
    int html_full;
    size_t reserve;    /* bytes of end tags the open output elements will need */
    outel *out;        /* open output elements */
    size_t nout, capout;
    size_t nemitted;   /* out[0 .. nemitted - 1] are written; the rest are pending */
    unsigned serial;   /* of the last output element opened */
    int inl;           /* inline content since the last block or line break */
    int space;         /* whitespace owed before the next inline content */
    int brk;           /* a <br> owed before the next inline content */
    size_t npre, na;   /* open pre and a elements in the output */
    char *link;        /* href of the source <a> being walked, or NULL ... */
    size_t link_frame; /* ... and its frame */
    capture h1;        /* its first <h1> */
} sink;

enum { SEP_NONE, SEP_SPACE, SEP_LINE, SEP_PARA };
enum { SK_BODY, SK_MAIN, SK_ARTICLE, NSINK };

#define FR_SKIP 1
#define FR_MAIN 2
#define FR_ARTICLE 4
#define FR_TITLE 8
#define FR_H1 16
#define FR_SVG 32

/* An open element within max_depth. */
typedef struct frame {
    unsigned char tag, tflags;        /* its tagdef */
    unsigned char flags, sinkh1;      /* FR_*; sinks whose h1 capture it started */
    unsigned serial[NSINK];            /* output element it opened in each sink, or 0 */
    size_t index[NSINK];
} frame;

typedef struct state {
    struct _xmlParserCtxt *ctxt; /* libxml2's htmlParserCtxtPtr, while a parse runs */
    size_t max_text, html_cap;
    unsigned max_depth;
    int rc;                  /* first failure (KBJ_ENOMEM) */
    int halted;              /* the parser was stopped */
    frame *frames;
    size_t nframes, capframes;
    size_t ignored;          /* open elements beyond max_depth */
    int ignored_block;       /* the outermost of them is a block */
    size_t skip;             /* open F_SKIP elements */
    size_t svg;
    unsigned long long work; /* nesting levels libxml2 scanned for stray tags */
    unsigned long nerrors;
    sink sinks[NSINK];
    capture title, h1;
    char *description, *lang_html, *lang_meta, *canonical_ref, *base;
    int base_seen;
    char *page;              /* the page URL, percent-encoded for xmlBuildURI */
} state;

/* ======================================================================== *
 * The builder (normalise_builder.c)
 * ======================================================================== */

/* Records the first failure (KBJ_ENOMEM) in st->rc and stops the parser, if one runs. */
void kbj_norm_fail(state *st, int rc);

/* Text of the page (`n` bytes of clean UTF-8, outside skipped and too deep elements):
 * to the captures and the active sinks (kept as it is in <pre>). Stops the parser once
 * nothing more can be kept. */
void kbj_norm_characters(state *st, const char *s, size_t n);

/* Feeds the text/plain page `u` (n bytes of clean UTF-8) to the body sink: paragraphs
 * are separated by blank lines; the first non-empty line is the title. */
void kbj_norm_parse_plain(state *st, const char *u, size_t n);

/* The captured text without trailing space, handed over as a malloc'd string (the
 * capture is then empty); NULL when empty, or when out of memory (st->rc is then set). */
char *kbj_norm_capture_take(state *st, capture *c);

/* The attribute value `v` (may be NULL) with whitespace collapsed and trimmed and
 * control characters dropped, at most `cap` bytes (cut at a character boundary), as a
 * malloc'd string; NULL when empty (or out of memory: st->rc is then set). */
char *kbj_norm_clean_value(state *st, const char *v, size_t cap);

/* The start of an element `td` that is content (not F_SKIP) in the active sink `k`
 * (number ki), whose frame is f (the top one); href: the resolved link of <a>, else
 * NULL. */
void kbj_norm_sink_start(state *st, sink *k, int ki, frame *f, tagdef td, const char *href);

/* The end of the content element `td` whose frame f is the top one, in sink k (ki). */
void kbj_norm_sink_end(state *st, sink *k, int ki, const frame *f, tagdef td);

/* The boundary of a block element whose content is not walked (skipped, too deep). */
void kbj_norm_block_boundary(state *st, sink *k);

/* Ends a sink's region (main, article): everything open in its html is closed. */
void kbj_norm_sink_stop(state *st, sink *k);

/* Closes the sink's open html elements until `n` remain open. */
void kbj_norm_html_close_to(state *st, sink *k, size_t n);

#endif /* KBJ_NORMALISE_BUILDER_H */
