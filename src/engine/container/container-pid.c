/* container-pid.c - who a pid is. Pids are reused, and after a reboot a
 * stored pid names some unrelated process; signalling it as root would be
 * a disaster. So, as crun does (libcrun_check_pid_valid), a process is
 * identified by the boot it ran in and its start time, and it is held by a
 * pidfd opened before checking: the pidfd then stays bound to the process
 * that was checked. */
#include "container-internal.h"

#include "base/cleanup.h"
#include "base/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int pid_boot_id(char ret[37])
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r = fs_read_at(AT_FDCWD, "/proc/sys/kernel/random/boot_id", 64, &text, &len);
        if (r < 0)
                return r;
        if (len < 36)
                return -EINVAL;
        memcpy(ret, text, 36);
        ret[36] = 0;
        return 0;
}

uint64_t pid_start_time(int pid)
{
        if (pid <= 0)
                return 0;
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/stat", pid);
        _cleanup_free_ char *text = NULL;
        if (fs_read_at(AT_FDCWD, path, 4096, &text, NULL) < 0)
                return 0;
        /* comm (field 2) may hold spaces and parentheses: count from the
         * last ')'. Field 3 follows it; field 22 is 19 fields later. */
        char *p = strrchr(text, ')');
        if (!p)
                return 0;
        p++;
        for (int field = 2; field < 22; field++) {
                p = strchr(p + 1, ' ');
                if (!p)
                        return 0;
        }
        char *end;
        errno = 0;
        unsigned long long v = strtoull(p + 1, &end, 10);
        if (errno || end == p + 1 || (*end != ' ' && *end != '\n' && *end))
                return 0;
        return (uint64_t)v;
}

int pid_open_verified(int pid, const char *boot_id, uint64_t start)
{
        char boot[37];
        if (pid <= 0 || start == 0 || !boot_id || pid_boot_id(boot) < 0 ||
            strcmp(boot, boot_id) != 0)
                return -ESRCH;
        int fd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (fd < 0)
                return -ESRCH;
        /* Checked after opening: if pid was reused in between, the start
         * time differs and the pidfd (of the new process) is dropped. */
        if (pid_start_time(pid) != start) {
                close(fd);
                return -ESRCH;
        }
        return fd;
}
