#include "accept.h"

#include "server-internal.h"
#include "version.h"

#include "base/log.h"
#include "base/xalloc.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Bytes looked at before handing a connection over; a request line longer
 * than this is left to libmicrohttpd's own limits. */
#define PEEK_MAX 1024

/* RFC 9110 5.6.2 tchar. */
static bool is_tchar(unsigned char c)
{
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
                return true;
        return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static enum api_line_verdict bad(const char **ret_why, const char *why)
{
        if (ret_why)
                *ret_why = why;
        return API_LINE_BAD;
}

enum api_line_verdict api_request_line_check(const char *data, size_t n, const char **ret_why)
{
        const unsigned char *p = (const unsigned char *)data;
        size_t i = 0;
        while (i < n && (p[i] == '\r' || p[i] == '\n'))
                i++;
        size_t start = i;
        while (i < n && is_tchar(p[i]))
                i++;
        if (i == n)
                return API_LINE_INCOMPLETE;
        if (i == start)
                return bad(ret_why, "the request does not start with a method");
        if (p[i] != ' ')
                return bad(ret_why, "no request target after the method");
        start = ++i;
        /* Control bytes are never part of a target; bytes >= 0x80 are let
         * through, as Go's server does. */
        while (i < n && p[i] > ' ' && p[i] != 0x7f)
                i++;
        if (i == n)
                return API_LINE_INCOMPLETE;
        if (i == start || p[i] != ' ')
                return bad(ret_why, i == start ? "no request target after the method"
                                               : "malformed request target or no HTTP version");
        i++;
        static const char version[] = "HTTP/1.";
        for (size_t k = 0; k < sizeof(version) - 1; k++, i++) {
                if (i == n)
                        return API_LINE_INCOMPLETE;
                if (p[i] != (unsigned char)version[k])
                        return bad(ret_why, "unsupported HTTP version");
        }
        if (i == n)
                return API_LINE_INCOMPLETE;
        if (p[i] != '0' && p[i] != '1')
                return bad(ret_why, "unsupported HTTP version");
        if (++i < n && p[i] == '\r')
                i++;
        if (i == n)
                return API_LINE_INCOMPLETE;
        return p[i] == '\n' ? API_LINE_OK : bad(ret_why, "malformed request line");
}

/* One socket the thread watches: a listener, the stop event, or a
 * connection waiting for its first bytes. */
enum watch_kind { WATCH_STOP, WATCH_LISTEN, WATCH_CONN };

struct watch {
        enum watch_kind kind;
        int fd;
        int listener;
        int64_t deadline_ms;
        struct watch *prev, *next; /* pending connections */
};

struct api_acceptor {
        struct api_server *srv;
        pthread_t thread;
        int epfd, stopfd;
        int64_t idle_ms;
        unsigned max_pending, npending;
        struct watch stop;
        struct watch listen[API_SOCKETS_MAX];
        struct watch *pending;
};

static int64_t now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void answer_bad(int fd, const char *why)
{
        char body[256], msg[512];
        int bn =
            snprintf(body, sizeof(body), "{\"message\":\"malformed HTTP request: %s\"}\n", why);
        int n = snprintf(msg, sizeof(msg),
                         "HTTP/1.1 400 Bad Request\r\nApi-Version: " API_VERSION_CURRENT_STR
                         "\r\nContent-Type: application/json\r\nConnection: close\r\n"
                         "Content-Length: %d\r\n\r\n%s",
                         bn, body);
        /* Read what was sent, so closing does not reset the connection
         * before the client reads the answer. */
        char sink[PEEK_MAX];
        while (recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0)
                ;
        if (send(fd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
                log_debug("http: cannot answer a malformed request: %s", strerror(errno));
        shutdown(fd, SHUT_WR);
}

static void pending_drop(struct api_acceptor *a, struct watch *w)
{
        epoll_ctl(a->epfd, EPOLL_CTL_DEL, w->fd, NULL);
        if (w->prev)
                w->prev->next = w->next;
        else
                a->pending = w->next;
        if (w->next)
                w->next->prev = w->prev;
        a->npending--;
        free(w);
}

static void hand_over(struct api_acceptor *a, int fd, int listener)
{
        static const struct sockaddr_un peer = {.sun_family = AF_UNIX};
        /* libmicrohttpd closes fd itself when it cannot take it. */
        if (MHD_add_connection(a->srv->listeners[listener].mhd, fd, (const struct sockaddr *)&peer,
                               sizeof(sa_family_t)) != MHD_YES)
                log_warn("http: cannot take a new connection: %s", strerror(errno));
}

enum next_step { STEP_WAIT, STEP_CLOSE, STEP_BAD, STEP_HAND_OVER };

/* Looks at what fd sent so far and decides, without acting. hup: the
 * peer will send nothing more, so an incomplete line is final. */
static enum next_step classify(int fd, bool hup, const char **ret_why)
{
        char buf[PEEK_MAX];
        ssize_t r = recv(fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
                return hup ? STEP_CLOSE : STEP_WAIT;
        if (r <= 0)
                return STEP_CLOSE;
        enum api_line_verdict v = api_request_line_check(buf, (size_t)r, ret_why);
        if (v == API_LINE_BAD)
                return STEP_BAD;
        if (v == API_LINE_INCOMPLETE && (size_t)r < sizeof(buf) && !hup)
                return STEP_WAIT;
        /* Whole line, or too long or cut short for this check: the rest is
         * libmicrohttpd's to parse and refuse. */
        return STEP_HAND_OVER;
}

static void act(struct api_acceptor *a, int fd, int listener, enum next_step step, const char *why)
{
        switch (step) {
        case STEP_BAD:
                answer_bad(fd, why ? why : "malformed request line");
                close(fd);
                break;
        case STEP_HAND_OVER:
                hand_over(a, fd, listener);
                break;
        case STEP_CLOSE:
        case STEP_WAIT:
                close(fd);
                break;
        }
}

static void pending_add(struct api_acceptor *a, int fd, int listener)
{
        if (a->npending >= a->max_pending) {
                close(fd);
                return;
        }
        struct watch *w = xnew0(struct watch);
        *w = (struct watch){.kind = WATCH_CONN,
                            .fd = fd,
                            .listener = listener,
                            .deadline_ms = now_ms() + a->idle_ms,
                            .next = a->pending};
        /* Edge-triggered: peeked bytes stay unread, so a level-triggered
         * watch would fire forever. */
        struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.ptr = w};
        if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
                close(fd);
                free(w);
                return;
        }
        if (a->pending)
                a->pending->prev = w;
        a->pending = w;
        a->npending++;
}

static void accept_all(struct api_acceptor *a, struct watch *l)
{
        for (;;) {
                int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0) {
                        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
                            errno == ENOMEM) {
                                log_warn("http: accept: %s", strerror(errno));
                                struct timespec pause = {0, 10 * 1000 * 1000};
                                nanosleep(&pause, NULL);
                        }
                        return;
                }
                const char *why = NULL;
                enum next_step step = classify(fd, false, &why);
                if (step == STEP_WAIT)
                        pending_add(a, fd, l->listener);
                else
                        act(a, fd, l->listener, step, why);
        }
}

