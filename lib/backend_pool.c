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
#include "agent_task.h"
#include "stream.h"

/* A warm container's agent starts a task at once; this late, look whether the container still runs. */
#define START_PROBE_MS 500

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
	ecs_image_info fresh = ECS_IMAGE_INFO_INIT;
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
	if ((rc = ecs_agent_task_header(&hdr, &hdr_len, (const char *const *)lease.entrypoint, lease.entrypoint_len, spec)) != 0) {
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
	if (rc == 0 && ecs_agent_task_refused(cap, NULL)) {
		/* the agent cannot give this task a uid of its own (agent/PROTOCOL.md): nothing ran; cold */
		ecs_pool_refused(task->pool, engine, result->image_id, spec->profile);
		rc = give_up(result, task, own_id, "ecs-agent cannot run the task apart from itself");
		goto out;
	}
	result->pooled = 1;
	rc = ecs_agent_task_outcome(result, engine, cap, rc, task->timeout_ms);
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

const ecs_backend ecs_backend_pool = { "pool", pool_run };
