/*
 * normalise_builder.c - the document builder (see normalise_builder.h): text captured
 * for the title, headings and attributes; the three sinks (the first <main>, the
 * <article>s, the whole body), each with its text and a safe html rebuilt from the
 * page's elements; and the text of text/plain pages. Every buffer is capped.
 *
 * Part of the normaliser (see normalise_internal.h); one of the normalise*.c files
 * that include libxml2's headers, here only to stop the parser.
 */
#include "normalise_builder.h"
#include "utf8.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>

#define PLAIN_TITLE_MAX 200   /* bytes of a text/plain title */

/* The names of the elements the html output may contain, by tag. */
static const char *const OUT_NAME[] = {
    [T_A] = "a", [T_B] = "b", [T_BLOCKQUOTE] = "blockquote", [T_BR] = "br", [T_CODE] = "code",
    [T_EM] = "em", [T_H1] = "h1", [T_H2] = "h2", [T_H3] = "h3", [T_H4] = "h4", [T_H5] = "h5",
    [T_H6] = "h6", [T_I] = "i", [T_LI] = "li", [T_OL] = "ol", [T_P] = "p", [T_PRE] = "pre",
    [T_STRONG] = "strong", [T_TABLE] = "table", [T_TBODY] = "tbody", [T_TD] = "td",
    [T_TH] = "th", [T_THEAD] = "thead", [T_TR] = "tr", [T_UL] = "ul",
};

/* What an open html output element accepts (see the html builder below). */
enum kind {
    K_BLOCKS,  /* nothing open, or blockquote: inline content needs a <p> */
    K_LIST,    /* ul, ol: everything goes into an <li> */
    K_TABLE,   /* table, thead, tbody: everything goes into a <tr> */
    K_ROW,     /* tr: everything goes into a <td> */
    K_FLOW,    /* li, td, th: blocks and inline content */
    K_PHRASE,  /* p, h1-h6, pre: inline content only */
    K_INLINE,  /* a, b, i, em, strong, code */
};

/* The kind of the output element `tag` (K_BLOCKS for none). */
static enum kind kind_of(unsigned char tag)
{
    switch (tag) {
    case T_UL: case T_OL: return K_LIST;
    case T_TABLE: case T_THEAD: case T_TBODY: return K_TABLE;
    case T_TR: return K_ROW;
    case T_LI: case T_TD: case T_TH: return K_FLOW;
    case T_P: case T_H1: case T_H2: case T_H3: case T_H4: case T_H5: case T_H6: case T_PRE:
        return K_PHRASE;
    case T_A: case T_B: case T_I: case T_EM: case T_STRONG: case T_CODE: return K_INLINE;
    default: return K_BLOCKS;
    }
}

/* ======================================================================== *
 * Failures
 * ======================================================================== */

/* Records the first failure and stops the parser. */
void kbj_norm_fail(state *st, int rc)
{
    if (!st->rc)
        st->rc = rc;
    if (st->ctxt && !st->halted) {
        st->halted = 1;
        xmlStopParser(st->ctxt);
    }
}

/* ---- text pieces -------------------------------------------------------------- */

/*
 * Calls fn(st, arg, s, n) for each run of content characters in the UTF-8 text `s`
 * (n > 0) and fn(st, arg, NULL, 0) for each whitespace character (ASCII whitespace and
 * U+00A0). Control characters (C0, DEL, C1) and ill-formed bytes are dropped.
 */
typedef void (*piece_fn)(state *st, void *arg, const char *s, size_t n);

static void split_text(state *st, const char *s, size_t n, piece_fn fn, void *arg)
{
    size_t i = 0, start = 0, l;
    uint32_t cp;

    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        int ws, drop;
        if (c > 0x20 && c < 0x7F) {
            i++;
            continue;
        }
        if (c < 0x80) {
            l = 1;
            ws = is_ascii_space(c) || c == '\v';
            drop = !ws;
        } else {
            l = kbj_utf8_decode((const unsigned char *)s + i, n - i, &cp);
            if (!l) {
                l = 1;
                cp = 0x80;
            }
            ws = cp == 0xA0;
            drop = cp <= 0x9F;
        }
        if (!ws && !drop) {
            i += l;
            continue;
        }
        if (i > start)
            fn(st, arg, s + start, i - start);
        if (ws)
            fn(st, arg, NULL, 0);
        i += l;
        start = i;
    }
    if (i > start)
        fn(st, arg, s + start, i - start);
}

