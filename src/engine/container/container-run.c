/* container-run.c - starting, stopping and watching containers through
 * their shims (DESIGN.md process model: daemon -> kedge shim -> runtime).
 *
 * Files of a running container live in <exec-root>/<id>/ (the shim's run
 * directory: shim.pid, container.pid, attach.sock, ctl.sock, exit.json).
 * The daemon watches each shim with a pidfd; when it goes, exit.json says
 * how the container ended. A daemon that restarts finds the shims again. */
#include "container-internal.h"
#include "engine/engine.h"
#include "container-options.h"
#include "logs.h"
#include "signals.h"

#include "base/timestamp.h"
#include "base/buf.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/log.h"
#include "base/parse.h"
#include "base/spawn.h"
#include "base/xalloc.h"
#include "runtime/cgroup.h"
#include "shim/proto.h"
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void container_run_dir(struct engine *e, const struct container *c, char *buf, size_t size)
{
        snprintf(buf, size, "%s/%s", e->exec_root, c->id);
}

static bool is_running(enum container_state s)
{
        return container_state_is_running(s);
}

/* --- talking to the shim --- */

int shim_connect(struct engine *e, struct container *c, const char *sock)
{
        struct sockaddr_un sa;
        char dir[300];
        container_run_dir(e, c, dir, sizeof(dir));
        _cleanup_close_ int dirfd = -EBADF;
        int q = fs_unix_addr(dir, sock, &sa, &dirfd);
        if (q < 0)
                return q;
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

/* One request on ctl.sock; OK -> 0, ERROR -> -EIO with the shim's words. */
int shim_request(struct engine *e, struct container *c, enum shim_frame_type type,
                 const void *payload, uint32_t len, struct kerr *err)
{
        _cleanup_close_ int fd = shim_connect(e, c, "ctl.sock");
        if (fd < 0)
                return kerr_set(err, KERR_INTERNAL, fd, "container %s: cannot reach its shim: %s",
                                c->id, strerror(-fd));
        uint8_t hdr[SHIM_FRAME_HDR];
        shim_frame_header(hdr, type, len);
        if (fs_write_all(fd, hdr, sizeof(hdr)) < 0 || (len && fs_write_all(fd, payload, len) < 0))
                return kerr_set(err, KERR_INTERNAL, errno, "container %s: shim request failed",
                                c->id);
        uint8_t in[SHIM_FRAME_HDR + 2048];
        size_t have = 0;
        for (;;) {
                ssize_t n = read(fd, in + have, sizeof(in) - have);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return kerr_set(err, KERR_INTERNAL, EPIPE, "container %s: the shim hung up",
                                        c->id);
                have += (size_t)n;
                struct shim_frame f;
                int r = shim_frame_parse(in, have, sizeof(in) - SHIM_FRAME_HDR, &f);
                if (r == 0)
                        continue;
                if (r < 0)
                        return kerr_set(err, KERR_INTERNAL, EBADMSG,
                                        "container %s: bad reply from the shim", c->id);
                if (f.type == SHIM_FRAME_OK)
                        return 0;
                int kind, errnum;
                const char *msg;
                size_t mlen;
                if (f.type != SHIM_FRAME_ERROR ||
                    shim_frame_get_error(&f, &kind, &errnum, &msg, &mlen) < 0)
                        return kerr_set(err, KERR_INTERNAL, EBADMSG,
                                        "container %s: bad reply from the shim", c->id);
                kerr_set(err, (enum kerr_kind)kind, errnum ? errnum : EIO, "%.*s", (int)mlen, msg);
                return -(errnum ? errnum : EIO);
        }
}

/* --- the monitor: one thread, a pidfd per shim --- */

int pidfd_open_(pid_t pid)
{
        return (int)syscall(SYS_pidfd_open, pid, 0);
}

void container_watch(struct engine *e, struct container *c, int pidfd)
{
        c->shim_pidfd = pidfd;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = container_ref(c)};
        if (epoll_ctl(e->monitor_epfd, EPOLL_CTL_ADD, pidfd, &ev) < 0) {
                log_error_errno(-errno, "watch shim of %s", c->id);
                container_unref(c);
        }
}

