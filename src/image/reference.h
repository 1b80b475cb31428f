/* reference.h - image references parsed and normalised as Docker does
 * (distribution/reference): "busybox" is docker.io/library/busybox, and
 * "localhost:5000/x:1" keeps its registry. Shared by load/tag/rmi and the
 * registry client.
 *
 *   struct image_ref r;
 *   if (image_ref_parse("busybox", IMAGE_REF_DEFAULT_TAG, &r, err) < 0) ...
 *   image_ref_string(&r)   -> "docker.io/library/busybox:latest"
 *   image_ref_familiar(&r) -> "busybox:latest"
 *   image_ref_release(&r);
 */
#pragma once

#include "base/err.h"

#include <stdbool.h>

#define IMAGE_REF_NAME_MAX       255
#define IMAGE_REF_DEFAULT_DOMAIN "docker.io"

struct image_ref {
        char *domain; /* "docker.io", "localhost:5000", ... */
        char *path;   /* "library/busybox" */
        char *tag;    /* "latest", or NULL */
        char *digest; /* "sha256:...", or NULL */
};

enum image_ref_flags {
        IMAGE_REF_DEFAULT_TAG = 1 << 0, /* no tag and no digest: tag "latest" */
        IMAGE_REF_NAME_ONLY = 1 << 1,   /* refuse a tag or digest (repo of docker tag) */
};

/* Parses and normalises s. On failure returns -EINVAL with err (KERR_INVALID)
 * worded as Docker's ("invalid reference format: ..."); ret is untouched. */
int image_ref_parse(const char *s, enum image_ref_flags flags, struct image_ref *ret,
                    struct kerr *err);
void image_ref_release(struct image_ref *r);

/* New strings, owned by the caller. */
char *image_ref_name(const struct image_ref *r);     /* docker.io/library/busybox */
char *image_ref_string(const struct image_ref *r);   /* name[:tag][@digest] */
char *image_ref_familiar(const struct image_ref *r); /* busybox:latest */
/* familiar form of a fully qualified reference string; a copy of s when it
 * does not parse. */
char *image_ref_familiar_of(const char *s);

/* Whether s is a syntactically valid tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}). */
bool image_ref_tag_valid(const char *s);
