/* shim-main.c - the lean shim executable. It links only what a shim needs
 * (base, runtime, shim: libc and jansson), because one runs per container:
 * the multi-call kedge binary drags in libarchive, libcrypto, GnuTLS and
 * more, whose relocations alone cost every process over a MiB. The daemon
 * carries this executable inside itself (shim-blob.c) and runs it from a
 * sealed memfd, so installing kedge is still copying one file. */
#include "cmds.h"

#include <sys/prctl.h>

int main(int argc, char **argv)
{
        /* Run from /proc/self/fd/N, the kernel would name it "N" in ps. */
        prctl(PR_SET_NAME, "kedge-shim", 0, 0, 0);
        return cmd_shim(argc, argv);
}
