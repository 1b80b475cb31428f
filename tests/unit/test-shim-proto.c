/* the attach/control frame codec. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "base/err.h"
#include "shim/proto.h"

#include <errno.h>
#include <string.h>

static const struct {
        const char *bytes;
        size_t len;
        int want; /* bytes consumed, 0 = need more, or -EBADMSG */
        int type;
} cases[] = {
    {"\x00\x00\x00\x00\x00\x00\x00\x02hi", 10, 10, SHIM_FRAME_STDIN},
    {"\x00\x00\x00\x00\x00\x00\x00\x02h", 9, 0, 0},
    {"\x00\x00\x00", 3, 0, 0},
    {"\x01\x00\x00\x00\x00\x00\x00\x00", 8, 8, SHIM_FRAME_STDOUT},
    {"\x03\x00\x00\x00\x00\x00\x00\x04\x00\x18\x00\x50", 12, 12, SHIM_FRAME_RESIZE},
    {"\x03\x00\x00\x00\x00\x00\x00\x03\x00\x18\x00", 11, -EBADMSG, 0}, /* resize is 4 bytes */
    {"\x07\x00\x00\x00\x00\x00\x00\x01x", 9, -EBADMSG, 0},             /* START is empty */
    {"\x0a\x00\x00\x00\x00\x00\x00\x00", 8, -EBADMSG, 0},              /* unknown type */
    {"\x00\x01\x00\x00\x00\x00\x00\x00", 8, -EBADMSG, 0},              /* reserved byte */
    {"\x00\x00\x00\x00\x00\x00\x10\x01", 8, -EBADMSG, 0},              /* 4097 > max */
    {"\x00\x00\x00\x00\xff\xff\xff\xff", 8, -EBADMSG, 0},
    {"\x09\x00\x00\x00\x00\x00\x00\x03"
     "abc",
     11, -EBADMSG, 0}, /* ERROR < kind+errno */
    {"\x09\x00\x00\x00\x00\x00\x00\x08\x00\x00\x00\x01\x00\x00\x00\x02", 16, 16, SHIM_FRAME_ERROR},
};

static void test_parse_table(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct shim_frame f;
                int r = shim_frame_parse((const uint8_t *)cases[i].bytes, cases[i].len,
                                         SHIM_FRAME_IN_MAX, &f);
                if (r != cases[i].want)
                        fail_msg("case %zu: got %d want %d", i, r, cases[i].want);
                if (r > 0)
                        assert_int_equal(f.type, cases[i].type);
        }
}

static void test_roundtrip(void **state)
{
        (void)state;
        uint8_t buf[64];
        shim_frame_header(buf, SHIM_FRAME_RESIZE, 4);
        shim_frame_put_resize(buf + 8, 24, 80);
        shim_frame_header(buf + 12, SHIM_FRAME_KILL, 4);
        shim_frame_put_u32(buf + 20, 9);
        struct shim_frame f;
        assert_int_equal(shim_frame_parse(buf, 24, SHIM_FRAME_IN_MAX, &f), 12);
        uint16_t rows, cols;
        shim_frame_get_resize(f.payload, &rows, &cols);
        assert_int_equal(rows, 24);
        assert_int_equal(cols, 80);
        assert_int_equal(shim_frame_parse(buf + 12, 12, SHIM_FRAME_IN_MAX, &f), 12);
        assert_int_equal(f.type, SHIM_FRAME_KILL);
        assert_int_equal(shim_frame_get_u32(f.payload), 9);
        assert_memory_equal(buf + 12, "\x06\x00\x00\x00\x00\x00\x00\x04", 8);
}

/* A start error keeps its kind and errno across the frame and the
 * launcher's report line; the message is cut on a character boundary. */
static void test_error_frame(void **state)
{
        (void)state;
        uint8_t buf[SHIM_FRAME_HDR + 64];
        size_t n = shim_frame_put_error(buf + SHIM_FRAME_HDR, 64, KERR_INVALID, ENOENT,
                                        "exec: \"nosuch\": executable file not found in $PATH");
        shim_frame_header(buf, SHIM_FRAME_ERROR, (uint32_t)n);
        struct shim_frame f;
        assert_int_equal(shim_frame_parse(buf, SHIM_FRAME_HDR + n, SHIM_FRAME_OUT_MAX, &f),
                         (int)(SHIM_FRAME_HDR + n));
        int kind, errnum;
        const char *msg;
        size_t len;
        assert_int_equal(shim_frame_get_error(&f, &kind, &errnum, &msg, &len), 0);
        assert_int_equal(kind, KERR_INVALID);
        assert_int_equal(errnum, ENOENT);
        assert_int_equal(len, 50);
        assert_memory_equal(msg, "exec: \"nosuch\": executable file not found in $PATH", 4);
        /* "é" is two bytes: a 9-byte room keeps 1 + 4 whole characters. */
        n = shim_frame_put_error(buf, SHIM_ERROR_HDR + 9, KERR_INVALID, EACCES,
                                 "x"
                                 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
        assert_int_equal(n, SHIM_ERROR_HDR + 9);
        n = shim_frame_put_error(buf, SHIM_ERROR_HDR + 8, KERR_INVALID, EACCES,
                                 "x"
                                 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
        assert_int_equal(n, SHIM_ERROR_HDR + 7);
        /* An out-of-range kind is refused. */
        shim_frame_put_u32(buf + SHIM_FRAME_HDR, KERR_KIND_MAX);
        f.payload = buf + SHIM_FRAME_HDR;
        f.len = SHIM_ERROR_HDR;
        assert_int_equal(shim_frame_get_error(&f, &kind, &errnum, &msg, &len), -EBADMSG);
}

static void test_report_line(void **state)
{
        (void)state;
        char line[128];
        int kind, errnum;
        const char *msg;
        assert_true(shim_report_format(line, sizeof(line), KERR_NONE, 0, NULL) > 0);
        assert_int_equal(shim_report_parse(line, &kind, &errnum, &msg), 0);
        assert_true(shim_report_format(line, sizeof(line), KERR_INVALID, EACCES,
                                       "exec: \"/etc/passwd\": permission\ndenied") > 0);
        assert_int_equal(shim_report_parse(line, &kind, &errnum, &msg), 1);
        assert_int_equal(kind, KERR_INVALID);
        assert_int_equal(errnum, EACCES);
        assert_string_equal(msg, "exec: \"/etc/passwd\": permission denied");
        static const char *const bad[] = {"",
                                          "error",
                                          "error x 1 m",
                                          "error 1 1",
                                          "error 99 1 m",
                                          "error 1 99999 m",
                                          "error 0 1 m",
                                          "okay"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                if (shim_report_parse(bad[i], &kind, &errnum, &msg) != -EBADMSG)
                        fail_msg("accepted '%s'", bad[i]);
        assert_int_equal(shim_start_exit_code(ENOENT), 127);
        assert_int_equal(shim_start_exit_code(-EACCES), 126);
        assert_int_equal(shim_start_exit_code(EISDIR), 126);
        assert_int_equal(shim_start_exit_code(EIO), 128);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_parse_table),
            cmocka_unit_test(test_roundtrip),
            cmocka_unit_test(test_error_frame),
            cmocka_unit_test(test_report_line),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
