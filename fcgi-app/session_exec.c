/* session_exec.c - a request on a held session: hold, exec, answer, release. See session_exec.h. */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "intake.h"
#include "session_exec.h"
#include "task_record.h"
#include "text.h"

void session_not_found(response *resp, const request *req, const char *id)
{
	char q[80];

	handler_error(resp, req, 404, "SESSION_NOT_FOUND", "no session '%s' (it never existed, expired or was deleted)",
		      text_quote(q, sizeof(q), id, 64));
}

void session_lost(response *resp, const request *req, const char *id, const char *why)
{
	char q[80];

	handler_error(resp, req, 410, "SESSION_LOST", "session '%s' is lost: %s", text_quote(q, sizeof(q), id, 64), why);
}

session_status session_hold(response *resp, const handler_ctx *ctx, const request *req, const char *id,
			    const char *owner, session_view *v)
{
	session_status st = session_registry_acquire(ctx->sessions, id, owner, v);
	char q[80];

	if (st == SESSION_NOT_FOUND)
		session_not_found(resp, req, id);
	else if (st == SESSION_BUSY)
		handler_error(resp, req, 409, "SESSION_BUSY", "session '%s' is running another request; one at a time",
			      text_quote(q, sizeof(q), id, 64));
	else if (st == SESSION_LOST)
		session_lost(resp, req, id, v->lost_reason);
	else if (st != SESSION_FOUND)
		handler_json(resp, req, 500, NULL);
	if (st != SESSION_FOUND)
		session_view_clear(v);
	return st;
}

/*
 * A request on the session failed in a way that may mean its container
 * is gone: look, and answer 410 with the reason when it is. 1 when it was
 * lost (answered, and @lost_why set for the release), 0 otherwise.
 */
static int gone(response *resp, const handler_ctx *ctx, const request *req, const session_view *v, char *lost_why,
		size_t len)
{
	int rc = ecs_session_check(ctx->engine, &v->info, lost_why, len);

	if (rc != ECS_EUNAVAILABLE && rc != ECS_ENOTFOUND)
		return 0;
	session_lost(resp, req, v->info.id, lost_why);
	return 1;
}

void session_request_failed(response *resp, handler_info *info, const handler_ctx *ctx, const request *req,
			    const session_view *v, int rc, const char *why, char *lost_why, size_t len)
{
	const char *code;
	int status;

	info->error_phase = "session";
	snprintf(info->error, sizeof(info->error), "%s", why);
	if (rc == ECS_EINVAL)
		return handler_error(resp, req, 400, "PATH_REFUSED", "%s", why[0] ? why : "path refused");
	if (rc == ECS_ENOTFOUND && strstr(why, "no such") != NULL)
		return handler_error(resp, req, 404, "NOT_FOUND", "%s", why);
	if (rc == ECS_ECANCELED && ecs_cancel_is_triggered(ctx->client_gone))
		return handler_error(resp, req, 499, "CLIENT_CLOSED_REQUEST", "the client went away: the command was stopped");
	if (gone(resp, ctx, req, v, lost_why, len))
		return;
	if (rc == ECS_EPROTO) {
		/* The agent did not answer in time: its state is unknown, so the session is. */
		snprintf(lost_why, len, "its agent did not answer (%s)", why[0] ? why : ecs_strerror(rc));
		return session_lost(resp, req, v->info.id, lost_why);
	}
	status = response_map_error(rc, &code);
	handler_error(resp, req, status, code, "%s", why[0] ? why : ecs_strerror(rc));
}

void session_exec_run(session_exec_outcome *o, response *resp, handler_info *info, const handler_ctx *ctx,
		      const request *req, const intake_task *t, const session_view *v, ndjson *live,
		      const char *task_id)
{
	ecs_session_exec_spec x = ECS_SESSION_EXEC_INIT;
	ecs_task_result res = ECS_TASK_RESULT_INIT;

	memset(o, 0, sizeof(*o));
	x.cmd = t->body.cmd;
	x.cmd_len = t->body.cmd_len;
	x.env = t->body.env_len ? t->body.env : NULL;
	x.env_len = t->body.env_len;
	x.workdir = t->body.workdir;
	x.stdin_data = t->body.has_stdin ? t->body.stdin_data : NULL;
	x.stdin_len = t->body.has_stdin ? t->body.stdin_len : 0;
	x.timeout_ms = intake_timeout_s(t, ctx->cfg) * 1000L;
	x.stdout_cap = ctx->cfg->stdout_cap;
	x.stderr_cap = ctx->cfg->stderr_cap;
	x.files = t->body.files.files;
	x.files_len = t->body.files.files_len;
	x.artifacts = t->body.files.artifacts;
	x.artifacts_len = t->body.files.artifacts_len;
	x.artifacts_cap = ctx->cfg->artifacts_cap;
	x.cancel = ctx->cancel;
	if (live != NULL) {
		/* the output as it comes, then the result as the last line (ndjson.h) */
		x.on_output = ndjson_output;
		x.on_output_arg = live;
	}
	o->rc = ecs_session_exec(&res, ctx->engine, &v->info, &x);
	info->ran_task = 1;
	snprintf(info->task_id, sizeof(info->task_id), "%s", task_id != NULL ? task_id : v->info.id);
	snprintf(info->container_id, sizeof(info->container_id), "%s", v->info.container_id);
	info->exit_code = res.exit_code;
	info->timed_out = res.timed_out;
	info->timings = res.timings;
	if (o->rc == 0) {
		struct json_object *doc = handler_task_json(&res);

		/* as a task's: artifacts only when asked */
		if (doc != NULL && t->body.files.has_artifacts && handler_task_artifacts(doc, &res) != 0) {
			json_object_put(doc);
			doc = NULL;
		}
		o->doc = doc;
		handler_json(resp, req, 201, doc != NULL ? json_object_get(doc) : NULL);
	} else if (o->rc == ECS_ECANCELED && task_id != NULL && !ecs_cancel_is_triggered(ctx->client_gone) &&
		   task_cancel_requested(ctx->store, task_id)) {
		info->error_phase = "session";
		snprintf(info->error, sizeof(info->error), "canceled");
		/* The same flag says DELETE of the task or of its session (store_cancel_session). */
		handler_error(resp, req, 499, "CANCELED", "the exec was canceled (DELETE /v1.1/tasks/%s, or of its "
			      "session): its command was stopped", task_id);
	} else {
		session_request_failed(resp, info, ctx, req, v, o->rc, res.error, o->lost_why, sizeof(o->lost_why));
		if (resp->status != 410)
			o->lost_why[0] = '\0';
	}
	o->in = x.stdin_len + t->body.files.files_bytes;
	o->out = res.stdout_bytes + res.stderr_bytes;
	for (size_t i = 0; i < res.artifacts_len; i++)
		o->out += res.artifacts[i].content.len;
	ecs_task_result_clear(&res);
}

void session_exec_release(const handler_ctx *ctx, const char *id, session_exec_outcome *o)
{
	session_registry_release(ctx->sessions, id, o->rc == 0, o->in, o->out, o->lost_why[0] ? o->lost_why : NULL);
	json_object_put(o->doc);
	o->doc = NULL;
}
