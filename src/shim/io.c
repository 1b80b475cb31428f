/* io.c - the container's stdio as the shim holds it: output pipes (or the
 * pty master) read into the log and out to attach clients, and stdin. */
#include "shim-internal.h"

#include "base/fs.h"
#include "base/log.h"

#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

int shim_io_prepare(struct shim *s, int child[3])
{
        int p[2];
        child[0] = child[1] = child[2] = -EBADF;
        s->out_fd[0] = s->out_fd[1] = s->stdin_fd = -EBADF;
        if (s->spec.process.terminal)
                return 0; /* the runtime opens the pty inside the container */
        for (int i = 0; i < 2; i++) {
                if (pipe2(p, O_CLOEXEC) < 0)
                        return -errno;
                s->out_fd[i] = p[0];
                child[i + 1] = p[1];
        }
        if (s->opts->stdin_open) {
                if (pipe2(p, O_CLOEXEC) < 0)
                        return -errno;
                child[0] = p[0];
                s->stdin_fd = p[1];
                /* Only the shim's end: the container reads a blocking pipe. */
                if (fcntl(p[1], F_SETFL, O_NONBLOCK) < 0)
                        return -errno;
        } else if ((child[0] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
                return -errno;
        }
        return 0;
}

bool shim_io_pump(struct shim *s, int i)
{
        /* static: one buffer for the shim's life, not stack pages per call;
         * a pipe's whole capacity in one read, and one attach frame */
        static char data[SHIM_FRAME_OUT_MAX];
        ssize_t n = read(s->out_fd[i], data, sizeof(data));
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return true;
        if (n <= 0) /* EOF, or EIO from a pty master whose slave is gone */
                return false;
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        if (s->have_log && logfile_write(&s->log, i == 0 ? LOGFILE_STDOUT : LOGFILE_STDERR, data,
                                         (size_t)n, &now) < 0)
                log_warn("container '%s': writing its log failed, ignoring", s->opts->id);
        shim_attach_broadcast(s, i == 0 ? SHIM_FRAME_STDOUT : SHIM_FRAME_STDERR, data, (size_t)n);
        return true;
}

static int stdin_fd(const struct shim *s)
{
        return s->spec.process.terminal ? s->ct.pty_master : s->stdin_fd;
}

/* Writes what fd takes without blocking; returns the bytes written or < 0. */
static ssize_t write_some(int fd, const void *data, size_t len)
{
        size_t done = 0;
        while (done < len) {
                ssize_t w = write(fd, (const char *)data + done, len - done);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0 && errno == EAGAIN)
                        break;
                if (w < 0)
                        return -errno;
                done += (size_t)w;
        }
        return (ssize_t)done;
}

static void stdin_gone(struct shim *s)
{
        s->stdin_queue.len = 0;
        s->stdin_close_queued = false;
        if (!s->spec.process.terminal && s->stdin_fd >= 0) {
                close(s->stdin_fd);
                s->stdin_fd = -EBADF;
        }
}

void shim_io_stdin(struct shim *s, const uint8_t *data, size_t len)
{
        int fd = stdin_fd(s);
        if (fd < 0)
                return;
        s->stdin_used = true;
        /* Never block: the container may be waiting for the shim to read
         * its output before it reads more input. What it does not take now
         * waits, and the shim reads no more frames until it has. */
        ssize_t w = s->stdin_queue.len ? 0 : write_some(fd, data, len);
        if (w < 0) {
                stdin_gone(s); /* the container closed its stdin */
                return;
        }
        if ((size_t)w < len)
                buf_append(&s->stdin_queue, data + w, len - (size_t)w);
}

int shim_io_stdin_waiting(const struct shim *s)
{
        return s->stdin_queue.len ? stdin_fd(s) : -1;
}

bool shim_io_stdin_drain(struct shim *s)
{
        int fd = stdin_fd(s);
        struct buf *q = &s->stdin_queue;
        ssize_t w = fd >= 0 && q->len ? write_some(fd, q->data, q->len) : 0;
        if (w < 0) {
                stdin_gone(s);
                return true;
        }
        memmove(q->data, q->data + w, q->len - (size_t)w);
        q->len -= (size_t)w;
        if (q->len)
                return false;
        if (s->stdin_close_queued)
                shim_io_close_stdin(s);
        return true;
}

void shim_io_close_stdin(struct shim *s)
{
        /* A pty has no half-close: its stdin lives as long as the master. */
        if (s->spec.process.terminal || s->stdin_fd < 0)
                return;
        if (s->stdin_queue.len) {
                s->stdin_close_queued = true;
                return;
        }
        stdin_gone(s);
}

void shim_io_resize(struct shim *s, uint16_t rows, uint16_t cols)
{
        struct winsize ws = {.ws_row = rows, .ws_col = cols};
        if (s->ct.pty_master >= 0)
                ioctl(s->ct.pty_master, TIOCSWINSZ, &ws);
}
