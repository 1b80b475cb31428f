/* container-mounts.c - what a container mounts besides its root: -v binds
 * (HostConfig.Binds), --mount (HostConfig.Mounts) and --tmpfs
 * (HostConfig.Tmpfs). Checked at create with dockerd's words, turned into
 * OCI mounts at every start. kedge has no volumes yet (their issue adds
 * them), so every form of one is refused rather than faked with an empty
 * directory. */
#include "container-mounts.h"

#include "base/cleanup.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/xalloc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A tmpfs larger than this is a typo, and sizes stay far from overflow. */
#define TMPFS_SIZE_MAX (1LL << 50)

struct mspec {
        const char *type; /* "bind" or "tmpfs" */
        char *src, *dst;
        bool ro, recursive, create;
        const char *propagation; /* "rprivate" unless given */
        long long size;          /* tmpfs bytes, 0 = default */
        unsigned mode;           /* tmpfs mode, 0 = default */
        const char *flag_data;   /* --tmpfs: its options text (borrowed) */
};

static void mspec_release(struct mspec *m)
{
        free(m->src);
        free(m->dst);
}

static const char *const propagations[] = {"private", "rprivate", "shared",
                                           "rshared", "slave",    "rslave"};

static const char *propagation_find(const char *s)
{
        for (size_t i = 0; i < ARRAY_SIZE(propagations); i++)
                if (strcmp(s, propagations[i]) == 0)
                        return propagations[i];
        return NULL;
}

static int mount_invalid(struct kerr *err, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int mount_invalid(struct kerr *err, const char *type, const char *fmt, ...)
{
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return kerr_set(err, KERR_INVALID, EINVAL, "invalid mount config for type \"%s\": %s", type,
                        msg);
}

static int no_volumes(struct kerr *err, const char *what, const char *where)
{
        return kerr_set(err, KERR_INVALID, ENOTSUP,
                        "kedge does not support volumes yet: %s '%s' (use a bind mount of a host "
                        "directory)",
                        what, where);
}

/* -v's third part: ro, rw, a propagation mode, and SELinux's z/Z and
 * nocopy, which change nothing here (no SELinux labels, no volume to copy
 * into), as with dockerd on a host without SELinux. */
static int bind_mode_parse(char *mode, struct mspec *m, struct kerr *err)
{
        for (char *save = NULL, *o = strtok_r(mode, ",", &save); o;
             o = strtok_r(NULL, ",", &save)) {
                if (strcmp(o, "ro") == 0 || strcmp(o, "rw") == 0)
                        m->ro = o[1] == 'o';
                else if (propagation_find(o))
                        m->propagation = propagation_find(o);
                else if (strcmp(o, "z") != 0 && strcmp(o, "Z") != 0 && strcmp(o, "nocopy") != 0)
                        return kerr_set(err, KERR_INVALID, EINVAL, "invalid mode: %s", o);
        }
        return 0;
}

static int bind_parse(const char *spec, struct mspec *m, struct kerr *err)
{
        *m = (struct mspec){.type = "bind", .recursive = true, .propagation = "rprivate"};
        if (!spec || !spec[0])
                return kerr_set(err, KERR_INVALID, EINVAL, "invalid volume specification: ''");
        _cleanup_free_ char *copy = xstrdup(spec);
        char *dst = strchr(copy, ':');
        if (!dst)
                return no_volumes(err, "anonymous volume", spec);
        *dst++ = 0;
        char *mode = strchr(dst, ':');
        if (mode)
                *mode++ = 0;
        if (copy[0] != '/')
                return no_volumes(err, "named volume", copy);
        if (dst[0] != '/')
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "invalid volume specification: '%s': invalid mount config for type "
                                "\"bind\": invalid mount path: '%s' mount path must be absolute",
                                spec, dst);
        if (mode && bind_mode_parse(mode, m, err) < 0)
                return -EINVAL;
        m->src = xstrdup(copy);
        m->dst = xstrdup(dst);
        m->create = true; /* dockerd creates a missing -v source directory */
        return 0;
}

