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

#include <stddef.h>
/* images.c */
void images_list(struct request *req);
void images_create(struct request *req);
void images_prune(struct request *req);
void images_save(struct request *req);
void images_load(struct request *req);
void images_inspect(struct request *req);
void images_history(struct request *req);
void images_tag(struct request *req);
void images_remove(struct request *req);
int images_body_spool(struct request *req, const char *data, size_t len);

/* distribution.c */
void images_pull(struct request *req);
void images_push(struct request *req);
void system_auth(struct request *req);

/* containers.c, containers-run.c, logs.c */
void containers_create(struct request *req);
void containers_inspect(struct request *req);
void containers_list(struct request *req);
void containers_rename(struct request *req);
void containers_delete(struct request *req);
void containers_prune(struct request *req);
void containers_wait(struct request *req);
void containers_start(struct request *req);
void containers_stop(struct request *req);
void containers_restart(struct request *req);
void containers_kill(struct request *req);
void containers_resize(struct request *req);
void containers_attach(struct request *req);
void containers_logs(struct request *req);
