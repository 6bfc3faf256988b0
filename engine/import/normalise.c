/*
 * normalise.c - a fetched page to a plain document (see normalise.h).
 *
 * The pipeline: pick the charset (BOM, header, meta prescan, UTF-8 check, windows-1252)
 * and convert the bytes to clean UTF-8 ourselves (iconv, U+FFFD for bad bytes, control
 * characters dropped). For HTML, rewrite character references into forms libxml2
 * decodes cheaply and defuse start tags with absurd numbers of attributes (libxml2 2.9
 * is linear per named reference and quadratic per tag's attributes); then run libxml2's
 * HTML parser with SAX callbacks only - no tree is built - and stream the content into
 * three "sinks" at once: the first <main>, the <article>s, and the whole body. The first
 * non-empty of those, in that order, becomes the document. Every buffer is capped, the
 * element stack is capped at max_depth, the work libxml2 does per stray end tag in
 * proportion to the nesting depth is budgeted, and the parse stops once the text is
 * full, so hostile pages finish quickly (well under a second for 10 MiB on one core)
 * in memory bounded by a few times the page size.
 *
 * libxml2 use: one parser context per call with its own SAX handler and its own
 * structured error handler; no global setting is read or written (the thread's
 * "last error" that every libxml2 parse overwrites is saved and restored around the
 * parse, so PHP's libxml_get_last_error() does not see ours).
 */
#include "normalise.h"
#include "sha256.h"

#include <errno.h>
#include <iconv.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/parserInternals.h>
#include <libxml/uri.h>
#include <libxml/xmlerror.h>

#define DEFAULT_MAX_INPUT ((size_t)10 << 20)
#define DEFAULT_MAX_TEXT ((size_t)1 << 20)
#define DEFAULT_MAX_DEPTH 256u

#define TITLE_MAX 1000        /* bytes of an HTML title or heading used as title */
#define PLAIN_TITLE_MAX 200   /* bytes of a text/plain title */
#define DESCRIPTION_MAX 1000
#define LANGUAGE_MAX 35
#define URL_MAX 2048          /* canonical and link URLs, as KBJ_URL_MAX */
#define PRESCAN_BYTES 4096    /* where a meta charset counts */
#define ICONV_WINDOW 65536    /* bytes converted per iconv() call at most */
#define MAX_ATTRS 64          /* attributes per start tag that reach libxml2 */
#define DEPTH_WORK_BUDGET (64ull << 20) /* nesting levels libxml2 may scan for stray tags */

/* ======================================================================== *
 * Growable byte buffers (always NUL-terminated once allocated)
 * ======================================================================== */

typedef struct buf {
    char *p;
    size_t len, cap;
} buf;

/* Makes room for `add` more bytes and a NUL. Returns 0 or KBJ_ENOMEM. */
static int buf_reserve(buf *b, size_t add)
{
    size_t need, cap;
    char *p;

    if (add > SIZE_MAX - b->len - 1)
        return KBJ_ENOMEM;
    need = b->len + add + 1;
    if (need <= b->cap)
        return KBJ_OK;
    cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    p = realloc(b->p, cap);
    if (!p)
        return KBJ_ENOMEM;
    b->p = p;
    b->cap = cap;
    return KBJ_OK;
}

/* Appends `n` bytes. Returns 0 or KBJ_ENOMEM. */
static int buf_add(buf *b, const char *s, size_t n)
{
    if (buf_reserve(b, n) != KBJ_OK)
        return KBJ_ENOMEM;
    if (n)
        memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return KBJ_OK;
}

/* Frees the contents; the buffer is empty again. */
static void buf_free(buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* Hands over the contents as a malloc'd string ("" for an empty buffer); NULL when out
 * of memory. The buffer is left empty. */
static char *buf_take(buf *b)
{
    char *s = b->p;
    if (!s)
        s = calloc(1, 1);
    b->p = NULL;
    b->len = b->cap = 0;
    return s;
}

/* ======================================================================== *
 * UTF-8
 * ======================================================================== */

static const char FFFD[] = "\xEF\xBF\xBD";

/* Length (1-4) of the well-formed UTF-8 sequence at `s` (n bytes available) with its code
 * point in *cp, or 0 when it is not well-formed: overlong forms, surrogates, code points
 * above U+10FFFF and truncated sequences are refused. */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
    uint32_t c = s[0];
    size_t len, i;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        c &= 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        c &= 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        c &= 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF))) ||
        (len == 4 && (c < 0x10000 || c > 0x10FFFF)))
        return 0;
    *cp = c;
    return len;
}

/* 1 when the n bytes at `s` are entirely well-formed UTF-8. */
static int utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0, l;
    uint32_t cp;

    while (i < n) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        l = utf8_seq(s + i, n - i, &cp);
        if (!l)
            return 0;
        i += l;
    }
    return 1;
}

/* The longest prefix of the valid UTF-8 string `s` (length n) that is at most `max`
 * bytes and ends on a character boundary. */
static size_t utf8_cut(const char *s, size_t n, size_t max)
{
    if (n <= max)
        return n;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return max;
}

/* Appends `n` bytes of UTF-8 (or anything) to `out` as clean UTF-8 for the parser:
 * ill-formed sequences become one U+FFFD per bad byte, NUL becomes U+FFFD, form feed
 * becomes a space, and the other C0 controls (but tab, LF, CR), DEL and the C1 controls
 * are dropped. Returns 0 or KBJ_ENOMEM. */
static int sanitise(const unsigned char *s, size_t n, buf *out)
{
    size_t i = 0, run, l;
    uint32_t cp;

    if (buf_reserve(out, n + n / 8 + 16) != KBJ_OK)
        return KBJ_ENOMEM;
    while (i < n) {
        /* Plain printable ASCII in one copy. */
        for (run = i; run < n && s[run] >= 0x20 && s[run] < 0x7F; run++)
            ;
        if (run > i) {
            if (buf_add(out, (const char *)s + i, run - i) != KBJ_OK)
                return KBJ_ENOMEM;
            i = run;
            continue;
        }
        if (s[i] < 0x80) {
            unsigned char c = s[i++];
            int rc = KBJ_OK;
            if (c == 0)
                rc = buf_add(out, FFFD, 3);
            else if (c == '\f')
                rc = buf_add(out, " ", 1);
            else if (c == '\t' || c == '\n' || c == '\r')
                rc = buf_add(out, (const char *)&c, 1);
            if (rc != KBJ_OK)
                return rc;
            continue;
        }
        l = utf8_seq(s + i, n - i, &cp);
        if (!l) {
            if (buf_add(out, FFFD, 3) != KBJ_OK)
                return KBJ_ENOMEM;
            i++;
        } else {
            if (cp > 0x9F && buf_add(out, (const char *)s + i, l) != KBJ_OK)
                return KBJ_ENOMEM;
            i += l;
        }
    }
    return KBJ_OK;
}

/* ======================================================================== *
 * Charsets
 * ======================================================================== */

