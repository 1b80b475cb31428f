/* spec.c - config.json -> struct rt_spec. */
#include "spec.h"

#include "base/strv.h"
#include "base/buf.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/xalloc.h"
#include "caps.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <sys/mount.h>
#include <sys/resource.h>

static const char *const ns_names[RT_NS_TYPE_MAX] = {
    [RT_NS_MOUNT] = "mount", [RT_NS_PID] = "pid",       [RT_NS_UTS] = "uts",   [RT_NS_IPC] = "ipc",
    [RT_NS_NET] = "network", [RT_NS_CGROUP] = "cgroup", [RT_NS_USER] = "user",
};

int rt_ns_type_from_name(const char *name)
{
        for (int i = 0; i < RT_NS_TYPE_MAX; i++)
                if (strcmp(name, ns_names[i]) == 0)
                        return i;
        return -1;
}

const char *rt_ns_type_name(enum rt_ns_type type)
{
        return type < RT_NS_TYPE_MAX ? ns_names[type] : NULL;
}

static const struct {
        const char *name;
        int resource;
} rlimit_names[] = {
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

int rt_rlimit_from_name(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(rlimit_names); i++)
                if (strcmp(name, rlimit_names[i].name) == 0)
                        return rlimit_names[i].resource;
        return -1;
}

/* --- typed getters: absent is fine, the wrong type is an invalid error --- */

static int bad_type(struct kerr *err, const char *field, const char *want)
{
        return kerr_set(err, KERR_INVALID, EINVAL, "config.json: %s must be %s", field, want);
}

static int get_str(const json_t *obj, const char *key, const char *field, char **ret,
                   struct kerr *err)
{
        json_t *v = json_object_get(obj, key);
        if (!v || json_is_null(v))
                return 0;
        if (!json_is_string(v))
                return bad_type(err, field, "a string");
        *ret = xstrdup(json_string_value(v));
        return 0;
}

static int get_bool(const json_t *obj, const char *key, const char *field, bool *ret,
                    struct kerr *err)
{
        json_t *v = json_object_get(obj, key);
        if (!v || json_is_null(v))
                return 0;
        if (!json_is_boolean(v))
                return bad_type(err, field, "a boolean");
        *ret = json_is_true(v);
        return 0;
}

static int get_int(const json_t *obj, const char *key, const char *field, int64_t min, int64_t *ret,
                   struct kerr *err)
{
        json_t *v = json_object_get(obj, key);
        if (!v || json_is_null(v))
                return 0;
        if (!json_is_integer(v) || json_integer_value(v) < min)
                return bad_type(err, field, min == 0 ? "a non-negative integer" : "an integer");
        *ret = json_integer_value(v);
        return 0;
}

static int get_obj(const json_t *obj, const char *key, const char *field, json_t **ret,
                   struct kerr *err)
{
        json_t *v = json_object_get(obj, key);
        *ret = NULL;
        if (!v || json_is_null(v))
                return 0;
        if (!json_is_object(v))
                return bad_type(err, field, "an object");
        *ret = v;
        return 0;
}

static int get_array(const json_t *obj, const char *key, const char *field, json_t **ret,
                     struct kerr *err)
{
        json_t *v = json_object_get(obj, key);
        *ret = NULL;
        if (!v || json_is_null(v))
                return 0;
        if (!json_is_array(v))
                return bad_type(err, field, "an array");
        *ret = v;
        return 0;
}

/* A NULL-terminated copy of an array of strings. */
static int get_strv(const json_t *obj, const char *key, const char *field, char ***ret,
                    struct kerr *err)
{
        json_t *a;
        int r = get_array(obj, key, field, &a, err);
        if (r < 0 || !a)
                return r;
        size_t n = json_array_size(a), i;
        char **v = xzalloc((n + 1) * sizeof(char *));
        json_t *s;
        json_array_foreach(a, i, s)
        {
                if (!json_is_string(s)) {
                        for (size_t j = 0; j < i; j++)
                                free(v[j]);
                        free(v);
                        return bad_type(err, field, "an array of strings");
                }
                v[i] = xstrdup(json_string_value(s));
        }
        *ret = v;
        return 0;
}