/* Reads exit.json; false when the shim left none. */
static bool read_exit_file(struct engine *e, struct container *c, int *code, int64_t *finished,
                           char **error, bool *oom)
{
        char dir[300];
        container_run_dir(e, c, dir, sizeof(dir));
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_free_ char *text = NULL;
        if (dfd < 0 || fs_read_at(dfd, "exit.json", 65536, &text, NULL) < 0)
                return false;
        _cleanup_json_ json_t *v = json_loads(text, 0, NULL);
        if (!v)
                return false;
        *code = (int)json_integer_value(json_object_get(v, "ExitCode"));
        const char *f = json_get_str(v, "FinishedAt");
        *finished = f ? log_time_parse(f) : timestamp_now_ns();
        const char *msg = json_get_str(v, "Error");
        *error = msg && msg[0] ? xstrdup(msg) : NULL;
        /* The OOM killer's counts in its cgroup, which the shim read before
         * removing it: Docker's OOMKilled. */
        *oom = json_integer_value(json_object_get(v, "OOMKills")) > 0 ||
               json_integer_value(json_object_get(v, "OOMGroupKills")) > 0;
        return true;
}

/* Waits (bounded) until the process behind pidfd has exited: its cgroup
 * can only be removed once it holds no task. Not waiting left the
 * directories of every killed-shim container behind (rmdir: EBUSY). */
static void pidfd_wait_exit(int fd)
{
        struct pollfd p = {.fd = fd, .events = POLLIN};
        while (poll(&p, 1, 5000) < 0 && errno == EINTR)
                ;
}

static void close_pidfds_locked(struct engine *e, struct container *c)
{
        if (c->shim_pidfd >= 0) {
                epoll_ctl(e->monitor_epfd, EPOLL_CTL_DEL, c->shim_pidfd, NULL);
                close(c->shim_pidfd);
                c->shim_pidfd = -EBADF;
        }
        if (c->pidfd >= 0) {
                close(c->pidfd);
                c->pidfd = -EBADF;
        }
}

/* The shim is gone: records how the container ended, from exit.json or,
 * without one, as dead. Saved under the lock before anyone hears of it:
 * kill, stop and `rm -f` return once the state is no longer running, and
 * by then inspect and the record agree. */
void container_record_exit(struct engine *e, struct container *c)
{
        int code = 0;
        int64_t finished = 0;
        char *error = NULL;
        bool oom = false;
        bool clean = read_exit_file(e, c, &code, &finished, &error, &oom);
        pthread_mutex_lock(&c->lock);
        /* The shim died without a word (kill -9): its container is orphaned
         * and nobody supervises it any more, so it goes too, through the
         * pidfd held since start (never a pid number read back). */
        _cleanup_close_ int orphan = -EBADF;
        if (!clean && c->pidfd >= 0 &&
            syscall(SYS_pidfd_send_signal, c->pidfd, SIGKILL, NULL, 0) == 0)
                orphan = fcntl(c->pidfd, F_DUPFD_CLOEXEC, 0);
        close_pidfds_locked(e, c);
        pthread_mutex_unlock(&c->lock);
        if (orphan >= 0)
                pidfd_wait_exit(orphan);
        /* Files go before the state says "exited": a restart that follows
         * at once must not race this cleanup for the run directory. */
        container_cleanup_files(e, c, !clean);
        struct kerr err = {0};
        pthread_mutex_lock(&c->lock);
        if (container_state_change(c, clean ? CONTAINER_EXITED : CONTAINER_DEAD, &err) < 0) {
                pthread_mutex_unlock(&c->lock);
                free(error);
                log_error("%s", err.msg);
                return;
        }
        free(c->error);
        c->exit_code = clean ? code : 137;
        c->oom_killed = clean && oom;
        c->finished_ns = clean && finished > 0 ? finished : timestamp_now_ns();
        c->error = clean ? error
                         : xstrdup("the container's shim exited without recording the "
                                   "container's exit status");
        c->pid = c->shim_pid = 0;
        c->shim_start = c->pid_start = 0;
        if (container_row_update_locked(e, c, &err) < 0)
                log_error("container %s: %s", c->id, err.msg);
        pthread_mutex_unlock(&c->lock);
        container_fire_waiters(c, true, false);
        if (json_is_true(json_object_get(c->host_config, "AutoRemove")) &&
            container_remove(e, c, true, true, &err) < 0)
                log_error("container %s: auto-remove: %s", c->id, err.msg);
}

