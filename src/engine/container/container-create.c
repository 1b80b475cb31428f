/* container-create.c - POST /containers/create in engine terms: validate
 * the Docker create body, merge it with the image config as dockerd does,
 * and write the record. */
#include "container-internal.h"
#include "container-mounts.h"
#include "container-options.h"
#include "engine/engine.h"
#include "names.h"

#include "base/timestamp.h"
#include "base/env.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/xalloc.h"
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* Fields of the create body that make up Config (the rest are HostConfig
 * and NetworkingConfig). */
static const char *const config_keys[] = {
    "Hostname",     "Domainname",   "User",        "AttachStdin",     "AttachStdout",
    "AttachStderr", "ExposedPorts", "Tty",         "OpenStdin",       "StdinOnce",
    "Env",          "Cmd",          "Healthcheck", "ArgsEscaped",     "Image",
    "Volumes",      "WorkingDir",   "Entrypoint",  "NetworkDisabled", "MacAddress",
    "OnBuild",      "Labels",       "StopSignal",  "StopTimeout",     "Shell",
};

static void new_id(char out[65])
{
        unsigned char rnd[32];
        if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
                abort();
        for (int i = 0; i < 32; i++)
                snprintf(out + 2 * i, 3, "%02x", rnd[i]);
}

/* Type checks clients get a 400 for, instead of a later surprise. */
static int check_type(json_t *obj, const char *key, json_type want, bool nullable, struct kerr *err)
{
        json_t *v = json_object_get(obj, key);
        if (!v || (nullable && json_is_null(v)) || json_typeof(v) == want ||
            (want == JSON_TRUE && json_is_boolean(v)) ||
            (want == JSON_INTEGER && json_is_number(v)))
                return 0;
        return kerr_set(err, KERR_INVALID, EINVAL, "invalid type for field '%s'", key);
}

static int validate_types(json_t *config, json_t *hc, struct kerr *err)
{
        static const struct {
                const char *key;
                json_type type;
        } cfg[] = {{"Hostname", JSON_STRING},   {"User", JSON_STRING},
                   {"Env", JSON_ARRAY},         {"Cmd", JSON_ARRAY},
                   {"Entrypoint", JSON_ARRAY},  {"Image", JSON_STRING},
                   {"WorkingDir", JSON_STRING}, {"Labels", JSON_OBJECT},
                   {"Tty", JSON_TRUE},          {"OpenStdin", JSON_TRUE},
                   {"StopSignal", JSON_STRING}, {"Domainname", JSON_STRING},
                   {"Volumes", JSON_OBJECT}},
          host[] = {{"Binds", JSON_ARRAY},          {"Tmpfs", JSON_OBJECT},
                    {"Mounts", JSON_ARRAY},         {"CapAdd", JSON_ARRAY},
                    {"CapDrop", JSON_ARRAY},        {"GroupAdd", JSON_ARRAY},
                    {"ExtraHosts", JSON_ARRAY},     {"AutoRemove", JSON_TRUE},
                    {"Privileged", JSON_TRUE},      {"ReadonlyRootfs", JSON_TRUE},
                    {"NetworkMode", JSON_STRING},   {"Init", JSON_TRUE},
                    {"RestartPolicy", JSON_OBJECT}, {"LogConfig", JSON_OBJECT},
                    {"SecurityOpt", JSON_ARRAY}};
        for (size_t i = 0; i < ARRAY_SIZE(cfg); i++)
                if (check_type(config, cfg[i].key, cfg[i].type, true, err) < 0)
                        return -EINVAL;
        for (size_t i = 0; i < ARRAY_SIZE(host); i++)
                if (check_type(hc, host[i].key, host[i].type, true, err) < 0)
                        return -EINVAL;
        json_t *a;
        size_t i;
        json_t *v;
        const char *arrays[] = {"Env", "Cmd", "Entrypoint", "GroupAdd", "ExtraHosts"};
        for (size_t k = 0; k < ARRAY_SIZE(arrays); k++)
                if ((a = json_object_get(k < 3 ? config : hc, arrays[k])) && json_is_array(a))
                        json_array_foreach(a, i, v) if (!json_is_string(v)) return kerr_set(
                            err, KERR_INVALID, EINVAL, "invalid type for field '%s'", arrays[k]);
        return 0;
}

