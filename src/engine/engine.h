/* engine.h - the container engine: images, containers, networks, volumes,
 * events. Knows nothing of HTTP; api/ calls it and renders its results. */
#pragma once

#include "engine/core/host.h"

#include "base/cleanup.h"
#include "base/err.h"

#include <pthread.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct store;

struct engine_config {
        const char *data_root; /* absolute */
        const char *exec_root; /* absolute */
        /* The lean shim executable's bytes (borrowed), or NULL to run shims
         * as `kedge shim` from the daemon's own binary. */
        const void *shim_blob;
        size_t shim_blob_len;
        /* Registries (image-pull.c): NULL-terminated lists, may be NULL. */
        const char *const *insecure_registries; /* "host:port" or CIDR */
        const char *const *registry_mirrors;    /* "http://host:port" */
        int max_concurrent_downloads;           /* 0: 3 */
        int max_concurrent_uploads;             /* 0: 5 */
        const char *certs_dir;                  /* NULL: /etc/kedge/certs.d */
};

#define ENGINE_RUNTIMES_MAX 4

/* The most any path kedge builds adds after the data or exec root
 * ("/containers/<64 hex>/bundle/config.json" and the like); engine_new
 * refuses roots longer than PATH_MAX minus this. */
#define ENGINE_PATH_TAIL_MAX 1024
/* The longest exec root: run directories (<exec root>/<64 hex>/<file>) are
 * built in 300-byte buffers. */
#define ENGINE_EXEC_ROOT_MAX 200

struct engine_runtime {
        const char *name;
        char path[4096];
};

struct engine {
        struct store *store;
        char *data_root;
        char *exec_root;
        char *self_path;        /* the kedge executable (shims and helpers re-exec it) */
        int shim_fd;            /* sealed memfd holding the lean shim, or -EBADF */
        const char *backing_fs; /* file system of the data root, as docker info names it */
        struct host_info host;
        /* Runtimes found at start: the built-in one first, then external OCI
         * runtimes on PATH. */
        int nruntimes;
        struct engine_runtime runtimes[ENGINE_RUNTIMES_MAX];
        time_t started;
        /* Registry settings, copied from engine_config (NULL-terminated). */
        char **insecure_registries, **registry_mirrors, *certs_dir;
        int max_downloads, max_uploads;
        pthread_mutex_t image_lock; /* serialises image store commits and removals */
        /* Containers (container.c), under containers_lock. */
        pthread_mutex_t containers_lock;
        struct container **containers;
        size_t ncontainers, containers_cap;
        struct sqlite3 *containers_db; /* their own connection (store_connect) */
        /* Shim watcher (container-run.c). */
        int monitor_epfd, monitor_evfd;
        pthread_t monitor_thread;
        bool monitor_started;
        /* Trees being removed in the background (engine_trash). */
        pthread_mutex_t trash_lock;
        pthread_cond_t trash_done;
        int trash_pending;
        unsigned trash_seq;
};

/* Opens the data root (locking it), prepares the exec root and probes the
 * host. Returns a new engine or NULL with err set. */
struct engine *engine_new(const struct engine_config *cfg, struct kerr *err);
struct engine *engine_free(struct engine *e);
DEFINE_CLEANUP(struct engine *, engine_free)

struct engine_info {
        int64_t containers, running, paused, stopped, images;
        const char *default_runtime;
};

/* Removes rel (a tree under the data root) without making the caller wait:
 * it is renamed into tmp/ at once (so it is gone from where it was, and a
 * crash leaves it where start-up clears anyway) and deleted by a
 * background thread. engine_free waits for those. */
void engine_trash(struct engine *e, const char *rel);

/* Counts from the store. */
int engine_info_get(struct engine *e, struct engine_info *ret, struct kerr *err);
/* The runtime named name ("" = the built-in one), or NULL. Borrowed. */
const struct engine_runtime *engine_runtime_find(const struct engine *e, const char *name);
/* At start: the built-in runtime, then external OCI runtimes on PATH. */
void engine_runtimes_find(struct engine *e);
