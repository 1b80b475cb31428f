/* cgroup.h - a container's control group, on cgroup v1 or v2.
 *
 * The cgroup root is a parameter (/sys/fs/cgroup on a host, a fake tree in
 * tests). One backend per hierarchy version (cgroup-v1.c, cgroup-v2.c),
 * chosen by what the root holds, as crun splits them. */
#pragma once

#include "base/err.h"
#include "spec.h"

#include <sys/types.h>

struct rt_cgroup {
        int version; /* 1 or 2 */
        char *root;  /* e.g. /sys/fs/cgroup */
        char *path;  /* relative to each hierarchy, e.g. kedge/<id> */
};

/* 2 when root/cgroup.controllers exists (unified), else 1. */
int rt_cgroup_detect(const char *root);

/* Creates root/.../path (version 0 = detect) and applies res. On success
 * *ret owns copies of root and path; release with rt_cgroup_release. */
int rt_cgroup_create(const char *root, const char *path, int version,
                     const struct rt_resources *res, struct rt_cgroup *ret, struct kerr *err);
/* Moves pid into the group (every joined v1 hierarchy). */
int rt_cgroup_add(const struct rt_cgroup *cg, pid_t pid, struct kerr *err);
/* Removes the group's directories; missing ones are fine. Retries briefly
 * while the kernel still counts exiting tasks (EBUSY). */
int rt_cgroup_destroy(const struct rt_cgroup *cg, struct kerr *err);
void rt_cgroup_release(struct rt_cgroup *cg);
/* Removes path from every hierarchy mounted under root: the one directory
 * on v2; on v1 each hierarchy's, whoever made them (the built-in runtime
 * joins seven, runc every one mounted, the hybrid layout's "unified"
 * included). For the caller that cleans up after a runtime that died: the
 * group's tasks must be gone (EBUSY is retried briefly). Missing is fine. */
int rt_cgroup_remove_everywhere(const char *root, const char *path, struct kerr *err);
