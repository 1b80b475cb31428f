/* test-reference: image references parsed and normalised as Docker's
 * distribution/reference does (ParseNormalizedNamed + TagNameOnly), and
 * refused with Docker's "invalid reference format" wording. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/reference.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_valid(void **state)
{
        (void)state;
        static const struct {
                const char *in, *full, *familiar;
        } cases[] = {
            {"busybox", "docker.io/library/busybox:latest", "busybox:latest"},
            {"busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36"},
            {"library/busybox", "docker.io/library/busybox:latest", "busybox:latest"},
            {"docker.io/busybox", "docker.io/library/busybox:latest", "busybox:latest"},
            {"docker.io/library/busybox:musl", "docker.io/library/busybox:musl", "busybox:musl"},
            {"index.docker.io/library/busybox", "docker.io/library/busybox:latest",
             "busybox:latest"},
            {"user/app:v1", "docker.io/user/app:v1", "user/app:v1"},
            {"library/a/b", "docker.io/library/a/b:latest", "library/a/b:latest"},
            {"localhost/app", "localhost/app:latest", "localhost/app:latest"},
            {"localhost:5000/team/app:v2", "localhost:5000/team/app:v2",
             "localhost:5000/team/app:v2"},
            {"127.0.0.1:5000/x", "127.0.0.1:5000/x:latest", "127.0.0.1:5000/x:latest"},
            {"registry.example.com/app", "registry.example.com/app:latest",
             "registry.example.com/app:latest"},
            {"Registry.Example.com/app", "Registry.Example.com/app:latest",
             "Registry.Example.com/app:latest"}, /* capitals make it a host */
            {"my-registry.io:443/a/b/c:1.0-rc_1", "my-registry.io:443/a/b/c:1.0-rc_1",
             "my-registry.io:443/a/b/c:1.0-rc_1"},
            {"a.b__c-d---e", "docker.io/library/a.b__c-d---e:latest", "a.b__c-d---e:latest"},
            {"busybox:_tag.x-Y", "docker.io/library/busybox:_tag.x-Y", "busybox:_tag.x-Y"},
            /* a digest: no default tag is added */
            {"busybox@sha256:" HEX64, "docker.io/library/busybox@sha256:" HEX64,
             "busybox@sha256:" HEX64},
            {"localhost:5000/x:1@sha256:" HEX64, "localhost:5000/x:1@sha256:" HEX64,
             "localhost:5000/x:1@sha256:" HEX64},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct image_ref r;
                struct kerr err = {0};
                if (image_ref_parse(cases[i].in, IMAGE_REF_DEFAULT_TAG, &r, &err) < 0)
                        fail_msg("'%s' refused: %s", cases[i].in, err.msg);
                char *full = image_ref_string(&r), *fam = image_ref_familiar(&r);
                assert_string_equal(full, cases[i].full);
                assert_string_equal(fam, cases[i].familiar);
                char *again = image_ref_familiar_of(full);
                assert_string_equal(again, cases[i].familiar);
                free(again);
                free(full);
                free(fam);
                image_ref_release(&r);
        }
}

static void test_parts(void **state)
{
        (void)state;
        struct image_ref r;
        assert_int_equal(image_ref_parse("localhost:5000/team/app", 0, &r, NULL), 0);
        assert_string_equal(r.domain, "localhost:5000");
        assert_string_equal(r.path, "team/app");
        assert_null(r.tag); /* no IMAGE_REF_DEFAULT_TAG: no tag */
        assert_null(r.digest);
        char *name = image_ref_name(&r);
        assert_string_equal(name, "localhost:5000/team/app");
        free(name);
        image_ref_release(&r);
        assert_null(r.domain);

        assert_int_equal(image_ref_parse("x@sha256:" HEX64, IMAGE_REF_DEFAULT_TAG, &r, NULL), 0);
        assert_null(r.tag);
        assert_string_equal(r.digest, "sha256:" HEX64);
        image_ref_release(&r);

        /* IMAGE_REF_NAME_ONLY (the repo of docker tag) refuses tags and digests */
        struct kerr err = {0};
        assert_int_equal(image_ref_parse("busybox:1", IMAGE_REF_NAME_ONLY, &r, &err), -EINVAL);
        assert_string_equal(err.msg, "invalid reference format");
        assert_int_equal(image_ref_parse("busybox", IMAGE_REF_NAME_ONLY, &r, NULL), 0);
        image_ref_release(&r);
}

