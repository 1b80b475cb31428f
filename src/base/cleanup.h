/* cleanup.h - scope-bound ownership (systemd's _cleanup_ idiom).
 *
 * Every destructor used here accepts NULL / -EBADF. Ownership leaves a
 * variable only through TAKE_PTR / TAKE_FD. */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void freep(void *p)
{
        free(*(void **)p);
}

static inline void closep(int *fd)
{
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}

static inline void fclosep(FILE **f)
{
        if (*f)
                fclose(*f);
}

#define _cleanup_free_   _cleanup_(freep)
#define _cleanup_close_  _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

/* DEFINE_CLEANUP(type, fn) yields fnp(type *) usable as _cleanup_(fnp) for a
 * destructor fn(type) that accepts NULL. */
#define DEFINE_CLEANUP(type, fn)                                                                   \
        static inline void fn##p(type *p)                                                          \
        {                                                                                          \
                if (*p)                                                                            \
                        fn(*p);                                                                    \
        }

#define TAKE_PTR(p)                                                                                \
        ({                                                                                         \
                __typeof__(p) _tp = (p);                                                           \
                (p) = NULL;                                                                        \
                _tp;                                                                               \
        })

#define TAKE_FD(fd)                                                                                \
        ({                                                                                         \
                int _tf = (fd);                                                                    \
                (fd) = -EBADF;                                                                     \
                _tf;                                                                               \
        })

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
