/* proto.h - the frames spoken on a shim's attach and control sockets.
 *
 * A frame is an 8-byte header and a payload, like Docker's stream framing:
 *   byte 0     type (enum shim_frame_type)
 *   bytes 1-3  zero
 *   bytes 4-7  payload length, big endian
 * Payloads by type:
 *   STDIN, STDOUT, STDERR  raw bytes (client -> shim STDIN at most
 *                          SHIM_FRAME_IN_MAX bytes)
 *   RESIZE                 u16 rows, u16 cols (big endian)
 *   CLOSE_STDIN, START     empty
 *   KILL                   u32 signal number
 *   EXIT                   i32 exit code as Docker reports it (128+n for
 *                          a signal), sent to attach clients at the end
 *   OK                     empty
 *   ERROR                  u32 kind (enum kerr_kind), u32 errno, then a
 *                          UTF-8 message: the daemon maps the kind, not
 *                          the words
 * This file links base only, so the daemon can speak it too. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define SHIM_FRAME_HDR     8
#define SHIM_FRAME_IN_MAX  4096  /* largest frame a shim accepts */
#define SHIM_FRAME_OUT_MAX 65536 /* largest frame a shim sends */
#define SHIM_ERROR_HDR     8     /* kind and errno before an ERROR frame's message */

enum shim_frame_type {
        SHIM_FRAME_STDIN = 0,
        SHIM_FRAME_STDOUT = 1,
        SHIM_FRAME_STDERR = 2,
        SHIM_FRAME_RESIZE = 3,
        SHIM_FRAME_CLOSE_STDIN = 4,
        SHIM_FRAME_EXIT = 5,
        SHIM_FRAME_KILL = 6,
        SHIM_FRAME_START = 7,
        SHIM_FRAME_OK = 8,
        SHIM_FRAME_ERROR = 9,
        SHIM_FRAME_TYPE_MAX,
};

struct shim_frame {
        enum shim_frame_type type;
        const uint8_t *payload; /* borrows the parsed buffer */
        uint32_t len;
};

/* Writes the header for a payload of len bytes. */
void shim_frame_header(uint8_t hdr[SHIM_FRAME_HDR], enum shim_frame_type type, uint32_t len);

/* Parses the first frame of buf. Returns the bytes it spans (> 0), 0 when
 * buf holds only part of it, or -EBADMSG for an unknown type, non-zero
 * reserved bytes, a payload above max, or a fixed-size payload of the
 * wrong size. */
int shim_frame_parse(const uint8_t *buf, size_t len, size_t max, struct shim_frame *ret);

/* Fixed payloads. */
void shim_frame_put_u32(uint8_t out[4], uint32_t v);
uint32_t shim_frame_get_u32(const uint8_t in[4]);
void shim_frame_put_resize(uint8_t out[4], uint16_t rows, uint16_t cols);
void shim_frame_get_resize(const uint8_t in[4], uint16_t *ret_rows, uint16_t *ret_cols);

/* ERROR payloads. put writes kind, errno and as much of msg as fits in
 * size (cut on a UTF-8 character boundary); returns the payload length.
 * get returns -EBADMSG when the payload is shorter than SHIM_ERROR_HDR or
 * the kind is out of range. */
size_t shim_frame_put_error(uint8_t *out, size_t size, int kind, int errnum, const char *msg);
int shim_frame_get_error(const struct shim_frame *f, int *ret_kind, int *ret_errno,
                         const char **ret_msg, size_t *ret_len);

/* The line a shim's launcher gets once set-up is over: "ok", or
 * "error KIND ERRNO message". parse returns 0 for ok, 1 for an error
 * (ret_* set, ret_msg borrows line), -EBADMSG for anything else. */
int shim_report_format(char *buf, size_t size, int kind, int errnum, const char *msg);
int shim_report_parse(const char *line, int *ret_kind, int *ret_errno, const char **ret_msg);

/* Docker's exit code for a process that could not be started, from the
 * errno of the failure: 127 not found, 126 found but not runnable, else
 * 128 (the docker CLI gives the same codes for the same causes). */
int shim_start_exit_code(int errnum);
