/* handlers.c - the v1.1 endpoints. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "handlers.h"
#include "warm.h"
#include "health.h"
#include "intake.h"
#include "log.h"
#include "metrics.h"
#include "query.h"
#include "session_metrics.h"
#include "task_handlers.h"
#include "task_headers.h"
#include "task_metrics.h"
#include "callback.h"
#include "text.h"

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
		return handler_error(resp, req, 500, "INTERNAL_ERROR", "out of memory");
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
		return handler_error(resp, req, 500, "INTERNAL_ERROR", "out of memory");
	/* The background check's last result: a read, never a request to the engine. */
	engine_watch_get(&ews, ctx->engine_watch);
	if (!quick) {
		struct json_object *details = health_details(&green, ctx->engine, ctx->cfg);

		if (details == NULL) {
			json_object_put(o);
			return handler_error(resp, req, 500, "INTERNAL_ERROR", "out of memory");
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
		return handler_error(resp, req, 500, "INTERNAL_ERROR", "out of memory");
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
		return handler_error(resp, req, 500, "INTERNAL_ERROR", "out of memory");
	more = warm_metrics_render(&plen, ctx->pool);
	if (append_text(&text, &len, more, plen) != 0)
		return handler_error(resp, req, 500, "INTERNAL_ERROR", "out of memory");
	more = metrics_render_engine_check(&elen, &ews);
	if (append_text(&text, &len, more, elen) != 0)
		return handler_error(resp, req, 500, "INTERNAL_ERROR", "out of memory");
	more = session_metrics_render(&elen, ctx->sessions);
	if (append_text(&text, &len, more, elen) != 0)
		return handler_error(resp, req, 500, "INTERNAL_ERROR", "out of memory");
	more = task_metrics_render(&elen, ctx->store);
	if (append_text(&text, &len, more, elen) != 0)
		return handler_error(resp, req, 500, "INTERNAL_ERROR", "out of memory");
	more = callback_metrics_render(&elen, ctx->callbacks);
	if (append_text(&text, &len, more, elen) != 0)
		return handler_error(resp, req, 500, "INTERNAL_ERROR", "out of memory");
	response_set_body(resp, 200, METRICS_CONTENT_TYPE, text, len);
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

/*
 * A submission with Prefer: respond-async runs nothing now: it is not one
 * of the client's max_client_tasks (max_client_queued caps its queued
 * ones); the runner counts it when it runs. It still takes a task worker
 * (its intake may ask the engine about a private image).
 */
static handler_next queued_or_run(const request *req)
{
	return task_headers_respond_async(request_param(req->envp, "HTTP_PREFER")) ? HANDLER_ENGINE : HANDLER_TASK;
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
			return queued_or_run(req);
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
		return info->route.id == ROUTE_SESSION_EXEC ? queued_or_run(req) : HANDLER_TASK;
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
