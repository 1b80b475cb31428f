/* server-internal.h - struct api_server, shared by server.c and stream.c. */
#pragma once

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#define API_SOCKETS_MAX 8

struct engine;
struct api_stream;
struct api_hijack;
struct api_acceptor;

struct api_listener {
        char *path;
        int fd; /* listening socket, accepted on by accept.c; -1 once closed */
        struct MHD_Daemon *mhd;
};

struct api_server {
        struct engine *engine;
        struct api_listener listeners[API_SOCKETS_MAX];
        int nlisteners;
        atomic_uint in_flight;
        atomic_uint_fast64_t next_id;
        pthread_mutex_t streams_lock;
        struct api_stream *streams; /* open async bodies (stream.c) */
        struct api_hijack *hijacks; /* upgraded connections (hijack.c) */
        int nhijacks;
        struct api_acceptor *acceptor; /* accept.c */
};
