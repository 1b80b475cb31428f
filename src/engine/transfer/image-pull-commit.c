/* image-pull-commit.c - the second phase of a pull: files into place
 * (layer dirs renamed and marked complete, blobs renamed, the config
 * written), then one transaction for the records. A crash before the
 * commit leaves only tmp/ (cleared at start); during it, unreferenced
 * files the start-up sweep removes. */
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

static int place_job(struct image_pull *p, struct pull_job *j, struct kerr *err)
{
        return image_layer_place(p->e, p->dirfd, j->dir, j->chain, j->blob_tmp, j->desc->digest,
                                 false, err);
}

static int place_files(struct image_pull *p, struct kerr *err)
{
        syncfs(p->dirfd);
        for (size_t i = 0; i < p->njobs; i++) {
                struct pull_job *j = &p->jobs[i];
                if (j->present && !image_layer_present(p->e, j->chain))
                        return kerr_set(err, KERR_CONFLICT, EAGAIN,
                                        "layer %s was removed during the pull; pull again",
                                        j->chain);
                int r = j->present ? 0 : place_job(p, j, err);
                if (r < 0)
                        return r;
        }
        _cleanup_close_ int dfd =
            openat(p->e->store->root_fd, "blobs/sha256", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int r = dfd < 0 ? -errno
                        : fs_write_atomic_at(dfd, p->manifest.config.digest + 7, p->config_raw,
                                             p->config_len, 0644);
        return r < 0 ? kerr_set(err, KERR_INTERNAL, r, "cannot write config blob") : 0;
}

static int step(struct engine *e, sqlite3_stmt *st, const char *what, struct kerr *err)
{
        return sqlite3_step(st) == SQLITE_DONE ? 0 : store_sql_error(e->store, err, what);
}

static int insert_layers(struct image_pull *p, struct kerr *err)
{
        _cleanup_stmt_ sqlite3_stmt *st =
            image_sql(p->e,
                      "INSERT OR IGNORE INTO layers (chain_id, diff_id, blob, blob_size, size) "
                      "VALUES (?, ?, ?, ?, ?)",
                      err);
        _cleanup_stmt_ sqlite3_stmt *il = image_sql(
            p->e, "INSERT OR REPLACE INTO image_layers (image_id, idx, chain_id) VALUES (?,?,?)",
            err);
        if (!st || !il)
                return -EIO;
        const char *id = p->manifest.config.digest;
        for (size_t i = 0; i < p->njobs; i++) {
                struct pull_job *j = &p->jobs[i];
                sqlite3_reset(st);
                sqlite3_bind_text(st, 1, j->chain, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 2, j->diff_id, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 3, j->desc->digest, -1, SQLITE_STATIC);
                sqlite3_bind_int64(st, 4, j->desc->size);
                sqlite3_bind_int64(st, 5, j->size);
                sqlite3_reset(il);
                sqlite3_bind_text(il, 1, id, -1, SQLITE_STATIC);
                sqlite3_bind_int(il, 2, (int)i);
                sqlite3_bind_text(il, 3, j->chain, -1, SQLITE_STATIC);
                int r = j->present ? 0 : step(p->e, st, "add layer", err);
                if (r == 0)
                        r = step(p->e, il, "add image layer", err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int64_t created_of(const json_t *config)
{
        struct tm tm = {0};
        const char *s = json_get_str(config, "created");
        if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
                return 0;
        return (int64_t)timegm(&tm);
}

static int insert_image(struct image_pull *p, struct kerr *err)
{
        const char *id = p->manifest.config.digest;
        _cleanup_stmt_ sqlite3_stmt *st =
            image_sql(p->e,
                      "INSERT OR IGNORE INTO images (id, created, size, config, added) "
                      "VALUES (?, ?, 0, ?, ?)",
                      err);
        _cleanup_stmt_ sqlite3_stmt *sz = image_sql(
            p->e,
            "UPDATE images SET size = (SELECT coalesce(sum(l.size), 0) FROM image_layers il "
            "JOIN layers l USING (chain_id) WHERE il.image_id = ?1) WHERE id = ?1",
            err);
        if (!st || !sz)
                return -EIO;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, created_of(p->config));
        sqlite3_bind_text(st, 3, p->config_raw, (int)p->config_len, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, (int64_t)time(NULL));
        int r = step(p->e, st, "add image", err);
        if (r == 0)
                r = insert_layers(p, err);
        sqlite3_bind_text(sz, 1, id, -1, SQLITE_STATIC);
        return r < 0 ? r : step(p->e, sz, "image size", err);
}

static int record(struct image_pull *p, bool *ret_updated, struct kerr *err)
{
        const char *id = p->manifest.config.digest;
        char old[72];
        _cleanup_free_ char *dref = xasprintf("%s@%s", p->name, p->digest);
        int r = insert_image(p, err);
        if (r == 0 && !p->ref.digest) {
                /* Whether the tag moves decides Docker's final status line. */
                char cur[72] = "";
                struct kerr ignore = {0};
                bool had = image_resolve(p->e, p->ref_str, cur, &ignore) == 0;
                r = image_ref_set(p->e, p->ref_str, id, old, err);
                *ret_updated = !had || strcmp(cur, id) != 0;
        } else if (r == 0) {
                char cur[72] = "";
                struct kerr ignore = {0};
                *ret_updated = image_resolve(p->e, dref, cur, &ignore) < 0;
        }
        if (r == 0)
                r = image_ref_set(p->e, dref, id, old, err);
        return r;
}

int image_pull_commit(struct image_pull *p, bool *ret_updated, struct kerr *err)
{
        pthread_mutex_lock(&p->e->image_lock);
        int r = place_files(p, err);
        if (r == 0)
                r = image_sql_exec(p->e, "BEGIN IMMEDIATE", err);
        if (r == 0) {
                r = record(p, ret_updated, err);
                if (r == 0)
                        r = image_sql_exec(p->e, "COMMIT", err);
                if (r < 0)
                        image_sql_exec(p->e, "ROLLBACK", NULL);
        }
        pthread_mutex_unlock(&p->e->image_lock);
        return r;
}
