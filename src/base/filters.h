/* filters.h - the `filters` query parameter of list and prune endpoints:
 * the one filter engine every endpoint uses (moby's filters.Args).
 *
 * Docker clients send it in two JSON shapes and both must work: a map of
 * lists {"label":["a=b"]} (docker-py, docker-java) and a map of maps
 * {"label":{"a=b":true}} (Go clients; the inner booleans are ignored, as
 * moby's Get and WalkValues ignore them). Each key's values form a set
 * (duplicates collapse). An endpoint passes the NULL-terminated list of
 * keys it understands; any other key is KERR_INVALID "invalid filter 'x'".
 *
 * The matchers below have moby's semantics: a key that is absent (or has
 * no values) matches everything. What a key means for an endpoint (which
 * record field it is matched against) is the endpoint's business: see
 * engine/container/container-list.c and engine/image/. */
#pragma once

#include "err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bounds the work a request can ask for (values are matched per record). */
#define FILTERS_MAX_VALUES   256
#define FILTERS_REGEX_BUDGET 2000 /* states, all expressions of a request */

struct filters_regex;

struct filters {
        json_t *map; /* key -> array of distinct strings; never NULL after parse */
        /* filters_match's expressions, compiled once per request (a list
         * would otherwise compile each value once per record); the object
         * is used by one thread, as a request is. */
        struct filters_regex **regex;
};

/* Parses s (NULL or "" = no filters). allowed is a NULL-terminated list of
 * the keys this endpoint understands. ret is written only on success. */
int filters_parse(const char *s, const char *const *allowed, struct filters *ret, struct kerr *err);
void filters_release(struct filters *f);

/* Whether key was given (even with no values). */
bool filters_contains(const struct filters *f, const char *key);
size_t filters_count(const struct filters *f, const char *key);
/* Value i of key (borrowed), or NULL. */
const char *filters_get(const struct filters *f, const char *key, size_t i);

/* A boolean filter (dangling=true, is-task=1): -1 when absent, else 0/1.
 * Values other than true/false/1/0, or both a true and a false value, are
 * KERR_INVALID "invalid filter 'key=[v ...]'" (moby's GetBoolOrDefault). */
int filters_bool(const struct filters *f, const char *key, int *ret, struct kerr *err);

/* One time value (prune's until): *ret_ns = -1 when absent. More than one
 * value is KERR_INVALID "more than one until filter specified"; a value
 * base/timestamp cannot read is KERR_INVALID with Go's wording. */
int filters_time(const struct filters *f, const char *key, int64_t now_ns, int64_t *ret_ns,
                 struct kerr *err);
/* The message moby gives for a time value it cannot parse. */
int filters_time_error(const char *value, struct kerr *err);

/* Whether labels (an object of string values; may be NULL) hold every value
 * of key: "name" (present with any value) or "name=value" (moby's
 * MatchKVList). An absent key matches; a present key never matches an
 * object without labels. */
bool filters_match_labels(const struct filters *f, const char *key, const json_t *labels);
/* Prune's rule: every "label" value holds and, when "label!" is given, not
 * every "label!" value holds (moby's matchLabels in daemon/prune.go). */
bool filters_match_prune_labels(const struct filters *f, const json_t *labels);

/* source equals one of key's values (moby's ExactMatch). */
bool filters_exact(const struct filters *f, const char *key, const char *source);
/* source equals one of key's values or one of them, as an unanchored
 * extended regular expression, matches it; a value that is no valid
 * expression matches only exactly (moby's Match, whose Go RE2 syntax POSIX
 * ERE approximates). As RE2 has no back-references and bounds counted
 * repetitions, such values are no expressions here either, and a request's
 * expressions together unroll to at most FILTERS_REGEX_BUDGET states: the
 * time a request can cost stays bounded (filters-regex.c). */
bool filters_match(const struct filters *f, const char *key, const char *source);
/* source equals one of key's values or starts with one (FuzzyMatch). */
bool filters_prefix(const struct filters *f, const char *key, const char *source);
