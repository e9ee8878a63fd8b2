/*
 * libecs: the task runner. One call takes a task from spec to result and
 * makes sure that, once a container exists, it is handed to deletion on
 * every path out.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include <ecs/ecs.h>
#include "capture.h"
#include "engine_private.h"
#include "stream.h"

#define PULL_DEFAULT_TIMEOUT_MS 300000L
/* After a kill the process is gone at once; this only bounds a stuck engine. */
#define KILL_WAIT_MS 10000L
/* Deleting before returning (no reaper): tries, 100 ms then 200 ms apart. */
#define SYNC_DELETE_ATTEMPTS 3

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static int task_id_valid(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > ECS_TASK_MAX_ID)
		return 0;
	for (const char *p = id; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '_' || *p == '.' || *p == '-'))
			return 0;
	}
	return 1;
}

/* Record a failure: the phase, and the handle's message (one line) or the code's text. */
static int fail(ecs_task_result *result, const char *phase, int code, const char *msg)
{
	result->error_phase = phase;
	if (msg == NULL || msg[0] == '\0')
		msg = ecs_strerror(code);
	snprintf(result->error, sizeof(result->error), "%s", msg);
	for (char *p = result->error; *p; p++) {
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	}
	return code;
}

static int fail_engine(ecs_task_result *result, ecs_engine *engine, const char *phase, int code)
{
	return fail(result, phase, code, ecs_engine_errmsg(engine));
}

static int validate(ecs_task_result *result, const ecs_task_spec *spec)
{
	ecs_image_ref ref;
	int rc;

	if (spec->version != ECS_TASK_SPEC_VERSION)
		return fail(result, "validate", ECS_EINVAL, "unsupported task spec version");
	if (spec->image == NULL)
		return fail(result, "validate", ECS_EINVAL, "no image");
	rc = ecs_image_ref_parse(&ref, spec->image);
	ecs_image_ref_clear(&ref);
	if (rc == ECS_ENOMEM)
		return fail(result, "validate", rc, NULL);
	if (rc != 0)
		return fail(result, "validate", ECS_EINVAL,
			    "invalid image reference (want name:tag, host:port/name:tag or name@sha256:...)");
	if (spec->cmd == NULL || spec->cmd_len == 0)
		return fail(result, "validate", ECS_EINVAL, "empty command");
	if (spec->cmd_len > ECS_TASK_MAX_CMD)
		return fail(result, "validate", ECS_EINVAL, "too many command arguments");
	for (size_t i = 0; i < spec->cmd_len; i++) {
		if (spec->cmd[i] == NULL)
			return fail(result, "validate", ECS_EINVAL, "NULL command argument");
	}
	if (spec->cmd[0][0] == '\0')
		return fail(result, "validate", ECS_EINVAL, "empty command name");
	if (spec->env_len > 0 && spec->env == NULL)
		return fail(result, "validate", ECS_EINVAL, "env_len without env");
	if (spec->env_len > ECS_TASK_MAX_ENV)
		return fail(result, "validate", ECS_EINVAL, "too many environment variables");
	for (size_t i = 0; i < spec->env_len; i++) {
		const char *eq = spec->env[i] ? strchr(spec->env[i], '=') : NULL;

		if (eq == NULL || eq == spec->env[i])
			return fail(result, "validate", ECS_EINVAL, "environment entries must be KEY=VALUE");
	}
	if (spec->stdin_len > 0 && spec->stdin_data == NULL)
		return fail(result, "validate", ECS_EINVAL, "stdin_len without stdin_data");
	if (spec->timeout_ms < 0 || spec->pull_timeout_ms < 0)
		return fail(result, "validate", ECS_EINVAL, "negative timeout");
	if (spec->timeout_ms > ECS_TASK_MAX_TIMEOUT_MS || spec->pull_timeout_ms > ECS_TASK_MAX_TIMEOUT_MS)
		return fail(result, "validate", ECS_EINVAL, "timeout longer than 7 days");
	if (spec->profile != NULL) {
		char why[256];

		if (ecs_sandbox_profile_validate(spec->profile, why, sizeof(why)) != 0)
			return fail(result, "validate", ECS_EINVAL, why);
	}
	if ((unsigned)spec->pull_policy > ECS_PULL_NEVER)
		return fail(result, "validate", ECS_EINVAL, "unknown pull policy");
	if (spec->task_id != NULL && !task_id_valid(spec->task_id))
		return fail(result, "validate", ECS_EINVAL, "task id must be 1-64 of [A-Za-z0-9_.-]");
	if (spec->auth != NULL && (spec->auth->username == NULL || spec->auth->password == NULL))
		return fail(result, "validate", ECS_EINVAL, "credentials need a username and a password");
	return 0;
}

