/* logs.h - reading a container's json-file log (what `docker logs` shows).
 *
 * The shim writes <data-root>/containers/<id>/<id>-json.log, one JSON object
 * per write: {"log":"hi\n","stream":"stdout","time":"<RFC 3339 nano>"};
 * rotated files are <id>-json.log.1 (newest) ... .N (oldest). */
#pragma once

#include "base/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct engine;
struct container;

struct log_opts {
        bool want_stdout, want_stderr;
        int64_t since_ns, until_ns; /* 0 = unbounded */
        long tail;                  /* < 0: all */
        bool follow;                /* keep reading until the container stops */
};

struct log_entry {
        int stream; /* 1 stdout, 2 stderr */
        int64_t time_ns;
        const char *data; /* borrowed for the callback's duration */
        size_t len;
};

/* Returns < 0 to stop reading (e.g. the client went away). */
typedef int (*log_entry_fn)(void *cls, const struct log_entry *entry);

/* The container's log files, opened at once: a reader that starts later
 * (in a worker thread) still sees them if the container is removed in the
 * meantime, as docker-py's run() does before it drains its log stream. */
struct log_files;
struct log_files *logs_open(struct engine *e, struct container *c);
struct log_files *log_files_free(struct log_files *f);

/* Calls fn for each entry in order. With follow, returns when the
 * container is no longer running (after the last entries) or fn stops;
 * fn(cls, NULL) is a probe between polls. */
int logs_read(struct log_files *files, struct container *c, const struct log_opts *opts,
              log_entry_fn fn, void *cls, struct kerr *err);

/* "2026-11-23T12:00:00.123456789Z" -> ns since the epoch; -1 on error. */
int64_t log_time_parse(const char *s);
