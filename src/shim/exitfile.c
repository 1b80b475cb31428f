/* exitfile.c - exit.json, the one record of how the container ended. */
#include "shim-internal.h"

#include "base/cleanup.h"
#include "base/fs.h"
#include "base/json.h"

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
        _cleanup_free_ char *text = json_to_string(o);
        _cleanup_close_ int dfd = open(s->opts->run_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return -errno;
        /* Whole or absent, but not fsynced: the run directory is runtime
         * state (tmpfs under /run); after a host crash no container survives
         * to need it, and the daemon marks such a container dead. */
        return fs_write_atomic_at_flags(dfd, "exit.json", text, strlen(text), 0644,
                                        FS_WRITE_NO_SYNC);
}
