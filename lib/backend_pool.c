/*
 * libecs: the pooled backend. A warm container of the task's key (pool.c),
 * whose PID 1 is ecs-agent, gets the task on its attach stream: the header
 * (argv from the image's Entrypoint and the task's command, the task's env),
 * then stdin; the agent's frames come back through the one capture
 * (capture.h), output capped as it arrives, and end with the exit record.
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
#include "backend.h"
#include "capture.h"
#include "container_private.h"
#include "engine_private.h"
#include "pool_private.h"
#include "agent_proto.h"
#include "stream.h"

/* A warm container's agent starts a task at once; this late, look whether the container still runs. */
#define START_PROBE_MS 500

/* The task header for the agent: argv = Entrypoint + cmd (what the engine would run), env. */
static int header(unsigned char **out, size_t *len, const ecs_pool_lease *lease, const ecs_task_spec *spec)
{
	ecs_agent_task t = { 0 };
	size_t n = lease->entrypoint_len + spec->run.cmd_len;
	int rc;

	*out = NULL;
	t.argv = calloc(n, sizeof(char *));
	if (t.argv == NULL)
		return ECS_ENOMEM;
	for (size_t i = 0; i < lease->entrypoint_len; i++)
		t.argv[t.argc++] = lease->entrypoint[i];
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

/*
 * The run ended (EXIT, end of stream, timeout or cancel): the exit status
 * and the OOM flag. Past the timeout, or cancelled, the container is killed
 * while its stream keeps draining (ecs_capture_kill()); an EXIT frame that
 * came before the kill landed is the task's own end: its status, not timed
 * out.
 */
static int outcome(ecs_task_result *result, ecs_engine *engine, ecs_capture *cap, int run_rc, long timeout_ms)
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
 * Run the task: stdin in, frames out, until the EXIT frame, the end of the
 * stream or the timeout. An attach to a container that no longer runs
 * stays open, silent (the engine waits for a start that never comes), so a
 * START frame that is late gets the container inspected: ECS_BACKEND_MISS
 * when it does not run, then nothing of the task ran.
 */
static int run_checked(ecs_capture *cap, ecs_task_result *result, const ecs_backend_task *task)
{
	const ecs_task_spec *spec = task->spec;
	long long end = ecs_clock_ms() + task->timeout_ms, probe = ecs_clock_ms() + START_PROBE_MS;
	ecs_container_info info;
	int rc, running;

	rc = ecs_capture_run(cap, spec->stdin_data, spec->stdin_len, probe < end ? probe : end, task->cancel);
	if (rc != ECS_ETIMEDOUT || ecs_clock_ms() >= end)
		return rc;
	if (!ecs_capture_agent_started(cap)) {
		memset(&info, 0, sizeof(info));
		rc = ecs_container_inspect(&info, task->engine, result->container_id);
		running = rc == 0 && info.status != NULL && strcmp(info.status, "running") == 0;
		ecs_container_info_clear(&info);
		if (!running)
			return ECS_BACKEND_MISS;
	}
	return ecs_capture_run(cap, NULL, 0, end, task->cancel);
}

/* The agent said EXIT FAILED EPERM: it would not run the task (its user is the agent's, or no separate uid). */
static int agent_refused(ecs_capture *cap)
{
	ecs_agent_exit x;
	const char *msg;

	return ecs_capture_agent_exit(cap, &x, &msg) && x.kind == ECS_AGENT_FAILED && x.code == EPERM;
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

/*
 * Returns ECS_BACKEND_MISS (nothing of the task happened: task.c runs it
 * cold) when no warm container of the key is there, or the one taken cannot
 * be attached to.
 */
static int pool_run(ecs_task_result *result, const ecs_backend_task *task)
{
	ecs_engine *engine = task->engine;
	const ecs_task_spec *spec = task->spec;
	ecs_pool_lease lease;
	ecs_capture *cap = NULL;
	ecs_image_info fresh = { NULL, NULL, NULL };
	const char *image_id = task->image->id;
	unsigned char *hdr = NULL;
	size_t hdr_len = 0;
	char own_id[sizeof(result->task_id)];
	double t;
	int rc;

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
	if ((rc = header(&hdr, &hdr_len, &lease, spec)) != 0) {
		ecs_pool_lease_clear(&lease);
		return ecs_task_fail(result, ECS_TASK_PHASE_VALIDATE, rc == ECS_AGENT_ENOMEM ? ECS_ENOMEM : ECS_EINVAL,
				     "the command or environment cannot be sent to the agent");
	}
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
	rc = ecs_capture_attach_agent(&cap, engine, result->container_id,
				      spec->stdout_cap ? spec->stdout_cap : ECS_TASK_DEFAULT_OUTPUT_CAP,
				      spec->stderr_cap ? spec->stderr_cap : ECS_TASK_DEFAULT_OUTPUT_CAP,
				      ecs_clock_ms() + engine->opts.request_timeout_ms);
	result->timings.start = ecs_clock_ms_f() - t;
	if (rc != 0) {
		char why[sizeof(engine->errmsg) + 64];

		snprintf(why, sizeof(why), "pooled attach failed (%s: %s)", ecs_error_name(rc), ecs_engine_errmsg(engine));
		rc = give_up(result, task, own_id, why);
		goto out;
	}
	ecs_capture_prefix(cap, hdr, hdr_len);
	ecs_capture_on_output(cap, spec->on_output, spec->on_output_arg);
	/* The timeout counts from when the task is handed to the agent. */
	t = ecs_clock_ms_f();
	rc = run_checked(cap, result, task);
	if (rc == ECS_BACKEND_MISS) {
		rc = give_up(result, task, own_id, "the warm container no longer runs");
		ecs_pool_check_warm(task->pool);
		goto out;
	}
	if (rc == 0 && agent_refused(cap)) {
		/* the agent cannot give this task a uid of its own (agent/PROTOCOL.md): nothing ran; cold */
		ecs_pool_refused(task->pool, engine, result->image_id, spec->profile);
		rc = give_up(result, task, own_id, "ecs-agent cannot run the task apart from itself");
		goto out;
	}
	result->pooled = 1;
	rc = outcome(result, engine, cap, rc, task->timeout_ms);
	result->timings.run = ecs_clock_ms_f() - t;
	if (rc == 0) {
		rc = ecs_capture_take(cap, &result->out, &result->err, &result->stdout_bytes, &result->stderr_bytes);
		if (rc != 0)
			rc = ecs_task_fail_engine(result, engine, ECS_TASK_PHASE_LOGS, rc);
	}
out:
	ecs_capture_free(cap);
	free(hdr);
	ecs_pool_lease_clear(&lease);
	return rc;
}

const ecs_backend ecs_backend_pool = { "pool", pool_run, 1 };
