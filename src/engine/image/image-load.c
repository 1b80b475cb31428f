/* image-load.c - docker load and docker import.
 *
 * Two phases keep a failed load from leaving anything behind: first every
 * layer is unpacked and verified under tmp/ (nothing else is touched); only
 * when all of it checked out are layer directories renamed into layers/,
 * marked complete, blobs renamed into blobs/, and the records written in
 * one transaction. A crash in phase two leaves unreferenced files that the
 * start-up sweep removes. */
#include "image-internal.h"

#include "base/fs.h"
#include "base/json.h"
#include "base/xalloc.h"
#include "image/archive.h"
#include "image/reference.h"
#include "image/unpack.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct staged_layer {
        char chain[DIGEST_STR_LEN + 1];
        char diff_id[DIGEST_STR_LEN + 1];
        char blob[DIGEST_STR_LEN + 1];
        char blob_tmp[32]; /* name in the scratch directory */
        char dir[32];      /* unpacked tree in the scratch directory, "" if present */
        int64_t blob_size, size;
};

struct loader {
        struct engine *e;
        char *scratch; /* tmp/load-XXXX relative to the data root */
        int dirfd;
        struct staged_layer *layers;
        size_t nlayers;
        size_t npre; /* trees unpacked while the archive was read */
};

static void loader_release(struct loader *l)
{
        if (l->dirfd >= 0)
                close(l->dirfd);
        if (l->scratch)
                fs_rm_rf_at(l->e->store->root_fd, l->scratch);
        free(l->scratch);
        free(l->layers);
}

