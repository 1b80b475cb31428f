#include "reply.h"

#include "config.h"

#include "base/json.h"
#include "base/log.h"
#include "base/xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

unsigned int api_status_of(enum kerr_kind kind)
{
        switch (kind) {
        case KERR_INVALID:
                return MHD_HTTP_BAD_REQUEST;
        case KERR_NOT_FOUND:
                return MHD_HTTP_NOT_FOUND;
        case KERR_CONFLICT:
                return MHD_HTTP_CONFLICT;
        case KERR_NOT_MODIFIED:
                return MHD_HTTP_NOT_MODIFIED;
        case KERR_FORBIDDEN:
                return MHD_HTTP_FORBIDDEN;
        case KERR_UNAUTHORIZED:
                return MHD_HTTP_UNAUTHORIZED;
        case KERR_UNAVAILABLE:
                return MHD_HTTP_SERVICE_UNAVAILABLE;
        case KERR_NOT_IMPLEMENTED:
                return MHD_HTTP_NOT_IMPLEMENTED;
        case KERR_TOO_LARGE:
                return MHD_HTTP_CONTENT_TOO_LARGE;
        case KERR_NONE:
        case KERR_INTERNAL:
        case KERR_KIND_MAX:
                break;
        }
        return MHD_HTTP_INTERNAL_SERVER_ERROR;
}

void reply_add_common_headers(struct MHD_Response *resp)
{
        MHD_add_response_header(resp, "Api-Version", API_VERSION_CURRENT_STR);
        MHD_add_response_header(resp, "Docker-Experimental", "false");
        MHD_add_response_header(resp, "Ostype", "linux");
        MHD_add_response_header(resp, "Server", "kedge/" KEDGE_VERSION " (linux)");
}

void reply_response(struct request *req, unsigned int status, struct MHD_Response *resp)
{
        if (req->replied) {
                /* A handler bug; the first reply stands. */
                log_error("req=%llu: second reply %u ignored", (unsigned long long)req->id, status);
                MHD_destroy_response(resp);
                return;
        }
        reply_add_common_headers(resp);
        req->replied = true;
        req->status = (int)status;
        if (MHD_queue_response(req->conn, status, resp) != MHD_YES)
                req->queue_failed = true;
        MHD_destroy_response(resp);
}

void reply_data(struct request *req, unsigned int status, const char *content_type,
                const void *data, size_t len)
{
        void *copy = xmalloc(len);
        memcpy(copy, data, len);
        struct MHD_Response *resp =
            MHD_create_response_from_buffer(len, copy, MHD_RESPMEM_MUST_FREE);
        if (content_type)
                MHD_add_response_header(resp, "Content-Type", content_type);
        reply_response(req, status, resp);
}

void reply_json(struct request *req, unsigned int status, json_t *v)
{
        char *s = json_to_string(v);
        json_decref(v);
        size_t n = strlen(s);
        s = xrealloc(s, n + 2);
        s[n++] = '\n';
        s[n] = 0;
        struct MHD_Response *resp = MHD_create_response_from_buffer(n, s, MHD_RESPMEM_MUST_FREE);
        MHD_add_response_header(resp, "Content-Type", "application/json");
        reply_response(req, status, resp);
}

void reply_empty(struct request *req, unsigned int status)
{
        struct MHD_Response *resp = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
        reply_response(req, status, resp);
}

void reply_error(struct request *req, const struct kerr *err)
{
        unsigned int status = api_status_of(err->kind);
        if (status == MHD_HTTP_NOT_MODIFIED) {
                reply_empty(req, status);
                return;
        }
        if (err->kind == KERR_INTERNAL || err->kind == KERR_NONE)
                log_error("req=%llu %s %s: %s", (unsigned long long)req->id, req->method, req->path,
                          err->msg);
        json_t *v = json_object();
        json_set_str(v, "message", err->msg);
        reply_json(req, status, v);
}

void reply_errorf(struct request *req, enum kerr_kind kind, const char *fmt, ...)
{
        struct kerr err = {0};
        va_list ap;
        va_start(ap, fmt);
        kerr_setv(&err, kind, 0, fmt, ap);
        va_end(ap);
        reply_error(req, &err);
}

void reply_stream(struct request *req, unsigned int status, const char *content_type, uint64_t size,
                  MHD_ContentReaderCallback reader, void *cls,
                  MHD_ContentReaderFreeCallback free_cb)
{
        struct MHD_Response *resp =
            MHD_create_response_from_callback(size, 64 * 1024, reader, cls, free_cb);
        if (content_type)
                MHD_add_response_header(resp, "Content-Type", content_type);
        reply_response(req, status, resp);
}

const char *req_query(struct request *req, const char *key)
{
        return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *req_header(struct request *req, const char *name)
{
        return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

bool api_bool_value(const char *s)
{
        static const char *const falses[] = {"", "0", "no", "false", "none"};
        for (size_t i = 0; i < sizeof(falses) / sizeof(falses[0]); i++)
                if (strcasecmp(s, falses[i]) == 0)
                        return false;
        return true;
}

bool req_query_bool(struct request *req, const char *key, bool def)
{
        const char *v = req_query(req, key);
        return v ? api_bool_value(v) : def;
}
