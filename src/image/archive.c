#include "archive.h"

#include "reference.h"

#include "base/cleanup.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/path.h"
#include "base/xalloc.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define ARCHIVE_FILES_MAX 100000
#define ARCHIVE_JSON_MAX  (16u * 1024 * 1024)
#define COPY_BUF          (256 * 1024)

/* One regular file of the outer tar as it streams by: every byte read is
 * hashed and written to its scratch copy, whoever reads it. */
struct entry_src {
        struct archive *ar;
        int fd;
        struct digester *d;
        char *buf;
        int64_t size;
        int error; /* the first failure: -EIO for the archive, else the write's */
};

static ssize_t entry_read(void *cls, const void **ret_buf)
{
        struct entry_src *s = cls;
        *ret_buf = s->buf;
        if (s->error < 0)
                return s->error;
        la_ssize_t n = archive_read_data(s->ar, s->buf, COPY_BUF);
        if (n < 0)
                return s->error = -EIO;
        if (n > 0) {
                digester_update(s->d, s->buf, (size_t)n);
                int r = fs_write_all(s->fd, s->buf, (size_t)n);
                if (r < 0)
                        return s->error = r;
                s->size += n;
        }
        return n;
}

static int copy_entry(struct image_archive *a, struct archive *ar, struct archive_entry *e, int fd,
                      struct image_archive_file *f, char *buf)
{
        _cleanup_(digester_freep) struct digester *d = digester_new();
        struct entry_src s = {.ar = ar, .fd = fd, .d = d, .buf = buf};
        if (a->hook)
                a->hook(a->hook_cls, f, archive_entry_size(e), entry_read, &s);
        const void *ignore;
        ssize_t n;
        while ((n = entry_read(&s, &ignore)) > 0)
                ;
        if (n < 0)
                return (int)n;
        f->size = s.size;
        digester_final(d, f->digest);
        return 0;
}

static int add_file(struct image_archive *a, struct archive *ar, struct archive_entry *e, char *buf,
                    struct kerr *err)
{
        const char *raw = archive_entry_pathname(e);
        mode_t type = archive_entry_filetype(e);
        if (type == AE_IFDIR)
                return 0;
        _cleanup_free_ char *name = raw ? path_normalize(raw, false) : NULL;
        if (!name || !name[0])
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "refusing archive entry '%s': path escapes the archive root",
                                raw ? raw : "");
        if (type != AE_IFREG && type != AE_IFLNK)
                return 0; /* nothing in an image archive needs other types */
        if (a->nfiles >= ARCHIVE_FILES_MAX)
                return kerr_set(err, KERR_INVALID, E2BIG, "image archive has too many files");
        a->files = xrealloc(a->files, (a->nfiles + 1) * sizeof(*a->files));
        struct image_archive_file *f = &a->files[a->nfiles];
        *f = (struct image_archive_file){.name = TAKE_PTR(name)};
        a->nfiles++;
        if (type == AE_IFLNK) {
                f->link = xstrdup(archive_entry_symlink(e) ? archive_entry_symlink(e) : "");
                return 0;
        }
        snprintf(f->tmp, sizeof(f->tmp), "f%zu", a->nfiles);
        _cleanup_close_ int fd =
            openat(a->dirfd, f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return kerr_set(err, KERR_INTERNAL, errno, "cannot write scratch file: %s",
                                strerror(errno));
        int r = copy_entry(a, ar, e, fd, f, buf);
        if (r == -EIO)
                return kerr_set(err, KERR_INVALID, EIO, "image archive entry '%s' is truncated: %s",
                                f->name, archive_error_string(ar));
        if (r < 0)
                return kerr_set(err, KERR_INTERNAL, r, "cannot write scratch file: %s",
                                strerror(-r));
        return 0;
}

