/* proto.c - the shim frame codec (see proto.h). */
#include "proto.h"

#include <errno.h>

void shim_frame_put_u32(uint8_t out[4], uint32_t v)
{
        out[0] = (uint8_t)(v >> 24);
        out[1] = (uint8_t)(v >> 16);
        out[2] = (uint8_t)(v >> 8);
        out[3] = (uint8_t)v;
}

uint32_t shim_frame_get_u32(const uint8_t in[4])
{
        return (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 | (uint32_t)in[2] << 8 | in[3];
}

void shim_frame_header(uint8_t hdr[SHIM_FRAME_HDR], enum shim_frame_type type, uint32_t len)
{
        hdr[0] = (uint8_t)type;
        hdr[1] = hdr[2] = hdr[3] = 0;
        shim_frame_put_u32(hdr + 4, len);
}

void shim_frame_put_resize(uint8_t out[4], uint16_t rows, uint16_t cols)
{
        shim_frame_put_u32(out, (uint32_t)rows << 16 | cols);
}

void shim_frame_get_resize(const uint8_t in[4], uint16_t *ret_rows, uint16_t *ret_cols)
{
        uint32_t v = shim_frame_get_u32(in);
        *ret_rows = (uint16_t)(v >> 16);
        *ret_cols = (uint16_t)v;
}

/* -1: any length; else the exact payload size of the type. */
static long fixed_len(enum shim_frame_type type)
{
        switch (type) {
        case SHIM_FRAME_RESIZE:
        case SHIM_FRAME_EXIT:
        case SHIM_FRAME_KILL:
                return 4;
        case SHIM_FRAME_CLOSE_STDIN:
        case SHIM_FRAME_START:
        case SHIM_FRAME_OK:
                return 0;
        default:
                return -1;
        }
}

int shim_frame_parse(const uint8_t *buf, size_t len, size_t max, struct shim_frame *ret)
{
        if (len < SHIM_FRAME_HDR)
                return 0;
        if (buf[0] >= SHIM_FRAME_TYPE_MAX || buf[1] || buf[2] || buf[3])
                return -EBADMSG;
        uint32_t n = shim_frame_get_u32(buf + 4);
        long want = fixed_len((enum shim_frame_type)buf[0]);
        if (n > max || (want >= 0 && n != (uint32_t)want))
                return -EBADMSG;
        if (len - SHIM_FRAME_HDR < n)
                return 0;
        *ret = (struct shim_frame){
                .type = (enum shim_frame_type)buf[0],
                .payload = buf + SHIM_FRAME_HDR,
                .len = n,
        };
        return (int)(SHIM_FRAME_HDR + n);
}
