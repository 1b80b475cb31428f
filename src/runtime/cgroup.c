/* cgroup.c - backend choice and the file helpers both backends use. */
#include "cgroup-internal.h"

#include "base/cleanup.h"
#include "base/fs.h"
#include "base/parse.h"
#include "base/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int rt_cgroup_detect(const char *root)
{
        return rt_cgroup_exists(root, "cgroup.controllers") ? 2 : 1;
}

static const struct rt_cgroup_ops *ops_of(const struct rt_cgroup *cg)
{
        return cg->version == 2 ? &rt_cgroup_v2_ops : &rt_cgroup_v1_ops;
}

int rt_cgroup_create(const char *root, const char *path, int version,
                     const struct rt_resources *res, struct rt_cgroup *ret, struct kerr *err)
{
        /* A path with ".." would let a spec place the container's limits
         * (and the rmdir at its end) anywhere in the host's tree. */
        if (!path || !path[0] || strstr(path, ".."))
                return kerr_set(err, KERR_INVALID, EINVAL, "cgroup path '%s' is not valid",
                                path ? path : "");
        while (*path == '/')
                path++;
        struct rt_cgroup cg = {
            .version = version ? version : rt_cgroup_detect(root),
            .root = xstrdup(root),
            .path = xstrdup(path),
        };
        static const struct rt_resources none;
        int r = ops_of(&cg)->create(&cg, res ? res : &none, err);
        if (r < 0) {
                ops_of(&cg)->destroy(&cg, NULL);
                rt_cgroup_release(&cg);
                return kerr_wrap(err, "cgroup v%d '%s'", version ? version : rt_cgroup_detect(root),
                                 path);
        }
        *ret = cg;
        return 0;
}

int rt_cgroup_add(const struct rt_cgroup *cg, pid_t pid, struct kerr *err)
{
        return ops_of(cg)->add(cg, pid, err);
}

int rt_cgroup_destroy(const struct rt_cgroup *cg, struct kerr *err)
{
        return cg->path ? ops_of(cg)->destroy(cg, err) : 0;
}

void rt_cgroup_release(struct rt_cgroup *cg)
{
        free(cg->root);
        free(cg->path);
        *cg = (struct rt_cgroup){0};
}

void rt_cgroup_oom_parse(const char *text, struct rt_cgroup_oom *ret)
{
        *ret = (struct rt_cgroup_oom){0};
        for (const char *line = text; line && *line;) {
                const char *end = strchrnul(line, '\n');
                const char *sp = memchr(line, ' ', (size_t)(end - line));
                char value[32];
                size_t klen = sp ? (size_t)(sp - line) : 0;
                size_t vlen = sp ? (size_t)(end - sp - 1) : 0;
                uint64_t n;
                if (sp && vlen < sizeof(value)) {
                        memcpy(value, sp + 1, vlen);
                        value[vlen] = 0;
                        if (parse_uint64(value, &n) < 0)
                                n = 0;
                        else if (klen == 8 && strncmp(line, "oom_kill", 8) == 0)
                                ret->kills = n;
                        else if (klen == 14 && strncmp(line, "oom_group_kill", 14) == 0)
                                ret->group_kills = n;
                }
                line = *end ? end + 1 : end;
        }
}

int rt_cgroup_oom_read(const char *root, const char *path, int version, struct rt_cgroup_oom *ret)
{
        *ret = (struct rt_cgroup_oom){0};
        if (!path || !path[0] || strstr(path, ".."))
                return -EINVAL;
        while (*path == '/')
                path++;
        if (!version)
                version = rt_cgroup_detect(root);
        _cleanup_free_ char *dir =
            version == 2 ? xasprintf("%s/%s", root, path) : xasprintf("%s/memory/%s", root, path);
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return -errno;
        _cleanup_free_ char *text = NULL;
        int r = fs_read_at(dfd, version == 2 ? "memory.events" : "memory.oom_control", 4096, &text,
                           NULL);
        if (r < 0)
                return r;
        rt_cgroup_oom_parse(text, ret);
        return 0;
}

int rt_cgroup_write(const char *dir, const char *file, const char *value, struct kerr *err)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, file);
        _cleanup_close_ int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return kerr_set(err, KERR_INTERNAL, errno, "open %s: %m", p);
        /* cgroupfs takes one write per value; a short write is an error. */
        ssize_t n = write(fd, value, strlen(value));
        if (n < 0)
                return kerr_set(err, errno == EINVAL ? KERR_INVALID : KERR_INTERNAL, errno,
                                "write '%s' to %s: %m", value, p);
        return 0;
}

int rt_cgroup_writef(const char *dir, const char *file, struct kerr *err, const char *fmt, ...)
{
        char value[128];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(value, sizeof(value), fmt, ap);
        va_end(ap);
        return rt_cgroup_write(dir, file, value, err);
}

bool rt_cgroup_exists(const char *dir, const char *file)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, file);
        return access(p, F_OK) == 0;
}

int rt_cgroup_mkdir(const char *dir, struct kerr *err)
{
        int r = fs_mkdir_p(dir, 0755);
        if (r < 0)
                return kerr_set(err, KERR_INTERNAL, r, "mkdir %s: %s", dir, strerror(-r));
        return 0;
}

int rt_cgroup_rmdir(const char *dir, struct kerr *err)
{
        for (int i = 0; i < 200; i++) {
                if (rmdir(dir) == 0 || errno == ENOENT)
                        return 0;
                if (errno != EBUSY)
                        break;
                nanosleep(&(struct timespec){.tv_nsec = 5 * 1000 * 1000}, NULL);
        }
        return kerr_set(err, KERR_INTERNAL, errno, "rmdir %s: %m", dir);
}

int rt_cgroup_remove_everywhere(const char *root, const char *path, struct kerr *err)
{
        if (!path || !path[0] || strstr(path, ".."))
                return kerr_set(err, KERR_INVALID, EINVAL, "cgroup path '%s' is not valid",
                                path ? path : "");
        while (*path == '/')
                path++;
        int ret = 0;
        if (rt_cgroup_detect(root) == 2) {
                _cleanup_free_ char *dir = xasprintf("%s/%s", root, path);
                return rt_cgroup_rmdir(dir, err);
        }
        DIR *d = opendir(root);
        if (!d)
                return errno == ENOENT ? 0
                                       : kerr_set(err, KERR_INTERNAL, errno, "open %s: %m", root);
        for (struct dirent *de; (de = readdir(d));) {
                /* "cpu" and "cpuacct" may be symlinks to "cpu,cpuacct": a
                 * second rmdir of the same group is ENOENT, which is fine. */
                if (de->d_name[0] == '.' || de->d_type == DT_REG)
                        continue;
                _cleanup_free_ char *dir = xasprintf("%s/%s/%s", root, de->d_name, path);
                int r = rt_cgroup_rmdir(dir, ret < 0 ? NULL : err);
                if (r < 0 && ret == 0)
                        ret = r;
        }
        closedir(d);
        return ret;
}
