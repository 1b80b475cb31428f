/* test-parse: checked number parsing (base/parse.h) and the one env-merge
 * rule (base/env.h), from tables of cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "base/env.h"
#include "base/parse.h"

static void test_uint32(void **state)
{
        (void)state;
        static const struct {
                const char *in;
                int r;
                uint32_t v;
        } cases[] = {
            {"0", 0, 0},
            {"100", 0, 100},
            {"4294967295", 0, UINT32_MAX},
            {"4294967296", -ERANGE, 0},
            {"99999999999999999999999", -ERANGE, 0},
            {"1x0", -EINVAL, 0},
            {"", -EINVAL, 0},
            {" 5", -EINVAL, 0},
            {"5 ", -EINVAL, 0},
            {"-1", -EINVAL, 0},
            {"+1", -EINVAL, 0},
            {"0x10", -EINVAL, 0},
            {"1.5", -EINVAL, 0},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                uint32_t v = 12345;
                assert_int_equal(parse_uint32(cases[i].in, &v), cases[i].r);
                assert_int_equal(v, cases[i].r == 0 ? cases[i].v : 12345); /* untouched on error */
        }
        uint32_t v;
        assert_int_equal(parse_uint32(NULL, &v), -EINVAL);
}

static void test_int64(void **state)
{
        (void)state;
        static const struct {
                const char *in;
                int r;
                int64_t v;
        } cases[] = {
            {"0", 0, 0},
            {"-1", 0, -1},
            {"9223372036854775807", 0, INT64_MAX},
            {"-9223372036854775808", 0, INT64_MIN},
            {"9223372036854775808", -ERANGE, 0},
            {"-9223372036854775809", -ERANGE, 0},
            {"18446744073709551616", -ERANGE, 0},
            {"--1", -EINVAL, 0},
            {"-", -EINVAL, 0},
            {"12a", -EINVAL, 0},
            {"", -EINVAL, 0},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                int64_t v = 7;
                assert_int_equal(parse_int64(cases[i].in, &v), cases[i].r);
                assert_true(v == (cases[i].r == 0 ? cases[i].v : 7));
        }
        int64_t v;
        assert_int_equal(parse_int64_range("10", 0, 9, &v), -ERANGE);
        assert_int_equal(parse_int64_range("-1", 0, 9, &v), -ERANGE);
        assert_int_equal(parse_int64_range("9", 0, 9, &v), 0);
        assert_true(v == 9);
}

static void check_merge(const char *defaults, const char *overrides, const char *want)
{
        json_t *d = json_loads(defaults, 0, NULL), *o = json_loads(overrides, 0, NULL);
        json_t *w = json_loads(want, 0, NULL);
        json_t *got = env_merge(d, o);
        char *text = json_dumps(got, JSON_COMPACT);
        if (!json_equal(got, w))
                fail_msg("env_merge(%s, %s) = %s, want %s", defaults, overrides, text, want);
        free(text);
        json_decref(d);
        json_decref(o);
        json_decref(w);
        json_decref(got);
}

static void test_env_merge(void **state)
{
        (void)state;
        check_merge("[]", "[]", "[]");
        check_merge("[\"A=1\",\"B=2\"]", "null", "[\"A=1\",\"B=2\"]");
        /* replaced in place, new keys appended in order */
        check_merge("[\"A=1\",\"B=2\",\"C=3\"]", "[\"D=4\",\"B=x\"]",
                    "[\"A=1\",\"B=x\",\"C=3\",\"D=4\"]");
        /* the key is what precedes the first '=': A is not AB, A= is A */
        check_merge("[\"AB=1\",\"A=2\"]", "[\"A=x=y\"]", "[\"AB=1\",\"A=x=y\"]");
        check_merge("[\"A=1\"]", "[\"A=\"]", "[\"A=\"]");
        /* a bare key unsets; it is not added when absent */
        check_merge("[\"A=1\",\"B=2\"]", "[\"A\",\"Z\"]", "[\"B=2\"]");
        /* the last override of a key wins */
        check_merge("[\"A=1\"]", "[\"A=2\",\"A=3\",\"N=1\",\"N=2\"]", "[\"A=3\",\"N=2\"]");
        /* non-strings are skipped */
        check_merge("[\"A=1\",5]", "[null,\"B=1\"]", "[\"A=1\",\"B=1\"]");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_uint32),
            cmocka_unit_test(test_int64),
            cmocka_unit_test(test_env_merge),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
