#include "store.h"

#include "store-internal.h"

#include "base/fs.h"
#include "base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* The data-root layout of DESIGN.md. */
static const char *const layout[] = {"blobs",      "blobs/sha256", "layers",
                                     "containers", "volumes",      "tmp"};

int store_sql_error(struct store *s, struct kerr *err, const char *what)
{
        return kerr_set(err, KERR_INTERNAL, EIO, "%s: %s", what, sqlite3_errmsg(s->db));
}

static int lock_root(struct store *s, struct kerr *err)
{
        s->lock_fd =
            openat(s->root_fd, "kedge.lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (s->lock_fd < 0)
                return kerr_set(err, KERR_INTERNAL, errno,
                                "cannot open lock file in data root '%s': %s", s->root,
                                strerror(errno));
        if (flock(s->lock_fd, LOCK_EX | LOCK_NB) < 0) {
                int e = errno;
                char pid[32] = "";
                ssize_t n = pread(s->lock_fd, pid, sizeof(pid) - 1, 0);
                pid[n > 0 ? n : 0] = 0;
                pid[strcspn(pid, "\n")] = 0;
                if (e == EWOULDBLOCK)
                        return kerr_set(err, KERR_CONFLICT, e,
                                        "data root '%s' is in use by another kedge daemon%s%s%s",
                                        s->root, pid[0] ? " (pid " : "", pid, pid[0] ? ")" : "");
                return kerr_set(err, KERR_INTERNAL, e, "cannot lock data root '%s': %s", s->root,
                                strerror(e));
        }
        char pid[32];
        int n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
        if (ftruncate(s->lock_fd, 0) < 0 || pwrite(s->lock_fd, pid, (size_t)n, 0) != n)
                return kerr_set(err, KERR_INTERNAL, errno, "cannot write lock file in '%s': %s",
                                s->root, strerror(errno));
        return 0;
}

/* Every load or pull unpacks into a new scratch directory under tmp/: a
 * tree of thousands of files. Marked as a top of directory hierarchies
 * (chattr +T), tmp/ lets ext4's Orlov allocator start each such tree in a
 * block group with many free inodes instead of beside tmp/ itself, where
 * recently deleted inodes (a previous rmi, other programs' temporary
 * files) make every create on a journal-less ext4 scan past them
 * (docs/PERFORMANCE.md). Best effort: other file systems ignore or refuse
 * the flag, and nothing depends on it. */
static void mark_topdir(int root_fd, const char *name)
{
        int fd = openat(root_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return;
        int flags;
        if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 && !(flags & FS_TOPDIR_FL)) {
                flags |= FS_TOPDIR_FL;
                (void)ioctl(fd, FS_IOC_SETFLAGS, &flags);
        }
        close(fd);
}

static int make_layout(struct store *s, struct kerr *err)
{
        for (size_t i = 0; i < sizeof(layout) / sizeof(layout[0]); i++) {
                int r = fs_mkdirat_ok(s->root_fd, layout[i], 0711);
                if (r < 0)
                        return kerr_set(err, KERR_INTERNAL, r, "cannot create '%s/%s': %s", s->root,
                                        layout[i], strerror(-r));
        }
        /* Whatever is in tmp/ was in flight when a previous daemon stopped. */
        int r = fs_clear_dir_at(s->root_fd, "tmp");
        if (r < 0)
                return kerr_set(err, KERR_INTERNAL, r, "cannot clear '%s/tmp': %s", s->root,
                                strerror(-r));
        mark_topdir(s->root_fd, "tmp");
        return 0;
}

static int exec_sql(struct store *s, const char *sql, struct kerr *err)
{
        char *msg = NULL;
        if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
                kerr_set(err, KERR_INTERNAL, EIO, "database '%s/kedge.db': %s", s->root,
                         msg ? msg : sqlite3_errmsg(s->db));
                sqlite3_free(msg);
                return -EIO;
        }
        return 0;
}

int store_schema_version(struct store *s)
{
        int64_t v = 0;
        if (store_query_int(s, "PRAGMA user_version", &v, NULL) < 0)
                return -EIO;
        return (int)v;
}

static int migrate(struct store *s, struct kerr *err)
{
        int have = store_schema_version(s);
        if (have < 0)
                return store_sql_error(s, err, "read schema version");
        int want = store_migrations_count();
        if (have > want)
                return kerr_set(err, KERR_INTERNAL, EPROTO,
                                "database '%s/kedge.db' has schema version %d, newer than this "
                                "kedge understands (%d)",
                                s->root, have, want);
        for (int v = have + 1; v <= want; v++) {
                /* One transaction per step: a crash leaves the previous version. */
                char *sql = xasprintf("BEGIN IMMEDIATE; %s PRAGMA user_version = %d; COMMIT;",
                                      store_migration_sql(v), v);
                int r = exec_sql(s, sql, err);
                free(sql);
                if (r < 0) {
                        exec_sql(s, "ROLLBACK", NULL);
                        return kerr_wrap(err, "migrate to schema version %d", v);
                }
        }
        return 0;
}

