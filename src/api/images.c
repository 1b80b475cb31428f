/* images.c - the /images endpoints. Each handler reads the request, makes
 * one engine call and writes one reply. Load and import bodies are spooled
 * to an anonymous file under the data root's tmp/ as they arrive
 * (images_body_spool), so memory stays bounded whatever their size. */
#include "handlers.h"
#include "reply.h"

#include "base/cleanup.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/xalloc.h"
#include "engine/engine.h"
#include "engine/image/image.h"
#include "store/store.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

struct spool {
        int fd;
};

static void spool_free(void *p)
{
        struct spool *s = p;
        if (s->fd >= 0)
                close(s->fd);
        free(s);
}

int images_body_spool(struct request *req, const char *data, size_t len)
{
        struct spool *s = req->body_state;
        if (!s) {
                int fd = store_tmpfile(req->engine->store, NULL);
                if (fd < 0)
                        return fd;
                s = xnew0(struct spool);
                s->fd = fd;
                req->body_state = s;
                req->body_state_free = spool_free;
        }
        return fs_write_all(s->fd, data, len);
}

/* The spooled body rewound, or -1 with a reply queued. */
static int spooled_body(struct request *req)
{
        struct spool *s = req->body_state;
        if (req->body_error < 0) {
                reply_errorf(req, KERR_INTERNAL, "cannot receive the request body: %s",
                             strerror(-req->body_error));
                return -1;
        }
        if (!s) {
                reply_errorf(req, KERR_INVALID,
                             "the request body is empty: an archive is required");
                return -1;
        }
        if (lseek(s->fd, 0, SEEK_SET) < 0) {
                reply_errorf(req, KERR_INTERNAL, "cannot rewind the request body: %s",
                             strerror(errno));
                return -1;
        }
        return s->fd;
}

/* A JSON message stream: one {"stream": line} object per line. */
static void reply_stream_lines(struct request *req, json_t *lines, const char *key)
{
        struct buf b;
        buf_init(&b, 0);
        size_t i;
        json_t *l;
        json_array_foreach(lines, i, l)
        {
                json_t *o = json_object();
                if (strcmp(key, "stream") == 0)
                        json_set(o, key, json_sprintf("%s\n", json_string_value(l)));
                else
                        json_set_str(o, key, json_string_value(l));
                _cleanup_free_ char *s = json_to_string(o);
                json_decref(o);
                buf_appendf(&b, "%s\n", s);
        }
        reply_data(req, MHD_HTTP_OK, "application/json", b.data ? b.data : "", b.len);
        buf_release(&b);
}

void images_load(struct request *req)
{
        int fd = spooled_body(req);
        if (fd < 0)
                return;
        struct kerr err = {0};
        json_t *lines = NULL;
        if (image_load(req->engine, fd, &lines, &err) < 0) {
                reply_error(req, &err);
                return;
        }
        reply_stream_lines(req, lines, "stream");
        json_decref(lines);
}

/* Repeated query keys (changes=..., names=...): MHD's lookup gives only
 * the first, so walk them all. */
struct query_values {
        const char *key;
        const char **vals;
        size_t n;
};

static enum MHD_Result collect_value(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
        (void)kind;
        struct query_values *q = cls;
        if (key && value && strcmp(key, q->key) == 0 && q->n < 256) {
                q->vals = xrealloc(q->vals, (q->n + 2) * sizeof(char *));
                q->vals[q->n++] = value;
                q->vals[q->n] = NULL;
        }
        return MHD_YES;
}

static void query_all(struct request *req, const char *key, struct query_values *ret)
{
        *ret = (struct query_values){.key = key};
        MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, collect_value, ret);
}

static void images_import(struct request *req)
{
        int fd = spooled_body(req);
        if (fd < 0)
                return;
        struct query_values changes;
        query_all(req, "changes", &changes);
        struct image_import_opts o = {
            .repo = req_query(req, "repo"),
            .tag = req_query(req, "tag"),
            .message = req_query(req, "message"),
            .changes = changes.vals,
        };
        char id[72];
        struct kerr err = {0};
        int r = image_import(req->engine, fd, &o, id, &err);
        free(changes.vals);
        if (r < 0) {
                reply_error(req, &err);
                return;
        }
        json_t *lines = json_pack("[s]", id);
        reply_stream_lines(req, lines, "status");
        json_decref(lines);
}

