/* container-filter.h - the filters of GET /containers/json (moby's
 * daemon/list.go) as pure functions over a view of one container, so
 * that every key can be tested from a table (tests/unit/test-container-filter.c).
 * The filters that name other objects are resolved by the caller
 * (container-list.c): before/since (containers), id (unique prefixes),
 * ancestor (images).
 *
 * What kedge cannot have yet is applied as the truth it is: no container
 * has a healthcheck (health is "none"), a published port or a swarm task;
 * a default container is on no network (kedge has no bridge yet), one
 * with --network host or none is on that network. */
#pragma once

#include "base/err.h"
#include "base/filters.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* One container as the filters see it (borrowed pointers). */
struct container_view {
        const char *id;
        const char *name; /* without the leading '/' */
        const char *image_id;
        const char *state; /* "created", "running", ... */
        bool running;      /* running, paused or restarting */
        bool started;      /* has been started at least once */
        int exit_code;
        const json_t *config;      /* Docker Config (Labels, ExposedPorts) */
        const json_t *host_config; /* Docker HostConfig (Binds, Mounts, NetworkMode) */
};

struct container_port_range {
        unsigned start, end;
        char proto[16];
};

struct container_filter {
        struct filters f;
        int is_task;    /* -1: not filtered */
        json_t *exited; /* exit codes; NULL: not filtered */
        json_t *ids;    /* full IDs id= selects; NULL: not filtered */
        json_t *images; /* image IDs ancestor= selects; NULL: not filtered */
        struct container_port_range *publish, *expose;
        size_t npublish, nexpose;
};

/* The keys the list accepts. */
extern const char *const container_filter_keys[];

/* Parses the query's JSON and checks every value as dockerd does:
 * status=bogus is "invalid filter 'status=bogus': invalid value for state
 * (bogus): must be one of ...", likewise health, exited, is-task, publish
 * and expose. *ret is written only on success. */
int container_filter_parse(const char *json, struct container_filter *ret, struct kerr *err);
void container_filter_release(struct container_filter *cf);

/* id=prefix selects the one container whose ID has that prefix; a prefix
 * several IDs share selects none (moby's GetByPrefix). ids: every ID. */
void container_filter_resolve_ids(struct container_filter *cf, const char *const *ids, size_t n);

/* Whether a status filter was given (it lists stopped containers too). */
bool container_filter_wants_stopped(const struct container_filter *cf);

/* Every per-container condition of moby's includeContainerInList. */
bool container_filter_match(const struct container_filter *cf, const struct container_view *v);

/* Docker's list "Mounts" of a HostConfig: its bind mounts (Binds, and
 * Mounts of type bind) and Mounts of type tmpfs, as {"Type","Source",
 * "Destination","Mode","RW","Propagation"}. A new array. */
json_t *container_filter_mounts(const json_t *host_config);
/* The network a container is on ("host", "none"), or NULL. */
const char *container_filter_network(const json_t *host_config);
