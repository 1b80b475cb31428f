/* registry.c - the registry client: transport choice, auth, requests with
 * retries. The operations (manifests, blobs, uploads) are in
 * registry-ops.c. */
#include "registry-internal.h"

#include "base/cleanup.h"
#include "base/json.h"
#include "base/parse.h"
#include "base/xalloc.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TOKEN_BODY_MAX (1024 * 1024)
#define ERROR_BODY_MAX (64 * 1024)
#define RETRIES        3

static void global_init_once(void)
{
        curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* On first use, not at daemon start: initialising libcurl initialises
 * OpenSSL, which costs an idle daemon 2.4 MiB of RSS it may never need.
 * pthread_once keeps it to one thread, as curl_global_init requires. */
void registry_global_init(void)
{
        static pthread_once_t once = PTHREAD_ONCE_INIT;
        pthread_once(&once, global_init_once);
}

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access a, void *cls)
{
        struct registry *r = cls;
        pthread_mutex_lock(&r->share_locks[data % CURL_LOCK_DATA_LAST]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *cls)
{
        struct registry *r = cls;
        pthread_mutex_unlock(&r->share_locks[data % CURL_LOCK_DATA_LAST]);
}

static char *auth_dup(const char *s)
{
        return s ? xstrdup(s) : NULL;
}

/* Whether host (with optional :port) is a loopback address or name. */
static bool host_loopback(const char *host)
{
        _cleanup_free_ char *h = NULL;
        if (host[0] == '[') {
                size_t n = strcspn(host + 1, "]");
                h = xstrndup(host + 1, n);
        } else {
                h = xstrndup(host, strcspn(host, ":"));
        }
        if (strcmp(h, "localhost") == 0 || strcmp(h, "::1") == 0)
                return true;
        struct in_addr a;
        return inet_pton(AF_INET, h, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

/* host matches "host[:port]" exactly, or an IPv4 CIDR holds its address. */
static bool insecure_match(const char *entry, const char *host)
{
        if (strcmp(entry, host) == 0)
                return true;
        const char *slash = strchr(entry, '/');
        if (!slash)
                return false;
        _cleanup_free_ char *net = xstrndup(entry, (size_t)(slash - entry));
        _cleanup_free_ char *h = xstrndup(host, strcspn(host, ":"));
        struct in_addr n, a;
        int64_t bits;
        if (inet_pton(AF_INET, net, &n) != 1 || inet_pton(AF_INET, h, &a) != 1 ||
            parse_int64_range(slash + 1, 0, 32, &bits) < 0)
                return false;
        uint32_t mask = bits == 0 ? 0 : 0xffffffffu << (32 - bits);
        return (ntohl(n.s_addr) & mask) == (ntohl(a.s_addr) & mask);
}

static bool host_insecure(const struct registry_config *cfg, const char *host)
{
        if (host_loopback(host))
                return true;
        for (const char *const *p = cfg->insecure; p && *p; p++)
                if (insecure_match(*p, host))
                        return true;
        return false;
}

static char *certs_file(const char *dir, const char *name)
{
        char *p = xasprintf("%s/%s", dir, name);
        if (access(p, R_OK) == 0)
                return p;
        free(p);
        return NULL;
}

static void find_certs(struct registry *r)
{
        const char *root = r->cfg.certs_dir ? r->cfg.certs_dir : "/etc/kedge/certs.d";
        _cleanup_free_ char *dir = xasprintf("%s/%s", root, r->host);
        struct stat st;
        if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
                return;
        r->has_certs_dir = true;
        r->ca = certs_file(dir, "ca.crt");
        r->cert = certs_file(dir, "client.cert");
        r->key = certs_file(dir, "client.key");
}

struct registry *registry_new(const struct registry_config *cfg, const char *endpoint,
                              const struct registry_auth *auth)
{
        registry_global_init();
        struct registry *r = xnew0(struct registry);
        r->cfg = *cfg;
        const char *sep = strstr(endpoint, "://");
        if (sep) {
                size_t n = strlen(endpoint);
                while (n > 0 && endpoint[n - 1] == '/')
                        n--;
                r->base = xstrndup(endpoint, n);
                r->host = xstrndup(sep + 3, strcspn(sep + 3, "/"));
                r->scheme_fixed = true;
        } else {
                r->host =
                    xstrdup(strcmp(endpoint, "docker.io") == 0 ? "registry-1.docker.io" : endpoint);
        }
        find_certs(r);
        r->insecure = !r->has_certs_dir && host_insecure(cfg, r->host);
        if (auth) {
                r->auth.username = auth_dup(auth->username);
                r->auth.password = auth_dup(auth->password);
                r->auth.identity_token = auth_dup(auth->identity_token);
        }
        pthread_mutex_init(&r->lock, NULL);
        for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
                pthread_mutex_init(&r->share_locks[i], NULL);
        r->share = curl_share_init();
        curl_share_setopt(r->share, CURLSHOPT_LOCKFUNC, share_lock);
        curl_share_setopt(r->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
        curl_share_setopt(r->share, CURLSHOPT_USERDATA, r);
        curl_share_setopt(r->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
        curl_share_setopt(r->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
        curl_share_setopt(r->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
        return r;
}

struct registry *registry_free(struct registry *r)
{
        if (!r)
                return NULL;
        curl_share_cleanup(r->share);
        for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
                pthread_mutex_destroy(&r->share_locks[i]);
        pthread_mutex_destroy(&r->lock);
        for (size_t i = 0; i < r->ntokens; i++) {
                free(r->tokens[i].scope);
                free(r->tokens[i].token);
        }
        free(r->tokens);
        www_auth_release(&r->challenge);
        registry_auth_release(&r->auth);
        free(r->refresh_token);
        free(r->base);
        free(r->host);
        free(r->ca);
        free(r->cert);
        free(r->key);
        free(r);
        return NULL;
}

const char *registry_base_url(struct registry *r)
{
        return r->base ? r->base : r->host;
}

/* --- one HTTP exchange --- */

void reg_req_release(struct reg_req *q)
{
        free(q->url);
        free(q->location);
        free(q->ctype);
        free(q->www);
        free(q->digest_hdr);
        free(q->range);
        buf_release(&q->resp);
}

static char *header_value(const char *line, size_t n, const char *name)
{
        size_t l = strlen(name);
        if (n <= l + 1 || strncasecmp(line, name, l) != 0 || line[l] != ':')
                return NULL;
        const char *v = line + l + 1;
        const char *end = line + n;
        while (v < end && (*v == ' ' || *v == '\t'))
                v++;
        while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
                end--;
        return xstrndup(v, (size_t)(end - v));
}

static void set_hdr(char **dst, char *v)
{
        if (v) {
                free(*dst);
                *dst = v;
        }
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *cls)
{
        struct reg_req *q = cls;
        size_t n = size * nmemb;
        if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
                /* A new response (redirect or retry): forget the last one's. */
                free(q->ctype);
                free(q->www);
                free(q->digest_hdr);
                free(q->range);
                q->ctype = q->www = q->digest_hdr = q->range = NULL;
                q->status_seen = 0;
                q->skip = q->delivered; /* a 200 after a Range request repeats the start */
                return n;
        }
        set_hdr(&q->location, header_value(data, n, "Location"));
        set_hdr(&q->ctype, header_value(data, n, "Content-Type"));
        set_hdr(&q->www, header_value(data, n, "WWW-Authenticate"));
        set_hdr(&q->digest_hdr, header_value(data, n, "Docker-Content-Digest"));
        set_hdr(&q->range, header_value(data, n, "Range"));
        return n;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *cls)
{
        struct reg_req *q = cls;
        size_t n = size * nmemb;
        if (!q->status_seen) {
                curl_easy_getinfo(q->h, CURLINFO_RESPONSE_CODE, &q->status);
                q->status_seen = 1;
                if (q->status == 206)
                        q->skip = 0;
        }
        if (!q->sink || q->status < 200 || q->status >= 300) {
                if (buf_append(&q->resp, data, n) < 0) {
                        q->too_big = true;
                        return 0; /* aborts the transfer */
                }
                return n;
        }
        size_t off = 0;
        if (q->skip > 0) {
                off = (size_t)q->skip < n ? (size_t)q->skip : n;
                q->skip -= (int64_t)off;
        }
        if (off < n) {
                int r = q->sink(q->cls, data + off, n - off);
                if (r < 0) {
                        q->sink_err = r;
                        return 0;
                }
                q->delivered += (int64_t)(n - off);
        }
        return n;
}

static size_t on_read(char *data, size_t size, size_t nmemb, void *cls)
{
        struct reg_req *q = cls;
        if (q->body_fd < 0) {
                size_t n = q->body_len - q->body_off;
                if (n > size * nmemb)
                        n = size * nmemb;
                memcpy(data, (const char *)q->body + q->body_off, n);
                q->body_off += n;
                return n;
        }
        ssize_t n = pread(q->body_fd, data, size * nmemb, (off_t)q->body_off);
        if (n < 0)
                return CURL_READFUNC_ABORT;
        q->body_off += (size_t)n;
        return (size_t)n;
}

static int on_xfer(void *cls, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                   curl_off_t ulnow)
{
        struct reg_req *q = cls;
        if (q->progress && ulnow > 0)
                q->progress(q->pcls, (int64_t)ulnow, q->body_size);
        return 0;
}

static void setup_tls(struct registry *r, CURL *h, bool verify)
{
        if (r->ca)
                curl_easy_setopt(h, CURLOPT_CAINFO, r->ca);
        if (r->cert && r->key) {
                curl_easy_setopt(h, CURLOPT_SSLCERT, r->cert);
                curl_easy_setopt(h, CURLOPT_SSLKEY, r->key);
        }
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, verify ? 1L : 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, verify ? 2L : 0L);
}

static struct curl_slist *build_headers(struct reg_req *q, const char *bearer)
{
        struct curl_slist *l = NULL;
        if (q->accept)
                l = curl_slist_append(l, q->accept);
        if (q->content_type) {
                _cleanup_free_ char *ct = xasprintf("Content-Type: %s", q->content_type);
                l = curl_slist_append(l, ct);
        }
        if (bearer) {
                _cleanup_free_ char *a = xasprintf("Authorization: Bearer %s", bearer);
                l = curl_slist_append(l, a);
        }
        if (q->header)
                l = curl_slist_append(l, q->header);
        /* No "Expect: 100-continue" round trip before uploads. */
        l = curl_slist_append(l, "Expect:");
        return l;
}

static void setup_method(struct reg_req *q, CURL *h)
{
        if (strcmp(q->method, "HEAD") == 0) {
                curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
        } else if (strcmp(q->method, "PUT") == 0 || strcmp(q->method, "PATCH") == 0) {
                curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
                if (q->method[1] == 'A')
                        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PATCH");
                curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
                curl_easy_setopt(h, CURLOPT_READDATA, q);
                curl_easy_setopt(
                    h, CURLOPT_INFILESIZE_LARGE,
                    (curl_off_t)(q->body_fd >= 0 ? (size_t)q->body_size : q->body_len));
        } else if (strcmp(q->method, "POST") == 0) {
                curl_easy_setopt(h, CURLOPT_POST, 1L);
                curl_easy_setopt(h, CURLOPT_POSTFIELDS, q->body ? q->body : "");
                curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)q->body_len);
        } else if (strcmp(q->method, "DELETE") == 0) {
                curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "DELETE");
        }
}

/* One attempt. */
static CURLcode perform_once(struct registry *r, struct reg_req *q, const char *bearer, bool basic,
                             bool verify)
{
        CURL *h = curl_easy_init();
        q->h = h;
        q->status = 0;
        q->status_seen = 0;
        q->body_off = 0;
        buf_release(&q->resp);
        buf_init(&q->resp, q->resp_max ? q->resp_max : ERROR_BODY_MAX);
        curl_easy_setopt(h, CURLOPT_URL, q->url);
        curl_easy_setopt(h, CURLOPT_SHARE, r->share);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
        /* A stalled peer is an error, not a hang: under 1 KB/s for 30 s. */
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 30L);
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, q->no_redirect ? 0L : 1L);
        curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
        curl_easy_setopt(h, CURLOPT_USERAGENT, "kedge (docker/28 compatible)");
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, q);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, q);
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, q->errbuf);
        curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 256L * 1024);
        q->errbuf[0] = 0;
        setup_tls(r, h, verify);
        setup_method(q, h);
        if (q->progress) {
                curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_xfer);
                curl_easy_setopt(h, CURLOPT_XFERINFODATA, q);
                curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        }
        char range[64];
        if (q->sink && q->delivered > 0) {
                snprintf(range, sizeof(range), "%lld-", (long long)q->delivered);
                curl_easy_setopt(h, CURLOPT_RANGE, range);
        }
        if (basic && r->auth.username) {
                curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
                curl_easy_setopt(h, CURLOPT_USERNAME, r->auth.username);
                curl_easy_setopt(h, CURLOPT_PASSWORD, r->auth.password ? r->auth.password : "");
        }
        struct curl_slist *hdrs = build_headers(q, bearer);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
        CURLcode cc = curl_easy_perform(h);
        if (!q->status_seen)
                curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &q->status);
        curl_slist_free_all(hdrs);
        curl_easy_cleanup(h);
        q->h = NULL;
        return cc;
}

