/* caps.h - Linux capabilities by name, Docker's default set, and applying a
 * spec's sets to the calling process (no libcap: five syscalls suffice). */
#pragma once

#include "base/err.h"
#include "spec.h"

#include <stdint.h>

#define RT_CAP_BIT(n) (UINT64_C(1) << (n))

/* Docker's default capability set (moby oci/caps/defaults.go): every
 * capability a container keeps unless --cap-add/--cap-drop/--privileged. */
extern const char *const rt_caps_docker_default[];

/* "CAP_CHOWN" or "chown" (any case) -> 0; -1 when unknown. */
int rt_cap_from_name(const char *name);
/* 0 -> "CAP_CHOWN"; NULL past the table. */
const char *rt_cap_name(int cap);
/* Mask of rt_caps_docker_default. */
uint64_t rt_caps_docker_default_mask(void);

/* Drops from the bounding set every capability not in caps->bounding and
 * clears the ambient set. Call before changing uid (needs CAP_SETPCAP). */
int rt_caps_drop_bounding(const struct rt_caps *caps, struct kerr *err);
/* Sets effective/permitted/inheritable, then raises the ambient ones. Call
 * after setuid with PR_SET_KEEPCAPS. */
int rt_caps_apply(const struct rt_caps *caps, struct kerr *err);
