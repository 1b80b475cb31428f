/* strv.h - NULL-terminated string vectors (char **), heap-owned. */
#pragma once

/* A deep copy of v (NULL gives an empty vector); never NULL. */
char **strv_copy(const char *const *v);
/* Frees every string and the vector; accepts NULL, returns NULL. */
char **strv_free(char **v);