static bool transient_cc(CURLcode cc)
{
        return cc == CURLE_RECV_ERROR || cc == CURLE_SEND_ERROR || cc == CURLE_PARTIAL_FILE ||
               cc == CURLE_GOT_NOTHING || cc == CURLE_OPERATION_TIMEDOUT ||
               cc == CURLE_HTTP2_STREAM;
}

static void backoff(int attempt)
{
        struct timespec ts = {0, 200 * 1000 * 1000L << attempt}; /* 0.2, 0.4, 0.8 s */
        nanosleep(&ts, NULL);
}

int reg_transport_error(struct reg_req *q, CURLcode cc, struct kerr *err)
{
        const char *m = q->errbuf[0] ? q->errbuf : curl_easy_strerror(cc);
        if (cc == CURLE_PARTIAL_FILE)
                m = "unexpected EOF";
        /* Go's wording: the method with only its first letter upper-case. */
        char verb[8];
        size_t i = 0;
        for (; q->method[i] && i < sizeof(verb) - 1; i++)
                verb[i] = i ? (char)tolower((unsigned char)q->method[i]) : q->method[i];
        verb[i] = 0;
        return kerr_set(err, KERR_UNAVAILABLE, EIO, "%s \"%s\": %s", verb, q->url, m);
}

/* The Authorization for scope, fetching a token when the registry wants
 * one. *ret_bearer is a new string or NULL. */
