/* fuzz-filters: the `filters` query parameter (src/base/filters.c) in both
 * JSON shapes, then every query the list and prune endpoints make of it:
 * the matchers (regexps from the request included), prune's labels and
 * until, and the container list's keys (engine/container/container-filter.c). */
#include "fuzz.h"

#include "base/filters.h"
#include "engine/container/container-filter.h"

#include <jansson.h>

static void query_all(const struct filters *f, const char *const *keys, const json_t *labels)
{
        static const char *const sources[] = {"/web", "web", "sha256:aaa", "running", ""};
        for (size_t k = 0; keys[k]; k++) {
                size_t n = filters_count(f, keys[k]);
                for (size_t i = 0; i <= n; i++)
                        (void)filters_get(f, keys[k], i);
                int b;
                struct kerr err = {0};
                (void)filters_bool(f, keys[k], &b, &err);
                (void)filters_match_labels(f, keys[k], labels);
                (void)filters_match_labels(f, keys[k], NULL);
                for (size_t s = 0; s < sizeof(sources) / sizeof(sources[0]); s++) {
                        (void)filters_exact(f, keys[k], sources[s]);
                        (void)filters_match(f, keys[k], sources[s]);
                        (void)filters_prefix(f, keys[k], sources[s]);
                }
        }
        int64_t t;
        struct kerr err = {0};
        (void)filters_time(f, "until", 1700000000000000000LL, &t, &err);
        (void)filters_match_prune_labels(f, labels);
}

/* The container list's own parse and match, on a fixed container. */
static void container_keys(const char *s, json_t *labels)
{
        struct container_filter cf;
        struct kerr err = {0};
        if (container_filter_parse(s, &cf, &err) < 0)
                return;
        static const char *const ids[] = {"abc123", "abd456"};
        container_filter_resolve_ids(&cf, ids, 2);
        json_t *config = json_pack("{sO s{s{}}}", "Labels", labels, "ExposedPorts", "80/tcp");
        json_t *hc = json_pack("{ss s[s]}", "NetworkMode", "host", "Binds", "/srv:/data:ro");
        struct container_view v = {"abc123", "web", "sha256:aaa", "exited", false,
                                   true,     3,     config,       hc};
        (void)container_filter_match(&cf, &v);
        (void)container_filter_wants_stopped(&cf);
        json_decref(config);
        json_decref(hc);
        container_filter_release(&cf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > 16384)
                return 0;
        static const char *const keys[] = {"id",       "name",      "label",  "label!", "status",
                                           "exited",   "ancestor",  "before", "since",  "until",
                                           "dangling", "reference", NULL};
        char *s = fuzz_strndup(data, size);
        json_t *labels = json_pack("{s:s, s:s, s:s}", "a", "b", "keep", "1", "", "");
        struct filters f;
        struct kerr err = {0};
        if (filters_parse(s, keys, &f, &err) == 0) {
                query_all(&f, keys, labels);
                filters_release(&f);
        }
        container_keys(s, labels);
        json_decref(labels);
        free(s);
        return 0;
}
