/*
 * normalise_parser.c - the walk over a page (see normalise_parser.h): libxml2's HTML
 * parser with a context of its own and SAX callbacks only (no tree is built), which
 * keep the element stack within max_depth, budget the work libxml2 does for stray end
 * tags, read the metadata (<html lang>, <meta>, <link rel=canonical>, <base href>),
 * resolve links and hand content to the builder (normalise_builder.c); then the results
 * are moved into the document.
 *
 * libxml2 use: one parser context per call with its own SAX handler and its own
 * structured error handler; no global setting is read or written (the thread's "last
 * error" that every libxml2 parse overwrites is saved and restored around the parse,
 * so PHP's libxml_get_last_error() does not see ours). Part of the normaliser (see
 * normalise_internal.h); only normalise*.c include libxml2's headers.
 */
#include "normalise_parser.h"
#include "normalise_builder.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/parserInternals.h>
#include <libxml/uri.h>
#include <libxml/xmlerror.h>

#define DEFAULT_MAX_TEXT ((size_t)1 << 20)
#define DEFAULT_MAX_DEPTH 256u

#define TITLE_MAX 1000        /* bytes of an HTML title or heading used as title */
#define DESCRIPTION_MAX 1000
#define LANGUAGE_MAX 35
#define URL_MAX 2048          /* canonical and link URLs, as KBJ_URL_MAX */
#define DEPTH_WORK_BUDGET (64ull << 20) /* nesting levels libxml2 may scan for stray tags */

/* ======================================================================== *
 * Elements
 * ======================================================================== */

/* Sorted by name (strcmp) for bsearch. Elements not listed are inline and unwrapped. */
static const tagdef TAGS[] = {
    { "a", T_A, 0 },
    { "address", T_OTHER, F_BLOCK },
    { "article", T_ARTICLE, F_BLOCK },
    { "aside", T_OTHER, F_BLOCK | F_SKIP },
    { "audio", T_OTHER, F_SKIP },
    { "b", T_B, 0 },
    { "base", T_BASE, 0 },
    { "blockquote", T_BLOCKQUOTE, F_BLOCK },
    { "body", T_OTHER, F_BLOCK },
    { "br", T_BR, 0 },
    { "button", T_OTHER, F_SKIP },
    { "canvas", T_OTHER, F_SKIP },
    { "caption", T_OTHER, F_BLOCK },
    { "center", T_OTHER, F_BLOCK },
    { "code", T_CODE, 0 },
    { "datalist", T_OTHER, F_SKIP },
    { "dd", T_OTHER, F_BLOCK },
    { "details", T_OTHER, F_BLOCK },
    { "dialog", T_OTHER, F_BLOCK },
    { "dir", T_OTHER, F_BLOCK },
    { "div", T_OTHER, F_BLOCK },
    { "dl", T_OTHER, F_BLOCK },
    { "dt", T_OTHER, F_BLOCK },
    { "em", T_EM, 0 },
    { "embed", T_OTHER, F_SKIP },
    { "fieldset", T_OTHER, F_BLOCK },
    { "figcaption", T_OTHER, F_BLOCK },
    { "figure", T_OTHER, F_BLOCK },
    { "footer", T_OTHER, F_BLOCK | F_SKIP },
    { "form", T_OTHER, F_BLOCK | F_SKIP },
    { "frameset", T_OTHER, F_BLOCK | F_SKIP },
    { "h1", T_H1, F_BLOCK },
    { "h2", T_H2, F_BLOCK },
    { "h3", T_H3, F_BLOCK },
    { "h4", T_H4, F_BLOCK },
    { "h5", T_H5, F_BLOCK },
    { "h6", T_H6, F_BLOCK },
    { "head", T_OTHER, F_BLOCK | F_SKIP },
    { "header", T_OTHER, F_BLOCK | F_SKIP },
    { "hgroup", T_OTHER, F_BLOCK },
    { "hr", T_OTHER, F_BLOCK },
    { "html", T_HTML, F_BLOCK },
    { "i", T_I, 0 },
    { "iframe", T_OTHER, F_SKIP },
    { "legend", T_OTHER, F_BLOCK },
    { "li", T_LI, F_BLOCK },
    { "link", T_LINK, 0 },
    { "main", T_MAIN, F_BLOCK },
    { "menu", T_OTHER, F_BLOCK },
    { "meta", T_META, 0 },
    { "nav", T_OTHER, F_BLOCK | F_SKIP },
    { "noembed", T_OTHER, F_SKIP },
    { "noframes", T_OTHER, F_BLOCK | F_SKIP },
    { "noscript", T_OTHER, F_BLOCK | F_SKIP },
    { "object", T_OTHER, F_SKIP },
    { "ol", T_OL, F_BLOCK },
    { "option", T_OTHER, F_SKIP },
    { "p", T_P, F_BLOCK },
    { "pre", T_PRE, F_BLOCK },
    { "script", T_OTHER, F_SKIP },
    { "section", T_OTHER, F_BLOCK },
    { "select", T_OTHER, F_SKIP },
    { "strong", T_STRONG, 0 },
    { "style", T_OTHER, F_SKIP },
    { "summary", T_OTHER, F_BLOCK },
    { "svg", T_SVG, F_SKIP },
    { "table", T_TABLE, F_BLOCK },
    { "tbody", T_TBODY, F_BLOCK },
    { "td", T_TD, F_CELL },
    { "template", T_OTHER, F_BLOCK | F_SKIP },
    { "textarea", T_OTHER, F_SKIP },
    { "tfoot", T_OTHER, F_BLOCK },
    { "th", T_TH, F_CELL },
    { "thead", T_THEAD, F_BLOCK },
    { "title", T_TITLE, F_SKIP },
    { "tr", T_TR, F_BLOCK },
    { "ul", T_UL, F_BLOCK },
    { "video", T_OTHER, F_SKIP },
};

