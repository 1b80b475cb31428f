/* names.h - container names: Docker's validity rule and generated
 * adjective_surname names for containers created without one. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* [a-zA-Z0-9][a-zA-Z0-9_.-]+ (a leading '/' is allowed and ignored). */
bool names_valid(const char *name);

/* Writes a random "adjective_surname" into buf; attempt > 0 appends a
 * number as Docker does after collisions. */
void names_generate(char *buf, size_t size, unsigned attempt);
