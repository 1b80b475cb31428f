/* fuzz-filters: the `filters` query parameter (src/base/filters.c) in both
 * JSON shapes, then every query the list and prune endpoints make of it. */
#include "fuzz.h"

#include "base/filters.h"

#include <jansson.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > 16384)
                return 0;
        static const char *const keys[] = {"id", "name", "label", "label!", "status", "exited",
                                           "ancestor", "before", "since", "until", "dangling",
                                           "reference", NULL};
        char *s = fuzz_strndup(data, size);
        struct filters f;
        struct kerr err = {0};
        if (filters_parse(s, keys, &f, &err) == 0) {
                json_t *labels = json_pack("{s:s, s:s, s:s}", "a", "b", "keep", "1", "", "");
                for (size_t k = 0; keys[k]; k++) {
                        size_t n = filters_count(&f, keys[k]);
                        for (size_t i = 0; i <= n; i++)
                                (void)filters_get(&f, keys[k], i);
                        int b;
                        struct kerr berr = {0};
                        (void)filters_bool(&f, keys[k], &b, &berr);
                        (void)filters_match_labels(&f, keys[k], labels);
                        (void)filters_match_labels(&f, keys[k], NULL);
                }
                json_decref(labels);
                filters_release(&f);
        }
        free(s);
        return 0;
}