/* bsearch comparison of a name with a TAGS entry. */
static int tagdef_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const tagdef *)elem)->name);
}

/* The definition of the element named `name` (lowercase, as libxml2 reports it). */
static tagdef lookup_tag(const char *name)
{
    static const tagdef other = { "", T_OTHER, 0 };
    const tagdef *d = bsearch(name, TAGS, sizeof TAGS / sizeof TAGS[0], sizeof TAGS[0], tagdef_cmp);
    return d ? *d : other;
}

/* ======================================================================== *
 * URLs
 * ======================================================================== */

/* An ASCII hexadecimal digit. */
static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* Appends `ref` as a URL xmlBuildURI accepts, as browsers read it: without leading and
 * trailing whitespace and without tab, CR and LF inside, with bytes that may not appear
 * in a URL (controls, space, non-ASCII, " < > \ ^ ` { | }, and a % not starting an
 * escape) percent-encoded. Returns 0, KBJ_EINVAL when longer than URL_MAX, or
 * KBJ_ENOMEM. */
int kbj_norm_url_escape(const char *ref, buf *out)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(ref), i;

    while (n > 0 && is_ascii_space((unsigned char)*ref)) {
        ref++;
        n--;
    }
    while (n > 0 && is_ascii_space((unsigned char)ref[n - 1]))
        n--;
    if (n > URL_MAX)
        return KBJ_EINVAL;
    if (buf_reserve(out, 3 * n) != KBJ_OK)
        return KBJ_ENOMEM;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)ref[i];
        if (c == '\t' || c == '\n' || c == '\r')
            continue;
        if (c <= 0x20 || c >= 0x7F || strchr("\"<>\\^`{|}", c) ||
            (c == '%' && !(i + 2 < n && is_hex(ref[i + 1]) && is_hex(ref[i + 2])))) {
            char e[3] = { '%', hex[c >> 4], hex[c & 15] };
            buf_add(out, e, 3);
        } else {
            buf_add(out, (const char *)&c, 1);
        }
    }
    return out->len > URL_MAX ? KBJ_EINVAL : KBJ_OK;
}

/* `ref` made absolute against `base` (NULL: none) with xmlBuildURI, as a malloc'd
 * string: NULL unless the result is an http or https URL with a host, at most URL_MAX
 * bytes (its scheme is lowercased). Sets st->rc when out of memory. */
