/*
 * task_doc.h - the task status document: what GET /v1.1/tasks/{id}, the
 * listing, DELETE, the 202 of an async submission and a callback all say of
 * one task, built in one place from what the store holds.
 *
 *   {"taskId", "status", "kind" ("task" | "exec"), "sessionId" (exec),
 *    "createdAt", "startedAt", "finishedAt" (RFC 3339, UTC, milliseconds: log_format_ms();
 *    absent until they happen), "labels" (when given),
 *    "cancelRequested" (when true),
 *    "result" (succeeded: the 201 document a synchronous request got),
 *    "error" (failed, canceled: the error document, as a synchronous request got it),
 *    "httpStatus" (ended: the status a synchronous request answered),
 *    "callback" (when given: {"url", "state", "attempts", "deliveryId",
 *                "lastStatus", "lastError", "nextAttemptAt"}),
 *    "links": {"self": {"href": ".../v1.1/tasks/ID"}}}
 */
#ifndef ECSFCGI_TASK_DOC_H
#define ECSFCGI_TASK_DOC_H

#include "store.h"

struct json_object;

/** How much of the task goes in. */
typedef enum {
	TASK_DOC_FULL = 0,   /* everything above */
	TASK_DOC_SUMMARY     /* a listing's entry: no result, no error */
} task_doc_detail;

/**
 * task_doc_json - the document of @t. @self_base: the absolute URL of
 * /v1.1/tasks (no trailing '/'): the self link is @self_base/ID; NULL (a
 * callback, which has no request to take a host from): "/v1.1/tasks/ID". A stored
 * result or labels that do not parse (never written by ecs) go out as
 * absent. Returns a new object, or NULL when json-c ran out of memory.
 */
struct json_object *task_doc_json(const store_task *t, const char *self_base, task_doc_detail detail);


#endif
