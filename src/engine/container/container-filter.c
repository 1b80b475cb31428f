/* container-filter.c - moby's container list filters over a container
 * view; no engine state here (see container-filter.h). */
#include "container-filter.h"

#include "base/cleanup.h"
#include "base/json.h"
#include "base/parse.h"
#include "base/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const container_filter_keys[] = {
    "ancestor", "before", "exited", "id",      "isolation", "label",   "name",   "status",
    "health",   "since",  "volume", "network", "is-task",   "publish", "expose", NULL};

/* --- value checks, in dockerd's words --- */

static int parse_exited(struct container_filter *cf, struct kerr *err)
{
        for (size_t i = 0; i < filters_count(&cf->f, "exited"); i++) {
                const char *v = filters_get(&cf->f, "exited", i);
                int64_t code;
                int r = parse_int64_range(v, INT_MIN, INT_MAX, &code);
                if (r < 0)
                        return kerr_set(err, KERR_INVALID, EINVAL,
                                        "invalid filter 'exited=%s': strconv.Atoi: parsing \"%s\": "
                                        "%s",
                                        v, v,
                                        r == -ERANGE ? "value out of range" : "invalid syntax");
                if (!cf->exited)
                        cf->exited = json_array();
                json_array_append_new(cf->exited, json_integer(code));
        }
        return 0;
}

static int check_choices(const struct filters *f, const char *key, const char *what,
                         const char *const *choices, const char *joined, struct kerr *err)
{
        for (size_t i = 0; i < filters_count(f, key); i++) {
                const char *v = filters_get(f, key, i);
                bool ok = false;
                for (size_t k = 0; choices[k]; k++)
                        ok |= strcmp(choices[k], v) == 0;
                if (!ok)
                        return kerr_set(
                            err, KERR_INVALID, EINVAL,
                            "invalid filter '%s=%s': invalid value for %s (%s): must be "
                            "one of %s",
                            key, v, what, v, joined);
        }
        return 0;
}

static int check_states(const struct filters *f, struct kerr *err)
{
        static const char *const states[] = {"created",  "running", "paused", "restarting",
                                             "removing", "exited",  "dead",   NULL};
        static const char *const health[] = {"none", "starting", "healthy", "unhealthy", NULL};
        if (check_choices(f, "status", "state", states,
                          "created, running, paused, restarting, removing, exited, dead", err) < 0)
                return -EINVAL;
        return check_choices(f, "health", "health", health, "none, starting, healthy, unhealthy",
                             err);
}

/* One port number of a range at p (len bytes); moby's parsePortNumber. */
static int port_number(const char *key, const char *v, const char *what, const char *p, size_t len,
                       unsigned *ret, struct kerr *err)
{
        unsigned long n = 0;
        const char *why = len == 0 ? "value is empty" : NULL;
        for (size_t i = 0; !why && i < len; i++) {
                if (!isdigit((unsigned char)p[i]))
                        why = "invalid syntax";
                else if ((n = n * 10 + (unsigned long)(p[i] - '0')) > 65535)
                        n = 65536; /* keeps counting digits without overflow */
        }
        if (!why && n > 65535)
                why = "value out of range";
        if (why)
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "error while looking up for %s %s: invalid %s port '%.*s': %s", key,
                                v, what, (int)len, p, why);
        *ret = (unsigned)n;
        return 0;
}

/* "80", "80/udp", "8000-8080/tcp" (moby's network.ParsePortRange). */
static int parse_port_range(const char *key, const char *v, struct container_port_range *ret,
                            struct kerr *err)
{
        if (strchr(v, ':'))
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "filter for '%s' should not contain ':': %s", key, v);
        size_t nlen = strcspn(v, "/");
        const char *proto = v[nlen] == '/' ? v + nlen + 1 : "";
        size_t slen = strcspn(v, "-/");
        if (port_number(key, v, "start", v, slen, &ret->start, err) < 0)
                return -EINVAL;
        ret->end = ret->start;
        if (v[slen] == '-' &&
            port_number(key, v, "end", v + slen + 1, nlen - slen - 1, &ret->end, err) < 0)
                return -EINVAL;
        if (ret->end < ret->start)
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "error while looking up for %s %s: invalid port range: %s", key, v,
                                v);
        if (strlen(proto) >= sizeof(ret->proto))
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "error while looking up for %s %s: invalid protocol", key, v);
        snprintf(ret->proto, sizeof(ret->proto), "%s", *proto ? proto : "tcp");
        for (char *c = ret->proto; *c; c++)
                *c = (char)tolower((unsigned char)*c);
        return 0;
}