/* --- process --- */

static int parse_user(const json_t *proc, struct rt_process *p, struct kerr *err)
{
        json_t *user, *gids;
        int64_t uid = 0, gid = 0;
        int r = get_obj(proc, "user", "process.user", &user, err);
        if (r < 0 || !user)
                return r;
        if ((r = get_int(user, "uid", "process.user.uid", 0, &uid, err)) < 0 ||
            (r = get_int(user, "gid", "process.user.gid", 0, &gid, err)) < 0 ||
            (r = get_array(user, "additionalGids", "process.user.additionalGids", &gids, err)) < 0)
                return r;
        if (uid > UINT32_MAX - 1 || gid > UINT32_MAX - 1)
                return bad_type(err, "process.user.uid/gid", "below 4294967295");
        p->uid = (uid_t)uid;
        p->gid = (gid_t)gid;
        if (!gids)
                return 0;
        size_t i;
        json_t *g;
        p->additional_gids = xzalloc((json_array_size(gids) + 1) * sizeof(gid_t));
        json_array_foreach(gids, i, g)
        {
                if (!json_is_integer(g) || json_integer_value(g) < 0 ||
                    json_integer_value(g) >= UINT32_MAX)
                        return bad_type(err, "process.user.additionalGids", "an array of gids");
                p->additional_gids[p->n_additional_gids++] = (gid_t)json_integer_value(g);
        }
        return 0;
}

static int parse_rlimits(const json_t *proc, struct rt_process *p, struct kerr *err)
{
        json_t *a, *rl;
        size_t i;
        int r = get_array(proc, "rlimits", "process.rlimits", &a, err);
        if (r < 0 || !a)
                return r;
        p->rlimits = xzalloc((json_array_size(a) + 1) * sizeof(*p->rlimits));
        json_array_foreach(a, i, rl)
        {
                const char *type = json_get_str(rl, "type");
                int res = type ? rt_rlimit_from_name(type) : -1;
                json_t *soft = json_object_get(rl, "soft"), *hard = json_object_get(rl, "hard");
                if (res < 0)
                        return kerr_set(err, KERR_INVALID, EINVAL,
                                        "config.json: unknown rlimit type '%s'", type ? type : "");
                if (!json_is_integer(soft) || !json_is_integer(hard))
                        return bad_type(err, "process.rlimits[].soft/hard", "integers");
                /* jansson has no uint64: a negative value means unlimited. */
                struct rt_rlimit *out = &p->rlimits[p->n_rlimits++];
                out->resource = res;
                out->soft = json_integer_value(soft) < 0 ? RLIM_INFINITY
                                                         : (uint64_t)json_integer_value(soft);
                out->hard = json_integer_value(hard) < 0 ? RLIM_INFINITY
                                                         : (uint64_t)json_integer_value(hard);
        }
        return 0;
}

static int parse_capset(const json_t *caps, const char *key, uint64_t *ret, struct kerr *err)
{
        json_t *a, *c;
        size_t i;
        char field[64];
        snprintf(field, sizeof(field), "process.capabilities.%s", key);
        int r = get_array(caps, key, field, &a, err);
        if (r < 0 || !a)
                return r;
        json_array_foreach(a, i, c)
        {
                int n = json_is_string(c) ? rt_cap_from_name(json_string_value(c)) : -1;
                if (n < 0)
                        return kerr_set(
                            err, KERR_INVALID, EINVAL, "config.json: unknown capability %s in %s",
                            json_is_string(c) ? json_string_value(c) : "(not a string)", field);
                *ret |= RT_CAP_BIT(n);
        }
        return 0;
}

static int parse_caps(const json_t *proc, struct rt_process *p, struct kerr *err)
{
        json_t *caps;
        int r = get_obj(proc, "capabilities", "process.capabilities", &caps, err);
        if (r < 0 || !caps)
                return r;
        p->has_caps = true;
        if ((r = parse_capset(caps, "bounding", &p->caps.bounding, err)) < 0 ||
            (r = parse_capset(caps, "effective", &p->caps.effective, err)) < 0 ||
            (r = parse_capset(caps, "permitted", &p->caps.permitted, err)) < 0 ||
            (r = parse_capset(caps, "inheritable", &p->caps.inheritable, err)) < 0 ||
            (r = parse_capset(caps, "ambient", &p->caps.ambient, err)) < 0)
                return r;
        return 0;
}

