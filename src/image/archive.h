/* archive.h - image archives as `docker save` writes them (manifest.json,
 * both the legacy <id>/layer.tar layout and the OCI blobs/ layout of
 * Docker >= 25) and plain OCI image layouts (index.json).
 *
 * image_archive_read() streams the outer tar once, writing every regular
 * file into a scratch directory while hashing it; image_archive_plan()
 * then reads the small JSON files and checks every digest the archive
 * claims, so a lying archive fails before anything reaches the store. */
#pragma once

#include "digest.h"

#include "base/err.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct image_archive_file {
        char *name;   /* normalised path inside the archive */
        char *link;   /* symlink target (legacy layer.tar links), or NULL */
        char tmp[32]; /* name of the copy in the scratch directory */
        char digest[DIGEST_STR_LEN + 1];
        int64_t size;
        /* Set by a hook that unpacked the file as it streamed by: the tree
         * (a name in the scratch directory), its diff ID and content size. */
        char unpacked[32];
        char unpacked_diff_id[DIGEST_STR_LEN + 1];
        int64_t unpacked_size;
};

/* Hands out a file's next bytes: *ret_buf points at them (valid until the
 * next call); returns their count, 0 at the end, < 0 on an error. */
typedef ssize_t (*image_archive_read_fn)(void *src, const void **ret_buf);

/* Sees each regular file (f->name set; size is the tar header's) before
 * it is copied, and may read it, to its end or not, through fn(src):
 * every byte still reaches the scratch copy and f->digest. */
typedef void (*image_archive_hook)(void *cls, struct image_archive_file *f, int64_t size,
                                   image_archive_read_fn fn, void *src);

struct image_archive {
        int dirfd; /* scratch directory (borrowed) */
        struct image_archive_file *files;
        size_t nfiles;
        image_archive_hook hook;
        void *hook_cls;
};

/* Reads the (possibly compressed) tar from srcfd into dirfd; hook may be
 * NULL. */
int image_archive_read(int srcfd, int dirfd, image_archive_hook hook, void *cls,
                       struct image_archive *ret, struct kerr *err);
void image_archive_release(struct image_archive *a);

/* The file called name, following archive symlinks; NULL when absent. */
const struct image_archive_file *image_archive_find(const struct image_archive *a,
                                                    const char *name);

struct image_plan_layer {
        const struct image_archive_file *blob; /* borrowed from the archive */
        char diff_id[DIGEST_STR_LEN + 1];      /* what the config promises */
};

struct image_plan {
        char *config; /* the config bytes, NUL-terminated */
        size_t config_len;
        char id[DIGEST_STR_LEN + 1]; /* sha256 of the config */
        char **tags;                 /* normalised references */
        size_t ntags;
        struct image_plan_layer *layers;
        size_t nlayers;
};

/* Every image the archive holds, checked against its digests. */
int image_archive_plan(const struct image_archive *a, struct image_plan **ret, size_t *ret_n,
                       struct kerr *err);
void image_plans_free(struct image_plan *p, size_t n);
