/* err.h - the one error type for failures a user may see.
 *
 * A struct kerr is filled once, where the failure is detected (kerr_set),
 * and may be given context on the way up (kerr_wrap). Only api/ turns the
 * kind into an HTTP status. */
#pragma once

#include <stdarg.h>

enum kerr_kind {
        KERR_NONE = 0,
        KERR_INVALID,         /* the caller's input is wrong: 400 */
        KERR_NOT_FOUND,       /* 404 */
        KERR_CONFLICT,        /* 409 */
        KERR_NOT_MODIFIED,    /* 304 */
        KERR_FORBIDDEN,       /* 403 */
        KERR_UNAUTHORIZED,    /* 401 */
        KERR_UNAVAILABLE,     /* 503 */
        KERR_NOT_IMPLEMENTED, /* 501 */
        KERR_TOO_LARGE,       /* 413 */
        KERR_INTERNAL,        /* 500 */
        KERR_KIND_MAX,
};

struct kerr {
        enum kerr_kind kind;
        int errnum;     /* positive errno, or 0 */
        char msg[1024]; /* valid UTF-8 when the formatted text was */
};

/* Sets err (if not NULL) and returns -errnum, or -EIO when errnum is 0, so
 * callers can write `return kerr_set(err, ...)`. errnum may be given negative.
 * A message longer than msg is cut on a UTF-8 character boundary, so a
 * valid UTF-8 message stays valid (kerr_wrap likewise). */
int kerr_set(struct kerr *err, enum kerr_kind kind, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

int kerr_setv(struct kerr *err, enum kerr_kind kind, int errnum, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

/* Prefixes the existing message: "context: old message". Returns -errnum. */
int kerr_wrap(struct kerr *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static inline void kerr_clear(struct kerr *err)
{
        err->kind = KERR_NONE;
        err->errnum = 0;
        err->msg[0] = 0;
}

const char *kerr_kind_name(enum kerr_kind kind);
