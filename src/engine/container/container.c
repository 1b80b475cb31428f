/* container.c - container records: the in-memory table, lookup, the
 * SQLite row, rename, remove, waiters and status text. */
#include "container.h"

#include "engine/engine.h"
#include "container-internal.h"
#include "names.h"

#include "base/fs.h"
#include "base/json.h"
#include "base/xalloc.h"
#include "store/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct container *container_ref(struct container *c)
{
        __atomic_add_fetch(&c->refs, 1, __ATOMIC_SEQ_CST);
        return c;
}

struct container *container_unref(struct container *c)
{
        if (!c || __atomic_sub_fetch(&c->refs, 1, __ATOMIC_SEQ_CST) > 0)
                return NULL;
        if (c->shim_pidfd >= 0)
                close(c->shim_pidfd);
        if (c->pidfd >= 0)
                close(c->pidfd);
        pthread_mutex_destroy(&c->lock);
        pthread_cond_destroy(&c->changed);
        free(c->name);
        free(c->image_id);
        free(c->image_ref);
        free(c->error);
        json_decref(c->config);
        json_decref(c->host_config);
        json_decref(c->networking);
        free(c);
        return NULL;
}

void container_dir(const struct container *c, char *buf, size_t size)
{
        snprintf(buf, size, "containers/%s", c->id);
}

char *container_path(const struct engine *e, const char *id, const char *sub)
{
        return xasprintf("%s/containers/%s%s%s", e->data_root, id, sub ? "/" : "", sub ? sub : "");
}

/* A new container object with one reference and no record yet. */
struct container *container_new(const char *id, const char *name)
{
        struct container *c = xnew0(struct container);
        c->refs = 1;
        snprintf(c->id, sizeof(c->id), "%s", id);
        c->name = xstrdup(name[0] == '/' ? name + 1 : name);
        c->shim_pidfd = -EBADF;
        c->pidfd = -EBADF;
        pthread_mutex_init(&c->lock, NULL);
        pthread_cond_init(&c->changed, NULL);
        return c;
}

const char *container_id(const struct container *c)
{
        return c->id;
}

bool container_is_tty(const struct container *c)
{
        return json_is_true(json_object_get(c->config, "Tty"));
}

void container_snapshot_init(struct container_snapshot *ret, struct container *c)
{
        *ret = (struct container_snapshot){0};
        memcpy(ret->id, c->id, sizeof(ret->id));
        ret->image_id = xstrdup(c->image_id ? c->image_id : "");
        ret->image_ref = xstrdup(c->image_ref ? c->image_ref : "");
        ret->created_ns = c->created_ns;
        ret->config = json_incref(c->config);
        ret->host_config = json_incref(c->host_config);
        ret->networking = json_incref(c->networking);
        pthread_mutex_lock(&c->lock);
        ret->name = xstrdup(c->name);
        ret->state = container_state_public(c->state, c->has_been_started);
        /* A start in progress already knows the pid: not shown until the
         * container runs, so Running and Pid always agree. */
        ret->pid = container_state_is_running(c->state) ? c->pid : 0;
        ret->exit_code = c->exit_code;
        ret->restart_count = c->restart_count;
        ret->error = c->error ? xstrdup(c->error) : NULL;
        ret->oom_killed = c->oom_killed;
        ret->started_ns = c->started_ns;
        ret->finished_ns = c->finished_ns;
        pthread_mutex_unlock(&c->lock);
}

void container_snapshot_release(struct container_snapshot *s)
{
        free(s->name);
        free(s->image_id);
        free(s->image_ref);
        free(s->error);
        json_decref(s->config);
        json_decref(s->host_config);
        json_decref(s->networking);
        *s = (struct container_snapshot){0};
}

/* --- the table (engine->containers, under engine->containers_lock) --- */

static void table_add_locked(struct engine *e, struct container *c)
{
        if (e->ncontainers == e->containers_cap) {
                e->containers_cap = e->containers_cap ? e->containers_cap * 2 : 16;
                e->containers = xrealloc(e->containers, e->containers_cap * sizeof(*e->containers));
        }
        e->containers[e->ncontainers++] = container_ref(c);
}

