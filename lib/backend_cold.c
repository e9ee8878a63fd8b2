/*
 * libecs: the cold backend. A fresh container per task whose PID 1 is
 * ecs-agent, as in every container ecs runs: create, open the conversation
 * with the agent, start, then the task's requests (agent_task.h: files,
 * the command with the timeout the agent keeps, artifacts). The
 * conversation goes over the agent's direct channel when the spec offers a
 * directory for it (agent_chan.h: the agent connects as it starts; no
 * attach, and the engine copies no byte), else over an attach opened before
 * the start (so no byte of output is missed). The one exception,
 * where the agent cannot keep the task apart from itself (agent/PROTOCOL.md:
 * under runsc a root task; capabilities that reach another uid's
 * processes), runs as before: the engine's docker-init (tini) as PID 1, the
 * engine's wait for the exit, a kill at the timeout; no files or artifacts.
 * See backend.h for what task.c does around it.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ecs/ecs.h>
#include "clock.h"
#include "backend.h"
#include "capture.h"
#include "container_private.h"
#include "engine_private.h"
#include "agent_chan.h"
#include "agent_conn.h"
#include "agent_task.h"
#include "profile_private.h"
#include "stream.h"

/*
 * A user or group name the image does not have: the engine's start fails
 * with "unable to find user NAME: no matching entries in passwd file" (or
 * "group ... group file"). The request's fault, not the engine's.
 */
static int start_failure_no_user(const char *msg)
{
	return (strstr(msg, "unable to find user ") != NULL &&
		strstr(msg, ": no matching entries in passwd file") != NULL) ||
	       (strstr(msg, "unable to find group ") != NULL &&
		strstr(msg, ": no matching entries in group file") != NULL);
}

/*
 * A create whose answer never arrived (timeout, dropped connection, garbled
 * reply) may still have made the container. The task id label finds it.
 */
static void dispose_unacknowledged(ecs_engine *engine, ecs_reaper *reaper, const char *task_id)
{
	char filter[sizeof(ECS_LABEL_TASK_ID) + ECS_TASK_MAX_ID + 8];
	const char *const labels[] = { filter };
	ecs_container_info *list = NULL;
	size_t n = 0;
	int rc;

	snprintf(filter, sizeof(filter), "%s=%s", ECS_LABEL_TASK_ID, task_id);
	rc = ecs_container_list(&list, &n, engine, labels, 1);
	if (rc != 0) {
		ecs_engine_log(engine, ECS_LOG_WARN,
			       "task %s: cannot look for a container the failed create may have made (%s: %s); "
			       "the sweep will remove it", task_id, ecs_error_name(rc), ecs_engine_errmsg(engine));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (list[i].id == NULL)
			continue;
		ecs_engine_log(engine, ECS_LOG_INFO, "task %s: container %.12s: made by a create that failed; deleting",
			       task_id, list[i].id);
		ecs_task_dispose(engine, reaper, task_id, list[i].id);
	}
	ecs_container_list_free(list, n);
}

/*
 * What the engine saw of the run: OOM kill, the image id. @timeout_ms: 0
 * for the handle's request timeout. Errors go to the handle only.
 */
static int read_outcome(ecs_task_result *result, ecs_engine *engine, long timeout_ms)
{
	ecs_container_info info;
	int rc;

	memset(&info, 0, sizeof(info));
	rc = ecs_container_inspect_within(&info, engine, result->container_id, timeout_ms);
	if (rc == 0) {
		result->oom_killed = info.oom_killed;
		if (info.image_id != NULL && (result->image_id = strdup(info.image_id)) == NULL)
			rc = ecs_engine_fail(engine, ECS_ENOMEM, "out of memory");
	}
	ecs_container_info_clear(&info);
	return rc;
}

/*
 * The init (docker-init, which is tini) exits 126 or 127 for a command it
 * cannot exec, as a shell would, except for a path through a file (ENOTDIR):
 * that is its exit 1, where a shell and ecs-agent say 127. Telling that exit
 * 1 from the command's own by tini's one-line message is safe: a task that
 * forges the message could as well have exited 127 itself.
 */