/* HostConfig.Runtime: "" is the built-in runtime, stored by its name so
 * inspect shows it; other names must be runtimes found at start. */
static int validate_runtime(struct engine *e, json_t *hc, struct kerr *err)
{
        const char *name = json_get_str(hc, "Runtime");
        const struct engine_runtime *rt = engine_runtime_find(e, name);
        if (!rt)
                return kerr_set(err, KERR_INVALID, EINVAL, "unknown or invalid runtime name: %s",
                                name);
        json_set_str(hc, "Runtime", rt->name);
        return 0;
}

static int validate_host_config(struct engine *e, json_t *hc, json_t *warnings, struct kerr *err)
{
        json_int_t mem = json_integer_value(json_object_get(hc, "Memory"));
        if (mem < 0 || (mem > 0 && mem < 6 * 1024 * 1024))
                return kerr_set(err, KERR_INVALID, EINVAL, "Minimum memory limit allowed is 6MB");
        json_int_t res = json_integer_value(json_object_get(hc, "MemoryReservation"));
        if (res > 0 && res < 6 * 1024 * 1024)
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "Minimum memory reservation allowed is 6MB");
        if (mem > 0 && res > 0 && mem < res)
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "Minimum memory limit can not be less than memory reservation "
                                "limit, see usage");
        json_int_t swap = json_integer_value(json_object_get(hc, "MemorySwap"));
        if (swap > 0 && mem > 0 && swap < mem)
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "Minimum memoryswap limit should be larger than memory limit, see "
                                "usage");
        if (swap > 0 && mem == 0)
                return kerr_set(
                    err, KERR_INVALID, EINVAL,
                    "You should always set the Memory limit when using Memoryswap limit, "
                    "see usage");
        json_int_t nano = json_integer_value(json_object_get(hc, "NanoCpus"));
        if (nano < 0 || (nano > 0 && nano > (json_int_t)e->host.ncpu * 1000000000))
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "Range of CPUs is from 0.01 to %d.00, as there are only %d CPUs "
                                "available",
                                e->host.ncpu, e->host.ncpu);
        if (nano > 0 && json_integer_value(json_object_get(hc, "CpuPeriod")) > 0)
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "Conflicting options: Nano CPUs and CPU Period cannot both be set");
        if (nano > 0 && json_integer_value(json_object_get(hc, "CpuQuota")) > 0)
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "Conflicting options: Nano CPUs and CPU Quota cannot both be set");
        json_t *rp = json_object_get(hc, "RestartPolicy");
        const char *rpn = json_get_str(rp, "Name");
        if (json_is_true(json_object_get(hc, "AutoRemove")) && rpn && rpn[0] &&
            strcmp(rpn, "no") != 0)
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "can't create 'AutoRemove' container with restart policy");
        const char *net = json_get_str(hc, "NetworkMode");
        if (!net || !net[0] || strcmp(net, "default") == 0 || strcmp(net, "bridge") == 0) {
                json_array_append_new(
                    warnings, json_string("kedge has no bridge networking yet: the container "
                                          "gets its own network namespace with only loopback"));
        } else if (strcmp(net, "none") != 0 && strcmp(net, "host") != 0) {
                return kerr_set(err, KERR_NOT_FOUND, ENOENT, "network %s not found", net);
        }
        if (mem > 0 && !e->host.cgroup.memory)
                json_array_append_new(warnings, json_string("Your kernel does not support memory "
                                                            "limit capabilities or the cgroup is "
                                                            "not mounted. Limitation discarded."));
        return 0;
}

/* One --security-opt: "key=value" (or the older "key:value"). Only what
 * kedge carries out is accepted: no-new-privileges, and "unconfined" for
 * seccomp and apparmor and "disable" for label, which is the truth while
 * kedge loads no seccomp filter and no LSM profile. A profile asked for and
 * not applied would be a false sense of confinement: refused, naming it. */
