/*
 * Private: what session.c asks of the session's agent (session_io.c).
 */
#ifndef ECS_SESSION_PRIVATE_H
#define ECS_SESSION_PRIVATE_H

#include <ecs/ecs.h>
#include <ecs/session.h>

/**
 * ecs_session_agent_ready - the started container of @s answers: its agent
 * waits for requests (a PING answered within @timeout_ms). Returns 0, or
 * the error (the handle says why).
 */
int ecs_session_agent_ready(ecs_engine *engine, const ecs_session_info *s, long timeout_ms);

#endif
