/*
 * task_record.h - what a task's record in the store holds beside its body,
 * written by the handlers (task_handlers.h) and read by the queue's runner
 * (async_runner.h): the client's identity, how an answer ends the task,
 * the document of a task its node left behind.
 */
#ifndef ECSFCGI_TASK_RECORD_H
#define ECSFCGI_TASK_RECORD_H

#include "auth.h"
#include "response.h"
#include "store.h"

struct json_object;

/**
 * task_auth_json - how the runner finds @a's client rule again: the JSON
 * text {"subject": .., "user": ..} (members absent when NULL). malloc'd, or NULL out of memory.
 */
char *task_auth_json(const auth_result *a);

/**
 * task_auth_parse - the auth_result of a stored task_auth_json() text:
 * authenticated, its strings pointing into *@holder (json_object_put() it
 * when done). Returns 0, or -1 when @json is not such a text.
 */
int task_auth_parse(auth_result *out, struct json_object **holder, const char *json);

/** In a fleet's INTERRUPTED document, where the store writes the node whose lease lapsed. */
#define TASK_RECORD_NODE "{node}"

/**
 * task_interrupted_doc - the error document of a task whose node (@node)
 * stopped before it ended (INTERRUPTED, 500; NULL @node: a node of the fleet whose
 * lease lapsed, named by TASK_RECORD_NODE for the store to fill in); @request_id: what the log
 * lines of the reclaim carry. malloc'd, or NULL.
 */
char *task_interrupted_doc(const char *node, const char *request_id);

/** task_status_of - how an answer (handler_task_answer()'s) ends its task: succeeded (201), canceled (CANCELED), else failed. */
store_status task_status_of(const response *resp);

/** task_cancel_requested - was task @id, which stopped canceled, canceled by a DELETE of its id? 1 or 0. */
int task_cancel_requested(store *st, const char *id);

#endif
