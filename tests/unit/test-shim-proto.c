/* the attach/control frame codec. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

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

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_table),
                cmocka_unit_test(test_roundtrip),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
