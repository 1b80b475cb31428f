#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "api/reply.h"
#include "base/json.h"

static void test_status_mapping(void **state)
{
        (void)state;
        static const struct {
                enum kerr_kind kind;
                unsigned status;
        } cases[] = {
            {KERR_INVALID, 400},     {KERR_NOT_FOUND, 404},
            {KERR_CONFLICT, 409},    {KERR_NOT_MODIFIED, 304},
            {KERR_FORBIDDEN, 403},   {KERR_UNAUTHORIZED, 401},
            {KERR_UNAVAILABLE, 503}, {KERR_NOT_IMPLEMENTED, 501},
            {KERR_TOO_LARGE, 413},   {KERR_INTERNAL, 500},
            {KERR_NONE, 500},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                assert_int_equal(api_status_of(cases[i].kind), cases[i].status);
}

static void test_common_headers(void **state)
{
        (void)state;
        struct MHD_Response *r = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
        reply_add_common_headers(r);
        assert_string_equal(MHD_get_response_header(r, "Api-Version"), API_VERSION_CURRENT_STR);
        assert_string_equal(MHD_get_response_header(r, "Ostype"), "linux");
        assert_string_equal(MHD_get_response_header(r, "Docker-Experimental"), "false");
        const char *server = MHD_get_response_header(r, "Server");
        assert_non_null(server);
        assert_true(strncmp(server, "kedge/", 6) == 0);
        assert_null(strstr(server, "podman"));
        MHD_destroy_response(r);
}

static void test_bool_values(void **state)
{
        (void)state;
        const char *falses[] = {"", "0", "no", "NO", "false", "False", "none", "NONE"};
        const char *trues[] = {"1", "true", "yes", "on", "anything", "2"};
        for (size_t i = 0; i < sizeof(falses) / sizeof(falses[0]); i++)
                assert_false(api_bool_value(falses[i]));
        for (size_t i = 0; i < sizeof(trues) / sizeof(trues[0]); i++)
                assert_true(api_bool_value(trues[i]));
}

static void test_kerr_wrap(void **state)
{
        (void)state;
        struct kerr err = {0};
        int r = kerr_set(&err, KERR_NOT_FOUND, 2, "No such image: %s", "busybox:latest");
        assert_int_equal(r, -2);
        kerr_wrap(&err, "pull '%s'", "x");
        assert_string_equal(err.msg, "pull 'x': No such image: busybox:latest");
        assert_int_equal(err.kind, KERR_NOT_FOUND);
}

static void test_json_no_escaped_slash(void **state)
{
        (void)state;
        json_t *v = json_object();
        json_set_str(v, "p", "/var/lib/kedge");
        json_set_str(v, "bad", "\xff\xfe ok");
        char *s = json_to_string(v);
        /* Invalid bytes become U+FFFD, as Go's encoding/json writes them. */
        assert_string_equal(s,
                            "{\"p\":\"/var/lib/kedge\",\"bad\":\"\xef\xbf\xbd\xef\xbf\xbd ok\"}");
        free(s);
        json_decref(v);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_status_mapping),        cmocka_unit_test(test_common_headers),
            cmocka_unit_test(test_bool_values),           cmocka_unit_test(test_kerr_wrap),
            cmocka_unit_test(test_json_no_escaped_slash),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
