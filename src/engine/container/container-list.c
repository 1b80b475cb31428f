/* container-list.c - container list and prune: resolves the filters that
 * name other objects (before/since, id, ancestor), matches each container
 * (container-filter.c) and renders Docker's summary from one copy of it
 * taken under its lock. */
#include "container-list.h"

#include "container-filter.h"
#include "container-internal.h"
#include "engine/engine.h"

#include "base/timestamp.h"
#include "base/buf.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const prune_keys[] = {"label", "label!", "until", NULL};

/* What one list request resolved to. */
struct list_ctx {
        struct container_filter cf;
        bool all;
        long limit;
        char before[65], since[65]; /* "" when not given */
        int64_t now;
};

static bool is_running(enum container_state s)
{
        return s == CONTAINER_RUNNING || s == CONTAINER_PAUSED || s == CONTAINER_RESTARTING;
}

/* before/since name a container (ID, name or unique prefix; one that does
 * not exist is 404 as in dockerd); the last value counts, as in moby. */
static int resolve_container(struct engine *e, const struct filters *f, const char *key,
                             char ret[65], struct kerr *err)
{
        for (size_t i = 0; i < filters_count(f, key); i++) {
                struct container *c = container_get(e, filters_get(f, key, i), err);
                if (!c)
                        return -ENOENT;
                memcpy(ret, c->id, 65);
                container_unref(c);
        }
        return 0;
}

/* ancestor=image (name, name:tag, ID, digest): that image's ID. An unknown
 * image selects nothing, as in moby. Docker adds the images built on it
 * (its children by parent link); kedge records no parent images (load,
 * pull and import make none), so there are none to add. */
static void resolve_ancestors(struct engine *e, struct container_filter *cf)
{
        if (!filters_contains(&cf->f, "ancestor"))
                return;
        cf->images = json_array();
        for (size_t i = 0; i < filters_count(&cf->f, "ancestor"); i++) {
                char id[72];
                if (image_resolve(e, filters_get(&cf->f, "ancestor", i), id, NULL) == 0)
                        json_array_append_new(cf->images, json_string(id));
        }
}

static int list_ctx_init(struct engine *e, const struct container_list_opts *o,
                         struct container **list, size_t n, struct list_ctx *x, struct kerr *err)
{
        *x = (struct list_ctx){.all = o->all, .limit = o->limit, .now = timestamp_now_ns()};
        if (container_filter_parse(o->filters, &x->cf, err) < 0)
                return -EINVAL;
        if (resolve_container(e, &x->cf.f, "before", x->before, err) < 0 ||
            resolve_container(e, &x->cf.f, "since", x->since, err) < 0) {
                container_filter_release(&x->cf);
                return -ENOENT;
        }
        const char **ids = xmalloc((n + 1) * sizeof(*ids));
        for (size_t i = 0; i < n; i++)
                ids[i] = list[i]->id;
        container_filter_resolve_ids(&x->cf, ids, n);
        free(ids);
        resolve_ancestors(e, &x->cf);
        /* A status filter looks at stopped containers too (moby). */
        x->all |= container_filter_wants_stopped(&x->cf);
        return 0;
}

static char *command_of(const json_t *config)
{
        struct buf b;
        buf_init(&b, 0);
        static const char *const keys[] = {"Entrypoint", "Cmd"};
        for (size_t k = 0; k < 2; k++) {
                size_t i;
                json_t *v;
                json_array_foreach(json_object_get(config, keys[k]), i, v)
                {
                        const char *s = json_string_value(v);
                        if (!s)
                                continue;
                        /* Path, then the arguments with a word that has a space
                         * in quotes (moby's daemon/container/view.go). */
                        bool quote = b.len && strchr(s, ' ');
                        buf_appendf(&b, "%s%s%s%s", b.len ? " " : "", quote ? "'" : "", s,
                                    quote ? "'" : "");
                }
        }
        char *s = buf_steal(&b);
        return s ? s : xstrdup("");
}

/* list's NetworkSettings.Networks: an entry for the network the container
 * is on (host or none), none for a default container. */
