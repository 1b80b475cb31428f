/* digest.h - sha256 content digests as Docker writes them:
 * "sha256:" followed by 64 lowercase hex digits. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define DIGEST_HEX_LEN 64
#define DIGEST_STR_LEN (7 + DIGEST_HEX_LEN) /* "sha256:" + hex */

struct digester; /* an incremental sha256 */

struct digester *digester_new(void);
struct digester *digester_free(struct digester *d);
void digester_update(struct digester *d, const void *data, size_t len);
/* Writes "sha256:<hex>" (DIGEST_STR_LEN + 1 bytes) and resets d. */
void digester_final(struct digester *d, char out[DIGEST_STR_LEN + 1]);

/* One-shot digest of a buffer. */
void digest_buffer(const void *data, size_t len, char out[DIGEST_STR_LEN + 1]);

/* True for "sha256:" + 64 lowercase hex digits. */
bool digest_valid(const char *s);
/* True for 64 lowercase hex digits (an ID without its algorithm). */
bool digest_hex_valid(const char *s, size_t len);

#include "base/cleanup.h"
DEFINE_CLEANUP(struct digester *, digester_free)
