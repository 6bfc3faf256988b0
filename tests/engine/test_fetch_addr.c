/* The fetcher's address classification (special-purpose IPv4/IPv6 ranges, embedded
 * IPv4 in mapped/NAT64/6to4 forms) and the parsing of its allow list. Needs no server. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <curl/curl.h>

#include "fetch.h"

/* kbj_fetch_addr_special for an address in text form. */
static int special(const char *text)
{
    struct sockaddr_in in;
    struct sockaddr_in6 in6;
    memset(&in, 0, sizeof in);
    memset(&in6, 0, sizeof in6);
    if (inet_pton(AF_INET, text, &in.sin_addr) == 1) {
        in.sin_family = AF_INET;
        return kbj_fetch_addr_special((const struct sockaddr *)&in);
    }
    if (inet_pton(AF_INET6, text, &in6.sin6_addr) == 1) {
        in6.sin6_family = AF_INET6;
        return kbj_fetch_addr_special((const struct sockaddr *)&in6);
    }
    fail_msg("bad test address %s", text);
    return -1;
}

static void expect_special(const char *const *list, int want)
{
    for (size_t i = 0; list[i]; i++)
        if (special(list[i]) != want)
            fail_msg("%s: special is %d, expected %d", list[i], !want, want);
}

static void ipv4_special_ranges(void **state)
{
    (void)state;
    static const char *const yes[] = {
        "0.0.0.0", "0.255.255.255", "10.0.0.0", "10.0.0.1", "10.255.255.255",
        "100.64.0.0", "100.127.255.255", "127.0.0.1", "127.255.255.254", "169.254.0.1",
        "169.254.169.254", "172.16.0.1", "172.31.255.255", "192.0.0.1", "192.0.0.255",
        "192.0.2.1", "192.88.99.1", "192.168.0.1", "192.168.255.255", "198.18.0.1",
        "198.19.255.255", "198.51.100.7", "203.0.113.9", "224.0.0.1", "239.255.255.255",
        "240.0.0.1", "255.255.255.254", "255.255.255.255", NULL,
    };
    static const char *const no[] = {
        "1.1.1.1", "8.8.8.8", "9.255.255.255", "11.0.0.0", "100.63.255.255", "100.128.0.0",
        "126.255.255.255", "128.0.0.0", "169.253.255.255", "169.255.0.0", "172.15.255.255",
        "172.32.0.0", "192.0.1.0", "192.0.3.0", "192.88.98.255", "192.88.100.0",
        "192.167.255.255", "192.169.0.0", "198.17.255.255", "198.20.0.0", "198.51.99.255",
        "198.51.101.0", "203.0.112.255", "203.0.114.0", "223.255.255.255", "93.184.216.34",
        NULL,
    };
    expect_special(yes, 1);
    expect_special(no, 0);
}

static void ipv6_special_ranges(void **state)
{
    (void)state;
    static const char *const yes[] = {
        "::", "::1", "::2", "::127.0.0.1",             /* unspecified, loopback, IPv4-compatible */
        "::ffff:127.0.0.1", "::ffff:10.1.2.3", "::ffff:169.254.169.254", "::ffff:0.0.0.0",
        "::ffff:255.255.255.255",                     /* mapped, special IPv4 inside */
        "64:ff9b::127.0.0.1", "64:ff9b::a00:1", "64:ff9b::c0a8:101", /* NAT64 of special */
        "64:ff9b:1::1", "64:ff9b:1:ffff::8.8.8.8",    /* local-use NAT64 */
        "100::", "100::ffff:ffff:ffff:ffff",          /* discard */
        "2001::", "2001::1", "2001:0:4136:e378::1",   /* Teredo, within 2001::/23 */
        "2001:1ff:ffff::1", "2001:db8::", "2001:db8:ffff::1",
        "2002:7f00:1::", "2002:a00:1::1", "2002:c0a8:101::1", "2002::", /* 6to4 of special */
        "3fff::1", "3fff:fff::1",                     /* documentation (RFC 9637) */
        "fc00::1", "fd12:3456:789a::1", "fe80::1", "febf::1", "fec0::1", "feff::1",
        "ff02::1", "ff0e::1", "4000::1", "1::1",       /* multicast, outside 2000::/3 */
        NULL,
    };
    static const char *const no[] = {
        "2001:4860:4860::8888", "2606:4700:4700::1111", "2a00:1450:4001::1", "2001:200::1",
        "2400:cb00::1", "3ffe::1", "3fff:1000::1", "2000::1",
        "::ffff:8.8.8.8", "::ffff:1.1.1.1", "64:ff9b::808:808", "64:ff9b::1.1.1.1",
        "2002:808:808::1", "2002:101:101::",
        NULL,
    };
    expect_special(yes, 1);
    expect_special(no, 0);
}

static void other_families_and_null_are_special(void **state)
{
    (void)state;
    struct sockaddr_un un;
    memset(&un, 0, sizeof un);
    un.sun_family = AF_UNIX;
    assert_int_equal(kbj_fetch_addr_special((const struct sockaddr *)&un), 1);
    assert_int_equal(kbj_fetch_addr_special(NULL), 1);
}

