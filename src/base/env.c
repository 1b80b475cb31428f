/* env.c - KEY=value list merging (env.h). */
#include "env.h"

#include <stdbool.h>
#include <string.h>

static size_t key_len(const char *s)
{
        return strcspn(s, "=");
}

static bool same_key(const char *a, const char *b, size_t blen)
{
        return key_len(a) == blen && strncmp(a, b, blen) == 0;
}

json_t *env_merge(const json_t *defaults, const json_t *overrides)
{
        json_t *out = json_array();
        size_t i, j;
        json_t *v, *o;
        json_array_foreach(defaults, i, v)
        {
                if (json_is_string(v))
                        json_array_append(out, v);
        }
        json_array_foreach(overrides, j, o)
        {
                const char *s = json_string_value(o);
                if (!s)
                        continue;
                size_t klen = key_len(s);
                bool unset = s[klen] != '=', found = false;
                for (i = 0; i < json_array_size(out);) {
                        if (!same_key(json_string_value(json_array_get(out, i)), s, klen)) {
                                i++;
                                continue;
                        }
                        if (unset || found) {
                                json_array_remove(out, i);
                                continue;
                        }
                        json_array_set(out, i++, o);
                        found = true;
                }
                if (!found && !unset)
                        json_array_append(out, o);
        }
        return out;
}
