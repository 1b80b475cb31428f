/* cgroup v1 and v2 backends against fake cgroupfs trees. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "base/cleanup.h"
#include "runtime/cgroup.h"
#include "runtime/devices.h"
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
        assert_string_equal(unit_read(root, "memory/kedge/abc/memory.soft_limit_in_bytes"),
                            "33554432");
        assert_string_equal(unit_read(root, "memory/kedge/abc/memory.memsw.limit_in_bytes"),
                            "134217728");
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
        struct rt_resources r = {.memory_limit = -1,
                                 .memory_swap = -1,
                                 .cpu_period = 50000,
                                 .cpu_quota = -1,
                                 .pids_limit = -1};
        assert_int_equal(rt_cgroup_create(root, "x", 2, &r, &cg, &err), 0);
        assert_string_equal(unit_read(root, "cgroup.subtree_control"), "+memory");
        assert_string_equal(unit_read(root, "x/memory.max"), "max");
        assert_string_equal(unit_read(root, "x/memory.swap.max"), "max");
        assert_string_equal(unit_read(root, "x/cpu.max"), "max 50000");
        assert_string_equal(unit_read(root, "x/pids.max"), "max");
        rt_cgroup_release(&cg);
        unit_rmdir(root);
}

/* Docker's list as the engine writes it (moby's DefaultLinuxSpec). */
static const struct rt_device_rule docker_rules[] = {
    {false, 'a', -1, -1, RT_DEV_ALL}, {true, 'c', 1, 5, RT_DEV_ALL},
    {true, 'c', 1, 3, RT_DEV_ALL},    {true, 'c', 1, 9, RT_DEV_ALL},
    {true, 'c', 1, 8, RT_DEV_ALL},    {true, 'c', 5, 0, RT_DEV_ALL},
    {true, 'c', 5, 1, RT_DEV_ALL},    {false, 'c', 10, 229, RT_DEV_ALL},
};

static void test_devices_v1_lines(void **state)
{
        (void)state;
        struct rt_resources r = {.devices_set = true,
                                 .devices = (struct rt_device_rule *)docker_rules,
                                 .n_devices = ARRAY_SIZE(docker_rules)};
        size_t n;
        struct rt_device_rule *all = rt_devices_effective(&r, &n);
        /* deny-all, the spec's 8, the runtime's 11 */
        assert_int_equal(n, 1 + 8 + 11);
        static const char *const want[][2] = {
            {"devices.deny", "a"},
            {"devices.deny", "a"},
            {"devices.allow", "c 1:5 rwm"},
            {"devices.allow", "c 1:3 rwm"},
            {"devices.allow", "c 1:9 rwm"},
            {"devices.allow", "c 1:8 rwm"},
            {"devices.allow", "c 5:0 rwm"},
            {"devices.allow", "c 5:1 rwm"},
            {"devices.deny", "c 10:229 rwm"},
            {"devices.allow", "c *:* m"},
            {"devices.allow", "b *:* m"},
            {"devices.allow", "c 1:3 rwm"},
        };
        for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
                char line[64];
                const char *file;
                rt_devices_v1_line(&all[i], line, sizeof(line), &file);
                assert_string_equal(file, want[i][0]);
                assert_string_equal(line, want[i][1]);
        }
        char line[64];
        const char *file;
        struct rt_device_rule priv = {true, 'a', -1, -1, RT_DEV_ALL},
                              part = {true, 'b', 8, -1, RT_DEV_READ | RT_DEV_MKNOD};
        rt_devices_v1_line(&priv, line, sizeof(line), &file);
        assert_string_equal(file, "devices.allow");
        assert_string_equal(line, "a");
        rt_devices_v1_line(&part, line, sizeof(line), &file);
        assert_string_equal(line, "b 8:* rm");
        free(all);
}

static void test_devices_v1_fake_tree(void **state)
{
        (void)state;
        char *root = unit_tmpdir();
        unit_write(root, "devices/devices.list", "a *:* rwm\n");
        struct rt_resources r = {.devices_set = true,
                                 .devices = (struct rt_device_rule *)docker_rules,
                                 .n_devices = ARRAY_SIZE(docker_rules)};
        struct rt_cgroup cg;
        struct kerr err = {0};
        assert_int_equal(rt_cgroup_create(root, "kedge/d", 1, &r, &cg, &err), 0);
        /* a fake file keeps the last write: the last deny and the last allow */
        assert_string_equal(unit_read(root, "devices/kedge/d/devices.deny"), "c 10:229 rwm");
        assert_string_equal(unit_read(root, "devices/kedge/d/devices.allow"), "c 10:200 rwm");
        rt_cgroup_release(&cg);
        /* no devices controller: a policy that cannot be applied is an error */
        char *bare = unit_tmpdir();
        unit_write(bare, "memory/memory.limit_in_bytes", "max\n");
        assert_true(rt_cgroup_create(bare, "kedge/d", 1, &r, &cg, &err) < 0);
        unit_rmdir(bare);
        unit_rmdir(root);
}

