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

struct linked {
        dev_t dev;
        ino_t ino;
        uint64_t size;
};

struct usage {
        uint64_t total;
        struct linked *linked; /* files with more than one name */
        size_t n, cap;
};

static int cmp_linked(const void *a, const void *b)
{
        const struct linked *x = a, *y = b;
        if (x->dev != y->dev)
                return x->dev < y->dev ? -1 : 1;
        return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static void usage_add(struct usage *u, const struct stat *st)
{
        if (st->st_size <= 0)
                return;
        if (st->st_nlink <= 1) {
                u->total += (uint64_t)st->st_size;
                return;
        }
        if (u->n == u->cap) {
                u->cap = u->cap ? u->cap * 2 : 64;
                u->linked = xrealloc(u->linked, u->cap * sizeof(*u->linked));
        }
        u->linked[u->n++] = (struct linked){st->st_dev, st->st_ino, (uint64_t)st->st_size};
}

/* The total with each hard-linked inode counted once. */
static uint64_t usage_finish(struct usage *u)
{
        if (u->n)
                qsort(u->linked, u->n, sizeof(*u->linked), cmp_linked);
        for (size_t i = 0; i < u->n; i++)
                if (i == 0 || cmp_linked(&u->linked[i], &u->linked[i - 1]) != 0)
                        u->total += u->linked[i].size;
        free(u->linked);
        u->linked = NULL;
        return u->total;
}

int fs_tree_usage(const char *path, uint64_t *ret)
{
        char *const roots[] = {(char *)path, NULL};
        /* FTS_PHYSICAL: symlinks are counted, never followed; FTS_XDEV: a
         * mount left inside is not the container's data. fts has no depth
         * limit, which a tree a container wrote needs. */
        FTS *fts = fts_open(roots, FTS_PHYSICAL | FTS_XDEV | FTS_NOCHDIR, NULL);
        if (!fts)
                return -errno;
        struct usage u = {0};
        int r = 0;
        FTSENT *ent;
        while ((ent = fts_read(fts))) {
                switch (ent->fts_info) {
                case FTS_NS:
                case FTS_ERR:
                        /* an entry that vanished meanwhile is not an error */
                        if (ent->fts_level == 0)
                                r = -(ent->fts_errno ? ent->fts_errno : EIO);
                        break;
                case FTS_D:
                case FTS_DP:
                case FTS_DC:
                case FTS_DNR:
                        break;
                default:
                        if (ent->fts_statp)
                                usage_add(&u, ent->fts_statp);
                }
        }
        fts_close(fts);
        uint64_t total = usage_finish(&u);
        if (r < 0)
                return r;
        *ret = total;
        return 0;
}