/* A piece_fn: appends a piece to the capture `arg` while it is capturing, one space for
 * each run of whitespace between content, within its cap. */
static void capture_piece(state *st, void *arg, const char *s, size_t n)
{
    capture *c = arg;
    size_t room;

    if (c->state != 1)
        return;
    if (n == 0) {
        c->space = c->b.len > 0;
        return;
    }
    if (c->b.len >= c->cap)
        return;
    if (c->space && buf_add(&c->b, " ", 1) != KBJ_OK)
        return kbj_norm_fail(st, KBJ_ENOMEM);
    c->space = 0;
    room = c->cap > c->b.len ? c->cap - c->b.len : 0;
    n = kbj_utf8_cut(s, n, room);
    if (buf_add(&c->b, s, n) != KBJ_OK)
        kbj_norm_fail(st, KBJ_ENOMEM);
}

/* The captured text without trailing space, handed over (NULL when empty). */
char *kbj_norm_capture_take(state *st, capture *c)
{
    char *s;
    while (c->b.len > 0 && c->b.p[c->b.len - 1] == ' ')
        c->b.p[--c->b.len] = '\0';
    if (c->b.len == 0) {
        buf_free(&c->b);
        return NULL;
    }
    s = buf_take(&c->b);
    if (!s)
        kbj_norm_fail(st, KBJ_ENOMEM);
    return s;
}

/* The attribute value `v` with whitespace collapsed and trimmed, at most `cap` bytes,
 * as a malloc'd string; NULL when empty (or out of memory: st->rc is then set). */
char *kbj_norm_clean_value(state *st, const char *v, size_t cap)
{
    capture c = { { 0 }, 1, 0, cap };
    if (!v)
        return NULL;
    split_text(st, v, strlen(v), capture_piece, &c);
    return kbj_norm_capture_take(st, &c);
}

/* ---- the text of a sink --------------------------------------------------------- */

/* Appends to the sink's text within max_text, cutting at a character boundary. */
static void text_add(state *st, sink *k, const char *s, size_t n)
{
    size_t room = st->max_text - k->text.len;
    if (k->text_full)
        return;
    if (n > room) {
        n = kbj_utf8_cut(s, n, room);
        k->text_full = 1;
        k->truncated = 1;
    }
    if (buf_add(&k->text, s, n) != KBJ_OK)
        kbj_norm_fail(st, KBJ_ENOMEM);
}

/* Adds a piece (n == 0: whitespace) to the sink's text, after the separator owed. */
static void text_piece(state *st, sink *k, const char *s, size_t n)
{
    static const char *const seps[] = { "", " ", "\n", "\n\n" };
    if (n == 0) {
        if (k->sep < SEP_SPACE)
            k->sep = SEP_SPACE;
        return;
    }
    if (k->text.len > 0 && k->sep != SEP_NONE)
        text_add(st, k, seps[k->sep], strlen(seps[k->sep]));
    k->sep = SEP_NONE;
    text_add(st, k, s, n);
}

/* Owes at least separator `sep` before the next text. */
static void text_sep(sink *k, int sep)
{
    if (k->sep < sep)
        k->sep = sep;
}

/* ---- the html of a sink --------------------------------------------------------- */

/*
 * The html output is rebuilt, not copied: only the elements of OUT_NAME, without
 * attributes but the href of <a>, in a structure that is always valid:
 *
 * - inline content (text, a, b, i, em, strong, code, br) directly in the top level or
 *   a blockquote goes into an implicit <p>; in a list into an implicit <li>; in a table
 *   or row into an implicit <tr>/<td>;
 * - a block (p, h1-h6, pre, ul, ol, blockquote, table) closes the open phrase elements
 *   (p, h1-h6, pre and inline elements) first;
 * - li, tr, td, th, thead, tbody outside their parents are unwrapped;
 * - any other block element (div, section, ...) is unwrapped: it closes an implicit
 *   <p>, or, inside a phrase or cell, becomes a <br> between the content around it;
 * - every source element remembers the output element it opened, and closes it (and
 *   anything opened inside it) at its end, unless something closed it earlier;
 * - an element is written only when content (text, <br>) reaches it, so elements that
 *   stay empty leave nothing; table cells are written at once (they hold the columns).
 *
 * The html never exceeds html_cap: each written element reserves the bytes of its end
 * tag, so the output can always be closed; once full, nothing more is added.
 */

