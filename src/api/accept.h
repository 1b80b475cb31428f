/* accept.h - the listening side of the API server.
 *
 * kedge accepts connections itself, on one thread, and hands a connection
 * to libmicrohttpd only once its first request line looks like HTTP/1.x.
 * Bytes that cannot start a request (a TLS hello, binary, "GET" with no
 * target or version) are answered 400 at once and the connection closed:
 * libmicrohttpd would close some of them silently and wait for a line end
 * on others until the idle timeout. Accepting on one thread also replaces
 * libmicrohttpd's thundering herd (every pool thread woken by every new
 * connection). */
#pragma once

#include "base/err.h"

#include <stddef.h>

struct api_server;

enum api_line_verdict {
        API_LINE_OK,         /* a well-formed request line */
        API_LINE_INCOMPLETE, /* well-formed so far; more bytes needed */
        API_LINE_BAD,        /* cannot be HTTP/1.x: answer 400 */
};

/* Checks the start of a connection's bytes: optional empty lines (RFC 9112
 * 2.2), then METHOD SP TARGET SP HTTP/1.0|1 CRLF, where METHOD is a token
 * and TARGET has no control bytes. On API_LINE_BAD, *ret_why (if not NULL)
 * says what is wrong. Pure: no I/O, for the unit tests and fuzzing. */
enum api_line_verdict api_request_line_check(const char *data, size_t n, const char **ret_why);

/* Starts the accepting thread over every listener's socket (srv->listeners[i].fd).
 * Connections that send nothing are closed after idle_timeout seconds. */
int api_accept_start(struct api_server *srv, unsigned idle_timeout, unsigned max_pending,
                     struct kerr *err);
/* Stops accepting (joins the thread) and closes the connections still
 * waiting for their first bytes. Listening sockets are left to the caller.
 * Safe to call when api_accept_start was not called or failed. */
void api_accept_stop(struct api_server *srv);
