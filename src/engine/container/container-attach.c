/* container-attach.c - a client's byte stream bridged to the shim's
 * attach.sock: stdin frames one way, stdout/stderr frames the other, until
 * the container exits (EXIT frame), the client detaches (ctrl-p ctrl-q by
 * default) or hangs up. One thread per attached client; the shim's frame
 * header has Docker's multiplexed layout, so non-TTY output is re-framed
 * byte for byte.
 *
 * Stdin never blocks the session: frames for the shim wait in to_shim
 * while its socket is full (the shim stops reading while the container
 * has not taken its stdin), and the client is read again only once they
 * are gone, so a big stdin is held back hop by hop instead of failing,
 * while output keeps flowing. With logs, the container's past output is
 * sent first, as dockerd does.
 *
 * The session is made (prepare) before the client is told it is attached,
 * and gets the client's socket (connect) only after that: in between, a
 * start connects it to the shim and the output waits in the shim's socket;
 * whichever of the engine side (session_end) and the client side
 * (container_attach_connect) comes second ends the client's stream. */
#include "container-internal.h"
#include "engine/engine.h"
#include "logs.h"

#include "base/buf.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "shim/proto.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct attach_session {
        struct engine *e;
        struct container *c;
        int client, shim;
        bool tty, in, out, err;
        bool logs, stream;
        bool stdin_once;
        struct buf to_shim; /* stdin frames the shim has not taken yet */
        uint8_t keys[16];
        size_t nkeys, matched;
        char *extra;
        size_t extra_len;
        struct buf past; /* logs=1 before start: the past output, read at prepare */
        void (*done)(void *cls);
        void *cls;
        struct attach_session *next; /* pending list */
        pthread_mutex_t lock;        /* connected, ended, refs */
        pthread_cond_t cond;         /* connected */
        bool connected;              /* the client came (client >= 0) or gave up */
        bool ended;                  /* the engine side is done */
        int refs;                    /* the engine side and the client side */
};

/* How long a session waits for its client after the 101. */
#define ATTACH_CLIENT_WAIT_S 60

/* "ctrl-p,ctrl-q" -> {0x10, 0x11}; letters and ctrl-@..ctrl-_ as Docker. */
static size_t parse_keys(const char *spec, uint8_t *out, size_t max)
{
        size_t n = 0;
        for (const char *p = spec; *p && n < max;) {
                size_t len = strcspn(p, ",");
                if (len == 6 && strncmp(p, "ctrl-", 5) == 0) {
                        char k = p[5];
                        if (k >= 'a' && k <= 'z')
                                out[n++] = (uint8_t)(k - 'a' + 1);
                        else if (k >= '@' && k <= '_')
                                out[n++] = (uint8_t)(k - '@');
                } else if (len == 1) {
                        out[n++] = (uint8_t)p[0];
                }
                p += len + (p[len] == ',');
        }
        return n;
}

static int write_client(struct attach_session *s, const void *data, size_t n)
{
        const uint8_t *p = data;
        while (n > 0) {
                ssize_t w = send(s->client, p, n, MSG_NOSIGNAL);
                if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
                        struct pollfd pf = {.fd = s->client, .events = POLLOUT};
                        poll(&pf, 1, 1000);
                        continue;
                }
                if (w <= 0)
                        return -EPIPE;
                p += w;
                n -= (size_t)w;
        }
        return 0;
}

static void queue_shim(struct attach_session *s, enum shim_frame_type t, const void *data, size_t n)
{
        uint8_t hdr[SHIM_FRAME_HDR];
        shim_frame_header(hdr, t, (uint32_t)n);
        buf_append(&s->to_shim, hdr, sizeof(hdr));
        buf_append(&s->to_shim, data, n);
}

/* Sends what the shim's socket takes now; < 0 when the shim is gone. */
static int flush_shim(struct attach_session *s)
{
        size_t off = 0;
        while (off < s->to_shim.len) {
                ssize_t w = send(s->shim, s->to_shim.data + off, s->to_shim.len - off,
                                 MSG_NOSIGNAL | MSG_DONTWAIT);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0 && errno == EAGAIN)
                        break;
                if (w <= 0)
                        return -EPIPE;
                off += (size_t)w;
        }
        memmove(s->to_shim.data, s->to_shim.data + off, s->to_shim.len - off);
        s->to_shim.len -= off;
        return 0;
}

