/* test-container-filter: every key of GET /containers/json's filters
 * (engine/container/container-filter.c) against a table of containers, in
 * both JSON shapes, and dockerd's words for bad values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "engine/container/container-filter.h"

#define ID_WEB "abc1230000000000000000000000000000000000000000000000000000000000"
#define ID_DB  "abd4560000000000000000000000000000000000000000000000000000000000"
#define ID_NEW "ff00000000000000000000000000000000000000000000000000000000000000"
#define ID_OK  "0123450000000000000000000000000000000000000000000000000000000000"

static struct container_view views[4];
static json_t *docs[8];

static int setup(void **state)
{
        (void)state;
        docs[0] = json_pack("{s{ss ss} s{s{} s{} s{}}}", "Labels", "app", "web", "tier", "front",
                            "ExposedPorts", "80/tcp", "53/udp", "8080/TCP");
        docs[1] = json_pack("{ss s[s]}", "NetworkMode", "bridge", "Binds", "/srv:/data:ro");
        docs[2] = json_pack("{s{ss}}", "Labels", "app", "db");
        docs[3] =
            json_pack("{ss s[{ss ss ss}{ss ss}]}", "NetworkMode", "host", "Mounts", "Type", "bind",
                      "Source", "/var/db", "Target", "/db", "Type", "tmpfs", "Target", "/scratch");
        docs[4] = json_pack("{}");
        docs[5] = json_pack("{ss}", "NetworkMode", "none");
        docs[6] = json_pack("{sn}", "Labels");
        docs[7] = json_pack("{ss ss}", "NetworkMode", "bridge", "Isolation", "default");
        views[0] = (struct container_view){ID_WEB, "web", "sha256:aaa", "running", true,
                                           true,   0,     docs[0],      docs[1]};
        views[1] = (struct container_view){ID_DB, "db", "sha256:bbb", "exited", false,
                                           true,  1,    docs[2],      docs[3]};
        views[2] = (struct container_view){ID_NEW, "new", "sha256:aaa", "created", false,
                                           false,  0,     docs[4],      docs[5]};
        views[3] = (struct container_view){ID_OK, "ok", "sha256:ccc", "exited", false,
                                           true,  0,    docs[6],      docs[7]};
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        for (size_t i = 0; i < 8; i++)
                json_decref(docs[i]);
        return 0;
}

/* The names of the views cf selects, space-separated. */
static char *selected(struct container_filter *cf)
{
        static const char *const ids[] = {ID_WEB, ID_DB, ID_NEW, ID_OK};
        container_filter_resolve_ids(cf, ids, 4);
        struct buf b;
        buf_init(&b, 0);
        for (size_t i = 0; i < 4; i++)
                if (container_filter_match(cf, &views[i]))
                        buf_appendf(&b, "%s%s", b.len ? " " : "", views[i].name);
        char *s = buf_steal(&b);
        return s ? s : strdup("");
}

/* {"key":["v1","v2"]} as a map of maps: {"key":{"v1":true,"v2":true}}. */
static char *as_maps(const char *lists)
{
        json_t *in = json_loads(lists, 0, NULL), *out = json_object();
        const char *k;
        json_t *vals, *v;
        size_t i;
        json_object_foreach(in, k, vals)
        {
                json_t *m = json_object();
                json_array_foreach(vals, i, v)
                    json_object_set_new(m, json_string_value(v), json_true());
                json_object_set_new(out, k, m);
        }
        char *s = json_dumps(out, JSON_COMPACT);
        json_decref(in);
        json_decref(out);
        return s;
}

