/* logs.c - GET /containers/{id}/logs: the json-file log, framed for the
 * client (8-byte stream headers without a TTY, raw with one), streamed
 * from a worker thread so a follower costs no server thread. */
#include "handlers.h"
#include "reply.h"
#include "stream.h"

#include "base/buf.h"
#include "base/json.h"
#include "base/xalloc.h"
#include "engine/container/container.h"
#include "engine/engine.h"
#include "engine/container/logs.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LOGS_BATCH (256 * 1024) /* frames are sent in batches of this size */

struct logs_job {
        struct engine *engine;
        struct container *c;
        struct log_files *files;
        struct api_stream *s;
        struct log_opts opts;
        bool tty, timestamps;
        struct buf out; /* frames not yet handed to the stream */
};

static int flush(struct logs_job *j)
{
        int r = api_stream_write(j->s, j->out.data, j->out.len);
        j->out.len = 0;
        return r;
}

static int on_entry(void *cls, const struct log_entry *e)
{
        struct logs_job *j = cls;
        if (!e) /* the end of a read: send what is batched; is anyone still listening? */
                return flush(j);
        char ts[48] = "";
        size_t tslen = 0;
        if (j->timestamps) {
                /* Docker's fixed-width form: 9 fraction digits, then a space. */
                time_t sec = (time_t)(e->time_ns / 1000000000);
                struct tm tm;
                gmtime_r(&sec, &tm);
                tslen =
                    (size_t)snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ ",
                                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                                     tm.tm_min, tm.tm_sec, (long long)(e->time_ns % 1000000000));
        }
        if (!j->tty) {
                uint32_t n = (uint32_t)(tslen + e->len);
                unsigned char hdr[8] = {(unsigned char)e->stream,
                                        0,
                                        0,
                                        0,
                                        (unsigned char)(n >> 24),
                                        (unsigned char)(n >> 16),
                                        (unsigned char)(n >> 8),
                                        (unsigned char)n};
                buf_append(&j->out, hdr, sizeof(hdr));
        }
        buf_append(&j->out, ts, tslen);
        buf_append(&j->out, e->data, e->len);
        return j->out.len >= LOGS_BATCH ? flush(j) : 0;
}

static void *logs_thread(void *arg)
{
        struct logs_job *j = arg;
        struct kerr err = {0};
        logs_read(j->files, j->c, &j->opts, on_entry, j, &err);
        log_files_free(j->files);
        buf_release(&j->out);
        api_stream_close(j->s);
        api_stream_unref(j->s);
        container_unref(j->c);
        free(j);
        return NULL;
}

/* Docker's since/until: Unix seconds with an optional .nanoseconds. */
static int parse_unix_time(const char *s, int64_t *ret)
{
        if (!s || !s[0] || strcmp(s, "0") == 0) {
                *ret = 0;
                return 0;
        }
        char *end;
        errno = 0;
        long long sec = strtoll(s, &end, 10);
        if (end == s || (errno && errno != ERANGE)) /* ERANGE: clamped below */
                return -EINVAL;
        int64_t ns = 0;
        if (*end == '.') {
                int digits = 0;
                for (end++; *end >= '0' && *end <= '9'; end++, digits++)
                        if (digits < 9)
                                ns = ns * 10 + (*end - '0');
                for (; digits < 9; digits++)
                        ns *= 10;
        }
        if (*end)
                return -EINVAL;
        /* Past what nanoseconds in 64 bits hold (year 2262): the far future
         * or past, not an overflow. */
        if (sec > INT64_MAX / 1000000000 - 1)
                *ret = INT64_MAX;
        else if (sec < INT64_MIN / 1000000000 + 1)
                *ret = INT64_MIN;
        else
                *ret = (int64_t)sec * 1000000000 + (sec < 0 ? -ns : ns);
        return 0;
}

/* "all", "", -1 or a count of lines. A count past what any log holds
 * (even past 64 bits) is the whole log, as dockerd treats it; other
 * negative numbers and non-numbers are refused (dockerd reads them as
 * "all"). */
static int parse_tail(const char *s, long *ret)
{
        *ret = -1;
        if (!s || !s[0] || strcmp(s, "all") == 0 || strcmp(s, "-1") == 0)
                return 0;
        size_t n = strspn(s, "0123456789");
        if (n == 0 || s[n])
                return -EINVAL;
        errno = 0;
        char *end;
        long v = strtol(s, &end, 10);
        *ret = errno == ERANGE ? -1 : v;
        return 0;
}

void containers_logs(struct request *req)
{
        struct kerr err = {0};
        struct container *c = container_get(req->engine, req_param(req, 0), &err);
        if (!c) {
                reply_error(req, &err);
                return;
        }
        struct logs_job *j = xnew0(struct logs_job);
        buf_init(&j->out, 0);
        j->engine = req->engine;
        j->c = c;
        j->opts.want_stdout = req_query_bool(req, "stdout", false);
        j->opts.want_stderr = req_query_bool(req, "stderr", false);
        j->opts.follow = req_query_bool(req, "follow", false);
        j->timestamps = req_query_bool(req, "timestamps", false);
        j->tty = container_is_tty(c);
        const char *bad = NULL;
        if (parse_tail(req_query(req, "tail"), &j->opts.tail) < 0)
                bad = "invalid value for \"tail\": want \"all\" or a number of lines";
        else if (!j->opts.want_stdout && !j->opts.want_stderr)
                bad = "You must choose at least one stream";
        else if (parse_unix_time(req_query(req, "since"), &j->opts.since_ns) < 0)
                bad = "invalid value for \"since\"";
        else if (parse_unix_time(req_query(req, "until"), &j->opts.until_ns) < 0)
                bad = "invalid value for \"until\"";
        if (bad) {
                reply_errorf(req, KERR_INVALID, "%s", bad);
                container_unref(c);
                free(j);
                return;
        }
        const char *ct = !j->tty && api_version_at_least(req->version, 1, 42)
                             ? "application/vnd.docker.multiplexed-stream"
                             : "application/vnd.docker.raw-stream";
        j->files = logs_open(req->engine, c);
        j->s = reply_async(req, MHD_HTTP_OK, ct);
        if (api_worker_spawn(logs_thread, j) < 0) {
                log_files_free(j->files);
                api_stream_close(j->s);
                api_stream_unref(j->s);
                container_unref(c);
                free(j);
        }
}
