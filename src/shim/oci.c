/* oci.c - an external OCI runtime (runc) in place of the built-in one, for
 * comparison. The shim keeps every other duty (stdio, log, attach, reaping,
 * exit.json); the runtime only creates, starts and deletes. So the daemon's
 * side (shim.pid, container.pid, the sockets, exit.json) does not change.
 *
 *   create  mount the overlay root from the spec's annotations on root.path
 *           (runc ignores them and wants a mounted root), then
 *           `runc create --pid-file RUN/container.pid` with the container's
 *           pipes as runc's own stdio (runc passes them through when
 *           process.terminal is false), or `--console-socket` on which runc
 *           sends the pty master (SCM_RIGHTS) when it is true;
 *   start   `runc start`;
 *   cleanup `runc delete --force` (its cgroups and state), unmount the root.
 *
 * The container's init is a child of `runc create`; when that exits the
 * init is reparented to the shim (a child subreaper) and reaped by its loop.
 * runc's errors are read back from its json log (`--log`), so a missing
 * executable reads `exec: "x": executable file not found in $PATH`, the
 * words the docker CLI maps to 127. */
#include "shim-internal.h"

#include "base/cleanup.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/log.h"
#include "base/parse.h"
#include "base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define OCI_ARGS_MAX 16

/* The errno a failure's words stand for, as exit.json's code wants it
 * (127 not found, 126 not runnable). */
static int oci_errno(const char *msg)
{
        if (strstr(msg, "executable file not found") || strstr(msg, "no such file or directory"))
                return ENOENT;
        if (strstr(msg, "permission denied") || strstr(msg, "is a directory"))
                return EACCES;
        return EIO;
}

/* The last error runc logged after offset; its log is json lines
 * ({"level":"error","msg":...}). */
static void oci_log_error(const char *path, off_t offset, char *buf, size_t size)
{
        buf[0] = 0;
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || lseek(fd, offset, SEEK_SET) < 0)
                return;
        _cleanup_free_ char *text = NULL;
        if (fs_read_fd(fd, 256 * 1024, &text, NULL) < 0)
                return;
        for (char *line = text, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                _cleanup_json_ json_t *o = json_loads(line, 0, NULL);
                const char *level = json_get_str(o, "level"), *msg = json_get_str(o, "msg");
                if (level && msg && (strcmp(level, "error") == 0 || strcmp(level, "fatal") == 0))
                        snprintf(buf, size, "%s", msg);
        }
}

/* Runs `RUNTIME --root RUN/runc --log RUN/runc.log --log-format json VERB
 * ARGS... ID` with stdio as its 0, 1, 2 and waits for it. */
static int oci_run(struct shim *s, const char *verb, const char *const *args, const int stdio[3],
                   struct kerr *err)
{
        _cleanup_free_ char *root = xasprintf("%s/runc", s->opts->run_dir);
        _cleanup_free_ char *logp = xasprintf("%s/runc.log", s->opts->run_dir);
        const char *argv[OCI_ARGS_MAX + 10];
        int n = 0;
        argv[n++] = s->opts->runtime;
        argv[n++] = "--root";
        argv[n++] = root;
        argv[n++] = "--log";
        argv[n++] = logp;
        argv[n++] = "--log-format";
        argv[n++] = "json";
        argv[n++] = verb;
        for (int i = 0; args && args[i] && i < OCI_ARGS_MAX; i++)
                argv[n++] = args[i];
        argv[n++] = s->opts->id;
        argv[n] = NULL;
        struct stat st;
        off_t offset = stat(logp, &st) == 0 ? st.st_size : 0;

        pid_t pid = fork();
        if (pid < 0)
                return kerr_set(err, KERR_INTERNAL, errno, "fork: %m");
        if (pid == 0) {
                /* The shim's fds 0-2 are /dev/null and shim.log; pipes are
                 * above them, so these dup2s cannot clobber one another. */
                for (int i = 0; i < 3; i++)
                        if (stdio[i] != i && dup2(stdio[i], i) < 0)
                                _exit(127);
                /* Blocked signals and ignored dispositions survive exec: the
                 * runtime, and the container after it, start clean. */
                sigset_t none;
                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                signal(SIGPIPE, SIG_DFL);
                signal(SIGHUP, SIG_DFL);
                execv(argv[0], (char *const *)argv);
                _exit(127);
        }
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return kerr_set(err, KERR_INTERNAL, errno, "waitpid: %m");
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return 0;
        char msg[900];
        oci_log_error(logp, offset, msg, sizeof(msg));
        if (!msg[0])
                snprintf(msg, sizeof(msg), "%s %s failed (status %d)", s->opts->runtime, verb,
                         shim_exit_code(status));
        /* runc reports only text: its words are the one source here. */
        int en = oci_errno(msg);
        return kerr_set(err, en == EIO ? KERR_INTERNAL : KERR_INVALID, en, "%s", msg);
}

static const int shim_stdio[3] = {0, 1, 2};

