#include "stream.h"

#include "reply.h"
#include "server-internal.h"

#include "base/json.h"
#include "base/xalloc.h"

#include <errno.h>
#include <stdatomic.h>
#include <time.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STREAM_BUFFER_MAX (1024 * 1024)

struct api_stream {
        pthread_mutex_t lock;
        pthread_cond_t drained; /* signalled when the reader took data */
        int refs;
        struct MHD_Connection *conn;
        struct api_server *srv;
        char *data;
        size_t off, len, cap;    /* unread bytes are data[off, len) */
        bool suspended;          /* the connection waits for data */
        bool closed;             /* producer said EOF */
        bool gone;               /* response freed: client away or done */
        struct api_stream *next; /* in srv->streams */
};

struct api_stream *api_stream_ref(struct api_stream *s)
{
        pthread_mutex_lock(&s->lock);
        s->refs++;
        pthread_mutex_unlock(&s->lock);
        return s;
}

struct api_stream *api_stream_unref(struct api_stream *s)
{
        if (!s)
                return NULL;
        pthread_mutex_lock(&s->lock);
        bool last = --s->refs == 0;
        pthread_mutex_unlock(&s->lock);
        if (last) {
                pthread_mutex_destroy(&s->lock);
                pthread_cond_destroy(&s->drained);
                free(s->data);
                free(s);
        }
        return NULL;
}

/* Called with s->lock held. */
static void wake_reader(struct api_stream *s)
{
        if (s->suspended) {
                s->suspended = false;
                MHD_resume_connection(s->conn);
        }
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
        (void)pos;
        struct api_stream *s = cls;
        pthread_mutex_lock(&s->lock);
        ssize_t r;
        if (s->len > s->off) {
                size_t n = s->len - s->off < max ? s->len - s->off : max;
                memcpy(buf, s->data + s->off, n);
                s->off += n;
                if (s->off == s->len)
                        s->off = s->len = 0;
                pthread_cond_broadcast(&s->drained);
                r = (ssize_t)n;
        } else if (s->closed) {
                r = MHD_CONTENT_READER_END_OF_STREAM;
        } else {
                /* Nothing yet: park the connection until a producer writes. */
                s->suspended = true;
                MHD_suspend_connection(s->conn);
                r = 0;
        }
        pthread_mutex_unlock(&s->lock);
        return r;
}

static void unlink_stream(struct api_stream *s)
{
        struct api_server *srv = s->srv;
        pthread_mutex_lock(&srv->streams_lock);
        for (struct api_stream **p = &srv->streams; *p; p = &(*p)->next)
                if (*p == s) {
                        *p = s->next;
                        break;
                }
        pthread_mutex_unlock(&srv->streams_lock);
}

static void reader_free(void *cls)
{
        struct api_stream *s = cls;
        unlink_stream(s);
        pthread_mutex_lock(&s->lock);
        s->gone = true;
        s->suspended = false;
        pthread_cond_broadcast(&s->drained);
        pthread_mutex_unlock(&s->lock);
        api_stream_unref(s);
}

struct api_stream *reply_async(struct request *req, unsigned int status, const char *content_type)
{
        struct api_stream *s = xnew0(struct api_stream);
        pthread_mutex_init(&s->lock, NULL);
        pthread_cond_init(&s->drained, NULL);
        s->refs = 2; /* the caller's and the response's */
        s->conn = req->conn;
        s->srv = req->server;
        pthread_mutex_lock(&s->srv->streams_lock);
        s->next = s->srv->streams;
        s->srv->streams = s;
        pthread_mutex_unlock(&s->srv->streams_lock);
        reply_stream(req, status, content_type, MHD_SIZE_UNKNOWN, reader, s, reader_free);
        /* Long polls must not be cut by the idle timeout. */
        MHD_set_connection_option(req->conn, MHD_CONNECTION_OPTION_TIMEOUT, 0u);
        return s;
}

int api_stream_write(struct api_stream *s, const void *data, size_t n)
{
        pthread_mutex_lock(&s->lock);
        while (!s->gone && !s->closed && s->len - s->off + n > STREAM_BUFFER_MAX && s->len > s->off)
                pthread_cond_wait(&s->drained, &s->lock);
        if (s->gone || s->closed) {
                pthread_mutex_unlock(&s->lock);
                return -EPIPE;
        }
        if (n == 0) { /* a probe: the client is still there */
                pthread_mutex_unlock(&s->lock);
                return 0;
        }
        if (s->len + n > s->cap) {
                if (s->off > 0) {
                        memmove(s->data, s->data + s->off, s->len - s->off);
                        s->len -= s->off;
                        s->off = 0;
                }
                if (s->len + n > s->cap) {
                        s->cap = s->len + n > 4096 ? s->len + n : 4096;
                        s->data = xrealloc(s->data, s->cap);
                }
        }
        memcpy(s->data + s->len, data, n);
        s->len += n;
        wake_reader(s);
        pthread_mutex_unlock(&s->lock);
        return 0;
}

int api_stream_printf(struct api_stream *s, const char *fmt, ...)
{
        char *p = NULL;
        va_list ap;
        va_start(ap, fmt);
        int n = vasprintf(&p, fmt, ap);
        va_end(ap);
        if (n < 0)
                return -ENOMEM;
        int r = api_stream_write(s, p, (size_t)n);
        free(p);
        return r;
}

int api_stream_json(struct api_stream *s, json_t *v, const char *eol)
{
        char *text = json_to_string(v);
        json_decref(v);
        int r = api_stream_printf(s, "%s%s", text, eol);
        free(text);
        return r;
}

void api_stream_close(struct api_stream *s)
{
        pthread_mutex_lock(&s->lock);
        s->closed = true;
        wake_reader(s);
        pthread_cond_broadcast(&s->drained);
        pthread_mutex_unlock(&s->lock);
}

bool api_stream_gone(struct api_stream *s)
{
        pthread_mutex_lock(&s->lock);
        bool gone = s->gone;
        pthread_mutex_unlock(&s->lock);
        return gone;
}

void api_streams_close_all(struct api_server *srv)
{
        pthread_mutex_lock(&srv->streams_lock);
        for (struct api_stream *s = srv->streams; s; s = s->next)
                api_stream_close(s);
        pthread_mutex_unlock(&srv->streams_lock);
}

/* Process-wide: workers outlive the request that started them. */
static atomic_int workers;

struct worker {
        void *(*fn)(void *);
        void *arg;
};

static void *worker_main(void *p)
{
        struct worker w = *(struct worker *)p;
        free(p);
        w.fn(w.arg);
        atomic_fetch_sub(&workers, 1);
        return NULL;
}

int api_worker_spawn(void *(*fn)(void *), void *arg)
{
        struct worker *w = xnew0(struct worker);
        *w = (struct worker){fn, arg};
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attr, 512 * 1024);
        atomic_fetch_add(&workers, 1);
        pthread_t t;
        int r = pthread_create(&t, &attr, worker_main, w);
        pthread_attr_destroy(&attr);
        if (r != 0) {
                atomic_fetch_sub(&workers, 1);
                free(w);
                return -r;
        }
        return 0;
}

int api_workers_wait(int timeout_ms)
{
        struct timespec tick = {0, 10 * 1000 * 1000};
        for (int waited = 0; waited < timeout_ms && atomic_load(&workers) > 0; waited += 10)
                nanosleep(&tick, NULL);
        return atomic_load(&workers);
}
