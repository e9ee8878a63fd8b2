/*
 * handler_answer.c - how a handler answers (handlers.h): the error document,
 * a JSON body, the self link, and a task's answer from what libecs returned,
 * the one place it is built for the client that waits, the stream and the
 * task store alike. Below every endpoint: the task and session handlers
 * and the queue's runner build on it.
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "base64.h"
#include "handlers.h"
#include "metrics.h"
#include "text.h"

void handler_error(response *resp, const request *req, int status, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	text_cut(msg);
	response_set_error(resp, status, code, msg, req->request_id);
}

static void oom(response *resp, const request *req)
{
	response_set_error(resp, 500, "INTERNAL_ERROR", "out of memory", req->request_id);
}

int handler_self_link(struct json_object *o, const request *req)
{
	size_t size = request_self_url_size(req);
	char *url = malloc(size);
	struct json_object *links, *self;

	if (url == NULL || request_self_url(url, size, req) != 0) {
		free(url);
		return -1;
	}
	links = json_object_new_object();
	self = json_object_new_object();
	if (links == NULL || self == NULL) {
		json_object_put(links);
		json_object_put(self);
		free(url);
		return -1;
	}
	json_object_object_add(self, "href", json_object_new_string(url));
	free(url);
	json_object_object_add(links, "self", self);
	return json_object_object_add(o, "links", links);
}

void handler_json(response *resp, const request *req, int status, struct json_object *o)
{
	if (o == NULL || response_set_json(resp, status, o) != 0)
		oom(resp, req);
	json_object_put(o);
}

int handler_put(struct json_object *o, const char *key, struct json_object *value)
{
	if (value == NULL)
		return -1;
	if (json_object_object_add(o, key, value) != 0) {
		json_object_put(value);
		return -1;
	}
	return 0;
}

static int add_b64(struct json_object *o, const char *key, const ecs_buffer *b)
{
	char *s = NULL;
	int rc;

	if (base64_encode(&s, b->data, b->len) != 0)
		return -1;
	/* A NULL string here would go out as "stdout": null in a 201: fail the whole answer instead. */
	rc = handler_put(o, key, json_object_new_string(s));
	free(s);
	return rc;
}

/* Milliseconds to 0.1: more digits would only be noise. */
static int add_ms(struct json_object *o, const char *key, double ms)
{
	char s[32];

	snprintf(s, sizeof(s), "%.1f", ms);
	return handler_put(o, key, json_object_new_double_s(ms, s));
}

/* The phases, then a pooled task's own steps (0 for a cold one): acquire, attach, release. */
static int add_timings(struct json_object *o, const ecs_task_result *res)
{
	const ecs_task_timings *tm = &res->timings;
	const ecs_task_pool_timings *pt = &res->pool_timings;
	struct json_object *t = json_object_new_object();

	if (t == NULL)
		return -1;
	if (add_ms(t, "pull", tm->pull) != 0 || add_ms(t, "create", tm->create) != 0 ||
			add_ms(t, "start", tm->start) != 0 || add_ms(t, "run", tm->run) != 0 ||
			add_ms(t, "logs", tm->logs) != 0 || add_ms(t, "total", tm->total) != 0 ||
			add_ms(t, "acquire", pt->acquire) != 0 || add_ms(t, "attach", pt->attach) != 0 ||
			add_ms(t, "release", pt->release) != 0) {
		json_object_put(t);
		return -1;
	}
	return handler_put(o, "timings", t);
}

/*
 * The 201 body. Any json-c failure makes the whole document NULL (a 500
 * JSON error), never a 201 with a member missing or null.
 */
struct json_object *handler_task_json(const ecs_task_result *res)
{
	struct json_object *o = json_object_new_object();

