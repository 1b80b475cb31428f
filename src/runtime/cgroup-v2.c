/* cgroup-v2.c - the unified hierarchy: one directory (root/path), with the
 * controllers enabled in every ancestor's cgroup.subtree_control. */
#include "cgroup-internal.h"

#include "base/buf.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/xalloc.h"
#include "devices.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static char *dir_of(const struct rt_cgroup *cg)
{
        return xasprintf("%s/%s", cg->root, cg->path);
}

/* "+memory +cpu +pids", limited to what the root offers. */
static char *enable_line(const char *root)
{
        _cleanup_close_ int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_free_ char *have = NULL;
        size_t len;
        struct buf b;
        buf_init(&b, 0);
        if (fd >= 0 && fs_read_at(fd, "cgroup.controllers", 4096, &have, &len) >= 0) {
                static const char *const want[] = {"cpu", "memory", "pids"};
                for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
                        size_t n = strlen(want[i]);
                        for (char *p = have; (p = strstr(p, want[i])); p += n) {
                                bool start = p == have || p[-1] == ' ';
                                bool end = p[n] == 0 || p[n] == ' ' || p[n] == '\n';
                                if (start && end) {
                                        buf_appendf(&b, "%s+%s", b.len ? " " : "", want[i]);
                                        break;
                                }
                        }
                }
        }
        return buf_steal(&b);
}

/* Enables the controllers from the root down to the group's parent, making
 * missing directories on the way: a v2 group gets a controller's files only
 * when its parent delegates it. */
static int delegate(const struct rt_cgroup *cg, struct kerr *err)
{
        _cleanup_free_ char *line = enable_line(cg->root);
        if (!line[0])
                return 0;
        _cleanup_free_ char *dir = xstrdup(cg->root);
        _cleanup_free_ char *rest = xstrdup(cg->path);
        for (char *comp = rest, *slash;; comp = slash + 1) {
                int r = rt_cgroup_write(dir, "cgroup.subtree_control", line, err);
                if (r < 0)
                        return r;
                slash = strchr(comp, '/');
                if (!slash)
                        return 0;
                *slash = 0;
                char *next = xasprintf("%s/%s", dir, comp);
                free(dir);
                dir = next;
                if ((r = rt_cgroup_mkdir(dir, err)) < 0)
                        return r;
        }
}

static int set_memory(const char *dir, const struct rt_resources *res, struct kerr *err)
{
        int r = 0;
        if (res->memory_limit > 0)
                r = rt_cgroup_writef(dir, "memory.max", err, "%" PRId64, res->memory_limit);
        else if (res->memory_limit < 0)
                r = rt_cgroup_write(dir, "memory.max", "max", err);
        if (r >= 0 && res->memory_reservation > 0)
                r = rt_cgroup_writef(dir, "memory.low", err, "%" PRId64, res->memory_reservation);
        /* v1's memsw counts memory+swap; v2's swap.max counts swap alone. */
        if (r >= 0 && res->memory_swap < 0)
                r = rt_cgroup_write(dir, "memory.swap.max", "max", err);
        else if (r >= 0 && res->memory_swap > 0 && res->memory_limit > 0) {
                if (res->memory_swap < res->memory_limit)
                        return kerr_set(err, KERR_INVALID, EINVAL,
                                        "memory+swap limit is below the memory limit");
                r = rt_cgroup_writef(dir, "memory.swap.max", err, "%" PRId64,
                                     res->memory_swap - res->memory_limit);
        }
        return r;
}

/* cpu.shares (2..262144) onto cpu.weight (1..10000), as runc and crun map it. */
static uint64_t shares_to_weight(uint64_t shares)
{
        if (shares < 2)
                shares = 2;
        if (shares > 262144)
                shares = 262144;
        return 1 + ((shares - 2) * 9999) / 262142;
}

static int set_cpu(const char *dir, const struct rt_resources *res, struct kerr *err)
{
        int r = 0;
        if (res->cpu_shares)
                r = rt_cgroup_writef(dir, "cpu.weight", err, "%" PRIu64,
                                     shares_to_weight(res->cpu_shares));
        if (r < 0 || (!res->cpu_quota && !res->cpu_period))
                return r;
        uint64_t period = res->cpu_period ? res->cpu_period : 100000;
        if (res->cpu_quota > 0)
                return rt_cgroup_writef(dir, "cpu.max", err, "%" PRId64 " %" PRIu64, res->cpu_quota,
                                        period);
        return rt_cgroup_writef(dir, "cpu.max", err, "max %" PRIu64, period);
}

static int set_devices(const char *dir, const struct rt_resources *res, struct kerr *err)
{
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return kerr_set(err, KERR_INTERNAL, errno, "open %s: %m", dir);
        size_t n;
        _cleanup_free_ struct rt_device_rule *rules = rt_devices_effective(res, &n);
        return rt_devices_bpf_attach(fd, rules, n, err);
}

static int v2_create(const struct rt_cgroup *cg, const struct rt_resources *res, struct kerr *err)
{
        _cleanup_free_ char *dir = dir_of(cg);
        int r;
        if ((r = delegate(cg, err)) < 0 || (r = rt_cgroup_mkdir(dir, err)) < 0 ||
            (r = set_memory(dir, res, err)) < 0 || (r = set_cpu(dir, res, err)) < 0 ||
            (res->devices_set && (r = set_devices(dir, res, err)) < 0))
                return r;
        if (res->pids_limit > 0)
                return rt_cgroup_writef(dir, "pids.max", err, "%" PRId64, res->pids_limit);
        if (res->pids_limit < 0)
                return rt_cgroup_write(dir, "pids.max", "max", err);
        return 0;
}

static int v2_add(const struct rt_cgroup *cg, pid_t pid, struct kerr *err)
{
        _cleanup_free_ char *dir = dir_of(cg);
        return rt_cgroup_writef(dir, "cgroup.procs", err, "%d", (int)pid);
}

static int v2_destroy(const struct rt_cgroup *cg, struct kerr *err)
{
        _cleanup_free_ char *dir = dir_of(cg);
        return rt_cgroup_rmdir(dir, err);
}

const struct rt_cgroup_ops rt_cgroup_v2_ops = {
    .create = v2_create,
    .add = v2_add,
    .destroy = v2_destroy,
};