static char *resolve(state *st, const char *ref, const char *base)
{
    buf e = { 0 };
    xmlChar *r;
    char *out = NULL;
    size_t len, skip;
    int rc;

    if (!ref)
        return NULL;
    rc = kbj_norm_url_escape(ref, &e);
    if (rc != KBJ_OK) {
        if (rc == KBJ_ENOMEM)
            kbj_norm_fail(st, rc);
        buf_free(&e);
        return NULL;
    }
    r = xmlBuildURI(BAD_CAST(e.p ? e.p : ""), BAD_CAST base);
    buf_free(&e);
    if (!r)
        return NULL;
    len = strlen((const char *)r);
    skip = len >= 7 && ieq((const char *)r, 7, "http://") ? 7
         : len >= 8 && ieq((const char *)r, 8, "https://") ? 8 : 0;
    if (skip && len <= URL_MAX && r[skip] && !strchr("/?#", r[skip])) {
        out = malloc(len + 1);
        if (!out) {
            kbj_norm_fail(st, KBJ_ENOMEM);
        } else {
            memcpy(out, r, len + 1);
            for (size_t i = 0; i < skip - 3; i++)
                out[i] = (char)lower((unsigned char)out[i]);
        }
    }
    xmlFree(r);
    return out;
}

/* The base for relative URLs: the <base href> seen so far, else the page URL. */
static const char *base_url(const state *st)
{
    return st->base ? st->base : st->page;
}

/* ======================================================================== *
 * SAX callbacks
 * ======================================================================== */

/* The value of attribute `name` ("" when it has none), or NULL when absent. */
static const char *attr(const xmlChar **atts, const char *name)
{
    size_t i;
    if (!atts)
        return NULL;
    for (i = 0; atts[i]; i += 2)
        if (strcmp((const char *)atts[i], name) == 0)
            return atts[i + 1] ? (const char *)atts[i + 1] : "";
    return NULL;
}

/* 1 when the space-separated list `v` holds `token` (ASCII case-insensitive). */
static int has_token(const char *v, const char *token)
{
    while (v && *v) {
        size_t n;
        while (is_ascii_space((unsigned char)*v))
            v++;
        n = 0;
        while (v[n] && !is_ascii_space((unsigned char)v[n]))
            n++;
        if (n && ieq(v, n, token))
            return 1;
        v += n;
    }
    return 0;
}

/* <html lang>, <meta>, <link rel=canonical>, <base href>. */
static void metadata(state *st, unsigned char tag, const xmlChar **atts)
{
    const char *v;

    if (tag == T_HTML && !st->lang_html) {
        st->lang_html = kbj_norm_clean_value(st, attr(atts, "lang"), LANGUAGE_MAX);
    } else if (tag == T_META) {
        const char *name = attr(atts, "name"), *http = attr(atts, "http-equiv");
        v = attr(atts, "content");
        if (name && ieq(name, strlen(name), "description") && !st->description)
            st->description = kbj_norm_clean_value(st, v, DESCRIPTION_MAX);
        else if (http && ieq(http, strlen(http), "content-language") && !st->lang_meta)
            st->lang_meta = kbj_norm_clean_value(st, v, LANGUAGE_MAX);
    } else if (tag == T_LINK && !st->canonical_ref && has_token(attr(atts, "rel"), "canonical")) {
        v = attr(atts, "href");
        if (v && strlen(v) <= 4 * URL_MAX && !(st->canonical_ref = strdup(v)))
            kbj_norm_fail(st, KBJ_ENOMEM);
    } else if (tag == T_BASE && !st->base_seen && (v = attr(atts, "href")) != NULL) {
        st->base_seen = 1;
        st->base = resolve(st, v, st->page);
    }
}

/* SAX characters (and ignorable whitespace): text of the page. */
static void on_characters(void *ctx, const xmlChar *ch, int len)
{
    state *st = ((htmlParserCtxtPtr)ctx)->_private;

    if (st->rc || st->ignored || len <= 0)
        return;
    kbj_norm_characters(st, (const char *)ch, (size_t)len);
}

/* Script and style content: not text. */
static void on_cdata(void *ctx, const xmlChar *ch, int len)
{
    (void)ctx;
    (void)ch;
    (void)len;
}

/* SAX start of an element (name lowercase; atts: name/value pairs, values may be
 * NULL): depth limit, metadata, captures, regions, skipping, then the sinks. */
