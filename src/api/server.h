/* server.h - the HTTP/1.1 server (libmicrohttpd) on one or more Unix
 * sockets, dispatching to routes.def. */
#pragma once

#include "base/err.h"

#include <stdbool.h>

struct engine;
struct api_server;

struct api_server_config {
        const char *const *sockets; /* socket paths */
        int nsockets;
        unsigned threads;         /* worker threads per socket */
        unsigned idle_timeout;    /* seconds an idle connection is kept */
        unsigned max_connections; /* per socket */
};

/* Binds every socket (see api_socket_listen) and starts serving. On error
 * nothing stays bound. The engine is borrowed. */
struct api_server *api_server_start(struct engine *engine, const struct api_server_config *cfg,
                                    struct kerr *err);

/* Graceful stop: stop accepting, wait up to timeout_ms for requests in
 * flight, close every connection, remove the sockets. Returns the number
 * of worker threads (pulls, pushes, log followers) still running: the
 * engine must then outlive them, so the caller must not free it. */
int api_server_stop(struct api_server *srv, int timeout_ms);
struct api_server *api_server_free(struct api_server *srv);

/* Requests being processed right now. */
unsigned api_server_in_flight(struct api_server *srv);
