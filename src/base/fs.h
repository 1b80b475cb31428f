/* fs.h - file helpers. All return 0 or -errno (base/ convention).
 * Paths under the data root are opened relative to its directory fd. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* mkdir -p with mode for every created component. */
int fs_mkdir_p(const char *path, mode_t mode);
/* mkdirat that treats an existing directory as success. */
int fs_mkdirat_ok(int dirfd, const char *name, mode_t mode);

/* The one way to write a file whole or not at all: a temp file in the same
 * directory, fsync, rename over name, fsync the directory. */
int fs_write_atomic_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode);

enum fs_write_flags {
        /* Whole-or-nothing, but not durable: no fsync. For files rebuilt on
         * every use (a container's hosts, spec and pid files), where a crash
         * costs nothing and an fsync costs milliseconds per start. */
        FS_WRITE_NO_SYNC = 1 << 0,
};
int fs_write_atomic_at_flags(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                             enum fs_write_flags flags);

/* Reads a whole file of at most max bytes (-EFBIG past it). *ret_data is
 * NUL-terminated and owned by the caller. */
int fs_read_at(int dirfd, const char *name, size_t max, char **ret_data, size_t *ret_len);
/* The same from an open fd, read to its end. */
int fs_read_fd(int fd, size_t max, char **ret_data, size_t *ret_len);

/* Removes name (file or tree) under dirfd without following symlinks and
 * without crossing into other mounts. Missing is success. */
int fs_rm_rf_at(int dirfd, const char *name);
/* Empties the directory dirfd/name (keeps the directory itself). */
int fs_clear_dir_at(int dirfd, const char *name);

/* Writes all of n bytes, retrying on EINTR and short writes. */
int fs_write_all(int fd, const void *data, size_t n);

/* A Unix socket address for dir/name. sun_path holds only 107 bytes, and
 * run directories under long data roots exceed it: then dir is opened
 * (O_PATH) and the address goes through /proc/self/fd/<fd>/name, which
 * bind() and connect() resolve the same way. *ret_dirfd (-EBADF when not
 * needed) must stay open until bind/connect returns, then be closed. */
struct sockaddr_un;
int fs_unix_addr(const char *dir, const char *name, struct sockaddr_un *ret, int *ret_dirfd);

/* Removes every entry of rootfd/dir (not starting with '.') for which
 * keep(cls, name) is false: the start-up sweeps of half-made things. */
void fs_sweep_dir_at(int rootfd, const char *dir, bool (*keep)(void *cls, const char *name),
                     void *cls);

/* Finds an executable called name in $PATH (absolute entries only); fills
 * path and returns true when found. */
bool fs_find_on_path(const char *name, char *path, size_t size);

/* Bytes held in the tree at path (fs-usage.c), as Docker sizes a
 * container's writable layer: every entry but directories, symlinks not
 * followed, each hard-linked inode once, other mounts not entered. A
 * missing path is -ENOENT. */
int fs_tree_usage(const char *path, uint64_t *ret);
