/*
 * sha256.h - SHA-256 (FIPS 180-4), for artifact names and content hashes, computed by
 * OpenSSL's libcrypto through its EVP digest interface.
 */
#ifndef KBJ_SHA256_H
#define KBJ_SHA256_H

#include <stddef.h>

struct evp_md_ctx_st; /* libcrypto's EVP_MD_CTX */

/* An incremental hash. Its fields are private. */
typedef struct kbj_sha256 {
    struct evp_md_ctx_st *ctx; /* libcrypto's state; NULL once final ran or init failed */
    int rc;                    /* KBJ_OK, or the first error */
} kbj_sha256;

/*
 * Incremental use: init, any number of updates, final. Every init needs its final, also
 * after an error: final frees libcrypto's state. Each call returns 0 (KBJ_OK) or
 * KBJ_ENOMEM when libcrypto could not allocate or run the digest; an error sticks, so a
 * caller may check only final's code: updates after an error do nothing.
 */
int kbj_sha256_init(kbj_sha256 *s);
/* Adds `len` bytes (`data` may be NULL when len is 0). Any split of a message into
 * updates gives the same hash. */
int kbj_sha256_update(kbj_sha256 *s, const void *data, size_t len);
/* Writes the 32-byte digest and frees the state (init again to reuse it). On error the
 * 32 bytes are zero and the code is KBJ_ENOMEM. */
int kbj_sha256_final(kbj_sha256 *s, unsigned char out[32]);
/* One call: the hash of `len` bytes as 64 lowercase hex characters and a NUL. On error
 * (KBJ_ENOMEM) `out` is the empty string. */
int kbj_sha256_hex(const void *data, size_t len, char out[65]);

#endif /* KBJ_SHA256_H */
