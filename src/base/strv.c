/* strv.c - NULL-terminated string vectors. */
#include "strv.h"

#include "xalloc.h"

#include <stdlib.h>

char **strv_copy(const char *const *v)
{
        size_t n = 0;
        while (v && v[n])
                n++;
        char **out = xzalloc((n + 1) * sizeof(char *));
        for (size_t i = 0; i < n; i++)
                out[i] = xstrdup(v[i]);
        return out;
}

char **strv_free(char **v)
{
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
        return NULL;
}
