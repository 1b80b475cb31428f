/* cgroup-internal.h - the backend seam between cgroup.c and cgroup-v{1,2}.c. */
#pragma once

#include "cgroup.h"

#include <stdbool.h>

struct rt_cgroup_ops {
        int (*create)(const struct rt_cgroup *cg, const struct rt_resources *res, struct kerr *err);
        int (*add)(const struct rt_cgroup *cg, pid_t pid, struct kerr *err);
        int (*destroy)(const struct rt_cgroup *cg, struct kerr *err);
};

extern const struct rt_cgroup_ops rt_cgroup_v1_ops;
extern const struct rt_cgroup_ops rt_cgroup_v2_ops;

/* Writes value to dir/file (creating it: fake trees have no files yet). */
int rt_cgroup_write(const char *dir, const char *file, const char *value, struct kerr *err);
int rt_cgroup_writef(const char *dir, const char *file, struct kerr *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
bool rt_cgroup_exists(const char *dir, const char *file);
/* mkdir -p dir. */
int rt_cgroup_mkdir(const char *dir, struct kerr *err);
/* rmdir dir, retrying on EBUSY; ENOENT is success. */
int rt_cgroup_rmdir(const char *dir, struct kerr *err);
