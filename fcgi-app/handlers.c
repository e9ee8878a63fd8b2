/* handlers.c - the v1.1 endpoints. */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "base64.h"
#include "handlers.h"
#include "warm.h"
#include "health.h"
#include "intake.h"
#include "log.h"
#include "metrics.h"
#include "query.h"
#include "session_metrics.h"
#include "task_handlers.h"
#include "task_metrics.h"
#include "callback.h"
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

static void handle_noop(response *resp, const request *req)
{
	struct json_object *o = json_object_new_object();

	if (o != NULL && handler_self_link(o, req) != 0) {
		json_object_put(o);
		o = NULL;
	}
	handler_json(resp, req, 200, o);
}

static void handle_version(response *resp, const request *req)
{
	struct json_object *o = json_object_new_object();

	if (o != NULL) {
		json_object_object_add(o, "version", json_object_new_string(PACKAGE_VERSION));
		if (handler_self_link(o, req) != 0) {
			json_object_put(o);
			o = NULL;
		}
	}
	handler_json(resp, req, 200, o);
}

static void handle_health(response *resp, handler_ctx *ctx, const request *req)
{
	char *v = NULL;
	int quick = 1, rc, green = 1;
	struct json_object *o;
	engine_watch_state ews;

	rc = query_get(&v, req->query, "quick");
	if (rc == -2)
		return oom(resp, req);
	if (rc == -1)
		return handler_error(resp, req, 400, "BAD_QUERY_PARAMETER", "the query string is malformed");
	if (rc == 1 && query_parse_bool(&quick, v) != 0) {
		char q[80];

		handler_error(resp, req, 400, "BAD_QUERY_PARAMETER", "quick must be true or false, not '%s'",
				text_quote(q, sizeof(q), v, 64));
		free(v);
		return;
	}
	free(v);
	o = json_object_new_object();
	if (o == NULL)
		return oom(resp, req);
	/* The background check's last result: a read, never a request to the engine. */
	engine_watch_get(&ews, ctx->engine_watch);
	if (!quick) {
		struct json_object *details = health_details(&green, ctx->engine, ctx->cfg);

		if (details == NULL) {
			json_object_put(o);
			return oom(resp, req);
		}
		/* A store that does not answer makes the node red: its queue and polls are down. */
		json_object_object_add(details, "store", task_metrics_health(&green, ctx->store));
		json_object_object_add(o, "status", json_object_new_string(green ? "green" : "red"));
		json_object_object_add(details, "pool", warm_health(ctx->pool));
		if (ews.enabled)
			json_object_object_add(details, "engineCheck", health_engine_check(&ews));
		json_object_object_add(o, "details", details);
	} else {
		/* Red once the engine failed its last background check, so a
		 * balancer's probe takes this node out of rotation. */
		green = engine_watch_healthy(&ews);
		json_object_object_add(o, "status", json_object_new_string(green ? "green" : "red"));
		if (!green) {
			char reason[512];

			health_quick_reason(reason, sizeof(reason), &ews);
			text_cut(reason);
			json_object_object_add(o, "reason", json_object_new_string(reason));
		}
	}
	if (handler_self_link(o, req) != 0) {
		json_object_put(o);
		return oom(resp, req);
	}
	handler_json(resp, req, green ? 200 : 503, o);
}

/* Append @more (consumed; @more_len bytes, NUL-terminated) to *text (*len bytes). -1, *text freed, when out of memory. */
static int append_text(char **text, size_t *len, char *more, size_t more_len)
{
	char *both = more != NULL ? realloc(*text, *len + more_len + 1) : NULL;

	if (both == NULL) {
		free(more);
		free(*text);
		*text = NULL;
		return -1;
	}
	memcpy(both + *len, more, more_len + 1);
	free(more);
	*text = both;
	*len += more_len;
	return 0;
}

