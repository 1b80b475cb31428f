/* filters-internal.h - filters.c's regular expressions (filters-regex.c). */
#pragma once

#include "filters.h"

/* Whether one of key's values, as an expression, matches source. Compiles
 * key's values on first use into f's per-request cache. */
bool filters_regex_match(const struct filters *f, const char *key, const char *source);
void filters_regex_free(struct filters_regex *r);
