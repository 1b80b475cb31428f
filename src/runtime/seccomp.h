/* seccomp.h - the seam for the spec's seccomp filter (linux.seccomp).
 * Docker's default profile and its enforcement are the isolation follow-up;
 * until then a spec that carries a filter runs without one, and
 * rt_seccomp_supported says so, so callers can warn. */
#pragma once

#include "base/err.h"
#include "spec.h"

#include <stdbool.h>

bool rt_seccomp_supported(void);
/* Loads spec->seccomp_json into the calling process; last step before
 * exec. No filter in the spec: nothing to do. */
int rt_seccomp_apply(const struct rt_spec *spec, struct kerr *err);
