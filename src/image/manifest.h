/* manifest.h - image manifests and indexes as registries serve them:
 * Docker schema2 manifests and manifest lists, OCI manifests and indexes.
 * Schema1 is refused. Platform selection follows Docker: os and
 * architecture must match, a requested variant must match, and without
 * one the host's variant (arm) is preferred. */
#pragma once

#include "digest.h"

#include "base/err.h"

#include <stddef.h>
#include <stdint.h>

#define MT_DOCKER_MANIFEST   "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST       "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_CONFIG     "application/vnd.docker.container.image.v1+json"
#define MT_DOCKER_LAYER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define MT_DOCKER_LAYER_TAR  "application/vnd.docker.image.rootfs.diff.tar"
#define MT_OCI_MANIFEST      "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX         "application/vnd.oci.image.index.v1+json"
#define MT_SCHEMA1           "application/vnd.docker.distribution.manifest.v1+json"
#define MT_SCHEMA1_SIGNED    "application/vnd.docker.distribution.manifest.v1+prettyjws"

/* Manifests and configs are small; more is an attack (a "manifest bomb"). */
#define MANIFEST_SIZE_MAX   (4 * 1024 * 1024)
#define MANIFEST_LAYERS_MAX 1000

struct platform {
        char os[32], arch[32], variant[16];
};

struct manifest_desc {
        char digest[DIGEST_STR_LEN + 1];
        int64_t size;
        char media_type[96];
        struct platform platform; /* index entries only */
};

enum manifest_kind {
        MANIFEST_IMAGE,
        MANIFEST_INDEX,
};

struct manifest {
        enum manifest_kind kind;
        struct manifest_desc config; /* MANIFEST_IMAGE */
        struct manifest_desc *descs; /* layers, or the index's manifests */
        size_t ndescs;
};

/* media_type: the Content-Type the registry sent (may be NULL or generic;
 * then the body's mediaType / shape decides). */
int manifest_parse(const char *media_type, const char *body, size_t len, struct manifest *ret,
                   struct kerr *err);
void manifest_release(struct manifest *m);

/* "linux/arm64/v8", "linux/amd64", "arm64". NULL or "" gives the host. */
int platform_parse(const char *s, struct platform *ret, struct kerr *err);
void platform_host(struct platform *ret);
/* "linux/arm64/v8" into buf. */
const char *platform_string(const struct platform *p, char *buf, size_t size);

/* The index entry for want; KERR_NOT_FOUND worded as Docker's
 * ("no matching manifest for linux/amd64 in the manifest list entries"). */
const struct manifest_desc *manifest_select(const struct manifest *index,
                                            const struct platform *want, struct kerr *err);