static void table_remove(struct engine *e, struct container *c)
{
        pthread_mutex_lock(&e->containers_lock);
        for (size_t i = 0; i < e->ncontainers; i++)
                if (e->containers[i] == c) {
                        e->containers[i] = e->containers[--e->ncontainers];
                        container_unref(c);
                        break;
                }
        pthread_mutex_unlock(&e->containers_lock);
}

/* Answers every waiter left at shutdown (their streams are gone by now;
 * the callbacks release them). */
static void fail_waiters(struct container *c, const char *why)
{
        pthread_mutex_lock(&c->lock);
        struct container_waiter *w = c->waiters;
        c->waiters = NULL;
        int code = c->exit_code;
        pthread_mutex_unlock(&c->lock);
        while (w) {
                struct container_waiter *next = w->next;
                w->fn(w->cls, code, why);
                free(w);
                w = next;
        }
}

void containers_release(struct engine *e)
{
        for (size_t i = 0; i < e->ncontainers; i++) {
                fail_waiters(e->containers[i], "the daemon is shutting down");
                container_unref(e->containers[i]);
        }
        free(e->containers);
        e->containers = NULL;
        sqlite3_close(e->containers_db);
        e->containers_db = NULL;
        e->ncontainers = e->containers_cap = 0;
}

/* Caller holds containers_lock. Exact name match, ignoring a leading '/'. */
static struct container *find_by_name_locked(struct engine *e, const char *name)
{
        if (name[0] == '/')
                name++;
        for (size_t i = 0; i < e->ncontainers; i++)
                if (strcmp(e->containers[i]->name, name) == 0)
                        return e->containers[i];
        return NULL;
}

struct container *container_get(struct engine *e, const char *ref, struct kerr *err)
{
        struct container *found = NULL;
        int matches = 0;
        pthread_mutex_lock(&e->containers_lock);
        for (size_t i = 0; i < e->ncontainers && !found; i++)
                if (strcmp(e->containers[i]->id, ref) == 0)
                        found = e->containers[i];
        if (!found)
                found = find_by_name_locked(e, ref);
        size_t n = strlen(ref);
        if (!found && n > 0 && n < 64) {
                for (size_t i = 0; i < e->ncontainers; i++)
                        if (strncmp(e->containers[i]->id, ref, n) == 0) {
                                found = e->containers[i];
                                matches++;
                        }
        }
        if (found && matches <= 1)
                container_ref(found);
        pthread_mutex_unlock(&e->containers_lock);
        if (matches > 1) {
                kerr_set(err, KERR_INVALID, EINVAL, "multiple IDs found with provided prefix: %s",
                         ref);
                return NULL;
        }
        if (!found)
                kerr_set(err, KERR_NOT_FOUND, ENOENT, "No such container: %s", ref);
        return found;
}

int container_name_taken(struct engine *e, const char *name, char *ret_id)
{
        pthread_mutex_lock(&e->containers_lock);
        struct container *c = find_by_name_locked(e, name);
        if (c && ret_id)
                memcpy(ret_id, c->id, sizeof(c->id));
        pthread_mutex_unlock(&e->containers_lock);
        return c != NULL;
}

static int cmp_newest_first(const void *a, const void *b)
{
        const struct container *x = *(struct container *const *)a;
        const struct container *y = *(struct container *const *)b;
        return x->created_ns < y->created_ns ? 1 : x->created_ns > y->created_ns ? -1 : 0;
}

int containers_list_refs(struct engine *e, struct container ***ret, size_t *ret_n)
{
        pthread_mutex_lock(&e->containers_lock);
        size_t n = e->ncontainers;
        struct container **list = xmalloc((n + 1) * sizeof(*list));
        for (size_t i = 0; i < n; i++)
                list[i] = container_ref(e->containers[i]);
        list[n] = NULL;
        pthread_mutex_unlock(&e->containers_lock);
        qsort(list, n, sizeof(*list), cmp_newest_first);
        *ret = list;
        *ret_n = n;
        return 0;
}