static void test_invalid(void **state)
{
        (void)state;
        static const struct {
                const char *in, *msg;
        } cases[] = {
            {"", "invalid reference format"},
            {"busybox:", "invalid reference format"},
            {":latest", "invalid reference format"},
            {"/busybox", "invalid reference format"},
            {"busybox/", "invalid reference format"},
            {"a//b", "invalid reference format"},
            {"-abc", "invalid reference format"},
            {"abc-", "invalid reference format"},
            {"a___b", "invalid reference format"},
            {"a..b", "invalid reference format"},
            {"a:b:c", "invalid reference format"},
            {"busybox:.tag", "invalid reference format"},
            {"busybox:-tag", "invalid reference format"},
            {"busybox@sha256:abc", "invalid reference format"},
            {"busybox@md5:" HEX64, "invalid reference format"},
            {"busy box", "invalid reference format"},
            {"localhost:port/x", "invalid reference format"},
            {"-host.com/x", "invalid reference format"},
            {"Busybox", "invalid reference format: repository name (library/Busybox) must "
                        "be lowercase"},
            {"user/App:1", "invalid reference format: repository name (user/App) must be "
                           "lowercase"},
            {HEX64, "invalid repository name (" HEX64 "), cannot specify 64-byte "
                    "hexadecimal strings"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct image_ref r = {0};
                struct kerr err = {0};
                if (image_ref_parse(cases[i].in, IMAGE_REF_DEFAULT_TAG, &r, &err) != -EINVAL)
                        fail_msg("'%s' accepted", cases[i].in);
                assert_int_equal(err.kind, KERR_INVALID);
                if (strcmp(err.msg, cases[i].msg) != 0)
                        fail_msg("'%s': got '%s', want '%s'", cases[i].in, err.msg, cases[i].msg);
                assert_null(r.domain); /* untouched on failure */
        }
}

static void test_limits(void **state)
{
        (void)state;
        char tag[140], name[300];
        memset(tag, 'a', sizeof(tag));
        snprintf(tag, sizeof(tag), "x:%0128d", 0);
        struct image_ref r;
        assert_int_equal(image_ref_parse(tag, 0, &r, NULL), 0); /* 128 characters: fine */
        image_ref_release(&r);
        snprintf(tag, sizeof(tag), "x:%0129d", 0);
        assert_int_equal(image_ref_parse(tag, 0, &r, NULL), -EINVAL);

        memset(name, 'a', sizeof(name));
        name[255 - strlen("docker.io/library/")] = 0; /* docker.io/library/aaa = 255 */
        assert_int_equal(image_ref_parse(name, 0, &r, NULL), 0);
        image_ref_release(&r);
        memset(name, 'a', sizeof(name));
        name[256 - strlen("docker.io/library/")] = 0;
        struct kerr err = {0};
        assert_int_equal(image_ref_parse(name, 0, &r, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "must not be more than 255 characters"));

        assert_true(image_ref_tag_valid("latest"));
        assert_true(image_ref_tag_valid("_"));
        assert_false(image_ref_tag_valid(""));
        assert_false(image_ref_tag_valid(".x"));
        assert_false(image_ref_tag_valid("a/b"));

        /* a string that does not parse is returned as is */
        char *f = image_ref_familiar_of("not a ref");
        assert_string_equal(f, "not a ref");
        free(f);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_valid),
            cmocka_unit_test(test_parts),
            cmocka_unit_test(test_invalid),
            cmocka_unit_test(test_limits),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
