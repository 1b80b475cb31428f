/* json.h - the one JSON helper layer over jansson.
 * Output is compact and never escapes '/' (Docker does not). */
#pragma once

#include "cleanup.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* jansson provides json_decrefp() for this. */
#define _cleanup_json_ _cleanup_(json_decrefp)

/* Serialises v compactly; the caller frees the result. Never NULL. */
char *json_to_string(const json_t *v);

/* A string for text that may come from data: invalid UTF-8 is replaced by
 * U+FFFD (as Go's encoding/json does) instead of failing. NULL gives null.
 * Never returns NULL. */
json_t *json_string_lossy(const char *s);

/* Object setters that take ownership of the value. They never abort on
 * data: a NULL value (what jansson's constructors return for text that is
 * not UTF-8) is stored as null, a key that is not UTF-8 is stored with the
 * bad bytes replaced, and a NULL or non-object obj just drops the value. */
void json_set(json_t *obj, const char *key, json_t *value);
void json_set_str(json_t *obj, const char *key, const char *s); /* lossy; NULL -> null */
void json_set_int(json_t *obj, const char *key, int64_t v);
void json_set_bool(json_t *obj, const char *key, bool v);

/* Getters that tolerate NULL objects and wrong types (return the default). */
const char *json_get_str(const json_t *obj, const char *key);