/* Stdin from the client: returns 1 when the detach keys were typed. As in
 * dockerd, only a TTY has detach keys: piped stdin is data, and binary
 * data holds ctrl-p ctrl-q (0x10 0x11) about once per 64 KiB. */
static int forward_stdin(struct attach_session *s, const uint8_t *buf, size_t n)
{
        for (size_t i = 0; s->tty && s->nkeys && i < n; i++) {
                if (buf[i] == s->keys[s->matched]) {
                        if (++s->matched == s->nkeys)
                                return 1;
                } else {
                        s->matched = buf[i] == s->keys[0] ? 1 : 0;
                }
        }
        for (size_t start = 0; start < n;) {
                size_t k = n - start > SHIM_FRAME_IN_MAX ? SHIM_FRAME_IN_MAX : n - start;
                queue_shim(s, SHIM_FRAME_STDIN, buf + start, k);
                start += k;
        }
        return flush_shim(s) < 0 ? -1 : 0;
}

/* Past output goes to the client, or is kept until it comes. */
static int emit(struct attach_session *s, const void *data, size_t n)
{
        if (s->client >= 0)
                return write_client(s, data, n);
        buf_append(&s->past, data, n);
        return 0;
}

/* One entry of the past output, framed as the live stream is. */
static int send_log_entry(void *cls, const struct log_entry *e)
{
        struct attach_session *s = cls;
        if (!e)
                return 0;
        if (!s->tty) {
                uint8_t hdr[SHIM_FRAME_HDR];
                shim_frame_header(hdr, (enum shim_frame_type)e->stream, (uint32_t)e->len);
                if (emit(s, hdr, sizeof(hdr)) < 0)
                        return -EPIPE;
        }
        return emit(s, e->data, e->len);
}

/* logs=1: everything the container has printed so far, on the streams
 * asked for. */
static int send_past_output(struct attach_session *s)
{
        struct log_opts o = {.want_stdout = s->out, .want_stderr = s->err, .tail = -1};
        struct kerr err = {0};
        struct log_files *f = logs_open(s->e, s->c);
        int r = logs_read(f, s->c, &o, send_log_entry, s, &err);
        log_files_free(f);
        return r;
}

/* Output from the shim; returns 1 at EXIT, < 0 on a broken stream. */
static int forward_output(struct attach_session *s, uint8_t *buf, size_t *len)
{
        size_t off = 0;
        int ret = 0;
        while (ret == 0) {
                struct shim_frame f;
                int r = shim_frame_parse(buf + off, *len - off, SHIM_FRAME_OUT_MAX, &f);
                if (r == 0)
                        break;
                if (r < 0)
                        return -1;
                bool want = (f.type == SHIM_FRAME_STDOUT && s->out) ||
                            (f.type == SHIM_FRAME_STDERR && s->err);
                if (f.type == SHIM_FRAME_EXIT)
                        ret = 1;
                else if (want && (s->tty ? write_client(s, f.payload, f.len)
                                         : write_client(s, buf + off, (size_t)r)) < 0)
                        ret = -1;
                off += (size_t)r;
        }
        memmove(buf, buf + off, *len - off);
        *len -= off;
        return ret;
}

/* Without done: on a refusal the caller still owns the client side. */
static void session_discard(struct attach_session *s)
{
        container_unref(s->c);
        buf_release(&s->to_shim);
        buf_release(&s->past);
        free(s->extra);
        pthread_mutex_destroy(&s->lock);
        pthread_cond_destroy(&s->cond);
        free(s);
}

static void session_put(struct attach_session *s)
{
        pthread_mutex_lock(&s->lock);
        bool last = --s->refs == 0;
        pthread_mutex_unlock(&s->lock);
        if (last)
                session_discard(s);
}

/* The past output not sent yet, then the end of the client's stream. */
static void client_finish(struct attach_session *s)
{
        if (s->past.len)
                (void)write_client(s, s->past.data, s->past.len);
        s->past.len = 0;
        s->done(s->cls); /* closes the client connection */
}

