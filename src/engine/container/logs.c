#include "logs.h"

#include "container-internal.h"
#include "engine/engine.h"

#include "base/json.h"
#include "base/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX (1u << 20)
#define ROTATED_MAX 100

int64_t log_time_parse(const char *s)
{
        struct tm tm = {0};
        int frac_digits = 0;
        long long frac = 0;
        if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                   &tm.tm_min, &tm.tm_sec) != 6)
                return -1;
        const char *p = s + 19;
        if (*p == '.')
                for (p++; *p >= '0' && *p <= '9'; p++, frac_digits++)
                        if (frac_digits < 9)
                                frac = frac * 10 + (*p - '0');
        for (int i = frac_digits; i < 9; i++)
                frac *= 10;
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        time_t t = timegm(&tm);
        return (int64_t)t * 1000000000 + frac;
}

struct reader {
        const struct log_opts *opts;
        log_entry_fn fn;
        void *cls;
        /* tail: a ring of the last N matching lines, emitted at the end of
         * the existing logs. */
        char **ring;
        size_t ring_n, ring_head;
};

/* Parses one line; returns 1 and fills e when it passes the filters. */
static int parse_line(const struct log_opts *o, const char *line, size_t len, json_t **keep,
                      struct log_entry *e)
{
        json_t *v = json_loadb(line, len, 0, NULL);
        if (!v)
                return 0;
        const char *stream = json_get_str(v, "stream");
        const char *t = json_get_str(v, "time");
        json_t *log = json_object_get(v, "log");
        if (!stream || !t || !json_is_string(log)) {
                json_decref(v);
                return 0;
        }
        e->stream = strcmp(stream, "stderr") == 0 ? 2 : 1;
        e->time_ns = log_time_parse(t);
        e->data = json_string_value(log);
        e->len = json_string_length(log);
        if ((e->stream == 1 && !o->want_stdout) || (e->stream == 2 && !o->want_stderr) ||
            (o->since_ns && e->time_ns < o->since_ns) || (o->until_ns && e->time_ns > o->until_ns)) {
                json_decref(v);
                return 0;
        }
        *keep = v;
        return 1;
}

static int emit(struct reader *r, const char *line, size_t len)
{
        json_t *v = NULL;
        struct log_entry e;
        if (!parse_line(r->opts, line, len, &v, &e))
                return 0;
        int ret = r->fn(r->cls, &e);
        json_decref(v);
        return ret;
}

static int take_line(struct reader *r, const char *line, size_t len, bool tailing)
{
        if (!tailing)
                return emit(r, line, len);
        if (r->ring_n == 0)
                return 0;
        json_t *v = NULL;
        struct log_entry e;
        if (!parse_line(r->opts, line, len, &v, &e))
                return 0;
        json_decref(v);
        free(r->ring[r->ring_head]);
        r->ring[r->ring_head] = xstrndup(line, len);
        r->ring_head = (r->ring_head + 1) % r->ring_n;
        return 0;
}

/* Reads f from its position to EOF, line by line. Keeps a partial last
 * line in *pending for the next call (follow). */
static int read_lines(struct reader *r, FILE *f, char **pending, size_t *plen, bool tailing)
{
        char chunk[65536];
        size_t n;
        while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
                *pending = xrealloc(*pending, *plen + n + 1);
                memcpy(*pending + *plen, chunk, n);
                *plen += n;
                size_t start = 0;
                for (size_t i = 0; i < *plen; i++)
                        if ((*pending)[i] == '\n') {
                                int ret = take_line(r, *pending + start, i - start, tailing);
                                if (ret < 0)
                                        return ret;
                                start = i + 1;
                        }
                memmove(*pending, *pending + start, *plen - start);
                *plen -= start;
                if (*plen > LOG_LINE_MAX)
                        *plen = 0; /* a broken line: drop it */
        }
        clearerr(f);
        return 0;
}

