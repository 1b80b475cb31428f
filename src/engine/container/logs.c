/* logs.c - reading a container's json-file log (see logs.h).
 *
 * Files are read in 1 MiB blocks and split into lines in place; the
 * entries kedge's shim writes ({"log":…,"stream":…,"time":…} in that
 * order) are decoded by hand, anything else goes through jansson. tail is
 * found by counting newlines backwards from the end of the newest file,
 * so it costs what it shows, not the size of the log, and allocates
 * nothing sized by the request. */
#include "logs.h"

#include "container-internal.h"
#include "engine/engine.h"

#include "base/cleanup.h"
#include "base/json.h"
#include "base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LOG_BLOCK   (1u << 20) /* read size; also the longest line kept */
#define ROTATED_MAX 100

static int digits(const char *s, int n)
{
        int v = 0;
        for (int i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -1;
                v = v * 10 + (s[i] - '0');
        }
        return v;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil): no time zone, no libc state. */
static int64_t days_from_civil(int y, int m, int d)
{
        y -= m <= 2;
        int64_t era = (y >= 0 ? y : y - 399) / 400;
        int64_t yoe = y - era * 400;
        int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
}

int64_t log_time_parse(const char *s)
{
        size_t n = strnlen(s, 20);
        if (n < 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
                return -1;
        int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
        int h = digits(s + 11, 2), mi = digits(s + 14, 2), sec = digits(s + 17, 2);
        if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || mi < 0 || sec < 0)
                return -1;
        int64_t frac = 0;
        int frac_digits = 0;
        const char *p = s + 19;
        if (*p == '.')
                for (p++; *p >= '0' && *p <= '9'; p++, frac_digits++)
                        if (frac_digits < 9)
                                frac = frac * 10 + (*p - '0');
        for (int i = frac_digits; i < 9; i++)
                frac *= 10;
        int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
        return t * 1000000000 + frac;
}

static int hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        c |= 0x20;
        return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int hex4(const char *p)
{
        int v = 0;
        for (int i = 0; i < 4; i++) {
                int h = hexval(p[i]);
                if (h < 0)
                        return -1;
                v = v << 4 | h;
        }
        return v;
}

static char *put_utf8(char *o, uint32_t cp)
{
        if (cp < 0x80) {
                *o++ = (char)cp;
        } else if (cp < 0x800) {
                *o++ = (char)(0xc0 | cp >> 6);
                *o++ = (char)(0x80 | (cp & 0x3f));
        } else if (cp < 0x10000) {
                *o++ = (char)(0xe0 | cp >> 12);
                *o++ = (char)(0x80 | (cp >> 6 & 0x3f));
                *o++ = (char)(0x80 | (cp & 0x3f));
        } else {
                *o++ = (char)(0xf0 | cp >> 18);
                *o++ = (char)(0x80 | (cp >> 12 & 0x3f));
                *o++ = (char)(0x80 | (cp >> 6 & 0x3f));
                *o++ = (char)(0x80 | (cp & 0x3f));
        }
        return o;
}

/* \uXXXX (a surrogate pair takes two) at *pp; advances *pp. */
static int unescape_u(const char **pp, const char *end, uint32_t *ret)
{
        const char *p = *pp;
        if (end - p < 6)
                return -1;
        int cp = hex4(p + 2);
        if (cp < 0)
                return -1;
        p += 6;
        if (cp >= 0xd800 && cp < 0xdc00) {
                int lo = end - p >= 6 && p[0] == '\\' && p[1] == 'u' ? hex4(p + 2) : -1;
                if (lo < 0xdc00 || lo > 0xdfff)
                        return -1;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                p += 6;
        } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                return -1;
        }
        *pp = p;
        *ret = (uint32_t)cp;
        return 0;
}

/* Decodes the JSON string body p[0, end) in place; returns its length or
 * -1 for a broken escape. */