static int auth_for(struct registry *r, const char *scope, char **ret_bearer, bool *ret_basic,
                    struct kerr *err)
{
        *ret_bearer = NULL;
        *ret_basic = false;
        pthread_mutex_lock(&r->lock);
        enum www_auth_scheme s = r->challenge.scheme;
        pthread_mutex_unlock(&r->lock);
        if (s == WWW_AUTH_BASIC) {
                *ret_basic = true;
                return 0;
        }
        if (s != WWW_AUTH_BEARER || !scope)
                return 0;
        return reg_token(r, scope, ret_bearer, err);
}

/* Runs q with auth and retries. Returns 0 once an HTTP answer came (any
 * status, in q->status), < 0 on a transport failure. */
int reg_perform(struct registry *r, struct reg_req *q, struct kerr *err)
{
        bool reauthed = false;
        for (int attempt = 0;; attempt++) {
                _cleanup_free_ char *bearer = NULL;
                bool basic;
                int rr = auth_for(r, q->scope, &bearer, &basic, err);
                if (rr < 0)
                        return rr;
                CURLcode cc = perform_once(r, q, bearer, basic || q->basic, r->verify);
                if (q->sink_err < 0)
                        return q->sink_err;
                if (q->too_big)
                        return kerr_set(err, KERR_INVALID, E2BIG,
                                        "response from %s is larger than the %zu byte limit",
                                        q->url, q->resp.max);
                if (cc != CURLE_OK) {
                        if (transient_cc(cc) && attempt < RETRIES && !q->no_retry) {
                                backoff(attempt);
                                continue;
                        }
                        return reg_transport_error(q, cc, err);
                }
                if (q->status == 401 && !reauthed && q->www && q->scope) {
                        /* A new challenge (or an expired token): learn it, retry once. */
                        struct www_auth w;
                        if (www_auth_parse(q->www, &w) == 0) {
                                pthread_mutex_lock(&r->lock);
                                www_auth_release(&r->challenge);
                                r->challenge = w;
                                pthread_mutex_unlock(&r->lock);
                                reg_token_forget(r, q->scope);
                                reauthed = true;
                                if (w.scheme != WWW_AUTH_NONE)
                                        continue;
                        }
                }
                if ((q->status >= 500 || q->status == 429) && attempt < RETRIES && !q->no_retry &&
                    (!q->sink || q->delivered == 0)) {
                        backoff(attempt);
                        continue;
                }
                return 0;
        }
}