static int bind_options_parse(json_t *o, struct mspec *m, struct kerr *err)
{
        if (!o || json_is_null(o))
                return 0;
        if (!json_is_object(o))
                return mount_invalid(err, "bind", "BindOptions must be an object");
        const char *p = json_get_str(o, "Propagation");
        if (p && p[0] && !(m->propagation = propagation_find(p)))
                return kerr_set(err, KERR_INVALID, EINVAL, "invalid propagation mode: %s", p);
        if (!m->propagation)
                m->propagation = "rprivate";
        m->recursive = !json_is_true(json_object_get(o, "NonRecursive"));
        m->create = json_is_true(json_object_get(o, "CreateMountpoint"));
        static const char *const refused[] = {"ReadOnlyNonRecursive", "ReadOnlyForceRecursive"};
        for (size_t i = 0; i < ARRAY_SIZE(refused); i++)
                if (json_is_true(json_object_get(o, refused[i])))
                        return kerr_set(err, KERR_INVALID, ENOTSUP,
                                        "kedge does not support BindOptions.%s yet", refused[i]);
        return 0;
}

static int tmpfs_options_parse(json_t *o, struct mspec *m, struct kerr *err)
{
        if (!o || json_is_null(o))
                return 0;
        json_t *size = json_object_get(o, "SizeBytes"), *mode = json_object_get(o, "Mode");
        if (size && !json_is_null(size) &&
            (!json_is_integer(size) || json_integer_value(size) < 0 ||
             json_integer_value(size) > TMPFS_SIZE_MAX))
                return mount_invalid(err, "tmpfs",
                                     "invalid TmpfsOptions.SizeBytes: want bytes from 0 to %lld",
                                     TMPFS_SIZE_MAX);
        if (mode && !json_is_null(mode) &&
            (!json_is_integer(mode) || json_integer_value(mode) < 0 ||
             json_integer_value(mode) > 07777))
                return mount_invalid(err, "tmpfs", "invalid TmpfsOptions.Mode: want 0 to 07777");
        if (json_array_size(json_object_get(o, "Options")) > 0)
                return kerr_set(err, KERR_INVALID, ENOTSUP,
                                "kedge does not support TmpfsOptions.Options yet");
        m->size = json_integer_value(size);
        m->mode = (unsigned)json_integer_value(mode);
        return 0;
}

/* The fields one type must not carry, in dockerd's words. */
static int extra_fields(json_t *j, const char *type, const char *const *fields, size_t n,
                        struct kerr *err)
{
        for (size_t i = 0; i < n; i++) {
                json_t *v = json_object_get(j, fields[i]);
                if (v && !json_is_null(v) && !(json_is_string(v) && !json_string_length(v)))
                        return mount_invalid(err, type, "field %s must not be specified",
                                             fields[i]);
        }
        return 0;
}

static int mount_entry_parse(json_t *j, struct mspec *m, struct kerr *err)
{
        *m = (struct mspec){.recursive = true, .propagation = "rprivate"};
        const char *type = json_get_str(j, "Type"), *src = json_get_str(j, "Source");
        const char *dst = json_get_str(j, "Target"), *cons = json_get_str(j, "Consistency");
        if (!json_is_object(j) || !type)
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "invalid mount config: want an object "
                                "with a Type");
        if (strcmp(type, "volume") == 0)
                return no_volumes(err, src && src[0] ? "named volume" : "anonymous volume",
                                  src && src[0] ? src : (dst ? dst : ""));
        if (strcmp(type, "bind") != 0 && strcmp(type, "tmpfs") != 0)
                return kerr_set(err, KERR_INVALID, ENOTSUP,
                                "invalid mount config: kedge does not support mount type '%s'",
                                type);
        m->type = strcmp(type, "bind") == 0 ? "bind" : "tmpfs";
        if (!dst || !dst[0])
                return mount_invalid(err, type, "field Target must not be empty");
        if (dst[0] != '/')
                return mount_invalid(err, type,
                                     "invalid mount path: '%s' mount path must be absolute", dst);
        if (cons && cons[0] && strcmp(cons, "default") != 0 && strcmp(cons, "consistent") != 0 &&
            strcmp(cons, "cached") != 0 && strcmp(cons, "delegated") != 0)
                return mount_invalid(err, type, "invalid Consistency: %s", cons);
        m->ro = json_is_true(json_object_get(j, "ReadOnly"));
        if (m->type[0] == 'b') {
                static const char *const no[] = {"VolumeOptions", "TmpfsOptions", "ImageOptions"};
                if (extra_fields(j, type, no, ARRAY_SIZE(no), err) < 0 ||
                    bind_options_parse(json_object_get(j, "BindOptions"), m, err) < 0)
                        return -EINVAL;
                if (!src || !src[0])
                        return mount_invalid(err, type, "field Source must not be empty");
                if (src[0] != '/')
                        return mount_invalid(
                            err, type, "invalid mount path: '%s' mount path must be absolute", src);
                if (!m->create && access(src, F_OK) < 0)
                        return mount_invalid(err, type, "bind source path does not exist: %s", src);
        } else {
                static const char *const no[] = {"Source", "VolumeOptions", "BindOptions",
                                                 "ImageOptions"};
                if (extra_fields(j, type, no, ARRAY_SIZE(no), err) < 0 ||
                    tmpfs_options_parse(json_object_get(j, "TmpfsOptions"), m, err) < 0)
                        return -EINVAL;
        }
        m->src = xstrdup(src && src[0] ? src : "tmpfs");
        m->dst = xstrdup(dst);
        return 0;
}