static ssize_t unescape_in_place(char *p, const char *end)
{
        char *o = p, *start = p;
        while (p < end) {
                char *q = memchr(p, '\\', (size_t)(end - p));
                size_t plain = (size_t)((q ? q : end) - p);
                if (o != p)
                        memmove(o, p, plain);
                o += plain;
                p += plain;
                if (!q)
                        break;
                static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
                const char *k = end - p >= 2 && p[1] ? strchr(from, p[1]) : NULL;
                if (k) {
                        *o++ = to[k - from];
                        p += 2;
                        continue;
                }
                uint32_t cp;
                const char *pc = p;
                if (end - p < 2 || p[1] != 'u' || unescape_u(&pc, end, &cp) < 0)
                        return -1;
                p = (char *)pc;
                o = put_utf8(o, cp);
        }
        return o - start;
}

/* The end of the JSON string body at p: its closing quote, or NULL. */
static char *string_end(char *p, const char *end)
{
        while (p < end) {
                if (*p == '\\')
                        p += 2;
                else if (*p == '"')
                        return p;
                else
                        p++;
        }
        return NULL;
}

static bool skip_lit(char **p, const char *end, const char *lit, size_t n)
{
        if ((size_t)(end - *p) < n || memcmp(*p, lit, n) != 0)
                return false;
        *p += n;
        return true;
}

/* kedge's (and dockerd's) key order; false means "not that shape", and
 * then the line is untouched (it is decoded in place only once the whole
 * shape matched). */
static bool parse_fast(char *line, size_t len, struct log_entry *e)
{
        char *p = line, *end = line + len;
        if (!skip_lit(&p, end, "{\"log\":\"", 8))
                return false;
        char *data = p, *data_end = string_end(p, end);
        if (!data_end)
                return false;
        p = data_end + 1;
        if (!skip_lit(&p, end, ",\"stream\":\"", 11))
                return false;
        if (skip_lit(&p, end, "stdout\"", 7))
                e->stream = 1;
        else if (skip_lit(&p, end, "stderr\"", 7))
                e->stream = 2;
        else
                return false;
        if (!skip_lit(&p, end, ",\"time\":\"", 9))
                return false;
        char *t = p;
        while (p < end && *p != '"')
                p++;
        if (end - p != 2 || p[1] != '}' || p - t > 40)
                return false;
        char ts[48];
        memcpy(ts, t, (size_t)(p - t));
        ts[p - t] = 0;
        ssize_t n = unescape_in_place(data, data_end);
        if (n < 0)
                return false;
        e->time_ns = log_time_parse(ts);
        e->data = data;
        e->len = (size_t)n;
        return true;
}

/* Any other JSON object with log, stream and time. */
static json_t *parse_slow(const char *line, size_t len, struct log_entry *e)
{
        json_t *v = json_loadb(line, len, 0, NULL);
        const char *stream = v ? json_get_str(v, "stream") : NULL;
        const char *t = v ? json_get_str(v, "time") : NULL;
        json_t *log = v ? json_object_get(v, "log") : NULL;
        if (!stream || !t || !json_is_string(log)) {
                json_decref(v);
                return NULL;
        }
        e->stream = strcmp(stream, "stderr") == 0 ? 2 : 1;
        e->time_ns = log_time_parse(t);
        e->data = json_string_value(log);
        e->len = json_string_length(log);
        return v;
}

struct reader {
        const struct log_opts *opts;
        log_entry_fn fn;
        void *cls;
        char *block;   /* LOG_BLOCK bytes */
        size_t have;   /* bytes of an unfinished line at block[0] */
        bool skipping; /* inside a line longer than the block: dropped */
};

static int take_line(struct reader *r, char *line, size_t len)
{
        const struct log_opts *o = r->opts;
        struct log_entry e;
        json_t *v = NULL;
        if (!parse_fast(line, len, &e) && !(v = parse_slow(line, len, &e)))
                return 0;
        int ret = 0;
        if (!((e.stream == 1 && !o->want_stdout) || (e.stream == 2 && !o->want_stderr) ||
              (o->since_ns && e.time_ns < o->since_ns) || (o->until_ns && e.time_ns > o->until_ns)))
                ret = r->fn(r->cls, &e);
        json_decref(v);
        return ret;
}