static void *monitor_main(void *arg)
{
        struct engine *e = arg;
        struct epoll_event evs[16];
        for (;;) {
                int n = epoll_wait(e->monitor_epfd, evs, 16, -1);
                if (n < 0 && errno == EINTR)
                        continue;
                for (int i = 0; i < n; i++) {
                        if (evs[i].data.ptr == NULL)
                                return NULL; /* the stop eventfd */
                        struct container *c = evs[i].data.ptr;
                        container_record_exit(e, c);
                        container_unref(c);
                }
        }
}

int container_monitor_start(struct engine *e, struct kerr *err)
{
        e->monitor_epfd = epoll_create1(EPOLL_CLOEXEC);
        e->monitor_evfd = eventfd(0, EFD_CLOEXEC);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
        if (e->monitor_epfd < 0 || e->monitor_evfd < 0 ||
            epoll_ctl(e->monitor_epfd, EPOLL_CTL_ADD, e->monitor_evfd, &ev) < 0 ||
            pthread_create(&e->monitor_thread, NULL, monitor_main, e) != 0)
                return kerr_set(err, KERR_INTERNAL, errno, "cannot start the container monitor");
        e->monitor_started = true;
        return 0;
}

void container_monitor_stop(struct engine *e)
{
        if (e->monitor_started) {
                uint64_t one = 1;
                if (write(e->monitor_evfd, &one, sizeof(one)) == (ssize_t)sizeof(one))
                        pthread_join(e->monitor_thread, NULL);
                e->monitor_started = false;
        }
        /* Watched containers keep running: the shims outlive the daemon. */
        for (size_t i = 0; i < e->ncontainers; i++) {
                struct container *c = e->containers[i];
                if (c->shim_pidfd >= 0) {
                        close(c->shim_pidfd);
                        c->shim_pidfd = -EBADF;
                        container_unref(c); /* the monitor's reference */
                }
                if (c->pidfd >= 0) {
                        close(c->pidfd);
                        c->pidfd = -EBADF;
                }
        }
        if (e->monitor_epfd >= 0)
                close(e->monitor_epfd);
        if (e->monitor_evfd >= 0)
                close(e->monitor_evfd);
        e->monitor_epfd = e->monitor_evfd = -EBADF;
}

/* --- start --- */

static void write_etc_files(struct engine *e, struct container *c)
{
        char dir[128], p[200];
        container_dir(c, dir, sizeof(dir));
        const char *hn = json_get_str(c->config, "Hostname");
        char *text = xasprintf("%s\n", hn ? hn : c->id);
        snprintf(p, sizeof(p), "%s/hostname", dir);
        fs_write_atomic_at_flags(e->store->root_fd, p, text, strlen(text), 0644, FS_WRITE_NO_SYNC);
        free(text);
        struct buf hosts;
        buf_init(&hosts, 0);
        buf_appendf(&hosts, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
                            "fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\n"
                            "ff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n");
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(c->host_config, "ExtraHosts"), i, v)
        {
                const char *s = json_string_value(v), *ip;
                size_t n;
                if (s && container_extra_host_split(s, &n, &ip) == 0)
                        buf_appendf(&hosts, "%s\t%.*s\n", ip, (int)n, s);
        }
        buf_appendf(&hosts, "127.0.1.1\t%s\n", hn ? hn : c->id);
        snprintf(p, sizeof(p), "%s/hosts", dir);
        fs_write_atomic_at_flags(e->store->root_fd, p, hosts.data, hosts.len, 0644,
                                 FS_WRITE_NO_SYNC);
        buf_release(&hosts);
        _cleanup_free_ char *resolv = NULL;
        size_t rlen = 0;
        if (fs_read_at(AT_FDCWD, "/etc/resolv.conf", 65536, &resolv, &rlen) < 0) {
                free(resolv);
                resolv = xstrdup("nameserver 8.8.8.8\n");
                rlen = strlen(resolv);
        }
        snprintf(p, sizeof(p), "%s/resolv.conf", dir);
        fs_write_atomic_at_flags(e->store->root_fd, p, resolv, rlen, 0644, FS_WRITE_NO_SYNC);
}

