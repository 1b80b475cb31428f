/* container-restore.c - what a stopped container leaves behind and what a
 * daemon restart finds: removing a run directory and cgroup after a shim
 * crash, adopting running shims whose identity (boot id, start time)
 * still holds, and ending what an interrupted start left. */
#include "container-internal.h"
#include "engine/engine.h"

#include "base/fs.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "runtime/cgroup.h"
#include "shim/proto.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

void container_cleanup_files(struct engine *e, struct container *c, bool shim_crashed)
{
        char run_dir[300];
        container_run_dir(e, c, run_dir, sizeof(run_dir));
        fs_rm_rf_at(AT_FDCWD, run_dir);
        /* A shim that ended normally unmounted and removed what it made. */
        if (!shim_crashed)
                return;
        /* With an external runtime the shim mounts the root on the host and
         * unmounts it at the end; after a shim crash the daemon does (no-op,
         * EINVAL, when nothing is mounted there). */
        _cleanup_free_ char *root = container_path(e, c->id, "rootfs");
        umount2(root, MNT_DETACH);
        /* The shim (or runc delete) removes the cgroup after reaping;
         * after a shim crash the daemon does, in every hierarchy. */
        char cg[100];
        snprintf(cg, sizeof(cg), "kedge/%s", c->id);
        struct kerr err = {0};
        if (rt_cgroup_remove_everywhere("/sys/fs/cgroup", cg, &err) < 0)
                log_error("container %s: %s, ignoring", c->id, err.msg);
}

/* A run directory of a container that is not running is what a daemon
 * crash in the middle of a start leaves: perhaps a shim holding a process
 * that waits for START (namespaces, cgroup, mounts). The shim is found
 * through its ctl.sock, not a pid file: the peer of that socket is the
 * shim (SO_PEERCRED, pidfd opened while the connection holds it), and it
 * kills its own child, then exits and cleans up after it. */
static void reap_stray_start(struct engine *e, struct container *c)
{
        char dir[300];
        container_run_dir(e, c, dir, sizeof(dir));
        if (access(dir, F_OK) < 0)
                return;
        _cleanup_close_ int fd = shim_connect(e, c, "ctl.sock");
        struct ucred cred = {0};
        socklen_t len = sizeof(cred);
        _cleanup_close_ int pidfd = -EBADF;
        if (fd >= 0 && getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.pid > 0)
                pidfd = pidfd_open_(cred.pid);
        struct kerr ignore = {0};
        uint8_t p[4];
        shim_frame_put_u32(p, SIGKILL);
        if (pidfd >= 0 && shim_request(e, c, SHIM_FRAME_KILL, p, sizeof(p), &ignore) == 0) {
                struct pollfd pf = {.fd = pidfd, .events = POLLIN};
                poll(&pf, 1, 5000);
        }
        log_info("container %s: removed what an interrupted start left", c->id);
        container_cleanup_files(e, c, true);
}

/* After a daemon restart (or a reboot) the stored pids are only numbers:
 * the shim is adopted only when it is provably the process started then
 * (same boot, same start time), through a pidfd. Anything else is gone,
 * and nothing is signalled. */
static void restore_one(struct engine *e, struct container *c)
{
        pthread_mutex_lock(&c->lock);
        bool was_running = container_state_is_running(c->state);
        int shim_pidfd =
            was_running ? pid_open_verified(c->shim_pid, c->boot_id, c->shim_start) : -ESRCH;
        if (shim_pidfd >= 0) {
                int pidfd = pid_open_verified(c->pid, c->boot_id, c->pid_start);
                c->pidfd = pidfd >= 0 ? pidfd : -EBADF;
        }
        pthread_mutex_unlock(&c->lock);
        if (!was_running) {
                reap_stray_start(e, c);
                return;
        }
        if (shim_pidfd >= 0) {
                container_watch(e, c, shim_pidfd);
                log_info("container %s: adopted its running shim (pid %d)", c->id, c->shim_pid);
        } else {
                log_info("container %s: its shim is gone (ended, or from another boot)", c->id);
                container_record_exit(e, c);
        }
}

/* A run directory whose container has no record: a crash during rm (the
 * record goes first). Whatever shim is still there is told to go. */
static bool keep_run_dir(void *cls, const char *name)
{
        struct engine *e = cls;
        struct kerr ignore = {0};
        _cleanup_(container_unrefp) struct container *c = container_get(e, name, &ignore);
        if ((c && strcmp(c->id, name) == 0) || strlen(name) != 64 ||
            strspn(name, "0123456789abcdef") != 64)
                return true; /* a record's, or not a container's at all */
        _cleanup_(container_unrefp) struct container *gone = container_new(name, "gone");
        reap_stray_start(e, gone);
        return false;
}

int containers_restore(struct engine *e, struct kerr *err)
{
        (void)err;
        struct container **list;
        size_t n;
        /* A snapshot: recording an exit may auto-remove from the table. */
        containers_list_refs(e, &list, &n);
        for (size_t i = 0; i < n; i++)
                restore_one(e, list[i]);
        containers_list_refs_free(list, n);
        fs_sweep_dir_at(AT_FDCWD, e->exec_root, keep_run_dir, e);
        return 0;
}