static json_t *networks_json(const json_t *hc)
{
        json_t *nets = json_object();
        const char *net = container_filter_network(hc);
        if (net)
                json_set(nets, net,
                         json_pack("{sn sn sn ss ss ss ss si ss ss si ss}", "IPAMConfig", "Links",
                                   "Aliases", "MacAddress", "", "NetworkID", "", "EndpointID", "",
                                   "Gateway", "", "IPPrefixLen", 0, "IPAddress", "", "IPv6Gateway",
                                   "", "GlobalIPv6PrefixLen", 0, "GlobalIPv6Address", ""));
        return nets;
}

/* What list and prune read of one container: a copy taken under its lock,
 * so the filters and the summary see one state. (The fields are those of
 * the container_snapshot the state-owner work introduces; once both are
 * in, this becomes container_snapshot_init plus the status text.) */
struct list_snap {
        char id[65];
        char *name; /* without the leading '/' */
        char *image_id, *image_ref;
        int64_t created_ns, started_ns;
        enum container_state state;
        int exit_code;
        json_t *config, *host_config; /* fixed at create: new references */
        char status[128];             /* "Up 3 seconds", ... */
};

static void list_snap_init(struct list_snap *s, struct container *c, int64_t now)
{
        struct container_snapshot snap;
        container_snapshot_init(&snap, c);
        *s = (struct list_snap){0};
        memcpy(s->id, snap.id, sizeof(s->id));
        s->image_id = TAKE_PTR(snap.image_id);
        s->image_ref = TAKE_PTR(snap.image_ref);
        s->created_ns = snap.created_ns;
        s->config = json_incref(snap.config);
        s->host_config = json_incref(snap.host_config);
        s->name = TAKE_PTR(snap.name);
        s->state = snap.state;
        s->exit_code = snap.exit_code;
        s->started_ns = snap.started_ns;
        container_status_text(&snap, now, s->status, sizeof(s->status));
        container_snapshot_release(&snap);
}

static void list_snap_release(struct list_snap *s)
{
        free(s->name);
        free(s->image_id);
        free(s->image_ref);
        json_decref(s->config);
        json_decref(s->host_config);
}

/* Docker's container summary. */
static json_t *summary_of(const struct list_snap *s)
{
        _cleanup_free_ char *cmd = command_of(s->config);
        json_t *labels = json_object_get(s->config, "Labels");
        const char *mode = json_get_str(s->host_config, "NetworkMode");
        return json_pack("{ss s[s+] ss ss ss sI s[] so ss ss s{ss} s{so} so}", "Id", s->id, "Names",
                         "/", s->name, "Image", s->image_ref, "ImageID", s->image_id, "Command",
                         cmd, "Created", (json_int_t)(s->created_ns / 1000000000), "Ports",
                         "Labels", json_is_object(labels) ? json_incref(labels) : json_object(),
                         "State", container_state_name(s->state), "Status", s->status, "HostConfig",
                         "NetworkMode", mode ? mode : "bridge", "NetworkSettings", "Networks",
                         networks_json(s->host_config), "Mounts",
                         container_filter_mounts(s->host_config));
}

/* moby's includeContainerInList for one container: -1 stop, 0 leave out,
 * 1 include (*ret_item set). */
static int consider(struct list_ctx *x, struct container *c, size_t taken, json_t **ret_item)
{
        if (x->before[0]) {
                if (strcmp(c->id, x->before) == 0)
                        x->before[0] = 0; /* the ones after it count */
                return 0;
        }
        if (x->since[0] && strcmp(c->id, x->since) == 0)
                return -1;
        struct list_snap s;
        list_snap_init(&s, c, x->now);
        struct container_view v = {.id = s.id,
                                   .name = s.name,
                                   .image_id = s.image_id,
                                   .state = container_state_name(s.state),
                                   .running = is_running(s.state),
                                   .started = s.started_ns > 0,
                                   .exit_code = s.exit_code,
                                   .config = s.config,
                                   .host_config = s.host_config};
        int r = 0;
        if ((v.running || x->all || x->limit > 0) && container_filter_match(&x->cf, &v)) {
                r = x->limit > 0 && (long)taken >= x->limit ? -1 : 1;
                if (r > 0)
                        *ret_item = summary_of(&s);
        }
        list_snap_release(&s);
        return r;
}

