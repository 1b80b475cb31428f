/* devices.c - the device policy as v1 rule lines and as a v2 eBPF program,
 * see devices.h. The program's layout follows the one crun and systemd use
 * (read the context into registers once, then one block per rule). */
#include "devices.h"

#include "base/cleanup.h"
#include "base/xalloc.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* What every container gets after the spec's rules, as runc adds them
 * (libcontainer/specconv AllowedDevices) and crun likewise: mknod of any
 * node (opening it is still denied), the standard character devices, the
 * pty master and slaves, and /dev/net/tun. */
static const struct rt_device_rule defaults[] = {
    {true, 'c', -1, -1, RT_DEV_MKNOD}, {true, 'b', -1, -1, RT_DEV_MKNOD},
    {true, 'c', 1, 3, RT_DEV_ALL},     {true, 'c', 1, 8, RT_DEV_ALL},
    {true, 'c', 1, 7, RT_DEV_ALL},     {true, 'c', 5, 0, RT_DEV_ALL},
    {true, 'c', 1, 5, RT_DEV_ALL},     {true, 'c', 1, 9, RT_DEV_ALL},
    {true, 'c', 136, -1, RT_DEV_ALL},  {true, 'c', 5, 2, RT_DEV_ALL},
    {true, 'c', 10, 200, RT_DEV_ALL},
};

struct rt_device_rule *rt_devices_effective(const struct rt_resources *res, size_t *ret_n)
{
        size_t n = 1 + res->n_devices + ARRAY_SIZE(defaults);
        struct rt_device_rule *v = xzalloc(n * sizeof(*v));
        v[0] = (struct rt_device_rule){false, 'a', -1, -1, RT_DEV_ALL};
        if (res->n_devices)
                memcpy(v + 1, res->devices, res->n_devices * sizeof(*v));
        memcpy(v + 1 + res->n_devices, defaults, sizeof(defaults));
        *ret_n = n;
        return v;
}

static void access_string(unsigned access, char out[4])
{
        size_t k = 0;
        for (int i = 0; i < 3; i++)
                if (access & (1u << i))
                        out[k++] = "rwm"[i];
        out[k] = 0;
}

void rt_devices_v1_line(const struct rt_device_rule *rule, char *buf, size_t size,
                        const char **ret_file)
{
        char acc[4], major[24] = "*", minor[24] = "*";
        *ret_file = rule->allow ? "devices.allow" : "devices.deny";
        /* "a" alone switches the group's default (and clears its list):
         * the kernel's own spelling of "everything". */
        if (rule->type == 'a' && rule->major < 0 && rule->minor < 0 && rule->access == RT_DEV_ALL) {
                snprintf(buf, size, "a");
                return;
        }
        access_string(rule->access, acc);
        if (rule->major >= 0)
                snprintf(major, sizeof(major), "%" PRId64, rule->major);
        if (rule->minor >= 0)
                snprintf(minor, sizeof(minor), "%" PRId64, rule->minor);
        snprintf(buf, size, "%c %s:%s %s", rule->type, major, minor, acc);
}

/* --- eBPF --- */

#define INSN(c, d, s, o, i)                                                                        \
        ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define LDX_W(dst, src, off)    INSN(BPF_LDX | BPF_W | BPF_MEM, dst, src, off, 0)
