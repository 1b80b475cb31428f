/* image-push.c - docker push: for each tag, the layers go up first (a HEAD
 * skips those the repository has, a cross-repository mount reuses those
 * another repository of the same registry has), then the config, then a
 * Docker schema2 manifest; its digest becomes a RepoDigest.
 *
 * Layers kept as they came from a registry go up as stored. Layers that
 * docker load or import stored as plain tar go up gzip-compressed, as
 * dockerd does: compressed while sent in a chunked upload (no compressed
 * copy on disk), the gzip digest computed on the way and recorded in
 * pushed_layers per registry and repository, so the next push of the
 * layer finds it with a HEAD and names the same blob in its manifest. */
#include "image-pull-internal.h"

#include "base/fs.h"
#include "base/json.h"
#include "base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define GZIP_READ_SIZE        (1024 * 1024)
#define PUSHED_CANDIDATES_MAX 16

struct push_layer {
        char blob[DIGEST_STR_LEN + 1], diff_id[DIGEST_STR_LEN + 1];
        char short_id[16];
        int64_t size;  /* of blob */
        bool compress; /* blob is a plain tar: it goes up as gzip */
        /* what the manifest names: blob itself, or its gzip once known */
        char digest[DIGEST_STR_LEN + 1];
        int64_t push_size;
        const char *media_type;
};

struct push_tag {
        char *ref; /* full reference */
        char *tag;
        char id[72];
};

struct image_push {
        struct engine *e;
        struct image_ref ref;
        char *name; /* "127.0.0.1:5000/test/busybox" */
        struct push_tag *tags;
        size_t ntags;
        struct registry *reg;
        image_progress_fn fn;
        void *cls;
        pthread_mutex_t lock;
        /* the tag being pushed */
        struct push_layer *layers;
        size_t nlayers, next;
        bool failed;
        struct kerr first_err;
};

struct image_push *image_push_free(struct image_push *p)
{
        if (!p)
                return NULL;
        for (size_t i = 0; i < p->ntags; i++) {
                free(p->tags[i].ref);
                free(p->tags[i].tag);
        }
        free(p->tags);
        free(p->layers);
        registry_free(p->reg);
        image_ref_release(&p->ref);
        free(p->name);
        pthread_mutex_destroy(&p->lock);
        free(p);
        return NULL;
}

static void add_tag(struct image_push *p, const char *ref, const char *tag, const char *id)
{
        p->tags = xrealloc(p->tags, (p->ntags + 1) * sizeof(*p->tags));
        struct push_tag *t = &p->tags[p->ntags++];
        *t = (struct push_tag){.ref = xstrdup(ref), .tag = xstrdup(tag)};
        snprintf(t->id, sizeof(t->id), "%s", id);
}

/* Every "name:tag" ref of the repository. */
static int all_tags(struct image_push *p, struct kerr *err)
{
        _cleanup_stmt_ sqlite3_stmt *st = image_sql(
            p->e, "SELECT ref, image_id FROM image_refs WHERE substr(ref, 1, ?1) = ?2 ORDER BY ref",
            err);
        if (!st)
                return -EIO;
        _cleanup_free_ char *prefix = xasprintf("%s:", p->name);
        sqlite3_bind_int(st, 1, (int)strlen(prefix));
        sqlite3_bind_text(st, 2, prefix, -1, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW) {
                const char *ref = (const char *)sqlite3_column_text(st, 0);
                if (!strchr(ref + strlen(prefix), '@') && !strchr(ref + strlen(prefix), '/'))
                        add_tag(p, ref, ref + strlen(prefix),
                                (const char *)sqlite3_column_text(st, 1));
        }
        return 0;
}

struct image_push *image_push_prepare(struct engine *e, const struct image_push_opts *o,
                                      struct kerr *err)
{
        struct image_push *p = xnew0(struct image_push);
        p->e = e;
        pthread_mutex_init(&p->lock, NULL);
        if (image_ref_parse(o->name, 0, &p->ref, err) < 0) {
                free(p);
                return NULL;
        }
        p->name = image_ref_name(&p->ref);
        const char *tag = o->tag && o->tag[0] ? o->tag : p->ref.tag;
        int r = 0;
        if (tag) {
                _cleanup_free_ char *full = xasprintf("%s:%s", p->name, tag);
                char id[72];
                struct kerr ignore = {0};
                if (image_resolve(e, full, id, &ignore) == 0)
                        add_tag(p, full, tag, id);
        } else {
                r = all_tags(p, err);
        }
        if (r == 0 && p->ntags == 0) {
                _cleanup_free_ char *fam = image_ref_familiar_of(p->name);
                r = kerr_set(err, KERR_NOT_FOUND, ENOENT,
                             "An image does not exist locally with the tag: %s", fam);
        }
        if (r < 0)
                return image_push_free(p);
        p->reg = image_registry_open(e, p->ref.domain, o->auth);
        return p;
}