/* The bytes of the container's writable layer, which is what Docker
 * reports a prune reclaimed (GetContainerLayerSize). */
static uint64_t upper_size(struct engine *e, struct container *c)
{
        char dir[128];
        container_dir(c, dir, sizeof(dir));
        _cleanup_free_ char *path = xasprintf("%s/%s/upper", e->data_root, dir);
        uint64_t size = 0;
        if (fs_tree_usage(path, &size) < 0)
                return 0; /* informational, as in moby */
        return size;
}

/* docker ps -s: SizeRw is the writable layer, SizeRootFs that plus the
 * image (moby's GetContainerLayerSize). Outside c->lock: it walks a tree. */
static void add_sizes(struct engine *e, struct container *c, json_t *item)
{
        uint64_t rw = upper_size(e, c);
        _cleanup_json_ json_t *img = image_inspect(e, c->image_id, NULL);
        json_int_t isize = json_integer_value(json_object_get(img, "Size"));
        json_set_int(item, "SizeRw", (json_int_t)rw);
        json_set_int(item, "SizeRootFs", (json_int_t)rw + isize);
}

int container_list(struct engine *e, const struct container_list_opts *o, json_t **ret,
                   struct kerr *err)
{
        struct container **list;
        size_t n;
        containers_list_refs(e, &list, &n);
        struct list_ctx x;
        int r = list_ctx_init(e, o, list, n, &x, err);
        if (r < 0) {
                containers_list_refs_free(list, n);
                return r;
        }
        json_t *out = json_array();
        for (size_t i = 0; i < n; i++) {
                json_t *item = NULL;
                int k = consider(&x, list[i], json_array_size(out), &item);
                if (k < 0)
                        break;
                if (k > 0 && o->size)
                        add_sizes(e, list[i], item);
                if (k > 0)
                        json_array_append_new(out, item);
        }
        container_filter_release(&x.cf);
        containers_list_refs_free(list, n);
        *ret = out;
        return 0;
}

/* --- prune --- */

/* Whether prune takes c: stopped, created no later than until (ns; < 0:
 * no bound), labels as label and label! ask (moby's daemon/prune.go). */
static bool prune_selects(const struct filters *f, int64_t until, struct container *c)
{
        struct list_snap s;
        list_snap_init(&s, c, 0);
        bool take = !is_running(s.state) && s.state != CONTAINER_REMOVING &&
                    (until < 0 || s.created_ns <= until) &&
                    filters_match_prune_labels(f, json_object_get(s.config, "Labels"));
        list_snap_release(&s);
        return take;
}

int container_prune(struct engine *e, const char *filters, json_t **ret, struct kerr *err)
{
        struct filters f;
        int64_t until;
        if (filters_parse(filters, prune_keys, &f, err) < 0)
                return -EINVAL;
        if (filters_time(&f, "until", timestamp_now_ns(), &until, err) < 0) {
                filters_release(&f);
                return -EINVAL;
        }
        struct container **list;
        size_t n;
        containers_list_refs(e, &list, &n);
        json_t *deleted = json_array();
        uint64_t reclaimed = 0;
        for (size_t i = 0; i < n; i++) {
                struct container *c = list[i];
                if (!prune_selects(&f, until, c))
                        continue;
                uint64_t size = upper_size(e, c);
                /* One started or removed meanwhile is refused here and
                 * stays, as in moby. */
                if (container_remove(e, c, false, false, NULL) < 0)
                        continue;
                reclaimed += size;
                json_array_append_new(deleted, json_string(c->id));
        }
        containers_list_refs_free(list, n);
        filters_release(&f);
        *ret = json_pack("{so sI}", "ContainersDeleted",
                         json_array_size(deleted) ? deleted : (json_decref(deleted), json_null()),
                         "SpaceReclaimed", (json_int_t)reclaimed);
        return 0;
}
