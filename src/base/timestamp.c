#include "timestamp.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#define NS_PER_S 1000000000LL

static const struct {
        const char *name;
        int64_t ns;
} units[] = {
    {"ns", 1},
    {"us", 1000},
    {"\xc2\xb5s", 1000}, /* µs */
    {"\xce\xbcs", 1000},
    {"ms", 1000000},
    {"s", NS_PER_S},
    {"m", 60 * NS_PER_S},
    {"h", 3600 * NS_PER_S},
};

/* The longest unit name at p (so "ms" wins over "m"), or -1. */
static int unit_at(const char *p, size_t *ret_len)
{
        int best = -1;
        size_t best_len = 0;
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
                size_t n = strlen(units[i].name);
                if (n > best_len && strncmp(p, units[i].name, n) == 0) {
                        best = (int)i;
                        best_len = n;
                }
        }
        *ret_len = best_len;
        return best;
}

int timestamp_parse_duration(const char *s, int64_t *ret_ns)
{
        const char *p = s;
        bool neg = *p == '-';
        if (*p == '-' || *p == '+')
                p++;
        if (strcmp(p, "0") == 0) {
                *ret_ns = 0;
                return 0;
        }
        if (!*p)
                return -EINVAL;
        long double total = 0;
        while (*p) {
                long double v = 0, scale = 1;
                bool digits = false;
                for (; isdigit((unsigned char)*p); p++, digits = true)
                        v = v * 10 + (*p - '0');
                if (*p == '.')
                        for (p++; isdigit((unsigned char)*p); p++, digits = true)
                                v += (*p - '0') * (scale /= 10);
                size_t ulen;
                int u = digits ? unit_at(p, &ulen) : -1;
                if (u < 0)
                        return -EINVAL;
                total += v * (long double)units[u].ns;
                p += ulen;
        }
        if (total > (long double)INT64_MAX)
                return -EINVAL;
        *ret_ns = neg ? -(int64_t)total : (int64_t)total;
        return 0;
}

/* n decimal digits at *p, advancing it; -1 when they are not there. */
static int digits(const char **p, int n)
{
        int v = 0;
        for (int i = 0; i < n; i++, (*p)++) {
                if (!isdigit((unsigned char)**p))
                        return -1;
                v = v * 10 + (**p - '0');
        }
        return v;
}

/* [T]HH[:MM[:SS[.frac]]] after the date; fills tm and *frac_ns. */
static int parse_clock(const char **p, struct tm *tm, int64_t *frac_ns)
{
        if (**p != 'T')
                return 0;
        (*p)++;
        if ((tm->tm_hour = digits(p, 2)) < 0)
                return -EINVAL;
        int *next[] = {&tm->tm_min, &tm->tm_sec};
        for (size_t i = 0; i < 2 && **p == ':'; i++) {
                (*p)++;
                if ((*next[i] = digits(p, 2)) < 0)
                        return -EINVAL;
        }
        if (**p == '.') {
                int64_t scale = NS_PER_S;
                for ((*p)++; isdigit((unsigned char)**p); (*p)++)
                        if (scale > 1)
                                *frac_ns += (**p - '0') * (scale /= 10);
        }
        return 0;
}

/* YYYY-MM-DD[clock][Z|±HH:MM]; no zone means local time. */
static int parse_date(const char *s, int64_t *ret_ns)
{
        struct tm tm = {0};
        int64_t frac = 0;
        const char *p = s;
        int y = digits(&p, 4);
        if (y < 0 || *p++ != '-' || (tm.tm_mon = digits(&p, 2)) < 0 || *p++ != '-' ||
            (tm.tm_mday = digits(&p, 2)) < 0 || parse_clock(&p, &tm, &frac) < 0)
                return -EINVAL;
        tm.tm_year = y - 1900;
        tm.tm_mon -= 1;
        if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
            tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
                return -EINVAL;
        time_t t;
        if (*p == 'Z' || *p == 'z') {
                t = timegm(&tm);
                p++;
        } else if (*p == '+' || *p == '-') {
                int sign = *p++ == '-' ? -1 : 1;
                int hh = digits(&p, 2), mm = *p == ':' ? (p++, digits(&p, 2)) : -1;
                if (hh < 0 || mm < 0)
                        return -EINVAL;
                t = timegm(&tm) - sign * (hh * 3600 + mm * 60);
        } else {
                tm.tm_isdst = -1;
                t = mktime(&tm);
        }
        if (*p)
                return -EINVAL;
        *ret_ns = (int64_t)t * NS_PER_S + frac;
        return 0;
}

/* Unix seconds with an optional fraction. */
static int parse_unix(const char *s, int64_t *ret_ns)
{
        const char *p = s;
        bool neg = *p == '-';
        if (neg)
                p++;
        int64_t sec = 0, frac = 0, scale = NS_PER_S;
        if (!isdigit((unsigned char)*p))
                return -EINVAL;
        for (; isdigit((unsigned char)*p); p++) {
                if (sec > (INT64_MAX / NS_PER_S) / 10)
                        return -EINVAL;
                sec = sec * 10 + (*p - '0');
        }
        if (*p == '.')
                for (p++; isdigit((unsigned char)*p); p++)
                        if (scale > 1)
                                frac += (*p - '0') * (scale /= 10);
        if (*p)
                return -EINVAL;
        *ret_ns = (neg ? -1 : 1) * (sec * NS_PER_S + frac);
        return 0;
}

int timestamp_parse(const char *s, int64_t now_ns, int64_t *ret_ns)
{
        int64_t d;
        if (strcmp(s, "0") != 0 && timestamp_parse_duration(s, &d) == 0) {
                *ret_ns = now_ns - d;
                return 0;
        }
        if (parse_date(s, ret_ns) == 0)
                return 0;
        /* Anything with a '-' past its first character was meant as a date. */
        if (s[0] && strchr(s + 1, '-'))
                return -EINVAL;
        return parse_unix(s, ret_ns);
}

int64_t timestamp_now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
