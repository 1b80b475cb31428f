/* image-query.c - list, inspect and history: Docker's JSON model of the
 * image records. */
#include "image-internal.h"

#include "base/buf.h"
#include "base/json.h"
#include "base/xalloc.h"
#include "image/reference.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

struct image_row {
        char id[72];
        int64_t created, size, last_tag_time;
        json_t *config; /* owned */
};

static void image_row_release(struct image_row *r)
{
        json_decref(r->config);
        r->config = NULL;
}

static int row_load(struct engine *e, const char *id, struct image_row *ret, struct kerr *err)
{
        _cleanup_stmt_ sqlite3_stmt *st = image_sql(
                e, "SELECT created, size, config, last_tag_time FROM images WHERE id = ?", err);
        if (!st)
                return -EIO;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_ROW)
                return kerr_set(err, KERR_NOT_FOUND, ENOENT, "No such image: %s", id);
        snprintf(ret->id, sizeof(ret->id), "%s", id);
        ret->created = sqlite3_column_int64(st, 0);
        ret->size = sqlite3_column_int64(st, 1);
        ret->config = json_loads((const char *)sqlite3_column_text(st, 2), 0, NULL);
        if (!ret->config)
                ret->config = json_object();
        ret->last_tag_time = sqlite3_column_int64(st, 3);
        return 0;
}

static void append_familiar(json_t *arr, const char *full)
{
        _cleanup_free_ char *f = image_ref_familiar_of(full);
        json_array_append_new(arr, json_string(f));
}

/* RepoTags and RepoDigests in familiar form, split by kind. */
static void refs_split(struct engine *e, const char *id, json_t **ret_tags, json_t **ret_digests)
{
        _cleanup_json_ json_t *refs = image_refs_of(e, id);
        *ret_tags = json_array();
        *ret_digests = json_array();
        size_t i;
        json_t *r;
        json_array_foreach(refs, i, r)
        {
                const char *s = json_string_value(r);
                append_familiar(strchr(s, '@') ? *ret_digests : *ret_tags, s);
        }
}

static json_t *labels_of(const json_t *config)
{
        json_t *l = json_object_get(json_object_get(config, "config"), "Labels");
        return json_is_object(l) ? json_incref(l) : json_null();
}

static json_t *summary_of(struct engine *e, const struct image_row *row)
{
        json_t *tags, *digests;
        refs_split(e, row->id, &tags, &digests);
        return json_pack("{ss ss so so sI sI sI so sI}", "Id", row->id, "ParentId", "", "RepoTags",
                         tags, "RepoDigests", digests, "Created", (json_int_t)row->created, "Size",
                         (json_int_t)row->size, "SharedSize", (json_int_t)-1, "Labels",
                         labels_of(row->config), "Containers", (json_int_t)-1);
}

/* reference=pattern matches the familiar "name:tag" or "name" (path.Match
 * semantics, which fnmatch without FNM_PATHNAME approximates closely). */
static bool match_reference(const struct filters *f, json_t *tags)
{
        if (!filters_count(f, "reference"))
                return true;
        size_t i;
        json_t *t;
        json_array_foreach(tags, i, t)
        {
                const char *s = json_string_value(t);
                _cleanup_free_ char *name = xstrndup(s, strcspn(s, ":"));
                const char *colon = strrchr(s, ':');
                if (colon && strchr(colon, '/'))
                        colon = NULL;
                free(name);
                name = colon ? xstrndup(s, (size_t)(colon - s)) : xstrdup(s);
                for (size_t k = 0; k < filters_count(f, "reference"); k++) {
                        const char *pat = filters_get(f, "reference", k);
                        if (fnmatch(pat, s, FNM_PATHNAME) == 0 || fnmatch(pat, name, FNM_PATHNAME) == 0)
                                return true;
                }
        }
        return false;
}

/* before/since: relative to the creation time of a named image. */
static int time_bound(struct engine *e, const struct filters *f, const char *key, int64_t *ret,
                      struct kerr *err)
{
        *ret = -1;
        if (!filters_count(f, key))
                return 0;
        char id[72];
        struct image_row row = {0};
        int r = engine_image_resolve(e, filters_get(f, key, 0), id, err);
        if (r == 0)
                r = row_load(e, id, &row, err);
        *ret = row.created;
        image_row_release(&row);
        return r;
}

