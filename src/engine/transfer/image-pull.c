/* image-pull.c - docker pull.
 *
 * Prepare resolves the reference, fetches the manifest (choosing the
 * platform from an index) and the config. Run downloads the missing
 * layers with up to max_downloads workers; each worker streams its blob
 * through the digest check into a scratch file and, through a pipe, into
 * a thread that gunzips and extracts it, so download, decompression and
 * extraction overlap. Only when every layer arrived and matched the
 * config's diff IDs does the commit (image-pull-commit.c) move files into
 * place and write the records in one transaction, like docker load. */
#include "image-pull-internal.h"

#include "base/fs.h"
#include "base/json.h"
#include "base/spawn.h"
#include "base/xalloc.h"
#include "image/unpack.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CONFIG_MAX (8 * 1024 * 1024)

struct image_pull *image_pull_free(struct image_pull *p)
{
        if (!p)
                return NULL;
        registry_free(p->reg);
        manifest_release(&p->manifest);
        json_decref(p->config);
        free(p->config_raw);
        free(p->jobs);
        image_ref_release(&p->ref);
        free(p->ref_str);
        free(p->name);
        free(p->tag_id);
        pthread_mutex_destroy(&p->lock);
        free(p);
        return NULL;
}

/* Docker's wording for the usual failures (moby distribution/errors.go). */
static int pull_error(struct image_pull *p, enum registry_code code, struct kerr *err)
{
        _cleanup_free_ char *fam = image_ref_familiar(&p->ref);
        _cleanup_free_ char *name = image_ref_name(&p->ref);
        _cleanup_free_ char *fam_name = image_ref_familiar_of(name);
        switch (code) {
        case REG_CODE_MANIFEST_UNKNOWN:
                return kerr_wrap(err, "manifest for %s not found", fam);
        case REG_CODE_NAME_UNKNOWN:
                err->kind = KERR_NOT_FOUND;
                return kerr_wrap(err, "repository %s not found", fam_name);
        case REG_CODE_DENIED:
        case REG_CODE_UNAUTHORIZED:
                err->kind = KERR_NOT_FOUND;
                return kerr_wrap(err,
                                 "pull access denied for %s, repository does not exist or may "
                                 "require 'docker login'",
                                 fam_name);
        default:
                return -(err->errnum ? err->errnum : EIO);
        }
}

static int fetch_manifest(struct image_pull *p, const char *ref, struct kerr *err)
{
        struct buf body = {0};
        _cleanup_free_ char *type = NULL;
        enum registry_code code;
        char digest[DIGEST_STR_LEN + 1];
        int r = registry_manifest_get(p->reg, p->ref.path, ref, &body, &type, digest, &code, err);
        if (r < 0)
                return pull_error(p, code, err);
        if (!p->digest[0])
                memcpy(p->digest, digest, sizeof(digest));
        manifest_release(&p->manifest);
        r = manifest_parse(type, body.data ? body.data : "", body.len, &p->manifest, err);
        buf_release(&body);
        return r;
}

/* The manifest at ref, through an index when there is one. */
static int resolve_manifest(struct image_pull *p, const char *ref, struct kerr *err)
{
        int r = fetch_manifest(p, ref, err);
        if (r < 0 || p->manifest.kind == MANIFEST_IMAGE)
                return r;
        const struct manifest_desc *d = manifest_select(&p->manifest, &p->platform, err);
        if (!d)
                return -ENOENT;
        char sel[DIGEST_STR_LEN + 1];
        memcpy(sel, d->digest, sizeof(sel));
        r = fetch_manifest(p, sel, err);
        if (r == 0 && p->manifest.kind != MANIFEST_IMAGE)
                return kerr_set(err, KERR_INVALID, EINVAL, "manifest %s is an index of indexes",
                                sel);
        return r;
}