void containers_list_refs_free(struct container **list, size_t n)
{
        for (size_t i = 0; list && i < n; i++)
                container_unref(list[i]);
        free(list);
}

/* --- persistence: the containers table, on the module's own connection
 * (store_connect), so that no image transaction takes a container write
 * with it on ROLLBACK or crash --- */

static int db_error(struct engine *e, struct kerr *err, const char *what)
{
        return kerr_set(err, KERR_INTERNAL, EIO, "%s: %s", what, sqlite3_errmsg(e->containers_db));
}

static const char conflict_fmt[] =
    "Conflict. The container name \"/%s\" is already in use by container \"%s\". You have "
    "to remove (or rename) that container to be able to reuse that name.";

/* Binds the columns that change after create, from ?first on. Caller
 * holds c->lock. */
static int bind_state(sqlite3_stmt *st, int i, struct container *c)
{
        enum container_state s = container_state_public(c->state, c->has_been_started);
        sqlite3_bind_text(st, i++, container_state_name(s), -1, SQLITE_STATIC);
        sqlite3_bind_int(st, i++, c->pid);
        sqlite3_bind_int(st, i++, c->exit_code);
        sqlite3_bind_text(st, i++, c->error ? c->error : "", -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, i++, c->oom_killed);
        sqlite3_bind_int64(st, i++, c->started_ns);
        sqlite3_bind_int64(st, i++, c->finished_ns);
        sqlite3_bind_int(st, i++, c->restart_count);
        sqlite3_bind_int(st, i++, c->has_been_started);
        sqlite3_bind_int(st, i++, c->shim_pid);
        sqlite3_bind_text(st, i++, c->boot_id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, i++, (sqlite3_int64)c->shim_start);
        sqlite3_bind_int64(st, i++, (sqlite3_int64)c->pid_start);
        return i;
}

int container_row_update_locked(struct engine *e, struct container *c, struct kerr *err)
{
        static const char sql[] =
            "UPDATE containers SET state = ?, pid = ?, exit_code = ?, error = ?,"
            " oom_killed = ?, started_at = ?, finished_at = ?, restart_count = ?,"
            " has_been_started = ?, shim_pid = ?, boot_id = ?, shim_start = ?,"
            " pid_start = ?, name = ? WHERE id = ?";
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(e->containers_db, sql, -1, &st, NULL) != SQLITE_OK)
                return db_error(e, err, "save container");
        int i = bind_state(st, 1, c);
        sqlite3_bind_text(st, i++, c->name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, i++, c->id, -1, SQLITE_TRANSIENT);
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        return rc == SQLITE_DONE ? 0 : db_error(e, err, "save container");
}

/* A plain INSERT: the UNIQUE name column refuses a duplicate that slipped
 * past the table (1 then), and nothing is ever replaced. */
static int row_insert(struct engine *e, struct container *c, struct kerr *err)
{
        static const char sql[] =
            "INSERT INTO containers (id, name, image_id, image_ref, created, config,"
            " host_config, networking, state, pid, exit_code, error, oom_killed, started_at,"
            " finished_at, restart_count, has_been_started, shim_pid, boot_id, shim_start,"
            " pid_start) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(e->containers_db, sql, -1, &st, NULL) != SQLITE_OK)
                return db_error(e, err, "save container");
        _cleanup_free_ char *config = json_to_string(c->config);
        _cleanup_free_ char *host_config = json_to_string(c->host_config);
        _cleanup_free_ char *networking = json_to_string(c->networking);
        int i = 1;
        sqlite3_bind_text(st, i++, c->id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, i++, c->name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, i++, c->image_id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, i++, c->image_ref, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, i++, c->created_ns);
        sqlite3_bind_text(st, i++, config, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, i++, host_config, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, i++, networking, -1, SQLITE_STATIC);
        pthread_mutex_lock(&c->lock);
        bind_state(st, i, c);
        pthread_mutex_unlock(&c->lock);
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc == SQLITE_CONSTRAINT)
                return 1;
        return rc == SQLITE_DONE ? 0 : db_error(e, err, "save container");
}

