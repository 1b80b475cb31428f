/* image-save.c - docker save: a tar in the layout Docker >= 25 writes
 * (OCI image layout: blobs/sha256/..., index.json, oci-layout, plus the
 * docker-archive manifest.json and repositories), produced incrementally:
 * one tar header or one block of a blob file at a time, so memory stays
 * bounded whatever the images' size. */
#include "image-internal.h"

#include "base/json.h"
#include "base/xalloc.h"
#include "image/reference.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TAR_BLOCK 512

struct save_item {
        char name[96];
        int fd;     /* blob file, or -1 for data */
        char *data; /* generated JSON */
        uint64_t size;
};

struct image_save {
        struct save_item *items;
        size_t n, cur;
        int phase; /* 0 header, 1 data, 2 padding; 3 end blocks */
        uint64_t off;
        json_t *manifest, *index, *repos, *seen;
};

static void add_item(struct image_save *s, const char *name, int fd, char *data, uint64_t size)
{
        s->items = xrealloc(s->items, (s->n + 1) * sizeof(*s->items));
        struct save_item *it = &s->items[s->n++];
        snprintf(it->name, sizeof(it->name), "%s", name);
        it->fd = fd;
        it->data = data;
        it->size = size;
}

static int add_blob(struct image_save *s, struct engine *e, const char *digest, struct kerr *err)
{
        char name[96];
        snprintf(name, sizeof(name), "blobs/sha256/%s", digest + 7);
        if (json_object_get(s->seen, name))
                return 0;
        int fd = openat(e->store->root_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0)
                return kerr_set(err, KERR_INTERNAL, errno, "blob %s is missing from the store",
                                digest);
        json_object_set_new(s->seen, name, json_true());
        add_item(s, name, fd, NULL, (uint64_t)st.st_size);
        return 0;
}

static void add_json(struct image_save *s, const char *name, json_t *v)
{
        char *data = json_to_string(v);
        add_item(s, name, -1, data, strlen(data));
}

static const char *layer_media_type(struct engine *e, const char *blob)
{
        char path[96];
        unsigned char m[4] = {0};
        snprintf(path, sizeof(path), "blobs/sha256/%s", blob + 7);
        _cleanup_close_ int fd = openat(e->store->root_fd, path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0 && read(fd, m, sizeof(m)) == (ssize_t)sizeof(m)) {
                if (m[0] == 0x1f && m[1] == 0x8b)
                        return "application/vnd.oci.image.layer.v1.tar+gzip";
                if (m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
                        return "application/vnd.oci.image.layer.v1.tar+zstd";
        }
        return "application/vnd.oci.image.layer.v1.tar";
}

/* Layers as OCI descriptors; paths appended to paths; ret_top gets the
 * top layer's blob digest ("" without layers). */
static int add_layers(struct image_save *s, struct engine *e, const char *id, json_t *descs,
                      json_t *paths, char ret_top[DIGEST_STR_LEN + 1], struct kerr *err)
{
        ret_top[0] = 0;
        _cleanup_stmt_ sqlite3_stmt *st = image_sql(
            e,
            "SELECT l.blob, l.blob_size FROM image_layers il JOIN layers l USING (chain_id) "
            "WHERE il.image_id = ? ORDER BY il.idx",
            err);
        if (!st)
                return -EIO;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW) {
                const char *blob = (const char *)sqlite3_column_text(st, 0);
                int r = add_blob(s, e, blob, err);
                if (r < 0)
                        return r;
                json_array_append_new(descs, json_pack("{ss ss sI}", "mediaType",
                                                       layer_media_type(e, blob), "digest", blob,
                                                       "size", sqlite3_column_int64(st, 1)));
                json_array_append_new(paths, json_sprintf("blobs/sha256/%s", blob + 7));
                snprintf(ret_top, DIGEST_STR_LEN + 1, "%s", blob);
        }
        return 0;
}

