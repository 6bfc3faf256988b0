/*
 * normalise_entities.c - character references rewritten for libxml2 (see
 * normalise_entities.h), with libxml2's table of named references.
 *
 * Part of the normaliser (see normalise_internal.h); it does not use libxml2, whose
 * headers only normalise*.c include.
 */
#include "normalise_entities.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
 * code point to write: U+KBJ_UTF8_REPLACEMENT for 0, surrogates and values beyond U+10FFFF; the
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
int kbj_norm_rewrite_references(const char *s, size_t n, buf *out)
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
