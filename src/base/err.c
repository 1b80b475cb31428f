#include "err.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int ret_of(const struct kerr *err)
{
        return err && err->errnum ? -err->errnum : -EIO;
}

int kerr_set(struct kerr *err, enum kerr_kind kind, int errnum, const char *fmt, ...)
{
        if (errnum < 0)
                errnum = -errnum;
        if (!err)
                return errnum ? -errnum : -EIO;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
        err->kind = kind;
        err->errnum = errnum;
        return ret_of(err);
}

int kerr_wrap(struct kerr *err, const char *fmt, ...)
{
        if (!err)
                return -EIO;
        char prefix[512], old[sizeof(err->msg)];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(prefix, sizeof(prefix), fmt, ap);
        va_end(ap);
        memcpy(old, err->msg, sizeof(old));
        snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
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
