/* xalloc.h - small fixed allocations that abort on out-of-memory (as crun,
 * git and redis do). Anything sized by a peer goes through struct buf. */
#pragma once

#include <stddef.h>

void *xmalloc(size_t n);
void *xzalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define xnew0(type) ((type *)xzalloc(sizeof(type)))
