/* parse.c - checked number parsing (parse.h). strtoull alone accepts
 * leading spaces, a sign that wraps ("-1" as ULLONG_MAX) and trailing junk;
 * the checks here refuse all three. */
#include "parse.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static bool all_digits(const char *s)
{
        if (!*s)
                return false;
        for (; *s; s++)
                if (*s < '0' || *s > '9')
                        return false;
        return true;
}

int parse_uint64(const char *s, uint64_t *ret)
{
        if (!s || !all_digits(s))
                return -EINVAL;
        errno = 0;
        char *end;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        if (*end)
                return -EINVAL;
        *ret = v;
        return 0;
}

int parse_uint32(const char *s, uint32_t *ret)
{
        uint64_t v;
        int r = parse_uint64(s, &v);
        if (r < 0)
                return r;
        if (v > UINT32_MAX)
                return -ERANGE;
        *ret = (uint32_t)v;
        return 0;
}

int parse_int64(const char *s, int64_t *ret)
{
        return parse_int64_range(s, INT64_MIN, INT64_MAX, ret);
}

int parse_int64_range(const char *s, int64_t min, int64_t max, int64_t *ret)
{
        if (!s)
                return -EINVAL;
        bool neg = s[0] == '-';
        uint64_t mag;
        int r = parse_uint64(s + neg, &mag);
        if (r < 0)
                return r;
        int64_t v;
        if (neg) {
                if (mag > (uint64_t)INT64_MAX + 1)
                        return -ERANGE;
                v = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
        } else {
                if (mag > (uint64_t)INT64_MAX)
                        return -ERANGE;
                v = (int64_t)mag;
        }
        if (v < min || v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

int parse_pid(const char *s, int *ret)
{
        if (!s)
                return -EINVAL;
        size_t n = strcspn(s, "\n");
        if (s[n] == '\n' && s[n + 1] != 0)
                return -EINVAL;
        char buf[24];
        if (n == 0 || n >= sizeof(buf))
                return n ? -ERANGE : -EINVAL;
        memcpy(buf, s, n);
        buf[n] = 0;
        int64_t v;
        int r = parse_int64_range(buf, 1, INT32_MAX, &v);
        if (r < 0)
                return r;
        *ret = (int)v;
        return 0;
}
