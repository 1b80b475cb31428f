/* image-query.c - list, inspect and history: Docker's JSON model of the
 * image records. */
#include "image-internal.h"

#include "base/buf.h"
#include "base/json.h"
#include "base/timestamp.h"
#include "base/xalloc.h"
#include "image/reference.h"

#include <errno.h>
#include <stdint.h>
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

/* The repository name of a full reference: without tag and digest. */
static char *ref_name(const char *full)
{
        size_t n = strcspn(full, "@");
        const char *colon = memrchr(full, ':', n);
        if (colon && !memchr(colon, '/', n - (size_t)(colon - full)))
                n = (size_t)(colon - full);
        return xstrndup(full, n);
}

/* reference=pattern matches a ref as moby's image list does: the pattern
 * (path.Match, which fnmatch with FNM_PATHNAME follows) against the
 * familiar and full forms, each with and without tag or digest. */
static bool reference_match(const struct filters *f, const char *full)
{
        if (!filters_contains(f, "reference"))
                return true;
        _cleanup_free_ char *name = ref_name(full);
        _cleanup_free_ char *fam = image_ref_familiar_of(full);
        _cleanup_free_ char *fam_name = image_ref_familiar_of(name);
        const char *targets[] = {fam, fam_name, full, name};
        for (size_t k = 0; k < filters_count(f, "reference"); k++)
                for (size_t t = 0; t < 4; t++)
                        if (fnmatch(filters_get(f, "reference", k), targets[t], FNM_PATHNAME) == 0)
                                return true;
        return false;
}

/* RepoTags and RepoDigests in familiar form, split by kind; with a
 * reference filter only the refs it matches (moby lists those). */
static void refs_split(struct engine *e, const char *id, const struct filters *f, json_t **ret_tags,
                       json_t **ret_digests)
{
        _cleanup_json_ json_t *refs = image_refs_of(e, id);
        *ret_tags = json_array();
        *ret_digests = json_array();
        size_t i;
        json_t *r;
        json_array_foreach(refs, i, r)
        {
                const char *s = json_string_value(r);
                if (f && !reference_match(f, s))
                        continue;
                _cleanup_free_ char *fam = image_ref_familiar_of(s);
                json_array_append_new(strchr(s, '@') ? *ret_digests : *ret_tags, json_string(fam));
        }
}

static json_t *labels_of(const json_t *config)
{
        json_t *l = json_object_get(json_object_get(config, "config"), "Labels");
        return json_is_object(l) ? json_incref(l) : json_null();
}

static json_t *summary_of(struct engine *e, const struct image_row *row, const struct filters *f)
{
        json_t *tags, *digests;
        refs_split(e, row->id, f, &tags, &digests);
        return json_pack("{ss ss so so sI sI sI so sI}", "Id", row->id, "ParentId", "", "RepoTags",
                         tags, "RepoDigests", digests, "Created", (json_int_t)row->created, "Size",
                         (json_int_t)row->size, "SharedSize", (json_int_t)-1, "Labels",
                         labels_of(row->config), "Containers", (json_int_t)-1);
}

static const char *const list_keys[] = {"dangling", "label",     "before", "since",
                                        "until",    "reference", NULL};

/* The creation-time window of a list (exclusive): before= the oldest
 * named image, until= a time, since= the newest named image, as moby ANDs
 * several values. */
struct list_window {
        int dangling;      /* -1: not filtered */
        int64_t before_ns; /* INT64_MAX: no bound */
        int64_t since_ns;  /* 0: no bound */
};

static int image_created_ns(struct engine *e, const char *name, int64_t *ret, struct kerr *err)
{
        char id[72];
        struct image_row row = {0};
        int r = image_resolve(e, name, id, err);
        if (r == 0)
                r = row_load(e, id, &row, err);
        *ret = row.created * 1000000000;
        image_row_release(&row);
        return r;
}

static int list_window_of(struct engine *e, const struct filters *f, struct list_window *w,
                          struct kerr *err)
{
        *w = (struct list_window){.before_ns = INT64_MAX};
        if (filters_bool(f, "dangling", &w->dangling, err) < 0)
                return -EINVAL;
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        for (size_t i = 0; i < filters_count(f, "before") + filters_count(f, "until"); i++) {
                bool is_before = i < filters_count(f, "before");
                const char *v = is_before ? filters_get(f, "before", i)
                                          : filters_get(f, "until", i - filters_count(f, "before"));
                int64_t t;
                if (is_before && image_created_ns(e, v, &t, err) < 0)
                        return -ENOENT;
                if (!is_before &&
                    timestamp_parse(v, (int64_t)now.tv_sec * 1000000000 + now.tv_nsec, &t) < 0) {
                        filters_time_error(v, err);
                        return kerr_wrap(err, "invalid value for 'until' filter");
                }
                /* an image of unknown age sets no bound (moby) */
                if ((t > 0 || !is_before) && t < w->before_ns)
                        w->before_ns = t;
        }
        for (size_t i = 0; i < filters_count(f, "since"); i++) {
                int64_t t;
                if (image_created_ns(e, filters_get(f, "since", i), &t, err) < 0)
                        return -ENOENT;
                if (t > w->since_ns)
                        w->since_ns = t;
        }
        return 0;
}