static void on_start(void *ctx, const xmlChar *name, const xmlChar **atts)
{
    htmlParserCtxtPtr ctxt = ctx;
    state *st = ctxt->_private;
    frame *f;
    tagdef td;
    char *href = NULL;
    int i;

    if (st->rc)
        return;
    if (st->ignored || st->nframes >= st->max_depth) {
        /* Too deep: ignored with all it holds, but still a boundary if a block. */
        if (st->ignored++ == 0 && !st->skip) {
            st->ignored_block = (lookup_tag((const char *)name).flags & F_BLOCK) != 0;
            for (i = 0; i < NSINK; i++)
                if (st->sinks[i].active) {
                    st->sinks[i].truncated = 1;
                    if (st->ignored_block)
                        kbj_norm_block_boundary(st, &st->sinks[i]);
                }
        }
        return;
    }
    if (st->nframes == st->capframes) {
        size_t cap = st->capframes ? st->capframes * 2 : 32;
        frame *fr = realloc(st->frames, cap * sizeof *fr);
        if (!fr)
            return kbj_norm_fail(st, KBJ_ENOMEM);
        st->frames = fr;
        st->capframes = cap;
    }
    td = lookup_tag((const char *)name);
    f = &st->frames[st->nframes++];
    memset(f, 0, sizeof *f);
    f->tag = td.tag;
    f->tflags = td.flags;

    metadata(st, td.tag, atts);
    if (td.tag == T_TITLE && st->title.state == 0 && !st->svg) {
        st->title.state = 1;
        f->flags |= FR_TITLE;
    }
    if (td.tag == T_H1 && st->h1.state == 0 && !st->svg) {
        st->h1.state = 1;
        f->flags |= FR_H1;
    }
    if (td.tag == T_SVG) {
        st->svg++;
        f->flags |= FR_SVG;
    }
    if (st->skip == 0) {
        if (td.tag == T_MAIN && !st->sinks[SK_MAIN].seen) {
            st->sinks[SK_MAIN].seen = st->sinks[SK_MAIN].active = 1;
            f->flags |= FR_MAIN;
        } else if (td.tag == T_ARTICLE && !st->sinks[SK_ARTICLE].active) {
            st->sinks[SK_ARTICLE].seen = st->sinks[SK_ARTICLE].active = 1;
            f->flags |= FR_ARTICLE;
        }
        if (td.tag == T_A)
            href = resolve(st, attr(atts, "href"), base_url(st));
        for (i = 0; i < NSINK; i++) {
            sink *k = &st->sinks[i];
            if (!k->active)
                continue;
            if (td.flags & F_SKIP) { /* only its boundary */
                if (td.flags & F_BLOCK)
                    kbj_norm_block_boundary(st, k);
            } else {
                kbj_norm_sink_start(st, k, i, f, td, href);
            }
        }
        free(href);
    }
    if (td.flags & F_SKIP) {
        st->skip++;
        f->flags |= FR_SKIP;
    }
}

/* SAX end of an element: undoes what on_start did for it. */
static void on_end(void *ctx, const xmlChar *name)
{
    htmlParserCtxtPtr ctxt = ctx;
    state *st = ctxt->_private;
    frame *f;
    tagdef td;
    int i;

    (void)name; /* SAX events nest: it is the top frame's */
    if (st->rc)
        return;
    if (st->ignored) {
        if (--st->ignored == 0 && !st->skip && st->ignored_block)
            for (i = 0; i < NSINK; i++)
                if (st->sinks[i].active)
                    kbj_norm_block_boundary(st, &st->sinks[i]);
        return;
    }
    if (st->nframes == 0)
        return;
    f = &st->frames[st->nframes - 1];
    td.name = NULL;
    td.tag = f->tag;
    td.flags = f->tflags;
    if (f->flags & FR_SKIP)
        st->skip--;
    if (st->skip == 0) {
        for (i = 0; i < NSINK; i++) {
            sink *k = &st->sinks[i];
            if (!k->active)
                continue;
            if (td.flags & F_SKIP) {
                if (td.flags & F_BLOCK)
                    kbj_norm_block_boundary(st, k);
            } else {
                kbj_norm_sink_end(st, k, i, f, td);
            }
        }
    }
    if (f->flags & FR_MAIN)
        kbj_norm_sink_stop(st, &st->sinks[SK_MAIN]);
    if (f->flags & FR_ARTICLE)
        kbj_norm_sink_stop(st, &st->sinks[SK_ARTICLE]);
    if (f->flags & FR_TITLE)
        st->title.state = 2;
    if (f->flags & FR_H1)
        st->h1.state = 2;
    if (f->flags & FR_SVG)
        st->svg--;
    st->nframes--;
}

