/* attach.c - attach.sock (stdio frames) and ctl.sock (requests), both
 * Unix stream sockets in the run directory, speaking proto.h's frames. */
#include "shim-internal.h"

#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/xalloc.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

static int listen_at(const char *dir, const char *name)
{
        struct sockaddr_un sa;
        _cleanup_close_ int dirfd = -EBADF;
        int q = fs_unix_addr(dir, name, &sa, &dirfd);
        if (q < 0)
                return q;
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        unlink(sa.sun_path);
        /* Only root (the daemon) may attach: umask the socket to 0600. */
        mode_t old = umask(0077);
        int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
        umask(old);
        if (r < 0 || listen(fd, 16) < 0)
                return -errno;
        return TAKE_FD(fd);
}

int shim_attach_listen(struct shim *s)
{
        s->attach_listen = listen_at(s->opts->run_dir, "attach.sock");
        if (s->attach_listen < 0)
                return s->attach_listen;
        s->ctl_listen = listen_at(s->opts->run_dir, "ctl.sock");
        return s->ctl_listen < 0 ? s->ctl_listen : 0;
}

void shim_attach_accept(struct shim *s, int listen_fd, bool ctl)
{
        int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0)
                return;
        for (int i = 0; i < SHIM_CLIENTS_MAX; i++) {
                if (s->clients[i])
                        continue;
                s->clients[i] = xzalloc(sizeof(struct shim_client));
                s->clients[i]->fd = fd;
                s->clients[i]->ctl = ctl;
                return;
        }
        log_warn("container '%s': more than %d attach clients, refusing one", s->opts->id,
                 SHIM_CLIENTS_MAX);
        close(fd);
}

static bool send_frame(int fd, enum shim_frame_type type, const void *data, size_t len)
{
        uint8_t hdr[SHIM_FRAME_HDR];
        shim_frame_header(hdr, type, (uint32_t)len);
        struct iovec iov[2] = {{hdr, sizeof(hdr)}, {(void *)data, len}};
        struct msghdr mh = {.msg_iov = iov, .msg_iovlen = len ? 2 : 1};
        ssize_t n = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
        return n == (ssize_t)(sizeof(hdr) + len);
}

/* Sends from c->out what the socket takes; false when the peer is gone. */
static bool send_queued(struct shim_client *c)
{
        size_t off = 0;
        while (off < c->out.len) {
                ssize_t n =
                    send(c->fd, c->out.data + off, c->out.len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        break;
                if (n <= 0)
                        return false;
                off += (size_t)n;
        }
        memmove(c->out.data, c->out.data + off, c->out.len - off);
        c->out.len -= off;
        return true;
}

/* A frame to an attach client, queued behind what it has not taken yet. */
static bool queue_frame(struct shim_client *c, enum shim_frame_type type, const void *data,
                        size_t len)
{
        if (c->out.len == 0) {
                uint8_t hdr[SHIM_FRAME_HDR];
                shim_frame_header(hdr, type, (uint32_t)len);
                struct iovec iov[2] = {{hdr, sizeof(hdr)}, {(void *)data, len}};
                struct msghdr mh = {.msg_iov = iov, .msg_iovlen = len ? 2 : 1};
                ssize_t n = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n < 0 && errno != EAGAIN && errno != EINTR)
                        return false;
                size_t sent = n > 0 ? (size_t)n : 0;
                if (sent == sizeof(hdr) + len)
                        return true;
                if (sent < sizeof(hdr))
                        buf_append(&c->out, hdr + sent, sizeof(hdr) - sent);
                size_t body = sent > sizeof(hdr) ? sent - sizeof(hdr) : 0;
                buf_append(&c->out, (const uint8_t *)data + body, len - body);
                return true;
        }
        uint8_t hdr[SHIM_FRAME_HDR];
        shim_frame_header(hdr, type, (uint32_t)len);
        buf_append(&c->out, hdr, sizeof(hdr));
        buf_append(&c->out, data, len);
        return true;
}

void shim_attach_drop(struct shim *s, int idx)
{
        struct shim_client *c = s->clients[idx];
        if (!c)
                return;
        if (!c->ctl && s->opts->stdin_once && s->stdin_used)
                shim_io_close_stdin(s);
        close(c->fd);
        buf_release(&c->out);
        free(c);
        s->clients[idx] = NULL;
}

void shim_attach_broadcast(struct shim *s, enum shim_frame_type type, const void *data, size_t len)
{
        for (int i = 0; i < SHIM_CLIENTS_MAX; i++) {
                struct shim_client *c = s->clients[i];
                if (c && !c->ctl && !queue_frame(c, type, data, len))
                        shim_attach_drop(s, i);
        }
}

void shim_attach_send_queued(struct shim *s, int idx)
{
        if (!send_queued(s->clients[idx]))
                shim_attach_drop(s, idx);
}

bool shim_attach_backlogged(const struct shim *s)
{
        for (int i = 0; i < SHIM_CLIENTS_MAX; i++)
                if (s->clients[i] && s->clients[i]->out.len > SHIM_CLIENT_QUEUE_MAX)
                        return true;
        return false;
}

