#include "engine/core/host.h"

#include "base/cleanup.h"
#include "base/fs.h"
#include "base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

static bool exists_at(const char *root, const char *rel)
{
        char p[4096];
        snprintf(p, sizeof(p), "%s/%s", root, rel);
        return access(p, F_OK) == 0;
}

/* True when the space-separated list in root/file contains word. */
static bool file_has_word(const char *root, const char *file, const char *word)
{
        _cleanup_close_ int dfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_free_ char *data = NULL;
        if (dfd < 0 || fs_read_at(dfd, file, 65536, &data, NULL) < 0)
                return false;
        size_t wl = strlen(word);
        for (char *p = data; (p = strstr(p, word)); p += wl) {
                bool start = p == data || p[-1] == ' ' || p[-1] == '\n' || p[-1] == '\t';
                bool end = p[wl] == 0 || p[wl] == ' ' || p[wl] == '\n';
                if (start && end)
                        return true;
        }
        return false;
}

void host_cgroup_probe(const char *root, struct host_cgroup *ret)
{
        *ret = (struct host_cgroup){0};
        if (exists_at(root, "cgroup.controllers")) {
                ret->version = 2;
                ret->memory = file_has_word(root, "cgroup.controllers", "memory");
                ret->cpu = file_has_word(root, "cgroup.controllers", "cpu");
                ret->pids = file_has_word(root, "cgroup.controllers", "pids");
                /* Controllers that the root lists are usable in children;
                 * swap.max and cpu.max exist in every non-root group. */
                ret->swap = ret->memory;
                ret->cpu_cfs = ret->cpu;
                return;
        }
        ret->version = 1;
        ret->memory = exists_at(root, "memory/memory.limit_in_bytes");
        ret->swap = exists_at(root, "memory/memory.memsw.limit_in_bytes");
        ret->cpu = exists_at(root, "cpu/cpu.shares");
        ret->cpu_cfs = exists_at(root, "cpu/cpu.cfs_quota_us");
        ret->pids = exists_at(root, "pids/pids.max") || exists_at(root, "pids/tasks");
}

bool host_filesystem_probe(const char *proc_root, const char *fstype, const char *module_path)
{
        if (file_has_word(proc_root, "filesystems", fstype))
                return true;
        int fd = (int)syscall(SYS_fsopen, fstype, FSOPEN_CLOEXEC);
        if (fd >= 0) {
                close(fd);
                return true;
        }
        /* ENODEV: the kernel tried to load it and failed. */
        if (errno == ENODEV || !module_path)
                return false;
        static const char *const suffixes[] = {"", ".xz", ".zst"};
        for (size_t i = 0; i < ARRAY_SIZE(suffixes); i++) {
                char p[4096];
                snprintf(p, sizeof(p), "%s%s", module_path, suffixes[i]);
                if (access(p, F_OK) == 0)
                        return true;
        }
        return false;
}

static void read_os_release(struct host_info *info)
{
        _cleanup_fclose_ FILE *f = fopen("/etc/os-release", "re");
        if (!f)
                f = fopen("/usr/lib/os-release", "re");
        snprintf(info->operating_system, sizeof(info->operating_system), "Linux");
        if (!f)
                return;
        char line[512];
        while (fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\n")] = 0;
                char *eq = strchr(line, '=');
                if (!eq)
                        continue;
                *eq = 0;
                char *v = eq + 1;
                size_t n = strlen(v);
                if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
                        v[n - 1] = 0;
                        v++;
                }
                if (strcmp(line, "PRETTY_NAME") == 0)
                        snprintf(info->operating_system, sizeof(info->operating_system), "%s", v);
                else if (strcmp(line, "VERSION_ID") == 0)
                        snprintf(info->os_version, sizeof(info->os_version), "%s", v);
        }
}

static int64_t read_mem_total(void)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/meminfo", "re");
        char line[256];
        long long kb;
        while (f && fgets(line, sizeof(line), f))
                if (sscanf(line, "MemTotal: %lld kB", &kb) == 1)
                        return (int64_t)kb * 1024;
        return 0;
}

static bool read_flag_file(const char *path)
{
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        int v = 0;
        return f && fscanf(f, "%d", &v) == 1 && v != 0;
}

static void warn(struct host_info *info, const char *msg)
{
        if (info->nwarnings < HOST_WARNINGS_MAX)
                info->warnings[info->nwarnings++] = xstrdup(msg);
}

static void collect_warnings(struct host_info *info)
{
        if (!info->overlay)
                warn(info, "WARNING: overlayfs is not available: containers cannot get a "
                           "copy-on-write root filesystem");
        if (!info->seccomp)
                warn(info, "WARNING: the kernel has no seccomp filter support");
        if (!info->cgroup.memory)
                warn(info, "WARNING: No memory limit support");
        else if (!info->cgroup.swap)
                warn(info, "WARNING: No swap limit support");
        if (!info->cgroup.cpu_cfs)
                warn(info, "WARNING: No cpu cfs quota support");
        if (!info->cgroup.pids)
                warn(info, "WARNING: No pids limit support");
        if (!info->root && !info->userns)
                warn(info, "WARNING: unprivileged user namespaces are disabled: rootless "
                           "containers cannot run");
}

void host_info_probe(struct host_info *info)
{
        *info = (struct host_info){0};
        cpu_set_t set;
        info->ncpu = sched_getaffinity(0, sizeof(set), &set) == 0
                         ? CPU_COUNT(&set)
                         : (int)sysconf(_SC_NPROCESSORS_ONLN);
        info->mem_total = read_mem_total();
        struct utsname u;
        if (uname(&u) == 0) {
                snprintf(info->kernel_version, sizeof(info->kernel_version), "%s", u.release);
                snprintf(info->architecture, sizeof(info->architecture), "%s", u.machine);
        }
        if (gethostname(info->hostname, sizeof(info->hostname) - 1) < 0)
                snprintf(info->hostname, sizeof(info->hostname), "localhost");
        read_os_release(info);
        host_cgroup_probe("/sys/fs/cgroup", &info->cgroup);
        char module[300];
        snprintf(module, sizeof(module), "/lib/modules/%s/kernel/fs/overlayfs/overlay.ko",
                 info->kernel_version);
        info->overlay = host_filesystem_probe("/proc", "overlay", module);
        info->seccomp = file_has_word("/proc/self", "status", "Seccomp:") ||
                        exists_at("/proc/sys/kernel", "seccomp/actions_avail");
        info->root = geteuid() == 0;
        /* Debian kernels gate unprivileged user namespaces with this sysctl. */
        info->userns = access("/proc/sys/kernel/unprivileged_userns_clone", F_OK) != 0 ||
                       read_flag_file("/proc/sys/kernel/unprivileged_userns_clone");
        info->ipv4_forwarding = read_flag_file("/proc/sys/net/ipv4/ip_forward");
        collect_warnings(info);
}

void host_info_release(struct host_info *info)
{
        for (int i = 0; i < info->nwarnings; i++)
                free(info->warnings[i]);
        info->nwarnings = 0;
}
