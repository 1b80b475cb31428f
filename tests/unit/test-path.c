/* test-path: the one safe path resolver (base/path.h): lexical
 * normalisation, and opens that must neither leave their root nor follow
 * a symlink planted on the way. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>

#include "base/path.h"
#include "unit.h"

static void test_normalize(void **state)
{
        (void)state;
        static const struct {
                const char *in;
                bool abs;
                const char *out; /* NULL: refused */
        } cases[] = {
            {"a/b", false, "a/b"},
            {"./a//b/.", false, "a/b"},
            {"a/./b/", false, "a/b"},
            {"", false, ""},
            {".", false, ""},
            {"./", false, ""},
            {"a/..b", false, "a/..b"},
            {"...", false, "..."},
            {".hidden/.wh..wh..opq", false, ".hidden/.wh..wh..opq"},
            {"/a/b", false, NULL},
            {"/a/b", true, "a/b"},
            {"//a", true, "a"},
            {"/", true, ""},
            {"..", false, NULL},
            {"../x", false, NULL},
            {"a/../b", false, NULL},
            {"a/b/..", false, NULL},
            {"/../etc", true, NULL},
            {"./..", true, NULL},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *got = path_normalize(cases[i].in, cases[i].abs);
                if (!cases[i].out && got)
                        fail_msg("'%s' gave '%s', want refusal", cases[i].in, got);
                if (cases[i].out && (!got || strcmp(got, cases[i].out) != 0))
                        fail_msg("'%s' gave '%s', want '%s'", cases[i].in, got ? got : "(null)",
                                 cases[i].out);
                free(got);
        }
}

struct tree {
        char *dir;
        int fd;
};

/* root/d/f ("in d"), root/inside/f ("in inside"), root/lnk -> d,
 * root/abs -> /inside, root/d/up -> .., root/out -> <parent of root>. */
static int tree_setup(void **state)
{
        struct tree *t = calloc(1, sizeof(*t));
        t->dir = unit_tmpdir();
        unit_write(t->dir, "root/d/f", "in d");
        unit_write(t->dir, "root/inside/f", "in inside");
        unit_write(t->dir, "secret", "outside");
        char p[4096];
        snprintf(p, sizeof(p), "%s/root/lnk", t->dir);
        assert_int_equal(symlink("d", p), 0);
        snprintf(p, sizeof(p), "%s/root/abs", t->dir);
        assert_int_equal(symlink("/inside", p), 0);
        snprintf(p, sizeof(p), "%s/root/d/up", t->dir);
        assert_int_equal(symlink("..", p), 0);
        snprintf(p, sizeof(p), "%s/root/out", t->dir);
        assert_int_equal(symlink(t->dir, p), 0);
        snprintf(p, sizeof(p), "%s/root", t->dir);
        t->fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(t->fd >= 0);
        *state = t;
        return 0;
}

static int tree_teardown(void **state)
{
        struct tree *t = *state;
        close(t->fd);
        unit_rmdir(t->dir);
        free(t);
        return 0;
}

/* The first bytes of fd (which it closes), as a static string. */
static const char *slurp(int fd)
{
        static char buf[64];
        assert_true(fd >= 0);
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        buf[n > 0 ? n : 0] = 0;
        return buf;
}

static void test_open_no_symlinks(void **state)
{
        struct tree *t = *state;
        assert_string_equal(slurp(path_open(t->fd, "d/f", O_RDONLY, 0, PATH_NO_SYMLINKS)), "in d");
        /* a symlinked parent, a symlink as the last component, a ".." link */
        assert_int_equal(path_open(t->fd, "lnk/f", O_RDONLY, 0, PATH_NO_SYMLINKS), -ELOOP);
        assert_int_equal(path_open(t->fd, "lnk", O_RDONLY, 0, PATH_NO_SYMLINKS), -ELOOP);
        assert_int_equal(path_open(t->fd, "d/up/secret", O_RDONLY, 0, PATH_NO_SYMLINKS), -ELOOP);
        assert_int_equal(path_open(t->fd, "out/secret", O_RDONLY, 0, PATH_NO_SYMLINKS), -ELOOP);
        /* lexical escapes */
        assert_int_equal(path_open(t->fd, "../secret", O_RDONLY, 0, PATH_NO_SYMLINKS), -EXDEV);
        assert_int_equal(path_open(t->fd, "/etc/passwd", O_RDONLY, 0, PATH_NO_SYMLINKS), -EXDEV);
        assert_int_equal(path_open(t->fd, "/etc/passwd", O_RDONLY, 0, 0), -EXDEV);
        /* the root itself */
        int fd = path_open(t->fd, "", O_RDONLY | O_DIRECTORY, 0, PATH_NO_SYMLINKS);
        assert_true(fd >= 0);
        close(fd);
}

