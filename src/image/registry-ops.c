/* registry-ops.c - the registry operations: login, manifests, blobs,
 * mounts (uploads are in registry-upload.c). Each builds one struct
 * reg_req and runs it through reg_perform (auth, retries). */
#include "registry-internal.h"

#include "manifest.h"

#include "base/cleanup.h"
#include "base/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define ACCEPT_MANIFESTS                                                                           \
        "Accept: " MT_OCI_INDEX ", " MT_DOCKER_LIST ", " MT_OCI_MANIFEST ", " MT_DOCKER_MANIFEST   \
        ", " MT_SCHEMA1_SIGNED ", " MT_SCHEMA1

static char *scope_of(const char *repo, const char *actions)
{
        return xasprintf("repository:%s:%s", repo, actions);
}

int registry_login(struct registry *r, char **ret_token, struct kerr *err)
{
        int rr = reg_ping(r, err);
        if (rr < 0)
                return rr;
        pthread_mutex_lock(&r->lock);
        enum www_auth_scheme s = r->challenge.scheme;
        pthread_mutex_unlock(&r->lock);
        if (s == WWW_AUTH_BEARER) {
                _cleanup_free_ char *tok = NULL;
                /* No scope: the token server checks the credentials alone. */
                rr = reg_token(r, "", &tok, err);
                if (rr < 0)
                        return rr;
                if (ret_token) {
                        pthread_mutex_lock(&r->lock);
                        *ret_token = r->refresh_token ? xstrdup(r->refresh_token) : NULL;
                        pthread_mutex_unlock(&r->lock);
                }
                return 0;
        }
        if (s != WWW_AUTH_BASIC)
                return 0; /* the registry wants no credentials */
        struct reg_req q = {
            .method = "GET", .url = xasprintf("%s/v2/", r->base), .body_fd = -1, .basic = true};
        rr = reg_perform(r, &q, err);
        if (rr == 0 && q.status != 200) {
                rr = reg_status_error(&q, "login", NULL, err);
                if (q.status == 401)
                        rr = kerr_set(err, KERR_UNAUTHORIZED, EACCES,
                                      "login attempt to %s failed with status: 401 Unauthorized",
                                      q.url);
        }
        reg_req_release(&q);
        return rr;
}

int registry_manifest_get(struct registry *r, const char *repo, const char *ref,
                          struct buf *ret_body, char **ret_type,
                          char ret_digest[DIGEST_STR_LEN + 1], enum registry_code *ret_code,
                          struct kerr *err)
{
        *ret_code = REG_CODE_OTHER;
        int rr = reg_ping(r, err);
        if (rr < 0) {
                *ret_code = REG_CODE_UNREACHABLE;
                return rr;
        }
        _cleanup_free_ char *scope = scope_of(repo, "pull");
        struct reg_req q = {.method = "GET",
                            .url = xasprintf("%s/v2/%s/manifests/%s", r->base, repo, ref),
                            .scope = scope,
                            .accept = ACCEPT_MANIFESTS,
                            .body_fd = -1,
                            .resp_max = MANIFEST_SIZE_MAX};
        rr = reg_perform(r, &q, err);
        if (rr < 0) {
                if (q.too_big)
                        rr = kerr_set(err, KERR_INVALID, E2BIG,
                                      "manifest for %s:%s is larger than the %d byte limit", repo,
                                      ref, MANIFEST_SIZE_MAX);
                else if (err && err->kind == KERR_UNAVAILABLE)
                        *ret_code = REG_CODE_UNREACHABLE;
        } else if (q.status != 200) {
                rr = reg_status_error(&q, "manifest request", ret_code, err);
        } else {
                digest_buffer(q.resp.data ? q.resp.data : "", q.resp.len, ret_digest);
                if (strncmp(ref, "sha256:", 7) == 0 && strcmp(ref, ret_digest) != 0)
                        rr = kerr_set(err, KERR_INVALID, EINVAL,
                                      "manifest verification failed for digest %s", ref);
        }
        if (rr == 0) {
                *ret_type = q.ctype ? xstrndup(q.ctype, strcspn(q.ctype, ";")) : NULL;
                *ret_body = q.resp;
                q.resp = (struct buf){0};
        }
        reg_req_release(&q);
        return rr;
}

int registry_manifest_put(struct registry *r, const char *repo, const char *ref,
                          const char *media_type, const char *body, size_t len, struct kerr *err)
{
        int rr = reg_ping(r, err);
        if (rr < 0)
                return rr;
        _cleanup_free_ char *scope = scope_of(repo, "pull,push");
        struct reg_req q = {.method = "PUT",
                            .url = xasprintf("%s/v2/%s/manifests/%s", r->base, repo, ref),
                            .scope = scope,
                            .content_type = media_type,
                            .body = body,
                            .body_len = len,
                            .body_fd = -1};
        rr = reg_perform(r, &q, err);
        if (rr == 0 && q.status != 201 && q.status != 200)
                rr = reg_status_error(&q, "manifest upload", NULL, err);
        reg_req_release(&q);
        return rr;
}

