/* image-store.c - the image store's bookkeeping: lookups, refs, garbage
 * collection of layers and blobs, and the start-up sweep. */
#include "image-internal.h"

#include "base/fs.h"
#include "base/json.h"
#include "base/xalloc.h"
#include "image/reference.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

sqlite3_stmt *image_sql(struct engine *e, const char *sql, struct kerr *err)
{
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(e->store->db, sql, -1, &st, NULL) != SQLITE_OK) {
                store_sql_error(e->store, err, "prepare image query");
                return NULL;
        }
        return st;
}

int image_sql_exec(struct engine *e, const char *sql, struct kerr *err)
{
        if (sqlite3_exec(e->store->db, sql, NULL, NULL, NULL) != SQLITE_OK)
                return store_sql_error(e->store, err, sql);
        return 0;
}

void image_chain_next(const char *parent, const char *diff_id, char out[DIGEST_STR_LEN + 1])
{
        if (!parent) {
                memcpy(out, diff_id, DIGEST_STR_LEN + 1);
                return;
        }
        _cleanup_free_ char *s = xasprintf("%s %s", parent, diff_id);
        digest_buffer(s, strlen(s), out);
}

bool image_layer_present(struct engine *e, const char *chain)
{
        char path[128];
        snprintf(path, sizeof(path), "layers/%s/" LAYER_COMPLETE, chain + 7);
        return faccessat(e->store->root_fd, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

/* ID prefix lookup: exactly one image whose hex ID starts with hex. */
static int resolve_prefix(struct engine *e, const char *hex, const char *name, char ret_id[72],
                          struct kerr *err)
{
        size_t n = strlen(hex);
        for (size_t i = 0; i < n; i++)
                if (!isxdigit((unsigned char)hex[i]) || isupper((unsigned char)hex[i]))
                        return kerr_set(err, KERR_NOT_FOUND, ENOENT, "No such image: %s", name);
        if (n == 0 || n > DIGEST_HEX_LEN)
                return kerr_set(err, KERR_NOT_FOUND, ENOENT, "No such image: %s", name);
        _cleanup_stmt_ sqlite3_stmt *st =
            image_sql(e, "SELECT id FROM images WHERE substr(id, 8, ?1) = ?2 LIMIT 2", err);
        if (!st)
                return -EIO;
        sqlite3_bind_int(st, 1, (int)n);
        sqlite3_bind_text(st, 2, hex, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_ROW)
                return kerr_set(err, KERR_NOT_FOUND, ENOENT, "No such image: %s", name);
        snprintf(ret_id, 72, "%s", (const char *)sqlite3_column_text(st, 0));
        if (sqlite3_step(st) == SQLITE_ROW)
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "multiple IDs found with provided prefix: %s", hex);
        return 0;
}

static bool ref_lookup(struct engine *e, const char *ref, char ret_id[72])
{
        _cleanup_stmt_ sqlite3_stmt *st =
            image_sql(e, "SELECT image_id FROM image_refs WHERE ref = ?", NULL);
        if (!st)
                return false;
        sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_ROW)
                return false;
        snprintf(ret_id, 72, "%s", (const char *)sqlite3_column_text(st, 0));
        return true;
}

int image_resolve(struct engine *e, const char *name, char ret_id[72], struct kerr *err)
{
        if (strncmp(name, "sha256:", 7) == 0)
                return resolve_prefix(e, name + 7, name, ret_id, err);
        struct image_ref ref;
        if (image_ref_parse(name, IMAGE_REF_DEFAULT_TAG, &ref, NULL) == 0) {
                _cleanup_free_ char *full = image_ref_string(&ref);
                _cleanup_free_ char *fam = image_ref_familiar(&ref);
                image_ref_release(&ref);
                if (ref_lookup(e, full, ret_id))
                        return 0;
                /* A bare hex string is also an ID prefix (Docker tries the
                 * reference first, then the prefix). */
                if (strchr(name, ':') || strchr(name, '/') || strchr(name, '@') ||
                    resolve_prefix(e, name, name, ret_id, NULL) < 0)
                        return kerr_set(err, KERR_NOT_FOUND, ENOENT, "No such image: %s", fam);
                return 0;
        }
        return resolve_prefix(e, name, name, ret_id, err);
}

