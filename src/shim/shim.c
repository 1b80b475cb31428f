/* shim.c - the shim's life: detach from the launcher, create the container,
 * run the poll loop until it has exited and its output is drained, record
 * the exit, leave. */
#include "shim-internal.h"

#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

/* Tells the launcher how it went, once: "ok" or "error KIND ERRNO msg"
 * (proto.h), so the daemon maps the kind and errno, not English words. */
static void report(struct shim *s, const struct kerr *err)
{
        if (s->report_fd < 0)
                return;
        /* Newline-terminated: until its exec, the container's process holds
         * a copy of this pipe, so the launcher cannot wait for EOF. */
        char line[1100];
        int n = shim_report_format(line, sizeof(line) - 1, err ? err->kind : KERR_NONE,
                                   err ? err->errnum : 0, err ? err->msg : NULL);
        if (n < 0)
                n = snprintf(line, sizeof(line) - 1, "error %d %d setup failed", KERR_INTERNAL,
                             EIO);
        line[n++] = '\n';
        fs_write_all(s->report_fd, line, (size_t)n);
        close(s->report_fd);
        s->report_fd = -EBADF;
}

static void fail(struct shim *s, const struct kerr *err)
{
        snprintf(s->error, sizeof(s->error), "%s", err->msg);
        s->error_errno = abs(err->errnum);
        s->error_kind = err->kind != KERR_NONE ? err->kind : KERR_INTERNAL;
        log_error("container '%s': %s", s->opts->id, err->msg);
        report(s, err);
}

static int write_pid(const char *dir, const char *name, pid_t pid)
{
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        char text[32];
        int n = snprintf(text, sizeof(text), "%d\n", (int)pid);
        /* pid files live as long as the shim: no fsync needed. */
        return dfd < 0
                   ? -errno
                   : fs_write_atomic_at_flags(dfd, name, text, (size_t)n, 0644, FS_WRITE_NO_SYNC);
}

int shim_start(struct shim *s)
{
        struct kerr err = {0};
        if (s->started)
                return 0;
        if (s->ct.pid <= 0 || s->exited)
                return kerr_set(&err, KERR_CONFLICT, ESRCH, "container is not created");
        int r = s->opts->runtime ? shim_oci_start(s, &err) : rt_builtin_start(&s->ct, &err);
        if (r < 0) {
                fail(s, &err);
                return r;
        }
        s->started = true;
        report(s, NULL);
        if (s->lifeline_fd >= 0) {
                close(s->lifeline_fd);
                s->lifeline_fd = -EBADF;
        }
        return 0;
}

int shim_kill(struct shim *s, int sig)
{
        if (sig <= 0 || sig >= NSIG)
                return -EINVAL;
        if (s->exited || s->ct.pid <= 0)
                return -ESRCH;
        return kill(s->ct.pid, sig) < 0 ? -errno : 0;
}

static int create(struct shim *s)
{
        struct kerr err = {0};
        int child[3];
        int r = rt_spec_load(s->opts->bundle, &s->spec, &err);
        if (r < 0)
                goto failed;
        if ((r = shim_io_prepare(s, child)) < 0) {
                kerr_set(&err, KERR_INTERNAL, r, "container stdio: %s", strerror(-r));
                goto failed;
        }
        if (s->opts->log_path &&
            (r = logfile_open(&s->log, s->opts->log_path, s->opts->log_max_size,
                              s->opts->log_max_file, &err)) < 0)
                goto failed;
        s->have_log = s->opts->log_path != NULL;
        struct rt_builtin_opts ro = {
            .stdio = {child[0], child[1], child[2]},
            .cgroup_root = s->opts->cgroup_root,
            .cgroup_path = s->opts->cgroup_path,
        };
        r = s->opts->runtime ? shim_oci_create(s, child, &err)
                             : rt_builtin_create(&s->spec, &ro, &s->ct, &err);
        for (int i = 0; i < 3; i++)
                if (child[i] >= 0)
                        close(child[i]);
        if (r < 0)
                goto failed;
        for (int i = 0; i < s->ct.n_warnings; i++)
                log_warn("container '%s': %s", s->opts->id, s->ct.warnings[i]);
        if (s->spec.process.terminal) {
                s->out_fd[0] = s->ct.pty_master; /* borrowed: ct owns it */
                /* stdin written to it must never block the loop (io.c) */
                fcntl(s->ct.pty_master, F_SETFL, fcntl(s->ct.pty_master, F_GETFL) | O_NONBLOCK);
        }
        if ((r = write_pid(s->opts->run_dir, "container.pid", s->ct.pid)) < 0 ||
            (r = shim_attach_listen(s)) < 0 ||
            (r = write_pid(s->opts->run_dir, "shim.pid", getpid())) < 0) {
                kerr_set(&err, KERR_INTERNAL, r, "run directory '%s': %s", s->opts->run_dir,
                         strerror(-r));
                kill(s->ct.pid, SIGKILL);
                return r;
        }
        return 0;
failed:
        fail(s, &err);
        return r;
}

