#include "xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *oom(void)
{
        fputs("kedge: out of memory\n", stderr);
        abort();
}

void *xmalloc(size_t n)
{
        void *p = malloc(n ? n : 1);
        return p ? p : oom();
}

void *xzalloc(size_t n)
{
        void *p = calloc(1, n ? n : 1);
        return p ? p : oom();
}

void *xrealloc(void *p, size_t n)
{
        void *q = realloc(p, n ? n : 1);
        return q ? q : oom();
}

char *xstrdup(const char *s)
{
        char *p = strdup(s);
        return p ? p : oom();
}

char *xstrndup(const char *s, size_t n)
{
        char *p = strndup(s, n);
        return p ? p : oom();
}

char *xasprintf(const char *fmt, ...)
{
        char *p = NULL;
        va_list ap;
        va_start(ap, fmt);
        int r = vasprintf(&p, fmt, ap);
        va_end(ap);
        return r < 0 ? oom() : p;
}