json_t *image_refs_of(struct engine *e, const char *id)
{
        json_t *out = json_array();
        _cleanup_stmt_ sqlite3_stmt *st =
            image_sql(e, "SELECT ref FROM image_refs WHERE image_id = ? ORDER BY ref", NULL);
        if (!st)
                return out;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW)
                json_array_append_new(out, json_string((const char *)sqlite3_column_text(st, 0)));
        return out;
}

int image_ref_set(struct engine *e, const char *ref, const char *id, char ret_old[72],
                  struct kerr *err)
{
        ret_old[0] = 0;
        if (ref_lookup(e, ref, ret_old) && strcmp(ret_old, id) == 0)
                ret_old[0] = 0;
        _cleanup_stmt_ sqlite3_stmt *st =
            image_sql(e, "INSERT OR REPLACE INTO image_refs (ref, image_id) VALUES (?, ?)", err);
        if (!st)
                return -EIO;
        sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
                return store_sql_error(e->store, err, "write image ref");
        _cleanup_stmt_ sqlite3_stmt *up =
            image_sql(e, "UPDATE images SET last_tag_time = ? WHERE id = ?", err);
        if (!up)
                return -EIO;
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        sqlite3_bind_int64(up, 1, (int64_t)now.tv_sec * 1000000000 + now.tv_nsec);
        sqlite3_bind_text(up, 2, id, -1, SQLITE_STATIC);
        return sqlite3_step(up) == SQLITE_DONE ? 0 : store_sql_error(e->store, err, "tag time");
}

/* Unlinks the completion mark first: a half-removed layer is then never
 * mistaken for a usable one. */
static void layer_remove(struct engine *e, const char *dir)
{
        _cleanup_free_ char *mark = xasprintf("%s/" LAYER_COMPLETE, dir);
        unlinkat(e->store->root_fd, mark, 0);
        fs_rm_rf_at(e->store->root_fd, dir);
}

void image_doomed_remove(struct engine *e, json_t *doomed)
{
        size_t i;
        json_t *v;
        json_array_foreach(doomed, i, v)
        {
                const char *path = json_string_value(v);
                if (strncmp(path, "layers/", 7) == 0)
                        layer_remove(e, path);
                else
                        unlinkat(e->store->root_fd, path, 0);
        }
}

/* Whether another layer record still stores its content in blob (two
 * chains can share one blob: the same layer on different parents). */
static bool blob_in_use(struct engine *e, const char *blob)
{
        _cleanup_stmt_ sqlite3_stmt *st =
            image_sql(e, "SELECT 1 FROM layers WHERE blob = ? LIMIT 1", NULL);
        if (!st)
                return true; /* when in doubt, keep */
        sqlite3_bind_text(st, 1, blob, -1, SQLITE_STATIC);
        return sqlite3_step(st) == SQLITE_ROW;
}

int image_gc(struct engine *e, json_t *deleted, int64_t *reclaimed, json_t *doomed,
             struct kerr *err)
{
        _cleanup_stmt_ sqlite3_stmt *st = image_sql(
            e,
            "DELETE FROM layers WHERE chain_id NOT IN (SELECT chain_id FROM image_layers) "
            "RETURNING chain_id, blob, size",
            err);
        if (!st)
                return -EIO;
        _cleanup_json_ json_t *blobs = json_array();
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                const char *chain = (const char *)sqlite3_column_text(st, 0);
                json_array_append_new(doomed, json_sprintf("layers/%s", chain + 7));
                json_array_append_new(blobs, json_string((const char *)sqlite3_column_text(st, 1)));
                if (deleted)
                        json_array_append_new(deleted, json_pack("{ss}", "Deleted", chain));
                if (reclaimed)
                        *reclaimed += sqlite3_column_int64(st, 2);
        }
        if (rc != SQLITE_DONE)
                return store_sql_error(e->store, err, "collect layers");
        size_t i;
        json_t *b;
        json_array_foreach(blobs, i, b)
        {
                if (!blob_in_use(e, json_string_value(b)))
                        json_array_append_new(
                            doomed, json_sprintf("blobs/sha256/%s", json_string_value(b) + 7));
        }
        return 0;
}