/* @image: what the inspect saw (its WorkingDir saves create an inspect); empty after a pull. */
static int ensure_image(ecs_task_result *result, ecs_engine *engine, const ecs_task_spec *spec, ecs_image_info *image)
{
	long pull_timeout = spec->pull_timeout_ms ? spec->pull_timeout_ms : PULL_DEFAULT_TIMEOUT_MS;
	int rc;

	ecs_image_info_clear(image);
	if (spec->pull_policy != ECS_PULL_ALWAYS) {
		rc = ecs_image_inspect(engine, spec->image, image);
		if (rc == 0)
			return 0;
		if (rc != ECS_ENOTFOUND || spec->pull_policy == ECS_PULL_NEVER)
			return fail_engine(result, engine, "pull", rc);
	}
	rc = ecs_image_pull_cancellable(engine, spec->image, spec->auth, pull_timeout, spec->cancel);
	if (rc != 0)
		return fail_engine(result, engine, "pull", rc);
	return 0;
}

/*
 * The exit status a shell gives a command the engine could not exec, or 0
 * when the start failed for another reason (a mount, the working directory:
 * the engine's error). runc says, after the command quoted Go-style:
 *   ...unable to start container process: exec: "CMD": REASON: unknown
 * REASON "executable file not found in $PATH", "stat CMD: no such file or
 * directory" or "... not a directory" is a missing command: 127, as dash and
 * busybox sh count ENOENT and ENOTDIR. "permission denied" (no exec bit, a
 * directory), "is a directory" or "exec format error": it exists but cannot
 * be executed: 126. A completed run either way, as the original service and
 * `docker run` report it.
 */
static int start_failure_exit(const char *msg)
{
	static const char lead[] = "unable to start container process: exec: \"";
	const char *p = strstr(msg, lead);

	if (p == NULL)
		return 0;
	for (p += sizeof(lead) - 1; *p != '\0' && *p != '"'; p++)
		if (*p == '\\' && p[1] != '\0')
			p++;
	if (strncmp(p, "\": ", 3) != 0)
		return 0;
	p += 3;
	if (strncmp(p, "executable file not found", 25) == 0 ||
	    (strncmp(p, "stat ", 5) == 0 && (strstr(p, ": no such file or directory") != NULL ||
					    strstr(p, ": not a directory") != NULL)))
		return 127;
	if (strncmp(p, "permission denied", 17) == 0 || strncmp(p, "is a directory", 14) == 0 ||
	    strncmp(p, "exec format error", 17) == 0)
		return 126;
	return 0;
}

static int buffer_set(ecs_buffer *buf, const char *text)
{
	size_t n = strlen(text);

	buf->data = malloc(n + 2);
	if (buf->data == NULL)
		return ECS_ENOMEM;
	memcpy(buf->data, text, n);
	buf->data[n] = '\n';
	buf->data[n + 1] = '\0';
	buf->len = n + 1;
	buf->truncated = 0;
	return 0;
}

/* Never leave a container behind: the reaper if it takes it, else delete it now. */
static void dispose(ecs_engine *engine, ecs_reaper *reaper, const char *task_id, const char *id)
{
	int rc;

	if (reaper != NULL) {
		rc = ecs_reaper_enqueue(reaper, id);
		if (rc == 0)
			return;
		ecs_engine_log(engine, ECS_LOG_DEBUG, "task %s: container %.12s: reaper refused it (%s), deleting now",
			       task_id, id, ecs_error_name(rc));
	}
	/* Like the reaper, retry a little: the engine can refuse while it is still tearing the process down. */
	for (int attempt = 1;; attempt++) {
		struct timespec pause = { 0, 100000000L * attempt };

		rc = ecs_container_delete(engine, id);
		if (rc == 0 || rc == ECS_ENOTFOUND || rc == ECS_ENOMEM || attempt == SYNC_DELETE_ATTEMPTS)
			break;
		ecs_engine_log(engine, ECS_LOG_WARN, "task %s: container %.12s: delete attempt %d failed (%s: %s)",
			       task_id, id, attempt, ecs_error_name(rc), ecs_engine_errmsg(engine));
		nanosleep(&pause, NULL);
	}
	if (rc != 0 && rc != ECS_ENOTFOUND)
		ecs_engine_log(engine, ECS_LOG_WARN,
			       "task %s: container %.12s: delete failed (%s: %s); the sweep will remove it",
			       task_id, id, ecs_error_name(rc), ecs_engine_errmsg(engine));
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
		dispose(engine, reaper, task_id, list[i].id);
	}
	ecs_container_list_free(list, n);
}

