/*
 * libecs: what runs in a session (<ecs/session.h>): exec, files in, files
 * out, each one request to the session's agent over an attach of its own.
 * Until the agent's protocol 2 conversation (agent_conn.h) is in this
 * libecs, each is refused as unavailable.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include <ecs/ecs.h>
#include <ecs/session.h>
#include "backend.h"
#include "container_private.h"
#include "engine_private.h"
#include "session_private.h"

int ecs_session_agent_ready(ecs_engine *engine, const ecs_session_info *s, long timeout_ms)
{
	ecs_container_info info;
	int rc;

	(void)timeout_ms;
	memset(&info, 0, sizeof(info));
	rc = ecs_container_inspect(&info, engine, s->container_id);
	if (rc == 0 && !info.running)
		rc = ecs_engine_fail(engine, ECS_EENGINE, "session: its agent exited at once (status %d)", info.exit_code);
	ecs_container_info_clear(&info);
	return rc;
}

int ecs_session_exec(ecs_task_result *result, ecs_engine *engine, const ecs_session_info *s,
		     const ecs_session_exec_spec *x)
{
	(void)s;
	(void)x;
	if (result == NULL || engine == NULL)
		return ECS_EINVAL;
	return ecs_task_fail(result, ECS_TASK_PHASE_VALIDATE, ECS_EUNAVAILABLE,
			     "exec in a session needs the agent's protocol 2, not in this libecs yet");
}

int ecs_session_put(ecs_engine *engine, const ecs_session_info *s, const char *path, const void *data, size_t len,
		    int is_tar, char *why, size_t whylen)
{
	(void)s, (void)path, (void)data, (void)len, (void)is_tar;
	if (why != NULL && whylen > 0)
		snprintf(why, whylen, "files in a session need the agent's protocol 2, not in this libecs yet");
	return ecs_engine_fail(engine, ECS_EUNAVAILABLE, "session put: not in this libecs yet");
}

int ecs_session_get(ecs_buffer *out, int *is_dir, ecs_engine *engine, const ecs_session_info *s, const char *path,
		    size_t cap, char *why, size_t whylen)
{
	(void)out, (void)is_dir, (void)s, (void)path, (void)cap;
	if (why != NULL && whylen > 0)
		snprintf(why, whylen, "files in a session need the agent's protocol 2, not in this libecs yet");
	return ecs_engine_fail(engine, ECS_EUNAVAILABLE, "session get: not in this libecs yet");
}
