/* container-mounts.h - a container's bind and tmpfs mounts from
 * HostConfig.Binds (-v), HostConfig.Mounts (--mount) and HostConfig.Tmpfs
 * (--tmpfs). Every form of a volume is refused until kedge has volumes. */
#pragma once

#include "base/err.h"

#include <jansson.h>
#include <stdbool.h>

/* At create: every mount parses, bind sources given with --mount exist,
 * no two mounts share a target, and Config.Volumes (anonymous volumes,
 * -v /path) names only targets of those mounts (docker-py lists them
 * there), or docker-py's mangled name of one (a warning). dockerd's messages where it has them. */
int container_mounts_check(const json_t *config, const json_t *hc, json_t *warnings,
                           struct kerr *err);
/* Whether a bind or tmpfs mount of hc has the target path (an image's or
 * docker-py's Config.Volumes entry that needs no volume). */
bool container_mounts_cover(const json_t *hc, const char *path);
/* At start: appends the OCI mounts (binds, then mounts, then tmpfs) to
 * mounts; creates a missing -v source directory as dockerd does. */
int container_mounts_add(json_t *mounts, const json_t *hc, struct kerr *err);
/* Inspect's Mounts: one {Type, Source, Destination, Mode, RW, Propagation}
 * per bind and --mount tmpfs. Returns a new array. */
json_t *container_mounts_inspect(const json_t *hc);
