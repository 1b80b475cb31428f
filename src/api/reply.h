/* reply.h - the only way handlers answer. Each handler queues exactly one
 * reply. Every reply carries Api-Version, Docker-Experimental, Ostype and
 * Server; errors are {"message": ...} with Docker's status codes. */
#pragma once

#include "request.h"

#include "base/err.h"

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

/* HTTP status for an error kind (the one mapping in kedge). */
unsigned int api_status_of(enum kerr_kind kind);

/* JSON body with a trailing newline, as Go's encoder writes. Takes v. */
void reply_json(struct request *req, unsigned int status, json_t *v);
/* {"message": err->msg} with the kind's status; 304 has no body. */
void reply_error(struct request *req, const struct kerr *err);
void reply_errorf(struct request *req, enum kerr_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A body-less reply: 204, 304, 200 for HEAD. */
void reply_empty(struct request *req, unsigned int status);
/* A fixed body with the given content type (copied). */
void reply_data(struct request *req, unsigned int status, const char *content_type,
                const void *data, size_t len);

/* Streams a body produced by reader (libmicrohttpd's content reader
 * contract: return bytes written, MHD_CONTENT_READER_END_OF_STREAM, or
 * MHD_CONTENT_READER_END_WITH_ERROR). free_cb(cls) runs when done. Sent
 * chunked when size is MHD_SIZE_UNKNOWN. */
void reply_stream(struct request *req, unsigned int status, const char *content_type, uint64_t size,
                  MHD_ContentReaderCallback reader, void *cls,
                  MHD_ContentReaderFreeCallback free_cb);

/* Queues a prepared libmicrohttpd response (adds the common headers and
 * destroys the caller's reference). For special replies (upgrade, ping). */
void reply_response(struct request *req, unsigned int status, struct MHD_Response *resp);

/* Adds the headers every reply carries; exposed for the unit tests. */
void reply_add_common_headers(struct MHD_Response *resp);
