/* system.c - /_ping, /version, /info and the answers for API families
 * kedge does not take part in (swarm, plugins). */
#include "handlers.h"
#include "reply.h"

#include "config.h"

#include "base/json.h"
#include "engine/engine.h"
#include "gitversion.h"
#include "store/store.h"

#include <string.h>

void system_ping(struct request *req)
{
        bool head = strcmp(req->method, "HEAD") == 0;
        const char *body = head ? "" : "OK";
        struct MHD_Response *resp =
            MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
        MHD_add_response_header(resp, "Content-Type", "text/plain; charset=utf-8");
        MHD_add_response_header(resp, "Cache-Control", "no-cache, no-store, must-revalidate");
        MHD_add_response_header(resp, "Pragma", "no-cache");
        /* 1 = the classic builder: kedge serves no BuildKit session (/grpc). */
        MHD_add_response_header(resp, "Builder-Version", "1");
        MHD_add_response_header(resp, "Swarm", "inactive");
        reply_response(req, MHD_HTTP_OK, resp);
}

static const char *arch_name(const char *machine)
{
        /* Docker reports Go's GOARCH names. */
        static const struct {
                const char *uname, *goarch;
        } map[] = {{"x86_64", "amd64"},   {"aarch64", "arm64"},   {"armv7l", "arm"},
                   {"i686", "386"},       {"ppc64le", "ppc64le"}, {"s390x", "s390x"},
                   {"riscv64", "riscv64"}};
        for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
                if (strcmp(machine, map[i].uname) == 0)
                        return map[i].goarch;
        return machine;
}

void system_version(struct request *req)
{
        const struct host_info *h = &req->engine->host;
        const char *arch = arch_name(h->architecture);
        json_t *details = json_object();
        json_set_str(details, "ApiVersion", API_VERSION_CURRENT_STR);
        json_set_str(details, "Arch", arch);
        json_set_str(details, "BuildTime", KEDGE_BUILD_TIME);
        json_set_str(details, "Experimental", "false");
        json_set_str(details, "GitCommit", KEDGE_GIT_COMMIT);
        json_set_str(details, "GoVersion", KEDGE_TOOLCHAIN);
        json_set_str(details, "KernelVersion", h->kernel_version);
        json_set_str(details, "MinAPIVersion", API_VERSION_MIN_STR);
        json_set_str(details, "Os", "linux");

        json_t *engine = json_object();
        json_set_str(engine, "Name", "Engine");
        json_set_str(engine, "Version", KEDGE_VERSION);
        json_set(engine, "Details", details);

        json_t *platform = json_object();
        json_set_str(platform, "Name", "kedge");

        json_t *v = json_object();
        json_set(v, "Platform", platform);
        json_set(v, "Components", json_pack("[o]", engine));
        json_set_str(v, "Version", KEDGE_VERSION);
        json_set_str(v, "ApiVersion", API_VERSION_CURRENT_STR);
        json_set_str(v, "MinAPIVersion", API_VERSION_MIN_STR);
        json_set_str(v, "GitCommit", KEDGE_GIT_COMMIT);
        json_set_str(v, "GoVersion", KEDGE_TOOLCHAIN);
        json_set_str(v, "Os", "linux");
        json_set_str(v, "Arch", arch);
        json_set_str(v, "KernelVersion", h->kernel_version);
        json_set_str(v, "BuildTime", KEDGE_BUILD_TIME);
        reply_json(req, MHD_HTTP_OK, v);
}

static json_t *info_runtimes(const struct engine *e)
{
        json_t *rts = json_object();
        for (int i = 0; i < e->nruntimes; i++)
                json_set(rts, e->runtimes[i].name, json_pack("{ss}", "path", e->runtimes[i].path));
        return rts;
}

static json_t *info_security_options(const struct host_info *h)
{
        json_t *a = json_array();
        /* Claimed only once a profile is applied to every container. */
        if (h->seccomp_profile)
                json_array_append_new(a, json_string("name=seccomp,profile=builtin"));
        if (h->cgroup.version == 2)
                json_array_append_new(a, json_string("name=cgroupns"));
        if (!h->root)
                json_array_append_new(a, json_string("name=rootless"));
        return a;
}

static json_t *info_registry_config(const struct engine *e)
{
        /* Loopback registries are insecure by default, as in Docker; CIDRs
         * given go to InsecureRegistryCIDRs, names to IndexConfigs. */
        json_t *mirrors = json_array();
        for (char **m = e->registry_mirrors; m && *m; m++)
                json_array_append_new(mirrors, json_string(*m));
        json_t *index = json_pack("{s{ss sO sb sb}}", "docker.io", "Name", "docker.io", "Mirrors",
                                  mirrors, "Secure", 1, "Official", 1);
        json_t *cidrs = json_pack("[ss]", "127.0.0.0/8", "::1/128");
        for (char **i = e->insecure_registries; i && *i; i++) {
                if (strchr(*i, '/'))
                        json_array_append_new(cidrs, json_string(*i));
                else
                        json_set(index, *i,
                                 json_pack("{ss s[] sb sb}", "Name", *i, "Mirrors", "Secure", 0,
                                           "Official", 0));
        }
        return json_pack("{so so so s[]}", "InsecureRegistryCIDRs", cidrs, "IndexConfigs", index,
                         "Mirrors", mirrors, "AllowNondistributableArtifactsCIDRs");
}

