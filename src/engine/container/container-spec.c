/* container-spec.c - the OCI runtime spec (config.json) the engine writes
 * for every container at start, whichever runtime runs it. What Docker's
 * create flags mean in OCI terms lives here and only here. */
#include "container-internal.h"
#include "container-mounts.h"
#include "container-user.h"
#include "engine/engine.h"

#include "base/env.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/path.h"
#include "base/xalloc.h"
#include "runtime/caps.h"
#include "runtime/spec.h"
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* --init: Docker bind-mounts its init (tini) here and runs the command
 * under it; kedge uses Debian's statically linked tini the same way. */
#define INIT_HOST_PATH      "/usr/bin/tini-static"
#define INIT_CONTAINER_PATH "/sbin/docker-init"

/* moby's defaultLinuxMaskedPaths (daemon/pkg/oci/defaults.go); interrupts
 * and thermal_throttle after GHSA-6fw5-f8r9-fgfm, powercap after
 * GHSA-jq35-85cj-fj4p. */
static const char *const masked_paths[] = {
    "/proc/acpi",
    "/proc/asound",
    "/proc/interrupts",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/sys/devices/virtual/powercap",
    "/sys/firmware",
};
static const char *const readonly_paths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

static json_t *strings(const char *const *v, size_t n)
{
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++)
                json_array_append_new(a, json_string(v[i]));
        return a;
}

/* masked_paths plus each CPU's thermal_throttle directory the host has, as
 * moby adds them per possible CPU. */
static json_t *build_masked_paths(void)
{
        json_t *a = strings(masked_paths, ARRAY_SIZE(masked_paths));
        glob_t g;
        if (glob("/sys/devices/system/cpu/cpu[0-9]*/thermal_throttle", GLOB_ONLYDIR, NULL, &g) ==
            0) {
                for (size_t i = 0; i < g.gl_pathc; i++)
                        json_array_append_new(a, json_string(g.gl_pathv[i]));
                globfree(&g);
        }
        return a;
}

/* "net_admin", "NET_ADMIN" and "CAP_NET_ADMIN" all name CAP_NET_ADMIN. */
static void cap_name(const char *in, char *out, size_t size)
{
        const char *s = strncasecmp(in, "CAP_", 4) == 0 ? in + 4 : in;
        int n = snprintf(out, size, "CAP_%s", s);
        for (int i = 4; i < n && (size_t)i < size; i++)
                out[i] = (char)(out[i] >= 'a' && out[i] <= 'z' ? out[i] - 32 : out[i]);
}

static bool in_list(json_t *list, const char *cap)
{
        size_t i;
        json_t *v;
        char n[64];
        json_array_foreach(list, i, v)
        {
                if (!json_is_string(v))
                        continue;
                if (strcasecmp(json_string_value(v), "ALL") == 0)
                        return true;
                cap_name(json_string_value(v), n, sizeof(n));
                if (strcmp(n, cap) == 0)
                        return true;
        }
        return false;
}

static uint64_t host_bounding_set(void)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/self/status", "re");
        char line[256];
        unsigned long long v;
        while (f && fgets(line, sizeof(line), f))
                if (sscanf(line, "CapBnd: %llx", &v) == 1)
                        return v;
        return ~0ull;
}

static bool has_all(json_t *list)
{
        size_t i;
        json_t *v;
        json_array_foreach(list, i, v) if (json_is_string(v) && strcasecmp(json_string_value(v),
                                                                           "ALL") == 0) return true;
        return false;
}

/* Like in_list, but "ALL" does not count. */
static bool explicit_in(json_t *list, const char *cap)
{
        size_t i;
        json_t *v;
        char n[64];
        json_array_foreach(list, i, v)
        {
                if (!json_is_string(v) || strcasecmp(json_string_value(v), "ALL") == 0)
                        continue;
                cap_name(json_string_value(v), n, sizeof(n));
                if (strcmp(n, cap) == 0)
                        return true;
        }
        return false;
}

