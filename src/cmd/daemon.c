/* daemon.c - `kedge daemon`: parse settings, open the engine, serve the
 * API until SIGTERM/SIGINT; SIGHUP reloads the log level. */
#include "cmds.h"
#include "daemon-config.h"

#include "api/server.h"
#include "base/log.h"
#include "engine/engine.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

/* The lean shim executable, embedded by meson (shim-blob.c). */
extern const unsigned char kedge_shim_blob[], kedge_shim_blob_end[];

/* Containers and clients need many descriptors; the soft limit is raised to
 * the hard one (raising the hard limit needs CAP_SYS_RESOURCE). */
static void raise_nofile(void)
{
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                        log_warn("cannot raise the open file limit, ignoring");
        }
}

static void reload(const struct daemon_config *cfg)
{
        if (!cfg->config_file) {
                log_info("SIGHUP: no config file to reload");
                return;
        }
        enum log_level lvl;
        struct kerr err = {0};
        if (daemon_config_reload_log_level(cfg->config_file, &lvl, &err) < 0) {
                log_warn("SIGHUP: %s, ignoring", err.msg);
                return;
        }
        /* Said before the change, so it shows even when the new level hides info. */
        log_info("SIGHUP: log level is now %s", log_level_name(lvl));
        log_set_level(lvl);
}

/* Blocks until SIGTERM or SIGINT; returns the signal. */
static int wait_for_stop(const struct daemon_config *cfg, const sigset_t *set)
{
        for (;;) {
                siginfo_t si;
                int sig = sigwaitinfo(set, &si);
                if (sig == SIGHUP)
                        reload(cfg);
                else if (sig == SIGTERM || sig == SIGINT)
                        return sig;
        }
}

static int serve(struct daemon_config *cfg)
{
        struct kerr err = {0};
        struct engine_config ecfg = {
            .data_root = cfg->data_root,
            .exec_root = cfg->exec_root,
            .shim_blob = kedge_shim_blob,
            .shim_blob_len = (size_t)(kedge_shim_blob_end - kedge_shim_blob),
            .insecure_registries = (const char *const *)cfg->insecure_registries,
            .registry_mirrors = (const char *const *)cfg->registry_mirrors,
            .max_concurrent_downloads = cfg->max_concurrent_downloads,
            .max_concurrent_uploads = cfg->max_concurrent_uploads,
            .certs_dir = cfg->certs_dir,
        };
        _cleanup_(engine_freep) struct engine *engine = engine_new(&ecfg, &err);
        if (!engine) {
                log_error("%s", err.msg);
                return 1;
        }
        /* KEDGE_API_IDLE_TIMEOUT (seconds) lets the tests see the idle
         * timeout work without waiting two minutes. */
        unsigned idle_timeout = 120;
        const char *idle = getenv("KEDGE_API_IDLE_TIMEOUT");
        char *end;
        unsigned long v = idle ? strtoul(idle, &end, 10) : 0;
        if (idle && end != idle && *end == 0 && v > 0 && v <= 3600)
                idle_timeout = (unsigned)v;
        struct api_server_config scfg = {
            .sockets = (const char *const *)cfg->hosts,
            .nsockets = cfg->nhosts,
            .threads = 4,
            .idle_timeout = idle_timeout,
            .max_connections = 4096,
        };
        struct api_server *srv = api_server_start(engine, &scfg, &err);
        if (!srv) {
                log_error("%s", err.msg);
                return 1;
        }
        for (int i = 0; i < cfg->nhosts; i++)
                log_info("API listen on %s", cfg->hosts[i]);
        log_info("kedge daemon ready: data root %s, exec root %s", cfg->data_root, cfg->exec_root);

        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGHUP);
        int sig = wait_for_stop(cfg, &set);
        log_info("received %s, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        int busy = api_server_stop(srv, 10 * 1000);
        api_server_free(srv);
        if (busy > 0) {
                /* A transfer that did not finish still uses the engine: it
                 * ends with the process, and the next start cleans tmp/. */
                log_warn("%d transfers still running at stop, not waiting for them", busy);
                TAKE_PTR(engine);
        }
        log_info("daemon stopped");
        return 0;
}

int cmd_daemon(int argc, char **argv)
{
        /* Blocked before any thread exists, so every thread inherits the mask
         * and only sigwaitinfo() in the main thread sees these signals. */
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGHUP);
        pthread_sigmask(SIG_BLOCK, &set, NULL);
        signal(SIGPIPE, SIG_IGN);

        struct daemon_config cfg = {0};
        struct kerr err = {0};
        int r = daemon_config_parse_args(&cfg, argc, argv, &err);
        if (r == 0)
                r = daemon_config_finish(&cfg, &err);
        if (r != 0) {
                if (r < 0)
                        fprintf(stderr, "kedge daemon: %s\n", err.msg);
                daemon_config_release(&cfg);
                return r > 0 ? 0 : 2;
        }
        log_set_level(cfg.log_level);
        raise_nofile();
        r = serve(&cfg);
        daemon_config_release(&cfg);
        return r;
}
