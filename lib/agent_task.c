/*
 * libecs: one task through ecs-agent on an attached capture (agent_task.h),
 * the same for a warm container (backend_pool.c) and a cold one
 * (backend_cold.c): one header, one reading of the exit record.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ecs/ecs.h>
#include "agent_task.h"
#include "backend.h"
#include "container_private.h"
#include "engine_private.h"

int ecs_agent_task_header(unsigned char **out, size_t *len, const char *const *entrypoint, size_t entrypoint_len,
			  const ecs_task_spec *spec)
{
	ecs_agent_task t = { 0 };
	size_t n = entrypoint_len + spec->run.cmd_len;
	int rc;

	*out = NULL;
	t.argv = calloc(n, sizeof(char *));
	if (t.argv == NULL)
		return ECS_ENOMEM;
	for (size_t i = 0; i < entrypoint_len; i++)
		t.argv[t.argc++] = (char *)entrypoint[i];
	for (size_t i = 0; i < spec->run.cmd_len; i++)
		t.argv[t.argc++] = (char *)spec->run.cmd[i];
	t.env = (char **)spec->run.env;
	t.envc = spec->run.env_len;
	t.stdin_null = spec->stdin_len == 0; /* as the cold path opens none */
	rc = ecs_agent_header_encode(NULL, 0, len, &t);
	if (rc == ECS_AGENT_ETOOBIG && *len > 0 && (*out = malloc(*len)) != NULL)
		rc = ecs_agent_header_encode(*out, *len, len, &t);
	else if (rc == ECS_AGENT_ETOOBIG && *len > 0)
		rc = ECS_ENOMEM;
	free(t.argv);
	if (rc != 0) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

/*
 * The agent did not report (it died, or the container was killed), or cannot
 * know (runsc: no OOM counter): the engine's view. Without one (the engine
 * went away with the stream) the outcome is unknown: an error, as on the
 * cold path, never a made-up exit status.
 */
static int engine_outcome(ecs_task_result *result, ecs_engine *engine, int *code)
{
	ecs_container_info info;
	int rc = ecs_container_wait(code, engine, result->container_id, ECS_BACKEND_KILL_WAIT_MS, NULL);

	if (rc != 0)
		return ecs_task_fail_engine(result, engine, ECS_TASK_PHASE_WAIT, rc);
	memset(&info, 0, sizeof(info));
	if (ecs_container_inspect(&info, engine, result->container_id) == 0)
		result->oom_killed = info.oom_killed;
	ecs_container_info_clear(&info);
	return 0;
}

int ecs_agent_task_outcome(ecs_task_result *result, ecs_engine *engine, ecs_capture *cap, int run_rc, long timeout_ms)
{
	ecs_capture_stop stop = { 0 };
	ecs_agent_exit x;
	const char *msg;
	int code = -1, killed = 0;

	if (run_rc == ECS_ETIMEDOUT || run_rc == ECS_ECANCELED) {
		int krc = ecs_capture_kill(cap, result->task_id, result->container_id, &stop);

		if (run_rc == ECS_ECANCELED)
			return ecs_task_fail(result, ECS_TASK_PHASE_WAIT, run_rc, "cancelled");
		if (!ecs_capture_agent_exit(cap, NULL, NULL)) {
			/* Neither killed nor ended (the engine does not answer): nothing is known of the task. */
			if (krc != 0 && !ecs_capture_done(cap))
				return ecs_task_fail_engine(result, engine, ECS_TASK_PHASE_WAIT, krc);
			result->timed_out = 1;
			result->exit_code = 137;
			ecs_engine_log(engine, ECS_LOG_INFO, "task %s: container %.12s: killed after %ld ms timeout",
				       result->task_id, result->container_id, timeout_ms);
			return 0;
		}
		ecs_engine_log(engine, ECS_LOG_INFO, "task %s: container %.12s: exited by itself at the %ld ms "
			       "timeout, before the kill landed", result->task_id, result->container_id, timeout_ms);
		run_rc = 0;
		killed = 1;
	}
	if (run_rc != 0)
		return ecs_task_fail_engine(result, engine, ECS_TASK_PHASE_ATTACH, run_rc);
	if (!ecs_capture_agent_exit(cap, &x, &msg)) {
		int rc = engine_outcome(result, engine, &code);

		if (rc == 0)
			result->exit_code = code;
		return rc;
	}
	if (x.kind == ECS_AGENT_FAILED) {
		char why[300];

		snprintf(why, sizeof(why), "ecs-agent: the task did not run (%s)%s%s", strerror(x.code), msg[0] ? ": " : "",
			 msg);
		return ecs_task_fail(result, ECS_TASK_PHASE_START, ECS_EENGINE, why);
	}
	result->exit_code = x.code;
	result->oom_killed = (x.flags & ECS_AGENT_EXIT_OOM) != 0;
	if ((x.flags & ECS_AGENT_EXIT_OOM_UNKNOWN) && killed) {
		/* runsc: the engine knows; after the kill only a quick look, and none at a removed container */
		ecs_container_info info;

		memset(&info, 0, sizeof(info));
		if (!stop.force_removed &&
		    ecs_container_inspect_within(&info, engine, result->container_id, ECS_BACKEND_EXIT_MS) == 0)
			result->oom_killed = info.oom_killed;
		ecs_container_info_clear(&info);
	} else if (x.flags & ECS_AGENT_EXIT_OOM_UNKNOWN) {
		return engine_outcome(result, engine, &code); /* runsc: the engine knows */
	}
	return 0;
}

/*
 * The agent's MESSAGE for a user it cannot resolve starts so (agent/ecs-agent.c,
 * setup_creds(): "ecs-agent: unable to find user SPEC: ..."), the engine's
 * own words for the same refusal of a docker-init container.
 */
#define NO_USER_TEXT "ecs-agent: unable to find user "

int ecs_agent_task_refused(ecs_capture *cap, int *no_user)
{
	ecs_agent_exit x;
	const char *msg;
	int refused = ecs_capture_agent_exit(cap, &x, &msg) && x.kind == ECS_AGENT_FAILED && x.code == EPERM;

	if (no_user != NULL)
		*no_user = refused && strncmp(msg, NO_USER_TEXT, sizeof(NO_USER_TEXT) - 1) == 0;
	return refused;
}