/* Canonical names (lowercase, as browsers name them), the iconv names to try, and the
 * labels that mean them. HTML reads iso-8859-1 and us-ascii as windows-1252. */
typedef struct charset {
    const char *name;
    const char *iconv1, *iconv2;
    const char *labels; /* space-separated, lowercase */
} charset;

static const charset CHARSETS[] = {
    { "utf-8", NULL, NULL, "utf-8 utf8 unicode-1-1-utf-8 unicode11utf8 unicode20utf8 x-unicode20utf8" },
    { "windows-1252", "CP1252", "WINDOWS-1252",
      "windows-1252 cp1252 x-cp1252 iso-8859-1 iso8859-1 iso88591 iso_8859-1 iso_8859-1:1987 "
      "latin1 l1 cp819 ibm819 csisolatin1 iso-ir-100 us-ascii ascii ansi_x3.4-1968 csascii "
      "iso646-us us" },
    { "iso-8859-2", "ISO-8859-2", NULL, "iso-8859-2 iso8859-2 iso88592 iso_8859-2 latin2 l2 csisolatin2 iso-ir-101" },
    { "iso-8859-3", "ISO-8859-3", NULL, "iso-8859-3 iso8859-3 iso88593 iso_8859-3 latin3 l3 csisolatin3" },
    { "iso-8859-4", "ISO-8859-4", NULL, "iso-8859-4 iso8859-4 iso88594 iso_8859-4 latin4 l4 csisolatin4" },
    { "iso-8859-5", "ISO-8859-5", NULL, "iso-8859-5 iso8859-5 iso88595 iso_8859-5 cyrillic csisolatincyrillic" },
    { "iso-8859-6", "ISO-8859-6", NULL, "iso-8859-6 iso8859-6 iso88596 iso_8859-6 arabic csisolatinarabic" },
    { "iso-8859-7", "ISO-8859-7", NULL, "iso-8859-7 iso8859-7 iso88597 iso_8859-7 greek greek8 csisolatingreek" },
    { "iso-8859-8", "ISO-8859-8", NULL, "iso-8859-8 iso8859-8 iso88598 iso_8859-8 iso-8859-8-i hebrew csisolatinhebrew" },
    { "iso-8859-10", "ISO-8859-10", NULL, "iso-8859-10 iso8859-10 iso885910 latin6 l6 csisolatin6" },
    { "iso-8859-13", "ISO-8859-13", NULL, "iso-8859-13 iso8859-13 iso885913" },
    { "iso-8859-14", "ISO-8859-14", NULL, "iso-8859-14 iso8859-14 iso885914" },
    { "iso-8859-15", "ISO-8859-15", NULL, "iso-8859-15 iso8859-15 iso885915 iso_8859-15 latin9 l9 latin-9" },
    { "iso-8859-16", "ISO-8859-16", NULL, "iso-8859-16 iso8859-16 iso885916" },
    { "windows-1250", "CP1250", NULL, "windows-1250 cp1250 x-cp1250" },
    { "windows-1251", "CP1251", NULL, "windows-1251 cp1251 x-cp1251" },
    { "windows-1253", "CP1253", NULL, "windows-1253 cp1253 x-cp1253" },
    { "windows-1254", "CP1254", NULL, "windows-1254 cp1254 x-cp1254 iso-8859-9 iso8859-9 iso88599 latin5 l5" },
    { "windows-1255", "CP1255", NULL, "windows-1255 cp1255 x-cp1255" },
    { "windows-1256", "CP1256", NULL, "windows-1256 cp1256 x-cp1256" },
    { "windows-1257", "CP1257", NULL, "windows-1257 cp1257 x-cp1257" },
    { "windows-1258", "CP1258", NULL, "windows-1258 cp1258 x-cp1258" },
    { "windows-874", "CP874", NULL, "windows-874 cp874 dos-874 tis-620 iso-8859-11 iso8859-11 iso885911" },
    { "koi8-r", "KOI8-R", NULL, "koi8-r koi8 koi8_r cskoi8r" },
    { "koi8-u", "KOI8-U", NULL, "koi8-u koi8-ru" },
    { "ibm866", "CP866", NULL, "ibm866 cp866 866 csibm866" },
    { "macintosh", "MACINTOSH", NULL, "macintosh mac x-mac-roman csmacintosh" },
    { "gbk", "GB18030", "GBK", "gbk gb2312 gb_2312 gb_2312-80 chinese csgb2312 x-gbk iso-ir-58 csiso58gb231280" },
    { "gb18030", "GB18030", NULL, "gb18030" },
    { "big5", "BIG5-HKSCS", "BIG5", "big5 big5-hkscs cn-big5 x-x-big5 csbig5" },
    { "euc-jp", "EUC-JP", NULL, "euc-jp x-euc-jp cseucpkdfmtjapanese" },
    { "iso-2022-jp", "ISO-2022-JP", NULL, "iso-2022-jp csiso2022jp" },
    { "shift_jis", "CP932", "SHIFT_JIS",
      "shift_jis shift-jis sjis ms_kanji x-sjis windows-31j ms932 cp932 csshiftjis" },
    { "euc-kr", "CP949", "EUC-KR",
      "euc-kr korean ks_c_5601-1987 ks_c_5601-1989 ksc5601 ksc_5601 windows-949 cseuckr "
      "csksc56011987 iso-ir-149" },
    { "utf-16le", "UTF-16LE", NULL, "utf-16le utf-16 ucs-2 unicode csunicode iso-10646-ucs-2" },
    { "utf-16be", "UTF-16BE", NULL, "utf-16be unicodefffe" },
};

enum { CS_UTF8 = 0, CS_1252 = 1 };

/* HTML's ASCII whitespace. */
static int is_ascii_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* ASCII lowercase (locale-independent). */
static unsigned char lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* 1 when the `n` bytes at `s` equal the lowercase literal `lit`, ignoring ASCII case. */
static int ieq(const char *s, size_t n, const char *lit)
{
    size_t i;
    if (strlen(lit) != n)
        return 0;
    for (i = 0; i < n; i++)
        if (lower((unsigned char)s[i]) != (unsigned char)lit[i])
            return 0;
    return 1;
}

/* The index in CHARSETS of the label in the `n` bytes at `s` (surrounding whitespace and
 * quotes ignored, case-insensitive), or -1 when it names no charset known here. */
static int charset_find(const char *s, size_t n)
{
    char label[48];
    size_t i, len = 0;

    while (n > 0 && (is_ascii_space((unsigned char)*s) || *s == '"' || *s == '\'')) {
        s++;
        n--;
    }
    while (n > 0 && (is_ascii_space((unsigned char)s[n - 1]) || s[n - 1] == '"' || s[n - 1] == '\''))
        n--;
    if (n == 0 || n >= sizeof label)
        return -1;
    for (i = 0; i < n; i++)
        label[len++] = (char)lower((unsigned char)s[i]);
    label[len] = '\0';
    for (i = 0; i < sizeof CHARSETS / sizeof CHARSETS[0]; i++) {
        const char *p = CHARSETS[i].labels;
        while (*p) {
            size_t l = strcspn(p, " ");
            if (l == len && memcmp(p, label, len) == 0)
                return (int)i;
            p += l;
            while (*p == ' ')
                p++;
        }
    }
    return -1;
}