/* Interprets the program the way the kernel runs it for one request, so
 * the test checks decisions, not only shapes. */
static int run_bpf(const struct bpf_insn *p, size_t n, int type, int access, uint32_t major,
                   uint32_t minor)
{
        uint64_t reg[11] = {0};
        uint32_t ctx[3] = {(uint32_t)(access << 16 | type), major, minor};
        for (size_t pc = 0; pc < n; pc++) {
                const struct bpf_insn *i = &p[pc];
                uint64_t src =
                    BPF_SRC(i->code) == BPF_X ? reg[i->src_reg] : (uint64_t)(int64_t)i->imm;
                switch (BPF_CLASS(i->code)) {
                case BPF_LDX:
                        reg[i->dst_reg] = ctx[i->off / 4];
                        break;
                case BPF_ALU:
                case BPF_ALU64:
                        if (BPF_OP(i->code) == BPF_MOV)
                                reg[i->dst_reg] = src;
                        else if (BPF_OP(i->code) == BPF_AND)
                                reg[i->dst_reg] &= src;
                        else if (BPF_OP(i->code) == BPF_RSH)
                                reg[i->dst_reg] >>= src;
                        if (BPF_CLASS(i->code) == BPF_ALU)
                                reg[i->dst_reg] &= 0xffffffff;
                        break;
                case BPF_JMP:
                        if (BPF_OP(i->code) == BPF_EXIT)
                                return (int)reg[0];
                        assert_int_equal(BPF_OP(i->code), BPF_JNE);
                        if (reg[i->dst_reg] != src)
                                pc += i->off;
                        assert_true(pc < n);
                        break;
                default:
                        fail_msg("unexpected instruction class %#x", i->code);
                }
        }
        fail_msg("the program ran off its end");
        return -1;
}

static void test_devices_bpf(void **state)
{
        (void)state;
        struct rt_resources r = {.devices_set = true,
                                 .devices = (struct rt_device_rule *)docker_rules,
                                 .n_devices = ARRAY_SIZE(docker_rules)};
        size_t n, count;
        struct rt_device_rule *all = rt_devices_effective(&r, &n);
        struct bpf_insn *p = rt_devices_bpf(all, n, &count);
        /* prologue 6; the 11 runtime rules: 2 mknod-any (type + 3 access + 2),
         * 8 exact (type, major, minor + 2), 1 major-only (type, major + 2);
         * Docker's 7 exact rules; the leading deny-all is an unconditional
         * "return 0" that ends the program. */
        assert_int_equal(count, 6 + 2 * 6 + 8 * 5 + 1 * 4 + 7 * 5 + 2);
        /* the first block checked is the last rule (/dev/net/tun) */
        assert_int_equal(p[6].code, BPF_JMP | BPF_JNE | BPF_K);
        assert_int_equal(p[6].imm, BPF_DEVCG_DEV_CHAR);
        assert_int_equal(p[7].imm, 10);
        assert_int_equal(p[8].imm, 200);
        assert_int_equal(p[6].off, 4);
        assert_int_equal(p[count - 1].code, BPF_JMP | BPF_EXIT);
        assert_int_equal(p[count - 2].imm, 0);
        enum {
                B = BPF_DEVCG_DEV_BLOCK,
                C = BPF_DEVCG_DEV_CHAR,
                R = BPF_DEVCG_ACC_READ,
                W = BPF_DEVCG_ACC_WRITE,
                M = BPF_DEVCG_ACC_MKNOD
        };
        assert_int_equal(run_bpf(p, count, B, R, 8, 0), 0);     /* read the host's disk */
        assert_int_equal(run_bpf(p, count, B, M, 8, 0), 1);     /* mknod is allowed */
        assert_int_equal(run_bpf(p, count, B, R | M, 8, 0), 0); /* not mknod + read */
        assert_int_equal(run_bpf(p, count, C, R | W, 1, 3), 1); /* /dev/null */
        assert_int_equal(run_bpf(p, count, C, R, 5, 1), 1);     /* /dev/console */
        assert_int_equal(run_bpf(p, count, C, R, 136, 7), 1);   /* /dev/pts/7 */
        assert_int_equal(run_bpf(p, count, C, R, 10, 229), 0);  /* /dev/fuse */
        assert_int_equal(run_bpf(p, count, C, R, 1, 1), 0);     /* /dev/mem */
        free(p);
        free(all);
        /* --privileged: allow-all last, so it is checked first and ends the program */
        struct rt_device_rule priv[9];
        memcpy(priv, docker_rules, sizeof(docker_rules));
        priv[ARRAY_SIZE(docker_rules)] = (struct rt_device_rule){true, 'a', -1, -1, RT_DEV_ALL};
        p = rt_devices_bpf(priv, ARRAY_SIZE(priv), &count);
        assert_int_equal(count, 6 + 2);
        assert_int_equal(run_bpf(p, count, B, R, 8, 0), 1);
        free(p);
        /* a later deny wins over an earlier allow */
        struct rt_device_rule order[] = {{true, 'c', 1, 3, RT_DEV_ALL},
                                         {false, 'c', 1, 3, RT_DEV_WRITE}};
        p = rt_devices_bpf(order, 2, &count);
        assert_int_equal(run_bpf(p, count, C, W, 1, 3), 0);
        assert_int_equal(run_bpf(p, count, C, R, 1, 3), 1);
        assert_int_equal(run_bpf(p, count, C, R, 1, 5), 0);
        free(p);
}

