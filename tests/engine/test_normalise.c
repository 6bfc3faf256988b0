/* The page normaliser: title, main text, html, metadata and hash of ordinary pages;
 * charset detection and conversion; safety of the rebuilt html; text/plain; limits; and
 * hostile pages (deep nesting, huge attributes, entity floods, binary, floods of stray
 * tags), with their timings printed. Every document is checked for the invariants of
 * normalise.h: valid UTF-8, no control characters, html of allowed elements only. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include "normalise.h"
#include "sha256.h"

#define URL "http://example.com/dir/page.html"

/* ---- invariants ------------------------------------------------------------------ */

/* Fails unless `s` is well-formed UTF-8 without NUL and without control characters
 * (C0, DEL, C1), except '\n' where `newline_ok`. */
static void check_clean(const char *what, const char *s, int newline_ok)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, n = strlen(s);
    while (i < n) {
        uint32_t c = p[i];
        size_t len = 1, k;
        if (c >= 0xF0 && c <= 0xF4)
            len = 4, c &= 7;
        else if (c >= 0xE0)
            len = 3, c &= 15;
        else if (c >= 0xC2 && c < 0xE0)
            len = 2, c &= 31;
        else if (c >= 0x80)
            fail_msg("%s: bad UTF-8 lead byte 0x%02x at %zu", what, c, i);
        if (i + len > n)
            fail_msg("%s: truncated UTF-8 at %zu", what, i);
        for (k = 1; k < len; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                fail_msg("%s: bad UTF-8 continuation at %zu", what, i + k);
            c = c << 6 | (p[i + k] & 0x3F);
        }
        if ((len == 3 && (c < 0x800 || (c >= 0xD800 && c < 0xE000))) || (len == 4 && (c < 0x10000 || c > 0x10FFFF)))
            fail_msg("%s: ill-formed UTF-8 at %zu", what, i);
        if ((c < 0x20 && !(c == '\n' && newline_ok)) || (c >= 0x7F && c <= 0x9F))
            fail_msg("%s: control character U+%04X at %zu", what, c, i);
        i += len;
    }
}

static int allowed_element(const char *name, size_t n)
{
    static const char *const ok[] = { "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li",
                                      "pre", "code", "blockquote", "table", "thead", "tbody", "tr",
                                      "td", "th", "em", "strong", "b", "i", "br", "a" };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (strlen(ok[i]) == n && memcmp(ok[i], name, n) == 0)
            return 1;
    return 0;
}

/* Fails unless `html` holds only allowed elements, properly nested, with no attribute
 * but an absolute http(s) href on <a>, and no raw '<', '>' or '"' in text. */
static void check_html(const char *html)
{
    const char *stack[4096];
    size_t depth = 0;
    const char *p = html;

    check_clean("html", html, 1);
    while (*p) {
        if (*p == '>' || *p == '"')
            fail_msg("raw '%c' in html text at %zu: %.60s", *p, (size_t)(p - html), p);
        if (*p != '<') {
            p++;
            continue;
        }
        const char *gt = strchr(p, '>');
        assert_non_null(gt);
        int closing = p[1] == '/';
        const char *name = p + 1 + closing;
        size_t n = strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789");
        if (!allowed_element(name, n))
            fail_msg("element not allowed: %.40s", p);
        const char *rest = name + n;
        if (closing) {
            assert_true(rest == gt);
            if (depth == 0 || strncmp(stack[depth - 1], name, n) != 0 ||
                strspn(stack[depth - 1], "abcdefghijklmnopqrstuvwxyz0123456789") != n)
                fail_msg("misnested end tag %.20s", p);
            depth--;
        } else {
            if (rest != gt) {
                /* Only <a href="http(s)://...">. */
                if (!(n == 1 && name[0] == 'a'))
                    fail_msg("attribute on %.40s", p);
                if (strncmp(rest, " href=\"http://", 14) != 0 && strncmp(rest, " href=\"https://", 15) != 0)
                    fail_msg("bad href: %.80s", p);
                const char *q = strchr(rest + 7, '"');
                assert_true(q + 1 == gt);
                for (const char *c = rest + 7; c < q; c++)
                    assert_true(*c > 0x20 && *c != '<' && *c != '>' && *c != '\'');
            }
            if (!(n == 2 && memcmp(name, "br", 2) == 0)) {
                assert_true(depth < 4096);
                stack[depth++] = name;
            }
        }
        p = gt + 1;
    }
    if (depth != 0)
        fail_msg("%zu elements left open in html", depth);
}

/* Every promise of normalise.h about a returned document. */
static void check_doc(const kbj_doc *d)
{
    char want[65];
    assert_non_null(d->title);
    assert_non_null(d->text);
    assert_non_null(d->html);
    assert_true(d->title[0] != '\0');
    check_clean("title", d->title, 0);
    check_clean("text", d->text, 1);
    check_html(d->html);
    if (d->description)
        check_clean("description", d->description, 0);
    if (d->language) {
        check_clean("language", d->language, 0);
        assert_true(strlen(d->language) <= 35);
    }
    if (d->canonical) {
        check_clean("canonical", d->canonical, 0);
        assert_true(strncmp(d->canonical, "http://", 7) == 0 || strncmp(d->canonical, "https://", 8) == 0);
        assert_true(strlen(d->canonical) <= 2048);
    }
    /* Text: no leading or trailing whitespace, no runs of spaces, at most one blank line. */
    size_t n = strlen(d->text);
    if (n) {
        assert_true(d->text[0] != ' ' && d->text[0] != '\n');
        assert_true(d->text[n - 1] != ' ' && d->text[n - 1] != '\n');
    }
    assert_null(strstr(d->text, "  "));
    assert_null(strstr(d->text, "\n\n\n"));
    assert_null(strstr(d->text, " \n"));
    assert_null(strstr(d->text, "\n "));
    /* The hash is sha256(title "\n" text). */
    size_t tl = strlen(d->title);
    char *cat = malloc(tl + 1 + n + 1);
    assert_non_null(cat);
    memcpy(cat, d->title, tl);
    cat[tl] = '\n';
    memcpy(cat + tl + 1, d->text, n + 1);
    kbj_sha256_hex(cat, tl + 1 + n, want);
    free(cat);
    assert_string_equal(d->content_hash, want);
}