struct list_filter {
        int dangling;
        int64_t before, since;
};

static bool row_matches(const struct filters *f, const struct list_filter *lf,
                        const struct image_row *row, json_t *summary)
{
        json_t *tags = json_object_get(summary, "RepoTags");
        if (lf->dangling == 1 && json_array_size(tags) > 0)
                return false;
        if (lf->dangling == 0 && json_array_size(tags) == 0)
                return false;
        if (lf->before >= 0 && row->created >= lf->before)
                return false;
        if (lf->since >= 0 && row->created <= lf->since)
                return false;
        return filters_match_labels(f, "label", json_object_get(summary, "Labels")) &&
               match_reference(f, tags);
}

json_t *engine_image_list(struct engine *e, const struct filters *f, bool shared_size,
                          struct kerr *err)
{
        (void)shared_size;
        struct list_filter lf;
        if (filters_bool(f, "dangling", &lf.dangling, err) < 0 ||
            time_bound(e, f, "before", &lf.before, err) < 0 ||
            time_bound(e, f, "since", &lf.since, err) < 0)
                return NULL;
        _cleanup_stmt_ sqlite3_stmt *st =
                image_sql(e, "SELECT id FROM images ORDER BY created DESC, id", err);
        if (!st)
                return NULL;
        json_t *out = json_array();
        while (sqlite3_step(st) == SQLITE_ROW) {
                struct image_row row = {0};
                if (row_load(e, (const char *)sqlite3_column_text(st, 0), &row, NULL) < 0)
                        continue;
                json_t *sum = summary_of(e, &row);
                if (row_matches(f, &lf, &row, sum))
                        json_array_append_new(out, sum);
                else
                        json_decref(sum);
                image_row_release(&row);
        }
        return out;
}

static json_t *layers_of(struct engine *e, const char *id, bool dirs)
{
        json_t *out = json_array();
        _cleanup_stmt_ sqlite3_stmt *st = image_sql(
                e,
                "SELECT l.diff_id, l.chain_id FROM image_layers il JOIN layers l USING (chain_id) "
                "WHERE il.image_id = ? ORDER BY il.idx",
                NULL);
        if (!st)
                return out;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW) {
                const char *v = (const char *)sqlite3_column_text(st, dirs ? 1 : 0);
                if (dirs)
                        json_array_append_new(out, json_sprintf("%s/layers/%s/diff",
                                                                e->data_root, v + 7));
                else
                        json_array_append_new(out, json_string(v));
        }
        return out;
}

/* overlay2's view: the top layer as UpperDir, the rest (top first) as
 * LowerDir, as docker inspect shows it. */
static json_t *graph_driver(struct engine *e, const char *id)
{
        _cleanup_json_ json_t *dirs = layers_of(e, id, true);
        json_t *data = json_object();
        size_t n = json_array_size(dirs);
        if (n > 0)
                json_set_str(data, "UpperDir", json_string_value(json_array_get(dirs, n - 1)));
        if (n > 1) {
                struct buf b;
                buf_init(&b, 0);
                for (size_t i = n - 1; i-- > 0;)
                        buf_appendf(&b, "%s%s", b.len ? ":" : "",
                                    json_string_value(json_array_get(dirs, i)));
                char *s = buf_steal(&b);
                json_set_str(data, "LowerDir", s);
                free(s);
        }
        return json_pack("{so ss}", "Data", data, "Name", "overlay2");
}

static char *format_ns(int64_t ns)
{
        time_t s = (time_t)(ns / 1000000000);
        struct tm tm;
        gmtime_r(&s, &tm);
        char buf[64];
        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
        return xasprintf("%s.%09lldZ", buf, (long long)(ns % 1000000000));
}

