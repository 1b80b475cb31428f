/* image-remove.c - tag, rmi and prune. Records go first (one transaction),
 * then the files no record references; a crash in between leaves only
 * unreferenced files, which the start-up sweep removes. */
#include "image-internal.h"

#include "base/json.h"
#include "base/xalloc.h"
#include "image/reference.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int engine_image_tag(struct engine *e, const char *name, const char *repo, const char *tag,
                     struct kerr *err)
{
        char id[72], old[72];
        int r = engine_image_resolve(e, name, id, err);
        if (r < 0)
                return r;
        if (!repo || !*repo)
                return kerr_set(err, KERR_INVALID, EINVAL, "repository name must be given");
        struct image_ref ref;
        _cleanup_free_ char *s = xasprintf("%s%s%s", repo, tag && *tag ? ":" : "",
                                           tag && *tag ? tag : "");
        r = image_ref_parse(s, IMAGE_REF_DEFAULT_TAG, &ref, err);
        if (r < 0)
                return r;
        if (ref.digest) {
                image_ref_release(&ref);
                return kerr_set(err, KERR_INVALID, EINVAL, "refusing to create a tag with a digest "
                                "reference");
        }
        _cleanup_free_ char *full = image_ref_string(&ref);
        image_ref_release(&ref);
        pthread_mutex_lock(&e->image_lock);
        r = image_ref_set(e, full, id, old, err);
        pthread_mutex_unlock(&e->image_lock);
        return r;
}

static char *short_id(const char *id, char buf[16])
{
        snprintf(buf, 16, "%.12s", strncmp(id, "sha256:", 7) == 0 ? id + 7 : id);
        return buf;
}

static int delete_ref(struct engine *e, const char *ref, json_t *out, struct kerr *err)
{
        _cleanup_stmt_ sqlite3_stmt *st = image_sql(e, "DELETE FROM image_refs WHERE ref = ?", err);
        if (!st)
                return -EIO;
        sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
                return store_sql_error(e->store, err, "untag");
        _cleanup_free_ char *fam = image_ref_familiar_of(ref);
        json_array_append_new(out, json_pack("{ss}", "Untagged", fam));
        return 0;
}

/* Deletes the image record (its refs and layer links cascade) and
 * collects what only it used. */
static int delete_image(struct engine *e, const char *id, json_t *out, int64_t *reclaimed,
                        struct kerr *err)
{
        _cleanup_json_ json_t *refs = image_refs_of(e, id);
        size_t i;
        json_t *r;
        json_array_foreach(refs, i, r)
        {
                if (delete_ref(e, json_string_value(r), out, err) < 0)
                        return -EIO;
        }
        _cleanup_stmt_ sqlite3_stmt *st = image_sql(e, "DELETE FROM images WHERE id = ?", err);
        if (!st)
                return -EIO;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
                return store_sql_error(e->store, err, "delete image");
        json_array_append_new(out, json_pack("{ss}", "Deleted", id));
        char path[128];
        snprintf(path, sizeof(path), "blobs/sha256/%s", id + 7);
        unlinkat(e->store->root_fd, path, 0);
        return image_gc(e, out, reclaimed, err);
}

/* Docker refuses to delete by ID an image tagged in several repositories
 * unless forced. */
static bool several_repos(json_t *refs)
{
        const char *first = NULL;
        size_t flen = 0, i;
        json_t *r;
        json_array_foreach(refs, i, r)
        {
                const char *s = json_string_value(r);
                const char *slash = strrchr(s, '/');
                size_t n = strcspn(slash ? slash : s, ":@") + (size_t)(slash ? slash - s : 0);
                if (first && (n != flen || strncmp(first, s, n) != 0))
                        return true;
                first = s;
                flen = n;
        }
        return false;
}

static int in_use(struct engine *e, const char *id, const char *name, struct kerr *err)
{
        char cid[72], a[16], b[16];
        if (!engine_image_user(e, id, cid))
                return 0;
        return kerr_set(err, KERR_CONFLICT, EBUSY,
                        "conflict: unable to remove repository reference \"%s\" (must force) - "
                        "container %s is using its referenced image %s",
                        name, short_id(cid, a), short_id(id, b));
}