/* Normalises `len` bytes and checks the result; fails on an error. */
static kbj_doc norm_n(const char *body, size_t len, const char *ct, const kbj_norm_limits *lim)
{
    kbj_doc d;
    kbj_err err = { "" };
    int rc = kbj_normalise(body, len, ct, URL, lim, &d, &err);
    if (rc != KBJ_OK)
        fail_msg("kbj_normalise: %d %s", rc, err.msg);
    check_doc(&d);
    return d;
}

static kbj_doc norm(const char *body, const char *ct)
{
    return norm_n(body, strlen(body), ct, NULL);
}

static int contains(const char *hay, const char *needle)
{
    return strstr(hay, needle) != NULL;
}

/* ---- ordinary pages -------------------------------------------------------------- */

static const char ORDINARY[] =
    "<!DOCTYPE html>\n"
    "<html lang=\" en-GB \">\n"
    "<head>\n"
    "<meta charset=\"utf-8\">\n"
    "<title>  The   Page\n  Title </title>\n"
    "<meta name=\"Description\" content=\"  A page\n  about   things. \">\n"
    "<link rel=\"stylesheet\" href=\"/s.css\">\n"
    "<link rel=\"Canonical\" href=\"../canon/page?a=1&amp;b=2\">\n"
    "<style>p { color: red }</style>\n"
    "<script>var s = '<p>script text</p>';</script>\n"
    "</head>\n"
    "<body>\n"
    "<header><h1>Site</h1><nav><a href=\"/\">Home</a> <a href=\"/about\">About</a></nav></header>\n"
    "<div class=\"layout\">\n"
    "<main>\n"
    "<h1>Main   heading</h1>\n"
    "<p>First    paragraph with <b>bold</b>, <em>emphasis</em> and a\n"
    "   <a href=\"other.html\" class=\"x\">relative link</a>.</p>\n"
    "<p>Second<br>line, <code>code()</code>.</p>\n"
    "<ul><li>one</li><li>two</li></ul>\n"
    "<div>In a div<div>nested</div></div>\n"
    "<noscript>Enable JavaScript</noscript>\n"
    "<form><label>Name</label><input name=n><button>Send</button></form>\n"
    "<svg><title>icon</title><text>svg text</text></svg>\n"
    "<template><p>template text</p></template>\n"
    "</main>\n"
    "<aside>Related links</aside>\n"
    "</div>\n"
    "<footer>Copyright footer</footer>\n"
    "<script>document.write('more script')</script>\n"
    "</body>\n"
    "</html>\n";

static void ordinary_page(void **state)
{
    (void)state;
    kbj_doc d = norm(ORDINARY, "text/html; charset=utf-8");
    assert_string_equal(d.title, "The Page Title");
    assert_string_equal(d.text, "Main heading\n\n"
                                "First paragraph with bold, emphasis and a relative link.\n\n"
                                "Second\nline, code().\n\n"
                                "one\n\ntwo\n\n"
                                "In a div\n\nnested");
    assert_string_equal(d.html, "<h1>Main heading</h1>"
                                "<p>First paragraph with <b>bold</b>, <em>emphasis</em> and a "
                                "<a href=\"http://example.com/dir/other.html\">relative link</a>.</p>"
                                "<p>Second<br>line, <code>code()</code>.</p>"
                                "<ul><li>one</li><li>two</li></ul>"
                                "<p>In a div</p><p>nested</p>");
    assert_string_equal(d.description, "A page about things.");
    assert_string_equal(d.canonical, "http://example.com/canon/page?a=1&b=2");
    assert_string_equal(d.language, "en-GB");
    assert_string_equal(d.charset, "utf-8");
    assert_int_equal(d.truncated, 0);
    for (const char *bad = "Site|Home|About|script|Related|Copyright|Enable|Name|Send|icon|svg text|template";
         *bad;) {
        size_t l = strcspn(bad, "|");
        char word[32];
        memcpy(word, bad, l);
        word[l] = '\0';
        if (contains(d.text, word) || contains(d.html, word))
            fail_msg("\"%s\" should have been dropped", word);
        bad += l + (bad[l] == '|');
    }
    kbj_doc_clear(&d);
    kbj_doc_clear(&d); /* a cleared document clears again */
    kbj_doc_clear(NULL);
}

static void title_falls_back_to_h1_then_url(void **state)
{
    (void)state;
    kbj_doc d = norm("<h1> Heading <i>one</i> </h1><h1>two</h1><p>x</p>", NULL);
    assert_string_equal(d.title, "Heading one");
    kbj_doc_clear(&d);

    /* An empty title counts as none. */
    d = norm("<title> \n </title><h1>Heading</h1>", "text/html");
    assert_string_equal(d.title, "Heading");
    kbj_doc_clear(&d);

    /* The content's h1 beats one in the page header; a header h1 beats the URL. */
    d = norm("<header><h1>Site</h1></header><main><h1>Article</h1><p>x</p></main>", NULL);
    assert_string_equal(d.title, "Article");
    kbj_doc_clear(&d);
    d = norm("<header><h1>Site</h1></header><p>x</p>", NULL);
    assert_string_equal(d.title, "Site");
    kbj_doc_clear(&d);

    d = norm("<p>no title here</p>", NULL);
    assert_string_equal(d.title, URL);
    kbj_doc_clear(&d);

    /* A title inside svg is not the page's. */
    d = norm("<body><svg><title>icon</title></svg><p>x</p>", NULL);
    assert_string_equal(d.title, URL);
    kbj_doc_clear(&d);
}

