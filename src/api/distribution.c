/* distribution.c - docker pull (POST /images/create?fromImage=), docker
 * push (POST /images/{name}/push) and docker login (POST /auth).
 *
 * Pull and push first make the engine's prepare call on the server thread
 * (reference, manifest, local lookup: quick, bounded by connect timeouts)
 * so that "manifest unknown" or "pull access denied" is an HTTP error as
 * with dockerd; then the reply's headers go out and a detached thread
 * runs the transfer, writing Docker's progress objects ("\r\n"-framed)
 * into the stream and any later failure as {"errorDetail", "error"}. */
#include "handlers.h"
#include "reply.h"
#include "stream.h"

#include "base/json.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "engine/transfer/transfer.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

/* X-Registry-Auth, or a 400 queued. */
static bool request_auth(struct request *req, struct registry_auth *ret)
{
        struct kerr err = {0};
        if (registry_auth_decode(req_header(req, "X-Registry-Auth"), ret, &err) < 0) {
                reply_error(req, &err);
                return false;
        }
        return true;
}

static void to_stream(void *cls, json_t *msg)
{
        api_stream_json(cls, msg, "\r\n");
}

static void stream_error(struct api_stream *s, const struct kerr *err)
{
        api_stream_json(
            s, json_pack("{s{ss} ss}", "errorDetail", "message", err->msg, "error", err->msg),
            "\r\n");
}

struct transfer {
        struct image_pull *pull;
        struct image_push *push;
        struct api_stream *s;
        uint64_t req_id;
};

static void *transfer_main(void *cls)
{
        struct transfer *t = cls;
        struct kerr err = {0};
        int r = t->pull ? image_pull_run(t->pull, to_stream, t->s, &err)
                        : image_push_run(t->push, to_stream, t->s, &err);
        if (r < 0) {
                log_info("req=%llu %s failed: %s", (unsigned long long)t->req_id,
                         t->pull ? "pull" : "push", err.msg);
                stream_error(t->s, &err);
        }
        api_stream_close(t->s);
        api_stream_unref(t->s);
        image_pull_free(t->pull);
        image_push_free(t->push);
        free(t);
        return NULL;
}

static void start_transfer(struct request *req, struct transfer *t)
{
        t->req_id = req->id;
        t->s = reply_async(req, MHD_HTTP_OK, "application/json");
        if (api_worker_spawn(transfer_main, t) < 0) {
                struct kerr err = {0};
                kerr_set(&err, KERR_INTERNAL, EAGAIN, "cannot start a transfer thread");
                stream_error(t->s, &err);
                api_stream_close(t->s);
                api_stream_unref(t->s);
                image_pull_free(t->pull);
                image_push_free(t->push);
                free(t);
        }
}

/* The reply for a prepared pull or push: its error, or the progress
 * stream with the transfer running on a worker. */
static void begin_transfer(struct request *req, const struct transfer *prepared,
                           const struct kerr *err)
{
        if (!prepared->pull && !prepared->push) {
                reply_error(req, err);
                return;
        }
        struct transfer *t = xnew0(struct transfer);
        *t = *prepared;
        start_transfer(req, t);
}

void images_pull(struct request *req)
{
        struct registry_auth auth;
        if (!request_auth(req, &auth))
                return;
        struct image_pull_opts o = {
            .image = req_query(req, "fromImage"),
            .tag = req_query(req, "tag"),
            .platform = req_query(req, "platform"),
            .auth = &auth,
        };
        struct kerr err = {0};
        struct transfer t = {.pull = image_pull_prepare(req->engine, &o, &err)};
        registry_auth_release(&auth);
        begin_transfer(req, &t, &err);
}

void images_push(struct request *req)
{
        struct registry_auth auth;
        if (!request_auth(req, &auth))
                return;
        struct image_push_opts o = {
            .name = req_param(req, 0),
            .tag = req_query(req, "tag"),
            .auth = &auth,
        };
        struct kerr err = {0};
        struct transfer t = {.push = image_push_prepare(req->engine, &o, &err)};
        registry_auth_release(&auth);
        begin_transfer(req, &t, &err);
}

void system_auth(struct request *req)
{
        struct registry_auth auth;
        struct kerr err = {0};
        if (registry_auth_from_json(req->body.data ? req->body.data : "", req->body.len, &auth,
                                    &err) < 0) {
                reply_error(req, &err);
                return;
        }
        char *token = NULL;
        int r = transfer_login(req->engine, &auth, &token, &err);
        registry_auth_release(&auth);
        if (r < 0) {
                /* Any refusal by the registry is the client's 401, as dockerd answers. */
                if (err.kind == KERR_UNAUTHORIZED || err.kind == KERR_FORBIDDEN)
                        err.kind = KERR_UNAUTHORIZED;
                reply_error(req, &err);
                return;
        }
        json_t *v =
            json_pack("{ss ss}", "Status", "Login Succeeded", "IdentityToken", token ? token : "");
        free(token);
        reply_json(req, MHD_HTTP_OK, v);
}
