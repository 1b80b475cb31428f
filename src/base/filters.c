#include "filters.h"
#include "filters-internal.h"

#include "buf.h"
#include "cleanup.h"
#include "json.h"
#include "timestamp.h"
#include "xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bool allowed_key(const char *key, const char *const *allowed)
{
        for (size_t i = 0; allowed[i]; i++)
                if (strcmp(allowed[i], key) == 0)
                        return true;
        return false;
}

static bool array_has(const json_t *arr, const char *s)
{
        size_t i;
        json_t *x;
        json_array_foreach(arr, i, x)
        {
                if (strcmp(json_string_value(x), s) == 0)
                        return true;
        }
        return false;
}

/* Adds s to the set out; false when the request holds too many values. */
static bool add_value(json_t *out, const char *s, size_t *total)
{
        if (array_has(out, s))
                return true;
        if (++*total > FILTERS_MAX_VALUES)
                return false;
        json_array_append_new(out, json_string(s));
        return true;
}

/* One key's values in either shape, as a set of strings. */
static json_t *values_of(const char *key, json_t *v, size_t *total, struct kerr *err)
{
        _cleanup_json_ json_t *out = json_array();
        size_t i;
        json_t *x;
        const char *k;
        if (json_is_array(v)) {
                json_array_foreach(v, i, x)
                {
                        if (!json_is_string(x))
                                goto bad;
                        if (!add_value(out, json_string_value(x), total))
                                goto too_many;
                }
        } else if (json_is_object(v)) {
                /* Go decodes this shape into map[string]map[string]bool:
                 * any inner value but a boolean fails the whole request. */
                json_object_foreach(v, k, x)
                {
                        if (!json_is_boolean(x))
                                goto bad;
                        if (!add_value(out, k, total))
                                goto too_many;
                }
        } else
                goto bad;
        return TAKE_PTR(out);
bad:
        kerr_set(err, KERR_INVALID, EINVAL, "invalid filter '%s': values must be a list of strings",
                 key);
        return NULL;
too_many:
        kerr_set(err, KERR_INVALID, EINVAL, "invalid filters: more than %d values",
                 FILTERS_MAX_VALUES);
        return NULL;
}

int filters_parse(const char *s, const char *const *allowed, struct filters *ret, struct kerr *err)
{
        _cleanup_json_ json_t *map = json_object();
        if (s && *s) {
                _cleanup_json_ json_t *in = json_loads(s, 0, NULL);
                const char *k;
                json_t *v;
                size_t total = 0;
                if (!json_is_object(in))
                        return kerr_set(err, KERR_INVALID, EINVAL,
                                        "invalid filters: not a JSON object: %s", s);
                json_object_foreach(in, k, v)
                {
                        if (!allowed_key(k, allowed))
                                return kerr_set(err, KERR_INVALID, EINVAL, "invalid filter '%s'",
                                                k);
                        json_t *vals = values_of(k, v, &total, err);
                        if (!vals)
                                return -EINVAL;
                        json_object_set_new(map, k, vals);
                }
        }
        ret->map = TAKE_PTR(map);
        ret->regex = xnew0(struct filters_regex *);
        return 0;
}

void filters_release(struct filters *f)
{
        json_decref(f->map);
        f->map = NULL;
        if (f->regex)
                filters_regex_free(*f->regex);
        free(f->regex);
        f->regex = NULL;
}

bool filters_contains(const struct filters *f, const char *key)
{
        return json_object_get(f->map, key) != NULL;
}

size_t filters_count(const struct filters *f, const char *key)
{
        return json_array_size(json_object_get(f->map, key));
}

const char *filters_get(const struct filters *f, const char *key, size_t i)
{
        return json_string_value(json_array_get(json_object_get(f->map, key), i));
}