/* Bytes that html_text() writes for the ASCII byte `c`. */
static size_t escaped_len(unsigned char c)
{
    return c == '&' ? 5 : c == '<' || c == '>' ? 4 : c == '"' ? 6 : 1;
}

/* 1 when `n` more bytes, plus `extra` bytes of end tag reserved, fit in the html; else
 * marks the html full (and the sink truncated) and returns 0. */
static int html_fits(state *st, sink *k, size_t n, size_t extra)
{
    if (k->html_full)
        return 0;
    if (k->html.len + k->reserve + n + extra > st->html_cap) {
        k->html_full = 1;
        k->truncated = 1;
        return 0;
    }
    return 1;
}

/* Appends bytes to the html as they are (the caller checked the cap). */
static void html_raw(state *st, sink *k, const char *s, size_t n)
{
    if (buf_add(&k->html, s, n) != KBJ_OK)
        kbj_norm_fail(st, KBJ_ENOMEM);
}

/* Appends text escaped (& < > "), as much as fits, cut at a character boundary. In
 * `pre`, CR and CRLF become LF and tab four spaces; control characters are dropped. */
static void html_text(state *st, sink *k, const char *s, size_t n, int pre)
{
    size_t i = 0, room, used = 0;
    char tmp[512];
    size_t t = 0;

    if (k->html_full)
        return;
    room = st->html_cap - k->html.len - k->reserve;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        const char *rep = NULL;
        size_t l = 1, need;
        uint32_t cp = c;
        if (c >= 0x80) {
            l = kbj_utf8_decode((const unsigned char *)s + i, n - i, &cp);
            if (!l || cp <= 0x9F) { /* ill-formed or C1: dropped */
                i += l ? l : 1;
                continue;
            }
        } else if (c == '&') {
            rep = "&amp;";
        } else if (c == '<') {
            rep = "&lt;";
        } else if (c == '>') {
            rep = "&gt;";
        } else if (c == '"') {
            rep = "&quot;";
        } else if (c == '\r' && pre) {
            rep = "\n";
            if (i + 1 < n && s[i + 1] == '\n')
                i++;
        } else if (c == '\t' && pre) {
            rep = "    ";
        } else if ((c < 0x20 && !(c == '\n' && pre)) || c == 0x7F) {
            i++;
            continue;
        }
        need = rep ? strlen(rep) : l;
        if (used + need > room) {
            k->html_full = 1;
            k->truncated = 1;
            break;
        }
        if (t + need > sizeof tmp) {
            html_raw(st, k, tmp, t);
            t = 0;
        }
        memcpy(tmp + t, rep ? rep : s + i, need);
        t += need;
        used += need;
        i += l;
    }
    if (t)
        html_raw(st, k, tmp, t);
}

/* Opens an output element (with `href` for a, copied), pending until content reaches
 * it. Returns its serial, or 0 when out of memory. */
static unsigned html_open(state *st, sink *k, unsigned char tag, int implicit, const char *href)
{
    outel *e;

    if (k->nout == k->capout) {
        size_t cap = k->capout ? k->capout * 2 : 16;
        outel *o = realloc(k->out, cap * sizeof *o);
        if (!o) {
            kbj_norm_fail(st, KBJ_ENOMEM);
            return 0;
        }
        k->out = o;
        k->capout = cap;
    }
    e = &k->out[k->nout];
    e->href = NULL;
    if (href && !(e->href = strdup(href))) {
        kbj_norm_fail(st, KBJ_ENOMEM);
        return 0;
    }
    k->nout++;
    e->tag = tag;
    e->implicit = (unsigned char)implicit;
    e->serial = ++k->serial;
    if (tag == T_PRE)
        k->npre++;
    if (tag == T_A)
        k->na++;
    if (kind_of(tag) != K_INLINE)
        k->inl = k->space = k->brk = 0;
    if (k->link && k->na == 0 && (kind_of(tag) == K_PHRASE || kind_of(tag) == K_FLOW)) {
        /* Inside a source <a> whose output link a block closed (<a href><h3>Title</h3>
         * <p>Text</p></a>, allowed in HTML): the link goes on in this block, as the
         * output element of that <a>. */
        int ki = (int)(k - st->sinks);
        unsigned serial = e->serial, a = html_open(st, k, T_A, 0, k->link);
        if (a) {
            st->frames[k->link_frame].serial[ki] = a;
            st->frames[k->link_frame].index[ki] = k->nout - 1;
        }
        return serial;
    }
    return e->serial;
}

