/* builtin.c - the built-in runtime's two halves: the caller (clone, cgroup,
 * the setup channel) and the child's sequence of steps.
 *
 * The channel is a SOCK_SEQPACKET socketpair, one message per step. The
 * child's end is CLOEXEC, so a successful execve shows up in the parent as
 * end-of-file, and a failure as an ERROR message carrying a kerr. */
#include "builtin.h"

#include "base/cleanup.h"
#include "base/xalloc.h"
#include "builtin-internal.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

enum sync_type {
        SYNC_CGROUP_DONE = 1, /* parent -> child: joined; go on */
        SYNC_READY,           /* child -> parent: waiting for START (+ pty fd) */
        SYNC_START,           /* parent -> child: exec */
        SYNC_WARN,            /* child -> parent: kerr.msg is a warning */
        SYNC_ERROR,           /* child -> parent: kerr is the failure */
};

struct sync_msg {
        int type;
        struct kerr kerr;
};

static int sync_send(int fd, int type, const struct kerr *kerr, int pass_fd)
{
        struct sync_msg m = {.type = type};
        if (kerr)
                m.kerr = *kerr;
        struct iovec iov = {.iov_base = &m, .iov_len = sizeof(m)};
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } u;
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
        if (pass_fd >= 0) {
                mh.msg_control = u.buf;
                mh.msg_controllen = sizeof(u.buf);
                struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
        }
        ssize_t n;
        do
                n = sendmsg(fd, &mh, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        return n == (ssize_t)sizeof(m) ? 0 : -EPIPE;
}

/* Returns the type, 0 on end-of-file, or -errno. */
static int sync_recv(int fd, struct sync_msg *m, int *ret_fd)
{
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } u;
        struct iovec iov = {.iov_base = m, .iov_len = sizeof(*m)};
        struct msghdr mh = {.msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = u.buf,
                            .msg_controllen = sizeof(u.buf)};
        ssize_t n;
        do
                n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        if (n == 0)
                return 0;
        if (n != (ssize_t)sizeof(*m))
                return -EBADMSG;
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        if (c && c->cmsg_type == SCM_RIGHTS) {
                int fd_in;
                memcpy(&fd_in, CMSG_DATA(c), sizeof(int));
                if (ret_fd)
                        *ret_fd = fd_in;
                else
                        close(fd_in);
        }
        return m->type;
}

void rt_child_warn(int sync_fd, const char *fmt, ...)
{
        struct kerr k = {.kind = KERR_NONE};
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(k.msg, sizeof(k.msg), fmt, ap);
        va_end(ap);
        sync_send(sync_fd, SYNC_WARN, &k, -1);
}

/* --- the child --- */

static int child_wait(int fd, int type)
{
        struct sync_msg m;
        int r = sync_recv(fd, &m, NULL);
        return r == type ? 0 : -EPIPE;
}

static int child_setup(const struct rt_spec *spec, const struct rt_builtin_opts *opts, int fd,
                       char **ret_path, struct kerr *err)
{
        int r, master = -EBADF;
        if (child_wait(fd, SYNC_CGROUP_DONE) < 0)
                return kerr_set(err, KERR_INTERNAL, EPIPE, "runtime parent went away");
        if ((r = rt_ns_join_paths(spec, err)) < 0 || (r = rt_ns_setup(spec, err)) < 0)
                return r;
        if (!spec->process.terminal && (r = rt_process_stdio(opts->stdio, err)) < 0)
                return r;
        if ((r = rt_mount_setup(spec, err)) < 0)
                return r;
        if (spec->process.terminal && (r = rt_dev_open_pty(spec, &master, err)) < 0)
                return r;
        if ((r = rt_process_rlimits(spec, fd, err)) < 0)
                return r;
        if (chdir(spec->process.cwd) < 0)
                return kerr_set(err, KERR_INVALID, errno,
                                "chdir to cwd (\"%s\") set in config.json failed: %m",
                                spec->process.cwd);
        if ((r = rt_process_lookup(spec, ret_path, err)) < 0)
                return r;
        r = sync_send(fd, SYNC_READY, NULL, master);
        if (master >= 0)
                close(master);
        if (r < 0 || child_wait(fd, SYNC_START) < 0)
                return kerr_set(err, KERR_INTERNAL, EPIPE, "runtime parent went away");
        return 0;
}

static _Noreturn void child_main(const struct rt_spec *spec, const struct rt_builtin_opts *opts,
                                 int fd)
{
        struct kerr err = {0};
        char *path = NULL;
        /* The shim dying must not leave a half-built container behind. */
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        /* The caller's signal mask and ignored signals would survive exec. */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        signal(sig, SIG_DFL);
        int r = child_setup(spec, opts, fd, &path, &err);
        if (r >= 0) {
                prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
                r = rt_process_exec(spec, path, fd, &err);
        }
        sync_send(fd, SYNC_ERROR, &err, -1);
        /* 127 for "not found", 126 for the rest, as a shell reports them. */
        _exit(err.errnum == ENOENT ? 127 : 126);
}

