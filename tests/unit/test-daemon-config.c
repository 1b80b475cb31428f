#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "cmd/daemon-config.h"
#include "unit.h"

static int parse(struct daemon_config *c, struct kerr *err, int argc, const char **argv)
{
        return daemon_config_parse_args(c, argc, (char **)argv, err);
}

static void test_flags_win_over_file(void **state)
{
        (void)state;
        char *dir = unit_tmpdir();
        unit_write(dir, "daemon.json",
                   "{\"hosts\":[\"unix:///file.sock\"],\"data-root\":\"/file-data\","
                   "\"exec-root\":\"/file-exec\",\"log-level\":\"warn\"}");
        char cfgpath[4096];
        snprintf(cfgpath, sizeof(cfgpath), "%s/daemon.json", dir);
        const char *argv[] = {"daemon",      "-H",         "unix:///flag.sock",
                              "--data-root", "/flag-data", "--config-file",
                              cfgpath};
        struct daemon_config c = {0};
        struct kerr err = {0};
        assert_int_equal(parse(&c, &err, 7, argv), 0);
        assert_int_equal(daemon_config_finish(&c, &err), 0);
        assert_int_equal(c.nhosts, 1);
        assert_string_equal(c.hosts[0], "/flag.sock");
        assert_string_equal(c.data_root, "/flag-data");
        assert_string_equal(c.exec_root, "/file-exec");
        assert_int_equal(c.log_level, LOG_LEVEL_WARN);
        daemon_config_release(&c);
        unit_rmdir(dir);
}

static void test_bad_inputs(void **state)
{
        (void)state;
        char *dir = unit_tmpdir();
        static const struct {
                const char *content, *needle;
        } files[] = {
            {"{\"hosts\": [", "cannot load config file"},
            {"[]", "must hold a JSON object"},
            {"{\"data-root\": 5}", "'data-root' must be a string"},
            {"{\"log-level\": \"loud\"}", "invalid log-level 'loud'"},
            {"{\"no-such-key\": 1}", "unknown key 'no-such-key'"},
            {"{\"hosts\": [\"tcp://0.0.0.0:2375\"]}", "unsupported host"},
        };
        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
                unit_write(dir, "bad.json", files[i].content);
                char cfgpath[4096];
                snprintf(cfgpath, sizeof(cfgpath), "%s/bad.json", dir);
                const char *argv[] = {"daemon", "--config-file", cfgpath};
                struct daemon_config c = {0};
                struct kerr err = {0};
                assert_int_equal(parse(&c, &err, 3, argv), 0);
                assert_true(daemon_config_finish(&c, &err) < 0);
                assert_non_null(strstr(err.msg, files[i].needle));
                daemon_config_release(&c);
        }
        const char *missing[] = {"daemon", "--config-file", "/nonexistent/daemon.json"};
        struct daemon_config c = {0};
        struct kerr err = {0};
        assert_int_equal(parse(&c, &err, 3, missing), 0);
        assert_true(daemon_config_finish(&c, &err) < 0);
        daemon_config_release(&c);

        const char *badflags[][3] = {{"daemon", "--bogus", NULL},
                                     {"daemon", "--log-level", "loud"},
                                     {"daemon", "-H", "tcp://x:1"},
                                     {"daemon", "--data-root", NULL}};
        for (size_t i = 0; i < 4; i++) {
                struct daemon_config d = {0};
                int argc = badflags[i][2] ? 3 : 2;
                assert_true(parse(&d, &err, argc, badflags[i]) < 0);
                daemon_config_release(&d);
        }
        unit_rmdir(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_flags_win_over_file),
            cmocka_unit_test(test_bad_inputs),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