static int build_caps(json_t *hc, json_t **ret, struct kerr *err)
{
        json_t *add = json_object_get(hc, "CapAdd"), *drop = json_object_get(hc, "CapDrop");
        bool privileged = json_is_true(json_object_get(hc, "Privileged"));
        size_t i;
        json_t *v;
        char n[64];
        json_array_foreach(add, i, v)
        {
                if (!json_is_string(v))
                        return kerr_set(err, KERR_INVALID, EINVAL, "invalid CapAdd entry");
                cap_name(json_string_value(v), n, sizeof(n));
                bool known =
                    strcasecmp(json_string_value(v), "ALL") == 0 || rt_cap_from_name(n) >= 0;
                if (!known)
                        return kerr_set(err, KERR_INVALID, EINVAL, "unknown capability: \"%s\"",
                                        json_string_value(v));
        }
        /* rt_cap_name is in kernel order (index = CAP_* number). A container
         * cannot hold what the daemon's bounding set lacks (this sandbox has
         * no CAP_SYS_RESOURCE): asking would fail at capset, so those go. */
        uint64_t host = host_bounding_set();
        bool add_all = has_all(add), drop_all = has_all(drop);
        json_t *set = json_array();
        uint64_t defaults = rt_caps_docker_default_mask();
        for (int k = 0; rt_cap_name(k); k++) {
                const char *name = rt_cap_name(k);
                if (!(host & (1ull << k)))
                        continue;
                bool dflt = defaults & RT_CAP_BIT(k);
                /* dockerd's order: ALL in CapAdd grants everything but the
                 * drops; ALL in CapDrop keeps only the adds; otherwise the
                 * default set plus adds minus drops. */
                bool added = in_list(add, name), dropped = in_list(drop, name);
                bool on = privileged || (add_all    ? !explicit_in(drop, name)
                                         : drop_all ? added
                                                    : (dflt || added) && !dropped);
                if (on)
                        json_array_append_new(set, json_string(name));
        }
        *ret = json_pack("{sO sO sO so}", "bounding", set, "effective", set, "permitted", set,
                         "inheritable", json_array());
        json_decref(set);
        return 0;
}

/* --- user and groups from the image's /etc/passwd and /etc/group --- */