static void init_exec_failure_exit(ecs_task_result *result)
{
	static const char lead[] = "[FATAL tini (";
	static const char tail[] = " failed: Not a directory\n";
	const char *err = (const char *)result->err.data;
	size_t n = result->err.len;

	if (result->exit_code != 1 || err == NULL || n < sizeof(lead) + sizeof(tail) ||
	    memcmp(err, lead, sizeof(lead) - 1) != 0 || memchr(err, '\n', n) != err + n - 1 ||
	    memcmp(err + n - (sizeof(tail) - 1), tail, sizeof(tail) - 1) != 0 ||
	    memmem(err, n, ")] exec ", 8) == NULL)
		return;
	result->exit_code = 127;
}

/*
 * After the exit: the output (all of it: the stream ended, or the kill read
 * what was left), then what the engine saw (OOM kill, image id), which
 * stop_run() already read after a kill (@stopped).
 */
static int collect(ecs_task_result *result, ecs_engine *engine, ecs_capture *cap, const ecs_image_info *image,
		   int stopped)
{
	int rc;

	rc = ecs_capture_take(cap, &result->out, &result->err, &result->stdout_bytes, &result->stderr_bytes);
	if (rc == 0 && !stopped)
		rc = read_outcome(result, engine, 0);
	if (rc != 0)
		return ecs_task_fail_engine(result, engine, ECS_TASK_PHASE_LOGS, rc);
	/* no look after the kill: the image the container was made from is what the inspect would say */
	if (result->image_id == NULL && image->id != NULL && (result->image_id = strdup(image->id)) == NULL)
		return ecs_task_fail(result, ECS_TASK_PHASE_LOGS, ECS_ENOMEM, NULL);
	init_exec_failure_exit(result);
	return 0;
}

/*
 * How a container ended after ecs_capture_kill() (@stop): its exit status,
 * OOM flag and image, in one bounded look (the answer is due). A SIGKILL
 * the engine answered is done (the engine waits for the stop), so the
 * state is final; one that found the process already gone may come before
 * the engine noted the exit: then its wait says. Unknown: 137, the kill's.
 */
static int exit_after_kill(ecs_task_result *result, ecs_engine *engine, const ecs_capture_stop *stop)
{
	ecs_container_info info;
	int code = 137;
	int rc;

	/* removed, or (st->sent) not yet killed: nothing final to read */
	if (stop->force_removed || !stop->landed)
		return code;
	memset(&info, 0, sizeof(info));
	rc = ecs_container_inspect_within(&info, engine, result->container_id, ECS_BACKEND_EXIT_MS);
	if (rc == 0 && !info.running) {
		code = info.exit_code;
		result->oom_killed = info.oom_killed;
		if (info.image_id != NULL)
			result->image_id = strdup(info.image_id); /* NULL on ENOMEM: collect() falls back */
	} else if (rc == 0) {
		rc = ecs_container_wait(&code, engine, result->container_id, ECS_BACKEND_EXIT_MS, NULL);
		if (rc != 0)
			code = 137;
	}
	if (rc != 0)
		ecs_engine_log(engine, ECS_LOG_WARN, "task %s: container %.12s: no exit status after the kill (%s: %s); "
			       "137, the kill's", result->task_id, result->container_id, ecs_error_name(rc),
			       ecs_engine_errmsg(engine));
	ecs_container_info_clear(&info);
	return code;
}

/*
 * Past the timeout, or cancelled: kill it while the output keeps draining
 * (ecs_capture_kill()), then learn how it ended. A process that exited by
 * itself before the kill landed keeps its own exit status and did not time
 * out (tini, killed, exits 137).
 */
static int stop_run(ecs_task_result *result, ecs_engine *engine, ecs_capture *cap, int why, long timeout_ms)
{
	ecs_capture_stop stop;
	int krc;

	krc = ecs_capture_kill(cap, result->task_id, result->container_id, &stop);
	if (why == ECS_ECANCELED)
		return ecs_task_fail(result, ECS_TASK_PHASE_WAIT, why, "cancelled");
	/* Neither killed nor ended (the engine does not answer): nothing is known of the task. */
	if (krc != 0 && !ecs_capture_done(cap))
		return ecs_task_fail_engine(result, engine, ECS_TASK_PHASE_WAIT, krc);
	result->exit_code = exit_after_kill(result, engine, &stop);
	if (result->exit_code != 137) {
		ecs_engine_log(engine, ECS_LOG_INFO, "task %s: container %.12s: exited by itself (%d) at the %ld ms "
			       "timeout, before the kill landed", result->task_id, result->container_id,
			       result->exit_code, timeout_ms);
		return 0;
	}
	result->timed_out = 1;
	ecs_engine_log(engine, ECS_LOG_INFO, "task %s: container %.12s: killed after %ld ms timeout",
		       result->task_id, result->container_id, timeout_ms);
	return 0;
}