static int fetch_config(struct image_pull *p, struct kerr *err)
{
        struct buf b;
        int r = registry_blob_fetch(p->reg, p->ref.path, p->manifest.config.digest, CONFIG_MAX, &b,
                                    err);
        if (r < 0)
                return r;
        p->config_len = b.len;
        p->config_raw = buf_steal(&b);
        json_error_t je;
        p->config = json_loadb(p->config_raw, p->config_len, 0, &je);
        json_t *diffs = json_object_get(json_object_get(p->config, "rootfs"), "diff_ids");
        if (!json_is_array(diffs))
                return kerr_set(err, KERR_INVALID, EINVAL, "image config %s has no rootfs.diff_ids",
                                p->manifest.config.digest);
        if (json_array_size(diffs) != p->manifest.ndescs)
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "image config lists %zu layers, the manifest %zu",
                                json_array_size(diffs), p->manifest.ndescs);
        p->jobs = xzalloc((p->manifest.ndescs + 1) * sizeof(*p->jobs));
        p->njobs = p->manifest.ndescs;
        char chain[DIGEST_STR_LEN + 1] = "";
        for (size_t i = 0; i < p->njobs; i++) {
                struct pull_job *j = &p->jobs[i];
                const char *d = json_string_value(json_array_get(diffs, i));
                if (!d || !digest_valid(d))
                        return kerr_set(err, KERR_INVALID, EINVAL,
                                        "image config has an invalid diff ID");
                j->desc = &p->manifest.descs[i];
                j->index = i;
                memcpy(j->diff_id, d, sizeof(j->diff_id));
                image_chain_next(i ? chain : NULL, d, chain);
                memcpy(j->chain, chain, sizeof(chain));
                snprintf(j->short_id, sizeof(j->short_id), "%.12s", j->desc->digest + 7);
        }
        return 0;
}

/* The references a pull names: "busybox" + tag "1", "x@sha256:…". */
static int parse_pull_ref(const struct image_pull_opts *o, struct image_ref *ret, struct kerr *err)
{
        _cleanup_free_ char *s = NULL;
        if (o->tag && o->tag[0])
                s = xasprintf("%s%s%s", o->image, strncmp(o->tag, "sha256:", 7) == 0 ? "@" : ":",
                              o->tag);
        return image_ref_parse(s ? s : o->image, IMAGE_REF_DEFAULT_TAG, ret, err);
}

struct registry *image_registry_open(struct engine *e, const char *endpoint,
                                     const struct registry_auth *auth)
{
        struct registry_config rc = {
            .insecure = (const char *const *)e->insecure_registries,
            .certs_dir = e->certs_dir,
        };
        return registry_new(&rc, endpoint, auth);
}

/* Mirrors first for docker.io, as dockerd does; the last error wins. */
static int open_and_resolve(struct engine *e, struct image_pull *p, const char *ref,
                            const struct registry_auth *auth, struct kerr *err)
{
        bool hub = strcmp(p->ref.domain, IMAGE_REF_DEFAULT_DOMAIN) == 0;
        for (char **m = hub ? e->registry_mirrors : NULL; m && *m; m++) {
                p->reg = image_registry_open(e, *m, NULL);
                struct kerr merr = {0};
                if (resolve_manifest(p, ref, &merr) == 0)
                        return 0;
                p->reg = registry_free(p->reg);
                p->digest[0] = 0;
        }
        p->reg = image_registry_open(e, p->ref.domain, auth);
        return resolve_manifest(p, ref, err);
}

struct image_pull *image_pull_prepare(struct engine *e, const struct image_pull_opts *o,
                                      struct kerr *err)
{
        struct image_pull *p = xnew0(struct image_pull);
        p->e = e;
        pthread_mutex_init(&p->lock, NULL);
        int r = parse_pull_ref(o, &p->ref, err);
        if (r == 0)
                r = platform_parse(o->platform, &p->platform, err);
        if (r < 0) {
                free(p);
                return NULL;
        }
        p->ref_str = image_ref_string(&p->ref);
        p->name = image_ref_name(&p->ref);
        p->tag_id = xstrdup(p->ref.digest ? p->ref.digest : p->ref.tag);
        r = open_and_resolve(e, p, p->ref.digest ? p->ref.digest : p->ref.tag, o->auth, err);
        if (r == 0)
                r = fetch_config(p, err);
        if (r < 0)
                return image_pull_free(p);
        return p;
}

/* --- progress --- */

static void emit(struct image_pull *p, json_t *msg)
{
        pthread_mutex_lock(&p->lock);
        p->fn(p->cls, msg);
        pthread_mutex_unlock(&p->lock);
}

static void emit_status(struct image_pull *p, const char *status, const char *id)
{
        emit(p, image_progress_msg(status, id, -1, -1));
}

/* --- one layer: download into the scratch dir and a pipe, unpack from it --- */

struct job_io {
        struct image_pull *p;
        struct pull_job *j;
        int blobfd, pipefd;
        int64_t got;
        struct timespec last;
        pid_t gunzip; /* igzip between pipefd and the unpack thread, or 0 */
};

/* ISA-L's igzip inflates about 3.5 times as fast as zlib, and as its own
 * process it takes inflating off the unpack thread (docs/PERFORMANCE.md).
 * Used for gzip layers when it is on PATH; its output is checked like
 * zlib's, by the diff ID, and its exit status must be 0. */