static void expire(struct api_acceptor *a)
{
        int64_t now = now_ms();
        for (struct watch *w = a->pending, *next; w; w = next) {
                next = w->next;
                if (w->deadline_ms <= now) {
                        int fd = w->fd;
                        pending_drop(a, w);
                        close(fd);
                }
        }
}

static void *acceptor_main(void *p)
{
        struct api_acceptor *a = p;
        for (;;) {
                struct epoll_event evs[64];
                int n = epoll_wait(a->epfd, evs, 64, a->pending ? 250 : -1);
                if (n < 0 && errno != EINTR) {
                        log_error("http: epoll_wait: %s", strerror(errno));
                        return NULL;
                }
                for (int i = 0; i < n; i++) {
                        struct watch *w = evs[i].data.ptr;
                        if (w->kind == WATCH_STOP)
                                return NULL;
                        if (w->kind == WATCH_LISTEN) {
                                accept_all(a, w);
                                continue;
                        }
                        /* Edge-triggered: this fires again only on new
                         * bytes or a hang-up, and the deadline stays. */
                        bool hup = evs[i].events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR);
                        const char *why = NULL;
                        enum next_step step = classify(w->fd, hup, &why);
                        if (step == STEP_WAIT)
                                continue;
                        int fd = w->fd, listener = w->listener;
                        pending_drop(a, w); /* out of this epoll set before anyone else's */
                        act(a, fd, listener, step, why);
                }
                if (a->pending)
                        expire(a);
        }
}

static int watch_add(struct api_acceptor *a, struct watch *w)
{
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = w};
        return epoll_ctl(a->epfd, EPOLL_CTL_ADD, w->fd, &ev) < 0 ? -errno : 0;
}

static struct api_acceptor *acceptor_free(struct api_acceptor *a)
{
        while (a->pending) {
                int fd = a->pending->fd;
                pending_drop(a, a->pending);
                close(fd);
        }
        if (a->epfd >= 0)
                close(a->epfd);
        if (a->stopfd >= 0)
                close(a->stopfd);
        free(a);
        return NULL;
}

int api_accept_start(struct api_server *srv, unsigned idle_timeout, unsigned max_pending,
                     struct kerr *err)
{
        struct api_acceptor *a = xnew0(struct api_acceptor);
        a->srv = srv;
        a->idle_ms = (int64_t)(idle_timeout ? idle_timeout : 120) * 1000;
        a->max_pending = max_pending ? max_pending : 1024;
        a->epfd = epoll_create1(EPOLL_CLOEXEC);
        a->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        int r = a->epfd < 0 || a->stopfd < 0 ? -errno : 0;
        a->stop = (struct watch){.kind = WATCH_STOP, .fd = a->stopfd};
        if (r == 0)
                r = watch_add(a, &a->stop);
        for (int i = 0; r == 0 && i < srv->nlisteners; i++) {
                a->listen[i] =
                    (struct watch){.kind = WATCH_LISTEN, .fd = srv->listeners[i].fd, .listener = i};
                r = watch_add(a, &a->listen[i]);
        }
        if (r == 0)
                r = -pthread_create(&a->thread, NULL, acceptor_main, a);
        if (r < 0) {
                acceptor_free(a);
                return kerr_set(err, KERR_INTERNAL, r, "cannot start accepting connections: %s",
                                strerror(-r));
        }
        srv->acceptor = a;
        return 0;
}

void api_accept_stop(struct api_server *srv)
{
        struct api_acceptor *a = srv->acceptor;
        if (!a)
                return;
        uint64_t one = 1;
        if (write(a->stopfd, &one, sizeof(one)) != sizeof(one))
                log_error("http: cannot stop the accepting thread: %s", strerror(errno));
        pthread_join(a->thread, NULL);
        srv->acceptor = acceptor_free(a);
}
