/* the container state machine: every transition, allowed and refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "engine/container/container-internal.h"

#include <errno.h>
#include <string.h>

#define C CONTAINER_CREATED
#define S CONTAINER_STARTING
#define R CONTAINER_RUNNING
#define P CONTAINER_PAUSED
#define T CONTAINER_RESTARTING
#define X CONTAINER_EXITED
#define D CONTAINER_DEAD
#define M CONTAINER_REMOVING

/* want[from][to]: 1 allowed, 0 refused. Rows and columns in the order
 * created, starting, running, paused, restarting, exited, dead, removing. */
static const enum container_state order[] = {C, S, R, P, T, X, D, M};
static const int want[8][8] = {
    /*            C  S  R  P  T  X  D  M */
    /* created */ {0, 1, 0, 0, 0, 0, 0, 1},
    /* starting */ {1, 0, 1, 0, 0, 1, 1, 0},
    /* running */ {0, 0, 0, 1, 1, 1, 1, 0},
    /* paused */ {0, 0, 1, 0, 0, 1, 1, 0},
    /* restart */ {0, 1, 1, 0, 0, 1, 1, 0},
    /* exited */ {0, 1, 0, 0, 0, 0, 0, 1},
    /* dead */ {0, 0, 0, 0, 0, 0, 0, 1},
    /* removing */ {1, 0, 0, 0, 0, 1, 1, 0},
};

static void test_table(void **state)
{
        (void)state;
        assert_int_equal(CONTAINER_STATE_MAX, 8);
        for (int i = 0; i < 8; i++)
                for (int j = 0; j < 8; j++) {
                        bool got = container_state_allowed(order[i], order[j]);
                        if (got != (bool)want[i][j])
                                fail_msg("%s -> %s: got %d want %d", container_state_name(order[i]),
                                         container_state_name(order[j]), got, want[i][j]);
                }
        assert_false(container_state_allowed(CONTAINER_STATE_MAX, C));
        assert_false(container_state_allowed(C, CONTAINER_STATE_MAX));
}

/* The one setter: applies an allowed change, refuses the rest with a
 * conflict and leaves the state alone. */
static void test_change(void **state)
{
        (void)state;
        struct container *c =
            container_new("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "x1");
        for (int i = 0; i < 8; i++)
                for (int j = 0; j < 8; j++) {
                        c->state = order[i];
                        struct kerr err = {0};
                        int r = container_state_change(c, order[j], &err);
                        if (want[i][j]) {
                                assert_int_equal(r, 0);
                                assert_int_equal(c->state, order[j]);
                        } else {
                                assert_true(r < 0);
                                assert_int_equal(err.kind, KERR_CONFLICT);
                                assert_int_equal(c->state, order[i]);
                                assert_non_null(strstr(err.msg, "cannot go from"));
                        }
                }
        container_unref(c);
}

static void test_names_and_public(void **state)
{
        (void)state;
        for (int i = 0; i < CONTAINER_STATE_MAX; i++) {
                const char *n = container_state_name((enum container_state)i);
                if (i == CONTAINER_STARTING)
                        assert_int_equal(container_state_from_name(n), -1); /* never stored */
                else
                        assert_int_equal(container_state_from_name(n), i);
        }
        assert_int_equal(container_state_public(S, false), C);
        assert_int_equal(container_state_public(S, true), X);
        assert_int_equal(container_state_public(R, true), R);
        assert_true(container_state_is_running(R) && container_state_is_running(P) &&
                    container_state_is_running(T));
        assert_false(container_state_is_running(S) || container_state_is_running(X) ||
                     container_state_is_running(C) || container_state_is_running(D) ||
                     container_state_is_running(M));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_table),
            cmocka_unit_test(test_change),
            cmocka_unit_test(test_names_and_public),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