	if (o == NULL)
		return NULL;
	/* The original's three fields first; the rest are additions. */
	if (handler_put(o, "exitCode", json_object_new_int(res->exit_code)) != 0 ||
			add_b64(o, "stdout", &res->out) != 0 || add_b64(o, "stderr", &res->err) != 0 ||
			handler_put(o, "stdoutTruncated", json_object_new_boolean(res->out.truncated)) != 0 ||
			handler_put(o, "stderrTruncated", json_object_new_boolean(res->err.truncated)) != 0 ||
			handler_put(o, "stdoutBytes", json_object_new_int64((int64_t)res->stdout_bytes)) != 0 ||
			handler_put(o, "stderrBytes", json_object_new_int64((int64_t)res->stderr_bytes)) != 0 ||
			handler_put(o, "timedOut", json_object_new_boolean(res->timed_out)) != 0 ||
			handler_put(o, "oomKilled", json_object_new_boolean(res->oom_killed)) != 0 ||
			handler_put(o, "pooled", json_object_new_boolean(res->pooled)) != 0 ||
			/* imageDigest, deprecated, is the id it always was: clients rely on it */
			(res->image_id != NULL &&
			 (handler_put(o, "imageDigest", json_object_new_string(res->image_id)) != 0 ||
			  handler_put(o, "imageId", json_object_new_string(res->image_id)) != 0)) ||
			(res->repo_digest != NULL &&
			 handler_put(o, "repoDigest", json_object_new_string(res->repo_digest)) != 0) ||
			handler_put(o, "taskId", json_object_new_string(res->task_id)) != 0 ||
			(res->node != NULL && handler_put(o, "node", json_object_new_string(res->node)) != 0) ||
			add_timings(o, res) != 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

int handler_task_artifacts(struct json_object *doc, const ecs_task_result *res)
{
	struct json_object *list = json_object_new_array();
	size_t i;

	if (handler_put(doc, "artifacts", list) != 0)
		return -1;
	for (i = 0; i < res->artifacts_len; i++) {
		const ecs_artifact *a = &res->artifacts[i];
		struct json_object *o = json_object_new_object();

		if (o == NULL || json_object_array_add(list, o) != 0) {
			json_object_put(o);
			return -1;
		}
		if (handler_put(o, "path", json_object_new_string(a->path)) != 0 || add_b64(o, "content", &a->content) != 0 ||
				handler_put(o, "size", json_object_new_int64((int64_t)a->size)) != 0 ||
				handler_put(o, "truncated", json_object_new_boolean(a->content.truncated)) != 0)
			return -1;
	}
	return 0;
}

/* The body's labels, echoed in the 201 document only when given: a client that sent none sees what it always did. */
static int add_labels(struct json_object *doc, const intake_task *t)
{
	struct json_object *copy = NULL;

	if (t->body.labels == NULL)
		return 0;
	if (json_object_deep_copy(t->body.labels, &copy, NULL) != 0)
		return -1;
	return handler_put(doc, "labels", copy);
}

/*
 * The task's answer from what libecs returned: the one place that reads a
 * task result, for the log line (@info), the metrics and the response,
 * whether a client waits for it (sync, stream) or the store keeps it (async).
 */
void handler_task_answer(response *resp, handler_info *info, const handler_ctx *ctx, const request *req,
			 const intake_task *t, int rc, const ecs_task_result *res, int canceled)
{
	const char *image = t->body.image, *user = t->profile.user;
	char q[144], q2[144], qe[416];

	info->ran_task = 1;
	snprintf(info->task_id, sizeof(info->task_id), "%s", res->task_id);
	snprintf(info->container_id, sizeof(info->container_id), "%s", res->container_id ? res->container_id : "");
	info->timings = res->timings;
	info->exit_code = res->exit_code;
	info->timed_out = res->timed_out;
	if (rc == 0) {
		struct json_object *doc = handler_task_json(res);

		metrics_observe_task(&res->timings, res->timed_out, res->exit_code);
		/* Only when asked: a client that never sent artifacts sees the document it always did. */
		if (doc != NULL && ((t->body.files.has_artifacts && handler_task_artifacts(doc, res) != 0) ||
				    add_labels(doc, t) != 0)) {
			json_object_put(doc);
			doc = NULL;
		}
		handler_json(resp, req, 201, doc);
		return;
	}
	{
		const char *code;
		int status = response_map_error(rc, &code);

		info->error_phase = ecs_task_phase_name(res->error_phase);
		snprintf(info->error, sizeof(info->error), "%s", res->error);
		if (rc != ECS_EINVAL && rc != ECS_ENOTFOUND && rc != ECS_ECANCELED && rc != ECS_ENOUSER)
			metrics_engine_error(rc);
		/* The agent in the container refused a path (a symlink the command
		 * planted, a mount the image hides) or could not find one: its
		 * words name the path. */
		if ((rc == ECS_EINVAL || rc == ECS_ENOTFOUND) && res->error_phase != ECS_TASK_PHASE_PULL &&
				task_files_named(&t->body.files, res->error))
			handler_error(resp, req, 400, "PATH_REFUSED", "%s", text_quote(qe, sizeof(qe), res->error, 400));
		else if (rc == ECS_ENOTFOUND)
			handler_error(resp, req, status, code, "image '%s' not found", text_quote(q, sizeof(q), image, 128));
		else if (rc == ECS_ENOUSER)
			handler_error(resp, req, status, code, "user '%s' is not known to the image '%s' (%s)",
					text_quote(q, sizeof(q), user ? user : "", 64),
					text_quote(q2, sizeof(q2), image, 128), res->error);
		else if (rc == ECS_ECANCELED && ecs_cancel_is_triggered(ctx->client_gone))
			/* Nobody reads this: it is for the log line and the metrics (nginx's 499). */
			handler_error(resp, req, 499, "CLIENT_CLOSED_REQUEST", "the client went away: the task was stopped and its container deleted");
		else if (rc == ECS_ECANCELED && canceled)
			handler_error(resp, req, 499, "CANCELED", "the task was canceled (DELETE /v1.1/tasks/%s): "
				      "it was stopped and its container deleted", res->task_id);
		else if (rc == ECS_ECANCELED)
			handler_error(resp, req, status, code, "the service is shutting down: the task was stopped and its container deleted");
		else
			handler_error(resp, req, status, code, "%s%s%s", info->error_phase ? info->error_phase : "",
					info->error_phase ? ": " : "", res->error[0] ? res->error : ecs_strerror(rc));
	}
}

void handler_stream_end(response *resp, const handler_ctx *ctx, ndjson *nd, int rc, struct json_object *doc)
{
	static const char *const output[] = { "stdout", "stderr", "stdoutTruncated", "stderrTruncated", NULL };

	ndjson_finish(nd, resp, rc == 0 ? doc : NULL, output, rc != 0 && ecs_cancel_is_triggered(ctx->client_gone));
}