static void emit(struct image_push *p, json_t *msg)
{
        pthread_mutex_lock(&p->lock);
        p->fn(p->cls, msg);
        pthread_mutex_unlock(&p->lock);
}

static void emit_status(struct image_push *p, const char *status, const char *id)
{
        emit(p, image_progress_msg(status, id, -1, -1));
}

/* The blob's media type from its first bytes (what load kept is a tar). */
static const char *blob_media_type(struct engine *e, const char *digest)
{
        char path[128];
        snprintf(path, sizeof(path), "blobs/sha256/%s", digest + 7);
        _cleanup_close_ int fd = openat(e->store->root_fd, path, O_RDONLY | O_CLOEXEC);
        unsigned char m[4] = {0};
        if (fd < 0 || read(fd, m, sizeof(m)) != sizeof(m))
                return MT_DOCKER_LAYER_TAR;
        if (m[0] == 0x1f && m[1] == 0x8b)
                return MT_DOCKER_LAYER_GZIP;
        if (m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
                return "application/vnd.oci.image.layer.v1.tar+zstd";
        return MT_DOCKER_LAYER_TAR;
}

static int load_layers(struct image_push *p, const char *id, struct kerr *err)
{
        _cleanup_stmt_ sqlite3_stmt *st =
            image_sql(p->e,
                      "SELECT l.blob, l.diff_id, l.blob_size FROM image_layers il JOIN layers l "
                      "USING (chain_id) WHERE il.image_id = ? ORDER BY il.idx",
                      err);
        if (!st)
                return -EIO;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        free(p->layers);
        p->layers = NULL;
        p->nlayers = p->next = 0;
        while (sqlite3_step(st) == SQLITE_ROW) {
                p->layers = xrealloc(p->layers, (p->nlayers + 1) * sizeof(*p->layers));
                struct push_layer *l = &p->layers[p->nlayers++];
                *l = (struct push_layer){.size = sqlite3_column_int64(st, 2)};
                snprintf(l->blob, sizeof(l->blob), "%s", (const char *)sqlite3_column_text(st, 0));
                snprintf(l->diff_id, sizeof(l->diff_id), "%s",
                         (const char *)sqlite3_column_text(st, 1));
                snprintf(l->short_id, sizeof(l->short_id), "%.12s", l->diff_id + 7);
                l->media_type = blob_media_type(p->e, l->blob);
                l->compress = strcmp(l->media_type, MT_DOCKER_LAYER_TAR) == 0;
                memcpy(l->digest, l->blob, sizeof(l->digest));
                l->push_size = l->size;
        }
        return 0;
}

/* Other repositories of the same registry that an image holding blob
 * was pulled from or pushed to (their refs name them). */
static json_t *mount_sources(struct image_push *p, const char *blob)
{
        json_t *out = json_array();
        _cleanup_stmt_ sqlite3_stmt *st =
            image_sql(p->e,
                      "SELECT DISTINCT r.ref FROM layers l JOIN image_layers il USING (chain_id) "
                      "JOIN image_refs r ON r.image_id = il.image_id WHERE l.blob = ? LIMIT 16",
                      NULL);
        if (!st)
                return out;
        sqlite3_bind_text(st, 1, blob, -1, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW) {
                struct image_ref r;
                if (image_ref_parse((const char *)sqlite3_column_text(st, 0), 0, &r, NULL) < 0)
                        continue;
                bool seen = false;
                for (size_t i = 0; i < json_array_size(out); i++)
                        seen |= strcmp(json_string_value(json_array_get(out, i)), r.path) == 0;
                if (!seen && strcmp(r.domain, p->ref.domain) == 0 &&
                    strcmp(r.path, p->ref.path) != 0)
                        json_array_append_new(out, json_string(r.path));
                image_ref_release(&r);
        }
        return out;
}

struct upload_io {
        struct image_push *p;
        struct push_layer *l;
        struct timespec last;
};

static void upload_progress(void *cls, int64_t done, int64_t total)
{
        struct upload_io *io = cls;
        if (image_progress_due(&io->last, done, total))
                emit(io->p, image_progress_msg("Pushing", io->l->short_id, done, total));
}

static int upload_file(struct image_push *p, struct push_layer *l, const char *digest, int64_t size,
                       struct kerr *err)
{
        char path[128];
        snprintf(path, sizeof(path), "blobs/sha256/%s", digest + 7);
        _cleanup_close_ int fd = openat(p->e->store->root_fd, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return kerr_set(err, KERR_INTERNAL, errno, "blob %s is missing from the store",
                                digest);
        struct upload_io io = {.p = p, .l = l};
        clock_gettime(CLOCK_MONOTONIC, &io.last);
        return registry_blob_upload(p->reg, p->ref.path, digest, fd, size,
                                    l ? upload_progress : NULL, &io, err);
}

/* --- layers stored as plain tar: pushed as gzip --- */

/* Records that l's gzip blob is in the repository being pushed to. */
static int pushed_record(struct image_push *p, const struct push_layer *l, struct kerr *err)
{
        pthread_mutex_lock(&p->e->image_lock);
        _cleanup_stmt_ sqlite3_stmt *st =
            image_sql(p->e,
                      "INSERT OR REPLACE INTO pushed_layers (diff_id, registry, repo, digest,"
                      " size, media_type) VALUES (?, ?, ?, ?, ?, ?)",
                      err);
        int r = st ? 0 : -EIO;
        if (st) {
                sqlite3_bind_text(st, 1, l->diff_id, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 2, p->ref.domain, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 3, p->ref.path, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 4, l->digest, -1, SQLITE_STATIC);
                sqlite3_bind_int64(st, 5, l->push_size);
                sqlite3_bind_text(st, 6, l->media_type, -1, SQLITE_STATIC);
                if (sqlite3_step(st) != SQLITE_DONE)
                        r = store_sql_error(p->e->store, err, "record pushed layer");
        }
        pthread_mutex_unlock(&p->e->image_lock);
        return r;
}

struct pushed_candidate {
        char repo[256], digest[DIGEST_STR_LEN + 1];
        int64_t size;
};

/* What earlier pushes of l's diff ID to this registry left, this
 * repository first. */
static size_t pushed_candidates(struct image_push *p, const struct push_layer *l,
                                struct pushed_candidate *out, size_t max)
{
        _cleanup_stmt_ sqlite3_stmt *st = image_sql(
            p->e,
            "SELECT repo, digest, size FROM pushed_layers WHERE diff_id = ?1 AND registry = ?2"
            " AND media_type = ?3 ORDER BY repo = ?4 DESC, repo LIMIT ?5",
            NULL);
        if (!st)
                return 0;
        sqlite3_bind_text(st, 1, l->diff_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, p->ref.domain, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, MT_DOCKER_LAYER_GZIP, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, p->ref.path, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 5, (int)max);
        size_t n = 0;
        while (n < max && sqlite3_step(st) == SQLITE_ROW) {
                const char *repo = (const char *)sqlite3_column_text(st, 0);
                const char *digest = (const char *)sqlite3_column_text(st, 1);
                if (strlen(repo) >= sizeof(out[n].repo) || !digest_valid(digest))
                        continue;
                snprintf(out[n].repo, sizeof(out[n].repo), "%s", repo);
                memcpy(out[n].digest, digest, sizeof(out[n].digest));
                out[n].size = sqlite3_column_int64(st, 2);
                n++;
        }
        return n;
}

/* 1 when a recorded gzip blob is already in the repository or could be
 * mounted into it (l then names it), 0 when it must be uploaded. */
static int push_known(struct image_push *p, struct push_layer *l, struct kerr *err)
{
        struct pushed_candidate c[PUSHED_CANDIDATES_MAX];
        size_t n = pushed_candidates(p, l, c, PUSHED_CANDIDATES_MAX);
        for (size_t i = 0; i < n; i++) {
                bool seen = false;
                for (size_t j = 0; j < i; j++)
                        seen |= strcmp(c[j].digest, c[i].digest) == 0;
                int r = seen ? 0 : registry_blob_exists(p->reg, p->ref.path, c[i].digest, err);
                if (r < 0)
                        return r;
                if (r == 1) {
                        memcpy(l->digest, c[i].digest, sizeof(l->digest));
                        l->push_size = c[i].size;
                        emit_status(p, "Layer already exists", l->short_id);
                        if (strcmp(c[i].repo, p->ref.path) == 0)
                                return 1;
                        r = pushed_record(p, l, err);
                        return r < 0 ? r : 1;
                }
        }
        for (size_t i = 0; i < n; i++) {
                struct kerr ignore = {0};
                if (strcmp(c[i].repo, p->ref.path) == 0 ||
                    registry_blob_mount(p->reg, p->ref.path, c[i].digest, c[i].repo, &ignore) != 1)
                        continue;
                memcpy(l->digest, c[i].digest, sizeof(l->digest));
                l->push_size = c[i].size;
                _cleanup_free_ char *m = xasprintf("Mounted from %s", c[i].repo);
                emit_status(p, m, l->short_id);
                int r = pushed_record(p, l, err);
                return r < 0 ? r : 1;
        }
        return 0;
}

struct gzip_upload {
        z_stream z;
        bool z_ready;
        struct registry_upload *u;
        struct digester *gz;  /* of what is sent */
        struct digester *tar; /* of what is read: checks the stored blob */
        unsigned char *in, *out;
};

static void gzip_upload_release(struct gzip_upload *g)
{
        if (g->z_ready)
                deflateEnd(&g->z);
        registry_upload_free(g->u);
        digester_free(g->gz);
        digester_free(g->tar);
        free(g->in);
        free(g->out);
}

/* Deflates n bytes of g->in (flush: Z_NO_FLUSH or Z_FINISH) and sends
 * what comes out. */
static int gzip_feed(struct gzip_upload *g, size_t n, int flush, struct kerr *err)
{
        g->z.next_in = g->in;
        g->z.avail_in = (uInt)n;
        do {
                g->z.next_out = g->out;
                g->z.avail_out = GZIP_READ_SIZE;
                int zr = deflate(&g->z, flush);
                if (zr == Z_STREAM_ERROR)
                        return kerr_set(err, KERR_INTERNAL, EIO, "gzip compression failed");
                size_t have = GZIP_READ_SIZE - g->z.avail_out;
                digester_update(g->gz, g->out, have);
                int r = registry_upload_write(g->u, g->out, have, err);
                if (r < 0)
                        return r;
        } while (g->z.avail_out == 0);
        return 0;
}

/* Reads blob fd to its end, compressing and sending it; progress counts
 * the bytes read, as dockerd's does. */
static int gzip_stream(struct image_push *p, struct push_layer *l, struct gzip_upload *g, int fd,
                       struct kerr *err)
{
        struct upload_io io = {.p = p, .l = l};
        clock_gettime(CLOCK_MONOTONIC, &io.last);
        int64_t done = 0;
        for (;;) {
                ssize_t n = read(fd, g->in, GZIP_READ_SIZE);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return kerr_set(err, KERR_INTERNAL, errno, "cannot read blob %s", l->blob);
                digester_update(g->tar, g->in, (size_t)n);
                int r = gzip_feed(g, (size_t)n, n == 0 ? Z_FINISH : Z_NO_FLUSH, err);
                if (r < 0)
                        return r;
                if (n == 0)
                        return 0;
                done += n;
                upload_progress(&io, done, l->size);
        }
}

static int upload_gzip(struct image_push *p, struct push_layer *l, struct kerr *err)
{
        char path[128];
        snprintf(path, sizeof(path), "blobs/sha256/%s", l->blob + 7);
        _cleanup_close_ int fd = openat(p->e->store->root_fd, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return kerr_set(err, KERR_INTERNAL, errno, "blob %s is missing from the store",
                                l->blob);
        struct gzip_upload g = {.gz = digester_new(),
                                .tar = digester_new(),
                                .in = xmalloc(GZIP_READ_SIZE),
                                .out = xmalloc(GZIP_READ_SIZE)};
        /* gzip (windowBits 15 + 16), default level as dockerd's gzip.NewWriter:
         * the same input gives the same bytes, hence the same digest. */
        int r = deflateInit2(&g.z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                             Z_DEFAULT_STRATEGY) == Z_OK
                    ? 0
                    : kerr_set(err, KERR_INTERNAL, ENOMEM, "gzip compression failed");
        g.z_ready = r == 0;
        if (r == 0)
                r = registry_upload_start(p->reg, p->ref.path, &g.u, err);
        if (r == 0)
                r = gzip_stream(p, l, &g, fd, err);
        char tar[DIGEST_STR_LEN + 1];
        if (r == 0) {
                digester_final(g.tar, tar);
                /* A damaged store must not reach the registry under its name. */
                if (strcmp(tar, l->blob) != 0)
                        r = kerr_set(err, KERR_INTERNAL, EIO,
                                     "layer blob %s is damaged in the store (it hashes to %s)",
                                     l->blob, tar);
        }
        if (r == 0) {
                digester_final(g.gz, l->digest);
                l->push_size = registry_upload_size(g.u);
                r = registry_upload_commit(g.u, l->digest, err);
        }
        gzip_upload_release(&g);
        return r < 0 ? r : pushed_record(p, l, err);
}

static int push_layer(struct image_push *p, struct push_layer *l, struct kerr *err)
{
        if (l->compress) {
                l->media_type = MT_DOCKER_LAYER_GZIP;
                int r = push_known(p, l, err);
                if (r != 0)
                        return r < 0 ? r : 0;
                r = upload_gzip(p, l, err);
                if (r == 0)
                        emit_status(p, "Pushed", l->short_id);
                return r;
        }
        int r = registry_blob_exists(p->reg, p->ref.path, l->blob, err);
        if (r < 0)
                return r;
        if (r == 1) {
                emit_status(p, "Layer already exists", l->short_id);
                return 0;
        }
        _cleanup_json_ json_t *mounts = mount_sources(p, l->blob);
        size_t i;
        json_t *from;
        json_array_foreach(mounts, i, from)
        {
                struct kerr ignore = {0};
                if (registry_blob_mount(p->reg, p->ref.path, l->blob, json_string_value(from),
                                        &ignore) == 1) {
                        _cleanup_free_ char *m =
                            xasprintf("Mounted from %s", json_string_value(from));
                        emit_status(p, m, l->short_id);
                        return 0;
                }
        }
        r = upload_file(p, l, l->blob, l->size, err);
        if (r == 0)
                emit_status(p, "Pushed", l->short_id);
        return r;
}

static void *push_worker(void *cls)
{
        struct image_push *p = cls;
        for (;;) {
                pthread_mutex_lock(&p->lock);
                struct push_layer *l =
                    p->next < p->nlayers && !p->failed ? &p->layers[p->next++] : NULL;
                pthread_mutex_unlock(&p->lock);
                if (!l)
                        return NULL;
                struct kerr err = {0};
                if (push_layer(p, l, &err) < 0) {
                        pthread_mutex_lock(&p->lock);
                        if (!p->failed)
                                p->first_err = err;
                        p->failed = true;
                        pthread_mutex_unlock(&p->lock);
                        return NULL;
                }
        }
}

static int push_layers(struct image_push *p, struct kerr *err)
{
        /* Docker lists the top layer first. */
        for (size_t i = p->nlayers; i-- > 0;)
                emit_status(p, "Preparing", p->layers[i].short_id);
        for (size_t i = p->nlayers; i-- > 0;)
                if (p->nlayers - i > (size_t)p->e->max_uploads)
                        emit_status(p, "Waiting", p->layers[i].short_id);
        size_t nw = p->nlayers < (size_t)p->e->max_uploads ? p->nlayers : (size_t)p->e->max_uploads;
        pthread_t *ts = xzalloc((nw + 1) * sizeof(pthread_t));
        size_t started = 0;
        for (; started < nw; started++)
                if (pthread_create(&ts[started], NULL, push_worker, p) != 0)
                        break;
        if (started == 0 && nw > 0)
                push_worker(p);
        for (size_t i = 0; i < started; i++)
                pthread_join(ts[i], NULL);
        free(ts);
        if (p->failed) {
                *err = p->first_err;
                return -(err->errnum ? err->errnum : EIO);
        }
        return 0;
}

static char *build_manifest(struct image_push *p, const char *id, int64_t config_size)
{
        json_t *layers = json_array();
        for (size_t i = 0; i < p->nlayers; i++)
                json_array_append_new(layers,
                                      json_pack("{ss sI ss}", "mediaType", p->layers[i].media_type,
                                                "size", (json_int_t)p->layers[i].push_size,
                                                "digest", p->layers[i].digest));
        json_t *m = json_pack("{si ss s{ss sI ss} so}", "schemaVersion", 2, "mediaType",
                              MT_DOCKER_MANIFEST, "config", "mediaType", MT_DOCKER_CONFIG, "size",
                              (json_int_t)config_size, "digest", id, "layers", layers);
        char *s = json_dumps(m, JSON_INDENT(3) | JSON_PRESERVE_ORDER);
        json_decref(m);
        return s;
}

static int config_size(struct image_push *p, const char *id, int64_t *ret, struct kerr *err)
{
        _cleanup_stmt_ sqlite3_stmt *st =
            image_sql(p->e, "SELECT length(CAST(config AS BLOB)) FROM images WHERE id = ?", err);
        if (!st)
                return -EIO;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_ROW)
                return kerr_set(err, KERR_NOT_FOUND, ENOENT, "No such image: %s", id);
        *ret = sqlite3_column_int64(st, 0);
        return 0;
}

static int push_config(struct image_push *p, const char *id, int64_t size, struct kerr *err)
{
        int r = registry_blob_exists(p->reg, p->ref.path, id, err);
        return r != 0 ? (r < 0 ? r : 0) : upload_file(p, NULL, id, size, err);
}

static int record_digest(struct image_push *p, const char *id, const char *digest, struct kerr *err)
{
        _cleanup_free_ char *ref = xasprintf("%s@%s", p->name, digest);
        char old[72];
        pthread_mutex_lock(&p->e->image_lock);
        int r = image_ref_set(p->e, ref, id, old, err);
        pthread_mutex_unlock(&p->e->image_lock);
        return r;
}

static int push_tag(struct image_push *p, const struct push_tag *t, struct kerr *err)
{
        int64_t csize = 0;
        int r = load_layers(p, t->id, err);
        if (r == 0)
                r = config_size(p, t->id, &csize, err);
        if (r < 0)
                return r;
        r = push_layers(p, err);
        if (r == 0)
                r = push_config(p, t->id, csize, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *m = build_manifest(p, t->id, csize);
        r = registry_manifest_put(p->reg, p->ref.path, t->tag, MT_DOCKER_MANIFEST, m, strlen(m),
                                  err);
        if (r < 0)
                return r;
        char digest[DIGEST_STR_LEN + 1];
        digest_buffer(m, strlen(m), digest);
        r = record_digest(p, t->id, digest, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *line =
            xasprintf("%s: digest: %s size: %zu", t->tag, digest, strlen(m));
        emit_status(p, line, NULL);
        json_t *aux = json_pack("{s{} s{ss ss sI}}", "progressDetail", "aux", "Tag", t->tag,
                                "Digest", digest, "Size", (json_int_t)strlen(m));
        emit(p, aux);
        return 0;
}

int image_push_run(struct image_push *p, image_progress_fn fn, void *cls, struct kerr *err)
{
        p->fn = fn;
        p->cls = cls;
        _cleanup_free_ char *fam = image_ref_familiar_of(p->name);
        _cleanup_free_ char *msg = xasprintf("The push refers to repository [%s]", p->name);
        if (strcmp(p->ref.domain, IMAGE_REF_DEFAULT_DOMAIN) == 0) {
                free(msg);
                msg = xasprintf("The push refers to repository [docker.io/%s]", p->ref.path);
        }
        emit_status(p, msg, NULL);
        for (size_t i = 0; i < p->ntags; i++) {
                int r = push_tag(p, &p->tags[i], err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int transfer_login(struct engine *e, const struct registry_auth *auth, char **ret_token,
                   struct kerr *err)
{
        _cleanup_free_ char *host =
            registry_host_of(auth->server_address ? auth->server_address : "docker.io");
        struct registry *r = image_registry_open(e, host, auth);
        int rr = registry_login(r, ret_token, err);
        registry_free(r);
        return rr;
}