static int connect_db(struct store *s, sqlite3 **ret, struct kerr *err)
{
        char *path = xasprintf("%s/kedge.db", s->root);
        sqlite3 *db = NULL;
        int rc = sqlite3_open_v2(path, &db,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                     SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_NOFOLLOW,
                                 NULL);
        free(path);
        if (rc != SQLITE_OK) {
                kerr_set(err, KERR_INTERNAL, EIO, "cannot open database '%s/kedge.db': %s", s->root,
                         db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
                sqlite3_close(db);
                return -EIO;
        }
        sqlite3_busy_timeout(db, 5000);
        char *msg = NULL;
        if (sqlite3_exec(db,
                         "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                         "PRAGMA foreign_keys=ON;",
                         NULL, NULL, &msg) != SQLITE_OK) {
                kerr_set(err, KERR_INTERNAL, EIO, "database '%s/kedge.db': %s", s->root,
                         msg ? msg : sqlite3_errmsg(db));
                sqlite3_free(msg);
                sqlite3_close(db);
                return -EIO;
        }
        *ret = db;
        return 0;
}

int store_connect(struct store *s, sqlite3 **ret, struct kerr *err)
{
        return connect_db(s, ret, err);
}

static int open_db(struct store *s, struct kerr *err)
{
        int r = connect_db(s, &s->db, err);
        return r < 0 ? r : migrate(s, err);
}

static int ensure_id(struct store *s, struct kerr *err)
{
        s->id = store_meta_get(s, "engine_id");
        if (s->id)
                return 0;
        unsigned char rnd[16];
        _cleanup_close_ int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
        if (fd < 0 || read(fd, rnd, sizeof(rnd)) != (ssize_t)sizeof(rnd))
                return kerr_set(err, KERR_INTERNAL, errno, "cannot read /dev/urandom");
        rnd[6] = (rnd[6] & 0x0f) | 0x40; /* UUID version 4, as dockerd's engine ID */
        rnd[8] = (rnd[8] & 0x3f) | 0x80;
        char id[37];
        snprintf(id, sizeof(id),
                 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", rnd[0],
                 rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7], rnd[8], rnd[9], rnd[10],
                 rnd[11], rnd[12], rnd[13], rnd[14], rnd[15]);
        int r = store_meta_set(s, "engine_id", id, err);
        if (r < 0)
                return r;
        s->id = xstrdup(id);
        return 0;
}

struct store *store_open(const char *root, struct kerr *err)
{
        if (root[0] != '/') {
                kerr_set(err, KERR_INVALID, EINVAL, "data root '%s' must be an absolute path",
                         root);
                return NULL;
        }
        int r = fs_mkdir_p(root, 0711);
        if (r < 0) {
                kerr_set(err, KERR_INTERNAL, r, "cannot create data root '%s': %s", root,
                         strerror(-r));
                return NULL;
        }
        _cleanup_(store_freep) struct store *s = xnew0(struct store);
        s->root = xstrdup(root);
        s->lock_fd = -EBADF;
        s->root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (s->root_fd < 0) {
                kerr_set(err, KERR_INTERNAL, errno, "cannot open data root '%s': %s", root,
                         strerror(errno));
                return NULL;
        }
        if (lock_root(s, err) < 0 || make_layout(s, err) < 0 || open_db(s, err) < 0 ||
            ensure_id(s, err) < 0)
                return NULL;
        return TAKE_PTR(s);
}

struct store *store_free(struct store *s)
{
        if (!s)
                return NULL;
        if (s->db)
                sqlite3_close_v2(s->db);
        if (s->root_fd >= 0)
                close(s->root_fd);
        if (s->lock_fd >= 0)
                close(s->lock_fd); /* releases the flock */
        free(s->root);
        free(s->id);
        free(s);
        return NULL;
}

char *store_meta_get(struct store *s, const char *key)
{
        sqlite3_stmt *st = NULL;
        char *value = NULL;
        if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = ?", -1, &st, NULL) !=
            SQLITE_OK)
                return NULL;
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
                value = xstrdup((const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
        return value;
}

int store_meta_set(struct store *s, const char *key, const char *value, struct kerr *err)
{
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", -1,
                               &st, NULL) != SQLITE_OK)
                return store_sql_error(s, err, "prepare meta write");
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        return rc == SQLITE_DONE ? 0 : store_sql_error(s, err, "write meta");
}

int store_query_int(struct store *s, const char *sql, int64_t *ret, struct kerr *err)
{
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
                return store_sql_error(s, err, "prepare query");
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
                *ret = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        return rc == SQLITE_ROW ? 0 : store_sql_error(s, err, "run query");
}

int store_tmpfile(struct store *s, struct kerr *err)
{
        int fd = openat(s->root_fd, "tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (fd < 0)
                return kerr_set(err, KERR_INTERNAL, errno, "cannot create a file in '%s/tmp': %s",
                                s->root, strerror(errno));
        return fd;
}

int store_tmpdir(struct store *s, const char *prefix, char **ret_name, struct kerr *err)
{
        _cleanup_close_ int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
        for (int tries = 0; tries < 16; tries++) {
                unsigned char rnd[6];
                if (fd < 0 || read(fd, rnd, sizeof(rnd)) != (ssize_t)sizeof(rnd))
                        return kerr_set(err, KERR_INTERNAL, errno, "cannot read /dev/urandom");
                char *name = xasprintf("tmp/%s-%02x%02x%02x%02x%02x%02x", prefix, rnd[0], rnd[1],
                                       rnd[2], rnd[3], rnd[4], rnd[5]);
                if (mkdirat(s->root_fd, name, 0700) == 0) {
                        *ret_name = name;
                        return 0;
                }
                int e = errno;
                free(name);
                if (e != EEXIST)
                        return kerr_set(err, KERR_INTERNAL, e,
                                        "cannot create a directory in '%s/tmp': %s", s->root,
                                        strerror(e));
        }
        return kerr_set(err, KERR_INTERNAL, EEXIST, "cannot create a directory in '%s/tmp'",
                        s->root);
}