static uint64_t parse_size(const char *s)
{
        char *end;
        double v = strtod(s, &end);
        uint64_t mult = 1;
        switch (*end | 0x20) {
        case 'k':
                mult = 1024;
                break;
        case 'm':
                mult = 1024 * 1024;
                break;
        case 'g':
                mult = 1024ull * 1024 * 1024;
                break;
        }
        return v > 0 ? (uint64_t)(v * (double)mult) : 0;
}

/* Spawns `kedge shim ... --defer-start`; returns once the container exists
 * (not yet exec'd) or failed. */
static int spawn_shim(struct engine *e, struct container *c, const char *run_dir, int *ret_lifeline,
                      struct kerr *err)
{
        _cleanup_free_ char *bundle = container_path(e, c->id, NULL);
        _cleanup_free_ char *log = xasprintf("%s/%s-json.log", bundle, c->id);
        char id[80];
        snprintf(id, sizeof(id), "%s", c->id);
        const char *argv[24];
        int n = 0;
        char exe[64];
        if (e->shim_fd >= 0) {
                snprintf(exe, sizeof(exe), "/proc/self/fd/%d", e->shim_fd);
                argv[n++] = "kedge-shim";
        } else {
                snprintf(exe, sizeof(exe), "%s", "");
                argv[n++] = e->self_path;
                argv[n++] = "shim";
        }
        const char *path = e->shim_fd >= 0 ? exe : e->self_path;
        argv[n++] = "--id";
        argv[n++] = id;
        argv[n++] = "--bundle";
        argv[n++] = bundle;
        argv[n++] = "--run-dir";
        argv[n++] = run_dir;
        argv[n++] = "--log-path";
        argv[n++] = log;
        argv[n++] = "--defer-start";
        /* fd 3 of the shim: see shim.h lifeline_fd. */
        argv[n++] = "--lifeline";
        argv[n++] = "3";
        json_t *logcfg = json_object_get(json_object_get(c->host_config, "LogConfig"), "Config");
        char maxsize[32], maxfile[16];
        const char *ms = json_get_str(logcfg, "max-size"), *mf = json_get_str(logcfg, "max-file");
        if (ms) {
                snprintf(maxsize, sizeof(maxsize), "%llu", (unsigned long long)parse_size(ms));
                argv[n++] = "--log-max-size";
                argv[n++] = maxsize;
        }
        if (mf) {
                snprintf(maxfile, sizeof(maxfile), "%s", mf);
                argv[n++] = "--log-max-file";
                argv[n++] = maxfile;
        }
        if (json_is_true(json_object_get(c->config, "OpenStdin")))
                argv[n++] = "--stdin";
        if (json_is_true(json_object_get(c->config, "StdinOnce")))
                argv[n++] = "--stdin-once";
        /* Any runtime but the built-in one (the first) is an OCI runtime the
         * shim execs; a runtime gone since create fails the start. */
        const struct engine_runtime *rt =
            engine_runtime_find(e, json_get_str(c->host_config, "Runtime"));
        if (!rt)
                return kerr_set(err, KERR_INVALID, ENOENT, "unknown or invalid runtime name: %s",
                                json_get_str(c->host_config, "Runtime"));
        if (rt != &e->runtimes[0]) {
                argv[n++] = "--runtime";
                argv[n++] = rt->path;
        }
        argv[n] = NULL;

