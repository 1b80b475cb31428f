/* json-file log lines and rotation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "shim/logfile.h"
#include "unit.h"

static const struct timespec ts = {.tv_sec = 1795003200, .tv_nsec = 123456789}; /* 2026-11-18T12:00:00Z */

static const struct {
        const char *in;
        size_t n;
        const char *out;
} lines[] = {
        {"hi\n", 3, "{\"log\":\"hi\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-18T12:00:00.123456789Z\"}\n"},
        {"a\"b\\c\t\r\n", 8, "{\"log\":\"a\\\"b\\\\c\\t\\r\\n\","},
        {"<&>", 3, "{\"log\":\"\\u003c\\u0026\\u003e\","},
        {"\x01\x1f", 2, "{\"log\":\"\\u0001\\u001f\","},
        {"caf\xc3\xa9 \xe2\x82\xac", 9, "{\"log\":\"caf\xc3\xa9 \xe2\x82\xac\","},
        {"bad\xff\xc3", 5, "{\"log\":\"bad\\ufffd\\ufffd\","},
        {"\xc0\xaf", 2, "{\"log\":\"\\ufffd\\ufffd\","}, /* overlong '/' */
        {"\xe2\x80\xa8", 3, "{\"log\":\"\\u2028\","},
        {"nul\0x", 5, "{\"log\":\"nul\\u0000x\","},
};

static void test_format(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
                struct buf b;
                buf_init(&b, 0);
                logfile_format(&b, LOGFILE_STDOUT, lines[i].in, lines[i].n, &ts);
                if (strncmp(b.data, lines[i].out, strlen(lines[i].out)) != 0)
                        fail_msg("case %zu: got %s", i, b.data);
                buf_release(&b);
        }
        struct buf b;
        buf_init(&b, 0);
        logfile_format(&b, LOGFILE_STDERR, "x", 1, &(struct timespec){.tv_sec = 0, .tv_nsec = 5});
        assert_string_equal(b.data,
                            "{\"log\":\"x\",\"stream\":\"stderr\",\"time\":\"1970-01-01T00:00:00.000000005Z\"}\n");
        buf_release(&b);
}

static int count_lines(const char *s)
{
        int n = 0;
        for (; s && *s; s++)
                n += *s == '\n';
        return n;
}

static void test_lines_and_partials(void **state)
{
        (void)state;
        char *dir = unit_tmpdir();
        char path[4096];
        snprintf(path, sizeof(path), "%s/log", dir);
        struct logfile lf;
        struct kerr err = {0};
        assert_int_equal(logfile_open(&lf, path, 0, 1, &err), 0);
        assert_int_equal(logfile_write(&lf, LOGFILE_STDOUT, "one\ntw", 6, &ts), 0);
        assert_int_equal(logfile_write(&lf, LOGFILE_STDERR, "e", 1, &ts), 0);
        assert_int_equal(logfile_write(&lf, LOGFILE_STDOUT, "o\nthree", 7, &ts), 0);
        char *s = unit_read(dir, "log");
        assert_int_equal(count_lines(s), 2);
        assert_non_null(strstr(s, "\"log\":\"two\\n\""));
        assert_int_equal(logfile_flush(&lf, &ts), 0);
        s = unit_read(dir, "log");
        assert_int_equal(count_lines(s), 4);
        assert_non_null(strstr(s, "\"log\":\"three\",\"stream\":\"stdout\""));
        assert_non_null(strstr(s, "\"log\":\"e\",\"stream\":\"stderr\""));
        logfile_release(&lf);

        /* a line past LOGFILE_LINE_MAX is written in pieces */
        assert_int_equal(logfile_open(&lf, path, 0, 1, &err), 0);
        static char big[LOGFILE_LINE_MAX + 10];
        memset(big, 'a', sizeof(big));
        big[sizeof(big) - 1] = '\n';
        assert_int_equal(logfile_write(&lf, LOGFILE_STDOUT, big, sizeof(big), &ts), 0);
        logfile_release(&lf);
        assert_int_equal(count_lines(unit_read(dir, "log")), 6);
        unit_rmdir(dir);
}

static void test_rotation(void **state)
{
        (void)state;
        char *dir = unit_tmpdir();
        char path[4096];
        snprintf(path, sizeof(path), "%s/log", dir);
        struct logfile lf;
        struct kerr err = {0};
        /* each entry is 78 bytes: the file rotates once it holds two */
        assert_int_equal(logfile_open(&lf, path, 150, 3, &err), 0);
        for (int i = 0; i < 7; i++) {
                char line[8];
                snprintf(line, sizeof(line), "l%d\n", i);
                assert_int_equal(logfile_write(&lf, LOGFILE_STDOUT, line, 3, &ts), 0);
        }
        logfile_release(&lf);
        assert_int_equal(count_lines(unit_read(dir, "log")), 1);
        assert_non_null(strstr(unit_read(dir, "log"), "l6"));
        assert_non_null(strstr(unit_read(dir, "log.1"), "l4"));
        assert_non_null(strstr(unit_read(dir, "log.1"), "l5"));
        assert_non_null(strstr(unit_read(dir, "log.2"), "l2"));
        assert_null(unit_read(dir, "log.3"));

        /* max-file 1 truncates in place */
        char p1[4096];
        snprintf(p1, sizeof(p1), "%s/one", dir);
        assert_int_equal(logfile_open(&lf, p1, 100, 1, &err), 0);
        for (int i = 0; i < 5; i++)
                assert_int_equal(logfile_write(&lf, LOGFILE_STDOUT, "xx\n", 3, &ts), 0);
        logfile_release(&lf);
        assert_int_equal(count_lines(unit_read(dir, "one")), 1);
        assert_null(unit_read(dir, "one.1"));
        unit_rmdir(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_format),
                cmocka_unit_test(test_lines_and_partials),
                cmocka_unit_test(test_rotation),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
