/*
 * libecs: one task run by its container's ecs-agent (agent_task.h), the
 * same for a warm container (backend_pool.c) and a cold one
 * (backend_cold.c).
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ecs/ecs.h>
#include "agent_task.h"
#include "clock.h"
#include "container_private.h"
#include "engine_private.h"

int ecs_agent_exec_outcome(ecs_task_result *result, ecs_engine *engine, int rc, ecs_agent_exec_res *res)
{
	const ecs_agent_exit *x = &res->exit;

	if (rc == ECS_ECANCELED)
		return ecs_task_fail(result, ECS_TASK_PHASE_WAIT, rc, "cancelled");
	if (rc != 0 && rc != ECS_ETIMEDOUT)
		return ecs_task_fail_engine(result, engine, ECS_TASK_PHASE_ATTACH, rc);
	/* what the command wrote, also before a kill the agent never reported */
	result->out = res->out;
	result->err = res->err;
	memset(&res->out, 0, sizeof(res->out));
	memset(&res->err, 0, sizeof(res->err));
	result->stdout_bytes = res->out_bytes;
	result->stderr_bytes = res->err_bytes;
	if (rc == ECS_ETIMEDOUT)
		return rc;
	if (x->kind == ECS_AGENT_FAILED) {
		char why[sizeof(res->message) + 64];

		snprintf(why, sizeof(why), "ecs-agent: the command did not run (%s)%s%s", strerror(x->code),
			 res->message[0] ? ": " : "", res->message);
		return ecs_task_fail(result, ECS_TASK_PHASE_START, ECS_EENGINE, why);
	}
	result->exit_code = x->code;
	result->timed_out = (x->flags & ECS_AGENT_EXIT_TIMED_OUT) != 0;
	result->oom_killed = (x->flags & ECS_AGENT_EXIT_OOM) != 0;
	if (result->timed_out)
		ecs_engine_log(engine, ECS_LOG_INFO, "task %s: container %.12s: killed by ecs-agent at its timeout",
			       result->task_id, result->container_id);
	return 0;
}

/*
 * Past the reader's deadline (the timeout and ECS_AGENT_CONN_GRACE_MS)
 * without an EXIT the agent does not answer: a task's container is killed
 * through the engine and the task counts as timed out.
 */
static int killed_at_deadline(ecs_task_result *result, ecs_engine *engine, ecs_agent_conn *conn, long timeout_ms)
{
	ecs_capture_stop stop = { 0 };
	int krc = ecs_agent_conn_kill(conn, result->task_id, &stop);

	if (krc != 0)
		return ecs_task_fail_engine(result, engine, ECS_TASK_PHASE_WAIT, krc);
	result->timed_out = 1;
	result->exit_code = 137;
	ecs_engine_log(engine, ECS_LOG_WARN, "task %s: container %.12s: ecs-agent did not answer within %ld ms "
		       "of the %ld ms timeout: container killed", result->task_id, result->container_id,
		       ECS_AGENT_CONN_GRACE_MS, timeout_ms);
	return 0;
}

/* Bound on each file request (PUT, GET): the engine's request timeout, as for any other exchange. */
static long long file_deadline(const ecs_engine *engine)
{
	return ecs_clock_ms() + engine->opts.request_timeout_ms;
}

/* The EXEC of the task: argv = Entrypoint + cmd (what the engine would run), env, stdin, timeout. */
static int exec(ecs_agent_conn *conn, const char *const *entrypoint, size_t entrypoint_len, const ecs_backend_task *task,
		ecs_agent_exec_res *res)
{
	const ecs_task_spec *spec = task->spec;
	ecs_agent_exec_req req = { 0 };
	size_t n = entrypoint_len + spec->run.cmd_len;
	const char **argv = calloc(n, sizeof(char *));
	int rc;

	if (argv == NULL)
		return ECS_ENOMEM;
	for (size_t i = 0; i < entrypoint_len; i++)
		argv[req.argc++] = entrypoint[i];
	for (size_t i = 0; i < spec->run.cmd_len; i++)
		argv[req.argc++] = spec->run.cmd[i];
	req.argv = argv;
	req.env = spec->run.env;
	req.envc = spec->run.env_len;
	req.stdin_data = spec->stdin_data;
	req.stdin_len = spec->stdin_len;
	req.stdin_null = spec->stdin_len == 0; /* as the cold path opens none */
	req.timeout_ms = task->timeout_ms;
	req.out_cap = spec->stdout_cap ? spec->stdout_cap : ECS_TASK_DEFAULT_OUTPUT_CAP;
	req.err_cap = spec->stderr_cap ? spec->stderr_cap : ECS_TASK_DEFAULT_OUTPUT_CAP;
	req.on_output = spec->on_output;
	req.on_output_arg = spec->on_output_arg;
	req.cancel = task->cancel;
	rc = ecs_agent_conn_exec(conn, &req, res, ecs_clock_ms() + task->timeout_ms + ECS_AGENT_CONN_GRACE_MS);
	free(argv);
	return rc;
}

