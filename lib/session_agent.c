/*
 * libecs: the agent's side of a session container: the container made
 * with ecs-agent as PID 1, and the first sign of life.
 */
#include <config.h>

#include <string.h>
#include <sys/stat.h>

#include <ecs/ecs.h>
#include <ecs/session.h>
#include "clock.h"
#include "container_private.h"
#include "engine_private.h"
#include "session_private.h"

int ecs_session_container_create(char **id_out, ecs_engine *engine, const ecs_container_spec *cs,
				 const char *agent_path, const char *user)
{
	ecs_container_agent agent = { agent_path != NULL ? agent_path : ECS_POOL_AGENT_DEFAULT, NULL, user, 1 };
	struct stat st;

	/* On a local engine a missing file would be bind-mounted as an empty directory: nothing would run. */
	if (engine->socket_path != NULL && (stat(agent.agent_path, &st) != 0 || !S_ISREG(st.st_mode)))
		return ecs_engine_fail(engine, ECS_EINVAL, "session: no ecs-agent at %s", agent.agent_path);
	return ecs_container_create_agent(id_out, engine, cs, &agent);
}

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