/* The charset parameter of a Content-Type header value, or -1 when it has none or an
 * unknown one. */
static int header_charset(const char *ct)
{
    const char *p = ct ? strchr(ct, ';') : NULL;

    while (p) {
        const char *name, *name_end, *val, *val_end;
        p++;
        while (is_ascii_space((unsigned char)*p))
            p++;
        name = p;
        while (*p && *p != '=' && *p != ';')
            p++;
        if (*p != '=') {
            p = *p == ';' ? p : NULL;
            continue;
        }
        name_end = p;
        while (name_end > name && is_ascii_space((unsigned char)name_end[-1]))
            name_end--;
        val = p + 1;
        while (is_ascii_space((unsigned char)*val))
            val++;
        if (*val == '"') {
            const char *q = strchr(val + 1, '"');
            val_end = q ? q + 1 : val + strlen(val);
        } else {
            val_end = val + strcspn(val, ";");
        }
        if (ieq(name, (size_t)(name_end - name), "charset"))
            return charset_find(val, (size_t)(val_end - val));
        p = strchr(val_end, ';');
    }
    return -1;
}

/* ---- the meta prescan (after the HTML standard's "prescan a byte stream") ------- */

/* One attribute of a tag in the prescan: lowercase name and value, cut to fit. */
typedef struct pattr {
    char name[32];
    char value[256];
} pattr;

/* Reads the attribute at s[*i] (n bytes in all) into `a` and advances *i past it.
 * Returns 0 at the end of the tag ('>' consumed) or of the input. */
static int prescan_attr(const unsigned char *s, size_t n, size_t *i, pattr *a)
{
    size_t p = *i, nl = 0, vl = 0;

    a->name[0] = a->value[0] = '\0';
    while (p < n && (is_ascii_space(s[p]) || s[p] == '/'))
        p++;
    if (p >= n || s[p] == '>') {
        *i = p + 1;
        return 0;
    }
    do {
        if (nl + 1 < sizeof a->name)
            a->name[nl++] = (char)lower(s[p]);
        p++;
    } while (p < n && s[p] != '=' && s[p] != '/' && s[p] != '>' && !is_ascii_space(s[p]));
    a->name[nl] = '\0';
    while (p < n && is_ascii_space(s[p]))
        p++;
    if (p >= n || s[p] != '=') {
        *i = p;
        return p < n;
    }
    p++;
    while (p < n && is_ascii_space(s[p]))
        p++;
    if (p < n && (s[p] == '"' || s[p] == '\'')) {
        unsigned char q = s[p++];
        while (p < n && s[p] != q) {
            if (vl + 1 < sizeof a->value)
                a->value[vl++] = (char)lower(s[p]);
            p++;
        }
        p++;
    } else {
        while (p < n && !is_ascii_space(s[p]) && s[p] != '>') {
            if (vl + 1 < sizeof a->value)
                a->value[vl++] = (char)lower(s[p]);
            p++;
        }
    }
    a->value[vl] = '\0';
    *i = p;
    return p < n;
}

/* The charset named by "charset=" in a meta content value, or -1. */
static int content_charset(const char *v)
{
    const char *p = v;

    while ((p = strstr(p, "charset")) != NULL) {
        const char *q = p + 7;
        while (is_ascii_space((unsigned char)*q))
            q++;
        if (*q != '=') {
            p = q;
            continue;
        }
        q++;
        while (is_ascii_space((unsigned char)*q))
            q++;
        if (*q == '"' || *q == '\'') {
            const char *e = strchr(q + 1, *q);
            return e ? charset_find(q + 1, (size_t)(e - q - 1)) : -1;
        }
        return charset_find(q, strcspn(q, " \t\n\r\f;"));
    }
    return -1;
}

/* The charset that a <meta charset> or <meta http-equiv="Content-Type" content="...;
 * charset=..."> within the first PRESCAN_BYTES bytes declares, or -1. Comments and
 * other tags (with their quoted attribute values) are stepped over; a declaration of
 * UTF-16 means UTF-8 (the bytes were read as ASCII to find it). */
static int prescan_meta(const unsigned char *s, size_t n)
{
    size_t i = 0;
    pattr a;

    if (n > PRESCAN_BYTES)
        n = PRESCAN_BYTES;
    while (i < n) {
        const unsigned char *p = memchr(s + i, '<', n - i);
        if (!p)
            break;
        i = (size_t)(p - s);
        if (n - i >= 4 && memcmp(s + i, "<!--", 4) == 0) {
            size_t j = i + 4;
            while (j < n && !(s[j] == '>' && s[j - 1] == '-' && s[j - 2] == '-'))
                j++;
            i = j + 1;
        } else if (n - i >= 6 && ieq((const char *)s + i + 1, 4, "meta") &&
                   (is_ascii_space(s[i + 5]) || s[i + 5] == '/')) {
            int cs = -1, content_cs = -1, pragma = 0, more;
            i += 5;
            do {
                more = prescan_attr(s, n, &i, &a);
                if (strcmp(a.name, "charset") == 0 && cs < 0)
                    cs = charset_find(a.value, strlen(a.value));
                else if (strcmp(a.name, "http-equiv") == 0 && strcmp(a.value, "content-type") == 0)
                    pragma = 1;
                else if (strcmp(a.name, "content") == 0 && content_cs < 0)
                    content_cs = content_charset(a.value);
            } while (more && i < n);
            if (cs < 0 && pragma)
                cs = content_cs;
            if (cs >= 0) {
                const char *name = CHARSETS[cs].name;
                return strncmp(name, "utf-16", 6) == 0 ? CS_UTF8 : cs;
            }
        } else if (n - i >= 2 && (((s[i + 1] | 0x20) >= 'a' && (s[i + 1] | 0x20) <= 'z') ||
                                  (s[i + 1] == '/' && n - i >= 3 &&
                                   (s[i + 2] | 0x20) >= 'a' && (s[i + 2] | 0x20) <= 'z'))) {
            i++;
            while (i < n && !is_ascii_space(s[i]) && s[i] != '>')
                i++;
            while (i < n && prescan_attr(s, n, &i, &a))
                ;
        } else if (n - i >= 2 && (s[i + 1] == '!' || s[i + 1] == '/' || s[i + 1] == '?')) {
            p = memchr(s + i, '>', n - i);
            i = p ? (size_t)(p - s) + 1 : n;
        } else {
            i++;
        }
    }
    return -1;
}

/* ---- conversion --------------------------------------------------------------- */

/* Converts `n` bytes in CHARSETS[cs] to clean UTF-8 in `out` (see sanitise()): with
 * iconv, one U+FFFD for each byte (each two-byte unit in UTF-16) iconv refuses, and one
 * for a truncated sequence at the end. Returns 0, KBJ_ENOMEM, or 1 when iconv does not
 * know the charset. */