static void on_signal(struct shim *s)
{
        struct signalfd_siginfo si;
        if (read(s->sigfd, &si, sizeof(si)) != sizeof(si))
                return;
        if (si.ssi_signo != SIGCHLD) {
                /* SIGTERM/SIGINT to the shim are meant for the container. */
                shim_kill(s, (int)si.ssi_signo);
                return;
        }
        /* As a subreaper the shim also inherits orphans; reap them all. */
        int status;
        pid_t pid;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
                if (pid == s->ct.pid) {
                        s->exited = true;
                        s->status = status;
                }
}

struct poll_set {
        struct pollfd p[7 + SHIM_CLIENTS_MAX];
        int n, out[2], stdin, life, client[SHIM_CLIENTS_MAX];
        bool backlogged;
};

static int poll_add(struct poll_set *ps, int fd, short events)
{
        ps->p[ps->n] = (struct pollfd){.fd = fd, .events = events};
        return ps->n++;
}

/* What to wait for: output only while no attach client is backlogged,
 * client frames only while the container's stdin takes more. */
static void poll_build(struct shim *s, struct poll_set *ps)
{
        ps->n = 0;
        poll_add(ps, s->sigfd, POLLIN);
        poll_add(ps, s->attach_listen, POLLIN);
        poll_add(ps, s->ctl_listen, POLLIN);
        ps->life = s->lifeline_fd >= 0 && !s->started ? poll_add(ps, s->lifeline_fd, POLLIN) : -1;
        ps->backlogged = shim_attach_backlogged(s);
        for (int i = 0; i < 2; i++)
                ps->out[i] = s->out_fd[i] >= 0 && s->started && !ps->backlogged
                                 ? poll_add(ps, s->out_fd[i], POLLIN)
                                 : -1;
        int in = shim_io_stdin_waiting(s);
        ps->stdin = in >= 0 ? poll_add(ps, in, POLLOUT) : -1;
        for (int i = 0; i < SHIM_CLIENTS_MAX; i++) {
                struct shim_client *c = s->clients[i];
                ps->client[i] = -1;
                if (!c)
                        continue;
                short ev = (short)((c->ctl || in < 0 ? POLLIN : 0) | (c->out.len ? POLLOUT : 0));
                ps->client[i] = poll_add(ps, c->fd, ev);
        }
}

static void poll_clients(struct shim *s, const struct poll_set *ps)
{
        for (int i = 0; i < SHIM_CLIENTS_MAX; i++) {
                short rev = ps->client[i] >= 0 ? ps->p[ps->client[i]].revents : 0;
                short ev = ps->client[i] >= 0 ? ps->p[ps->client[i]].events : 0;
                if (rev & POLLOUT && s->clients[i])
                        shim_attach_send_queued(s, i);
                if (!s->clients[i] || !(rev & (POLLIN | POLLHUP | POLLERR)))
                        continue;
                if (ev & POLLIN)
                        shim_attach_read(s, i);
                else if (rev & (POLLHUP | POLLERR))
                        shim_attach_drop(s, i);
        }
}

/* One round of poll. Returns false when there is nothing left to wait for. */
static bool loop_once(struct shim *s)
{
        struct poll_set ps;
        poll_build(s, &ps);
        if (s->exited && s->out_fd[0] < 0 && s->out_fd[1] < 0)
                return false;
        /* After the exit, output still buffered is drained; a grandchild
         * that keeps the pipe open (no pid namespace) gets 200 ms, an
         * attach client that is behind 5 s. Log entries waiting in memory
         * set a shorter timer. */
        int timeout = !s->exited ? -1 : ps.backlogged ? 5000 : 200;
        int due = s->have_log ? logfile_due(&s->log) : -1;
        bool log_timer = due >= 0 && (timeout < 0 || due < timeout);
        int r = poll(ps.p, (nfds_t)ps.n, log_timer ? due : timeout);
        if (s->have_log && logfile_due(&s->log) == 0 && logfile_sync(&s->log) < 0)
                log_warn("container '%s': writing its log failed, ignoring", s->opts->id);
        if (r == 0)
                return log_timer;
        if (r < 0)
                return errno == EINTR;
        if (ps.p[0].revents)
                on_signal(s);
        for (int i = 0; i < 2; i++)
                if (ps.out[i] >= 0 && ps.p[ps.out[i]].revents && !shim_io_pump(s, i)) {
                        if (!s->spec.process.terminal)
                                close(s->out_fd[i]);
                        s->out_fd[i] = -EBADF;
                }
        if (ps.stdin >= 0 && ps.p[ps.stdin].revents && shim_io_stdin_drain(s))
                shim_attach_resume(s);
        poll_clients(s, &ps);
        if (ps.p[1].revents)
                shim_attach_accept(s, s->attach_listen, false);
        if (ps.p[2].revents)
                shim_attach_accept(s, s->ctl_listen, true);
        if (ps.life >= 0 && ps.p[ps.life].revents && s->lifeline_fd >= 0 && !s->started) {
                /* The daemon died during the start: nobody will send START
                 * or know this container runs. */
                log_warn("container '%s': the daemon went away before START, ending", s->opts->id);
                close(s->lifeline_fd);
                s->lifeline_fd = -EBADF;
                shim_kill(s, SIGKILL);
        }
        return true;
}

