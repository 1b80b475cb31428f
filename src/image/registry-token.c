/* registry-token.c - bearer tokens (distribution's token auth): fetched
 * from the challenge's realm per scope, anonymously or with the
 * credentials (GET with Basic auth, or the OAuth refresh-token POST for an
 * identity token), cached until they expire. */
#include "registry-internal.h"

#include "base/cleanup.h"
#include "base/json.h"
#include "base/xalloc.h"

#include <errno.h>
#include <string.h>

#define TOKEN_BODY_MAX (1024 * 1024)

static char *cached(struct registry *r, const char *scope)
{
        time_t now = time(NULL);
        for (size_t i = 0; i < r->ntokens; i++)
                if (strcmp(r->tokens[i].scope, scope) == 0 && r->tokens[i].expires > now)
                        return xstrdup(r->tokens[i].token);
        return NULL;
}

void reg_token_forget(struct registry *r, const char *scope)
{
        pthread_mutex_lock(&r->lock);
        for (size_t i = 0; i < r->ntokens; i++)
                if (strcmp(r->tokens[i].scope, scope) == 0)
                        r->tokens[i].expires = 0;
        pthread_mutex_unlock(&r->lock);
}

static void store_token(struct registry *r, const char *scope, const char *token, long ttl)
{
        pthread_mutex_lock(&r->lock);
        struct reg_token *t = NULL;
        for (size_t i = 0; i < r->ntokens && !t; i++)
                if (strcmp(r->tokens[i].scope, scope) == 0)
                        t = &r->tokens[i];
        if (!t) {
                r->tokens = xrealloc(r->tokens, (r->ntokens + 1) * sizeof(*r->tokens));
                t = &r->tokens[r->ntokens++];
                *t = (struct reg_token){.scope = xstrdup(scope)};
        }
        free(t->token);
        t->token = xstrdup(token);
        /* A little early, so a token does not expire mid-request. */
        t->expires = time(NULL) + (ttl > 20 ? ttl - 10 : ttl);
        pthread_mutex_unlock(&r->lock);
}

/* "service=…&scope=a&scope=b" (scope: space-separated scopes). */
static char *token_query(const char *service, const char *scope, bool oauth)
{
        struct buf b;
        buf_init(&b, 0);
        CURL *h = curl_easy_init();
        if (service) {
                char *e = curl_easy_escape(h, service, 0);
                buf_appendf(&b, "service=%s", e);
                curl_free(e);
        }
        for (const char *p = scope ? scope : ""; *p;) {
                size_t n = strcspn(p, " ");
                if (n) {
                        char *e = curl_easy_escape(h, p, (int)n);
                        buf_appendf(&b, "%sscope=%s", b.len ? "&" : "", e);
                        curl_free(e);
                }
                p += n + (p[n] == ' ');
        }
        if (oauth)
                buf_appendf(&b, "%sclient_id=kedge&grant_type=refresh_token", b.len ? "&" : "");
        else
                buf_appendf(&b, "%sclient_id=kedge&offline_token=true", b.len ? "&" : "");
        curl_easy_cleanup(h);
        return buf_steal(&b);
}

static int token_request(struct registry *r, const char *scope, struct reg_req *q, struct kerr *err)
{
        pthread_mutex_lock(&r->lock);
        _cleanup_free_ char *realm = xstrdup(r->challenge.realm ? r->challenge.realm : "");
        _cleanup_free_ char *service = r->challenge.service ? xstrdup(r->challenge.service) : NULL;
        pthread_mutex_unlock(&r->lock);
        bool oauth = r->auth.identity_token != NULL;
        _cleanup_free_ char *query = token_query(service, scope, oauth);
        _cleanup_free_ char *form = NULL;
        *q = (struct reg_req){.method = "GET", .body_fd = -1, .resp_max = TOKEN_BODY_MAX};
        if (oauth) {
                CURL *h = curl_easy_init();
                char *e = curl_easy_escape(h, r->auth.identity_token, 0);
                form = xasprintf("%s&refresh_token=%s", query, e);
                curl_free(e);
                curl_easy_cleanup(h);
                q->method = "POST";
                q->url = xstrdup(realm);
                q->body = form;
                q->body_len = strlen(form);
                q->content_type = "application/x-www-form-urlencoded";
        } else {
                q->url = xasprintf("%s%s%s", realm, strchr(realm, '?') ? "&" : "?", query);
                q->basic = r->auth.username != NULL;
        }
        int rr = reg_perform(r, q, err);
        q->body = NULL; /* form is freed here */
        return rr;
}

int reg_token(struct registry *r, const char *scope, char **ret, struct kerr *err)
{
        pthread_mutex_lock(&r->lock);
        char *t = cached(r, scope);
        pthread_mutex_unlock(&r->lock);
        if (t) {
                *ret = t;
                return 0;
        }
        struct reg_req q;
        int rr = token_request(r, scope, &q, err);
        if (rr < 0) {
                reg_req_release(&q);
                return rr;
        }
        if (q.status != 200) {
                rr = reg_status_error(&q, "token request", NULL, err);
                if (q.status == 401 || q.status == 403)
                        err->kind = KERR_UNAUTHORIZED;
                reg_req_release(&q);
                return rr;
        }
        _cleanup_json_ json_t *o = json_loads(q.resp.data ? q.resp.data : "", 0, NULL);
        reg_req_release(&q);
        const char *tok = json_get_str(o, "token");
        if (!tok || !tok[0])
                tok = json_get_str(o, "access_token");
        if (!tok || !tok[0])
                return kerr_set(err, KERR_UNAVAILABLE, EPROTO,
                                "the token server's answer has no token");
        json_t *ttl = json_object_get(o, "expires_in");
        store_token(r, scope, tok, json_is_integer(ttl) ? (long)json_integer_value(ttl) : 60);
        const char *refresh = json_get_str(o, "refresh_token");
        if (refresh) {
                pthread_mutex_lock(&r->lock);
                free(r->refresh_token);
                r->refresh_token = xstrdup(refresh);
                pthread_mutex_unlock(&r->lock);
        }
        *ret = xstrdup(tok);
        return 0;
}