void images_create(struct request *req)
{
        const char *from_src = req_query(req, "fromSrc");
        if (req_query(req, "fromImage")) {
                images_pull(req);
                return;
        }
        if (!from_src) {
                reply_errorf(req, KERR_INVALID, "fromImage or fromSrc must be given");
                return;
        }
        if (strcmp(from_src, "-") != 0) {
                reply_errorf(req, KERR_NOT_IMPLEMENTED,
                             "import from a URL is not implemented by kedge; use fromSrc=-");
                return;
        }
        images_import(req);
}

/* VirtualSize went away in API 1.44. */
static void add_legacy_sizes(struct request *req, json_t *img)
{
        if (!api_version_at_least(req->version, 1, 44))
                json_set(img, "VirtualSize", json_incref(json_object_get(img, "Size")));
}

/* Below API 1.43 an image with neither tags nor digests is listed with
 * the placeholders "<none>:<none>" and "<none>@<none>"; from 1.43 on the
 * lists are empty (moby's getImagesJSON, api/docs/CHANGELOG.md 1.43). */
static void add_legacy_none(struct request *req, json_t *img)
{
        if (api_version_at_least(req->version, 1, 43) ||
            json_array_size(json_object_get(img, "RepoTags")) > 0 ||
            json_array_size(json_object_get(img, "RepoDigests")) > 0)
                return;
        json_set(img, "RepoTags", json_pack("[s]", "<none>:<none>"));
        json_set(img, "RepoDigests", json_pack("[s]", "<none>@<none>"));
}

void images_list(struct request *req)
{
        struct kerr err = {0};
        json_t *v = image_list(req->engine, req_query(req, "filters"),
                               req_query_bool(req, "shared-size", false), &err);
        if (!v) {
                reply_error(req, &err);
                return;
        }
        size_t i;
        json_t *img;
        json_array_foreach(v, i, img)
        {
                add_legacy_sizes(req, img);
                add_legacy_none(req, img);
        }
        reply_json(req, MHD_HTTP_OK, v);
}

void images_inspect(struct request *req)
{
        struct kerr err = {0};
        json_t *v = image_inspect(req->engine, req_param(req, 0), &err);
        if (!v) {
                reply_error(req, &err);
                return;
        }
        add_legacy_sizes(req, v);
        if (!api_version_at_least(req->version, 1, 45))
                json_set_str(v, "Container", "");
        reply_json(req, MHD_HTTP_OK, v);
}

void images_history(struct request *req)
{
        struct kerr err = {0};
        json_t *v = image_history(req->engine, req_param(req, 0), &err);
        if (!v)
                reply_error(req, &err);
        else
                reply_json(req, MHD_HTTP_OK, v);
}

void images_tag(struct request *req)
{
        struct kerr err = {0};
        if (image_tag(req->engine, req_param(req, 0), req_query(req, "repo"), req_query(req, "tag"),
                      &err) < 0)
                reply_error(req, &err);
        else
                reply_empty(req, MHD_HTTP_CREATED);
}

void images_remove(struct request *req)
{
        struct kerr err = {0};
        json_t *v =
            image_remove(req->engine, req_param(req, 0), req_query_bool(req, "force", false),
                         req_query_bool(req, "noprune", false), &err);
        if (!v)
                reply_error(req, &err);
        else
                reply_json(req, MHD_HTTP_OK, v);
}

void images_prune(struct request *req)
{
        struct kerr err = {0};
        json_t *v = image_prune(req->engine, req_query(req, "filters"), &err);
        if (!v)
                reply_error(req, &err);
        else
                reply_json(req, MHD_HTTP_OK, v);
}

static ssize_t save_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
        (void)pos;
        ssize_t n = image_save_read(cls, buf, max);
        if (n < 0)
                return MHD_CONTENT_READER_END_WITH_ERROR;
        return n == 0 ? MHD_CONTENT_READER_END_OF_STREAM : n;
}

static void save_free(void *cls)
{
        image_save_free(cls);
}

void images_save(struct request *req)
{
        struct query_values names;
        const char *one[2] = {req_param(req, 0), NULL};
        query_all(req, "names", &names);
        const char *const *list = one[0] ? one : names.vals;
        size_t n = one[0] ? 1 : names.n;
        struct kerr err = {0};
        struct image_save *s = n ? image_save_open(req->engine, list, n, &err) : NULL;
        free(names.vals);
        if (!n) {
                reply_errorf(req, KERR_INVALID, "no image names given");
                return;
        }
        if (!s) {
                reply_error(req, &err);
                return;
        }
        reply_stream(req, MHD_HTTP_OK, "application/x-tar", MHD_SIZE_UNKNOWN, save_reader, s,
                     save_free);
}
