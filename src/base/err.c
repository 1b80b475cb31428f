#include "err.h"

#include "utf8.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int ret_of(const struct kerr *err)
{
        return err && err->errnum ? -err->errnum : -EIO;
}

/* vsnprintf into a fixed buffer, cut back to a whole UTF-8 character when
 * it did not fit: a message that ends in half a character is not valid
 * UTF-8, and JSON (hence every error reply) cannot carry it. */
static void format_cut(char *buf, size_t size, const char *fmt, va_list ap)
{
        int n = vsnprintf(buf, size, fmt, ap);
        if (n < 0) {
                buf[0] = 0;
                return;
        }
        if ((size_t)n >= size)
                buf[utf8_cut(buf, size - 1)] = 0;
}

int kerr_setv(struct kerr *err, enum kerr_kind kind, int errnum, const char *fmt, va_list ap)
{
        if (errnum < 0)
                errnum = -errnum;
        if (!err)
                return errnum ? -errnum : -EIO;
        format_cut(err->msg, sizeof(err->msg), fmt, ap);
        err->kind = kind;
        err->errnum = errnum;
        return ret_of(err);
}

int kerr_set(struct kerr *err, enum kerr_kind kind, int errnum, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = kerr_setv(err, kind, errnum, fmt, ap);
        va_end(ap);
        return r;
}

static void format_cutf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void format_cutf(char *buf, size_t size, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        format_cut(buf, size, fmt, ap);
        va_end(ap);
}

int kerr_wrap(struct kerr *err, const char *fmt, ...)
{
        if (!err)
                return -EIO;
        char prefix[512], old[sizeof(err->msg)];
        va_list ap;
        va_start(ap, fmt);
        format_cut(prefix, sizeof(prefix), fmt, ap);
        va_end(ap);
        memcpy(old, err->msg, sizeof(old));
        format_cutf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
        if (err->kind == KERR_NONE)
                err->kind = KERR_INTERNAL;
        return ret_of(err);
}

const char *kerr_kind_name(enum kerr_kind kind)
{
        static const char *const names[KERR_KIND_MAX] = {
            [KERR_NONE] = "none",
            [KERR_INVALID] = "invalid",
            [KERR_NOT_FOUND] = "not found",
            [KERR_CONFLICT] = "conflict",
            [KERR_NOT_MODIFIED] = "not modified",
            [KERR_FORBIDDEN] = "forbidden",
            [KERR_UNAUTHORIZED] = "unauthorized",
            [KERR_UNAVAILABLE] = "unavailable",
            [KERR_NOT_IMPLEMENTED] = "not implemented",
            [KERR_TOO_LARGE] = "too large",
            [KERR_INTERNAL] = "internal",
        };
        return kind >= 0 && kind < KERR_KIND_MAX ? names[kind] : "unknown";
}