static int parse_process(const json_t *root, struct rt_process *p, struct kerr *err)
{
        json_t *proc, *box;
        int r = get_obj(root, "process", "process", &proc, err);
        if (r < 0)
                return r;
        if (!proc)
                return kerr_set(err, KERR_INVALID, EINVAL, "config.json: no process");
        if ((r = get_strv(proc, "args", "process.args", &p->args, err)) < 0)
                return r;
        if (!p->args || !p->args[0] || !p->args[0][0])
                return kerr_set(err, KERR_INVALID, EINVAL, "config.json: process.args is empty");
        if ((r = get_strv(proc, "env", "process.env", &p->env, err)) < 0 ||
            (r = get_str(proc, "cwd", "process.cwd", &p->cwd, err)) < 0 ||
            (r = get_bool(proc, "terminal", "process.terminal", &p->terminal, err)) < 0 ||
            (r = get_bool(proc, "noNewPrivileges", "process.noNewPrivileges", &p->no_new_privileges,
                          err)) < 0 ||
            (r = get_str(proc, "apparmorProfile", "process.apparmorProfile", &p->apparmor_profile,
                         err)) < 0 ||
            (r = get_obj(proc, "consoleSize", "process.consoleSize", &box, err)) < 0 ||
            (r = parse_user(proc, p, err)) < 0 || (r = parse_rlimits(proc, p, err)) < 0 ||
            (r = parse_caps(proc, p, err)) < 0)
                return r;
        if (!p->env)
                p->env = xzalloc(sizeof(char *));
        if (!p->cwd)
                p->cwd = xstrdup("/");
        if (p->cwd[0] != '/')
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "config.json: process.cwd '%s' is not absolute", p->cwd);
        int64_t rows = 0, cols = 0;
        if (box && ((r = get_int(box, "height", "process.consoleSize.height", 0, &rows, err)) < 0 ||
                    (r = get_int(box, "width", "process.consoleSize.width", 0, &cols, err)) < 0))
                return r;
        p->console_rows = rows > 0xffff ? 0xffff : (unsigned short)rows;
        p->console_cols = cols > 0xffff ? 0xffff : (unsigned short)cols;
        return 0;
}

/* --- mounts --- */

static const struct {
        const char *name;
        bool clear;
        unsigned long flag;
} mount_flags[] = {
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},
    {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},
    {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},
    {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},
    {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},
    {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},
    {"nomand", true, MS_MANDLOCK},
    {"noatime", false, MS_NOATIME},
    {"atime", true, MS_NOATIME},
    {"nodiratime", false, MS_NODIRATIME},
    {"diratime", true, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME},
    {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME},
    {"nostrictatime", true, MS_STRICTATIME},
};

