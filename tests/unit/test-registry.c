/* test-registry.c - WWW-Authenticate parsing, X-Registry-Auth decoding,
 * manifest/index parsing and platform selection, upload Location and
 * Range handling, from tables of cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "image/manifest.h"
#include "image/registry-auth.h"
#include "image/registry.h"

static void test_upload_location(void **state)
{
        (void)state;
        static const struct {
                const char *base, *loc, *url, *put;
        } cases[] = {
            {"http://h:5000", "/v2/a/blobs/uploads/u1?_state=x",
             "http://h:5000/v2/a/blobs/uploads/u1?_state=x",
             "http://h:5000/v2/a/blobs/uploads/u1?_state=x&digest=sha256:ab"},
            {"http://h:5000", "v2/a/blobs/uploads/u1", "http://h:5000/v2/a/blobs/uploads/u1",
             "http://h:5000/v2/a/blobs/uploads/u1?digest=sha256:ab"},
            /* Absolute Locations (another host, S3-style) are used as given. */
            {"http://h:5000", "https://s3.example/up?X-Amz=1", "https://s3.example/up?X-Amz=1",
             "https://s3.example/up?X-Amz=1&digest=sha256:ab"},
            {"https://h", "http://other:80/v2/x", "http://other:80/v2/x",
             "http://other:80/v2/x?digest=sha256:ab"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *url = registry_upload_url(cases[i].base, cases[i].loc);
                assert_string_equal(url, cases[i].url);
                char *put = registry_upload_digest_url(url, "sha256:ab");
                assert_string_equal(put, cases[i].put);
                free(put);
                free(url);
        }
}

static void test_upload_range(void **state)
{
        (void)state;
        static const struct {
                const char *in;
                int r;
                int64_t size;
        } cases[] = {
            {"0-1023", 0, 1024},
            {"bytes=0-4194303", 0, 4194304},
            {"0-0", 0, 1},
            {"0-9223372036854775806", 0, INT64_MAX},
            {"0-9223372036854775807", -EINVAL, 0},
            {"0-99999999999999999999", -EINVAL, 0},
            {"1-1023", -EINVAL, 0}, /* the registry lost the start */
            {"0--1", -EINVAL, 0},
            {"0-", -EINVAL, 0},
            {"0-12x", -EINVAL, 0},
            {"", -EINVAL, 0},
            {NULL, -EINVAL, 0},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                int64_t size = -7;
                assert_int_equal(registry_upload_range_parse(cases[i].in, &size), cases[i].r);
                assert_true(size == (cases[i].r == 0 ? cases[i].size : -7));
        }
}

static void test_www_auth(void **state)
{
        (void)state;
        static const struct {
                const char *in;
                int r;
                enum www_auth_scheme scheme;
                const char *realm, *service, *scope;
        } cases[] = {
            {"Basic realm=\"Registry Realm\"", 0, WWW_AUTH_BASIC, "Registry Realm", NULL, NULL},
            {"basic", 0, WWW_AUTH_BASIC, NULL, NULL, NULL},
            {"Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
             "scope=\"repository:library/busybox:pull\"",
             0, WWW_AUTH_BEARER, "https://auth.docker.io/token", "registry.docker.io",
             "repository:library/busybox:pull"},
            {"Bearer realm=http://h/t, service=s", 0, WWW_AUTH_BEARER, "http://h/t", "s", NULL},
            {"Bearer realm=\"a\\\"b\",error=\"insufficient_scope\"", 0, WWW_AUTH_BEARER, "a\"b",
             NULL, NULL},
            {"Bearer scope=\"repository:a:pull,push\"", -EINVAL, 0, NULL, NULL, NULL},
            {"Bearer realm=\"unterminated", -EINVAL, 0, NULL, NULL, NULL},
            {"Bearer realm", -EINVAL, 0, NULL, NULL, NULL},
            {"Negotiate abc=def", 0, WWW_AUTH_NONE, NULL, NULL, NULL},
            {"", 0, WWW_AUTH_NONE, NULL, NULL, NULL},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct www_auth w = {0};
                int r = www_auth_parse(cases[i].in, &w);
                assert_int_equal(r, cases[i].r);
                if (r < 0)
                        continue;
                assert_int_equal(w.scheme, cases[i].scheme);
#define CHECK(f)                                                                                   \
        if (cases[i].f)                                                                            \
                assert_string_equal(w.f, cases[i].f);                                              \
        else                                                                                       \
                assert_null(w.f);
                CHECK(realm);
                CHECK(service);
                CHECK(scope);
                www_auth_release(&w);
        }
}

