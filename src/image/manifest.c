/* manifest.c - manifest and index parsing, platform selection. */
#include "manifest.h"

#include "base/cleanup.h"
#include "base/json.h"
#include "base/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

void manifest_release(struct manifest *m)
{
        free(m->descs);
        *m = (struct manifest){0};
}

static int parse_desc(const json_t *o, struct manifest_desc *d, struct kerr *err)
{
        const char *dig = json_get_str(o, "digest");
        json_t *size = json_object_get(o, "size");
        if (!dig || !digest_valid(dig))
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "manifest has a descriptor without a valid sha256 digest");
        if (!json_is_integer(size) || json_integer_value(size) < 0)
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "manifest descriptor %s has no valid size", dig);
        memcpy(d->digest, dig, sizeof(d->digest));
        d->size = json_integer_value(size);
        snprintf(d->media_type, sizeof(d->media_type), "%s",
                 json_get_str(o, "mediaType") ? json_get_str(o, "mediaType") : "");
        const json_t *p = json_object_get(o, "platform");
        if (json_is_object(p)) {
                const char *os = json_get_str(p, "os"), *arch = json_get_str(p, "architecture"),
                           *var = json_get_str(p, "variant");
                snprintf(d->platform.os, sizeof(d->platform.os), "%s", os ? os : "");
                snprintf(d->platform.arch, sizeof(d->platform.arch), "%s", arch ? arch : "");
                snprintf(d->platform.variant, sizeof(d->platform.variant), "%s", var ? var : "");
        }
        return 0;
}