static const struct {
        const char *name;
        unsigned long flag;
} propagation_flags[] = {
    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

/* Sorts one option into flags, propagation, bind or kernel data. */
static void mount_option(struct rt_mount *m, const char *opt, struct buf *data)
{
        for (size_t i = 0; i < ARRAY_SIZE(mount_flags); i++)
                if (strcmp(opt, mount_flags[i].name) == 0) {
                        if (mount_flags[i].clear)
                                m->flags &= ~mount_flags[i].flag;
                        else
                                m->flags |= mount_flags[i].flag;
                        return;
                }
        for (size_t i = 0; i < ARRAY_SIZE(propagation_flags); i++)
                if (strcmp(opt, propagation_flags[i].name) == 0) {
                        m->propagation = propagation_flags[i].flag;
                        return;
                }
        if (strcmp(opt, "bind") == 0 || strcmp(opt, "rbind") == 0) {
                m->bind = true;
                m->recursive = opt[0] == 'r';
                return;
        }
        if (strcmp(opt, "rro") == 0) { /* runc 1.1's recursive read-only */
                m->flags |= MS_RDONLY;
                m->recursive_ro = true;
                return;
        }
        if (strcmp(opt, "tmpcopyup") == 0)
                return; /* runc-specific; kedge's engine fills tmpfs itself */
        if (data->len)
                buf_append(data, ",", 1);
        buf_append(data, opt, strlen(opt));
}

static int parse_mount(const json_t *jm, struct rt_mount *m, struct kerr *err)
{
        char **o = NULL;
        int r;
        if (!json_is_object(jm))
                return bad_type(err, "mounts[]", "an object");
        if ((r = get_str(jm, "destination", "mounts[].destination", &m->destination, err)) < 0 ||
            (r = get_str(jm, "type", "mounts[].type", &m->type, err)) < 0 ||
            (r = get_str(jm, "source", "mounts[].source", &m->source, err)) < 0 ||
            (r = get_strv(jm, "options", "mounts[].options", &o, err)) < 0)
                return r;
        if (!m->destination || m->destination[0] != '/')
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "config.json: mount destination '%s' is not absolute",
                                m->destination ? m->destination : "");
        struct buf data;
        buf_init(&data, 0);
        for (size_t i = 0; o && o[i]; i++)
                mount_option(m, o[i], &data);
        strv_free(o);
        if (m->type && strcmp(m->type, "bind") == 0)
                m->bind = true;
        m->data = data.len ? buf_steal(&data) : NULL;
        buf_release(&data);
        if (m->bind && !m->source)
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "config.json: bind mount on '%s' has no source", m->destination);
        return 0;
}

