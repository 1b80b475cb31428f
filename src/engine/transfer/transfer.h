/* image-registry.h - docker pull, docker push and docker login.
 *
 * Pull and push are split in two: _prepare does what can fail before
 * any progress is shown (reference, manifest, local image lookup) so the
 * API can still answer with an HTTP error; _run then streams Docker's
 * progress objects through fn and reports later failures through err
 * (the API writes them into the stream). _run may be called on any
 * thread; fn is called with one message at a time (never concurrently). */
#pragma once

#include "image/registry-auth.h"

#include "base/err.h"

#include <jansson.h>

struct engine;

/* Receives one progress object (takes the reference). */
typedef void (*image_progress_fn)(void *cls, json_t *msg);

struct image_pull_opts {
        const char *image;    /* fromImage: "busybox", "h:5000/x:1", "x@sha256:…" */
        const char *tag;      /* tag or digest; NULL or "": from image, else latest */
        const char *platform; /* "linux/arm64"; NULL: the host's */
        const struct registry_auth *auth;
};

struct image_pull;
struct image_pull *image_pull_prepare(struct engine *e, const struct image_pull_opts *o,
                                      struct kerr *err);
int image_pull_run(struct image_pull *p, image_progress_fn fn, void *cls, struct kerr *err);
struct image_pull *image_pull_free(struct image_pull *p);

struct image_push_opts {
        const char *name; /* repository, e.g. "127.0.0.1:5000/test/busybox" */
        const char *tag;  /* NULL or "": every tag of the repository */
        const struct registry_auth *auth;
};

struct image_push;
struct image_push *image_push_prepare(struct engine *e, const struct image_push_opts *o,
                                      struct kerr *err);
int image_push_run(struct image_push *p, image_progress_fn fn, void *cls, struct kerr *err);
struct image_push *image_push_free(struct image_push *p);

/* docker login: checks auth against its serveraddress (default docker.io).
 * ret_token gets an identity token when the registry issued one (or NULL). */
int transfer_login(struct engine *e, const struct registry_auth *auth, char **ret_token,
                   struct kerr *err);

/* Docker's progress text: "[=====>     ]  1.2MB/3.4MB". */
json_t *image_progress_msg(const char *status, const char *id, int64_t current, int64_t total);

/* Progress bars get a message at most every 100 ms, and always the last
 * one (done == total); *last holds the time of the previous message. */
bool image_progress_due(struct timespec *last, int64_t done, int64_t total);
