/* spawn.h - the one way kedge starts a helper program (the shim, igzip).
 *
 * posix_spawn with what a daemon's child needs and would otherwise
 * inherit wrongly: an empty signal mask (the daemon blocks signals in its
 * threads) and SIGPIPE back at its default (the daemon ignores it), so a
 * child writing to a closed pipe dies as any program would. */
#pragma once

#include <sys/types.h>

#define SPAWN_DEVNULL (-1) /* the stdio slot gets /dev/null */

/* Starts path with argv and the daemon's environment. stdio[k] is the fd
 * that becomes the child's fd k (dup2, so an O_CLOEXEC fd works), or
 * SPAWN_DEVNULL. Every other fd of the daemon is O_CLOEXEC and is not
 * inherited. Returns 0 and *ret_pid, or -errno. */
int spawn_program(const char *path, char *const argv[], const int stdio[3], pid_t *ret_pid);
