/* process.c - the last steps before exec: stdio, rlimits, the executable,
 * the user and groups, capabilities, no_new_privs, the fds it inherits. */
#include "builtin-internal.h"

#include "base/cleanup.h"
#include "base/parse.h"
#include "base/xalloc.h"
#include "caps.h"
#include "seccomp.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

int rt_process_stdio(const int stdio[3], struct kerr *err)
{
        int tmp[3];
        /* Lift all three above 2 first, so that e.g. stdout == 0 survives
         * the dup2 onto 0. */
        for (int i = 0; i < 3; i++)
                if ((tmp[i] = fcntl(stdio[i], F_DUPFD_CLOEXEC, 3)) < 0)
                        return kerr_set(err, KERR_INTERNAL, errno, "stdio fd %d: %m", stdio[i]);
        for (int i = 0; i < 3; i++) {
                if (dup2(tmp[i], i) < 0)
                        return kerr_set(err, KERR_INTERNAL, errno, "dup stdio: %m");
                close(tmp[i]);
        }
        return 0;
}

static const char *rlimit_name(int resource)
{
        static const char *const names[] = {
            [RLIMIT_CPU] = "cpu",           [RLIMIT_FSIZE] = "fsize",
            [RLIMIT_DATA] = "data",         [RLIMIT_STACK] = "stack",
            [RLIMIT_CORE] = "core",         [RLIMIT_RSS] = "rss",
            [RLIMIT_NPROC] = "nproc",       [RLIMIT_NOFILE] = "nofile",
            [RLIMIT_MEMLOCK] = "memlock",   [RLIMIT_AS] = "as",
            [RLIMIT_LOCKS] = "locks",       [RLIMIT_SIGPENDING] = "sigpending",
            [RLIMIT_MSGQUEUE] = "msgqueue", [RLIMIT_NICE] = "nice",
            [RLIMIT_RTPRIO] = "rtprio",     [RLIMIT_RTTIME] = "rttime",
        };
        return resource >= 0 && resource < (int)ARRAY_SIZE(names) && names[resource]
                   ? names[resource]
                   : "?";
}

int rt_process_rlimits(const struct rt_spec *spec, int sync_fd, struct kerr *err)
{
        for (size_t i = 0; i < spec->process.n_rlimits; i++) {
                const struct rt_rlimit *rl = &spec->process.rlimits[i];
                struct rlimit want = {.rlim_cur = rl->soft, .rlim_max = rl->hard}, have;
                if (setrlimit(rl->resource, &want) == 0)
                        continue;
                if (errno != EPERM || getrlimit(rl->resource, &have) < 0)
                        return kerr_set(err, KERR_INVALID, errno,
                                        "rlimit %s=%" PRIu64 ":%" PRIu64 ": %m",
                                        rlimit_name(rl->resource), rl->soft, rl->hard);
                /* Without CAP_SYS_RESOURCE the hard limit cannot rise: keep
                 * the host's, which is what the container would get anyway. */
                struct rlimit clamped = {
                    .rlim_cur = want.rlim_cur > have.rlim_max ? have.rlim_max : want.rlim_cur,
                    .rlim_max = want.rlim_max > have.rlim_max ? have.rlim_max : want.rlim_max,
                };
                if (setrlimit(rl->resource, &clamped) < 0)
                        return kerr_set(err, KERR_INVALID, errno, "rlimit %s: %m",
                                        rlimit_name(rl->resource));
                rt_child_warn(sync_fd,
                              "ulimit %s=%" PRIu64 ":%" PRIu64
                              " exceeds the host's hard limit %" PRIu64 "; clamped",
                              rlimit_name(rl->resource), rl->soft, rl->hard,
                              (uint64_t)have.rlim_max);
        }
        return 0;
}

static const char *env_get(char **env, const char *name)
{
        size_t n = strlen(name);
        for (size_t i = 0; env && env[i]; i++)
                if (strncmp(env[i], name, n) == 0 && env[i][n] == '=')
                        return env[i] + n + 1;
        return NULL;
}

/* strerror in Go's words (lower case: "permission denied"), which the
 * docker CLI matches to choose its exit code. */
static const char *go_strerror(int e, char buf[64])
{
        snprintf(buf, 64, "%s", strerror(e));
        buf[0] = (char)tolower((unsigned char)buf[0]);
        return buf;
}

static int check_exec(const char *arg0, const char *path, struct kerr *err)
{
        struct stat st;
        char eb[64];
        if (stat(path, &st) < 0)
                return kerr_set(err, KERR_INVALID, errno, "exec: \"%s\": stat %s: %s", arg0, path,
                                go_strerror(errno, eb));
        if (S_ISDIR(st.st_mode))
                return kerr_set(err, KERR_INVALID, EISDIR, "exec: \"%s\": is a directory", arg0);
        if (access(path, X_OK) < 0)
                return kerr_set(err, KERR_INVALID, errno, "exec: \"%s\": %s", arg0,
                                go_strerror(errno, eb));
        return 0;
}

