/* containers.h - shared by the /containers handler files. */
#pragma once

struct request;
struct container;

/* The container named by the route's {id}; replies 404/400 and returns
 * NULL when there is none. Returns a new reference. */
struct container *containers_lookup(struct request *req);