static void test_registry_auth_decode(void **state)
{
        (void)state;
        struct registry_auth a;
        struct kerr err = {0};
        /* {"username":"u","password":"p?>","serveraddress":"h:5000"} in base64url, unpadded */
        const char *json = "{\"username\":\"u\",\"password\":\"p?>\",\"serveraddress\":\"h:5000\"}";
        static const char tbl[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        char enc[256];
        size_t n = strlen(json), o = 0;
        for (size_t i = 0; i < n; i += 3) {
                unsigned v = (unsigned char)json[i] << 16;
                if (i + 1 < n)
                        v |= (unsigned char)json[i + 1] << 8;
                if (i + 2 < n)
                        v |= (unsigned char)json[i + 2];
                enc[o++] = tbl[(v >> 18) & 63];
                enc[o++] = tbl[(v >> 12) & 63];
                if (i + 1 < n)
                        enc[o++] = tbl[(v >> 6) & 63];
                if (i + 2 < n)
                        enc[o++] = tbl[v & 63];
        }
        enc[o] = 0;
        assert_int_equal(registry_auth_decode(enc, &a, &err), 0);
        assert_string_equal(a.username, "u");
        assert_string_equal(a.password, "p?>");
        assert_string_equal(a.server_address, "h:5000");
        registry_auth_release(&a);
        /* eyJpZGVudGl0eXRva2VuIjoidG9rIn0= is {"identitytoken":"tok"} (padded) */
        assert_int_equal(registry_auth_decode("eyJpZGVudGl0eXRva2VuIjoidG9rIn0=", &a, &err), 0);
        assert_string_equal(a.identity_token, "tok");
        assert_false(registry_auth_empty(&a));
        registry_auth_release(&a);
        /* e30 = {} ; empty header */
        assert_int_equal(registry_auth_decode("e30", &a, &err), 0);
        assert_true(registry_auth_empty(&a));
        assert_int_equal(registry_auth_decode(NULL, &a, &err), 0);
        assert_true(registry_auth_empty(&a));
        /* garbage, and base64 of a non-object ("[1]" = WzFd) */
        assert_int_equal(registry_auth_decode("!!!", &a, &err), -EINVAL);
        assert_int_equal(err.kind, KERR_INVALID);
        assert_int_equal(registry_auth_decode("WzFd", &a, &err), -EINVAL);
        assert_int_equal(registry_auth_decode("e", &a, &err), -EINVAL);
        /* legacy "auth": base64("x:y") = eDp5 */
        assert_int_equal(registry_auth_from_json("{\"auth\":\"eDp5\"}", 15, &a, &err), 0);
        assert_string_equal(a.username, "x");
        assert_string_equal(a.password, "y");
        registry_auth_release(&a);
}

static void test_host_of(void **state)
{
        (void)state;
        static const char *const cases[][2] = {
            {"https://index.docker.io/v1/", "docker.io"},    {"h:5000", "h:5000"},
            {"http://127.0.0.1:5000/v2/", "127.0.0.1:5000"}, {"", "docker.io"},
            {"registry-1.docker.io", "docker.io"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *h = registry_host_of(cases[i][0]);
                assert_string_equal(h, cases[i][1]);
                free(h);
        }
}

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"

static void test_manifest_parse(void **state)
{
        (void)state;
        struct manifest m;
        struct kerr err = {0};
        const char *img = "{\"schemaVersion\":2,\"mediaType\":\"" MT_DOCKER_MANIFEST "\","
                          "\"config\":{\"digest\":\"" D1 "\",\"size\":10},"
                          "\"layers\":[{\"digest\":\"" D2
                          "\",\"size\":20,\"mediaType\":\"" MT_DOCKER_LAYER_GZIP "\"}]}";
        assert_int_equal(manifest_parse(NULL, img, strlen(img), &m, &err), 0);
        assert_int_equal(m.kind, MANIFEST_IMAGE);
        assert_string_equal(m.config.digest, D1);
        assert_int_equal(m.ndescs, 1);
        assert_int_equal(m.descs[0].size, 20);
        manifest_release(&m);
        /* OCI index without mediaType in the body: the Content-Type decides. */
        const char *idx =
            "{\"schemaVersion\":2,\"manifests\":["
            "{\"digest\":\"" D1 "\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":"
            "\"arm\",\"variant\":\"v7\"}},"
            "{\"digest\":\"" D2 "\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":"
            "\"arm64\",\"variant\":\"v8\"}},"
            "{\"digest\":\"" D3
            "\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}";
        assert_int_equal(manifest_parse(MT_OCI_INDEX, idx, strlen(idx), &m, &err), 0);
        assert_int_equal(m.kind, MANIFEST_INDEX);
        assert_int_equal(m.ndescs, 3);
        static const struct {
                const char *platform, *digest;
        } pick[] = {
            {"linux/amd64", D3},   {"linux/arm64", D2},     {"linux/arm64/v8", D2},
            {"linux/arm/v7", D1},  {"arm64", D2},           {"linux/arm/v6", NULL},
            {"linux/s390x", NULL}, {"windows/amd64", NULL},
        };
        for (size_t i = 0; i < sizeof(pick) / sizeof(pick[0]); i++) {
                struct platform p;
                assert_int_equal(platform_parse(pick[i].platform, &p, &err), 0);
                const struct manifest_desc *d = manifest_select(&m, &p, &err);
                if (pick[i].digest) {
                        assert_non_null(d);
                        assert_string_equal(d->digest, pick[i].digest);
                } else {
                        assert_null(d);
                        assert_non_null(strstr(err.msg, "no matching manifest for"));
                }
        }
        manifest_release(&m);
        /* Refusals. */
        static const char *const bad[] = {
            "{\"schemaVersion\":1,\"name\":\"x\"}",
            "{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:zz\",\"size\":1},\"layers\":[]}",
            "{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\",\"size\":-1},\"layers\":[]}",
            "{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\",\"size\":1}}",
            "[]",
            "{",
            "{\"schemaVersion\":3}",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_true(manifest_parse(NULL, bad[i], strlen(bad[i]), &m, &err) < 0);
                assert_int_equal(err.kind, KERR_INVALID);
        }
        assert_non_null(
            strstr((manifest_parse(MT_SCHEMA1_SIGNED, bad[0], strlen(bad[0]), &m, &err), err.msg),
                   "schema1"));
        /* The size cap comes before any parsing. */
        size_t big = MANIFEST_SIZE_MAX + 1;
        char *huge = malloc(big);
        memset(huge, ' ', big);
        assert_int_equal(manifest_parse(NULL, huge, big, &m, &err), -E2BIG);
        free(huge);
}

static void test_platform_parse(void **state)
{
        (void)state;
        struct platform p;
        struct kerr err = {0};
        char buf[64];
        assert_int_equal(platform_parse("linux/arm64/v8", &p, &err), 0);
        assert_string_equal(platform_string(&p, buf, sizeof(buf)), "linux/arm64/v8");
        assert_int_equal(platform_parse("linux/x86_64", &p, &err), 0);
        assert_string_equal(p.arch, "amd64");
        assert_int_equal(platform_parse("linux//v8", &p, &err), -EINVAL);
        assert_int_equal(platform_parse("a/b/c/d", &p, &err), -EINVAL);
        assert_int_equal(platform_parse(NULL, &p, &err), 0);
        assert_string_equal(p.os, "linux");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_www_auth),       cmocka_unit_test(test_registry_auth_decode),
            cmocka_unit_test(test_host_of),        cmocka_unit_test(test_manifest_parse),
            cmocka_unit_test(test_platform_parse), cmocka_unit_test(test_upload_location),
            cmocka_unit_test(test_upload_range),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