/* Calls fn for each mount of the three kinds, in Docker's order (binds,
 * mounts, tmpfs); stops at the first error. */
typedef int (*mspec_fn)(const struct mspec *m, void *ctx, struct kerr *err);
static int mounts_each(const json_t *hc, mspec_fn fn, void *ctx, struct kerr *err)
{
        size_t i;
        json_t *v;
        int r = 0;
        json_array_foreach(json_object_get(hc, "Binds"), i, v)
        {
                struct mspec m;
                r = bind_parse(json_string_value(v), &m, err);
                if (r == 0)
                        r = fn(&m, ctx, err);
                mspec_release(&m);
                if (r < 0)
                        return r;
        }
        json_array_foreach(json_object_get(hc, "Mounts"), i, v)
        {
                struct mspec m;
                r = mount_entry_parse(v, &m, err);
                if (r == 0)
                        r = fn(&m, ctx, err);
                mspec_release(&m);
                if (r < 0)
                        return r;
        }
        const char *dst;
        json_object_foreach(json_object_get(hc, "Tmpfs"), dst, v)
        {
                if (dst[0] != '/' || !json_is_string(v))
                        return kerr_set(err, KERR_INVALID, EINVAL, "invalid tmpfs mount '%s'", dst);
                struct mspec m = {
                    .type = "tmpfs", .dst = (char *)dst, .flag_data = json_string_value(v)};
                if ((r = fn(&m, ctx, err)) < 0)
                        return r;
        }
        return 0;
}

static int check_one(const struct mspec *m, void *ctx, struct kerr *err)
{
        json_t *seen = ctx;
        if (json_object_get(seen, m->dst))
                return kerr_set(err, KERR_INVALID, EINVAL, "Duplicate mount point: %s", m->dst);
        json_object_set_new(seen, m->dst, json_true());
        return 0;
}

/* A path in Config.Volumes that a bind or tmpfs mount covers is no
 * anonymous volume: docker-py lists every bind's target there, and dockerd
 * mounts the bind. */
static bool covered(const json_t *targets, const char *path)
{
        size_t n = strlen(path);
        while (n > 1 && path[n - 1] == '/')
                n--;
        const char *t;
        json_t *v;
        json_object_foreach((json_t *)targets, t,
                            v) if (strlen(t) == n && strncmp(t, path, n) == 0) return true;
        return false;
}

/* docker-py (its _host_volume_from_bind) lists a bind "src:/ctr:ro" in
 * Config.Volumes as "/ctr:ro".rstrip(":ro").rstrip(":rw") = "/ct": a
 * character set, not a suffix, is stripped. dockerd then makes an empty
 * anonymous volume at /ct nobody asked for; kedge makes nothing there and
 * says so in a warning, instead of refusing every such docker-py run. */
static bool docker_py_mangled(const json_t *hc, const char *path)
{
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(hc, "Binds"), i, v)
        {
                const char *b = json_string_value(v);
                const char *rest = b ? strchr(b, ':') : NULL;
                if (!rest || strcmp(rest + 1, "ro") == 0 || strcmp(rest + 1, "rw") == 0)
                        continue;
                rest++;
                size_t n = strlen(rest);
                while (n > 0 && strchr(":ro", rest[n - 1]))
                        n--;
                while (n > 0 && strchr(":rw", rest[n - 1]))
                        n--;
                if (strlen(path) == n && strncmp(path, rest, n) == 0)
                        return true;
        }
        return false;
}