/* True when rl asks for more than this process may have; raises the shim's
 * own hard limit first when it can (CAP_SYS_RESOURCE), as runc then can. */
static bool oci_rlimit_too_high(const struct rt_rlimit *rl, struct rlimit *have)
{
        if (getrlimit(rl->resource, have) < 0 || rl->hard <= have->rlim_max)
                return false;
        struct rlimit raised = {have->rlim_cur, rl->hard};
        return setrlimit(rl->resource, &raised) < 0;
}

/* runc refuses a spec whose rlimits exceed what the host allows (EPERM
 * without CAP_SYS_RESOURCE, e.g. Docker's default nofile 1048576); the
 * built-in runtime clamps them with a warning. For the same container from
 * the same spec, the shim clamps them in config.json before runc reads it. */
static int oci_clamp_rlimits(struct shim *s, struct kerr *err)
{
        struct rlimit have[RLIM_NLIMITS];
        bool any = false, clamp[RLIM_NLIMITS] = {0};
        for (size_t i = 0; i < s->spec.process.n_rlimits; i++) {
                const struct rt_rlimit *rl = &s->spec.process.rlimits[i];
                if (rl->resource >= 0 && rl->resource < RLIM_NLIMITS &&
                    oci_rlimit_too_high(rl, &have[rl->resource]))
                        any = clamp[rl->resource] = true;
        }
        if (!any)
                return 0;
        _cleanup_close_ int dfd = open(s->opts->bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r = dfd < 0 ? -errno : fs_read_at(dfd, "config.json", RT_SPEC_MAX_BYTES, &text, &len);
        _cleanup_json_ json_t *spec = r < 0 ? NULL : json_loadb(text, len, 0, NULL);
        if (!spec)
                return kerr_set(err, KERR_INTERNAL, r < 0 ? r : EINVAL, "reread config.json");
        size_t i;
        json_t *rl;
        json_array_foreach(json_object_get(json_object_get(spec, "process"), "rlimits"), i, rl)
        {
                const char *type = json_get_str(rl, "type");
                int res = type ? rt_rlimit_from_name(type) : -1;
                if (res < 0 || res >= RLIM_NLIMITS || !clamp[res])
                        continue;
                uint64_t max = have[res].rlim_max;
                if ((uint64_t)json_integer_value(json_object_get(rl, "soft")) > max)
                        json_set_int(rl, "soft", (int64_t)max);
                json_set_int(rl, "hard", (int64_t)max);
                log_warn("container '%s': ulimit %s exceeds the host's hard limit %llu; clamped",
                         s->opts->id, type, (unsigned long long)max);
        }
        _cleanup_free_ char *out = json_dumps(spec, JSON_INDENT(1));
        r = fs_write_atomic_at_flags(dfd, "config.json", out, strlen(out), 0600, FS_WRITE_NO_SYNC);
        if (r < 0)
                return kerr_set(err, KERR_INTERNAL, r, "rewrite config.json: %s", strerror(-r));
        return 0;
}

/* runc wants root.path mounted; the built-in runtime mounts it inside the
 * container instead. The shim is root and in its own session. */
static int oci_mount_root(struct shim *s, struct kerr *err)
{
        const struct rt_spec *spec = &s->spec;
        if (!spec->lowerdirs)
                return 0; /* a plain directory root: runc bind-mounts it itself */
        _cleanup_free_ char *data = spec->upperdir
                                        ? xasprintf("lowerdir=%s,upperdir=%s,workdir=%s",
                                                    spec->lowerdirs, spec->upperdir, spec->workdir)
                                        : xasprintf("lowerdir=%s", spec->lowerdirs);
        if (strlen(data) >= 4096) /* the kernel takes one page of options */
                return kerr_set(err, KERR_INVALID, E2BIG, "overlay options for %s are too long",
                                spec->root_path);
        if (mount("overlay", spec->root_path, "overlay", 0, data) < 0)
                return kerr_set(err, KERR_INTERNAL, errno, "mount overlay on '%s': %m",
                                spec->root_path);
        s->rootfs_mounted = true;
        return 0;
}

static void oci_unmount_root(struct shim *s)
{
        if (!s->rootfs_mounted)
                return;
        /* Detached: a process still inside (none should be) cannot pin it. */
        if (umount2(s->spec.root_path, MNT_DETACH) < 0)
                log_warn("container '%s': unmount '%s': %m, ignoring", s->opts->id,
                         s->spec.root_path);
        s->rootfs_mounted = false;
}

/* The console socket, bound in the run directory. runc is given it as
 * /proc/<shim>/fd/<dir>/console.sock: short enough for sun_path whatever
 * the run directory's length, and reachable only by root. */
static int oci_console_listen(struct shim *s, int *ret_dirfd, char *path, size_t size)
{
        struct sockaddr_un sa;
        _cleanup_close_ int tmpfd = -EBADF;
        int r = fs_unix_addr(s->opts->run_dir, "console.sock", &sa, &tmpfd);
        if (r < 0)
                return r;
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        _cleanup_close_ int dirfd = open(s->opts->run_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || dirfd < 0)
                return -errno;
        unlink(sa.sun_path);
        mode_t old = umask(0077);
        r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
        umask(old);
        if (r < 0 || listen(fd, 1) < 0)
                return -errno;
        snprintf(path, size, "/proc/%d/fd/%d/console.sock", (int)getpid(), dirfd);
        *ret_dirfd = TAKE_FD(dirfd);
        return TAKE_FD(fd);
}

/* runc has connected and sent the master by the time create returns; the
 * connection waits in the backlog. */
static int oci_console_recv(int listen_fd, struct kerr *err)
{
        _cleanup_close_ int c = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0)
                return kerr_set(err, KERR_INTERNAL, errno, "console socket: no connection: %m");
        char name[256];
        struct iovec iov = {name, sizeof(name)};
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int))];
        } u;
        struct msghdr mh = {.msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = u.buf,
                            .msg_controllen = sizeof(u.buf)};
        if (recvmsg(c, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT) < 0)
                return kerr_set(err, KERR_INTERNAL, errno, "console socket: %m");
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
        if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
            cm->cmsg_len != CMSG_LEN(sizeof(int)))
                return kerr_set(err, KERR_INTERNAL, EBADMSG, "console socket: no pty master sent");
        int fd;
        memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
        return fd;
}