/*
 * Write stdin and read the output as it comes until the stream ends, then
 * wait for the exit status with what is left of the timeout (a process may
 * close its output and run on). Past the timeout, or cancelled, stop_run()
 * kills it; *@stopped then says how. The timeout counts from when the
 * start answered: a start slow under load (seconds) must not eat the
 * task's time; the start has a bound of its own (spec->start_timeout_ms).
 */
static int run_attached(ecs_task_result *result, ecs_engine *engine, const ecs_task_spec *spec,
			ecs_capture *cap, long timeout_ms, double started, int *stopped)
{
	long left = timeout_ms - (long)(ecs_clock_ms_f() - started);
	int code = -1;
	int rc;

	*stopped = 0;
	rc = ecs_capture_run(cap, spec->stdin_data, spec->stdin_len, ecs_clock_ms() + (left > 0 ? left : 0),
			     spec->cancel);
	if (rc != 0 && rc != ECS_ETIMEDOUT && rc != ECS_ECANCELED)
		return ecs_task_fail_engine(result, engine, ECS_TASK_PHASE_ATTACH, rc);
	if (rc == 0) {
		/* The output ended: the process exits now, or closed it and runs on. */
		left = timeout_ms - (long)(ecs_clock_ms_f() - started);
		rc = ecs_container_wait(&code, engine, result->container_id, left > 1 ? left : 1, spec->cancel);
		if (rc == 0) {
			result->exit_code = code;
			return 0;
		}
		if (rc != ECS_ETIMEDOUT && rc != ECS_ECANCELED)
			return ecs_task_fail_engine(result, engine, ECS_TASK_PHASE_WAIT, rc);
	}
	*stopped = 1;
	return stop_run(result, engine, cap, rc, timeout_ms);
}

/* A user spec that names root: "", "0", "root", with or without ":group". */
static int user_is_root(const char *u)
{
	size_t n = strcspn(u, ":");

	return n == 0 || (n == 1 && u[0] == '0') || (n == 4 && strncmp(u, "root", 4) == 0);
}

/*
 * Whether ecs-agent can run this task apart from itself (agent/PROTOCOL.md,
 * "Why a task cannot forge an exit record"): not under runsc with a root
 * task (gVisor lets root reach the agent's /proc files), not with a
 * capability that reaches another uid's processes. What this cannot tell
 * (a runtime that is the engine's default, a name of uid 0) the agent
 * refuses itself, and the task then runs in a docker-init container too.
 */
static int agent_serves(const ecs_task_spec *spec, const ecs_image_info *image)
{
	const ecs_sandbox_profile *p = spec->profile;
	const char *user = p != NULL && p->user != NULL ? p->user : image->user != NULL ? image->user : "";

	if (p != NULL && !ecs_profile_poolable(p))
		return 0;
	return !(p != NULL && p->runtime != NULL && strcmp(p->runtime, "runsc") == 0 && user_is_root(user));
}

/*
 * A direct channel for this task's agent (agent_chan.h), or NULL: as
 * ecs_container_chan_offer() says, or this handle's engine refused one or
 * an agent did not come lately.
 */
static ecs_agent_chan *channel_offer(const ecs_backend_task *task, const char *task_id)
{
	char who[96];

	if (ecs_clock_ms() < task->engine->chan_retry_ms)
		return NULL;
	snprintf(who, sizeof(who), "task %s", task_id);
	return ecs_container_chan_offer(task->engine, task->spec->channel_dir, task->spec->profile, task_id, who);
}

/* Offer no channel on this handle for a while: its engine refused one, or an agent did not come. */
static void channel_pause(ecs_engine *engine, const char *task_id, const char *why)
{
	engine->chan_retry_ms = ecs_clock_ms() + ECS_AGENT_CHAN_RETRY_MS;
	ecs_engine_log(engine, ECS_LOG_WARN, "task %s: %s: cold tasks on this thread attach for %d s", task_id, why,
		       ECS_AGENT_CHAN_RETRY_MS / 1000);
}

/* The agent's container, offering it the channel *@ch (NULL: none); *@ch NULL when the engine refused it. */
static int create_agent(char **id, const ecs_backend_task *task, const ecs_container_spec *cs,
			ecs_container_agent *agent, ecs_agent_chan **ch)
{
	char refused[sizeof(task->engine->errmsg) + 64];
	int rc;

	rc = ecs_container_create_agent_offering(id, task->engine, cs, agent, ch, refused, sizeof(refused));
	if (refused[0] != '\0')
		channel_pause(task->engine, cs->task_id, refused);
	return rc;
}

