/* fuzz-unpack: a layer blob through the real extraction path
 * (src/image/unpack.c: libarchive's filters and tar reader, then kedge's
 * entry handling: path resolution, hard links, whiteouts, devices, xattrs,
 * owners and times) into a fresh directory, and through the diff-ID-only
 * path. Afterwards nothing may exist beside that directory: an entry that
 * escaped it would land in the sentinel directory next to it or in base.
 * As root the extraction runs chrooted into base, so that even an absolute
 * path or symlink that escaped would land in base and be seen.
 *
 * Byte 0 picks the input's shape. Even: the rest is the blob as is (gzip,
 * tar, anything: exercises libarchive's readers). Odd: the rest describes
 * entries, written into a valid tar here, so mutations reach kedge's entry
 * handling instead of dying on tar header checksums. Each entry is
 *   type, mode (2), flags, name length + name, link length + link,
 *   data length + data
 * (types: file, dir, symlink, hard link, char dev, block dev, fifo; flags:
 * bit 0 an xattr, bit 1 owner 1000:1000, bits 4-7 the device minor). */
#include "fuzz.h"

#include "base/fs.h"
#include "image/unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static char base[4096];
static int basefd = -1, realroot = -1, cwd = -1;

/* chroot(base) for the extraction, and back: a chroot is left with the
 * real root's fd (the process is root, and is fuzzing, not sandboxed). The
 * working directory stays outside, so libFuzzer's relative artifact paths
 * still work if a crash happens in between. */
static void enter_base(void)
{
        if (realroot >= 0 && chroot(base) < 0)
                abort();
}

static void leave_base(void)
{
        if (realroot >= 0 && (fchdir(realroot) < 0 || chroot(".") < 0 || fchdir(cwd) < 0))
                abort();
}

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
        if (geteuid() == 0) {
                realroot = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (realroot < 0 || cwd < 0)
                        abort();
        }
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

/* Reads a length byte and that many bytes (fewer at the end) as a string. */
static char *take_str(const uint8_t **p, const uint8_t *end, size_t *ret_len)
{
        size_t n = *p < end ? *(*p)++ : 0;
        if (n > (size_t)(end - *p))
                n = (size_t)(end - *p);
        char *s = fuzz_strndup(*p, n);
        *p += n;
        if (ret_len)
                *ret_len = n;
        return s;
}

static void add_entry(struct archive *a, const uint8_t **p, const uint8_t *end)
{
        static const mode_t types[] = {AE_IFREG, AE_IFDIR, AE_IFLNK, 0 /* hard link */,
                                       AE_IFCHR, AE_IFBLK, AE_IFIFO};
        if (end - *p < 4) {
                *p = end;
                return;
        }
        mode_t type = types[(*p)[0] % (sizeof(types) / sizeof(types[0]))];
        mode_t perm = (mode_t)(((*p)[1] << 8) | (*p)[2]) & 07777;
        uint8_t flags = (*p)[3];
        *p += 4;
        size_t dlen;
        char *name = take_str(p, end, NULL), *link = take_str(p, end, NULL);
        char *data = take_str(p, end, &dlen);
        struct archive_entry *e = archive_entry_new();
        archive_entry_copy_pathname(e, name);
        archive_entry_set_mtime(e, 1700000000, 0);
        if (type == 0) {
                archive_entry_set_filetype(e, AE_IFREG);
                archive_entry_copy_hardlink(e, link);
        } else {
                archive_entry_set_filetype(e, type);
        }
        archive_entry_set_perm(e, perm);
        if (type == AE_IFLNK)
                archive_entry_copy_symlink(e, link);
        if (type == AE_IFCHR || type == AE_IFBLK)
                archive_entry_set_rdev(e, makedev(1, flags >> 4));
        if (flags & 1)
                archive_entry_xattr_add_entry(e, "user.fuzz", data, dlen);
        if (flags & 2) {
                archive_entry_set_uid(e, 1000);
                archive_entry_set_gid(e, 1000);
        }
        bool has_data = type == AE_IFREG;
        archive_entry_set_size(e, has_data ? (la_int64_t)dlen : 0);
        if (archive_write_header(a, e) == ARCHIVE_OK && has_data && dlen)
                archive_write_data(a, data, dlen);
        archive_entry_free(e);
        free(name);
        free(link);
        free(data);
}

/* The tar the entry descriptions make, in a malloc'd buffer. */
static uint8_t *make_tar(const uint8_t *p, size_t size, size_t *ret_len)
{
        const size_t cap = 2 << 20;
        const uint8_t *end = p + size;
        uint8_t *buf = malloc(cap);
        size_t used = 0;
        struct archive *a = archive_write_new();
        archive_write_set_format_pax_restricted(a);
        archive_write_set_bytes_in_last_block(a, 1);
        if (!buf || archive_write_open_memory(a, buf, cap, &used) != ARCHIVE_OK)
                abort();
        for (int n = 0; p < end && n < 128; n++)
                add_entry(a, &p, end);
        archive_write_close(a);
        archive_write_free(a);
        *ret_len = used;
        return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t insize)
{
        if (basefd < 0)
                LLVMFuzzerInitialize(NULL, NULL);
        if (insize < 1 || insize > (1 << 20))
                return 0;
        uint8_t *tar = NULL;
        const uint8_t *data = in + 1;
        size_t size = insize - 1;
        if (in[0] & 1) {
                tar = make_tar(in + 1, insize - 1, &size);
                data = tar;
        }
        if (mkdirat(basefd, "root", 0755) < 0)
                abort();
        int rootfd = openat(basefd, "root", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int fd = blob_fd(data, size);
        struct unpack_result res, res2;
        struct kerr err = {0}, err2 = {0};
        enter_base();
        int r = unpack_layer(fd, rootfd, &res, &err);
        leave_base();
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
        free(tar);
        return 0;
}
