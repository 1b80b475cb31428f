/* signals.h - signal names as Docker accepts them: "SIGTERM", "TERM",
 * "term" or "15". */
#pragma once

/* Returns the signal number, or -1 when s names none. */
int signal_parse(const char *s);