int containers_insert(struct engine *e, struct container *c, struct kerr *err)
{
        /* The image lock, which every image removal holds, spans the check
         * that the image is still there and the record: a concurrent rmi
         * either sees this container as a user or removed the image
         * first, and then the create fails; no record points at nothing. */
        char id[72];
        pthread_mutex_lock(&e->image_lock);
        if (image_resolve(e, c->image_id, id, err) < 0) {
                pthread_mutex_unlock(&e->image_lock);
                return -ENOENT;
        }
        pthread_mutex_lock(&e->containers_lock);
        struct container *taken = find_by_name_locked(e, c->name);
        int r = taken ? 1 : row_insert(e, c, err);
        if (r == 0)
                table_add_locked(e, c);
        else if (r > 0)
                kerr_set(err, KERR_CONFLICT, EEXIST, conflict_fmt, c->name,
                         taken ? taken->id : "unknown");
        pthread_mutex_unlock(&e->containers_lock);
        pthread_mutex_unlock(&e->image_lock);
        return r > 0 ? -EEXIST : r;
}

static json_t *column_json(sqlite3_stmt *st, int col)
{
        const char *text = (const char *)sqlite3_column_text(st, col);
        json_t *v = text ? json_loads(text, 0, NULL) : NULL;
        return v ? v : json_object();
}

static const char *column_str(sqlite3_stmt *st, int col)
{
        const char *s = (const char *)sqlite3_column_text(st, col);
        return s ? s : "";
}

static struct container *container_from_row(sqlite3_stmt *st)
{
        struct container *c = container_new(column_str(st, 0), column_str(st, 1));
        c->image_id = xstrdup(column_str(st, 2));
        c->image_ref = xstrdup(column_str(st, 3));
        c->created_ns = sqlite3_column_int64(st, 4);
        int s = container_state_from_name(column_str(st, 5));
        c->state = s < 0 ? CONTAINER_DEAD : (enum container_state)s;
        c->pid = sqlite3_column_int(st, 6);
        c->exit_code = sqlite3_column_int(st, 7);
        c->error = column_str(st, 8)[0] ? xstrdup(column_str(st, 8)) : NULL;
        c->oom_killed = sqlite3_column_int(st, 9);
        c->started_ns = sqlite3_column_int64(st, 10);
        c->finished_ns = sqlite3_column_int64(st, 11);
        c->restart_count = sqlite3_column_int(st, 12);
        c->has_been_started = sqlite3_column_int(st, 13);
        c->shim_pid = sqlite3_column_int(st, 14);
        c->config = column_json(st, 15);
        c->host_config = column_json(st, 16);
        c->networking = column_json(st, 17);
        snprintf(c->boot_id, sizeof(c->boot_id), "%s", column_str(st, 18));
        c->shim_start = (uint64_t)sqlite3_column_int64(st, 19);
        c->pid_start = (uint64_t)sqlite3_column_int64(st, 20);
        return c;
}

static bool has_record(void *cls, const char *name)
{
        struct engine *e = cls;
        for (size_t i = 0; i < e->ncontainers; i++)
                if (strcmp(e->containers[i]->id, name) == 0)
                        return true;
        return false;
}

/* A directory under containers/ without a record is what a crash during
 * create or remove leaves: it goes. */
static void sweep_orphan_dirs(struct engine *e)
{
        fs_sweep_dir_at(e->store->root_fd, "containers", has_record, e);
}

int containers_load(struct engine *e, struct kerr *err)
{
        if (!e->containers_db && store_connect(e->store, &e->containers_db, err) < 0)
                return -EIO;
        static const char sql[] =
            "SELECT id, name, image_id, image_ref, created, state, pid, exit_code, error,"
            " oom_killed, started_at, finished_at, restart_count, has_been_started, shim_pid,"
            " config, host_config, networking, boot_id, shim_start, pid_start FROM containers";
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(e->containers_db, sql, -1, &st, NULL) != SQLITE_OK)
                return db_error(e, err, "load containers");
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                struct container *c = container_from_row(st);
                pthread_mutex_lock(&e->containers_lock);
                table_add_locked(e, c);
                pthread_mutex_unlock(&e->containers_lock);
                container_unref(c);
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
                return db_error(e, err, "load containers");
        sweep_orphan_dirs(e);
        return 0;
}

