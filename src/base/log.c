#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static _Atomic int current_level = LOG_LEVEL_INFO;

static const char *const level_names[LOG_LEVEL_MAX] = {"debug", "info", "warn", "error", "fatal"};

void log_set_level(enum log_level level)
{
        atomic_store(&current_level, (int)level);
}

enum log_level log_get_level(void)
{
        return (enum log_level)atomic_load(&current_level);
}

int log_level_parse(const char *s, enum log_level *ret_level)
{
        for (int i = 0; i < LOG_LEVEL_MAX; i++)
                if (strcmp(s, level_names[i]) == 0) {
                        *ret_level = (enum log_level)i;
                        return 0;
                }
        if (strcmp(s, "warning") == 0) {
                *ret_level = LOG_LEVEL_WARN;
                return 0;
        }
        return -EINVAL;
}

const char *log_level_name(enum log_level level)
{
        return level < LOG_LEVEL_MAX ? level_names[level] : "unknown";
}

__attribute__((format(printf, 3, 0))) static void log_va(enum log_level level, const char *suffix,
                                                         const char *fmt, va_list ap)
{
        if ((int)level < atomic_load(&current_level))
                return;
        char line[2048];
        struct timespec ts;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        int n = snprintf(line, sizeof(line),
                         "time=\"%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ\" level=%s msg=\"",
                         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                         tm.tm_sec, ts.tv_nsec / 1000, level_names[level]);
        if (n < 0 || (size_t)n >= sizeof(line))
                return;
        int m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
        if (m < 0)
                return;
        n = (size_t)(n + m) >= sizeof(line) ? (int)sizeof(line) - 1 : n + m;
        /* One write per line so concurrent threads do not interleave. */
        fprintf(stderr, "%.*s%s\"\n", n, line, suffix ? suffix : "");
}

void log_msg(enum log_level level, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        log_va(level, NULL, fmt, ap);
        va_end(ap);
}

int log_error_errno(int r, const char *fmt, ...)
{
        char suffix[256];
        snprintf(suffix, sizeof(suffix), ": %s", strerror(r < 0 ? -r : r));
        va_list ap;
        va_start(ap, fmt);
        log_va(LOG_LEVEL_ERROR, suffix, fmt, ap);
        va_end(ap);
        return r;
}
