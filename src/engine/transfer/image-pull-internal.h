/* image-pull-internal.h - what image-pull.c, image-pull-commit.c and
 * image-push.c share. */
#pragma once

#include "engine/image/image-internal.h"
#include "transfer.h"

#include "image/manifest.h"
#include "image/reference.h"
#include "image/registry.h"

#include <pthread.h>
#include <stdbool.h>

struct pull_job {
        const struct manifest_desc *desc; /* the layer blob */
        size_t index;
        char diff_id[DIGEST_STR_LEN + 1], chain[DIGEST_STR_LEN + 1];
        char short_id[16];
        bool present;               /* layer already on disk: not fetched */
        char dir[24], blob_tmp[24]; /* in the scratch dir */
        int64_t size;               /* unpacked bytes */
};

struct image_pull {
        struct engine *e;
        struct image_ref ref;
        char *ref_str, *name, *tag_id;
        struct platform platform;
        struct registry *reg;
        char digest[DIGEST_STR_LEN + 1]; /* of the manifest (or index) asked for */
        struct manifest manifest;
        char *config_raw;
        size_t config_len;
        json_t *config;
        struct pull_job *jobs;
        size_t njobs, next;
        int dirfd;
        pthread_mutex_t lock; /* next, failed, first_err, progress calls */
        bool failed;
        struct kerr first_err;
        image_progress_fn fn;
        void *cls;
};

/* Moves the downloaded layers into place and records the image; sets
 * *ret_updated when the reference now points at another image. */
int image_pull_commit(struct image_pull *p, bool *ret_updated, struct kerr *err);

/* A client for endpoint with the engine's registry settings. */
struct registry *image_registry_open(struct engine *e, const char *endpoint,
                                     const struct registry_auth *auth);