int container_mounts_check(const json_t *config, const json_t *hc, json_t *warnings,
                           struct kerr *err)
{
        json_t *b = json_object_get(hc, "Binds"), *mo = json_object_get(hc, "Mounts");
        json_t *t = json_object_get(hc, "Tmpfs");
        if ((b && !json_is_null(b) && !json_is_array(b)) ||
            (mo && !json_is_null(mo) && !json_is_array(mo)) ||
            (t && !json_is_null(t) && !json_is_object(t)))
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "invalid type for Binds, Mounts or Tmpfs");
        _cleanup_json_ json_t *seen = json_object();
        int r = mounts_each(hc, check_one, seen, err);
        if (r < 0)
                return r;
        const char *anon;
        json_t *v;
        json_object_foreach(json_object_get(config, "Volumes"), anon, v)
        {
                if (covered(seen, anon))
                        continue;
                if (!docker_py_mangled(hc, anon))
                        return no_volumes(err, "anonymous volume", anon);
                char w[512];
                snprintf(w, sizeof(w),
                         "kedge has no volumes yet: nothing is mounted at %.400s (docker-py's "
                         "name for a bind's target)",
                         anon);
                json_array_append_new(warnings, json_string(w));
        }
        return 0;
}

bool container_mounts_cover(const json_t *hc, const char *path)
{
        _cleanup_json_ json_t *seen = json_object();
        struct kerr err = {0};
        mounts_each(hc, check_one, seen, &err);
        return covered(seen, path);
}

static void add_mount(json_t *mounts, const char *dst, const char *type, const char *src,
                      json_t *options)
{
        json_array_append_new(mounts, json_pack("{ss ss ss so}", "destination", dst, "type", type,
                                                "source", src, "options", options));
}

static json_t *tmpfs_options(const struct mspec *m)
{
        json_t *opts = json_pack("[sss]", "nosuid", "nodev", "noexec");
        for (const char *p = m->flag_data ? m->flag_data : ""; *p;) {
                size_t n = strcspn(p, ",");
                if (n)
                        json_array_append_new(opts, json_stringn(p, n));
                p += n + (p[n] == ',');
        }
        if (m->size > 0)
                json_array_append_new(opts, json_sprintf("size=%lld", m->size));
        if (m->mode)
                json_array_append_new(opts, json_sprintf("mode=%o", m->mode));
        if (m->ro)
                json_array_append_new(opts, json_string("ro"));
        return opts;
}

static int add_one(const struct mspec *m, void *ctx, struct kerr *err)
{
        json_t *mounts = ctx;
        if (strcmp(m->type, "tmpfs") == 0) {
                add_mount(mounts, m->dst, "tmpfs", "tmpfs", tmpfs_options(m));
                return 0;
        }
        /* dockerd creates a missing -v source directory (not for --mount,
         * unless CreateMountpoint). */
        int r = m->create && access(m->src, F_OK) < 0 ? fs_mkdir_p(m->src, 0755) : 0;
        if (r < 0)
                return kerr_set(err, KERR_INVALID, r, "create bind source '%s': %s", m->src,
                                strerror(-r));
        json_t *opts = json_pack("[ss]", m->recursive ? "rbind" : "bind", m->propagation);
        /* dockerd (25+) makes a recursive bind read-only all the way down:
         * "rro", which runc 1.1 and the built-in runtime carry out. */
        if (m->ro)
                json_array_append_new(opts, json_string(m->recursive ? "rro" : "ro"));
        add_mount(mounts, m->dst, "bind", m->src, opts);
        return 0;
}

int container_mounts_add(json_t *mounts, const json_t *hc, struct kerr *err)
{
        return mounts_each(hc, add_one, mounts, err);
}

static int inspect_one(const struct mspec *m, void *ctx, struct kerr *err)
{
        (void)err;
        json_t *out = ctx;
        if (m->flag_data) /* dockerd lists --tmpfs in HostConfig.Tmpfs only */
                return 0;
        bool bind = strcmp(m->type, "bind") == 0;
        json_array_append_new(out, json_pack("{ss ss ss ss sb ss}", "Type", m->type, "Source",
                                             bind ? m->src : "", "Destination", m->dst, "Mode",
                                             bind && m->ro ? "ro" : "", "RW", !m->ro, "Propagation",
                                             bind ? m->propagation : ""));
        return 0;
}

json_t *container_mounts_inspect(const json_t *hc)
{
        json_t *out = json_array();
        struct kerr err = {0};
        /* Checked at create; a record from before that check shows what parses. */
        mounts_each(hc, inspect_one, out, &err);
        return out;
}
