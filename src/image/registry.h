/* registry.h - a client of one registry (Docker Registry HTTP API v2 / OCI
 * distribution), over libcurl.
 *
 * One struct registry per host and set of credentials; it is safe to use
 * from several threads at once (each call makes its own curl handle; the
 * connection cache and the token cache are shared under locks).
 *
 * Transport: a registry with a certs.d directory (<certs_dir>/<host>/
 * ca.crt, client.cert, client.key) is spoken to over verified TLS with
 * those files. Insecure registries (loopback, or listed) try TLS without
 * verification and fall back to plain http when the peer does not speak
 * TLS; others use verified TLS with the system CAs. "docker.io" is served
 * by registry-1.docker.io.
 *
 * Auth: the first call pings /v2/; a 401 challenge (Basic, or Bearer with
 * realm/service/scope) is answered with the credentials given, a token
 * is fetched per scope and cached until it expires; without credentials
 * bearer tokens are fetched anonymously.
 *
 * Errors are KERR_* with Docker's wording: registry error bodies become
 * "manifest unknown: <message>", transport failures name the URL:
 * Get "http://127.0.0.1:5000/v2/": connection refused. Transient failures
 * (connection reset, 5xx, 429) are retried with backoff; blob downloads
 * resume with a Range request. */
#pragma once

#include "digest.h"
#include "registry-auth.h"

#include "base/buf.h"
#include "base/cleanup.h"
#include "base/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct registry_config {
        const char *const *insecure; /* "host[:port]" or CIDR; NULL-terminated, may be NULL */
        const char *certs_dir;       /* NULL: /etc/kedge/certs.d */
};

struct registry;

/* endpoint: "host[:port]" or a mirror URL "http://host:port". Borrows
 * cfg's strings for its lifetime; copies auth. */
struct registry *registry_new(const struct registry_config *cfg, const char *endpoint,
                              const struct registry_auth *auth);
struct registry *registry_free(struct registry *r);
/* "http://127.0.0.1:5000" once known (after the first call). */
const char *registry_base_url(struct registry *r);

/* The kind of a registry error code, for Docker's pull error wording. */
enum registry_code {
        REG_CODE_OTHER = 0,
        REG_CODE_MANIFEST_UNKNOWN,
        REG_CODE_NAME_UNKNOWN,
        REG_CODE_DENIED,
        REG_CODE_UNAUTHORIZED,
        REG_CODE_UNREACHABLE, /* transport failure: no HTTP answer */
};

/* Pings /v2/ and authenticates (docker login). KERR_UNAUTHORIZED with the
 * registry's message on bad credentials. ret_token gets a refresh token
 * when the token server gave one (may be NULL). */
int registry_login(struct registry *r, char **ret_token, struct kerr *err);

/* GETs a manifest by tag or digest (bounded by MANIFEST_SIZE_MAX). Fills
 * the body, its Content-Type (new string) and its sha256; a digest
 * reference is verified. *ret_code tells not-found cases apart. */
int registry_manifest_get(struct registry *r, const char *repo, const char *ref,
                          struct buf *ret_body, char **ret_type,
                          char ret_digest[DIGEST_STR_LEN + 1], enum registry_code *ret_code,
                          struct kerr *err);
int registry_manifest_put(struct registry *r, const char *repo, const char *ref,
                          const char *media_type, const char *body, size_t len, struct kerr *err);

/* Receives a blob's bytes in order; return < 0 to abort. */
typedef int (*registry_sink_fn)(void *cls, const void *data, size_t n);
/* Streams blob digest to sink, verifying size and digest as it goes; the
 * last bytes reach sink before the digest is checked, so a sink must not
 * publish anything until this returns 0. */
int registry_blob_get(struct registry *r, const char *repo, const char *digest, int64_t size,
                      registry_sink_fn sink, void *cls, struct kerr *err);
/* A small blob (config) into ret (bounded by max), verified. */
int registry_blob_fetch(struct registry *r, const char *repo, const char *digest, size_t max,
                        struct buf *ret, struct kerr *err);

/* 1 when repo has the blob, 0 when not. */
int registry_blob_exists(struct registry *r, const char *repo, const char *digest,
                         struct kerr *err);
/* Cross-repository mount: 1 mounted, 0 the registry wants an upload. */
int registry_blob_mount(struct registry *r, const char *repo, const char *digest, const char *from,
                        struct kerr *err);
/* Reports bytes sent so far. */
typedef void (*registry_progress_fn)(void *cls, int64_t done, int64_t total);
/* Uploads size bytes of fd (from offset 0) as digest: one POST, then a
 * PUT with the whole body (monolithic). */
int registry_blob_upload(struct registry *r, const char *repo, const char *digest, int fd,
                         int64_t size, registry_progress_fn progress, void *cls, struct kerr *err);

/* A chunked upload (registry-upload.c), for a blob whose digest is known
 * only at the end (compressed while it is sent): _start POSTs to open
 * the session, _write buffers and PATCHes 4 MiB chunks (Content-Range,
 * the answer's Range checked, its Location followed), _commit PATCHes the
 * rest and PUTs ?digest=. _free cancels an uncommitted session (DELETE). */
struct registry_upload;
int registry_upload_start(struct registry *r, const char *repo, struct registry_upload **ret,
                          struct kerr *err);
int registry_upload_write(struct registry_upload *u, const void *data, size_t n, struct kerr *err);
int registry_upload_commit(struct registry_upload *u, const char *digest, struct kerr *err);
/* Bytes written so far. */
int64_t registry_upload_size(const struct registry_upload *u);
struct registry_upload *registry_upload_free(struct registry_upload *u);
DEFINE_CLEANUP(struct registry_upload *, registry_upload_free)

/* The pure parts, for tests. An upload Location made absolute against
 * base ("http://h:5000"); the final PUT's URL (?digest= or &digest=); a
 * Range answer ("0-1023", or "bytes=0-1023") as the size the registry
 * holds (1024), -EINVAL when malformed. All strings returned are new. */
char *registry_upload_url(const char *base, const char *location);
char *registry_upload_digest_url(const char *url, const char *digest);
int registry_upload_range_parse(const char *range, int64_t *ret_size);

/* One-time libcurl set-up; registry_new calls it, any thread may. */
void registry_global_init(void);