static int parse_ports(const struct filters *f, const char *key, struct container_port_range **ret,
                       size_t *ret_n, struct kerr *err)
{
        size_t n = filters_count(f, key);
        *ret = n ? xzalloc(n * sizeof(**ret)) : NULL;
        for (size_t i = 0; i < n; i++) {
                if (parse_port_range(key, filters_get(f, key, i), &(*ret)[i], err) < 0)
                        return -EINVAL;
                (*ret_n)++;
        }
        return 0;
}

int container_filter_parse(const char *json, struct container_filter *ret, struct kerr *err)
{
        struct container_filter cf = {.is_task = -1};
        if (filters_parse(json, container_filter_keys, &cf.f, err) < 0)
                return -EINVAL;
        int r = parse_exited(&cf, err);
        if (r == 0)
                r = check_states(&cf.f, err);
        if (r == 0)
                r = filters_bool(&cf.f, "is-task", &cf.is_task, err);
        if (r == 0)
                r = parse_ports(&cf.f, "publish", &cf.publish, &cf.npublish, err);
        if (r == 0)
                r = parse_ports(&cf.f, "expose", &cf.expose, &cf.nexpose, err);
        if (r < 0) {
                container_filter_release(&cf);
                return r;
        }
        *ret = cf;
        return 0;
}

void container_filter_release(struct container_filter *cf)
{
        filters_release(&cf->f);
        json_decref(cf->exited);
        json_decref(cf->ids);
        json_decref(cf->images);
        cf->exited = cf->ids = cf->images = NULL;
        free(cf->publish);
        free(cf->expose);
        cf->publish = cf->expose = NULL;
        cf->npublish = cf->nexpose = 0;
}

void container_filter_resolve_ids(struct container_filter *cf, const char *const *ids, size_t n)
{
        if (!filters_contains(&cf->f, "id"))
                return;
        json_decref(cf->ids);
        cf->ids = json_array();
        for (size_t k = 0; k < filters_count(&cf->f, "id"); k++) {
                const char *p = filters_get(&cf->f, "id", k);
                size_t len = strlen(p), hits = 0;
                const char *hit = NULL;
                for (size_t i = 0; i < n && len; i++)
                        if (strncmp(ids[i], p, len) == 0) {
                                hit = ids[i];
                                hits++;
                        }
                if (hits == 1)
                        json_array_append_new(cf->ids, json_string(hit));
        }
}

bool container_filter_wants_stopped(const struct container_filter *cf)
{
        return filters_count(&cf->f, "status") > 0;
}

/* --- what a container is, for the filters and the summary --- */

static void add_mount(json_t *out, const char *type, const char *src, const char *dst,
                      const char *mode, bool rw)
{
        bool bind = strcmp(type, "bind") == 0;
        json_array_append_new(out, json_pack("{ss ss ss ss sb ss}", "Type", type, "Source", src,
                                             "Destination", dst, "Mode", mode, "RW", rw,
                                             "Propagation", bind ? "rprivate" : ""));
}

json_t *container_filter_mounts(const json_t *hc)
{
        json_t *out = json_array();
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(hc, "Binds"), i, v)
        {
                const char *b = json_string_value(v);
                const char *c1 = b ? strchr(b, ':') : NULL;
                if (!c1)
                        continue;
                _cleanup_free_ char *src = xstrndup(b, (size_t)(c1 - b));
                const char *c2 = strchr(c1 + 1, ':');
                _cleanup_free_ char *dst =
                    c2 ? xstrndup(c1 + 1, (size_t)(c2 - c1 - 1)) : xstrdup(c1 + 1);
                const char *mode = c2 ? c2 + 1 : "";
                bool ro = strncmp(mode, "ro", 2) == 0 || strstr(mode, ",ro");
                add_mount(out, "bind", src, dst, mode, !ro);
        }
        json_array_foreach(json_object_get(hc, "Mounts"), i, v)
        {
                const char *type = json_get_str(v, "Type"), *src = json_get_str(v, "Source");
                const char *dst = json_get_str(v, "Target");
                bool rw = !json_is_true(json_object_get(v, "ReadOnly"));
                if (type && strcmp(type, "bind") == 0 && src && dst)
                        add_mount(out, "bind", src, dst, "", rw);
                else if (type && strcmp(type, "tmpfs") == 0 && dst)
                        add_mount(out, "tmpfs", "", dst, "", rw);
        }
        return out;
}

