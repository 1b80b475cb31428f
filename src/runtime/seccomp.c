/* seccomp.c - placeholder for the filter loader (libseccomp), see seccomp.h. */
#include "seccomp.h"

#include <errno.h>

bool rt_seccomp_supported(void)
{
        return false;
}

int rt_seccomp_apply(const struct rt_spec *spec, struct kerr *err)
{
        /* Running a process that asked for a filter without one would be
         * a confinement that is only on paper: refuse instead. */
        if (spec->seccomp_json)
                return kerr_set(err, KERR_NOT_IMPLEMENTED, ENOTSUP,
                                "linux.seccomp: the built-in runtime cannot load seccomp filters "
                                "yet (use --runtime runc, or leave the filter out)");
        return 0;
}
