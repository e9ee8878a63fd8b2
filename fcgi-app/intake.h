/*
 * intake.h - a task request, taken in once: POST /v1.1/tasks becomes either
 * an admitted task or a typed refusal, in one pass with one convention.
 *
 * In order: the body's length and type, the body read and validated
 * (task_body.h: the image reference is parsed there, once), the network,
 * the [ecs] caps, no image ids, the client's image patterns (auth.h), the
 * client's caps, the callback URL (callback_check()), the registry lists
 * and, for a private registry, the
 * caller's credentials (private_image.h: the one round trip to the
 * engine), the engine's presence, the sandbox profile (sandbox.h), then
 * the paths of files and artifacts against its writable mounts
 * (task_files.h).
 * Nothing after it parses the image string again: the patterns and the
 * registry lists were parsed at load, and the request's reference is
 * matched in its parsed parts.
 *
 * Not to be confused with admission.h, which counts each client's tasks in
 * flight (max_client_tasks) before a task reaches a worker.
 */
#ifndef ECSFCGI_INTAKE_H
#define ECSFCGI_INTAKE_H

#include <ecs/ecs.h>

#include "auth.h"
#include "conf.h"
#include "cred_cache.h"
#include "image_match.h"
#include "request.h"
#include "task_body.h"

/** What intake needs from the handler's context: shared, only read (but @creds, which is thread-safe). */
typedef struct {
	const config *cfg;
	ecs_engine *engine;       /* NULL: no engine (503 once everything else passed) */
	cred_cache *creds;        /* may be NULL */
	const auth_result *auth;  /* who is calling (auth_check()) */
	const char *client;       /* auth_identity(), the credentials cache's key */
} intake_deps;

/** A task that passed every check; intake_clear() frees it. */
typedef struct {
	task_body body;               /* the validated body (owns its strings and the parsed reference) */
	image_parts image;            /* body.ref in its normalised parts; empty for an id (refused) */
	const client_rule *rule;      /* the caller's [client] section, NULL when none */
	limit_caps caps;              /* the limits that apply to this client */
	ecs_sandbox_profile profile;  /* merged: the operator's allowance narrowed by the body (points into cfg and body) */
} intake_task;

/** Why a request was not admitted: the JSON error to answer, and what to log. */
typedef struct {
	int status;                   /* HTTP status */
	const char *code;             /* the error code (static) */
	char message[512];            /* for the client */
	const char *phase;            /* "authorize" when the engine was asked; NULL otherwise */
	char detail[512];             /* the engine's message when @phase is set, for the log */
} intake_refusal;

/**
 * intake_take - read and judge the task request @req (its body is read
 * here) for the caller in @deps.
 * Returns 0 with @out admitted (free with intake_clear()), or -1 with
 * @why filled (@out cleared; out of memory is a refusal too: 500).
 * May block on the engine (the credentials check): call it on a task worker.
 */
int intake_take(intake_task *out, intake_refusal *why, const intake_deps *deps, request *req);

/**
 * intake_take_kind - intake_take() of a body of @kind: TASK_BODY_SESSION
 * (POST /v1.1/sessions) is admitted as a task is (image, client patterns,
 * caps, registry, profile), without a command.
 */
int intake_take_kind(intake_task *out, intake_refusal *why, const intake_deps *deps, request *req,
		     task_body_kind kind);

/**
 * intake_take_stored - intake_take() of a body of @kind (TASK_BODY_TASK,
 * or TASK_BODY_EXEC as intake_take_exec() judges it) kept in the store
 * (@len bytes of @body, as the client sent them): the queue's runner admits
 * a queued task or exec again, for the client in @deps, when it runs it,
 * so a configuration changed meanwhile applies. Returns 0 or -1 with @why,
 * as intake_take().
 */
int intake_take_stored(intake_task *out, intake_refusal *why, const intake_deps *deps, task_body_kind kind,
		       const char *body, size_t len);

/**
 * intake_take_exec - the body of an exec in a session (TASK_BODY_EXEC),
 * read and judged against the [ecs] and the client's caps (its timeout):
 * the image and the profile were admitted with the session. Only @out's
 * body, rule and caps are set. Returns 0 or -1 with @why, as intake_take().
 */
int intake_take_exec(intake_task *out, intake_refusal *why, const intake_deps *deps, request *req);

/** intake_timeout_s - the seconds @t's command may run: its own, else the default within the caps. */
long intake_timeout_s(const intake_task *t, const config *cfg);

/**
 * intake_spec - the libecs task spec of @t: the one place that fills it.
 * @spec: initialised here; it points into @t, @cfg and the arguments.
 * @cancel, @pool: this task's cancel token and the warm pool (both may be NULL).
 * @channel_dir: where a cold task's agent connects its direct channel (warm.h; NULL: attach).
 */
void intake_spec(ecs_task_spec *spec, const intake_task *t, const config *cfg, ecs_cancel *cancel, ecs_pool *pool,
		 const char *channel_dir);

/** intake_clear - free what @t holds. */
void intake_clear(intake_task *t);

#endif
