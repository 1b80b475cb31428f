/* unpack.h - streaming layer extraction with libarchive.
 *
 * A layer blob (gzip, zstd, xz or plain tar) is read once: the decompressed
 * stream is hashed into its diff ID while the tar inside it is extracted
 * beneath a directory that can serve directly as an overlayfs lowerdir.
 * Memory stays bounded whatever the layer's size.
 *
 * Safety: every entry is resolved with base/path.h without following any
 * symlink; an entry that is absolute, has "..", sits under a symlinked
 * parent, or hard-links outside the layer is refused with KERR_INVALID
 * naming the entry. The caller extracts into tmp/ and removes it on error. */
#pragma once

#include "digest.h"

#include "base/err.h"

#include <pthread.h>
#include <stdint.h>

struct unpack_result {
        char diff_id[DIGEST_STR_LEN + 1]; /* sha256 of the uncompressed tar */
        int64_t size;                     /* bytes of regular file content */
};

/* Reads the layer from blobfd. With rootfd >= 0 extracts beneath it;
 * with rootfd < 0 only computes the diff ID (a layer already on disk). */
int unpack_layer(int blobfd, int rootfd, struct unpack_result *ret, struct kerr *err);

/* unpack_layer() on a thread of its own, reading the blob from rfd (the
 * read end of a pipe, taken over and closed when done, so a writer whose
 * data is no longer wanted sees EPIPE). */
struct unpack_thread {
        pthread_t thread;
        int rfd, rootfd;
        struct unpack_result res;
        struct kerr err;
        int r;
};

/* 0, or -EAGAIN when no thread could be started (rfd is then closed). */
int unpack_thread_start(struct unpack_thread *t, int rfd, int rootfd);
/* Waits for it; t->r, t->res and t->err tell how it went. */
void unpack_thread_join(struct unpack_thread *t);