/* --- registry error bodies --- */

enum registry_code reg_error_code(const char *code)
{
        if (!code)
                return REG_CODE_OTHER;
        if (strcmp(code, "MANIFEST_UNKNOWN") == 0)
                return REG_CODE_MANIFEST_UNKNOWN;
        if (strcmp(code, "NAME_UNKNOWN") == 0)
                return REG_CODE_NAME_UNKNOWN;
        if (strcmp(code, "DENIED") == 0)
                return REG_CODE_DENIED;
        if (strcmp(code, "UNAUTHORIZED") == 0)
                return REG_CODE_UNAUTHORIZED;
        return REG_CODE_OTHER;
}

/* "manifest unknown: manifest unknown" from {"errors":[{"code","message"}]},
 * else "<what> failed with status: 404 Not Found". */
int reg_status_error(struct reg_req *q, const char *what, enum registry_code *ret_code,
                     struct kerr *err)
{
        enum registry_code code = REG_CODE_OTHER;
        char msg[512] = "";
        _cleanup_json_ json_t *o = q->resp.data ? json_loads(q->resp.data, 0, NULL) : NULL;
        json_t *e0 = json_array_get(json_object_get(o, "errors"), 0);
        const char *c = json_get_str(e0, "code"), *m = json_get_str(e0, "message");
        if (c) {
                char lc[64];
                size_t i = 0;
                for (; c[i] && i < sizeof(lc) - 1; i++)
                        lc[i] = c[i] == '_' ? ' ' : (char)tolower((unsigned char)c[i]);
                lc[i] = 0;
                snprintf(msg, sizeof(msg), "%s: %s", lc, m ? m : lc);
                code = reg_error_code(c);
        } else if (json_get_str(o, "details")) {
                snprintf(msg, sizeof(msg), "%s", json_get_str(o, "details"));
        } else {
                snprintf(msg, sizeof(msg), "%s failed with status: %ld", what, q->status);
        }
        if (code == REG_CODE_OTHER && q->status == 401)
                code = REG_CODE_UNAUTHORIZED;
        if (code == REG_CODE_OTHER && q->status == 404 && !c)
                code = REG_CODE_NAME_UNKNOWN;
        if (ret_code)
                *ret_code = code;
        enum kerr_kind kind = q->status == 401                      ? KERR_UNAUTHORIZED
                              : q->status == 403                    ? KERR_FORBIDDEN
                              : q->status == 404                    ? KERR_NOT_FOUND
                              : q->status >= 400 && q->status < 500 ? KERR_INVALID
                                                                    : KERR_UNAVAILABLE;
        return kerr_set(err, kind, q->status == 404 ? ENOENT : EIO, "%s", msg);
}