/*
 * Create the task's container (the agent's with @agent, offered the
 * channel *@ch, else docker-init's, @ch then NULL), pulling once more
 * if the image went meanwhile; the id in result->container_id.
 */
static int create(ecs_task_result *result, const ecs_backend_task *task, ecs_container_agent *agent,
		  ecs_agent_chan **ch)
{
	ecs_engine *engine = task->engine;
	const ecs_task_spec *spec = task->spec;
	long timeout_ms = task->timeout_ms;
	long start_timeout_ms = spec->start_timeout_ms ? spec->start_timeout_ms : ECS_TASK_DEFAULT_START_TIMEOUT_MS;
	ecs_container_spec cs = ECS_CONTAINER_SPEC_INIT;
	double t;
	int rc;

	if ((rc = ecs_task_cancelled(result, task->cancel, ECS_TASK_PHASE_CREATE)) != 0)
		return rc;
	cs.run = spec->run;
	/* the agent runs the image it was told of (its Entrypoint, User, HOME): by id, as a tag may move */
	if (agent != NULL && task->image->id != NULL)
		cs.run.image = task->image->id;
	cs.task_id = result->task_id;
	/* The run's timeout counts from after the start, which has its own bound. */
	cs.deadline = time(NULL) + (time_t)((start_timeout_ms + timeout_ms + 999) / 1000) + ECS_TASK_DEADLINE_GRACE_S;
	cs.profile = spec->profile;
	cs.image_working_dir = task->image->working_dir;
	cs.open_stdin = spec->stdin_len > 0;
	cs.attach_output = 1;
	t = ecs_clock_ms_f();
	rc = agent != NULL ? create_agent(&result->container_id, task, &cs, agent, ch)
			   : ecs_container_create(&result->container_id, engine, &cs);
	if (rc == ECS_ENOTFOUND && spec->pull_policy != ECS_PULL_NEVER) {
		/* The image went (another client removed it) between pull and create: once more. */
		ecs_engine_log(engine, ECS_LOG_INFO, "task %s: image %s gone before create; pulling again",
			       result->task_id, spec->run.image);
		rc = ecs_task_image_ensure(result, engine, spec, task->image);
		if (rc != 0) {
			result->timings.create = ecs_clock_ms_f() - t;
			return rc;
		}
		cs.image_working_dir = task->image->working_dir;
		if (agent != NULL && task->image->id != NULL)
			cs.run.image = task->image->id;
		rc = agent != NULL ? create_agent(&result->container_id, task, &cs, agent, ch)
				   : ecs_container_create(&result->container_id, engine, &cs);
	}
	result->timings.create = ecs_clock_ms_f() - t;
	if (rc != 0) {
		rc = ecs_task_fail_engine(result, engine, ECS_TASK_PHASE_CREATE, rc);
		/*
		 * The engine refused it (bad spec, no image), or the agent's file is
		 * missing: nothing was made. Otherwise maybe, ENOMEM included:
		 * reading the answer can run out of memory after the engine made it.
		 */
		if (rc != ECS_EINVAL && rc != ECS_ENOTFOUND && rc != ECS_ERROR)
			dispose_unacknowledged(engine, task->reaper, result->task_id);
		return rc;
	}
	ecs_engine_log(engine, ECS_LOG_DEBUG, "task %s: container %.12s: created in %.1f ms", result->task_id,
		       result->container_id, result->timings.create);
	return 0;
}

/* Start the attached container within the spec's bound; the failure recorded in phase start. */
static int start(ecs_task_result *result, const ecs_backend_task *task, double t)
{
	ecs_engine *engine = task->engine;
	const ecs_task_spec *spec = task->spec;
	long start_timeout_ms = spec->start_timeout_ms ? spec->start_timeout_ms : ECS_TASK_DEFAULT_START_TIMEOUT_MS;
	int rc = ecs_container_start_within(engine, result->container_id, start_timeout_ms);

	if (rc == ECS_ETIMEDOUT) {
		/* The engine may still start it: task.c disposes of the container (a forced delete). */
		char msg[96];

		snprintf(msg, sizeof(msg), "the engine did not start the container within %ld ms", start_timeout_ms);
		rc = ecs_task_fail(result, ECS_TASK_PHASE_START, rc, msg);
	} else if (rc != 0) {
		if (rc == ECS_EENGINE && start_failure_no_user(ecs_engine_errmsg(engine)))
			rc = ECS_ENOUSER;
		rc = ecs_task_fail_engine(result, engine, ECS_TASK_PHASE_START, rc);
	}
	result->timings.start = ecs_clock_ms_f() - t;
	return rc;
}

