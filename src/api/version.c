#include "version.h"

#include <errno.h>
#include <string.h>

static int parse_part(const char *s, size_t n, int *ret)
{
        if (n == 0 || n > 4)
                return -EINVAL;
        int v = 0;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                v = v * 10 + (s[i] - '0');
        }
        *ret = v;
        return 0;
}

int api_version_parse(const char *s, size_t n, struct api_version *ret)
{
        const char *dot = memchr(s, '.', n);
        if (!dot)
                return -EINVAL;
        struct api_version v;
        if (parse_part(s, (size_t)(dot - s), &v.major) < 0 ||
            parse_part(dot + 1, n - (size_t)(dot - s) - 1, &v.minor) < 0)
                return -EINVAL;
        *ret = v;
        return 0;
}

int api_version_cmp(struct api_version a, struct api_version b)
{
        if (a.major != b.major)
                return a.major < b.major ? -1 : 1;
        if (a.minor != b.minor)
                return a.minor < b.minor ? -1 : 1;
        return 0;
}

void api_path_split(const char *url, struct api_version *ret_version, bool *ret_versioned,
                    const char **ret_rest)
{
        *ret_version = API_VERSION_CURRENT;
        *ret_versioned = false;
        *ret_rest = url;
        if (url[0] != '/' || url[1] != 'v')
                return;
        const char *end = strchr(url + 2, '/');
        size_t n = end ? (size_t)(end - (url + 2)) : strlen(url + 2);
        struct api_version v;
        if (api_version_parse(url + 2, n, &v) < 0)
                return;
        /* Every well-formed version is accepted (clients pin old ones); the
         * reply follows min(requested, current). */
        *ret_version = api_version_cmp(v, API_VERSION_CURRENT) > 0 ? API_VERSION_CURRENT : v;
        *ret_versioned = true;
        *ret_rest = end ? end : "/";
}