int rt_process_lookup(const struct rt_spec *spec, char **ret_path, struct kerr *err)
{
        const char *arg0 = spec->process.args[0];
        if (strchr(arg0, '/')) {
                int r = check_exec(arg0, arg0, err);
                if (r < 0)
                        return r;
                *ret_path = xstrdup(arg0);
                return 0;
        }
        const char *path = env_get(spec->process.env, "PATH");
        _cleanup_free_ char *dirs = xstrdup(path ? path : DEFAULT_PATH);
        for (char *rest = dirs, *d; (d = strsep(&rest, ":"));) {
                char *cand = xasprintf("%s/%s", d[0] ? d : ".", arg0);
                struct stat st;
                if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0) {
                        *ret_path = cand;
                        return 0;
                }
                free(cand);
        }
        return kerr_set(err, KERR_INVALID, ENOENT,
                        "exec: \"%s\": executable file not found in $PATH", arg0);
}

/* HOME from the image's /etc/passwd when the spec has none, as runc does. */
static char *home_env(const struct rt_spec *spec)
{
        if (env_get(spec->process.env, "HOME"))
                return NULL;
        _cleanup_fclose_ FILE *f = fopen("/etc/passwd", "re");
        char line[1024];
        while (f && fgets(line, sizeof(line), f)) {
                char *fields[7] = {0}, *p = line;
                int n = 0;
                /* name:pw:uid:gid:gecos:home:shell, empty fields kept */
                for (; n < 7 && (fields[n] = strsep(&p, ":")); n++)
                        ;
                uint32_t uid;
                if (n >= 6 && parse_uint32(fields[2], &uid) == 0 && uid == spec->process.uid)
                        return xasprintf("HOME=%s", fields[5]);
        }
        return xstrdup("HOME=/");
}

static int close_fds(int keep_fd, struct kerr *err)
{
        /* Nothing the shim holds may leak into the container. keep_fd is
         * CLOEXEC and goes away with the exec itself. */
        unsigned lo = 3, hi = keep_fd >= 3 ? (unsigned)keep_fd - 1 : ~0u;
        if (hi >= lo && syscall(SYS_close_range, lo, hi, 0) < 0)
                return kerr_set(err, KERR_INTERNAL, errno, "close_range: %m");
        if (keep_fd >= 3 && syscall(SYS_close_range, (unsigned)keep_fd + 1, ~0u, 0) < 0)
                return kerr_set(err, KERR_INTERNAL, errno, "close_range: %m");
        return 0;
}

static int switch_user(const struct rt_process *p, struct kerr *err)
{
        /* Keep the permitted set across setuid; rt_caps_apply then sets
         * exactly the spec's sets. */
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return kerr_set(err, KERR_INTERNAL, errno, "keepcaps: %m");
        if (setgroups(p->n_additional_gids, p->additional_gids) < 0)
                return kerr_set(err, KERR_INVALID, errno, "setgroups: %m");
        if (setresgid(p->gid, p->gid, p->gid) < 0)
                return kerr_set(err, KERR_INVALID, errno, "setgid %u: %m", (unsigned)p->gid);
        if (setresuid(p->uid, p->uid, p->uid) < 0)
                return kerr_set(err, KERR_INVALID, errno, "setuid %u: %m", (unsigned)p->uid);
        if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
                return kerr_set(err, KERR_INTERNAL, errno, "keepcaps: %m");
        return 0;
}

int rt_process_exec(const struct rt_spec *spec, const char *path, int keep_fd, struct kerr *err)
{
        const struct rt_process *p = &spec->process;
        static const struct rt_caps no_caps;
        const struct rt_caps *caps = p->has_caps ? &p->caps : &no_caps;
        _cleanup_free_ char *home = home_env(spec);
        int r;
        if ((r = rt_caps_drop_bounding(caps, err)) < 0 || (r = switch_user(p, err)) < 0 ||
            (r = rt_caps_apply(caps, err)) < 0)
                return r;
        if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return kerr_set(err, KERR_INTERNAL, errno, "no_new_privs: %m");
        if ((r = rt_seccomp_apply(spec, err)) < 0 || (r = close_fds(keep_fd, err)) < 0)
                return r;
        size_t n = 0;
        while (p->env[n])
                n++;
        _cleanup_free_ char **env = xzalloc((n + 2) * sizeof(char *));
        memcpy(env, p->env, n * sizeof(char *));
        env[n] = home;
        execve(path, p->args, env);
        return kerr_set(err, KERR_INVALID, errno, "exec: \"%s\": %m", p->args[0]);
}
