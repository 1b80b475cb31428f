/* fuzz.h - shared by the fuzz targets in this folder.
 *
 * Each fuzz-<target>.c defines LLVMFuzzerTestOneInput (and, when it needs
 * set-up, LLVMFuzzerInitialize). Built with clang -fsanitize=fuzzer it is a
 * libFuzzer binary; built with any compiler and replay.c it is an ordinary
 * test that feeds it every file of its corpus/ (meson suite fuzz-replay). */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A NUL-terminated copy of data (inputs may hold NULs: the copy then ends
 * at the first one, as a C string from the wire would). */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
        char *s = malloc(size + 1);
        if (!s)
                abort();
        memcpy(s, data, size);
        s[size] = '\0';
        return s;
}
