/* fs-usage.c - how many bytes a directory tree holds, as Docker reports a
 * container's writable layer (moby pkg/directory.Size): the sizes of
 * everything but directories, each hard-linked inode once. */
#include "fs.h"

#include "xalloc.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fts.h>
#include <stdlib.h>
#include <string.h>

struct inode_seen {
        dev_t dev;
        ino_t ino;
};

static int cmp_inode(const void *a, const void *b)
{
        const struct inode_seen *x = a, *y = b;
        if (x->dev != y->dev)
                return x->dev < y->dev ? -1 : 1;
        return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* Sum of the sizes of the hard-linked files, each inode counted once. */
static uint64_t linked_size(struct inode_seen *v, uint64_t *sizes, size_t n)
{
        /* Sort indexes by inode; sizes travel with them. */
        struct pair {
                struct inode_seen k;
                uint64_t size;
        } *p = xmalloc((n ? n : 1) * sizeof(*p));
        for (size_t i = 0; i < n; i++)
                p[i] = (struct pair){v[i], sizes[i]};
        qsort(p, n, sizeof(*p), cmp_inode);
        uint64_t total = 0;
        for (size_t i = 0; i < n; i++)
                if (i == 0 || cmp_inode(&p[i].k, &p[i - 1].k) != 0)
                        total += p[i].size;
        free(p);
        return total;
}

int fs_tree_usage(const char *path, uint64_t *ret)
{
        char *const roots[] = {(char *)path, NULL};
        /* FTS_PHYSICAL: symlinks are counted, never followed; FTS_XDEV: a mount
         * left inside is not the container's data. fts has no depth limit,
         * which a tree a container wrote needs. */
        FTS *fts = fts_open(roots, FTS_PHYSICAL | FTS_XDEV | FTS_NOCHDIR, NULL);
        if (!fts)
                return -errno;
        uint64_t total = 0;
        struct inode_seen *seen = NULL;
        uint64_t *sizes = NULL;
        size_t n = 0, cap = 0;
        int r = 0;
        FTSENT *ent;
        while ((ent = fts_read(fts))) {
                if (ent->fts_info == FTS_NS || ent->fts_info == FTS_ERR) {
                        if (ent->fts_level == 0)
                                r = -(ent->fts_errno ? ent->fts_errno : EIO);
                        continue;
                }
                if (ent->fts_info == FTS_D || ent->fts_info == FTS_DP ||
                    ent->fts_info == FTS_DC || ent->fts_info == FTS_DNR || !ent->fts_statp)
                        continue;
                const struct stat *st = ent->fts_statp;
                if (st->st_size <= 0)
                        continue;
                if (st->st_nlink <= 1) {
                        total += (uint64_t)st->st_size;
                        continue;
                }
                if (n == cap) {
                        cap = cap ? cap * 2 : 64;
                        seen = xrealloc(seen, cap * sizeof(*seen));
                        sizes = xrealloc(sizes, cap * sizeof(*sizes));
                }
                seen[n] = (struct inode_seen){st->st_dev, st->st_ino};
                sizes[n++] = (uint64_t)st->st_size;
        }
        fts_close(fts);
        total += linked_size(seen, sizes, n);
        free(seen);
        free(sizes);
        if (r < 0)
                return r;
        *ret = total;
        return 0;
}
