/*
 * libecs: the task runner's orchestration. One call takes a task from spec
 * to result: validate, task id, image and pull, then a backend executes it
 * (backend.h), and once a container exists it is handed to deletion on
 * every path out.
 */
#include <config.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ecs/ecs.h>
#include "clock.h"
#include "backend.h"
#include "engine_private.h"
#include "ids.h"
#include "image_private.h"
#include "labels.h"
#include "versioned.h"

#define PULL_DEFAULT_TIMEOUT_MS 300000L

/* Indexed by ecs_task_backend; NULL where this build has none. */
static const ecs_backend *const backends[] = {
	[ECS_TASK_BACKEND_LOCAL] = &ecs_backend_cold,
	[ECS_TASK_BACKEND_SWARM] = &ecs_backend_swarm,
};
/* Deleting before returning (no reaper): tries, 100 ms then 200 ms apart. */
#define SYNC_DELETE_ATTEMPTS 3

/* Indexed by ecs_task_phase: the names logs and the HTTP API have always printed. */
static const char *const phase_names[] = {
	[ECS_TASK_PHASE_VALIDATE] = "validate",
	[ECS_TASK_PHASE_PULL] = "pull",
	[ECS_TASK_PHASE_CREATE] = "create",
	[ECS_TASK_PHASE_START] = "start",
	[ECS_TASK_PHASE_ATTACH] = "attach",
	[ECS_TASK_PHASE_RUN] = "run",
	[ECS_TASK_PHASE_WAIT] = "wait",
	[ECS_TASK_PHASE_LOGS] = "logs",
};

const char *ecs_task_phase_name(ecs_task_phase phase)
{
	if ((unsigned)phase >= sizeof(phase_names) / sizeof(phase_names[0]))
		return NULL;
	return phase_names[phase];
}

/* Record a failure: the phase, and the handle's message (one line) or the code's text. */
int ecs_task_fail(ecs_task_result *result, ecs_task_phase phase, int code, const char *msg)
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

int ecs_task_fail_engine(ecs_task_result *result, ecs_engine *engine, ecs_task_phase phase, int code)
{
	return ecs_task_fail(result, phase, code, ecs_engine_errmsg(engine));
}

/*
 * Bytes of each version of ecs_task_spec a caller may pass. Version 6
 * (libecs.so.5) is the first of this soname; later versions append members
 * and get their own entry here.
 */
static const size_t spec_sizes[] = {
	[6] = offsetof(ecs_task_spec, files),
	[7] = offsetof(ecs_task_spec, channel_dir),
	[ECS_TASK_SPEC_VERSION] = sizeof(ecs_task_spec),
};

/* Bytes of each version of ecs_task_result a caller may hold. */
static const size_t result_sizes[] = {
	[1] = offsetof(ecs_task_result, artifacts),
	[2] = offsetof(ecs_task_result, pool_timings),
	[ECS_TASK_RESULT_VERSION] = sizeof(ecs_task_result),
};

static size_t result_size(unsigned int version)
{
	return version < sizeof(result_sizes) / sizeof(result_sizes[0]) ? result_sizes[version] : 0;
}

static void artifacts_free(ecs_artifact *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(list[i].path);
		ecs_buffer_clear(&list[i].content);
	}
	free(list);
}

/*
 * The one parse of the task's image, skipped when the caller passed the
 * parts (spec->image_ref): from here on @spec (the run's own copy) carries
 * the parts, and the text too when the caller gave only the parts (@text,
 * freed by the caller). Nothing below parses the image string again.
 */
static int image_resolve(ecs_task_result *result, ecs_task_spec *spec, ecs_image_ref *parsed, char **text)
{
	static const char bad[] = "invalid image reference (want name:tag, host:port/name:tag or name@sha256:...)";
	int rc;

	if (spec->image_ref == NULL) {
		if (spec->run.image == NULL)
			return ecs_task_fail(result, ECS_TASK_PHASE_VALIDATE, ECS_EINVAL, "no image");
		rc = ecs_image_ref_parse(parsed, spec->run.image);
		if (rc != 0)
			return ecs_task_fail(result, ECS_TASK_PHASE_VALIDATE, rc == ECS_ENOMEM ? rc : ECS_EINVAL,
					     rc == ECS_ENOMEM ? NULL : bad);
		spec->image_ref = parsed;
	} else if (spec->run.image == NULL) {
		rc = ecs_image_ref_format(text, spec->image_ref);
		if (rc != 0)
			return ecs_task_fail(result, ECS_TASK_PHASE_VALIDATE, rc == ECS_ENOMEM ? rc : ECS_EINVAL,
					     rc == ECS_ENOMEM ? NULL : bad);
		spec->run.image = *text;
	}
	return 0;
}