struct verify_sink {
        registry_sink_fn sink;
        void *cls;
        struct digester *d;
        int64_t got, size;
};

static int verify_write(void *cls, const void *data, size_t n)
{
        struct verify_sink *v = cls;
        /* More than the manifest promised: refuse before storing it. */
        if (v->size >= 0 && v->got + (int64_t)n > v->size)
                return -EFBIG;
        v->got += (int64_t)n;
        digester_update(v->d, data, n);
        return v->sink ? v->sink(v->cls, data, n) : 0;
}

int registry_blob_get(struct registry *r, const char *repo, const char *digest, int64_t size,
                      registry_sink_fn sink, void *cls, struct kerr *err)
{
        int rr = reg_ping(r, err);
        if (rr < 0)
                return rr;
        _cleanup_free_ char *scope = scope_of(repo, "pull");
        _cleanup_(digester_freep) struct digester *d = digester_new();
        struct verify_sink v = {.sink = sink, .cls = cls, .d = d, .size = size};
        struct reg_req q = {.method = "GET",
                            .url = xasprintf("%s/v2/%s/blobs/%s", r->base, repo, digest),
                            .scope = scope,
                            .body_fd = -1,
                            .sink = verify_write,
                            .cls = &v};
        rr = reg_perform(r, &q, err);
        if (rr == -EFBIG)
                rr = kerr_set(err, KERR_INVALID, EFBIG,
                              "filesystem layer verification failed for digest %s: more data "
                              "than the %lld bytes the manifest declares",
                              digest, (long long)size);
        else if (rr < 0 && q.sink_err < 0 && err && err->kind == KERR_NONE)
                rr = kerr_set(err, KERR_INTERNAL, -q.sink_err, "cannot store blob %s", digest);
        else if (rr == 0 && (q.status < 200 || q.status >= 300))
                rr = reg_status_error(&q, "blob request", NULL, err);
        else if (rr == 0 && size >= 0 && v.got != size)
                rr = kerr_set(err, KERR_UNAVAILABLE, EIO,
                              "error pulling blob %s: unexpected EOF (%lld of %lld bytes)", digest,
                              (long long)v.got, (long long)size);
        if (rr == 0) {
                char got[DIGEST_STR_LEN + 1];
                digester_final(d, got);
                if (strcmp(got, digest) != 0)
                        rr = kerr_set(err, KERR_INVALID, EINVAL,
                                      "filesystem layer verification failed for digest %s", digest);
        }
        reg_req_release(&q);
        return rr;
}

static int buf_sink(void *cls, const void *data, size_t n)
{
        return buf_append(cls, data, n) < 0 ? -E2BIG : 0;
}

int registry_blob_fetch(struct registry *r, const char *repo, const char *digest, size_t max,
                        struct buf *ret, struct kerr *err)
{
        struct buf b;
        buf_init(&b, max);
        int rr = registry_blob_get(r, repo, digest, -1, buf_sink, &b, err);
        if (rr == -E2BIG && err && err->kind == KERR_INTERNAL)
                rr = kerr_set(err, KERR_INVALID, E2BIG, "blob %s is larger than %zu bytes", digest,
                              max);
        if (rr < 0) {
                buf_release(&b);
                return rr;
        }
        *ret = b;
        return 0;
}

int registry_blob_exists(struct registry *r, const char *repo, const char *digest, struct kerr *err)
{
        int rr = reg_ping(r, err);
        if (rr < 0)
                return rr;
        _cleanup_free_ char *scope = scope_of(repo, "pull,push");
        struct reg_req q = {.method = "HEAD",
                            .url = xasprintf("%s/v2/%s/blobs/%s", r->base, repo, digest),
                            .scope = scope,
                            .body_fd = -1};
        rr = reg_perform(r, &q, err);
        if (rr == 0)
                rr = q.status == 200   ? 1
                     : q.status == 404 ? 0
                                       : reg_status_error(&q, "blob check", NULL, err);
        reg_req_release(&q);
        return rr;
}

int registry_blob_mount(struct registry *r, const char *repo, const char *digest, const char *from,
                        struct kerr *err)
{
        int rr = reg_ping(r, err);
        if (rr < 0)
                return rr;
        _cleanup_free_ char *scope =
            xasprintf("repository:%s:pull,push repository:%s:pull", repo, from);
        struct reg_req q = {.method = "POST",
                            .url = xasprintf("%s/v2/%s/blobs/uploads/?mount=%s&from=%s", r->base,
                                             repo, digest, from),
                            .scope = scope,
                            .body_fd = -1,
                            .no_redirect = true};
        rr = reg_perform(r, &q, err);
        if (rr == 0)
                rr = q.status == 201   ? 1
                     : q.status == 202 ? 0
                                       : reg_status_error(&q, "blob mount", NULL, err);
        reg_req_release(&q);
        return rr;
}
