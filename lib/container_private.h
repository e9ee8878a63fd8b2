/* Private: containers made for the warm pool (lib/pool.c), and a start the task runner bounds. */
#ifndef ECS_CONTAINER_PRIVATE_H
#define ECS_CONTAINER_PRIVATE_H

#include <ecs/ecs.h>
#include "http.h"

/* Where ecs-agent appears inside a pooled container (agent/PROTOCOL.md). */
#define ECS_AGENT_MOUNT "/.ecs/agent"

/** What makes a container a pooled one. */
typedef struct {
	const char *agent_path;   /* ecs-agent on the engine's host, bind-mounted read-only at ECS_AGENT_MOUNT */
	const char *pool_label;   /* the value of ECS_LABEL_POOL */
	const char *task_user;    /* the task's user as the engine would take it (profile's, else image's; "" root) */
	int set_home;             /* the image's Env has no HOME: the agent gives the task its user's */
} ecs_container_agent;

/**
 * ecs_container_create_agent - ecs_container_create() for a pooled container:
 * @spec as for a task (image, profile, task id label, working dir; @cmd and
 * @env are ignored: the task comes later on stdin), but the entrypoint is
 * ecs-agent with "-u TASK_USER" (and "-h" with @set_home), started as root
 * with the agent's capabilities added (ecs_profile_apply_agent()), Init is off (the agent is PID 1), stdin is
 * open for one attach, output goes to an attach stream (log driver none),
 * and the labels add ECS_LABEL_POOL. Same returns as ecs_container_create().
 */
int ecs_container_create_agent(char **id_out, ecs_engine *engine, const ecs_container_spec *spec,
			       const ecs_container_agent *agent);

/**
 * ecs_container_start_within - ecs_container_start() bounded by @timeout_ms
 * (0: the handle's request timeout) instead of the handle's: under load a
 * start can take seconds, and the task runner bounds it on its own
 * (ecs_task_spec.start_timeout_ms). ECS_ETIMEDOUT when the engine did not
 * answer in time (it may still start the container). Same returns otherwise.
 */
int ecs_container_start_within(ecs_engine *engine, const char *id, long timeout_ms);

/**
 * ecs_container_inspect_within - ecs_container_inspect() bounded by
 * @timeout_ms (0: the handle's request timeout): after a kill at the
 * timeout, what the engine saw must not cost the task more than that.
 */
int ecs_container_inspect_within(ecs_container_info *out, ecs_engine *engine, const char *id, long timeout_ms);

/*
 * The kill and the force removal of a container as asynchronous requests
 * (http.h), bounded by @timeout_ms, for a caller that keeps draining the
 * container's attach stream meanwhile (capture.c): the engine completes
 * neither while its attach writer is blocked on a full socket. Move them on
 * with ecs_http_async_wait(); the _end() call reads the outcome and frees.
 */

/** POST /containers/@id/kill?signal=SIGKILL sent; 0 with *@out, or the error. */
int ecs_container_kill_begin(ecs_http_async **out, ecs_engine *engine, const char *id, long timeout_ms);

/**
 * The kill's outcome: 0 when it landed; also 0 with *@not_running = 1 when
 * the engine said the container was not running (409: it had ended by
 * itself); ECS_ENOTFOUND when it is gone; ECS_ETIMEDOUT when the engine did
 * not answer within the bound; another ECS_E* code. Frees @a.
 */
int ecs_container_kill_end(ecs_engine *engine, ecs_http_async *a, int *not_running);

/** DELETE /containers/@id?force=1&v=1 sent (the engine kills, then removes); 0 with *@out, or the error. */
int ecs_container_remove_begin(ecs_http_async **out, ecs_engine *engine, const char *id, long timeout_ms);

/** The removal's outcome: 0, ECS_ENOTFOUND (already gone), ECS_ETIMEDOUT, another ECS_E* code. Frees @a. */
int ecs_container_remove_end(ecs_engine *engine, ecs_http_async *a);

#endif