int image_archive_read(int srcfd, int dirfd, image_archive_hook hook, void *cls,
                       struct image_archive *ret, struct kerr *err)
{
        struct image_archive a = {.dirfd = dirfd, .hook = hook, .hook_cls = cls};
        struct archive *ar = archive_read_new();
        archive_read_support_filter_all(ar);
        archive_read_support_format_tar(ar);
        archive_read_support_format_gnutar(ar);
        _cleanup_free_ char *buf = xmalloc(COPY_BUF);
        int r = 0;
        if (archive_read_open_fd(ar, srcfd, COPY_BUF) != ARCHIVE_OK)
                r = kerr_set(err, KERR_INVALID, EINVAL, "not an image archive: %s",
                             archive_error_string(ar));
        struct archive_entry *e;
        while (r == 0) {
                int s = archive_read_next_header(ar, &e);
                if (s == ARCHIVE_EOF)
                        break;
                if (s != ARCHIVE_OK && s != ARCHIVE_WARN)
                        r = kerr_set(err, KERR_INVALID, EINVAL,
                                     "image archive is truncated or not a tar archive: %s",
                                     archive_error_string(ar));
                else
                        r = add_file(&a, ar, e, buf, err);
        }
        archive_read_free(ar);
        if (r < 0) {
                image_archive_release(&a);
                return r;
        }
        *ret = a;
        return 0;
}

void image_archive_release(struct image_archive *a)
{
        for (size_t i = 0; i < a->nfiles; i++) {
                free(a->files[i].name);
                free(a->files[i].link);
        }
        free(a->files);
        a->files = NULL;
        a->nfiles = 0;
}

static const struct image_archive_file *find_exact(const struct image_archive *a, const char *name)
{
        for (size_t i = 0; i < a->nfiles; i++)
                if (strcmp(a->files[i].name, name) == 0)
                        return &a->files[i];
        return NULL;
}

/* dir + "/" + link with "." and ".." applied; NULL when ".." would leave
 * the archive root. */
static char *join_link(const char *cur, const char *link)
{
        const char *slash = strrchr(cur, '/');
        _cleanup_free_ char *joined =
            xasprintf("%.*s/%s", slash ? (int)(slash - cur) : 0, cur, link);
        char *out = xmalloc(strlen(joined) + 1);
        size_t o = 0;
        for (const char *p = joined; *p;) {
                while (*p == '/')
                        p++;
                size_t n = strcspn(p, "/");
                if (n == 2 && p[0] == '.' && p[1] == '.') {
                        if (o == 0) {
                                free(out);
                                return NULL;
                        }
                        while (o > 0 && out[o - 1] != '/')
                                o--;
                        if (o > 0)
                                o--;
                } else if (n > 0 && !(n == 1 && p[0] == '.')) {
                        if (o > 0)
                                out[o++] = '/';
                        memcpy(out + o, p, n);
                        o += n;
                }
                p += n;
        }
        out[o] = 0;
        return out;
}

const struct image_archive_file *image_archive_find(const struct image_archive *a, const char *name)
{
        _cleanup_free_ char *cur = path_normalize(name, false);
        for (int hops = 0; cur && hops < 8; hops++) {
                const struct image_archive_file *f = find_exact(a, cur);
                if (!f || !f->link)
                        return f;
                /* Legacy saves link duplicate layers: "../<id>/layer.tar". */
                char *next = join_link(cur, f->link);
                free(cur);
                cur = next;
        }
        return NULL;
}

/* Reads a small JSON file of the archive; ret_raw gets the bytes when asked. */
static int read_json(const struct image_archive *a, const struct image_archive_file *f,
                     json_t **ret, char **ret_raw, struct kerr *err)
{
        if ((uint64_t)f->size > ARCHIVE_JSON_MAX)
                return kerr_set(err, KERR_INVALID, EFBIG, "'%s' is too large", f->name);
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r = fs_read_at(a->dirfd, f->tmp, ARCHIVE_JSON_MAX, &data, &len);
        if (r < 0)
                return kerr_set(err, KERR_INTERNAL, r, "cannot read '%s': %s", f->name,
                                strerror(-r));
        json_error_t jerr;
        json_t *v = json_loadb(data, len, 0, &jerr);
        if (!v)
                return kerr_set(err, KERR_INVALID, EINVAL, "'%s' is not valid JSON: %s", f->name,
                                jerr.text);
        *ret = v;
        if (ret_raw)
                *ret_raw = TAKE_PTR(data);
        return 0;
}

void image_plans_free(struct image_plan *p, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(p[i].config);
                for (size_t t = 0; t < p[i].ntags; t++)
                        free(p[i].tags[t]);
                free(p[i].tags);
                free(p[i].layers);
        }
        free(p);
}

struct planner {
        const struct image_archive *a;
        struct image_plan *plans;
        size_t n;
        struct kerr *err;
};