/*
 * Errors are not reported anywhere; they are counted, and the ones that cost libxml2 a
 * scan of its element stack (an end tag matching no open element, a misplaced <body>)
 * are charged the depth of that stack: past DEPTH_WORK_BUDGET the parse stops, so
 * floods of stray tags under deep nesting cannot take long.
 */
static void on_error(void *ctx, xmlErrorPtr e)
{
    htmlParserCtxtPtr ctxt = ctx;
    state *st = ctxt->_private;

    st->nerrors++;
    if (e && (e->code == XML_ERR_TAG_NAME_MISMATCH || e->code == XML_HTML_STRUCURE_ERROR)) {
        st->work += (unsigned)(ctxt->nameNr > 0 ? ctxt->nameNr : 0);
        if (st->work > DEPTH_WORK_BUDGET && !st->halted) {
            for (int i = 0; i < NSINK; i++)
                st->sinks[i].truncated = 1;
            st->halted = 1;
            xmlStopParser(ctxt);
        }
    }
}

/* ======================================================================== *
 * Documents
 * ======================================================================== */

/* A fresh walk with the limits (NULL or zero fields: defaults). */
static void state_init(state *st, const kbj_norm_limits *lim)
{
    int i;
    memset(st, 0, sizeof *st);
    st->max_text = lim && lim->max_text ? lim->max_text : DEFAULT_MAX_TEXT;
    st->html_cap = st->max_text > SIZE_MAX / 2 ? SIZE_MAX : 2 * st->max_text;
    st->max_depth = lim && lim->max_depth ? lim->max_depth : DEFAULT_MAX_DEPTH;
    st->title.cap = TITLE_MAX;
    st->h1.cap = TITLE_MAX;
    for (i = 0; i < NSINK; i++)
        st->sinks[i].h1.cap = TITLE_MAX;
    st->sinks[SK_BODY].active = 1;
}

/* Frees everything a walk still holds. */
static void state_free(state *st)
{
    int i;
    for (i = 0; i < NSINK; i++) {
        buf_free(&st->sinks[i].text);
        buf_free(&st->sinks[i].html);
        buf_free(&st->sinks[i].h1.b);
        free(st->sinks[i].link);
        while (st->sinks[i].nout > 0)
            free(st->sinks[i].out[--st->sinks[i].nout].href);
        free(st->sinks[i].out);
    }
    buf_free(&st->title.b);
    buf_free(&st->h1.b);
    free(st->frames);
    free(st->description);
    free(st->lang_html);
    free(st->lang_meta);
    free(st->canonical_ref);
    free(st->base);
    free(st->page);
}

/* Parses the clean UTF-8 page `u` (NUL-terminated, n bytes, as kbj_norm_walk() says)
 * into the sinks. */