/* The engine side is done: the client's stream ends now, or when it comes. */
static void session_end(struct attach_session *s)
{
        if (s->shim >= 0)
                close(s->shim);
        s->shim = -1;
        pthread_mutex_lock(&s->lock);
        s->ended = true;
        bool client = s->connected && s->client >= 0;
        pthread_mutex_unlock(&s->lock);
        if (client)
                client_finish(s);
        session_put(s);
}

/* Waits for container_attach_connect; false when no client came. */
static bool wait_client(struct attach_session *s)
{
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += ATTACH_CLIENT_WAIT_S;
        pthread_mutex_lock(&s->lock);
        while (!s->connected)
                if (pthread_cond_timedwait(&s->cond, &s->lock, &until) == ETIMEDOUT)
                        break;
        bool client = s->connected && s->client >= 0;
        pthread_mutex_unlock(&s->lock);
        if (client && s->past.len) {
                int r = write_client(s, s->past.data, s->past.len);
                s->past.len = 0;
                return r == 0;
        }
        return client;
}

/* Client bytes: stdin, or its end. Returns false to end the session. */
static bool on_client(struct attach_session *s, bool *client_open)
{
        uint8_t in[65536];
        ssize_t n = recv(s->client, in, sizeof(in), 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return true;
        if (n <= 0) {
                /* Half-close: the client's stdin ended; output goes on. */
                *client_open = false;
                if (s->in && s->stdin_once) {
                        queue_shim(s, SHIM_FRAME_CLOSE_STDIN, NULL, 0);
                        if (flush_shim(s) < 0)
                                return false;
                }
                return s->out || s->err || s->to_shim.len;
        }
        return !s->in || forward_stdin(s, in, (size_t)n) == 0; /* else detached or shim gone */
}

static void *session_main(void *arg)
{
        struct attach_session *s = arg;
        static __thread uint8_t out[SHIM_FRAME_HDR + SHIM_FRAME_OUT_MAX];
        size_t olen = 0;
        bool client_open = true;
        if (!wait_client(s) || (s->logs && send_past_output(s) < 0))
                goto done;
        if (s->in && s->extra_len && forward_stdin(s, (const uint8_t *)s->extra, s->extra_len) != 0)
                goto done;
        for (;;) {
                bool queued = s->to_shim.len > 0;
                if (!client_open && !queued && !s->out && !s->err)
                        break; /* stdin only, and all of it delivered */
                struct pollfd p[2] = {
                    {.fd = s->shim, .events = (short)(POLLIN | (queued ? POLLOUT : 0))},
                    {.fd = client_open && !queued ? s->client : -1, .events = POLLIN}};
                if (poll(p, 2, -1) < 0 && errno != EINTR)
                        break;
                if (p[0].revents & POLLOUT && flush_shim(s) < 0)
                        break;
                if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
                        ssize_t n = read(s->shim, out + olen, sizeof(out) - olen);
                        if (n <= 0 && !(n < 0 && (errno == EINTR || errno == EAGAIN)))
                                break;
                        if (n > 0) {
                                olen += (size_t)n;
                                if (forward_output(s, out, &olen) != 0)
                                        break;
                        }
                }
                if (p[1].revents && !on_client(s, &client_open))
                        break;
        }
done:
        session_end(s);
        return NULL;
}

/* logs=1&stream=0: the past output, then the end. */
static void *logs_only_main(void *arg)
{
        struct attach_session *s = arg;
        /* docker-py reads the 101 through a buffered reader, then reads the
         * raw socket: bytes that came in the same segment as the 101 are
         * lost to it. dockerd opening its log reader takes a few ms; so
         * does this. */
        struct timespec gap = {0, 20 * 1000 * 1000};
        if (wait_client(s)) {
                nanosleep(&gap, NULL);
                if (s->logs)
                        send_past_output(s);
        }
        session_end(s);
        return NULL;
}

static int spawn(void *(*fn)(void *), struct attach_session *s)
{
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attr, 256 * 1024);
        int r = pthread_create(&t, &attr, fn, s);
        pthread_attr_destroy(&attr);
        return -r;
}

static int run_session(struct attach_session *s)
{
        int fd = shim_connect(s->e, s->c, "attach.sock");
        if (fd < 0)
                return fd;
        s->shim = fd;
        if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0 || spawn(session_main, s) < 0) {
                close(fd);
                s->shim = -1;
                return -EAGAIN;
        }
        return 0;
}

