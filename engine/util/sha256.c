/*
 * sha256.c - SHA-256 from libcrypto (EVP_sha256), behind the small API of sha256.h.
 * libcrypto is in the PHP process already (PHP and libcurl load it); its digests are
 * checked against the NIST vectors by tests/engine/test_sha256.c.
 */
#include "sha256.h"

#include <string.h>

#include <openssl/evp.h>

#include "kbj.h"

int kbj_sha256_init(kbj_sha256 *s)
{
    s->rc = KBJ_OK;
    s->ctx = EVP_MD_CTX_new();
    if (!s->ctx || EVP_DigestInit_ex(s->ctx, EVP_sha256(), NULL) != 1)
        s->rc = KBJ_ENOMEM;
    return s->rc;
}

int kbj_sha256_update(kbj_sha256 *s, const void *data, size_t len)
{
    if (s->rc == KBJ_OK && len > 0 && EVP_DigestUpdate(s->ctx, data, len) != 1)
        s->rc = KBJ_ENOMEM;
    return s->rc;
}

int kbj_sha256_final(kbj_sha256 *s, unsigned char out[32])
{
    unsigned int n = 0;

    if (s->rc == KBJ_OK && (EVP_DigestFinal_ex(s->ctx, out, &n) != 1 || n != 32))
        s->rc = KBJ_ENOMEM;
    if (s->rc != KBJ_OK)
        memset(out, 0, 32);
    EVP_MD_CTX_free(s->ctx);
    s->ctx = NULL;
    return s->rc;
}

int kbj_sha256_hex(const void *data, size_t len, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;

    if (EVP_Digest(len > 0 ? data : "", len, md, &n, EVP_sha256(), NULL) != 1 || n != 32) {
        out[0] = '\0';
        return KBJ_ENOMEM;
    }
    for (unsigned int i = 0; i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
    return KBJ_OK;
}
