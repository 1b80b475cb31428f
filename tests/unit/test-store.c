#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>

#include "store/store.h"
#include "unit.h"

static void test_open_layout_and_id(void **state)
{
        (void)state;
        char *root = unit_tmpdir();
        struct kerr err = {0};
        unit_write(root, "tmp/leftover/file", "x");
        struct store *s = store_open(root, &err);
        assert_non_null(s);
        assert_true(store_schema_version(s) >= 1);
        const char *dirs[] = {"blobs/sha256", "layers", "containers", "volumes", "tmp"};
        for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
                char p[4096];
                struct stat st;
                snprintf(p, sizeof(p), "%s/%s", root, dirs[i]);
                assert_int_equal(stat(p, &st), 0);
                assert_true(S_ISDIR(st.st_mode));
        }
        char p[4096];
        snprintf(p, sizeof(p), "%s/tmp/leftover", root);
        assert_int_equal(access(p, F_OK), -1); /* tmp/ cleared at start */
        char *id = strdup(s->id);
        assert_int_equal(strlen(id), 36);
        store_free(s);
        /* The ID is stable for the data root. */
        s = store_open(root, &err);
        assert_non_null(s);
        assert_string_equal(s->id, id);
        free(id);
        store_free(s);
        unit_rmdir(root);
}

static void test_second_open_is_refused(void **state)
{
        (void)state;
        char *root = unit_tmpdir();
        struct kerr err = {0};
        struct store *a = store_open(root, &err);
        assert_non_null(a);
        /* flock is per open file description, so a second open in the same
         * process conflicts just as a second daemon would. */
        struct store *b = store_open(root, &err);
        assert_null(b);
        assert_int_equal(err.kind, KERR_CONFLICT);
        assert_non_null(strstr(err.msg, "in use by another kedge daemon"));
        store_free(a);
        unit_rmdir(root);
}

static void test_newer_schema_refused(void **state)
{
        (void)state;
        char *root = unit_tmpdir();
        struct kerr err = {0};
        struct store *s = store_open(root, &err);
        assert_non_null(s);
        assert_int_equal(sqlite3_exec(s->db, "PRAGMA user_version = 999", NULL, NULL, NULL), 0);
        store_free(s);
        s = store_open(root, &err);
        assert_null(s);
        assert_non_null(strstr(err.msg, "newer than this kedge understands"));
        unit_rmdir(root);
}

static void test_relative_root(void **state)
{
        (void)state;
        struct kerr err = {0};
        assert_null(store_open("relative/dir", &err));
        assert_int_equal(err.kind, KERR_INVALID);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_open_layout_and_id),
            cmocka_unit_test(test_second_open_is_refused),
            cmocka_unit_test(test_newer_schema_refused),
            cmocka_unit_test(test_relative_root),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