/* Writes the pending open elements. Returns 0 when the html is full. */
static int html_emit_pending(state *st, sink *k)
{
    while (k->nemitted < k->nout) {
        outel *e = &k->out[k->nemitted];
        const char *name = OUT_NAME[e->tag];
        size_t nl = strlen(name), open = nl + 2, close = nl + 3, i;
        if (e->href) {
            open += 8; /* ' href=""' */
            for (i = 0; e->href[i]; i++)
                open += escaped_len((unsigned char)e->href[i]);
        }
        if (!html_fits(st, k, open, close))
            return 0;
        html_raw(st, k, "<", 1);
        html_raw(st, k, name, nl);
        if (e->href) {
            html_raw(st, k, " href=\"", 7);
            html_text(st, k, e->href, strlen(e->href), 0);
            html_raw(st, k, "\"", 1);
        }
        html_raw(st, k, ">", 1);
        k->reserve += close;
        k->nemitted++;
    }
    return 1;
}

/* Closes the top output element (its end tag only if it was written). */
static void html_close_top(state *st, sink *k)
{
    outel e = k->out[--k->nout];

    if (k->nout < k->nemitted) {
        const char *name = OUT_NAME[e.tag];
        size_t nl = strlen(name);
        html_raw(st, k, "</", 2);
        html_raw(st, k, name, nl);
        html_raw(st, k, ">", 1);
        k->reserve -= nl + 3;
        k->nemitted--;
    }
    free(e.href);
    if (e.tag == T_PRE)
        k->npre--;
    if (e.tag == T_A)
        k->na--;
    if (kind_of(e.tag) != K_INLINE)
        k->inl = k->space = k->brk = 0;
}

/* Closes output elements until `n` remain open. */
void kbj_norm_html_close_to(state *st, sink *k, size_t n)
{
    while (k->nout > n)
        html_close_top(st, k);
}

/* The kind of the top output element. */
static enum kind top_kind(const sink *k)
{
    return k->nout ? kind_of(k->out[k->nout - 1].tag) : K_BLOCKS;
}

/* 1 when the top output element is an implicit `tag`. */
static int top_implicit(const sink *k, unsigned char tag)
{
    return k->nout && k->out[k->nout - 1].tag == tag && k->out[k->nout - 1].implicit;
}

/* Makes the top of the output accept inline content. Returns 0 when the html is full. */
static int html_inline_ctx(state *st, sink *k)
{
    for (;;) {
        unsigned char want;
        switch (top_kind(k)) {
        case K_FLOW: case K_PHRASE: case K_INLINE: return 1;
        case K_LIST: want = T_LI; break;
        case K_TABLE: want = T_TR; break;
        case K_ROW: want = T_TD; break;
        default: want = T_P; break;
        }
        if (!html_open(st, k, want, 1, NULL))
            return 0;
    }
}

/* Makes the top of the output accept a block. Returns 0 when the html is full. */
static int html_block_ctx(state *st, sink *k)
{
    for (;;) {
        unsigned char want;
        switch (top_kind(k)) {
        case K_PHRASE: case K_INLINE: html_close_top(st, k); continue;
        case K_LIST: want = T_LI; break;
        case K_TABLE: want = T_TR; break;
        case K_ROW: want = T_TD; break;
        default: return 1;
        }
        if (!html_open(st, k, want, 1, NULL))
            return 0;
    }
}

/* Emits the <br> or space owed before inline content (they are owed only after content
 * in the same block, so no block element is pending: they land in the right place). */
static void html_flush(state *st, sink *k)
{
    if (k->brk) {
        if (html_fits(st, k, 4, 0))
            html_raw(st, k, "<br>", 4);
    } else if (k->space && html_fits(st, k, 1, 0)) {
        html_raw(st, k, " ", 1);
    }
    k->brk = k->space = 0;
}

/* The boundary of an unwrapped block element. */
static void html_boundary(state *st, sink *k)
{
    if (top_implicit(k, T_P))
        html_close_top(st, k);
    else if (k->inl) {
        k->brk = 1;
        k->inl = 0;
    }
    k->space = 0;
}

/* Adds a piece (n == 0: whitespace) of text outside <pre> to the sink's html. */
static void html_piece(state *st, sink *k, const char *s, size_t n)
{
    if (k->html_full)
        return;
    if (n == 0) {
        if (k->inl)
            k->space = 1;
        return;
    }
    if (!html_inline_ctx(st, k))
        return;
    html_flush(st, k);
    if (html_emit_pending(st, k))
        html_text(st, k, s, n, 0);
    k->inl = 1;
}

