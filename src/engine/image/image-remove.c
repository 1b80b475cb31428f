/* image-remove.c - tag, rmi and prune. Records go first (one transaction);
 * the files no record references any more are collected in a "doomed" list
 * and removed only after COMMIT, so a failed or rolled-back delete loses
 * nothing. A crash in between leaves only unreferenced files, which the
 * start-up sweep removes. */
#include "image-internal.h"

#include "base/timestamp.h"
#include "base/json.h"
#include "base/xalloc.h"
#include "image/reference.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int image_tag(struct engine *e, const char *name, const char *repo, const char *tag,
              struct kerr *err)
{
        char id[72], old[72];
        int r = image_resolve(e, name, id, err);
        if (r < 0)
                return r;
        if (!repo || !*repo)
                return kerr_set(err, KERR_INVALID, EINVAL, "repository name must be given");
        struct image_ref ref;
        _cleanup_free_ char *s =
            xasprintf("%s%s%s", repo, tag && *tag ? ":" : "", tag && *tag ? tag : "");
        r = image_ref_parse(s, IMAGE_REF_DEFAULT_TAG, &ref, err);
        if (r < 0)
                return r;
        if (ref.digest) {
                image_ref_release(&ref);
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "refusing to create a tag with a digest "
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

/* Untags every ref of id: the first step of deleting it, and all that
 * a forced rmi of an image a container uses does (its layers are the
 * container's). */
static int untag_all(struct engine *e, const char *id, json_t *out, struct kerr *err)
{
        _cleanup_json_ json_t *refs = image_refs_of(e, id);
        size_t i;
        json_t *r;
        json_array_foreach(refs, i, r)
        {
                if (delete_ref(e, json_string_value(r), out, err) < 0)
                        return -EIO;
        }
        return 0;
}

/* Deletes the image record (its refs and layer links cascade) and
 * collects what only it used. */
static int delete_image(struct engine *e, const char *id, json_t *out, int64_t *reclaimed,
                        json_t *doomed, struct kerr *err)
{
        if (untag_all(e, id, out, err) < 0)
                return -EIO;
        _cleanup_stmt_ sqlite3_stmt *st = image_sql(e, "DELETE FROM images WHERE id = ?", err);
        if (!st)
                return -EIO;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
                return store_sql_error(e->store, err, "delete image");
        json_array_append_new(out, json_pack("{ss}", "Deleted", id));
        json_array_append_new(doomed, json_sprintf("blobs/sha256/%s", id + 7));
        return image_gc(e, out, reclaimed, doomed, err);
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

/* Refs of an image other than the tag full and, as Docker counts them
 * (moby image_delete.go), other than the digest refs of full's repository
 * which go with its last tag (a pulled image's RepoDigests). */
static size_t ref_name_len(const char *full)
{
        size_t name_len = strcspn(full, "@");
        const char *colon = strrchr(full, ':');
        if (colon && !strchr(colon, '/') && (size_t)(colon - full) < name_len)
                name_len = (size_t)(colon - full);
        return name_len;
}

static size_t other_refs(json_t *refs, const char *full)
{
        size_t name_len = ref_name_len(full);
        size_t n = 0, i;
        json_t *r;
        json_array_foreach(refs, i, r)
        {
                const char *s = json_string_value(r);
                bool same_repo_digest = strncmp(s, full, name_len) == 0 && s[name_len] == '@';
                if (strcmp(s, full) != 0 && !same_repo_digest)
                        n++;
        }
        return n;
}

/* Untags full; its repository's digest refs go too when it was the
 * repository's last tag. */
static int untag(struct engine *e, json_t *refs, const char *full, json_t *out, struct kerr *err)
{
        size_t name_len = ref_name_len(full), i;
        json_t *r;
        int rr = delete_ref(e, full, out, err);
        json_array_foreach(refs, i, r)
        {
                const char *s = json_string_value(r);
                if (strcmp(s, full) != 0 && strncmp(s, full, name_len) == 0 && s[name_len] == ':')
                        return rr; /* another tag of the repository remains */
        }
        json_array_foreach(refs, i, r)
        {
                const char *s = json_string_value(r);
                if (rr == 0 && strncmp(s, full, name_len) == 0 && s[name_len] == '@')
                        rr = delete_ref(e, s, out, err);
        }
        return rr;
}

/* Docker's rules (daemon/images/image_delete.go) for an image a container
 * uses. By its last name: refused unless forced, and forced only untags
 * (the image stays, dangling). By ID: a running user refuses even force;
 * a stopped one needs force. kedge then untags and keeps the image rather
 * than delete layers the container's root file system is made of. */
static int remove_used(struct engine *e, const char *id, const char *name, bool by_ref, bool force,
                       json_t *out, struct kerr *err)
{
        char cid[72], a[16], b[16];
        int use = image_user(e, id, cid);
        if (use == IMAGE_UNUSED)
                return 1;
        if (by_ref && !force)
                return kerr_set(err, KERR_CONFLICT, EBUSY,
                                "conflict: unable to remove repository reference \"%s\" (must "
                                "force) - container %s is using its referenced image %s",
                                name, short_id(cid, a), short_id(id, b));
        if (!by_ref && (use == IMAGE_USED_RUNNING || !force))
                return kerr_set(err, KERR_CONFLICT, EBUSY,
                                "conflict: unable to delete %s (%s) - image is being used by %s "
                                "container %s",
                                short_id(id, b),
                                use == IMAGE_USED_RUNNING ? "cannot be forced" : "must be forced",
                                use == IMAGE_USED_RUNNING ? "running" : "stopped",
                                short_id(cid, a));
        return untag_all(e, id, out, err);
}

static int remove_locked(struct engine *e, const char *name, bool force, json_t *out,
                         json_t *doomed, struct kerr *err)
{
        char id[72], sid[16];
        int r = image_resolve(e, name, id, err);
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
        if (by_ref && other_refs(refs, full) > 0)
                return untag(e, refs, full, out, err); /* other names keep the image */
        if (!by_ref && several_repos(refs) && !force)
                return kerr_set(err, KERR_CONFLICT, EBUSY,
                                "conflict: unable to delete %s (must be forced) - image is "
                                "referenced in multiple repositories",
                                short_id(id, sid));
        if ((r = remove_used(e, id, name, by_ref, force, out, err)) <= 0)
                return r;
        return delete_image(e, id, out, NULL, doomed, err);
}

/* COMMIT, then remove what became garbage; ROLLBACK on any error. */
static int finish(struct engine *e, int r, json_t *doomed, struct kerr *err)
{
        if (r == 0)
                r = image_sql_exec(e, "COMMIT", err);
        if (r < 0) {
                image_sql_exec(e, "ROLLBACK", NULL);
                return r;
        }
        image_doomed_remove(e, doomed);
        return 0;
}

json_t *image_remove(struct engine *e, const char *name, bool force, bool noprune, struct kerr *err)
{
        /* noprune keeps untagged parent images in Docker. Images here have
         * no parent chain (load and import record none, Parent is ""), so
         * there is nothing it could keep: both values behave alike. */
        (void)noprune;
        json_t *out = json_array();
        _cleanup_json_ json_t *doomed = json_array();
        pthread_mutex_lock(&e->image_lock);
        int r = image_sql_exec(e, "BEGIN IMMEDIATE", err);
        if (r == 0)
                r = finish(e, remove_locked(e, name, force, out, doomed, err), doomed, err);
        pthread_mutex_unlock(&e->image_lock);
        if (r < 0) {
                json_decref(out);
                return NULL;
        }
        return out;
}

struct prune_opts {
        bool all;
        int64_t until; /* seconds; images created after it stay; -1: no bound */
};

static bool created_after(struct engine *e, const char *id, int64_t until)
{
        _cleanup_stmt_ sqlite3_stmt *st =
            image_sql(e, "SELECT created FROM images WHERE id = ?", NULL);
        if (!st)
                return true;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        /* An unknown creation time (0) is never old enough, as in Docker. */
        int64_t created = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        return created == 0 || created > until;
}

/* Whether refs (full strings) hold a tag; digest refs alone leave an
 * image dangling, as moby's prune sees it. */
static bool has_tag(json_t *refs)
{
        size_t i;
        json_t *r;
        json_array_foreach(refs, i, r)
        {
                if (!strchr(json_string_value(r), '@'))
                        return true;
        }
        return false;
}

static bool prune_candidate(struct engine *e, const char *id, const struct filters *f,
                            const struct prune_opts *po)
{
        char cid[72];
        _cleanup_json_ json_t *refs = image_refs_of(e, id);
        if (!po->all && has_tag(refs))
                return false;
        if (po->until >= 0 && created_after(e, id, po->until))
                return false;
        if (image_user(e, id, cid))
                return false;
        _cleanup_json_ json_t *v = image_inspect(e, id, NULL);
        return filters_match_prune_labels(f,
                                          json_object_get(json_object_get(v, "Config"), "Labels"));
}

static const char *const prune_keys[] = {"dangling", "label", "label!", "until", NULL};

static int prune_opts_of(const struct filters *f, struct prune_opts *ret, struct kerr *err)
{
        int dangling;
        if (filters_bool(f, "dangling", &dangling, err) < 0)
                return -EINVAL;
        ret->all = dangling == 0;
        int64_t until;
        if (filters_time(f, "until", timestamp_now_ns(), &until, err) < 0)
                return filters_count(f, "until") > 1
                           ? -EINVAL
                           : kerr_wrap(err, "invalid value for 'until' filter");
        /* An image is kept when created after until (seconds here). */
        ret->until = until < 0 ? -1 : until / 1000000000;
        return 0;
}

json_t *image_prune(struct engine *e, const char *filters, struct kerr *err)
{
        struct prune_opts po = {.until = -1};
        _cleanup_(filters_release) struct filters f = {0};
        if (filters_parse(filters, prune_keys, &f, err) < 0 || prune_opts_of(&f, &po, err) < 0)
                return NULL;
        _cleanup_json_ json_t *doomed = json_array();
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
                if (r == 0 && prune_candidate(e, id, &f, &po))
                        r = delete_image(e, id, deleted, &reclaimed, doomed, err);
        }
        r = finish(e, r, doomed, err);
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
