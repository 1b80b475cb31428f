#include "server.h"

#include "reply.h"
#include "request.h"
#include "router.h"
#include "accept.h"
#include "server-internal.h"
#include "socket.h"
#include "hijack.h"
#include "stream.h"

#include "base/log.h"
#include "base/xalloc.h"

#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

unsigned api_server_in_flight(struct api_server *srv)
{
        return atomic_load(&srv->in_flight);
}

/* Called by libmicrohttpd with the raw request target as soon as the
 * request line is parsed, before it is percent-decoded (the decoded path
 * ends at a NUL, so this is the only place a "%00" is still visible). The
 * result is the request's context; on_access fills in the rest. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
        (void)cls;
        (void)conn;
        struct request *req = xnew0(struct request);
        size_t path_len = strcspn(uri, "?");
        for (const char *p = uri; (p = strstr(p, "%00")) && (size_t)(p - uri) < path_len; p++)
                req->path_has_nul = true;
        return req;
}

static void request_init(struct request *req, struct api_server *srv, struct MHD_Connection *conn,
                         const char *url, const char *method)
{
        req->id = atomic_fetch_add(&srv->next_id, 1) + 1;
        req->server = srv;
        req->engine = srv->engine;
        req->conn = conn;
        req->method = method;
        const char *rest;
        api_path_split(url, &req->version, &req->versioned, &rest);
        req->path = xstrdup(rest);
        req->matched = !req->path_has_nul && router_match(method, req->path, &req->match);
        buf_init(&req->body, req->matched ? req->match.route->body_max : 64 * 1024);
        req->started = true;
        atomic_fetch_add(&srv->in_flight, 1);
}

static void request_free(struct request *req)
{
        if (req->body_state_free)
                req->body_state_free(req->body_state);
        router_match_release(&req->match);
        buf_release(&req->body);
        free(req->path);
        free(req);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
        (void)conn;
        struct api_server *srv = cls;
        struct request *req = *con_cls;
        if (!req)
                return;
        bool started = req->started;
        if (started)
                log_debug("req=%" PRIu64 " %s %s -> %d%s", req->id, req->method, req->path,
                          req->status,
                          toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (terminated early)");
        request_free(req);
        *con_cls = NULL;
        if (started)
                atomic_fetch_sub(&srv->in_flight, 1);
}

static void reply_too_large(struct request *req)
{
        reply_errorf(req, KERR_TOO_LARGE, "request body of %s %s is larger than %zu bytes",
                     req->method, req->path, req->body.max);
}

static void run_handler(struct request *req)
{
        req->match.route->handler(req);
        if (!req->replied) {
                log_error("req=%" PRIu64 " %s %s: handler gave no reply", req->id, req->method,
                          req->path);
                reply_errorf(req, KERR_INTERNAL, "internal error: no reply");
        }
}

/* A slow route's handler (routes.def ROUTE_WORKER) runs here, on its own
 * thread, while its connection is suspended: libmicrohttpd's few request
 * threads go on serving every other connection. The reply is queued while
 * suspended (allowed from any thread), then the connection resumes. */
static void *handler_worker(void *p)
{
        struct request *req = p;
        run_handler(req);
        MHD_resume_connection(req->conn);
        return NULL;
}

/* Runs once the whole request is in. Returns true when a worker thread
 * took the request: the caller must not touch it any more. */
static bool dispatch(struct request *req)
{
        if (!req->matched) {
                reply_errorf(req, KERR_NOT_FOUND, "page not found");
                return false;
        }
        if (req->body_too_large) {
                reply_too_large(req);
                return false;
        }
        const struct route *r = req->match.route;
        if (!r->handler) {
                reply_errorf(req, KERR_NOT_IMPLEMENTED, "%s %s is not implemented by kedge yet",
                             r->method, r->pattern);
                return false;
        }
        if (r->on_worker) {
                MHD_suspend_connection(req->conn);
                if (api_worker_spawn(handler_worker, req) == 0)
                        return true;
                MHD_resume_connection(req->conn);
                log_warn("req=%" PRIu64 ": no worker thread, running %s %s inline", req->id,
                         req->method, req->path);
        }
        run_handler(req);
        return false;
}

