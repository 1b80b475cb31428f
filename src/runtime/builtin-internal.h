/* builtin-internal.h - the steps the container's child runs, by concern:
 * ns.c, mount.c, dev.c, process.c. All run in the child, before exec. */
#pragma once

#include "base/err.h"
#include "spec.h"

#include <stdbool.h>

/* Sends a warning to the parent (e.g. a clamped rlimit); never fails. */
void rt_child_warn(int sync_fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ns.c: joins namespaces given by path, sets hostname/domainname, brings
 * loopback up in a new network namespace. */
int rt_ns_join_paths(const struct rt_spec *spec, struct kerr *err);
int rt_ns_setup(const struct rt_spec *spec, struct kerr *err);
/* CLONE_NEW* flags for the namespaces the spec creates (not joins),
 * excluding cgroup, which the child unshares once in its cgroup. */
unsigned long rt_ns_clone_flags(const struct rt_spec *spec);

/* mount.c: the root (overlay or bind), the spec's mounts, /dev, pivot_root,
 * masked and read-only paths, a read-only root. */
int rt_mount_setup(const struct rt_spec *spec, struct kerr *err);

/* dev.c: device nodes and links in rootfd's tmpfs /dev. */
int rt_dev_populate(int rootfd, struct kerr *err);
/* Opens a pty from the container's /dev/ptmx: the slave becomes 0,1,2 and
 * the controlling terminal; *ret_master goes to the parent. */
int rt_dev_open_pty(const struct rt_spec *spec, int *ret_master, struct kerr *err);

/* process.c */
int rt_process_stdio(const int stdio[3], struct kerr *err);
int rt_process_rlimits(const struct rt_spec *spec, int sync_fd, struct kerr *err);
/* Finds the executable in the container's PATH; runc's words on failure. */
int rt_process_lookup(const struct rt_spec *spec, char **ret_path, struct kerr *err);
/* Drops privileges, closes every fd but 0,1,2 and keep_fd, execs. Returns
 * only on failure. */
int rt_process_exec(const struct rt_spec *spec, const char *path, int keep_fd, struct kerr *err);