static json_t *inspect_of(struct engine *e, const struct image_row *row)
{
        json_t *tags, *digests;
        refs_split(e, row->id, &tags, &digests);
        const json_t *c = row->config;
        json_t *cfg = json_object_get(c, "config");
        _cleanup_free_ char *tagged = row->last_tag_time ? format_ns(row->last_tag_time) : NULL;
        json_t *v = json_pack("{ss so so ss ss}", "Id", row->id, "RepoTags", tags, "RepoDigests",
                              digests, "Parent", "", "Comment",
                              json_get_str(c, "comment") ? json_get_str(c, "comment") : "");
        json_set_str(v, "Created", json_get_str(c, "created") ? json_get_str(c, "created")
                                                               : "0001-01-01T00:00:00Z");
        json_set_str(v, "DockerVersion", json_get_str(c, "docker_version") ?
                                                 json_get_str(c, "docker_version") : "");
        json_set_str(v, "Author", json_get_str(c, "author") ? json_get_str(c, "author") : "");
        json_set(v, "Config", json_is_object(cfg) ? json_deep_copy(cfg) : json_null());
        json_set_str(v, "Architecture", json_get_str(c, "architecture"));
        if (json_get_str(c, "variant"))
                json_set_str(v, "Variant", json_get_str(c, "variant"));
        json_set_str(v, "Os", json_get_str(c, "os") ? json_get_str(c, "os") : "linux");
        json_set_int(v, "Size", row->size);
        json_set(v, "GraphDriver", graph_driver(e, row->id));
        json_set(v, "RootFS", json_pack("{ss so}", "Type", "layers", "Layers",
                                        layers_of(e, row->id, false)));
        json_set(v, "Metadata", json_pack("{ss}", "LastTagTime",
                                          tagged ? tagged : "0001-01-01T00:00:00Z"));
        return v;
}

json_t *engine_image_inspect(struct engine *e, const char *name, struct kerr *err)
{
        char id[72];
        struct image_row row = {0};
        if (engine_image_resolve(e, name, id, err) < 0 || row_load(e, id, &row, err) < 0)
                return NULL;
        json_t *v = inspect_of(e, &row);
        image_row_release(&row);
        return v;
}

static int64_t layer_size(struct engine *e, const char *id, size_t idx)
{
        _cleanup_stmt_ sqlite3_stmt *st = image_sql(
                e,
                "SELECT l.size FROM image_layers il JOIN layers l USING (chain_id) "
                "WHERE il.image_id = ? AND il.idx = ?",
                NULL);
        if (!st)
                return 0;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, (int)idx);
        return sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
}

static int64_t parse_time(const char *s)
{
        struct tm tm = {0};
        if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
                return 0;
        return (int64_t)timegm(&tm);
}

/* Newest first; only the newest entry carries the image ID and tags, the
 * others are "<missing>" as in Docker for images that were not built here. */
json_t *engine_image_history(struct engine *e, const char *name, struct kerr *err)
{
        char id[72];
        struct image_row row = {0};
        if (engine_image_resolve(e, name, id, err) < 0 || row_load(e, id, &row, err) < 0)
                return NULL;
        json_t *hist = json_object_get(row.config, "history");
        json_t *out = json_array();
        size_t n = json_array_size(hist), layer = 0;
        json_t **items = xzalloc((n + 1) * sizeof(json_t *));
        for (size_t i = 0; i < n; i++) {
                json_t *h = json_array_get(hist, i);
                bool empty = json_is_true(json_object_get(h, "empty_layer"));
                int64_t size = empty ? 0 : layer_size(e, id, layer++);
                items[i] = json_pack("{ss sI ss sn sI ss}", "Id", "<missing>", "Created",
                                     (json_int_t)parse_time(json_get_str(h, "created")),
                                     "CreatedBy", json_get_str(h, "created_by") ?
                                                          json_get_str(h, "created_by") : "",
                                     "Tags", "Size", (json_int_t)size, "Comment",
                                     json_get_str(h, "comment") ? json_get_str(h, "comment") : "");
        }
        for (size_t i = n; i-- > 0;)
                json_array_append_new(out, items[i]);
        free(items);
        json_t *top = json_array_get(out, 0);
        if (top) {
                json_t *tags, *digests;
                refs_split(e, id, &tags, &digests);
                json_decref(digests);
                json_set_str(top, "Id", id);
                json_set(top, "Tags", json_array_size(tags) ? tags : (json_decref(tags), json_null()));
        }
        image_row_release(&row);
        return out;
}
