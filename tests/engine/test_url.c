/* URL normalisation (libcurl's URL API): what is accepted, how it is rewritten, what is
 * refused and why; and redaction of credentials for logs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "url.h"

/* Normalises `in` and checks the result. */
static void expect_url(const char *in, const char *want)
{
    char out[KBJ_URL_MAX + 1];
    kbj_err err = { "" };
    int rc = kbj_url_normalise(in, strlen(in), out, sizeof out, &err);
    if (rc != KBJ_OK)
        fail_msg("\"%s\" refused: %s", in, err.msg);
    assert_string_equal(out, want);
}

/* Normalises `len` bytes of `in` and checks the refusal reason. */
static void expect_refused_n(const char *in, size_t len, const char *reason)
{
    char out[KBJ_URL_MAX + 1] = "junk";
    kbj_err err = { "" };
    int rc = kbj_url_normalise(in, len, out, sizeof out, &err);
    if (rc != KBJ_EINVAL)
        fail_msg("\"%.100s\" gave %d (%s), not KBJ_EINVAL", in, rc, out);
    assert_string_equal(err.msg, reason);
    assert_string_equal(out, "");
}

static void expect_refused(const char *in, const char *reason)
{
    expect_refused_n(in, strlen(in), reason);
}

static void plain_urls_pass_through_unchanged(void **state)
{
    (void)state;
    expect_url("http://example.com/", "http://example.com/");
    expect_url("https://example.com/a/b?x=1&y=2", "https://example.com/a/b?x=1&y=2");
    expect_url("http://example.com:8080/x", "http://example.com:8080/x");
    expect_url("http://[::1]:8080/x", "http://[::1]:8080/x");
    expect_url("http://192.0.2.1/a%20b", "http://192.0.2.1/a%20b");
}

static void whitespace_around_is_trimmed(void **state)
{
    (void)state;
    expect_url("  \thttp://example.com/a \r\n", "http://example.com/a");
}

static void scheme_and_host_are_lowercased_but_not_the_path(void **state)
{
    (void)state;
    expect_url("HTTP://WWW.Example.COM/Path?Q=A", "http://www.example.com/Path?Q=A");
    expect_url("HtTpS://EXAMPLE.com", "https://example.com/");
}

static void idn_hosts_become_punycode(void **state)
{
    (void)state;
    expect_url("http://bücher.example/ä", "http://xn--bcher-kva.example/%C3%A4");
    expect_url("https://BÜCHER.example/", "https://xn--bcher-kva.example/");
    expect_url("http://例え.テスト/", "http://xn--r8jz45g.xn--zckzah/");
    expect_refused("http://a\xe2\x80\x8b\xff.example/", "invalid international host name");
}

static void default_ports_are_dropped(void **state)
{
    (void)state;
    expect_url("http://example.com:80/a", "http://example.com/a");
    expect_url("https://example.com:443/a", "https://example.com/a");
    expect_url("http://example.com:443/a", "http://example.com:443/a");
    expect_url("https://example.com:80/a", "https://example.com:80/a");
}

static void fragments_are_dropped(void **state)
{
    (void)state;
    expect_url("http://example.com/a#section", "http://example.com/a");
    expect_url("http://example.com/a?b=c#", "http://example.com/a?b=c");
}

static void credentials_are_kept(void **state)
{
    (void)state;
    expect_url("https://user:secret@Example.com:443/x", "https://user:secret@example.com/x");
}

static void other_schemes_are_refused(void **state)
{
    (void)state;
    const char *why = "scheme must be http or https";
    expect_refused("file:///etc/passwd", why);
    expect_refused("javascript:alert(1)", why);
    expect_refused("gopher://example.com/", why);
    expect_refused("ftp://example.com/file", why);
    expect_refused("mailto:someone@example.com", why);
    expect_refused("FTP://example.com/", why);
}

