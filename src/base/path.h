/* path.h - the one safe path resolver. Every open of a path that a client
 * or an archive chose (layer entries, docker cp, volume paths) goes through
 * here, so a hostile path can neither leave its root nor be redirected by a
 * symlink planted earlier. Returns fds or -errno (base/ convention). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

enum path_flags {
        /* Refuse every symlink on the way (not only the last component):
         * what archive extraction needs. Without it, symlinks are followed
         * but resolved as if root were "/" (RESOLVE_IN_ROOT), which is what
         * docker cp into a container needs. */
        PATH_NO_SYMLINKS = 1 << 0,
        /* Create missing intermediate directories (0755) on the way, as tar
         * extraction does for entries whose parents the archive omits. */
        PATH_MKDIR = 1 << 1,
};

/* Lexically normalises an archive or client path: strips leading "./" and
 * "/" when allow_absolute, removes "." and empty components. Returns a new
 * relative string ("" for the root itself), or NULL when the path is
 * absolute (and not allowed) or has a ".." component: callers refuse those
 * outright rather than guess what they meant. */
char *path_normalize(const char *path, bool allow_absolute);

/* Opens path (relative, normalised) beneath rootfd with flags/mode as for
 * openat. -ELOOP when a symlink is met under PATH_NO_SYMLINKS, -EXDEV when
 * resolution would leave root. Uses openat2 where the kernel has it, else
 * a component-by-component O_NOFOLLOW walk (PATH_NO_SYMLINKS only; other
 * modes need openat2 and return -EOPNOTSUPP without it). */
int path_open(int rootfd, const char *path, int flags, mode_t mode, enum path_flags pf);

/* Opens the parent directory of path beneath rootfd (O_PATH|O_DIRECTORY)
 * and points *ret_name into path at the last component. path must be
 * normalised and non-empty. */
int path_open_parent(int rootfd, const char *path, enum path_flags pf, const char **ret_name);
