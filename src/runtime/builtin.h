/* builtin.h - the built-in runtime: runs one OCI spec's process in new
 * namespaces on its own root, with no other runtime exec'd.
 *
 * Two steps, as OCI's create/start:
 *   rt_builtin_create  clones the process, joins it to its cgroup, builds
 *                      its root (pivot_root, /proc, /dev, mounts), resolves
 *                      the executable, and leaves it waiting just before
 *                      dropping privileges;
 *   rt_builtin_start   lets it drop privileges and exec. An exec failure
 *                      (e.g. `exec: "x": executable file not found in $PATH`)
 *                      comes back as the error, and the process exits 127.
 * The caller owns the child: it reaps it (waitpid) and calls
 * rt_builtin_cleanup once it has exited. The calling process must be
 * single-threaded (the child is a raw clone of it). */
#pragma once

#include "base/err.h"
#include "cgroup.h"
#include "spec.h"

#include <sys/types.h>

struct rt_builtin_opts {
        /* For a process without a terminal: fds that become its 0, 1, 2
         * (borrowed; the caller closes its copies after create). */
        int stdio[3];
        /* cgroup hierarchy root, NULL = /sys/fs/cgroup. */
        const char *cgroup_root;
        /* Group path below each hierarchy; NULL = spec's linux.cgroupsPath;
         * both NULL = no cgroup of its own. */
        const char *cgroup_path;
};

#define RT_BUILTIN_WARNINGS_MAX 8

struct rt_builtin {
        pid_t pid;               /* the container's init, in the caller's pid namespace */
        int sync_fd;             /* the caller's end of the setup channel, until started */
        int pty_master;          /* terminal: the master of the pty the process runs on */
        struct rt_cgroup cgroup; /* .path NULL when none */
        int n_warnings;
        char *warnings[RT_BUILTIN_WARNINGS_MAX]; /* e.g. clamped rlimits */
};

/* On failure the child has been killed and reaped and its cgroup removed. */
int rt_builtin_create(const struct rt_spec *spec, const struct rt_builtin_opts *opts,
                      struct rt_builtin *ret, struct kerr *err);
/* On failure the child is exiting; the caller still reaps it. */
int rt_builtin_start(struct rt_builtin *c, struct kerr *err);
/* After the child has been reaped: removes its cgroup. */
int rt_builtin_cleanup(struct rt_builtin *c, struct kerr *err);
/* Closes fds and frees; kills nothing. */
void rt_builtin_release(struct rt_builtin *c);
