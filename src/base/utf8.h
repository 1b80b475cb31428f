/* utf8.h - UTF-8 checks for text that comes from data (command paths,
 * file names, registry messages) on its way into messages and JSON, which
 * must carry valid UTF-8 (RFC 8259; jansson refuses anything else). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* True when s[0, n) is well-formed UTF-8 (RFC 3629: no overlong forms,
 * no surrogates, nothing past U+10FFFF). */
bool utf8_valid(const char *s, size_t n);

/* The largest length <= n that does not end inside a multi-byte
 * character: where to cut s so that a valid string stays valid. */
size_t utf8_cut(const char *s, size_t n);

/* A new NUL-terminated copy of s[0, n) in which every byte that is not part
 * of a well-formed character (and every NUL) is replaced by U+FFFD, as Go's
 * encoding/json does. Never NULL (aborts on out-of-memory only). */
char *utf8_sanitize(const char *s, size_t n);
