/* container-options.c - the create options kedge refuses, and the type and
 * range of every number that sizes something (container-options.h).
 *
 * Each table below is one kind of rule; docs/internals/containers.md lists
 * what is carried out. An option joins the "carried out" side only in the
 * same change that implements it. */
#include "container-options.h"
#include "container-mounts.h"
#include "signals.h"

#include "base/json.h"
#include "base/parse.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int refuse(struct kerr *err, const char *what, const char *flag)
{
        return kerr_set(err, KERR_INVALID, ENOTSUP, "kedge does not support %s yet%s%s%s", what,
                        flag ? " (" : "", flag ? flag : "", flag ? ")" : "");
}

bool container_option_is_zero(const json_t *v)
{
        if (!v || json_is_null(v) || json_is_false(v))
                return true;
        if (json_is_integer(v))
                return json_integer_value(v) == 0;
        if (json_is_real(v))
                return json_real_value(v) == 0;
        if (json_is_string(v))
                return json_string_length(v) == 0;
        if (json_is_array(v))
                return json_array_size(v) == 0;
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)v, k, x) if (!container_option_is_zero(x)) return false;
        return json_is_object(v);
}

/* HostConfig fields kedge does not carry out: accepted only when zero. */
static const struct {
        const char *key, *flag;
} refused_host[] = {
    {"Links", "--link"},
    {"Dns", "--dns"},
    {"DnsOptions", "--dns-option"},
    {"DnsSearch", "--dns-search"},
    {"Devices", "--device"},
    {"DeviceCgroupRules", "--device-cgroup-rule"},
    {"DeviceRequests", "--gpus"},
    {"VolumesFrom", "--volumes-from"},
    {"VolumeDriver", "--volume-driver"},
    {"PortBindings", "-p: kedge has no networking yet"},
    {"PublishAllPorts", "-P: kedge has no networking yet"},
    {"CpusetCpus", "--cpuset-cpus"},
    {"CpusetMems", "--cpuset-mems"},
    {"BlkioWeight", "--blkio-weight"},
    {"BlkioWeightDevice", "--blkio-weight-device"},
    {"BlkioDeviceReadBps", "--device-read-bps"},
    {"BlkioDeviceWriteBps", "--device-write-bps"},
    {"BlkioDeviceReadIOps", "--device-read-iops"},
    {"BlkioDeviceWriteIOps", "--device-write-iops"},
    {"OomKillDisable", "--oom-kill-disable"},
    {"OomScoreAdj", "--oom-score-adj"},
    {"KernelMemory", "--kernel-memory"},
    {"KernelMemoryTCP", NULL},
    {"CgroupParent", "--cgroup-parent"},
    {"Sysctls", "--sysctl"},
    {"StorageOpt", "--storage-opt"},
    {"CpuRealtimePeriod", "--cpu-rt-period"},
    {"CpuRealtimeRuntime", "--cpu-rt-runtime"},
    {"CpuCount", "--cpu-count"},
    {"CpuPercent", "--cpu-percent"},
    {"IOMaximumIOps", "--io-maxiops"},
    {"IOMaximumBandwidth", "--io-maxbandwidth"},
    {"MaskedPaths", NULL},
    {"ReadonlyPaths", NULL},
    {"Annotations", "--annotation"},
};

/* String modes: the values kedge carries out. kedge always makes private
 * pid, ipc, uts and cgroup namespaces and no user namespace. */
static const struct {
        const char *key, *flag;
        const char *ok[4];
} modes[] = {
    {"IpcMode", "--ipc", {"", "private", "shareable"}},
    {"PidMode", "--pid", {""}},
    {"UTSMode", "--uts", {""}},
    {"UsernsMode", "--userns", {"", "host"}},
    {"CgroupnsMode", "--cgroupns", {"", "private"}},
    {"Cgroup", "--cgroup", {""}},
    {"Isolation", "--isolation", {"", "default"}},
};

/* Numbers that size something: an integer (never 1.5, "1g" or true) in
 * [min, max]; 0 (unset) and `also` are always allowed. */
