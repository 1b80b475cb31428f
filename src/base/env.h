/* env.h - the one rule for "the same variable" in KEY=value lists, as
 * dockerd's ReplaceOrAppendEnvValues: the key is everything before the
 * first '='. Used when a create body's Env is merged over the image's, and
 * when the container's Env is merged over the defaults of its process
 * (PATH, HOSTNAME, TERM). */
#pragma once

#include <jansson.h>

/* Returns a new array: defaults in their order, each replaced in place by
 * the override with the same key; overrides with a new key appended in
 * their order; an override with no '=' ("KEY") removes KEY from the
 * defaults and is not added itself. Non-strings are skipped. Never NULL. */
json_t *env_merge(const json_t *defaults, const json_t *overrides);