/* The attach before the start, so no byte is missed; the failure recorded in phase attach. */
static int attach(ecs_task_result *result, const ecs_backend_task *task, ecs_capture **cap)
{
	ecs_engine *engine = task->engine;
	const ecs_task_spec *spec = task->spec;
	int rc;

	if ((rc = ecs_task_cancelled(result, task->cancel, ECS_TASK_PHASE_START)) != 0)
		return rc;
	rc = ecs_capture_attach(cap, engine, result->container_id, spec->stdin_len > 0,
				spec->stdout_cap ? spec->stdout_cap : ECS_TASK_DEFAULT_OUTPUT_CAP,
				spec->stderr_cap ? spec->stderr_cap : ECS_TASK_DEFAULT_OUTPUT_CAP,
				ecs_clock_ms() + engine->opts.request_timeout_ms);
	if (rc != 0)
		return ecs_task_fail_engine(result, engine, ECS_TASK_PHASE_ATTACH, rc);
	ecs_capture_on_output(*cap, spec->on_output, spec->on_output_arg);
	return 0;
}

/*
 * The agent's conversation after the start: on its direct channel *@ch
 * (freed, NULL after), else, when it did not come in time, an attach (the
 * agent then serves stdin). Its time counts in timings.start ("attach and start").
 */
static int channel_take(ecs_task_result *result, const ecs_backend_task *task, ecs_agent_chan **ch,
			ecs_agent_conn **conn)
{
	ecs_engine *engine = task->engine;
	double t = ecs_clock_ms_f();
	int fd = ecs_agent_chan_accept(*ch, result->container_id, ecs_clock_ms() + ECS_AGENT_CHAN_WAIT_MS);
	int rc;

	ecs_agent_chan_free(*ch);
	*ch = NULL;
	if (fd >= 0) {
		rc = ecs_agent_conn_adopt(conn, engine, result->container_id, fd);
		if (rc == 0)
			ecs_engine_log(engine, ECS_LOG_DEBUG, "task %s: container %.12s: its agent came on the direct channel",
				       result->task_id, result->container_id);
	} else {
		char why[96];

		snprintf(why, sizeof(why), "no agent came on its direct channel within %d ms", ECS_AGENT_CHAN_WAIT_MS);
		channel_pause(engine, result->task_id, why);
		rc = ecs_agent_conn_open(conn, engine, result->container_id,
					 ecs_clock_ms() + engine->opts.request_timeout_ms);
	}
	result->timings.start += ecs_clock_ms_f() - t;
	return rc != 0 ? ecs_task_fail_engine(result, engine, ECS_TASK_PHASE_ATTACH, rc) : 0;
}

/*
 * The task through the agent: create its container, open the conversation
 * (an attach before the start, so no byte is missed; or the direct channel,
 * which the agent connects as it starts), start, then the task's requests
 * (ecs_agent_task_run()). The agent refused it and nothing ran: a user the
 * image lacks is the request's fault (ECS_ENOUSER, as the engine says it of
 * a docker-init container); any other reason is ECS_BACKEND_MISS, and the
 * caller runs it under docker-init.
 */
