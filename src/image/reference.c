#include "reference.h"

#include "digest.h"

#include "base/cleanup.h"
#include "base/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bool is_lower_alnum(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* path-component: [a-z0-9]+ ((\.|_|__|-+)[a-z0-9]+)* */
static bool path_component_valid(const char *s, size_t n)
{
        size_t i = 0;
        if (n == 0 || !is_lower_alnum(s[0]))
                return false;
        while (i < n) {
                while (i < n && is_lower_alnum(s[i]))
                        i++;
                if (i == n)
                        return true;
                size_t sep = i;
                if (s[i] == '.')
                        i++;
                else if (s[i] == '_')
                        i += (i + 1 < n && s[i + 1] == '_') ? 2 : 1;
                else
                        while (i < n && s[i] == '-')
                                i++;
                if (i == sep || i == n || !is_lower_alnum(s[i]))
                        return false;
        }
        return true;
}

/* domain: components of [A-Za-z0-9-] (no leading/trailing '-') joined by
 * '.', then an optional :port. */
static bool domain_valid(const char *s, size_t n)
{
        const char *colon = memchr(s, ':', n);
        size_t host = colon ? (size_t)(colon - s) : n;
        if (host == 0)
                return false;
        for (size_t i = 0; i < host;) {
                size_t start = i;
                while (i < host && (isalnum((unsigned char)s[i]) || s[i] == '-'))
                        i++;
                if (i == start || s[start] == '-' || s[i - 1] == '-')
                        return false;
                if (i < host && s[i++] != '.')
                        return false;
                if (i == host && s[i - 1] == '.')
                        return false;
        }
        if (colon) {
                if (host + 1 == n)
                        return false;
                for (size_t i = host + 1; i < n; i++)
                        if (!isdigit((unsigned char)s[i]))
                                return false;
        }
        return true;
}

bool image_ref_tag_valid(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n > 128 || !(isalnum((unsigned char)s[0]) || s[0] == '_'))
                return false;
        for (size_t i = 1; i < n; i++)
                if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '.' || s[i] == '-'))
                        return false;
        return true;
}

static int bad(struct kerr *err, const char *what)
{
        return kerr_set(err, KERR_INVALID, EINVAL, "invalid reference format%s%s", what ? ": " : "",
                        what ? what : "");
}

/* Splits off "@digest" and ":tag" (a ':' after the last '/'). */
static int split_tag_digest(char *s, char **ret_tag, char **ret_digest, struct kerr *err)
{
        char *at = strchr(s, '@');
        *ret_digest = NULL;
        *ret_tag = NULL;
        if (at) {
                *at = 0;
                if (!digest_valid(at + 1))
                        return bad(err, NULL);
                *ret_digest = at + 1;
        }
        char *slash = strrchr(s, '/');
        char *colon = strrchr(slash ? slash : s, ':');
        if (colon) {
                *colon = 0;
                if (!image_ref_tag_valid(colon + 1))
                        return bad(err, NULL);
                *ret_tag = colon + 1;
        }
        return 0;
}

/* Docker's splitDockerDomain: the first component is a registry only when it
 * looks like a host name (has '.' or ':', is "localhost", or has capitals). */
static void split_domain(const char *name, const char **ret_domain, size_t *ret_dlen,
                         const char **ret_rest)
{
        const char *slash = strchr(name, '/');
        if (slash) {
                size_t n = (size_t)(slash - name);
                bool host = memchr(name, '.', n) || memchr(name, ':', n) ||
                            (n == 9 && memcmp(name, "localhost", 9) == 0);
                for (size_t i = 0; i < n && !host; i++)
                        host = isupper((unsigned char)name[i]);
                if (host) {
                        *ret_domain = name;
                        *ret_dlen = n;
                        *ret_rest = slash + 1;
                        return;
                }
        }
        *ret_domain = IMAGE_REF_DEFAULT_DOMAIN;
        *ret_dlen = strlen(IMAGE_REF_DEFAULT_DOMAIN);
        *ret_rest = name;
}

/* official: the name gets "library/" in front, which Docker's message
 * shows ("repository name (library/Busybox) must be lowercase"). */
