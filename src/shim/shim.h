/* shim.h - `kedge shim`: one per container, outliving the daemon.
 *
 * It creates the container through the built-in runtime (or an external
 * OCI runtime such as runc, oci.c), holds its stdio
 * (pipes, or the pty master when process.terminal), writes its json-file
 * log, serves attach.sock and ctl.sock, reaps it and writes exit.json.
 * Files in the run directory (see docs/internals/shim.md):
 *   shim.pid       the shim's pid, written once the container exists
 *   container.pid  the container's init pid (host pid namespace)
 *   attach.sock    stdio frames (proto.h)
 *   ctl.sock       START / KILL / RESIZE requests, OK / ERROR replies
 *   exit.json      {"ExitCode":n,"Signal":n,"FinishedAt":"...","Error":"..."},
 *                  written atomically; the shim exits right after
 *   shim.log       the shim's own diagnostics */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct shim_opts {
        const char *id;          /* for messages only */
        const char *bundle;      /* holds config.json */
        const char *run_dir;     /* exec-root/<id>/, must exist */
        const char *log_path;    /* json-file log; NULL = none */
        uint64_t log_max_size;   /* bytes, 0 = unbounded */
        unsigned log_max_file;   /* >= 1 */
        const char *cgroup_root; /* NULL = /sys/fs/cgroup */
        const char *cgroup_path; /* NULL = the spec's cgroupsPath */
        bool stdin_open;         /* keep a stdin pipe (OpenStdin) */
        bool stdin_once;         /* close it when the first attach ends */
        bool defer_start;        /* exec only on START over ctl.sock */
        bool foreground;         /* do not detach (debugging) */
        const char *runtime;     /* external OCI runtime (runc); NULL = built-in */
        /* Read end of a pipe whose write end the daemon holds until START
         * (-1: none). End-of-file before START means the daemon died in
         * the middle of the start: the shim then kills the waiting process
         * and ends, so no shim waits for a START that never comes. */
        int lifeline_fd;
};

/* Runs the role. Without foreground, returns in the caller once the
 * container is started (0) or has failed (1, message on stderr), while the
 * detached shim goes on; the shim itself returns its own status (0). */
int shim_main(const struct shim_opts *opts);