static void finish(struct shim *s)
{
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        if (s->have_log)
                logfile_flush(&s->log, &now);
        if (s->ct.pid > 0 && !s->exited) {
                /* Only reached when the shim cannot go on: never leave the
                 * container running unsupervised. */
                kill(s->ct.pid, SIGKILL);
                if (waitpid(s->ct.pid, &s->status, 0) == s->ct.pid)
                        s->exited = true;
        }
        int r = shim_exitfile_write(s);
        if (r < 0)
                log_error_errno(r, "container '%s': writing exit.json", s->opts->id);
        shim_attach_close_all(s);
        struct kerr err = {0};
        if ((s->opts->runtime ? shim_oci_cleanup(s, &err) : rt_builtin_cleanup(&s->ct, &err)) < 0)
                log_warn("container '%s': %s, ignoring", s->opts->id, err.msg);
}

static int run(struct shim *s)
{
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGCHLD);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigprocmask(SIG_BLOCK, &set, NULL);
        signal(SIGPIPE, SIG_IGN);
        signal(SIGHUP, SIG_IGN);
        s->sigfd = signalfd(-1, &set, SFD_CLOEXEC);
        /* Orphans of the container (host pid namespace) come to the shim,
         * not to init, so none is left unreaped. */
        prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        if (s->sigfd < 0 || create(s) < 0) {
                finish(s);
                return 1;
        }
        if (s->opts->defer_start)
                report(s, NULL);
        else if (shim_start(s) < 0)
                s->started = false;
        while (loop_once(s))
                ;
        finish(s);
        return 0;
}

/* The launcher waits for the detached shim's word, so its caller gets a
 * plain success or the error text, and the shim lives on on its own. */
static int launch(struct shim *s)
{
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return log_error_errno(-errno, "pipe"), 1;
        pid_t pid = fork();
        if (pid < 0)
                return log_error_errno(-errno, "fork"), 1;
        if (pid > 0) {
                close(p[1]);
                char msg[1100];
                size_t len = 0;
                ssize_t n;
                while (len < sizeof(msg) - 1 &&
                       (n = read(p[0], msg + len, sizeof(msg) - 1 - len)) != 0) {
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n < 0)
                                break;
                        len += (size_t)n;
                        if (memchr(msg, '\n', len))
                                break;
                }
                msg[len] = 0;
                msg[strcspn(msg, "\n")] = 0;
                len = strlen(msg);
                close(p[0]);
                int kind, errnum;
                const char *text;
                int pr = shim_report_parse(msg, &kind, &errnum, &text);
                if (pr == 0)
                        return 0;
                fprintf(stderr, "kedge shim: %s\n", len ? msg : "the shim died during setup");
                return 1;
        }
        close(p[0]);
        s->report_fd = p[1];
        /* Its own session: no terminal's hangup and no signal to the
         * launcher's process group reach it. */
        setsid();
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        _cleanup_free_ char *logp = xasprintf("%s/shim.log", s->opts->run_dir);
        int lfd = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (null >= 0) {
                dup2(null, 0);
                dup2(null, 1);
                dup2(lfd >= 0 ? lfd : null, 2);
                close(null);
        }
        if (lfd >= 0)
                close(lfd);
        _exit(run(s));
}

int shim_main(const struct shim_opts *opts)
{
        struct shim s = {
            .opts = opts,
            .out_fd = {-EBADF, -EBADF},
            .stdin_fd = -EBADF,
            .attach_listen = -EBADF,
            .ctl_listen = -EBADF,
            .sigfd = -EBADF,
            .report_fd = -EBADF,
            .lifeline_fd = opts->lifeline_fd,
            .run_dirfd = open(opts->run_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC),
            .ct = {.sync_fd = -EBADF, .pty_master = -EBADF},
        };
        /* Not for the container (nor an external runtime) to inherit. */
        if (s.lifeline_fd >= 0 && fcntl(s.lifeline_fd, F_SETFD, FD_CLOEXEC) < 0)
                s.lifeline_fd = -EBADF;
        int r = opts->foreground ? run(&s) : launch(&s);
        return r;
}
