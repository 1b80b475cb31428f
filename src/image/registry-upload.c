/* registry-upload.c - blob uploads (Docker Registry v2 / OCI
 * distribution). Chunked: POST opens a session, each PATCH appends one
 * chunk with its Content-Range, and a PUT with ?digest= closes it.
 * Monolithic: the POST, then one PUT with the whole body. Every answer
 * carries the Location of the next request (it holds the registry's
 * upload state) and a Range saying how many bytes it has; both are
 * followed and checked. A PATCH is never resent: the registry may have
 * kept part of it, and an append is not idempotent. */
#include "registry-internal.h"

#include "base/cleanup.h"
#include "base/xalloc.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UPLOAD_CHUNK (4 * 1024 * 1024)

struct registry_upload {
        struct registry *r;
        char *scope;
        char *url; /* the Location of the last answer, absolute */
        char *buf; /* the chunk being filled (allocated at the first write) */
        size_t len;
        int64_t sent; /* bytes the registry acknowledged */
        bool committed;
};

char *registry_upload_url(const char *base, const char *location)
{
        if (strncmp(location, "http://", 7) == 0 || strncmp(location, "https://", 8) == 0)
                return xstrdup(location);
        return xasprintf("%s%s%s", base, location[0] == '/' ? "" : "/", location);
}

char *registry_upload_digest_url(const char *url, const char *digest)
{
        return xasprintf("%s%sdigest=%s", url, strchr(url, '?') ? "&" : "?", digest);
}

int registry_upload_range_parse(const char *range, int64_t *ret_size)
{
        if (!range)
                return -EINVAL;
        if (strncmp(range, "bytes=", 6) == 0)
                range += 6;
        if (range[0] != '0' || range[1] != '-')
                return -EINVAL;
        const char *p = range + 2;
        if (*p < '0' || *p > '9')
                return -EINVAL;
        char *end;
        errno = 0;
        long long last = strtoll(p, &end, 10);
        if (errno || *end || last < 0 || last == INT64_MAX)
                return -EINVAL;
        *ret_size = (int64_t)last + 1;
        return 0;
}

/* Takes the next request's URL from q's Location (keeping the old one
 * when a registry leaves it out). */
static void follow_location(struct registry_upload *u, struct reg_req *q)
{
        if (!q->location)
                return;
        free(u->url);
        u->url = registry_upload_url(u->r->base, q->location);
}

int registry_upload_start(struct registry *r, const char *repo, struct registry_upload **ret,
                          struct kerr *err)
{
        int rr = reg_ping(r, err);
        if (rr < 0)
                return rr;
        _cleanup_free_ char *scope = xasprintf("repository:%s:pull,push", repo);
        struct reg_req q = {.method = "POST",
                            .url = xasprintf("%s/v2/%s/blobs/uploads/", r->base, repo),
                            .scope = scope,
                            .body_fd = -1,
                            .no_redirect = true};
        rr = reg_perform(r, &q, err);
        if (rr == 0 && (q.status != 202 || !q.location))
                rr = reg_status_error(&q, "blob upload", NULL, err);
        if (rr == 0) {
                struct registry_upload *u = xnew0(struct registry_upload);
                u->r = r;
                u->scope = TAKE_PTR(scope);
                follow_location(u, &q);
                *ret = u;
        }
        reg_req_release(&q);
        return rr;
}

/* PATCHes the buffered chunk. */
static int upload_flush(struct registry_upload *u, struct kerr *err)
{
        if (u->len == 0)
                return 0;
        char range[96];
        snprintf(range, sizeof(range), "Content-Range: %" PRId64 "-%" PRId64, u->sent,
                 u->sent + (int64_t)u->len - 1);
        struct reg_req q = {.method = "PATCH",
                            .url = xstrdup(u->url),
                            .scope = u->scope,
                            .content_type = "application/octet-stream",
                            .header = range,
                            .body = u->buf,
                            .body_len = u->len,
                            .body_fd = -1,
                            .no_redirect = true,
                            .no_retry = true};
        int rr = reg_perform(u->r, &q, err);
        int64_t have = -1;
        if (rr == 0 && q.status != 202)
                rr = reg_status_error(&q, "blob upload", NULL, err);
        else if (rr == 0 && q.range &&
                 (registry_upload_range_parse(q.range, &have) < 0 ||
                  have != u->sent + (int64_t)u->len))
                /* Data lost or doubled: the blob would not match its digest. */
                rr =
                    kerr_set(err, KERR_UNAVAILABLE, EIO,
                             "blob upload: the registry holds %s after %" PRId64 " bytes were sent",
                             q.range, u->sent + (int64_t)u->len);
        if (rr == 0) {
                follow_location(u, &q);
                u->sent += (int64_t)u->len;
                u->len = 0;
        }
        reg_req_release(&q);
        return rr;
}

int registry_upload_write(struct registry_upload *u, const void *data, size_t n, struct kerr *err)
{
        const char *p = data;
        if (!u->buf && n > 0)
                u->buf = xmalloc(UPLOAD_CHUNK);
        while (n > 0) {
                size_t take = UPLOAD_CHUNK - u->len < n ? UPLOAD_CHUNK - u->len : n;
                memcpy(u->buf + u->len, p, take);
                u->len += take;
                p += take;
                n -= take;
                if (u->len == UPLOAD_CHUNK) {
                        int rr = upload_flush(u, err);
                        if (rr < 0)
                                return rr;
                }
        }
        return 0;
}

/* The closing PUT, with body fd (size bytes) or none (fd < 0). */
static int upload_put(struct registry_upload *u, const char *digest, int fd, int64_t size,
                      registry_progress_fn progress, void *cls, struct kerr *err)
{
        struct reg_req q = {.method = "PUT",
                            .url = registry_upload_digest_url(u->url, digest),
                            .scope = u->scope,
                            .content_type = "application/octet-stream",
                            .body = "",
                            .body_fd = fd,
                            .body_size = size,
                            .progress = progress,
                            .pcls = cls};
        int rr = reg_perform(u->r, &q, err);
        if (rr == 0 && q.status != 201)
                rr = reg_status_error(&q, "blob upload", NULL, err);
        u->committed = rr == 0;
        reg_req_release(&q);
        return rr;
}

int registry_upload_commit(struct registry_upload *u, const char *digest, struct kerr *err)
{
        int rr = upload_flush(u, err);
        return rr < 0 ? rr : upload_put(u, digest, -1, 0, NULL, NULL, err);
}

int registry_blob_upload(struct registry *r, const char *repo, const char *digest, int fd,
                         int64_t size, registry_progress_fn progress, void *cls, struct kerr *err)
{
        _cleanup_(registry_upload_freep) struct registry_upload *u = NULL;
        int rr = registry_upload_start(r, repo, &u, err);
        return rr < 0 ? rr : upload_put(u, digest, fd, size, progress, cls, err);
}

int64_t registry_upload_size(const struct registry_upload *u)
{
        return u->sent + (int64_t)u->len;
}

struct registry_upload *registry_upload_free(struct registry_upload *u)
{
        if (!u)
                return NULL;
        if (!u->committed && u->url) {
                /* Best effort: the registry would expire the session anyway. */
                struct reg_req q = {.method = "DELETE",
                                    .url = xstrdup(u->url),
                                    .scope = u->scope,
                                    .body_fd = -1,
                                    .no_redirect = true,
                                    .no_retry = true};
                reg_perform(u->r, &q, NULL);
                reg_req_release(&q);
        }
        free(u->scope);
        free(u->url);
        free(u->buf);
        free(u);
        return NULL;
}
