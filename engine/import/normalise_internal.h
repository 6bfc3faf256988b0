/*
 * normalise_internal.h - what all parts of the normaliser share: growable byte buffers
 * and HTML's ASCII helpers (whitespace, case-insensitive comparison).
 *
 * The normaliser is normalise.c (the entry point, kbj_normalise) and its parts:
 * normalise_charset.c (charset detection, conversion to UTF-8), normalise_entities.c
 * (character references), normalise_defuse.c (start tags with too many attributes),
 * normalise_parser.c (libxml2's SAX parse) and normalise_builder.c (the document built
 * from it). Their headers, this one included, are internal: nothing outside the
 * normaliser includes them. The helpers here are static inline, so that no part depends
 * on another for them. No libxml2 here: only normalise*.c include libxml2's headers.
 */
#ifndef KBJ_NORMALISE_INTERNAL_H
#define KBJ_NORMALISE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kbj.h"

/* ======================================================================== *
 * Growable byte buffers (always NUL-terminated once allocated)
 * ======================================================================== */

typedef struct buf {
    char *p;
    size_t len, cap;
} buf;

/* Makes room for `add` more bytes and a NUL. Returns 0 or KBJ_ENOMEM. */
static inline int buf_reserve(buf *b, size_t add)
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
static inline int buf_add(buf *b, const char *s, size_t n)
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
static inline void buf_free(buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* Hands over the contents as a malloc'd string ("" for an empty buffer); NULL when out
 * of memory. The buffer is left empty. */
static inline char *buf_take(buf *b)
{
    char *s = b->p;
    if (!s)
        s = calloc(1, 1);
    b->p = NULL;
    b->len = b->cap = 0;
    return s;
}

/* ======================================================================== *
 * ASCII, as HTML reads it
 * ======================================================================== */

/* HTML's ASCII whitespace. */
static inline int is_ascii_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* ASCII lowercase (locale-independent). */
static inline unsigned char lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* 1 when the `n` bytes at `s` equal the lowercase literal `lit`, ignoring ASCII case. */
static inline int ieq(const char *s, size_t n, const char *lit)
{
    size_t i;
    if (strlen(lit) != n)
        return 0;
    for (i = 0; i < n; i++)
        if (lower((unsigned char)s[i]) != (unsigned char)lit[i])
            return 0;
    return 1;
}

#endif /* KBJ_NORMALISE_INTERNAL_H */