/*
 * Files in and artifacts out: their count, each path's shape (task_paths.c; the
 * agent confines them to the writable mounts inside the container), modes.
 * Only what the agent carries has them: never the Swarm backend.
 */
static int validate_files(ecs_task_result *result, const ecs_task_spec *spec)
{
	char why[300];

	if (spec->files_len == 0 && spec->artifacts_len == 0)
		return 0;
	if ((spec->files_len > 0 && spec->files == NULL) || (spec->artifacts_len > 0 && spec->artifacts == NULL))
		return ecs_task_fail(result, ECS_TASK_PHASE_VALIDATE, ECS_EINVAL, "files_len or artifacts_len without the list");
	if (spec->files_len > ECS_TASK_MAX_FILES || spec->artifacts_len > ECS_TASK_MAX_FILES) {
		snprintf(why, sizeof(why), "more than %u files or artifacts", ECS_TASK_MAX_FILES);
		return ecs_task_fail(result, ECS_TASK_PHASE_VALIDATE, ECS_EINVAL, why);
	}
	for (size_t i = 0; i < spec->files_len; i++) {
		const ecs_file *f = &spec->files[i];

		if (ecs_task_path_check(f->path, "file", why, sizeof(why)) != 0)
			return ecs_task_fail(result, ECS_TASK_PHASE_VALIDATE, ECS_EINVAL, why);
		if (f->len > 0 && f->data == NULL) {
			snprintf(why, sizeof(why), "file \"%.200s\": len without data", f->path);
			return ecs_task_fail(result, ECS_TASK_PHASE_VALIDATE, ECS_EINVAL, why);
		}
		if (f->mode & ~0777u) {
			snprintf(why, sizeof(why), "file \"%.200s\": mode %o is more than permission bits (0777)", f->path,
				 f->mode);
			return ecs_task_fail(result, ECS_TASK_PHASE_VALIDATE, ECS_EINVAL, why);
		}
	}
	for (size_t i = 0; i < spec->artifacts_len; i++) {
		if (ecs_task_path_check(spec->artifacts[i], "artifact", why, sizeof(why)) != 0)
			return ecs_task_fail(result, ECS_TASK_PHASE_VALIDATE, ECS_EINVAL, why);
	}
	if (!backends[spec->backend]->agent && !(spec->pool != NULL && spec->backend == ECS_TASK_BACKEND_LOCAL))
		return ecs_task_fail(result, ECS_TASK_PHASE_VALIDATE, ECS_EINVAL,
				     "files and artifacts need ecs-agent in the container: not under this backend");
	return 0;
}