static void info_cgroup_fields(json_t *v, const struct host_info *h)
{
        json_set_bool(v, "MemoryLimit", h->cgroup.memory);
        json_set_bool(v, "SwapLimit", h->cgroup.swap);
        json_set_bool(v, "CpuCfsPeriod", h->cgroup.cpu_cfs);
        json_set_bool(v, "CpuCfsQuota", h->cgroup.cpu_cfs);
        json_set_bool(v, "CPUShares", h->cgroup.cpu);
        json_set_bool(v, "CPUSet", false);
        json_set_bool(v, "PidsLimit", h->cgroup.pids);
        /* kedge refuses HostConfig.OomKillDisable: it never disables it. */
        json_set_bool(v, "OomKillDisable", false);
        json_set_bool(v, "KernelMemoryTCP", false);
        json_set_str(v, "CgroupDriver", "cgroupfs");
        json_set_str(v, "CgroupVersion", h->cgroup.version == 2 ? "2" : "1");
}

void system_info(struct request *req)
{
        struct engine *e = req->engine;
        const struct host_info *h = &e->host;
        struct engine_info info;
        struct kerr err = {0};
        if (engine_info_get(e, &info, &err) < 0) {
                reply_error(req, &err);
                return;
        }
        json_t *v = json_object();
        json_set_str(v, "ID", e->store->id);
        json_set_int(v, "Containers", info.containers);
        json_set_int(v, "ContainersRunning", info.running);
        json_set_int(v, "ContainersPaused", info.paused);
        json_set_int(v, "ContainersStopped", info.stopped);
        json_set_int(v, "Images", info.images);
        json_set_str(v, "Driver", "overlay2");
        json_set(v, "DriverStatus",
                 json_pack("[[ss][ss]]", "Backing Filesystem", e->backing_fs, "Supports d_type",
                           "true"));
        json_set_str(v, "DockerRootDir", e->data_root);
        /* Drivers are listed as they land, never ahead of them. */
        json_set(v, "Plugins",
                 json_pack("{s[]s[ss]s[]s[s]}", "Volume", "Network", "host", "null",
                           "Authorization", "Log", "json-file"));
        info_cgroup_fields(v, h);
        json_set_bool(v, "IPv4Forwarding", h->ipv4_forwarding);
        json_set_bool(v, "Debug", false);
        json_set_str(v, "LoggingDriver", "json-file");
        json_set_str(v, "KernelVersion", h->kernel_version);
        json_set_str(v, "OperatingSystem", h->operating_system);
        json_set_str(v, "OSVersion", h->os_version);
        json_set_str(v, "OSType", "linux");
        json_set_str(v, "Architecture", h->architecture);
        json_set_str(v, "IndexServerAddress", "https://index.docker.io/v1/");
        json_set(v, "RegistryConfig", info_registry_config(req->engine));
        json_set_int(v, "NCPU", h->ncpu);
        json_set_int(v, "MemTotal", h->mem_total);
        json_set_str(v, "Name", h->hostname);
        json_set(v, "Labels", json_array());
        json_set_bool(v, "ExperimentalBuild", false);
        json_set_str(v, "ServerVersion", KEDGE_VERSION);
        json_set(v, "Runtimes", info_runtimes(e));
        json_set_str(v, "DefaultRuntime", info.default_runtime);
        json_set(v, "Swarm",
                 json_pack("{ss ss ss sb ss sn}", "NodeID", "", "NodeAddr", "", "LocalNodeState",
                           "inactive", "ControlAvailable", 0, "Error", "", "RemoteManagers"));
        /* Containers outlive the daemon (per-container shims, re-adopted). */
        json_set_bool(v, "LiveRestoreEnabled", true);
        json_set_str(v, "Isolation", "");
        json_set_str(v, "InitBinary", "");
        json_set(v, "SecurityOptions", info_security_options(h));
        json_t *warnings = json_array();
        for (int i = 0; i < h->nwarnings; i++)
                json_array_append_new(warnings, json_string(h->warnings[i]));
        json_set(v, "Warnings", warnings);
        reply_json(req, MHD_HTTP_OK, v);
}

void system_plugins(struct request *req)
{
        reply_json(req, MHD_HTTP_OK, json_array());
}

void system_no_swarm(struct request *req)
{
        /* dockerd's exact words: the CLI and Portainer recognise them. */
        reply_errorf(req, KERR_UNAVAILABLE, "This node is not part of a swarm");
}

void system_options(struct request *req)
{
        reply_empty(req, MHD_HTTP_OK);
}
