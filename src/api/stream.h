/* stream.h - response bodies produced later, by another thread: long polls
 * (wait), followed logs, progress streams, events.
 *
 * A producer writes into a bounded buffer; libmicrohttpd's content reader
 * drains it and suspends the connection while it is empty, so a waiting
 * client costs no thread. Headers go out as soon as the reply is queued
 * (clients such as `docker run` need the 200 of /wait before the body). */
#pragma once

#include "request.h"

#include <jansson.h>

#include <stdbool.h>
#include <stddef.h>

struct api_stream;

/* Queues a 200 (or status) reply whose body is the returned stream. The
 * caller owns one reference and must api_stream_close() and
 * api_stream_unref() it when done producing. Chunked encoding. */
struct api_stream *reply_async(struct request *req, unsigned int status, const char *content_type);

/* Appends data; blocks while more than the buffer bound is unread (back
 * pressure on fast producers). Returns 0, or -EPIPE once the client is gone
 * or the stream was closed. */
int api_stream_write(struct api_stream *s, const void *data, size_t n);
int api_stream_printf(struct api_stream *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Writes one JSON value followed by "\r\n" (Docker's progress framing) or
 * "\n" (events); takes v. */
int api_stream_json(struct api_stream *s, json_t *v, const char *eol);

/* Ends the body after what was written. Idempotent. */
void api_stream_close(struct api_stream *s);
/* True when the client went away; producers should stop. */
bool api_stream_gone(struct api_stream *s);

struct api_stream *api_stream_ref(struct api_stream *s);
struct api_stream *api_stream_unref(struct api_stream *s);

/* Server side: ends every open stream (daemon shutdown), so no connection
 * stays suspended when libmicrohttpd stops. */
void api_streams_close_all(struct api_server *srv);

/* Worker threads that produce stream bodies register here, so a stopping
 * daemon can wait for them after closing their streams.
 * api_worker_spawn runs fn(arg) on a detached thread counted as a worker;
 * returns 0, or -errno when no thread could be made (fn did not run). */
int api_worker_spawn(void *(*fn)(void *), void *arg);
/* Waits up to timeout_ms for every worker to finish; returns how many are
 * still running. */
int api_workers_wait(int timeout_ms);
