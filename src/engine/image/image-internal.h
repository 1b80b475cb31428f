/* image-internal.h - what the engine's image files share: SQL helpers,
 * chain IDs and the on-disk layer layout (layers/<hex>/diff + complete). */
#pragma once

#include "engine/engine.h"
#include "image.h"

#include "base/cleanup.h"
#include "image/digest.h"
#include "store/store.h"

#include <sqlite3.h>

DEFINE_CLEANUP(sqlite3_stmt *, sqlite3_finalize)
#define _cleanup_stmt_ _cleanup_(sqlite3_finalizep)

#define LAYER_COMPLETE "complete"

/* Prepares sql on the engine's database; NULL with err set on failure. */
sqlite3_stmt *image_sql(struct engine *e, const char *sql, struct kerr *err);
int image_sql_exec(struct engine *e, const char *sql, struct kerr *err);

/* ChainID(L0..Ln) = sha256(ChainID(L0..Ln-1) + " " + DiffID(Ln)). */
void image_chain_next(const char *parent, const char *diff_id, char out[DIGEST_STR_LEN + 1]);

/* Whether layers/<hex of chain>/complete exists. */
bool image_layer_present(struct engine *e, const char *chain);

/* Drops the records of layers no image references; appends {"Deleted":
 * chain} to deleted (may be NULL), adds freed bytes to *reclaimed and
 * appends the files that became garbage (paths under the data root) to
 * doomed. Nothing is removed from disk here: the caller calls
 * image_doomed_remove only after its transaction committed, so a rolled
 * back delete never loses files its records still name. */
int image_gc(struct engine *e, json_t *deleted, int64_t *reclaimed, json_t *doomed,
             struct kerr *err);
/* Removes the doomed paths (layer directories: completion mark first). */
void image_doomed_remove(struct engine *e, json_t *doomed);

/* Every ref (full strings) of image id, as a JSON array. */
json_t *image_refs_of(struct engine *e, const char *id);
/* Points ref at id; *ret_old gets the image it moves from (or ""). */
int image_ref_set(struct engine *e, const char *ref, const char *id, char ret_old[72],
                  struct kerr *err);

/* docker import's use of load's two phases: fd is the layer (any
 * compression); make_config(diff_id, cls) returns the config JSON (new
 * string); tag (full reference) may be NULL. */
int image_import_commit(struct engine *e, int fd, char *(*make_config)(const char *, void *),
                        void *cls, const char *tag, char ret_id[72], struct kerr *err);
