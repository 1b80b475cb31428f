/* containers.c - /containers/...: create, inspect, list, rename, remove,
 * prune, wait. Rendering of the engine's container records into Docker's
 * JSON shapes lives here. */
#include "containers.h"
#include "handlers.h"
#include "reply.h"
#include "stream.h"

#include "base/json.h"
#include "base/parse.h"
#include "base/parse.h"
#include "base/xalloc.h"
#include "engine/container/container-mounts.h"
#include "engine/container/container.h"
#include "engine/container/container-list.h"
#include "engine/engine.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* RFC 3339 with nanoseconds in UTC; 0 is Go's zero time. */
static json_t *time_json(int64_t ns)
{
        if (ns <= 0)
                return json_string("0001-01-01T00:00:00Z");
        time_t s = (time_t)(ns / 1000000000);
        struct tm tm;
        gmtime_r(&s, &tm);
        char buf[64];
        snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 (long long)(ns % 1000000000));
        return json_string(buf);
}

/* Parses a JSON request body; an empty body is an empty object. */
static json_t *body_json(struct request *req, struct kerr *err)
{
        if (req->body.len == 0)
                return json_object();
        const char *ct = req_header(req, "Content-Type");
        if (ct && strncmp(ct, "application/json", 16) != 0) {
                kerr_set(err, KERR_INVALID, EINVAL,
                         "unsupported Content-Type header (%s): must be "
                         "'application/json'",
                         ct);
                return NULL;
        }
        json_error_t je;
        json_t *v = json_loadb(req->body.data, req->body.len, 0, &je);
        if (!v)
                kerr_set(err, KERR_INVALID, EINVAL, "invalid JSON: %s (line %d, column %d)",
                         je.text, je.line, je.column);
        else if (!json_is_object(v)) {
                json_decref(v);
                v = NULL;
                kerr_set(err, KERR_INVALID, EINVAL, "invalid JSON: the body must be an object");
        }
        return v;
}

struct container *containers_lookup(struct request *req)
{
        struct kerr err = {0};
        struct container *c = container_get(req->engine, req_param(req, 0), &err);
        if (!c)
                reply_error(req, &err);
        return c;
}

void containers_create(struct request *req)
{
        struct kerr err = {0};
        _cleanup_json_ json_t *body = body_json(req, &err);
        if (!body) {
                reply_error(req, &err);
                return;
        }
        json_t *warnings = json_array();
        struct container *c =
            container_create(req->engine, req_query(req, "name"), body, warnings, &err);
        if (!c) {
                json_decref(warnings);
                reply_error(req, &err);
                return;
        }
        reply_json(req, MHD_HTTP_CREATED,
                   json_pack("{ss so}", "Id", container_id(c), "Warnings", warnings));
        container_unref(c);
}

static json_t *state_json(const struct container_snapshot *c)
{
        json_t *s = json_pack(
            "{ss sb sb sb sb sb sb si si ss so so}", "Status", container_state_name(c->state),
            "Running", c->state == CONTAINER_RUNNING || c->state == CONTAINER_PAUSED, "Paused",
            c->state == CONTAINER_PAUSED, "Restarting", c->state == CONTAINER_RESTARTING,
            "OOMKilled", c->oom_killed, "Dead", c->state == CONTAINER_DEAD, "Removing",
            c->state == CONTAINER_REMOVING, "Pid", c->pid, "ExitCode", c->exit_code, "Error",
            c->error ? c->error : "", "StartedAt", time_json(c->started_ns), "FinishedAt",
            time_json(c->finished_ns));
        return s;
}

