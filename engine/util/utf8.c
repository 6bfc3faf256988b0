/*
 * utf8.c - UTF-8 decoding, validation, counting and cutting (see utf8.h).
 */
#include "utf8.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kbj.h"

size_t kbj_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
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

int kbj_utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0, l;
    uint32_t cp;

    while (i < n) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        l = kbj_utf8_decode(s + i, n - i, &cp);
        if (!l)
            return 0;
        i += l;
    }
    return 1;
}

size_t kbj_utf8_count(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            count++;
    return count;
}

size_t kbj_utf8_cut(const char *s, size_t n, size_t max)
{
    if (n <= max)
        return n;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return max;
}

/*
 * Looks at the UTF-8 sequence starting at s[0] (n > 0 bytes available). Returns its
 * length when it is well formed; otherwise stores 1 in *bad and returns the length of
 * its maximal ill-formed subpart (at least 1), to be replaced by one U+FFFD.
 * Ranges from the Unicode Standard, table 3-7.
 */
static size_t utf8_next(const unsigned char *s, size_t n, int *bad)
{
    unsigned char b = s[0];
    unsigned char lo = 0x80, hi = 0xBF;
    size_t need;

    *bad = 0;
    if (b < 0x80)
        return 1;
    if (b >= 0xC2 && b <= 0xDF) {
        need = 1;
    } else if (b >= 0xE0 && b <= 0xEF) {
        need = 2;
        if (b == 0xE0)
            lo = 0xA0; /* no overlongs */
        else if (b == 0xED)
            hi = 0x9F; /* no surrogates */
    } else if (b >= 0xF0 && b <= 0xF4) {
        need = 3;
        if (b == 0xF0)
            lo = 0x90; /* no overlongs */
        else if (b == 0xF4)
            hi = 0x8F; /* nothing above U+10FFFF */
    } else { /* 80..C1 (continuation, overlong lead), F5..FF */
        *bad = 1;
        return 1;
    }
    for (size_t i = 1; i <= need; i++) {
        unsigned char lo_i = i == 1 ? lo : 0x80, hi_i = i == 1 ? hi : 0xBF;
        if (i >= n || s[i] < lo_i || s[i] > hi_i) {
            *bad = 1;
            return i;
        }
    }
    return need + 1;
}

int kbj_utf8_sanitize(const char *in, size_t len, char **out, size_t *outlen)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t size = 0, i, o = 0;
    char *buf;
    int bad;

    if (outlen)
        *outlen = 0;
    if (!out)
        return KBJ_EINVAL;
    *out = NULL;
    if (!in && len > 0)
        return KBJ_EINVAL;

    /* First pass: the exact output size. A replacement (3 bytes) stands for at least
     * one input byte, so the size is at most 3 * len. */
    if (len > (SIZE_MAX - 1) / 3)
        return KBJ_ENOMEM;
    for (i = 0; i < len;) {
        size_t k = utf8_next(s + i, len - i, &bad);
        size += bad ? 3 : k;
        i += k;
    }
    buf = malloc(size + 1);
    if (!buf)
        return KBJ_ENOMEM;
    for (i = 0; i < len;) {
        size_t k = utf8_next(s + i, len - i, &bad);
        if (bad) {
            buf[o++] = (char)0xEF;
            buf[o++] = (char)0xBF;
            buf[o++] = (char)0xBD;
        } else {
            memcpy(buf + o, s + i, k);
            o += k;
        }
        i += k;
    }
    buf[o] = '\0';
    *out = buf;
    if (outlen)
        *outlen = o;
    return KBJ_OK;
}
