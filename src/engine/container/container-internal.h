/* container-internal.h - shared between the engine's container files. */
#pragma once

#include "container.h"
#include "engine/image/image.h"

struct engine;

struct container *container_new(const char *id, const char *name);
void engine_containers_add(struct engine *e, struct container *c);
/* Whether name (with or without '/') is used; copies the holder's ID. */
int engine_container_name_taken(struct engine *e, const char *name, char *ret_id);
/* container_status_text for a caller that holds c->lock. */
void container_status_text_locked(struct container *c, int64_t now_ns, char *buf, size_t size);
/* Calls the waiters the event satisfies. */
void container_fire_waiters(struct container *c, bool exited, bool removed);

/* container-run.c */
void container_run_dir(struct engine *e, const struct container *c, char *buf, size_t size);
/* Connects to a socket in the shim's run directory; fd or -errno. */
int shim_connect(struct engine *e, struct container *c, const char *sock);
int engine_container_kill_and_wait(struct engine *e, struct container *c, struct kerr *err);
/* Removes the run directory of a stopped container and, when its shim did
 * not end normally, what the shim would have removed (cgroups, a root
 * mounted for an external runtime). */
void engine_container_cleanup_files(struct engine *e, struct container *c, bool shim_crashed);

/* container-attach.c: connects clients that attached before start (the
 * shim exists, the process has not exec'd yet). */
void container_attach_pending(struct engine *e, struct container *c);
/* Ends every pending attach (the container is going away). */
void container_attach_drop_pending(struct container *c);

/* container-spec.c: writes <dir>/config.json (OCI runtime spec). */
int container_spec_write(struct engine *e, struct container *c, struct kerr *err);