static int parse_descs(const json_t *arr, struct manifest *m, struct kerr *err)
{
        if (!json_is_array(arr))
                return kerr_set(err, KERR_INVALID, EINVAL, "manifest has no layer list");
        size_t n = json_array_size(arr);
        if (n > MANIFEST_LAYERS_MAX)
                return kerr_set(err, KERR_INVALID, E2BIG, "manifest lists %zu entries (at most %d)",
                                n, MANIFEST_LAYERS_MAX);
        m->descs = xzalloc((n + 1) * sizeof(*m->descs));
        m->ndescs = n;
        for (size_t i = 0; i < n; i++) {
                int r = parse_desc(json_array_get(arr, i), &m->descs[i], err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool is_index_type(const char *t)
{
        return t && (strcmp(t, MT_DOCKER_LIST) == 0 || strcmp(t, MT_OCI_INDEX) == 0);
}

int manifest_parse(const char *media_type, const char *body, size_t len, struct manifest *ret,
                   struct kerr *err)
{
        if (len > MANIFEST_SIZE_MAX)
                return kerr_set(err, KERR_INVALID, E2BIG,
                                "manifest is %zu bytes, more than the %d byte limit", len,
                                MANIFEST_SIZE_MAX);
        json_error_t je;
        _cleanup_json_ json_t *o = json_loadb(body, len, 0, &je);
        if (!json_is_object(o))
                return kerr_set(err, KERR_INVALID, EINVAL, "invalid manifest: %s",
                                o ? "not a JSON object" : je.text);
        json_t *sv = json_object_get(o, "schemaVersion");
        const char *bt = json_get_str(o, "mediaType");
        const char *t = bt ? bt : media_type;
        if ((json_is_integer(sv) && json_integer_value(sv) == 1) ||
            (t && (strcmp(t, MT_SCHEMA1) == 0 || strcmp(t, MT_SCHEMA1_SIGNED) == 0)))
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "support for Docker Image Format v1 (schema1 manifests) has "
                                "been removed; the image must be pushed again in a newer format");
        if (!json_is_integer(sv) || json_integer_value(sv) != 2)
                return kerr_set(err, KERR_INVALID, EINVAL, "unsupported manifest schemaVersion");
        struct manifest m = {0};
        int r;
        if (is_index_type(t) ||
            (!json_object_get(o, "layers") && json_object_get(o, "manifests"))) {
                m.kind = MANIFEST_INDEX;
                r = parse_descs(json_object_get(o, "manifests"), &m, err);
        } else {
                m.kind = MANIFEST_IMAGE;
                const json_t *cfg = json_object_get(o, "config");
                r = json_is_object(cfg)
                        ? parse_desc(cfg, &m.config, err)
                        : kerr_set(err, KERR_INVALID, EINVAL, "manifest has no config descriptor");
                if (r == 0)
                        r = parse_descs(json_object_get(o, "layers"), &m, err);
        }
        if (r < 0) {
                manifest_release(&m);
                return r;
        }
        *ret = m;
        return 0;
}

static void set_field(char *dst, size_t size, const char *s, size_t n)
{
        snprintf(dst, size, "%.*s", (int)n, s);
}

/* Go's GOARCH names, as Docker reports them. */
static const char *arch_of_machine(const char *m, const char **ret_variant)
{
        *ret_variant = "";
        if (strcmp(m, "x86_64") == 0)
                return "amd64";
        if (strcmp(m, "aarch64") == 0) {
                *ret_variant = "v8";
                return "arm64";
        }
        if (strncmp(m, "armv7", 5) == 0) {
                *ret_variant = "v7";
                return "arm";
        }
        if (strncmp(m, "armv6", 5) == 0) {
                *ret_variant = "v6";
                return "arm";
        }
        if (strcmp(m, "i686") == 0 || strcmp(m, "i386") == 0)
                return "386";
        return m;
}

void platform_host(struct platform *ret)
{
        struct utsname u;
        *ret = (struct platform){0};
        snprintf(ret->os, sizeof(ret->os), "linux");
        if (uname(&u) < 0)
                snprintf(u.machine, sizeof(u.machine), "x86_64");
        const char *variant;
        const char *arch = arch_of_machine(u.machine, &variant);
        snprintf(ret->arch, sizeof(ret->arch), "%.31s", arch); /* Go names: short */
        snprintf(ret->variant, sizeof(ret->variant), "%s", variant);
}

int platform_parse(const char *s, struct platform *ret, struct kerr *err)
{
        if (!s || !s[0]) {
                platform_host(ret);
                return 0;
        }
        struct platform p = {0};
        const char *parts[3] = {0};
        size_t lens[3] = {0}, n = 0;
        for (const char *q = s;; q++) {
                if (n == 3)
                        return kerr_set(err, KERR_INVALID, EINVAL, "invalid platform '%s'", s);
                size_t l = strcspn(q, "/");
                if (l == 0)
                        return kerr_set(err, KERR_INVALID, EINVAL, "invalid platform '%s'", s);
                parts[n] = q;
                lens[n++] = l;
                q += l;
                if (!*q)
                        break;
        }
        if (n == 1) { /* "arm64": an architecture on linux */
                snprintf(p.os, sizeof(p.os), "linux");
                set_field(p.arch, sizeof(p.arch), parts[0], lens[0]);
        } else {
                set_field(p.os, sizeof(p.os), parts[0], lens[0]);
                set_field(p.arch, sizeof(p.arch), parts[1], lens[1]);
                if (n == 3)
                        set_field(p.variant, sizeof(p.variant), parts[2], lens[2]);
        }
        if (strcmp(p.arch, "aarch64") == 0)
                snprintf(p.arch, sizeof(p.arch), "arm64");
        if (strcmp(p.arch, "x86_64") == 0)
                snprintf(p.arch, sizeof(p.arch), "amd64");
        *ret = p;
        return 0;
}

const char *platform_string(const struct platform *p, char *buf, size_t size)
{
        snprintf(buf, size, "%s/%s%s%s", p->os, p->arch, p->variant[0] ? "/" : "", p->variant);
        return buf;
}

const struct manifest_desc *manifest_select(const struct manifest *index,
                                            const struct platform *want, struct kerr *err)
{
        const struct manifest_desc *best = NULL;
        for (size_t i = 0; i < index->ndescs; i++) {
                const struct manifest_desc *d = &index->descs[i];
                const struct platform *p = &d->platform;
                if (strcmp(p->os, want->os) != 0 || strcmp(p->arch, want->arch) != 0)
                        continue;
                bool exact = strcmp(p->variant, want->variant) == 0;
                if (exact)
                        return d;
                /* A variant the index leaves out matches any; an asked-for
                 * one that differs does not, except the host default. */
                if (!best && (!p->variant[0] || !want->variant[0]))
                        best = d;
        }
        if (!best) {
                char buf[96];
                kerr_set(err, KERR_NOT_FOUND, ENOENT,
                         "no matching manifest for %s in the manifest list entries",
                         platform_string(want, buf, sizeof(buf)));
        }
        return best;
}