static int delete_row(struct engine *e, const char *id, struct kerr *err)
{
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(e->containers_db, "DELETE FROM containers WHERE id = ?", -1, &st,
                               NULL) != SQLITE_OK)
                return db_error(e, err, "delete container");
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        return rc == SQLITE_DONE ? 0 : db_error(e, err, "delete container");
}

/* --- rename and remove --- */

int container_rename(struct engine *e, struct container *c, const char *name, struct kerr *err)
{
        if (!names_valid(name))
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are "
                                "allowed",
                                name);
        if (name[0] == '/')
                name++;
        /* The check, the row and the new name under the table lock: a
         * concurrent create or rename sees either the old or the new name,
         * and readers never see a freed one (they copy it under c->lock). */
        pthread_mutex_lock(&e->containers_lock);
        struct container *taken = find_by_name_locked(e, name);
        int r = 0;
        if (taken == c)
                r = kerr_set(err, KERR_INVALID, EINVAL,
                             "Renaming a container with the same name as its current name");
        else if (taken)
                r = kerr_set(err, KERR_CONFLICT, EEXIST, conflict_fmt, name, taken->id);
        if (r < 0) {
                pthread_mutex_unlock(&e->containers_lock);
                return r;
        }
        pthread_mutex_lock(&c->lock);
        if (c->state == CONTAINER_REMOVING) {
                r = kerr_set(err, KERR_CONFLICT, EBUSY,
                             "removal of container %s is already in progress", c->id);
        } else {
                char *old = c->name;
                c->name = xstrdup(name);
                r = container_row_update_locked(e, c, err);
                if (r < 0) {
                        free(c->name);
                        c->name = old;
                } else {
                        free(old);
                }
        }
        pthread_mutex_unlock(&c->lock);
        pthread_mutex_unlock(&e->containers_lock);
        return r;
}

/* Pops waiters whose condition the event satisfies and calls them. */
void container_fire_waiters(struct container *c, bool exited, bool removed)
{
        pthread_mutex_lock(&c->lock);
        struct container_waiter *fire = NULL, **p = &c->waiters;
        while (*p) {
                struct container_waiter *w = *p;
                bool hit = removed || (exited && w->cond != WAIT_REMOVED);
                if (hit) {
                        *p = w->next;
                        w->next = fire;
                        fire = w;
                } else {
                        p = &w->next;
                }
        }
        int code = c->exit_code;
        pthread_mutex_unlock(&c->lock);
        while (fire) {
                struct container_waiter *w = fire;
                fire = w->next;
                w->fn(w->cls, code, NULL);
                free(w);
        }
}

void container_wait(struct engine *e, struct container *c, enum wait_condition cond,
                    container_wait_fn fn, void *cls)
{
        (void)e;
        pthread_mutex_lock(&c->lock);
        bool running = container_state_is_running(c->state) || c->state == CONTAINER_STARTING;
        bool gone = c->state == CONTAINER_REMOVING && cond == WAIT_REMOVED;
        if ((cond == WAIT_NOT_RUNNING && !running) || gone) {
                int code = c->exit_code;
                pthread_mutex_unlock(&c->lock);
                fn(cls, code, NULL);
                return;
        }
        struct container_waiter *w = xnew0(struct container_waiter);
        *w = (struct container_waiter){cond, fn, cls, c->waiters};
        c->waiters = w;
        pthread_mutex_unlock(&c->lock);
}

/* Waits (c->lock held) until c is neither starting nor running, killing
 * it when force allows; KERR_CONFLICT when it runs and force does not. */
static int remove_settle_locked(struct engine *e, struct container *c, bool force, struct kerr *err)
{
        for (;;) {
                if (c->state == CONTAINER_REMOVING)
                        return kerr_set(err, KERR_CONFLICT, EBUSY,
                                        "removal of container %s is already in progress", c->id);
                if (c->state == CONTAINER_STARTING) {
                        pthread_cond_wait(&c->changed, &c->lock);
                        continue;
                }
                if (!container_state_is_running(c->state))
                        return 0;
                if (!force)
                        return kerr_set(err, KERR_CONFLICT, EBUSY,
                                        "cannot remove container \"/%s\": container is running: "
                                        "stop the container before removing or force remove",
                                        c->name);
                pthread_mutex_unlock(&c->lock);
                int r = container_kill_and_wait(e, c, err);
                pthread_mutex_lock(&c->lock);
                if (r < 0)
                        return r;
        }
}

