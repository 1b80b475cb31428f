/* container-internal.h - shared between the engine's container files. */
#pragma once

#include "container.h"
#include "engine/image/image.h"
#include "shim/proto.h"

#include <stdint.h>
#include <sys/types.h>

struct engine;

/* Lock order: engine->containers_lock, then a container's lock, then the
 * database. */
struct container {
        int refs; /* atomic */
        char id[65];
        /* Written under both containers_lock and lock (rename); read under
         * either. */
        char *name; /* without the leading '/' */
        /* Fixed at create. */
        char *image_id;  /* sha256:... */
        char *image_ref; /* as the client wrote it */
        int64_t created_ns;
        json_t *config;      /* Docker Config */
        json_t *host_config; /* Docker HostConfig */
        json_t *networking;  /* NetworkingConfig as sent, or {} */

        /* Guarded by lock. state changes only through container_state_change. */
        pthread_mutex_t lock;
        enum container_state state;
        int pid;
        int exit_code;
        char *error;
        bool oom_killed;
        int64_t started_ns, finished_ns;
        int restart_count;
        bool has_been_started;
        struct container_waiter *waiters;
        pthread_cond_t changed; /* broadcast on every state change */
        int shim_pid;
        int shim_pidfd; /* watched by the monitor */
        int pidfd;      /* the container's process: the only way it is signalled */
        /* Who the pids are (container-pid.c): boot and start times. */
        char boot_id[37];
        uint64_t shim_start, pid_start;
        struct attach_session *pending; /* attached before start */
};

struct container *container_new(const char *id, const char *name);
/* Checks the name and inserts the record (a plain INSERT) and the table
 * entry under one lock: KERR_CONFLICT with Docker's words when the name is
 * taken. */
int containers_insert(struct engine *e, struct container *c, struct kerr *err);
/* Whether name (with or without '/') is used; copies the holder's ID. */
int container_name_taken(struct engine *e, const char *name, char *ret_id);
/* Calls the waiters the event satisfies. */
void container_fire_waiters(struct container *c, bool exited, bool removed);

/* container-state.c: the one way to change c->state (caller holds c->lock);
 * a refused transition is KERR_CONFLICT. Broadcasts c->changed. */
int container_state_change(struct container *c, enum container_state to, struct kerr *err);

/* container.c: writes c's mutable columns (UPDATE: a removed record stays
 * removed). Caller holds c->lock. */
int container_row_update_locked(struct engine *e, struct container *c, struct kerr *err);

/* container-run.c */
void container_run_dir(struct engine *e, const struct container *c, char *buf, size_t size);
/* One request to the shim's ctl.sock; 0 or -errno with err set. */
int shim_request(struct engine *e, struct container *c, enum shim_frame_type type,
                 const void *payload, uint32_t len, struct kerr *err);
/* pidfd_open(2), or -errno. */
int pidfd_open_(pid_t pid);
/* Watches the shim through its pidfd (taken over); its exit is recorded
 * by the monitor thread. */
void container_watch(struct engine *e, struct container *c, int pidfd);
/* The shim is gone: records how the container ended (exit.json or dead). */
void container_record_exit(struct engine *e, struct container *c);
/* Connects to a socket in the shim's run directory; fd or -errno. */
int shim_connect(struct engine *e, struct container *c, const char *sock);
/* SIGKILL, then waits until the exit is recorded. */
int container_kill_and_wait(struct engine *e, struct container *c, struct kerr *err);
/* Removes the run directory of a stopped container and, when its shim did
 * not end normally, what the shim would have removed (cgroups, a root
 * mounted for an external runtime). */
void container_cleanup_files(struct engine *e, struct container *c, bool shim_crashed);

/* container-pid.c: process identity (crun's libcrun_check_pid_valid). A
 * pid read from disk is never signalled: only a pidfd opened while the
 * process was known to be ours, or one whose boot id and start time match
 * the record. */
/* This boot's /proc/sys/kernel/random/boot_id (37 bytes with the NUL). */
int pid_boot_id(char ret[37]);
/* Field 22 of /proc/PID/stat (clock ticks since boot); 0 if gone. */
uint64_t pid_start_time(int pid);
/* A pidfd for pid when it is the process recorded as (boot_id, start);
 * -ESRCH when it is gone or another process. */
int pid_open_verified(int pid, const char *boot_id, uint64_t start);

/* container-attach.c: connects clients that attached before start (the
 * shim exists, the process has not exec'd yet). */
void container_attach_pending(struct engine *e, struct container *c);
/* Ends every pending attach (the container is going away). */
void container_attach_drop_pending(struct container *c);

/* container-spec.c: writes <dir>/config.json (OCI runtime spec). */
int container_spec_write(struct engine *e, struct container *c, struct kerr *err);