static const struct {
        const char *key;
        int64_t also, min, max;
} numbers[] = {
    {"Memory", 0, 0, CONTAINER_BYTES_MAX},
    {"MemorySwap", -1, 0, CONTAINER_BYTES_MAX},
    {"MemoryReservation", 0, 0, CONTAINER_BYTES_MAX},
    {"ShmSize", 0, 0, CONTAINER_BYTES_MAX},
    {"NanoCpus", 0, 0, 1LL << 50},
    {"CpuShares", 0, 2, 262144},       /* the kernel's range for cpu.shares */
    {"CpuQuota", -1, 1000, 1LL << 40}, /* us; dockerd: at least 1ms */
    {"CpuPeriod", 0, 1000, 1000000},   /* us; dockerd: 1ms to 1s */
    {"PidsLimit", -1, 1, INT32_MAX},
};

static int check_number(const json_t *v, const char *name, int64_t also, int64_t min, int64_t max,
                        struct kerr *err)
{
        if (!v || json_is_null(v))
                return 0;
        if (!json_is_integer(v))
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "invalid %s: wrong type: want an integer", name);
        int64_t n = json_integer_value(v);
        if (n == 0 || n == also || (n >= min && n <= max))
                return 0;
        return kerr_set(err, KERR_INVALID, ERANGE,
                        "invalid %s %lld: out of range (%lld to %lld, or 0 for unset%s)", name,
                        (long long)n, (long long)min, (long long)max,
                        also == -1 ? ", or -1 for unlimited" : "");
}

static int check_numbers(const json_t *config, const json_t *hc, struct kerr *err)
{
        char name[64];
        for (size_t i = 0; i < ARRAY_SIZE(numbers); i++) {
                snprintf(name, sizeof(name), "HostConfig.%s", numbers[i].key);
                if (check_number(json_object_get(hc, numbers[i].key), name, numbers[i].also,
                                 numbers[i].min, numbers[i].max, err) < 0)
                        return -EINVAL;
        }
        /* seconds; -1 waits for ever; the stop path counts in int ms */
        if (check_number(json_object_get(config, "StopTimeout"), "StopTimeout", -1, 0,
                         INT32_MAX / 1000, err) < 0)
                return -EINVAL;
        json_t *sw = json_object_get(hc, "MemorySwappiness");
        if (sw && !json_is_null(sw) && !(json_is_integer(sw) && json_integer_value(sw) == -1))
                return refuse(err, "HostConfig.MemorySwappiness", "--memory-swappiness");
        return 0;
}

static int check_console_size(const json_t *v, struct kerr *err)
{
        if (!v || json_is_null(v))
                return 0;
        bool ok = json_is_array(v) && json_array_size(v) == 2;
        for (size_t i = 0; ok && i < 2; i++) {
                json_t *n = json_array_get(v, i);
                ok = json_is_integer(n) && json_integer_value(n) >= 0 &&
                     json_integer_value(n) <= UINT16_MAX;
        }
        return ok ? 0
                  : kerr_set(
                        err, KERR_INVALID, EINVAL,
                        "invalid HostConfig.ConsoleSize: want [height, width] from 0 to 65535");
}

static const char *const ulimit_names[] = {
    "core",   "cpu",   "data", "fsize",  "locks",  "memlock",    "msgqueue", "nice",
    "nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack",
};

static int check_ulimit(const json_t *u, struct kerr *err)
{
        const char *name = json_get_str(u, "Name");
        if (!json_is_object(u) || !name)
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "invalid HostConfig.Ulimits: want {Name, Soft, Hard} objects");
        bool known = false;
        for (size_t i = 0; i < ARRAY_SIZE(ulimit_names); i++)
                known |= strcmp(name, ulimit_names[i]) == 0;
        if (!known)
                return kerr_set(err, KERR_INVALID, EINVAL, "invalid ulimit type: %s", name);
        if (check_number(json_object_get(u, "Soft"), "HostConfig.Ulimits Soft", -1, 0, INT64_MAX,
                         err) < 0 ||
            check_number(json_object_get(u, "Hard"), "HostConfig.Ulimits Hard", -1, 0, INT64_MAX,
                         err) < 0)
                return -EINVAL;
        json_int_t soft = json_integer_value(json_object_get(u, "Soft"));
        json_int_t hard = json_integer_value(json_object_get(u, "Hard"));
        if (hard != -1 && (soft == -1 || soft > hard))
                return kerr_set(
                    err, KERR_INVALID, ERANGE,
                    "invalid HostConfig.Ulimits: ulimit soft limit must be less than or "
                    "equal to hard limit: %lld > %lld (%s)",
                    (long long)soft, (long long)hard, name);
        return 0;
}

