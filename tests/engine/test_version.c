/* The engine describes itself and the libraries it links. */
#include "testutil.h"

#include <string.h>

static void version_is_the_header_version(void **state)
{
    (void)state;
    assert_string_equal(kbj_version(), KBJ_VERSION);
}

static void libraries_names_each_linked_library_with_a_version(void **state)
{
    kbj_library libs[8];
    const char *want[] = { "libmariadb", "libcurl", "jansson", "libxml2", "libcrypto" };
    (void)state;

    size_t n = kbj_libraries(libs, 8);
    assert_int_equal(n, 5);
    for (size_t i = 0; i < 5; i++) {
        int found = 0;
        for (size_t j = 0; j < n; j++) {
            if (strcmp(libs[j].name, want[i]) == 0) {
                found = 1;
                assert_true(strlen(libs[j].version) > 0);
                assert_true(libs[j].version[0] >= '0' && libs[j].version[0] <= '9');
            }
        }
        if (!found)
            fail_msg("library %s missing", want[i]);
    }
}

static void libraries_respects_a_small_capacity(void **state)
{
    kbj_library one[1] = { { "sentinel", "sentinel" } };
    (void)state;
    assert_int_equal(kbj_libraries(NULL, 0), 5);
    assert_int_equal(kbj_libraries(one, 1), 5);
    assert_string_not_equal(one[0].name, "sentinel");
}

static void strerror_names_every_code(void **state)
{
    (void)state;
    for (int code = KBJ_ECORRUPT; code <= KBJ_OK; code++)
        assert_string_not_equal(kbj_strerror(code), "unknown error");
    assert_string_equal(kbj_strerror(-999), "unknown error");
    assert_string_equal(kbj_strerror(KBJ_ELEASE), "lease lost");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(version_is_the_header_version),
        cmocka_unit_test(libraries_names_each_linked_library_with_a_version),
        cmocka_unit_test(libraries_respects_a_small_capacity),
        cmocka_unit_test(strerror_names_every_code),
    };
    return cmocka_run_group_tests_name("version", tests, NULL, NULL);
}