        int pipefd[2], life[2];
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return kerr_set(err, KERR_INTERNAL, errno, "pipe: %s", strerror(errno));
        if (pipe2(life, O_CLOEXEC) < 0) {
                close(pipefd[0]);
                close(pipefd[1]);
                return kerr_set(err, KERR_INTERNAL, errno, "pipe: %s", strerror(errno));
        }
        pid_t pid;
        int r = spawn_program_fds(path, (char *const *)argv,
                                  (int[4]){SPAWN_DEVNULL, pipefd[1], pipefd[1], life[0]}, 4, &pid);
        close(pipefd[1]);
        close(life[0]);
        if (r != 0) {
                close(pipefd[0]);
                close(life[1]);
                return kerr_set(err, KERR_INTERNAL, -r, "cannot start the shim: %s", strerror(-r));
        }
        char msg[2048];
        size_t len = 0;
        ssize_t k;
        while (len < sizeof(msg) - 1 &&
               (k = read(pipefd[0], msg + len, sizeof(msg) - 1 - len)) != 0) {
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        break;
                len += (size_t)k;
        }
        close(pipefd[0]);
        msg[len] = 0;
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
                *ret_lifeline = life[1];
                return 0;
        }
        close(life[1]);
        while (len > 0 && msg[len - 1] == '\n')
                msg[--len] = 0;
        const char *text = strncmp(msg, "kedge shim: ", 12) == 0 ? msg + 12 : msg;
        /* The shim's report carries the kind and errno of the failure. */
        int kind, errnum;
        const char *why;
        if (shim_report_parse(text, &kind, &errnum, &why) == 1)
                return kerr_set(err, (enum kerr_kind)kind, errnum ? errnum : EIO, "%s", why);
        return kerr_set(err, KERR_INTERNAL, EIO, "%s", len ? text : "the shim failed to start");
}

static int read_pid(struct engine *e, struct container *c, const char *name)
{
        char dir[300];
        container_run_dir(e, c, dir, sizeof(dir));
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_free_ char *text = NULL;
        if (dfd < 0 || fs_read_at(dfd, name, 64, &text, NULL) < 0)
                return -1;
        int pid;
        return parse_pid(text, &pid) < 0 ? -1 : pid;
}

static int fail_start(struct engine *e, struct container *c, const char *run_dir, struct kerr *err)
{
        struct kerr ignore = {0};
        pthread_mutex_lock(&c->lock);
        close_pidfds_locked(e, c);
        pthread_mutex_unlock(&c->lock);
        /* Files go while the start still holds the container: once the
         * state says stopped, the next start may make its run directory. */
        container_cleanup_files(e, c, true);
        pthread_mutex_lock(&c->lock);
        container_state_change(c, c->has_been_started ? CONTAINER_EXITED : CONTAINER_CREATED,
                               &ignore);
        /* The kind and errno came from the shim's frame (or the step that
         * failed here); the exit code follows the errno, as Docker's. */
        c->exit_code = shim_start_exit_code(err->errnum);
        free(c->error);
        c->error = xstrdup(err->msg);
        c->pid = c->shim_pid = 0;
        c->shim_start = c->pid_start = 0;
        container_row_update_locked(e, c, &ignore);
        pthread_mutex_unlock(&c->lock);
        container_attach_drop_pending(c);
        (void)run_dir;
        container_fire_waiters(c, true, false);
        /* dockerd removes an AutoRemove container whose start failed; `docker
         * run --rm` waits for that removal. */
        if (json_is_true(json_object_get(c->host_config, "AutoRemove")) &&
            container_remove(e, c, true, true, &ignore) < 0)
                log_error("container %s: auto-remove: %s", c->id, ignore.msg);
        return -EIO;
}

/* Takes hold of the shim and of the container's process right after the
 * shim reported set-up done: the process waits for START as the shim's
 * child, so the pids in the run directory are certainly theirs now. */
