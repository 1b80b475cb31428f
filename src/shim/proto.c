/* proto.c - the shim frame codec (see proto.h). */
#include "proto.h"

#include "base/err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        if (n > max || (want >= 0 && n != (uint32_t)want) ||
            (buf[0] == SHIM_FRAME_ERROR && n < SHIM_ERROR_HDR))
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

/* The longest prefix of s (at most max bytes) that ends on a character. */
static size_t utf8_cut(const char *s, size_t max)
{
        size_t n = strlen(s);
        if (n <= max)
                return n;
        while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
                max--;
        return max;
}

size_t shim_frame_put_error(uint8_t *out, size_t size, int kind, int errnum, const char *msg)
{
        if (size < SHIM_ERROR_HDR)
                return 0;
        shim_frame_put_u32(out, (uint32_t)kind);
        shim_frame_put_u32(out + 4, (uint32_t)errnum);
        size_t n = utf8_cut(msg ? msg : "", size - SHIM_ERROR_HDR);
        memcpy(out + SHIM_ERROR_HDR, msg ? msg : "", n);
        return SHIM_ERROR_HDR + n;
}

int shim_frame_get_error(const struct shim_frame *f, int *ret_kind, int *ret_errno,
                         const char **ret_msg, size_t *ret_len)
{
        if (f->type != SHIM_FRAME_ERROR || f->len < SHIM_ERROR_HDR)
                return -EBADMSG;
        uint32_t kind = shim_frame_get_u32(f->payload);
        uint32_t errnum = shim_frame_get_u32(f->payload + 4);
        if (kind == KERR_NONE || kind >= KERR_KIND_MAX || errnum > 4095)
                return -EBADMSG;
        *ret_kind = (int)kind;
        *ret_errno = (int)errnum;
        *ret_msg = (const char *)f->payload + SHIM_ERROR_HDR;
        *ret_len = f->len - SHIM_ERROR_HDR;
        return 0;
}

int shim_report_format(char *buf, size_t size, int kind, int errnum, const char *msg)
{
        if (kind == KERR_NONE)
                return snprintf(buf, size, "ok");
        char head[32];
        int h = snprintf(head, sizeof(head), "error %d %d ", kind, errnum);
        if (h < 0 || (size_t)h >= size)
                return -ENOBUFS;
        size_t n = utf8_cut(msg ? msg : "", size - (size_t)h - 1);
        /* One line: a newline in the message would end the report. */
        memcpy(buf, head, (size_t)h);
        for (size_t i = 0; i < n; i++)
                buf[h + i] = msg[i] == '\n' ? ' ' : msg[i];
        buf[h + n] = 0;
        return h + (int)n;
}

static int parse_int(const char *s, long lo, long hi, const char **ret_end, int *ret)
{
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (errno || end == s || *end != ' ' || v < lo || v > hi)
                return -EBADMSG;
        *ret = (int)v;
        *ret_end = end + 1;
        return 0;
}

int shim_report_parse(const char *line, int *ret_kind, int *ret_errno, const char **ret_msg)
{
        if (strcmp(line, "ok") == 0)
                return 0;
        if (strncmp(line, "error ", 6) != 0)
                return -EBADMSG;
        int kind, errnum;
        const char *p = line + 6;
        if (parse_int(p, KERR_NONE + 1, KERR_KIND_MAX - 1, &p, &kind) < 0 ||
            parse_int(p, 0, 4095, &p, &errnum) < 0)
                return -EBADMSG;
        *ret_kind = kind;
        *ret_errno = errnum;
        *ret_msg = p;
        return 1;
}

int shim_start_exit_code(int errnum)
{
        switch (abs(errnum)) {
        case ENOENT:
                return 127;
        case EACCES:
        case EISDIR:
                return 126;
        default:
                return 128;
        }
}
