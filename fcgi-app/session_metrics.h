/* session_metrics.h - the sessions' lines of GET /v1.1/_metrics (Prometheus text). */
#ifndef ECSFCGI_SESSION_METRICS_H
#define ECSFCGI_SESSION_METRICS_H

#include <stddef.h>

struct session_registry;

/**
 * session_metrics_render - sessions open, created, expired, deleted, lost,
 * execs, bytes in and out, from @r's counters ("" for a NULL @r). A
 * malloc'ed string of *@len bytes, or NULL out of memory.
 */
char *session_metrics_render(size_t *len, struct session_registry *r);

#endif