static int hold_pids(struct engine *e, struct container *c, int *ret_shim_pidfd, struct kerr *err)
{
        int shim_pid = read_pid(e, c, "shim.pid");
        int pid = read_pid(e, c, "container.pid");
        int shim_pidfd = shim_pid > 0 ? pidfd_open_(shim_pid) : -1;
        int pidfd = pid > 0 ? pidfd_open_(pid) : -1;
        if (shim_pidfd < 0 || pidfd < 0) {
                if (shim_pidfd >= 0)
                        close(shim_pidfd);
                if (pidfd >= 0)
                        close(pidfd);
                return kerr_set(err, KERR_INTERNAL, ESRCH, "the shim of %s vanished", c->id);
        }
        pthread_mutex_lock(&c->lock);
        c->shim_pid = shim_pid;
        c->pid = pid;
        c->pidfd = pidfd;
        if (pid_boot_id(c->boot_id) < 0)
                c->boot_id[0] = 0;
        c->shim_start = pid_start_time(shim_pid);
        c->pid_start = pid_start_time(pid);
        pthread_mutex_unlock(&c->lock);
        *ret_shim_pidfd = shim_pidfd;
        return 0;
}

/* Claims the start (STARTING) or says why not, in Docker's words. */
static int start_claim(struct container *c, struct kerr *err)
{
        pthread_mutex_lock(&c->lock);
        enum container_state s = c->state;
        int r = 0;
        if (s == CONTAINER_REMOVING || s == CONTAINER_DEAD)
                r = kerr_set(err, KERR_CONFLICT, EBUSY,
                             "container is marked for removal and cannot be started");
        else if (is_running(s) || s == CONTAINER_STARTING)
                r = kerr_set(err, KERR_NOT_MODIFIED, EALREADY, "container already started");
        else
                r = container_state_change(c, CONTAINER_STARTING, err);
        pthread_mutex_unlock(&c->lock);
        return r;
}

int container_start(struct engine *e, struct container *c, struct kerr *err)
{
        int r = start_claim(c, err);
        if (r < 0)
                return r;
        char run_dir[300];
        container_run_dir(e, c, run_dir, sizeof(run_dir));
        fs_rm_rf_at(AT_FDCWD, run_dir);
        r = fs_mkdir_p(run_dir, 0700);
        if (r < 0) {
                kerr_set(err, KERR_INTERNAL, r, "create %s: %s", run_dir, strerror(-r));
                return fail_start(e, c, run_dir, err);
        }
        write_etc_files(e, c);
        int pidfd = -EBADF;
        /* Held until START is answered: if the daemon dies before, the
         * shim sees end-of-file and ends what it created. */
        _cleanup_close_ int lifeline = -EBADF;
        if (container_spec_write(e, c, err) < 0 || spawn_shim(e, c, run_dir, &lifeline, err) < 0 ||
            hold_pids(e, c, &pidfd, err) < 0)
                return fail_start(e, c, run_dir, err);
        /* Clients that attached before start see the very first output. */
        container_attach_pending(e, c);
        if (shim_request(e, c, SHIM_FRAME_START, NULL, 0, err) < 0) {
                /* The process could not exec; the shim records it and exits. */
                struct pollfd p = {.fd = pidfd, .events = POLLIN};
                poll(&p, 1, 5000);
                close(pidfd);
                return fail_start(e, c, run_dir, err);
        }
        pthread_mutex_lock(&c->lock);
        r = container_state_change(c, CONTAINER_RUNNING, err);
        c->started_ns = timestamp_now_ns();
        c->finished_ns = 0;
        c->exit_code = 0;
        c->oom_killed = false;
        free(c->error);
        c->error = NULL;
        c->has_been_started = true;
        if (r >= 0)
                r = container_row_update_locked(e, c, err);
        pthread_mutex_unlock(&c->lock);
        container_watch(e, c, pidfd);
        /* Clients that attached while the start was under way. */
        container_attach_pending(e, c);
        return r;
}

/* --- stop, kill, restart, resize --- */

/* Waits until the container is not running, up to timeout_ms (< 0: ever). */
static bool wait_stopped(struct container *c, int timeout_ms)
{
        struct timespec dl;
        clock_gettime(CLOCK_REALTIME, &dl);
        dl.tv_sec += timeout_ms / 1000;
        dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
        if (dl.tv_nsec >= 1000000000) {
                dl.tv_sec++;
                dl.tv_nsec -= 1000000000;
        }
        pthread_mutex_lock(&c->lock);
        while (is_running(c->state)) {
                if (timeout_ms < 0)
                        pthread_cond_wait(&c->changed, &c->lock);
                else if (pthread_cond_timedwait(&c->changed, &c->lock, &dl) != 0)
                        break;
        }
        bool stopped = !is_running(c->state);
        pthread_mutex_unlock(&c->lock);
        return stopped;
}

