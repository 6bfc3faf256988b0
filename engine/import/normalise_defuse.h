/*
 * normalise_defuse.h - start tags with too many attributes cut short before libxml2
 * reads a page (normalise_defuse.c). Internal to the normaliser (see
 * normalise_internal.h).
 */
#ifndef KBJ_NORMALISE_DEFUSE_H
#define KBJ_NORMALISE_DEFUSE_H

#include <stddef.h>

/*
 * Rewrites the `n` bytes at `s` in place so that no start tag reaches libxml2 with more
 * than 64 attributes: the first byte of attribute 65 of such a tag becomes '>' (the
 * rest of the tag is then text). Linear in n; allocates nothing; cannot fail.
 */
void kbj_norm_defuse_attributes(unsigned char *s, size_t n);

#endif /* KBJ_NORMALISE_DEFUSE_H */
