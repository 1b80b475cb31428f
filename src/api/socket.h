/* socket.h - the API's Unix listening socket, created safely. */
#pragma once

#include "base/err.h"

/* Binds and listens on a Unix socket at path:
 *  - a regular file, directory, symlink or other non-socket at path is an
 *    error naming the path, and is left untouched;
 *  - a socket with a live listener is an error ("another daemon is
 *    listening on ..."); a stale one (connection refused) is replaced;
 *  - the socket gets mode 0660 and group `kedge` when that group exists,
 *    else 0600, with no window in which it has a wider mode.
 * Returns the listening fd (O_CLOEXEC|O_NONBLOCK) or a negative errno. */
int api_socket_listen(const char *path, struct kerr *err);

/* Parses a -H value: "unix:///path" or "/path". Returns the path within
 * spec or NULL (other schemes: tcp, fd, ssh are not supported). */
const char *api_socket_path_of(const char *spec);
