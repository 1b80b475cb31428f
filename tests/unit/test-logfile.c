/* json-file log lines and rotation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "shim/logfile.h"
#include "unit.h"

static const struct timespec ts = {.tv_sec = 1795003200,
                                   .tv_nsec = 123456789}; /* 2026-11-18T12:00:00Z */

static const struct {
        const char *in;
        size_t n;
        const char *out;
} lines[] = {
    {"hi\n", 3,
     "{\"log\":\"hi\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-18T12:00:00.123456789Z\"}\n"},
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
        assert_string_equal(
            b.data,
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
        assert_int_equal(count_lines(s), 0); /* waiting in the buffer */
        assert_in_range(logfile_due(&lf), 0, LOGFILE_DELAY_MS);
        assert_int_equal(logfile_sync(&lf), 0);
        assert_int_equal(logfile_due(&lf), -1);
        s = unit_read(dir, "log");
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

/* The whole file (unit_read stops at 64 KiB); freed by the next call. */
static char *read_all(const char *dir, const char *name)
{
        static char *last;
        free(last);
        last = NULL;
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        FILE *f = fopen(path, "re");
        if (!f)
                return NULL;
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        rewind(f);
        last = calloc(1, (size_t)n + 1);
        size_t got = fread(last, 1, (size_t)n, f);
        fclose(f);
        assert_int_equal(got, (size_t)n);
        return last;
}

/* Entries wait in memory; these are the cases where that could lose,
 * split or misplace one. */
static void test_buffered_edges(void **state)
{
        (void)state;
        char *dir = unit_tmpdir();
        char path[4096];
        snprintf(path, sizeof(path), "%s/log", dir);
        struct logfile lf;
        struct kerr err = {0};

        /* Output that crosses the buffer size is written in whole entries:
         * the file never ends inside one. */
        assert_int_equal(logfile_open(&lf, path, 0, 1, &err), 0);
        static char chunk[70000];
        for (size_t i = 0; i < sizeof(chunk); i++)
                chunk[i] = i % 100 == 99 ? '\n' : 'x';
        int writes = 0;
        while (lf.size < LOGFILE_BUFFER_MAX + 1000) {
                assert_int_equal(logfile_write(&lf, LOGFILE_STDOUT, chunk, sizeof(chunk), &ts), 0);
                writes++;
        }
        char *s = read_all(dir, "log");
        assert_non_null(s);
        size_t on_disk = strlen(s);
        assert_true(on_disk >= LOGFILE_BUFFER_MAX);
        assert_int_equal(s[on_disk - 1], '\n');
        assert_true(on_disk + lf.pending.len == lf.size);
        /* A partial line at exit is written by flush, after the rest. */
        assert_int_equal(logfile_write(&lf, LOGFILE_STDOUT, "end-no-newline", 14, &ts), 0);
        assert_int_equal(logfile_flush(&lf, &ts), 0);
        s = read_all(dir, "log");
        assert_int_equal(count_lines(s), writes * 700 + 1);
        assert_non_null(strstr(s, "\"log\":\"end-no-newline\",\"stream\""));
        assert_int_equal(strlen(s), lf.size);
        logfile_release(&lf);

        /* Rotation while entries wait: they go to the file that was
         * current when they were written, and each file holds whole
         * entries up to the limit. */
        char rp[4096];
        snprintf(rp, sizeof(rp), "%s/rot", dir);
        assert_int_equal(logfile_open(&lf, rp, 1000, 5, &err), 0);
        for (int i = 0; i < 40; i++) {
                char line[16];
                int n = snprintf(line, sizeof(line), "n%02d\n", i);
                assert_int_equal(logfile_write(&lf, LOGFILE_STDOUT, line, (size_t)n, &ts), 0);
        }
        assert_true(lf.pending.len > 0);
        logfile_release(&lf);
        const char *names[] = {"rot.4", "rot.3", "rot.2", "rot.1", "rot"};
        int next = -1, files = 0;
        for (size_t f = 0; f < 5; f++) {
                s = read_all(dir, names[f]);
                if (!s)
                        continue;
                files++;
                assert_true(strlen(s) < 1000 + 80);
                for (char *p = s; (p = strstr(p, "\"log\":\"n")); p += 8) {
                        int v = atoi(p + 8);
                        if (next < 0)
                                next = v; /* the oldest entry kept */
                        assert_int_equal(v, next);
                        next++;
                }
        }
        assert_true(files >= 3);
        assert_int_equal(next, 40);
        unit_rmdir(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_format),
            cmocka_unit_test(test_lines_and_partials),
            cmocka_unit_test(test_rotation),
            cmocka_unit_test(test_buffered_edges),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
