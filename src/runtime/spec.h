/* spec.h - the OCI runtime spec (config.json) as the built-in runtime reads it.
 *
 * The engine writes one config.json per container (whichever runtime runs
 * it); rt_spec_parse turns it into a struct rt_spec that owns all of its
 * strings. Unknown fields are ignored, as runc ignores them; fields of the
 * wrong type are an invalid error naming the field. */
#pragma once

#include "base/err.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Annotations kedge's engine adds for the built-in runtime. runc ignores
 * them and expects root.path to be mounted already. With them the built-in
 * runtime mounts the overlay inside the container's own mount namespace, so
 * a dead container leaves no mount behind on the host. */
#define RT_ANNOTATION_LOWERDIRS "org.kedge.rootfs.lowerdirs" /* "a:b:c", topmost first */
#define RT_ANNOTATION_UPPERDIR  "org.kedge.rootfs.upperdir"
#define RT_ANNOTATION_WORKDIR   "org.kedge.rootfs.workdir"

#define RT_SPEC_MAX_BYTES (4u << 20)

enum rt_ns_type {
        RT_NS_MOUNT,
        RT_NS_PID,
        RT_NS_UTS,
        RT_NS_IPC,
        RT_NS_NET,
        RT_NS_CGROUP,
        RT_NS_USER,
        RT_NS_TYPE_MAX,
};

struct rt_namespace {
        bool enabled;
        char *path; /* join this namespace instead of creating one (setns) */
};

struct rt_rlimit {
        int resource; /* RLIMIT_* */
        uint64_t soft, hard;
};

struct rt_mount {
        char *destination;
        char *type; /* may be NULL ("bind" implied by options) */
        char *source;
        unsigned long flags;       /* MS_* from options */
        unsigned long propagation; /* MS_PRIVATE/MS_SLAVE/MS_SHARED(|MS_REC), or 0 */
        bool bind, recursive;
        bool recursive_ro; /* "rro": read-only down to every submount */
        char *data;        /* the options the kernel parses, comma joined */
};

/* Capability sets as bit masks over CAP_* numbers. */
struct rt_caps {
        uint64_t bounding, effective, permitted, inheritable, ambient;
};

/* linux.resources.devices[]: one devices-cgroup rule. */
enum rt_dev_access {
        RT_DEV_READ = 1 << 0,
        RT_DEV_WRITE = 1 << 1,
        RT_DEV_MKNOD = 1 << 2,
        RT_DEV_ALL = RT_DEV_READ | RT_DEV_WRITE | RT_DEV_MKNOD,
};

struct rt_device_rule {
        bool allow;
        char type;            /* 'a' (every type), 'c' or 'b' */
        int64_t major, minor; /* -1 = any ("*") */
        unsigned access;      /* enum rt_dev_access bits */
};

struct rt_resources {
        int64_t memory_limit;       /* bytes; 0 = unset */
        int64_t memory_reservation; /* bytes; 0 = unset */
        int64_t memory_swap;        /* memory+swap bytes, -1 unlimited; 0 = unset */
        uint64_t cpu_shares;        /* 0 = unset */
        int64_t cpu_quota;          /* us; 0 = unset */
        uint64_t cpu_period;        /* us; 0 = unset */
        int64_t pids_limit;         /* 0 = unset, -1 unlimited */
        /* devices_set: the spec carries linux.resources.devices (even an
         * empty list), and the runtime then owns the device policy (see
         * devices.h); unset leaves the parent group's policy. */
        bool devices_set;
        struct rt_device_rule *devices;
        size_t n_devices;
};

struct rt_process {
        char **args; /* NULL terminated, at least one */
        char **env;  /* NULL terminated */
        char *cwd;
        uid_t uid;
        gid_t gid;
        gid_t *additional_gids;
        size_t n_additional_gids;
        bool terminal;
        unsigned short console_rows, console_cols;
        bool no_new_privileges;
        struct rt_rlimit *rlimits;
        size_t n_rlimits;
        bool has_caps; /* false: every set empty */
        struct rt_caps caps;
        char *apparmor_profile; /* parsed, not applied */
};

struct rt_spec {
        struct rt_process process;
        char *root_path; /* absolute (resolved against the bundle) */
        bool root_readonly;
        char *hostname;
        char *domainname;
        struct rt_mount *mounts;
        size_t n_mounts;
        struct rt_namespace ns[RT_NS_TYPE_MAX];
        char *cgroups_path; /* linux.cgroupsPath, may be NULL */
        struct rt_resources resources;
        char **masked_paths;
        char **readonly_paths;
        char *seccomp_json; /* linux.seccomp serialised; applied by seccomp.c */
        char *rootfs_propagation;
        /* overlay root from annotations; lowerdirs NULL = plain directory root */
        char *lowerdirs, *upperdir, *workdir;
};

/* Parses the JSON text of a config.json. bundle resolves a relative
 * root.path. Fills *ret (caller releases it with rt_spec_release) only on
 * success. */
int rt_spec_parse(const char *json, size_t len, const char *bundle, struct rt_spec *ret,
                  struct kerr *err);
/* Reads bundle/config.json and parses it. */
int rt_spec_load(const char *bundle, struct rt_spec *ret, struct kerr *err);
void rt_spec_release(struct rt_spec *spec);

/* Name <-> value tables, shared with the engine that writes specs. */
int rt_ns_type_from_name(const char *name); /* -1 if unknown */
const char *rt_ns_type_name(enum rt_ns_type type);
int rt_rlimit_from_name(const char *name); /* "RLIMIT_NOFILE" -> RLIMIT_NOFILE */