/*
 * runsc: the agent cannot read the OOM counter (EXIT flag OOM_UNKNOWN): the
 * engine knows, once the container ended (the agent exits at the end of its
 * stdin, which close half-closed). A quick look only after a kill.
 */
static void oom_from_engine(ecs_task_result *result, ecs_engine *engine)
{
	ecs_container_info info;
	int code;

	memset(&info, 0, sizeof(info));
	if (!result->timed_out && ecs_container_wait(&code, engine, result->container_id, ECS_BACKEND_KILL_WAIT_MS,
						    NULL) != 0)
		return;
	if (ecs_container_inspect_within(&info, engine, result->container_id, ECS_BACKEND_EXIT_MS) == 0)
		result->oom_killed = info.oom_killed;
	ecs_container_info_clear(&info);
}

/*
 * The agent's MESSAGE for a user it cannot resolve starts so (agent/ecs-agent.c,
 * setup_creds(): "ecs-agent: unable to find user SPEC: ..."), the engine's
 * own words for the same refusal of a docker-init container.
 */
#define NO_USER_TEXT "ecs-agent: unable to find user "

int ecs_agent_task_no_user(const char *why)
{
	return strncmp(why, NO_USER_TEXT, sizeof(NO_USER_TEXT) - 1) == 0;
}

int ecs_agent_task_run(ecs_task_result *result, const ecs_backend_task *task, ecs_agent_conn **conn,
		       const char *const *entrypoint, size_t entrypoint_len, int *nothing_ran, char *why,
		       size_t why_len)
{
	ecs_engine *engine = task->engine;
	const ecs_task_spec *spec = task->spec;
	ecs_agent_exec_res res;
	double t = ecs_clock_ms_f();
	int rc = 0;

	memset(&res, 0, sizeof(res));
	*nothing_ran = 0;
	why[0] = '\0';
	/* The timeout counts from when the command is handed to the agent (agent/PROTOCOL.md: fork to reaping). */
	if (spec->files_len > 0)
		rc = ecs_agent_conn_put_files(*conn, spec->files, spec->files_len, why, why_len, file_deadline(engine));
	if (rc == 0) {
		rc = exec(*conn, entrypoint, entrypoint_len, task, &res);
		if (rc == 0 && res.exit.kind == ECS_AGENT_FAILED && res.exit.code == EPERM) {
			snprintf(why, why_len, "%s", res.message);
			rc = ECS_EDENIED;
		} else if (rc == ECS_EINVAL) {
			snprintf(why, why_len, "the command or environment cannot be sent to the agent");
		}
	} else if (rc != ECS_ENOTFOUND && rc != ECS_EDENIED) {
		/* the files did not go in: the command never ran */
		rc = rc == ECS_EINVAL ? ecs_task_fail(result, ECS_TASK_PHASE_VALIDATE, rc, why)
				      : ecs_task_fail_engine(result, engine, ECS_TASK_PHASE_START, rc);
		goto out;
	}
	if ((rc == ECS_ENOTFOUND && !res.started) || rc == ECS_EDENIED) {
		*nothing_ran = 1;
		goto out;
	}
	if (rc == ECS_EINVAL) {
		rc = ecs_task_fail(result, ECS_TASK_PHASE_VALIDATE, rc, why);
		goto out;
	}
	rc = ecs_agent_exec_outcome(result, engine, rc, &res);
	if (rc == ECS_ETIMEDOUT)
		rc = killed_at_deadline(result, engine, *conn, task->timeout_ms);
	result->timings.run = ecs_clock_ms_f() - t;
	if (rc != 0)
		goto out;
	t = ecs_clock_ms_f();
	if (spec->artifacts_len > 0 && !result->timed_out) {
		rc = ecs_agent_conn_get_artifacts(*conn, spec->artifacts, spec->artifacts_len, spec->artifacts_cap,
						  &result->artifacts, &result->artifacts_len, why, why_len,
						  file_deadline(engine));
		if (rc == ECS_EINVAL) {
			rc = ecs_task_fail(result, ECS_TASK_PHASE_LOGS, rc, why);
			goto out;
		}
		if (rc != 0) {
			rc = ecs_task_fail_engine(result, engine, ECS_TASK_PHASE_LOGS, rc);
			goto out;
		}
	}
	/* the agent exits at the end of its stdin: the engine then knows what it alone can tell */
	ecs_agent_conn_close(*conn, 1);
	*conn = NULL;
	if (res.exit.flags & ECS_AGENT_EXIT_OOM_UNKNOWN)
		oom_from_engine(result, engine);
	result->timings.logs = ecs_clock_ms_f() - t;
out:
	ecs_agent_exec_res_clear(&res);
	return rc;
}