static void main_then_article_then_body(void **state)
{
    (void)state;
    kbj_doc d = norm("<p>outside</p><article><p>in article</p></article><main><p>in main</p></main>", NULL);
    assert_string_equal(d.text, "in main");
    kbj_doc_clear(&d);

    d = norm("<p>outside</p><article><h2>A</h2><p>one</p></article><p>between</p>"
             "<article><p>two</p></article>", NULL);
    assert_string_equal(d.text, "A\n\none\n\ntwo");
    assert_string_equal(d.html, "<h2>A</h2><p>one</p><p>two</p>");
    kbj_doc_clear(&d);

    /* An empty main (filled by JavaScript) does not win. */
    d = norm("<main> </main><p>body text</p>", NULL);
    assert_string_equal(d.text, "body text");
    kbj_doc_clear(&d);

    /* A main inside a skipped element is not content. */
    d = norm("<nav><main>menu</main></nav><p>body text</p>", NULL);
    assert_string_equal(d.text, "body text");
    kbj_doc_clear(&d);
}

static void whitespace_and_blocks(void **state)
{
    (void)state;
    kbj_doc d = norm("<body>  lead\t\ttext  <span>in</span><span>line</span>\n"
                     "<p> a\r\n b </p><p></p><p>&nbsp;</p><div><div>x</div></div>"
                     "<table><tr><th>h1</th><th>h2</th></tr><tr><td>c1</td><td>c2</td></tr></table>"
                     "<pre>  keep\n   lines\tand tabs</pre>x<br><br><br>y", NULL);
    assert_string_equal(d.text, "lead text inline\n\na b\n\nx\n\nh1 h2\n\nc1 c2\n\n"
                                "keep lines and tabs\n\nx\ny");
    assert_string_equal(d.html, "<p>lead text inline</p><p>a b</p><p>x</p>"
                                "<table><tr><th>h1</th><th>h2</th></tr><tr><td>c1</td><td>c2</td></tr></table>"
                                "<pre>  keep\n   lines    and tabs</pre><p>x<br>y</p>");
    kbj_doc_clear(&d);

    /* Unwrapped blocks inside a link or a list item become line breaks. */
    d = norm("<a href=/card><div>Title</div><div>Text</div></a><ul><li><div>a</div><div>b</div></li>"
             "stray</ul>", NULL);
    assert_string_equal(d.html, "<p><a href=\"http://example.com/card\">Title<br>Text</a></p>"
                                "<ul><li>a<br>b</li><li>stray</li></ul>");
    kbj_doc_clear(&d);

    /* Blocks inside a link stay linked, each in its own block. */
    d = norm("<a href=/card><h3>Title</h3><p>Text</p>tail</a> after", NULL);
    assert_string_equal(d.html, "<h3><a href=\"http://example.com/card\">Title</a></h3>"
                                "<p><a href=\"http://example.com/card\">Text</a></p>"
                                "<p><a href=\"http://example.com/card\">tail</a> after</p>");
    assert_string_equal(d.text, "Title\n\nText\n\ntail after");
    kbj_doc_clear(&d);

    /* Empty elements leave nothing. */
    d = norm("<p><b></b></p><ul><li></li></ul><blockquote> </blockquote><p>x</p>", NULL);
    assert_string_equal(d.html, "<p>x</p>");
    kbj_doc_clear(&d);
}

