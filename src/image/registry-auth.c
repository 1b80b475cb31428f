/* registry-auth.c - X-Registry-Auth decoding and WWW-Authenticate parsing. */
#include "registry-auth.h"

#include "base/cleanup.h"
#include "base/json.h"
#include "base/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define AUTH_HEADER_MAX (64 * 1024)

void registry_auth_release(struct registry_auth *a)
{
        free(a->username);
        free(a->password);
        free(a->identity_token);
        free(a->server_address);
        *a = (struct registry_auth){0};
}

bool registry_auth_empty(const struct registry_auth *a)
{
        return !(a->username && a->username[0]) && !(a->identity_token && a->identity_token[0]);
}

/* base64url or base64, padded or not; NULL when it is neither. */
static char *b64_decode(const char *s, size_t *ret_len)
{
        size_t n = strlen(s);
        while (n > 0 && (s[n - 1] == '=' || isspace((unsigned char)s[n - 1])))
                n--;
        _cleanup_free_ char *in = xmalloc(n + 4);
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (c == '-')
                        c = '+';
                else if (c == '_')
                        c = '/';
                else if (!isalnum((unsigned char)c) && c != '+' && c != '/')
                        return NULL;
                in[i] = c;
        }
        if (n % 4 == 1)
                return NULL;
        size_t pad = (4 - n % 4) % 4;
        memset(in + n, '=', pad);
        n += pad;
        in[n] = 0;
        char *out = xmalloc(n / 4 * 3 + 1);
        int len = EVP_DecodeBlock((unsigned char *)out, (unsigned char *)in, (int)n);
        if (len < 0) {
                free(out);
                return NULL;
        }
        len -= (int)pad; /* EVP_DecodeBlock counts padding as zero bytes */
        out[len] = 0;
        *ret_len = (size_t)len;
        return out;
}

static char *dup_field(const json_t *o, const char *key)
{
        const char *s = json_get_str(o, key);
        return s && s[0] ? xstrdup(s) : NULL;
}

static int auth_from_object(const json_t *o, struct registry_auth *ret, struct kerr *err)
{
        if (!json_is_object(o))
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "invalid X-Registry-Auth header: not a JSON object");
        struct registry_auth a = {
            .username = dup_field(o, "username"),
            .password = dup_field(o, "password"),
            .identity_token = dup_field(o, "identitytoken"),
            .server_address = dup_field(o, "serveraddress"),
        };
        /* The legacy "auth" field: base64("user:password"). */
        const char *legacy = json_get_str(o, "auth");
        if (!a.username && legacy && legacy[0]) {
                size_t n;
                _cleanup_free_ char *up = b64_decode(legacy, &n);
                char *colon = up ? strchr(up, ':') : NULL;
                if (colon) {
                        a.username = xstrndup(up, (size_t)(colon - up));
                        a.password = xstrdup(colon + 1);
                }
        }
        *ret = a;
        return 0;
}

int registry_auth_from_json(const char *body, size_t len, struct registry_auth *ret,
                            struct kerr *err)
{
        json_error_t je;
        _cleanup_json_ json_t *o = json_loadb(body, len, 0, &je);
        if (!o)
                return kerr_set(err, KERR_INVALID, EINVAL, "invalid JSON: %s", je.text);
        return auth_from_object(o, ret, err);
}

int registry_auth_decode(const char *header, struct registry_auth *ret, struct kerr *err)
{
        if (!header || !header[0]) {
                *ret = (struct registry_auth){0};
                return 0;
        }
        if (strlen(header) > AUTH_HEADER_MAX)
                return kerr_set(err, KERR_INVALID, E2BIG, "X-Registry-Auth header is too large");
        size_t n;
        _cleanup_free_ char *json = b64_decode(header, &n);
        if (!json)
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "invalid X-Registry-Auth header: not base64url");
        json_error_t je;
        _cleanup_json_ json_t *o = json_loadb(json, n, 0, &je);
        if (!o)
                return kerr_set(err, KERR_INVALID, EINVAL, "invalid X-Registry-Auth header: %s",
                                je.text);
        return auth_from_object(o, ret, err);
}

char *registry_host_of(const char *addr)
{
        const char *s = addr;
        const char *p = strstr(s, "://");
        if (p)
                s = p + 3;
        size_t n = strcspn(s, "/");
        char *host = xstrndup(s, n);
        if (strcmp(host, "index.docker.io") == 0 || strcmp(host, "registry-1.docker.io") == 0 ||
            strcmp(host, "registry.hub.docker.com") == 0 || host[0] == 0) {
                free(host);
                host = xstrdup("docker.io");
        }
        return host;
}

void www_auth_release(struct www_auth *w)
{
        free(w->realm);
        free(w->service);
        free(w->scope);
        free(w->error);
        *w = (struct www_auth){0};
}

/* One auth-param: token "=" ( token / quoted-string ). Advances *s. */
static int next_param(const char **s, char **ret_key, char **ret_val)
{
        const char *p = *s;
        while (*p == ' ' || *p == ',' || *p == '\t')
                p++;
        if (!*p)
                return 0;
        const char *k = p;
        while (*p && *p != '=' && *p != ',' && *p != ' ')
                p++;
        if (*p != '=')
                return -EINVAL;
        size_t klen = (size_t)(p - k);
        p++;
        struct {
                char *d;
                size_t n;
        } v = {xmalloc(strlen(p) + 1), 0};
        if (*p == '"') {
                for (p++; *p && *p != '"'; p++) {
                        if (*p == '\\' && p[1])
                                p++;
                        v.d[v.n++] = *p;
                }
                if (*p != '"') {
                        free(v.d);
                        return -EINVAL;
                }
                p++;
        } else {
                while (*p && *p != ',' && *p != ' ')
                        v.d[v.n++] = *p++;
        }
        v.d[v.n] = 0;
        *ret_key = xstrndup(k, klen);
        *ret_val = v.d;
        *s = p;
        return 1;
}

int www_auth_parse(const char *value, struct www_auth *ret)
{
        struct www_auth w = {0};
        const char *p = value;
        while (*p == ' ')
                p++;
        size_t n = strcspn(p, " ");
        if (n == 5 && strncasecmp(p, "basic", 5) == 0)
                w.scheme = WWW_AUTH_BASIC;
        else if (n == 6 && strncasecmp(p, "bearer", 6) == 0)
                w.scheme = WWW_AUTH_BEARER;
        p += n;
        for (;;) {
                char *k = NULL, *v = NULL;
                int r = next_param(&p, &k, &v);
                if (r < 0) {
                        www_auth_release(&w);
                        return r;
                }
                if (r == 0)
                        break;
                char **dst = strcasecmp(k, "realm") == 0     ? &w.realm
                             : strcasecmp(k, "service") == 0 ? &w.service
                             : strcasecmp(k, "scope") == 0   ? &w.scope
                             : strcasecmp(k, "error") == 0   ? &w.error
                                                             : NULL;
                free(k);
                if (dst) {
                        free(*dst);
                        *dst = v;
                } else {
                        free(v);
                }
        }
        if (w.scheme == WWW_AUTH_BEARER && !(w.realm && w.realm[0])) {
                www_auth_release(&w);
                return -EINVAL;
        }
        *ret = w;
        return 0;
}
