/* cgroup v1 and v2 backends against fake cgroupfs trees. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "runtime/cgroup.h"
#include "unit.h"

static const struct rt_resources res = {
        .memory_limit = 64 << 20,
        .memory_reservation = 32 << 20,
        .memory_swap = 128 << 20,
        .cpu_shares = 512,
        .cpu_quota = 50000,
        .cpu_period = 100000,
        .pids_limit = 100,
};

static void test_detect(void **state)
{
        (void)state;
        char *root = unit_tmpdir();
        assert_int_equal(rt_cgroup_detect(root), 1);
        unit_write(root, "cgroup.controllers", "cpu memory pids\n");
        assert_int_equal(rt_cgroup_detect(root), 2);
        unit_rmdir(root);
}

static void test_v1(void **state)
{
        (void)state;
        char *root = unit_tmpdir();
        unit_write(root, "memory/memory.limit_in_bytes", "max\n");
        unit_write(root, "memory/memory.memsw.limit_in_bytes", "max\n");
        unit_write(root, "cpu/cpu.shares", "1024\n");
        unit_write(root, "pids/pids.max", "max\n");
        unit_write(root, "freezer/freezer.state", "THAWED\n");
        struct rt_cgroup cg;
        struct kerr err = {0};
        assert_int_equal(rt_cgroup_create(root, "/kedge/abc", 0, &res, &cg, &err), 0);
        assert_int_equal(cg.version, 1);
        assert_string_equal(cg.path, "kedge/abc");
        assert_string_equal(unit_read(root, "memory/kedge/abc/memory.limit_in_bytes"), "67108864");
        assert_string_equal(unit_read(root, "memory/kedge/abc/memory.soft_limit_in_bytes"), "33554432");
        assert_string_equal(unit_read(root, "memory/kedge/abc/memory.memsw.limit_in_bytes"), "134217728");
        assert_string_equal(unit_read(root, "cpu/kedge/abc/cpu.shares"), "512");
        assert_string_equal(unit_read(root, "cpu/kedge/abc/cpu.cfs_period_us"), "100000");
        assert_string_equal(unit_read(root, "cpu/kedge/abc/cpu.cfs_quota_us"), "50000");
        assert_string_equal(unit_read(root, "pids/kedge/abc/pids.max"), "100");
        assert_int_equal(rt_cgroup_add(&cg, 4242, &err), 0);
        assert_string_equal(unit_read(root, "memory/kedge/abc/cgroup.procs"), "4242");
        assert_string_equal(unit_read(root, "freezer/kedge/abc/cgroup.procs"), "4242");
        /* hierarchies that are not mounted are skipped */
        assert_null(unit_read(root, "blkio/kedge/abc/cgroup.procs"));
        rt_cgroup_release(&cg);
        unit_rmdir(root);
}

static void test_v1_no_swap_accounting(void **state)
{
        (void)state;
        char *root = unit_tmpdir();
        unit_write(root, "memory/memory.limit_in_bytes", "max\n");
        struct rt_cgroup cg;
        struct kerr err = {0};
        struct rt_resources r = {.memory_limit = 1 << 20, .memory_swap = 2 << 20};
        assert_int_equal(rt_cgroup_create(root, "c1", 1, &r, &cg, &err), 0);
        assert_null(unit_read(root, "memory/c1/memory.memsw.limit_in_bytes"));
        rt_cgroup_release(&cg);
        /* a limit whose controller is missing is refused */
        struct rt_resources p = {.pids_limit = 5};
        assert_true(rt_cgroup_create(root, "c2", 1, &p, &cg, &err) < 0);
        assert_non_null(strstr(err.msg, "not mounted"));
        unit_rmdir(root);
}

static void test_v2(void **state)
{
        (void)state;
        char *root = unit_tmpdir();
        unit_write(root, "cgroup.controllers", "cpuset cpu io memory hugetlb pids\n");
        struct rt_cgroup cg;
        struct kerr err = {0};
        assert_int_equal(rt_cgroup_create(root, "kedge/abc", 0, &res, &cg, &err), 0);
        assert_int_equal(cg.version, 2);
        /* every ancestor delegates the controllers */
        assert_string_equal(unit_read(root, "cgroup.subtree_control"), "+cpu +memory +pids");
        assert_string_equal(unit_read(root, "kedge/cgroup.subtree_control"), "+cpu +memory +pids");
        assert_null(unit_read(root, "kedge/abc/cgroup.subtree_control"));
        assert_string_equal(unit_read(root, "kedge/abc/memory.max"), "67108864");
        assert_string_equal(unit_read(root, "kedge/abc/memory.low"), "33554432");
        assert_string_equal(unit_read(root, "kedge/abc/memory.swap.max"), "67108864");
        assert_string_equal(unit_read(root, "kedge/abc/cpu.weight"), "20");
        assert_string_equal(unit_read(root, "kedge/abc/cpu.max"), "50000 100000");
        assert_string_equal(unit_read(root, "kedge/abc/pids.max"), "100");
        assert_int_equal(rt_cgroup_add(&cg, 7, &err), 0);
        assert_string_equal(unit_read(root, "kedge/abc/cgroup.procs"), "7");
        rt_cgroup_release(&cg);
        unit_rmdir(root);
}

static void test_v2_unlimited_and_partial(void **state)
{
        (void)state;
        char *root = unit_tmpdir();
        unit_write(root, "cgroup.controllers", "cpuset memory\n");
        struct rt_cgroup cg;
        struct kerr err = {0};
        struct rt_resources r = {.memory_limit = -1, .memory_swap = -1, .cpu_period = 50000,
                                 .cpu_quota = -1, .pids_limit = -1};
        assert_int_equal(rt_cgroup_create(root, "x", 2, &r, &cg, &err), 0);
        assert_string_equal(unit_read(root, "cgroup.subtree_control"), "+memory");
        assert_string_equal(unit_read(root, "x/memory.max"), "max");
        assert_string_equal(unit_read(root, "x/memory.swap.max"), "max");
        assert_string_equal(unit_read(root, "x/cpu.max"), "max 50000");
        assert_string_equal(unit_read(root, "x/pids.max"), "max");
        rt_cgroup_release(&cg);
        unit_rmdir(root);
}

static void test_bad_paths(void **state)
{
        (void)state;
        char *root = unit_tmpdir();
        struct rt_cgroup cg;
        struct kerr err = {0};
        assert_true(rt_cgroup_create(root, "../../etc", 1, NULL, &cg, &err) < 0);
        assert_int_equal(err.kind, KERR_INVALID);
        assert_true(rt_cgroup_create(root, "", 1, NULL, &cg, &err) < 0);
        /* destroying what was never created is fine */
        struct rt_cgroup none = {.version = 2, .root = root, .path = "nope"};
        assert_int_equal(rt_cgroup_destroy(&none, &err), 0);
        unit_rmdir(root);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_detect),
                cmocka_unit_test(test_v1),
                cmocka_unit_test(test_v1_no_swap_accounting),
                cmocka_unit_test(test_v2),
                cmocka_unit_test(test_v2_unlimited_and_partial),
                cmocka_unit_test(test_bad_paths),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