static char *igzip_path;
static pthread_once_t igzip_once = PTHREAD_ONCE_INIT;

static void find_igzip(void)
{
        char path[4096];
        if (fs_find_on_path("igzip", path, sizeof(path)))
                igzip_path = xstrdup(path);
}

/* Puts igzip -dc between the sink and the unpack pipe: its stdin becomes
 * io->pipefd. Every fd of ours is O_CLOEXEC, so it holds only its own. */
static void start_gunzip(struct job_io *io)
{
        pthread_once(&igzip_once, find_igzip);
        int gz[2];
        if (!igzip_path || pipe2(gz, O_CLOEXEC) < 0)
                return;
        char *argv[] = {igzip_path, (char *)"-dc", NULL};
        pid_t pid;
        int r = spawn_program(igzip_path, argv, (int[3]){gz[0], io->pipefd, SPAWN_DEVNULL}, &pid);
        close(gz[0]);
        if (r != 0) {
                close(gz[1]);
                return;
        }
        close(io->pipefd);
        io->pipefd = gz[1];
        io->gunzip = pid;
}

static int job_sink(void *cls, const void *data, size_t n)
{
        struct job_io *io = cls;
        if (__atomic_load_n(&io->p->failed, __ATOMIC_RELAXED))
                return -ECANCELED;
        const unsigned char *b = data;
        if (io->got == 0 && io->pipefd >= 0 && n >= 3 && b[0] == 0x1f && b[1] == 0x8b && b[2] == 8)
                start_gunzip(io);
        int r = fs_write_all(io->blobfd, data, n);
        if (r < 0)
                return r;
        if (io->pipefd >= 0 && fs_write_all(io->pipefd, data, n) < 0) {
                /* The unpacker stopped (it reports why); keep the blob going. */
                close(io->pipefd);
                io->pipefd = -EBADF;
        }
        io->got += (int64_t)n;
        if (image_progress_due(&io->last, io->got, io->j->desc->size))
                emit(io->p, image_progress_msg("Downloading", io->j->short_id, io->got,
                                               io->j->desc->size));
        return 0;
}

static int job_open(struct image_pull *p, struct pull_job *j, int *ret_blobfd, int *ret_rootfd,
                    struct kerr *err)
{
        snprintf(j->dir, sizeof(j->dir), "L%zu", j->index);
        snprintf(j->blob_tmp, sizeof(j->blob_tmp), "B%zu", j->index);
        char diff[48];
        snprintf(diff, sizeof(diff), "%s/diff", j->dir);
        if (mkdirat(p->dirfd, j->dir, 0700) < 0 || mkdirat(p->dirfd, diff, 0755) < 0)
                return kerr_set(err, KERR_INTERNAL, errno, "cannot create layer dir");
        *ret_rootfd = openat(p->dirfd, diff, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        *ret_blobfd = openat(p->dirfd, j->blob_tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (*ret_rootfd < 0 || *ret_blobfd < 0)
                return kerr_set(err, KERR_INTERNAL, errno, "cannot create scratch files");
        return 0;
}

static int job_run(struct image_pull *p, struct pull_job *j, struct kerr *err)
{
        _cleanup_close_ int blobfd = -EBADF, rootfd = -EBADF;
        int r = job_open(p, j, &blobfd, &rootfd, err);
        int fds[2];
        if (r == 0 && pipe2(fds, O_CLOEXEC) < 0)
                r = kerr_set(err, KERR_INTERNAL, errno, "cannot create a pipe");
        if (r < 0)
                return r;
        fcntl(fds[1], F_SETPIPE_SZ, 1024 * 1024);
        struct unpack_thread u;
        if (unpack_thread_start(&u, fds[0], rootfd) < 0) {
                close(fds[1]);
                return kerr_set(err, KERR_INTERNAL, EAGAIN, "cannot start an unpack thread");
        }
        struct job_io io = {.p = p, .j = j, .blobfd = blobfd, .pipefd = fds[1]};
        clock_gettime(CLOCK_MONOTONIC, &io.last);
        r = registry_blob_get(p->reg, p->ref.path, j->desc->digest, j->desc->size, job_sink, &io,
                              err);
        if (io.pipefd >= 0)
                close(io.pipefd);
        unpack_thread_join(&u);
        int status = 0;
        while (io.gunzip > 0 && waitpid(io.gunzip, &status, 0) < 0 && errno == EINTR)
                ;
        if (r < 0)
                return r;
        if (u.r == 0 && status != 0)
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "failed to register layer: %s is not valid gzip", j->desc->digest);
        emit_status(p, "Verifying Checksum", j->short_id);
        emit_status(p, "Download complete", j->short_id);
        if (u.r < 0) {
                *err = u.err;
                return kerr_wrap(err, "failed to register layer");
        }
        emit(p, image_progress_msg("Extracting", j->short_id, j->desc->size, j->desc->size));
        if (strcmp(u.res.diff_id, j->diff_id) != 0)
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "failed to register layer: diff ID mismatch for %s (config says "
                                "%s, content is %s)",
                                j->desc->digest, j->diff_id, u.res.diff_id);
        j->size = u.res.size;
        emit_status(p, "Pull complete", j->short_id);
        return 0;
}

