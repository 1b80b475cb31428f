/* version.h - API version prefixes (/vX.Y/...) and negotiation. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct api_version {
        int major, minor;
};

/* The highest API version whose behaviour kedge implements for every
 * endpoint it serves; raise it only when that stays true. */
#define API_VERSION_CURRENT     ((struct api_version){1, 51})
#define API_VERSION_MIN         ((struct api_version){1, 24})
#define API_VERSION_CURRENT_STR "1.51"
#define API_VERSION_MIN_STR     "1.24"

/* Parses "X.Y" (digits only, each part at most 4 digits) of length n.
 * Returns 0 or -EINVAL. */
int api_version_parse(const char *s, size_t n, struct api_version *ret);

int api_version_cmp(struct api_version a, struct api_version b);

/* Splits "/v1.32/containers/json" into version {1,32} and the rest
 * "/containers/json". A path without a well-formed prefix is returned whole
 * with *ret_versioned false. The effective version is min(requested,
 * current); an unversioned path means current. Never fails. */
void api_path_split(const char *url, struct api_version *ret_version, bool *ret_versioned,
                    const char **ret_rest);

/* True when the effective version of a request is at least major.minor. */
static inline bool api_version_at_least(struct api_version v, int major, int minor)
{
        return v.major > major || (v.major == major && v.minor >= minor);
}