/* Text inside <pre>: whitespace kept. */
static void html_pre_text(state *st, sink *k, const char *s, size_t n)
{
    if (k->html_full || !html_inline_ctx(st, k))
        return;
    html_flush(st, k);
    if (html_emit_pending(st, k))
        html_text(st, k, s, n, 1);
    k->inl = 1;
}

/* Closes phrase and inline elements, and the implicit elements among `implicit_tags`
 * (a string of tags), on top of the output. */
static void html_close_phrases(state *st, sink *k, const char *implicit_tags)
{
    for (;;) {
        enum kind kd = top_kind(k);
        if (kd == K_PHRASE || kd == K_INLINE ||
            (k->nout && k->out[k->nout - 1].implicit &&
             strchr(implicit_tags, k->out[k->nout - 1].tag)))
            html_close_top(st, k);
        else
            return;
    }
}

/* ---- sinks: elements ------------------------------------------------------------ */

/* The start of a content element `td` (frame f, sink number ki; href: its resolved
 * link for <a>, else NULL) in an active sink: separators, h1 capture, html. */
void kbj_norm_sink_start(state *st, sink *k, int ki, frame *f, tagdef td, const char *href)
{
    unsigned serial = 0;
    static const char cells[] = { T_TD, T_TR, 0 };
    static const char tds[] = { T_TD, 0 };
    static const char lis[] = { T_LI, 0 };

    if (td.flags & F_BLOCK)
        text_sep(k, SEP_PARA);
    else if (td.flags & F_CELL)
        text_sep(k, SEP_SPACE);
    if (td.tag == T_H1 && k->h1.state == 0) {
        k->h1.state = 1;
        f->sinkh1 |= (unsigned char)(1u << ki);
    }
    if (k->html_full)
        return;
    switch (td.tag) {
    case T_P: case T_H1: case T_H2: case T_H3: case T_H4: case T_H5: case T_H6:
    case T_PRE: case T_UL: case T_OL: case T_BLOCKQUOTE: case T_TABLE:
        if (html_block_ctx(st, k))
            serial = html_open(st, k, td.tag, 0, NULL);
        break;
    case T_LI:
        html_close_phrases(st, k, lis);
        if (top_kind(k) == K_LIST)
            serial = html_open(st, k, T_LI, 0, NULL);
        else
            html_boundary(st, k);
        break;
    case T_TR:
        html_close_phrases(st, k, cells);
        if (top_kind(k) == K_TABLE)
            serial = html_open(st, k, T_TR, 0, NULL);
        else
            html_boundary(st, k);
        break;
    case T_THEAD: case T_TBODY:
        html_close_phrases(st, k, cells);
        if (k->nout && k->out[k->nout - 1].tag == T_TABLE)
            serial = html_open(st, k, td.tag, 0, NULL);
        else
            html_boundary(st, k);
        break;
    case T_TD: case T_TH:
        html_close_phrases(st, k, tds);
        if (top_kind(k) == K_TABLE)
            html_open(st, k, T_TR, 1, NULL);
        if (top_kind(k) == K_ROW && (serial = html_open(st, k, td.tag, 0, NULL)) != 0)
            html_emit_pending(st, k);
        else if (top_kind(k) != K_TABLE)
            html_boundary(st, k);
        break;
    case T_EM: case T_STRONG: case T_B: case T_I: case T_CODE:
        if (html_inline_ctx(st, k))
            serial = html_open(st, k, td.tag, 0, NULL);
        break;
    case T_A:
        if (href && k->na == 0 && !k->link && html_inline_ctx(st, k)) {
            if (!(k->link = strdup(href))) {
                kbj_norm_fail(st, KBJ_ENOMEM);
                break;
            }
            k->link_frame = st->nframes - 1;
            serial = html_open(st, k, T_A, 0, href);
        }
        break;
    case T_BR: /* owed: written before the next content of the block, if any */
        text_sep(k, SEP_LINE);
        if (k->inl) {
            k->brk = 1;
            k->inl = 0;
        }
        break;
    default:
        if (td.flags & F_BLOCK)
            html_boundary(st, k);
        break;
    }
    if (serial) {
        size_t i = k->nout;
        while (i-- > 0 && k->out[i].serial != serial) /* a link may have opened above it */
            ;
        f->serial[ki] = serial;
        f->index[ki] = i;
    }
}