/* Splits block[0, n) into lines; keeps an unfinished one at the front. */
static int split_lines(struct reader *r, size_t n)
{
        char *p = r->block, *end = r->block + n;
        while (p < end) {
                char *nl = memchr(p, '\n', (size_t)(end - p));
                if (!nl)
                        break;
                if (!r->skipping) {
                        int ret = take_line(r, p, (size_t)(nl - p));
                        if (ret < 0)
                                return ret;
                }
                r->skipping = false;
                p = nl + 1;
        }
        r->have = (size_t)(end - p);
        if (r->have == LOG_BLOCK) { /* a line longer than a block: drop it */
                r->skipping = true;
                r->have = 0;
        }
        if (r->have && p != r->block)
                memmove(r->block, p, r->have);
        return 0;
}

/* Reads fd from its position to EOF. With more_later (follow), an
 * unfinished last line waits in the block for the next call. */
static int read_fd(struct reader *r, int fd, bool more_later)
{
        for (;;) {
                ssize_t n = read(fd, r->block + r->have, LOG_BLOCK - r->have);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                int ret = split_lines(r, r->have + (size_t)n);
                if (ret < 0)
                        return ret;
        }
        if (!more_later) { /* a file ends with its last line; a torn one is dropped */
                r->have = 0;
                r->skipping = false;
        }
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
        char *base;
        int fds[ROTATED_MAX + 1]; /* oldest rotated first, the current file last */
        int n;
        bool have_current; /* fds[n - 1] is base itself */
};

struct log_files *logs_open(struct engine *e, struct container *c)
{
        struct log_files *f = xnew0(struct log_files);
        {
                _cleanup_free_ char *name = xasprintf("%s-json.log", c->id);
                f->base = container_path(e, c->id, name);
        }
        for (int i = ROTATED_MAX; i >= 1; i--) {
                _cleanup_free_ char *p = xasprintf("%s.%d", f->base, i);
                int fd = open(p, O_RDONLY | O_CLOEXEC);
                if (fd >= 0)
                        f->fds[f->n++] = fd;
        }
        int fd = open(f->base, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
                f->fds[f->n++] = fd;
                f->have_current = true;
        }
        return f;
}

struct log_files *log_files_free(struct log_files *f)
{
        if (!f)
                return NULL;
        for (int i = 0; i < f->n; i++)
                if (f->fds[i] >= 0)
                        close(f->fds[i]);
        free(f->base);
        free(f);
        return NULL;
}

/* Where the last `tail` lines begin: sets *ret_file and the offset in it,
 * counting newlines backwards block by block from the newest file (the
 * log's final newline is the first one counted). */
static void tail_start(struct log_files *f, char *block, uint64_t tail, int *ret_file,
                       off_t *ret_off)
{
        *ret_file = 0;
        *ret_off = 0;
        uint64_t newlines = 0;
        for (int i = f->n - 1; i >= 0; i--) {
                struct stat st;
                if (fstat(f->fds[i], &st) < 0)
                        continue;
                for (off_t pos = st.st_size; pos > 0;) {
                        size_t want = pos > (off_t)LOG_BLOCK ? LOG_BLOCK : (size_t)pos;
                        pos -= (off_t)want;
                        if (pread(f->fds[i], block, want, pos) != (ssize_t)want)
                                return; /* changed under us: read it all */
                        for (size_t k = want; k-- > 0;)
                                if (block[k] == '\n' && ++newlines > tail) {
                                        *ret_file = i;
                                        *ret_off = pos + (off_t)k + 1;
                                        return;
                                }
                }
        }
}

static int read_existing(struct reader *r, struct log_files *f)
{
        int first = 0;
        off_t off = 0;
        if (r->opts->tail == 0)
                first = f->n; /* nothing: follow starts at the end */
        else if (r->opts->tail > 0)
                tail_start(f, r->block, (uint64_t)r->opts->tail, &first, &off);
        for (int i = first; i < f->n; i++) {
                bool current = f->have_current && i == f->n - 1;
                if (i == first && off > 0 && lseek(f->fds[i], off, SEEK_SET) < 0)
                        continue;
                int ret = read_fd(r, f->fds[i], current && r->opts->follow);
                if (ret < 0)
                        return ret;
        }
        if (r->opts->tail == 0 && f->have_current)
                lseek(f->fds[f->n - 1], 0, SEEK_END);
        return 0;
}

