/* shim-internal.h - the shim's state, shared by its files by concern:
 * shim.c (lifecycle, loop), attach.c (sockets, clients), io.c (container
 * stdio), exitfile.c. One thread; everything runs from the poll loop. */
#pragma once

#include "logfile.h"
#include "proto.h"
#include "runtime/builtin.h"
#include "runtime/spec.h"
#include "shim.h"

#include <stdbool.h>
#include <sys/types.h>

#define SHIM_CLIENTS_MAX 16
/* Output queued for one attach client past which the shim stops reading
 * the container's output: a client that does not keep up holds the
 * container back (as dockerd's attach does) instead of losing output. */
#define SHIM_CLIENT_QUEUE_MAX (1024 * 1024)

struct shim_client {
        int fd;
        bool ctl;   /* on ctl.sock: requests, not stdio */
        size_t len; /* bytes in in[] */
        uint8_t in[SHIM_FRAME_HDR + SHIM_FRAME_IN_MAX];
        struct buf out; /* frames the socket did not take yet */
};

struct shim {
        const struct shim_opts *opts;
        struct rt_spec spec;
        struct rt_builtin ct;
        bool started, exited;
        int status;       /* waitpid status once exited */
        char error[1024]; /* why the container failed to start */
        int error_errno;
        int error_kind;          /* enum kerr_kind of error */
        int out_fd[2];           /* read ends: stdout, stderr (tty: out_fd[0] = master) */
        int stdin_fd;            /* write end of the container's stdin, or -EBADF */
        bool stdin_used;         /* an attach client has sent stdin */
        struct buf stdin_queue;  /* stdin the container has not read yet: while
                                  * it is not empty, no more frames are read */
        bool stdin_close_queued; /* close stdin once the queue is written */
        struct logfile log;
        bool have_log;
        int attach_listen, ctl_listen;
        struct shim_client *clients[SHIM_CLIENTS_MAX];
        int sigfd;
        int report_fd;       /* to the launcher until started */
        int lifeline_fd;     /* opts->lifeline_fd until started (shim.h) */
        bool rootfs_mounted; /* oci.c mounted root.path on the host */
        bool oci_created;    /* the external runtime knows the container */
        /* opts->run_dir, opened once: what the shim leaves at its end
         * (exit.json, the socket unlinks) stays in the directory it was
         * started in, even if the daemon gave up waiting and a later start
         * made a new one under the same path. */
        int run_dirfd;
};

/* io.c */
int shim_io_prepare(struct shim *s, int child_stdio[3]);
/* Reads what fd i has; returns false at end-of-file. */
bool shim_io_pump(struct shim *s, int i);
/* Writes what the container's stdin takes now and queues the rest. */
void shim_io_stdin(struct shim *s, const uint8_t *data, size_t len);
/* The fd to poll for POLLOUT while stdin is queued, else -1. */
int shim_io_stdin_waiting(const struct shim *s);
/* stdin is writable again: writes the queue; true once it is empty. */
bool shim_io_stdin_drain(struct shim *s);
/* Closes stdin, after the queue is written. */
void shim_io_close_stdin(struct shim *s);
void shim_io_resize(struct shim *s, uint16_t rows, uint16_t cols);

/* attach.c */
int shim_attach_listen(struct shim *s);
void shim_attach_accept(struct shim *s, int listen_fd, bool ctl);
/* Reads and handles a client's frames; drops it on error or hang-up. */
void shim_attach_read(struct shim *s, int idx);
/* Handles frames clients sent while stdin was queued. */
void shim_attach_resume(struct shim *s);
/* Sends queued output to client idx (its socket is writable). */
void shim_attach_send_queued(struct shim *s, int idx);
/* Whether some attach client has more than SHIM_CLIENT_QUEUE_MAX queued. */
bool shim_attach_backlogged(const struct shim *s);
void shim_attach_broadcast(struct shim *s, enum shim_frame_type type, const void *data, size_t len);
void shim_attach_drop(struct shim *s, int idx);
void shim_attach_close_all(struct shim *s);

/* shim.c */
int shim_start(struct shim *s);
int shim_kill(struct shim *s, int sig);

/* oci.c: an external OCI runtime (opts->runtime) in place of the built-in
 * one. create fills s->ct.pid (and .pty_master with a terminal); cleanup
 * deletes the container from the runtime and unmounts its root. */
int shim_oci_create(struct shim *s, const int stdio[3], struct kerr *err);
int shim_oci_start(struct shim *s, struct kerr *err);
int shim_oci_cleanup(struct shim *s, struct kerr *err);

/* exitfile.c: Docker's exit code from a waitpid status (128+n for a signal). */
int shim_exit_code(int status);
int shim_exitfile_write(struct shim *s);