static int check_security_opt(const char *opt, struct kerr *err)
{
        size_t klen = strcspn(opt, "=:");
        const char *val = opt[klen] ? opt + klen + 1 : NULL;
        static const struct {
                const char *key, *truth, *why;
        } unapplied[] = {
            {"seccomp", "unconfined", "kedge loads no seccomp filter yet"},
            {"apparmor", "unconfined", "kedge loads no AppArmor profile"},
            {"label", "disable", "kedge sets no SELinux label"},
            {"systempaths", NULL, "kedge always masks its /proc and /sys paths"},
        };
        if (klen == strlen("no-new-privileges") && strncmp(opt, "no-new-privileges", klen) == 0) {
                if (!val || strcmp(val, "true") == 0 || strcmp(val, "false") == 0)
                        return 0;
                return kerr_set(
                    err, KERR_INVALID, EINVAL,
                    "invalid --security-opt: \"%.64s\": no-new-privileges takes true or "
                    "false",
                    opt);
        }
        for (size_t i = 0; i < ARRAY_SIZE(unapplied); i++) {
                if (strlen(unapplied[i].key) != klen || strncmp(opt, unapplied[i].key, klen) != 0)
                        continue;
                if (val && unapplied[i].truth && strcmp(val, unapplied[i].truth) == 0)
                        return 0;
                /* The value is not quoted: a seccomp profile is a whole JSON document. */
                return kerr_set(
                    err, KERR_INVALID, EINVAL, "security option \"%s\" is not supported: %s%s%s%s",
                    unapplied[i].key, unapplied[i].why, unapplied[i].truth ? " (accepted: " : "",
                    unapplied[i].truth ? unapplied[i].truth : "", unapplied[i].truth ? ")" : "");
        }
        return kerr_set(err, KERR_INVALID, EINVAL, "invalid --security-opt: \"%.*s\"",
                        (int)(klen > 64 ? 64 : klen), opt);
}

/* SecurityOpt: only what kedge carries out (the rest is container-options.c). */
static int validate_isolation(json_t *hc, struct kerr *err)
{
        json_t *opts = json_object_get(hc, "SecurityOpt"), *v;
        size_t i;
        if (opts && !json_is_array(opts) && !json_is_null(opts))
                return kerr_set(err, KERR_INVALID, EINVAL, "invalid type for field 'SecurityOpt'");
        json_array_foreach(opts, i, v)
        {
                if (!json_is_string(v))
                        return kerr_set(err, KERR_INVALID, EINVAL,
                                        "invalid type for field 'SecurityOpt'");
                int r = check_security_opt(json_string_value(v), err);
                if (r < 0)
                        return r;
        }
        /* --device, --device-cgroup-rule and OomKillDisable are refused with
         * the other options kedge does not carry out (container-options.c). */
        return 0;
}

static bool empty_array(json_t *v)
{
        return !v || json_is_null(v) || (json_is_array(v) && json_array_size(v) == 0);
}

/* dockerd's: no Healthcheck (or null) takes the image's; one whose Test is
 * empty takes the image's Test and keeps its own timings where set. */
static void merge_healthcheck(json_t *config, json_t *image_hc)
{
        json_t *hc = json_object_get(config, "Healthcheck");
        if (!json_is_object(image_hc))
                return;
        if (!json_is_object(hc)) {
                json_object_set(config, "Healthcheck", image_hc);
                return;
        }
        /* a copy: the request's object is not ours to change */
        hc = json_deep_copy(hc);
        json_object_set_new(config, "Healthcheck", hc);
        json_t *test = json_object_get(image_hc, "Test");
        if (json_array_size(json_object_get(hc, "Test")) == 0 && test)
                json_object_set(hc, "Test", test);
        static const char *const timings[] = {"Interval", "Timeout", "StartPeriod", "StartInterval",
                                              "Retries"};
        for (size_t i = 0; i < ARRAY_SIZE(timings); i++)
                if (json_integer_value(json_object_get(hc, timings[i])) == 0 &&
                    json_object_get(image_hc, timings[i]))
                        json_object_set(hc, timings[i], json_object_get(image_hc, timings[i]));
}

