#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "api/handlers.h"
#include "api/router.h"

static void test_table_cases(void **state)
{
        (void)state;
        static const struct {
                const char *method, *path, *pattern, *p0, *p1;
        } cases[] = {
            {"GET", "/_ping", "/_ping", NULL, NULL},
            {"HEAD", "/_ping", "/_ping", NULL, NULL},
            {"GET", "/containers/json", "/containers/json", NULL, NULL},
            {"GET", "/containers/abc/json", "/containers/{id}/json", "abc", NULL},
            {"DELETE", "/containers/abc", "/containers/{id}", "abc", NULL},
            {"GET", "/images/json", "/images/json", NULL, NULL},
            {"GET", "/images/busybox/json", "/images/{name*}/json", "busybox", NULL},
            {"GET", "/images/testcontainers/ryuk:0.3.3/json", "/images/{name*}/json",
             "testcontainers/ryuk:0.3.3", NULL},
            {"GET", "/images/localhost:5000/a/b/json", "/images/{name*}/json", "localhost:5000/a/b",
             NULL},
            {"DELETE", "/images/reg:5000/x/y:1", "/images/{name*}", "reg:5000/x/y:1", NULL},
            {"POST", "/images/a/b/tag", "/images/{name*}/tag", "a/b", NULL},
            {"GET", "/images/get", "/images/get", NULL, NULL},
            {"POST", "/containers/create", "/containers/create", NULL, NULL},
            {"POST", "/exec/e1/start", "/exec/{id}/start", "e1", NULL},
            {"OPTIONS", "/anything/at/all", "/{path*}", "anything/at/all", NULL},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct route_match m = {0};
                assert_true(router_match(cases[i].method, cases[i].path, &m));
                assert_string_equal(m.route->pattern, cases[i].pattern);
                if (cases[i].p0)
                        assert_string_equal(m.params[0], cases[i].p0);
                else
                        assert_int_equal(m.nparams, 0);
                router_match_release(&m);
        }
}

/* The slow routes run on worker threads (server.c), never on the request
 * threads; streamed bodies are bounded. */
static void test_slow_routes_on_workers(void **state)
{
        (void)state;
        static const struct {
                const char *method, *path;
        } slow[] = {
            {"POST", "/containers/x/stop"}, {"POST", "/containers/x/restart"},
            {"DELETE", "/containers/x"},    {"POST", "/images/load"},
            {"POST", "/images/create"},     {"POST", "/auth"},
            {"POST", "/containers/x/kill"}, {"POST", "/images/prune"},
        };
        for (size_t i = 0; i < sizeof(slow) / sizeof(slow[0]); i++) {
                struct route_match m = {0};
                assert_true(router_match(slow[i].method, slow[i].path, &m));
                assert_true(m.route->on_worker);
                assert_non_null(m.route->handler);
                router_match_release(&m);
        }
        struct route_match m = {0};
        assert_true(router_match("GET", "/_ping", &m));
        assert_false(m.route->on_worker);
        size_t n;
        const struct route *t = router_table(&n);
        for (size_t i = 0; i < n; i++)
                if (t[i].body_cb)
                        assert_true(t[i].body_max <= ROUTE_SPOOL_MAX);
}

static void test_no_match(void **state)
{
        (void)state;
        static const struct {
                const char *method, *path;
        } cases[] = {
            {"GET", "/nope"},           {"POST", "/_ping"},           {"HEAD", "/version"},
            {"GET", "/_ping/"},         {"GET", "/containers//json"}, {"GET", "/"},
            {"PATCH", "/containers/x"}, {"GET", "/images//json"},     {"GET", ""},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct route_match m = {0};
                assert_false(router_match(cases[i].method, cases[i].path, &m));
                assert_int_equal(m.nparams, 0);
        }
}

static void test_table_sane(void **state)
{
        (void)state;
        size_t n;
        const struct route *t = router_table(&n);
        assert_true(n > 100);
        for (size_t i = 0; i < n; i++) {
                assert_true(t[i].pattern[0] == '/');
                assert_true(t[i].body_max > 0);
                /* Every literal route is reachable: no earlier route shadows it. */
                if (!strchr(t[i].pattern, '{')) {
                        struct route_match m = {0};
                        assert_true(router_match(t[i].method, t[i].pattern, &m));
                        assert_ptr_equal(m.route, &t[i]);
                        router_match_release(&m);
                }
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_table_cases),
            cmocka_unit_test(test_no_match),
            cmocka_unit_test(test_slow_routes_on_workers),
            cmocka_unit_test(test_table_sane),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
