/* Private: containers made for the warm pool (lib/pool.c), and a start the task runner bounds. */
#ifndef ECS_CONTAINER_PRIVATE_H
#define ECS_CONTAINER_PRIVATE_H

#include <ecs/ecs.h>

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

#endif
