/* base/utf8, base/err and base/json with text that comes from data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/json.h"
#include "base/utf8.h"

static void test_valid_table(void **state)
{
        (void)state;
        static const struct {
                const char *s;
                bool ok;
        } cases[] = {
            {"", true},
            {"plain", true},
            {"\xc3\xa9", true},          /* é */
            {"\xe2\x82\xac", true},      /* € */
            {"\xf0\x9f\x90\xb3", true},  /* 🐳 */
            {"\xc3", false},             /* cut */
            {"\xe2\x82", false},         /* cut */
            {"\xc0\xaf", false},         /* overlong '/' */
            {"\xe0\x80\xaf", false},     /* overlong */
            {"\xed\xa0\x80", false},     /* surrogate */
            {"\xf4\x90\x80\x80", false}, /* past U+10FFFF */
            {"\xff", false},
            {"\x80", false},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                if (utf8_valid(cases[i].s, strlen(cases[i].s)) != cases[i].ok)
                        fail_msg("case %zu", i);
}

static void test_cut_never_splits(void **state)
{
        (void)state;
        const char *s = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x90\xb3z"; /* a é € 🐳 z */
        size_t n = strlen(s);
        for (size_t i = 0; i <= n; i++) {
                size_t c = utf8_cut(s, i);
                assert_true(c <= i && i - c < 4);
                assert_true(utf8_valid(s, c));
        }
        assert_int_equal(utf8_cut(s, n), n);
        assert_int_equal(utf8_cut(s, 2), 1);
        assert_int_equal(utf8_cut(s, 3), 3);
}

static void test_sanitize(void **state)
{
        (void)state;
        char *s = utf8_sanitize("a\xff\xc3\xa9\xc3", 5);
        assert_string_equal(s, "a\xef\xbf\xbd\xc3\xa9\xef\xbf\xbd");
        free(s);
}

/* The issue 9 crash: a long message of 2-byte characters filled the 1 KiB
 * buffer and ended in half a character; JSON then refused it. */
static void test_kerr_cut_on_boundary(void **state)
{
        (void)state;
        char path[1202] = "/";
        for (int i = 0; i < 600; i++)
                memcpy(path + 1 + 2 * i, "\xc3\xa9", 2);
        path[1201] = 0;
        for (int pad = 0; pad < 4; pad++) {
                struct kerr err = {0};
                kerr_set(&err, KERR_INVALID, ENOENT, "%.*sexec: \"%s\": no such file", pad, "xxx",
                         path);
                assert_true(strlen(err.msg) >= sizeof(err.msg) - 4);
                assert_true(utf8_valid(err.msg, strlen(err.msg)));
                kerr_wrap(&err, "start '%s'", path);
                assert_true(utf8_valid(err.msg, strlen(err.msg)));
                json_t *o = json_object();
                json_set_str(o, "message", err.msg);
                assert_string_equal(json_get_str(o, "message"), err.msg);
                json_decref(o);
        }
}

static void test_json_never_aborts_on_data(void **state)
{
        (void)state;
        json_t *o = json_object();
        json_set(o, "a", json_string("\xc3")); /* NULL from jansson: null */
        assert_true(json_is_null(json_object_get(o, "a")));
        json_set(o, "b", json_pack("{ss}", "k", "\xff")); /* NULL too */
        assert_true(json_is_null(json_object_get(o, "b")));
        json_set(o, "k\xff", json_integer(1)); /* a key from data */
        assert_non_null(json_object_get(o, "k\xef\xbf\xbd"));
        json_set_str(o, "s", "x\xffy");
        assert_string_equal(json_get_str(o, "s"), "x\xef\xbf\xbdy");
        json_set_str(o, "n", NULL);
        assert_true(json_is_null(json_object_get(o, "n")));
        json_set(NULL, "x", json_integer(1)); /* dropped, no abort */
        json_t *arr = json_array();
        json_set(arr, "x", json_integer(1));
        json_decref(arr);
        char *text = json_to_string(o);
        assert_non_null(text);
        free(text);
        text = json_to_string(NULL);
        assert_string_equal(text, "null");
        free(text);
        json_decref(o);
        json_t *v = json_string_lossy("\xe2\x82");
        assert_string_equal(json_string_value(v), "\xef\xbf\xbd\xef\xbf\xbd");
        json_decref(v);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_valid_table),
            cmocka_unit_test(test_cut_never_splits),
            cmocka_unit_test(test_sanitize),
            cmocka_unit_test(test_kerr_cut_on_boundary),
            cmocka_unit_test(test_json_never_aborts_on_data),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