static int loader_init(struct loader *l, struct engine *e, struct kerr *err)
{
        *l = (struct loader){.e = e, .dirfd = -EBADF};
        int r = store_tmpdir(e->store, "load", &l->scratch, err);
        if (r < 0)
                return r;
        l->dirfd = openat(e->store->root_fd, l->scratch, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return l->dirfd < 0 ? kerr_set(err, KERR_INTERNAL, errno, "cannot open scratch dir") : 0;
}

static struct staged_layer *staged_find(struct loader *l, const char *chain)
{
        for (size_t i = 0; i < l->nlayers; i++)
                if (strcmp(l->layers[i].chain, chain) == 0)
                        return &l->layers[i];
        return NULL;
}

static bool dir_staged(struct loader *l, const char *dir)
{
        for (size_t i = 0; i < l->nlayers; i++)
                if (strcmp(l->layers[i].dir, dir) == 0)
                        return true;
        return false;
}

/* Feeds the blob through fn (which copies and hashes it) into the pipe;
 * after a failed pipe write only the copy goes on. */
static void pre_feed(image_archive_read_fn fn, void *src, int wfd)
{
        const void *buf;
        ssize_t n;
        while ((n = fn(src, &buf)) > 0)
                if (wfd >= 0 && fs_write_all(wfd, buf, (size_t)n) < 0) {
                        close(wfd);
                        wfd = -EBADF;
                }
        if (wfd >= 0)
                close(wfd);
}

/* A layer's blob as it streams out of the archive: copied and hashed on
 * this thread while another unpacks it from a pipe into a tree of its own
 * (a failure only drops the tree; staging then unpacks the scratch copy
 * and reports why), so a load reads each layer once, on two cores.
 * Skipped for files too small to be a layer and for blobs the store
 * has a layer of. */
static void pre_unpack(void *cls, struct image_archive_file *f, int64_t size,
                       image_archive_read_fn fn, void *src)
{
        struct loader *l = cls;
        const char *base = strrchr(f->name, '/') ? strrchr(f->name, '/') + 1 : f->name;
        bool oci =
            strncmp(f->name, "blobs/sha256/", 13) == 0 && digest_hex_valid(base, strlen(base));
        if (size < 1024 || !(oci || strcmp(base, "layer.tar") == 0))
                return;
        if (oci) {
                _cleanup_stmt_ sqlite3_stmt *st =
                    image_sql(l->e, "SELECT 1 FROM layers WHERE blob = 'sha256:' || ?", NULL);
                if (!st)
                        return;
                sqlite3_bind_text(st, 1, base, -1, SQLITE_STATIC);
                if (sqlite3_step(st) == SQLITE_ROW)
                        return;
        }
        char dir[32], diff[48];
        snprintf(dir, sizeof(dir), "P%zu", l->npre++);
        snprintf(diff, sizeof(diff), "%s/diff", dir);
        if (mkdirat(l->dirfd, dir, 0700) < 0 || mkdirat(l->dirfd, diff, 0755) < 0)
                return;
        _cleanup_close_ int rootfd = openat(l->dirfd, diff, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int fds[2];
        if (rootfd < 0 || pipe2(fds, O_CLOEXEC) < 0) {
                fs_rm_rf_at(l->dirfd, dir);
                return;
        }
        fcntl(fds[1], F_SETPIPE_SZ, 1024 * 1024);
        struct unpack_thread t;
        if (unpack_thread_start(&t, fds[0], rootfd) < 0) {
                close(fds[1]);
                fs_rm_rf_at(l->dirfd, dir);
                return;
        }
        pre_feed(fn, src, fds[1]);
        unpack_thread_join(&t);
        if (t.r < 0) {
                fs_rm_rf_at(l->dirfd, dir);
                return;
        }
        snprintf(f->unpacked, sizeof(f->unpacked), "%s", dir);
        memcpy(f->unpacked_diff_id, t.res.diff_id, sizeof(f->unpacked_diff_id));
        f->unpacked_size = t.res.size;
}

/* Unpacks (or, for a layer already on disk, only hashes) one layer blob and
 * checks its diff ID against the config's promise. A blob unpacked while
 * the archive was read (f) is taken as it is. */
static int stage_layer(struct loader *l, const struct image_archive_file *f, const char *blob_tmp,
                       const char *blob_name, const char *blob_digest, int64_t blob_size,
                       const char *want_diff, const char *chain, struct kerr *err)
{
        if (chain && staged_find(l, chain))
                return 0;
        struct staged_layer s = {.blob_size = blob_size};
        if (chain)
                memcpy(s.chain, chain, sizeof(s.chain));
        memcpy(s.blob, blob_digest, sizeof(s.blob));
        snprintf(s.blob_tmp, sizeof(s.blob_tmp), "%s", blob_tmp);
        bool present = chain && image_layer_present(l->e, chain);
        if (!present && f && f->unpacked[0] && !dir_staged(l, f->unpacked)) {
                if (want_diff && strcmp(f->unpacked_diff_id, want_diff) != 0)
                        return kerr_set(err, KERR_INVALID, EINVAL,
                                        "refusing archive entry '%s': layer diff ID mismatch "
                                        "(config says %s, content is %s)",
                                        blob_name, want_diff, f->unpacked_diff_id);
                snprintf(s.dir, sizeof(s.dir), "%s", f->unpacked);
                memcpy(s.diff_id, f->unpacked_diff_id, sizeof(s.diff_id));
                s.size = f->unpacked_size;
                l->layers = xrealloc(l->layers, (l->nlayers + 1) * sizeof(*l->layers));
                l->layers[l->nlayers++] = s;
                return 0;
        }
        _cleanup_close_ int rootfd = -EBADF;
        if (!present) {
                snprintf(s.dir, sizeof(s.dir), "L%zu", l->nlayers);
                char diff[48];
                snprintf(diff, sizeof(diff), "%s/diff", s.dir);
                if (mkdirat(l->dirfd, s.dir, 0700) < 0 || mkdirat(l->dirfd, diff, 0755) < 0 ||
                    (rootfd = openat(l->dirfd, diff, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
                        return kerr_set(err, KERR_INTERNAL, errno, "cannot create layer dir");
        }
        _cleanup_close_ int bfd = openat(l->dirfd, blob_tmp, O_RDONLY | O_CLOEXEC);
        if (bfd < 0)
                return kerr_set(err, KERR_INTERNAL, errno, "cannot open '%s'", blob_name);
        struct unpack_result res;
        int r = unpack_layer(bfd, rootfd, &res, err);
        if (r < 0)
                return kerr_wrap(err, "layer '%s'", blob_name);
        if (want_diff && strcmp(res.diff_id, want_diff) != 0)
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "refusing archive entry '%s': layer diff ID mismatch (config says "
                                "%s, content is %s)",
                                blob_name, want_diff, res.diff_id);
        memcpy(s.diff_id, res.diff_id, sizeof(s.diff_id));
        if (!chain) /* import: a single layer's chain ID is its diff ID */
                memcpy(s.chain, res.diff_id, sizeof(s.chain));
        s.size = res.size;
        l->layers = xrealloc(l->layers, (l->nlayers + 1) * sizeof(*l->layers));
        l->layers[l->nlayers++] = s;
        return 0;
}

static int stage_plan(struct loader *l, const struct image_plan *p, struct kerr *err)
{
        char chain[DIGEST_STR_LEN + 1] = "";
        for (size_t i = 0; i < p->nlayers; i++) {
                const struct image_plan_layer *pl = &p->layers[i];
                image_chain_next(i ? chain : NULL, pl->diff_id, chain);
                int r = stage_layer(l, pl->blob, pl->blob->tmp, pl->blob->name, pl->blob->digest,
                                    pl->blob->size, pl->diff_id, chain, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Phase two, files: rename layers and blobs into place, then mark. */
static int place_layer(struct loader *l, struct staged_layer *s, struct kerr *err)
{
        return image_layer_place(l->e, l->dirfd, s->dir, s->chain, s->blob_tmp, s->blob, true, err);
}

static int64_t parse_created(const char *s)
{
        struct tm tm = {0};
        if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
                return 0;
        return (int64_t)timegm(&tm);
}

static int insert_layer(struct engine *e, const struct staged_layer *s, struct kerr *err)
{
        _cleanup_stmt_ sqlite3_stmt *st =
            image_sql(e,
                      "INSERT OR IGNORE INTO layers (chain_id, diff_id, blob, blob_size, size) "
                      "VALUES (?, ?, ?, ?, ?)",
                      err);
        if (!st)
                return -EIO;
        sqlite3_bind_text(st, 1, s->chain, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, s->diff_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, s->blob, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, s->blob_size);
        sqlite3_bind_int64(st, 5, s->size);
        return sqlite3_step(st) == SQLITE_DONE ? 0 : store_sql_error(e->store, err, "add layer");
}

static int insert_image(struct loader *l, const char *id, const char *config, size_t nlayers,
                        const char *const *diff_ids, struct kerr *err)
{
        _cleanup_json_ json_t *cfg = json_loads(config, 0, NULL);
        int64_t size = 0;
        char chain[DIGEST_STR_LEN + 1] = "";
        _cleanup_stmt_ sqlite3_stmt *il = image_sql(
            l->e, "INSERT OR REPLACE INTO image_layers (image_id, idx, chain_id) VALUES (?,?,?)",
            err);
        _cleanup_stmt_ sqlite3_stmt *st =
            image_sql(l->e,
                      "INSERT OR IGNORE INTO images (id, created, size, config, added) "
                      "VALUES (?, ?, ?, ?, ?)",
                      err);
        if (!il || !st)
                return -EIO;
        for (size_t i = 0; i < nlayers; i++) {
                image_chain_next(i ? chain : NULL, diff_ids[i], chain);
                struct staged_layer *s = staged_find(l, chain);
                size += s ? s->size : 0;
        }
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, parse_created(json_get_str(cfg, "created")));
        sqlite3_bind_int64(st, 3, size);
        sqlite3_bind_text(st, 4, config, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, (int64_t)time(NULL));
        if (sqlite3_step(st) != SQLITE_DONE)
                return store_sql_error(l->e->store, err, "add image");
        for (size_t i = 0; i < nlayers; i++) {
                image_chain_next(i ? chain : NULL, diff_ids[i], chain);
                sqlite3_reset(il);
                sqlite3_bind_text(il, 1, id, -1, SQLITE_STATIC);
                sqlite3_bind_int(il, 2, (int)i);
                sqlite3_bind_text(il, 3, chain, -1, SQLITE_TRANSIENT);
                if (sqlite3_step(il) != SQLITE_DONE)
                        return store_sql_error(l->e->store, err, "add image layer");
        }
        /* Layers already on disk were only hashed: their sizes are in the
         * layers table, so sum there. */
        _cleanup_stmt_ sqlite3_stmt *sz = image_sql(
            l->e,
            "UPDATE images SET size = (SELECT coalesce(sum(l.size), 0) FROM image_layers il "
            "JOIN layers l USING (chain_id) WHERE il.image_id = ?1) WHERE id = ?1",
            err);
        if (!sz)
                return -EIO;
        sqlite3_bind_text(sz, 1, id, -1, SQLITE_STATIC);
        return sqlite3_step(sz) == SQLITE_DONE ? 0 : store_sql_error(l->e->store, err, "size");
}

static int write_config_blob(struct engine *e, const char *id, const char *config, size_t len,
                             struct kerr *err)
{
        _cleanup_close_ int dfd =
            openat(e->store->root_fd, "blobs/sha256", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int r = dfd < 0 ? -errno : fs_write_atomic_at(dfd, id + 7, config, len, 0644);
        return r < 0 ? kerr_set(err, KERR_INTERNAL, r, "cannot write config blob: %s", strerror(-r))
                     : 0;
}

static int place_all(struct loader *l, struct kerr *err)
{
        /* One syncfs makes every unpacked file durable before any rename
         * publishes it (cheaper than an fsync per file). */
        syncfs(l->dirfd);
        for (size_t i = 0; i < l->nlayers; i++) {
                int r = place_layer(l, &l->layers[i], err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int record_plan(struct loader *l, const struct image_plan *p, json_t *lines,
                       struct kerr *err)
{
        const char **diffs = xzalloc((p->nlayers + 1) * sizeof(char *));
        for (size_t i = 0; i < p->nlayers; i++)
                diffs[i] = p->layers[i].diff_id;
        int r = write_config_blob(l->e, p->id, p->config, p->config_len, err);
        if (r == 0)
                r = insert_image(l, p->id, p->config, p->nlayers, diffs, err);
        free(diffs);
        for (size_t t = 0; r == 0 && t < p->ntags; t++) {
                char old[72];
                r = image_ref_set(l->e, p->tags[t], p->id, old, err);
                _cleanup_free_ char *fam = image_ref_familiar_of(p->tags[t]);
                if (r == 0 && old[0])
                        json_array_append_new(
                            lines, json_sprintf("The image %s already exists, renaming the "
                                                "old one with ID %s to empty string",
                                                fam, old));
                if (r == 0)
                        json_array_append_new(lines, json_sprintf("Loaded image: %s", fam));
        }
        if (r == 0 && p->ntags == 0)
                json_array_append_new(lines, json_sprintf("Loaded image ID: %s", p->id));
        return r;
}

static int commit(struct loader *l, const struct image_plan *plans, size_t n, json_t *lines,
                  struct kerr *err)
{
        int r = place_all(l, err);
        if (r < 0)
                return r;
        r = image_sql_exec(l->e, "BEGIN IMMEDIATE", err);
        for (size_t i = 0; r == 0 && i < l->nlayers; i++)
                r = insert_layer(l->e, &l->layers[i], err);
        for (size_t i = 0; r == 0 && i < n; i++)
                r = record_plan(l, &plans[i], lines, err);
        if (r == 0)
                r = image_sql_exec(l->e, "COMMIT", err);
        if (r < 0)
                image_sql_exec(l->e, "ROLLBACK", NULL);
        return r;
}

int image_load(struct engine *e, int fd, json_t **ret_lines, struct kerr *err)
{
        struct loader l;
        struct image_archive a = {0};
        struct image_plan *plans = NULL;
        size_t n = 0;
        _cleanup_json_ json_t *lines = json_array();
        int r = loader_init(&l, e, err);
        if (r == 0)
                r = image_archive_read(fd, l.dirfd, pre_unpack, &l, &a, err);
        /* The body is read once: emptied now, its pages (the whole upload)
         * are dropped instead of written back by the syncfs below. A pipe
         * has nothing to drop. */
        if (r == 0 && ftruncate(fd, 0) < 0 && errno != EINVAL)
                r = kerr_set(err, KERR_INTERNAL, errno, "cannot drop the request body");
        if (r == 0)
                r = image_archive_plan(&a, &plans, &n, err);
        for (size_t i = 0; r == 0 && i < n; i++)
                r = stage_plan(&l, &plans[i], err);
        if (r == 0) {
                pthread_mutex_lock(&e->image_lock);
                r = commit(&l, plans, n, lines, err);
                pthread_mutex_unlock(&e->image_lock);
        }
        image_plans_free(plans, n);
        image_archive_release(&a);
        loader_release(&l);
        if (r < 0)
                return r;
        *ret_lines = TAKE_PTR(lines);
        return 0;
}

/* Copies fd into the scratch directory as "blob", hashing it. */
static int copy_blob(struct loader *l, int fd, struct image_archive_file *f, struct kerr *err)
{
        _cleanup_close_ int out =
            openat(l->dirfd, "blob", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (out < 0)
                return kerr_set(err, KERR_INTERNAL, errno, "cannot create scratch file");
        _cleanup_(digester_freep) struct digester *d = digester_new();
        _cleanup_free_ char *buf = xmalloc(256 * 1024);
        ssize_t n;
        while ((n = read(fd, buf, 256 * 1024)) > 0) {
                digester_update(d, buf, (size_t)n);
                if (fs_write_all(out, buf, (size_t)n) < 0)
                        return kerr_set(err, KERR_INTERNAL, errno, "cannot write scratch file");
                f->size += n;
        }
        if (n < 0)
                return kerr_set(err, KERR_INTERNAL, errno, "cannot read the import body");
        digester_final(d, f->digest);
        snprintf(f->tmp, sizeof(f->tmp), "blob");
        return 0;
}

int image_import_commit(struct engine *e, int fd, char *(*make_config)(const char *, void *),
                        void *cls, const char *tag, char ret_id[72], struct kerr *err)
{
        struct loader l;
        struct image_archive_file f = {.name = (char *)"import"};
        struct image_plan_layer pl = {.blob = &f};
        char *tags[1] = {(char *)tag};
        struct image_plan p = {.layers = &pl, .nlayers = 1, .tags = tags, .ntags = tag ? 1 : 0};
        _cleanup_json_ json_t *lines = json_array();
        int r = loader_init(&l, e, err);
        if (r == 0)
                r = copy_blob(&l, fd, &f, err);
        if (r == 0)
                r = stage_layer(&l, NULL, "blob", "import", f.digest, f.size, NULL, NULL, err);
        if (r == 0) {
                memcpy(pl.diff_id, l.layers[0].diff_id, sizeof(pl.diff_id));
                p.config = make_config(pl.diff_id, cls);
                p.config_len = strlen(p.config);
                digest_buffer(p.config, p.config_len, p.id);
                pthread_mutex_lock(&e->image_lock);
                r = commit(&l, &p, 1, lines, err);
                pthread_mutex_unlock(&e->image_lock);
        }
        if (r == 0)
                snprintf(ret_id, 72, "%s", p.id);
        free(p.config);
        loader_release(&l);
        return r;
}
