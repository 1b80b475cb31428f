/* logfile.h - Docker's json-file log driver, written by the shim.
 *
 * One JSON object per line of output:
 *   {"log":"hi\n","stream":"stdout","time":"2026-11-23T12:00:00.123456789Z"}
 * (time is UTC with nine fixed fraction digits, as dockerd writes it). A
 * line longer than LOGFILE_LINE_MAX is written in pieces without the
 * newline, as Docker splits them. With max_size the file rotates before a
 * write that finds it full: path -> path.1 -> ... -> path.<max_file-1>;
 * max_file 1 truncates instead.
 *
 * Entries are collected in memory and written in one write(2) when
 * LOGFILE_BUFFER_MAX bytes are waiting, when the oldest has waited
 * LOGFILE_DELAY_MS (the shim's loop asks logfile_due), before a rotation,
 * and at flush/release: one system call per 256 KiB, not per line, and a
 * `docker logs -f` reader sees a line within a few milliseconds. size
 * counts the waiting bytes, so rotation falls where it would unbuffered. */
#pragma once

#include "base/buf.h"
#include "base/err.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define LOGFILE_LINE_MAX   16384
#define LOGFILE_BUFFER_MAX (256 * 1024)
#define LOGFILE_DELAY_MS   10

enum logfile_stream {
        LOGFILE_STDOUT,
        LOGFILE_STDERR,
        LOGFILE_STREAM_MAX,
};

struct logfile {
        int fd;
        char *path;
        uint64_t size;
        uint64_t max_size;                      /* 0 = never rotate */
        unsigned max_file;                      /* >= 1 */
        struct buf partial[LOGFILE_STREAM_MAX]; /* an unfinished line per stream */
        struct buf pending;                     /* formatted entries not yet written */
        struct timespec pending_since;          /* CLOCK_MONOTONIC of the oldest one */
        struct timespec when;                   /* the time last formatted, and its text */
        char when_text[40];
};

int logfile_open(struct logfile *lf, const char *path, uint64_t max_size, unsigned max_file,
                 struct kerr *err);
/* Appends output read at now; whole lines are written at once, the rest
 * waits for its newline (or logfile_flush). */
int logfile_write(struct logfile *lf, enum logfile_stream stream, const char *data, size_t len,
                  const struct timespec *now);
/* Writes the unfinished lines as they are (the process has exited), and
 * everything waiting. */
int logfile_flush(struct logfile *lf, const struct timespec *now);
/* Milliseconds until the waiting entries are due (0: now), -1 if none. */
int logfile_due(const struct logfile *lf);
/* Writes the waiting entries. */
int logfile_sync(struct logfile *lf);
/* Writes what is waiting, closes. */
void logfile_release(struct logfile *lf);

/* ts as dockerd writes times: "2026-11-23T12:00:00.123456789Z" (UTC). */
void logfile_time(const struct timespec *ts, char *out, size_t n);

/* Appends one JSON line for the bytes line[0..n) to out. Invalid UTF-8
 * becomes U+FFFD, as Go's encoder writes it. */
void logfile_format(struct buf *out, enum logfile_stream stream, const char *line, size_t n,
                    const struct timespec *ts);
