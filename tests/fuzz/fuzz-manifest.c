/* fuzz-manifest: manifests and indexes as a registry serves them
 * (src/image/manifest.c). The first byte picks the Content-Type the
 * registry claims; an index is then asked for a platform, and the rest of
 * the input after a NUL (if any) is also parsed as a --platform string. */
#include "fuzz.h"

#include "image/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const types[] = {
            NULL,
            "",
            "application/json",
            MT_DOCKER_MANIFEST,
            MT_DOCKER_LIST,
            MT_OCI_MANIFEST,
            MT_OCI_INDEX,
            MT_SCHEMA1,
            MT_SCHEMA1_SIGNED,
        };
        if (size < 1 || size > MANIFEST_SIZE_MAX)
                return 0;
        const char *mt = types[data[0] % (sizeof(types) / sizeof(types[0]))];
        data++, size--;
        /* manifest_parse takes a length: the body need not be terminated. */
        uint8_t *body = malloc(size ? size : 1);
        memcpy(body, data, size);
        struct manifest m;
        struct kerr err = {0};
        if (manifest_parse(mt, (const char *)body, size, &m, &err) == 0) {
                struct platform want;
                platform_host(&want);
                struct kerr serr = {0};
                if (m.kind == MANIFEST_INDEX)
                        (void)manifest_select(&m, &want, &serr);
                manifest_release(&m);
        }
        free(body);
        const uint8_t *nul = memchr(data, 0, size);
        if (nul) {
                char *p = fuzz_strndup(nul + 1, size - (size_t)(nul + 1 - data));
                struct platform pl;
                struct kerr perr = {0};
                if (platform_parse(p, &pl, &perr) == 0) {
                        char buf[96];
                        (void)platform_string(&pl, buf, sizeof(buf));
                }
                free(p);
        }
        return 0;
}
