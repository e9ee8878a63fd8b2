/*
 * task_metrics.h - the task store's lines of _metrics and its part of the
 * comprehensive health check: queue depth by state (one store query), the
 * store calls of this process (count, failures, latency), callbacks pending.
 */
#ifndef ECSFCGI_TASK_METRICS_H
#define ECSFCGI_TASK_METRICS_H

#include <stddef.h>

#include "store.h"

struct json_object;

/**
 * task_metrics_render - ecs_async_tasks{status=...}, ecs_store_operations_total,
 * ecs_store_errors_total, ecs_store_seconds (a summary: _sum, _count), ecs_callbacks_pending (and
 * ecs_store_up) of @st (NULL: no store, only ecs_store_up 0), in the
 * Prometheus text format. Returns a malloc'd string (*@len bytes) or NULL
 * (out of memory). A store that fails the count gives ecs_store_up 0.
 */
char *task_metrics_render(size_t *len, store *st);

/**
 * task_metrics_health - {"status": "green"|"red", "backend", "latencyMs" |
 * "error"} of one round trip to @st (NULL: red, no store open); *@green is
 * cleared when red. Returns a new object or NULL (out of memory).
 */
struct json_object *task_metrics_health(int *green, store *st);

#endif
