/* logfile.c - json-file lines and rotation (see logfile.h). */
#include "logfile.h"

#include "base/cleanup.h"
#include "base/fs.h"
#include "base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
        size_t want;
        uint32_t cp;
        if (s[0] < 0x80)
                return 1;
        if ((s[0] & 0xe0) == 0xc0)
                want = 2, cp = s[0] & 0x1f;
        else if ((s[0] & 0xf0) == 0xe0)
                want = 3, cp = s[0] & 0x0f;
        else if ((s[0] & 0xf8) == 0xf0)
                want = 4, cp = s[0] & 0x07;
        else
                return 0;
        if (n < want)
                return 0;
        for (size_t i = 1; i < want; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = cp << 6 | (s[i] & 0x3f);
        }
        /* overlong forms, surrogates, past U+10FFFF */
        static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min[want] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
                return 0;
        return want;
}

/* Bytes copied as they are: printable ASCII but " \\ < > &, as one bit
 * per character (the escape loop's hot test). */
#define PLAIN_LO (0xffffffff00000000ull & ~(1ull << '"' | 1ull << '&' | 1ull << '<' | 1ull << '>'))
#define PLAIN_HI (~0ull & ~(1ull << ('\\' - 64)))

static inline bool plain(unsigned char c)
{
        return c < 64 ? PLAIN_LO >> c & 1 : c < 128 && PLAIN_HI >> (c - 64) & 1;
}