static int validate(ecs_task_result *result, const ecs_task_spec *spec)
{
	if (spec->channel_dir != NULL && spec->channel_dir[0] != '/')
		return ecs_task_fail(result, ECS_TASK_PHASE_VALIDATE, ECS_EINVAL, "channel_dir is not an absolute path");
	if (spec->run.cmd == NULL || spec->run.cmd_len == 0)
		return ecs_task_fail(result, ECS_TASK_PHASE_VALIDATE, ECS_EINVAL, "empty command");
	if (spec->run.cmd_len > ECS_TASK_MAX_CMD)
		return ecs_task_fail(result, ECS_TASK_PHASE_VALIDATE, ECS_EINVAL, "too many command arguments");
	for (size_t i = 0; i < spec->run.cmd_len; i++) {
		if (spec->run.cmd[i] == NULL)
			return ecs_task_fail(result, ECS_TASK_PHASE_VALIDATE, ECS_EINVAL, "NULL command argument");
	}
	if (spec->run.cmd[0][0] == '\0')
		return ecs_task_fail(result, ECS_TASK_PHASE_VALIDATE, ECS_EINVAL, "empty command name");
	if (spec->run.env_len > 0 && spec->run.env == NULL)
		return ecs_task_fail(result, ECS_TASK_PHASE_VALIDATE, ECS_EINVAL, "env_len without env");
	if (spec->run.env_len > ECS_TASK_MAX_ENV)
		return ecs_task_fail(result, ECS_TASK_PHASE_VALIDATE, ECS_EINVAL, "too many environment variables");
	for (size_t i = 0; i < spec->run.env_len; i++) {
		const char *eq = spec->run.env[i] ? strchr(spec->run.env[i], '=') : NULL;

		if (eq == NULL || eq == spec->run.env[i])
			return ecs_task_fail(result, ECS_TASK_PHASE_VALIDATE, ECS_EINVAL, "environment entries must be KEY=VALUE");
	}
	if (spec->stdin_len > 0 && spec->stdin_data == NULL)
		return ecs_task_fail(result, ECS_TASK_PHASE_VALIDATE, ECS_EINVAL, "stdin_len without stdin_data");
	if (spec->timeout_ms < 0 || spec->pull_timeout_ms < 0 || spec->start_timeout_ms < 0)
		return ecs_task_fail(result, ECS_TASK_PHASE_VALIDATE, ECS_EINVAL, "negative timeout");
	if (spec->timeout_ms > ECS_TASK_MAX_TIMEOUT_MS || spec->pull_timeout_ms > ECS_TASK_MAX_TIMEOUT_MS ||
	    spec->start_timeout_ms > ECS_TASK_MAX_TIMEOUT_MS)
		return ecs_task_fail(result, ECS_TASK_PHASE_VALIDATE, ECS_EINVAL, "timeout longer than 7 days");
	if (spec->profile != NULL) {
		char why[256];

		if (ecs_sandbox_profile_validate(spec->profile, why, sizeof(why)) != 0)
			return ecs_task_fail(result, ECS_TASK_PHASE_VALIDATE, ECS_EINVAL, why);
	}
	{
		char why[128];

		if (ecs_labels_check(spec->run.labels, spec->run.labels_len, why, sizeof(why)) != 0)
			return ecs_task_fail(result, ECS_TASK_PHASE_VALIDATE, ECS_EINVAL, why);
	}
	if ((unsigned)spec->pull_policy > ECS_PULL_NEVER)
		return ecs_task_fail(result, ECS_TASK_PHASE_VALIDATE, ECS_EINVAL, "unknown pull policy");
	if (spec->task_id != NULL && !ecs_id_chars_ok(spec->task_id, ECS_TASK_MAX_ID))
		return ecs_task_fail(result, ECS_TASK_PHASE_VALIDATE, ECS_EINVAL, "task id must be 1-64 of [A-Za-z0-9_.-]");
	if (spec->auth != NULL && (spec->auth->username == NULL || spec->auth->password == NULL))
		return ecs_task_fail(result, ECS_TASK_PHASE_VALIDATE, ECS_EINVAL, "credentials need a username and a password");
	if ((unsigned)spec->backend >= sizeof(backends) / sizeof(backends[0]) || backends[spec->backend] == NULL)
		return ecs_task_fail(result, ECS_TASK_PHASE_VALIDATE, ECS_EINVAL, "no such backend in this libecs");
	return validate_files(result, spec);
}

/* @image: what the inspect saw (its WorkingDir saves create an inspect); empty after a pull. */
int ecs_task_image_ensure(ecs_task_result *result, ecs_engine *engine, const ecs_task_spec *spec,
			  ecs_image_info *image)
{
	long pull_timeout = spec->pull_timeout_ms ? spec->pull_timeout_ms : PULL_DEFAULT_TIMEOUT_MS;
	int rc;

	ecs_image_info_clear(image);
	if (spec->pull_policy != ECS_PULL_ALWAYS) {
		rc = ecs_image_inspect_ref(image, engine, spec->run.image, spec->image_ref);
		if (rc == 0)
			return 0;
		if (rc != ECS_ENOTFOUND || spec->pull_policy == ECS_PULL_NEVER)
			return ecs_task_fail_engine(result, engine, ECS_TASK_PHASE_PULL, rc);
	}
	rc = ecs_image_pull_ref(engine, spec->image_ref, spec->run.image, spec->auth, pull_timeout, spec->cancel);
	if (rc != 0)
		return ecs_task_fail_engine(result, engine, ECS_TASK_PHASE_PULL, rc);
	return 0;
}

/* Never leave a container behind: the reaper if it takes it, else delete it now. */
void ecs_task_dispose(ecs_engine *engine, ecs_reaper *reaper, const char *task_id, const char *id)
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

int ecs_task_cancelled(ecs_task_result *result, ecs_cancel *cancel, ecs_task_phase phase)
{
	if (!ecs_cancel_is_triggered(cancel))
		return 0;
	return ecs_task_fail(result, phase, ECS_ECANCELED, "cancelled");
}

/*
 * result->repo_digest from what the inspect before the run saw, when it saw
 * the image that ran; after a pull (or a tag that moved meanwhile) from a
 * fresh inspect. Only running out of memory fails: an image gone since, or
 * an engine that does not answer, leaves it NULL (the run itself is done).
 */
