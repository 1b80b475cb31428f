#include "json.h"

#include "xalloc.h"

#include <stdlib.h>

char *json_to_string(const json_t *v)
{
        char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!s) {
                /* Only fails on OOM or invalid UTF-8 in our own strings. */
                return xstrdup("null");
        }
        return s;
}

void json_set(json_t *obj, const char *key, json_t *value)
{
        if (!value || json_object_set_new(obj, key, value) < 0)
                abort();
}

/* Strings from the host or a peer may not be UTF-8; jansson refuses those,
 * so non-ASCII bytes are replaced rather than dropping the whole value. */
static json_t *string_lossy(const char *s)
{
        json_t *v = json_string(s);
        if (v)
                return v;
        char *copy = xstrdup(s);
        for (char *p = copy; *p; p++)
                if ((unsigned char)*p >= 0x80)
                        *p = '?';
        v = json_string(copy);
        free(copy);
        return v;
}

void json_set_str(json_t *obj, const char *key, const char *s)
{
        json_set(obj, key, s ? string_lossy(s) : json_null());
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
