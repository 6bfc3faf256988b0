/*
 * normalise_defuse.c - start tags with too many attributes cut short (see
 * normalise_defuse.h) by simulating libxml2's start-tag lexer.
 *
 * Part of the normaliser (see normalise_internal.h); it does not use libxml2, whose
 * headers only normalise*.c include.
 */
#include "normalise_defuse.h"

#include <string.h>

#define MAX_ATTRS 64          /* attributes per start tag that reach libxml2 */

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
void kbj_norm_defuse_attributes(unsigned char *s, size_t n)
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
