/* SHA-256 (FIPS 180-4) through libcrypto: the NIST example vectors, one million 'a',
 * and incremental updates split at every offset around the 64-byte block and 56-byte
 * padding edges. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "kbj.h"
#include "sha256.h"

static void hex_of(const unsigned char md[32], char out[65])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
}

static void expect_hash(const char *msg, const char *want)
{
    char out[65];
    assert_int_equal(kbj_sha256_hex(msg, strlen(msg), out), KBJ_OK);
    assert_string_equal(out, want);
}

static void nist_vectors(void **state)
{
    (void)state;
    expect_hash("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect_hash("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    /* 448 bits: the padding needs a second block. */
    expect_hash("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* 896 bits. */
    expect_hash("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
                "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    expect_hash("The quick brown fox jumps over the lazy dog",
                "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592");
}

static void one_million_a(void **state)
{
    (void)state;
    size_t n = 1000000;
    char *a = malloc(n);
    char out[65];
    assert_non_null(a);
    memset(a, 'a', n);
    assert_int_equal(kbj_sha256_hex(a, n, out), KBJ_OK);
    assert_string_equal(out, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");

    /* The same in uneven pieces. */
    kbj_sha256 s;
    unsigned char md[32];
    size_t off = 0, step = 1;
    assert_int_equal(kbj_sha256_init(&s), KBJ_OK);
    while (off < n) {
        size_t take = step < n - off ? step : n - off;
        assert_int_equal(kbj_sha256_update(&s, a + off, take), KBJ_OK);
        off += take;
        step = step * 7 % 1000 + 1;
    }
    assert_int_equal(kbj_sha256_final(&s, md), KBJ_OK);
    hex_of(md, out);
    assert_string_equal(out, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(a);
}

/* Every message length 0..200 split at every point gives the one-call hash. */
static void incremental_updates_match_one_call(void **state)
{
    (void)state;
    unsigned char msg[200];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (unsigned char)(i * 31 + 7);
    for (size_t len = 0; len <= sizeof msg; len++) {
        char want[65], got[65];
        unsigned char md[32];
        kbj_sha256_hex(msg, len, want);
        for (size_t cut = 0; cut <= len; cut++) {
            kbj_sha256 s;
            if (kbj_sha256_init(&s) || kbj_sha256_update(&s, msg, cut) || kbj_sha256_update(&s, NULL, 0)
                || kbj_sha256_update(&s, msg + cut, len - cut) || kbj_sha256_final(&s, md))
                fail_msg("length %zu split at %zu: an error", len, cut);
            hex_of(md, got);
            if (strcmp(got, want) != 0)
                fail_msg("length %zu split at %zu: %s, want %s", len, cut, got, want);
        }
        /* Byte by byte. */
        kbj_sha256 s;
        assert_int_equal(kbj_sha256_init(&s), KBJ_OK);
        for (size_t i = 0; i < len; i++)
            assert_int_equal(kbj_sha256_update(&s, msg + i, 1), KBJ_OK);
        assert_int_equal(kbj_sha256_final(&s, md), KBJ_OK);
        hex_of(md, got);
        assert_string_equal(got, want);
    }
}

/* A state is reused after final by calling init again; the empty message hashes the same
 * with a NULL pointer, incrementally and in one call. */
static void a_state_is_reused_after_final(void **state)
{
    (void)state;
    kbj_sha256 s;
    unsigned char md[32];
    char out[65];
    assert_int_equal(kbj_sha256_init(&s), KBJ_OK);
    assert_int_equal(kbj_sha256_update(&s, "abc", 3), KBJ_OK);
    assert_int_equal(kbj_sha256_final(&s, md), KBJ_OK);
    assert_null(s.ctx);
    hex_of(md, out);
    assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(kbj_sha256_init(&s), KBJ_OK);
    assert_int_equal(kbj_sha256_update(&s, NULL, 0), KBJ_OK);
    assert_int_equal(kbj_sha256_final(&s, md), KBJ_OK);
    hex_of(md, out);
    assert_string_equal(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_int_equal(kbj_sha256_hex(NULL, 0, out), KBJ_OK);
    assert_string_equal(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

/* Padding edges: 55 bytes fit one block, 56 and 63 need two, 64 is exactly one. */
static void padding_edges(void **state)
{
    (void)state;
    char buf[129];
    memset(buf, 'a', sizeof buf);
    char out[65];
    assert_int_equal(kbj_sha256_hex(buf, 55, out), KBJ_OK);
    assert_string_equal(out, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
    kbj_sha256_hex(buf, 56, out);
    assert_string_equal(out, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
    kbj_sha256_hex(buf, 64, out);
    assert_string_equal(out, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nist_vectors),
        cmocka_unit_test(one_million_a),
        cmocka_unit_test(incremental_updates_match_one_call),
        cmocka_unit_test(padding_edges),
        cmocka_unit_test(a_state_is_reused_after_final),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