static int decode(const unsigned char *s, size_t n, int cs, buf *out)
{
    const charset *c = &CHARSETS[cs];
    size_t unit = strncmp(c->name, "utf-16", 6) == 0 ? 2 : 1;
    iconv_t cd;
    buf tmp = { 0 };
    char *in = (char *)s;
    size_t inleft = n;
    int rc = KBJ_OK, flushed = 0;

    if (cs == CS_UTF8)
        return sanitise(s, n, out);
    cd = iconv_open("UTF-8", c->iconv1);
    if (cd == (iconv_t)-1 && c->iconv2)
        cd = iconv_open("UTF-8", c->iconv2);
    if (cd == (iconv_t)-1)
        return 1;
    if (buf_reserve(&tmp, n + n / 2 + 64) != KBJ_OK)
        rc = KBJ_ENOMEM;
    /* In windows of ICONV_WINDOW bytes, so that no call (restarted after each bad byte)
     * does more than a window's work. An empty window flushes the shift state of
     * stateful charsets at the end. */
    while (rc == KBJ_OK && !flushed) {
        size_t win = inleft < ICONV_WINDOW ? inleft : ICONV_WINDOW, left = win, r;
        char *o = tmp.p + tmp.len;
        size_t oleft = tmp.cap - tmp.len - 1;
        r = win ? iconv(cd, &in, &left, &o, &oleft) : iconv(cd, NULL, NULL, &o, &oleft);
        inleft -= win - left;
        tmp.len = (size_t)(o - tmp.p);
        if (r != (size_t)-1) {
            flushed = win == 0;
        } else if (errno == E2BIG) {
            rc = buf_reserve(&tmp, tmp.cap / 2 + 64);
        } else if (errno == EINVAL) {
            if (inleft > left)
                continue; /* a sequence cut by the window: the next one holds the rest */
            rc = buf_add(&tmp, FFFD, 3); /* truncated at the end of the page */
            in += inleft;
            inleft = 0;
        } else { /* EILSEQ: a byte (unit) the charset does not map */
            size_t skip = inleft < unit ? inleft : unit;
            rc = buf_add(&tmp, FFFD, 3);
            in += skip;
            inleft -= skip;
            iconv(cd, NULL, NULL, NULL, NULL);
        }
    }
    iconv_close(cd);
    if (rc == KBJ_OK && tmp.len > 0)
        rc = sanitise((const unsigned char *)tmp.p, tmp.len, out);
    buf_free(&tmp);
    return rc;
}

/* Picks the charset of the page (see normalise.h) and converts it into `out`; *cs
 * receives the CHARSETS index used. Returns 0 or KBJ_ENOMEM. */
static int decode_page(const unsigned char *s, size_t n, const char *content_type, int html,
                       buf *out, int *cs)
{
    int c = -1, rc;

    if (n >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) {
        c = CS_UTF8;
        s += 3;
        n -= 3;
    } else if (n >= 2 && s[0] == 0xFF && s[1] == 0xFE) {
        c = charset_find("utf-16le", 8);
        s += 2;
        n -= 2;
    } else if (n >= 2 && s[0] == 0xFE && s[1] == 0xFF) {
        c = charset_find("utf-16be", 8);
        s += 2;
        n -= 2;
    }
    if (c < 0)
        c = header_charset(content_type);
    if (c < 0 && html)
        c = prescan_meta(s, n);
    for (;;) {
        if (c < 0)
            c = utf8_valid(s, n) ? CS_UTF8 : CS_1252;
        rc = decode(s, n, c, out);
        if (rc != 1)
            break;
        out->len = 0; /* no converter on this system: as if no charset were named */
        c = -1;
    }
    *cs = c;
    if (rc == KBJ_OK && !out->p)
        rc = buf_add(out, "", 0);
    return rc;
}

/* ======================================================================== *
 * Named character references
 * ======================================================================== */

/*
 * libxml2 2.9 looks every "&name;" up in a linear table of 253 names: a page of a million
 * references spends most of its time there (a million "&zz;" took 0.9 s). This pass
 * rewrites each '&' into a form libxml2 decodes at once, to the same text:
 * "&name;" with a name of that table becomes "&#value;", and any other '&' becomes
 * "&amp;" (libxml2 keeps an unknown "&name;", "&name" or lone '&' as literal text, so
 * "&amp;" followed by the same bytes reads the same). Numeric references are written
 * as HTML reads them (see numeric_reference()), so libxml2 meets none it would refuse
 * with an error (each costs it about half a microsecond), and "&#150;" is a dash rather
 * than a control character. The table is libxml2's own (html40EntitiesTable), sorted
 * by name. In script and style this changes raw text that is not content anyway.
 */
typedef struct entity {
    const char *name;
    unsigned value;
} entity;

