/* devices.h - the container's device policy: which device nodes it may
 * open (read, write) or create (mknod), by type and major:minor.
 *
 * Without it, root in a container with CAP_MKNOD (Docker's default set)
 * can mknod the host's disk and read it raw. The spec's
 * linux.resources.devices (Docker's allow-list, written by the engine) is
 * applied as runc and crun apply it: start from "deny everything", apply
 * the spec's rules in order, then the runtime's own defaults (the devices
 * every container needs: null, zero, full, random, urandom, tty, ptmx and
 * the pty slaves, tun, and mknod of any node, which runc has always added
 * and Docker relies on). A later rule wins over an earlier one.
 *
 * v1 writes the rules to devices.deny / devices.allow; v2 has no devices
 * files, so the same rules become an eBPF program (BPF_PROG_TYPE_CGROUP_DEVICE)
 * attached to the group. */
#pragma once

#include "base/err.h"
#include "spec.h"

#include <linux/bpf.h>
#include <stddef.h>

/* The spec's rules, bracketed by deny-all and the runtime defaults, as
 * one list (a new array the caller frees). */
struct rt_device_rule *rt_devices_effective(const struct rt_resources *res, size_t *ret_n);

/* "c 1:3 rwm" / "b *:* m" / "a" into buf; *ret_file is "devices.allow"
 * or "devices.deny". */
void rt_devices_v1_line(const struct rt_device_rule *rule, char *buf, size_t size,
                        const char **ret_file);

/* The eBPF program for the rules: rules are checked last to first, the
 * first match decides (1 allow, 0 deny), no match denies. Returns a new
 * array of *ret_n instructions. */
struct bpf_insn *rt_devices_bpf(const struct rt_device_rule *rules, size_t n, size_t *ret_n);

/* Loads the program for the rules and attaches it to the cgroup v2
 * directory dirfd (BPF_CGROUP_DEVICE). */
int rt_devices_bpf_attach(int dirfd, const struct rt_device_rule *rules, size_t n,
                          struct kerr *err);
