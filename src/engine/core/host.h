/* host.h - facts about the host the engine runs on: what `docker info`
 * reports and what the doctor checks. Probed once at start. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define HOST_WARNINGS_MAX 16

struct host_cgroup {
        int version;            /* 1 or 2 */
        bool memory, cpu, pids; /* controllers available to containers */
        bool swap;              /* memory+swap limits (v1 memsw / v2 swap.max) */
        bool cpu_cfs;           /* cfs quota/period */
};

struct host_info {
        int ncpu;
        int64_t mem_total; /* bytes */
        char kernel_version[128];
        char operating_system[256];
        char os_version[64];
        char architecture[65]; /* uname machine, e.g. x86_64 (utsname: 65) */
        char hostname[256];
        struct host_cgroup cgroup;
        bool overlay;         /* overlayfs usable (host_filesystem_probe) */
        bool seccomp;         /* kernel has seccomp filters */
        bool seccomp_profile; /* kedge applies a seccomp profile: set by engine.c
                               * from runtime/seccomp.h, which core/ cannot see */
        bool userns;          /* unprivileged user namespaces enabled */
        bool root;            /* running as uid 0 */
        bool ipv4_forwarding;
        int nwarnings;
        char *warnings[HOST_WARNINGS_MAX];
};

/* Fills info from the live host (/proc, /sys/fs/cgroup, uname). */
void host_info_probe(struct host_info *info);
void host_info_release(struct host_info *info);

/* Whether the kernel can mount fstype: listed in proc_root/filesystems,
 * or loadable: fsopen(2) makes the kernel load the module (a fresh host
 * lists overlay only after its first use) without mounting anything. When
 * fsopen cannot tell (no such syscall, not permitted), the module file at
 * module_path (.ko, .ko.xz or .ko.zst) counts. */
bool host_filesystem_probe(const char *proc_root, const char *fstype, const char *module_path);

/* Probes the cgroup tree mounted at root (/sys/fs/cgroup on a real host; a
 * fake tree in tests). v2 when root/cgroup.controllers exists, else v1. */
void host_cgroup_probe(const char *root, struct host_cgroup *ret);
