/* cmds.h - the roles of the kedge binary; main.c dispatches on argv[1]. */
#pragma once

int cmd_daemon(int argc, char **argv);
int cmd_shim(int argc, char **argv);
int cmd_version(int argc, char **argv);