static const struct {
        const char *filters, *want;
} cases[] = {
    {"{}", "web db new ok"},
    /* name: exact or unanchored regexp, with or without the '/' */
    {"{\"name\":[\"web\"]}", "web"},
    {"{\"name\":[\"/web\"]}", "web"},
    {"{\"name\":[\"e\"]}", "web new"},
    {"{\"name\":[\"^/?d\"]}", "db"},
    {"{\"name\":[\"^o\", \"^n\"]}", "new ok"},
    {"{\"name\":[\"nosuch\"]}", ""},
    /* id: a unique prefix or the full ID */
    {"{\"id\":[\"abc\"]}", "web"},
    {"{\"id\":[\"ab\"]}", ""}, /* two IDs share it */
    {"{\"id\":[\"" ID_DB "\"]}", "db"},
    {"{\"id\":[\"abc\",\"ff\"]}", "web new"},
    {"{\"id\":[\"bc\"]}", ""}, /* a prefix, not a substring */
    /* label */
    {"{\"label\":[\"app\"]}", "web db"},
    {"{\"label\":[\"app=db\"]}", "db"},
    {"{\"label\":[\"app=web\",\"tier=front\"]}", "web"},
    {"{\"label\":[\"app=web\",\"tier=back\"]}", ""},
    /* status: a state name (also as a regexp, as moby's Match does) */
    {"{\"status\":[\"running\"]}", "web"},
    {"{\"status\":[\"exited\"]}", "db ok"},
    {"{\"status\":[\"created\",\"running\"]}", "web new"},
    {"{\"status\":[\"paused\"]}", ""},
    /* exited: the exit code of a container that ran and stopped */
    {"{\"exited\":[\"1\"]}", "db"},
    {"{\"exited\":[\"0\"]}", "ok"}, /* never started: no exit code */
    {"{\"exited\":[\"0\",\"1\"]}", "db ok"},
    {"{\"exited\":[\"137\"]}", ""},
    /* health: no container has a healthcheck */
    {"{\"health\":[\"none\"]}", "web db new ok"},
    {"{\"health\":[\"healthy\"]}", ""},
    {"{\"health\":[\"starting\",\"unhealthy\"]}", ""},
    /* network: host and none are networks; there is no bridge yet */
    {"{\"network\":[\"host\"]}", "db"},
    {"{\"network\":[\"none\"]}", "new"},
    {"{\"network\":[\"bridge\"]}", ""},
    {"{\"network\":[\"host\",\"none\"]}", "db new"},
    {"{\"network\":[\"nosuch\"]}", ""},
    /* volume: a bind mount's source or destination (Binds and Mounts) */
    {"{\"volume\":[\"/data\"]}", "web"},
    {"{\"volume\":[\"/srv\"]}", "web"},
    {"{\"volume\":[\"/db\"]}", "db"},
    {"{\"volume\":[\"/var/db\"]}", "db"},
    {"{\"volume\":[\"/nosuch\"]}", ""},
    {"{\"volume\":[\"/scratch\"]}", "db"}, /* a tmpfs mount, by destination */
    /* expose: Config.ExposedPorts, port[-port][/proto], tcp by default */
    {"{\"expose\":[\"80\"]}", "web"},
    {"{\"expose\":[\"80/tcp\"]}", "web"},
    {"{\"expose\":[\"80/udp\"]}", ""},
    {"{\"expose\":[\"53/udp\"]}", "web"},
    {"{\"expose\":[\"50-60/udp\"]}", "web"},
    {"{\"expose\":[\"1-79\"]}", ""},
    {"{\"expose\":[\"8080/tcp\"]}", "web"}, /* protocol case is not significant */
    /* publish: kedge publishes no port yet */
    {"{\"publish\":[\"80\"]}", ""},
    {"{\"publish\":[\"1-65535\"]}", ""},
    /* is-task: no container is a swarm task */
    {"{\"is-task\":[\"true\"]}", ""},
    {"{\"is-task\":[\"false\"]}", "web db new ok"},
    {"{\"is-task\":[\"0\"]}", "web db new ok"},
    /* isolation: a Linux container's is "default" */
    {"{\"isolation\":[\"default\"]}", "web db new ok"},
    {"{\"isolation\":[\"hyperv\"]}", ""},
    /* keys combine with AND */
    {"{\"label\":[\"app\"],\"status\":[\"exited\"]}", "db"},
    {"{\"name\":[\"e\"],\"network\":[\"none\"]}", "new"},
    /* before/since are the caller's (they name containers): no effect here */
    {"{\"before\":[\"x\"],\"since\":[\"y\"]}", "web db new ok"},
};

static void test_keys(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *shapes[2] = {strdup(cases[i].filters), as_maps(cases[i].filters)};
                for (size_t s = 0; s < 2; s++) {
                        struct container_filter cf;
                        struct kerr err = {0};
                        if (container_filter_parse(shapes[s], &cf, &err) < 0)
                                fail_msg("%s: %s", shapes[s], err.msg);
                        char *got = selected(&cf);
                        if (strcmp(got, cases[i].want) != 0)
                                fail_msg("%s: got '%s', want '%s'", shapes[s], got, cases[i].want);
                        free(got);
                        container_filter_release(&cf);
                }
                free(shapes[0]);
                free(shapes[1]);
        }
}