static int not_running(struct container *c, struct kerr *err)
{
        pthread_mutex_lock(&c->lock);
        _cleanup_free_ char *name = xstrdup(c->name);
        pthread_mutex_unlock(&c->lock);
        return kerr_set(err, KERR_CONFLICT, ESRCH,
                        "Cannot kill container: %s: container %s is not running", name, c->id);
}

int container_kill(struct engine *e, struct container *c, int sig, struct kerr *err)
{
        pthread_mutex_lock(&c->lock);
        bool running = is_running(c->state);
        pthread_mutex_unlock(&c->lock);
        if (!running)
                return not_running(c, err);
        uint8_t p[4];
        shim_frame_put_u32(p, (uint32_t)sig);
        int r = shim_request(e, c, SHIM_FRAME_KILL, p, sizeof(p), err);
        if (r < 0) {
                /* The process or its shim ended first: once the monitor has
                 * recorded that, it is "not running", as Docker says. */
                if (err->kind != KERR_CONFLICT && !wait_stopped(c, 5000))
                        return r;
                kerr_clear(err);
                return not_running(c, err);
        }
        /* Like dockerd: SIGKILL returns once the exit is recorded, so an
         * inspect or wait that follows sees 137, not a running container. */
        if (sig == SIGKILL && !wait_stopped(c, 30000))
                return kerr_set(err, KERR_INTERNAL, ETIMEDOUT,
                                "container %s did not stop after SIGKILL", c->id);
        return 0;
}

int container_kill_and_wait(struct engine *e, struct container *c, struct kerr *err)
{
        struct kerr ignore = {0};
        container_kill(e, c, SIGKILL, &ignore);
        if (!wait_stopped(c, 30000))
                return kerr_set(err, KERR_INTERNAL, ETIMEDOUT,
                                "container %s did not stop after SIGKILL", c->id);
        return 0;
}

int container_stop(struct engine *e, struct container *c, int timeout, int sig, struct kerr *err)
{
        pthread_mutex_lock(&c->lock);
        bool running = is_running(c->state);
        pthread_mutex_unlock(&c->lock);
        if (!running)
                return kerr_set(err, KERR_NOT_MODIFIED, EALREADY, "container already stopped");
        if (sig <= 0)
                sig = signal_parse(json_get_str(c->config, "StopSignal"));
        if (sig <= 0)
                sig = SIGTERM;
        if (timeout < 0) {
                json_t *t = json_object_get(c->config, "StopTimeout");
                timeout = json_is_integer(t) ? (int)json_integer_value(t) : 10;
        }
        struct kerr ignore = {0};
        if (container_kill(e, c, sig, &ignore) == 0 && wait_stopped(c, timeout * 1000))
                return 0;
        return container_kill_and_wait(e, c, err);
}

int container_restart(struct engine *e, struct container *c, int timeout, int sig, struct kerr *err)
{
        int r = container_stop(e, c, timeout, sig, err);
        if (r < 0 && err->kind != KERR_NOT_MODIFIED)
                return r;
        kerr_clear(err);
        r = container_start(e, c, err);
        /* Another client started it in between: it runs, as asked. */
        if (r < 0 && err->kind == KERR_NOT_MODIFIED) {
                kerr_clear(err);
                return 0;
        }
        return r;
}

int container_resize(struct engine *e, struct container *c, unsigned rows, unsigned cols,
                     struct kerr *err)
{
        pthread_mutex_lock(&c->lock);
        bool running = is_running(c->state);
        pthread_mutex_unlock(&c->lock);
        if (!running)
                return kerr_set(err, KERR_CONFLICT, ESRCH, "Container %s is not running", c->id);
        uint8_t p[4];
        shim_frame_put_resize(p, (uint16_t)rows, (uint16_t)cols);
        return shim_request(e, c, SHIM_FRAME_RESIZE, p, sizeof(p), err);
}
