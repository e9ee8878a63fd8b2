/*
 * session_handlers.c - the /v1.1/sessions endpoints: create, list, show,
 * delete, exec, and files in and out. See session_handlers.h.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "callback.h"
#include "handlers.h"
#include "intake.h"
#include "log.h"
#include "query.h"
#include "session_exec.h"
#include "session_handlers.h"
#include "task_handlers.h"
#include "task_headers.h"
#include "async_runner.h"
#include "session_registry.h"
#include "store.h"
#include "text.h"

/* Bytes of the files a GET returns: the same cap as a task's artifacts. */
#define GET_CAP ECS_TASK_DEFAULT_ARTIFACTS_CAP

/* "2026-12-07T08:00:00Z" */
static struct json_object *time_json(time_t t)
{
	struct tm tm;
	char s[32];

	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_object_new_string(s);
}

/* The session document: {"sessionId", "state", "image", "createdAt", "expiresAt", ...}. NULL on ENOMEM. */
static struct json_object *session_json(const session_view *v)
{
	struct json_object *o = json_object_new_object();

	if (o == NULL)
		return NULL;
	if (handler_put(o, "sessionId", json_object_new_string(v->info.id)) != 0 ||
	    handler_put(o, "state", json_object_new_string(v->lost ? "lost" : v->busy ? "busy" : "idle")) != 0 ||
	    (v->lost && handler_put(o, "reason", json_object_new_string(v->lost_reason)) != 0) ||
	    handler_put(o, "image", json_object_new_string(v->info.image)) != 0 ||
	    handler_put(o, "createdAt", time_json(v->info.created)) != 0 ||
	    handler_put(o, "lastUsedAt", time_json(v->last_used)) != 0 ||
	    handler_put(o, "expiresAt", time_json(v->info.expires)) != 0 ||
	    handler_put(o, "idleTimeout", json_object_new_int64(v->info.idle_timeout_s)) != 0 ||
	    handler_put(o, "execs", json_object_new_int64((int64_t)v->execs)) != 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* The caller's owner hash: the identity authentication resolved, never stored as it is. */
static int owner_of(char out[ECS_SESSION_HASH_SIZE], const handler_info *info)
{
	return ecs_session_hash(out, info->client);
}

/* An intake refusal as the answer. */
static void refused(response *resp, handler_info *info, const request *req, const intake_refusal *why)
{
	if (why->phase != NULL) {
		info->error_phase = why->phase;
		snprintf(info->error, sizeof(info->error), "%s", why->detail);
	}
	response_set_error(resp, why->status, why->code, why->message, req->request_id);
}

/* A body's idleTimeout or lifetime: its own within the cap, else the default. -1 over the cap. */
static long seconds(long asked, long dflt, long cap)
{
	if (asked == 0)
		return dflt;
	return asked > cap ? -1 : asked;
}

/*
 * gVisor cannot protect the agent's channel from a root task (agent/PROTOCOL.md),
 * and a session has no docker-init fallback: refused up front.
 */
static int runsc_root(const ecs_sandbox_profile *p)
{
	const char *u = p->user;

	if (p->runtime == NULL || strcmp(p->runtime, "runsc") != 0)
		return 0;
	return u == NULL || strcmp(u, "root") == 0 || strcmp(u, "0") == 0 || strncmp(u, "0:", 2) == 0 ||
	       strncmp(u, "root:", 5) == 0;
}

static void handle_create(response *resp, handler_info *info, handler_ctx *ctx, request *req, const char *owner)
{
	const session_conf *sc = &ctx->cfg->sessions;
	intake_deps deps = { ctx->cfg, ctx->engine, ctx->creds, &info->auth, info->client };
	ecs_session_spec spec = ECS_SESSION_SPEC_INIT;
	ecs_session_info s;
	intake_refusal why;
	intake_task t;
	session_status st;
	session_view v;
	char err[512], loc[128];
	long idle, life;
	int rc;

	if (intake_take_kind(&t, &why, &deps, req, TASK_BODY_SESSION) != 0)
		return refused(resp, info, req, &why);
	idle = seconds(t.body.idle_timeout_s, sc->idle_timeout_s, sc->max_idle_timeout_s);
	life = seconds(t.body.lifetime_s, sc->lifetime_s, sc->max_lifetime_s);
	if (idle < 0 || life < 0) {
		handler_error(resp, req, 400, "BAD_REQUEST_BODY", "%s is over this service's cap of %ld seconds",
			      idle < 0 ? "idleTimeout" : "lifetime", idle < 0 ? sc->max_idle_timeout_s : sc->max_lifetime_s);
		goto out;
	}
	if (runsc_root(&t.profile)) {
		handler_error(resp, req, 400, "BAD_REQUEST_BODY", "a session under runtime runsc needs a user other than "
			      "root (set \"user\"): gVisor cannot protect the agent from a root task");
		goto out;
	}
	st = session_registry_reserve(ctx->sessions, owner, sc->max_client, sc->max_total);
	if (st == SESSION_CLIENT_CAP || st == SESSION_TOTAL_CAP) {
		response_add_header(resp, "Retry-After", "1");
		if (st == SESSION_CLIENT_CAP)
			handler_error(resp, req, 429, "TOO_MANY_SESSIONS", "this client has %u open session(s), its "
				      "limit; delete one first", sc->max_client);
		else
			handler_error(resp, req, 429, "TOO_MANY_SESSIONS", "this service holds %u open sessions, its "
				      "limit; retry later", sc->max_total);
		goto out;
	}
	if (st != SESSION_FOUND) {
		handler_error(resp, req, 500, "INTERNAL_ERROR", "out of memory");
		goto out;
	}
	spec.image = t.body.image;
	spec.image_ref = &t.body.ref;
	spec.env = t.body.env_len ? t.body.env : NULL;
	spec.env_len = t.body.env_len;
	spec.auth = t.body.has_creds ? &t.body.creds : NULL;
	spec.profile = &t.profile;
	spec.pull_policy = (ecs_pull_policy)ctx->cfg->pull_policy;
	spec.pull_timeout_ms = ctx->cfg->pull_timeout_s * 1000L;
	spec.owner = info->client;
	spec.home = ctx->session_home;
	spec.idle_timeout_s = idle;
	spec.lifetime_s = life;
	spec.agent_path = ctx->cfg->pool.agent;
	rc = ecs_session_create(&s, ctx->engine, &spec, err, sizeof(err));
	if (rc != 0) {
		const char *code;
		int status = response_map_error(rc, &code);
		char q[144];

		session_registry_unreserve(ctx->sessions, owner);
		info->error_phase = "session";
		snprintf(info->error, sizeof(info->error), "%s", err);
		if (rc == ECS_ENOTFOUND)
			handler_error(resp, req, status, code, "image '%s' not found", text_quote(q, sizeof(q), t.body.image, 128));
		else
			handler_error(resp, req, status, code, "%s", err);
		goto out;
	}
	snprintf(info->task_id, sizeof(info->task_id), "%s", s.id);
	snprintf(info->container_id, sizeof(info->container_id), "%s", s.container_id);
	snprintf(loc, sizeof(loc), "/v1.1/sessions/%s", s.id);
	memset(&v, 0, sizeof(v));
	v.info = s;
	v.last_used = s.created;
	{
		struct json_object *o = session_json(&v);

		if (session_registry_add(ctx->sessions, &s, 1, NULL) != 0) {
			/* nobody could reach it: end it now */
			ecs_session_delete(ctx->engine, ctx->reaper, &s);
			ecs_session_info_clear(&s);
			session_registry_unreserve(ctx->sessions, owner);
			json_object_put(o);
			handler_error(resp, req, 500, "INTERNAL_ERROR", "out of memory");
			goto out;
		}
		response_add_header(resp, "Location", loc);
		handler_json(resp, req, 201, o);
	}
out:
	intake_clear(&t);
}

static void handle_list(response *resp, handler_ctx *ctx, const request *req, const char *owner)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();
	session_view *v = NULL;
	size_t n = 0;

	if (o == NULL || a == NULL || session_registry_list(ctx->sessions, owner, &v, &n) != 0) {
		json_object_put(o);
		json_object_put(a);
		return handler_json(resp, req, 500, NULL);
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *s = session_json(&v[i]);

		if (s == NULL || json_object_array_add(a, s) != 0) {
			json_object_put(s);
			json_object_put(a);
			a = NULL;
			break;
		}
	}
	session_views_free(v, n);
	if (a == NULL || handler_put(o, "sessions", a) != 0) {
		json_object_put(o);
		o = NULL;
	}
	handler_json(resp, req, 200, o);
}

static void handle_show(response *resp, handler_ctx *ctx, const request *req, const char *id, const char *owner)
{
	session_view v;
	session_status st = session_registry_view(ctx->sessions, id, owner, &v);

	if (st == SESSION_NOT_FOUND)
		return session_not_found(resp, req, id);
	if (st != SESSION_FOUND)
		return handler_json(resp, req, 500, NULL);
	/* A container that died shows as lost (an OOM, an engine restart) without waiting for a request. */
	if (!v.lost && !v.busy && ctx->engine != NULL) {
		char why[256];
		int rc = ecs_session_check(ctx->engine, &v.info, why, sizeof(why));

		if (rc == ECS_EUNAVAILABLE || rc == ECS_ENOTFOUND) {
			session_view held;

			if (session_registry_acquire(ctx->sessions, id, owner, &held) == SESSION_FOUND)
				session_registry_release(ctx->sessions, id, 0, 0, 0, why);
			session_view_clear(&held);
			v.lost = 1;
			snprintf(v.lost_reason, sizeof(v.lost_reason), "%s", why);
		}
	}
	handler_json(resp, req, 200, session_json(&v));
	session_view_clear(&v);
}

/*
 * The session is gone by its client's hand: its queued execs are canceled
 * (their document says why), not left to fail one by one. A store error
 * only logs: each then ends failed, SESSION_NOT_FOUND, when it comes up.
 */
static void cancel_queued(const handler_ctx *ctx, const request *req, const char *id)
{
	char msg[320], err[256];
	char *doc;
	long n;

	if (ctx->store == NULL)
		return;
	snprintf(msg, sizeof(msg), "the exec was canceled before it ran: its session '%s' was deleted "
		 "(DELETE /v1.1/sessions/%s)", id, id);
	doc = response_error_document(499, "CANCELED", msg, req->request_id);
	n = doc != NULL ? store_cancel_session(ctx->store, id, doc, err, sizeof(err)) : STORE_ERROR;
	if (doc == NULL)
		snprintf(err, sizeof(err), "out of memory");
	if (n < 0)
		log_msg(LOG_LEVEL_ERROR, "session", "session %s: its queued execs were not canceled: %s", id, err);
	else if (n > 0)
		callback_sender_wake(ctx->callbacks);
	free(doc);
}

static void handle_delete(response *resp, handler_ctx *ctx, const request *req, const char *id, const char *owner)
{
	ecs_session_info s;

	if (session_registry_remove(ctx->sessions, id, owner, &s) != SESSION_FOUND)
		return session_not_found(resp, req, id);
	if (ctx->engine != NULL)
		ecs_session_delete(ctx->engine, ctx->reaper, &s);
	ecs_session_info_clear(&s);
	cancel_queued(ctx, req, id);
	response_set_body(resp, 204, NULL, NULL, 0);
}

/*
 * Prefer: respond-async: the same refusals as a synchronous exec before
 * anything is queued (404 for another client's session, 410, the body's,
 * the key's), then the exec is queued, pinned to this node (the session
 * lives here), and answered 202. It runs when a runner takes it and the
 * session is free (async_runner.c).
 */
static void queue_exec(response *resp, handler_info *info, handler_ctx *ctx, request *req, const char *id,
		       const char *owner, task_submit_how *how)
{
	intake_deps deps = { ctx->cfg, ctx->engine, ctx->creds, &info->auth, info->client };
	intake_refusal why;
	intake_task t;
	session_view v;
	session_status st = session_registry_view(ctx->sessions, id, owner, &v);
	char tid[65] = "";
	int recorded = 0, lost_now = st == SESSION_FOUND && v.lost;

	if (st == SESSION_NOT_FOUND)
		session_not_found(resp, req, id);
	else if (lost_now)
		session_lost(resp, req, id, v.lost_reason);
	else if (st != SESSION_FOUND)
		handler_json(resp, req, 500, NULL);
	session_view_clear(&v);
	if (st != SESSION_FOUND || lost_now)
		return;
	if (intake_take_exec(&t, &why, &deps, req) != 0)
		return refused(resp, info, req, &why);
	how->async = 1;
	/* (async: it answers the 202 itself) */
	(void)task_submit(resp, info, ctx, req, &t, how, tid, &recorded);
	intake_clear(&t);
}

static void handle_exec(response *resp, handler_info *info, handler_ctx *ctx, request *req, const char *id,
			const char *owner)
{
	intake_deps deps = { ctx->cfg, ctx->engine, ctx->creds, &info->auth, info->client };
	intake_refusal why;
	intake_task t;
	session_view v;
	session_exec_outcome o;
	ndjson nd;
	int live = ctx->stream != NULL && ndjson_wanted(request_param(req->envp, "HTTP_ACCEPT"));
	int recorded = 0, tracked = 0;
	task_submit_how how = { "exec", NULL, NULL, 0, 0, 0, NULL };
	char path[96], tid[65] = "";

	/* An Idempotency-Key (or a callback, or Prefer: respond-async) records the exec, pinned to this node. */
	snprintf(path, sizeof(path), "/v1.1/sessions/%s/exec", id);
	how.session_id = id;
	how.path = path;
	if (task_headers_respond_async(request_param(req->envp, "HTTP_PREFER")))
		return queue_exec(resp, info, ctx, req, id, owner, &how);
	if (session_hold(resp, ctx, req, id, owner, &v) != SESSION_FOUND)
		return;
	if (intake_take_exec(&t, &why, &deps, req) != 0) {
		refused(resp, info, req, &why);
		session_registry_release(ctx->sessions, id, 0, 0, 0, NULL);
		session_view_clear(&v);
		return;
	}
	/* A replay is answered, never run again. */
	if (task_submit(resp, info, ctx, req, &t, &how, tid, &recorded) != 0) {
		session_registry_release(ctx->sessions, id, 0, 0, 0, NULL);
		intake_clear(&t);
		session_view_clear(&v);
		return;
	}
	if (live)
		ndjson_init(&nd, ctx->stream, req->request_id);
	/* recorded: a DELETE of its id stops it, as a task's */
	if (recorded && ctx->runner != NULL)
		tracked = async_runner_track(ctx->runner, tid, ctx->cancel) == 0;
	session_exec_run(&o, resp, info, ctx, req, &t, &v, live ? &nd : NULL, recorded ? tid : NULL);
	if (tracked)
		async_runner_untrack(ctx->runner, tid);
	snprintf(info->task_id, sizeof(info->task_id), "%s", id);
	if (recorded)
		task_record_end(ctx, &t, tid, resp);
	if (live)
		handler_stream_end(resp, ctx, &nd, o.doc != NULL ? o.rc : ECS_ENOMEM, o.doc);
	session_exec_release(ctx, id, &o);
	intake_clear(&t);
	session_view_clear(&v);
}

/*
 * The file path of a files route: decoded, absolute, no empty, "." or ".."
 * component (the agent refuses them too, and symlinks; this answers
 * before a byte is read). 0 with *@out (free()), or -1 answered.
 */
static int file_path(char **out, response *resp, const request *req, const char *tail)
{
	char q[280];
	char *p = NULL;
	int rc = query_decode_path(&p, tail);

	*out = NULL;
	if (rc == -2) {
		handler_json(resp, req, 500, NULL);
		return -1;
	}
	if (rc == 0 && strlen(p) <= ECS_TASK_MAX_PATH && p[0] == '/') {
		const char *c = p + 1;

		for (;;) {
			size_t n = strcspn(c, "/");

			if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
				break;
			if (c[n] == '\0') {
				*out = p;
				return 0;
			}
			c += n + 1;
		}
	}
	handler_error(resp, req, 400, "PATH_REFUSED", "path '%s' refused: it must be absolute, without empty, '.' or "
		      "'..' components", text_quote(q, sizeof(q), p != NULL ? p : tail, 256));
	free(p);
	return -1;
}

/* The media type of a PUT: 1 a tar into a directory, 0 a file's bytes, -1 neither. */
static int put_kind(const request *req)
{
	const char *ct = request_param(req->envp, "CONTENT_TYPE");
	size_t n;

	if (ct == NULL)
		return -1;
	n = strcspn(ct, "; ");
	if (n == strlen("application/x-tar") && strncasecmp(ct, "application/x-tar", n) == 0)
		return 1;
	if (n == strlen("application/octet-stream") && strncasecmp(ct, "application/octet-stream", n) == 0)
		return 0;
	return -1;
}

static void handle_files(response *resp, handler_info *info, handler_ctx *ctx, request *req, const char *id,
			 const char *owner)
{
	size_t limit = ctx->cfg->sessions.files_body_limit;
	int is_put = strcmp(req->method, "PUT") == 0, is_tar = 0, rc;
	char why[512] = "", lost_why[256] = "";
	ecs_buffer got = { 0 };
	uint64_t in = 0, out = 0;
	session_view v;
	char *path = NULL;

	if (file_path(&path, resp, req, info->route.tail) != 0)
		return;
	if (is_put) {
		long long cl = request_content_length(req);

		is_tar = put_kind(req);
		if (is_tar < 0) {
			handler_error(resp, req, 415, "UNSUPPORTED_MEDIA_TYPE", "the body must be application/octet-stream "
				      "(a file's bytes) or application/x-tar (unpacked into the directory)");
			goto out;
		}
		if (cl > (long long)limit) {
			handler_error(resp, req, 413, "PAYLOAD_TOO_LARGE", "the body is %lld bytes; the limit is %zu", cl, limit);
			goto out;
		}
	}
	if (session_hold(resp, ctx, req, id, owner, &v) != SESSION_FOUND)
		goto out;
	if (is_put) {
		rc = request_read_body(req, limit);
		if (rc == 1)
			handler_error(resp, req, 413, "PAYLOAD_TOO_LARGE", "the body is over the limit of %zu bytes", limit);
		else if (rc != 0)
			handler_error(resp, req, 400, "BAD_REQUEST", "the body could not be read");
		if (rc == 0) {
			rc = ecs_session_put(ctx->engine, &v.info, path, req->body, req->body_len, is_tar, why, sizeof(why));
			in = req->body_len;
			if (rc == 0)
				response_set_body(resp, 204, NULL, NULL, 0);
			else
				session_request_failed(resp, info, ctx, req, &v, rc,
						       why[0] ? why : ecs_engine_errmsg(ctx->engine), lost_why, sizeof(lost_why));
		}
	} else {
		int is_dir = 0;

		rc = ecs_session_get(&got, &is_dir, ctx->engine, &v.info, path, GET_CAP, why, sizeof(why));
		if (rc == 0) {
			out = got.len;
			if (got.truncated)
				response_add_header(resp, "X-Ecs-Truncated", "true");
			response_set_body(resp, 200, is_dir ? "application/x-tar" : "application/octet-stream",
					  (char *)got.data, got.len);
			got.data = NULL;
		} else {
			session_request_failed(resp, info, ctx, req, &v, rc, why[0] ? why : ecs_engine_errmsg(ctx->engine),
					       lost_why, sizeof(lost_why));
		}
	}
	session_registry_release(ctx->sessions, id, 0, in, out, resp->status == 410 ? lost_why : NULL);
	session_view_clear(&v);
out:
	ecs_buffer_clear(&got);
	free(path);
}

int session_route(route_id id)
{
	return id == ROUTE_SESSIONS || id == ROUTE_SESSION || id == ROUTE_SESSION_EXEC || id == ROUTE_SESSION_FILES;
}

void session_handle(response *resp, handler_info *info, handler_ctx *ctx, request *req)
{
	char owner[ECS_SESSION_HASH_SIZE];
	const char *id = info->route.param;
	int get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;

	if (owner_of(owner, info) != 0)
		return handler_json(resp, req, 500, NULL);
	if (ctx->engine == NULL && !(info->route.id == ROUTE_SESSIONS && get)) {
		handler_error(resp, req, 503, "ENGINE_UNAVAILABLE", "no engine");
		return;
	}
	switch (info->route.id) {
	case ROUTE_SESSIONS:
		if (get)
			handle_list(resp, ctx, req, owner);
		else
			handle_create(resp, info, ctx, req, owner);
		break;
	case ROUTE_SESSION:
		if (get)
			handle_show(resp, ctx, req, id, owner);
		else
			handle_delete(resp, ctx, req, id, owner);
		break;
	case ROUTE_SESSION_EXEC:
		handle_exec(resp, info, ctx, req, id, owner);
		break;
	case ROUTE_SESSION_FILES:
		handle_files(resp, info, ctx, req, id, owner);
		break;
	default:
		handler_json(resp, req, 500, NULL);
	}
}