/* dockerd's merge of a container config with its image config. */
static void merge_image_config(json_t *config, json_t *image)
{
        static const char *const if_empty[] = {"User", "WorkingDir", "StopSignal", "Domainname"};
        for (size_t i = 0; i < ARRAY_SIZE(if_empty); i++) {
                const char *s = json_get_str(config, if_empty[i]);
                json_t *iv = json_object_get(image, if_empty[i]);
                if ((!s || !s[0]) && json_is_string(iv))
                        json_object_set(config, if_empty[i], iv);
        }
        /* dockerd's rule: the image's order, the user's value in place. */
        json_object_set_new(
            config, "Env",
            env_merge(json_object_get(image, "Env"), json_object_get(config, "Env")));
        json_t *labels = json_object();
        json_object_update(labels, json_object_get(image, "Labels"));
        json_object_update(labels, json_object_get(config, "Labels"));
        json_object_set_new(config, "Labels", labels);
        static const char *const maps[] = {"ExposedPorts", "Volumes"};
        for (size_t i = 0; i < ARRAY_SIZE(maps); i++) {
                json_t *m = json_object();
                json_object_update(m, json_object_get(image, maps[i]));
                json_object_update(m, json_object_get(config, maps[i]));
                json_object_set_new(config, maps[i], json_object_size(m) ? m : json_null());
                if (!json_object_size(m))
                        json_decref(m);
        }
        if (empty_array(json_object_get(config, "Entrypoint"))) {
                if (empty_array(json_object_get(config, "Cmd")))
                        json_object_set(config, "Cmd",
                                        json_object_get(image, "Cmd")
                                            ? json_object_get(image, "Cmd")
                                            : json_null());
                if (!json_is_array(json_object_get(config, "Entrypoint")))
                        json_object_set(config, "Entrypoint",
                                        json_object_get(image, "Entrypoint")
                                            ? json_object_get(image, "Entrypoint")
                                            : json_null());
        }
        merge_healthcheck(config, json_object_get(image, "Healthcheck"));
}

/* What dockerd stores for fields a client left out; clients read them back
 * (docker-py's run() reads HostConfig.LogConfig.Type). */
static void fill_host_config_defaults(json_t *hc)
{
        const char *net = json_get_str(hc, "NetworkMode");
        if (!net || !net[0] || strcmp(net, "default") == 0)
                json_set_str(hc, "NetworkMode", "bridge");
        json_t *lc = json_object_get(hc, "LogConfig");
        if (!json_is_object(lc) || !json_get_str(lc, "Type") || !json_get_str(lc, "Type")[0]) {
                json_t *cfg = json_object_get(lc, "Config");
                json_set(hc, "LogConfig",
                         json_pack("{ss so}", "Type", "json-file", "Config",
                                   json_is_object(cfg) ? json_incref(cfg) : json_object()));
        }
        if (!json_is_object(json_object_get(hc, "RestartPolicy")))
                json_set(hc, "RestartPolicy",
                         json_pack("{ss si}", "Name", "no", "MaximumRetryCount", 0));
        static const char *const arrays[] = {"Binds",      "CapAdd",     "CapDrop",
                                             "Dns",        "DnsOptions", "DnsSearch",
                                             "ExtraHosts", "Links",      "SecurityOpt"};
        for (size_t i = 0; i < ARRAY_SIZE(arrays); i++)
                if (!json_object_get(hc, arrays[i]))
                        json_set(hc, arrays[i], json_null());
        if (!json_object_get(hc, "ShmSize") ||
            json_integer_value(json_object_get(hc, "ShmSize")) <= 0)
                json_set_int(hc, "ShmSize", 64 * 1024 * 1024);
}

static int pick_name(struct engine *e, const char *name, char *out, size_t size, struct kerr *err)
{
        if (name && name[0]) {
                if (!names_valid(name))
                        return kerr_set(
                            err, KERR_INVALID, EINVAL,
                            "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] "
                            "are allowed",
                            name);
                snprintf(out, size, "%s", name[0] == '/' ? name + 1 : name);
                char other[65];
                if (container_name_taken(e, out, other))
                        return kerr_set(err, KERR_CONFLICT, EEXIST,
                                        "Conflict. The container name \"/%s\" is already in use by "
                                        "container \"%s\". You have to remove (or rename) that "
                                        "container to be able to reuse that name.",
                                        out, other);
                return 0;
        }
        for (unsigned attempt = 0; attempt < 10; attempt++) {
                names_generate(out, size, attempt);
                if (!container_name_taken(e, out, NULL))
                        return 0;
        }
        return kerr_set(err, KERR_INTERNAL, EEXIST, "could not generate a unique container name");
}