static bool still_running(struct container *c)
{
        pthread_mutex_lock(&c->lock);
        bool running = c->state == CONTAINER_RUNNING || c->state == CONTAINER_PAUSED ||
                       c->state == CONTAINER_RESTARTING || c->state == CONTAINER_STARTING;
        pthread_mutex_unlock(&c->lock);
        return running;
}

struct log_files {
        char base[512];
        FILE *rotated[ROTATED_MAX]; /* oldest first */
        int nrotated;
        FILE *current; /* may be NULL: nothing logged yet */
};

struct log_files *engine_logs_open(struct engine *e, struct container *c)
{
        struct log_files *f = xnew0(struct log_files);
        snprintf(f->base, sizeof(f->base), "%s/containers/%s/%s-json.log", e->data_root, c->id,
                 c->id);
        for (int i = ROTATED_MAX; i >= 1; i--) {
                char p[600];
                snprintf(p, sizeof(p), "%s.%d", f->base, i);
                FILE *r = fopen(p, "re");
                if (r)
                        f->rotated[f->nrotated++] = r;
        }
        f->current = fopen(f->base, "re");
        return f;
}

struct log_files *log_files_free(struct log_files *f)
{
        if (!f)
                return NULL;
        for (int i = 0; i < f->nrotated; i++)
                fclose(f->rotated[i]);
        if (f->current)
                fclose(f->current);
        free(f);
        return NULL;
}

int engine_logs_read(struct log_files *files, struct container *c, const struct log_opts *opts,
                     log_entry_fn fn, void *cls, struct kerr *err)
{
        const char *base = files->base;
        struct reader r = {.opts = opts, .fn = fn, .cls = cls};
        bool tailing = opts->tail >= 0;
        if (tailing) {
                r.ring_n = (size_t)opts->tail;
                r.ring = r.ring_n ? xzalloc(r.ring_n * sizeof(char *)) : NULL;
        }
        int ret = 0;
        char *pending = NULL;
        size_t plen = 0;
        /* Rotated files first, oldest (highest number) to newest. */
        for (int i = 0; i < files->nrotated && ret >= 0; i++) {
                plen = 0;
                ret = read_lines(&r, files->rotated[i], &pending, &plen, tailing);
        }
        FILE *cur = files->current;
        files->current = NULL; /* owned here from now on */
        plen = 0;
        if (cur && ret >= 0)
                ret = read_lines(&r, cur, &pending, &plen, tailing);
        for (size_t i = 0; tailing && ret >= 0 && i < r.ring_n; i++) {
                char *line = r.ring[(r.ring_head + i) % r.ring_n];
                if (line)
                        ret = emit(&r, line, strlen(line));
        }
        for (size_t i = 0; i < r.ring_n; i++)
                free(r.ring[i]);
        free(r.ring);
        r.ring_n = 0;
        /* Follow: poll for growth until the container stops. The shim
         * flushes each write as it happens, so 50 ms is the added latency. */
        while (opts->follow && ret >= 0) {
                bool running = still_running(c);
                if (!cur)
                        cur = fopen(base, "re");
                if (cur) {
                        struct stat a, b;
                        ret = read_lines(&r, cur, &pending, &plen, false);
                        /* Rotated under us: continue in the new file. */
                        if (ret >= 0 && stat(base, &a) == 0 && fstat(fileno(cur), &b) == 0 &&
                            a.st_ino != b.st_ino) {
                                fclose(cur);
                                cur = fopen(base, "re");
                                plen = 0;
                                continue;
                        }
                }
                if (!running || ret < 0)
                        break;
                struct timespec ts = {0, 50 * 1000 * 1000};
                nanosleep(&ts, NULL);
                /* A probe write tells the caller whether the client is gone. */
                ret = fn(cls, NULL);
        }
        if (cur)
                fclose(cur);
        free(pending);
        (void)err;
        return ret < 0 ? 0 : 0;
}
