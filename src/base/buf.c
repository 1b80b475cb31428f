#include "buf.h"

#include "xalloc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

void buf_init(struct buf *b, size_t max)
{
        *b = (struct buf){.max = max};
}

void buf_release(struct buf *b)
{
        free(b->data);
        buf_init(b, b->max);
}

int buf_append(struct buf *b, const void *data, size_t n)
{
        if (b->max && (n > b->max || b->len > b->max - n))
                return -E2BIG;
        /* Unbounded buffers too stop short of overflowing the doubling. */
        if (n > SIZE_MAX / 4 - b->len)
                return -E2BIG;
        if (b->len + n + 1 > b->cap) {
                size_t cap = b->cap ? b->cap : 256;
                while (cap < b->len + n + 1)
                        cap *= 2;
                b->data = xrealloc(b->data, cap);
                b->cap = cap;
        }
        if (n)
                memcpy(b->data + b->len, data, n);
        b->len += n;
        b->data[b->len] = 0;
        return 0;
}

int buf_appendf(struct buf *b, const char *fmt, ...)
{
        char small[256];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(small, sizeof(small), fmt, ap);
        va_end(ap);
        if (n < 0)
                return -EINVAL;
        if ((size_t)n < sizeof(small))
                return buf_append(b, small, (size_t)n);
        char *big = xmalloc((size_t)n + 1);
        va_start(ap, fmt);
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        va_end(ap);
        int r = buf_append(b, big, (size_t)n);
        free(big);
        return r;
}

char *buf_steal(struct buf *b)
{
        char *p = b->data ? b->data : xstrdup("");
        buf_init(b, b->max);
        return p;
}
