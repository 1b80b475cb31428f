/* replay.c - main() for a fuzz target built without libFuzzer: runs
 * LLVMFuzzerTestOneInput once on every file named on the command line or
 * found in a directory named there, like `fuzz-x -runs=0 DIR` does. */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

/* Weak: targets without set-up do not define it. */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        return 0;
}

static int replay_file(const char *path)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0) {
                fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
                if (fd >= 0)
                        close(fd);
                return -1;
        }
        size_t n = (size_t)st.st_size;
        uint8_t *data = malloc(n ? n : 1);
        size_t got = 0;
        while (data && got < n) {
                ssize_t r = read(fd, data + got, n - got);
                if (r <= 0)
                        break;
                got += (size_t)r;
        }
        close(fd);
        if (!data || got != n) {
                fprintf(stderr, "replay: %s: short read\n", path);
                free(data);
                return -1;
        }
        LLVMFuzzerTestOneInput(data, n);
        free(data);
        return 0;
}

static int replay_dir(const char *dir, int *count)
{
        DIR *d = opendir(dir);
        if (!d) {
                fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
                return -1;
        }
        int r = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                char path[4096];
                snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
                if (replay_file(path) < 0)
                        r = -1;
                (*count)++;
        }
        closedir(d);
        return r;
}

int main(int argc, char **argv)
{
        LLVMFuzzerInitialize(&argc, &argv);
        int count = 0, r = 0;
        for (int i = 1; i < argc; i++) {
                struct stat st;
                if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
                        if (replay_dir(argv[i], &count) < 0)
                                r = 1;
                } else {
                        if (replay_file(argv[i]) < 0)
                                r = 1;
                        count++;
                }
        }
        if (count == 0) {
                fprintf(stderr, "replay: no inputs\n");
                return 1;
        }
        printf("replay: %d inputs ran\n", count);
        return r;
}
