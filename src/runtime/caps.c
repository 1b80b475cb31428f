/* caps.c - capabilities by name and applying a spec's sets. */
#include "caps.h"

#include "base/cleanup.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *const cap_names[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

const char *const rt_caps_docker_default[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
    NULL,
};

int rt_cap_from_name(const char *name)
{
        if (strncasecmp(name, "CAP_", 4) == 0)
                name += 4;
        for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++)
                if (strcasecmp(name, cap_names[i] + 4) == 0)
                        return (int)i;
        return -1;
}

const char *rt_cap_name(int cap)
{
        return cap >= 0 && (size_t)cap < ARRAY_SIZE(cap_names) ? cap_names[cap] : NULL;
}

uint64_t rt_caps_docker_default_mask(void)
{
        uint64_t m = 0;
        for (size_t i = 0; rt_caps_docker_default[i]; i++)
                m |= RT_CAP_BIT(rt_cap_from_name(rt_caps_docker_default[i]));
        return m;
}

/* The kernel's highest capability; the table may know more than it does. */
static int last_cap(void)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
        int n = -1;
        if (f && fscanf(f, "%d", &n) == 1 && n > 0 && n < 64)
                return n;
        return (int)ARRAY_SIZE(cap_names) - 1;
}

int rt_caps_drop_bounding(const struct rt_caps *caps, struct kerr *err)
{
        int last = last_cap();
        for (int c = 0; c <= last; c++) {
                if (caps->bounding & RT_CAP_BIT(c))
                        continue;
                if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
                        return kerr_set(err, KERR_INTERNAL, errno, "drop %s from bounding set: %m",
                                        rt_cap_name(c) ? rt_cap_name(c) : "capability");
        }
        /* Ambient capabilities survive execve of unprivileged programs;
         * start from none and raise only the spec's after setuid. */
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                return kerr_set(err, KERR_INTERNAL, errno, "clear ambient capabilities: %m");
        return 0;
}

int rt_caps_apply(const struct rt_caps *caps, struct kerr *err)
{
        struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
        struct __user_cap_data_struct data[2];
        int last = last_cap();
        /* Names the kernel does not know cannot be granted: capset would
         * refuse the whole call with EPERM. */
        uint64_t known = last >= 63 ? UINT64_MAX : RT_CAP_BIT(last + 1) - 1;
        memset(data, 0, sizeof(data));
        for (int i = 0; i < 2; i++) {
                data[i].effective = (uint32_t)((caps->effective & known) >> (32 * i));
                data[i].permitted = (uint32_t)((caps->permitted & known) >> (32 * i));
                data[i].inheritable = (uint32_t)((caps->inheritable & known) >> (32 * i));
        }
        if (syscall(SYS_capset, &hdr, data) < 0)
                return kerr_set(err, KERR_INTERNAL, errno, "capset: %m");
        for (int c = 0; c <= last; c++)
                if ((caps->ambient & RT_CAP_BIT(c)) &&
                    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
                        return kerr_set(err, KERR_INTERNAL, errno, "raise ambient %s: %m",
                                        rt_cap_name(c) ? rt_cap_name(c) : "capability");
        return 0;
}
