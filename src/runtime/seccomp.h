/* seccomp.h - the seam for the spec's seccomp filter (linux.seccomp).
 * Docker's default profile and its enforcement are a later issue; until
 * then a spec that carries a filter fails to start (never runs without
 * it), and rt_seccomp_supported is false, so /info claims no profile and
 * the engine refuses --security-opt seccomp=<profile>. */
#pragma once

#include "base/err.h"
#include "spec.h"

#include <stdbool.h>

bool rt_seccomp_supported(void);
/* Loads spec->seccomp_json into the calling process; last step before
 * exec. No filter in the spec: nothing to do; a filter: not supported
 * yet, an error. */
int rt_seccomp_apply(const struct rt_spec *spec, struct kerr *err);