/* Where the file st is among base.1 ... base.N; 0 if not there. */
static int rotated_index(const char *base, const struct stat *st)
{
        for (int i = 1; i <= ROTATED_MAX; i++) {
                _cleanup_free_ char *p = xasprintf("%s.%d", base, i);
                struct stat o;
                if (stat(p, &o) == 0 && o.st_ino == st->st_ino && o.st_dev == st->st_dev)
                        return i;
        }
        return 0;
}

/* The file written after cur, which has been rotated: base.k-1 when cur
 * is base.k (base itself for k = 1), so that files rotated between two
 * polls are not skipped. Renames are tracked by inode: the guess is kept
 * only if cur is still base.k once it is open (no rotation in between).
 * In the middle of the shim's rename chain base.k-1 is missing for a
 * moment (cur has moved up, its successor not yet): wait and look again,
 * for up to about 2 s. */
static int open_successor(const char *base, int cur)
{
        struct stat c;
        for (int tries = 0; fstat(cur, &c) == 0 && tries < 2000; tries++) {
                if (tries)
                        nanosleep(&(struct timespec){0, 1000 * 1000}, NULL);
                int k = rotated_index(base, &c);
                if (k == 0)
                        break; /* deleted (past max-file): go on with the newest */
                _cleanup_free_ char *next =
                    k == 1 ? xstrdup(base) : xasprintf("%s.%d", base, k - 1);
                _cleanup_free_ char *at = xasprintf("%s.%d", base, k);
                int fd = open(next, O_RDONLY | O_CLOEXEC);
                struct stat o;
                if (fd >= 0 && stat(at, &o) == 0 && o.st_ino == c.st_ino && o.st_dev == c.st_dev)
                        return fd;
                if (fd >= 0)
                        close(fd);
        }
        return open(base, O_RDONLY | O_CLOEXEC);
}

/* One poll: new lines, a truncation (max-file 1 truncates in place) or
 * rotations. Returns < 0 to stop. */
static int follow_once(struct reader *r, const char *base, int *cur)
{
        for (;;) {
                if (*cur < 0 && (*cur = open(base, O_RDONLY | O_CLOEXEC)) < 0)
                        return 0;
                struct stat a, b;
                off_t pos = lseek(*cur, 0, SEEK_CUR);
                if (fstat(*cur, &b) == 0 && pos > b.st_size) {
                        lseek(*cur, 0, SEEK_SET); /* truncated: new lines start at 0 */
                        r->have = 0;
                }
                int ret = read_fd(r, *cur, true);
                if (ret < 0 || stat(base, &a) < 0 || fstat(*cur, &b) < 0 || a.st_ino == b.st_ino)
                        return ret;
                /* Rotated under us: the rest of this file, then the next
                 * one (a rotated file again if several rotations passed). */
                ret = read_fd(r, *cur, false);
                int next = open_successor(base, *cur);
                close(*cur);
                *cur = next;
                if (ret < 0)
                        return ret;
        }
}

/* Follow: poll for growth until the container stops. The shim flushes its
 * buffered log within a few milliseconds, so 50 ms is the added latency. */
static int follow(struct reader *r, struct log_files *f, struct container *c)
{
        int cur = f->have_current ? f->fds[f->n - 1] : -EBADF;
        if (f->have_current)
                f->fds[--f->n] = -EBADF; /* owned here from now on */
        int ret = 0;
        while (ret >= 0) {
                bool running = still_running(c);
                ret = follow_once(r, f->base, &cur);
                if (!running || ret < 0)
                        break;
                ret = r->fn(r->cls, NULL); /* flush, and is anyone still listening? */
                if (ret < 0)
                        break;
                struct timespec ts = {0, 50 * 1000 * 1000};
                nanosleep(&ts, NULL);
        }
        if (cur >= 0)
                close(cur);
        return ret;
}

int logs_read(struct log_files *files, struct container *c, const struct log_opts *opts,
              log_entry_fn fn, void *cls, struct kerr *err)
{
        (void)err;
        struct reader r = {.opts = opts, .fn = fn, .cls = cls, .block = xmalloc(LOG_BLOCK)};
        int ret = read_existing(&r, files);
        if (ret >= 0 && opts->follow)
                ret = follow(&r, files, c);
        if (ret >= 0)
                fn(cls, NULL);
        free(r.block);
        return 0;
}
