/* fuzz-shim-proto: the shim's frame codec (src/shim/proto.c) on a stream of
 * frames as a peer could send them, with the limits both sides use; each
 * frame that parses is re-encoded and must parse back to itself, ERROR
 * payloads included. The whole input is also read as the launcher's report
 * line ("ok" / "error KIND ERRNO message"), which must survive a round trip. */
#include "fuzz.h"

#include "shim/proto.h"

static void check_frame(const struct shim_frame *f, size_t max)
{
        uint8_t *copy = malloc(SHIM_FRAME_HDR + f->len);
        shim_frame_header(copy, f->type, f->len);
        memcpy(copy + SHIM_FRAME_HDR, f->payload, f->len);
        struct shim_frame g;
        if (shim_frame_parse(copy, SHIM_FRAME_HDR + f->len, max, &g) !=
                (int)(SHIM_FRAME_HDR + f->len) ||
            g.type != f->type || g.len != f->len)
                abort();
        if (f->type == SHIM_FRAME_RESIZE && f->len == 4) {
                uint16_t rows, cols;
                uint8_t out[4];
                shim_frame_get_resize(f->payload, &rows, &cols);
                shim_frame_put_resize(out, rows, cols);
                if (memcmp(out, f->payload, 4) != 0)
                        abort();
        }
        int kind, errnum;
        const char *msg;
        size_t mlen;
        if (shim_frame_get_error(f, &kind, &errnum, &msg, &mlen) == 0) {
                char *m = fuzz_strndup((const uint8_t *)msg, mlen);
                uint8_t out[SHIM_FRAME_OUT_MAX];
                struct shim_frame e = {SHIM_FRAME_ERROR, out, 0};
                e.len = (uint32_t)shim_frame_put_error(out, sizeof(out), kind, errnum, m);
                int k2, e2;
                if (shim_frame_get_error(&e, &k2, &e2, &msg, &mlen) < 0 || k2 != kind ||
                    e2 != errnum || mlen > strlen(m) || memcmp(msg, m, mlen) != 0)
                        abort();
                free(m);
        }
        if ((f->type == SHIM_FRAME_KILL || f->type == SHIM_FRAME_EXIT) && f->len == 4) {
                uint8_t out[4];
                shim_frame_put_u32(out, shim_frame_get_u32(f->payload));
                if (memcmp(out, f->payload, 4) != 0)
                        abort();
        }
        free(copy);
}

static void parse_stream(const uint8_t *data, size_t size, size_t max)
{
        while (size > 0) {
                struct shim_frame f;
                int n = shim_frame_parse(data, size, max, &f);
                if (n <= 0)
                        return; /* incomplete or refused: the reader stops */
                if ((size_t)n > size || f.len > max)
                        abort();
                check_frame(&f, max);
                data += n;
                size -= (size_t)n;
        }
}

static void report_line(const uint8_t *data, size_t size)
{
        char *line = fuzz_strndup(data, size);
        int kind, errnum, k2, e2;
        const char *msg, *msg2;
        if (shim_report_parse(line, &kind, &errnum, &msg) == 1) {
                char buf[512];
                int n = shim_report_format(buf, sizeof(buf), kind, errnum, msg);
                if (n < 0 || (size_t)n >= sizeof(buf) ||
                    shim_report_parse(buf, &k2, &e2, &msg2) != 1 || k2 != kind || e2 != errnum ||
                    strchr(buf, '\n'))
                        abort();
        }
        free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        report_line(data, size);
        /* A heap copy of exactly size bytes, so ASan sees any over-read. */
        uint8_t *buf = malloc(size ? size : 1);
        memcpy(buf, data, size);
        parse_stream(buf, size, SHIM_FRAME_IN_MAX);
        parse_stream(buf, size, SHIM_FRAME_OUT_MAX);
        free(buf);
        return 0;
}
