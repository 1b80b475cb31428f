/* image-progress.c - Docker's progress objects (jsonmessage.JSONMessage):
 * {"status","progressDetail":{"current","total"},"progress","id"}. */
#include "transfer.h"

#include "base/json.h"

#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <string.h>

/* go-units HumanSize: decimal units, four significant digits. */
static void human(char *buf, size_t size, int64_t n)
{
        static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
        double v = (double)n;
        size_t u = 0;
        while (v >= 1000 && u < 5) {
                v /= 1000;
                u++;
        }
        snprintf(buf, size, "%.4g%s", v, units[u]);
}

json_t *image_progress_msg(const char *status, const char *id, int64_t current, int64_t total)
{
        json_t *o = json_object();
        json_set_str(o, "status", status);
        json_t *detail = json_object();
        if (current >= 0) {
                json_set_int(detail, "current", current);
                if (total > 0)
                        json_set_int(detail, "total", total);
                char bar[64] = "", cur[24], tot[24];
                human(cur, sizeof(cur), current);
                if (total > 0) {
                        int width = 50;
                        int filled = (int)(current * width / total);
                        if (filled > width)
                                filled = width;
                        for (int i = 0; i < width; i++)
                                bar[i] = i < filled - 1 ? '=' : i == filled - 1 ? '>' : ' ';
                        bar[width] = 0;
                        human(tot, sizeof(tot), total);
                        json_set(o, "progress", json_sprintf("[%s] %8s/%s", bar, cur, tot));
                } else {
                        json_set(o, "progress", json_sprintf("%8s", cur));
                }
        }
        json_set(o, "progressDetail", detail);
        if (id)
                json_set_str(o, "id", id);
        return o;
}

bool image_progress_due(struct timespec *last, int64_t done, int64_t total)
{
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        int64_t ms = (now.tv_sec - last->tv_sec) * 1000 + (now.tv_nsec - last->tv_nsec) / 1000000;
        if (ms < 100 && done < total)
                return false;
        *last = now;
        return true;
}