static void non_urls_are_refused(void **state)
{
    (void)state;
    expect_refused("", "empty");
    expect_refused(" \t\r\n", "empty");
    expect_refused("not a url", "not a URL");
    expect_refused("example.com/page", "not a URL");
    expect_refused("/relative/path", "not a URL");
    expect_refused("http:example.com", "not a URL");
    expect_refused("http://", "no host");
    expect_refused("http:///path", "no host");
    expect_refused("http://:80/", "no host");
    expect_refused("http://example.com:99999/", "invalid port");
    expect_refused("http://exa<mple.com/", "not a URL");
}

static void spaces_and_control_characters_inside_are_refused(void **state)
{
    (void)state;
    const char *why = "contains control characters or spaces";
    expect_refused("http://example.com/a b", why);
    expect_refused("http://example.com/a\tb", why);
    expect_refused("http://example.com/a\x01", why);
    expect_refused("http://example.com/a\x7f", why);
    expect_refused_n("http://example.com/a\0b", 22, why);
}

static void length_is_limited_to_2048_bytes(void **state)
{
    (void)state;
    char url[2100], out[KBJ_URL_MAX + 1];
    size_t prefix = strlen("http://example.com/");

    memcpy(url, "http://example.com/", prefix);
    memset(url + prefix, 'a', 2048 - prefix);
    url[2048] = '\0';
    expect_url(url, url); /* exactly 2048 bytes */
    url[2048] = 'a';
    url[2049] = '\0';
    expect_refused(url, "longer than 2048 bytes");

    /* Percent-encoding can push a URL over the limit after normalisation. */
    memset(url + prefix, 'a', 2048 - prefix);
    memcpy(url + 2046, "\xc3\xa4", 2);
    url[2048] = '\0';
    expect_refused(url, "longer than 2048 bytes");

    /* The caller's buffer is too small. */
    kbj_err err;
    assert_int_equal(kbj_url_normalise("http://example.com/", 19, out, 10, &err), KBJ_EINVAL);
    assert_string_equal(err.msg, "too long");
    assert_string_equal(out, "");
    assert_int_equal(kbj_url_normalise(NULL, 3, out, sizeof out, NULL), KBJ_EINVAL);
}

static void redaction_hides_userinfo(void **state)
{
    (void)state;
    char out[128];

    assert_int_equal(kbj_url_redact("https://user:secret@example.com/x?y", out, sizeof out), 0);
    assert_string_equal(out, "https://***@example.com/x?y");
    assert_int_equal(kbj_url_redact("http://token@example.com", out, sizeof out), 0);
    assert_string_equal(out, "http://***@example.com");
    assert_int_equal(kbj_url_redact("http://a:b@c@example.com/", out, sizeof out), 0);
    assert_string_equal(out, "http://***@example.com/");
    assert_int_equal(kbj_url_redact("http://example.com/a@b", out, sizeof out), 0);
    assert_string_equal(out, "http://example.com/a@b");
    assert_int_equal(kbj_url_redact("not a url user:pw@x", out, sizeof out), 0);
    assert_string_equal(out, "not a url user:pw@x");

    /* Cut short: still never shows the secret. */
    assert_int_equal(kbj_url_redact("https://user:secret@example.com/", out, 12), KBJ_EINVAL);
    assert_string_equal(out, "https://***");
    assert_int_equal(kbj_url_redact(NULL, out, sizeof out), KBJ_EINVAL);
    assert_int_equal(kbj_url_redact("http://x/", out, 0), KBJ_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_urls_pass_through_unchanged),
        cmocka_unit_test(whitespace_around_is_trimmed),
        cmocka_unit_test(scheme_and_host_are_lowercased_but_not_the_path),
        cmocka_unit_test(idn_hosts_become_punycode),
        cmocka_unit_test(default_ports_are_dropped),
        cmocka_unit_test(fragments_are_dropped),
        cmocka_unit_test(credentials_are_kept),
        cmocka_unit_test(other_schemes_are_refused),
        cmocka_unit_test(non_urls_are_refused),
        cmocka_unit_test(spaces_and_control_characters_inside_are_refused),
        cmocka_unit_test(length_is_limited_to_2048_bytes),
        cmocka_unit_test(redaction_hides_userinfo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
