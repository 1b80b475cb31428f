/* containers.c - /containers/...: create, inspect, list, rename, remove,
 * prune, wait. Rendering of the engine's container records into Docker's
 * JSON shapes lives here. */
#include "containers.h"
#include "handlers.h"
#include "reply.h"
#include "stream.h"

#include "base/filters.h"
#include "base/json.h"
#include "base/parse.h"
#include "base/xalloc.h"
#include "engine/container/container-mounts.h"
#include "engine/container/container.h"
#include "engine/engine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

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
                kerr_set(err, KERR_INVALID, EINVAL, "unsupported Content-Type header (%s): must be "
                                                    "'application/json'", ct);
                return NULL;
        }
        json_error_t je;
        json_t *v = json_loadb(req->body.data, req->body.len, 0, &je);
        if (!v)
                kerr_set(err, KERR_INVALID, EINVAL, "invalid JSON: %s (line %d, column %d)", je.text,
                         je.line, je.column);
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
        struct container *c = engine_container_get(req->engine, req_param(req, 0), &err);
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
                engine_container_create(req->engine, req_query(req, "name"), body, warnings, &err);
        if (!c) {
                json_decref(warnings);
                reply_error(req, &err);
                return;
        }
        reply_json(req, MHD_HTTP_CREATED, json_pack("{ss so}", "Id", c->id, "Warnings", warnings));
        container_unref(c);
}

static json_t *state_json(struct container *c)
{
        pthread_mutex_lock(&c->lock);
        json_t *s = json_pack("{ss sb sb sb sb sb sb si si ss so so}", "Status",
                              container_state_name(c->state), "Running",
                              c->state == CONTAINER_RUNNING || c->state == CONTAINER_PAUSED,
                              "Paused", c->state == CONTAINER_PAUSED, "Restarting",
                              c->state == CONTAINER_RESTARTING, "OOMKilled", c->oom_killed, "Dead",
                              c->state == CONTAINER_DEAD, "Removing", c->state == CONTAINER_REMOVING,
                              "Pid", c->pid, "ExitCode", c->exit_code, "Error",
                              c->error ? c->error : "", "StartedAt", time_json(c->started_ns),
                              "FinishedAt", time_json(c->finished_ns));
        pthread_mutex_unlock(&c->lock);
        return s;
}

static json_t *network_settings(struct container *c)
{
        const char *mode = json_get_str(c->host_config, "NetworkMode");
        json_t *nets = json_object();
        /* Only what is true: host and none get the entry Docker shows for
         * them (clients look for it, podman #17385); the default mode has
         * no network kedge could name yet, so none is listed. */
        if (mode && (strcmp(mode, "host") == 0 || strcmp(mode, "none") == 0))
                json_set(nets, mode,
                 json_pack("{sn sn sn ss ss ss ss si ss ss si ss sn sn}", "IPAMConfig", "Links",
                           "Aliases", "MacAddress", "", "NetworkID", "", "EndpointID", "",
                           "Gateway", "", "IPPrefixLen", 0, "IPAddress", "", "IPv6Gateway", "",
                           "GlobalIPv6PrefixLen", 0, "GlobalIPv6Address", "", "DriverOpts",
                           "DNSNames"));
        /* Docker's deprecated top-level copy of the default endpoint: empty,
         * as there is none; `inspect -f {{.NetworkSettings.IPAddress}}`
         * reads it. */
        return json_pack("{ss sb ss so ss so ss ss ss si ss ss si ss}", "Bridge", "", "HairpinMode",
                         0, "SandboxKey", "", "Ports", json_object(), "SandboxID", "", "Networks",
                         nets, "EndpointID", "", "Gateway", "", "GlobalIPv6Address", "",
                         "GlobalIPv6PrefixLen", 0, "IPAddress", "", "IPv6Gateway", "",
                         "IPPrefixLen", 0, "MacAddress", "");
}

static json_t *mounts_json(struct container *c)
{
        return container_mounts_inspect(c->host_config);
}

