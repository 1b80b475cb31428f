#include "path.h"

#include "cleanup.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

char *path_normalize(const char *path, bool allow_absolute)
{
        if (path[0] == '/' && !allow_absolute)
                return NULL;
        size_t n = strlen(path);
        char *out = xmalloc(n + 1);
        size_t o = 0;
        const char *s = path;
        while (*s) {
                while (*s == '/')
                        s++;
                size_t len = strcspn(s, "/");
                if (len == 0)
                        break;
                if (len == 2 && s[0] == '.' && s[1] == '.') {
                        free(out);
                        return NULL;
                }
                if (!(len == 1 && s[0] == '.')) {
                        if (o > 0)
                                out[o++] = '/';
                        memcpy(out + o, s, len);
                        o += len;
                }
                s += len;
        }
        out[o] = 0;
        return out;
}

static int openat2_try(int rootfd, const char *path, int flags, mode_t mode, enum path_flags pf)
{
#ifdef SYS_openat2
        struct open_how how = {
            .flags = (uint64_t)(flags | O_CLOEXEC),
            .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
            .resolve =
                RESOLVE_NO_MAGICLINKS |
                ((pf & PATH_NO_SYMLINKS) ? RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS : RESOLVE_IN_ROOT),
        };
        int fd = (int)syscall(SYS_openat2, rootfd, path[0] ? path : ".", &how, sizeof(how));
        return fd >= 0 ? fd : -errno;
#else
        return -ENOSYS;
#endif
}

/* The fallback: every component opened with O_NOFOLLOW, so a symlink
 * anywhere fails with ELOOP (or ENOTDIR for O_PATH|O_DIRECTORY opens). */
static int walk_open(int rootfd, const char *path, int flags, mode_t mode, bool mkdirs)
{
        _cleanup_close_ int dir = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0)
                return -errno;
        _cleanup_free_ char *copy = xstrdup(path);
        char *s = copy;
        for (;;) {
                char *slash = strchr(s, '/');
                if (!slash)
                        break;
                *slash = 0;
                if (mkdirs && mkdirat(dir, s, 0755) < 0 && errno != EEXIST)
                        return -errno;
                int next = openat(dir, s, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0) {
                        int e = errno;
                        struct stat st;
                        if (fstatat(dir, s, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
                                return -ELOOP;
                        return -e;
                }
                close(dir);
                dir = next;
                s = slash + 1;
        }
        if (mkdirs && s[0] && (flags & O_DIRECTORY) && mkdirat(dir, s, 0755) < 0 && errno != EEXIST)
                return -errno;
        int fd = openat(dir, s[0] ? s : ".", flags | O_NOFOLLOW | O_CLOEXEC, mode);
        return fd >= 0 ? fd : -errno;
}

int path_open(int rootfd, const char *path, int flags, mode_t mode, enum path_flags pf)
{
        if (path[0] == '/')
                return -EXDEV;
        int fd = openat2_try(rootfd, path, flags, mode, pf);
        /* EPERM: seccomp filters that block openat2; ENOENT with PATH_MKDIR:
         * the walk creates what is missing. */
        if (fd != -ENOSYS && fd != -EPERM && !(fd == -ENOENT && (pf & PATH_MKDIR)))
                return fd;
        if (!(pf & PATH_NO_SYMLINKS))
                return -EOPNOTSUPP;
        _cleanup_free_ char *norm = path_normalize(path, false);
        if (!norm)
                return -EXDEV;
        return walk_open(rootfd, norm, flags, mode, pf & PATH_MKDIR);
}

int path_open_parent(int rootfd, const char *path, enum path_flags pf, const char **ret_name)
{
        const char *slash = strrchr(path, '/');
        if (!path[0])
                return -EINVAL;
        if (!slash) {
                *ret_name = path;
                int fd = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
                return fd >= 0 ? fd : -errno;
        }
        _cleanup_free_ char *parent = xstrndup(path, (size_t)(slash - path));
        int fd = path_open(rootfd, parent, O_PATH | O_DIRECTORY, 0, pf);
        if (fd < 0)
                return fd;
        *ret_name = slash + 1;
        return fd;
}
