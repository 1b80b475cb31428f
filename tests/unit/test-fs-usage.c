/* test-fs-usage: fs_tree_usage sizes a tree as moby's directory.Size does
 * (a container's writable layer for prune's SpaceReclaimed and ps -s). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdint.h>

#include "unit.h"

static void test_usage(void **state)
{
        (void)state;
        char *root = unit_tmpdir();
        char p[512], q[512];
        char hundred[101];
        memset(hundred, 'x', 100);
        hundred[100] = 0;
        unit_write(root, "a", hundred);
        unit_write(root, "d/e/c", "0123456789012345678901234567890123456789012345678\n");
        unit_write(root, "empty", "");
        snprintf(p, sizeof(p), "%s/a", root);
        snprintf(q, sizeof(q), "%s/d/b", root);
        assert_int_equal(link(p, q), 0); /* a hard link counts once */
        snprintf(q, sizeof(q), "%s/l", root);
        assert_int_equal(symlink("/etc/passwd", q), 0); /* its own 11 bytes, not followed */
        uint64_t n = 0;
        assert_int_equal(fs_tree_usage(root, &n), 0);
        assert_int_equal(n, 100 + 50 + 11);
        snprintf(p, sizeof(p), "%s/d", root);
        assert_int_equal(fs_tree_usage(p, &n), 0);
        assert_int_equal(n, 100 + 50); /* the link's other name is inside */
        snprintf(p, sizeof(p), "%s/nosuch", root);
        n = 7;
        assert_int_equal(fs_tree_usage(p, &n), -ENOENT);
        assert_int_equal(n, 7);
        unit_rmdir(root);
}

int main(void)
{
        const struct CMUnitTest tests[] = {cmocka_unit_test(test_usage)};
        return cmocka_run_group_tests(tests, NULL, NULL);
}