/* What the engine saw of the run: OOM kill, the image id. Errors go to the handle only. */
static int read_outcome(ecs_task_result *result, ecs_engine *engine)
{
	ecs_container_info info;
	int rc;

	memset(&info, 0, sizeof(info));
	rc = ecs_container_inspect(&info, engine, result->container_id);
	if (rc == 0) {
		result->oom_killed = info.oom_killed;
		if (info.image_id != NULL && (result->image_digest = strdup(info.image_id)) == NULL)
			rc = ecs_engine_fail(engine, ECS_ENOMEM, "out of memory");
	}
	ecs_container_info_clear(&info);
	return rc;
}

/*
 * After the exit: the rest of the output (a killed task's stream ends at
 * once), then what the engine saw (OOM kill, image id).
 */
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

static int collect(ecs_task_result *result, ecs_engine *engine, ecs_capture *cap)
{
	int rc;

	if (!ecs_capture_done(cap)) {
		rc = ecs_capture_run(cap, NULL, 0, ecs_stream_now_ms() + KILL_WAIT_MS, NULL);
		if (rc != 0)
			ecs_engine_log(engine, ECS_LOG_WARN, "task %s: container %.12s: output after the kill lost (%s: %s)",
				       result->task_id, result->container_id, ecs_error_name(rc), ecs_engine_errmsg(engine));
	}
	rc = ecs_capture_take(cap, &result->out, &result->err, &result->stdout_bytes, &result->stderr_bytes);
	if (rc == 0)
		rc = read_outcome(result, engine);
	if (rc != 0)
		return fail_engine(result, engine, "logs", rc);
	init_exec_failure_exit(result);
	return 0;
}

/*
 * Wait for the process with what is left of the timeout; past it, kill and
 * take the exit status the kill produced. Cancellation kills too.
 */
static int run_wait(ecs_task_result *result, ecs_engine *engine, const ecs_task_spec *spec,
		    long timeout_ms, double started)
{
	long left = timeout_ms - (long)(now_ms() - started);
	int code = -1;
	int rc;

	if (left < 1)
		left = 1;
	rc = ecs_container_wait(&code, engine, result->container_id, left, spec->cancel);
	if (rc == 0) {
		result->exit_code = code;
		return 0;
	}
	if (rc != ECS_ETIMEDOUT && rc != ECS_ECANCELED)
		return fail_engine(result, engine, "wait", rc);

	if (rc == ECS_ECANCELED)
		fail(result, "wait", rc, "cancelled");
	{
		int krc = ecs_container_kill(engine, result->container_id, "SIGKILL");

		if (krc != 0 && krc != ECS_ENOTFOUND)
			ecs_engine_log(engine, ECS_LOG_WARN, "task %s: container %.12s: kill failed (%s: %s)",
				       result->task_id, result->container_id, ecs_error_name(krc),
				       ecs_engine_errmsg(engine));
	}
	if (rc == ECS_ECANCELED)
		return rc;

	result->timed_out = 1;
	rc = ecs_container_wait(&code, engine, result->container_id, KILL_WAIT_MS, NULL);
	if (rc != 0) {
		/* The kill was sent; a process killed by SIGKILL exits with 137. */
		ecs_engine_log(engine, ECS_LOG_WARN, "task %s: container %.12s: wait after kill failed (%s: %s)",
			       result->task_id, result->container_id, ecs_error_name(rc), ecs_engine_errmsg(engine));
		code = 137;
	}
	result->exit_code = code;
	ecs_engine_log(engine, ECS_LOG_INFO, "task %s: container %.12s: killed after %ld ms timeout",
		       result->task_id, result->container_id, timeout_ms);
	return 0;
}