static const entity ENTITIES[] = {
    { "AElig", 198 }, { "Aacute", 193 }, { "Acirc", 194 }, { "Agrave", 192 },
    { "Alpha", 913 }, { "Aring", 197 }, { "Atilde", 195 }, { "Auml", 196 },
    { "Beta", 914 }, { "Ccedil", 199 }, { "Chi", 935 }, { "Dagger", 8225 },
    { "Delta", 916 }, { "ETH", 208 }, { "Eacute", 201 }, { "Ecirc", 202 },
    { "Egrave", 200 }, { "Epsilon", 917 }, { "Eta", 919 }, { "Euml", 203 },
    { "Gamma", 915 }, { "Iacute", 205 }, { "Icirc", 206 }, { "Igrave", 204 },
    { "Iota", 921 }, { "Iuml", 207 }, { "Kappa", 922 }, { "Lambda", 923 },
    { "Mu", 924 }, { "Ntilde", 209 }, { "Nu", 925 }, { "OElig", 338 },
    { "Oacute", 211 }, { "Ocirc", 212 }, { "Ograve", 210 }, { "Omega", 937 },
    { "Omicron", 927 }, { "Oslash", 216 }, { "Otilde", 213 }, { "Ouml", 214 },
    { "Phi", 934 }, { "Pi", 928 }, { "Prime", 8243 }, { "Psi", 936 },
    { "Rho", 929 }, { "Scaron", 352 }, { "Sigma", 931 }, { "THORN", 222 },
    { "Tau", 932 }, { "Theta", 920 }, { "Uacute", 218 }, { "Ucirc", 219 },
    { "Ugrave", 217 }, { "Upsilon", 933 }, { "Uuml", 220 }, { "Xi", 926 },
    { "Yacute", 221 }, { "Yuml", 376 }, { "Zeta", 918 }, { "aacute", 225 },
    { "acirc", 226 }, { "acute", 180 }, { "aelig", 230 }, { "agrave", 224 },
    { "alefsym", 8501 }, { "alpha", 945 }, { "amp", 38 }, { "and", 8743 },
    { "ang", 8736 }, { "apos", 39 }, { "aring", 229 }, { "asymp", 8776 },
    { "atilde", 227 }, { "auml", 228 }, { "bdquo", 8222 }, { "beta", 946 },
    { "brvbar", 166 }, { "bull", 8226 }, { "cap", 8745 }, { "ccedil", 231 },
    { "cedil", 184 }, { "cent", 162 }, { "chi", 967 }, { "circ", 710 },
    { "clubs", 9827 }, { "cong", 8773 }, { "copy", 169 }, { "crarr", 8629 },
    { "cup", 8746 }, { "curren", 164 }, { "dArr", 8659 }, { "dagger", 8224 },
    { "darr", 8595 }, { "deg", 176 }, { "delta", 948 }, { "diams", 9830 },
    { "divide", 247 }, { "eacute", 233 }, { "ecirc", 234 }, { "egrave", 232 },
    { "empty", 8709 }, { "emsp", 8195 }, { "ensp", 8194 }, { "epsilon", 949 },
    { "equiv", 8801 }, { "eta", 951 }, { "eth", 240 }, { "euml", 235 },
    { "euro", 8364 }, { "exist", 8707 }, { "fnof", 402 }, { "forall", 8704 },
    { "frac12", 189 }, { "frac14", 188 }, { "frac34", 190 }, { "frasl", 8260 },
    { "gamma", 947 }, { "ge", 8805 }, { "gt", 62 }, { "hArr", 8660 },
    { "harr", 8596 }, { "hearts", 9829 }, { "hellip", 8230 }, { "iacute", 237 },
    { "icirc", 238 }, { "iexcl", 161 }, { "igrave", 236 }, { "image", 8465 },
    { "infin", 8734 }, { "int", 8747 }, { "iota", 953 }, { "iquest", 191 },
    { "isin", 8712 }, { "iuml", 239 }, { "kappa", 954 }, { "lArr", 8656 },
    { "lambda", 955 }, { "lang", 9001 }, { "laquo", 171 }, { "larr", 8592 },
    { "lceil", 8968 }, { "ldquo", 8220 }, { "le", 8804 }, { "lfloor", 8970 },
    { "lowast", 8727 }, { "loz", 9674 }, { "lrm", 8206 }, { "lsaquo", 8249 },
    { "lsquo", 8216 }, { "lt", 60 }, { "macr", 175 }, { "mdash", 8212 },
    { "micro", 181 }, { "middot", 183 }, { "minus", 8722 }, { "mu", 956 },
    { "nabla", 8711 }, { "nbsp", 160 }, { "ndash", 8211 }, { "ne", 8800 },
    { "ni", 8715 }, { "not", 172 }, { "notin", 8713 }, { "nsub", 8836 },
    { "ntilde", 241 }, { "nu", 957 }, { "oacute", 243 }, { "ocirc", 244 },
    { "oelig", 339 }, { "ograve", 242 }, { "oline", 8254 }, { "omega", 969 },
    { "omicron", 959 }, { "oplus", 8853 }, { "or", 8744 }, { "ordf", 170 },
    { "ordm", 186 }, { "oslash", 248 }, { "otilde", 245 }, { "otimes", 8855 },
    { "ouml", 246 }, { "para", 182 }, { "part", 8706 }, { "permil", 8240 },
    { "perp", 8869 }, { "phi", 966 }, { "pi", 960 }, { "piv", 982 },
    { "plusmn", 177 }, { "pound", 163 }, { "prime", 8242 }, { "prod", 8719 },
    { "prop", 8733 }, { "psi", 968 }, { "quot", 34 }, { "rArr", 8658 },
    { "radic", 8730 }, { "rang", 9002 }, { "raquo", 187 }, { "rarr", 8594 },
    { "rceil", 8969 }, { "rdquo", 8221 }, { "real", 8476 }, { "reg", 174 },
    { "rfloor", 8971 }, { "rho", 961 }, { "rlm", 8207 }, { "rsaquo", 8250 },
    { "rsquo", 8217 }, { "sbquo", 8218 }, { "scaron", 353 }, { "sdot", 8901 },
    { "sect", 167 }, { "shy", 173 }, { "sigma", 963 }, { "sigmaf", 962 },
    { "sim", 8764 }, { "spades", 9824 }, { "sub", 8834 }, { "sube", 8838 },
    { "sum", 8721 }, { "sup", 8835 }, { "sup1", 185 }, { "sup2", 178 },
    { "sup3", 179 }, { "supe", 8839 }, { "szlig", 223 }, { "tau", 964 },
    { "there4", 8756 }, { "theta", 952 }, { "thetasym", 977 }, { "thinsp", 8201 },
    { "thorn", 254 }, { "tilde", 732 }, { "times", 215 }, { "trade", 8482 },
    { "uArr", 8657 }, { "uacute", 250 }, { "uarr", 8593 }, { "ucirc", 251 },
    { "ugrave", 249 }, { "uml", 168 }, { "upsih", 978 }, { "upsilon", 965 },
    { "uuml", 252 }, { "weierp", 8472 }, { "xi", 958 }, { "yacute", 253 },
    { "yen", 165 }, { "yuml", 255 }, { "zeta", 950 }, { "zwj", 8205 },
    { "zwnj", 8204 },
};

/* bsearch comparison of a name with an ENTITIES entry. */
static int entity_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const entity *)elem)->name);
}

