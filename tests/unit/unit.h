/* unit.h - small helpers shared by the cmocka tests. */
#pragma once

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"

/* A fresh directory under $TMPDIR; removed by unit_rmdir. */
static inline char *unit_tmpdir(void)
{
        const char *t = getenv("TMPDIR");
        char *p = NULL;
        if (asprintf(&p, "%s/kedge-unit-XXXXXX", t ? t : "/tmp") < 0 || !mkdtemp(p))
                abort();
        return p;
}

static inline void unit_rmdir(char *p)
{
        fs_rm_rf_at(AT_FDCWD, p);
        free(p);
}

/* Writes root/rel (creating parents) with the given content. */
static inline void unit_write(const char *root, const char *rel, const char *content)
{
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", root, rel);
        char *slash = strrchr(path, '/');
        *slash = 0;
        if (fs_mkdir_p(path, 0755) < 0)
                abort();
        *slash = '/';
        FILE *f = fopen(path, "w");
        if (!f)
                abort();
        fputs(content, f);
        fclose(f);
}

/* Contents of root/rel (at most 64 KiB) in a static buffer, or NULL when
 * it cannot be opened. */
static inline char *unit_read(const char *root, const char *rel)
{
        static char buf[1 << 16];
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", root, rel);
        FILE *f = fopen(path, "r");
        if (!f)
                return NULL;
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        buf[n] = 0;
        fclose(f);
        return buf;
}
