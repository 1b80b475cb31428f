/* container-mounts.h - a container's bind and tmpfs mounts from
 * HostConfig.Binds (-v), HostConfig.Mounts (--mount) and HostConfig.Tmpfs
 * (--tmpfs). Every form of a volume is refused until kedge has volumes. */
#pragma once

#include "base/err.h"

#include <jansson.h>

/* At create: every mount parses, bind sources given with --mount exist,
 * no two mounts share a target, and Config.Volumes (anonymous volumes,
 * -v /path) is empty. dockerd's messages where it has them. */
int container_mounts_check(const json_t *config, const json_t *hc, struct kerr *err);
/* At start: appends the OCI mounts (binds, then mounts, then tmpfs) to
 * mounts; creates a missing -v source directory as dockerd does. */
int container_mounts_add(json_t *mounts, const json_t *hc, struct kerr *err);
/* Inspect's Mounts: one {Type, Source, Destination, Mode, RW, Propagation}
 * per bind and --mount tmpfs. Returns a new array. */
json_t *container_mounts_inspect(const json_t *hc);