/* The windows-1252 characters that HTML reads references to 0x80-0x9F as (0: none). */
static const unsigned short C1_REMAP[32] = {
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
    0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

/*
 * Reads the numeric reference at s ("&#" known, n bytes available) as HTML does: decimal
 * or "x" hexadecimal digits, an optional ';'. *used receives its length. Returns the
 * code point to write: U+FFFD for 0, surrogates and values beyond U+10FFFF; the
 * windows-1252 character for 0x80-0x9F; 0 (write nothing) for other control characters
 * and U+FFFE/U+FFFF, which libxml2 refuses with an error; or -1 when no digit follows.
 */
static long numeric_reference(const char *s, size_t n, size_t *used)
{
    size_t i = 2, digits = 0;
    int hex = i < n && (s[i] == 'x' || s[i] == 'X');
    long v = 0;

    if (hex)
        i++;
    for (; i < n; i++, digits++) {
        int d;
        char c = s[i];
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f')
            d = (c | 0x20) - 'a' + 10;
        else
            break;
        if (v <= 0x10FFFF)
            v = v * (hex ? 16 : 10) + d;
    }
    if (digits == 0)
        return -1;
    if (i < n && s[i] == ';')
        i++;
    *used = i;
    if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0xFFFD;
    if (v >= 0x80 && v <= 0x9F)
        return C1_REMAP[v - 0x80] ? C1_REMAP[v - 0x80] : 0;
    if ((v < 0x20 && v != '\t' && v != '\n' && v != '\r') || v == 0x7F || v == 0xFFFE || v == 0xFFFF)
        return 0;
    return v;
}

/* Copies the `n` bytes at `s` into `out` with every '&' rewritten as described above.
 * Returns 0 or KBJ_ENOMEM. */
static int rewrite_references(const char *s, size_t n, buf *out)
{
    size_t i = 0;

    if (buf_reserve(out, n + n / 16 + 16) != KBJ_OK)
        return KBJ_ENOMEM;
    while (i < n) {
        const char *amp = memchr(s + i, '&', n - i);
        size_t run = amp ? (size_t)(amp - (s + i)) : n - i, j;
        char name[12], rep[16];
        const entity *e = NULL;
        int rc;

        if (buf_add(out, s + i, run) != KBJ_OK)
            return KBJ_ENOMEM;
        i += run;
        if (i >= n)
            break;
        if (i + 1 < n && s[i + 1] == '#') {
            size_t used;
            long v = numeric_reference(s + i, n - i, &used);
            if (v < 0) {
                rc = buf_add(out, "&amp;", 5); /* no digits: literal text */
                i++;
            } else {
                if (v > 0) {
                    snprintf(rep, sizeof rep, "&#%ld;", v);
                    rc = buf_add(out, rep, strlen(rep));
                } else {
                    rc = KBJ_OK;
                }
                i += used;
            }
        } else {
            for (j = 0; j + 1 < sizeof name && i + 1 + j < n &&
                        (((s[i + 1 + j] | 0x20) >= 'a' && (s[i + 1 + j] | 0x20) <= 'z') ||
                         (s[i + 1 + j] >= '0' && s[i + 1 + j] <= '9'));
                 j++)
                name[j] = s[i + 1 + j];
            name[j] = '\0';
            if (j > 0 && i + 1 + j < n && s[i + 1 + j] == ';')
                e = bsearch(name, ENTITIES, sizeof ENTITIES / sizeof ENTITIES[0], sizeof ENTITIES[0],
                            entity_cmp);
            if (e) {
                snprintf(rep, sizeof rep, "&#%u;", e->value);
                rc = buf_add(out, rep, strlen(rep));
                i += j + 2;
            } else {
                rc = buf_add(out, "&amp;", 5);
                i++;
            }
        }
        if (rc != KBJ_OK)
            return KBJ_ENOMEM;
    }
    return KBJ_OK;
}

/* ======================================================================== *
 * Defusing start tags with too many attributes
 * ======================================================================== */

/*
 * libxml2 2.9 checks every attribute of a start tag against all earlier ones: a tag with
 * k attributes costs k^2 / 2 comparisons (a 1.5 MB tag of 200,000 attributes took 73 s).
 * Before parsing, this pass finds every start tag that would carry more than MAX_ATTRS
 * attributes and overwrites the first byte of its attribute number MAX_ATTRS + 1 with
 * '>', which ends the tag there for libxml2 (the rest becomes text).
 *
 * Where libxml2 sees a start tag depends on context (text, comments, script, attribute
 * values), so rather than tracking context this simulates libxml2's start-tag lexer
 * (htmlParseStartTag and htmlParseAttribute: names of at most 100 characters, quoted
 * and unquoted values, bogus tokens up to a blank) from EVERY '<' followed by a name
 * character, which covers every tag libxml2 can see. Simulations that reach the same
 * byte in the same lexer state continue identically, so they are merged (keeping the
 * highest count): only a handful are ever alive and the pass is linear. A false start
 * (inside a comment or script) can only cause a harmless '>' in text that is skipped.
 */

enum { L_TAGNAME, L_GAP, L_NAME, L_AFTER_NAME, L_AFTER_EQ, L_DQ, L_SQ, L_UNQUOTED, L_BOGUS };

typedef struct lexsim {
    unsigned char mode, len; /* len: name characters read (libxml2 cuts names at 100) */
    unsigned count;          /* attribute names seen */
} lexsim;

#define MAX_SIMS 64
#define HTML_NAME_MAX 100 /* libxml2's HTML_PARSER_BUFFER_SIZE */

/* libxml2's IS_BLANK_CH, its whitespace inside tags. */
static int is_blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Characters that may start a tag or attribute name for libxml2 (htmlParseHTMLName). */
static int is_name_start(unsigned char c)
{
    return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '_' || c == ':' || c == '.';
}

/* Characters that may continue one. */
static int is_name_char(unsigned char c)
{
    return is_name_start(c) || (c >= '0' && c <= '9') || c == '-';
}

/* Advances one simulated start tag over s[i]. Returns 1 when the tag goes on, 0 when it
 * ends here, 2 when s[i] starts an attribute beyond MAX_ATTRS. */
static int lex_step(lexsim *m, const unsigned char *s, size_t i, size_t n)
{
    unsigned char c = s[i];
    int slash_gt = c == '/' && i + 1 < n && s[i + 1] == '>';

    for (;;) {
        switch (m->mode) {
        case L_TAGNAME:
        case L_NAME:
            if (is_name_char(c) && m->len < HTML_NAME_MAX) {
                m->len++;
                return 1;
            }
            m->mode = m->mode == L_TAGNAME ? L_GAP : L_AFTER_NAME;
            m->len = 0;
            continue;
        case L_AFTER_NAME:
            if (is_blank(c))
                return 1;
            if (c == '=') {
                m->mode = L_AFTER_EQ;
                return 1;
            }
            m->mode = L_GAP;
            continue;
        case L_AFTER_EQ:
            if (is_blank(c))
                return 1;
            if (c == '"' || c == '\'') {
                m->mode = c == '"' ? L_DQ : L_SQ;
                return 1;
            }
            m->mode = L_UNQUOTED;
            continue;
        case L_DQ:
        case L_SQ:
            if (c == (m->mode == L_DQ ? '"' : '\''))
                m->mode = L_GAP;
            return 1;
        case L_UNQUOTED:
            if (is_blank(c) || c == '>') {
                m->mode = L_GAP;
                continue;
            }
            return 1;
        case L_BOGUS:
            if (is_blank(c) || c == '>' || slash_gt) {
                m->mode = L_GAP;
                continue;
            }
            return 1;
        default: /* L_GAP: between attributes */
            if (is_blank(c))
                return 1;
            if (c == '>' || slash_gt)
                return 0;
            if (is_name_start(c)) {
                if (++m->count > MAX_ATTRS)
                    return 2;
                m->mode = L_NAME;
                m->len = 1;
                return 1;
            }
            m->mode = L_BOGUS;
            return 1;
        }
    }
}

/* Adds `m` to the set `v` (of *n), merging it with a simulation in the same state. */
static void lex_add(lexsim *v, size_t *n, lexsim m)
{
    size_t j;
    for (j = 0; j < *n; j++) {
        if (v[j].mode == m.mode && v[j].len == m.len) {
            if (m.count > v[j].count)
                v[j].count = m.count;
            return;
        }
    }
    if (*n < MAX_SIMS) /* cannot fill: at most a few lexer states meet at one byte */
        v[(*n)++] = m;
}

/* Defuses the `n` bytes at `s` in place (see above). */
static void defuse_attributes(unsigned char *s, size_t n)
{
    lexsim cur[MAX_SIMS], next[MAX_SIMS];
    size_t ncur = 0, nnext, i, j;

    for (i = 0; i < n; i++) {
        if (ncur == 0) {
            const unsigned char *p = memchr(s + i, '<', n - i);
            if (!p)
                return;
            i = (size_t)(p - s);
        } else if (ncur == 1) { /* the usual case: one tag being read */
            lexsim m = cur[0];
            int r = lex_step(&m, s, i, n);
            if (r == 2) {
                s[i] = '>';
                m = cur[0];
                r = lex_step(&m, s, i, n);
            }
            cur[0] = m;
            ncur = r == 1;
        } else {
            int again;
            do {
                again = 0;
                nnext = 0;
                for (j = 0; j < ncur; j++) {
                    lexsim m = cur[j];
                    int r = lex_step(&m, s, i, n);
                    if (r == 2) {
                        s[i] = '>'; /* every simulation sees the new byte */
                        again = 1;
                        break;
                    }
                    if (r == 1)
                        lex_add(next, &nnext, m);
                }
            } while (again);
            memcpy(cur, next, nnext * sizeof next[0]);
            ncur = nnext;
        }
        if (s[i] == '<' && i + 1 < n && is_name_start(s[i + 1])) {
            lexsim m = { L_TAGNAME, 0, 0 };
            lex_add(cur, &ncur, m);
        }
    }
}

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

/* The names of the elements the html output may contain, by tag. */
static const char *const OUT_NAME[] = {
    [T_A] = "a", [T_B] = "b", [T_BLOCKQUOTE] = "blockquote", [T_BR] = "br", [T_CODE] = "code",
    [T_EM] = "em", [T_H1] = "h1", [T_H2] = "h2", [T_H3] = "h3", [T_H4] = "h4", [T_H5] = "h5",
    [T_H6] = "h6", [T_I] = "i", [T_LI] = "li", [T_OL] = "ol", [T_P] = "p", [T_PRE] = "pre",
    [T_STRONG] = "strong", [T_TABLE] = "table", [T_TBODY] = "tbody", [T_TD] = "td",
    [T_TH] = "th", [T_THEAD] = "thead", [T_TR] = "tr", [T_UL] = "ul",
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
    htmlParserCtxtPtr ctxt;
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

/* Records the first failure and stops the parser. */
static void fail(state *st, int rc)
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
            l = utf8_seq((const unsigned char *)s + i, n - i, &cp);
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
        return fail(st, KBJ_ENOMEM);
    c->space = 0;
    room = c->cap > c->b.len ? c->cap - c->b.len : 0;
    n = utf8_cut(s, n, room);
    if (buf_add(&c->b, s, n) != KBJ_OK)
        fail(st, KBJ_ENOMEM);
}

/* The captured text without trailing space, handed over (NULL when empty). */
static char *capture_take(state *st, capture *c)
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
        fail(st, KBJ_ENOMEM);
    return s;
}

