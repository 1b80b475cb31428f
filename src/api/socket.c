#include "socket.h"

#include "base/cleanup.h"
#include "base/fs.h"
#include "base/xalloc.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

const char *api_socket_path_of(const char *spec)
{
        if (strncmp(spec, "unix://", 7) == 0)
                spec += 7;
        else if (strstr(spec, "://"))
                return NULL;
        return spec[0] == '/' ? spec : NULL;
}

static int fill_addr(const char *path, struct sockaddr_un *sa, struct kerr *err)
{
        *sa = (struct sockaddr_un){.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof(sa->sun_path))
                return kerr_set(err, KERR_INVALID, ENAMETOOLONG,
                                "socket path '%s' is longer than %zu bytes", path,
                                sizeof(sa->sun_path) - 1);
        memcpy(sa->sun_path, path, strlen(path) + 1);
        return 0;
}

/* Decides what to do with whatever is at path before binding. */
static int check_existing(const char *path, const struct sockaddr_un *sa, struct kerr *err)
{
        struct stat st;
        if (lstat(path, &st) < 0) {
                if (errno == ENOENT)
                        return 0;
                return kerr_set(err, KERR_INTERNAL, errno, "cannot inspect socket path '%s': %s",
                                path, strerror(errno));
        }
        if (!S_ISSOCK(st.st_mode)) {
                const char *what = S_ISLNK(st.st_mode)   ? "a symlink"
                                   : S_ISDIR(st.st_mode) ? "a directory"
                                   : S_ISREG(st.st_mode) ? "a regular file"
                                                         : "not a socket";
                return kerr_set(err, KERR_CONFLICT, EEXIST,
                                "socket path '%s' is %s; refusing to replace it", path, what);
        }
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return kerr_set(err, KERR_INTERNAL, errno, "socket: %s", strerror(errno));
        if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
                return kerr_set(err, KERR_CONFLICT, EADDRINUSE,
                                "another daemon is listening on '%s'", path);
        if (errno != ECONNREFUSED)
                return kerr_set(err, KERR_INTERNAL, errno, "cannot probe socket '%s': %s", path,
                                strerror(errno));
        /* Stale: nobody listens. */
        if (unlink(path) < 0 && errno != ENOENT)
                return kerr_set(err, KERR_INTERNAL, errno, "cannot remove stale socket '%s': %s",
                                path, strerror(errno));
        return 0;
}

/* The gid of a group in /etc/group. Read directly, as dockerd's pure-Go
 * os/user does: getgrnam() would load NSS modules (systemd's costs the
 * idle daemon 300 KiB) for a local system group. */
static bool group_gid(const char *name, gid_t *ret)
{
        _cleanup_fclose_ FILE *f = fopen("/etc/group", "re");
        char line[1024];
        size_t n = strlen(name);
        while (f && fgets(line, sizeof(line), f)) {
                char *gid_field = NULL;
                if (strncmp(line, name, n) == 0 && line[n] == ':' &&
                    (gid_field = strchr(line + n + 1, ':'))) {
                        char *end;
                        unsigned long v = strtoul(gid_field + 1, &end, 10);
                        if (end != gid_field + 1 && (*end == ':' || *end == '\n')) {
                                *ret = (gid_t)v;
                                return true;
                        }
                }
        }
        return false;
}

int api_socket_listen(const char *path, struct kerr *err)
{
        struct sockaddr_un sa;
        int r = fill_addr(path, &sa, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *dir = xstrdup(path);
        r = fs_mkdir_p(dirname(dir), 0711);
        if (r < 0)
                return kerr_set(err, KERR_INTERNAL, r,
                                "cannot create directory for socket '%s': %s", path, strerror(-r));
        r = check_existing(path, &sa, err);
        if (r < 0)
                return r;

        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return kerr_set(err, KERR_INTERNAL, errno, "socket: %s", strerror(errno));
        gid_t gid;
        bool have_group = group_gid("kedge", &gid);
        mode_t mode = have_group ? 0660 : 0600;
        /* bind() creates the node with ~umask; a tight umask means it is never
         * reachable by others before the chmod below. Start-up is single
         * threaded when this runs. */
        mode_t old = umask(0177);
        r = bind(fd, (const struct sockaddr *)&sa, sizeof(sa));
        int e = errno;
        umask(old);
        if (r < 0)
                return kerr_set(err, KERR_INTERNAL, e, "cannot bind '%s': %s", path, strerror(e));
        if ((have_group && chown(path, (uid_t)-1, gid) < 0) || chmod(path, mode) < 0 ||
            listen(fd, 1024) < 0) {
                e = errno;
                unlink(path);
                return kerr_set(err, KERR_INTERNAL, e, "cannot prepare socket '%s': %s", path,
                                strerror(e));
        }
        return TAKE_FD(fd);
}