static int add_image(struct image_save *s, struct engine *e, const char *name, struct kerr *err)
{
        char id[72];
        int r = image_resolve(e, name, id, err);
        if (r < 0)
                return r;
        struct image_ref ref;
        _cleanup_free_ char *full = NULL, *fam = NULL;
        /* By name: that tag travels with the image; by ID: no tag. */
        if (strncmp(name, "sha256:", 7) != 0 &&
            image_ref_parse(name, IMAGE_REF_DEFAULT_TAG, &ref, NULL) == 0) {
                _cleanup_json_ json_t *refs = image_refs_of(e, id);
                full = image_ref_string(&ref);
                fam = image_ref_familiar(&ref);
                image_ref_release(&ref);
                size_t i;
                json_t *x;
                bool tagged = false;
                json_array_foreach(refs, i, x) tagged |= strcmp(json_string_value(x), full) == 0;
                if (!tagged || strchr(full, '@')) {
                        free(full);
                        free(fam);
                        full = fam = NULL;
                }
        }
        r = add_blob(s, e, id, err);
        json_t *descs = json_array(), *paths = json_array();
        char top[DIGEST_STR_LEN + 1] = "";
        if (r == 0)
                r = add_layers(s, e, id, descs, paths, top, err);
        char cpath[96];
        snprintf(cpath, sizeof(cpath), "blobs/sha256/%s", id + 7);
        struct stat st;
        fstatat(e->store->root_fd, cpath, &st, 0);
        json_t *m = json_pack("{si ss s{ss ss sI} so}", "schemaVersion", 2, "mediaType",
                              "application/vnd.oci.image.manifest.v1+json", "config", "mediaType",
                              "application/vnd.oci.image.config.v1+json", "digest", id, "size",
                              (json_int_t)st.st_size, "layers", descs);
        _cleanup_free_ char *mdata = json_to_string(m);
        json_decref(m);
        char mdigest[DIGEST_STR_LEN + 1], mname[96];
        digest_buffer(mdata, strlen(mdata), mdigest);
        snprintf(mname, sizeof(mname), "blobs/sha256/%s", mdigest + 7);
        if (!json_object_get(s->seen, mname)) {
                json_object_set_new(s->seen, mname, json_true());
                add_item(s, mname, -1, xstrdup(mdata), strlen(mdata));
        }
        json_t *desc =
            json_pack("{ss ss sI}", "mediaType", "application/vnd.oci.image.manifest.v1+json",
                      "digest", mdigest, "size", (json_int_t)strlen(mdata));
        if (full) {
                const char *tag = strrchr(full, ':');
                /* Docker's legacy "repositories" file maps name -> tag -> the
                 * hex of the image's top layer (tarexport/save.go). */
                json_set(desc, "annotations",
                         json_pack("{ss ss}", "io.containerd.image.name", full,
                                   "org.opencontainers.image.ref.name", tag + 1));
                json_t *repo = json_object_get(s->repos, fam);
                _cleanup_free_ char *rname = xstrndup(fam, strlen(fam) - strlen(tag + 1) - 1);
                if (!json_object_get(s->repos, rname))
                        json_object_set_new(s->repos, rname, json_object());
                repo = json_object_get(s->repos, rname);
                if (top[0])
                        json_set_str(repo, tag + 1, top + 7);
        }
        json_array_append_new(json_object_get(s->index, "manifests"), desc);
        json_array_append_new(
            s->manifest, json_pack("{ss s[] so}", "Config", cpath, "RepoTags", "Layers", paths));
        if (fam)
                json_array_append_new(
                    json_object_get(json_array_get(s->manifest, json_array_size(s->manifest) - 1),
                                    "RepoTags"),
                    json_string(fam));
        return r;
}

struct image_save *image_save_open(struct engine *e, const char *const *names, size_t n,
                                   struct kerr *err)
{
        struct image_save *s = xnew0(struct image_save);
        s->manifest = json_array();
        s->index = json_pack("{si ss s[]}", "schemaVersion", 2, "mediaType",
                             "application/vnd.oci.image.index.v1+json", "manifests");
        s->repos = json_object();
        s->seen = json_object();
        for (size_t i = 0; i < n; i++)
                if (add_image(s, e, names[i], err) < 0)
                        return image_save_free(s);
        add_json(s, "index.json", s->index);
        add_json(s, "manifest.json", s->manifest);
        _cleanup_json_ json_t *layout = json_pack("{ss}", "imageLayoutVersion", "1.0.0");
        add_json(s, "oci-layout", layout);
        if (json_object_size(s->repos) > 0) /* as Docker: only when something is tagged */
                add_json(s, "repositories", s->repos);
        return s;
}

struct image_save *image_save_free(struct image_save *s)
{
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n; i++) {
                if (s->items[i].fd >= 0)
                        close(s->items[i].fd);
                free(s->items[i].data);
        }
        free(s->items);
        json_decref(s->manifest);
        json_decref(s->index);
        json_decref(s->repos);
        json_decref(s->seen);
        free(s);
        return NULL;
}

static void tar_header(const struct save_item *it, char h[TAR_BLOCK])
{
        memset(h, 0, TAR_BLOCK);
        snprintf(h, 100, "%s", it->name);
        snprintf(h + 100, 8, "%07o", 0644);
        snprintf(h + 108, 8, "%07o", 0);
        snprintf(h + 116, 8, "%07o", 0);
        snprintf(h + 124, 12, "%011llo", (unsigned long long)it->size);
        snprintf(h + 136, 12, "%011o", 0);
        h[156] = '0';
        memcpy(h + 257, "ustar", 6);
        memcpy(h + 263, "00", 2);
        memset(h + 148, ' ', 8);
        unsigned sum = 0;
        for (int i = 0; i < TAR_BLOCK; i++)
                sum += (unsigned char)h[i];
        snprintf(h + 148, 8, "%06o", sum);
}

/* One step of the tar state machine: header, data, padding, next item. */
ssize_t image_save_read(struct image_save *s, char *buf, size_t max)
{
        if (max < TAR_BLOCK)
                return -EINVAL;
        if (s->cur == s->n) {
                if (s->phase >= 2 * TAR_BLOCK)
                        return 0;
                size_t n = (size_t)(2 * TAR_BLOCK - s->phase) < max
                               ? (size_t)(2 * TAR_BLOCK - s->phase)
                               : max;
                memset(buf, 0, n);
                s->phase += (int)n;
                return (ssize_t)n;
        }
        struct save_item *it = &s->items[s->cur];
        if (s->phase == 0) {
                tar_header(it, buf);
                s->phase = 1;
                s->off = 0;
                return TAR_BLOCK;
        }
        if (s->phase == 1 && s->off < it->size) {
                size_t want = it->size - s->off < max ? (size_t)(it->size - s->off) : max;
                ssize_t n = want;
                if (it->fd >= 0)
                        n = pread(it->fd, buf, want, (off_t)s->off);
                else
                        memcpy(buf, it->data + s->off, want);
                if (n <= 0)
                        return n < 0 ? -errno : -EIO;
                s->off += (uint64_t)n;
                return n;
        }
        size_t pad = (TAR_BLOCK - it->size % TAR_BLOCK) % TAR_BLOCK;
        memset(buf, 0, pad);
        s->cur++;
        s->phase = 0;
        return pad ? (ssize_t)pad : image_save_read(s, buf, max);
}
