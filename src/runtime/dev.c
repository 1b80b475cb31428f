/* dev.c - the container's /dev: the standard nodes in its tmpfs, and its
 * terminal, opened from its own devpts instance. */
#include "builtin-internal.h"

#include "base/cleanup.h"
#include "base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

static const struct {
        const char *name;
        unsigned major, minor;
} dev_nodes[] = {
    {"null", 1, 3},   {"zero", 1, 5},    {"full", 1, 7},
    {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

static const struct {
        const char *name, *target;
} dev_links[] = {
    {"fd", "/proc/self/fd"},       {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
    {"stderr", "/proc/self/fd/2"}, {"ptmx", "pts/ptmx"},         {"core", "/proc/kcore"},
};

/* mknod, or a bind of the host's node where mknod is refused (a user
 * namespace, a nodev mount). */
static int make_node(int devfd, const char *name, unsigned major, unsigned minor, struct kerr *err)
{
        if (mknodat(devfd, name, S_IFCHR | 0666, makedev(major, minor)) == 0) {
                /* mknod honours the umask; devices are world-usable. */
                if (fchmodat(devfd, name, 0666, 0) < 0)
                        return kerr_set(err, KERR_INTERNAL, errno, "chmod /dev/%s: %m", name);
                return 0;
        }
        if (errno == EEXIST)
                return 0;
        if (errno != EPERM)
                return kerr_set(err, KERR_INTERNAL, errno, "mknod /dev/%s: %m", name);
        int fd = openat(devfd, name, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
        if (fd < 0)
                return kerr_set(err, KERR_INTERNAL, errno, "create /dev/%s: %m", name);
        _cleanup_free_ char *target = xasprintf("/proc/self/fd/%d", fd);
        _cleanup_free_ char *host = xasprintf("/dev/%s", name);
        int r = mount(host, target, NULL, MS_BIND, NULL);
        close(fd);
        return r < 0 ? kerr_set(err, KERR_INTERNAL, errno, "bind /dev/%s: %m", name) : 0;
}

int rt_dev_populate(int rootfd, struct kerr *err)
{
        struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                               .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS};
        long l = syscall(SYS_openat2, rootfd, "dev", &how, sizeof(how));
        if (l < 0)
                return kerr_set(err, KERR_INTERNAL, errno, "open /dev: %m");
        _cleanup_close_ int devfd = (int)l;
        for (size_t i = 0; i < ARRAY_SIZE(dev_nodes); i++) {
                int r = make_node(devfd, dev_nodes[i].name, dev_nodes[i].major, dev_nodes[i].minor,
                                  err);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < ARRAY_SIZE(dev_links); i++) {
                if (strcmp(dev_links[i].name, "core") == 0 && access("/proc/kcore", F_OK) < 0)
                        continue;
                if (symlinkat(dev_links[i].target, devfd, dev_links[i].name) < 0 && errno != EEXIST)
                        return kerr_set(err, KERR_INTERNAL, errno, "link /dev/%s: %m",
                                        dev_links[i].name);
        }
        return 0;
}

int rt_dev_open_pty(const struct rt_spec *spec, int *ret_master, struct kerr *err)
{
        _cleanup_close_ int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0)
                return kerr_set(err, KERR_INTERNAL, errno, "open /dev/ptmx: %m");
        char name[64];
        if (unlockpt(master) < 0 || ptsname_r(master, name, sizeof(name)) != 0)
                return kerr_set(err, KERR_INTERNAL, errno, "unlock pty: %m");
        int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (slave < 0)
                return kerr_set(err, KERR_INTERNAL, errno, "open %s: %m", name);
        if (spec->process.console_rows && spec->process.console_cols) {
                struct winsize ws = {.ws_row = spec->process.console_rows,
                                     .ws_col = spec->process.console_cols};
                ioctl(slave, TIOCSWINSZ, &ws);
        }
        /* A new session, so the pty becomes the controlling terminal and
         * ^C on it signals the container's foreground process group. */
        if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
                return kerr_set(err, KERR_INTERNAL, errno, "controlling terminal: %m");
        for (int i = 0; i < 3; i++)
                if (dup2(slave, i) < 0)
                        return kerr_set(err, KERR_INTERNAL, errno, "dup pty: %m");
        if (slave > 2)
                close(slave);
        *ret_master = TAKE_FD(master);
        return 0;
}
