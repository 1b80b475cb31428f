#include "daemon-config.h"

#include "api/socket.h"
#include "base/strv.h"
#include "base/cleanup.h"
#include "base/json.h"
#include "base/xalloc.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void strv_add(char ***v, const char *s)
{
        size_t n = 0;
        while (*v && (*v)[n])
                n++;
        *v = xrealloc(*v, (n + 2) * sizeof(char *));
        (*v)[n] = xstrdup(s);
        (*v)[n + 1] = NULL;
}

void daemon_config_release(struct daemon_config *c)
{
        for (int i = 0; i < c->nhosts; i++)
                free(c->hosts[i]);
        free(c->data_root);
        free(c->exec_root);
        free(c->config_file);
        strv_free(c->insecure_registries);
        strv_free(c->registry_mirrors);
        free(c->certs_dir);
        *c = (struct daemon_config){0};
}

static const char usage[] =
    "Usage: kedge daemon [OPTIONS]\n"
    "\n"
    "Serve the Docker Engine API on a Unix socket.\n"
    "\n"
    "Options:\n"
    "  -H, --host unix:///path   socket to listen on (repeatable; default\n"
    "                            /run/kedge/docker.sock as root)\n"
    "      --data-root DIR       persistent state (default /var/lib/kedge)\n"
    "      --exec-root DIR       runtime state (default /run/kedge)\n"
    "  -l, --log-level LEVEL     debug, info, warn, error, fatal (default info)\n"
    "  -D, --debug               same as --log-level debug\n"
    "      --config-file FILE    JSON settings with the same keys as the flags\n"
    "                            (default /etc/kedge/daemon.json as root)\n"
    "      --insecure-registry HOST[:PORT]|CIDR  plain http / unverified TLS\n"
    "                            (repeatable; loopback always is)\n"
    "      --registry-mirror URL mirror tried first for docker.io (repeatable)\n"
    "      --max-concurrent-downloads N  layer downloads per pull (default 3)\n"
    "      --max-concurrent-uploads N    layer uploads per push (default 5)\n"
    "      --certs-dir DIR       registry certificates, DIR/<host:port>/ca.crt\n"
    "                            (default /etc/kedge/certs.d)\n"
    "  -h, --help                show this help\n";

static int add_host(struct daemon_config *c, const char *spec, struct kerr *err)
{
        const char *path = api_socket_path_of(spec);
        if (!path)
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "unsupported host '%s': only unix:///absolute/path is supported",
                                spec);
        if (c->nhosts >= DAEMON_HOSTS_MAX)
                return kerr_set(err, KERR_INVALID, E2BIG, "at most %d hosts are supported",
                                DAEMON_HOSTS_MAX);
        c->hosts[c->nhosts++] = xstrdup(path);
        return 0;
}

static int set_log_level(struct daemon_config *c, const char *s, struct kerr *err)
{
        if (log_level_parse(s, &c->log_level) < 0)
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "invalid log level '%s' (debug, info, warn, error, fatal)", s);
        c->log_level_set = true;
        return 0;
}

static int set_concurrency(struct daemon_config *c, bool downloads, const char *s, struct kerr *err)
{
        char *end;
        long n = strtol(s, &end, 10);
        if (!s[0] || *end || n < 1 || n > 64)
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "invalid max-concurrent-%s '%s' (1 to 64)",
                                downloads ? "downloads" : "uploads", s);
        *(downloads ? &c->max_concurrent_downloads : &c->max_concurrent_uploads) = (int)n;
        return 0;
}

