/*
 * sha256.h - SHA-256 (FIPS 180-4), for artifact names and content hashes.
 */
#ifndef KBJ_SHA256_H
#define KBJ_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct kbj_sha256 {
    uint32_t h[8];
    uint64_t len;      /* bytes hashed so far */
    unsigned char buf[64];
    size_t used;
} kbj_sha256;

/* Starts a hash. Incremental use: init, any number of updates, final. None can fail. */
void kbj_sha256_init(kbj_sha256 *s);
/* Adds `len` bytes (`data` may be NULL when len is 0). Any split of a message into
 * updates gives the same hash. */
void kbj_sha256_update(kbj_sha256 *s, const void *data, size_t len);
/* Writes the 32-byte digest and wipes the state (init again to reuse it). */
void kbj_sha256_final(kbj_sha256 *s, unsigned char out[32]);
/* One call: the hash of `len` bytes as 64 lowercase hex characters and a NUL. */
void kbj_sha256_hex(const void *data, size_t len, char out[65]);

#endif /* KBJ_SHA256_H */
