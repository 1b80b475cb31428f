/* container-options.h - which create options kedge carries out, and the
 * checks that refuse the rest (docs/internals/containers.md has the table).
 *
 * dockerd's create body has ~100 fields; clients send most of them on
 * every create with their zero value (CLI 28: "Dns": [], "CpuShares": 0,
 * "MemorySwappiness": -1, "OomKillDisable": false ...). A field kedge does
 * not carry out is accepted only with its zero value: anything else is a
 * 400 naming it, never an accepted and ignored option. */
#pragma once

#include "base/err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* The largest byte size kedge takes (memory, swap, shm, tmpfs): 1 EiB, far
 * beyond any machine, so twice it (Docker's default swap) cannot overflow. */
#define CONTAINER_BYTES_MAX (1LL << 60)

/* Checks the request's Config, HostConfig and NetworkingConfig (before the
 * image is merged in): every number's type and range, every refused
 * option, restart policy, log driver, network endpoints, extra hosts,
 * healthcheck. Pure: no engine state. */
int container_options_check(const json_t *config, const json_t *hc, const json_t *nc,
                            struct kerr *err);

/* After the image's config is merged in: refuses a healthcheck that would
 * run (the image's HEALTHCHECK unless the request disabled it), and warns
 * that the image's VOLUMEs no mount of hc covers stay in the container's
 * writable layer. */
int container_options_check_merged(const json_t *config, const json_t *hc, json_t *warnings,
                                   struct kerr *err);

/* Whether v is a client's "not set": null, false, 0, "", [], {} or an
 * object of such values. */
bool container_option_is_zero(const json_t *v);

/* Splits an ExtraHosts entry, "name=ip" or "name:ip" (the name has no ':'
 * or '='; an IPv6 address needs the '=' form). 0 or -EINVAL. */
int container_extra_host_split(const char *s, size_t *ret_name_len, const char **ret_ip);