static void test_oom_parse(void **state)
{
        (void)state;
        struct rt_cgroup_oom oom;
        /* v2 memory.events (Linux 5.17: oom_group_kill; a key of the same prefix first) */
        rt_cgroup_oom_parse("low 0\nhigh 0\nmax 1234\noom 7\noom_kill 3\noom_group_kill 1\n", &oom);
        assert_int_equal(oom.kills, 3);
        assert_int_equal(oom.group_kills, 1);
        /* v1 memory.oom_control; no final newline */
        rt_cgroup_oom_parse("oom_kill_disable 0\nunder_oom 0\noom_kill 18446744073709551615", &oom);
        assert_true(oom.kills == UINT64_MAX);
        assert_int_equal(oom.group_kills, 0);
        /* before 4.13 v1 has no oom_kill: nothing counted; junk is skipped */
        rt_cgroup_oom_parse("oom_kill_disable 0\nunder_oom 1\n", &oom);
        assert_int_equal(oom.kills, 0);
        rt_cgroup_oom_parse("oom_kill x\noom_kill\noom_kill -1\n\n oom_kill 5\n", &oom);
        assert_int_equal(oom.kills, 0);
        rt_cgroup_oom_parse("", &oom);
        assert_int_equal(oom.kills, 0);
}

static void test_oom_read(void **state)
{
        (void)state;
        char *root = unit_tmpdir();
        struct rt_cgroup_oom oom;
        /* v1: the memory hierarchy's group */
        unit_write(root, "memory/kedge/abc/memory.oom_control",
                   "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
        assert_int_equal(rt_cgroup_oom_read(root, "/kedge/abc", 0, &oom), 0);
        assert_int_equal(oom.kills, 2);
        assert_int_equal(rt_cgroup_oom_read(root, "kedge/gone", 1, &oom), -ENOENT);
        assert_int_equal(oom.kills, 0);
        assert_int_equal(rt_cgroup_oom_read(root, "../memory/kedge/abc", 1, &oom), -EINVAL);
        unit_rmdir(root);
        /* v2: the group's own directory */
        root = unit_tmpdir();
        unit_write(root, "cgroup.controllers", "cpu memory pids\n");
        unit_write(root, "kedge/abc/memory.events",
                   "low 0\nhigh 0\nmax 9\noom 1\noom_kill 1\noom_group_kill 0\n");
        assert_int_equal(rt_cgroup_oom_read(root, "/kedge/abc", 0, &oom), 0);
        assert_int_equal(oom.kills, 1);
        /* a group without the memory controller has no memory.events */
        unit_write(root, "kedge/nomem/cgroup.procs", "");
        assert_int_equal(rt_cgroup_oom_read(root, "kedge/nomem", 2, &oom), -ENOENT);
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
            cmocka_unit_test(test_oom_parse),
            cmocka_unit_test(test_oom_read),
            cmocka_unit_test(test_devices_v1_lines),
            cmocka_unit_test(test_devices_v1_fake_tree),
            cmocka_unit_test(test_devices_bpf),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
