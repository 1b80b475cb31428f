/* router.h - the declarative route table (routes.def) and path matching. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct request;
typedef void (*api_handler)(struct request *req);
/* Streaming request bodies: called with each chunk as it arrives instead
 * of buffering it (docker load/import bodies are hundreds of MB). Returns
 * 0, or -errno to make the server discard the rest; the handler still runs
 * at the end and reports (it keeps its state in req->body_state). */
typedef int (*api_body_cb)(struct request *req, const char *data, size_t len);

#define ROUTE_PARAMS_MAX 4
/* The bound on a streamed (ROUTE_STREAM) body: what a load or import may
 * spool to disk. A body past it is answered 413, so one request cannot fill
 * the data root's disk; the largest images are a few GiB. */
#define ROUTE_SPOOL_MAX ((size_t)16 * 1024 * 1024 * 1024)

struct route {
        const char *method;
        const char *pattern;
        api_handler handler; /* NULL: not implemented, answered with 501 */
        size_t body_max;     /* bytes of body accepted, buffered or streamed */
        api_body_cb body_cb; /* NULL: the body is buffered in req->body */
        bool on_worker;      /* slow: the handler runs on a worker thread */
};

struct route_match {
        const struct route *route;
        size_t nparams;
        char *params[ROUTE_PARAMS_MAX]; /* owned; router_match_release frees */
};

/* Finds the first route whose method and pattern match path (already
 * percent-decoded, without a version prefix). Returns true and fills m on a
 * match. A path that matches only with another method is not a match:
 * dockerd answers 404 "page not found" for both. */
bool router_match(const char *method, const char *path, struct route_match *m);
void router_match_release(struct route_match *m);

/* Matches one pattern against path; exposed for unit tests. */
bool router_pattern_match(const char *pattern, const char *path, struct route_match *m);

/* The whole table, for listing and tests. */
const struct route *router_table(size_t *ret_count);
