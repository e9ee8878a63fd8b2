/*
 * warm.h - ecs-fcgi's warm pool (libecs's ecs_pool): started from the
 * configuration (pool_config.h), shared by every worker, shown in _metrics
 * and _health?quick=false, stopped (its containers deleted) at shutdown.
 */
#ifndef ECSFCGI_WARM_H
#define ECSFCGI_WARM_H

#include <stddef.h>
#include <ecs/ecs.h>

#include "conf.h"

struct json_object;

/**
 * warm_start - start the pool (nothing when pool_budget is 0): adaptive
 * pools if pool_adaptive, and every [pool "IMAGE"] under the profile a task
 * that asks for nothing gets from [ecs]. Returns 0 or -1 (logged).
 */
int warm_start(const config *cfg, const ecs_engine_options *eopts, ecs_reaper *reaper);

/** warm_pool - the pool, or NULL when there is none. */
ecs_pool *warm_pool(void);

/** warm_stop - stop it and delete its warm containers. */
void warm_stop(void);

/** warm_metrics_render - the pool's Prometheus lines (malloc'ed, "" without a pool), or NULL out of memory. */
char *warm_metrics_render(size_t *len);

/** warm_health - the "pool" component of the comprehensive health check (always green), or NULL out of memory. */
struct json_object *warm_health(void);

#endif
