/* registry-auth.h - credentials and challenges of the registry protocol.
 *
 * X-Registry-Auth (what clients send the daemon) is base64url JSON
 * {"username","password","serveraddress"} or {"identitytoken"}; the
 * registry answers 401 with a WWW-Authenticate challenge, Basic or
 * Bearer realm="…",service="…",scope="…" (RFC 7235 auth-params). */
#pragma once

#include "base/err.h"

#include <stdbool.h>
#include <stddef.h>

struct registry_auth {
        char *username, *password; /* NULL when absent */
        char *identity_token;      /* OAuth refresh token from a previous login */
        char *server_address;      /* as the client gave it, or NULL */
};

/* Decodes an X-Registry-Auth header (padded or unpadded base64url, or
 * plain base64). NULL, "" and "{}" give empty credentials. A header that
 * is not base64 of a JSON object is KERR_INVALID. */
int registry_auth_decode(const char *header, struct registry_auth *ret, struct kerr *err);
/* Builds credentials from a POST /auth body (the same JSON, not encoded). */
int registry_auth_from_json(const char *body, size_t len, struct registry_auth *ret,
                            struct kerr *err);
void registry_auth_release(struct registry_auth *a);
bool registry_auth_empty(const struct registry_auth *a);

/* "https://index.docker.io/v1/" -> "docker.io", "http://h:5000/x" ->
 * "h:5000", "h:5000" -> "h:5000". New string. */
char *registry_host_of(const char *server_address);

enum www_auth_scheme {
        WWW_AUTH_NONE = 0,
        WWW_AUTH_BASIC,
        WWW_AUTH_BEARER,
};

struct www_auth {
        enum www_auth_scheme scheme;
        char *realm, *service, *scope, *error;
};

/* Parses one WWW-Authenticate value. Unknown schemes give WWW_AUTH_NONE;
 * returns -EINVAL for a malformed value (unterminated quote, missing
 * realm for Bearer). */
int www_auth_parse(const char *value, struct www_auth *ret);
void www_auth_release(struct www_auth *w);
