/*
 * handlers.h - one request from route to response: authentication, the
 * endpoints, and the mapping of libecs errors onto HTTP. Knows nothing of
 * libfcgi (main.c moves bytes), so the tests drive it with plain arrays.
 */
#ifndef ECSFCGI_HANDLERS_H
#define ECSFCGI_HANDLERS_H

#include <ecs/ecs.h>

#include "auth.h"
#include "conf.h"
#include "cred_cache.h"
#include "engine_watch.h"
#include "intake.h"
#include "ndjson.h"
#include "request.h"
#include "response.h"
#include "router.h"

struct json_object;

typedef struct {
	const config *cfg;
	ecs_engine *engine;    /* this worker's; NULL means no engine (503) */
	ecs_reaper *reaper;    /* shared; NULL deletes containers before answering */
	ecs_cancel *cancel;    /* this task's; triggered when its client goes or at the end of the shutdown grace */
	ecs_cancel *client_gone; /* this task's; triggered (with @cancel) when its client went away; may be NULL */
	int workers;           /* pool size, for the metrics */
	cred_cache *creds;     /* shared; credentials the registry accepted lately (NULL: none kept) */
	engine_watch *engine_watch; /* shared; the background engine check the quick health check reads (NULL: none) */
	ecs_pool *pool;        /* shared; the warm pool (warm.h); NULL: every task runs cold */
	const char *channel_dir; /* where the agents of cold tasks connect their direct channels (warm.h); NULL: attach */
	struct session_registry *sessions; /* shared; the open sessions (session_registry.h); NULL: none */
	const char *session_home; /* the name a restarted ecs-fcgi finds its sessions by (session_conf.h) */
	const ndjson_sink *stream; /* this request's live output (Accept: application/x-ndjson); NULL: none */
	struct store *store;   /* shared; the task store (store.h); NULL: none opened (async, keys and polling answer 503) */
	struct async_runner *runner; /* shared; this node's queue runners (async_runner.h); NULL: none */
	struct callback_sender *callbacks; /* shared; the callback deliveries (callback.h); NULL: none */
	struct admission *admission; /* shared; each client's tasks running now, toward max_client_tasks
	                                (admission.h): the workers' and the queue's runners'; NULL: none counted */
} handler_ctx;

/** What happened, for the log line and the metrics. */
typedef struct {
	route_match route;
	auth_result auth;         /* its pointers die with the params: use client */
	char client[256];         /* auth_identity(), copied for the log line */
	char fingerprint[128];    /* SSL_CLIENT_FINGERPRINT of a verified certificate, or "" */
	int ran_task;
	char task_id[72];         /* the task's id: run here, or queued (then ran_task is 0) */
	char labels[512];         /* the body's labels as "k=v,...", for the log line; "" when none */
	char container_id[72];
	int exit_code;
	int timed_out;
	ecs_task_timings timings;
	const char *error_phase;
	char error[512];
} handler_info;

/** What handler_prepare() left to do. */
typedef enum {
	HANDLER_DONE = 0,  /* @resp holds the answer */
	HANDLER_TASK,      /* a task: handler_run() on a task worker, after admission */
	HANDLER_ENGINE     /* other work that talks to the engine (the comprehensive health check) */
} handler_next;

/**
 * handler_prepare - route and authenticate @req and answer everything that
 * needs no engine (the quick health check, _noop, _version, _metrics and
 * every refusal) into @resp (response_init()ed by the caller). Never blocks
 * on the engine: ctx->engine may be NULL here.
 */
handler_next handler_prepare(response *resp, handler_info *info, handler_ctx *ctx, request *req);

/** handler_run - finish what handler_prepare() returned HANDLER_TASK or HANDLER_ENGINE for. */
void handler_run(response *resp, handler_info *info, handler_ctx *ctx, request *req);

/** handler_handle - handler_prepare() then, if needed, handler_run() on the same thread. */
void handler_handle(response *resp, handler_info *info, handler_ctx *ctx, request *req);

/** handler_client_task_limit - max_client_tasks for the client handler_prepare() authenticated. */
int handler_client_task_limit(const handler_ctx *ctx, const handler_info *info);

/** Seconds a refused client is told to wait (Retry-After). */
#define HANDLER_RETRY_AFTER_S 1

typedef enum {
	HANDLER_REFUSE_CLIENT_LIMIT,  /* 429 TOO_MANY_TASKS: the client is at max_client_tasks (@limit) */
	HANDLER_REFUSE_BUSY           /* 503 SERVICE_BUSY: every worker busy and the queue full */
} handler_refusal;

/** handler_refuse - a refused task: the JSON error with a Retry-After header. */
void handler_refuse(response *resp, const request *req, handler_refusal why, int limit);

/** handler_error - the JSON error document (message printf-style, cut to one line) into @resp. */
void handler_error(response *resp, const request *req, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/** handler_json - @o (consumed; NULL: out of memory, a 500) as the JSON body of @status. */
void handler_json(response *resp, const request *req, int status, struct json_object *o);

/** handler_put - add @key: @value to @o; -1 (and @value released) when json-c ran out of memory, or @value is NULL. */
int handler_put(struct json_object *o, const char *key, struct json_object *value);

/** handler_self_link - add {"links": {"self": {"href": the requested URL}}} to @o. 0 or -1 (out of memory). */
int handler_self_link(struct json_object *o, const request *req);

/**
 * handler_stream_end - a streamed answer's end (ndjson_finish()): @doc, the
 * result document (not consumed; rc 0), goes out as the last line without
 * the output the lines carried; a failure (@rc non-zero) as {"error": ...}
 * from @resp, or as @resp itself before the first line.
 */
void handler_stream_end(response *resp, const handler_ctx *ctx, ndjson *nd, int rc, struct json_object *doc);

/** handler_log - the request's log line and metrics, once the response is out. */
void handler_finish(const handler_info *info, const request *req, const response *resp);

/**
 * handler_task_answer - the answer of task @t (admitted by intake.h) from
 * what ecs_task_run() returned (@rc, @res), into @resp: the 201 document or
 * the error document with its status, the one place that builds it, for the
 * client that waits (sync, stream) and for the store (what a poll, a replay
 * and a callback say). Fills @info for the log line. @canceled: the task was
 * stopped by a DELETE of its id (499 CANCELED rather than a shutdown's 503).
 */
void handler_task_answer(response *resp, handler_info *info, const handler_ctx *ctx, const request *req,
			 const intake_task *t, int rc, const ecs_task_result *res, int canceled);

/**
 * handler_task_json - the 201 document of a task result (exitCode, stdout and
 * stderr in base64, the additions). NULL when json-c ran out of memory: never
 * a document with a member missing or null. The caller json_object_put()s it.
 */
struct json_object *handler_task_json(const ecs_task_result *res);

/**
 * handler_task_artifacts - add `"artifacts": [{"path", "content" (base64),
 * "size", "truncated"}]` of @res to @doc (handler_task_json()'s), for a
 * request that asked for artifacts (also when none came back: []).
 * Returns 0, or -1 out of memory (drop @doc: it may hold a partial member).
 */
int handler_task_artifacts(struct json_object *doc, const ecs_task_result *res);

#endif
