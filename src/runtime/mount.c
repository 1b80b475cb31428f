/* mount.c - the container's filesystem view, built in its own mount
 * namespace so that everything here disappears with the container.
 *
 * Every mount target inside the root is resolved with openat2's
 * RESOLVE_IN_ROOT: the image controls the rootfs, and a symlink such as
 * /proc -> /host/etc must not let a mount land outside it. */
#include "builtin-internal.h"

#include "base/cleanup.h"
#include "base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int openat2_in_root(int rootfd, const char *path, int flags)
{
        struct open_how how = {
            .flags = (uint64_t)(flags | O_CLOEXEC),
            .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        while (*path == '/')
                path++;
        if (!*path)
                path = ".";
        long fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
        return fd < 0 ? -errno : (int)fd;
}

/* Opens (O_PATH) rootfd/dest, creating missing parents as directories and
 * the last component as a directory or, for a file bind, an empty file. */
static int target_open(int rootfd, const char *dest, bool is_dir, struct kerr *err)
{
        _cleanup_free_ char *path = xstrdup(dest);
        for (char *p = path + 1;; p++) {
                bool last = *p == 0;
                if (*p != '/' && !last)
                        continue;
                *p = 0;
                int fd = openat2_in_root(rootfd, path, O_PATH);
                if (fd == -ENOENT) {
                        char *slash = strrchr(path, '/');
                        *slash = 0;
                        _cleanup_close_ int parent = openat2_in_root(rootfd, path, O_PATH);
                        *slash = '/';
                        int r = parent < 0 ? parent : 0;
                        if (r == 0 && (!last || is_dir))
                                r = mkdirat(parent, slash + 1, 0755) < 0 && errno != EEXIST ? -errno
                                                                                            : 0;
                        else if (r == 0) {
                                int f = openat(parent, slash + 1,
                                               O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
                                r = f < 0 ? -errno : 0;
                                if (f >= 0)
                                        close(f);
                        }
                        if (r < 0)
                                return kerr_set(err, KERR_INVALID, r, "create mount point '%s': %s",
                                                path, strerror(-r));
                        fd = openat2_in_root(rootfd, path, O_PATH);
                }
                if (last || fd < 0) {
                        if (fd < 0)
                                return kerr_set(err, KERR_INVALID, fd, "mount point '%s': %s", path,
                                                strerror(-fd));
                        return fd;
                }
                close(fd);
                *p = '/';
        }
}

static char *fd_path(int fd)
{
        return xasprintf("/proc/self/fd/%d", fd);
}

static int mount_err(struct kerr *err, const struct rt_mount *m)
{
        return kerr_set(err, KERR_INVALID, errno, "mount %s '%s' on '%s': %m",
                        m->type ? m->type : "bind", m->source ? m->source : "none", m->destination);
}

/* cgroup v1 has no single filesystem to mount: a read-only tmpfs with one
 * mount per hierarchy (each shows the container's cgroup namespace root). */
static int mount_cgroup_v1(int rootfd, const struct rt_mount *m, const char *target,
                           struct kerr *err)
{
        static const char *const ctrls[] = {"cpu",  "cpuacct", "cpuset",  "memory",
                                            "pids", "blkio",   "devices", "freezer"};
        if (mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") < 0)
                return mount_err(err, m);
        for (size_t i = 0; i < ARRAY_SIZE(ctrls); i++) {
                _cleanup_free_ char *host = xasprintf("/sys/fs/cgroup/%s", ctrls[i]);
                if (access(host, F_OK) < 0)
                        continue;
                _cleanup_free_ char *dest = xasprintf("%s/%s", m->destination, ctrls[i]);
                _cleanup_close_ int fd = target_open(rootfd, dest, true, err);
                if (fd < 0)
                        return fd;
                _cleanup_free_ char *p = fd_path(fd);
                if (mount("cgroup", p, "cgroup",
                          (m->flags & ~MS_REMOUNT) | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                          ctrls[i]) < 0)
                        return mount_err(err, m);
        }
        if (!(m->flags & MS_RDONLY))
                return 0;
        _cleanup_close_ int top = target_open(rootfd, m->destination, true, err);
        if (top < 0)
                return top;
        _cleanup_free_ char *p = fd_path(top);
        if (mount(NULL, p, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                  "mode=755") < 0)
                return mount_err(err, m);
        return 0;
}

static int mount_one(int rootfd, const struct rt_mount *m, bool *ret_dev_tmpfs, struct kerr *err)
{
        bool is_dir = true;
        if (m->bind) {
                struct stat st;
                if (stat(m->source, &st) < 0)
                        return kerr_set(err, KERR_INVALID, errno, "bind source '%s': %m",
                                        m->source);
                is_dir = S_ISDIR(st.st_mode);
        }
        _cleanup_close_ int fd = target_open(rootfd, m->destination, is_dir, err);
        if (fd < 0)
                return fd;
        _cleanup_free_ char *target = fd_path(fd);
        const char *type = m->type ? m->type : "none";
        if (m->bind) {
                if (mount(m->source, target, NULL, MS_BIND | (m->recursive ? MS_REC : 0), NULL) < 0)
                        return mount_err(err, m);
        } else if (strcmp(type, "cgroup") == 0 &&
                   access("/sys/fs/cgroup/cgroup.controllers", F_OK) < 0) {
                int r = mount_cgroup_v1(rootfd, m, target, err);
                if (r < 0)
                        return r;
        } else {
                const char *fstype = strcmp(type, "cgroup") == 0 ? "cgroup2" : type;
                if (mount(m->source ? m->source : fstype, target, fstype, m->flags, m->data) < 0)
                        return mount_err(err, m);
                if (strcmp(m->destination, "/dev") == 0 && strcmp(type, "tmpfs") == 0)
                        *ret_dev_tmpfs = true;
        }
        /* The fd still names the directory under the new mount: remount
         * and propagation changes need the mount itself, so open again. */
        unsigned long f = m->bind ? m->flags & ~(MS_REMOUNT | MS_BIND | MS_REC) : 0;
        if (!f && !m->propagation && !m->recursive_ro)
                return 0;
        _cleanup_close_ int top = target_open(rootfd, m->destination, is_dir, err);
        if (top < 0)
                return top;
        _cleanup_free_ char *p = fd_path(top);
        /* Flags on a bind apply only through a remount of it. */
        if (f && mount(NULL, p, NULL, MS_REMOUNT | MS_BIND | f, NULL) < 0)
                return mount_err(err, m);
        /* "rro": a submount of the source (another disk, a tmpfs) must not
         * stay writable under a read-only bind; the remount above covers
         * only the top. Kernels before 5.12 lack mount_setattr. */
        struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};
        if (m->recursive_ro &&
            syscall(SYS_mount_setattr, top, "", AT_EMPTY_PATH | AT_RECURSIVE, &ro, sizeof(ro)) <
                0 &&
            errno != ENOSYS)
                return mount_err(err, m);
        if (m->propagation && mount(NULL, p, NULL, m->propagation, NULL) < 0)
                return mount_err(err, m);
        return 0;
}

static int mount_root(const struct rt_spec *spec, struct kerr *err)
{
        unsigned long prop = MS_SLAVE | MS_REC;
        if (spec->rootfs_propagation && strcmp(spec->rootfs_propagation, "rprivate") == 0)
                prop = MS_PRIVATE | MS_REC;
        /* Nothing mounted from here on may propagate back to the host. */
        if (mount(NULL, "/", NULL, prop, NULL) < 0)
                return kerr_set(err, KERR_INTERNAL, errno, "make / %s: %m",
                                prop & MS_PRIVATE ? "rprivate" : "rslave");
        if (spec->lowerdirs) {
                _cleanup_free_ char *data =
                    spec->upperdir ? xasprintf("lowerdir=%s,upperdir=%s,workdir=%s",
                                               spec->lowerdirs, spec->upperdir, spec->workdir)
                                   : xasprintf("lowerdir=%s", spec->lowerdirs);
                /* The kernel takes one page of options. */
                if (strlen(data) >= 4096)
                        return kerr_set(err, KERR_INVALID, E2BIG,
                                        "overlay options for %s are longer than a page",
                                        spec->root_path);
                if (mount("overlay", spec->root_path, "overlay", 0, data) < 0)
                        return kerr_set(err, KERR_INTERNAL, errno, "mount overlay on '%s': %m",
                                        spec->root_path);
        } else if (mount(spec->root_path, spec->root_path, NULL, MS_BIND | MS_REC, NULL) < 0) {
                /* pivot_root needs the new root to be a mount point. */
                return kerr_set(err, KERR_INVALID, errno, "bind rootfs '%s': %m", spec->root_path);
        }
        return 0;
}

static int pivot(const char *root, struct kerr *err)
{
        _cleanup_close_ int oldroot = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (oldroot < 0 || chdir(root) < 0)
                return kerr_set(err, KERR_INTERNAL, errno, "chdir '%s': %m", root);
        /* pivot_root(".", ".") stacks the old root under the new one, then
         * the old root is detached without needing a directory for it. */
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                return kerr_set(err, KERR_INTERNAL, errno, "pivot_root: %m");
        /* From the new root, mount(".") would name the new root itself (the
         * last "." crosses no mount) and MS_REC would turn every container
         * mount slave, undoing a bind's rshared; as runc does, act from the
         * old root, which umount2's lookup also finds on top. */
        if (fchdir(oldroot) < 0 || mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0 ||
            umount2(".", MNT_DETACH) < 0)
                return kerr_set(err, KERR_INTERNAL, errno, "detach old root: %m");
        return chdir("/") < 0 ? kerr_set(err, KERR_INTERNAL, errno, "chdir /: %m") : 0;
}

/* Masked paths hide host information (/proc/kcore, /sys/firmware ...):
 * a file gets /dev/null over it, a directory an empty read-only tmpfs. */
static int mask_paths(char **paths, struct kerr *err)
{
        for (size_t i = 0; paths && paths[i]; i++) {
                struct stat st;
                if (lstat(paths[i], &st) < 0)
                        continue;
                int r = S_ISDIR(st.st_mode) ? mount("tmpfs", paths[i], "tmpfs", MS_RDONLY, "size=0")
                                            : mount("/dev/null", paths[i], NULL, MS_BIND, NULL);
                if (r < 0 && errno != ENOENT)
                        return kerr_set(err, KERR_INTERNAL, errno, "mask '%s': %m", paths[i]);
        }
        return 0;
}

static int readonly_paths(char **paths, struct kerr *err)
{
        for (size_t i = 0; paths && paths[i]; i++) {
                if (mount(paths[i], paths[i], NULL, MS_BIND | MS_REC, NULL) < 0) {
                        if (errno == ENOENT)
                                continue;
                        return kerr_set(err, KERR_INTERNAL, errno, "bind '%s': %m", paths[i]);
                }
                if (mount(NULL, paths[i], NULL,
                          MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                          NULL) < 0)
                        return kerr_set(err, KERR_INTERNAL, errno, "make '%s' read-only: %m",
                                        paths[i]);
        }
        return 0;
}

int rt_mount_setup(const struct rt_spec *spec, struct kerr *err)
{
        int r = mount_root(spec, err);
        if (r < 0)
                return r;
        _cleanup_close_ int rootfd = open(spec->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return kerr_set(err, KERR_INVALID, errno, "rootfs '%s': %m", spec->root_path);
        bool dev_tmpfs = false;
        for (size_t i = 0; i < spec->n_mounts; i++)
                if ((r = mount_one(rootfd, &spec->mounts[i], &dev_tmpfs, err)) < 0)
                        return r;
        if (dev_tmpfs && (r = rt_dev_populate(rootfd, err)) < 0)
                return r;
        if ((r = pivot(spec->root_path, err)) < 0 ||
            (r = mask_paths(spec->masked_paths, err)) < 0 ||
            (r = readonly_paths(spec->readonly_paths, err)) < 0)
                return r;
        if (spec->root_readonly &&
            mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
                return kerr_set(err, KERR_INTERNAL, errno, "make root read-only: %m");
        return 0;
}
