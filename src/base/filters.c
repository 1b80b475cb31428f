#include "filters.h"

#include "cleanup.h"
#include "json.h"

#include <errno.h>
#include <string.h>

static bool allowed_key(const char *key, const char *const *allowed)
{
        for (size_t i = 0; allowed[i]; i++)
                if (strcmp(allowed[i], key) == 0)
                        return true;
        return false;
}

/* One key's value in either shape, as an array of strings. */
static json_t *values_of(const char *key, json_t *v, struct kerr *err)
{
        json_t *out = json_array();
        size_t i;
        json_t *x;
        const char *k;
        if (json_is_array(v)) {
                json_array_foreach(v, i, x)
                {
                        if (!json_is_string(x))
                                goto bad;
                        json_array_append(out, x);
                }
                return out;
        }
        if (json_is_object(v)) {
                json_object_foreach(v, k, x)
                        json_array_append_new(out, json_string(k));
                return out;
        }
bad:
        json_decref(out);
        kerr_set(err, KERR_INVALID, EINVAL, "invalid filter '%s': values must be a list of strings",
                 key);
        return NULL;
}

int filters_parse(const char *s, const char *const *allowed, struct filters *ret,
                  struct kerr *err)
{
        json_t *map = json_object();
        if (s && *s) {
                json_error_t jerr;
                _cleanup_json_ json_t *in = json_loads(s, 0, &jerr);
                const char *k;
                json_t *v;
                if (!json_is_object(in)) {
                        json_decref(map);
                        return kerr_set(err, KERR_INVALID, EINVAL,
                                        "invalid filters: not a JSON object: %s", s);
                }
                json_object_foreach(in, k, v)
                {
                        if (!allowed_key(k, allowed)) {
                                json_decref(map);
                                return kerr_set(err, KERR_INVALID, EINVAL, "invalid filter '%s'", k);
                        }
                        json_t *vals = values_of(k, v, err);
                        if (!vals) {
                                json_decref(map);
                                return -EINVAL;
                        }
                        json_object_set_new(map, k, vals);
                }
        }
        ret->map = map;
        return 0;
}

void filters_release(struct filters *f)
{
        json_decref(f->map);
        f->map = NULL;
}

size_t filters_count(const struct filters *f, const char *key)
{
        return json_array_size(json_object_get(f->map, key));
}

const char *filters_get(const struct filters *f, const char *key, size_t i)
{
        return json_string_value(json_array_get(json_object_get(f->map, key), i));
}

int filters_bool(const struct filters *f, const char *key, int *ret, struct kerr *err)
{
        *ret = -1;
        for (size_t i = 0; i < filters_count(f, key); i++) {
                const char *v = filters_get(f, key, i);
                if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
                        *ret = 1;
                else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
                        *ret = 0;
                else
                        return kerr_set(err, KERR_INVALID, EINVAL,
                                        "invalid filter '%s=%s': expected true or false", key, v);
        }
        return 0;
}

bool filters_match_labels(const struct filters *f, const char *key, const json_t *labels)
{
        for (size_t i = 0; i < filters_count(f, key); i++) {
                const char *want = filters_get(f, key, i);
                const char *eq = strchr(want, '=');
                char name[1024];
                snprintf(name, sizeof(name), "%.*s", eq ? (int)(eq - want) : (int)strlen(want),
                         want);
                const char *have = json_string_value(json_object_get(labels, name));
                if (!have || (eq && strcmp(have, eq + 1) != 0))
                        return false;
        }
        return true;
}
