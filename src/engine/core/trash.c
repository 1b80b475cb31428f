/* trash.c - removal of whole trees in the background (engine_trash). */
#include "engine/engine.h"

#include "base/fs.h"
#include "base/xalloc.h"
#include "store/store.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct trash_job {
        struct engine *e;
        char name[64];
};

static void *trash_main(void *arg)
{
        struct trash_job *j = arg;
        struct engine *e = j->e;
        int tmp = openat(e->store->root_fd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (tmp >= 0) {
                fs_rm_rf_at(tmp, j->name);
                close(tmp);
        }
        free(j);
        pthread_mutex_lock(&e->trash_lock);
        if (--e->trash_pending == 0)
                pthread_cond_broadcast(&e->trash_done);
        pthread_mutex_unlock(&e->trash_lock);
        return NULL;
}

void engine_trash(struct engine *e, const char *rel)
{
        struct trash_job *j = xnew0(struct trash_job);
        j->e = e;
        pthread_mutex_lock(&e->trash_lock);
        snprintf(j->name, sizeof(j->name), "trash-%u-%ld", ++e->trash_seq, (long)getpid());
        pthread_mutex_unlock(&e->trash_lock);
        char dst[128];
        snprintf(dst, sizeof(dst), "tmp/%s", j->name);
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attr, 128 * 1024);
        bool moved = renameat(e->store->root_fd, rel, e->store->root_fd, dst) == 0;
        pthread_mutex_lock(&e->trash_lock);
        e->trash_pending++;
        pthread_mutex_unlock(&e->trash_lock);
        if (!moved || pthread_create(&t, &attr, trash_main, j) != 0) {
                /* Not movable (gone already, or odd): remove it here. */
                fs_rm_rf_at(e->store->root_fd, moved ? dst : rel);
                free(j);
                pthread_mutex_lock(&e->trash_lock);
                e->trash_pending--;
                pthread_mutex_unlock(&e->trash_lock);
        }
        pthread_attr_destroy(&attr);
}
