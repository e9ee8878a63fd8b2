/*
 * session_exec.h - one request on a held session, the part both of its
 * callers share: the exec handler (a client waiting, or streaming) and the
 * queue's runner (an exec submitted with Prefer: respond-async, run when
 * it comes up). The session is held here (one request at a time), the
 * exec run and answered with the document a synchronous exec gets, and
 * the session released with what the exec moved.
 */
#ifndef ECSFCGI_SESSION_EXEC_H
#define ECSFCGI_SESSION_EXEC_H

#include <stddef.h>
#include <stdint.h>

#include "handlers.h"
#include "session_registry.h"

struct json_object;

/** session_not_found - the 404 SESSION_NOT_FOUND of session @id (unknown, expired, deleted, or another client's). */
void session_not_found(response *resp, const request *req, const char *id);

/** session_lost - the 410 SESSION_LOST of session @id, @why its container or agent went. */
void session_lost(response *resp, const request *req, const char *id, const char *why);

/**
 * session_hold - hold session @id of @owner (ecs_session_hash() of the
 * client) for one request: SESSION_FOUND with @v (session_view_clear() it
 * after session_registry_release()), else the answer is in @resp and @v
 * is cleared: 404 SESSION_NOT_FOUND (never existed, expired, deleted, or
 * another client's), 409 SESSION_BUSY, 410 SESSION_LOST, or 500.
 */
session_status session_hold(response *resp, const handler_ctx *ctx, const request *req, const char *id,
			    const char *owner, session_view *v);

/**
 * session_request_failed - the answer of a request on held session @v that
 * failed with @rc (@why: libecs's words): 400 PATH_REFUSED, 404, 499 when
 * the client went, 410 SESSION_LOST when its container is gone or its agent
 * did not answer (then @lost_why, @len bytes, says why, for the release),
 * else the error's own status. Fills @info's error for the log line.
 */
void session_request_failed(response *resp, handler_info *info, const handler_ctx *ctx, const request *req,
			    const session_view *v, int rc, const char *why, char *lost_why, size_t len);

/** What one exec did, for its caller and session_exec_release(). */
typedef struct {
	int rc;                    /* ecs_session_exec()'s */
	struct json_object *doc;   /* rc 0: the answer's document (a stream's last line); NULL otherwise */
	char lost_why[256];        /* 410 answered: why the session is lost; "" otherwise */
	uint64_t in, out;          /* bytes in (stdin, files) and out (output, artifacts) */
} session_exec_outcome;

/**
 * session_exec_run - run exec @t (intake_take_exec()'s) in held session @v
 * under ctx->cancel, its answer into @resp: 201 with the result document
 * (artifacts when asked), or the error a synchronous exec gets. @live: the
 * output as it comes (ndjson.h), or NULL. @task_id: the exec's recorded id,
 * whose DELETE makes a cancel a 499 CANCELED; NULL when not recorded.
 * Fills @info for the log line and @o (session_exec_release() it).
 */
void session_exec_run(session_exec_outcome *o, response *resp, handler_info *info, const handler_ctx *ctx,
		      const request *req, const intake_task *t, const session_view *v, ndjson *live,
		      const char *task_id);

/** session_exec_release - release held session @id after the exec @o (its counters, lost or not) and free @o's document. */
void session_exec_release(const handler_ctx *ctx, const char *id, session_exec_outcome *o);

#endif
