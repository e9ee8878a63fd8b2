/* Private: what the pooled backend (backend_pool.c) takes from a pool (pool.c). */
#ifndef ECS_POOL_PRIVATE_H
#define ECS_POOL_PRIVATE_H

#include <ecs/ecs.h>

/** A warm container handed to one task; everything owned, freed by ecs_pool_lease_clear(). */
typedef struct {
	char *container_id;
	char *image_id;
	char **entrypoint;        /* the image's Config.Entrypoint; the task's argv is these, then its cmd */
	size_t entrypoint_len;
} ecs_pool_lease;

/**
 * ecs_pool_take - a warm container of (@image_id, @profile's key), counted as
 * a hit; or ECS_ENOTFOUND, counted as a miss (which, with adaptive pools,
 * gives the key a pool). @image_ref is what the task named: a fixed pool of
 * that reference at another image id has seen its tag move, and is retired
 * and resolved again. Returns 0, ECS_ENOTFOUND or ECS_ENOMEM. Thread-safe.
 */
int ecs_pool_take(ecs_pool_lease *out, ecs_pool *pool, const char *image_ref, const char *image_id,
		  const ecs_sandbox_profile *profile);

void ecs_pool_lease_clear(ecs_pool_lease *lease);

#endif