static void metadata(void **state)
{
    (void)state;
    /* Content-Language when <html lang> is missing; capped at 35 bytes. */
    kbj_doc d = norm("<meta http-equiv=\"Content-Language\" content=\" fr-CA \"><p>x</p>", NULL);
    assert_string_equal(d.language, "fr-CA");
    assert_null(d.description);
    assert_null(d.canonical);
    kbj_doc_clear(&d);
    d = norm("<html lang=\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"><p>x</p>", NULL);
    assert_int_equal(strlen(d.language), 35);
    kbj_doc_clear(&d);

    /* Description capped at 1,000 bytes on a character boundary. */
    char page[4000];
    strcpy(page, "<meta name=description content=\"");
    for (int i = 0; i < 600; i++)
        strcat(page, "\xc3\xa9"); /* é */
    strcat(page, "\">");
    d = norm(page, NULL);
    assert_int_equal(strlen(d.description), 1000);
    kbj_doc_clear(&d);

    /* Canonical: resolved against <base href>; other schemes and overlong URLs dropped. */
    d = norm("<base href=\"https://cdn.example.org/base/\"><link rel=canonical href=\"x/y\">"
             "<a href=\"z\">z</a>", NULL);
    assert_string_equal(d.canonical, "https://cdn.example.org/base/x/y");
    assert_true(contains(d.html, "href=\"https://cdn.example.org/base/z\""));
    kbj_doc_clear(&d);
    d = norm("<link rel=canonical href=\"javascript:alert(1)\"><p>x</p>", NULL);
    assert_null(d.canonical);
    kbj_doc_clear(&d);
    d = norm("<link rel=canonical href=\"ftp://example.com/x\"><p>x</p>", NULL);
    assert_null(d.canonical);
    kbj_doc_clear(&d);
    char *big = malloc(3000);
    assert_non_null(big);
    strcpy(big, "<link rel=canonical href=\"/");
    memset(big + strlen(big), 'a', 2100);
    strcpy(big + 27 + 2100, "\"><p>x</p>");
    d = norm(big, NULL);
    assert_null(d.canonical);
    kbj_doc_clear(&d);
    free(big);
    /* Spaces and non-ASCII in a URL are escaped as browsers do. */
    d = norm("<link rel=canonical href=\" /a b/\xc3\xa4?q=1#f \"><p>x</p>", NULL);
    assert_string_equal(d.canonical, "http://example.com/a%20b/%C3%A4?q=1#f");
    kbj_doc_clear(&d);
}

/* ---- charsets -------------------------------------------------------------------- */

static void expect_text(const char *body, size_t len, const char *ct, const char *text, const char *charset)
{
    kbj_doc d = norm_n(body, len, ct, NULL);
    if (strcmp(d.text, text) != 0)
        fail_msg("text \"%s\", want \"%s\"", d.text, text);
    assert_string_equal(d.charset, charset);
    kbj_doc_clear(&d);
}

#define EXPECT(body, ct, text, cs) expect_text(body, sizeof body - 1, ct, text, cs)

static void charset_from_bom(void **state)
{
    (void)state;
    EXPECT("\xef\xbb\xbf<p>caf\xc3\xa9</p>", "text/html; charset=iso-8859-1", "caf\xc3\xa9", "utf-8");
    /* "<p>é€</p>" in UTF-16LE and BE. */
    EXPECT("\xff\xfe<\0p\0>\0\xe9\0\xac\x20<\0/\0p\0>\0", NULL, "\xc3\xa9\xe2\x82\xac", "utf-16le");
    EXPECT("\xfe\xff\0<\0p\0>\0\xe9\x20\xac\0<\0/\0p\0>", "text/html; charset=utf-8", "\xc3\xa9\xe2\x82\xac", "utf-16be");
    /* A lone surrogate and an odd byte at the end become U+FFFD. */
    EXPECT("\xff\xfe" "a\0\x00\xd8" "b\0c", NULL, "a\xef\xbf\xbd" "b\xef\xbf\xbd", "utf-16le");
}

static void charset_from_header(void **state)
{
    (void)state;
    /* latin1 is read as windows-1252: 0x80 is the euro sign. */
    EXPECT("<p>caf\xe9 \x80</p>", "text/html; charset=ISO-8859-1", "caf\xc3\xa9 \xe2\x82\xac", "windows-1252");
    EXPECT("<p>caf\xe9</p>", "text/html;charset=\"latin1\"", "caf\xc3\xa9", "windows-1252");
    /* The header beats the meta. */
    EXPECT("<meta charset=iso-8859-1><p>caf\xc3\xa9</p>", "text/html; Charset=UTF-8", "caf\xc3\xa9", "utf-8");
    EXPECT("<p>\xc4\xe5</p>", "text/html; charset=windows-1251", "\xd0\x94\xd0\xb5", "windows-1251");
}

static void charset_from_meta(void **state)
{
    (void)state;
    EXPECT("<html><head><meta charset=\"windows-1252\"></head><p>\x93quoted\x94</p>", "text/html",
           "\xe2\x80\x9cquoted\xe2\x80\x9d", "windows-1252");
    EXPECT("<!-- <meta charset=utf-8> --><meta http-equiv=\"Content-Type\" "
           "content=\"text/html; charset=ISO-8859-1\"><p>caf\xe9</p>", NULL, "caf\xc3\xa9", "windows-1252");
    /* Converted once, not twice: libxml2 must not act on the meta again. */
    EXPECT("<meta charset=iso-8859-1><title>caf\xe9</title><p>na\xefve</p>", NULL, "na\xc3\xafve", "windows-1252");
    /* A meta naming UTF-16 means UTF-8; a meta after 4 KiB does not count. */
    EXPECT("<meta charset=utf-16><p>caf\xc3\xa9</p>", NULL, "caf\xc3\xa9", "utf-8");
    char page[5000];
    memset(page, ' ', 4200);
    strcpy(page + 4200, "<meta charset=windows-1251><p>caf\xc3\xa9</p>");
    expect_text(page, strlen(page), NULL, "caf\xc3\xa9", "utf-8");
}

static void charset_shift_jis(void **state)
{
    (void)state;
    /* 日本語 in Shift_JIS. */
    EXPECT("<meta charset=\"Shift_JIS\"><p>\x93\xfa\x96\x7b\x8c\xea</p>", NULL,
           "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "shift_jis");
    EXPECT("<p>\x93\xfa\x96\x7b\x8c\xea</p>", "text/html; charset=sjis",
           "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "shift_jis");
}

/* Conversion works in windows of 64 KiB: characters cut by a window edge survive. */
static void long_pages_convert_across_windows(void **state)
{
    (void)state;
    size_t n = 3 + 2 * 40000, i;
    char *p = malloc(n);
    assert_non_null(p);
    memcpy(p, "<p>", 3);
    for (i = 3; i < n; i += 2)
        memcpy(p + i, "\x93\xfa", 2); /* 日: lead bytes at odd offsets, one at 65535 */
    kbj_doc d = norm_n(p, n, "text/html; charset=shift_jis", NULL);
    assert_int_equal(strlen(d.text), 3 * 40000);
    assert_null(strstr(d.text, "\xef\xbf\xbd"));
    kbj_doc_clear(&d);

    /* UTF-16LE: U+1F600 surrogate pairs, one cut by the edge of the first window. */
    n = 2 + 2 + 4 * 20000;
    p = realloc(p, n);
    assert_non_null(p);
    memcpy(p, "\xff\xfe" "a\0", 4);
    for (i = 4; i < n; i += 4)
        memcpy(p + i, "\x3d\xd8\x00\xde", 4);
    d = norm_n(p, n, NULL, NULL);
    assert_int_equal(strlen(d.text), 1 + 4 * 20000);
    assert_null(strstr(d.text, "\xef\xbf\xbd"));
    assert_memory_equal(d.text, "a\xf0\x9f\x98\x80", 5);
    kbj_doc_clear(&d);
    free(p);
}

static void charset_guessed(void **state)
{
    (void)state;
    EXPECT("<p>caf\xc3\xa9 \xe2\x82\xac</p>", NULL, "caf\xc3\xa9 \xe2\x82\xac", "utf-8");
    EXPECT("<p>plain ascii</p>", "text/html", "plain ascii", "utf-8");
    EXPECT("<p>caf\xe9 \x80</p>", NULL, "caf\xc3\xa9 \xe2\x82\xac", "windows-1252");
    /* Unknown charset names count as none. */
    EXPECT("<p>caf\xc3\xa9</p>", "text/html; charset=x-klingon", "caf\xc3\xa9", "utf-8");
    EXPECT("<meta charset=bogus><p>caf\xe9</p>", "text/html; charset=bogus", "caf\xc3\xa9", "windows-1252");
}

static void invalid_bytes_become_replacement_characters(void **state)
{
    (void)state;
    /* Declared UTF-8 with invalid bytes: one U+FFFD per bad byte; overlong and surrogate
     * forms are invalid too. */
    EXPECT("<meta charset=utf-8><p>a\xff" "b\xc3" "c\xc0\xaf" "d\xed\xa0\x80" "e</p>", NULL,
           "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\xef\xbf\xbd\xef\xbf\xbd" "d\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "e",
           "utf-8");
    /* windows-1252 bytes it does not define. */
    EXPECT("<p>a\x81" "b</p>", "text/html; charset=windows-1252", "a\xef\xbf\xbd" "b", "windows-1252");
    /* NUL is U+FFFD; other controls are dropped, raw or as references; so are C1. */
    EXPECT("<p>a\0b\x01" "c\x1b[0m\x7f&#1;&#x7f;&#xFFFE;d\xc2\x80</p>", NULL, "a\xef\xbf\xbd" "bc[0md", "utf-8");
}

/* Numeric references as browsers read them; named ones as libxml2 does (HTML 4). */
static void character_references(void **state)
{
    (void)state;
    /* 0x80-0x9F are windows-1252; 0, surrogates and huge values are U+FFFD. */
    EXPECT("<p>&#150;&#x85;&#128;|&#0;&#xD800;&#99999999999;|&#65&#x42;&#;&#x;&#q</p>", NULL,
           "\xe2\x80\x93\xe2\x80\xa6\xe2\x82\xac|\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|AB&#;&#x;&#q",
           "utf-8");
    EXPECT("<p>&eacute;&amp;&lt;&nbsp;x&diams;&zwnj;|&zz; &amp &Eacute &;&</p>", NULL,
           "\xc3\xa9&< x\xe2\x99\xa6\xe2\x80\x8c|&zz; &amp &Eacute &;&", "utf-8");
    /* In attribute values too. */
    kbj_doc d = norm("<a href=\"/a?b=1&amp;c=2&d=&#51;&eacute;\">x</a>", NULL);
    assert_string_equal(d.html, "<p><a href=\"http://example.com/a?b=1&amp;c=2&amp;d=3%C3%A9\">x</a></p>");
    kbj_doc_clear(&d);
}

/* ---- html safety ----------------------------------------------------------------- */

static void html_is_safe(void **state)
{
    (void)state;
    kbj_doc d = norm("<p onclick=\"evil()\" style=\"x\" class=c>click <b onmouseover=x>me</b></p>"
                     "<p><a href=\"javascript:alert(1)\">js</a> <a href=\" JaVaScRiPt:alert(2)\">js2</a> "
                     "<a href=\"java&#x09;script:alert(3)\">js3</a> <a href=\"data:text/html,x\">data</a> "
                     "<a href=\"vbscript:x\">vb</a> <a>none</a> <a href=\"//cdn.example.net/x\">proto</a></p>"
                     "<p>before<script>alert('in p')</script>after</p>"
                     "<p><a href='x\" onmouseover=\"alert(1)'>quoted</a></p>"
                     "<p>&lt;script&gt;alert(&quot;text&quot;)&lt;/script&gt; &amp; ' \"</p>"
                     "<img src=x onerror=alert(1)><iframe src=\"http://evil\"></iframe>"
                     "<style>@import 'x'</style><object data=x>obj</object>",
                     NULL);
    assert_string_equal(d.html,
                        "<p>click <b>me</b></p>"
                        "<p>js js2 js3 data vb none <a href=\"http://cdn.example.net/x\">proto</a></p>"
                        "<p>beforeafter</p>"
                        "<p><a href=\"http://example.com/dir/x%22%20onmouseover=%22alert(1)\">quoted</a></p>"
                        "<p>&lt;script&gt;alert(&quot;text&quot;)&lt;/script&gt; &amp; ' &quot;</p>");
    assert_false(contains(d.html, "script:"));
    assert_false(contains(d.html, "onclick"));
    assert_false(contains(d.html, "alert('in p')"));
    assert_string_equal(d.text, "click me\n\njs js2 js3 data vb none proto\n\nbeforeafter\n\nquoted\n\n"
                                "<script>alert(\"text\")</script> & ' \"");
    kbj_doc_clear(&d);

    /* Nested links: the inner one is unwrapped. */
    d = norm("<a href=/a>one <span><a href=/b>two</a></span></a>", NULL);
    check_html(d.html);
    kbj_doc_clear(&d);
}

/* ---- text/plain ------------------------------------------------------------------ */

static void plain_text(void **state)
{
    (void)state;
    kbj_doc d = norm("\n  \n  First   line <b>\r\nsecond line\n \t\npara  two\n\n\n\npara three & <x>\n",
                     "text/plain; charset=utf-8");
    assert_string_equal(d.title, "First line <b>");
    assert_string_equal(d.text, "First line <b> second line\n\npara two\n\npara three & <x>");
    assert_string_equal(d.html, "<p>First line &lt;b&gt; second line</p><p>para two</p>"
                                "<p>para three &amp; &lt;x&gt;</p>");
    assert_string_equal(d.charset, "utf-8");
    assert_null(d.description);
    kbj_doc_clear(&d);

    /* The title is cut at 200 bytes on a character boundary. */
    char page[1000] = "";
    for (int i = 0; i < 150; i++)
        strcat(page, "\xc3\xa9");
    d = norm(page, "TEXT/PLAIN");
    assert_int_equal(strlen(d.title), 200);
    kbj_doc_clear(&d);

    /* Latin-1 text; empty text. */
    EXPECT("caf\xe9", "text/plain", "caf\xc3\xa9", "windows-1252");
    d = norm(" \n\n ", "text/plain");
    assert_string_equal(d.title, URL);
    assert_string_equal(d.text, "");
    assert_string_equal(d.html, "");
    kbj_doc_clear(&d);
}

/* ---- content hash ---------------------------------------------------------------- */

static void content_hash(void **state)
{
    (void)state;
    kbj_doc a = norm("<title>T</title><p>Hello   world</p>", NULL);
    kbj_doc b = norm("<html><head><title> T </title><script>x</script></head>"
                     "<body><div>Hello <b>world</b></div><footer>f</footer></body></html>", NULL);
    kbj_doc c = norm("<title>T</title><p>Hello world!</p>", NULL);
    kbj_doc e = norm("<title>T2</title><p>Hello world</p>", NULL);
    kbj_doc a2 = norm("<title>T</title><p>Hello   world</p>", NULL);
    assert_string_equal(a.content_hash, a2.content_hash);
    assert_string_equal(a.content_hash, b.content_hash);
    assert_string_not_equal(a.content_hash, c.content_hash);
    assert_string_not_equal(a.content_hash, e.content_hash);
    char want[65];
    kbj_sha256_hex("T\nHello world", 13, want);
    assert_string_equal(a.content_hash, want);
    kbj_doc_clear(&a);
    kbj_doc_clear(&a2);
    kbj_doc_clear(&b);
    kbj_doc_clear(&c);
    kbj_doc_clear(&e);
}

/* ---- limits and arguments -------------------------------------------------------- */

static void arguments_and_limits(void **state)
{
    (void)state;
    kbj_doc d;
    kbj_err err = { "" };
    kbj_norm_limits lim = { 100, 0, 0 };
    char page[200];

    memset(page, 'x', 101);
    assert_int_equal(kbj_normalise(page, 101, NULL, URL, &lim, &d, &err), KBJ_EINVAL);
    assert_string_equal(err.msg, "page larger than 100 bytes");
    assert_null(d.title);
    assert_int_equal(kbj_normalise(page, 100, NULL, URL, &lim, &d, &err), KBJ_OK);
    kbj_doc_clear(&d);
    assert_int_equal(kbj_normalise(NULL, 1, NULL, URL, NULL, &d, &err), KBJ_EINVAL);
    assert_int_equal(kbj_normalise("x", 1, NULL, NULL, NULL, &d, &err), KBJ_EINVAL);
    assert_int_equal(kbj_normalise("x", 1, NULL, URL, NULL, NULL, &err), KBJ_EINVAL);
    assert_int_equal(kbj_normalise("x", 1, NULL, NULL, NULL, &d, NULL), KBJ_EINVAL);

    /* An empty page, with or without a buffer. */
    d = norm_n(NULL, 0, NULL, NULL);
    assert_string_equal(d.title, URL);
    assert_string_equal(d.text, "");
    assert_int_equal(d.truncated, 0);
    kbj_doc_clear(&d);
    d = norm_n("", 0, "text/plain", NULL);
    kbj_doc_clear(&d);
}

static void text_is_cut_at_a_character_boundary(void **state)
{
    (void)state;
    kbj_norm_limits lim = { 0, 101, 0 };
    char page[2000] = "<p>";
    for (int i = 0; i < 300; i++)
        strcat(page, "\xe2\x82\xac"); /* € */
    strcat(page, "</p><p>more</p>");
    kbj_doc d = norm_n(page, strlen(page), NULL, &lim);
    assert_int_equal(d.truncated, 1);
    assert_int_equal(strlen(d.text), 99); /* 33 euro signs */
    assert_true(strlen(d.html) <= 202);
    kbj_doc_clear(&d);

    /* Exactly at the limit: not truncated. */
    lim.max_text = 9;
    d = norm_n("<p>\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac</p>", 12, NULL, &lim);
    assert_int_equal(d.truncated, 0);
    assert_string_equal(d.text, "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac");
    kbj_doc_clear(&d);

    /* text/plain too. */
    lim.max_text = 10;
    d = norm_n("0123456789abc", 13, "text/plain", &lim);
    assert_int_equal(d.truncated, 1);
    assert_string_equal(d.text, "0123456789");
    kbj_doc_clear(&d);
}

static void depth_is_limited(void **state)
{
    (void)state;
    kbj_norm_limits lim = { 0, 0, 6 };
    /* html body div div div div: the fifth div is at depth 7. */
    const char *deep = "<div>a<div>b<div>c<div>d<div>deep</div>e</div></div></div></div><p>after</p>";
    kbj_doc d = norm_n(deep, strlen(deep), NULL, &lim);
    assert_string_equal(d.text, "a\n\nb\n\nc\n\nd\n\ne\n\nafter");
    assert_int_equal(d.truncated, 1);
    kbj_doc_clear(&d);
    /* Depth inside a skipped element does not count as truncation. */
    deep = "<nav><div><div><div><div><div>x</div></div></div></div></div></nav><p>t</p>";
    d = norm_n(deep, strlen(deep), NULL, &lim);
    assert_string_equal(d.text, "t");
    assert_int_equal(d.truncated, 0);
    kbj_doc_clear(&d);
}

/* A start tag with more attributes than libxml2 can check quickly is cut, but an
 * ordinary one keeps its href. */
static void many_attributes(void **state)
{
    (void)state;
    char page[4000] = "<p><a";
    for (int i = 0; i < 60; i++)
        sprintf(page + strlen(page), " data-x%d=\"v>%d\"", i, i);
    strcat(page, " href=\"/kept\">link</a></p>");
    kbj_doc d = norm(page, NULL);
    assert_string_equal(d.text, "link");
    assert_true(contains(d.html, "href=\"http://example.com/kept\""));
    kbj_doc_clear(&d);
}

/* ---- libxml2 state ---------------------------------------------------------------- */

static int global_errors;

static void count_error(void *ctx, xmlErrorPtr e)
{
    (void)ctx;
    (void)e;
    global_errors++;
}

/* Parse errors reach neither the global handlers (PHP's) nor the thread's last error. */
static void libxml_global_state_is_untouched(void **state)
{
    (void)state;
    xmlDocPtr x;
    xmlErrorPtr last;

    xmlResetLastError();
    kbj_doc d = norm("<p>unclosed <b><i></p></x><body><html><foo bar=>", NULL);
    kbj_doc_clear(&d);
    assert_null(xmlGetLastError());

    x = xmlReadMemory("<a>", 3, "mine.xml", NULL, XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    assert_null(x);
    last = xmlGetLastError();
    assert_non_null(last);
    int code = last->code;
    assert_int_not_equal(code, 0);

    xmlSetStructuredErrorFunc(NULL, count_error);
    d = norm("<p>unclosed <b><i></p></x><body><html><foo bar=>", NULL);
    kbj_doc_clear(&d);
    xmlSetStructuredErrorFunc(NULL, NULL);
    assert_int_equal(global_errors, 0);
    last = xmlGetLastError();
    assert_non_null(last);
    assert_int_equal(last->code, code);
    assert_string_equal(last->file, "mine.xml");
    xmlResetLastError();
}

static void *normalise_in_thread(void *arg)
{
    (void)arg;
    for (int i = 0; i < 200; i++) {
        kbj_doc d;
        if (kbj_normalise(ORDINARY, sizeof ORDINARY - 1, NULL, URL, NULL, &d, NULL) != KBJ_OK)
            return "failed";
        if (strcmp(d.title, "The Page Title") != 0) {
            kbj_doc_clear(&d);
            return "wrong title";
        }
        kbj_doc_clear(&d);
        if (kbj_normalise("<p>caf\xe9</p>", 11, "text/html; charset=latin1", URL, NULL, &d, NULL) != KBJ_OK)
            return "failed";
        if (strcmp(d.text, "caf\xc3\xa9") != 0) {
            kbj_doc_clear(&d);
            return "wrong text";
        }
        kbj_doc_clear(&d);
    }
    return NULL;
}

static void threads(void **state)
{
    (void)state;
    pthread_t t[4];
    void *res;
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, normalise_in_thread, NULL), 0);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(t[i], &res), 0);
        if (res)
            fail_msg("thread %d: %s", i, (const char *)res);
    }
}