/* --- the caller --- */

static void add_warning(struct rt_builtin *c, const char *msg)
{
        if (c->n_warnings < RT_BUILTIN_WARNINGS_MAX)
                c->warnings[c->n_warnings++] = xstrdup(msg);
}

/* Reads messages until want (or EOF when want is 0). */
static int parent_wait(struct rt_builtin *c, int want, int *ret_fd, struct kerr *err)
{
        for (;;) {
                struct sync_msg m;
                int r = sync_recv(c->sync_fd, &m, ret_fd);
                if (r == SYNC_WARN) {
                        m.kerr.msg[sizeof(m.kerr.msg) - 1] = 0;
                        add_warning(c, m.kerr.msg);
                        continue;
                }
                if (r == SYNC_ERROR) {
                        m.kerr.msg[sizeof(m.kerr.msg) - 1] = 0;
                        *err = m.kerr;
                        return -(m.kerr.errnum ? m.kerr.errnum : EIO);
                }
                if (r == want)
                        return 0;
                return kerr_set(err, KERR_INTERNAL, r < 0 ? -r : EPIPE,
                                "container process died during setup");
        }
}

static void kill_and_reap(pid_t pid)
{
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
}

static int parent_setup(const struct rt_spec *spec, const struct rt_builtin_opts *opts,
                        struct rt_builtin *c, struct kerr *err)
{
        const char *cg_path = opts->cgroup_path ? opts->cgroup_path : spec->cgroups_path;
        int r;
        if (cg_path) {
                const char *root = opts->cgroup_root ? opts->cgroup_root : "/sys/fs/cgroup";
                if ((r = rt_cgroup_create(root, cg_path, 0, &spec->resources, &c->cgroup, err)) <
                        0 ||
                    (r = rt_cgroup_add(&c->cgroup, c->pid, err)) < 0)
                        return r;
        }
        if (sync_send(c->sync_fd, SYNC_CGROUP_DONE, NULL, -1) < 0)
                return kerr_set(err, KERR_INTERNAL, EPIPE, "container process died during setup");
        return parent_wait(c, SYNC_READY, spec->process.terminal ? &c->pty_master : NULL, err);
}

int rt_builtin_create(const struct rt_spec *spec, const struct rt_builtin_opts *opts,
                      struct rt_builtin *ret, struct kerr *err)
{
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return kerr_set(err, KERR_INTERNAL, errno, "socketpair: %m");
        /* A raw clone with no new stack behaves as fork: the child runs on
         * a copy of this stack. */
        unsigned long flags = rt_ns_clone_flags(spec) | SIGCHLD;
        long pid = syscall(SYS_clone, flags, NULL, NULL, NULL, NULL);
        if (pid < 0) {
                int e = errno;
                close(sv[0]);
                close(sv[1]);
                return kerr_set(err, KERR_INTERNAL, e, "clone: %s", strerror(e));
        }
        if (pid == 0) {
                close(sv[0]);
                child_main(spec, opts, sv[1]);
        }
        close(sv[1]);
        struct rt_builtin c = {.pid = (pid_t)pid, .sync_fd = sv[0], .pty_master = -EBADF};
        int r = parent_setup(spec, opts, &c, err);
        if (r < 0) {
                kill_and_reap(c.pid);
                c.pid = 0;
                rt_builtin_cleanup(&c, NULL);
                rt_builtin_release(&c);
                return r;
        }
        *ret = c;
        return 0;
}

int rt_builtin_start(struct rt_builtin *c, struct kerr *err)
{
        if (c->sync_fd < 0)
                return kerr_set(err, KERR_CONFLICT, EALREADY, "container already started");
        int r = sync_send(c->sync_fd, SYNC_START, NULL, -1);
        if (r < 0)
                r = kerr_set(err, KERR_INTERNAL, EPIPE, "container process died before start");
        else
                r = parent_wait(c, 0, NULL, err);
        close(c->sync_fd);
        c->sync_fd = -EBADF;
        return r;
}

int rt_builtin_cleanup(struct rt_builtin *c, struct kerr *err)
{
        int r = 0;
        if (c->cgroup.path)
                r = rt_cgroup_destroy(&c->cgroup, err);
        rt_cgroup_release(&c->cgroup);
        return r;
}

void rt_builtin_release(struct rt_builtin *c)
{
        if (c->sync_fd >= 0)
                close(c->sync_fd);
        if (c->pty_master >= 0)
                close(c->pty_master);
        for (int i = 0; i < c->n_warnings; i++)
                free(c->warnings[i]);
        rt_cgroup_release(&c->cgroup);
        *c = (struct rt_builtin){.sync_fd = -EBADF, .pty_master = -EBADF};
}
