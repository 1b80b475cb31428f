/* main.c - the kedge multi-call binary: a table of roles. */
#include "cmd/cmds.h"

#include <stdio.h>
#include <string.h>

static const struct role {
        const char *name;
        int (*run)(int argc, char **argv);
        const char *help;
} roles[] = {
    {"daemon", cmd_daemon, "serve the Docker Engine API on a Unix socket"},
    {"shim", cmd_shim, "supervise one container (started by the daemon)"},
    {"version", cmd_version, "print the kedge version"},
};

static int usage(FILE *f)
{
        fputs("Usage: kedge COMMAND [OPTIONS]\n\nA container engine that speaks the Docker "
              "Engine API.\n\nCommands:\n",
              f);
        for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
                fprintf(f, "  %-10s %s\n", roles[i].name, roles[i].help);
        fputs("\nRun 'kedge COMMAND --help' for a command's options.\n", f);
        return f == stdout ? 0 : 2;
}

int main(int argc, char **argv)
{
        if (argc < 2)
                return usage(stderr);
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
            strcmp(argv[1], "help") == 0)
                return usage(stdout);
        if (strcmp(argv[1], "--version") == 0)
                return cmd_version(argc - 1, argv + 1);
        for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
                if (strcmp(argv[1], roles[i].name) == 0)
                        return roles[i].run(argc - 1, argv + 1);
        fprintf(stderr, "kedge: unknown command '%s'\n\n", argv[1]);
        return usage(stderr);
}
