#include "unpack.h"

#include "base/cleanup.h"
#include "base/fs.h"
#include "base/path.h"
#include "base/xalloc.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#define WH_PREFIX  ".wh."
#define WH_OPAQUE  ".wh..wh..opq"
#define UNPACK_BUF (256 * 1024)

struct dir_time {
        char *path;
        struct timespec ts[2];
};

struct unpacker {
        struct archive *raw; /* decompresses the blob */
        struct archive *tar; /* reads the tar out of raw's data */
        struct digester *dig;
        int rootfd;
        bool root; /* may chown and mknod */
        char *buf;
        struct dir_time *dirs; /* mtimes applied last: children change them */
        size_t ndirs, cap;
        int64_t size;
};

static void unpacker_release(struct unpacker *u)
{
        if (u->tar)
                archive_read_free(u->tar);
        if (u->raw)
                archive_read_free(u->raw);
        digester_free(u->dig);
        free(u->buf);
        for (size_t i = 0; i < u->ndirs; i++)
                free(u->dirs[i].path);
        free(u->dirs);
}

/* libarchive pulls the tar's bytes through here: every decompressed byte
 * passes the digester exactly once. */
static la_ssize_t tar_read(struct archive *a, void *cls, const void **ret_buf)
{
        (void)a;
        struct unpacker *u = cls;
        la_ssize_t n = archive_read_data(u->raw, u->buf, UNPACK_BUF);
        if (n > 0)
                digester_update(u->dig, u->buf, (size_t)n);
        *ret_buf = u->buf;
        return n;
}

static int refuse(struct kerr *err, const char *entry, const char *why)
{
        return kerr_set(err, KERR_INVALID, EINVAL, "refusing archive entry '%s': %s", entry, why);
}

static int failed(struct kerr *err, const char *entry, int r, const char *what)
{
        return kerr_set(err, KERR_INTERNAL, r, "archive entry '%s': %s: %s", entry, what,
                        strerror(-r));
}

/* Maps resolver errors to the reason a hostile entry is refused. */
static int resolve_error(struct kerr *err, const char *entry, int r)
{
        if (r == -ELOOP || r == -ENOTDIR)
                return refuse(err, entry, "a parent directory is a symlink or not a directory");
        if (r == -EXDEV)
                return refuse(err, entry, "path escapes the layer root");
        return failed(err, entry, r, "cannot resolve parent");
}

/* Removes what a later entry replaces; an existing directory stays when the
 * new entry is a directory too (tar semantics, as Docker applies them). */
static int clear_target(int pfd, const char *leaf, bool keep_dir)
{
        struct stat st;
        if (fstatat(pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (S_ISDIR(st.st_mode))
                return keep_dir ? 1 : fs_rm_rf_at(pfd, leaf);
        return unlinkat(pfd, leaf, 0) < 0 ? -errno : 0;
}

static void apply_xattrs(int fd, struct archive_entry *e)
{
        const char *name;
        const void *value;
        size_t size;
        archive_entry_xattr_reset(e);
        while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
                /* A layer must not steer overlayfs (redirects, opaque marks
                 * on other layers' paths): those come only from whiteouts. */
                if (strncmp(name, "trusted.overlay.", 16) == 0)
                        continue;
                fsetxattr(fd, name, value, size, 0);
        }
}

static void entry_times(struct archive_entry *e, struct timespec ts[2])
{
        ts[0].tv_sec =
            archive_entry_atime_is_set(e) ? archive_entry_atime(e) : archive_entry_mtime(e);
        ts[0].tv_nsec = archive_entry_atime_is_set(e) ? archive_entry_atime_nsec(e)
                                                      : archive_entry_mtime_nsec(e);
        ts[1].tv_sec = archive_entry_mtime(e);
        ts[1].tv_nsec = archive_entry_mtime_nsec(e);
}

/* Owner, mode (after chown, which clears setuid), xattrs, times. */
static int apply_meta(struct unpacker *u, int fd, struct archive_entry *e)
{
        if (u->root && fchown(fd, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e)) < 0)
                return -errno;
        if (fchmod(fd, archive_entry_perm(e) & 07777) < 0)
                return -errno;
        apply_xattrs(fd, e);
        struct timespec ts[2];
        entry_times(e, ts);
        return futimens(fd, ts) < 0 ? -errno : 0;
}