static int repo_digest_fill(ecs_task_result *result, ecs_engine *engine, const ecs_task_spec *spec,
			    const ecs_image_info *seen)
{
	ecs_image_info fresh = ECS_IMAGE_INFO_INIT;
	const ecs_image_info *info = seen;
	int rc = 0;

	if (result->image_id == NULL)
		return 0;
	if (info->id == NULL || strcmp(info->id, result->image_id) != 0) {
		if (ecs_image_inspect_ref(&fresh, engine, spec->run.image, spec->image_ref) == ECS_ENOMEM)
			return ecs_task_fail(result, ECS_TASK_PHASE_LOGS, ECS_ENOMEM, NULL);
		info = &fresh;
	}
	if (info->id != NULL && strcmp(info->id, result->image_id) == 0 && info->repo_digest != NULL &&
	    (result->repo_digest = strdup(info->repo_digest)) == NULL)
		rc = ecs_task_fail(result, ECS_TASK_PHASE_LOGS, ECS_ENOMEM, NULL);
	ecs_image_info_clear(&fresh);
	return rc;
}

/* ECS_TASK_RESULT_INIT of the caller's version (what it held is not freed). */
static void result_empty(ecs_task_result *result)
{
	unsigned int version = result->version;

	memset(result, 0, result_size(version));
	result->version = version;
	result->exit_code = -1;
}

/* ecs_task_run() into a result of the current version. */
static int run_current(ecs_task_result *result, ecs_engine *engine, ecs_reaper *reaper, const ecs_task_spec *spec)
{
	static const ecs_task_spec defaults = ECS_TASK_SPEC_INIT;
	ecs_task_spec current;
	ecs_image_info image = ECS_IMAGE_INFO_INIT;
	ecs_image_ref parsed = { NULL, NULL, NULL, NULL, ECS_IMAGE_REF_NAME };
	char *image_text = NULL;
	const ecs_backend *backend;
	ecs_backend_task bt;
	double t0 = ecs_clock_ms_f(), t;
	long timeout_ms;
	int rc, pooled;

	result_empty(result);
	if (engine == NULL || spec == NULL)
		return ecs_task_fail(result, ECS_TASK_PHASE_VALIDATE, ECS_EINVAL, "NULL engine or spec");
	/* A refused spec must not leave an earlier call's message on the handle. */
	ecs_engine_clear_error(engine);
	/* From here on the current version: what the caller's lacks has its default. */
	if (ecs_versioned_copy(&current, sizeof(current), &defaults, spec, spec_sizes,
			       sizeof(spec_sizes) / sizeof(spec_sizes[0])) != 0) {
		rc = ecs_task_fail(result, ECS_TASK_PHASE_VALIDATE, ECS_EINVAL, "unsupported task spec version");
		goto out;
	}
	spec = &current;
	rc = image_resolve(result, &current, &parsed, &image_text);
	if (rc == 0)
		rc = validate(result, spec);
	if (rc != 0)
		goto out;
	if (spec->task_id != NULL)
		snprintf(result->task_id, sizeof(result->task_id), "%s", spec->task_id);
	else if (ecs_id_generate(result->task_id, sizeof(result->task_id)) != 0) {
		rc = ecs_task_fail(result, ECS_TASK_PHASE_VALIDATE, ECS_ERROR, "cannot generate a task id");
		goto out;
	}
	timeout_ms = spec->timeout_ms ? spec->timeout_ms : ECS_TASK_DEFAULT_TIMEOUT_MS;

	if ((rc = ecs_task_cancelled(result, spec->cancel, ECS_TASK_PHASE_PULL)) != 0)
		goto out;
	bt.engine = engine;
	bt.reaper = reaper;
	bt.spec = spec;
	bt.image = NULL;
	bt.timeout_ms = timeout_ms;
	bt.cancel = spec->cancel;
	bt.pool = spec->pool;
	backend = backends[spec->backend];
	/* A warm container's labels were fixed when it was made: a task with labels of its own runs cold. */
	pooled = spec->pool != NULL && spec->backend == ECS_TASK_BACKEND_LOCAL && spec->run.labels_len == 0;
	rc = ECS_BACKEND_MISS;
	/*
	 * A fixed pool of the very reference lends without an inspect (it
	 * follows its tag itself, pool.c): a pooled task makes no call to the
	 * engine before its attach. Its lease carries the repository digest.
	 */
	if (pooled && spec->pull_policy != ECS_PULL_ALWAYS)
		rc = ecs_backend_pool.run(result, &bt);
	/* a warm container taken and found dead: cold at once, not a second one */
	if (rc == ECS_BACKEND_GAVE_UP) {
		pooled = 0;
		rc = ECS_BACKEND_MISS;
	}
	if (rc == ECS_BACKEND_MISS) {
		/* pull */
		t = ecs_clock_ms_f();
		rc = ecs_task_image_ensure(result, engine, spec, &image);
		result->timings.pull = ecs_clock_ms_f() - t;
		if (rc != 0)
			goto out;

		/* execute */
		bt.image = &image;
		rc = ECS_BACKEND_MISS;
		if (pooled && (rc = ecs_backend_pool.run(result, &bt)) == ECS_BACKEND_GAVE_UP)
			rc = ECS_BACKEND_MISS;
		if (rc == ECS_BACKEND_MISS && !backend->agent && (spec->files_len > 0 || spec->artifacts_len > 0))
			rc = ecs_task_fail(result, ECS_TASK_PHASE_START, ECS_EUNAVAILABLE,
					   "files and artifacts need ecs-agent in the container: no warm container took the task");
		else if (rc == ECS_BACKEND_MISS)
			rc = backend->run(result, &bt);
		if (rc == 0)
			rc = repo_digest_fill(result, engine, spec, &image);
	}
	if (rc != 0)
		goto out;

	ecs_engine_log(engine, ECS_LOG_INFO,
		       "task %s: container %.12s: exit %d%s%s%s; pull %.1f create %.1f start %.1f run %.1f logs %.1f ms",
		       result->task_id, result->container_id ? result->container_id : "-", result->exit_code,
		       result->pooled ? " (pooled)" : "",
		       result->timed_out ? " (timed out)" : "", result->oom_killed ? " (OOM killed)" : "",
		       result->timings.pull, result->timings.create, result->timings.start, result->timings.run,
		       result->timings.logs);
out:
	if (rc != 0) {
		ecs_buffer_clear(&result->out);
		ecs_buffer_clear(&result->err);
		result->stdout_bytes = result->stderr_bytes = 0;
		/* The caller's own mistakes are news, not trouble. */
		int caller = rc == ECS_EINVAL || rc == ECS_ENOTFOUND || rc == ECS_EUNAUTHORIZED || rc == ECS_ECANCELED;

		ecs_engine_log(engine, caller ? ECS_LOG_INFO : ECS_LOG_WARN, "task %s: container %.12s: %s failed: %s",
				       result->task_id, result->container_id ? result->container_id : "-",
				       ecs_task_phase_name(result->error_phase) ? ecs_task_phase_name(result->error_phase) : "?",
				       result->error);
	}
	if (result->container_id != NULL) {
		t = ecs_clock_ms_f();
		ecs_task_dispose(engine, reaper, result->task_id, result->container_id);
		if (result->pooled)
			result->pool_timings.release = ecs_clock_ms_f() - t;
	}
	ecs_image_info_clear(&image);
	ecs_image_ref_clear(&parsed);
	free(image_text);
	/*
	 * The handle tells what the result tells: the steps after the failure
	 * (dispose, its retries) and a success's own recovered failures leave
	 * messages of their own that are not the call's.
	 */
	if (rc != 0)
		ecs_engine_fail(engine, rc, "%s", result->error);
	else
		ecs_engine_clear_error(engine);
	result->timings.total = ecs_clock_ms_f() - t0;
	return rc;
}

