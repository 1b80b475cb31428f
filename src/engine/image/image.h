/* image.h - the image store as the engine sees it: load, import, save,
 * list, inspect, history, tag, remove, prune. No HTTP here; results are
 * Docker's JSON model (the API renders them, adding version-specific keys).
 *
 * Names are looked up as Docker does: full ID, "sha256:" ID, unique ID
 * prefix, name:tag (normalised: busybox = docker.io/library/busybox:latest)
 * and name@digest. Not found is KERR_NOT_FOUND "No such image: <name>". */
#pragma once

#include "base/err.h"
#include "base/filters.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct engine;

/* Resolves name to an image ID ("sha256:<hex>", 72 bytes). */
int image_resolve(struct engine *e, const char *name, char ret_id[72], struct kerr *err);

/* Loads a docker-archive or OCI-layout tar read from fd. Returns the
 * progress lines ("Loaded image: busybox:latest") as a JSON array of
 * strings. Nothing of a failed load remains on disk or in the database.
 * A regular file fd is truncated once read (its pages need no writeback). */
int image_load(struct engine *e, int fd, json_t **ret_lines, struct kerr *err);

struct image_import_opts {
        const char *repo, *tag, *message; /* each may be NULL */
        const char *const *changes;       /* Dockerfile instructions, NULL-terminated */
};
/* Imports a root file system tar (any compression) read from fd. */
int image_import(struct engine *e, int fd, const struct image_import_opts *o, char ret_id[72],
                 struct kerr *err);

/* Docker's image summaries, newest first. filters is the query's JSON in
 * either shape (keys dangling, label, before, since, until, reference, with
 * moby's meanings); a bad key or value is KERR_INVALID, an image named by
 * before/since that does not exist KERR_NOT_FOUND. */
json_t *image_list(struct engine *e, const char *filters, bool shared_size, struct kerr *err);
json_t *image_inspect(struct engine *e, const char *name, struct kerr *err);
json_t *image_history(struct engine *e, const char *name, struct kerr *err);
int image_tag(struct engine *e, const char *name, const char *repo, const char *tag,
              struct kerr *err);
/* [{"Untagged": ...}, {"Deleted": ...}] */
json_t *image_remove(struct engine *e, const char *name, bool force, bool noprune,
                     struct kerr *err);
/* {"ImagesDeleted": [...], "SpaceReclaimed": n}. filters: the query's JSON
 * (keys dangling, label, label!, until, as moby's image prune). */
json_t *image_prune(struct engine *e, const char *filters, struct kerr *err);

/* docker save: a tar of the named images, produced incrementally. */
struct image_save;
struct image_save *image_save_open(struct engine *e, const char *const *names, size_t n,
                                   struct kerr *err);
/* Fills up to max bytes; returns the count, 0 at the end, -errno on error. */
ssize_t image_save_read(struct image_save *s, char *buf, size_t max);
struct image_save *image_save_free(struct image_save *s);

/* At start: removes layers and blobs that no image references and layer
 * directories that never got their completion mark (a crash mid-load). */
int image_sweep(struct engine *e, struct kerr *err);

/* Whether a container uses image id: IMAGE_UNUSED, or the kind of user
 * with ret_cid set to its ID (a running one is reported first). */
enum image_use {
        IMAGE_UNUSED = 0,
        IMAGE_USED_STOPPED = 1, /* created, exited, dead: rmi needs force */
        IMAGE_USED_RUNNING = 2, /* running, paused, restarting: even force is refused */
};
int image_user(struct engine *e, const char *id, char ret_cid[72]);

/* What a container needs of its image, from one query: the ID, the image
 * config's "config" object (may be {}) and the absolute layer directories,
 * topmost first and ':'-joined ("" for an image without layers). */
struct image_rootfs {
        char *id; /* sha256:... */
        json_t *config;
        char *lowerdirs;
};
int image_rootfs_get(struct engine *e, const char *ref, struct image_rootfs *ret, struct kerr *err);
void image_rootfs_release(struct image_rootfs *r);
