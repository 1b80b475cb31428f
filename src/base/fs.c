#include "fs.h"

#include "cleanup.h"
#include "xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int fs_mkdir_p(const char *path, mode_t mode)
{
        _cleanup_free_ char *p = xstrdup(path);
        size_t n = strlen(p);
        while (n > 1 && p[n - 1] == '/')
                p[--n] = 0;
        for (char *s = p + 1;; s++) {
                bool end = *s == 0;
                if (*s == '/' || end) {
                        *s = 0;
                        if (mkdir(p, mode) < 0 && errno != EEXIST)
                                return -errno;
                        struct stat st;
                        if (stat(p, &st) < 0)
                                return -errno;
                        if (!S_ISDIR(st.st_mode))
                                return -ENOTDIR;
                        if (end)
                                break;
                        *s = '/';
                }
        }
        return 0;
}

int fs_mkdirat_ok(int dirfd, const char *name, mode_t mode)
{
        if (mkdirat(dirfd, name, mode) == 0)
                return 0;
        if (errno != EEXIST)
                return -errno;
        struct stat st;
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int fs_write_all(int fd, const void *data, size_t n)
{
        const char *p = data;
        while (n > 0) {
                ssize_t w = write(fd, p, n);
                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += w;
                n -= (size_t)w;
        }
        return 0;
}

int fs_write_atomic_at_flags(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                             enum fs_write_flags flags)
{
        char tmp[4096];
        int n = snprintf(tmp, sizeof(tmp), "%s.tmp.%d", name, (int)getpid());
        if (n < 0 || (size_t)n >= sizeof(tmp))
                return -ENAMETOOLONG;
        _cleanup_close_ int fd =
            openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
        if (fd < 0)
                return -errno;
        int r = fs_write_all(fd, data, len);
        if (r == 0 && fchmod(fd, mode) < 0)
                r = -errno;
        bool sync = !(flags & FS_WRITE_NO_SYNC);
        if (r == 0 && sync && fsync(fd) < 0)
                r = -errno;
        if (r == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
                r = -errno;
        if (r < 0) {
                unlinkat(dirfd, tmp, 0);
                return r;
        }
        /* Make the rename itself durable. */
        if (sync && fsync(dirfd) < 0 && errno != EINVAL)
                return -errno;
        return 0;
}

int fs_write_atomic_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode)
{
        return fs_write_atomic_at_flags(dirfd, name, data, len, mode, 0);
}

int fs_read_fd(int fd, size_t max, char **ret_data, size_t *ret_len)
{
        size_t cap = 4096, len = 0;
        _cleanup_free_ char *data = xmalloc(cap);
        for (;;) {
                if (len + 1 >= cap) {
                        if (cap > max + 1)
                                return -EFBIG;
                        cap *= 2;
                        data = xrealloc(data, cap);
                }
                ssize_t r = read(fd, data + len, cap - len - 1);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (r == 0)
                        break;
                len += (size_t)r;
                if (len > max)
                        return -EFBIG;
        }
        data[len] = 0;
        *ret_data = TAKE_PTR(data);
        if (ret_len)
                *ret_len = len;
        return 0;
}

int fs_read_at(int dirfd, const char *name, size_t max, char **ret_data, size_t *ret_len)
{
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        return fs_read_fd(fd, max, ret_data, ret_len);
}

static int clear_dir_fd(int dfd, dev_t dev);

static int rm_entry(int dirfd, const char *name, dev_t dev)
{
        struct stat st;
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISDIR(st.st_mode))
                return unlinkat(dirfd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
        if (st.st_dev != dev)
                return -EXDEV; /* never descend into another mount */
        int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        int r = clear_dir_fd(fd, dev); /* takes fd */
        if (r < 0)
                return r;
        return unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT ? -errno : 0;
}

static int clear_dir_fd(int dfd, dev_t dev)
{
        DIR *d = fdopendir(dfd);
        if (!d) {
                int r = -errno;
                close(dfd);
                return r;
        }
        int r = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                int q = rm_entry(dirfd(d), de->d_name, dev);
                if (q < 0 && r == 0)
                        r = q;
        }
        closedir(d);
        return r;
}

int fs_rm_rf_at(int dirfd, const char *name)
{
        struct stat st;
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : -errno;
        return rm_entry(dirfd, name, st.st_dev);
}

int fs_clear_dir_at(int dirfd, const char *name)
{
        int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        struct stat st;
        if (fstat(fd, &st) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        return clear_dir_fd(fd, st.st_dev);
}

int fs_unix_addr(const char *dir, const char *name, struct sockaddr_un *ret, int *ret_dirfd)
{
        *ret = (struct sockaddr_un){.sun_family = AF_UNIX};
        *ret_dirfd = -EBADF;
        if ((size_t)snprintf(ret->sun_path, sizeof(ret->sun_path), "%s/%s", dir, name) <
            sizeof(ret->sun_path))
                return 0;
        int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if ((size_t)snprintf(ret->sun_path, sizeof(ret->sun_path), "/proc/self/fd/%d/%s", fd,
                             name) >= sizeof(ret->sun_path)) {
                close(fd);
                return -ENAMETOOLONG;
        }
        *ret_dirfd = fd;
        return 0;
}

void fs_sweep_dir_at(int rootfd, const char *dir, bool (*keep)(void *cls, const char *name),
                     void *cls)
{
        int fd = openat(rootfd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        if (!d) {
                if (fd >= 0)
                        close(fd);
                return;
        }
        struct dirent *de;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.' && !keep(cls, de->d_name))
                        fs_rm_rf_at(dirfd(d), de->d_name);
        closedir(d);
}

bool fs_find_on_path(const char *name, char *path, size_t size)
{
        const char *env = getenv("PATH");
        const char *d = env ? env : "/usr/local/bin:/usr/bin:/bin";
        while (*d) {
                size_t n = strcspn(d, ":");
                if (n > 0 && d[0] == '/') {
                        snprintf(path, size, "%.*s/%s", (int)n, d, name);
                        if (access(path, X_OK) == 0)
                                return true;
                }
                d += n + (d[n] == ':');
        }
        return false;
}