#define ALU32_IMM(op, dst, imm) INSN(BPF_ALU | (op) | BPF_K, dst, 0, 0, imm)
#define MOV32_REG(dst, src)     INSN(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV64_IMM(dst, imm)     INSN(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define JNE_IMM(dst, imm)       INSN(BPF_JMP | BPF_JNE | BPF_K, dst, 0, 0, imm)
#define JNE_REG(dst, src)       INSN(BPF_JMP | BPF_JNE | BPF_X, dst, src, 0, 0)
#define EXIT()                  INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* One rule's block: the checks, each jumping past the block when the
 * request does not match, then "return allow". Returns its length; 0 when
 * the rule can match no device (a number above what a jump immediate
 * holds: the kernel's majors have 12 bits, minors 20). *ret_always: the
 * block has no checks (every later block would be unreachable, which the
 * verifier refuses). */
static size_t rule_block(const struct rt_device_rule *r, struct bpf_insn out[8], bool *ret_always)
{
        size_t k = 0;
        if (r->major > INT32_MAX || r->minor > INT32_MAX)
                return 0;
        /* struct bpf_cgroup_dev_ctx, read by the prologue: r2 type, r3 access, r4 major, r5 minor
         */
        if (r->type != 'a')
                out[k++] =
                    JNE_IMM(BPF_REG_2, r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
        if (r->access != RT_DEV_ALL) {
                int acc = (r->access & RT_DEV_READ ? BPF_DEVCG_ACC_READ : 0) |
                          (r->access & RT_DEV_WRITE ? BPF_DEVCG_ACC_WRITE : 0) |
                          (r->access & RT_DEV_MKNOD ? BPF_DEVCG_ACC_MKNOD : 0);
                /* matches only when every access asked for is in the rule */
                out[k++] = MOV32_REG(BPF_REG_1, BPF_REG_3);
                out[k++] = ALU32_IMM(BPF_AND, BPF_REG_1, acc);
                out[k++] = JNE_REG(BPF_REG_1, BPF_REG_3);
        }
        if (r->major >= 0)
                out[k++] = JNE_IMM(BPF_REG_4, (int32_t)r->major);
        if (r->minor >= 0)
                out[k++] = JNE_IMM(BPF_REG_5, (int32_t)r->minor);
        *ret_always = k == 0;
        out[k++] = MOV64_IMM(BPF_REG_0, r->allow ? 1 : 0);
        out[k++] = EXIT();
        /* every jump lands just past this block */
        for (size_t j = 0; j + 2 < k; j++)
                if (BPF_CLASS(out[j].code) == BPF_JMP)
                        out[j].off = (int16_t)(k - j - 1);
        return k;
}

struct bpf_insn *rt_devices_bpf(const struct rt_device_rule *rules, size_t n, size_t *ret_n)
{
        struct bpf_insn *p = xzalloc((6 + 8 * n + 2) * sizeof(*p));
        size_t k = 0;
        p[k++] = LDX_W(BPF_REG_2, BPF_REG_1, 0); /* access_type: type in the low 16 bits */
        p[k++] = ALU32_IMM(BPF_AND, BPF_REG_2, 0xffff);
        p[k++] = LDX_W(BPF_REG_3, BPF_REG_1, 0); /* ... access in the high 16 */
        p[k++] = ALU32_IMM(BPF_RSH, BPF_REG_3, 16);
        p[k++] = LDX_W(BPF_REG_4, BPF_REG_1, 4); /* major */
        p[k++] = LDX_W(BPF_REG_5, BPF_REG_1, 8); /* minor */
        /* Last rule first: a later rule overrides an earlier one, as later
         * writes do in a v1 group. */
        for (size_t i = n; i-- > 0;) {
                bool always = false;
                k += rule_block(&rules[i], p + k, &always);
                if (always) {
                        *ret_n = k;
                        return p;
                }
        }
        p[k++] = MOV64_IMM(BPF_REG_0, 0);
        p[k++] = EXIT();
        *ret_n = k;
        return p;
}

static int bpf_call(int cmd, union bpf_attr *attr)
{
        return (int)syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int prog_load(const struct bpf_insn *insns, size_t n, struct kerr *err)
{
        static const char license[] = "Apache-2.0";
        _cleanup_free_ char *log = xzalloc(4096);
        union bpf_attr attr = {
            .prog_type = BPF_PROG_TYPE_CGROUP_DEVICE,
            .insns = (uint64_t)(uintptr_t)insns,
            .insn_cnt = (uint32_t)n,
            .license = (uint64_t)(uintptr_t)license,
        };
        int fd = bpf_call(BPF_PROG_LOAD, &attr);
        if (fd < 0 && errno == EPERM) {
                /* Before Linux 5.11 programs were charged to RLIMIT_MEMLOCK. */
                struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};
                setrlimit(RLIMIT_MEMLOCK, &rl);
                fd = bpf_call(BPF_PROG_LOAD, &attr);
        }
        if (fd >= 0)
                return fd;
        /* Once more with the verifier's log, for the message. */
        attr.log_level = 1;
        attr.log_buf = (uint64_t)(uintptr_t)log;
        attr.log_size = 4096;
        fd = bpf_call(BPF_PROG_LOAD, &attr);
        if (fd >= 0)
                return fd;
        log[4095] = 0;
        return kerr_set(err, KERR_INTERNAL, errno, "load the device eBPF program: %m%s%.300s",
                        log[0] ? ": " : "", log);
}

int rt_devices_bpf_attach(int dirfd, const struct rt_device_rule *rules, size_t n, struct kerr *err)
{
        size_t count;
        _cleanup_free_ struct bpf_insn *insns = rt_devices_bpf(rules, n, &count);
        _cleanup_close_ int fd = prog_load(insns, count, err);
        if (fd < 0)
                return fd;
        /* ALLOW_MULTI: a parent's program (systemd's) keeps running too;
         * a device must pass both. */
        union bpf_attr attr = {
            .target_fd = (uint32_t)dirfd,
            .attach_bpf_fd = (uint32_t)fd,
            .attach_type = BPF_CGROUP_DEVICE,
            .attach_flags = BPF_F_ALLOW_MULTI,
        };
        if (bpf_call(BPF_PROG_ATTACH, &attr) < 0)
                return kerr_set(err, KERR_INTERNAL, errno, "attach the device eBPF program: %m");
        return 0;
}
