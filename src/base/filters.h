/* filters.h - the `filters` query parameter of list and prune endpoints.
 *
 * Docker clients send it in two JSON shapes and both must work: a map of
 * lists {"label":["a=b"]} (docker-py, docker-java) and a map of maps
 * {"label":{"a=b":true}} (Go clients). Unknown keys are an error (400). */
#pragma once

#include "err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct filters {
        json_t *map; /* key -> array of strings; never NULL after parse */
};

/* Parses s (NULL or "" = no filters). allowed is a NULL-terminated list of
 * the keys this endpoint understands. */
int filters_parse(const char *s, const char *const *allowed, struct filters *ret,
                  struct kerr *err);
void filters_release(struct filters *f);

size_t filters_count(const struct filters *f, const char *key);
/* Value i of key (borrowed), or NULL. */
const char *filters_get(const struct filters *f, const char *key, size_t i);
/* A boolean filter (dangling=true): -1 when absent, else 0/1; a value that
 * is not a boolean is KERR_INVALID. */
int filters_bool(const struct filters *f, const char *key, int *ret, struct kerr *err);
/* Whether labels (an object of string values, may be NULL) satisfy every
 * "label" filter value: "key" (present) or "key=value". */
bool filters_match_labels(const struct filters *f, const char *key, const json_t *labels);
