/* containers-run.c - the running side of /containers/{id}/...: start,
 * stop, restart, kill, resize, attach. */
#include "containers.h"
#include "handlers.h"
#include "hijack.h"
#include "reply.h"
#include "stream.h"

#include "base/json.h"
#include "base/xalloc.h"
#include "engine/container/container.h"
#include "engine/engine.h"
#include "engine/container/signals.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void reply_result(struct request *req, int r, const struct kerr *err)
{
        if (r < 0)
                reply_error(req, err);
        else
                reply_empty(req, MHD_HTTP_NO_CONTENT);
}

/* t (seconds) and signal of stop/restart; false after replying 400. */
static bool stop_params(struct request *req, int *timeout, int *sig)
{
        const char *t = req_query(req, "t");
        const char *s = req_query(req, "signal");
        *timeout = -1;
        *sig = 0;
        if (t && t[0]) {
                char *end;
                long v = strtol(t, &end, 10);
                if (*end || v < -1) {
                        reply_errorf(req, KERR_INVALID, "invalid value for t: %s", t);
                        return false;
                }
                *timeout = (int)v;
        }
        if (s && s[0] && (*sig = signal_parse(s)) < 0) {
                reply_errorf(req, KERR_INVALID, "Invalid signal: %s", s);
                return false;
        }
        return true;
}

void containers_start(struct request *req)
{
        _cleanup_(container_unrefp) struct container *c = containers_lookup(req);
        if (!c)
                return;
        struct kerr err = {0};
        reply_result(req, container_start(req->engine, c, &err), &err);
}

void containers_stop(struct request *req)
{
        _cleanup_(container_unrefp) struct container *c = containers_lookup(req);
        int timeout, sig;
        if (!c || !stop_params(req, &timeout, &sig))
                return;
        struct kerr err = {0};
        reply_result(req, container_stop(req->engine, c, timeout, sig, &err), &err);
}

void containers_restart(struct request *req)
{
        _cleanup_(container_unrefp) struct container *c = containers_lookup(req);
        int timeout, sig;
        if (!c || !stop_params(req, &timeout, &sig))
                return;
        struct kerr err = {0};
        reply_result(req, container_restart(req->engine, c, timeout, sig, &err), &err);
}

void containers_kill(struct request *req)
{
        _cleanup_(container_unrefp) struct container *c = containers_lookup(req);
        if (!c)
                return;
        const char *s = req_query(req, "signal");
        int sig = s && s[0] ? signal_parse(s) : 9;
        if (sig < 0) {
                reply_errorf(req, KERR_INVALID, "Invalid signal: %s", s);
                return;
        }
        struct kerr err = {0};
        reply_result(req, container_kill(req->engine, c, sig, &err), &err);
}

void containers_resize(struct request *req)
{
        _cleanup_(container_unrefp) struct container *c = containers_lookup(req);
        if (!c)
                return;
        const char *h = req_query(req, "h"), *w = req_query(req, "w");
        char *e1 = NULL, *e2 = NULL;
        long rows = h ? strtol(h, &e1, 10) : -1, cols = w ? strtol(w, &e2, 10) : -1;
        if (!h || !w || *e1 || *e2 || rows < 0 || cols < 0 || rows > 65535 || cols > 65535) {
                reply_errorf(req, KERR_INVALID, "invalid resize parameters h=%s w=%s", h ? h : "",
                             w ? w : "");
                return;
        }
        struct kerr err = {0};
        int r = container_resize(req->engine, c, (unsigned)rows, (unsigned)cols, &err);
        reply_result(req, r, &err);
}

struct attach_req {
        struct attach_session *session; /* registered before the 101 */
        struct attach_opts o;
        char *detach_keys;
};

static void attach_done(void *cls)
{
        api_hijack_done(cls);
}

static void on_hijacked(void *cls, int fd, const char *extra, size_t extra_len,
                        struct api_hijack *h)
{
        struct attach_req *a = cls;
        container_attach_connect(a->session, fd, extra, extra_len, attach_done, h);
        free(a->detach_keys);
        free(a);
}

/* Without "Upgrade" (dockerode's docker.run, testcontainers-node): a 200
 * whose body is the output stream, ending when the container does. The
 * engine bridges to one end of a socketpair; a worker copies the other
 * end into the response. There is no stdin on this path. */
struct plain_attach {
        int fd;
        struct api_stream *s;
};

static void *plain_copy(void *arg)
{
        struct plain_attach *p = arg;
        char buf[65536];
        ssize_t n;
        while ((n = read(p->fd, buf, sizeof(buf))) != 0) {
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 || api_stream_write(p->s, buf, (size_t)n) < 0)
                        break;
        }
        close(p->fd);
        api_stream_close(p->s);
        api_stream_unref(p->s);
        free(p);
        return NULL;
}

static void plain_done(void *cls)
{
        close((int)(intptr_t)cls); /* the engine's end: the copier sees EOF */
}

static void attach_plain(struct request *req, struct attach_req *a, const char *ct)
{
        int sp[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
                container_attach_connect(a->session, -1, NULL, 0, NULL, NULL);
                reply_errorf(req, KERR_INTERNAL, "socketpair: %s", strerror(errno));
        } else {
                container_attach_connect(a->session, sp[0], NULL, 0, plain_done,
                                         (void *)(intptr_t)sp[0]);
                struct plain_attach *p = xnew0(struct plain_attach);
                p->fd = sp[1];
                p->s = reply_async(req, MHD_HTTP_OK, ct);
                if (api_worker_spawn(plain_copy, p) < 0) {
                        close(p->fd);
                        api_stream_close(p->s);
                        api_stream_unref(p->s);
                        free(p);
                }
        }
        free(a->detach_keys);
        free(a);
}

void containers_attach(struct request *req)
{
        _cleanup_(container_unrefp) struct container *c = containers_lookup(req);
        if (!c)
                return;
        struct attach_req *a = xnew0(struct attach_req);
        a->o.stream = req_query_bool(req, "stream", false);
        a->o.logs = req_query_bool(req, "logs", false);
        /* No stdin without Upgrade (the plain path). */
        a->o.in = a->o.stream && req_wants_upgrade(req) && req_query_bool(req, "stdin", false);
        a->o.out = req_query_bool(req, "stdout", false);
        a->o.err = req_query_bool(req, "stderr", false);
        const char *keys = req_query(req, "detachKeys");
        a->detach_keys = keys && keys[0] ? xstrdup(keys) : NULL;
        a->o.detach_keys = a->detach_keys;
        bool tty = container_is_tty(c);
        const char *ct = !tty && api_version_at_least(req->version, 1, 42)
                             ? "application/vnd.docker.multiplexed-stream"
                             : "application/vnd.docker.raw-stream";
        struct kerr err = {0};
        a->session = container_attach_prepare(req->engine, c, &a->o, &err);
        if (!a->session) {
                /* Before the 101: a refusal is an HTTP error. */
                reply_error(req, &err);
                free(a->detach_keys);
                free(a);
                return;
        }
        if (req_wants_upgrade(req)) {
                reply_hijack(req, ct, on_hijacked, a);
                return;
        }
        attach_plain(req, a, ct);
}
