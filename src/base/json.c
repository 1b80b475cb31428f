#include "json.h"

#include "utf8.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

char *json_to_string(const json_t *v)
{
        char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        if (!s) {
                /* Only fails on OOM, or a NULL value. */
                return xstrdup("null");
        }
        return s;
}

json_t *json_string_lossy(const char *s)
{
        if (!s)
                return json_null();
        json_t *v = json_string(s);
        if (v)
                return v;
        char *clean = utf8_sanitize(s, strlen(s));
        v = json_string(clean);
        free(clean);
        return v ? v : json_null();
}

void json_set(json_t *obj, const char *key, json_t *value)
{
        /* NULL is what jansson's constructors (json_pack, json_sprintf,
         * json_string) return for text that is not UTF-8: data, not a
         * programming error, so it becomes null instead of an abort. */
        if (!value)
                value = json_null();
        if (!json_is_object(obj) || !key) {
                json_decref(value);
                return;
        }
        if (utf8_valid(key, strlen(key))) {
                json_object_set_new(obj, key, value);
                return;
        }
        char *clean = utf8_sanitize(key, strlen(key));
        json_object_set_new(obj, clean, value);
        free(clean);
}

void json_set_str(json_t *obj, const char *key, const char *s)
{
        json_set(obj, key, json_string_lossy(s));
}

void json_set_int(json_t *obj, const char *key, int64_t v)
{
        json_set(obj, key, json_integer(v));
}

void json_set_bool(json_t *obj, const char *key, bool v)
{
        json_set(obj, key, json_boolean(v));
}

const char *json_get_str(const json_t *obj, const char *key)
{
        json_t *v = obj ? json_object_get(obj, key) : NULL;
        return json_is_string(v) ? json_string_value(v) : NULL;
}
