/* container-image.c - what a container needs from its image: the ID, the
 * image's config (for merging at create) and the layer directories its
 * overlay root stacks (at start). */
#include "container-internal.h"
#include "image-internal.h"

#include "base/buf.h"
#include "base/json.h"
#include "base/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void container_image_release(struct container_image *img)
{
        free(img->id);
        json_decref(img->config);
        free(img->lowerdirs);
        *img = (struct container_image){0};
}

int engine_container_image_resolve(struct engine *e, const char *ref, struct container_image *ret,
                                   struct kerr *err)
{
        _cleanup_json_ json_t *inspect = engine_image_inspect(e, ref, err);
        if (!inspect)
                return -ENOENT;
        const char *id = json_get_str(inspect, "Id");
        json_t *layers = json_object_get(json_object_get(inspect, "RootFS"), "Layers");
        if (!id)
                return kerr_set(err, KERR_INTERNAL, EINVAL, "image '%s' has no ID", ref);
        /* Chain IDs bottom-up; overlayfs wants the topmost lowerdir first. */
        size_t n = json_array_size(layers);
        char(*chains)[DIGEST_STR_LEN + 1] = xzalloc((n ? n : 1) * sizeof(*chains));
        for (size_t i = 0; i < n; i++) {
                const char *diff = json_string_value(json_array_get(layers, i));
                if (!diff) {
                        free(chains);
                        return kerr_set(err, KERR_INTERNAL, EINVAL, "image '%s': bad RootFS", ref);
                }
                if (i == 0)
                        snprintf(chains[0], sizeof(chains[0]), "%s", diff);
                else
                        image_chain_next(chains[i - 1], diff, chains[i]);
        }
        struct buf dirs;
        buf_init(&dirs, 0);
        for (size_t i = n; i-- > 0;)
                buf_appendf(&dirs, "%s%s/layers/%s/diff", dirs.len ? ":" : "", e->data_root,
                            chains[i] + strlen("sha256:"));
        free(chains);
        json_t *config = json_object_get(inspect, "Config");
        ret->id = xstrdup(id);
        ret->config = json_is_object(config) ? json_incref(config) : json_object();
        ret->lowerdirs = buf_steal(&dirs);
        return 0;
}