static bool sql_has(struct engine *e, const char *sql, const char *arg)
{
        _cleanup_stmt_ sqlite3_stmt *st = image_sql(e, sql, NULL);
        if (!st)
                return true; /* when in doubt, keep */
        sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
        return sqlite3_step(st) == SQLITE_ROW;
}

/* Calls keep(name) for every entry of dir; removes those it refuses. */
struct sweep {
        struct engine *e;
        bool (*keep)(struct engine *, const char *);
};

static bool sweep_keep(void *cls, const char *name)
{
        struct sweep *w = cls;
        return w->keep(w->e, name);
}

static void sweep_dir(struct engine *e, const char *dir,
                      bool (*keep)(struct engine *, const char *))
{
        struct sweep w = {e, keep};
        fs_sweep_dir_at(e->store->root_fd, dir, sweep_keep, &w);
}

static bool keep_layer(struct engine *e, const char *hex)
{
        char chain[DIGEST_STR_LEN + 8];
        snprintf(chain, sizeof(chain), "sha256:%s", hex);
        return image_layer_present(e, chain) &&
               sql_has(e, "SELECT 1 FROM layers WHERE chain_id = ?", chain);
}

static bool keep_blob(struct engine *e, const char *hex)
{
        char d[DIGEST_STR_LEN + 8];
        snprintf(d, sizeof(d), "sha256:%s", hex);
        return sql_has(e,
                       "SELECT 1 FROM images WHERE id = ?1 UNION SELECT 1 FROM layers "
                       "WHERE blob = ?1",
                       d);
}

int image_sweep(struct engine *e, struct kerr *err)
{
        sweep_dir(e, "layers", keep_layer);
        sweep_dir(e, "blobs/sha256", keep_blob);
        return 0;
}

int image_user(struct engine *e, const char *id, char ret_cid[72])
{
        _cleanup_stmt_ sqlite3_stmt *st = image_sql(
            e,
            "SELECT id, state IN ('running', 'paused', 'restarting') AS live FROM containers "
            "WHERE image_id = ? ORDER BY live DESC, id LIMIT 1",
            NULL);
        if (!st)
                return IMAGE_UNUSED;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_ROW)
                return IMAGE_UNUSED;
        snprintf(ret_cid, 72, "%s", (const char *)sqlite3_column_text(st, 0));
        return sqlite3_column_int(st, 1) ? IMAGE_USED_RUNNING : IMAGE_USED_STOPPED;
}

int image_layer_place(struct engine *e, int dirfd, const char *dir, const char *chain,
                      const char *blob_tmp, const char *blob_digest, bool blob_shared,
                      struct kerr *err)
{
        int root = e->store->root_fd;
        char dst[128];
        if (dir && dir[0] && !image_layer_present(e, chain)) {
                snprintf(dst, sizeof(dst), "layers/%s", chain + 7);
                fs_rm_rf_at(root, dst); /* an unmarked leftover is never used */
                if (renameat(dirfd, dir, root, dst) < 0)
                        return kerr_set(err, KERR_INTERNAL, errno, "cannot place layer: %s",
                                        strerror(errno));
                /* The mark goes last: a layer directory without it is never
                 * used, and the start-up sweep removes it. */
                _cleanup_close_ int dfd = openat(root, dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (dfd < 0 || fs_write_atomic_at(dfd, LAYER_COMPLETE, "", 0, 0600) < 0)
                        return kerr_set(err, KERR_INTERNAL, errno, "cannot mark layer complete");
        }
        snprintf(dst, sizeof(dst), "blobs/sha256/%s", blob_digest + 7);
        if (renameat(dirfd, blob_tmp, root, dst) < 0 && !(blob_shared && errno == ENOENT))
                return kerr_set(err, KERR_INTERNAL, errno, "cannot place blob: %s",
                                strerror(errno));
        return 0;
}
