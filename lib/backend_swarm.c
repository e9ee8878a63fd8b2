/*
 * libecs: the Swarm backend. One task is one service on a Swarm manager
 * (lib/swarm.c): the stdin config, the service, a poll of its one task
 * until it ends (the timeout kept here: Swarm has none), its logs, the node
 * that ran it, and the service and config handed to deferred deletion.
 * A node lost while the task ran is an error naming it (ECS_EUNAVAILABLE);
 * lost before anything started, the task runs once more elsewhere.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ecs/ecs.h>
#include "clock.h"
#include "backend.h"
#include "demux.h"
#include "engine_private.h"
#include "stream.h"
#include "swarm.h"

/*
 * Engine 20.10 emits no task events: the task is polled. The pause grows
 * with the time since the create (1/POLL_SHARE of it), so the exit is seen
 * on average ~1/(2*POLL_SHARE) of the task's time late (10 ms at first,
 * 100 ms at most), and a long task costs the manager a few requests a second.
 * A pause doubling from 25 to 200 ms, as before, was 100 ms late on average
 * for every task of a second or more: half of Swarm's budget over its floor.
 */
#define POLL_MIN_MS 20L
#define POLL_MAX_MS 200L
#define POLL_SHARE 20L
/* How often the node of a running task is asked for (a lost node is seen by the manager in 3-15 s). */
#define NODE_CHECK_MS 1000L
/* Bytes of the logs' stream 3 (the manager's own error) kept. */
#define SYS_CAP 512u
/* Runs of a task whose node was lost before it started. */
#define MAX_RUNS 2

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Network "none" (and the default profile's) is ECS_SWARM_ISOLATED_NETWORK in a swarm. */
static int uses_isolated(const ecs_sandbox_profile *p)
{
	return p == NULL || strcmp(p->network, "none") == 0;
}

/* To the reaper, or removed now. */
static void dispose(ecs_engine *engine, ecs_reaper *reaper, const char *task_id, const ecs_reap_kind *kind,
		    const char *id)
{
	int rc;

	if (id == NULL)
		return;
	if (reaper != NULL && ecs_reaper_enqueue_kind(reaper, kind, id) == 0)
		return;
	rc = kind->remove(engine, id);
	if (rc != 0)
		ecs_engine_log(engine, ECS_LOG_WARN, "task %s: %s:%.25s: remove failed (%s: %s); the sweep will remove it",
			       task_id, kind->name, id, ecs_error_name(rc), ecs_engine_errmsg(engine));
}

/* A create whose answer never came may have made the service: its task id label finds it. */
static void dispose_unacknowledged(ecs_engine *engine, ecs_reaper *reaper, const char *task_id)
{
	char filter[sizeof(ECS_LABEL_TASK_ID) + ECS_TASK_MAX_ID + 8];
	const char *const labels[] = { filter };
	ecs_swarm_object *list = NULL;
	size_t n = 0;

	snprintf(filter, sizeof(filter), "%s=%s", ECS_LABEL_TASK_ID, task_id);
	if (ecs_swarm_list(&list, &n, engine, "services", labels, 1) != 0) {
		ecs_engine_log(engine, ECS_LOG_WARN, "task %s: cannot look for a service the failed create may have made "
			       "(%s); the sweep will remove it", task_id, ecs_engine_errmsg(engine));
		return;
	}
	for (size_t i = 0; i < n; i++)
		dispose(engine, reaper, task_id, &ecs_swarm_reap_service, list[i].id);
	ecs_swarm_list_free(list, n);
}

typedef enum { WAIT_DONE, WAIT_TIMED_OUT, WAIT_NODE_LOST_UNSTARTED } wait_outcome;

/*
 * Poll the service's task until it ends, the deadline passes or its node is
 * lost. @task holds the last state seen; @node the node's hostname.
 */
static int wait_task(wait_outcome *outcome, ecs_task_result *result, ecs_engine *engine, const ecs_task_spec *spec,
		     const char *service_id, long long deadline, ecs_swarm_task *task, char **node)
{
	long long start = ecs_clock_ms(), now, poll_at, next_node_check = 0;
	char *node_of = NULL;
	long pause;
	int rc;

	for (;;) {
		poll_at = ecs_clock_ms();
		ecs_swarm_task_clear(task);
		rc = ecs_swarm_task_get(task, engine, service_id);
		if (rc != 0 && rc != ECS_ENOTFOUND) {
			rc = ecs_task_fail_engine(result, engine, ECS_TASK_PHASE_WAIT, rc);
			break;
		}
		rc = 0;
		if (task->state != NULL && ecs_swarm_state_terminal(task->state)) {
			*outcome = WAIT_DONE;
			break;
		}
		now = ecs_clock_ms();
		if (task->node_id != NULL && task->node_id[0] != '\0' &&
		    (now >= next_node_check || node_of == NULL || strcmp(node_of, task->node_id) != 0)) {
			int lost = 0;

			free(*node);
			*node = NULL;
			rc = ecs_swarm_node_get(node, &lost, engine, task->node_id);
			if (rc != 0) {
				rc = ecs_task_fail_engine(result, engine, ECS_TASK_PHASE_WAIT, rc);
				break;
			}
			free(node_of);
			if ((node_of = strdup(task->node_id)) == NULL) {
				rc = ecs_task_fail(result, ECS_TASK_PHASE_WAIT, ECS_ENOMEM, NULL);
				break;
			}
			next_node_check = now + NODE_CHECK_MS;
			if (lost && !ecs_swarm_state_started(task->state)) {
				*outcome = WAIT_NODE_LOST_UNSTARTED;
				break;
			}
			if (lost) {
				char msg[sizeof(result->error)];

				snprintf(msg, sizeof(msg), "swarm node %s was lost while the task ran (task state %s); "
					 "its outcome is unknown", *node, task->state);
				rc = ecs_task_fail(result, ECS_TASK_PHASE_RUN, ECS_EUNAVAILABLE, msg);
				break;
			}
		}
		if (now >= deadline) {
			*outcome = WAIT_TIMED_OUT;
			break;
		}
		if (ecs_cancel_is_triggered(spec->cancel)) {
			rc = ecs_task_fail(result, ECS_TASK_PHASE_WAIT, ECS_ECANCELED, "cancelled");
			break;
		}
		/* The node's check (once a second) is part of the pause, not added to it. */
		pause = (long)((poll_at - start) / POLL_SHARE);
		pause = pause < POLL_MIN_MS ? POLL_MIN_MS : pause > POLL_MAX_MS ? POLL_MAX_MS : pause;
		now = ecs_clock_ms();
		pause -= (long)(now - poll_at);
		if (deadline - now < pause)
			pause = (long)(deadline - now);
		if (pause > 0)
			pause_ms(pause);
	}
	free(node_of);
	return rc;
}

/* spec->on_output while the logs are read: the demultiplexer and the caller's callback. */
typedef struct {
	ecs_demux *d;
	const ecs_task_spec *spec;
	int refused;
} live_logs;

/*
 * Swarm has no attach: the logs are read after the exit, so the live
 * callback gets the whole output then, in the logs' order, before the caps.
 * A refusal only ends the calls: the task is over.
 */
static int logs_sink(void *arg, int stream, const unsigned char *p, size_t n)
{
	live_logs *l = arg;

	if (!l->refused && n > 0 &&
	    l->spec->on_output(stream == 1 ? ECS_TASK_STDOUT : ECS_TASK_STDERR, p, n, l->spec->on_output_arg) != 0)
		l->refused = 1;
	return ecs_demux_append(l->d, stream, p, n);
}

/* The logs, demultiplexed under the caps (and to spec->on_output, when set). */
static int read_logs(ecs_task_result *result, ecs_engine *engine, const ecs_task_spec *spec, const char *task_id)
{
	ecs_demux d;
	live_logs live = { &d, spec, 0 };
	int rc;

	ecs_demux_init(&d, spec->stdout_cap ? spec->stdout_cap : ECS_TASK_DEFAULT_OUTPUT_CAP,
		       spec->stderr_cap ? spec->stderr_cap : ECS_TASK_DEFAULT_OUTPUT_CAP);
	d.sys_cap = SYS_CAP;
	if (spec->on_output != NULL)
		ecs_demux_set_sink(&d, logs_sink, &live);
	rc = ecs_swarm_task_logs(&d, engine, task_id);
	if (rc == 0 && d.sys.len > 0) {
		/* The manager could not read the node's logs: say so rather than answer with no output. */
		char msg[sizeof(result->error)];

		snprintf(msg, sizeof(msg), "swarm: the task's logs: %.*s", (int)d.sys.len, (const char *)d.sys.data);
		rc = ecs_task_fail(result, ECS_TASK_PHASE_LOGS, ECS_EUNAVAILABLE, msg);
	} else if (rc != 0) {
		rc = ecs_task_fail_engine(result, engine, ECS_TASK_PHASE_LOGS, rc);
	}
	if (rc == 0) {
		result->stdout_bytes = d.out_bytes;
		result->stderr_bytes = d.err_bytes;
		if (ecs_demux_take(&d, &result->out, &result->err) != 0)
			rc = ecs_task_fail(result, ECS_TASK_PHASE_LOGS, ECS_ENOMEM, NULL);
	}
	ecs_demux_clear(&d);
	return rc;
}

/* One run: service made, waited for, read. *@rerun when its node was lost before it started. */
static int run_once(ecs_task_result *result, ecs_engine *engine, ecs_reaper *reaper, const ecs_task_spec *spec,
		    const ecs_swarm_service_spec *ss, long timeout_ms, int *rerun, char *container, size_t container_len)
{
	ecs_swarm_task task = { NULL, NULL, NULL, NULL, NULL, -1, 0 };
	wait_outcome outcome = WAIT_DONE;
	char *service_id = NULL;
	long long t0, t;
	int rc;

	*rerun = 0;
	t0 = ecs_clock_ms();
	rc = ecs_swarm_service_create(&service_id, engine, ss);
	if (rc != 0 && rc != ECS_EINVAL && uses_isolated(ss->profile)) {
		char why[sizeof(engine->errmsg)];
		int made = 0;

		/*
		 * The handle saw the network once and asks no more: gone since (removed
		 * by hand), the manager refused the service for it. Made again, the
		 * create is sent once more: a refused one made nothing.
		 */
		snprintf(why, sizeof(why), "%s", engine->errmsg);
		if (ecs_swarm_network_recheck(engine, &made) == 0 && made)
			rc = ecs_swarm_service_create(&service_id, engine, ss);
		else
			(void)ecs_engine_fail(engine, rc, "%s", why);
	}
	result->timings.create += (double)(ecs_clock_ms() - t0);
	if (rc != 0) {
		rc = ecs_task_fail_engine(result, engine, ECS_TASK_PHASE_CREATE, rc);
		if (rc != ECS_EINVAL)
			dispose_unacknowledged(engine, reaper, result->task_id);
		return rc;
	}
	ecs_engine_log(engine, ECS_LOG_DEBUG, "task %s: service %.25s: created in %lld ms", result->task_id, service_id,
		       ecs_clock_ms() - t0);
	/* The timeout counts from the create: Swarm's scheduling is part of the run. */
	t = ecs_clock_ms();
	rc = wait_task(&outcome, result, engine, spec, service_id, t + timeout_ms, &task, &result->node);
	result->timings.run += (double)(ecs_clock_ms() - t);
	if (rc != 0)
		goto out;
	if (outcome == WAIT_NODE_LOST_UNSTARTED) {
		ecs_engine_log(engine, ECS_LOG_WARN, "task %s: service %.25s: node %s lost before the task started (%s); "
			       "running it again", result->task_id, service_id, result->node ? result->node : "?",
			       task.state ? task.state : "?");
		*rerun = 1;
		goto out;
	}
	if (outcome == WAIT_DONE && task.container_id == NULL &&
	    (strcmp(task.state, "rejected") == 0 || strcmp(task.state, "failed") == 0)) {
		char msg[sizeof(result->error)];

		/* Never ran: the node refused it (no such image there, a bad mount...). */
		snprintf(msg, sizeof(msg), "swarm task %s on %s: %s", task.state, result->node ? result->node : "?",
			 task.err ? task.err : "no reason given");
		rc = ecs_task_fail(result, ECS_TASK_PHASE_START, ECS_EENGINE, msg);
		goto out;
	}
	/*
	 * Its container is on its node, beyond this engine: result->container_id
	 * stays NULL (task.c would delete it here); the service's removal removes it.
	 */
	if (task.container_id != NULL)
		snprintf(container, container_len, "%s", task.container_id);
	t = ecs_clock_ms();
	if (outcome == WAIT_TIMED_OUT) {
		/* What it wrote so far; then the removal stops it (SIGTERM, SIGKILL after the grace). */
		result->timed_out = 1;
		result->exit_code = 137;
		ecs_engine_log(engine, ECS_LOG_INFO, "task %s: service %.25s: stopped after %ld ms timeout",
			       result->task_id, service_id, timeout_ms);
	} else {
		result->exit_code = task.exit_code >= 0 ? task.exit_code : (strcmp(task.state, "complete") == 0 ? 0 : -1);
	}
	rc = task.id != NULL ? read_logs(result, engine, spec, task.id) : 0;
	result->timings.logs += (double)(ecs_clock_ms() - t);
	if (rc == 0 && result->exit_code < 0) {
		char msg[sizeof(result->error)];

		snprintf(msg, sizeof(msg), "swarm task %s on %s without an exit code: %s", task.state,
			 result->node ? result->node : "?", task.err ? task.err : "no reason given");
		rc = ecs_task_fail(result, ECS_TASK_PHASE_WAIT, ECS_EENGINE, msg);
	}
out:
	ecs_swarm_task_clear(&task);
	dispose(engine, reaper, result->task_id, &ecs_swarm_reap_service, service_id);
	free(service_id);
	return rc;
}

static int swarm_run(ecs_task_result *result, const ecs_backend_task *bt)
{
	ecs_engine *engine = bt->engine;
	const ecs_task_spec *spec = bt->spec;
	const ecs_sandbox_profile *p = spec->profile;
	ecs_swarm_service_spec ss = { 0 };
	char *config_id = NULL, *config_name = NULL;
	char container[80] = "-";
	long long t;
	int rerun = 0;
	int rc;

	/* Pinned by the id the manager has: every node runs the same bytes, none asks a registry for a tag. */
	if (bt->image->id == NULL && (rc = ecs_task_image_ensure(result, engine, spec, bt->image)) != 0)
		return rc;
	if (bt->image->id == NULL)
		return ecs_task_fail(result, ECS_TASK_PHASE_PULL, ECS_EPROTO, "the image has no id");
	if ((result->image_id = strdup(bt->image->id)) == NULL)
		return ecs_task_fail(result, ECS_TASK_PHASE_PULL, ECS_ENOMEM, NULL);
	ss.task_id = result->task_id;
	ss.run = spec->run;
	ss.run.image = bt->image->id;
	ss.profile = p;
	ss.working_dir = bt->image->working_dir;
	ss.deadline = time(NULL) + (time_t)((bt->timeout_ms + 999) / 1000) + ECS_TASK_DEADLINE_GRACE_S;
	t = ecs_clock_ms();
	if (uses_isolated(p)) {
		rc = ecs_swarm_network_ensure(engine);
		if (rc != 0) {
			result->timings.create = (double)(ecs_clock_ms() - t);
			return ecs_task_fail_engine(result, engine, ECS_TASK_PHASE_CREATE, rc);
		}
	}
	if (spec->stdin_len > 0) {
		rc = ecs_swarm_config_create(&config_id, &config_name, engine, result->task_id, spec->stdin_data,
					     spec->stdin_len, ss.deadline);
		if (rc != 0) {
			result->timings.create = (double)(ecs_clock_ms() - t);
			return ecs_task_fail_engine(result, engine, ECS_TASK_PHASE_CREATE, rc);
		}
		ss.config_id = config_id;
		ss.config_name = config_name;
	}
	result->timings.create = (double)(ecs_clock_ms() - t);
	for (int run = 1; run <= MAX_RUNS; run++) {
		rc = run_once(result, engine, bt->reaper, spec, &ss, bt->timeout_ms, &rerun, container, sizeof(container));
		if (rc != 0 || !rerun)
			break;
		if (run == MAX_RUNS) {
			char msg[128];

			snprintf(msg, sizeof(msg), "swarm: the task's node was lost before it started, %d times", MAX_RUNS);
			rc = ecs_task_fail(result, ECS_TASK_PHASE_START, ECS_EUNAVAILABLE, msg);
		}
		free(result->node);
		result->node = NULL;
	}
	if (rc == 0)
		ecs_engine_log(engine, ECS_LOG_INFO, "task %s: swarm node %s: container %.12s: exit %d%s",
			       result->task_id, result->node ? result->node : "?", container, result->exit_code,
			       result->timed_out ? " (timed out)" : "");
	dispose(engine, bt->reaper, result->task_id, &ecs_swarm_reap_config, config_id);
	free(config_id);
	free(config_name);
	return rc;
}

const ecs_backend ecs_backend_swarm = { "swarm", swarm_run, 0 };