static void expect_allow_refused(const char *allow, const char *in_msg)
{
    kbj_fetch_config cfg;
    kbj_err err = { "" };
    memset(&cfg, 0, sizeof cfg);
    cfg.allow = allow;
    kbj_fetcher *f = kbj_fetcher_new(&cfg, &err);
    if (f) {
        kbj_fetcher_free(f);
        fail_msg("allow \"%s\" was accepted", allow);
    }
    if (!strstr(err.msg, in_msg))
        fail_msg("allow \"%s\": message \"%s\" does not name \"%s\"", allow, err.msg, in_msg);
}

static void allow_list_errors_are_reported(void **state)
{
    (void)state;
    expect_allow_refused("300.1.1.1", "allow list: \"300.1.1.1\" is not an IP address or CIDR range");
    expect_allow_refused("127.0.0.1, 10.0.0.0/33", "\"10.0.0.0/33\"");
    expect_allow_refused("::1/129", "\"::1/129\"");
    expect_allow_refused("localhost", "\"localhost\"");
    expect_allow_refused("1.2.3.4/", "\"1.2.3.4/\"");
    expect_allow_refused("1.2.3.4/x", "\"1.2.3.4/x\"");
    expect_allow_refused("1.2.3.4/-1", "\"1.2.3.4/-1\"");
    expect_allow_refused("1.2.3", "\"1.2.3\"");
    expect_allow_refused("127.0.0.1 10.0.0.1", "\"127.0.0.1 10.0.0.1\"");
    expect_allow_refused("[::1]", "\"[::1]\"");
}

static void allow_list_forms_are_accepted(void **state)
{
    (void)state;
    static const char *const ok[] = {
        "", "127.0.0.1", " 127.0.0.1 , 10.0.0.0/8,::1, fd00::/8,", "0.0.0.0/0", "::/0",
        "::ffff:127.0.0.1", "169.254.169.254/32", ",,", NULL,
    };
    for (size_t i = 0; ok[i]; i++) {
        kbj_fetch_config cfg;
        kbj_err err = { "" };
        memset(&cfg, 0, sizeof cfg);
        cfg.allow = ok[i];
        kbj_fetcher *f = kbj_fetcher_new(&cfg, &err);
        if (!f)
            fail_msg("allow \"%s\" refused: %s", ok[i], err.msg);
        kbj_fetcher_free(f);
    }
    kbj_fetcher *f = kbj_fetcher_new(NULL, NULL);
    assert_non_null(f);
    assert_string_equal(kbj_fetcher_errmsg(f), "");
    kbj_fetcher_free(f);
    kbj_fetcher_free(NULL);
}

static void bad_arguments_are_refused(void **state)
{
    (void)state;
    kbj_fetch_result r[2];
    const char *urls[2] = { "http://192.0.2.1/", NULL };
    kbj_fetcher *f = kbj_fetcher_new(NULL, NULL);
    assert_non_null(f);
    assert_int_equal(kbj_fetch_many(NULL, urls, 1, r, NULL, NULL), KBJ_EINVAL);
    assert_int_equal(kbj_fetch_many(f, NULL, 1, r, NULL, NULL), KBJ_EINVAL);
    assert_int_equal(kbj_fetch_many(f, urls, 1, NULL, NULL, NULL), KBJ_EINVAL);
    assert_int_equal(kbj_fetch_many(f, urls, 2, r, NULL, NULL), KBJ_EINVAL);
    assert_string_equal(kbj_fetcher_errmsg(f), "URL 1 is NULL");
    assert_int_equal(kbj_fetch_many(f, urls, 0, r, NULL, NULL), KBJ_OK);
    kbj_fetch_result_clear(NULL);
    kbj_fetcher_free(f);
}

/* Special addresses are refused before any packet leaves: documentation and private
 * addresses fail at once as permanent, without a connection attempt. */
static void special_literals_are_refused_without_connecting(void **state)
{
    (void)state;
    const char *urls[] = { "http://192.0.2.1/", "http://10.0.0.1:8080/x", "https://[fe80::1]/",
                           "http://169.254.169.254/latest/meta-data/", "http://[::ffff:10.0.0.1]/",
                           "http://0/", "http://user:secret@10.0.0.1/" };
    const size_t n = sizeof urls / sizeof urls[0];
    kbj_fetch_result r[sizeof urls / sizeof urls[0]];
    kbj_fetcher *f = kbj_fetcher_new(NULL, NULL);
    assert_non_null(f);
    assert_int_equal(kbj_fetch_many(f, urls, n, r, NULL, NULL), KBJ_OK);
    for (size_t i = 0; i < n; i++) {
        if (r[i].outcome != KBJ_FETCH_PERMANENT || !r[i].error || !strstr(r[i].error, "is not allowed"))
            fail_msg("%s: outcome %d, error %s", urls[i], r[i].outcome, r[i].error ? r[i].error : "(null)");
        assert_int_equal(r[i].tries, 1);
        assert_true(r[i].elapsed < 1.0);
        assert_null(strstr(r[i].final_url, "secret"));
        kbj_fetch_result_clear(&r[i]);
    }
    kbj_fetcher_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ipv4_special_ranges),
        cmocka_unit_test(ipv6_special_ranges),
        cmocka_unit_test(other_families_and_null_are_special),
        cmocka_unit_test(allow_list_errors_are_reported),
        cmocka_unit_test(allow_list_forms_are_accepted),
        cmocka_unit_test(bad_arguments_are_refused),
        cmocka_unit_test(special_literals_are_refused_without_connecting),
    };
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
