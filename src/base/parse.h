/* parse.h - checked number parsing, like systemd's safe_atou: the whole
 * string must be a number in range, so "1x0", "", " 5" or "99999999999"
 * are errors instead of a silent 0 or a truncated value.
 *
 * Each returns 0 and writes *ret only on success, -EINVAL for text that is
 * not a number in the given base form, -ERANGE for a number out of range. */
#pragma once

#include <stdint.h>

/* Decimal digits only: no sign, no spaces, no "0x". */
int parse_uint32(const char *s, uint32_t *ret);
int parse_uint64(const char *s, uint64_t *ret);
/* An optional '-' then decimal digits. */
int parse_int64(const char *s, int64_t *ret);
/* parse_int64 limited to [min, max]. */
int parse_int64_range(const char *s, int64_t min, int64_t max, int64_t *ret);
/* A pid file's text: a positive pid, optionally followed by one newline
 * (runc writes none, kedge's shim one). */
int parse_pid(const char *s, int *ret);
