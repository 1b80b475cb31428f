/* container-state.c - the container state machine: one table of allowed
 * transitions and the one function every operation changes state through
 * (docs/internals/containers.md draws it). */
#include "container-internal.h"

#include <errno.h>
#include <string.h>

static const char *const state_names[CONTAINER_STATE_MAX] = {
    [CONTAINER_CREATED] = "created",   [CONTAINER_RUNNING] = "running",
    [CONTAINER_PAUSED] = "paused",     [CONTAINER_RESTARTING] = "restarting",
    [CONTAINER_REMOVING] = "removing", [CONTAINER_EXITED] = "exited",
    [CONTAINER_DEAD] = "dead",         [CONTAINER_STARTING] = "starting",
};

const char *container_state_name(enum container_state s)
{
        return s < CONTAINER_STATE_MAX ? state_names[s] : "dead";
}

int container_state_from_name(const char *s)
{
        for (int i = 0; i < CONTAINER_STATE_MAX; i++)
                if (i != CONTAINER_STARTING && strcmp(s, state_names[i]) == 0)
                        return i;
        return -1;
}

#define B(s) (1u << (s))

/* allowed[from] is the set of states `from` may become. STARTING is the
 * claim a start holds while it spawns the shim (never stored, shown as
 * created or exited); REMOVING is final: the record is going. A stopped
 * container's state changes only through start or remove; a running one's
 * only through its exit (the monitor), pause, or a restart policy. */
static const unsigned allowed[CONTAINER_STATE_MAX] = {
    [CONTAINER_CREATED] = B(CONTAINER_STARTING) | B(CONTAINER_REMOVING),
    [CONTAINER_STARTING] =
        B(CONTAINER_RUNNING) | B(CONTAINER_CREATED) | B(CONTAINER_EXITED) | B(CONTAINER_DEAD),
    [CONTAINER_RUNNING] =
        B(CONTAINER_PAUSED) | B(CONTAINER_RESTARTING) | B(CONTAINER_EXITED) | B(CONTAINER_DEAD),
    [CONTAINER_PAUSED] = B(CONTAINER_RUNNING) | B(CONTAINER_EXITED) | B(CONTAINER_DEAD),
    [CONTAINER_RESTARTING] =
        B(CONTAINER_STARTING) | B(CONTAINER_RUNNING) | B(CONTAINER_EXITED) | B(CONTAINER_DEAD),
    [CONTAINER_EXITED] = B(CONTAINER_STARTING) | B(CONTAINER_REMOVING),
    /* Docker does not start a dead container; it can only go. */
    [CONTAINER_DEAD] = B(CONTAINER_REMOVING),
    /* Only back to a stopped state, when deleting the record failed. */
    [CONTAINER_REMOVING] = B(CONTAINER_CREATED) | B(CONTAINER_EXITED) | B(CONTAINER_DEAD),
};

bool container_state_allowed(enum container_state from, enum container_state to)
{
        return from < CONTAINER_STATE_MAX && to < CONTAINER_STATE_MAX && (allowed[from] & B(to));
}

bool container_state_is_running(enum container_state s)
{
        return s == CONTAINER_RUNNING || s == CONTAINER_PAUSED || s == CONTAINER_RESTARTING;
}

enum container_state container_state_public(enum container_state s, bool has_been_started)
{
        if (s == CONTAINER_STARTING)
                return has_been_started ? CONTAINER_EXITED : CONTAINER_CREATED;
        return s;
}

int container_state_change(struct container *c, enum container_state to, struct kerr *err)
{
        if (!container_state_allowed(c->state, to))
                return kerr_set(err, KERR_CONFLICT, EBUSY, "container %s cannot go from %s to %s",
                                c->id, container_state_name(c->state), container_state_name(to));
        c->state = to;
        pthread_cond_broadcast(&c->changed);
        return 0;
}