static json_t *network_settings(const struct container_snapshot *c)
{
        const char *mode = json_get_str(c->host_config, "NetworkMode");
        json_t *nets = json_object();
        /* Only what is true: host and none get the entry Docker shows for
         * them (clients look for it, podman #17385); the default mode has
         * no network kedge could name yet, so none is listed. */
        if (mode && (strcmp(mode, "host") == 0 || strcmp(mode, "none") == 0))
                json_set(nets, mode,
                         json_pack("{sn sn sn ss ss ss ss si ss ss si ss sn sn}", "IPAMConfig",
                                   "Links", "Aliases", "MacAddress", "", "NetworkID", "",
                                   "EndpointID", "", "Gateway", "", "IPPrefixLen", 0, "IPAddress",
                                   "", "IPv6Gateway", "", "GlobalIPv6PrefixLen", 0,
                                   "GlobalIPv6Address", "", "DriverOpts", "DNSNames"));
        /* Docker's deprecated top-level copy of the default endpoint: empty,
         * as there is none; `inspect -f {{.NetworkSettings.IPAddress}}`
         * reads it. */
        return json_pack("{ss sb ss so ss so ss ss ss si ss ss si ss}", "Bridge", "", "HairpinMode",
                         0, "SandboxKey", "", "Ports", json_object(), "SandboxID", "", "Networks",
                         nets, "EndpointID", "", "Gateway", "", "GlobalIPv6Address", "",
                         "GlobalIPv6PrefixLen", 0, "IPAddress", "", "IPv6Gateway", "",
                         "IPPrefixLen", 0, "MacAddress", "");
}

static json_t *mounts_json(const struct container_snapshot *c)
{
        return container_mounts_inspect(c->host_config);
}

static json_t *inspect_json(struct request *req, const struct container_snapshot *c)
{
        struct engine *e = req->engine;
        json_t *cfg = c->config;
        json_t *ep = json_object_get(cfg, "Entrypoint"), *cmd = json_object_get(cfg, "Cmd");
        json_t *args = json_array();
        const char *path = "";
        json_t *all = json_array();
        json_array_extend(all, ep);
        json_array_extend(all, cmd);
        if (json_array_size(all) > 0) {
                path = json_string_value(json_array_get(all, 0));
                for (size_t i = 1; i < json_array_size(all); i++)
                        json_array_append(args, json_array_get(all, i));
        }
        _cleanup_free_ char *dir = container_path(e, c->id, NULL);
        _cleanup_free_ char *log = xasprintf("%s/%s-json.log", dir, c->id);
        char name[300];
        snprintf(name, sizeof(name), "/%s", c->name);
        json_t *v = json_object();
        json_set_str(v, "Id", c->id);
        json_set(v, "Created", time_json(c->created_ns));
        json_set_str(v, "Path", path ? path : "");
        json_set(v, "Args", args);
        json_set(v, "State", state_json(c));
        json_set_str(v, "Image", c->image_id);
        static const char *const files[][2] = {{"ResolvConfPath", "resolv.conf"},
                                               {"HostnamePath", "hostname"},
                                               {"HostsPath", "hosts"}};
        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                _cleanup_free_ char *p = xasprintf("%s/%s", dir, files[i][1]);
                json_set_str(v, files[i][0], p);
        }
        json_set_str(v, "LogPath", log);
        json_set_str(v, "Name", name);
        json_set_int(v, "RestartCount", c->restart_count);
        json_set_str(v, "Driver", "overlay2");
        json_set_str(v, "Platform", "linux");
        json_set_str(v, "MountLabel", "");
        json_set_str(v, "ProcessLabel", "");
        json_set_str(v, "AppArmorProfile", "");
        json_set(v, "ExecIDs", json_null());
        json_set(v, "HostConfig", json_deep_copy(c->host_config));
        _cleanup_free_ char *upper = xasprintf("%s/upper", dir);
        json_set(v, "GraphDriver",
                 json_pack("{ss s{ss ss}}", "Name", "overlay2", "Data", "UpperDir", upper,
                           "WorkDir", dir));
        json_set(v, "Mounts", mounts_json(c));
        json_set(v, "Config", json_deep_copy(cfg));
        json_set(v, "NetworkSettings", network_settings(c));
        json_decref(all);
        return v;
}

void containers_inspect(struct request *req)
{
        _cleanup_(container_unrefp) struct container *c = containers_lookup(req);
        if (!c)
                return;
        /* A copy taken under the container's lock: a concurrent rename or
         * exit changes the record, never what is being rendered. */
        _cleanup_(container_snapshot_release) struct container_snapshot snap;
        container_snapshot_init(&snap, c);
        reply_json(req, MHD_HTTP_OK, inspect_json(req, &snap));
}