/* Writes the entry's data; *ret_end is where the file offset ends up. */
static int write_data(struct unpacker *u, int fd, int64_t *ret_end)
{
        const void *block;
        size_t len;
        la_int64_t off;
        int64_t pos = 0;
        for (;;) {
                int r = archive_read_data_block(u->tar, &block, &len, &off);
                if (r == ARCHIVE_EOF) {
                        *ret_end = pos;
                        return 0;
                }
                if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
                        return -EIO;
                /* Sparse entries: holes stay holes (a seek past them). */
                if (off != pos && lseek(fd, off, SEEK_SET) < 0)
                        return -errno;
                int w = fs_write_all(fd, block, len);
                if (w < 0)
                        return w;
                pos = off + (int64_t)len;
        }
}

static int make_file(struct unpacker *u, int pfd, const char *leaf, struct archive_entry *e)
{
        _cleanup_close_ int fd =
            openat(pfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        int64_t end = -1;
        int r = write_data(u, fd, &end);
        if (r < 0)
                return r;
        /* A sparse file's trailing hole; a new file written to its size
         * needs no truncate. */
        if (end != archive_entry_size(e) && ftruncate(fd, archive_entry_size(e)) < 0)
                return -errno;
        u->size += archive_entry_size(e);
        return apply_meta(u, fd, e);
}

static int make_dir(struct unpacker *u, int pfd, const char *leaf, const char *path,
                    struct archive_entry *e)
{
        if (mkdirat(pfd, leaf, 0700) < 0 && errno != EEXIST)
                return -errno;
        _cleanup_close_ int fd = openat(pfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        int r = apply_meta(u, fd, e);
        if (r < 0)
                return r;
        if (u->ndirs == u->cap) {
                u->cap = u->cap ? 2 * u->cap : 64;
                u->dirs = xrealloc(u->dirs, u->cap * sizeof(*u->dirs));
        }
        u->dirs[u->ndirs].path = xstrdup(path);
        entry_times(e, u->dirs[u->ndirs].ts);
        u->ndirs++;
        return 0;
}

/* Symlinks are created as-is and never followed: their targets are only
 * meaningful inside the container's root. */
static int make_symlink(struct unpacker *u, int pfd, const char *leaf, struct archive_entry *e)
{
        const char *target = archive_entry_symlink(e);
        if (symlinkat(target ? target : "", pfd, leaf) < 0)
                return -errno;
        if (u->root && fchownat(pfd, leaf, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e),
                                AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        struct timespec ts[2];
        entry_times(e, ts);
        return utimensat(pfd, leaf, ts, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

static int make_node(struct unpacker *u, int pfd, const char *leaf, struct archive_entry *e)
{
        mode_t type = archive_entry_filetype(e);
        if (type != AE_IFIFO && !u->root)
                return 0; /* device nodes need root; rootless layers go without */
        if (mknodat(pfd, leaf, type | 0600, archive_entry_rdev(e)) < 0)
                return -errno;
        _cleanup_close_ int fd = openat(pfd, leaf, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        /* O_PATH fds take metadata calls through /proc-free *at forms. */
        if (u->root && fchownat(fd, "", (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e),
                                AT_EMPTY_PATH) < 0)
                return -errno;
        if (fchmodat(pfd, leaf, archive_entry_perm(e) & 07777, 0) < 0)
                return -errno;
        struct timespec ts[2];
        entry_times(e, ts);
        return utimensat(pfd, leaf, ts, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

/* Hard links resolve against the layer root (never the process cwd), may
 * not leave it, and must name something the layer already holds. */
static int make_hardlink(struct unpacker *u, int pfd, const char *leaf, const char *entry,
                         struct archive_entry *e, struct kerr *err)
{
        const char *raw = archive_entry_hardlink(e);
        _cleanup_free_ char *target = path_normalize(raw, false);
        if (!target || !target[0])
                return refuse(err, entry, "hard link target escapes the layer root");
        const char *tleaf;
        _cleanup_close_ int tfd = path_open_parent(u->rootfd, target, PATH_NO_SYMLINKS, &tleaf);
        if (tfd < 0)
                return tfd == -ENOENT ? refuse(err, entry, "hard link target is not in the layer")
                                      : resolve_error(err, entry, tfd);
        struct stat st;
        if (fstatat(tfd, tleaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return refuse(err, entry, "hard link target is not in the layer");
        if (S_ISDIR(st.st_mode))
                return refuse(err, entry, "hard link target is a directory");
        if (linkat(tfd, tleaf, pfd, leaf, 0) < 0)
                return failed(err, entry, -errno, "cannot create hard link");
        return 0;
}

static int whiteout(struct unpacker *u, int pfd, const char *leaf, const char *dir,
                    const char *entry, struct kerr *err)
{
        if (strcmp(leaf, WH_OPAQUE) == 0) {
                _cleanup_close_ int fd =
                    path_open(u->rootfd, dir, O_RDONLY | O_DIRECTORY, 0, PATH_NO_SYMLINKS);
                if (fd < 0)
                        return resolve_error(err, entry, fd);
                if (fsetxattr(fd, "trusted.overlay.opaque", "y", 1, 0) < 0)
                        return failed(err, entry, -errno, "cannot mark directory opaque");
                return 0;
        }
        const char *name = leaf + strlen(WH_PREFIX);
        if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || strchr(name, '/'))
                return refuse(err, entry, "invalid whiteout name");
        int r = clear_target(pfd, name, false);
        if (r < 0)
                return failed(err, entry, r, "cannot replace whited-out path");
        /* overlayfs' whiteout: a 0/0 character device. */
        if (mknodat(pfd, name, S_IFCHR | 0, makedev(0, 0)) < 0)
                return failed(err, entry, -errno, "cannot create whiteout");
        return 0;
}

static int create_entry(struct unpacker *u, int pfd, const char *leaf, const char *path,
                        struct archive_entry *e, struct kerr *err)
{
        mode_t type = archive_entry_filetype(e);
        bool hard = archive_entry_hardlink(e) != NULL;
        int r = clear_target(pfd, leaf, type == AE_IFDIR && !hard);
        if (r < 0)
                return failed(err, path, r, "cannot replace existing path");
        if (hard)
                return make_hardlink(u, pfd, leaf, path, e, err);
        switch (type) {
        case AE_IFDIR:
                r = make_dir(u, pfd, leaf, path, e);
                break;
        case AE_IFREG:
                r = make_file(u, pfd, leaf, e);
                break;
        case AE_IFLNK:
                r = make_symlink(u, pfd, leaf, e);
                break;
        case AE_IFCHR:
        case AE_IFBLK:
        case AE_IFIFO:
                r = make_node(u, pfd, leaf, e);
                break;
        default:
                return refuse(err, path, "unsupported file type");
        }
        return r < 0 ? failed(err, path, r, "cannot create") : 0;
}

static int apply_entry(struct unpacker *u, struct archive_entry *e, struct kerr *err)
{
        const char *raw = archive_entry_pathname(e);
        if (!raw)
                return refuse(err, "(no name)", "entry has no name");
        _cleanup_free_ char *path = path_normalize(raw, false);
        if (!path)
                return refuse(err, raw, "path escapes the layer root");
        if (!path[0])
                return 0; /* the root itself: the lowerdir keeps its own mode */
        const char *leaf;
        bool wh = strncmp(strrchr(path, '/') ? strrchr(path, '/') + 1 : path, WH_PREFIX, 4) == 0;
        _cleanup_close_ int pfd =
            path_open_parent(u->rootfd, path, PATH_NO_SYMLINKS | PATH_MKDIR, &leaf);
        if (pfd < 0)
                return resolve_error(err, raw, pfd);
        if (wh) {
                _cleanup_free_ char *dir =
                    xstrndup(path, leaf > path ? (size_t)(leaf - path - 1) : 0);
                return whiteout(u, pfd, leaf, dir, raw, err);
        }
        return create_entry(u, pfd, leaf, path, e, err);
}

static void apply_dir_times(struct unpacker *u)
{
        for (size_t i = u->ndirs; i-- > 0;) {
                _cleanup_close_ int fd = path_open(u->rootfd, u->dirs[i].path,
                                                   O_RDONLY | O_DIRECTORY, 0, PATH_NO_SYMLINKS);
                if (fd >= 0)
                        futimens(fd, u->dirs[i].ts);
        }
}

static int open_streams(struct unpacker *u, int blobfd, struct kerr *err)
{
        u->raw = archive_read_new();
        archive_read_support_filter_all(u->raw);
        archive_read_support_format_raw(u->raw);
        struct archive_entry *e;
        if (archive_read_open_fd(u->raw, blobfd, UNPACK_BUF) != ARCHIVE_OK ||
            archive_read_next_header(u->raw, &e) != ARCHIVE_OK)
                return kerr_set(err, KERR_INVALID, EINVAL, "cannot read layer: %s",
                                archive_error_string(u->raw));
        return 0;
}

/* Hashes what follows the tar's end-of-archive blocks too: the diff ID is
 * the digest of the whole uncompressed stream. */
static int drain(struct unpacker *u, struct kerr *err)
{
        la_ssize_t n;
        while ((n = archive_read_data(u->raw, u->buf, UNPACK_BUF)) > 0)
                digester_update(u->dig, u->buf, (size_t)n);
        if (n < 0)
                return kerr_set(err, KERR_INVALID, EIO, "layer is truncated or corrupt: %s",
                                archive_error_string(u->raw));
        return 0;
}

static int extract(struct unpacker *u, struct kerr *err)
{
        u->tar = archive_read_new();
        archive_read_support_format_tar(u->tar);
        archive_read_support_format_gnutar(u->tar);
        if (archive_read_open(u->tar, u, NULL, tar_read, NULL) != ARCHIVE_OK)
                return kerr_set(err, KERR_INVALID, EINVAL, "layer is not a tar archive: %s",
                                archive_error_string(u->tar));
        struct archive_entry *e;
        for (;;) {
                int r = archive_read_next_header(u->tar, &e);
                if (r == ARCHIVE_EOF)
                        break;
                if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
                        return kerr_set(err, KERR_INVALID, EINVAL,
                                        "layer is truncated or not a tar archive: %s",
                                        archive_error_string(u->tar));
                r = apply_entry(u, e, err);
                if (r < 0)
                        return r;
        }
        apply_dir_times(u);
        return 0;
}

int unpack_layer(int blobfd, int rootfd, struct unpack_result *ret, struct kerr *err)
{
        struct unpacker u = {.rootfd = rootfd, .root = geteuid() == 0};
        u.dig = digester_new();
        u.buf = xmalloc(UNPACK_BUF);
        int r = open_streams(&u, blobfd, err);
        if (r == 0 && rootfd >= 0)
                r = extract(&u, err);
        if (r == 0)
                r = drain(&u, err);
        if (r == 0) {
                digester_final(u.dig, ret->diff_id);
                ret->size = u.size;
        }
        unpacker_release(&u);
        return r;
}

static void *unpack_thread_main(void *cls)
{
        struct unpack_thread *t = cls;
        t->r = unpack_layer(t->rfd, t->rootfd, &t->res, &t->err);
        close(t->rfd);
        return NULL;
}

int unpack_thread_start(struct unpack_thread *t, int rfd, int rootfd)
{
        *t = (struct unpack_thread){.rfd = rfd, .rootfd = rootfd};
        if (pthread_create(&t->thread, NULL, unpack_thread_main, t) != 0) {
                close(rfd);
                return -EAGAIN;
        }
        return 0;
}

void unpack_thread_join(struct unpack_thread *t)
{
        pthread_join(t->thread, NULL);
}