static int check_ulimits(const json_t *v, struct kerr *err)
{
        if (!v || json_is_null(v))
                return 0;
        if (!json_is_array(v))
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "invalid HostConfig.Ulimits: wrong type: want an array");
        size_t i;
        json_t *u;
        json_array_foreach(v, i, u) if (check_ulimit(u, err) < 0) return -EINVAL;
        return 0;
}

static int check_refused_host(const json_t *hc, struct kerr *err)
{
        char what[64];
        for (size_t i = 0; i < ARRAY_SIZE(refused_host); i++) {
                if (container_option_is_zero(json_object_get(hc, refused_host[i].key)))
                        continue;
                snprintf(what, sizeof(what), "HostConfig.%s", refused_host[i].key);
                return refuse(err, what, refused_host[i].flag);
        }
        for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
                json_t *v = json_object_get(hc, modes[i].key);
                if (!v || json_is_null(v))
                        continue;
                const char *s = json_string_value(v);
                bool ok = false;
                for (size_t k = 0; s && k < ARRAY_SIZE(modes[i].ok) && modes[i].ok[k]; k++)
                        ok |= strcmp(s, modes[i].ok[k]) == 0;
                if (!ok) {
                        snprintf(what, sizeof(what), "%s '%s'", modes[i].key, s ? s : "?");
                        return refuse(err, what, modes[i].flag);
                }
        }
        return 0;
}

static int check_restart_policy(const json_t *rp, struct kerr *err)
{
        if (!rp || json_is_null(rp))
                return 0;
        const char *name = json_get_str(rp, "Name");
        json_t *max = json_object_get(rp, "MaximumRetryCount");
        if (!json_is_object(rp) || (max && !json_is_null(max) && !json_is_integer(max)))
                return kerr_set(err, KERR_INVALID, EINVAL, "invalid restart policy: wrong type");
        if (json_integer_value(max) < 0)
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "invalid restart policy: maximum retry count cannot be negative");
        if (!name || !name[0] || strcmp(name, "no") == 0) {
                if (json_integer_value(max) != 0)
                        return kerr_set(err, KERR_INVALID, EINVAL,
                                        "invalid restart policy: maximum retry count can only be "
                                        "used with 'on-failure'");
                return 0;
        }
        if (strcmp(name, "always") == 0 || strcmp(name, "unless-stopped") == 0 ||
            strcmp(name, "on-failure") == 0)
                return kerr_set(err, KERR_INVALID, ENOTSUP,
                                "kedge does not support restart policy '%s' yet", name);
        return kerr_set(err, KERR_INVALID, EINVAL,
                        "invalid restart policy: unknown policy '%s'; use one of 'no', 'always', "
                        "'on-failure', or 'unless-stopped'",
                        name);
}

/* dockerd's log drivers: kedge writes json-file only. */
static const char *const log_drivers[] = {"none",    "local",   "syslog",    "journald",
                                          "gelf",    "fluentd", "awslogs",   "splunk",
                                          "etwlogs", "gcplogs", "logentries"};
/* json-file options dockerd knows; kedge carries out the first two. */
static const char *const json_file_opts[] = {"max-size",     "max-file", "compress",  "labels",
                                             "labels-regex", "env",      "env-regex", "tag"};

