/* daemon-config.h - `kedge daemon` settings from flags and a JSON config
 * file with dockerd's key names. Flags win over the file. */
#pragma once

#include "base/err.h"
#include "base/log.h"

#include <stdbool.h>

#define DAEMON_HOSTS_MAX 8

struct daemon_config {
        char *hosts[DAEMON_HOSTS_MAX]; /* socket paths */
        int nhosts;
        char *data_root;
        char *exec_root;
        enum log_level log_level;
        bool log_level_set;
        char *config_file; /* NULL: none */
        bool config_file_explicit;
        /* Registries: NULL-terminated lists (NULL when empty). */
        char **insecure_registries, **registry_mirrors;
        int max_concurrent_downloads, max_concurrent_uploads; /* 0: default */
        char *certs_dir;                                      /* NULL: /etc/kedge/certs.d */
};

void daemon_config_release(struct daemon_config *c);

/* Parses argv (after "daemon"). Returns 1 when --help was shown, 0 to run,
 * negative with err set on a usage error. */
int daemon_config_parse_args(struct daemon_config *c, int argc, char **argv, struct kerr *err);

/* Reads c->config_file (missing is fine unless given with --config-file)
 * and fills every setting the flags did not; then applies defaults (root:
 * /run/kedge, /var/lib/kedge; others: XDG directories). */
int daemon_config_finish(struct daemon_config *c, struct kerr *err);

/* Reads only log-level from the config file (SIGHUP). */
int daemon_config_reload_log_level(const char *path, enum log_level *ret, struct kerr *err);
