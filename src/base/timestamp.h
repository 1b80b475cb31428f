/* timestamp.h - the time values Docker accepts in filters such as prune's
 * `until` and events' since/until (moby api/types/time GetTimestamp):
 *
 *   - a Go duration, relative to now: "24h", "1h30m", "1.5h", "90s", "-5m"
 *     ("0" alone is not a duration but Unix time 0);
 *   - a date or RFC 3339 time: "2024-01-02", "2024-01-02T15", "2024-01-02T15:04",
 *     "2024-01-02T15:04:05.123Z", "...+02:00"; without a zone it is local time;
 *   - Unix seconds with optional nanoseconds: "1700000000", "1700000000.5".
 *
 * Returns 0 and the time in nanoseconds since the epoch, or -EINVAL. */
#pragma once

#include <stdint.h>

int timestamp_parse(const char *s, int64_t now_ns, int64_t *ret_ns);

/* A Go duration ("1h30m", "-1.5s", "300ms") in nanoseconds, or -EINVAL. */
int timestamp_parse_duration(const char *s, int64_t *ret_ns);

/* The wall clock (CLOCK_REALTIME) in nanoseconds since the epoch: the one
 * clock records and filters compare with. */
int64_t timestamp_now_ns(void);