/* The attribute value `v` with whitespace collapsed and trimmed, at most `cap` bytes,
 * as a malloc'd string; NULL when empty (or out of memory: st->rc is then set). */
static char *clean_value(state *st, const char *v, size_t cap)
{
    capture c = { { 0 }, 1, 0, cap };
    if (!v)
        return NULL;
    split_text(st, v, strlen(v), capture_piece, &c);
    return capture_take(st, &c);
}

/* ---- the text of a sink --------------------------------------------------------- */

/* Appends to the sink's text within max_text, cutting at a character boundary. */
static void text_add(state *st, sink *k, const char *s, size_t n)
{
    size_t room = st->max_text - k->text.len;
    if (k->text_full)
        return;
    if (n > room) {
        n = utf8_cut(s, n, room);
        k->text_full = 1;
        k->truncated = 1;
    }
    if (buf_add(&k->text, s, n) != KBJ_OK)
        fail(st, KBJ_ENOMEM);
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
        fail(st, KBJ_ENOMEM);
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
            l = utf8_seq((const unsigned char *)s + i, n - i, &cp);
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
            fail(st, KBJ_ENOMEM);
            return 0;
        }
        k->out = o;
        k->capout = cap;
    }
    e = &k->out[k->nout];
    e->href = NULL;
    if (href && !(e->href = strdup(href))) {
        fail(st, KBJ_ENOMEM);
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
static void html_close_to(state *st, sink *k, size_t n)
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
static void sink_start(state *st, sink *k, int ki, frame *f, tagdef td, const char *href)
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
                fail(st, KBJ_ENOMEM);
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
static void sink_end(state *st, sink *k, int ki, const frame *f, tagdef td)
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
            html_close_to(st, k, i);
    } else if (td.flags & F_BLOCK) {
        html_boundary(st, k);
    }
}

/* The boundary of a block element whose content is not walked (skipped, too deep). */
static void block_boundary(state *st, sink *k)
{
    text_sep(k, SEP_PARA);
    html_boundary(st, k);
}

/* Ends a sink's region (main, article): everything open is closed. */
static void sink_stop(state *st, sink *k)
{
    html_close_to(st, k, 0);
    k->active = 0;
    k->inl = k->space = k->brk = 0;
    text_sep(k, SEP_PARA);
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
static int url_escape(const char *ref, buf *out)
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
    rc = url_escape(ref, &e);
    if (rc != KBJ_OK) {
        if (rc == KBJ_ENOMEM)
            fail(st, rc);
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
            fail(st, KBJ_ENOMEM);
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
        st->lang_html = clean_value(st, attr(atts, "lang"), LANGUAGE_MAX);
    } else if (tag == T_META) {
        const char *name = attr(atts, "name"), *http = attr(atts, "http-equiv");
        v = attr(atts, "content");
        if (name && ieq(name, strlen(name), "description") && !st->description)
            st->description = clean_value(st, v, DESCRIPTION_MAX);
        else if (http && ieq(http, strlen(http), "content-language") && !st->lang_meta)
            st->lang_meta = clean_value(st, v, LANGUAGE_MAX);
    } else if (tag == T_LINK && !st->canonical_ref && has_token(attr(atts, "rel"), "canonical")) {
        v = attr(atts, "href");
        if (v && strlen(v) <= 4 * URL_MAX && !(st->canonical_ref = strdup(v)))
            fail(st, KBJ_ENOMEM);
    } else if (tag == T_BASE && !st->base_seen && (v = attr(atts, "href")) != NULL) {
        st->base_seen = 1;
        st->base = resolve(st, v, st->page);
    }
}

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

/* SAX characters (and ignorable whitespace): text of the page. */
static void on_characters(void *ctx, const xmlChar *ch, int len)
{
    state *st = ((htmlParserCtxtPtr)ctx)->_private;
    int i;

    if (st->rc || st->ignored || len <= 0)
        return;
    split_text(st, (const char *)ch, (size_t)len, on_piece, NULL);
    if (st->skip)
        return;
    for (i = 0; i < NSINK; i++)
        if (st->sinks[i].active && st->sinks[i].npre)
            html_pre_text(st, &st->sinks[i], (const char *)ch, (size_t)len);
    if (st->sinks[SK_BODY].text_full)
        stop_when_full(st);
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
                        block_boundary(st, &st->sinks[i]);
                }
        }
        return;
    }
    if (st->nframes == st->capframes) {
        size_t cap = st->capframes ? st->capframes * 2 : 32;
        frame *fr = realloc(st->frames, cap * sizeof *fr);
        if (!fr)
            return fail(st, KBJ_ENOMEM);
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
                    block_boundary(st, k);
            } else {
                sink_start(st, k, i, f, td, href);
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
                    block_boundary(st, &st->sinks[i]);
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
                    block_boundary(st, k);
            } else {
                sink_end(st, k, i, f, td);
            }
        }
    }
    if (f->flags & FR_MAIN)
        sink_stop(st, &st->sinks[SK_MAIN]);
    if (f->flags & FR_ARTICLE)
        sink_stop(st, &st->sinks[SK_ARTICLE]);
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

