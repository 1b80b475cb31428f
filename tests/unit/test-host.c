/* cgroup probing against fake cgroupfs trees: the v2 path cannot be
 * exercised on a v1 host, so both layouts are built here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "engine/core/host.h"
#include "unit.h"

static void test_cgroup_v2_full(void **state)
{
        (void)state;
        char *root = unit_tmpdir();
        unit_write(root, "cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
        struct host_cgroup cg;
        host_cgroup_probe(root, &cg);
        assert_int_equal(cg.version, 2);
        assert_true(cg.memory);
        assert_true(cg.cpu);
        assert_true(cg.pids);
        assert_true(cg.swap);
        assert_true(cg.cpu_cfs);
        unit_rmdir(root);
}

static void test_cgroup_v2_partial(void **state)
{
        (void)state;
        char *root = unit_tmpdir();
        /* "cpuset" must not count as "cpu", nor "hugetlb" as anything else. */
        unit_write(root, "cgroup.controllers", "cpuset hugetlb\n");
        struct host_cgroup cg;
        host_cgroup_probe(root, &cg);
        assert_int_equal(cg.version, 2);
        assert_false(cg.memory);
        assert_false(cg.cpu);
        assert_false(cg.pids);
        assert_false(cg.swap);
        unit_rmdir(root);
}

static void test_cgroup_v1(void **state)
{
        (void)state;
        char *root = unit_tmpdir();
        unit_write(root, "memory/memory.limit_in_bytes", "9223372036854771712\n");
        unit_write(root, "cpu/cpu.shares", "1024\n");
        unit_write(root, "cpu/cpu.cfs_quota_us", "-1\n");
        unit_write(root, "pids/pids.max", "max\n");
        /* hybrid: a v2 mount below the root does not make the host v2 */
        unit_write(root, "unified/cgroup.controllers", "hugetlb\n");
        struct host_cgroup cg;
        host_cgroup_probe(root, &cg);
        assert_int_equal(cg.version, 1);
        assert_true(cg.memory);
        assert_false(cg.swap); /* no memory.memsw.* */
        assert_true(cg.cpu);
        assert_true(cg.cpu_cfs);
        assert_true(cg.pids);
        unit_write(root, "memory/memory.memsw.limit_in_bytes", "9223372036854771712\n");
        host_cgroup_probe(root, &cg);
        assert_true(cg.swap);
        unit_rmdir(root);
}

static void test_live_host(void **state)
{
        (void)state;
        struct host_info h;
        host_info_probe(&h);
        assert_true(h.ncpu >= 1);
        assert_true(h.mem_total > 0);
        assert_true(h.kernel_version[0] != 0);
        assert_true(h.architecture[0] != 0);
        assert_true(h.cgroup.version == 1 || h.cgroup.version == 2);
        host_info_release(&h);
}

static void test_filesystem_probe(void **state)
{
        (void)state;
        char *proc = unit_tmpdir();
        unit_write(proc, "filesystems", "nodev\tsysfs\nnodev\toverlay\n\text4\n");
        assert_true(host_filesystem_probe(proc, "overlay", NULL));
        assert_true(host_filesystem_probe(proc, "ext4", NULL));
        /* a name that only prefixes a listed one does not count */
        assert_false(host_filesystem_probe(proc, "overla", NULL));
        /* not listed: the kernel is asked (and loads a module); one no
         * kernel has is unavailable even when a module file exists */
        char *mods = unit_tmpdir();
        unit_write(mods, "kedgenofs.ko", "");
        char path[4096];
        snprintf(path, sizeof(path), "%s/kedgenofs.ko", mods);
        assert_false(host_filesystem_probe(proc, "kedgenofs", path));
        unit_rmdir(mods);
        unit_rmdir(proc);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_cgroup_v2_full),    cmocka_unit_test(test_filesystem_probe),
            cmocka_unit_test(test_cgroup_v2_partial), cmocka_unit_test(test_cgroup_v1),
            cmocka_unit_test(test_live_host),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
