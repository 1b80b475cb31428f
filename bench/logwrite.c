/* logwrite - the shim's json-file writer alone: 100 MB of 100-byte lines
 * through logfile_write in 64 KiB reads (as the shim reads a pipe) into a
 * file, the median of 5 runs. The CPU cost of the log writer without the
 * container, the pipe or a loaded machine's scheduling in the figure; the
 * CPU time (user + system, getrusage) is what to compare on a busy host.
 * Usage: logwrite [DIR] (default /tmp). */
#include "shim/logfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double run_once(const char *path)
{
        struct logfile lf;
        struct kerr err = {0};
        unlink(path);
        if (logfile_open(&lf, path, 0, 1, &err) < 0) {
                fprintf(stderr, "%s\n", err.msg);
                exit(1);
        }
        static char chunk[65536];
        for (size_t i = 0; i < sizeof(chunk); i++)
                chunk[i] = i % 100 == 99 ? '\n' : 'x';
        struct timespec a, b, now;
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (size_t total = 0; total < 100000000; total += sizeof(chunk)) {
                clock_gettime(CLOCK_REALTIME, &now);
                logfile_write(&lf, LOGFILE_STDOUT, chunk, sizeof(chunk), &now);
        }
        logfile_flush(&lf, &now);
        logfile_release(&lf);
        clock_gettime(CLOCK_MONOTONIC, &b);
        unlink(path);
        return (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
}

static int cmp(const void *x, const void *y)
{
        double a = *(const double *)x, b = *(const double *)y;
        return (a > b) - (a < b);
}

int main(int argc, char **argv)
{
        char path[4096];
        snprintf(path, sizeof(path), "%s/kedge-logwrite.%d", argc > 1 ? argv[1] : "/tmp",
                 (int)getpid());
        double t[5], cpu[5];
        for (int i = 0; i < 5; i++) {
                struct rusage a, b;
                getrusage(RUSAGE_SELF, &a);
                t[i] = run_once(path);
                getrusage(RUSAGE_SELF, &b);
                cpu[i] = (double)(b.ru_utime.tv_sec - a.ru_utime.tv_sec + b.ru_stime.tv_sec -
                                  a.ru_stime.tv_sec) +
                         (double)(b.ru_utime.tv_usec - a.ru_utime.tv_usec + b.ru_stime.tv_usec -
                                  a.ru_stime.tv_usec) /
                             1e6;
        }
        qsort(t, 5, sizeof(t[0]), cmp);
        qsort(cpu, 5, sizeof(cpu[0]), cmp);
        printf("json-file writer, 100 MB in 100-byte lines: median %.3f s (%.1f MB/s), "
               "CPU %.3f s (%.1f MB per CPU second)\n",
               t[2], 100.0 / t[2], cpu[2], 100.0 / cpu[2]);
        return 0;
}
