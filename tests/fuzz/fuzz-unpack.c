/* fuzz-unpack: a layer blob through the real extraction path
 * (src/image/unpack.c: libarchive's filters and tar reader, then kedge's
 * entry handling: path resolution, hard links, whiteouts, devices, xattrs,
 * owners and times) into a fresh directory, and through the diff-ID-only
 * path. Afterwards nothing may exist beside that directory: an entry that
 * escaped it would land in the sentinel directory next to it or in base. */
#include "fuzz.h"

#include "base/fs.h"
#include "image/unpack.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static char base[4096];
static int basefd = -1;

static void cleanup(void)
{
        if (basefd >= 0) {
                close(basefd);
                basefd = -1;
                fs_rm_rf_at(AT_FDCWD, base);
        }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        const char *tmp = getenv("TMPDIR");
        snprintf(base, sizeof(base), "%s/kedge-fuzz-unpack-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(base))
                abort();
        basefd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (basefd < 0 || mkdirat(basefd, "sentinel", 0755) < 0)
                abort();
        atexit(cleanup);
        return 0;
}

/* Only "sentinel" (empty) and "root" may be in base. */
static void check_contained(void)
{
        DIR *d = opendir(base);
        struct dirent *de;
        while (d && (de = readdir(d))) {
                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
                    !strcmp(de->d_name, "root") || !strcmp(de->d_name, "sentinel"))
                        continue;
                fprintf(stderr, "fuzz-unpack: %s escaped into %s\n", de->d_name, base);
                abort();
        }
        if (d)
                closedir(d);
        int sfd = openat(basefd, "sentinel", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        d = sfd >= 0 ? fdopendir(sfd) : NULL;
        while (d && (de = readdir(d)))
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
                        fprintf(stderr, "fuzz-unpack: %s escaped into sentinel/\n", de->d_name);
                        abort();
                }
        if (d)
                closedir(d);
}

static int blob_fd(const uint8_t *data, size_t size)
{
        int fd = memfd_create("layer", MFD_CLOEXEC);
        if (fd < 0 || fs_write_all(fd, data, size) < 0 || lseek(fd, 0, SEEK_SET) < 0)
                abort();
        return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (basefd < 0)
                LLVMFuzzerInitialize(NULL, NULL);
        if (size > (1 << 20))
                return 0;
        if (mkdirat(basefd, "root", 0755) < 0)
                abort();
        int rootfd = openat(basefd, "root", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int fd = blob_fd(data, size);
        struct unpack_result res, res2;
        struct kerr err = {0}, err2 = {0};
        int r = unpack_layer(fd, rootfd, &res, &err);
        close(fd);
        close(rootfd);
        check_contained();
        if (fs_rm_rf_at(basefd, "root") < 0)
                abort();
        fd = blob_fd(data, size);
        int r2 = unpack_layer(fd, -1, &res2, &err2);
        close(fd);
        /* Extraction may refuse an entry the digest-only path never looks
         * at; but when both succeed they must agree on the diff ID. */
        if (r == 0 && r2 == 0 && strcmp(res.diff_id, res2.diff_id) != 0)
                abort();
        return 0;
}