static int remove_locked(struct engine *e, const char *name, bool force, json_t *out,
                         struct kerr *err)
{
        char id[72], sid[16];
        int r = engine_image_resolve(e, name, id, err);
        if (r < 0)
                return r;
        _cleanup_json_ json_t *refs = image_refs_of(e, id);
        struct image_ref ref;
        _cleanup_free_ char *full = NULL;
        if (image_ref_parse(name, IMAGE_REF_DEFAULT_TAG, &ref, NULL) == 0) {
                full = image_ref_string(&ref);
                image_ref_release(&ref);
        }
        bool by_ref = false;
        for (size_t i = 0; full && i < json_array_size(refs); i++)
                by_ref |= strcmp(json_string_value(json_array_get(refs, i)), full) == 0;
        if (by_ref && json_array_size(refs) > 1)
                return delete_ref(e, full, out, err); /* other names keep the image */
        if (!by_ref && several_repos(refs) && !force)
                return kerr_set(err, KERR_CONFLICT, EBUSY,
                                "conflict: unable to delete %s (must be forced) - image is "
                                "referenced in multiple repositories",
                                short_id(id, sid));
        if (!force && (r = in_use(e, id, name, err)) < 0)
                return r;
        return delete_image(e, id, out, NULL, err);
}

json_t *engine_image_remove(struct engine *e, const char *name, bool force, bool noprune,
                            struct kerr *err)
{
        (void)noprune; /* kedge images have no parent chain to prune */
        json_t *out = json_array();
        pthread_mutex_lock(&e->image_lock);
        int r = image_sql_exec(e, "BEGIN IMMEDIATE", err);
        if (r == 0)
                r = remove_locked(e, name, force, out, err);
        if (r == 0)
                r = image_sql_exec(e, "COMMIT", err);
        else
                image_sql_exec(e, "ROLLBACK", NULL);
        pthread_mutex_unlock(&e->image_lock);
        if (r < 0) {
                json_decref(out);
                return NULL;
        }
        return out;
}

static bool prune_candidate(struct engine *e, const char *id, const struct filters *f, bool all)
{
        char cid[72];
        _cleanup_json_ json_t *refs = image_refs_of(e, id);
        if (!all && json_array_size(refs) > 0)
                return false;
        if (engine_image_user(e, id, cid))
                return false;
        _cleanup_json_ json_t *v = engine_image_inspect(e, id, NULL);
        json_t *labels = json_object_get(json_object_get(v, "Config"), "Labels");
        if (!filters_match_labels(f, "label", labels))
                return false;
        for (size_t i = 0; i < filters_count(f, "label!"); i++) {
                struct filters one = {json_pack("{s[s]}", "label", filters_get(f, "label!", i))};
                bool m = filters_match_labels(&one, "label", labels);
                filters_release(&one);
                if (m)
                        return false;
        }
        return true;
}

json_t *engine_image_prune(struct engine *e, const struct filters *f, struct kerr *err)
{
        int dangling;
        if (filters_bool(f, "dangling", &dangling, err) < 0)
                return NULL;
        bool all = dangling == 0;
        json_t *deleted = json_array();
        int64_t reclaimed = 0;
        pthread_mutex_lock(&e->image_lock);
        _cleanup_stmt_ sqlite3_stmt *st = image_sql(e, "SELECT id FROM images", err);
        json_t *ids = json_array();
        while (st && sqlite3_step(st) == SQLITE_ROW)
                json_array_append_new(ids, json_string((const char *)sqlite3_column_text(st, 0)));
        size_t i;
        json_t *idv;
        int r = image_sql_exec(e, "BEGIN IMMEDIATE", err);
        json_array_foreach(ids, i, idv)
        {
                const char *id = json_string_value(idv);
                if (r == 0 && prune_candidate(e, id, f, all))
                        r = delete_image(e, id, deleted, &reclaimed, err);
        }
        r = r == 0 ? image_sql_exec(e, "COMMIT", err) : (image_sql_exec(e, "ROLLBACK", NULL), r);
        pthread_mutex_unlock(&e->image_lock);
        json_decref(ids);
        if (r < 0) {
                json_decref(deleted);
                return NULL;
        }
        return json_pack("{sosI}", "ImagesDeleted",
                         json_array_size(deleted) ? deleted : (json_decref(deleted), json_null()),
                         "SpaceReclaimed", (json_int_t)reclaimed);
}