static int check_log_opts(const json_t *cfg, struct kerr *err)
{
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)cfg, k, v)
        {
                size_t i = 0;
                while (i < ARRAY_SIZE(json_file_opts) && strcmp(k, json_file_opts[i]) != 0)
                        i++;
                if (i == ARRAY_SIZE(json_file_opts))
                        return kerr_set(err, KERR_INVALID, EINVAL,
                                        "unknown log opt '%s' for json-file log driver", k);
                if (i >= 2)
                        return kerr_set(err, KERR_INVALID, ENOTSUP,
                                        "kedge does not support log opt '%s' yet", k);
                int64_t n;
                const char *s = json_string_value(v);
                if (!s)
                        return kerr_set(err, KERR_INVALID, EINVAL, "invalid log opt '%s'", k);
                if (i == 1 && parse_int64_range(s, 1, INT32_MAX, &n) < 0)
                        return kerr_set(err, KERR_INVALID, EINVAL, "invalid value for max-file: %s",
                                        s);
        }
        return 0;
}

static int check_log_config(const json_t *lc, struct kerr *err)
{
        const char *type = json_get_str(lc, "Type");
        if (type && type[0] && strcmp(type, "json-file") != 0) {
                for (size_t i = 0; i < ARRAY_SIZE(log_drivers); i++)
                        if (strcmp(type, log_drivers[i]) == 0)
                                return kerr_set(err, KERR_INVALID, ENOTSUP,
                                                "kedge does not support logging driver '%s' yet "
                                                "(json-file is)",
                                                type);
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "logger: no log driver named '%s' is registered", type);
        }
        return check_log_opts(json_object_get(lc, "Config"), err);
}

int container_extra_host_split(const char *s, size_t *ret_name_len, const char **ret_ip)
{
        /* "name=ip" (CLI 25+; the only form for IPv6) or "name:ip". */
        const char *sep = strchr(s, '=');
        if (!sep)
                sep = strchr(s, ':');
        if (!sep || sep == s)
                return -EINVAL;
        *ret_name_len = (size_t)(sep - s);
        *ret_ip = sep + 1;
        return 0;
}

static int check_extra_hosts(const json_t *v, struct kerr *err)
{
        size_t i;
        json_t *h;
        json_array_foreach(v, i, h)
        {
                const char *s = json_string_value(h), *ip;
                size_t n;
                unsigned char buf[16];
                if (!s || container_extra_host_split(s, &n, &ip) < 0)
                        return kerr_set(err, KERR_INVALID, EINVAL, "invalid add-host: %s",
                                        s ? s : "(not a string)");
                if (strcmp(ip, "host-gateway") == 0)
                        return refuse(err, "'host-gateway' in --add-host",
                                      "kedge has no networking yet");
                if (inet_pton(AF_INET, ip, buf) != 1 && inet_pton(AF_INET6, ip, buf) != 1)
                        return kerr_set(err, KERR_INVALID, EINVAL,
                                        "invalid IP address in add-host: \"%s\"", ip);
        }
        return 0;
}

static bool default_network(const char *mode)
{
        return !mode || !mode[0] || strcmp(mode, "default") == 0 || strcmp(mode, "bridge") == 0;
}

/* NetworkingConfig: one endpoint at most, for the container's own network
 * mode, with nothing set (kedge has no IPAM, aliases, links or MACs). */
static int check_endpoints(const json_t *hc, const json_t *nc, struct kerr *err)
{
        const char *mode = json_get_str(hc, "NetworkMode");
        const char *net;
        json_t *ep;
        json_object_foreach(json_object_get(nc, "EndpointsConfig"), net, ep)
        {
                bool same = mode && strcmp(net, mode) == 0;
                if (!same && !(default_network(mode) && default_network(net)))
                        return kerr_set(err, KERR_INVALID, ENOTSUP,
                                        "kedge does not support connecting to network '%s' yet "
                                        "(the container's network mode is '%s')",
                                        net, mode && mode[0] ? mode : "default");
                const char *k;
                json_t *v;
                json_object_foreach(ep, k, v)
                {
                        if (container_option_is_zero(v))
                                continue;
                        char what[160];
                        snprintf(what, sizeof(what), "NetworkingConfig.EndpointsConfig.%s.%s", net,
                                 k);
                        return refuse(err, what, "kedge has no networking yet");
                }
        }
        const char *m = mode ? mode : "";
        if (strncmp(m, "container:", 10) == 0) {
                char what[128];
                snprintf(what, sizeof(what), "NetworkMode '%.100s'", m);
                return refuse(err, what, "--network");
        }
        return 0;
}

