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

/* Object setters that take ownership of the value and abort on OOM. */
void json_set(json_t *obj, const char *key, json_t *value);
void json_set_str(json_t *obj, const char *key, const char *s); /* NULL -> null */
void json_set_int(json_t *obj, const char *key, int64_t v);
void json_set_bool(json_t *obj, const char *key, bool v);

/* Getters that tolerate NULL objects and wrong types (return the default). */
const char *json_get_str(const json_t *obj, const char *key);
