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
    /* Config documents are the Docker JSON a client sent, merged with
     * the image; state columns mirror inspect's State. Times in ns. */
    "CREATE TABLE containers (id TEXT PRIMARY KEY, name TEXT UNIQUE NOT NULL,"
    "  image_id TEXT NOT NULL DEFAULT '', image_ref TEXT NOT NULL DEFAULT '',"
    "  created INTEGER NOT NULL DEFAULT 0, state TEXT NOT NULL DEFAULT 'created',"
    "  pid INTEGER NOT NULL DEFAULT 0, exit_code INTEGER NOT NULL DEFAULT 0,"
    "  error TEXT NOT NULL DEFAULT '', oom_killed INTEGER NOT NULL DEFAULT 0,"
    "  started_at INTEGER NOT NULL DEFAULT 0, finished_at INTEGER NOT NULL DEFAULT 0,"
    "  restart_count INTEGER NOT NULL DEFAULT 0, has_been_started INTEGER NOT NULL DEFAULT 0,"
    "  shim_pid INTEGER NOT NULL DEFAULT 0, config TEXT NOT NULL DEFAULT '{}',"
    "  host_config TEXT NOT NULL DEFAULT '{}', networking TEXT NOT NULL DEFAULT '{}');",
    /* 2: the image store. images.id is the config digest; layers are
     * per chain ID (layers/<hex>/diff on disk); refs are tags and
     * digests ("docker.io/library/busybox:latest"). */
    "DROP TABLE images;"
    "CREATE TABLE images (id TEXT PRIMARY KEY, created INTEGER NOT NULL DEFAULT 0,"
    "  size INTEGER NOT NULL DEFAULT 0, config TEXT NOT NULL DEFAULT '{}',"
    "  parent TEXT NOT NULL DEFAULT '', added INTEGER NOT NULL DEFAULT 0,"
    "  last_tag_time INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE layers (chain_id TEXT PRIMARY KEY, diff_id TEXT NOT NULL,"
    "  blob TEXT NOT NULL, blob_size INTEGER NOT NULL, size INTEGER NOT NULL);"
    "CREATE TABLE image_layers (image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,"
    "  idx INTEGER NOT NULL, chain_id TEXT NOT NULL REFERENCES layers(chain_id),"
    "  PRIMARY KEY (image_id, idx));"
    "CREATE INDEX image_layers_chain ON image_layers(chain_id);"
    "CREATE TABLE image_refs (ref TEXT PRIMARY KEY,"
    "  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE);"
    "CREATE INDEX image_refs_image ON image_refs(image_id);",
    /* 3: what pushes compressed: the blob (gzip) a layer stored as a
     * plain tar became, by diff ID, per registry and repository, so a
     * second push HEADs it ("Layer already exists") or mounts it
     * instead of compressing and uploading again (dockerd's
     * V2Metadata). Rows outlive the layer: re-loading it reuses them. */
    "CREATE TABLE pushed_layers (diff_id TEXT NOT NULL, registry TEXT NOT NULL,"
    "  repo TEXT NOT NULL, digest TEXT NOT NULL, size INTEGER NOT NULL,"
    "  media_type TEXT NOT NULL, PRIMARY KEY (diff_id, registry, repo));",
    /* 4: who a running container's pids are (engine/container/
     * container-pid.c): the boot they ran in and their start times
     * (/proc/PID/stat field 22). A pid from another boot or with
     * another start time is some other process and is never signalled. */
    "ALTER TABLE containers ADD COLUMN boot_id TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE containers ADD COLUMN shim_start INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE containers ADD COLUMN pid_start INTEGER NOT NULL DEFAULT 0;",
};

int store_migrations_count(void)
{
        return (int)(sizeof(steps) / sizeof(steps[0]));
}

const char *store_migration_sql(int version)
{
        return version >= 1 && version <= store_migrations_count() ? steps[version - 1] : NULL;
}
