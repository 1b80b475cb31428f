/* cgroup-v1.c - one directory per controller hierarchy (root/<ctrl>/path). */
#include "cgroup-internal.h"

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "devices.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

/* Hierarchies a container joins. cpuset is left out: a new cpuset group
 * starts with no cpus and would refuse the task until both masks are
 * copied down; the container inherits its parent's cpuset instead. */
static const char *const controllers[] = {
    "memory", "cpu", "cpuacct", "pids", "blkio", "freezer", "devices",
};

static char *dir_of(const struct rt_cgroup *cg, const char *ctrl)
{
        return xasprintf("%s/%s/%s", cg->root, ctrl, cg->path);
}

static bool mounted(const struct rt_cgroup *cg, const char *ctrl)
{
        return rt_cgroup_exists(cg->root, ctrl);
}

static int set_memory(const struct rt_cgroup *cg, const struct rt_resources *res, struct kerr *err)
{
        _cleanup_free_ char *dir = dir_of(cg, "memory");
        _cleanup_free_ char *top = xasprintf("%s/memory", cg->root);
        int r = 0;
        if (res->memory_limit)
                r = rt_cgroup_writef(dir, "memory.limit_in_bytes", err, "%" PRId64,
                                     res->memory_limit);
        if (r >= 0 && res->memory_reservation)
                r = rt_cgroup_writef(dir, "memory.soft_limit_in_bytes", err, "%" PRId64,
                                     res->memory_reservation);
        /* memsw exists only with swap accounting on (swapaccount=1); its
         * absence is what `docker info` reports as "No swap limit support". */
        if (r >= 0 && res->memory_swap && rt_cgroup_exists(top, "memory.memsw.limit_in_bytes"))
                r = rt_cgroup_writef(dir, "memory.memsw.limit_in_bytes", err, "%" PRId64,
                                     res->memory_swap);
        return r;
}

static int set_cpu(const struct rt_cgroup *cg, const struct rt_resources *res, struct kerr *err)
{
        _cleanup_free_ char *dir = dir_of(cg, "cpu");
        int r = 0;
        if (res->cpu_shares)
                r = rt_cgroup_writef(dir, "cpu.shares", err, "%" PRIu64, res->cpu_shares);
        /* The period first: a quota is checked against the current period. */
        if (r >= 0 && res->cpu_period)
                r = rt_cgroup_writef(dir, "cpu.cfs_period_us", err, "%" PRIu64, res->cpu_period);
        if (r >= 0 && res->cpu_quota)
                r = rt_cgroup_writef(dir, "cpu.cfs_quota_us", err, "%" PRId64, res->cpu_quota);
        return r;
}

static int set_pids(const struct rt_cgroup *cg, const struct rt_resources *res, struct kerr *err)
{
        _cleanup_free_ char *dir = dir_of(cg, "pids");
        if (res->pids_limit > 0)
                return rt_cgroup_writef(dir, "pids.max", err, "%" PRId64, res->pids_limit);
        if (res->pids_limit < 0)
                return rt_cgroup_write(dir, "pids.max", "max", err);
        return 0;
}

/* Rule by rule, in order: "a" to devices.deny first empties the group's
 * list and makes deny its default. */
static int set_devices(const struct rt_cgroup *cg, const struct rt_resources *res, struct kerr *err)
{
        _cleanup_free_ char *dir = dir_of(cg, "devices");
        size_t n;
        _cleanup_free_ struct rt_device_rule *rules = rt_devices_effective(res, &n);
        for (size_t i = 0; i < n; i++) {
                char line[64];
                const char *file;
                rt_devices_v1_line(&rules[i], line, sizeof(line), &file);
                int r = rt_cgroup_write(dir, file, line, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int v1_create(const struct rt_cgroup *cg, const struct rt_resources *res, struct kerr *err)
{
        for (size_t i = 0; i < ARRAY_SIZE(controllers); i++) {
                if (!mounted(cg, controllers[i]))
                        continue;
                _cleanup_free_ char *dir = dir_of(cg, controllers[i]);
                int r = rt_cgroup_mkdir(dir, err);
                if (r < 0)
                        return r;
        }
        bool want_mem = res->memory_limit || res->memory_reservation || res->memory_swap;
        bool want_cpu = res->cpu_shares || res->cpu_quota || res->cpu_period;
        if ((want_mem && !mounted(cg, "memory")) || (want_cpu && !mounted(cg, "cpu")) ||
            (res->pids_limit && !mounted(cg, "pids")))
                return kerr_set(err, KERR_INVALID, EOPNOTSUPP,
                                "a requested limit's controller is not mounted");
        /* A device policy that cannot be applied must not be skipped:
         * the container would get every device of the host. */
        if (res->devices_set && !mounted(cg, "devices"))
                return kerr_set(err, KERR_INVALID, EOPNOTSUPP,
                                "the devices cgroup controller is not mounted");
        int r;
        if ((want_mem && (r = set_memory(cg, res, err)) < 0) ||
            (want_cpu && (r = set_cpu(cg, res, err)) < 0) ||
            (res->pids_limit && (r = set_pids(cg, res, err)) < 0) ||
            (res->devices_set && (r = set_devices(cg, res, err)) < 0))
                return r;
        return 0;
}

static int v1_add(const struct rt_cgroup *cg, pid_t pid, struct kerr *err)
{
        for (size_t i = 0; i < ARRAY_SIZE(controllers); i++) {
                if (!mounted(cg, controllers[i]))
                        continue;
                _cleanup_free_ char *dir = dir_of(cg, controllers[i]);
                int r = rt_cgroup_writef(dir, "cgroup.procs", err, "%d", (int)pid);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int v1_destroy(const struct rt_cgroup *cg, struct kerr *err)
{
        int ret = 0;
        for (size_t i = 0; i < ARRAY_SIZE(controllers); i++) {
                if (!mounted(cg, controllers[i]))
                        continue;
                _cleanup_free_ char *dir = dir_of(cg, controllers[i]);
                int r = rt_cgroup_rmdir(dir, ret < 0 ? NULL : err);
                if (r < 0 && ret == 0)
                        ret = r;
        }
        return ret;
}

const struct rt_cgroup_ops rt_cgroup_v1_ops = {
    .create = v1_create,
    .add = v1_add,
    .destroy = v1_destroy,
};
