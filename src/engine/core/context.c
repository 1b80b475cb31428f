/* context.c - what every engine module asks of the engine object: the
 * runtimes found at start and the object counts docker info shows. */
#include "engine/engine.h"

#include "base/fs.h"
#include "base/xalloc.h"
#include "store/store.h"

#include <stdio.h>
#include <string.h>

void engine_runtimes_find(struct engine *e)
{
        /* The built-in runtime is this executable; external OCI runtimes are
         * offered when the host has them. */
        e->runtimes[0].name = "kedge";
        snprintf(e->runtimes[0].path, sizeof(e->runtimes[0].path), "%s", e->self_path);
        e->nruntimes = 1;
        static const char *const external[] = {"runc", "crun", "runsc"};
        for (size_t i = 0; i < ARRAY_SIZE(external) && e->nruntimes < ENGINE_RUNTIMES_MAX; i++) {
                struct engine_runtime *rt = &e->runtimes[e->nruntimes];
                if (fs_find_on_path(external[i], rt->path, sizeof(rt->path))) {
                        rt->name = external[i];
                        e->nruntimes++;
                }
        }
}

const struct engine_runtime *engine_runtime_find(const struct engine *e, const char *name)
{
        if (!name || !name[0])
                return &e->runtimes[0];
        for (int i = 0; i < e->nruntimes; i++)
                if (strcmp(e->runtimes[i].name, name) == 0)
                        return &e->runtimes[i];
        return NULL;
}

int engine_info_get(struct engine *e, struct engine_info *ret, struct kerr *err)
{
        struct engine_info info = {0};
        const struct {
                int64_t *dst;
                const char *sql;
        } counts[] = {
            {&info.containers, "SELECT count(*) FROM containers"},
            {&info.running, "SELECT count(*) FROM containers WHERE state = 'running'"},
            {&info.paused, "SELECT count(*) FROM containers WHERE state = 'paused'"},
            {&info.stopped,
             "SELECT count(*) FROM containers WHERE state NOT IN ('running','paused')"},
            {&info.images, "SELECT count(*) FROM images"},
        };
        for (size_t i = 0; i < ARRAY_SIZE(counts); i++) {
                int r = store_query_int(e->store, counts[i].sql, counts[i].dst, err);
                if (r < 0)
                        return kerr_wrap(err, "count engine objects");
        }
        info.default_runtime = "kedge";
        *ret = info;
        return 0;
}
