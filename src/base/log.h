/* log.h - leveled logging to stderr. Only programs (daemon, shim, helper)
 * and api/ log above debug level; libraries return errors instead. */
#pragma once

#include <stdbool.h>

enum log_level {
        LOG_LEVEL_DEBUG,
        LOG_LEVEL_INFO,
        LOG_LEVEL_WARN,
        LOG_LEVEL_ERROR,
        LOG_LEVEL_FATAL,
        LOG_LEVEL_MAX,
};

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parses dockerd's names: debug, info, warn, error, fatal. Returns -EINVAL. */
int log_level_parse(const char *s, enum log_level *ret_level);
const char *log_level_name(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Logs "msg: strerror(-r)" at error level and returns r. */
int log_error_errno(int r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
