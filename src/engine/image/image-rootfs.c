/* image-rootfs.c - the one call the container module makes into the image
 * store: an image's ID, its config (for dockerd's create-time merge) and the
 * layer directories an overlay root stacks, from one query. */
#include "engine/image/image-internal.h"

#include "base/buf.h"
#include "base/json.h"
#include "base/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void image_rootfs_release(struct image_rootfs *r)
{
        free(r->id);
        json_decref(r->config);
        free(r->lowerdirs);
        *r = (struct image_rootfs){0};
}

int image_rootfs_get(struct engine *e, const char *ref, struct image_rootfs *ret, struct kerr *err)
{
        char id[72];
        if (image_resolve(e, ref, id, err) < 0)
                return -ENOENT;
        /* Layers by index, top one first: overlayfs wants the topmost
         * lowerdir first. */
        _cleanup_stmt_ sqlite3_stmt *st =
            image_sql(e,
                      "SELECT i.config, l.chain_id FROM images i LEFT JOIN image_layers l"
                      " ON l.image_id = i.id WHERE i.id = ? ORDER BY l.idx DESC",
                      err);
        if (!st)
                return -EIO;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        _cleanup_json_ json_t *doc = NULL;
        struct buf dirs;
        buf_init(&dirs, 0);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                if (!doc)
                        doc = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
                const char *chain = (const char *)sqlite3_column_text(st, 1);
                if (chain && strncmp(chain, "sha256:", 7) == 0)
                        buf_appendf(&dirs, "%s%s/layers/%s/diff", dirs.len ? ":" : "", e->data_root,
                                    chain + 7);
        }
        if (rc != SQLITE_DONE || !doc) {
                buf_release(&dirs);
                return kerr_set(err, rc == SQLITE_DONE ? KERR_NOT_FOUND : KERR_INTERNAL,
                                rc == SQLITE_DONE ? ENOENT : EIO, "No such image: %s", ref);
        }
        json_t *config = json_object_get(doc, "config");
        ret->id = xstrdup(id);
        ret->config = json_is_object(config) ? json_incref(config) : json_object();
        ret->lowerdirs = buf_steal(&dirs);
        return 0;
}