static void test_open_in_root(void **state)
{
        struct tree *t = *state;
        /* Without PATH_NO_SYMLINKS links are followed as if root were "/". */
        int fd = path_open(t->fd, "abs/f", O_RDONLY, 0, 0);
        if (fd == -EOPNOTSUPP)
                skip(); /* no openat2 here */
        assert_string_equal(slurp(fd), "in inside");
        assert_string_equal(slurp(path_open(t->fd, "lnk/f", O_RDONLY, 0, 0)), "in d");
        /* ".." (lexical or through a link) stops at the root */
        assert_string_equal(slurp(path_open(t->fd, "d/up/d/up/d/f", O_RDONLY, 0, 0)), "in d");
        assert_string_equal(slurp(path_open(t->fd, "../../d/f", O_RDONLY, 0, 0)), "in d");
        assert_int_equal(path_open(t->fd, "d/up/../secret", O_RDONLY, 0, 0), -ENOENT);
        /* a link to an absolute host path resolves inside the root */
        assert_int_equal(path_open(t->fd, "out/secret", O_RDONLY, 0, 0), -ENOENT);
}

static void test_open_mkdir(void **state)
{
        struct tree *t = *state;
        int fd =
            path_open(t->fd, "new/a/b", O_RDONLY | O_DIRECTORY, 0, PATH_NO_SYMLINKS | PATH_MKDIR);
        assert_true(fd >= 0);
        close(fd);
        struct stat st;
        char p[4096];
        snprintf(p, sizeof(p), "%s/root/new/a/b", t->dir);
        assert_int_equal(stat(p, &st), 0);
        assert_true(S_ISDIR(st.st_mode));

        fd = path_open(t->fd, "new2/x/file", O_WRONLY | O_CREAT | O_EXCL, 0600,
                       PATH_NO_SYMLINKS | PATH_MKDIR);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "made", 4), 4);
        close(fd);
        assert_string_equal(unit_read(t->dir, "root/new2/x/file"), "made");

        /* PATH_MKDIR never creates through a symlinked parent */
        assert_int_equal(path_open(t->fd, "lnk/sub/file", O_WRONLY | O_CREAT, 0600,
                                   PATH_NO_SYMLINKS | PATH_MKDIR),
                         -ELOOP);
        snprintf(p, sizeof(p), "%s/root/d/sub", t->dir);
        assert_int_equal(lstat(p, &st), -1);
        /* without PATH_MKDIR a missing parent is an error */
        assert_int_equal(path_open(t->fd, "nope/file", O_WRONLY | O_CREAT, 0600, PATH_NO_SYMLINKS),
                         -ENOENT);
}

static void test_open_parent(void **state)
{
        struct tree *t = *state;
        const char *name = NULL;
        int fd = path_open_parent(t->fd, "d/f", PATH_NO_SYMLINKS, &name);
        assert_true(fd >= 0);
        assert_string_equal(name, "f");
        assert_string_equal(slurp(openat(fd, name, O_RDONLY | O_CLOEXEC)), "in d");
        close(fd);
        fd = path_open_parent(t->fd, "top", PATH_NO_SYMLINKS, &name);
        assert_true(fd >= 0);
        assert_string_equal(name, "top");
        close(fd);
        name = NULL;
        assert_int_equal(path_open_parent(t->fd, "lnk/f", PATH_NO_SYMLINKS, &name), -ELOOP);
        assert_null(name);
        assert_int_equal(path_open_parent(t->fd, "", PATH_NO_SYMLINKS, &name), -EINVAL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_normalize),
            cmocka_unit_test_setup_teardown(test_open_no_symlinks, tree_setup, tree_teardown),
            cmocka_unit_test_setup_teardown(test_open_in_root, tree_setup, tree_teardown),
            cmocka_unit_test_setup_teardown(test_open_mkdir, tree_setup, tree_teardown),
            cmocka_unit_test_setup_teardown(test_open_parent, tree_setup, tree_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