/* "invalid filter 'key=[a b]'", as Go prints an invalidFilter's values. */
static int invalid_values(const struct filters *f, const char *key, struct kerr *err)
{
        struct buf b;
        buf_init(&b, 0);
        for (size_t i = 0; i < filters_count(f, key); i++)
                buf_appendf(&b, "%s%s", i ? " " : "", filters_get(f, key, i));
        _cleanup_free_ char *vals = buf_steal(&b);
        return kerr_set(err, KERR_INVALID, EINVAL, "invalid filter '%s=[%s]'", key,
                        vals ? vals : "");
}

int filters_bool(const struct filters *f, const char *key, int *ret, struct kerr *err)
{
        bool t = false, fa = false;
        if (!filters_contains(f, key)) {
                *ret = -1;
                return 0;
        }
        for (size_t i = 0; i < filters_count(f, key); i++) {
                const char *v = filters_get(f, key, i);
                t |= strcmp(v, "true") == 0 || strcmp(v, "1") == 0;
                fa |= strcmp(v, "false") == 0 || strcmp(v, "0") == 0;
        }
        /* moby ignores other values beside a valid one; none, or both
         * meanings at once, is an error. */
        if (t == fa)
                return filters_count(f, key)
                           ? invalid_values(f, key, err)
                           : kerr_set(err, KERR_INVALID, EINVAL, "invalid filter '%s'", key);
        *ret = t;
        return 0;
}

int filters_time_error(const char *value, struct kerr *err)
{
        if (!*value)
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "failed to parse value as time or duration: value is empty");
        /* moby gives the date parser's error when the value has a '-'. */
        if (strchr(value, '-'))
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "parsing time \"%s\": not a valid RFC 3339 time", value);
        return kerr_set(err, KERR_INVALID, EINVAL,
                        "failed to parse value as time or duration: invalid seconds \"%s\": "
                        "invalid syntax",
                        value);
}

int filters_time(const struct filters *f, const char *key, int64_t now_ns, int64_t *ret_ns,
                 struct kerr *err)
{
        size_t n = filters_count(f, key);
        if (n == 0) {
                *ret_ns = -1;
                return 0;
        }
        if (n > 1)
                return kerr_set(err, KERR_INVALID, EINVAL, "more than one %s filter specified",
                                key);
        const char *v = filters_get(f, key, 0);
        int64_t ns;
        if (timestamp_parse(v, now_ns, &ns) < 0)
                return filters_time_error(v, err);
        *ret_ns = ns;
        return 0;
}

/* Whether labels hold want: "name" or "name=value". */
static bool label_holds(const json_t *labels, const char *want)
{
        const char *eq = strchr(want, '=');
        size_t n = eq ? (size_t)(eq - want) : strlen(want);
        const char *have = json_string_value(json_object_getn(labels, want, n));
        return have && (!eq || strcmp(have, eq + 1) == 0);
}

bool filters_match_labels(const struct filters *f, const char *key, const json_t *labels)
{
        size_t n = filters_count(f, key);
        if (n == 0)
                return true;
        if (!json_is_object(labels) || json_object_size(labels) == 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!label_holds(labels, filters_get(f, key, i)))
                        return false;
        return true;
}

bool filters_match_prune_labels(const struct filters *f, const json_t *labels)
{
        if (!filters_match_labels(f, "label", labels))
                return false;
        return !(filters_count(f, "label!") > 0 && filters_match_labels(f, "label!", labels));
}

bool filters_exact(const struct filters *f, const char *key, const char *source)
{
        json_t *vals = json_object_get(f->map, key);
        return json_array_size(vals) == 0 || array_has(vals, source);
}

bool filters_match(const struct filters *f, const char *key, const char *source)
{
        if (filters_exact(f, key, source))
                return true;
        if (!f->regex)
                return false; /* not made by filters_parse: exact values only */
        return filters_regex_match(f, key, source);
}

bool filters_prefix(const struct filters *f, const char *key, const char *source)
{
        if (filters_exact(f, key, source))
                return true;
        for (size_t i = 0; i < filters_count(f, key); i++) {
                const char *p = filters_get(f, key, i);
                if (strncmp(source, p, strlen(p)) == 0)
                        return true;
        }
        return false;
}
