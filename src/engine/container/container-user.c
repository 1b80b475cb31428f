/* container-user.c - the container's uid, gid and groups (container-user.h). */
#include "container-user.h"

#include "base/cleanup.h"
#include "base/json.h"
#include "base/parse.h"
#include "base/xalloc.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* libcontainer's range: ids above 2^31-1 are refused. */
#define ID_MAX INT32_MAX

enum { F_NAME, F_PASS, F_ID, F_GID, F_PASSWD_MIN = 4, F_GROUP_MEMBERS = 3 };

/* Splits a line at ':' in place; returns the field count (at most nf). */
static int split_fields(char *line, char **f, int nf)
{
        int n = 0;
        for (char *s = line; n < nf;) {
                f[n++] = s;
                char *colon = strchr(s, ':');
                if (!colon)
                        break;
                *colon = 0;
                s = colon + 1;
        }
        return n;
}

/* Calls match on each line of a passwd/group text (a private copy) until it
 * returns non-zero; returns that value, or 0. */
typedef int (*line_fn)(char **f, int n, void *ctx);
static int each_line(const char *text, int nf, line_fn fn, void *ctx)
{
        _cleanup_free_ char *copy = xstrdup(text ? text : "");
        for (char *line = copy; line && *line;) {
                char *next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                char *f[8];
                int n = line[0] == '#' ? 0 : split_fields(line, f, nf);
                int r = n >= 3 ? fn(f, n, ctx) : 0;
                if (r)
                        return r;
                line = next;
        }
        return 0;
}

static int parse_id(const char *s, uint32_t *ret)
{
        int r = parse_uint32(s, ret);
        if (r == 0 && *ret > ID_MAX)
                r = -ERANGE;
        return r;
}

static bool numeric(const char *s)
{
        return s[0] && strspn(s, "0123456789") == strlen(s);
}

struct lookup {
        const char *key;
        bool by_id;
        uint32_t id;
        uint32_t uid, gid; /* found */
        char *name;        /* found, owned */
        struct kerr *err;
        const char *file;
};

static int bad_id(struct lookup *l, const char *what, const char *value, const char *entry)
{
        kerr_set(l->err, KERR_INVALID, EINVAL,
                 "invalid %s '%s' in the image's /etc/%s entry for '%s'", what, value, l->file,
                 entry);
        return -1;
}

static int passwd_match(char **f, int n, void *ctx)
{
        struct lookup *l = ctx;
        uint32_t uid;
        bool id_ok = parse_id(f[F_ID], &uid) == 0;
        if (l->by_id ? !(id_ok && uid == l->id) : strcmp(f[F_NAME], l->key) != 0)
                return 0;
        if (!id_ok)
                return bad_id(l, "uid", f[F_ID], f[F_NAME]);
        if (n < F_PASSWD_MIN || parse_id(f[F_GID], &l->gid) < 0)
                return bad_id(l, "gid", n < F_PASSWD_MIN ? "" : f[F_GID], f[F_NAME]);
        l->uid = uid;
        l->name = xstrdup(f[F_NAME]);
        return 1;
}

static int group_match(char **f, int n, void *ctx)
{
        (void)n;
        struct lookup *l = ctx;
        uint32_t gid;
        bool id_ok = parse_id(f[F_ID], &gid) == 0;
        if (l->by_id ? !(id_ok && gid == l->id) : strcmp(f[F_NAME], l->key) != 0)
                return 0;
        if (!id_ok)
                return bad_id(l, "gid", f[F_ID], f[F_NAME]);
        l->gid = gid;
        return 1;
}

struct members {
        const char *user;
        json_t *gids;
        struct lookup *l;
};