/* moby's Images: the time window, labels, then what the refs say. */
static bool row_matches(const struct filters *f, const struct list_window *w,
                        const struct image_row *row, json_t *summary)
{
        int64_t created = row->created * 1000000000;
        if ((w->before_ns != INT64_MAX && (row->created == 0 || created >= w->before_ns)) ||
            (w->since_ns && (row->created == 0 || created <= w->since_ns)))
                return false;
        if (!filters_match_labels(f, "label", json_object_get(summary, "Labels")))
                return false;
        size_t tags = json_array_size(json_object_get(summary, "RepoTags"));
        size_t digests = json_array_size(json_object_get(summary, "RepoDigests"));
        if (tags == 0 && digests == 0)
                /* dangling: only dangling=false or a reference filter hides it */
                return w->dangling != 0 && !filters_contains(f, "reference");
        return !(w->dangling == 1 && tags > 0);
}

json_t *image_list(struct engine *e, const char *filters, bool shared_size, struct kerr *err)
{
        (void)shared_size;
        struct filters f;
        struct list_window w;
        if (filters_parse(filters, list_keys, &f, err) < 0)
                return NULL;
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        if (list_window_of(e, &f, &w, err) < 0 ||
            !(st = image_sql(e, "SELECT id FROM images ORDER BY created DESC, id", err))) {
                filters_release(&f);
                return NULL;
        }
        json_t *out = json_array();
        while (sqlite3_step(st) == SQLITE_ROW) {
                struct image_row row = {0};
                if (row_load(e, (const char *)sqlite3_column_text(st, 0), &row, NULL) < 0)
                        continue;
                json_t *sum = summary_of(e, &row, &f);
                if (row_matches(&f, &w, &row, sum))
                        json_array_append_new(out, sum);
                else
                        json_decref(sum);
                image_row_release(&row);
        }
        filters_release(&f);
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
                        json_array_append_new(
                            out, json_sprintf("%s/layers/%s/diff", e->data_root, v + 7));
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
        refs_split(e, row->id, NULL, &tags, &digests);
        const json_t *c = row->config;
        json_t *cfg = json_object_get(c, "config");
        _cleanup_free_ char *tagged = row->last_tag_time ? format_ns(row->last_tag_time) : NULL;
        json_t *v = json_pack("{ss so so ss ss}", "Id", row->id, "RepoTags", tags, "RepoDigests",
                              digests, "Parent", "", "Comment",
                              json_get_str(c, "comment") ? json_get_str(c, "comment") : "");
        json_set_str(v, "Created",
                     json_get_str(c, "created") ? json_get_str(c, "created")
                                                : "0001-01-01T00:00:00Z");
        json_set_str(v, "DockerVersion",
                     json_get_str(c, "docker_version") ? json_get_str(c, "docker_version") : "");
        json_set_str(v, "Author", json_get_str(c, "author") ? json_get_str(c, "author") : "");
        json_set(v, "Config", json_is_object(cfg) ? json_deep_copy(cfg) : json_null());
        json_set_str(v, "Architecture", json_get_str(c, "architecture"));
        if (json_get_str(c, "variant"))
                json_set_str(v, "Variant", json_get_str(c, "variant"));
        json_set_str(v, "Os", json_get_str(c, "os") ? json_get_str(c, "os") : "linux");
        json_set_int(v, "Size", row->size);
        json_set(v, "GraphDriver", graph_driver(e, row->id));
        json_set(v, "RootFS",
                 json_pack("{ss so}", "Type", "layers", "Layers", layers_of(e, row->id, false)));
        json_set(v, "Metadata",
                 json_pack("{ss}", "LastTagTime", tagged ? tagged : "0001-01-01T00:00:00Z"));
        return v;
}

json_t *image_inspect(struct engine *e, const char *name, struct kerr *err)
{
        char id[72];
        struct image_row row = {0};
        if (image_resolve(e, name, id, err) < 0 || row_load(e, id, &row, err) < 0)
                return NULL;
        json_t *v = inspect_of(e, &row);
        image_row_release(&row);
        return v;
}

static int64_t layer_size(struct engine *e, const char *id, size_t idx)
{
        _cleanup_stmt_ sqlite3_stmt *st =
            image_sql(e,
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
json_t *image_history(struct engine *e, const char *name, struct kerr *err)
{
        char id[72];
        struct image_row row = {0};
        if (image_resolve(e, name, id, err) < 0 || row_load(e, id, &row, err) < 0)
                return NULL;
        json_t *hist = json_object_get(row.config, "history");
        json_t *out = json_array();
        size_t n = json_array_size(hist), layer = 0;
        json_t **items = xzalloc((n + 1) * sizeof(json_t *));
        for (size_t i = 0; i < n; i++) {
                json_t *h = json_array_get(hist, i);
                bool empty = json_is_true(json_object_get(h, "empty_layer"));
                int64_t size = empty ? 0 : layer_size(e, id, layer++);
                items[i] =
                    json_pack("{ss sI ss sn sI ss}", "Id", "<missing>", "Created",
                              (json_int_t)parse_time(json_get_str(h, "created")), "CreatedBy",
                              json_get_str(h, "created_by") ? json_get_str(h, "created_by") : "",
                              "Tags", "Size", (json_int_t)size, "Comment",
                              json_get_str(h, "comment") ? json_get_str(h, "comment") : "");
        }
        for (size_t i = n; i-- > 0;)
                json_array_append_new(out, items[i]);
        free(items);
        json_t *top = json_array_get(out, 0);
        if (top) {
                json_t *tags, *digests;
                refs_split(e, id, NULL, &tags, &digests);
                json_decref(digests);
                json_set_str(top, "Id", id);
                json_set(top, "Tags",
                         json_array_size(tags) ? tags : (json_decref(tags), json_null()));
        }
        image_row_release(&row);
        return out;
}
