#include "engine.h"

#include "engine/container/container.h"
#include "engine/image/image.h"

#include "base/strv.h"
#include "base/fs.h"
#include "base/xalloc.h"
#include "runtime/seccomp.h"
#include "store/store.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

static const char *backing_fs_name(const char *path)
{
        static const struct {
                unsigned long magic;
                const char *name;
        } names[] = {{0xEF53, "extfs"},     {0x58465342, "xfs"},       {0x01021994, "tmpfs"},
                     {0x9123683E, "btrfs"}, {0x794c7630, "overlayfs"}, {0x2FC12FC1, "zfs"},
                     {0xF2F52010, "f2fs"}};
        struct statfs st;
        if (statfs(path, &st) < 0)
                return "unknown";
        for (size_t i = 0; i < ARRAY_SIZE(names); i++)
                if ((unsigned long)st.f_type == names[i].magic)
                        return names[i].name;
        return "unknown";
}

static void engine_registry_settings(struct engine *e, const struct engine_config *cfg)
{
        e->insecure_registries = strv_copy(cfg->insecure_registries);
        e->registry_mirrors = strv_copy(cfg->registry_mirrors);
        e->certs_dir = cfg->certs_dir ? xstrdup(cfg->certs_dir) : NULL;
        e->max_downloads = cfg->max_concurrent_downloads > 0 ? cfg->max_concurrent_downloads : 3;
        e->max_uploads = cfg->max_concurrent_uploads > 0 ? cfg->max_concurrent_uploads : 5;
}

static void engine_registry_settings_release(struct engine *e)
{
        strv_free(e->insecure_registries);
        strv_free(e->registry_mirrors);
        free(e->certs_dir);
}

/* The lean shim goes into a sealed memfd once; every container start execs
 * it from there (/proc/self/fd/N), and running shims keep their copy. */
static int load_shim(struct engine *e, const void *blob, size_t len, struct kerr *err)
{
        int fd = memfd_create("kedge-shim", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0)
                return kerr_set(err, KERR_INTERNAL, errno, "memfd_create: %s", strerror(errno));
        int r = fs_write_all(fd, blob, len);
        if (r < 0 || fchmod(fd, 0555) < 0 ||
            fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) {
                close(fd);
                return kerr_set(err, KERR_INTERNAL, r < 0 ? r : errno,
                                "cannot prepare the shim executable");
        }
        e->shim_fd = fd;
        /* The bytes live on in the memfd: give our copy's pages back (they
         * are clean file pages of our own binary, refaulted if ever read). */
        uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
        uintptr_t start = ((uintptr_t)blob + page - 1) & ~(page - 1);
        uintptr_t end = ((uintptr_t)blob + len) & ~(page - 1);
        if (end > start)
                madvise((void *)start, end - start, MADV_DONTNEED);
        return 0;
}

struct engine *engine_new(const struct engine_config *cfg, struct kerr *err)
{
        _cleanup_(engine_freep) struct engine *e = xnew0(struct engine);
        e->data_root = xstrdup(cfg->data_root);
        e->exec_root = xstrdup(cfg->exec_root);
        e->started = time(NULL);
        engine_registry_settings(e, cfg);
        pthread_mutex_init(&e->image_lock, NULL);
        pthread_mutex_init(&e->containers_lock, NULL);
        pthread_mutex_init(&e->trash_lock, NULL);
        pthread_cond_init(&e->trash_done, NULL);
        e->monitor_epfd = e->monitor_evfd = -EBADF;
        e->shim_fd = -EBADF;
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        self[n > 0 ? n : 0] = 0;
        e->self_path = xstrdup(self);

        /* Paths under the data root that outgrow PATH_MAX are refused by the
         * kernel anyway; the exec root's run directories hold Unix sockets
         * and are built in fixed buffers, so it is kept short. A root longer
         * than kedge can use is refused here, by name, instead of truncating
         * a path somewhere later. */
        const struct {
                const char *what, *path;
                size_t max;
        } roots[] = {{"data root", cfg->data_root, PATH_MAX - ENGINE_PATH_TAIL_MAX},
                     {"exec root", cfg->exec_root, ENGINE_EXEC_ROOT_MAX}};
        for (size_t i = 0; i < ARRAY_SIZE(roots); i++)
                if (strlen(roots[i].path) > roots[i].max) {
                        kerr_set(err, KERR_INVALID, ENAMETOOLONG,
                                 "%s is %zu bytes long: kedge takes at most %zu", roots[i].what,
                                 strlen(roots[i].path), roots[i].max);
                        return NULL;
                }
        if (cfg->exec_root[0] != '/') {
                kerr_set(err, KERR_INVALID, EINVAL, "exec root '%s' must be an absolute path",
                         cfg->exec_root);
                return NULL;
        }
        e->store = store_open(cfg->data_root, err);
        if (!e->store)
                return NULL;
        int r = fs_mkdir_p(cfg->exec_root, 0711);
        if (r < 0) {
                kerr_set(err, KERR_INTERNAL, r, "cannot create exec root '%s': %s", cfg->exec_root,
                         strerror(-r));
                return NULL;
        }
        /* Layers and blobs a crash left unreferenced go before anyone looks. */
        image_sweep(e, NULL);
        host_info_probe(&e->host);
        e->host.seccomp_profile = e->host.seccomp && rt_seccomp_supported();
        engine_runtimes_find(e);
        e->backing_fs = backing_fs_name(cfg->data_root);
        if (cfg->shim_blob && load_shim(e, cfg->shim_blob, cfg->shim_blob_len, err) < 0)
                return NULL;
        /* Containers last: restoring them may need images and the host. */
        if (containers_load(e, err) < 0 || container_monitor_start(e, err) < 0 ||
            containers_restore(e, err) < 0)
                return NULL;
        return TAKE_PTR(e);
}

struct engine *engine_free(struct engine *e)
{
        if (!e)
                return NULL;
        container_monitor_stop(e);
        pthread_mutex_lock(&e->trash_lock);
        while (e->trash_pending > 0)
                pthread_cond_wait(&e->trash_done, &e->trash_lock);
        pthread_mutex_unlock(&e->trash_lock);
        if (e->shim_fd >= 0)
                close(e->shim_fd);
        containers_release(e);
        store_free(e->store);
        pthread_mutex_destroy(&e->image_lock);
        pthread_mutex_destroy(&e->containers_lock);
        pthread_mutex_destroy(&e->trash_lock);
        pthread_cond_destroy(&e->trash_done);
        host_info_release(&e->host);
        free(e->data_root);
        free(e->exec_root);
        free(e->self_path);
        engine_registry_settings_release(e);
        free(e);
        return NULL;
}