/* Reads etc/<file> from the topmost layer that has it (upper dir first). */
static char *read_image_file(struct engine *e, struct container *c, const char *lowerdirs,
                             const char *file)
{
        char rel[256];
        snprintf(rel, sizeof(rel), "etc/%s", file);
        char upper[160];
        container_dir(c, upper, sizeof(upper));
        strncat(upper, "/upper", sizeof(upper) - strlen(upper) - 1);
        int ufd = openat(e->store->root_fd, upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        const char *p = lowerdirs;
        for (int fd = ufd;; fd = -1) {
                if (fd < 0) {
                        if (!*p)
                                break;
                        size_t n = strcspn(p, ":");
                        char *dir = xstrndup(p, n);
                        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        free(dir);
                        p += n + (p[n] == ':');
                        if (fd < 0)
                                continue;
                }
                struct stat st;
                if (fstatat(fd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0) {
                        char *data = NULL;
                        /* A whiteout (char 0/0) hides lower copies. */
                        if (S_ISREG(st.st_mode)) {
                                int f =
                                    path_open(fd, rel, O_RDONLY | O_CLOEXEC, 0, PATH_NO_SYMLINKS);
                                if (f >= 0) {
                                        fs_read_fd(f, 1 << 20, &data, NULL);
                                        close(f);
                                }
                        }
                        close(fd);
                        return data;
                }
                close(fd);
        }
        return NULL;
}

static int resolve_user(struct engine *e, struct container *c, const char *lowerdirs,
                        json_t *process, struct kerr *err)
{
        _cleanup_free_ char *passwd = read_image_file(e, c, lowerdirs, "passwd");
        _cleanup_free_ char *groups = read_image_file(e, c, lowerdirs, "group");
        json_t *user = container_user_resolve(passwd, groups, json_get_str(c->config, "User"),
                                              json_object_get(c->host_config, "GroupAdd"), err);
        if (!user)
                return -EINVAL;
        json_set(process, "user", user);
        return 0;
}

/* --- environment, mounts, resources --- */

static json_t *build_env(struct container *c)
{
        json_t *env = json_array();
        json_array_append_new(env, json_string(DEFAULT_PATH));
        char host[300];
        snprintf(host, sizeof(host), "HOSTNAME=%s", json_get_str(c->config, "Hostname"));
        json_array_append_new(env, json_string(host));
        if (json_is_true(json_object_get(c->config, "Tty")))
                json_array_append_new(env, json_string("TERM=xterm"));
        /* The container's Env overrides these defaults by the same rule as
         * the image merge at create. */
        json_t *merged = env_merge(env, json_object_get(c->config, "Env"));
        json_decref(env);
        return merged;
}

static void add_mount(json_t *mounts, const char *dst, const char *type, const char *src,
                      json_t *options)
{
        json_array_append_new(mounts, json_pack("{ss ss ss so}", "destination", dst, "type", type,
                                                "source", src, "options", options));
}

static json_t *build_mounts(struct engine *e, struct container *c, struct kerr *err)
{
        _cleanup_free_ char *dir = container_path(e, c->id, NULL);
        json_int_t shm = json_integer_value(json_object_get(c->host_config, "ShmSize"));
        char shmopt[64];
        snprintf(shmopt, sizeof(shmopt), "size=%lld", (long long)(shm > 0 ? shm : 64 << 20));
        bool ro_sys = !json_is_true(json_object_get(c->host_config, "Privileged"));
        json_t *m = json_array();
        add_mount(m, "/proc", "proc", "proc", json_pack("[sss]", "nosuid", "noexec", "nodev"));
        add_mount(m, "/dev", "tmpfs", "tmpfs",
                  json_pack("[ssss]", "nosuid", "strictatime", "mode=755", "size=65536k"));
        add_mount(m, "/dev/pts", "devpts", "devpts",
                  json_pack("[ssssss]", "nosuid", "noexec", "newinstance", "ptmxmode=0666",
                            "mode=0620", "gid=5"));
        add_mount(m, "/sys", "sysfs", "sysfs",
                  json_pack("[ssss]", "nosuid", "noexec", "nodev", ro_sys ? "ro" : "rw"));
        /* The container's own cgroup (it has a cgroup namespace), as in
         * moby's default spec: read-only unless privileged. */
        add_mount(m, "/sys/fs/cgroup", "cgroup", "cgroup",
                  json_pack("[ssss]", ro_sys ? "ro" : "rw", "nosuid", "noexec", "nodev"));
        add_mount(m, "/dev/mqueue", "mqueue", "mqueue",
                  json_pack("[sss]", "nosuid", "noexec", "nodev"));
        add_mount(m, "/dev/shm", "tmpfs", "shm",
                  json_pack("[sssss]", "nosuid", "noexec", "nodev", "mode=1777", shmopt));
        static const char *const etc[] = {"resolv.conf", "hostname", "hosts"};
        for (size_t i = 0; i < ARRAY_SIZE(etc); i++) {
                _cleanup_free_ char *src = xasprintf("%s/%s", dir, etc[i]);
                char dst[64];
                snprintf(dst, sizeof(dst), "/etc/%s", etc[i]);
                add_mount(m, dst, "bind", src, json_pack("[ss]", "rbind", "rprivate"));
        }
        if (json_is_true(json_object_get(c->host_config, "Init"))) {
                if (access(INIT_HOST_PATH, X_OK) < 0) {
                        json_decref(m);
                        kerr_set(err, KERR_INTERNAL, ENOENT,
                                 "--init needs %s (Debian package tini)", INIT_HOST_PATH);
                        return NULL;
                }
                add_mount(m, INIT_CONTAINER_PATH, "bind", INIT_HOST_PATH,
                          json_pack("[sss]", "bind", "ro", "rprivate"));
        }
        if (container_mounts_add(m, c->host_config, err) < 0) {
                json_decref(m);
                return NULL;
        }
        return m;
}

/* Docker's device rules, exactly as moby's default spec has them
 * (daemon/pkg/oci/defaults.go DefaultLinuxSpec): deny everything, allow
 * /dev/zero, null, urandom, random, tty and console, deny /dev/fuse.
 * --privileged appends "allow everything" (daemon/oci_linux.go WithDevices).
 * The runtime adds its own defaults after them (runtime/devices.h). */
static json_t *build_devices(bool privileged)
{
        static const struct {
                bool allow;
                int major, minor;
        } rules[] = {{true, 1, 5}, {true, 1, 3}, {true, 1, 9},    {true, 1, 8},
                     {true, 5, 0}, {true, 5, 1}, {false, 10, 229}};
        json_t *a = json_pack("[{sb ss}]", "allow", 0, "access", "rwm");
        for (size_t i = 0; i < ARRAY_SIZE(rules); i++)
                json_array_append_new(a, json_pack("{sb ss si si ss}", "allow", rules[i].allow,
                                                   "type", "c", "major", rules[i].major, "minor",
                                                   rules[i].minor, "access", "rwm"));
        if (privileged)
                json_array_append_new(a, json_pack("{sb ss}", "allow", 1, "access", "rwm"));
        return a;
}

static json_t *build_resources(struct container *c)
{
        json_t *hc = c->host_config;
        json_t *res = json_object();
        json_set(res, "devices", build_devices(json_is_true(json_object_get(hc, "Privileged"))));
        json_int_t mem = json_integer_value(json_object_get(hc, "Memory"));
        json_int_t swap = json_integer_value(json_object_get(hc, "MemorySwap"));
        json_int_t reservation = json_integer_value(json_object_get(hc, "MemoryReservation"));
        json_t *memory = json_object();
        if (mem > 0) {
                /* Docker: unset swap means twice the memory limit. */
                json_set_int(memory, "limit", mem);
                json_set_int(memory, "swap", swap == 0 ? 2 * mem : swap);
        }
        if (reservation > 0) /* a soft limit: memory.soft_limit_in_bytes, v2 memory.low */
                json_set_int(memory, "reservation", reservation);
        if (json_object_size(memory))
                json_set(res, "memory", memory);
        else
                json_decref(memory);
        json_t *cpu = json_object();
        json_int_t shares = json_integer_value(json_object_get(hc, "CpuShares"));
        if (shares > 0)
                json_set_int(cpu, "shares", shares);
        json_int_t nano = json_integer_value(json_object_get(hc, "NanoCpus"));
        json_int_t quota = json_integer_value(json_object_get(hc, "CpuQuota"));
        json_int_t period = json_integer_value(json_object_get(hc, "CpuPeriod"));
        if (nano > 0) {
                period = 100000;
                quota = nano * period / 1000000000;
        }
        if (quota > 0)
                json_set_int(cpu, "quota", quota);
        if (period > 0)
                json_set_int(cpu, "period", period);
        json_set(res, "cpu", cpu);
        json_int_t pids = json_integer_value(json_object_get(hc, "PidsLimit"));
        if (pids != 0)
                json_set(res, "pids", json_pack("{sI}", "limit", pids));
        return res;
}

static json_t *build_rlimits(json_t *hc, struct kerr *err)
{
        json_t *out = json_array();
        bool nofile = false;
        size_t i;
        json_t *u;
        json_array_foreach(json_object_get(hc, "Ulimits"), i, u)
        {
                const char *name = json_get_str(u, "Name");
                if (!name) {
                        json_decref(out);
                        kerr_set(err, KERR_INVALID, EINVAL, "invalid ulimit: missing Name");
                        return NULL;
                }
                char type[64];
                snprintf(type, sizeof(type), "RLIMIT_%s", name);
                for (char *p = type; *p; p++)
                        *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
                nofile |= strcmp(type, "RLIMIT_NOFILE") == 0;
                json_array_append_new(
                    out, json_pack("{ss sI sI}", "type", type, "soft",
                                   json_integer_value(json_object_get(u, "Soft")), "hard",
                                   json_integer_value(json_object_get(u, "Hard"))));
        }
        /* dockerd's containers inherit its LimitNOFILE=infinity (1048576);
         * the runtime clamps to what the host allows, with a warning. */
        if (!nofile)
                json_array_append_new(out,
                                      json_pack("{ss sI sI}", "type", "RLIMIT_NOFILE", "soft",
                                                (json_int_t)1048576, "hard", (json_int_t)1048576));
        return out;
}

static json_t *build_namespaces(json_t *hc)
{
        const char *net = json_get_str(hc, "NetworkMode");
        json_t *ns = json_pack("[{ss}{ss}{ss}{ss}{ss}]", "type", "pid", "type", "ipc", "type",
                               "uts", "type", "mount", "type", "cgroup");
        if (!net || strcmp(net, "host") != 0)
                json_array_append_new(ns, json_pack("{ss}", "type", "network"));
        return ns;
}

static bool security_opt(json_t *hc, const char *name)
{
        size_t i;
        json_t *v;
        size_t n = strlen(name);
        json_array_foreach(json_object_get(hc, "SecurityOpt"), i, v)
        {
                const char *s = json_string_value(v);
                if (s && strncmp(s, name, n) == 0 &&
                    (s[n] == 0 || strcmp(s + n, ":true") == 0 || strcmp(s + n, "=true") == 0))
                        return true;
        }
        return false;
}

static json_t *build_process(struct container *c, json_t *caps, json_t *rlimits)
{
        json_t *cfg = c->config;
        json_t *args = json_array();
        if (json_is_true(json_object_get(c->host_config, "Init"))) {
                json_array_append_new(args, json_string(INIT_CONTAINER_PATH));
                json_array_append_new(args, json_string("--"));
        }
        json_array_extend(args, json_object_get(cfg, "Entrypoint"));
        json_array_extend(args, json_object_get(cfg, "Cmd"));
        const char *wd = json_get_str(cfg, "WorkingDir");
        json_t *p = json_pack("{sb so ss so so sb}", "terminal",
                              json_is_true(json_object_get(cfg, "Tty")), "args", args, "cwd",
                              wd && wd[0] ? wd : "/", "env", build_env(c), "capabilities", caps,
                              "noNewPrivileges", security_opt(c->host_config, "no-new-privileges"));
        json_set(p, "rlimits", rlimits);
        json_t *console = json_object_get(c->host_config, "ConsoleSize");
        if (json_array_size(console) == 2 && json_integer_value(json_array_get(console, 0)) > 0)
                json_set(p, "consoleSize",
                         json_pack("{sO sO}", "height", json_array_get(console, 0), "width",
                                   json_array_get(console, 1)));
        return p;
}

int container_spec_write(struct engine *e, struct container *c, struct kerr *err)
{
        struct image_rootfs img = {0};
        if (image_rootfs_get(e, c->image_id, &img, err) < 0)
                return kerr_wrap(err, "image of container %s", c->name);
        json_t *caps = NULL, *rlimits = NULL, *mounts = NULL;
        if (build_caps(c->host_config, &caps, err) < 0 ||
            !(rlimits = build_rlimits(c->host_config, err)) ||
            !(mounts = build_mounts(e, c, err))) {
                json_decref(caps);
                json_decref(rlimits);
                image_rootfs_release(&img);
                return -EINVAL;
        }
        _cleanup_json_ json_t *process = build_process(c, caps, rlimits);
        if (resolve_user(e, c, img.lowerdirs, process, err) < 0) {
                json_decref(mounts);
                image_rootfs_release(&img);
                return -EINVAL;
        }
        _cleanup_free_ char *dir = container_path(e, c->id, NULL);
        _cleanup_free_ char *upper = xasprintf("%s/upper", dir);
        _cleanup_free_ char *work = xasprintf("%s/work", dir);
        bool privileged = json_is_true(json_object_get(c->host_config, "Privileged"));
        json_t *linux_ = json_pack("{so so ss}", "namespaces", build_namespaces(c->host_config),
                                   "resources", build_resources(c), "cgroupsPath", "");
        char cg[100];
        snprintf(cg, sizeof(cg), "/kedge/%s", c->id);
        json_set_str(linux_, "cgroupsPath", cg);
        if (!privileged) {
                json_set(linux_, "maskedPaths", build_masked_paths());
                json_set(linux_, "readonlyPaths",
                         strings(readonly_paths, ARRAY_SIZE(readonly_paths)));
        }
        const char *hostname = json_get_str(c->config, "Hostname");
        const char *domain = json_get_str(c->config, "Domainname");
        _cleanup_json_ json_t *spec =
            json_pack("{ss sO s{ss sb} ss ss so so s{ss ss ss}}", "ociVersion", "1.0.2", "process",
                      process, "root", "path", "rootfs", "readonly",
                      json_is_true(json_object_get(c->host_config, "ReadonlyRootfs")), "hostname",
                      hostname ? hostname : "", "domainname", domain ? domain : "", "mounts",
                      mounts, "linux", linux_, "annotations", RT_ANNOTATION_LOWERDIRS,
                      img.lowerdirs, RT_ANNOTATION_UPPERDIR, upper, RT_ANNOTATION_WORKDIR, work);
        image_rootfs_release(&img);
        if (!spec)
                return kerr_set(err, KERR_INTERNAL, EINVAL, "cannot build the runtime spec");
        _cleanup_free_ char *text = json_dumps(spec, JSON_INDENT(1));
        char rel[128];
        container_dir(c, rel, sizeof(rel));
        strncat(rel, "/config.json", sizeof(rel) - strlen(rel) - 1);
        /* Rewritten at every start: not worth an fsync. */
        int r = fs_write_atomic_at_flags(e->store->root_fd, rel, text, strlen(text), 0600,
                                         FS_WRITE_NO_SYNC);
        if (r < 0)
                return kerr_set(err, KERR_INTERNAL, r, "write runtime spec: %s", strerror(-r));
        return 0;
}
