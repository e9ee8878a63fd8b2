/* Private: what the pooled backend (backend_pool.c) takes from a pool (pool.c). */
#ifndef ECS_POOL_PRIVATE_H
#define ECS_POOL_PRIVATE_H

#include <ecs/ecs.h>
#include "ids.h"

/* A generated task id (32 hex digits) and its NUL. */
#define ECS_POOL_TASK_ID_SIZE ECS_ID_SIZE

/** A warm container handed to one task; everything owned, freed by ecs_pool_lease_clear(). */
typedef struct {
	char *container_id;
	char task_id[ECS_POOL_TASK_ID_SIZE]; /* its ECS_LABEL_TASK_ID: the task's id unless it named its own */
	char *image_id;
	char *repo_digest;        /* its repository digest, from a fixed pool's resolution; may be NULL */
	char **entrypoint;        /* the image's Config.Entrypoint; the task's argv is these, then its cmd */
	size_t entrypoint_len;
	int chan_fd;              /* its agent's direct channel (agent_chan.h; the lease's until taken), or -1 */
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

/**
 * ecs_pool_take_tag - a warm container of the fixed pool set for the very
 * reference @image_ref and @profile's key, without asking the engine what
 * the tag names: the pool inspects its reference off the tasks' path
 * (every 5 s) and lends only while that answer is at most 10 s old, so a
 * tag that moved is followed within 10 s. Counted as a hit; nothing is
 * counted when it returns ECS_ENOTFOUND (the caller then inspects and
 * calls ecs_pool_take(), which counts the miss). Returns 0, ECS_ENOTFOUND
 * or ECS_ENOMEM. Thread-safe.
 */
int ecs_pool_take_tag(ecs_pool_lease *out, ecs_pool *pool, const char *image_ref, const ecs_sandbox_profile *profile);

void ecs_pool_lease_clear(ecs_pool_lease *lease);

/**
 * ecs_pool_task_done - the task that took a warm container (ecs_pool_take()
 * returned 0) is over, whatever its end. Refills wait while such tasks run
 * (bounded: pool.c, REFILL_DEFER_MAX_MS) so as not to take their CPU; the
 * last one done lets them go. Thread-safe.
 */
void ecs_pool_task_done(ecs_pool *pool);

/**
 * ecs_pool_refused - the agent of a warm container of (@image_id, @profile's
 * key) refused its task (EXIT FAILED EPERM: under this runtime the task's
 * user could reach the agent, or it is the agent's own, or unknown), which
 * every container of the key would: its warm containers are retired, it is
 * refilled no more, and its tasks miss (run cold) without making a new
 * adaptive pool, until it idles out (fixed: until ecs_pool_set_size()).
 * @engine is the caller's handle (for the deletes and the log). Thread-safe.
 */
void ecs_pool_refused(ecs_pool *pool, ecs_engine *engine, const char *image_id, const ecs_sandbox_profile *profile);

/**
 * ecs_pool_check_warm - a task found its warm container dead: have a refill
 * thread look at all of them (one list call) and retire those that no longer
 * run. Returns at once. Thread-safe.
 */
void ecs_pool_check_warm(ecs_pool *pool);

#endif