static int make_dir(struct engine *e, struct container *c, struct kerr *err)
{
        char dir[128], p[192];
        container_dir(c, dir, sizeof(dir));
        const char *subs[] = {"", "/upper", "/work", "/rootfs"};
        for (size_t i = 0; i < ARRAY_SIZE(subs); i++) {
                snprintf(p, sizeof(p), "%s%s", dir, subs[i]);
                int r = fs_mkdirat_ok(e->store->root_fd, p, i == 0 ? 0710 : 0755);
                if (r < 0)
                        return kerr_set(err, KERR_INTERNAL, r, "create container directory: %s",
                                        strerror(-r));
        }
        return 0;
}

struct container *container_create(struct engine *e, const char *name, json_t *body,
                                   json_t *warnings, struct kerr *err)
{
        if (!json_is_object(body)) {
                kerr_set(err, KERR_INVALID, EINVAL,
                         "config cannot be empty in order to create a container");
                return NULL;
        }
        _cleanup_json_ json_t *config = json_object();
        for (size_t i = 0; i < ARRAY_SIZE(config_keys); i++) {
                json_t *v = json_object_get(body, config_keys[i]);
                if (v)
                        json_object_set(config, config_keys[i], v);
        }
        json_t *hcv = json_object_get(body, "HostConfig");
        _cleanup_json_ json_t *hc = json_is_object(hcv) ? json_deep_copy(hcv) : json_object();
        json_t *nc = json_object_get(body, "NetworkingConfig");
        if (validate_types(config, hc, err) < 0 || validate_isolation(hc, err) < 0 ||
            container_options_check(config, hc, nc, err) < 0 ||
            container_mounts_check(config, hc, warnings, err) < 0 ||
            validate_host_config(e, hc, warnings, err) < 0 || validate_runtime(e, hc, err) < 0)
                return NULL;
        const char *image_ref = json_get_str(config, "Image");
        if (!image_ref || !image_ref[0]) {
                kerr_set(err, KERR_INVALID, EINVAL, "No image specified: Config.Image is empty");
                return NULL;
        }
        struct image_rootfs img = {0};
        if (image_rootfs_get(e, image_ref, &img, err) < 0)
                return NULL;
        merge_image_config(config, img.config);
        if (container_options_check_merged(config, hc, warnings, err) < 0) {
                image_rootfs_release(&img);
                return NULL;
        }
        if (empty_array(json_object_get(config, "Cmd")) &&
            empty_array(json_object_get(config, "Entrypoint"))) {
                image_rootfs_release(&img);
                kerr_set(err, KERR_INVALID, EINVAL, "No command specified");
                return NULL;
        }
        char cname[256];
        if (pick_name(e, name, cname, sizeof(cname), err) < 0) {
                image_rootfs_release(&img);
                return NULL;
        }
        char id[65];
        new_id(id);
        const char *hostname = json_get_str(config, "Hostname");
        if (!hostname || !hostname[0]) {
                char shortid[13];
                snprintf(shortid, sizeof(shortid), "%.12s", id);
                json_set_str(config, "Hostname", shortid);
        }
        fill_host_config_defaults(hc);
        _cleanup_(container_unrefp) struct container *c = container_new(id, cname);
        c->image_id = TAKE_PTR(img.id);
        c->image_ref = xstrdup(image_ref);
        c->created_ns = timestamp_now_ns();
        c->config = TAKE_PTR(config);
        c->host_config = TAKE_PTR(hc);
        c->networking = json_is_object(nc) ? json_deep_copy(nc) : json_object();
        image_rootfs_release(&img);
        /* Files first, then the record: a crash in between leaves only a
         * directory without a record, which the next start removes. */
        /* The name is checked and the row inserted under one lock: of two
         * concurrent creates with one name, exactly one wins; the loser's
         * directory goes with it. */
        if (make_dir(e, c, err) < 0 || containers_insert(e, c, err) < 0) {
                char dir[128];
                container_dir(c, dir, sizeof(dir));
                engine_trash(e, dir);
                return NULL;
        }
        return TAKE_PTR(c);
}