static int member_match(char **f, int n, void *ctx)
{
        struct members *m = ctx;
        if (n <= F_GROUP_MEMBERS)
                return 0;
        for (char *p = f[F_GROUP_MEMBERS]; *p;) {
                size_t len = strcspn(p, ",");
                if (len == strlen(m->user) && strncmp(p, m->user, len) == 0) {
                        uint32_t gid;
                        if (parse_id(f[F_ID], &gid) < 0)
                                return bad_id(m->l, "gid", f[F_ID], f[F_NAME]);
                        json_array_append_new(m->gids, json_integer(gid));
                        break;
                }
                p += len + (p[len] == ',');
        }
        return 0;
}

/* A numeric id given by the request (user, group or GroupAdd). */
static int request_id(const char *s, const char *what, uint32_t *ret, struct kerr *err)
{
        if (parse_id(s, ret) < 0)
                return kerr_set(err, KERR_INVALID, ERANGE, "invalid %s '%s': out of range", what,
                                s);
        return 0;
}

static int resolve_user(const char *passwd, const char *user, struct lookup *l)
{
        l->file = "passwd";
        l->key = user[0] ? user : "0";
        l->by_id = !user[0] || numeric(user);
        if (l->by_id && request_id(l->key, "user", &l->id, l->err) < 0)
                return -1;
        int r = each_line(passwd, 7, passwd_match, l);
        if (r < 0)
                return -1;
        if (r == 0) {
                if (!l->by_id)
                        return kerr_set(l->err, KERR_INVALID, ENOENT,
                                        "unable to find user %s: no matching entries in passwd "
                                        "file",
                                        user);
                l->uid = l->id;
                l->gid = 0;
        }
        return 0;
}

static int resolve_group(const char *group_text, const char *group, struct lookup *l)
{
        struct lookup g = {.key = group, .by_id = numeric(group), .err = l->err, .file = "group"};
        if (g.by_id && request_id(group, "group", &g.id, l->err) < 0)
                return -1;
        int r = each_line(group_text, 4, group_match, &g);
        if (r < 0)
                return -1;
        if (r == 0 && !g.by_id)
                return kerr_set(l->err, KERR_INVALID, ENOENT,
                                "unable to find group %s: no matching entries in group file",
                                group);
        l->gid = r ? g.gid : g.id;
        return 0;
}

static int add_groups(const char *group_text, const json_t *group_add, json_t *gids,
                      struct kerr *err)
{
        size_t i;
        json_t *v;
        json_array_foreach(group_add, i, v)
        {
                const char *s = json_string_value(v);
                if (!s || !s[0])
                        return kerr_set(err, KERR_INVALID, EINVAL,
                                        "invalid GroupAdd entry: want a group name or number");
                struct lookup g = {.key = s, .err = err, .file = "group"};
                int r = each_line(group_text, 4, group_match, &g);
                if (r < 0)
                        return -1;
                if (r == 0 && !numeric(s))
                        return kerr_set(err, KERR_INVALID, ENOENT,
                                        "Unable to find group %s: no matching entries in group "
                                        "file",
                                        s);
                if (r == 0 && request_id(s, "GroupAdd group", &g.gid, err) < 0)
                        return -1;
                json_array_append_new(gids, json_integer(g.gid));
        }
        return 0;
}

json_t *container_user_resolve(const char *passwd, const char *group, const char *user,
                               const json_t *group_add, struct kerr *err)
{
        _cleanup_free_ char *u = xstrdup(user ? user : "");
        char *g = strchr(u, ':');
        if (g)
                *g++ = 0;
        struct lookup l = {.err = err};
        _cleanup_json_ json_t *gids = json_array();
        int r = resolve_user(passwd, u, &l);
        if (r == 0 && g && g[0])
                r = resolve_group(group, g, &l);
        else if (r == 0 && l.name) {
                struct members m = {.user = l.name, .gids = gids, .l = &l};
                r = each_line(group, 4, member_match, &m);
        }
        free(l.name);
        if (r < 0 || add_groups(group, group_add, gids, err) < 0)
                return NULL;
        return json_pack("{sI sI sO}", "uid", (json_int_t)l.uid, "gid", (json_int_t)l.gid,
                         "additionalGids", gids);
}