const char *container_filter_network(const json_t *hc)
{
        const char *mode = json_get_str(hc, "NetworkMode");
        if (mode && (strcmp(mode, "host") == 0 || strcmp(mode, "none") == 0))
                return mode;
        return NULL;
}

static bool any_value(const struct filters *f, const char *key, const char *a, const char *b)
{
        for (size_t i = 0; i < filters_count(f, key); i++) {
                const char *v = filters_get(f, key, i);
                if ((a && strcmp(v, a) == 0) || (b && strcmp(v, b) == 0))
                        return true;
        }
        return false;
}

/* volume=: a mount's source or destination (kedge has bind and tmpfs
 * mounts only; a named volume would match by name as well). */
static bool volume_match(const struct filters *f, const json_t *hc)
{
        if (!filters_contains(f, "volume"))
                return true;
        _cleanup_json_ json_t *mounts = container_filter_mounts(hc);
        size_t i;
        json_t *m;
        json_array_foreach(mounts, i, m)
        {
                if (any_value(f, "volume", json_get_str(m, "Source"),
                              json_get_str(m, "Destination")))
                        return true;
        }
        return false;
}

static bool port_in(const struct container_port_range *v, size_t n, unsigned port,
                    const char *proto)
{
        for (size_t i = 0; i < n; i++)
                if (port >= v[i].start && port <= v[i].end && strcasecmp(proto, v[i].proto) == 0)
                        return true;
        return false;
}

/* publish/expose: any of the container's ports. kedge publishes no port
 * yet, so only exposed ones (Config.ExposedPorts, "80/tcp") can match. */
static bool ports_match(const struct container_filter *cf, const json_t *config)
{
        if (cf->npublish == 0 && cf->nexpose == 0)
                return true;
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)json_object_get(config, "ExposedPorts"), key, v)
        {
                char *end;
                unsigned long port = strtoul(key, &end, 10);
                const char *proto = *end == '/' ? end + 1 : "tcp";
                if (end != key && port <= 65535 &&
                    port_in(cf->expose, cf->nexpose, (unsigned)port, proto))
                        return true;
        }
        return false;
}

static bool in_set(const json_t *set, const char *s)
{
        size_t i;
        json_t *v;
        json_array_foreach(set, i, v)
        {
                if (strcmp(json_string_value(v), s) == 0)
                        return true;
        }
        return false;
}

static bool exited_match(const struct container_filter *cf, const struct container_view *v)
{
        if (!cf->exited)
                return true;
        if (v->running || !v->started)
                return false;
        for (size_t i = 0; i < json_array_size(cf->exited); i++)
                if (json_integer_value(json_array_get(cf->exited, i)) == v->exit_code)
                        return true;
        return false;
}

bool container_filter_match(const struct container_filter *cf, const struct container_view *v)
{
        const struct filters *f = &cf->f;
        _cleanup_free_ char *slashed = xasprintf("/%s", v->name);
        if (!filters_match(f, "name", slashed) && !filters_match(f, "name", v->name))
                return false;
        if ((cf->ids && !in_set(cf->ids, v->id)) || cf->is_task == 1 ||
            !filters_match_labels(f, "label", json_object_get(v->config, "Labels")))
                return false;
        const char *iso = json_get_str(v->host_config, "Isolation");
        if (!filters_exact(f, "isolation", iso && *iso ? iso : "default") || !exited_match(cf, v))
                return false;
        if (!filters_match(f, "status", v->state) || !filters_exact(f, "health", "none") ||
            !volume_match(f, v->host_config))
                return false;
        if (cf->images && !in_set(cf->images, v->image_id))
                return false;
        const char *net = container_filter_network(v->host_config);
        if (filters_contains(f, "network") && !(net && any_value(f, "network", net, NULL)))
                return false;
        return ports_match(cf, v->config);
}
