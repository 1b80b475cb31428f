/* migrations.c - the database schema, as an append-only list of steps.
 *
 * Step N brings the schema from version N-1 to N (PRAGMA user_version).
 * Never edit a step that has landed; add one. */
#include "store-internal.h"

#include <stddef.h>

static const char *const steps[] = {
        /* 1: engine metadata, image and container records. */
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE images (id TEXT PRIMARY KEY, created INTEGER NOT NULL DEFAULT 0,"
        "  size INTEGER NOT NULL DEFAULT 0);"
        "CREATE TABLE containers (id TEXT PRIMARY KEY, name TEXT UNIQUE NOT NULL,"
        "  state TEXT NOT NULL DEFAULT 'created', created INTEGER NOT NULL DEFAULT 0);",
};

int store_migrations_count(void)
{
        return (int)(sizeof(steps) / sizeof(steps[0]));
}

const char *store_migration_sql(int version)
{
        return version >= 1 && version <= store_migrations_count() ? steps[version - 1] : NULL;
}
