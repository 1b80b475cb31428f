#include "router.h"

#include "handlers.h"

#include "base/xalloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const struct route routes[] = {
#define ROUTE(m, p, h, b)                {#m, p, h, b, NULL, false},
#define ROUTE_WORKER(m, p, h, b)         {#m, p, h, b, NULL, true},
#define ROUTE_STREAM(m, p, h, cb)        {#m, p, h, ROUTE_SPOOL_MAX, cb, false},
#define ROUTE_STREAM_WORKER(m, p, h, cb) {#m, p, h, ROUTE_SPOOL_MAX, cb, true},
#include "routes.def"
#undef ROUTE
#undef ROUTE_WORKER
#undef ROUTE_STREAM
#undef ROUTE_STREAM_WORKER
};

const struct route *router_table(size_t *ret_count)
{
        *ret_count = sizeof(routes) / sizeof(routes[0]);
        return routes;
}

void router_match_release(struct route_match *m)
{
        for (size_t i = 0; i < m->nparams; i++)
                free(m->params[i]);
        *m = (struct route_match){0};
}

/* Length of the segment at s (up to '/' or end). */
static size_t seglen(const char *s)
{
        return strcspn(s, "/");
}

static size_t count_segments(const char *s)
{
        size_t n = 0;
        while (*s == '/') {
                s++;
                n++;
                s += seglen(s);
        }
        return n;
}

static bool add_param(struct route_match *m, const char *s, size_t n)
{
        if (m->nparams >= ROUTE_PARAMS_MAX)
                return false;
        m->params[m->nparams++] = xstrndup(s, n);
        return true;
}

bool router_pattern_match(const char *pattern, const char *path, struct route_match *m)
{
        struct route_match tmp = {0};
        const char *p = pattern, *s = path;
        while (*p == '/' && *s == '/') {
                p++;
                s++;
                size_t pl = seglen(p), sl = seglen(s);
                if (pl >= 3 && p[0] == '{' && p[pl - 1] == '}' && p[pl - 2] == '*') {
                        /* Greedy: take as many segments as leave exactly the
                         * pattern's remaining segments for the tail. */
                        size_t rest_p = count_segments(p + pl), rest_s = count_segments(s + sl);
                        if (sl == 0 || rest_s < rest_p)
                                goto fail;
                        const char *e = s + sl;
                        for (size_t k = rest_s - rest_p; k > 0; k--) {
                                e++;
                                e += seglen(e);
                        }
                        if (!add_param(&tmp, s, (size_t)(e - s)))
                                goto fail;
                        s = e;
                } else if (pl >= 2 && p[0] == '{' && p[pl - 1] == '}') {
                        if (sl == 0 || !add_param(&tmp, s, sl))
                                goto fail;
                        s += sl;
                } else {
                        if (pl != sl || memcmp(p, s, pl) != 0)
                                goto fail;
                        s += sl;
                }
                p += pl;
        }
        if (*p || *s)
                goto fail;
        *m = tmp;
        return true;
fail:
        router_match_release(&tmp);
        return false;
}

bool router_match(const char *method, const char *path, struct route_match *m)
{
        for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
                if (strcmp(routes[i].method, method) != 0)
                        continue;
                if (router_pattern_match(routes[i].pattern, path, m)) {
                        m->route = &routes[i];
                        return true;
                }
        }
        return false;
}
