/* test-container-user: Config.User and GroupAdd against an image's passwd
 * and group files (engine/container/container-user.h), from a table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "engine/container/container-user.h"

static const char *const passwd = "root:x:0:0:root:/root:/bin/sh\n"
                                  "app:x:1000:1000::/home/app:/bin/sh\n"
                                  "# comment\n"
                                  "short:x:7\n"
                                  "bad:x:1x0:0::/:/bin/sh\n"
                                  "badgid:x:5:-1::/:/bin/sh\n"
                                  "big:x:4294967296:0::/:/bin/sh\n";
static const char *const group = "root:x:0:\n"
                                 "wheel:x:10:root,app\n"
                                 "staff:x:50:app\n"
                                 "broken:x:7q:nobody\n"
                                 "audio:x:29:\n";

static void test_table(void **state)
{
        (void)state;
        static const struct {
                const char *user, *group_add, *want; /* want NULL: an error */
        } cases[] = {
            {"", "[]", "{\"uid\":0,\"gid\":0,\"additionalGids\":[10]}"},
            {NULL, "null", "{\"uid\":0,\"gid\":0,\"additionalGids\":[10]}"},
            {"app", "[]", "{\"uid\":1000,\"gid\":1000,\"additionalGids\":[10,50]}"},
            {"1000", "[]", "{\"uid\":1000,\"gid\":1000,\"additionalGids\":[10,50]}"},
            {"app:audio", "[]", "{\"uid\":1000,\"gid\":29,\"additionalGids\":[]}"},
            {"app:4242", "[]", "{\"uid\":1000,\"gid\":4242,\"additionalGids\":[]}"},
            {"4242", "[]", "{\"uid\":4242,\"gid\":0,\"additionalGids\":[]}"},
            {"", "[\"audio\",\"77\"]", "{\"uid\":0,\"gid\":0,\"additionalGids\":[10,29,77]}"},
            {"nosuch", "[]", NULL},
            {"app:nosuch", "[]", NULL},
            {"", "[\"nosuch\"]", NULL},
            {"", "[7]", NULL},
            {"", "[\"\"]", NULL},
            {"", "[\"broken\"]", NULL},
            {"bad", "[]", NULL},
            {"badgid", "[]", NULL},
            {"big", "[]", NULL},
            {"short", "[]", NULL},
            {"99999999999", "[]", NULL},
            {"2147483648", "[]", NULL},
            {"-1", "[]", NULL},
            {"0:99999999999", "[]", NULL},
            {"", "[\"4294967296\"]", NULL},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                json_t *ga = json_loads(cases[i].group_add, JSON_DECODE_ANY, NULL);
                struct kerr err = {0};
                json_t *got = container_user_resolve(passwd, group, cases[i].user, ga, &err);
                json_decref(ga);
                if (!cases[i].want) {
                        if (got)
                                fail_msg("user '%s' %s: accepted", cases[i].user,
                                         cases[i].group_add);
                        assert_int_equal(err.kind, KERR_INVALID);
                        assert_true(err.msg[0] != 0);
                        continue;
                }
                json_t *want = json_loads(cases[i].want, 0, NULL);
                if (!got || !json_equal(got, want)) {
                        char *t = got ? json_dumps(got, JSON_COMPACT) : NULL;
                        fail_msg("user '%s' %s: got %s (%s), want %s", cases[i].user,
                                 cases[i].group_add, t ? t : "NULL", err.msg, cases[i].want);
                }
                json_decref(want);
                json_decref(got);
        }
}

static void test_no_files(void **state)
{
        (void)state;
        struct kerr err = {0};
        json_t *got = container_user_resolve(NULL, NULL, "", NULL, &err);
        assert_non_null(got);
        assert_int_equal(json_integer_value(json_object_get(got, "uid")), 0);
        json_decref(got);
        assert_null(container_user_resolve(NULL, NULL, "someone", NULL, &err));
        assert_non_null(strstr(err.msg, "unable to find user someone"));
        got = container_user_resolve(NULL, NULL, "5:6", NULL, &err);
        assert_int_equal(json_integer_value(json_object_get(got, "gid")), 6);
        json_decref(got);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_table),
            cmocka_unit_test(test_no_files),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
