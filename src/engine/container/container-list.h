/* container-list.h - GET /containers/json and POST /containers/prune with
 * moby's filters (daemon/list.go, daemon/prune.go). Each container is
 * matched and rendered from one copy taken under its lock, so a summary is
 * one consistent state; results are Docker's JSON, which api/ sends as
 * they are. */
#pragma once

#include "base/err.h"

#include <jansson.h>
#include <stdbool.h>

struct engine;

struct container_list_opts {
        const char *filters; /* the query's JSON in either shape; may be NULL */
        bool all;            /* stopped containers too */
        long limit;          /* only the newest n (stopped ones too); <= 0: all */
        bool size;           /* add SizeRw and SizeRootFs (walks each writable layer) */
};

/* Docker's container summaries, newest first. An unknown filter key or a
 * bad value is KERR_INVALID in dockerd's words; a before/since container
 * that does not exist is KERR_NOT_FOUND. */
int container_list(struct engine *e, const struct container_list_opts *o, json_t **ret,
                   struct kerr *err);

/* Removes the stopped containers the filters (until, label, label!)
 * select. *ret is {"ContainersDeleted": [ids] or null, "SpaceReclaimed":
 * bytes their writable layers held}. */
int container_prune(struct engine *e, const char *filters, json_t **ret, struct kerr *err);
