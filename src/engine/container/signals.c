#include "signals.h"

#include <signal.h>
#include <stdlib.h>
#include <strings.h>

static const struct {
        const char *name;
        int num;
} table[] = {
    {"ABRT", SIGABRT},     {"ALRM", SIGALRM},     {"BUS", SIGBUS},   {"CHLD", SIGCHLD},
    {"CONT", SIGCONT},     {"FPE", SIGFPE},       {"HUP", SIGHUP},   {"ILL", SIGILL},
    {"INT", SIGINT},       {"IO", SIGIO},         {"IOT", SIGIOT},   {"KILL", SIGKILL},
    {"PIPE", SIGPIPE},     {"PROF", SIGPROF},     {"PWR", SIGPWR},   {"QUIT", SIGQUIT},
    {"SEGV", SIGSEGV},     {"STKFLT", SIGSTKFLT}, {"STOP", SIGSTOP}, {"SYS", SIGSYS},
    {"TERM", SIGTERM},     {"TRAP", SIGTRAP},     {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},
    {"TTOU", SIGTTOU},     {"URG", SIGURG},       {"USR1", SIGUSR1}, {"USR2", SIGUSR2},
    {"VTALRM", SIGVTALRM}, {"WINCH", SIGWINCH},   {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},
};

int signal_parse(const char *s)
{
        if (!s || !*s)
                return -1;
        if (*s >= '0' && *s <= '9') {
                char *end;
                long n = strtol(s, &end, 10);
                return *end || n < 1 || n > 64 ? -1 : (int)n;
        }
        if (strncasecmp(s, "SIG", 3) == 0)
                s += 3;
        for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
                if (strcasecmp(s, table[i].name) == 0)
                        return table[i].num;
        return -1;
}