static int oci_read_pid(struct shim *s, struct kerr *err)
{
        _cleanup_close_ int dfd = open(s->opts->run_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_free_ char *text = NULL;
        int r = dfd < 0 ? -errno : fs_read_at(dfd, "container.pid", 64, &text, NULL);
        int pid = 0;
        if (r >= 0)
                parse_pid(text, &pid);
        if (pid <= 1)
                return kerr_set(err, KERR_INTERNAL, r < 0 ? r : EINVAL, "%s wrote no container.pid",
                                s->opts->runtime);
        s->ct.pid = (pid_t)pid;
        return 0;
}

static int oci_create_terminal(struct shim *s, struct kerr *err)
{
        char path[96];
        _cleanup_close_ int dirfd = -EBADF;
        _cleanup_close_ int lfd = oci_console_listen(s, &dirfd, path, sizeof(path));
        if (lfd < 0)
                return kerr_set(err, KERR_INTERNAL, lfd, "console socket: %s", strerror(-lfd));
        const char *args[] = {
            "--bundle", s->opts->bundle, "--pid-file", NULL, "--console-socket", path, NULL};
        _cleanup_free_ char *pidf = xasprintf("%s/container.pid", s->opts->run_dir);
        args[3] = pidf;
        int r = oci_run(s, "create", args, shim_stdio, err);
        _cleanup_free_ char *sock = xasprintf("%s/console.sock", s->opts->run_dir);
        if (r >= 0 && (r = oci_console_recv(lfd, err)) >= 0)
                s->ct.pty_master = r;
        unlink(sock);
        if (r < 0)
                return r;
        if (s->spec.process.console_rows && s->spec.process.console_cols)
                shim_io_resize(s, s->spec.process.console_rows, s->spec.process.console_cols);
        return 0;
}

int shim_oci_create(struct shim *s, const int stdio[3], struct kerr *err)
{
        _cleanup_free_ char *root = xasprintf("%s/runc", s->opts->run_dir);
        if (mkdir(root, 0700) < 0 && errno != EEXIST)
                return kerr_set(err, KERR_INTERNAL, errno, "create '%s': %m", root);
        int r = oci_clamp_rlimits(s, err);
        if (r < 0 || (r = oci_mount_root(s, err)) < 0)
                return r;
        s->oci_created = true; /* from here on, cleanup runs `delete` */
        if (s->spec.process.terminal) {
                r = oci_create_terminal(s, err);
        } else {
                _cleanup_free_ char *pidf = xasprintf("%s/container.pid", s->opts->run_dir);
                const char *args[] = {"--bundle", s->opts->bundle, "--pid-file", pidf, NULL};
                r = oci_run(s, "create", args, stdio, err);
        }
        if (r >= 0)
                r = oci_read_pid(s, err);
        if (r < 0) {
                struct kerr ignored = {0};
                shim_oci_cleanup(s, &ignored);
                s->ct.pid = 0;
        }
        return r;
}

int shim_oci_start(struct shim *s, struct kerr *err)
{
        int r = oci_run(s, "start", NULL, shim_stdio, err);
        /* A container that cannot start must not wait on its fifo forever:
         * the loop reaps it and records the error. */
        if (r < 0 && s->ct.pid > 0)
                kill(s->ct.pid, SIGKILL);
        return r;
}

int shim_oci_cleanup(struct shim *s, struct kerr *err)
{
        int r = 0;
        if (s->oci_created) {
                const char *args[] = {"--force", NULL};
                r = oci_run(s, "delete", args, shim_stdio, err);
                s->oci_created = false;
        }
        oci_unmount_root(s);
        return r;
}