/* limit: a number; absent, empty or <= 0 is no limit. */
static int limit_of(struct request *req, long *ret)
{
        const char *ls = req_query(req, "limit");
        int64_t v = -1;
        int r = ls && *ls ? parse_int64_range(ls, INT_MIN, INT_MAX, &v) : 0;
        if (r < 0) {
                /* dockerd's words (strconv.Atoi), with 400 rather than its 500 */
                reply_errorf(req, KERR_INVALID, "strconv.Atoi: parsing \"%s\": %s", ls,
                             r == -ERANGE ? "value out of range" : "invalid syntax");
                return -1;
        }
        *ret = (long)v;
        return 0;
}

void containers_list(struct request *req)
{
        struct container_list_opts o = {.filters = req_query(req, "filters"),
                                        .all = req_query_bool(req, "all", false),
                                        .size = req_query_bool(req, "size", false)};
        if (limit_of(req, &o.limit) < 0)
                return;
        struct kerr err = {0};
        json_t *out;
        if (container_list(req->engine, &o, &out, &err) < 0)
                reply_error(req, &err);
        else
                reply_json(req, MHD_HTTP_OK, out);
}

void containers_rename(struct request *req)
{
        _cleanup_(container_unrefp) struct container *c = containers_lookup(req);
        if (!c)
                return;
        const char *name = req_query(req, "name");
        struct kerr err = {0};
        if (!name || !name[0]) {
                reply_errorf(req, KERR_INVALID, "Neither old nor new names may be empty");
                return;
        }
        if (container_rename(req->engine, c, name, &err) < 0)
                reply_error(req, &err);
        else
                reply_empty(req, MHD_HTTP_NO_CONTENT);
}

void containers_delete(struct request *req)
{
        _cleanup_(container_unrefp) struct container *c = containers_lookup(req);
        if (!c)
                return;
        struct kerr err = {0};
        if (req_query_bool(req, "link", false)) {
                reply_errorf(req, KERR_NOT_IMPLEMENTED, "legacy container links are not supported");
                return;
        }
        if (container_remove(req->engine, c, req_query_bool(req, "force", false),
                             req_query_bool(req, "v", false), &err) < 0)
                reply_error(req, &err);
        else
                reply_empty(req, MHD_HTTP_NO_CONTENT);
}

void containers_prune(struct request *req)
{
        struct kerr err = {0};
        json_t *out;
        if (container_prune(req->engine, req_query(req, "filters"), &out, &err) < 0)
                reply_error(req, &err);
        else
                reply_json(req, MHD_HTTP_OK, out);
}

/* --- wait: headers now, body at the condition --- */

static void wait_done(void *cls, int exit_code, const char *error)
{
        struct api_stream *s = cls;
        json_t *v = json_pack("{si}", "StatusCode", exit_code);
        json_set(v, "Error", error ? json_pack("{ss}", "Message", error) : json_null());
        api_stream_json(s, v, "\n");
        api_stream_close(s);
        api_stream_unref(s);
}

void containers_wait(struct request *req)
{
        _cleanup_(container_unrefp) struct container *c = containers_lookup(req);
        if (!c)
                return;
        const char *cond = req_query(req, "condition");
        enum wait_condition wc = WAIT_NOT_RUNNING;
        if (cond && cond[0]) {
                if (strcmp(cond, "next-exit") == 0)
                        wc = WAIT_NEXT_EXIT;
                else if (strcmp(cond, "removed") == 0)
                        wc = WAIT_REMOVED;
                else if (strcmp(cond, "not-running") != 0) {
                        reply_errorf(req, KERR_INVALID, "invalid condition: \"%s\"", cond);
                        return;
                }
        }
        struct api_stream *s = reply_async(req, MHD_HTTP_OK, "application/json");
        container_wait(req->engine, c, wc, wait_done, s);
}