/* Workers take the next waiting job until none is left or one failed. */
static void *worker_main(void *cls)
{
        struct image_pull *p = cls;
        for (;;) {
                pthread_mutex_lock(&p->lock);
                struct pull_job *j = NULL;
                while (p->next < p->njobs && !j) {
                        struct pull_job *c = &p->jobs[p->next++];
                        if (!c->present)
                                j = c;
                }
                pthread_mutex_unlock(&p->lock);
                if (!j || __atomic_load_n(&p->failed, __ATOMIC_RELAXED))
                        return NULL;
                struct kerr err = {0};
                if (job_run(p, j, &err) < 0) {
                        pthread_mutex_lock(&p->lock);
                        if (!p->failed)
                                p->first_err = err;
                        __atomic_store_n(&p->failed, true, __ATOMIC_RELAXED);
                        pthread_mutex_unlock(&p->lock);
                        return NULL;
                }
        }
}

static void announce_layers(struct image_pull *p, size_t *ret_missing)
{
        size_t missing = 0;
        for (size_t i = 0; i < p->njobs; i++) {
                struct pull_job *j = &p->jobs[i];
                j->present = image_layer_present(p->e, j->chain);
                if (j->present) {
                        emit_status(p, "Already exists", j->short_id);
                        continue;
                }
                emit_status(p, "Pulling fs layer", j->short_id);
                missing++;
        }
        size_t n = 0;
        for (size_t i = 0; i < p->njobs; i++)
                if (!p->jobs[i].present && n++ >= (size_t)p->e->max_downloads)
                        emit_status(p, "Waiting", p->jobs[i].short_id);
        *ret_missing = missing;
}

static int download_all(struct image_pull *p, size_t missing, struct kerr *err)
{
        size_t nw = missing < (size_t)p->e->max_downloads ? missing : (size_t)p->e->max_downloads;
        pthread_t *ts = xzalloc((nw + 1) * sizeof(pthread_t));
        size_t started = 0;
        for (; started < nw; started++)
                if (pthread_create(&ts[started], NULL, worker_main, p) != 0)
                        break;
        if (started == 0 && nw > 0)
                worker_main(p); /* no thread to spare: do it here */
        for (size_t i = 0; i < started; i++)
                pthread_join(ts[i], NULL);
        free(ts);
        if (p->failed) {
                *err = p->first_err;
                return -(err->errnum ? err->errnum : EIO);
        }
        return 0;
}

int image_pull_run(struct image_pull *p, image_progress_fn fn, void *cls, struct kerr *err)
{
        p->fn = fn;
        p->cls = cls;
        _cleanup_free_ char *path_fam = image_ref_familiar_of(p->name);
        _cleanup_free_ char *msg = xasprintf("Pulling from %s", p->ref.path);
        emit_status(p, msg, p->tag_id);
        size_t missing;
        announce_layers(p, &missing);
        _cleanup_free_ char *scratch = NULL;
        int r = store_tmpdir(p->e->store, "pull", &scratch, err);
        if (r < 0)
                return r;
        p->dirfd = openat(p->e->store->root_fd, scratch, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (p->dirfd < 0)
                r = kerr_set(err, KERR_INTERNAL, errno, "cannot open scratch dir");
        if (r == 0)
                r = download_all(p, missing, err);
        bool updated = false;
        if (r == 0)
                r = image_pull_commit(p, &updated, err);
        if (p->dirfd >= 0)
                close(p->dirfd);
        fs_rm_rf_at(p->e->store->root_fd, scratch);
        if (r < 0)
                return r;
        _cleanup_free_ char *dmsg = xasprintf("Digest: %s", p->digest);
        emit_status(p, dmsg, NULL);
        _cleanup_free_ char *fam = image_ref_familiar(&p->ref);
        _cleanup_free_ char *smsg = xasprintf(
            "Status: %s for %s", updated ? "Downloaded newer image" : "Image is up to date", fam);
        emit_status(p, smsg, NULL);
        return 0;
}
