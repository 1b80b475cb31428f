/* kbench - latency of Docker Engine API requests over a Unix socket.
 *
 *   kbench [-H unix:///path] [-n requests] [-r runs] [-c clients] [TEST...]
 *
 * TESTs: ping (keep-alive), ping-newconn, version, info, ping-concurrent.
 * Each test is run -r times; per-request latencies of all runs are pooled
 * for median/p90/p99 and the median of the runs' throughputs is printed.
 * The socket defaults to $DOCKER_HOST, so the same numbers can be taken
 * from any Docker-compatible engine. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static const char *sock_path;

static double now_us(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int dial(void)
{
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                fprintf(stderr, "kbench: connect %s: %s\n", sock_path, strerror(errno));
                exit(1);
        }
        return fd;
}

/* Sends one GET and reads the whole response (Content-Length or chunked).
 * Returns the status code, or -1 on a broken connection. */
static int request(int fd, const char *path)
{
        char req[512];
        int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: docker\r\n\r\n", path);
        if (write(fd, req, (size_t)n) != n)
                return -1;
        static __thread char buf[1 << 16];
        size_t len = 0;
        char *body = NULL;
        for (;;) {
                ssize_t r = read(fd, buf + len, sizeof(buf) - len - 1);
                if (r <= 0)
                        return -1;
                len += (size_t)r;
                buf[len] = 0;
                if (!body && (body = strstr(buf, "\r\n\r\n")))
                        body += 4;
                if (!body)
                        continue;
                size_t have = len - (size_t)(body - buf);
                char *cl = strcasestr(buf, "\r\nContent-Length:");
                if (cl && cl < body) {
                        if (have >= strtoul(cl + 17, NULL, 10))
                                break;
                } else if (strstr(body, "\r\n0\r\n\r\n") || strncmp(body, "0\r\n\r\n", 5) == 0) {
                        break;
                }
                if (len >= sizeof(buf) - 1)
                        return -1;
        }
        return atoi(buf + 9);
}

struct run {
        const char *path;
        bool newconn;
        int count;
        double *lat;
};

static void *run_client(void *arg)
{
        struct run *r = arg;
        int fd = r->newconn ? -1 : dial();
        for (int i = 0; i < r->count; i++) {
                double t0 = now_us();
                if (r->newconn)
                        fd = dial();
                if (request(fd, r->path) != 200) {
                        fprintf(stderr, "kbench: GET %s failed\n", r->path);
                        exit(1);
                }
                if (r->newconn)
                        close(fd);
                r->lat[i] = now_us() - t0;
        }
        if (!r->newconn)
                close(fd);
        return NULL;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p)
{
        size_t i = (size_t)(p * (double)(n - 1) + 0.5);
        return v[i];
}

static void bench(const char *name, const char *path, bool newconn, int clients, int n, int runs)
{
        size_t total = (size_t)n * (size_t)runs;
        double *all = calloc(total, sizeof(double));
        double *tput = calloc((size_t)runs, sizeof(double));
        for (int run = 0; run < runs; run++) {
                pthread_t th[256];
                struct run rs[256];
                int per = n / clients;
                double t0 = now_us();
                for (int c = 0; c < clients; c++) {
                        rs[c] =
                            (struct run){path, newconn, per,
                                         all + (size_t)run * (size_t)n + (size_t)c * (size_t)per};
                        pthread_create(&th[c], NULL, run_client, &rs[c]);
                }
                for (int c = 0; c < clients; c++)
                        pthread_join(th[c], NULL);
                tput[run] = (double)(per * clients) / ((now_us() - t0) / 1e6);
        }
        size_t used = (size_t)runs * (size_t)((n / clients) * clients);
        /* Runs are laid out with stride n; compact when n % clients != 0. */
        qsort(all, total, sizeof(double), cmp_double);
        double *lat = all + (total - used);
        qsort(tput, (size_t)runs, sizeof(double), cmp_double);
        printf("%-16s clients=%-3d requests=%-6d runs=%d  median=%8.1f us  p90=%8.1f us  "
               "p99=%8.1f us  throughput(median)=%.0f req/s\n",
               name, clients, n, runs, pct(lat, used, 0.5), pct(lat, used, 0.9),
               pct(lat, used, 0.99), tput[runs / 2]);
        free(all);
        free(tput);
}

int main(int argc, char **argv)
{
        const char *host = getenv("DOCKER_HOST");
        int n = 10000, runs = 5, clients = 32, o;
        while ((o = getopt(argc, argv, "H:n:r:c:")) != -1) {
                switch (o) {
                case 'H':
                        host = optarg;
                        break;
                case 'n':
                        n = atoi(optarg);
                        break;
                case 'r':
                        runs = atoi(optarg);
                        break;
                case 'c':
                        clients = atoi(optarg);
                        break;
                default:
                        fprintf(stderr, "usage: kbench [-H unix:///path] [-n N] [-r RUNS] [-c "
                                        "CLIENTS] [TEST...]\n");
                        return 2;
                }
        }
        if (!host)
                host = "unix:///var/run/docker.sock";
        sock_path = strncmp(host, "unix://", 7) == 0 ? host + 7 : host;
        if (clients < 1 || clients > 256 || n < clients || runs < 1) {
                fprintf(stderr, "kbench: bad -n/-r/-c\n");
                return 2;
        }
        static const char *const all_tests[] = {"ping", "ping-newconn", "version", "info",
                                                "ping-concurrent"};
        const char *const *tests = optind < argc ? (const char *const *)argv + optind : all_tests;
        int ntests = optind < argc ? argc - optind : 5;
        printf("# kbench on %s\n", sock_path);
        for (int i = 0; i < ntests; i++) {
                const char *t = tests[i];
                if (strcmp(t, "ping") == 0)
                        bench(t, "/_ping", false, 1, n, runs);
                else if (strcmp(t, "ping-newconn") == 0)
                        bench(t, "/_ping", true, 1, n / 5 > 0 ? n / 5 : 1, runs);
                else if (strcmp(t, "version") == 0)
                        bench(t, "/version", false, 1, n / 5 > 0 ? n / 5 : 1, runs);
                else if (strcmp(t, "info") == 0)
                        bench(t, "/info", false, 1, n / 10 > 0 ? n / 10 : 1, runs);
                else if (strcmp(t, "ping-concurrent") == 0)
                        bench(t, "/_ping", false, clients, n, runs);
                else {
                        fprintf(stderr, "kbench: unknown test '%s'\n", t);
                        return 2;
                }
        }
        return 0;
}