static bool attachable(enum container_state st)
{
        return st == CONTAINER_CREATED || st == CONTAINER_EXITED || st == CONTAINER_RESTARTING ||
               st == CONTAINER_STARTING || st == CONTAINER_RUNNING;
}

static struct attach_session *session_new(struct engine *e, struct container *c,
                                          const struct attach_opts *o)
{
        struct attach_session *s = xnew0(struct attach_session);
        s->e = e;
        s->c = container_ref(c);
        s->client = -1;
        s->shim = -1;
        s->tty = json_is_true(json_object_get(c->config, "Tty"));
        s->in = o->in && json_is_true(json_object_get(c->config, "OpenStdin"));
        s->out = o->out;
        s->err = o->err;
        s->logs = o->logs;
        s->stream = o->stream;
        s->stdin_once = json_is_true(json_object_get(c->config, "StdinOnce"));
        s->nkeys =
            parse_keys(o->detach_keys ? o->detach_keys : "ctrl-p,ctrl-q", s->keys, sizeof(s->keys));
        buf_init(&s->to_shim, 0);
        buf_init(&s->past, 0);
        pthread_mutex_init(&s->lock, NULL);
        pthread_cond_init(&s->cond, NULL);
        s->refs = 2;
        return s;
}

struct attach_session *container_attach_prepare(struct engine *e, struct container *c,
                                                const struct attach_opts *o, struct kerr *err)
{
        struct attach_session *s = session_new(e, c, o);
        if (!s->stream) {
                if (spawn(logs_only_main, s) < 0) {
                        session_discard(s);
                        kerr_set(err, KERR_INTERNAL, EAGAIN, "attach: no thread");
                        return NULL;
                }
                return s;
        }
        pthread_mutex_lock(&c->lock);
        enum container_state st = c->state;
        pthread_mutex_unlock(&c->lock);
        if (!attachable(st)) {
                session_discard(s);
                kerr_set(err, KERR_CONFLICT, ESRCH,
                         "You cannot attach to a stopped container, start it first");
                return NULL;
        }
        if (s->logs && st != CONTAINER_RUNNING) {
                /* Read now, so that a start in between cannot send the next
                 * run's first output twice (from the log and live). */
                s->logs = false;
                send_past_output(s);
        }
        pthread_mutex_lock(&c->lock);
        st = c->state;
        if (st == CONTAINER_CREATED || st == CONTAINER_EXITED || st == CONTAINER_RESTARTING ||
            st == CONTAINER_STARTING) {
                /* Not running yet: connected by the next start. */
                s->next = c->pending;
                c->pending = s;
                pthread_mutex_unlock(&c->lock);
                return s;
        }
        pthread_mutex_unlock(&c->lock);
        if (st != CONTAINER_RUNNING || run_session(s) < 0) {
                /* It stopped in between: the session ends as if the
                 * container had just exited (after the past output). */
                session_end(s);
        }
        return s;
}

void container_attach_connect(struct attach_session *s, int fd, const char *extra, size_t extra_len,
                              void (*done)(void *cls), void *cls)
{
        pthread_mutex_lock(&s->lock);
        if (fd >= 0 && extra_len) {
                s->extra = xmalloc(extra_len);
                memcpy(s->extra, extra, extra_len);
                s->extra_len = extra_len;
        }
        s->client = fd;
        s->done = done;
        s->cls = cls;
        s->connected = true;
        bool ended = s->ended;
        pthread_cond_signal(&s->cond);
        pthread_mutex_unlock(&s->lock);
        if (ended && fd >= 0)
                client_finish(s);
        session_put(s);
}

/* Takes the pending list and connects (connect) or ends (!connect) each. */
static void take_pending(struct container *c, bool connect)
{
        pthread_mutex_lock(&c->lock);
        struct attach_session *list = c->pending;
        c->pending = NULL;
        pthread_mutex_unlock(&c->lock);
        while (list) {
                struct attach_session *s = list;
                list = s->next;
                if (!connect) {
                        session_end(s);
                } else if (run_session(s) < 0) {
                        log_warn("container %s: could not attach a client, ignoring", c->id);
                        session_end(s);
                }
        }
}

void container_attach_pending(struct engine *e, struct container *c)
{
        (void)e;
        take_pending(c, true);
}

void container_attach_drop_pending(struct container *c)
{
        take_pending(c, false);
}
