#include "server.h"

#include "reply.h"
#include "request.h"
#include "router.h"
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
#include <time.h>
#include <unistd.h>

unsigned api_server_in_flight(struct api_server *srv)
{
        return atomic_load(&srv->in_flight);
}

static struct request *request_new(struct api_server *srv, struct MHD_Connection *conn,
                                   const char *url, const char *method)
{
        struct request *req = xnew0(struct request);
        req->id = atomic_fetch_add(&srv->next_id, 1) + 1;
        req->server = srv;
        req->engine = srv->engine;
        req->conn = conn;
        req->method = method;
        const char *rest;
        api_path_split(url, &req->version, &req->versioned, &rest);
        req->path = xstrdup(rest);
        req->matched = router_match(method, req->path, &req->match);
        buf_init(&req->body, req->matched ? req->match.route->body_max : 64 * 1024);
        atomic_fetch_add(&srv->in_flight, 1);
        return req;
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
        log_debug("req=%" PRIu64 " %s %s -> %d%s", req->id, req->method, req->path, req->status,
                  toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (terminated early)");
        request_free(req);
        *con_cls = NULL;
        atomic_fetch_sub(&srv->in_flight, 1);
}

static void reply_too_large(struct request *req)
{
        reply_errorf(req, KERR_TOO_LARGE, "request body of %s %s is larger than %zu bytes",
                     req->method, req->path, req->body.max);
}

/* Runs once the whole request is in. */
static void dispatch(struct request *req)
{
        if (!req->matched) {
                reply_errorf(req, KERR_NOT_FOUND, "page not found");
                return;
        }
        if (req->body_too_large) {
                reply_too_large(req);
                return;
        }
        const struct route *r = req->match.route;
        if (!r->handler) {
                reply_errorf(req, KERR_NOT_IMPLEMENTED, "%s %s is not implemented by kedge yet",
                             r->method, r->pattern);
                return;
        }
        r->handler(req);
        if (!req->replied) {
                log_error("req=%" PRIu64 " %s %s: handler gave no reply", req->id, req->method,
                          req->path);
                reply_errorf(req, KERR_INTERNAL, "internal error: no reply");
        }
}

/* A Content-Length beyond the limit is refused before reading the body. */
static bool declared_too_large(struct request *req)
{
        if (req->matched && req->match.route->body_cb)
                return false; /* streamed: the handler bounds what it keeps */
        const char *cl = req_header(req, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (!cl)
                return false;
        char *end;
        errno = 0;
        unsigned long long n = strtoull(cl, &end, 10);
        return errno == 0 && end != cl && n > req->body.max;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *data,
                                 size_t *size, void **con_cls)
{
        (void)version;
        struct api_server *srv = cls;
        struct request *req = *con_cls;
        if (!req) {
                req = request_new(srv, conn, url, method);
                *con_cls = req;
                if (declared_too_large(req)) {
                        /* Answering before the body makes libmicrohttpd close
                         * the connection afterwards, which is what we want. */
                        if (req->matched)
                                reply_too_large(req);
                        else
                                reply_errorf(req, KERR_NOT_FOUND, "page not found");
                        return req->queue_failed ? MHD_NO : MHD_YES;
                }
                return MHD_YES;
        }
        if (*size > 0 && req->matched && req->match.route->body_cb) {
                if (!req->replied && req->body_error == 0)
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
        if (!req->replied)
                dispatch(req);
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

static int listener_start(struct api_server *srv, struct api_listener *l, const char *path,
                          const struct api_server_config *cfg, struct kerr *err)
{
        int fd = api_socket_listen(path, err);
        if (fd < 0)
                return fd;
        l->path = xstrdup(path);
        unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                         MHD_ALLOW_SUSPEND_RESUME | MHD_ALLOW_UPGRADE | MHD_USE_ERROR_LOG | MHD_USE_TURBO;
        l->mhd = MHD_start_daemon(
                flags, 0, NULL, NULL, on_access, srv, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
                MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
                MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_THREAD_POOL_SIZE,
                cfg->threads, MHD_OPTION_CONNECTION_TIMEOUT, cfg->idle_timeout,
                MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections,
                MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024), MHD_OPTION_END);
        if (!l->mhd) {
                close(fd);
                unlink(path);
                return kerr_set(err, KERR_INTERNAL, EIO, "cannot start HTTP server on '%s'", path);
        }
        return 0;
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
        for (int i = 0; i < cfg->nsockets; i++) {
                if (listener_start(srv, &srv->listeners[i], cfg->sockets[i], cfg, err) < 0) {
                        free(srv->listeners[i].path);
                        srv->listeners[i].path = NULL;
                        api_server_stop(srv, 0);
                        return api_server_free(srv);
                }
                srv->nlisteners++;
        }
        return srv;
}

int api_server_stop(struct api_server *srv, int timeout_ms)
{
        for (int i = 0; i < srv->nlisteners; i++) {
                struct api_listener *l = &srv->listeners[i];
                if (!l->mhd || l->quiesced)
                        continue;
                MHD_socket fd = MHD_quiesce_daemon(l->mhd);
                if (fd != MHD_INVALID_SOCKET)
                        close(fd);
                l->quiesced = true;
                /* Nobody can connect any more: the path goes now. */
                unlink(l->path);
        }
        /* Long polls and followers end now; their clients see the body end. */
        api_streams_close_all(srv);
        api_hijacks_close_all(srv, timeout_ms);
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