static void handle_metrics(response *resp, handler_ctx *ctx, const request *req)
{
	ecs_reaper_stats rs;
	engine_watch_state ews;
	size_t len = 0, plen = 0, elen = 0;
	char *text, *more;

	if (ctx->reaper != NULL)
		ecs_reaper_stats_get(&rs, ctx->reaper);
	engine_watch_get(&ews, ctx->engine_watch);
	text = metrics_render(&len, ctx->reaper ? &rs : NULL, ctx->workers);
	if (text == NULL)
		return oom(resp, req);
	more = warm_metrics_render(&plen, ctx->pool);
	if (append_text(&text, &len, more, plen) != 0)
		return oom(resp, req);
	more = metrics_render_engine_check(&elen, &ews);
	if (append_text(&text, &len, more, elen) != 0)
		return oom(resp, req);
	more = session_metrics_render(&elen, ctx->sessions);
	if (append_text(&text, &len, more, elen) != 0)
		return oom(resp, req);
	more = task_metrics_render(&elen, ctx->store);
	if (append_text(&text, &len, more, elen) != 0)
		return oom(resp, req);
	more = callback_metrics_render(&elen, ctx->callbacks);
	if (append_text(&text, &len, more, elen) != 0)
		return oom(resp, req);
	response_set_body(resp, 200, METRICS_CONTENT_TYPE, text, len);
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

static int add_timings(struct json_object *o, const ecs_task_timings *tm)
{
	struct json_object *t = json_object_new_object();

	if (t == NULL)
		return -1;
	if (add_ms(t, "pull", tm->pull) != 0 || add_ms(t, "create", tm->create) != 0 ||
			add_ms(t, "start", tm->start) != 0 || add_ms(t, "run", tm->run) != 0 ||
			add_ms(t, "logs", tm->logs) != 0 || add_ms(t, "total", tm->total) != 0) {
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
			add_timings(o, &res->timings) != 0) {
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

/*
 * nginx's plain-HTTP health listener (nginx-conf/ecs.conf.template) sets the
 * FastCGI param ECS_TRUSTED_PROBE=1 so a load balancer can ask for the quick
 * health check without credentials. Clients cannot set FastCGI params (their
 * headers arrive as HTTP_*), and the exception covers nothing else: not the
 * comprehensive check, which reaches the engine, nor any other endpoint.
 */
static int trusted_probe(const config *cfg, const handler_info *info, const request *req)
{
	const char *p = request_param(req->envp, "ECS_TRUSTED_PROBE");
	char *v = NULL;
	int quick = 1, rc;

	if (!cfg->trusted_probe || p == NULL || strcmp(p, "1") != 0)
		return 0;
	if (info->route.id != ROUTE_HEALTH || !info->route.method_allowed)
		return 0;
	rc = query_get(&v, req->query, "quick");
	if (rc == 1 && query_parse_bool(&quick, v) != 0)
		quick = 0;
	free(v);
	return rc >= 0 && quick;
}

handler_next handler_prepare(response *resp, handler_info *info, handler_ctx *ctx, request *req)
{
	char q[216];

	memset(info, 0, sizeof(*info));
	info->exit_code = -1;
	router_match(&info->route, req->method, req->path);
	/* Authenticate before anything else, unknown paths included: an
	 * anonymous caller learns nothing about what exists. */
	auth_check(&info->auth, ctx->cfg, req->envp);
	if (info->auth.status != 0 && trusted_probe(ctx->cfg, info, req)) {
		info->auth.status = 0;
		info->auth.user = "load-balancer-probe";
	}
	snprintf(info->client, sizeof(info->client), "%s", auth_identity(&info->auth));
	snprintf(info->fingerprint, sizeof(info->fingerprint), "%s",
			info->auth.fingerprint ? info->auth.fingerprint : "");
	if (info->auth.status != 0) {
		if (info->auth.basic_challenge)
			response_add_header(resp, "WWW-Authenticate", "Basic realm=\"ecs\"");
		handler_error(resp, req, info->auth.status, info->auth.code, "%s", info->auth.message);
		return HANDLER_DONE;
	}
	if (info->route.id == ROUTE_NONE) {
		handler_error(resp, req, 404, "NOT_FOUND", "no resource at '%s'", text_quote(q, sizeof(q), req->path, 200));
		return HANDLER_DONE;
	}
	if (!info->route.method_allowed) {
		response_add_header(resp, "Allow", info->route.allow);
		handler_error(resp, req, 405, "METHOD_NOT_ALLOWED", "%s is not allowed here; use %s",
				text_quote(q, sizeof(q), req->method, 16), info->route.allow);
		return HANDLER_DONE;
	}
	switch (info->route.id) {
	case ROUTE_TASKS:
		if (strcmp(req->method, "POST") == 0)
			return HANDLER_TASK;
		/* A listing only reads the store: answered here, never behind tasks. */
		task_handle_list(resp, info, ctx, req);
		return HANDLER_DONE;
	case ROUTE_TASK:
		if (strcmp(req->method, "DELETE") == 0)
			return HANDLER_ENGINE;  /* a task worker: it waits for the task to end, bounded */
		task_handle_get(resp, info, ctx, req);
		return HANDLER_DONE;
	case ROUTE_VERSION:
		handle_version(resp, req);
		return HANDLER_DONE;
	case ROUTE_NOOP:
		handle_noop(resp, req);
		return HANDLER_DONE;
	case ROUTE_HEALTH: {
		/* The quick check never touches the engine: answered here. */
		char *v = NULL;
		int quick = 1, rc = query_get(&v, req->query, "quick");

		if (rc == 1 && query_parse_bool(&quick, v) != 0)
			quick = 1;  /* handle_health answers the 400 */
		free(v);
		if (rc >= 0 && !quick)
			return HANDLER_ENGINE;
		handle_health(resp, ctx, req);
		return HANDLER_DONE;
	}
	case ROUTE_METRICS:
		handle_metrics(resp, ctx, req);
		return HANDLER_DONE;
	case ROUTE_SESSIONS:
	case ROUTE_SESSION:
	case ROUTE_SESSION_EXEC:
	case ROUTE_SESSION_FILES:
		/* session_handle() (session_handlers.h) answers them on a task worker */
		if (ctx->cfg->backend == ECS_TASK_BACKEND_SWARM || ctx->sessions == NULL) {
			handler_error(resp, req, 501, "NOT_IMPLEMENTED", "sessions run on the local engine only; this "
				      "service runs tasks on a Swarm (backend = swarm), where sessions are not supported");
			return HANDLER_DONE;
		}
		return HANDLER_TASK;
	default:
		handler_error(resp, req, 404, "NOT_FOUND", "no resource at '%s'", text_quote(q, sizeof(q), req->path, 200));
		return HANDLER_DONE;
	}
}

void handler_run(response *resp, handler_info *info, handler_ctx *ctx, request *req)
{
	if (info->route.id == ROUTE_TASKS)
		task_handle_post(resp, info, ctx, req);
	else if (info->route.id == ROUTE_TASK)
		task_handle_delete(resp, info, ctx, req);
	else
		handle_health(resp, ctx, req);
}

void handler_handle(response *resp, handler_info *info, handler_ctx *ctx, request *req)
{
	if (handler_prepare(resp, info, ctx, req) != HANDLER_DONE)
		handler_run(resp, info, ctx, req);
}

int handler_client_task_limit(const handler_ctx *ctx, const handler_info *info)
{
	const client_rule *rule = config_find_client(ctx->cfg, info->auth.subject, info->auth.user);

	return config_client_task_limit(ctx->cfg, rule);
}

void handler_refuse(response *resp, const request *req, handler_refusal why, int limit)
{
	char secs[16];

	snprintf(secs, sizeof(secs), "%d", HANDLER_RETRY_AFTER_S);
	response_add_header(resp, "Retry-After", secs);
	if (why == HANDLER_REFUSE_CLIENT_LIMIT)
		handler_error(resp, req, 429, "TOO_MANY_TASKS",
				"limit max_client_tasks: this client already has %d task(s) running; retry when one has finished", limit);
	else
		handler_error(resp, req, 503, "SERVICE_BUSY",
				"every worker is busy and the queue is full; retry later");
}

void handler_finish(const handler_info *info, const request *req, const response *resp)
{
	log_level lvl = resp->status >= 500 ? LOG_LEVEL_ERROR : LOG_LEVEL_INFO;
	log_line l;

	metrics_count_request(info->route.id, resp->status);
	if (!log_enabled(lvl))
		return;
	log_begin(&l, lvl, "request");
	log_kv(&l, "request_id", req->request_id);
	log_kv(&l, "client", info->client);
	if (info->fingerprint[0] != '\0')
		log_kv(&l, "fingerprint", info->fingerprint);
	log_kv(&l, "method", req->method);
	log_kv(&l, "path", req->path);
	log_kvf(&l, "status", "%d", resp->status);
	if (resp->code != NULL)
		log_kv(&l, "code", resp->code);
	log_kvf(&l, "duration_ms", "%.1f", request_elapsed_ms(req));
	if (info->labels[0] != '\0')
		log_kv(&l, "labels", info->labels);
	if (!info->ran_task && info->task_id[0] != '\0')
		log_kv(&l, "task_id", info->task_id);  /* queued, replayed or refused by the store */
	if (info->ran_task) {
		log_kv(&l, "task_id", info->task_id);
		log_kv(&l, "container_id", info->container_id);
		log_kvf(&l, "exit_code", "%d", info->exit_code);
		if (info->timed_out)
			log_kv(&l, "timed_out", "true");
		log_kvf(&l, "phases_ms", "pull:%.1f,create:%.1f,start:%.1f,run:%.1f,logs:%.1f,total:%.1f",
				info->timings.pull, info->timings.create, info->timings.start,
				info->timings.run, info->timings.logs, info->timings.total);
		if (info->error_phase != NULL) {
			log_kv(&l, "error_phase", info->error_phase);
			log_kv(&l, "error", info->error);
		}
	}
	log_emit(&l, lvl);
}