static void escape_json(struct buf *out, const char *s, size_t n)
{
        static const char hex[] = "0123456789abcdef";
        const unsigned char *p = (const unsigned char *)s;
        for (size_t i = 0; i < n;) {
                size_t run = i;
                while (run < n && plain(p[run]))
                        run++;
                if (run > i) {
                        buf_append(out, p + i, run - i);
                        i = run;
                        continue;
                }
                unsigned char c = p[i];
                char esc[8];
                if (c == '"' || c == '\\') {
                        esc[0] = '\\', esc[1] = (char)c;
                        buf_append(out, esc, 2);
                } else if (c == '\n' || c == '\r' || c == '\t') {
                        esc[0] = '\\', esc[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
                        buf_append(out, esc, 2);
                } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
                        /* Go escapes HTML characters too; log readers expect it. */
                        snprintf(esc, sizeof(esc), "\\u00%c%c", hex[c >> 4], hex[c & 15]);
                        buf_append(out, esc, 6);
                } else if (c < 0x80) {
                        buf_append(out, &p[i], 1);
                } else {
                        size_t l = utf8_len(p + i, n - i);
                        if (l == 0) {
                                buf_append(out, "\\ufffd", 6);
                                i++;
                                continue;
                        }
                        /* U+2028 and U+2029 break JavaScript parsers: Go escapes them. */
                        if (l == 3 && p[i] == 0xe2 && p[i + 1] == 0x80 && (p[i + 2] & 0xfe) == 0xa8)
                                buf_append(out, p[i + 2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
                        else
                                buf_append(out, p + i, l);
                        i += l;
                        continue;
                }
                i++;
        }
}

void logfile_time(const struct timespec *ts, char *out, size_t n)
{
        struct tm tm;
        gmtime_r(&ts->tv_sec, &tm);
        size_t w = strftime(out, n, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(out + w, n - w, ".%09ldZ", ts->tv_nsec);
}

static void format_at(struct buf *out, enum logfile_stream stream, const char *line, size_t n,
                      const char *when)
{
        static const char mid_out[] = "\",\"stream\":\"stdout\",\"time\":\"";
        static const char mid_err[] = "\",\"stream\":\"stderr\",\"time\":\"";
        buf_append(out, "{\"log\":\"", 8);
        escape_json(out, line, n);
        buf_append(out, stream == LOGFILE_STDERR ? mid_err : mid_out, sizeof(mid_out) - 1);
        buf_append(out, when, strlen(when));
        buf_append(out, "\"}\n", 3);
}

void logfile_format(struct buf *out, enum logfile_stream stream, const char *line, size_t n,
                    const struct timespec *ts)
{
        char when[64];
        logfile_time(ts, when, sizeof(when));
        format_at(out, stream, line, n, when);
}

int logfile_open(struct logfile *lf, const char *path, uint64_t max_size, unsigned max_file,
                 struct kerr *err)
{
        *lf = (struct logfile){
            .fd = -EBADF, .max_size = max_size, .max_file = max_file ? max_file : 1};
        lf->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (lf->fd < 0)
                return kerr_set(err, KERR_INTERNAL, errno, "open log '%s': %m", path);
        struct stat st;
        lf->size = fstat(lf->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
        lf->path = xstrdup(path);
        for (int i = 0; i < LOGFILE_STREAM_MAX; i++)
                buf_init(&lf->partial[i], LOGFILE_LINE_MAX);
        buf_init(&lf->pending, 0);
        return 0;
}

int logfile_sync(struct logfile *lf)
{
        if (lf->pending.len == 0)
                return 0;
        int r = fs_write_all(lf->fd, lf->pending.data, lf->pending.len);
        lf->pending.len = 0;
        if (lf->pending.cap > 2 * LOGFILE_BUFFER_MAX)
                buf_release(&lf->pending); /* one huge line: do not keep its buffer */
        return r;
}

static int64_t ms_since(const struct timespec *t)
{
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (int64_t)(now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

int logfile_due(const struct logfile *lf)
{
        if (lf->pending.len == 0)
                return -1;
        int64_t left = LOGFILE_DELAY_MS - ms_since(&lf->pending_since);
        return left > 0 ? (int)left : 0;
}

static int rotate(struct logfile *lf)
{
        if (lf->max_file < 2) {
                if (ftruncate(lf->fd, 0) < 0)
                        return -errno;
                lf->size = 0;
                return 0;
        }
        for (unsigned i = lf->max_file - 1; i >= 1; i--) {
                _cleanup_free_ char *from =
                    i == 1 ? xstrdup(lf->path) : xasprintf("%s.%u", lf->path, i - 1);
                _cleanup_free_ char *to = xasprintf("%s.%u", lf->path, i);
                if (rename(from, to) < 0 && errno != ENOENT)
                        return -errno;
        }
        int fd = open(lf->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (fd < 0)
                return -errno;
        close(lf->fd);
        lf->fd = fd;
        lf->size = 0;
        return 0;
}

/* Queues one entry; size counts it at once, so rotation happens before
 * the entry that finds the file full, as unbuffered. */
static int write_entry(struct logfile *lf, enum logfile_stream stream, const char *line, size_t n,
                       const struct timespec *now)
{
        int r = 0;
        if (lf->max_size && lf->size >= lf->max_size) {
                r = logfile_sync(lf);
                if (r >= 0)
                        r = rotate(lf);
                if (r < 0)
                        return r;
        }
        if (now->tv_sec != lf->when.tv_sec || now->tv_nsec != lf->when.tv_nsec ||
            !lf->when_text[0]) {
                logfile_time(now, lf->when_text, sizeof(lf->when_text));
                lf->when = *now;
        }
        if (lf->pending.len == 0)
                clock_gettime(CLOCK_MONOTONIC, &lf->pending_since);
        size_t before = lf->pending.len;
        format_at(&lf->pending, stream, line, n, lf->when_text);
        lf->size += lf->pending.len - before;
        if (lf->pending.len >= LOGFILE_BUFFER_MAX)
                r = logfile_sync(lf);
        return r;
}

int logfile_write(struct logfile *lf, enum logfile_stream stream, const char *data, size_t len,
                  const struct timespec *now)
{
        struct buf *part = &lf->partial[stream];
        int r = 0;
        while (len > 0 && r >= 0) {
                const char *nl = memchr(data, '\n', len);
                size_t take = nl ? (size_t)(nl - data) + 1 : len;
                size_t room = LOGFILE_LINE_MAX - part->len;
                if (take > room)
                        take = room;
                bool line_end = take > 0 && data[take - 1] == '\n';
                if (!line_end && part->len + take < LOGFILE_LINE_MAX) {
                        buf_append(part, data, take); /* wait for the rest */
                } else if (part->len == 0) {
                        r = write_entry(lf, stream, data, take, now);
                } else {
                        buf_append(part, data, take);
                        r = write_entry(lf, stream, part->data, part->len, now);
                        part->len = 0;
                }
                data += take;
                len -= take;
        }
        return r;
}

int logfile_flush(struct logfile *lf, const struct timespec *now)
{
        int r = 0;
        for (int i = 0; i < LOGFILE_STREAM_MAX; i++) {
                struct buf *part = &lf->partial[i];
                if (part->len && r >= 0)
                        r = write_entry(lf, (enum logfile_stream)i, part->data, part->len, now);
                buf_release(part);
                buf_init(part, LOGFILE_LINE_MAX);
        }
        int q = logfile_sync(lf);
        return r < 0 ? r : q;
}

void logfile_release(struct logfile *lf)
{
        if (lf->fd >= 0) {
                logfile_sync(lf);
                close(lf->fd);
        }
        buf_release(&lf->pending);
        for (int i = 0; i < LOGFILE_STREAM_MAX; i++)
                buf_release(&lf->partial[i]);
        free(lf->path);
        *lf = (struct logfile){.fd = -EBADF};
}