/* A Content-Length beyond the limit is refused before reading the body. */
static bool declared_too_large(struct request *req)
{
        const char *cl = req_header(req, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (!cl)
                return false;
        char *end;
        errno = 0;
        unsigned long long n = strtoull(cl, &end, 10);
        if (end == cl)
                return false; /* not a number: libmicrohttpd refuses it */
        return errno == ERANGE || n > req->body.max;
}

struct content_length {
        const char *first;
        bool conflict;
};

static enum MHD_Result content_length_cb(void *cls, enum MHD_ValueKind kind, const char *key,
                                         const char *value)
{
        (void)kind;
        struct content_length *cl = cls;
        if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) != 0 || !value)
                return MHD_YES;
        if (!cl->first)
                cl->first = value;
        else if (strcmp(cl->first, value) != 0)
                cl->conflict = true;
        return MHD_YES;
}

/* Checks made once the headers are in, before any body is read. Returns
 * true when a reply (400, 404, 413) was queued. */
static bool refuse_early(struct request *req)
{
        if (req->path_has_nul) {
                /* A NUL would cut the path short in every C string after
                 * this point: "/_ping%00/x" must not be served as "/_ping". */
                reply_errorf(req, KERR_INVALID,
                             "invalid request path: it contains a NUL byte (%%00)");
                return true;
        }
        /* Two different lengths: a proxy in front may frame the body by the
         * other one (request smuggling). RFC 9112 6.3: unrecoverable. */
        struct content_length cl = {0};
        MHD_get_connection_values(req->conn, MHD_HEADER_KIND, content_length_cb, &cl);
        if (cl.conflict) {
                reply_errorf(req, KERR_INVALID,
                             "conflicting Content-Length headers in the request");
                return true;
        }
        /* Both framings at once is the other smuggling shape (RFC 9112 6.3
         * allows refusing it; no Docker client sends it). */
        if (cl.first && req_header(req, MHD_HTTP_HEADER_TRANSFER_ENCODING)) {
                reply_errorf(req, KERR_INVALID,
                             "the request has both Transfer-Encoding and Content-Length headers");
                return true;
        }
        if (declared_too_large(req)) {
                if (req->matched)
                        reply_too_large(req);
                else
                        reply_errorf(req, KERR_NOT_FOUND, "page not found");
                return true;
        }
        return false;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *data,
                                 size_t *size, void **con_cls)
{
        (void)version;
        struct api_server *srv = cls;
        struct request *req = *con_cls;
        if (!req) /* on_uri always runs first; this is belt and braces */
                *con_cls = req = xnew0(struct request);
        if (!req->started) {
                request_init(req, srv, conn, url, method);
                /* Answering before the body makes libmicrohttpd close the
                 * connection afterwards, which is what we want. */
                if (refuse_early(req))
                        return req->queue_failed ? MHD_NO : MHD_YES;
                return MHD_YES;
        }
        if (*size > 0 && req->matched && req->match.route->body_cb) {
                /* Chunked bodies declare no length: count them here. */
                req->body_streamed += *size;
                if (req->body_streamed > req->match.route->body_max)
                        req->body_too_large = true;
                if (!req->replied && req->body_error == 0 && !req->body_too_large)
                        req->body_error = req->match.route->body_cb(req, data, *size);
                *size = 0;
                return MHD_YES;
        }
        if (*size > 0) {
                if (!req->replied && !req->body_too_large &&
                    buf_append(&req->body, data, *size) < 0) {
                        req->body_too_large = true;
                        buf_release(&req->body);
                }
                *size = 0;
                return MHD_YES;
        }
        if (!req->replied && dispatch(req))
                return MHD_YES; /* suspended; the worker replies and resumes */
        return req->queue_failed ? MHD_NO : MHD_YES;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
        (void)cls;
        char msg[512];
        vsnprintf(msg, sizeof(msg), fmt, ap);
        msg[strcspn(msg, "\n")] = 0;
        log_debug("http: %s", msg);
}

