/* store.h - the data root: its directory layout, its lock, and the SQLite
 * metadata database (kedge.db, WAL). See DESIGN.md "Data root". */
#pragma once

#include "base/cleanup.h"
#include "base/err.h"

#include <sqlite3.h>
#include <stdint.h>

struct store {
        char *root;  /* absolute path of the data root */
        int root_fd; /* O_PATH|O_DIRECTORY fd of the data root */
        int lock_fd; /* holds flock(LOCK_EX) on kedge.lock while open */
        sqlite3 *db; /* serialized mode: shared by all threads */
        char *id;    /* stable engine ID of this data root */
};

/* Creates the layout under root (mode 0711), takes the data-root lock (a
 * second daemon fails with KERR_CONFLICT at once), clears tmp/, opens and
 * migrates the database. Returns a new store or NULL with err set. */
struct store *store_open(const char *root, struct kerr *err);
struct store *store_free(struct store *s);

/* Current schema version after migrations. */
int store_schema_version(struct store *s);

/* meta key/value table. store_meta_get returns a new string or NULL. */
char *store_meta_get(struct store *s, const char *key);
int store_meta_set(struct store *s, const char *key, const char *value, struct kerr *err);

/* Runs a query that yields one integer ("SELECT count(*) ..."). */
int store_query_int(struct store *s, const char *sql, int64_t *ret, struct kerr *err);

/* An anonymous file (O_TMPFILE) under tmp/: gone on close or crash, so
 * request bodies and downloads in flight never outlive the daemon. */
int store_tmpfile(struct store *s, struct kerr *err);
/* A fresh directory tmp/<prefix>-XXXXXX; *ret_name is "tmp/..." (new string). */
int store_tmpdir(struct store *s, const char *prefix, char **ret_name, struct kerr *err);

/* A second connection to kedge.db with the shared one's settings. On the
 * shared connection a transaction (BEGIN ... COMMIT/ROLLBACK) one thread
 * runs captures every statement other threads run meanwhile: a ROLLBACK or
 * a crash before COMMIT takes them too. A module that writes outside that
 * transaction's lock uses its own connection; SQLite then serialises the
 * writers (busy timeout) and each transaction holds only its own work. */
int store_connect(struct store *s, sqlite3 **ret, struct kerr *err);

/* Wraps the last SQLite error of s into err. */
int store_sql_error(struct store *s, struct kerr *err, const char *what);

DEFINE_CLEANUP(struct store *, store_free)