static json_t *inspect_json(struct request *req, struct container *c)
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
        char dir[512], log[600];
        snprintf(dir, sizeof(dir), "%s/containers/%s", e->data_root, c->id);
        snprintf(log, sizeof(log), "%s/%s-json.log", dir, c->id);
        char name[300];
        snprintf(name, sizeof(name), "/%s", c->name);
        json_t *v = json_object();
        json_set_str(v, "Id", c->id);
        json_set(v, "Created", time_json(c->created_ns));
        json_set_str(v, "Path", path ? path : "");
        json_set(v, "Args", args);
        json_set(v, "State", state_json(c));
        json_set_str(v, "Image", c->image_id);
        char p[700];
        snprintf(p, sizeof(p), "%s/resolv.conf", dir);
        json_set_str(v, "ResolvConfPath", p);
        snprintf(p, sizeof(p), "%s/hostname", dir);
        json_set_str(v, "HostnamePath", p);
        snprintf(p, sizeof(p), "%s/hosts", dir);
        json_set_str(v, "HostsPath", p);
        json_set_str(v, "LogPath", log);
        json_set_str(v, "Name", name);
        pthread_mutex_lock(&c->lock);
        json_set_int(v, "RestartCount", c->restart_count);
        pthread_mutex_unlock(&c->lock);
        json_set_str(v, "Driver", "overlay2");
        json_set_str(v, "Platform", "linux");
        json_set_str(v, "MountLabel", "");
        json_set_str(v, "ProcessLabel", "");
        json_set_str(v, "AppArmorProfile", "");
        json_set(v, "ExecIDs", json_null());
        json_set(v, "HostConfig", json_deep_copy(c->host_config));
        snprintf(p, sizeof(p), "%s/upper", dir);
        json_set(v, "GraphDriver",
                 json_pack("{ss s{ss ss}}", "Name", "overlay2", "Data", "UpperDir", p, "WorkDir",
                           dir));
        json_set(v, "Mounts", mounts_json(c));
        json_set(v, "Config", json_deep_copy(cfg));
        json_set(v, "NetworkSettings", network_settings(c));
        json_decref(all);
        return v;
}

void containers_inspect(struct request *req)
{
        _cleanup_(container_unrefp) struct container *c = containers_lookup(req);
        if (c)
                reply_json(req, MHD_HTTP_OK, inspect_json(req, c));
}

static char *command_string(struct container *c)
{
        struct buf b;
        buf_init(&b, 0);
        const char *keys[] = {"Entrypoint", "Cmd"};
        for (size_t k = 0; k < 2; k++) {
                size_t i;
                json_t *v;
                json_array_foreach(json_object_get(c->config, keys[k]), i, v)
                {
                        const char *s = json_string_value(v);
                        if (!s)
                                continue;
                        if (b.len)
                                buf_append(&b, " ", 1);
                        /* Docker joins the words with spaces, unquoted. */
                        buf_append(&b, s, strlen(s));
                }
        }
        return buf_steal(&b);
}

static json_t *list_item(struct container *c, int64_t now)
{
        char status[128];
        container_status_text(c, now, status, sizeof(status));
        char name[300];
        snprintf(name, sizeof(name), "/%s", c->name);
        char *cmd = command_string(c);
        json_t *labels = json_object_get(c->config, "Labels");
        pthread_mutex_lock(&c->lock);
        const char *state = container_state_name(c->state);
        pthread_mutex_unlock(&c->lock);
        json_t *v = json_pack(
                "{ss s[s] ss ss ss sI s[] so ss ss s{ss} s{s{}} so}", "Id", c->id, "Names", name,
                "Image", c->image_ref, "ImageID", c->image_id, "Command", cmd, "Created",
                (json_int_t)(c->created_ns / 1000000000), "Ports", "Labels",
                json_is_object(labels) ? json_incref(labels) : json_object(), "State", state,
                "Status", status,
                "HostConfig", "NetworkMode",
                json_get_str(c->host_config, "NetworkMode") ? json_get_str(c->host_config, "NetworkMode")
                                                            : "bridge",
                "NetworkSettings", "Networks", "Mounts", mounts_json(c));
        free(cmd);
        return v;
}

static bool name_matches(const struct filters *f, struct container *c)
{
        size_t n = filters_count(f, "name");
        for (size_t i = 0; i < n; i++)
                if (strstr(c->name, filters_get(f, "name", i)[0] == '/' ? filters_get(f, "name", i) + 1
                                                                          : filters_get(f, "name", i)))
                        return true;
        return n == 0;
}

static bool any_value(const struct filters *f, const char *key, const char *value, bool prefix)
{
        size_t n = filters_count(f, key);
        for (size_t i = 0; i < n; i++) {
                const char *want = filters_get(f, key, i);
                if (prefix ? strncmp(value, want, strlen(want)) == 0 : strcmp(value, want) == 0)
                        return true;
        }
        return n == 0;
}

static bool list_match(const struct filters *f, struct container *c)
{
        pthread_mutex_lock(&c->lock);
        const char *state = container_state_name(c->state);
        int code = c->exit_code;
        bool exited = c->state == CONTAINER_EXITED;
        pthread_mutex_unlock(&c->lock);
        if (!any_value(f, "id", c->id, true) || !name_matches(f, c) ||
            !any_value(f, "status", state, false) ||
            !filters_match_labels(f, "label", json_object_get(c->config, "Labels")))
                return false;
        if (filters_count(f, "exited")) {
                char s[16];
                snprintf(s, sizeof(s), "%d", code);
                if (!exited || !any_value(f, "exited", s, false))
                        return false;
        }
        if (filters_count(f, "ancestor") && !any_value(f, "ancestor", c->image_ref, false) &&
            !any_value(f, "ancestor", c->image_id, true))
                return false;
        return true;
}