/* ---- hostile pages ----------------------------------------------------------------- */

typedef struct page {
    char *p;
    size_t len, cap;
} page;

static void page_reserve(page *pg, size_t n)
{
    if (pg->len + n + 1 <= pg->cap)
        return;
    while (pg->len + n + 1 > pg->cap)
        pg->cap = pg->cap ? pg->cap * 2 : 1 << 16;
    pg->p = realloc(pg->p, pg->cap);
    assert_non_null(pg->p);
}

static void page_add(page *pg, const char *s, size_t n)
{
    page_reserve(pg, n);
    memcpy(pg->p + pg->len, s, n);
    pg->len += n;
    pg->p[pg->len] = '\0';
}

static void page_rep(page *pg, const char *unit, size_t times)
{
    size_t n = strlen(unit);
    page_reserve(pg, n * times);
    for (size_t i = 0; i < times; i++)
        memcpy(pg->p + pg->len + i * n, unit, n);
    pg->len += n * times;
    pg->p[pg->len] = '\0';
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Normalises a hostile page, prints its timing and checks the document. */
static kbj_doc hostile(const char *name, page *pg, const char *ct)
{
    kbj_doc d;
    kbj_err err = { "" };
    double t0 = now();
    int rc = kbj_normalise(pg->p, pg->len, ct, URL, NULL, &d, &err);
    double t = now() - t0;
    print_message("    %-34s %9zu bytes %7.3f s  text %7zu  truncated %d\n", name, pg->len, t,
                  rc == KBJ_OK ? strlen(d.text) : 0, rc == KBJ_OK ? d.truncated : -1);
    if (rc != KBJ_OK)
        fail_msg("%s: %d %s", name, rc, err.msg);
    check_doc(&d);
    free(pg->p);
    pg->p = NULL;
    pg->len = pg->cap = 0;
    return d;
}

static void hostile_pages(void **state)
{
    (void)state;
    page pg = { 0 };
    kbj_doc d;

    page_add(&pg, "<html><body><p>before</p>", 25);
    page_rep(&pg, "<div>", 100000);
    page_add(&pg, "deep", 4);
    page_rep(&pg, "</div>", 100000);
    page_add(&pg, "<p>after</p>", 12);
    d = hostile("100,000 nested divs", &pg, "text/html");
    assert_string_equal(d.text, "before\n\nafter");
    assert_int_equal(d.truncated, 1);
    kbj_doc_clear(&d);

    page_add(&pg, "<p>a <a title=\"", 15);
    page_rep(&pg, "x", 5 << 20);
    page_add(&pg, "\" href=\"/ok\">link</a> b</p>", 27);
    d = hostile("one 5 MiB attribute", &pg, "text/html");
    assert_string_equal(d.text, "a link b");
    assert_true(contains(d.html, "href=\"http://example.com/ok\""));
    kbj_doc_clear(&d);

    page_add(&pg, "<p>", 3);
    page_rep(&pg, "&amp;", 1000000);
    page_add(&pg, "</p>", 4);
    d = hostile("1,000,000 &amp;", &pg, NULL);
    assert_int_equal(strlen(d.text), 1000000);
    kbj_doc_clear(&d);

    page_add(&pg, "<p>", 3);
    page_rep(&pg, "&zz;&diams;", 900000);
    d = hostile("1,800,000 unknown and late entities", &pg, NULL);
    assert_int_equal(d.truncated, 1);
    assert_memory_equal(d.text, "&zz;\xe2\x99\xa6&zz;", 11);
    kbj_doc_clear(&d);

    page_rep(&pg, "&", (10 << 20) - 16);
    d = hostile("10 MiB of '&'", &pg, NULL);
    kbj_doc_clear(&d);

    page_add(&pg, "<html><head><title>s</title></head><body>", 41);
    page_rep(&pg, "<script>var a = '<p>x</p>'; if (a < b && c > d) {}</script>", 100000);
    d = hostile("only script", &pg, "text/html");
    assert_string_equal(d.text, "");
    assert_int_equal(d.truncated, 0);
    kbj_doc_clear(&d);

    page_reserve(&pg, 10 << 20);
    pg.len = 10 << 20;
    srand(42);
    for (size_t i = 0; i < pg.len; i++)
        pg.p[i] = (char)(rand() >> 7);
    d = hostile("10 MiB binary as text/html", &pg, "text/html");
    assert_string_equal(d.charset, "windows-1252");
    kbj_doc_clear(&d);

    page_add(&pg, "<html><head></head><body></body></html>", 39);
    d = hostile("empty body", &pg, "text/html");
    assert_string_equal(d.text, "");
    assert_string_equal(d.html, "");
    kbj_doc_clear(&d);

    page_add(&pg, "<html><body>", 12);
    page_rep(&pg, "<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.</p>\n",
             (10 << 20) / 82);
    d = hostile("10 MiB of paragraphs", &pg, "text/html");
    assert_int_equal(d.truncated, 1);
    assert_true(strlen(d.text) <= 1 << 20);
    assert_true(strlen(d.html) <= 2 << 20);
    kbj_doc_clear(&d);

    page_add(&pg, "<p", 2);
    for (int i = 0; i < 200000; i++) {
        char a[16];
        int n = snprintf(a, sizeof a, " a%d=\">\"", i);
        page_add(&pg, a, (size_t)n);
    }
    page_add(&pg, ">x</p>", 6);
    d = hostile("200,000 attributes in one tag", &pg, NULL);
    kbj_doc_clear(&d);

    page_add(&pg, "<body>", 6);
    page_rep(&pg, "<b>", 1000);
    page_rep(&pg, "</x>", 2400000);
    d = hostile("2,400,000 stray end tags, depth 1000", &pg, NULL);
    kbj_doc_clear(&d);

    page_add(&pg, "<body>", 6);
    page_rep(&pg, "<div>", 250);
    page_rep(&pg, "<body class=x>", 700000);
    d = hostile("700,000 misplaced <body>", &pg, NULL);
    kbj_doc_clear(&d);

    page_rep(&pg, "<table><tr><td><ul><li><p><b><i><a href=x>", 200000);
    d = hostile("200,000 unclosed mixed elements", &pg, NULL);
    kbj_doc_clear(&d);

    page_rep(&pg, "x", (10 << 20) - 1);
    page_add(&pg, "\n", 1);
    d = hostile("10 MiB text/plain line", &pg, "text/plain");
    assert_int_equal(strlen(d.title), 200);
    assert_int_equal(d.truncated, 1);
    kbj_doc_clear(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ordinary_page),
        cmocka_unit_test(title_falls_back_to_h1_then_url),
        cmocka_unit_test(main_then_article_then_body),
        cmocka_unit_test(whitespace_and_blocks),
        cmocka_unit_test(metadata),
        cmocka_unit_test(charset_from_bom),
        cmocka_unit_test(charset_from_header),
        cmocka_unit_test(charset_from_meta),
        cmocka_unit_test(charset_shift_jis),
        cmocka_unit_test(long_pages_convert_across_windows),
        cmocka_unit_test(charset_guessed),
        cmocka_unit_test(invalid_bytes_become_replacement_characters),
        cmocka_unit_test(character_references),
        cmocka_unit_test(html_is_safe),
        cmocka_unit_test(plain_text),
        cmocka_unit_test(content_hash),
        cmocka_unit_test(arguments_and_limits),
        cmocka_unit_test(text_is_cut_at_a_character_boundary),
        cmocka_unit_test(depth_is_limited),
        cmocka_unit_test(many_attributes),
        cmocka_unit_test(libxml_global_state_is_untouched),
        cmocka_unit_test(threads),
        cmocka_unit_test(hostile_pages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
