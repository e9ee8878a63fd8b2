/*
 * Private: what session.c asks of the agent's side of a session container
 * (session_agent.c), kept apart so the container's recipe has one place.
 */
#ifndef ECS_SESSION_PRIVATE_H
#define ECS_SESSION_PRIVATE_H

#include <ecs/ecs.h>
#include <ecs/session.h>
#include "container_private.h"

/**
 * ecs_session_container_create - create a session's container from @cs
 * (labels, deadline, profile, env, stdin_reattach set by the caller) with
 * ecs-agent (@agent_path, NULL for ECS_POOL_AGENT_DEFAULT) as its
 * entrypoint, the task's user @user ("" for the image's). Same returns as
 * ecs_container_create(); ECS_EINVAL when the agent file is missing on a
 * local engine.
 */
int ecs_session_container_create(char **id_out, ecs_engine *engine, const ecs_container_spec *cs,
				 const char *agent_path, const char *user);

/**
 * ecs_session_agent_ready - the started container @s answers: its agent
 * waits for requests. Returns 0, or the error (the handle says why).
 */
int ecs_session_agent_ready(ecs_engine *engine, const ecs_session_info *s, long timeout_ms);

#endif
