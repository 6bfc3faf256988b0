/*
 * normalise_charset.c - a page's charset and its conversion to clean UTF-8 (see
 * normalise_charset.h): the byte-order mark, the Content-Type header's charset
 * parameter, the meta prescan of the HTML standard, a UTF-8 check, windows-1252 as the
 * last resort; conversion with iconv in bounded windows, U+FFFD for what iconv refuses.
 *
 * Part of the normaliser (see normalise_internal.h); it does not use libxml2, whose
 * headers only normalise*.c include.
 */
#include "normalise_charset.h"
#include "utf8.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <string.h>

#define PRESCAN_BYTES 4096    /* where a meta charset counts */
#define ICONV_WINDOW 65536    /* bytes converted per iconv() call at most */

/* ======================================================================== *
 * Clean UTF-8
 * ======================================================================== */

/* Appends `n` bytes of UTF-8 (or anything) to `out` as clean UTF-8 for the parser:
 * ill-formed sequences become one U+KBJ_UTF8_REPLACEMENT per bad byte, NUL becomes U+KBJ_UTF8_REPLACEMENT, form feed
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
                rc = buf_add(out, KBJ_UTF8_REPLACEMENT, 3);
            else if (c == '\f')
                rc = buf_add(out, " ", 1);
            else if (c == '\t' || c == '\n' || c == '\r')
                rc = buf_add(out, (const char *)&c, 1);
            if (rc != KBJ_OK)
                return rc;
            continue;
        }
        l = kbj_utf8_decode(s + i, n - i, &cp);
        if (!l) {
            if (buf_add(out, KBJ_UTF8_REPLACEMENT, 3) != KBJ_OK)
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
    { "iso-8859-8", "ISO-8859-8", NULL,
      "iso-8859-8 iso8859-8 iso88598 iso_8859-8 iso-8859-8-i hebrew csisolatinhebrew" },
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
 * iconv, one U+KBJ_UTF8_REPLACEMENT for each byte (each two-byte unit in UTF-16) iconv refuses, and one
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
            rc = buf_add(&tmp, KBJ_UTF8_REPLACEMENT, 3); /* truncated at the end of the page */
            in += inleft;
            inleft = 0;
        } else { /* EILSEQ: a byte (unit) the charset does not map */
            size_t skip = inleft < unit ? inleft : unit;
            rc = buf_add(&tmp, KBJ_UTF8_REPLACEMENT, 3);
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

int kbj_norm_decode_page(const unsigned char *s, size_t n, const char *content_type, int html,
                         buf *out, const char **charset)
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
            c = kbj_utf8_valid(s, n) ? CS_UTF8 : CS_1252;
        rc = decode(s, n, c, out);
        if (rc != 1)
            break;
        out->len = 0; /* no converter on this system: as if no charset were named */
        c = -1;
    }
    *charset = CHARSETS[c].name;
    if (rc == KBJ_OK && !out->p)
        rc = buf_add(out, "", 0);
    return rc;
}