int container_remove(struct engine *e, struct container *c, bool force, bool volumes,
                     struct kerr *err)
{
        (void)volumes; /* anonymous volumes arrive with the volumes issue */
        pthread_mutex_lock(&c->lock);
        int r = remove_settle_locked(e, c, force, err);
        enum container_state was = c->state;
        if (r >= 0)
                r = container_state_change(c, CONTAINER_REMOVING, err);
        /* The record goes first, under the lock that every save takes: a
         * crash after it leaves only a directory, which the next start
         * removes; never a record without its files. */
        if (r >= 0 && (r = delete_row(e, c->id, err)) < 0) {
                struct kerr ignore = {0};
                container_state_change(c, was, &ignore);
        }
        pthread_mutex_unlock(&c->lock);
        if (r < 0)
                return r;
        table_remove(e, c);
        char dir[128];
        container_dir(c, dir, sizeof(dir));
        container_cleanup_files(e, c, false);
        container_attach_drop_pending(c);
        engine_trash(e, dir);
        container_fire_waiters(c, true, true);
        return 0;
}

static void human_duration(int64_t secs, char *buf, size_t size)
{
        /* go-units HumanDuration, which the docker CLI users know. */
        if (secs < 1)
                snprintf(buf, size, "Less than a second");
        else if (secs == 1)
                snprintf(buf, size, "1 second");
        else if (secs < 60)
                snprintf(buf, size, "%lld seconds", (long long)secs);
        else if (secs / 60 == 1)
                snprintf(buf, size, "About a minute");
        else if (secs < 3600)
                snprintf(buf, size, "%lld minutes", (long long)(secs / 60));
        else if ((secs + 1800) / 3600 == 1)
                snprintf(buf, size, "About an hour");
        else if (secs < 48 * 3600)
                snprintf(buf, size, "%lld hours", (long long)((secs + 1800) / 3600));
        else if (secs < 14 * 86400)
                snprintf(buf, size, "%lld days", (long long)(secs / 86400));
        else if (secs < 60 * 86400)
                snprintf(buf, size, "%lld weeks", (long long)(secs / (7 * 86400)));
        else if (secs < 365 * 2 * 86400)
                snprintf(buf, size, "%lld months", (long long)(secs / (30 * 86400)));
        else
                snprintf(buf, size, "%lld years", (long long)(secs / (365 * 86400)));
}

void container_status_text(const struct container_snapshot *s, int64_t now_ns, char *buf,
                           size_t size)
{
        char d[64];
        switch (s->state) {
        case CONTAINER_RUNNING:
        case CONTAINER_PAUSED:
                human_duration((now_ns - s->started_ns) / 1000000000, d, sizeof(d));
                snprintf(buf, size, "Up %s%s", d, s->state == CONTAINER_PAUSED ? " (Paused)" : "");
                break;
        case CONTAINER_RESTARTING:
                human_duration((now_ns - s->finished_ns) / 1000000000, d, sizeof(d));
                snprintf(buf, size, "Restarting (%d) %s ago", s->exit_code, d);
                break;
        case CONTAINER_REMOVING:
                snprintf(buf, size, "Removal In Progress");
                break;
        case CONTAINER_DEAD:
                snprintf(buf, size, "Dead");
                break;
        case CONTAINER_EXITED:
                if (s->finished_ns > 0) {
                        human_duration((now_ns - s->finished_ns) / 1000000000, d, sizeof(d));
                        snprintf(buf, size, "Exited (%d) %s ago", s->exit_code, d);
                        break;
                }
                snprintf(buf, size, "Created"); /* never finished */
                break;
        default:
                snprintf(buf, size, "Created");
                break;
        }
}
