#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "api/version.h"

static void test_split(void **state)
{
        (void)state;
        static const struct {
                const char *url, *rest;
                bool versioned;
                int major, minor;
        } cases[] = {
            {"/_ping", "/_ping", false, 1, 51},
            {"/v1.24/_ping", "/_ping", true, 1, 24},
            {"/v1.32/version", "/version", true, 1, 32},
            {"/v1.51/info", "/info", true, 1, 51},
            {"/v9.99/_ping", "/_ping", true, 1, 51}, /* too new: current */
            {"/v1.12/_ping", "/_ping", true, 1, 12}, /* old: accepted as is */
            {"/v1.47/volumes", "/volumes", true, 1, 47},
            {"/v1.4x/_ping", "/v1.4x/_ping", false, 1, 51},
            {"/v1/_ping", "/v1/_ping", false, 1, 51},
            {"/v.1/_ping", "/v.1/_ping", false, 1, 51},
            {"/v1./_ping", "/v1./_ping", false, 1, 51},
            {"/v1.2.3/_ping", "/v1.2.3/_ping", false, 1, 51},
            {"/v12345.1/_ping", "/v12345.1/_ping", false, 1, 51},
            {"/volumes", "/volumes", false, 1, 51},
            {"/v1.40", "/", true, 1, 40},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct api_version v;
                bool versioned;
                const char *rest;
                api_path_split(cases[i].url, &v, &versioned, &rest);
                assert_string_equal(rest, cases[i].rest);
                assert_int_equal(versioned, cases[i].versioned);
                assert_int_equal(v.major, cases[i].major);
                assert_int_equal(v.minor, cases[i].minor);
        }
}

static void test_compare(void **state)
{
        (void)state;
        struct api_version a = {1, 9}, b = {1, 10}, c = {2, 0};
        assert_true(api_version_cmp(a, b) < 0);
        assert_true(api_version_cmp(b, a) > 0);
        assert_true(api_version_cmp(b, c) < 0);
        assert_int_equal(api_version_cmp(a, a), 0);
        assert_true(api_version_at_least(b, 1, 10));
        assert_false(api_version_at_least(a, 1, 10));
        struct api_version v;
        assert_int_equal(api_version_parse("1.44", 4, &v), 0);
        assert_int_equal(v.minor, 44);
        assert_true(api_version_parse("1.", 2, &v) < 0);
        assert_true(api_version_parse("", 0, &v) < 0);
        assert_true(api_version_parse("a.b", 3, &v) < 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_split),
            cmocka_unit_test(test_compare),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
