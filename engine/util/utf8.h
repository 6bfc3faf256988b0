/*
 * utf8.h - UTF-8 in one place: decoding one sequence, validating, counting characters,
 * and cutting a string at a character boundary.
 *
 * Well-formed means as the Unicode Standard's table 3-7 says: no overlong forms, no
 * surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no sequence cut short. The
 * functions read only the bytes they are given (never past `n`); all but
 * kbj_utf8_sanitize allocate nothing and cannot fail. Calls nothing.
 */
#ifndef KBJ_UTF8_H
#define KBJ_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* U+FFFD REPLACEMENT CHARACTER in UTF-8 (3 bytes). */
#define KBJ_UTF8_REPLACEMENT "\xEF\xBF\xBD"

/*
 * The length (1-4) of the well-formed UTF-8 sequence at the start of `s` (n > 0 bytes
 * available), with its code point stored in *cp; or 0 when the bytes there are not a
 * well-formed sequence (*cp is then unchanged).
 */
size_t kbj_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* 1 when the `n` bytes at `s` are entirely well-formed UTF-8 (NUL bytes included), else
 * 0. `s` may be NULL when n is 0. */
int kbj_utf8_valid(const unsigned char *s, size_t n);

/* The number of characters in the valid UTF-8 string `s` of `n` bytes (bytes that are
 * not continuation bytes). */
size_t kbj_utf8_count(const char *s, size_t n);

/*
 * The length of the longest prefix of the valid UTF-8 string `s` (n bytes) that is at
 * most `max` bytes and ends on a character boundary: n when n <= max, else `max` moved
 * back over continuation bytes (at most 3 for valid input).
 */
size_t kbj_utf8_cut(const char *s, size_t n, size_t max);

/*
 * Copies `len` bytes of `in` into a new NUL-terminated buffer stored in *out (the
 * caller frees it), its length without the NUL in *outlen (which may be NULL), with
 * every ill-formed UTF-8 sequence replaced by U+FFFD (EF BF BD): stray continuation
 * bytes, overlong forms, surrogates (U+D800..U+DFFF), code points above U+10FFFF, and
 * sequences cut short. As Unicode recommends, each maximal ill-formed subpart becomes
 * one U+FFFD. Valid input, including NUL bytes, is copied unchanged. `in` may be NULL
 * when len is 0. Returns 0, KBJ_EINVAL when `out` is NULL or `in` is NULL with len > 0,
 * or KBJ_ENOMEM (also when the worst-case size overflows); *out is then NULL.
 */
int kbj_utf8_sanitize(const char *in, size_t len, char **out, size_t *outlen);

#endif /* KBJ_UTF8_H */
