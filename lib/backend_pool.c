/*
 * libecs: the pooled backend. A warm container of the task's key (pool.c),
 * whose PID 1 is ecs-agent, gets the task as requests on one attach stream
 * (agent_conn.h, agent/PROTOCOL.md version 2): the task's files (PUT), the
 * command (EXEC: argv from the image's Entrypoint and the task's command,
 * its env, its stdin, its timeout, which the agent enforces), its
 * artifacts (GET); output comes back through the one capture, capped as it
 * arrives, and the EXEC's exit record says how it ended.
 * No create, no start, no wait: the engine's ~0.5 s become milliseconds.
 * The container then goes to deletion like any other (task.c).
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ecs/ecs.h>
#include "clock.h"
#include "agent_conn.h"
#include "backend.h"
#include "container_private.h"
#include "engine_private.h"
#include "pool_private.h"

/*
 * How the EXEC ended, into @result. The one timeout rule: the agent's
 * timeout killed the command only when its EXIT says TIMED_OUT; a command
 * reaped before the kill is its own exit, whatever the clock says. Past the
 * reader's deadline (the timeout and ECS_AGENT_CONN_GRACE_MS) without an
 * EXIT the agent does not answer: the container is killed through the
 * engine and the task counts as timed out.
 */
static int outcome(ecs_task_result *result, ecs_engine *engine, ecs_agent_conn *conn, int rc,
		   const ecs_agent_exec_res *res, long timeout_ms)
{
	const ecs_agent_exit *x = &res->exit;

	if (rc == ECS_ECANCELED)
		return ecs_task_fail(result, ECS_TASK_PHASE_WAIT, rc, "cancelled");
	if (rc == ECS_ETIMEDOUT) {
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
	if (rc != 0)
		return ecs_task_fail_engine(result, engine, ECS_TASK_PHASE_ATTACH, rc);
	if (x->kind == ECS_AGENT_FAILED) {
		char why[sizeof(res->message) + 64];

		snprintf(why, sizeof(why), "ecs-agent: the task did not run (%s)%s%s", strerror(x->code),
			 res->message[0] ? ": " : "", res->message);
		return ecs_task_fail(result, ECS_TASK_PHASE_START, ECS_EENGINE, why);
	}
	result->exit_code = x->code;
	result->timed_out = (x->flags & ECS_AGENT_EXIT_TIMED_OUT) != 0;
	result->oom_killed = (x->flags & ECS_AGENT_EXIT_OOM) != 0;
	if (result->timed_out)
		ecs_engine_log(engine, ECS_LOG_INFO, "task %s: container %.12s: killed by ecs-agent at the %ld ms timeout",
			       result->task_id, result->container_id, timeout_ms);
	return 0;
}

/*
 * Nothing of the task ran in the warm container taken: dispose of it, give
 * the task back its own id and let task.c run it cold (ECS_BACKEND_MISS).
 */
static int give_up(ecs_task_result *result, const ecs_backend_task *task, const char *own_id, const char *why)
{
	ecs_engine *engine = task->engine;

	ecs_engine_log(engine, ECS_LOG_WARN, "task %s: container %.12s: %s; running cold", own_id, result->container_id,
		       why);
	ecs_task_dispose(engine, task->reaper, result->task_id, result->container_id);
	free(result->container_id);
	free(result->image_id);
	result->container_id = result->image_id = NULL;
	result->timings.start = 0;
	snprintf(result->task_id, sizeof(result->task_id), "%s", own_id);
	return ECS_BACKEND_MISS;
}

/* Bound on each file request (PUT, GET): the engine's request timeout, as for any other exchange. */
static long long file_deadline(const ecs_engine *engine)
{
	return ecs_clock_ms() + engine->opts.request_timeout_ms;
}

/* The EXEC of the task: argv = Entrypoint + cmd (what the engine would run), env, stdin, timeout. */
static int exec(ecs_agent_conn *conn, const ecs_pool_lease *lease, const ecs_backend_task *task,
		ecs_agent_exec_res *res)
{
	const ecs_task_spec *spec = task->spec;
	ecs_agent_exec_req req = { 0 };
	size_t n = lease->entrypoint_len + spec->run.cmd_len;
	const char **argv = calloc(n, sizeof(char *));
	int rc;

	if (argv == NULL)
		return ECS_ENOMEM;
	for (size_t i = 0; i < lease->entrypoint_len; i++)
		argv[req.argc++] = lease->entrypoint[i];
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
 * Returns ECS_BACKEND_MISS (nothing of the task happened: task.c runs it
 * cold) when no warm container of the key is there, or the one taken cannot
 * be attached to, does not run, or its agent refuses the task's user.
 */
static int pool_run(ecs_task_result *result, const ecs_backend_task *task)
{
	ecs_engine *engine = task->engine;
	const ecs_task_spec *spec = task->spec;
	ecs_pool_lease lease;
	ecs_agent_conn *conn = NULL;
	ecs_agent_exec_res res;
	ecs_image_info fresh = { NULL, NULL, NULL };
	const char *image_id = task->image->id;
	char own_id[sizeof(result->task_id)], why[512];
	double t;
	int rc;

	memset(&res, 0, sizeof(res));
	if (image_id == NULL) {
		/* after a pull: which id the tag names now */
		if (ecs_image_inspect_ref(&fresh, engine, spec->run.image, spec->image_ref) != 0 || fresh.id == NULL) {
			ecs_image_info_clear(&fresh);
			return ECS_BACKEND_MISS;
		}
		image_id = fresh.id;
	}
	rc = ecs_pool_take(&lease, task->pool, spec->run.image, image_id, spec->profile);
	ecs_image_info_clear(&fresh);
	if (rc != 0)
		return ECS_BACKEND_MISS;
	/*
	 * A task that did not name itself takes the id the container was
	 * labelled with, so it is found by ECS_LABEL_TASK_ID as a cold one is.
	 */
	memcpy(own_id, result->task_id, sizeof(own_id));
	if (spec->task_id == NULL)
		snprintf(result->task_id, sizeof(result->task_id), "%s", lease.task_id);
	/* From here task.c disposes of it whatever happens. */
	result->container_id = lease.container_id;
	lease.container_id = NULL;
	result->image_id = lease.image_id;
	lease.image_id = NULL;

	t = ecs_clock_ms_f();
	rc = ecs_agent_conn_open(&conn, engine, result->container_id, ecs_clock_ms() + engine->opts.request_timeout_ms);
	result->timings.start = ecs_clock_ms_f() - t;
	if (rc != 0) {
		snprintf(why, sizeof(why), "pooled attach failed (%s: %s)", ecs_error_name(rc), ecs_engine_errmsg(engine));
		rc = give_up(result, task, own_id, why);
		goto out;
	}
	/* The timeout counts from when the command is handed to the agent (agent/PROTOCOL.md: fork to reaping). */
	t = ecs_clock_ms_f();
	why[0] = '\0';
	if (spec->files_len > 0)
		rc = ecs_agent_conn_put_files(conn, spec->files, spec->files_len, why, sizeof(why), file_deadline(engine));
	if (rc == 0) {
		rc = exec(conn, &lease, task, &res);
		if (rc == 0 && res.exit.kind == ECS_AGENT_FAILED && res.exit.code == EPERM)
			rc = ECS_EDENIED;
		else if (rc == ECS_EINVAL)
			snprintf(why, sizeof(why), "the command or environment cannot be sent to the agent");
	} else if (rc != ECS_ENOTFOUND && rc != ECS_EDENIED) {
		/* the files did not go in: the command never ran */
		result->pooled = 1;
		rc = rc == ECS_EINVAL ? ecs_task_fail(result, ECS_TASK_PHASE_VALIDATE, rc, why)
				      : ecs_task_fail_engine(result, engine, ECS_TASK_PHASE_START, rc);
		goto out;
	}
	if (rc == ECS_ENOTFOUND && !res.started) {
		rc = give_up(result, task, own_id, "the warm container no longer runs");
		ecs_pool_check_warm(task->pool);
		goto out;
	}
	if (rc == ECS_EDENIED) {
		/* the agent cannot give this task a uid of its own (agent/PROTOCOL.md): nothing ran; cold */
		ecs_pool_refused(task->pool, engine, result->image_id, spec->profile);
		rc = give_up(result, task, own_id, "ecs-agent cannot run the task apart from itself");
		goto out;
	}
	result->pooled = 1;
	if (rc == ECS_EINVAL) {
		rc = ecs_task_fail(result, ECS_TASK_PHASE_VALIDATE, rc, why);
		goto out;
	}
	rc = outcome(result, engine, conn, rc, &res, task->timeout_ms);
	result->timings.run = ecs_clock_ms_f() - t;
	if (rc != 0)
		goto out;
	t = ecs_clock_ms_f();
	if (spec->artifacts_len > 0 && !result->timed_out) {
		rc = ecs_agent_conn_get_artifacts(conn, spec->artifacts, spec->artifacts_len, spec->artifacts_cap,
						  &result->artifacts, &result->artifacts_len, why, sizeof(why),
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
	result->out = res.out;
	result->err = res.err;
	memset(&res.out, 0, sizeof(res.out));
	memset(&res.err, 0, sizeof(res.err));
	result->stdout_bytes = res.out_bytes;
	result->stderr_bytes = res.err_bytes;
	/* the agent exits at the end of its stdin: the engine then knows what it alone can tell */
	ecs_agent_conn_close(conn, 1);
	conn = NULL;
	if (res.exit.flags & ECS_AGENT_EXIT_OOM_UNKNOWN)
		oom_from_engine(result, engine);
	result->timings.logs = ecs_clock_ms_f() - t;
out:
	ecs_agent_conn_close(conn, 1);
	ecs_agent_exec_res_clear(&res);
	ecs_pool_lease_clear(&lease);
	return rc;
}

const ecs_backend ecs_backend_pool = { "pool", pool_run, 1 };
