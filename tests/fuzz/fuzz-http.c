/* fuzz-http: what kedge does with a request's target before a handler runs
 * (src/api/version.c, router.c, reply.c, base/filters.c): the path is
 * percent-decoded as libmicrohttpd does, the /vX.Y prefix split off, the
 * route table searched; the query is split and decoded as libmicrohttpd does
 * and each value read the way handlers read them (Docker's boolean rule,
 * `filters` JSON). The first byte picks the method. libmicrohttpd's own
 * request-line and header parser is not what this target exercises. */
#include "fuzz.h"

#include "api/request.h"
#include "api/router.h"
#include "api/version.h"
#include "base/filters.h"

#include <microhttpd.h>

static void check_match(const struct route_match *m)
{
        const char *p = m->route->pattern;
        size_t braces = 0;
        for (; *p; p++)
                braces += *p == '{';
        if (m->nparams != braces)
                abort();
        for (size_t i = 0; i < m->nparams; i++)
                if (!m->params[i] || !m->params[i][0])
                        abort(); /* a parameter is never empty */
}

static void route(const char *method, char *path)
{
        MHD_http_unescape(path);
        struct api_version v;
        bool versioned;
        const char *rest;
        api_path_split(path, &v, &versioned, &rest);
        if (api_version_cmp(v, API_VERSION_CURRENT) > 0)
                abort(); /* the effective version is never above ours */
        struct route_match m = {0};
        if (router_match(method, rest, &m)) {
                check_match(&m);
                router_match_release(&m);
        }
}

static void query_value(const char *key, const char *value)
{
        static const char *const keys[] = {"id",    "name",     "label",     "label!", "status",
                                           "until", "dangling", "reference", NULL};
        (void)api_bool_value(value);
        if (strcmp(key, "filters") == 0) {
                struct filters f;
                struct kerr err = {0};
                if (filters_parse(value, keys, &f, &err) == 0)
                        filters_release(&f);
        }
}

static void query(char *q)
{
        char *save = NULL;
        for (char *arg = strtok_r(q, "&", &save); arg; arg = strtok_r(NULL, "&", &save)) {
                char *eq = strchr(arg, '='), empty[1] = "";
                char *value = empty;
                if (eq) {
                        *eq = '\0';
                        value = eq + 1;
                }
                MHD_http_unescape(arg);
                MHD_http_unescape(value);
                query_value(arg, value);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const methods[] = {"GET", "POST", "DELETE", "HEAD", "PUT", "OPTIONS"};
        if (size < 1 || size > 8192)
                return 0;
        const char *method = methods[data[0] % (sizeof(methods) / sizeof(methods[0]))];
        char *url = fuzz_strndup(data + 1, size - 1);
        char *q = strchr(url, '?');
        if (q)
                *q++ = '\0';
        route(method, url);
        if (q)
                query(q);
        free(url);
        return 0;
}
