/*
 * warm.h - ecs-fcgi's warm pool (libecs's ecs_pool): started from the
 * configuration (pool_config.h), handed to every handler in its context
 * (handler_ctx.pool), shown in _metrics and _health?quick=false, freed
 * (its containers deleted, ecs_pool_free()) at shutdown.
 */
#ifndef ECSFCGI_WARM_H
#define ECSFCGI_WARM_H

#include <stddef.h>
#include <ecs/ecs.h>

#include "conf.h"

struct json_object;

/**
 * warm_start - start the pool into *@out (NULL, and 0, when pool_budget is
 * 0 or the agent is missing: every task runs cold): adaptive pools if
 * pool_adaptive, and every [pool "IMAGE"] under the profile a task that
 * asks for nothing gets from [ecs]; its agents' direct channels in
 * @channel_dir (warm_channel_dir(); NULL: attach). The caller frees it with
 * ecs_pool_free(). Returns 0 or -1 (logged; *@out NULL).
 */
int warm_start(ecs_pool **out, const config *cfg, const ecs_engine_options *eopts, ecs_reaper *reaper,
	       const char *channel_dir);

/**
 * warm_channel_dir - make the directory where the agents of this instance's
 * containers, warm and cold, connect their direct channels (libecs:
 * ecs_pool(3) channel_dir, ecs_task_spec.channel_dir): "@instance.chan"
 * beside the instance's lock, 0711, on this host, so only for a local
 * engine (unix://). Returns it (malloc'ed), or NULL: a remote engine, no
 * @instance, or it could not be made (logged): every task attaches.
 * Remove it with warm_channel_dir_remove().
 */
char *warm_channel_dir(const config *cfg, const char *instance);

/** warm_channel_dir_remove - remove @dir (empty once the pool is freed and no task runs) and free it; NULL is allowed. */
void warm_channel_dir_remove(char *dir);

/** warm_metrics_render - @pool's Prometheus lines (malloc'ed, "" when @pool is NULL), or NULL out of memory. */
char *warm_metrics_render(size_t *len, ecs_pool *pool);

/** warm_health - the "pool" component of the comprehensive health check (always green), or NULL out of memory. */
struct json_object *warm_health(ecs_pool *pool);

#endif