int daemon_config_parse_args(struct daemon_config *c, int argc, char **argv, struct kerr *err)
{
        enum {
                OPT_DATA_ROOT = 256,
                OPT_EXEC_ROOT,
                OPT_CONFIG_FILE,
                OPT_INSECURE,
                OPT_MIRROR,
                OPT_DOWNLOADS,
                OPT_UPLOADS,
                OPT_CERTS_DIR,
        };
        static const struct option opts[] = {
            {"host", required_argument, NULL, 'H'},
            {"data-root", required_argument, NULL, OPT_DATA_ROOT},
            {"exec-root", required_argument, NULL, OPT_EXEC_ROOT},
            {"log-level", required_argument, NULL, 'l'},
            {"debug", no_argument, NULL, 'D'},
            {"config-file", required_argument, NULL, OPT_CONFIG_FILE},
            {"insecure-registry", required_argument, NULL, OPT_INSECURE},
            {"registry-mirror", required_argument, NULL, OPT_MIRROR},
            {"max-concurrent-downloads", required_argument, NULL, OPT_DOWNLOADS},
            {"max-concurrent-uploads", required_argument, NULL, OPT_UPLOADS},
            {"certs-dir", required_argument, NULL, OPT_CERTS_DIR},
            {"help", no_argument, NULL, 'h'},
            {0},
        };
        optind = 1;
        opterr = 0;
        int o, r;
        while ((o = getopt_long(argc, argv, ":H:l:Dh", opts, NULL)) != -1) {
                switch (o) {
                case 'H':
                        if ((r = add_host(c, optarg, err)) < 0)
                                return r;
                        break;
                case OPT_DATA_ROOT:
                        free(c->data_root);
                        c->data_root = xstrdup(optarg);
                        break;
                case OPT_EXEC_ROOT:
                        free(c->exec_root);
                        c->exec_root = xstrdup(optarg);
                        break;
                case 'l':
                        if ((r = set_log_level(c, optarg, err)) < 0)
                                return r;
                        break;
                case 'D':
                        c->log_level = LOG_LEVEL_DEBUG;
                        c->log_level_set = true;
                        break;
                case OPT_CONFIG_FILE:
                        free(c->config_file);
                        c->config_file = xstrdup(optarg);
                        c->config_file_explicit = true;
                        break;
                case OPT_INSECURE:
                        strv_add(&c->insecure_registries, optarg);
                        break;
                case OPT_MIRROR:
                        strv_add(&c->registry_mirrors, optarg);
                        break;
                case OPT_DOWNLOADS:
                case OPT_UPLOADS:
                        if ((r = set_concurrency(c, o == OPT_DOWNLOADS, optarg, err)) < 0)
                                return r;
                        break;
                case OPT_CERTS_DIR:
                        free(c->certs_dir);
                        c->certs_dir = xstrdup(optarg);
                        break;
                case 'h':
                        fputs(usage, stdout);
                        return 1;
                case ':':
                        return kerr_set(err, KERR_INVALID, EINVAL, "option '%s' needs a value",
                                        argv[optind - 1]);
                default:
                        return kerr_set(err, KERR_INVALID, EINVAL,
                                        "unknown option '%s' (see kedge daemon --help)",
                                        argv[optind - 1]);
                }
        }
        if (optind < argc)
                return kerr_set(err, KERR_INVALID, EINVAL, "unexpected argument '%s'",
                                argv[optind]);
        return 0;
}

static json_t *load_file(const char *path, bool must_exist, struct kerr *err)
{
        if (!must_exist && access(path, F_OK) < 0 && errno == ENOENT)
                return json_object();
        json_error_t je;
        json_t *v = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
        if (!v) {
                kerr_set(err, KERR_INVALID, EINVAL,
                         "cannot load config file '%s': %s (line %d, column %d)", path, je.text,
                         je.line, je.column);
                return NULL;
        }
        if (!json_is_object(v)) {
                json_decref(v);
                kerr_set(err, KERR_INVALID, EINVAL, "config file '%s' must hold a JSON object",
                         path);
                return NULL;
        }
        return v;
}

static int want_string(const char *path, const char *key, json_t *v, struct kerr *err)
{
        if (json_is_string(v))
                return 0;
        return kerr_set(err, KERR_INVALID, EINVAL, "config file '%s': '%s' must be a string", path,
                        key);
}

/* insecure-registries, registry-mirrors: arrays of strings; flags win. */
static int apply_list(char ***dst, const char *path, const char *key, json_t *v, struct kerr *err)
{
        if (!json_is_array(v))
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "config file '%s': '%s' must be an array", path, key);
        size_t i;
        json_t *s;
        json_array_foreach(v, i, s)
        {
                int r = want_string(path, key, s, err);
                if (r < 0)
                        return r;
        }
        if (*dst)
                return 0;
        json_array_foreach(v, i, s) strv_add(dst, json_string_value(s));
        return 0;
}

static int apply_registry_key(struct daemon_config *c, const char *path, const char *key, json_t *v,
                              struct kerr *err)
{
        if (strcmp(key, "insecure-registries") == 0)
                return apply_list(&c->insecure_registries, path, key, v, err);
        if (strcmp(key, "registry-mirrors") == 0)
                return apply_list(&c->registry_mirrors, path, key, v, err);
        if (strcmp(key, "certs-dir") == 0) {
                int r = want_string(path, key, v, err);
                if (r == 0 && !c->certs_dir)
                        c->certs_dir = xstrdup(json_string_value(v));
                return r;
        }
        bool down = strcmp(key, "max-concurrent-downloads") == 0;
        if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 64)
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "config file '%s': '%s' must be an integer from 1 to 64", path,
                                key);
        int *dst = down ? &c->max_concurrent_downloads : &c->max_concurrent_uploads;
        if (!*dst)
                *dst = (int)json_integer_value(v);
        return 0;
}

static bool registry_key(const char *key)
{
        static const char *const keys[] = {"insecure-registries", "registry-mirrors",
                                           "max-concurrent-downloads", "max-concurrent-uploads",
                                           "certs-dir"};
        for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
                if (strcmp(key, keys[i]) == 0)
                        return true;
        return false;
}