int ecs_task_run(ecs_task_result *result, ecs_engine *engine, ecs_reaper *reaper, const ecs_task_spec *spec)
{
	ecs_task_result full = ECS_TASK_RESULT_INIT;
	int rc;

	/* Later versions append members: the library writes only those the caller's struct has. */
	if (result == NULL || result_size(result->version) == 0) {
		if (engine != NULL)
			ecs_engine_fail(engine, ECS_EINVAL, "task result version %u, expected 1 to %u",
					result != NULL ? result->version : 0, ECS_TASK_RESULT_VERSION);
		return ECS_EINVAL;
	}
	if (result->version == ECS_TASK_RESULT_VERSION)
		return run_current(result, engine, reaper, spec);
	rc = run_current(&full, engine, reaper, spec);
	artifacts_free(full.artifacts, full.artifacts_len);
	full.artifacts = NULL;
	full.artifacts_len = 0;
	full.version = result->version;
	memcpy(result, &full, result_size(result->version));
	return rc;
}

void ecs_task_result_clear(ecs_task_result *result)
{
	if (result == NULL || result_size(result->version) == 0)
		return;
	if (result->version >= 2)
		artifacts_free(result->artifacts, result->artifacts_len);
	free(result->container_id);
	free(result->image_id);
	free(result->repo_digest);
	free(result->node);
	ecs_buffer_clear(&result->out);
	ecs_buffer_clear(&result->err);
	result_empty(result);
}

