/*
 * task_handlers.h - the endpoints of tasks that outlive their request
 * (issue 18): POST /v1.1/tasks run now (sync, stream) or queued (Prefer:
 * respond-async), both recorded in the store with their Idempotency-Key;
 * GET /v1.1/tasks/{id} and the listing GET /v1.1/tasks (answered without
 * a task worker: they only read the store); DELETE /v1.1/tasks/{id}
 * (a task worker: it waits, bounded, for the task to end).
 *
 * A task belongs to the identity that submitted it (auth_identity()):
 * another client's id is the 404 of an unknown one, the same words.
 */
#ifndef ECSFCGI_TASK_HANDLERS_H
#define ECSFCGI_TASK_HANDLERS_H

#include "handlers.h"

/** Seconds a client over max_client_queued, or facing a full queue, is told to wait. */
#define TASK_QUEUED_RETRY_AFTER_S 5

/** Seconds DELETE waits for a running task to end before answering 202. */
#define TASK_CANCEL_WAIT_S 10

/** How a request's task is recorded (task_submit()). */
typedef struct {
	const char *kind;        /* "task" or "exec" */
	const char *session_id;  /* an exec's session (its task is pinned to this node); NULL */
	const char *path;        /* the path the key's fingerprint names ("/v1.1/tasks") */
	int async;               /* Prefer: respond-async: queued */
	int record;              /* record it without a key or callback too (tasks: pollable by id) */
	int run_first;           /* synchronous without a key: run it under the id libecs gives it
	                            (a warm container's own), record it once it ran (task_record_ran()) */
	const response *ended;   /* task_record_ran()'s: the answer of a task that ran; recorded ended, at once */
} task_submit_how;

/**
 * task_submit - the Idempotency-Key judged (400 when malformed; then @t may
 * be NULL), and the admitted task @t recorded in the store as @how says,
 * with its id generated into @id (kept when @id is not ""; left "" for a
 * synchronous task that runs first, see run_first): *@recorded tells whether it is (a store
 * failure without a key only logs). Returns 0 to run it, or 1 when @resp
 * holds the answer already: async, the 202 of the queued task (a runner
 * woken); a key's replay, 409, 422, 429, 503, 500.
 */
int task_submit(response *resp, handler_info *info, handler_ctx *ctx, const request *req, const intake_task *t,
		const task_submit_how *how, char id[65], int *recorded);

/**
 * task_record_ran - a synchronous task that ran first (task_submit_how.run_first)
 * is recorded now, under the id it ran as (@ran_as), with its answer @answer.
 * A store failure is logged; @answer is never touched.
 */
void task_record_ran(const response *answer, handler_info *info, handler_ctx *ctx, const request *req,
		     const intake_task *t, const char *ran_as);

/** task_record_end - a recorded task @id ran here: its answer @resp kept (store_finish()), its callback woken. */
void task_record_end(handler_ctx *ctx, const intake_task *t, const char *id, const response *resp);

/** task_handle_post - POST /v1.1/tasks on a task worker, after admission. */
void task_handle_post(response *resp, handler_info *info, handler_ctx *ctx, request *req);

/** task_handle_get - GET /v1.1/tasks/{id}: the caller's task's document. */
void task_handle_get(response *resp, const handler_info *info, const handler_ctx *ctx, const request *req);

/** task_handle_list - GET /v1.1/tasks?status=&label=k=v&limit=&before=: the caller's tasks, newest first. */
void task_handle_list(response *resp, const handler_info *info, const handler_ctx *ctx, const request *req);

/** task_handle_delete - DELETE /v1.1/tasks/{id}: cancel, on a task worker (it may wait TASK_CANCEL_WAIT_S). */
void task_handle_delete(response *resp, const handler_info *info, const handler_ctx *ctx, const request *req);

#endif