/* ancestor= is resolved to image IDs by the engine; the match is by ID. */
static void test_ancestor(void **state)
{
        (void)state;
        struct container_filter cf;
        assert_int_equal(container_filter_parse("{\"ancestor\":[\"busybox\"]}", &cf, NULL), 0);
        cf.images = json_pack("[s]", "sha256:aaa");
        char *got = selected(&cf);
        assert_string_equal(got, "web new");
        free(got);
        json_array_clear(cf.images); /* an image that does not exist selects nothing */
        got = selected(&cf);
        assert_string_equal(got, "");
        free(got);
        container_filter_release(&cf);
}

static void test_refused(void **state)
{
        (void)state;
        static const struct {
                const char *in, *msg;
        } bad[] = {
            {"{\"colour\":[\"red\"]}", "invalid filter 'colour'"},
            {"{\"dangling\":[\"true\"]}", "invalid filter 'dangling'"},
            {"{\"label!\":[\"a\"]}", "invalid filter 'label!'"},
            {"{\"until\":[\"24h\"]}", "invalid filter 'until'"},
            {"{\"status\":[\"bogus\"]}",
             "invalid filter 'status=bogus': invalid value for state (bogus): must be one of "
             "created, running, paused, restarting, removing, exited, dead"},
            {"{\"health\":[\"sick\"]}",
             "invalid filter 'health=sick': invalid value for health (sick): must be one of "
             "none, starting, healthy, unhealthy"},
            {"{\"exited\":[\"x\"]}",
             "invalid filter 'exited=x': strconv.Atoi: parsing \"x\": invalid syntax"},
            {"{\"exited\":[\"99999999999\"]}",
             "invalid filter 'exited=99999999999': strconv.Atoi: parsing \"99999999999\": "
             "value out of range"},
            {"{\"is-task\":[\"maybe\"]}", "invalid filter 'is-task=[maybe]'"},
            {"{\"publish\":[\"8080:80\"]}", "filter for 'publish' should not contain ':': 8080:80"},
            {"{\"expose\":[\"http\"]}",
             "error while looking up for expose http: invalid start port 'http': invalid syntax"},
            {"{\"expose\":[\"70000\"]}",
             "error while looking up for expose 70000: invalid start port '70000': value out of "
             "range"},
            {"{\"expose\":[\"90-80\"]}",
             "error while looking up for expose 90-80: invalid port range: 90-80"},
            {"{\"expose\":[\"80-/tcp\"]}",
             "error while looking up for expose 80-/tcp: invalid end port '': value is empty"},
            {"{\"publish\":[\"\"]}",
             "error while looking up for publish : invalid start port '': value is empty"},
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct container_filter cf = {0};
                struct kerr err = {0};
                if (container_filter_parse(bad[i].in, &cf, &err) != -EINVAL)
                        fail_msg("%s accepted", bad[i].in);
                assert_int_equal(err.kind, KERR_INVALID);
                assert_string_equal(err.msg, bad[i].msg);
        }
}

static void test_mounts_and_network(void **state)
{
        (void)state;
        json_t *m = container_filter_mounts(docs[1]);
        json_t *want =
            json_pack("[{ss ss ss ss sb ss}]", "Type", "bind", "Source", "/srv", "Destination",
                      "/data", "Mode", "ro", "RW", 0, "Propagation", "rprivate");
        assert_true(json_equal(m, want));
        json_decref(m);
        json_decref(want);
        assert_string_equal(container_filter_network(docs[3]), "host");
        assert_string_equal(container_filter_network(docs[5]), "none");
        assert_null(container_filter_network(docs[1]));
        assert_null(container_filter_network(NULL));
        struct container_filter cf;
        assert_int_equal(container_filter_parse("{\"status\":[\"exited\"]}", &cf, NULL), 0);
        assert_true(container_filter_wants_stopped(&cf));
        container_filter_release(&cf);
        assert_int_equal(container_filter_parse(NULL, &cf, NULL), 0);
        assert_false(container_filter_wants_stopped(&cf));
        container_filter_release(&cf);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_keys),
            cmocka_unit_test(test_ancestor),
            cmocka_unit_test(test_refused),
            cmocka_unit_test(test_mounts_and_network),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