static int check_path(const char *rest, bool official, struct kerr *err)
{
        for (const char *p = rest; *p;) {
                size_t n = strcspn(p, "/");
                if (!path_component_valid(p, n)) {
                        for (size_t i = 0; i < n; i++)
                                if (isupper((unsigned char)p[i])) {
                                        char msg[300];
                                        snprintf(msg, sizeof(msg),
                                                 "repository name (%s%s) must be lowercase",
                                                 official ? "library/" : "", rest);
                                        return bad(err, msg);
                                }
                        return bad(err, NULL);
                }
                p += n;
                if (*p == '/' && !*++p)
                        return bad(err, NULL);
        }
        return 0;
}

int image_ref_parse(const char *s, enum image_ref_flags flags, struct image_ref *ret,
                    struct kerr *err)
{
        if (digest_hex_valid(s, strlen(s)))
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "invalid repository name (%s), cannot specify 64-byte hexadecimal "
                                "strings",
                                s);
        if (!*s)
                return bad(err, NULL);
        _cleanup_free_ char *copy = xstrdup(s);
        char *tag, *digest;
        int r = split_tag_digest(copy, &tag, &digest, err);
        if (r < 0)
                return r;
        if ((flags & IMAGE_REF_NAME_ONLY) && (tag || digest))
                return bad(err, NULL);
        const char *domain, *rest;
        size_t dlen;
        split_domain(copy, &domain, &dlen, &rest);
        if (!domain_valid(domain, dlen) || !*rest)
                return bad(err, NULL);
        struct image_ref ref = {0};
        ref.domain = xstrndup(domain, dlen);
        if (strcmp(ref.domain, "index.docker.io") == 0) {
                free(ref.domain);
                ref.domain = xstrdup(IMAGE_REF_DEFAULT_DOMAIN);
        }
        bool official = strcmp(ref.domain, IMAGE_REF_DEFAULT_DOMAIN) == 0 && !strchr(rest, '/');
        r = check_path(rest, official, err);
        if (r < 0) {
                image_ref_release(&ref);
                return r;
        }
        ref.path = official ? xasprintf("library/%s", rest) : xstrdup(rest);
        ref.tag = tag ? xstrdup(tag) : NULL;
        ref.digest = digest ? xstrdup(digest) : NULL;
        if (!ref.tag && !ref.digest && (flags & IMAGE_REF_DEFAULT_TAG))
                ref.tag = xstrdup("latest");
        if (strlen(ref.domain) + 1 + strlen(ref.path) > IMAGE_REF_NAME_MAX) {
                image_ref_release(&ref);
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "invalid reference format: repository name must not be more than "
                                "%d characters",
                                IMAGE_REF_NAME_MAX);
        }
        *ret = ref;
        return 0;
}

void image_ref_release(struct image_ref *r)
{
        free(r->domain);
        free(r->path);
        free(r->tag);
        free(r->digest);
        *r = (struct image_ref){0};
}

char *image_ref_name(const struct image_ref *r)
{
        return xasprintf("%s/%s", r->domain, r->path);
}

static char *with_suffixes(const struct image_ref *r, const char *name)
{
        return xasprintf("%s%s%s%s%s", name, r->tag ? ":" : "", r->tag ? r->tag : "",
                         r->digest ? "@" : "", r->digest ? r->digest : "");
}

char *image_ref_string(const struct image_ref *r)
{
        _cleanup_free_ char *name = image_ref_name(r);
        return with_suffixes(r, name);
}

char *image_ref_familiar(const struct image_ref *r)
{
        _cleanup_free_ char *name = NULL;
        if (strcmp(r->domain, IMAGE_REF_DEFAULT_DOMAIN) != 0)
                name = image_ref_name(r);
        else if (strncmp(r->path, "library/", 8) == 0 && !strchr(r->path + 8, '/'))
                name = xstrdup(r->path + 8);
        else
                name = xstrdup(r->path);
        return with_suffixes(r, name);
}

char *image_ref_familiar_of(const char *s)
{
        struct image_ref r;
        if (image_ref_parse(s, 0, &r, NULL) < 0)
                return xstrdup(s);
        char *f = image_ref_familiar(&r);
        image_ref_release(&r);
        return f;
}
