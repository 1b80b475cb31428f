#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "api/accept.h"

static void test_request_line_table(void **state)
{
        (void)state;
        static const struct {
                const char *data;
                size_t len; /* 0: strlen */
                enum api_line_verdict v;
        } cases[] = {
            {"GET /_ping HTTP/1.1\r\n", 0, API_LINE_OK},
            {"GET /_ping HTTP/1.0\n", 0, API_LINE_OK},
            {"\r\n\r\nHEAD /v1.41/_ping HTTP/1.1\r\nHost: d\r\n\r\n", 0, API_LINE_OK},
            {"POST /images/create?fromImage=a%2Fb HTTP/1.1\r\n", 0, API_LINE_OK},
            {"GET /images/\xc3\xa9/json HTTP/1.1\r\n", 0, API_LINE_OK}, /* UTF-8 as Go allows */
            {"M-SEARCH * HTTP/1.1\r\n", 0, API_LINE_OK},
            {"", 0, API_LINE_INCOMPLETE},
            {"\r\n", 0, API_LINE_INCOMPLETE},
            {"GE", 0, API_LINE_INCOMPLETE},
            {"GET /_pi", 0, API_LINE_INCOMPLETE},
            {"GET /_ping HTTP/1.", 0, API_LINE_INCOMPLETE},
            {"GET /_ping HTTP/1.1\r", 0, API_LINE_INCOMPLETE},
            {"GET\r\n\r\n", 0, API_LINE_BAD},
            {"GET /_ping\r\n\r\n", 0, API_LINE_BAD},
            {"GET  /_ping HTTP/1.1\r\n", 0, API_LINE_BAD},
            {"GARBAGE\r\n\r\n", 0, API_LINE_BAD},
            {"GET /_ping HTTP/2.0\r\n", 0, API_LINE_BAD},
            {"GET /_ping HTTP/1.2\r\n", 0, API_LINE_BAD},
            {"GET /_ping HTTP/1.1 x\r\n", 0, API_LINE_BAD},
            {"GET /_p\x01ng HTTP/1.1\r\n", 0, API_LINE_BAD},
            {"GET /_p\x7fng HTTP/1.1\r\n", 0, API_LINE_BAD},
            {"\x16\x03\x01\x02\x00\x01", 6, API_LINE_BAD},
            {"\x00GET / HTTP/1.1\r\n", 17, API_LINE_BAD},
            {"G\x00T / HTTP/1.1\r\n", 16, API_LINE_BAD},
            {"\xff\xfe", 0, API_LINE_BAD},
            {" GET / HTTP/1.1\r\n", 0, API_LINE_BAD},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                size_t n = cases[i].len ? cases[i].len : strlen(cases[i].data);
                const char *why = NULL;
                enum api_line_verdict v = api_request_line_check(cases[i].data, n, &why);
                if (v != cases[i].v)
                        fail_msg("case %zu '%s': got %d, want %d", i, cases[i].data, v, cases[i].v);
                if (v == API_LINE_BAD)
                        assert_non_null(why);
        }
}

/* Every prefix of a good line is incomplete, never bad. */
static void test_prefixes_incomplete(void **state)
{
        (void)state;
        const char *line = "\r\nDELETE /v1.44/containers/abc?force=1 HTTP/1.1\r\n";
        size_t n = strlen(line);
        for (size_t i = 0; i < n; i++)
                assert_int_equal(api_request_line_check(line, i, NULL), API_LINE_INCOMPLETE);
        assert_int_equal(api_request_line_check(line, n, NULL), API_LINE_OK);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_request_line_table),
            cmocka_unit_test(test_prefixes_incomplete),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
