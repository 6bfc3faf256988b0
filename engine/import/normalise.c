/*
 * normalise.c - a fetched page to a plain document (see normalise.h): the entry point
 * and the document's lifecycle.
 *
 * The pipeline: pick the charset (BOM, header, meta prescan, UTF-8 check, windows-1252)
 * and convert the bytes to clean UTF-8 ourselves (iconv, U+FFFD for bad bytes, control
 * characters dropped: normalise_charset.c). For HTML, rewrite character references into
 * forms libxml2 decodes cheaply (normalise_entities.c) and defuse start tags with absurd
 * numbers of attributes (normalise_defuse.c): libxml2 2.9 is linear per named reference
 * and quadratic per tag's attributes. Then run libxml2's HTML parser with SAX callbacks
 * only - no tree is built (normalise_parser.c) - and stream the content into three
 * "sinks" at once: the first <main>, the <article>s, and the whole body
 * (normalise_builder.c). The first non-empty of those, in that order, becomes the
 * document; its content hash is taken here. Every buffer is capped, the element stack
 * is capped at max_depth, the work libxml2 does per stray end tag in proportion to the
 * nesting depth is budgeted, and the parse stops once the text is full, so hostile
 * pages finish quickly (well under a second for 10 MiB on one core) in memory bounded
 * by a few times the page size.
 *
 * The normaliser's files (normalise*.c) are the engine's only includers of libxml2's
 * headers; this one needs none of them.
 */
#include "normalise.h"
#include "normalise_charset.h"
#include "normalise_defuse.h"
#include "normalise_entities.h"
#include "normalise_internal.h"
#include "normalise_parser.h"
#include "sha256.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#define DEFAULT_MAX_INPUT ((size_t)10 << 20)

/* 1 when the Content-Type's media type is text/plain. */
static int is_plain(const char *ct)
{
    size_t n;
    if (!ct)
        return 0;
    while (is_ascii_space((unsigned char)*ct))
        ct++;
    n = strcspn(ct, ";");
    while (n > 0 && is_ascii_space((unsigned char)ct[n - 1]))
        n--;
    return ieq(ct, n, "text/plain");
}

/* The clean UTF-8 HTML page in *u made ready for libxml2, NUL-terminated: references
 * rewritten (a copy), start tags defused (in place). Returns 0 or KBJ_ENOMEM; *u holds
 * the result or is empty. */
static int prepare_html(buf *u)
{
    buf r = { 0 };
    int rc = kbj_norm_rewrite_references(u->p, u->len, &r);

    if (rc == KBJ_OK)
        rc = buf_add(&r, "", 0);
    buf_free(u);
    if (rc != KBJ_OK) {
        buf_free(&r);
        return KBJ_ENOMEM;
    }
    kbj_norm_defuse_attributes((unsigned char *)r.p, r.len);
    *u = r;
    return KBJ_OK;
}

/* Writes doc's content hash: sha256 (hex) of title "\n" text. Returns 0 or KBJ_ENOMEM
 * (libcrypto could not run the digest). */
static int content_hash(kbj_doc *doc)
{
    kbj_sha256 h;
    unsigned char md[32];
    static const char hex[] = "0123456789abcdef";
    int i;

    /* updates after an error do nothing, and final reports it (and frees the state) */
    (void)kbj_sha256_init(&h);
    (void)kbj_sha256_update(&h, doc->title, strlen(doc->title));
    (void)kbj_sha256_update(&h, "\n", 1);
    (void)kbj_sha256_update(&h, doc->text, strlen(doc->text));
    if (kbj_sha256_final(&h, md))
        return KBJ_ENOMEM;
    for (i = 0; i < 32; i++) {
        doc->content_hash[2 * i] = hex[md[i] >> 4];
        doc->content_hash[2 * i + 1] = hex[md[i] & 15];
    }
    doc->content_hash[64] = '\0';
    return KBJ_OK;
}

void kbj_normalise_init(void)
{
    xmlInitParser();
}

int kbj_normalise(const char *body, size_t len, const char *content_type, const char *url,
                  const kbj_norm_limits *limits, kbj_doc *doc, kbj_err *err)
{
    size_t max_input = limits && limits->max_input ? limits->max_input : DEFAULT_MAX_INPUT;
    int plain = is_plain(content_type), rc;
    const char *charset = "utf-8";
    char *page_url = NULL;
    buf u = { 0 }, page = { 0 };

    if (doc)
        memset(doc, 0, sizeof *doc);
    if (!doc || !url || (!body && len > 0))
        return kbj_fail(err, KBJ_EINVAL, "body, url or doc is missing");
    if (len > max_input)
        return kbj_fail(err, KBJ_EINVAL, "page larger than %zu bytes", max_input);

    rc = kbj_norm_decode_page((const unsigned char *)(body ? body : ""), len, content_type, !plain,
                              &u, &charset);
    if (rc == KBJ_OK) {
        /* A URL too long to be one leaves relative links without a base. */
        int urc = kbj_norm_url_escape(url, &page);
        if (urc == KBJ_ENOMEM || (urc == KBJ_OK && !(page_url = buf_take(&page))))
            rc = KBJ_ENOMEM;
        buf_free(&page);
    }
    if (rc != KBJ_OK) {
        buf_free(&u);
        free(page_url);
        return kbj_fail(err, KBJ_ENOMEM, "out of memory decoding a page");
    }
    if (!plain)
        rc = prepare_html(&u);
    if (rc == KBJ_OK)
        rc = kbj_norm_walk(u.p, u.len, plain, page_url, url, limits, doc);
    else
        free(page_url);
    buf_free(&u);
    snprintf(doc->charset, sizeof doc->charset, "%s", charset);
    if (rc != KBJ_OK) {
        kbj_doc_clear(doc);
        return kbj_fail(err, KBJ_ENOMEM, "out of memory normalising a page");
    }
    if (content_hash(doc) != KBJ_OK) {
        kbj_doc_clear(doc);
        return kbj_fail(err, KBJ_ENOMEM, "out of memory hashing a page");
    }
    return KBJ_OK;
}

void kbj_doc_clear(kbj_doc *doc)
{
    if (!doc)
        return;
    free(doc->title);
    free(doc->text);
    free(doc->html);
    free(doc->description);
    free(doc->canonical);
    free(doc->language);
    memset(doc, 0, sizeof *doc);
}