static int run_agent(ecs_task_result *result, const ecs_backend_task *task)
{
	ecs_engine *engine = task->engine;
	const ecs_task_spec *spec = task->spec;
	ecs_container_agent agent = ECS_CONTAINER_AGENT_INIT;
	ecs_agent_conn *conn = NULL;
	ecs_agent_chan *ch = channel_offer(task, result->task_id);
	char why[512];
	int nothing_ran = 0;
	double t;
	int rc;

	ecs_container_agent_user(&agent, spec->profile, task->image);
	if ((rc = create(result, task, &agent, &ch)) != 0 ||
	    (rc = ecs_task_cancelled(result, task->cancel, ECS_TASK_PHASE_START)) != 0)
		goto out;
	t = ecs_clock_ms_f();
	if (ch == NULL) {
		rc = ecs_agent_conn_open(&conn, engine, result->container_id,
					 ecs_clock_ms() + engine->opts.request_timeout_ms);
		if (rc != 0) {
			result->timings.start = ecs_clock_ms_f() - t;
			rc = ecs_task_fail_engine(result, engine, ECS_TASK_PHASE_ATTACH, rc);
			goto out;
		}
	}
	if ((rc = start(result, task, t)) != 0 || (ch != NULL && (rc = channel_take(result, task, &ch, &conn)) != 0))
		goto out;
	rc = ecs_agent_task_run(result, task, &conn, (const char *const *)task->image->entrypoint,
				task->image->entrypoint_len, &nothing_ran, why, sizeof(why));
	if (nothing_ran && rc == ECS_EDENIED && ecs_agent_task_no_user(why)) {
		rc = ecs_task_fail(result, ECS_TASK_PHASE_START, ECS_ENOUSER, why);
	} else if (nothing_ran && rc == ECS_EDENIED) {
		ecs_engine_log(engine, ECS_LOG_WARN, "task %s: container %.12s: %s; running it under docker-init",
			       result->task_id, result->container_id, why);
		rc = ECS_BACKEND_MISS;
	} else if (nothing_ran) {
		rc = ecs_task_fail_engine(result, engine, ECS_TASK_PHASE_START, rc);
	} else if (rc == 0 && task->image->id != NULL && (result->image_id = strdup(task->image->id)) == NULL) {
		rc = ecs_task_fail(result, ECS_TASK_PHASE_LOGS, ECS_ENOMEM, NULL);
	}
out:
	ecs_agent_chan_free(ch);
	ecs_agent_conn_close(conn, 1);
	return rc;
}

/*
 * The exception: docker-init (tini) as PID 1, the command as the engine runs
 * it, the engine's wait for the exit. Files and artifacts need the agent.
 */
static int run_init(ecs_task_result *result, const ecs_backend_task *task, ecs_capture **cap)
{
	ecs_engine *engine = task->engine;
	const ecs_task_spec *spec = task->spec;
	double t, t_run;
	int stopped = 0;
	int rc;

	if (spec->files_len > 0 || spec->artifacts_len > 0)
		return ecs_task_fail(result, ECS_TASK_PHASE_VALIDATE, ECS_EINVAL,
				     "files and artifacts need ecs-agent, which cannot run this task apart from itself "
				     "(under runsc a root task, or capabilities that reach other users' processes)");
	if ((rc = create(result, task, NULL, NULL)) != 0)
		return rc;
	t = ecs_clock_ms_f();
	if ((rc = attach(result, task, cap)) != 0 || (rc = start(result, task, t)) != 0)
		return rc;
	t_run = ecs_clock_ms_f();
	rc = run_attached(result, engine, spec, *cap, task->timeout_ms, t_run, &stopped);
	result->timings.run = ecs_clock_ms_f() - t_run;
	if (rc != 0)
		return rc;
	t = ecs_clock_ms_f();
	rc = collect(result, engine, *cap, task->image, stopped);
	result->timings.logs = ecs_clock_ms_f() - t;
	return rc;
}

/* Forget the container the agent refused the task in (deleted), so the task runs again from create. */
static void forget_container(ecs_task_result *result, const ecs_backend_task *task)
{
	ecs_task_dispose(task->engine, task->reaper, result->task_id, result->container_id);
	free(result->container_id);
	result->container_id = NULL;
	result->error[0] = '\0';
	result->error_phase = ECS_TASK_PHASE_NONE;
	memset(&result->timings, 0, sizeof(result->timings));
}

static int cold_run(ecs_task_result *result, const ecs_backend_task *task)
{
	ecs_engine *engine = task->engine;
	const ecs_task_spec *spec = task->spec;
	ecs_capture *cap = NULL;
	int rc;

	/* After a pull the image was not inspected: the agent needs its Entrypoint, User and HOME. */
	if (task->image->id == NULL) {
		rc = ecs_image_inspect_ref(task->image, engine, spec->run.image, spec->image_ref);
		if (rc != 0)
			return ecs_task_fail_engine(result, engine, ECS_TASK_PHASE_CREATE, rc);
	}
	if (agent_serves(spec, task->image)) {
		rc = run_agent(result, task);
		if (rc != ECS_BACKEND_MISS)
			goto out;
		forget_container(result, task);
	}
	rc = run_init(result, task, &cap);
out:
	ecs_capture_free(cap);
	return rc;
}

/* files and artifacts: the agent carries them (run_init() refuses them where it cannot) */
const ecs_backend ecs_backend_cold = { "cold", cold_run, 1 };
