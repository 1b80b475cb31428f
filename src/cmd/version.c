/* version.c - `kedge version`. */
#include "cmds.h"

#include "api/version.h"
#include "config.h"
#include "gitversion.h"

#include <stdio.h>

int cmd_version(int argc, char **argv)
{
        (void)argc;
        (void)argv;
        printf("kedge version %s (commit %s)\n", KEDGE_VERSION, KEDGE_GIT_COMMIT);
        printf(" API version:     %s (minimum %s)\n", API_VERSION_CURRENT_STR, API_VERSION_MIN_STR);
        printf(" Built:           %s with %s\n", KEDGE_BUILD_TIME, KEDGE_TOOLCHAIN);
        return 0;
}
