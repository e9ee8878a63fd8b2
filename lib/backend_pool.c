/*
 * libecs: the pooled backend. A warm container of the task's key (pool.c),
 * whose PID 1 is ecs-agent, gets the task as requests on its agent's
 * direct channel (agent_chan.h) or else one attach stream (agent_conn.h,
 * agent/PROTOCOL.md version 2): the task's files (PUT), the
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
#include "agent_task.h"
#include "backend.h"
#include "container_private.h"
#include "engine_private.h"
#include "pool_private.h"

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
	free(result->repo_digest);
	result->container_id = result->image_id = result->repo_digest = NULL;
	result->timings.start = 0;
	memset(&result->pool_timings, 0, sizeof(result->pool_timings));
	snprintf(result->task_id, sizeof(result->task_id), "%s", own_id);
	return ECS_BACKEND_GAVE_UP;
}

/*
 * Returns ECS_BACKEND_MISS (nothing of the task happened: task.c runs it
 * cold) when no warm container of the key is there; ECS_BACKEND_GAVE_UP
 * when the one taken cannot be attached to, does not run, or its agent
 * refuses the task's user.
 */
static int pool_run(ecs_task_result *result, const ecs_backend_task *task)
{
	ecs_engine *engine = task->engine;
	const ecs_task_spec *spec = task->spec;
	ecs_pool_lease lease;
	ecs_agent_conn *conn = NULL;
	ecs_image_info fresh = ECS_IMAGE_INFO_INIT;
	const char *image_id = task->image != NULL ? task->image->id : NULL;
	char own_id[sizeof(result->task_id)], why[512];
	double t;
	int rc, nothing_ran = 0;

	if (task->image == NULL) {
		/* no inspect yet: only a fixed pool of the very reference, whose tag the pool checks itself */
		t = ecs_clock_ms_f();
		rc = ecs_pool_take_tag(&lease, task->pool, spec->run.image, spec->profile);
		result->pool_timings.acquire = ecs_clock_ms_f() - t;
		if (rc != 0)
			return ECS_BACKEND_MISS;
		result->repo_digest = lease.repo_digest;
		lease.repo_digest = NULL;
		goto taken;
	}
	if (image_id == NULL) {
		/* after a pull: which id the tag names now */
		if (ecs_image_inspect_ref(&fresh, engine, spec->run.image, spec->image_ref) != 0 || fresh.id == NULL) {
			ecs_image_info_clear(&fresh);
			return ECS_BACKEND_MISS;
		}
		image_id = fresh.id;
	}
	t = ecs_clock_ms_f();
	rc = ecs_pool_take(&lease, task->pool, spec->run.image, image_id, spec->profile);
	result->pool_timings.acquire = ecs_clock_ms_f() - t;
	ecs_image_info_clear(&fresh);
	if (rc != 0)
		return ECS_BACKEND_MISS;
taken:
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
	if (lease.chan_fd >= 0) {
		/* its agent came on the direct channel when it got warm (agent_chan.h): no attach */
		rc = ecs_agent_conn_adopt(&conn, engine, result->container_id, lease.chan_fd);
		lease.chan_fd = -1;
	} else {
		rc = ecs_agent_conn_open(&conn, engine, result->container_id,
					 ecs_clock_ms() + engine->opts.request_timeout_ms);
	}
	result->timings.start = result->pool_timings.attach = ecs_clock_ms_f() - t;
	if (rc != 0) {
		snprintf(why, sizeof(why), "pooled attach failed (%s: %s)", ecs_error_name(rc), ecs_engine_errmsg(engine));
		rc = give_up(result, task, own_id, why);
		goto out;
	}
	rc = ecs_agent_task_run(result, task, &conn, (const char *const *)lease.entrypoint, lease.entrypoint_len,
				&nothing_ran, why, sizeof(why));
	if (nothing_ran && rc == ECS_ENOTFOUND) {
		rc = give_up(result, task, own_id, "the warm container no longer runs");
		ecs_pool_check_warm(task->pool);
	} else if (nothing_ran) {
		/* the agent cannot give this task a uid of its own (agent/PROTOCOL.md): nothing ran; cold */
		ecs_pool_refused(task->pool, engine, result->image_id, spec->profile);
		rc = give_up(result, task, own_id, "ecs-agent cannot run the task apart from itself");
	} else {
		result->pooled = 1;
	}
out:
	ecs_agent_conn_close(conn, 1);
	ecs_pool_lease_clear(&lease);
	ecs_pool_task_done(task->pool);
	return rc;
}

const ecs_backend ecs_backend_pool = { "pool", pool_run, 1 };