static int parse_mounts(const json_t *root, struct rt_spec *s, struct kerr *err)
{
        json_t *a, *jm;
        size_t i;
        int r = get_array(root, "mounts", "mounts", &a, err);
        if (r < 0 || !a)
                return r;
        s->mounts = xzalloc((json_array_size(a) + 1) * sizeof(*s->mounts));
        json_array_foreach(a, i, jm)
        {
                r = parse_mount(jm, &s->mounts[s->n_mounts++], err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* --- linux --- */

static int parse_namespaces(const json_t *linux_, struct rt_spec *s, struct kerr *err)
{
        json_t *a, *jn;
        size_t i;
        int r = get_array(linux_, "namespaces", "linux.namespaces", &a, err);
        if (r < 0 || !a)
                return r;
        json_array_foreach(a, i, jn)
        {
                const char *type = json_get_str(jn, "type");
                int t = type ? rt_ns_type_from_name(type) : -1;
                if (t < 0)
                        return kerr_set(err, KERR_INVALID, EINVAL,
                                        "config.json: unknown namespace type '%s'",
                                        type ? type : "");
                s->ns[t].enabled = true;
                if ((r = get_str(jn, "path", "linux.namespaces[].path", &s->ns[t].path, err)) < 0)
                        return r;
        }
        return 0;
}

static int parse_device_rule(const json_t *jd, struct rt_device_rule *d, struct kerr *err)
{
        const char *type = json_get_str(jd, "type"), *access = json_get_str(jd, "access");
        int r;
        *d = (struct rt_device_rule){.type = 'a', .major = -1, .minor = -1, .access = RT_DEV_ALL};
        if (!json_is_object(jd))
                return bad_type(err, "linux.resources.devices[]", "an object");
        if ((r = get_bool(jd, "allow", "linux.resources.devices[].allow", &d->allow, err)) < 0 ||
            (r = get_int(jd, "major", "linux.resources.devices[].major", -1, &d->major, err)) < 0 ||
            (r = get_int(jd, "minor", "linux.resources.devices[].minor", -1, &d->minor, err)) < 0)
                return r;
        if (type && type[0]) {
                if (strlen(type) != 1 || !strchr("acb", type[0]))
                        return kerr_set(err, KERR_INVALID, EINVAL,
                                        "config.json: invalid device type '%s'", type);
                d->type = type[0];
        }
        if (d->major > UINT32_MAX || d->minor > UINT32_MAX)
                return bad_type(err, "linux.resources.devices[].major/minor", "a 32-bit number");
        if (access && access[0]) {
                d->access = 0;
                for (const char *a = access; *a; a++) {
                        const char *at = strchr("rwm", *a);
                        if (!at || strlen(access) > 3)
                                return kerr_set(err, KERR_INVALID, EINVAL,
                                                "config.json: invalid device access '%s'", access);
                        d->access |= 1u << (at - "rwm");
                }
        }
        return 0;
}

static int parse_devices(const json_t *jr, struct rt_resources *res, struct kerr *err)
{
        json_t *a, *jd;
        size_t i;
        int r = get_array(jr, "devices", "linux.resources.devices", &a, err);
        if (r < 0 || !a)
                return r;
        res->devices_set = true;
        res->devices = xzalloc((json_array_size(a) + 1) * sizeof(*res->devices));
        json_array_foreach(a, i, jd)
        {
                if ((r = parse_device_rule(jd, &res->devices[res->n_devices], err)) < 0)
                        return r;
                res->n_devices++;
        }
        return 0;
}

static int parse_resources(const json_t *linux_, struct rt_resources *res, struct kerr *err)
{
        json_t *jr, *mem, *cpu, *pids;
        int64_t shares = 0, period = 0;
        int r = get_obj(linux_, "resources", "linux.resources", &jr, err);
        if (r < 0 || !jr)
                return r;
        if ((r = get_obj(jr, "memory", "linux.resources.memory", &mem, err)) < 0 ||
            (r = get_obj(jr, "cpu", "linux.resources.cpu", &cpu, err)) < 0 ||
            (r = get_obj(jr, "pids", "linux.resources.pids", &pids, err)) < 0)
                return r;
        if (mem && ((r = get_int(mem, "limit", "linux.resources.memory.limit", -1,
                                 &res->memory_limit, err)) < 0 ||
                    (r = get_int(mem, "reservation", "linux.resources.memory.reservation", -1,
                                 &res->memory_reservation, err)) < 0 ||
                    (r = get_int(mem, "swap", "linux.resources.memory.swap", -1, &res->memory_swap,
                                 err)) < 0))
                return r;
        if (cpu &&
            ((r = get_int(cpu, "shares", "linux.resources.cpu.shares", 0, &shares, err)) < 0 ||
             (r = get_int(cpu, "quota", "linux.resources.cpu.quota", -1, &res->cpu_quota, err)) <
                 0 ||
             (r = get_int(cpu, "period", "linux.resources.cpu.period", 0, &period, err)) < 0))
                return r;
        if ((pids && (r = get_int(pids, "limit", "linux.resources.pids.limit", -1, &res->pids_limit,
                                  err)) < 0) ||
            (r = parse_devices(jr, res, err)) < 0)
                return r;
        res->cpu_shares = (uint64_t)shares;
        res->cpu_period = (uint64_t)period;
        return 0;
}

static int parse_linux(const json_t *root, struct rt_spec *s, struct kerr *err)
{
        json_t *linux_, *seccomp;
        int r = get_obj(root, "linux", "linux", &linux_, err);
        if (r < 0 || !linux_)
                return r;
        if ((r = parse_namespaces(linux_, s, err)) < 0 ||
            (r = parse_resources(linux_, &s->resources, err)) < 0 ||
            (r = get_str(linux_, "cgroupsPath", "linux.cgroupsPath", &s->cgroups_path, err)) < 0 ||
            (r = get_strv(linux_, "maskedPaths", "linux.maskedPaths", &s->masked_paths, err)) < 0 ||
            (r = get_strv(linux_, "readonlyPaths", "linux.readonlyPaths", &s->readonly_paths,
                          err)) < 0 ||
            (r = get_str(linux_, "rootfsPropagation", "linux.rootfsPropagation",
                         &s->rootfs_propagation, err)) < 0 ||
            (r = get_obj(linux_, "seccomp", "linux.seccomp", &seccomp, err)) < 0)
                return r;
        if (seccomp)
                s->seccomp_json = json_to_string(seccomp);
        return 0;
}

static int parse_root(const json_t *root, const char *bundle, struct rt_spec *s, struct kerr *err)
{
        json_t *jroot, *ann;
        char *path = NULL;
        int r = get_obj(root, "root", "root", &jroot, err);
        if (r < 0)
                return r;
        if (!jroot || (r = get_str(jroot, "path", "root.path", &path, err)) < 0 || !path)
                return r < 0 ? r : kerr_set(err, KERR_INVALID, EINVAL, "config.json: no root.path");
        if (path[0] != '/' && bundle) {
                s->root_path = xasprintf("%s/%s", bundle, path);
                free(path);
        } else {
                s->root_path = path;
        }
        if ((r = get_bool(jroot, "readonly", "root.readonly", &s->root_readonly, err)) < 0 ||
            (r = get_str(root, "hostname", "hostname", &s->hostname, err)) < 0 ||
            (r = get_str(root, "domainname", "domainname", &s->domainname, err)) < 0 ||
            (r = get_obj(root, "annotations", "annotations", &ann, err)) < 0)
                return r;
        if (ann &&
            ((r = get_str(ann, RT_ANNOTATION_LOWERDIRS, "annotations", &s->lowerdirs, err)) < 0 ||
             (r = get_str(ann, RT_ANNOTATION_UPPERDIR, "annotations", &s->upperdir, err)) < 0 ||
             (r = get_str(ann, RT_ANNOTATION_WORKDIR, "annotations", &s->workdir, err)) < 0))
                return r;
        if (s->lowerdirs && (!s->upperdir) != (!s->workdir))
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "config.json: overlay upperdir and workdir go together");
        return 0;
}

int rt_spec_parse(const char *text, size_t len, const char *bundle, struct rt_spec *ret,
                  struct kerr *err)
{
        json_error_t jerr;
        _cleanup_json_ json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!root)
                return kerr_set(err, KERR_INVALID, EINVAL, "config.json: line %d: %s", jerr.line,
                                jerr.text);
        if (!json_is_object(root))
                return bad_type(err, "the document", "an object");
        struct rt_spec s = {0};
        int r;
        if ((r = parse_process(root, &s.process, err)) < 0 ||
            (r = parse_root(root, bundle, &s, err)) < 0 || (r = parse_mounts(root, &s, err)) < 0 ||
            (r = parse_linux(root, &s, err)) < 0) {
                rt_spec_release(&s);
                return r;
        }
        *ret = s;
        return 0;
}

int rt_spec_load(const char *bundle, struct rt_spec *ret, struct kerr *err)
{
        _cleanup_close_ int dfd = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return kerr_set(err, KERR_NOT_FOUND, errno, "bundle '%s': %s", bundle,
                                strerror(errno));
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r = fs_read_at(dfd, "config.json", RT_SPEC_MAX_BYTES, &text, &len);
        if (r < 0)
                return kerr_set(err, r == -ENOENT ? KERR_NOT_FOUND : KERR_INVALID, r,
                                "bundle '%s': config.json: %s", bundle, strerror(-r));
        return rt_spec_parse(text, len, bundle, ret, err);
}

void rt_spec_release(struct rt_spec *s)
{
        struct rt_process *p = &s->process;
        strv_free(p->args);
        strv_free(p->env);
        free(p->cwd);
        free(p->additional_gids);
        free(p->rlimits);
        free(p->apparmor_profile);
        free(s->root_path);
        free(s->hostname);
        free(s->domainname);
        for (size_t i = 0; i < s->n_mounts; i++) {
                free(s->mounts[i].destination);
                free(s->mounts[i].type);
                free(s->mounts[i].source);
                free(s->mounts[i].data);
        }
        free(s->mounts);
        for (int i = 0; i < RT_NS_TYPE_MAX; i++)
                free(s->ns[i].path);
        free(s->cgroups_path);
        free(s->resources.devices);
        strv_free(s->masked_paths);
        strv_free(s->readonly_paths);
        free(s->seccomp_json);
        free(s->rootfs_propagation);
        free(s->lowerdirs);
        free(s->upperdir);
        free(s->workdir);
        *s = (struct rt_spec){0};
}