/* Per-connection memory (request line, headers, read buffer). At most 32
 * KiB, libmicrohttpd takes it from malloc; above, it maps and unmaps it for
 * every connection, and the munmap's TLB shootdown across the pool's
 * threads made a new connection cost 400-500 us instead of 60 (see
 * docs/PERFORMANCE.md, "The accept path"). Headers beyond it get 431. */
#define CONNECTION_MEMORY (32u * 1024u)

static int listener_start(struct api_server *srv, struct api_listener *l, const char *path,
                          const struct api_server_config *cfg, struct kerr *err)
{
        l->fd = api_socket_listen(path, err);
        if (l->fd < 0)
                return l->fd;
        l->path = xstrdup(path);
        /* No listening socket: accept.c accepts and hands connections over. */
        unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                         MHD_USE_NO_LISTEN_SOCKET | MHD_ALLOW_SUSPEND_RESUME | MHD_ALLOW_UPGRADE |
                         MHD_USE_ERROR_LOG | MHD_USE_TURBO;
        l->mhd = MHD_start_daemon(
            flags, 0, NULL, NULL, on_access, srv, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
            MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
            srv, MHD_OPTION_THREAD_POOL_SIZE, cfg->threads, MHD_OPTION_CONNECTION_TIMEOUT,
            cfg->idle_timeout, MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections,
            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY, MHD_OPTION_END);
        if (!l->mhd)
                return kerr_set(err, KERR_INTERNAL, EIO, "cannot start HTTP server on '%s'", path);
        return 0;
}

/* Closes the listening sockets and removes their paths: nobody can
 * connect any more. Idempotent. */
static void listeners_close(struct api_server *srv)
{
        for (int i = 0; i < API_SOCKETS_MAX; i++) {
                struct api_listener *l = &srv->listeners[i];
                if (l->fd < 0)
                        continue;
                close(l->fd);
                l->fd = -1;
                if (l->path)
                        unlink(l->path);
        }
}

struct api_server *api_server_start(struct engine *engine, const struct api_server_config *cfg,
                                    struct kerr *err)
{
        if (cfg->nsockets < 1 || cfg->nsockets > API_SOCKETS_MAX) {
                kerr_set(err, KERR_INVALID, EINVAL, "between 1 and %d sockets are supported",
                         API_SOCKETS_MAX);
                return NULL;
        }
        struct api_server *srv = xnew0(struct api_server);
        srv->engine = engine;
        pthread_mutex_init(&srv->streams_lock, NULL);
        for (int i = 0; i < API_SOCKETS_MAX; i++)
                srv->listeners[i].fd = -1;
        for (int i = 0; i < cfg->nsockets; i++) {
                srv->nlisteners++;
                if (listener_start(srv, &srv->listeners[i], cfg->sockets[i], cfg, err) < 0)
                        goto fail;
        }
        if (api_accept_start(srv, cfg->idle_timeout, cfg->max_connections, err) < 0)
                goto fail;
        return srv;
fail:
        api_server_stop(srv, 0);
        return api_server_free(srv);
}

int api_server_stop(struct api_server *srv, int timeout_ms)
{
        api_accept_stop(srv);
        listeners_close(srv);
        /* Long polls and followers end now; their clients see the body end. */
        api_streams_close_all(srv);
        api_hijacks_close_all(srv, timeout_ms);
        /* Requests in flight (bodies still arriving, handlers on workers)
         * finish and are answered. */
        int busy = api_workers_wait(timeout_ms);
        struct timespec tick = {0, 10 * 1000 * 1000};
        for (int waited = 0; waited < timeout_ms && api_server_in_flight(srv) > 0; waited += 10)
                nanosleep(&tick, NULL);
        for (int i = 0; i < srv->nlisteners; i++) {
                struct api_listener *l = &srv->listeners[i];
                if (l->mhd)
                        MHD_stop_daemon(l->mhd);
                l->mhd = NULL;
        }
        return busy;
}

struct api_server *api_server_free(struct api_server *srv)
{
        if (!srv)
                return NULL;
        for (int i = 0; i < srv->nlisteners; i++)
                free(srv->listeners[i].path);
        pthread_mutex_destroy(&srv->streams_lock);
        free(srv);
        return NULL;
}