/*
 * Write stdin and read the output as it comes until the stream ends, then
 * wait for the exit status with what is left of the timeout (a process may
 * close its output and run on). Past the timeout, or cancelled, run_wait()
 * kills it. The timeout counts from the start request.
 */
static int run_attached(ecs_task_result *result, ecs_engine *engine, const ecs_task_spec *spec,
			ecs_capture *cap, long timeout_ms, double started)
{
	long left = timeout_ms - (long)(now_ms() - started);
	int rc;

	rc = ecs_capture_run(cap, spec->stdin_data, spec->stdin_len, ecs_stream_now_ms() + (left > 0 ? left : 0),
			     spec->cancel);
	if (rc != 0 && rc != ECS_ETIMEDOUT && rc != ECS_ECANCELED)
		return fail_engine(result, engine, "attach", rc);
	return run_wait(result, engine, spec, timeout_ms, started);
}

static int cancelled(ecs_task_result *result, const ecs_task_spec *spec, const char *phase)
{
	if (!ecs_cancel_is_triggered(spec->cancel))
		return 0;
	return fail(result, phase, ECS_ECANCELED, "cancelled");
}

int ecs_task_run(ecs_task_result *result, ecs_engine *engine, ecs_reaper *reaper, const ecs_task_spec *spec)
{
	ecs_container_spec cs = ECS_CONTAINER_SPEC_INIT;
	ecs_capture *cap = NULL;
	ecs_image_info image = { NULL, NULL, NULL };
	double t0 = now_ms(), t;
	long timeout_ms;
	int missing_cmd = 0;
	int rc;

	if (result == NULL)
		return ECS_EINVAL;
	memset(result, 0, sizeof(*result));
	result->exit_code = -1;
	if (engine == NULL || spec == NULL)
		return fail(result, "validate", ECS_EINVAL, "NULL engine or spec");
	rc = validate(result, spec);
	if (rc != 0)
		goto out;
	if (spec->task_id != NULL)
		snprintf(result->task_id, sizeof(result->task_id), "%s", spec->task_id);
	else if (ecs_task_id_generate(result->task_id, sizeof(result->task_id)) != 0) {
		rc = fail(result, "validate", ECS_ERROR, "cannot generate a task id");
		goto out;
	}
	timeout_ms = spec->timeout_ms ? spec->timeout_ms : ECS_TASK_DEFAULT_TIMEOUT_MS;

	/* pull */
	if ((rc = cancelled(result, spec, "pull")) != 0)
		goto out;
	t = now_ms();
	rc = ensure_image(result, engine, spec, &image);
	result->timings.pull = now_ms() - t;
	if (rc != 0)
		goto out;

	/* create */
	if ((rc = cancelled(result, spec, "create")) != 0)
		goto out;
	cs.image = spec->image;
	cs.cmd = spec->cmd;
	cs.cmd_len = spec->cmd_len;
	cs.env = spec->env;
	cs.env_len = spec->env_len;
	cs.task_id = result->task_id;
	cs.deadline = time(NULL) + (time_t)((timeout_ms + 999) / 1000) + ECS_TASK_DEADLINE_GRACE_S;
	cs.profile = spec->profile;
	cs.image_working_dir = image.working_dir;
	cs.open_stdin = spec->stdin_len > 0;
	cs.attach_output = 1;
	t = now_ms();
	rc = ecs_container_create(&result->container_id, engine, &cs);
	if (rc == ECS_ENOTFOUND && spec->pull_policy != ECS_PULL_NEVER) {
		/* The image went (another client removed it) between pull and create: once more. */
		ecs_engine_log(engine, ECS_LOG_INFO, "task %s: image %s gone before create; pulling again",
			       result->task_id, spec->image);
		rc = ensure_image(result, engine, spec, &image);
		if (rc != 0) {
			result->timings.create = now_ms() - t;
			goto out;
		}
		cs.image_working_dir = image.working_dir;
		rc = ecs_container_create(&result->container_id, engine, &cs);
	}
	result->timings.create = now_ms() - t;
	if (rc != 0) {
		rc = fail_engine(result, engine, "create", rc);
		/*
		 * The engine refused it (bad spec, no image): nothing was made.
		 * Otherwise maybe, ENOMEM included: reading the answer can run out
		 * of memory after the engine made the container.
		 */
		if (rc != ECS_EINVAL && rc != ECS_ENOTFOUND)
			dispose_unacknowledged(engine, reaper, result->task_id);
		goto out;
	}
	ecs_engine_log(engine, ECS_LOG_DEBUG, "task %s: container %.12s: created in %.1f ms", result->task_id,
		       result->container_id, result->timings.create);

	/* attach (before start, so no byte of output is missed), then start */
	if ((rc = cancelled(result, spec, "start")) != 0)
		goto out;
	t = now_ms();
	rc = ecs_capture_attach(&cap, engine, result->container_id, spec->stdin_len > 0,
				spec->stdout_cap ? spec->stdout_cap : ECS_TASK_DEFAULT_OUTPUT_CAP,
				spec->stderr_cap ? spec->stderr_cap : ECS_TASK_DEFAULT_OUTPUT_CAP,
				ecs_stream_now_ms() + engine->opts.request_timeout_ms);
	if (rc != 0) {
		rc = fail_engine(result, engine, "attach", rc);
		result->timings.start = now_ms() - t;
		goto out;
	}
	rc = ecs_container_start(engine, result->container_id);
	if (rc != 0 && rc != ECS_ECANCELED && rc != ECS_ENOMEM && start_failure_exit(ecs_engine_errmsg(engine)) != 0) {
		missing_cmd = 1;
		result->exit_code = start_failure_exit(ecs_engine_errmsg(engine));
		rc = buffer_set(&result->err, ecs_engine_errmsg(engine));
		if (rc != 0)
			rc = fail(result, "start", rc, NULL);
	} else if (rc != 0) {
		rc = fail_engine(result, engine, "start", rc);
	}
	result->timings.start = now_ms() - t;
	if (rc != 0)
		goto out;

	if (!missing_cmd) {
		double t_run = now_ms();

		rc = run_attached(result, engine, spec, cap, timeout_ms, t);
		result->timings.run = now_ms() - t_run;
		if (rc != 0)
			goto out;

		t = now_ms();
		rc = collect(result, engine, cap);
		result->timings.logs = now_ms() - t;
		if (rc != 0)
			goto out;
	} else {
		/* best effort: the exit status and message are already the result */
		(void)read_outcome(result, engine);
		result->stderr_bytes = result->err.len;
	}

	ecs_engine_log(engine, ECS_LOG_INFO,
		       "task %s: container %.12s: exit %d%s%s; pull %.1f create %.1f start %.1f run %.1f logs %.1f ms",
		       result->task_id, result->container_id, result->exit_code,
		       result->timed_out ? " (timed out)" : "", result->oom_killed ? " (OOM killed)" : "",
		       result->timings.pull, result->timings.create, result->timings.start, result->timings.run,
		       result->timings.logs);
out:
	ecs_capture_free(cap);
	if (rc != 0) {
		ecs_buffer_clear(&result->out);
		ecs_buffer_clear(&result->err);
		result->stdout_bytes = result->stderr_bytes = 0;
		/* The caller's own mistakes are news, not trouble. */
		int caller = rc == ECS_EINVAL || rc == ECS_ENOTFOUND || rc == ECS_EUNAUTHORIZED || rc == ECS_ECANCELED;

		ecs_engine_log(engine, caller ? ECS_LOG_INFO : ECS_LOG_WARN, "task %s: container %.12s: %s failed: %s",
				       result->task_id, result->container_id ? result->container_id : "-",
				       result->error_phase ? result->error_phase : "?", result->error);
	}
	if (result->container_id != NULL)
		dispose(engine, reaper, result->task_id, result->container_id);
	ecs_image_info_clear(&image);
	result->timings.total = now_ms() - t0;
	return rc;
}

void ecs_task_result_clear(ecs_task_result *result)
{
	if (result == NULL)
		return;
	free(result->container_id);
	free(result->image_digest);
	ecs_buffer_clear(&result->out);
	ecs_buffer_clear(&result->err);
	memset(result, 0, sizeof(*result));
}

int ecs_task_id_generate(char *buf, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[16];

	if (buf == NULL || size < 2 * sizeof(raw) + 1)
		return ECS_ERROR;
	if (RAND_bytes(raw, (int)sizeof(raw)) != 1)
		return ECS_ERROR;
	for (size_t i = 0; i < sizeof(raw); i++) {
		buf[2 * i] = hex[raw[i] >> 4];
		buf[2 * i + 1] = hex[raw[i] & 0xf];
	}
	buf[2 * sizeof(raw)] = '\0';
	return 0;
}
