/* shim.c - `kedge shim`: parse options, hand them to shim_main. */
#include "cmds.h"

#include "shim/shim.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(FILE *f)
{
        fputs("Usage: kedge shim --bundle DIR --run-dir DIR [OPTIONS]\n\n"
              "Runs one container and supervises it (started by the daemon).\n\n"
              "  --id ID               container id, for messages\n"
              "  --bundle DIR          OCI bundle holding config.json\n"
              "  --run-dir DIR         where pid files, sockets and exit.json go\n"
              "  --log-path FILE       json-file log\n"
              "  --log-max-size BYTES  rotate the log at this size\n"
              "  --log-max-file N      keep N log files\n"
              "  --cgroup-root DIR     cgroup hierarchy root (default /sys/fs/cgroup)\n"
              "  --cgroup-path PATH    cgroup below the root (default: the spec's)\n"
              "  --stdin               keep the container's stdin open\n"
              "  --stdin-once          close stdin when the first attach ends\n"
              "  --defer-start         exec only on START over ctl.sock\n"
              "  --lifeline FD         end if FD reaches end-of-file before START\n"
              "  --foreground          do not detach\n"
              "  --runtime PATH        run it with this OCI runtime (runc), not the built-in one\n",
              f);
        return f == stdout ? 0 : 2;
}

static int parse_u64(const char *s, unsigned long long *ret)
{
        char *end;
        if (!s[0] || s[0] == '-')
                return -1;
        *ret = strtoull(s, &end, 10);
        return *end ? -1 : 0;
}

int cmd_shim(int argc, char **argv)
{
        enum {
                O_ID = 256,
                O_BUNDLE,
                O_RUN_DIR,
                O_LOG_PATH,
                O_LOG_MAX_SIZE,
                O_LOG_MAX_FILE,
                O_CG_ROOT,
                O_CG_PATH,
                O_STDIN,
                O_STDIN_ONCE,
                O_DEFER,
                O_FG,
                O_RUNTIME,
                O_LIFELINE,
                O_HELP
        };
        static const struct option longopts[] = {
            {"id", required_argument, NULL, O_ID},
            {"bundle", required_argument, NULL, O_BUNDLE},
            {"run-dir", required_argument, NULL, O_RUN_DIR},
            {"log-path", required_argument, NULL, O_LOG_PATH},
            {"log-max-size", required_argument, NULL, O_LOG_MAX_SIZE},
            {"log-max-file", required_argument, NULL, O_LOG_MAX_FILE},
            {"cgroup-root", required_argument, NULL, O_CG_ROOT},
            {"cgroup-path", required_argument, NULL, O_CG_PATH},
            {"stdin", no_argument, NULL, O_STDIN},
            {"stdin-once", no_argument, NULL, O_STDIN_ONCE},
            {"defer-start", no_argument, NULL, O_DEFER},
            {"foreground", no_argument, NULL, O_FG},
            {"runtime", required_argument, NULL, O_RUNTIME},
            {"lifeline", required_argument, NULL, O_LIFELINE},
            {"help", no_argument, NULL, O_HELP},
            {0},
        };
        struct shim_opts o = {.id = "", .log_max_file = 1, .lifeline_fd = -1};
        unsigned long long v;
        int c;
        while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
                switch (c) {
                case O_ID:
                        o.id = optarg;
                        break;
                case O_BUNDLE:
                        o.bundle = optarg;
                        break;
                case O_RUN_DIR:
                        o.run_dir = optarg;
                        break;
                case O_LOG_PATH:
                        o.log_path = optarg;
                        break;
                case O_LOG_MAX_SIZE:
                        if (parse_u64(optarg, &v) < 0)
                                return fprintf(stderr, "kedge shim: bad --log-max-size\n"), 2;
                        o.log_max_size = v;
                        break;
                case O_LOG_MAX_FILE:
                        if (parse_u64(optarg, &v) < 0 || v < 1 || v > 1000)
                                return fprintf(stderr, "kedge shim: bad --log-max-file\n"), 2;
                        o.log_max_file = (unsigned)v;
                        break;
                case O_CG_ROOT:
                        o.cgroup_root = optarg;
                        break;
                case O_CG_PATH:
                        o.cgroup_path = optarg;
                        break;
                case O_STDIN:
                        o.stdin_open = true;
                        break;
                case O_STDIN_ONCE:
                        o.stdin_once = true;
                        break;
                case O_DEFER:
                        o.defer_start = true;
                        break;
                case O_FG:
                        o.foreground = true;
                        break;
                case O_RUNTIME:
                        o.runtime = optarg;
                        break;
                case O_LIFELINE:
                        if (parse_u64(optarg, &v) < 0 || v < 3 || v > 1024)
                                return fprintf(stderr, "kedge shim: bad --lifeline\n"), 2;
                        o.lifeline_fd = (int)v;
                        break;
                case O_HELP:
                        return usage(stdout);
                default:
                        return usage(stderr);
                }
        }
        if (!o.bundle || !o.run_dir || o.run_dir[0] != '/' || optind != argc ||
            (o.runtime && (o.runtime[0] != '/' || !o.id[0])))
                return usage(stderr);
        if (!o.id[0])
                o.id = o.run_dir;
        return shim_main(&o);
}
