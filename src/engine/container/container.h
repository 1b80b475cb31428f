/* container.h - containers: records, lookup, and the life cycle driven
 * through the per-container shim. No HTTP here: Config and HostConfig are
 * kept as the Docker JSON documents a client sent (after validation and
 * merging with the image), because that is what inspect must give back. */
#pragma once

#include "base/cleanup.h"
#include "base/err.h"

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct engine;
struct attach_session;

enum container_state {
        CONTAINER_CREATED,
        CONTAINER_RUNNING,
        CONTAINER_PAUSED,
        CONTAINER_RESTARTING,
        CONTAINER_REMOVING,
        CONTAINER_EXITED,
        CONTAINER_DEAD,
        CONTAINER_STARTING, /* in memory only: a start holds it while it spawns */
        CONTAINER_STATE_MAX,
};

const char *container_state_name(enum container_state s);
int container_state_from_name(const char *s); /* -1 if unknown */
/* Whether the state machine lets from become to (container-state.c). */
bool container_state_allowed(enum container_state from, enum container_state to);
/* running, paused or restarting: there is a process. */
bool container_state_is_running(enum container_state s);
/* What clients see: STARTING shows as created (or exited after a run). */
enum container_state container_state_public(enum container_state s, bool has_been_started);

enum wait_condition {
        WAIT_NOT_RUNNING, /* now if not running, else at the next exit */
        WAIT_NEXT_EXIT,
        WAIT_REMOVED,
};

/* Called once when the condition is met (from an engine thread).
 * error is NULL or a message (e.g. the container was removed while waiting
 * for an exit). */
typedef void (*container_wait_fn)(void *cls, int exit_code, const char *error);

struct container_waiter {
        enum wait_condition cond;
        container_wait_fn fn;
        void *cls;
        struct container_waiter *next;
};

/* Opaque outside engine/container/: other layers hold references and read
 * a snapshot, never the fields (they change under the container's lock). */
struct container;

/* A consistent copy of a container's record, taken under its lock. The
 * JSON documents are new references to documents never changed after
 * create; strings are owned copies. */
struct container_snapshot {
        char id[65];
        char *name; /* without the leading '/' */
        char *image_id, *image_ref;
        int64_t created_ns;
        enum container_state state; /* as clients see it (never STARTING) */
        int pid, exit_code, restart_count;
        char *error; /* NULL: none */
        bool oom_killed;
        int64_t started_ns, finished_ns;
        json_t *config, *host_config, *networking;
};

void container_snapshot_init(struct container_snapshot *ret, struct container *c);
void container_snapshot_release(struct container_snapshot *s);

/* The ID never changes, so it is readable without a snapshot. */
const char *container_id(const struct container *c);
/* Config.Tty (fixed at create). */
bool container_is_tty(const struct container *c);

struct container *container_ref(struct container *c);
struct container *container_unref(struct container *c);
DEFINE_CLEANUP(struct container *, container_unref)

/* Loads every container record of the store into memory (at start). */
int containers_load(struct engine *e, struct kerr *err);
void containers_release(struct engine *e);

/* Finds by full ID, exact name (with or without '/'), or unique ID prefix,
 * in that order (Docker's order). Returns a new reference. Errors:
 * KERR_NOT_FOUND "No such container: x", KERR_INVALID for an ambiguous
 * prefix. */
struct container *container_get(struct engine *e, const char *ref, struct kerr *err);

/* Every container (new references), newest first. *ret is NULL-terminated
 * and freed with containers_list_refs_free. */
int containers_list_refs(struct engine *e, struct container ***ret, size_t *ret_n);
void containers_list_refs_free(struct container **list, size_t n);

/* Create: body is the Docker create JSON (Config fields at the top level,
 * HostConfig, NetworkingConfig). name may be NULL (generated). On success
 * returns a new reference; warnings (json array, may be empty) are
 * appended to *ret_warnings. */
struct container *container_create(struct engine *e, const char *name, json_t *body,
                                   json_t *ret_warnings, struct kerr *err);

int container_rename(struct engine *e, struct container *c, const char *name, struct kerr *err);

/* Removes the record, its directory and (with volumes) anonymous volumes.
 * A running container needs force (killed first). */
int container_remove(struct engine *e, struct container *c, bool force, bool volumes,
                     struct kerr *err);

/* Adds a waiter; it may fire before this returns. */
void container_wait(struct engine *e, struct container *c, enum wait_condition cond,
                    container_wait_fn fn, void *cls);

/* --- life cycle (container-run.c) --- */

/* Writes the runtime spec, starts the shim, connects attached clients and
 * lets the process exec. KERR_NOT_MODIFIED when already running; an exec
 * failure is KERR_INVALID with the runtime's words. */
int container_start(struct engine *e, struct container *c, struct kerr *err);
/* Sends the stop signal, then SIGKILL after timeout seconds (< 0: the
 * container's StopTimeout, default 10). KERR_NOT_MODIFIED when stopped. */
int container_stop(struct engine *e, struct container *c, int timeout, int sig, struct kerr *err);
int container_restart(struct engine *e, struct container *c, int timeout, int sig,
                      struct kerr *err);
/* KERR_CONFLICT when not running. With SIGKILL it returns once the
 * container has stopped and its exit is recorded, as Docker does. */
int container_kill(struct engine *e, struct container *c, int sig, struct kerr *err);
int container_resize(struct engine *e, struct container *c, unsigned rows, unsigned cols,
                     struct kerr *err);

/* At daemon start: finds the shims of running containers and watches them
 * again, and records exits that happened while the daemon was away. */
int containers_restore(struct engine *e, struct kerr *err);
/* The thread that notices shim exits. */
int container_monitor_start(struct engine *e, struct kerr *err);
void container_monitor_stop(struct engine *e);

/* --- attach (container-attach.c) --- */

struct attach_opts {
        bool in, out, err;       /* which streams */
        bool logs;               /* first the past output (of out and err) */
        bool stream;             /* then the live streams; without, only the logs */
        const char *detach_keys; /* NULL: ctrl-p,ctrl-q */
};

/* Attach in two steps, so that the client's stream is registered before
 * it is told so (dockerd attaches before the client can send start):
 * container_attach_prepare checks that c can be attached to (else a
 * KERR_CONFLICT error for the HTTP reply, and NULL) and registers a
 * session without a client: a start from now on connects it and its
 * output waits for the client. container_attach_connect then hands over
 * fd (a connected client socket; taken), bridged to the container's stdio
 * until the container exits, the client detaches or hangs up; then
 * done(cls) is called. fd < 0 cancels the session (no client came). The
 * stream is raw for a TTY and multiplexed (8-byte headers) otherwise. */
struct attach_session *container_attach_prepare(struct engine *e, struct container *c,
                                                const struct attach_opts *o, struct kerr *err);
void container_attach_connect(struct attach_session *s, int fd, const char *extra, size_t extra_len,
                              void (*done)(void *cls), void *cls);

/* Docker's State.Status / list Status text ("Up 3 seconds", "Exited (0) 5
 * seconds ago"), for now. */
void container_status_text(const struct container_snapshot *s, int64_t now_ns, char *buf,
                           size_t size);

/* The container's directory name under the data root: "containers/<id>". */
void container_dir(const struct container *c, char *buf, size_t size);
/* The absolute path of the container id's directory under the data root,
 * or of sub inside it (sub may be NULL): a new string, never truncated. */
char *container_path(const struct engine *e, const char *id, const char *sub);