/* The end of a content element (the top frame f) in an active sink. */
void kbj_norm_sink_end(state *st, sink *k, int ki, const frame *f, tagdef td)
{
    if (td.flags & F_BLOCK)
        text_sep(k, SEP_PARA);
    else if (td.flags & F_CELL)
        text_sep(k, SEP_SPACE);
    if (f->sinkh1 & (1u << ki))
        k->h1.state = 2;
    if (k->link && k->link_frame == st->nframes - 1) {
        free(k->link);
        k->link = NULL;
    }
    if (f->serial[ki]) {
        size_t i = f->index[ki];
        if (i < k->nout && k->out[i].serial == f->serial[ki])
            kbj_norm_html_close_to(st, k, i);
    } else if (td.flags & F_BLOCK) {
        html_boundary(st, k);
    }
}

/* The boundary of a block element whose content is not walked (skipped, too deep). */
void kbj_norm_block_boundary(state *st, sink *k)
{
    text_sep(k, SEP_PARA);
    html_boundary(st, k);
}

/* Ends a sink's region (main, article): everything open is closed. */
void kbj_norm_sink_stop(state *st, sink *k)
{
    kbj_norm_html_close_to(st, k, 0);
    k->active = 0;
    k->inl = k->space = k->brk = 0;
    text_sep(k, SEP_PARA);
}

/* ======================================================================== *
 * Text of the page
 * ======================================================================== */

/* A piece_fn: sends a piece of page text to the captures and the active sinks. */
static void on_piece(state *st, void *arg, const char *s, size_t n)
{
    int i;
    (void)arg;
    capture_piece(st, &st->title, s, n);
    capture_piece(st, &st->h1, s, n);
    if (st->skip)
        return;
    for (i = 0; i < NSINK; i++) {
        sink *k = &st->sinks[i];
        if (!k->active)
            continue;
        text_piece(st, k, s, n);
        capture_piece(st, &k->h1, s, n);
        if (!k->npre)
            html_piece(st, k, s, n);
    }
}

/* Stops the parse once nothing more can be kept: the body's text is full and no main
 * or article region is collecting. (A <main> or <article> starting later is then not
 * seen; the document says truncated.) */
static void stop_when_full(state *st)
{
    const sink *b = &st->sinks[SK_BODY], *m = &st->sinks[SK_MAIN], *a = &st->sinks[SK_ARTICLE];
    if (b->text_full && (!m->active || m->text_full) && (!a->active || a->text_full) &&
        st->ctxt && !st->halted) {
        st->halted = 1;
        xmlStopParser(st->ctxt);
    }
}

/* Page text to the captures and the sinks (see normalise_builder.h). */
void kbj_norm_characters(state *st, const char *s, size_t n)
{
    int i;

    split_text(st, s, n, on_piece, NULL);
    if (st->skip)
        return;
    for (i = 0; i < NSINK; i++)
        if (st->sinks[i].active && st->sinks[i].npre)
            html_pre_text(st, &st->sinks[i], s, n);
    if (st->sinks[SK_BODY].text_full)
        stop_when_full(st);
}

/* ======================================================================== *
 * text/plain pages
 * ======================================================================== */

/* Feeds a text/plain page: paragraphs are separated by blank lines; the first non-empty
 * line is the title. */
void kbj_norm_parse_plain(state *st, const char *u, size_t n)
{
    sink *k = &st->sinks[SK_BODY];
    size_t i = 0;

    st->title.cap = PLAIN_TITLE_MAX;
    while (i < n && !st->rc) {
        size_t end = i, next, j;
        int blank = 1;
        while (end < n && u[end] != '\n' && u[end] != '\r')
            end++;
        next = end < n && u[end] == '\r' && end + 1 < n && u[end + 1] == '\n' ? end + 2 : end + 1;
        for (j = i; j < end && blank; j++)
            blank = is_ascii_space((unsigned char)u[j]);
        if (blank) {
            text_sep(k, SEP_PARA);
            html_boundary(st, k);
        } else {
            if (st->title.state == 0) {
                st->title.state = 1;
                split_text(st, u + i, end - i, capture_piece, &st->title);
                st->title.state = 2;
            }
            split_text(st, u + i, end - i, on_piece, NULL);
            on_piece(st, NULL, NULL, 0); /* the line break */
        }
        i = next;
    }
}