/* Parses the clean UTF-8 page `u` (NUL-terminated, n bytes; defused in place) into the
 * sinks. */
static void parse_html(state *st, char *u, size_t n)
{
    htmlParserCtxtPtr ctxt;
    xmlError saved;
    xmlErrorPtr last;
    int had_error;

    if (n == 0)
        return; /* nothing to parse (libxml2 refuses an empty buffer) */
    if (n > INT_MAX - 1)
        return fail(st, KBJ_ENOMEM);
    defuse_attributes((unsigned char *)u, n);

    /* Every parse error also overwrites the thread's "last error" (PHP reports it as
     * libxml_get_last_error()): keep the caller's. */
    memset(&saved, 0, sizeof saved);
    last = xmlGetLastError();
    had_error = last != NULL;
    if (had_error && xmlCopyError(last, &saved) != 0)
        return fail(st, KBJ_ENOMEM);

    /* (A static, uncopied input buffer would save memory, but libxml2 2.9.14 crashes
     * shrinking one on long inputs.) */
    ctxt = htmlCreateMemoryParserCtxt(u, (int)n);
    if (!ctxt) {
        xmlResetError(&saved);
        return fail(st, KBJ_ENOMEM);
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

/* Feeds a text/plain page: paragraphs are separated by blank lines; the first non-empty
 * line is the title. */
static void parse_plain(state *st, const char *u, size_t n)
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

/* A malloc'd copy of `s` with whitespace collapsed, controls dropped, at most `cap`
 * bytes (cut at a character boundary), or NULL (empty, or out of memory: st->rc). */
static char *clean_copy(state *st, const char *s, size_t cap)
{
    capture c = { { 0 }, 1, 0, cap };
    split_text(st, s, strlen(s), capture_piece, &c);
    return capture_take(st, &c);
}

/* Moves the results into `doc`. */
static int finish(state *st, const char *url, int cs, kbj_doc *doc, kbj_err *err)
{
    sink *k = &st->sinks[SK_BODY];
    kbj_sha256 h;
    unsigned char md[32];
    static const char hex[] = "0123456789abcdef";
    int i;

    for (i = 0; i < NSINK; i++)
        html_close_to(st, &st->sinks[i], 0);
    if (st->sinks[SK_MAIN].seen && st->sinks[SK_MAIN].text.len > 0)
        k = &st->sinks[SK_MAIN];
    else if (st->sinks[SK_ARTICLE].seen && st->sinks[SK_ARTICLE].text.len > 0)
        k = &st->sinks[SK_ARTICLE];
    while (k->text.len > 0 && (k->text.p[k->text.len - 1] == ' ' || k->text.p[k->text.len - 1] == '\n'))
        k->text.p[--k->text.len] = '\0';

    doc->title = capture_take(st, &st->title);
    if (!doc->title)
        doc->title = capture_take(st, &k->h1);
    if (!doc->title)
        doc->title = capture_take(st, &st->h1);
    if (!doc->title && !st->rc)
        doc->title = clean_copy(st, url, TITLE_MAX);
    if (!doc->title && !st->rc && !(doc->title = strdup("untitled")))
        fail(st, KBJ_ENOMEM);
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
    snprintf(doc->charset, sizeof doc->charset, "%s", CHARSETS[cs].name);
    doc->truncated = k->truncated;
    if (st->rc || !doc->title || !doc->text || !doc->html) {
        kbj_doc_clear(doc);
        return kbj_fail(err, KBJ_ENOMEM, "out of memory normalising a page");
    }
    /* updates after an error do nothing, and final reports it (and frees the state) */
    (void)kbj_sha256_init(&h);
    (void)kbj_sha256_update(&h, doc->title, strlen(doc->title));
    (void)kbj_sha256_update(&h, "\n", 1);
    (void)kbj_sha256_update(&h, doc->text, strlen(doc->text));
    if (kbj_sha256_final(&h, md)) {
        kbj_doc_clear(doc);
        return kbj_fail(err, KBJ_ENOMEM, "out of memory hashing a page");
    }
    for (i = 0; i < 32; i++) {
        doc->content_hash[2 * i] = hex[md[i] >> 4];
        doc->content_hash[2 * i + 1] = hex[md[i] & 15];
    }
    doc->content_hash[64] = '\0';
    return KBJ_OK;
}

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

int kbj_normalise(const char *body, size_t len, const char *content_type, const char *url,
                  const kbj_norm_limits *limits, kbj_doc *doc, kbj_err *err)
{
    size_t max_input = limits && limits->max_input ? limits->max_input : DEFAULT_MAX_INPUT;
    int plain = is_plain(content_type), cs = CS_UTF8, rc;
    buf u = { 0 }, page = { 0 };
    state st;

    if (doc)
        memset(doc, 0, sizeof *doc);
    if (!doc || !url || (!body && len > 0))
        return kbj_fail(err, KBJ_EINVAL, "body, url or doc is missing");
    if (len > max_input)
        return kbj_fail(err, KBJ_EINVAL, "page larger than %zu bytes", max_input);

    state_init(&st, limits);
    rc = decode_page((const unsigned char *)(body ? body : ""), len, content_type, !plain, &u, &cs);
    if (rc == KBJ_OK) {
        /* A URL too long to be one leaves relative links without a base. */
        int urc = url_escape(url, &page);
        if (urc == KBJ_ENOMEM || (urc == KBJ_OK && !(st.page = buf_take(&page))))
            rc = KBJ_ENOMEM;
        buf_free(&page); /* also what a URL that escapes to more than URL_MAX left */
    }
    if (rc != KBJ_OK) {
        buf_free(&u);
        buf_free(&page);
        state_free(&st);
        return kbj_fail(err, KBJ_ENOMEM, "out of memory decoding a page");
    }
    if (plain) {
        parse_plain(&st, u.p, u.len);
    } else {
        buf r = { 0 };
        rc = rewrite_references(u.p, u.len, &r);
        if (rc == KBJ_OK)
            rc = buf_add(&r, "", 0);
        buf_free(&u);
        if (rc == KBJ_OK)
            parse_html(&st, r.p, r.len);
        else
            fail(&st, KBJ_ENOMEM);
        buf_free(&r);
    }
    buf_free(&u);
    rc = finish(&st, url, cs, doc, err);
    state_free(&st);
    return rc;
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