static void parse_html(state *st, char *u, size_t n)
{
    htmlParserCtxtPtr ctxt;
    xmlError saved;
    xmlErrorPtr last;
    int had_error;

    if (n == 0)
        return; /* nothing to parse (libxml2 refuses an empty buffer) */
    if (n > INT_MAX - 1)
        return kbj_norm_fail(st, KBJ_ENOMEM);

    /* Every parse error also overwrites the thread's "last error" (PHP reports it as
     * libxml_get_last_error()): keep the caller's. */
    memset(&saved, 0, sizeof saved);
    last = xmlGetLastError();
    had_error = last != NULL;
    if (had_error && xmlCopyError(last, &saved) != 0)
        return kbj_norm_fail(st, KBJ_ENOMEM);

    /* (A static, uncopied input buffer would save memory, but libxml2 2.9.14 crashes
     * shrinking one on long inputs.) */
    ctxt = htmlCreateMemoryParserCtxt(u, (int)n);
    if (!ctxt) {
        xmlResetError(&saved);
        return kbj_norm_fail(st, KBJ_ENOMEM);
    }
    /* SAX only: no tree is built. serror with the SAX2 magic routes this context's
     * errors to on_error instead of the global handlers. */
    memset(ctxt->sax, 0, sizeof *ctxt->sax);
    ctxt->sax->initialized = XML_SAX2_MAGIC;
    ctxt->sax->startElement = on_start;
    ctxt->sax->endElement = on_end;
    ctxt->sax->characters = on_characters;
    ctxt->sax->ignorableWhitespace = on_characters;
    ctxt->sax->cdataBlock = on_cdata;
    ctxt->sax->serror = on_error;
    ctxt->userData = ctxt;
    ctxt->_private = st;
    htmlCtxtUseOptions(ctxt, HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                 HTML_PARSE_NONET | HTML_PARSE_IGNORE_ENC);
    /* The bytes are UTF-8 already. Without this, a memory parser context starts with no
     * charset and switches to ISO-8859-1 at the first non-ASCII byte (libxml2 2.9.14),
     * converting our UTF-8 a second time; the encoding name keeps a <meta charset>
     * from switching it either. */
    xmlSwitchEncoding(ctxt, XML_CHAR_ENCODING_UTF8);
    if (ctxt->input && !ctxt->input->encoding)
        ctxt->input->encoding = xmlStrdup(BAD_CAST "UTF-8");
    st->ctxt = ctxt;
    htmlParseDocument(ctxt);
    st->ctxt = NULL;
    htmlFreeParserCtxt(ctxt);

    if (st->nerrors > 0) {
        if (had_error) {
            last = xmlGetLastError();
            if (last)
                xmlCopyError(&saved, last);
        } else {
            xmlResetLastError();
        }
    }
    xmlResetError(&saved);
}

/* Moves the results into `doc` (all but its charset and content hash). Returns 0, or
 * KBJ_ENOMEM when something could not be kept (doc is then partly filled). */
static int finish(state *st, const char *url, kbj_doc *doc)
{
    sink *k = &st->sinks[SK_BODY];
    int i;

    for (i = 0; i < NSINK; i++)
        kbj_norm_html_close_to(st, &st->sinks[i], 0);
    if (st->sinks[SK_MAIN].seen && st->sinks[SK_MAIN].text.len > 0)
        k = &st->sinks[SK_MAIN];
    else if (st->sinks[SK_ARTICLE].seen && st->sinks[SK_ARTICLE].text.len > 0)
        k = &st->sinks[SK_ARTICLE];
    while (k->text.len > 0 && (k->text.p[k->text.len - 1] == ' ' || k->text.p[k->text.len - 1] == '\n'))
        k->text.p[--k->text.len] = '\0';

    doc->title = kbj_norm_capture_take(st, &st->title);
    if (!doc->title)
        doc->title = kbj_norm_capture_take(st, &k->h1);
    if (!doc->title)
        doc->title = kbj_norm_capture_take(st, &st->h1);
    if (!doc->title && !st->rc)
        doc->title = kbj_norm_clean_value(st, url, TITLE_MAX);
    if (!doc->title && !st->rc && !(doc->title = strdup("untitled")))
        kbj_norm_fail(st, KBJ_ENOMEM);
    doc->text = buf_take(&k->text);
    doc->html = buf_take(&k->html);
    doc->description = st->description;
    st->description = NULL;
    if (st->lang_html) {
        doc->language = st->lang_html;
        st->lang_html = NULL;
    } else {
        doc->language = st->lang_meta;
        st->lang_meta = NULL;
    }
    if (st->canonical_ref)
        doc->canonical = resolve(st, st->canonical_ref, base_url(st));
    doc->truncated = k->truncated;
    return st->rc || !doc->title || !doc->text || !doc->html ? KBJ_ENOMEM : KBJ_OK;
}

/* A walk over the page into the document (see normalise_parser.h). */
int kbj_norm_walk(char *u, size_t n, int plain, char *page, const char *url,
                  const kbj_norm_limits *limits, kbj_doc *doc)
{
    state st;
    int rc;

    state_init(&st, limits);
    st.page = page;
    if (plain)
        kbj_norm_parse_plain(&st, u, n);
    else
        parse_html(&st, u, n);
    rc = finish(&st, url, doc);
    state_free(&st);
    return rc;
}
