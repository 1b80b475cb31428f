/* registry-internal.h - what registry.c, registry-token.c and
 * registry-ops.c share: the client object and one request. */
#pragma once

#include "registry.h"

#include <curl/curl.h>
#include <pthread.h>
#include <time.h>

struct reg_token {
        char *scope, *token;
        time_t expires;
};

struct registry {
        struct registry_config cfg;
        char *host; /* "127.0.0.1:5000", for certs.d and the insecure rule */
        char *base; /* "http://127.0.0.1:5000" once chosen */
        bool scheme_fixed, insecure, verify, has_certs_dir;
        char *ca, *cert, *key;
        struct registry_auth auth;
        char *refresh_token;  /* from the token server (login) */
        pthread_mutex_t lock; /* challenge, tokens, pinged */
        bool pinged;
        struct www_auth challenge;
        struct reg_token *tokens;
        size_t ntokens;
        CURLSH *share;
        pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
};

struct reg_req {
        const char *method; /* GET HEAD PUT POST PATCH DELETE */
        char *url;          /* owned */
        const char *scope;  /* "repository:x:pull"; NULL: no auth */
        const char *accept; /* a whole "Accept: ..." header line, or NULL */
        const char *content_type;
        const char *header; /* one more whole header line ("Content-Range: 0-9"), or NULL */
        const void *body;   /* PUT/POST/PATCH from memory */
        size_t body_len;
        int body_fd; /* PUT from a file (-1: none) */
        int64_t body_size;
        registry_progress_fn progress;
        void *pcls;
        registry_sink_fn sink; /* 2xx bodies go here instead of resp */
        void *cls;
        size_t resp_max; /* bound on resp (0: a small default) */
        bool no_redirect;
        bool basic;    /* send the username and password (token requests) */
        bool no_retry; /* not idempotent (PATCH appends): never resent after a failure */
        /* results */
        CURL *h;
        long status;
        int status_seen;
        char *location, *ctype, *www, *digest_hdr, *range;
        struct buf resp;
        bool too_big;
        int sink_err;
        int64_t delivered, skip;
        size_t body_off;
        char errbuf[CURL_ERROR_SIZE];
};

void reg_req_release(struct reg_req *q);
int reg_ping(struct registry *r, struct kerr *err);
int reg_perform(struct registry *r, struct reg_req *q, struct kerr *err);
int reg_transport_error(struct reg_req *q, CURLcode cc, struct kerr *err);
int reg_status_error(struct reg_req *q, const char *what, enum registry_code *ret_code,
                     struct kerr *err);
enum registry_code reg_error_code(const char *code);

/* registry-token.c: a bearer token for scope (new string), cached. */
int reg_token(struct registry *r, const char *scope, char **ret, struct kerr *err);
void reg_token_forget(struct registry *r, const char *scope);