static int apply_key(struct daemon_config *c, const char *path, const char *key, json_t *v,
                     bool hosts_from_flags, struct kerr *err)
{
        int r;
        if (registry_key(key)) {
                return apply_registry_key(c, path, key, v, err);
        } else if (strcmp(key, "hosts") == 0) {
                if (!json_is_array(v))
                        return kerr_set(err, KERR_INVALID, EINVAL,
                                        "config file '%s': 'hosts' must be an array", path);
                size_t i;
                json_t *h;
                json_array_foreach(v, i, h)
                {
                        if ((r = want_string(path, "hosts[]", h, err)) < 0)
                                return r;
                        if (!hosts_from_flags && (r = add_host(c, json_string_value(h), err)) < 0)
                                return r;
                }
        } else if (strcmp(key, "data-root") == 0 || strcmp(key, "exec-root") == 0) {
                if ((r = want_string(path, key, v, err)) < 0)
                        return r;
                char **dst = key[0] == 'd' ? &c->data_root : &c->exec_root;
                if (!*dst)
                        *dst = xstrdup(json_string_value(v));
        } else if (strcmp(key, "log-level") == 0) {
                if ((r = want_string(path, key, v, err)) < 0)
                        return r;
                enum log_level lvl;
                if (log_level_parse(json_string_value(v), &lvl) < 0)
                        return kerr_set(err, KERR_INVALID, EINVAL,
                                        "config file '%s': invalid log-level '%s'", path,
                                        json_string_value(v));
                if (!c->log_level_set)
                        c->log_level = lvl;
        } else if (strcmp(key, "debug") == 0) {
                if (!json_is_boolean(v))
                        return kerr_set(err, KERR_INVALID, EINVAL,
                                        "config file '%s': 'debug' must be a boolean", path);
                if (!c->log_level_set && json_is_true(v))
                        c->log_level = LOG_LEVEL_DEBUG;
        } else {
                return kerr_set(err, KERR_INVALID, EINVAL, "config file '%s': unknown key '%s'",
                                path, key);
        }
        return 0;
}

/* $XDG_x/kedge, else $HOME/home_rel/kedge, else /tmp/kedge-<uid>/fallback. */
static char *user_dir(const char *xdg_env, const char *home_rel, const char *fallback)
{
        const char *x = getenv(xdg_env);
        if (x && x[0] == '/')
                return xasprintf("%s/kedge", x);
        const char *home = getenv("HOME");
        if (home_rel && home && home[0] == '/')
                return xasprintf("%s/%s/kedge", home, home_rel);
        return xasprintf("/tmp/kedge-%d/%s", (int)getuid(), fallback);
}

int daemon_config_finish(struct daemon_config *c, struct kerr *err)
{
        bool root = geteuid() == 0;
        if (!c->config_file && root)
                c->config_file = xstrdup("/etc/kedge/daemon.json");
        if (!c->log_level_set)
                c->log_level = LOG_LEVEL_INFO;
        if (c->config_file) {
                _cleanup_json_ json_t *file =
                    load_file(c->config_file, c->config_file_explicit, err);
                if (!file)
                        return -EINVAL;
                bool hosts_from_flags = c->nhosts > 0;
                const char *key;
                json_t *v;
                json_object_foreach(file, key, v)
                {
                        int r = apply_key(c, c->config_file, key, v, hosts_from_flags, err);
                        if (r < 0)
                                return r;
                }
        }
        if (!c->data_root)
                c->data_root = root ? xstrdup("/var/lib/kedge")
                                    : user_dir("XDG_DATA_HOME", ".local/share", "data");
        if (!c->exec_root)
                c->exec_root =
                    root ? xstrdup("/run/kedge") : user_dir("XDG_RUNTIME_DIR", NULL, "run");
        if (c->nhosts == 0)
                c->hosts[c->nhosts++] = root ? xstrdup("/run/kedge/docker.sock")
                                             : xasprintf("%s/docker.sock", c->exec_root);
        if (c->data_root[0] != '/' || c->exec_root[0] != '/')
                return kerr_set(err, KERR_INVALID, EINVAL,
                                "--data-root and --exec-root must be absolute paths");
        return 0;
}

int daemon_config_reload_log_level(const char *path, enum log_level *ret, struct kerr *err)
{
        _cleanup_json_ json_t *file = load_file(path, true, err);
        if (!file)
                return -EINVAL;
        json_t *v = json_object_get(file, "log-level");
        if (!v)
                return kerr_set(err, KERR_NOT_FOUND, ENOENT, "no log-level in '%s'", path);
        if (!json_is_string(v) || log_level_parse(json_string_value(v), ret) < 0)
                return kerr_set(err, KERR_INVALID, EINVAL, "config file '%s': invalid log-level",
                                path);
        return 0;
}