/* --- ping: transport choice and the auth challenge --- */

static int ping_at(struct registry *r, const char *base, bool verify, CURLcode *ret_cc,
                   struct kerr *err)
{
        struct reg_req q = {.method = "GET", .url = xasprintf("%s/v2/", base), .body_fd = -1};
        CURLcode cc = perform_once(r, &q, NULL, false, verify);
        *ret_cc = cc;
        if (cc != CURLE_OK) {
                int rr = reg_transport_error(&q, cc, err);
                reg_req_release(&q);
                return rr;
        }
        if (q.status == 401 && q.www) {
                struct www_auth w;
                if (www_auth_parse(q.www, &w) == 0) {
                        www_auth_release(&r->challenge);
                        r->challenge = w;
                }
        }
        reg_req_release(&q);
        return 0;
}

int reg_ping(struct registry *r, struct kerr *err)
{
        pthread_mutex_lock(&r->lock);
        if (r->pinged) {
                pthread_mutex_unlock(&r->lock);
                return 0;
        }
        int rr;
        CURLcode cc;
        if (r->scheme_fixed) {
                r->verify = !r->insecure;
                rr = ping_at(r, r->base, r->verify, &cc, err);
        } else {
                _cleanup_free_ char *https = xasprintf("https://%s", r->host);
                r->verify = !r->insecure;
                rr = ping_at(r, https, r->verify, &cc, err);
                if (rr == 0) {
                        r->base = TAKE_PTR(https);
                } else if (r->insecure && cc != CURLE_COULDNT_CONNECT &&
                           cc != CURLE_COULDNT_RESOLVE_HOST) {
                        /* A plain-http registry answers TLS with garbage. */
                        _cleanup_free_ char *http = xasprintf("http://%s", r->host);
                        rr = ping_at(r, http, false, &cc, err);
                        if (rr == 0)
                                r->base = TAKE_PTR(http);
                }
        }
        r->pinged = rr == 0;
        pthread_mutex_unlock(&r->lock);
        return rr;
}