static int check_healthcheck(const json_t *hcheck, bool merged, struct kerr *err)
{
        json_t *test = json_object_get(hcheck, "Test");
        if (!hcheck || json_is_null(hcheck) || json_array_size(test) == 0)
                return 0;
        const char *first = json_string_value(json_array_get(test, 0));
        if (first && strcmp(first, "NONE") == 0)
                return 0;
        return kerr_set(err, KERR_INVALID, ENOTSUP,
                        merged ? "kedge does not support healthchecks yet: the image has a "
                                 "HEALTHCHECK (create with --no-healthcheck to run it without)"
                               : "kedge does not support healthchecks yet (Healthcheck, "
                                 "--health-cmd)");
}

/* dockerd's validateContainerConfig, in its words. */
static int check_config_values(const json_t *config, struct kerr *err)
{
        const char *wd = json_get_str(config, "WorkingDir");
        if (wd && wd[0] && wd[0] != '/')
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "the working directory '%s' is invalid, it needs to be an absolute "
                                "path",
                                wd);
        const char *sig = json_get_str(config, "StopSignal");
        if (sig && sig[0] && signal_parse(sig) <= 0)
                return kerr_set(err, KERR_INVALID, EINVAL, "Invalid signal: %s", sig);
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(config, "Env"), i, v)
        {
                const char *s = json_string_value(v);
                if (s && (s[0] == '=' || s[0] == 0))
                        return kerr_set(err, KERR_INVALID, EINVAL,
                                        "invalid environment variable: %s", s);
        }
        return 0;
}

static int check_config(const json_t *config, struct kerr *err)
{
        if (check_config_values(config, err) < 0)
                return -EINVAL;
        json_t *hc = json_object_get(config, "Healthcheck");
        if (hc && !json_is_null(hc) && !json_is_object(hc))
                return kerr_set(err, KERR_INVALID, EINVAL, "invalid Healthcheck: wrong type");
        if (check_healthcheck(hc, false, err) < 0)
                return -EINVAL;
        if (!container_option_is_zero(json_object_get(config, "MacAddress")))
                return refuse(err, "MacAddress", "--mac-address: kedge has no networking yet");
        if (!container_option_is_zero(json_object_get(config, "NetworkDisabled")))
                return refuse(err, "NetworkDisabled", "use --network none");
        return 0;
}

int container_options_check(const json_t *config, const json_t *hc, const json_t *nc,
                            struct kerr *err)
{
        if (check_numbers(config, hc, err) < 0 ||
            check_console_size(json_object_get(hc, "ConsoleSize"), err) < 0 ||
            check_ulimits(json_object_get(hc, "Ulimits"), err) < 0 ||
            check_refused_host(hc, err) < 0 ||
            check_restart_policy(json_object_get(hc, "RestartPolicy"), err) < 0 ||
            check_log_config(json_object_get(hc, "LogConfig"), err) < 0 ||
            check_extra_hosts(json_object_get(hc, "ExtraHosts"), err) < 0 ||
            check_endpoints(hc, nc, err) < 0 || check_config(config, err) < 0)
                return -EINVAL;
        return 0;
}

int container_options_check_merged(const json_t *config, const json_t *hc, json_t *warnings,
                                   struct kerr *err)
{
        if (check_healthcheck(json_object_get(config, "Healthcheck"), true, err) < 0)
                return -EINVAL;
        const char *path;
        json_t *v;
        json_object_foreach(json_object_get(config, "Volumes"), path, v)
        {
                if (container_mounts_cover(hc, path))
                        continue;
                char w[512];
                snprintf(w, sizeof(w),
                         "kedge has no volumes yet: the image's volume %.400s stays in the "
                         "container's writable layer",
                         path);
                json_array_append_new(warnings, json_string(w));
        }
        return 0;
}
