/* attach.c - attach.sock (stdio frames) and ctl.sock (requests), both
 * Unix stream sockets in the run directory, speaking proto.h's frames. */
#include "shim-internal.h"

#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/xalloc.h"

#include <errno.h>
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

void shim_attach_drop(struct shim *s, int idx)
{
        struct shim_client *c = s->clients[idx];
        if (!c)
                return;
        if (!c->ctl && s->opts->stdin_once && s->stdin_used)
                shim_io_close_stdin(s);
        close(c->fd);
        free(c);
        s->clients[idx] = NULL;
}

void shim_attach_broadcast(struct shim *s, enum shim_frame_type type, const void *data, size_t len)
{
        for (int i = 0; i < SHIM_CLIENTS_MAX; i++) {
                struct shim_client *c = s->clients[i];
                /* A client whose socket is full would stall the container's
                 * output and its log: it is dropped (the daemon reads fast;
                 * a slow docker client is buffered on the daemon's side). */
                if (c && !c->ctl && !send_frame(c->fd, type, data, len)) {
                        log_warn("container '%s': attach client too slow, dropped", s->opts->id);
                        shim_attach_drop(s, i);
                }
        }
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
        size_t off = 0;
        for (;;) {
                struct shim_frame f;
                int r = shim_frame_parse(c->in + off, c->len - off, SHIM_FRAME_IN_MAX, &f);
                if (r == 0)
                        break;
                if (r < 0 || !handle(s, c, &f)) {
                        shim_attach_drop(s, idx);
                        return;
                }
                off += (size_t)r;
        }
        memmove(c->in, c->in + off, c->len - off);
        c->len -= off;
}

void shim_attach_close_all(struct shim *s)
{
        uint8_t code[4];
        shim_frame_put_u32(code, (uint32_t)shim_exit_code(s->status));
        for (int i = 0; i < SHIM_CLIENTS_MAX; i++) {
                if (s->clients[i] && !s->clients[i]->ctl && s->exited)
                        send_frame(s->clients[i]->fd, SHIM_FRAME_EXIT, code, sizeof(code));
                shim_attach_drop(s, i);
        }
        for (int i = 0; i < 2; i++) {
                int fd = i == 0 ? s->attach_listen : s->ctl_listen;
                if (fd < 0)
                        continue;
                close(fd);
                _cleanup_free_ char *p = xasprintf("%s/%s", s->opts->run_dir,
                                                   i == 0 ? "attach.sock" : "ctl.sock");
                unlink(p);
        }
        s->attach_listen = s->ctl_listen = -EBADF;
}
