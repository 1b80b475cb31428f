/* container-user.h - Config.User and HostConfig.GroupAdd against the
 * image's /etc/passwd and /etc/group, with runc's (libcontainer user
 * package's) rules, which dockerd uses:
 *  - "" is uid 0; "name" or "uid", optionally ":group" or ":gid";
 *  - a numeric user is always a uid (found in passwd or not);
 *  - without an explicit group, the user's supplementary groups are the
 *    groups listing its name as a member; with one, there are none;
 *  - GroupAdd entries are group names from /etc/group or numbers.
 * Every id is checked: a malformed or out-of-range number in either file
 * (or in the request) is an error, never a silent 0 (root). */
#pragma once

#include "base/err.h"

#include <jansson.h>

/* passwd and group are the files' text, or NULL when the image has none.
 * Returns a new {"uid", "gid", "additionalGids"} object for the OCI spec's
 * process.user, or NULL with err set. */
json_t *container_user_resolve(const char *passwd, const char *group, const char *user,
                               const json_t *group_add, struct kerr *err);
