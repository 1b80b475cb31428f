/* image-import.c - docker import: a root file system tar becomes a
 * one-layer image whose config is built here, with Dockerfile-style
 * --change instructions applied. It reuses load's two phases by building
 * a small archive plan in memory. */
#include "image-internal.h"

#include "base/fs.h"
#include "base/json.h"
#include "base/xalloc.h"
#include "image/reference.h"
#include "image/unpack.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* CMD/ENTRYPOINT: JSON array form, else shell form. */
static json_t *command_of(const char *arg)
{
        json_t *v = json_loads(arg, 0, NULL);
        if (json_is_array(v))
                return v;
        json_decref(v);
        return json_pack("[sss]", "/bin/sh", "-c", arg);
}

/* "k=v k2=v2" or the legacy "k v". */
static void add_pairs(json_t *obj, const char *arg, bool env, json_t *envs)
{
        if (!strchr(arg, '=')) {
                const char *sp = strchr(arg, ' ');
                _cleanup_free_ char *k = sp ? xstrndup(arg, (size_t)(sp - arg)) : xstrdup(arg);
                const char *v = sp ? sp + 1 : "";
                if (env)
                        json_array_append_new(envs, json_sprintf("%s=%s", k, v));
                else
                        json_set_str(obj, k, v);
                return;
        }
        _cleanup_free_ char *copy = xstrdup(arg);
        char *save = NULL;
        for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
                char *eq = strchr(t, '=');
                if (!eq)
                        continue;
                *eq = 0;
                size_t vl = strlen(eq + 1);
                if (vl >= 2 && eq[1] == '"' && eq[vl] == '"') {
                        eq[vl] = 0;
                        eq++;
                }
                if (env)
                        json_array_append_new(envs, json_sprintf("%s=%s", t, eq + 1));
                else
                        json_set_str(obj, t, eq + 1);
        }
}

static json_t *obj_of(json_t *cfg, const char *key)
{
        json_t *o = json_object_get(cfg, key);
        if (!json_is_object(o)) {
                o = json_object();
                json_object_set_new(cfg, key, o);
        }
        return o;
}

static int apply_change(json_t *cfg, const char *change, struct kerr *err)
{
        size_t n = strcspn(change, " \t");
        const char *arg = change + n + strspn(change + n, " \t");
        _cleanup_free_ char *ins = xstrndup(change, n);
        for (char *p = ins; *p; p++)
                *p = (char)toupper((unsigned char)*p);
        if (strcmp(ins, "CMD") == 0 || strcmp(ins, "ENTRYPOINT") == 0)
                json_set(cfg, strcmp(ins, "CMD") == 0 ? "Cmd" : "Entrypoint", command_of(arg));
        else if (strcmp(ins, "ENV") == 0) {
                if (!json_is_array(json_object_get(cfg, "Env")))
                        json_set(cfg, "Env", json_array());
                add_pairs(NULL, arg, true, json_object_get(cfg, "Env"));
        } else if (strcmp(ins, "LABEL") == 0)
                add_pairs(obj_of(cfg, "Labels"), arg, false, NULL);
        else if (strcmp(ins, "WORKDIR") == 0)
                json_set_str(cfg, "WorkingDir", arg);
        else if (strcmp(ins, "USER") == 0)
                json_set_str(cfg, "User", arg);
        else if (strcmp(ins, "EXPOSE") == 0 || strcmp(ins, "VOLUME") == 0) {
                bool expose = ins[0] == 'E';
                json_t *o = obj_of(cfg, expose ? "ExposedPorts" : "Volumes");
                json_t *list = json_loads(arg, 0, NULL);
                if (!json_is_array(list)) {
                        json_decref(list);
                        list = json_pack("[s]", arg);
                }
                size_t i;
                json_t *x;
                json_array_foreach(list, i, x)
                {
                        const char *s = json_string_value(x);
                        if (!s)
                                continue;
                        _cleanup_free_ char *key =
                            expose && !strchr(s, '/') ? xasprintf("%s/tcp", s) : xstrdup(s);
                        json_object_set_new(o, key, json_object());
                }
                json_decref(list);
        } else
                return kerr_set(err, KERR_INVALID, EINVAL, "%s is not a valid change command", ins);
        return 0;
}

static char *now_rfc3339(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        char buf[32];
        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
        return xasprintf("%s.%09ldZ", buf, ts.tv_nsec);
}

static const char *goarch(void)
{
#if defined(__x86_64__)
        return "amd64";
#elif defined(__aarch64__)
        return "arm64";
#else
        return "unknown";
#endif
}

struct import_ctx {
        const struct image_import_opts *o;
        json_t *cfg; /* the container config after --change */
};

static char *make_config(const char *diff_id, void *cls)
{
        struct import_ctx *c = cls;
        _cleanup_free_ char *now = now_rfc3339();
        const char *comment = c->o->message && *c->o->message ? c->o->message : "Imported from -";
        /* The comment goes both on the image (inspect's Comment) and on its
         * one history entry, as Docker's import does. */
        json_t *v = json_pack("{ss ss ss sO ss s{ss s[s]} s[{ss ss ss}]}", "architecture", goarch(),
                              "created", now, "comment", comment, "config", c->cfg, "os", "linux",
                              "rootfs", "type", "layers", "diff_ids", diff_id, "history", "created",
                              now, "created_by", "", "comment", comment);
        char *s = json_to_string(v);
        json_decref(v);
        return s;
}

int image_import(struct engine *e, int fd, const struct image_import_opts *o, char ret_id[72],
                 struct kerr *err)
{
        _cleanup_json_ json_t *cfg = json_object();
        for (size_t i = 0; o->changes && o->changes[i]; i++)
                if (apply_change(cfg, o->changes[i], err) < 0)
                        return -EINVAL;
        _cleanup_free_ char *tag = NULL;
        if (o->repo && *o->repo) {
                struct image_ref ref;
                _cleanup_free_ char *s = xasprintf("%s%s%s", o->repo, o->tag && *o->tag ? ":" : "",
                                                   o->tag && *o->tag ? o->tag : "");
                if (image_ref_parse(s, IMAGE_REF_DEFAULT_TAG, &ref, err) < 0)
                        return -EINVAL;
                tag = image_ref_string(&ref);
                image_ref_release(&ref);
        }
        struct import_ctx c = {.o = o, .cfg = cfg};
        return image_import_commit(e, fd, make_config, &c, tag, ret_id, err);
}
