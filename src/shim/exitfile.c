/* exitfile.c - exit.json, the one record of how the container ended. */
#include "shim-internal.h"

#include "base/cleanup.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

int shim_exit_code(int status)
{
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
        return 255;
}

/* The OOM killer's counts in the container's cgroup, read before cleanup
 * removes the group: the built-in runtime's own group, or the one runc made
 * from the spec's cgroupsPath (cgroupfs driver), which stays until
 * `runc delete`. All 0 without a group or its memory controller. */
static void exit_oom(const struct shim *s, struct rt_cgroup_oom *oom)
{
        const char *root = s->opts->cgroup_root ? s->opts->cgroup_root : "/sys/fs/cgroup";
        int r = 0;
        *oom = (struct rt_cgroup_oom){0};
        if (!s->opts->runtime && s->ct.cgroup.path)
                r = rt_cgroup_oom_read(s->ct.cgroup.root, s->ct.cgroup.path, s->ct.cgroup.version,
                                       oom);
        else if (s->opts->runtime && s->oci_created && s->spec.cgroups_path &&
                 s->spec.cgroups_path[0])
                r = rt_cgroup_oom_read(root, s->spec.cgroups_path, 0, oom);
        if (r < 0 && r != -ENOENT)
                log_warn("container '%s': reading its OOM kill count: %s, ignoring", s->opts->id,
                         strerror(-r));
}

int shim_exitfile_write(struct shim *s)
{
        struct timespec now;
        char when[64];
        clock_gettime(CLOCK_REALTIME, &now);
        logfile_time(&now, when, sizeof(when));

        _cleanup_json_ json_t *o = json_object();
        /* Never started: the codes a shell gives for the same failures,
         * which the docker CLI also uses (127 not found, 126 not runnable). */
        int code = shim_start_exit_code(s->error_errno);
        if (s->exited)
                code = shim_exit_code(s->status);
        json_set_int(o, "ExitCode", code);
        json_set_int(o, "Signal", s->exited && WIFSIGNALED(s->status) ? WTERMSIG(s->status) : 0);
        json_set_int(o, "Pid", s->ct.pid);
        json_set_str(o, "FinishedAt", when);
        json_set_str(o, "Error", s->error);
        /* Docker's State.OOMKilled: the kernel's OOM killer struck in the
         * container's group during its run (not only its init). */
        struct rt_cgroup_oom oom;
        exit_oom(s, &oom);
        json_set_int(o, "OOMKills", (int64_t)oom.kills);
        json_set_int(o, "OOMGroupKills", (int64_t)oom.group_kills);
        _cleanup_free_ char *text = json_to_string(o);
        if (s->run_dirfd < 0)
                return -EBADF;
        /* Whole or absent, but not fsynced: the run directory is runtime
         * state (tmpfs under /run); after a host crash no container survives
         * to need it, and the daemon marks such a container dead. */
        return fs_write_atomic_at_flags(s->run_dirfd, "exit.json", text, strlen(text), 0644,
                                        FS_WRITE_NO_SYNC);
}
