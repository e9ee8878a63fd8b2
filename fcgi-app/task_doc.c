/* task_doc.c - one task's status document, built from what the store holds. See task_doc.h. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "handlers.h"
#include "log.h"
#include "task_doc.h"

/* @key: the time @ms, when it happened (0: not yet, nothing added). */
static int add_time(struct json_object *o, const char *key, int64_t ms)
{
	char buf[40];

	if (ms <= 0)
		return 0;
	log_format_ms(buf, sizeof(buf), ms);
	return handler_put(o, key, json_object_new_string(buf));
}

/* A stored JSON text (ecs wrote it) as an object; one that does not parse goes out as absent. */
static int add_stored(struct json_object *o, const char *key, const char *text)
{
	struct json_object *v;

	if (text == NULL)
		return 0;
	v = json_tokener_parse(text);
	if (v == NULL || !json_object_is_type(v, json_type_object)) {
		json_object_put(v);
		return 0;
	}
	return handler_put(o, key, v);
}

static int add_callback(struct json_object *o, const store_task *t)
{
	struct json_object *cb;

	if (t->callback_url == NULL)
		return 0;
	cb = json_object_new_object();
	if (handler_put(o, "callback", cb) != 0)
		return -1;
	if (handler_put(cb, "url", json_object_new_string(t->callback_url)) != 0 ||
	    handler_put(cb, "state", json_object_new_string(store_callback_state_name(t->callback_state))) != 0 ||
	    handler_put(cb, "attempts", json_object_new_int(t->callback_attempts)) != 0)
		return -1;
	if (t->callback_delivery_id[0] != '\0' &&
	    handler_put(cb, "deliveryId", json_object_new_string(t->callback_delivery_id)) != 0)
		return -1;
	if (t->callback_last_status != 0 && handler_put(cb, "lastStatus", json_object_new_int(t->callback_last_status)) != 0)
		return -1;
	if (t->callback_last_error != NULL &&
	    handler_put(cb, "lastError", json_object_new_string(t->callback_last_error)) != 0)
		return -1;
	if (t->callback_state == STORE_CALLBACK_PENDING && add_time(cb, "nextAttemptAt", t->callback_next_ms) != 0)
		return -1;
	return 0;
}

static int add_links(struct json_object *o, const store_task *t, const char *self_base)
{
	struct json_object *links = json_object_new_object(), *self;
	char *href = NULL;

	if (handler_put(o, "links", links) != 0)
		return -1;
	self = json_object_new_object();
	if (handler_put(links, "self", self) != 0)
		return -1;
	if (asprintf(&href, "%s/%s", self_base != NULL ? self_base : "/v1.1/tasks", t->id) < 0)
		return -1;
	if (handler_put(self, "href", json_object_new_string(href)) != 0) {
		free(href);
		return -1;
	}
	free(href);
	return 0;
}

struct json_object *task_doc_json(const store_task *t, const char *self_base, task_doc_detail detail)
{
	struct json_object *o = json_object_new_object();

	if (o == NULL)
		return NULL;
	if (handler_put(o, "taskId", json_object_new_string(t->id)) != 0 ||
	    handler_put(o, "status", json_object_new_string(store_status_name(t->status))) != 0 ||
	    handler_put(o, "kind", json_object_new_string(t->kind[0] ? t->kind : "task")) != 0 ||
	    (t->session_id != NULL && handler_put(o, "sessionId", json_object_new_string(t->session_id)) != 0) ||
	    add_time(o, "createdAt", t->created_ms) != 0 || add_time(o, "startedAt", t->started_ms) != 0 ||
	    add_time(o, "finishedAt", t->finished_ms) != 0 || add_stored(o, "labels", t->labels) != 0 ||
	    (t->cancel_requested && handler_put(o, "cancelRequested", json_object_new_boolean(1)) != 0))
		goto fail;
	if (detail == TASK_DOC_FULL && store_status_ended(t->status) &&
	    add_stored(o, t->status == STORE_SUCCEEDED ? "result" : "error", t->result) != 0)
		goto fail;
	if (store_status_ended(t->status) && t->http_status != 0 &&
	    handler_put(o, "httpStatus", json_object_new_int(t->http_status)) != 0)
		goto fail;
	if (add_callback(o, t) != 0 || add_links(o, t, self_base) != 0)
		goto fail;
	return o;
fail:
	json_object_put(o);
	return NULL;
}
