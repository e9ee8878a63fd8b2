/* task_record.c - how a task is kept in the store and read back. See task_record.h. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "handlers.h"
#include "task_record.h"
#include "text.h"

char *task_auth_json(const auth_result *a)
{
	struct json_object *o = json_object_new_object();
	char *s = NULL;

	if (o == NULL)
		return NULL;
	if ((a->subject == NULL || handler_put(o, "subject", json_object_new_string(a->subject)) == 0) &&
	    (a->user == NULL || handler_put(o, "user", json_object_new_string(a->user)) == 0))
		s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
}

int task_auth_parse(auth_result *out, struct json_object **holder, const char *json)
{
	struct json_object *o = json != NULL ? json_tokener_parse(json) : NULL, *v;

	memset(out, 0, sizeof(*out));
	*holder = NULL;
	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return -1;
	}
	if (json_object_object_get_ex(o, "subject", &v) && json_object_is_type(v, json_type_string))
		out->subject = json_object_get_string(v);
	if (json_object_object_get_ex(o, "user", &v) && json_object_is_type(v, json_type_string))
		out->user = json_object_get_string(v);
	*holder = o;
	return 0;
}

char *task_interrupted_doc(const char *node, const char *request_id)
{
	char msg[400];

	if (node != NULL)
		snprintf(msg, sizeof(msg), "the node '%s' that ran this task stopped before the task ended; it did "
			 "not finish and its container was removed", node);
	else
		/* the store puts each task's node in place of TASK_RECORD_NODE (store_reclaim()) */
		snprintf(msg, sizeof(msg), "the node '" TASK_RECORD_NODE "' that ran this task stopped renewing its "
			 "lease before the task ended; it did not finish and its container was removed");
	text_cut(msg);
	return response_error_document(500, "INTERRUPTED", msg, request_id);
}

store_status task_status_of(const response *resp)
{
	if (resp->status == 201)
		return STORE_SUCCEEDED;
	if (resp->code != NULL && strcmp(resp->code, "CANCELED") == 0)
		return STORE_CANCELED;
	return STORE_FAILED;
}

int task_cancel_requested(store *st, const char *id)
{
	store_task t;
	char err[256];
	int rc;

	memset(&t, 0, sizeof(t));
	rc = st != NULL ? store_get(st, NULL, id, &t, err, sizeof(err)) : 0;
	rc = rc == 1 && t.cancel_requested;
	store_task_clear(&t);
	return rc;
}
