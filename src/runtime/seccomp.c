/* seccomp.c - placeholder for the filter loader (libseccomp), see seccomp.h. */
#include "seccomp.h"

bool rt_seccomp_supported(void)
{
        return false;
}

int rt_seccomp_apply(const struct rt_spec *spec, struct kerr *err)
{
        (void)spec;
        (void)err;
        return 0;
}