void containers_list(struct request *req)
{
        static const char *const keys[] = {"id", "name", "label", "status", "exited", "ancestor",
                                           "before", "since", "network", "volume", "health",
                                           "publish", "expose", "is-task", NULL};
        struct filters f = {0};
        struct kerr err = {0};
        if (filters_parse(req_query(req, "filters"), keys, &f, &err) < 0) {
                reply_error(req, &err);
                return;
        }
        bool all = req_query_bool(req, "all", false);
        const char *ls = req_query(req, "limit");
        int64_t limit = -1;
        if (ls && ls[0] && parse_int64(ls, &limit) < 0) {
                filters_release(&f);
                reply_errorf(req, KERR_INVALID, "invalid limit: %s", ls);
                return;
        }
        if (limit > 0)
                all = true;
        struct container **list;
        size_t n;
        engine_container_list(req->engine, &list, &n);
        /* before/since name containers; the list is newest first. */
        const char *before = filters_get(&f, "before", 0), *since = filters_get(&f, "since", 0);
        bool seen_before = before == NULL;
        json_t *out = json_array();
        int64_t now = now_ns();
        for (size_t i = 0; i < n; i++) {
                struct container *c = list[i];
                bool is_before = before && (strcmp(c->name, before[0] == '/' ? before + 1 : before) == 0 ||
                                            strncmp(c->id, before, strlen(before)) == 0);
                bool is_since = since && (strcmp(c->name, since[0] == '/' ? since + 1 : since) == 0 ||
                                          strncmp(c->id, since, strlen(since)) == 0);
                if (is_since)
                        break;
                if (is_before) {
                        seen_before = true;
                        continue;
                }
                if (!seen_before)
                        continue;
                pthread_mutex_lock(&c->lock);
                bool running = c->state == CONTAINER_RUNNING || c->state == CONTAINER_PAUSED ||
                               c->state == CONTAINER_RESTARTING;
                pthread_mutex_unlock(&c->lock);
                if (!all && !running && !filters_count(&f, "status") && !filters_count(&f, "exited"))
                        continue;
                if (!list_match(&f, c))
                        continue;
                if (limit > 0 && (long)json_array_size(out) >= limit)
                        break;
                json_array_append_new(out, list_item(c, now));
        }
        engine_container_list_free(list, n);
        filters_release(&f);
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
        if (engine_container_rename(req->engine, c, name, &err) < 0)
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
        if (engine_container_remove(req->engine, c, req_query_bool(req, "force", false),
                                    req_query_bool(req, "v", false), &err) < 0)
                reply_error(req, &err);
        else
                reply_empty(req, MHD_HTTP_NO_CONTENT);
}

void containers_prune(struct request *req)
{
        static const char *const keys[] = {"until", "label", "label!", NULL};
        struct filters f = {0};
        struct kerr err = {0};
        if (filters_parse(req_query(req, "filters"), keys, &f, &err) < 0) {
                reply_error(req, &err);
                return;
        }
        const char *until = filters_get(&f, "until", 0);
        int64_t until_s = 0;
        if (until && parse_int64_range(until, 0, INT64_MAX / 1000000000, &until_s) < 0) {
                filters_release(&f);
                reply_errorf(req, KERR_INVALID, "invalid filter 'until=%s'", until);
                return;
        }
        int64_t until_ns = until_s * 1000000000;
        struct container **list;
        size_t n;
        engine_container_list(req->engine, &list, &n);
        json_t *deleted = json_array();
        for (size_t i = 0; i < n; i++) {
                struct container *c = list[i];
                pthread_mutex_lock(&c->lock);
                bool stopped = c->state == CONTAINER_EXITED || c->state == CONTAINER_CREATED ||
                               c->state == CONTAINER_DEAD;
                pthread_mutex_unlock(&c->lock);
                if (!stopped || (until_ns && c->created_ns >= until_ns) ||
                    !filters_match_labels(&f, "label", json_object_get(c->config, "Labels")))
                        continue;
                struct kerr e2 = {0};
                if (engine_container_remove(req->engine, c, false, false, &e2) == 0)
                        json_array_append_new(deleted, json_string(c->id));
        }
        engine_container_list_free(list, n);
        filters_release(&f);
        reply_json(req, MHD_HTTP_OK,
                   json_pack("{so sI}", "ContainersDeleted",
                             json_array_size(deleted) ? deleted : (json_decref(deleted), json_null()),
                             "SpaceReclaimed", (json_int_t)0));
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
        engine_container_wait(req->engine, c, wc, wait_done, s);
}
