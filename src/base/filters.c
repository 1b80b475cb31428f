#include "filters.h"

#include "buf.h"
#include "cleanup.h"
#include "json.h"
#include "timestamp.h"

#include <ctype.h>
#include <errno.h>
#include <regex.h>
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

int filters_parse(const char *s, const char *const *allowed, struct filters *ret,
                  struct kerr *err)
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
                                return kerr_set(err, KERR_INVALID, EINVAL, "invalid filter '%s'", k);
                        json_t *vals = values_of(k, v, &total, err);
                        if (!vals)
                                return -EINVAL;
                        json_object_set_new(map, k, vals);
                }
        }
        ret->map = TAKE_PTR(map);
        return 0;
}

void filters_release(struct filters *f)
{
        json_decref(f->map);
        f->map = NULL;
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
                return filters_count(f, key) ? invalid_values(f, key, err)
                                             : kerr_set(err, KERR_INVALID, EINVAL,
                                                        "invalid filter '%s'", key);
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
                return kerr_set(err, KERR_INVALID, EINVAL, "more than one %s filter specified", key);
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

/* The end of a bracket expression starting at p ('['), or NULL. */
static const char *bracket_end(const char *p)
{
        p++;
        if (*p == '^')
                p++;
        if (*p == ']')
                p++; /* a ']' first is a member */
        for (; *p && *p != ']'; p++)
                if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
                        const char *close = strstr(p + 2, (char[]){p[1], ']', 0});
                        if (!close)
                                return NULL;
                        p = close + 1;
                }
        return *p ? p : NULL;
}

#define REGEX_MAX_SIZE 1000
#define REGEX_MAX_DEPTH 32

/* Whether the pattern, with its counted repetitions unrolled, stays small:
 * glibc compiles ((a{1,100}){1,100}){1,100} into millions of states
 * (seconds and gigabytes per request), where Go's RE2, whose semantics
 * these filters have, refuses such an expression ("expression too large"),
 * so it matches only exactly there too. */
static bool regex_small(const char *p)
{
        unsigned long size[REGEX_MAX_DEPTH + 1] = {0}, last = 0;
        int depth = 0;
        for (; *p; p++) {
                if (*p == '(') {
                        if (++depth > REGEX_MAX_DEPTH)
                                return false;
                        size[depth] = 0;
                        continue;
                }
                if (*p == ')' && depth > 0) {
                        last = size[depth--];
                        size[depth] += last;
                        continue;
                }
                if (*p == '{') {
                        char *end;
                        unsigned long m = strtoul(p + 1, &end, 10), n = m;
                        if (*end == ',')
                                n = isdigit((unsigned char)end[1]) ? strtoul(end + 1, &end, 10)
                                                                    : (end++, m);
                        if (*end == '}' && end > p + 1) {
                                if (m > REGEX_MAX_SIZE || n > REGEX_MAX_SIZE)
                                        return false;
                                unsigned long max = m > n ? m : n;
                                size[depth] += last * (max - (max ? 1 : 0));
                                /* A repetition right after applies to all
                                 * of it: a{1,100}{1,100}{1,100} is 10^6. */
                                last *= max ? max : 1;
                                p = end;
                                if (size[depth] > REGEX_MAX_SIZE || last > REGEX_MAX_SIZE)
                                        return false;
                                continue;
                        }
                }
                if (*p == '+') {
                        /* glibc compiles e+ as e e*, copying e: each '+'
                         * of a++++ doubles what the next one copies. */
                        size[depth] += last;
                        last *= 2;
                        if (size[depth] > REGEX_MAX_SIZE || last > REGEX_MAX_SIZE)
                                return false;
                        continue;
                }
                if (*p == '*' || *p == '?')
                        continue; /* wrapped, not copied */
                if (*p == '[') {
                        const char *e = bracket_end(p);
                        p = e ? e : p;
                } else if (*p == '\\' && p[1])
                        p++;
                last = 1;
                size[depth]++;
        }
        return size[0] <= REGEX_MAX_SIZE;
}

static bool regex_matches(const char *pattern, const char *source)
{
        if (!regex_small(pattern))
                return false;
        /* Go's RE2 has no back-references (such a pattern fails to compile
         * and matches only exactly); glibc's would, in exponential time a
         * client could ask for. */
        for (const char *p = strchr(pattern, '\\'); p; p = strchr(p + 2, '\\')) {
                if (p[1] >= '1' && p[1] <= '9')
                        return false;
                if (!p[1])
                        break;
        }
        regex_t re;
        if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
                return false;
        bool m = regexec(&re, source, 0, NULL, 0) == 0;
        regfree(&re);
        return m;
}

bool filters_match(const struct filters *f, const char *key, const char *source)
{
        if (filters_exact(f, key, source))
                return true;
        for (size_t i = 0; i < filters_count(f, key); i++)
                if (regex_matches(filters_get(f, key, i), source))
                        return true;
        return false;
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
