/* buf.h - a growable byte buffer with a hard upper bound (curl's "toobig").
 * Everything a peer sends is collected through one of these. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct buf {
        char *data; /* always NUL-terminated when non-NULL */
        size_t len;
        size_t cap;
        size_t max; /* bound on len; 0 = unbounded (only for our own data) */
};

void buf_init(struct buf *b, size_t max);
void buf_release(struct buf *b);
/* Appends n bytes. Returns -E2BIG (leaving b unchanged) past the bound. */
int buf_append(struct buf *b, const void *data, size_t n);
int buf_appendf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the data to the caller (NUL-terminated, never NULL) and resets b. */
char *buf_steal(struct buf *b);
