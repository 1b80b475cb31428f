/* hijack.h - taking over a connection as a raw duplex stream (attach, exec
 * start): "HTTP/1.1 101" with Upgrade: tcp, then bytes both ways. */
#pragma once

#include "request.h"

#include <stdbool.h>
#include <stddef.h>

struct api_hijack;

/* Runs once the 101 is on the wire, in a server thread: it must hand the
 * work to a thread of its own and return. fd is the client's socket
 * (non-blocking); extra holds bytes the client sent after its request. The
 * owner ends the stream with api_hijack_done(h). */
typedef void (*api_hijack_fn)(void *cls, int fd, const char *extra, size_t extra_len,
                              struct api_hijack *h);

/* True when the client asked for an upgrade (Upgrade header present). */
bool req_wants_upgrade(struct request *req);

/* Queues the 101 reply with Upgrade: tcp and content_type. */
void reply_hijack(struct request *req, const char *content_type, api_hijack_fn fn, void *cls);

/* Closes the hijacked connection; h is invalid afterwards. */
void api_hijack_done(struct api_hijack *h);

/* Server side: shuts every hijacked socket down (daemon stop) and waits up
 * to timeout_ms for their owners to finish. */
void api_hijacks_close_all(struct api_server *srv, int timeout_ms);