/* The digest a file's name promises: blobs/sha256/<hex> or <hex>.json. */
static bool name_digest(const char *name, char out[DIGEST_STR_LEN + 1])
{
        const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
        size_t n = strcspn(base, ".");
        if (!digest_hex_valid(base, n) || (base[n] && strcmp(base + n, ".json") != 0))
                return false;
        snprintf(out, DIGEST_STR_LEN + 1, "sha256:%.*s", (int)n, base);
        return true;
}

static int find_checked(struct planner *p, const char *name, const char *want,
                        const struct image_archive_file **ret)
{
        const struct image_archive_file *f = image_archive_find(p->a, name);
        if (!f || f->link)
                return kerr_set(p->err, KERR_INVALID, ENOENT,
                                "'%s' is referenced but not in the archive", name);
        char named[DIGEST_STR_LEN + 1];
        if (!want && name_digest(f->name, named))
                want = named;
        if (want && strcmp(want, f->digest) != 0)
                return kerr_set(p->err, KERR_INVALID, EINVAL,
                                "refusing archive entry '%s': digest mismatch (expected %s, "
                                "content is %s)",
                                f->name, want, f->digest);
        *ret = f;
        return 0;
}

static int add_tag(struct image_plan *ip, const char *tag, struct kerr *err)
{
        struct image_ref ref;
        int r = image_ref_parse(tag, IMAGE_REF_DEFAULT_TAG, &ref, err);
        if (r < 0)
                return kerr_wrap(err, "tag '%s' in archive", tag);
        ip->tags = xrealloc(ip->tags, (ip->ntags + 1) * sizeof(char *));
        ip->tags[ip->ntags++] = image_ref_string(&ref);
        image_ref_release(&ref);
        return 0;
}

/* Starts a plan from a config file: reads it and its promised diff IDs. */
static int plan_config(struct planner *p, const struct image_archive_file *cf, size_t nlayers,
                       struct image_plan *ip)
{
        _cleanup_json_ json_t *cfg = NULL;
        int r = read_json(p->a, cf, &cfg, &ip->config, p->err);
        if (r < 0)
                return r;
        ip->config_len = (size_t)cf->size;
        memcpy(ip->id, cf->digest, sizeof(ip->id));
        json_t *diff_ids = json_object_get(json_object_get(cfg, "rootfs"), "diff_ids");
        if (!json_is_array(diff_ids) || json_array_size(diff_ids) != nlayers)
                return kerr_set(p->err, KERR_INVALID, EINVAL,
                                "config '%s' lists %zu diff IDs for %zu layers", cf->name,
                                json_array_size(diff_ids), nlayers);
        ip->layers = xzalloc((nlayers ? nlayers : 1) * sizeof(*ip->layers));
        ip->nlayers = nlayers;
        for (size_t i = 0; i < nlayers; i++) {
                const char *d = json_string_value(json_array_get(diff_ids, i));
                if (!d || !digest_valid(d))
                        return kerr_set(p->err, KERR_INVALID, EINVAL,
                                        "config '%s' has an invalid diff ID", cf->name);
                memcpy(ip->layers[i].diff_id, d, DIGEST_STR_LEN + 1);
        }
        return 0;
}

static struct image_plan *plan_new(struct planner *p)
{
        p->plans = xrealloc(p->plans, (p->n + 1) * sizeof(*p->plans));
        struct image_plan *ip = &p->plans[p->n++];
        *ip = (struct image_plan){0};
        return ip;
}

/* One manifest.json entry: {"Config", "RepoTags", "Layers"}. */
static int plan_legacy_entry(struct planner *p, json_t *m)
{
        const char *config = json_get_str(m, "Config");
        json_t *layers = json_object_get(m, "Layers");
        if (!config || !json_is_array(layers))
                return kerr_set(p->err, KERR_INVALID, EINVAL,
                                "manifest.json entry lacks Config or Layers");
        const struct image_archive_file *cf;
        int r = find_checked(p, config, NULL, &cf);
        if (r < 0)
                return r;
        struct image_plan *ip = plan_new(p);
        r = plan_config(p, cf, json_array_size(layers), ip);
        for (size_t i = 0; r == 0 && i < ip->nlayers; i++) {
                const char *l = json_string_value(json_array_get(layers, i));
                r = l ? find_checked(p, l, NULL, &ip->layers[i].blob)
                      : kerr_set(p->err, KERR_INVALID, EINVAL,
                                 "manifest.json layer is not a string");
        }
        size_t ti;
        json_t *t;
        json_array_foreach(json_object_get(m, "RepoTags"), ti, t)
        {
                if (r == 0 && json_is_string(t))
                        r = add_tag(ip, json_string_value(t), p->err);
        }
        return r;
}

