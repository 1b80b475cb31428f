/* handlers.h - every route handler named in routes.def. One file per
 * resource: system.c, ... Each reads the request, makes one engine call,
 * and writes one reply. */
#pragma once

struct request;

void system_ping(struct request *req);
void system_version(struct request *req);
void system_info(struct request *req);
void system_plugins(struct request *req);
void system_no_swarm(struct request *req);
void system_options(struct request *req);