/* OK, or ERROR with the failure's kind and errno (proto.h). */
static bool reply(struct shim_client *c, int r, int kind, const char *msg)
{
        if (r >= 0)
                return send_frame(c->fd, SHIM_FRAME_OK, NULL, 0);
        uint8_t p[SHIM_ERROR_HDR + 1024];
        size_t n = shim_frame_put_error(p, sizeof(p), kind ? kind : KERR_INTERNAL, -r, msg);
        return send_frame(c->fd, SHIM_FRAME_ERROR, p, n);
}

/* Returns false to drop the client. */
static bool handle(struct shim *s, struct shim_client *c, const struct shim_frame *f)
{
        uint16_t rows, cols;
        switch (f->type) {
        case SHIM_FRAME_STDIN:
                if (c->ctl)
                        return false;
                shim_io_stdin(s, f->payload, f->len);
                return true;
        case SHIM_FRAME_CLOSE_STDIN:
                shim_io_close_stdin(s);
                return c->ctl ? reply(c, 0, 0, NULL) : true;
        case SHIM_FRAME_RESIZE:
                shim_frame_get_resize(f->payload, &rows, &cols);
                shim_io_resize(s, rows, cols);
                return c->ctl ? reply(c, 0, 0, NULL) : true;
        case SHIM_FRAME_START:
                if (!c->ctl)
                        return false;
                return reply(c, shim_start(s) != 0 ? -(s->error_errno ? s->error_errno : EIO) : 0,
                             s->error_kind, s->error);
        case SHIM_FRAME_KILL: {
                if (!c->ctl)
                        return false;
                int r = shim_kill(s, (int)shim_frame_get_u32(f->payload));
                char msg[128];
                snprintf(msg, sizeof(msg), "kill: %s", strerror(-r));
                /* ESRCH: it has exited (the exit is on its way). */
                return reply(c, r, r == -ESRCH ? KERR_CONFLICT : KERR_INTERNAL, msg);
        }
        default:
                return false;
        }
}

/* Handles the whole frames in c->in; stops early while stdin is queued
 * (the rest waits in c->in for shim_attach_resume). False: dropped. */
static bool handle_frames(struct shim *s, int idx)
{
        struct shim_client *c = s->clients[idx];
        size_t off = 0;
        while (c->ctl || shim_io_stdin_waiting(s) < 0) {
                struct shim_frame f;
                int r = shim_frame_parse(c->in + off, c->len - off, SHIM_FRAME_IN_MAX, &f);
                if (r == 0)
                        break;
                if (r < 0 || !handle(s, c, &f)) {
                        shim_attach_drop(s, idx);
                        return false;
                }
                off += (size_t)r;
        }
        memmove(c->in, c->in + off, c->len - off);
        c->len -= off;
        return true;
}

void shim_attach_read(struct shim *s, int idx)
{
        struct shim_client *c = s->clients[idx];
        ssize_t n = recv(c->fd, c->in + c->len, sizeof(c->in) - c->len, 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n <= 0) {
                shim_attach_drop(s, idx);
                return;
        }
        c->len += (size_t)n;
        handle_frames(s, idx);
}

void shim_attach_resume(struct shim *s)
{
        for (int i = 0; i < SHIM_CLIENTS_MAX && shim_io_stdin_waiting(s) < 0; i++)
                if (s->clients[i] && !s->clients[i]->ctl && s->clients[i]->len)
                        handle_frames(s, i);
}

/* At the end: what clients have queued goes out first (for at most 2 s
 * in all: a client that stopped reading does not keep the shim). */
static void flush_clients(struct shim *s)
{
        for (int waited = 0; waited < 2000; waited += 10) {
                bool more = false;
                for (int i = 0; i < SHIM_CLIENTS_MAX; i++)
                        if (s->clients[i] && s->clients[i]->out.len) {
                                shim_attach_send_queued(s, i);
                                more |= s->clients[i] && s->clients[i]->out.len;
                        }
                if (!more)
                        return;
                poll(NULL, 0, 10);
        }
}

void shim_attach_close_all(struct shim *s)
{
        uint8_t code[4];
        shim_frame_put_u32(code, (uint32_t)shim_exit_code(s->status));
        for (int i = 0; i < SHIM_CLIENTS_MAX; i++)
                if (s->clients[i] && !s->clients[i]->ctl && s->exited)
                        queue_frame(s->clients[i], SHIM_FRAME_EXIT, code, sizeof(code));
        flush_clients(s);
        for (int i = 0; i < SHIM_CLIENTS_MAX; i++)
                shim_attach_drop(s, i);
        for (int i = 0; i < 2; i++) {
                int fd = i == 0 ? s->attach_listen : s->ctl_listen;
                if (fd < 0)
                        continue;
                close(fd);
                if (s->run_dirfd >= 0)
                        unlinkat(s->run_dirfd, i == 0 ? "attach.sock" : "ctl.sock", 0);
        }
        s->attach_listen = s->ctl_listen = -EBADF;
}