static int blob_of(struct planner *p, json_t *desc, const struct image_archive_file **ret)
{
        const char *d = json_get_str(desc, "digest");
        if (!d || !digest_valid(d))
                return kerr_set(p->err, KERR_INVALID, EINVAL, "descriptor with invalid digest");
        _cleanup_free_ char *name = xasprintf("blobs/sha256/%s", d + 7);
        return find_checked(p, name, d, ret);
}

static bool is_index(const char *mt)
{
        return mt && (strstr(mt, "image.index") || strstr(mt, "manifest.list"));
}

static int plan_oci_desc(struct planner *p, json_t *desc, const char *tag, int depth);

static int plan_oci_index(struct planner *p, json_t *index, const char *tag, int depth)
{
        size_t i;
        json_t *d;
        json_array_foreach(json_object_get(index, "manifests"), i, d)
        {
                const char *ann =
                    json_get_str(json_object_get(d, "annotations"), "io.containerd.image.name");
                const char *os = json_get_str(json_object_get(d, "platform"), "os");
                if (depth > 0 && os && strcmp(os, "linux") != 0)
                        continue;
                int r = plan_oci_desc(p, d, ann ? ann : tag, depth + 1);
                /* A nested index (multi-platform image): its first Linux
                 * manifest is the image. */
                if (r < 0 || depth > 0)
                        return r;
        }
        return 0;
}

static int plan_oci_manifest(struct planner *p, json_t *m, const char *tag)
{
        json_t *layers = json_object_get(m, "layers");
        const struct image_archive_file *cf;
        int r = blob_of(p, json_object_get(m, "config"), &cf);
        if (r < 0)
                return r;
        struct image_plan *ip = plan_new(p);
        r = plan_config(p, cf, json_array_size(layers), ip);
        for (size_t i = 0; r == 0 && i < ip->nlayers; i++)
                r = blob_of(p, json_array_get(layers, i), &ip->layers[i].blob);
        if (r == 0 && tag)
                r = add_tag(ip, tag, p->err);
        return r;
}

static int plan_oci_desc(struct planner *p, json_t *desc, const char *tag, int depth)
{
        if (depth > 3)
                return kerr_set(p->err, KERR_INVALID, ELOOP, "image index nested too deeply");
        const struct image_archive_file *f;
        int r = blob_of(p, desc, &f);
        if (r < 0)
                return r;
        _cleanup_json_ json_t *v = NULL;
        r = read_json(p->a, f, &v, NULL, p->err);
        if (r < 0)
                return r;
        const char *mt = json_get_str(v, "mediaType");
        if (!mt)
                mt = json_get_str(desc, "mediaType");
        if (is_index(mt) || json_is_array(json_object_get(v, "manifests")))
                return plan_oci_index(p, v, tag, depth);
        return plan_oci_manifest(p, v, tag);
}

int image_archive_plan(const struct image_archive *a, struct image_plan **ret, size_t *ret_n,
                       struct kerr *err)
{
        struct planner p = {.a = a, .err = err};
        const struct image_archive_file *f;
        _cleanup_json_ json_t *top = NULL;
        int r;
        if ((f = image_archive_find(a, "manifest.json"))) {
                r = read_json(a, f, &top, NULL, err);
                size_t i;
                json_t *m;
                json_array_foreach(top, i, m)
                {
                        if (r == 0)
                                r = plan_legacy_entry(&p, m);
                }
        } else if ((f = image_archive_find(a, "index.json"))) {
                r = read_json(a, f, &top, NULL, err);
                if (r == 0)
                        r = plan_oci_index(&p, top, NULL, 0);
        } else {
                r = kerr_set(err, KERR_INVALID, EINVAL,
                             "not an image archive: it has neither manifest.json nor index.json");
        }
        if (r == 0 && p.n == 0)
                r = kerr_set(err, KERR_INVALID, EINVAL, "the archive holds no image");
        if (r < 0) {
                image_plans_free(p.plans, p.n);
                return r;
        }
        *ret = p.plans;
        *ret_n = p.n;
        return 0;
}
