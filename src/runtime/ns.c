/* ns.c - namespaces: which to create, which to join, and what a new UTS or
 * network namespace needs before the process sees it. */
#include "builtin-internal.h"

#include "base/cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static const int ns_clone_flag[RT_NS_TYPE_MAX] = {
    [RT_NS_MOUNT] = CLONE_NEWNS,  [RT_NS_PID] = CLONE_NEWPID, [RT_NS_UTS] = CLONE_NEWUTS,
    [RT_NS_IPC] = CLONE_NEWIPC,   [RT_NS_NET] = CLONE_NEWNET, [RT_NS_CGROUP] = CLONE_NEWCGROUP,
    [RT_NS_USER] = CLONE_NEWUSER,
};

unsigned long rt_ns_clone_flags(const struct rt_spec *spec)
{
        unsigned long flags = 0;
        for (int i = 0; i < RT_NS_TYPE_MAX; i++)
                if (spec->ns[i].enabled && !spec->ns[i].path && i != RT_NS_CGROUP)
                        flags |= (unsigned long)ns_clone_flag[i];
        return flags;
}

int rt_ns_join_paths(const struct rt_spec *spec, struct kerr *err)
{
        for (int i = 0; i < RT_NS_TYPE_MAX; i++) {
                const char *path = spec->ns[i].path;
                if (!spec->ns[i].enabled || !path)
                        continue;
                /* A pid namespace applies to children only, and a user
                 * namespace changes what every later step may do: neither
                 * is joined here yet. */
                if (i == RT_NS_PID || i == RT_NS_USER)
                        return kerr_set(err, KERR_NOT_IMPLEMENTED, ENOTSUP,
                                        "joining an existing %s namespace is not supported",
                                        rt_ns_type_name(i));
                _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0 || setns(fd, ns_clone_flag[i]) < 0)
                        return kerr_set(err, KERR_INVALID, errno, "join %s namespace '%s': %m",
                                        rt_ns_type_name(i), path);
        }
        return 0;
}

/* A new network namespace has only lo, and it is down. */
static int loopback_up(struct kerr *err)
{
        _cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct ifreq ifr = {0};
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
        if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
                return kerr_set(err, KERR_INTERNAL, errno, "loopback: %m");
        ifr.ifr_flags |= IFF_UP;
        if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
                return kerr_set(err, KERR_INTERNAL, errno, "loopback up: %m");
        return 0;
}

int rt_ns_setup(const struct rt_spec *spec, struct kerr *err)
{
        if (spec->ns[RT_NS_CGROUP].enabled && !spec->ns[RT_NS_CGROUP].path &&
            unshare(CLONE_NEWCGROUP) < 0)
                return kerr_set(err, KERR_INTERNAL, errno, "cgroup namespace: %m");
        if (spec->ns[RT_NS_UTS].enabled) {
                if (spec->hostname && sethostname(spec->hostname, strlen(spec->hostname)) < 0)
                        return kerr_set(err, KERR_INVALID, errno, "sethostname '%s': %m",
                                        spec->hostname);
                if (spec->domainname &&
                    setdomainname(spec->domainname, strlen(spec->domainname)) < 0)
                        return kerr_set(err, KERR_INVALID, errno, "setdomainname '%s': %m",
                                        spec->domainname);
        }
        if (spec->ns[RT_NS_NET].enabled && !spec->ns[RT_NS_NET].path)
                return loopback_up(err);
        return 0;
}
