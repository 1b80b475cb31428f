/* request.h - one HTTP request in flight. Owned by the server from the
 * first access callback until the request-completed callback frees it. */
#pragma once

#include "router.h"
#include "version.h"

#include "base/buf.h"

#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>

struct engine;
struct api_server;

struct request {
        uint64_t id; /* for log lines: "req=N" */
        struct api_server *server;
        struct engine *engine; /* borrowed */
        struct MHD_Connection *conn;
        const char *method;         /* borrowed from libmicrohttpd */
        char *path;                 /* decoded path without the /vX.Y prefix */
        struct api_version version; /* min(requested, current) */
        bool versioned;
        bool matched;
        struct route_match match;
        struct buf body; /* bounded by the route's body_max */
        bool body_too_large;
        /* Streaming routes (ROUTE_STREAM): the body callback's state, freed
         * with body_state_free when the request ends; body_error is the
         * first error the callback returned. */
        void *body_state;
        void (*body_state_free)(void *state);
        int body_error;
        uint64_t body_streamed; /* bytes given to the body callback so far */
        bool started;           /* first access callback done */
        bool path_has_nul;      /* the raw target's path has a %00 (refused) */
        bool replied;           /* a response was queued */
        int status;             /* status of the queued response, for the log */
        bool queue_failed;
};

/* Path parameter i of the matched route ({id}, {name*}, ...). */
static inline const char *req_param(const struct request *req, size_t i)
{
        return i < req->match.nparams ? req->match.params[i] : NULL;
}

/* Query arguments and headers (borrowed, NULL when absent). */
const char *req_query(struct request *req, const char *key);
const char *req_header(struct request *req, const char *name);
/* Docker's boolean rule: "", "0", "no", "false", "none" (any case) are
 * false, anything else true; absent gives def. */
bool req_query_bool(struct request *req, const char *key, bool def);
bool api_bool_value(const char *s);
