/* check_fcgi_task_doc.c - the task status document, by status and detail. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "log.h"
#include "task_doc.h"

static const char *get(struct json_object *o, const char *path)
{
	char buf[128], *save = NULL, *part;
	struct json_object *v = o;

	snprintf(buf, sizeof(buf), "%s", path);
	for (part = strtok_r(buf, ".", &save); part != NULL; part = strtok_r(NULL, ".", &save))
		if (!json_object_object_get_ex(v, part, &v))
			return NULL;
	return json_object_get_string(v);
}

START_TEST(test_task_doc_time)
{
	char buf[32];

	log_format_ms(buf, sizeof(buf), 1796638895123LL);
	ck_assert_str_eq(buf, "2026-12-07T10:21:35.123Z");
	log_format_ms(buf, sizeof(buf), 5);
	ck_assert_str_eq(buf, "1970-01-01T00:00:00.005Z");
}
END_TEST

START_TEST(test_task_doc_queued)
{
	store_task t;
	struct json_object *o;

	memset(&t, 0, sizeof(t));
	snprintf(t.id, sizeof(t.id), "abc");
	snprintf(t.kind, sizeof(t.kind), "task");
	t.status = STORE_QUEUED;
	t.created_ms = 1796638895123LL;
	t.labels = (char *)"{\"batch\": \"7\"}";
	o = task_doc_json(&t, "https://h:1/v1.1/tasks", TASK_DOC_FULL);
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(get(o, "taskId"), "abc");
	ck_assert_str_eq(get(o, "status"), "queued");
	ck_assert_str_eq(get(o, "kind"), "task");
	ck_assert_str_eq(get(o, "createdAt"), "2026-12-07T10:21:35.123Z");
	ck_assert_ptr_null(get(o, "startedAt"));
	ck_assert_ptr_null(get(o, "finishedAt"));
	ck_assert_ptr_null(get(o, "result"));
	ck_assert_ptr_null(get(o, "httpStatus"));
	ck_assert_ptr_null(get(o, "cancelRequested"));
	ck_assert_ptr_null(get(o, "callback"));
	ck_assert_str_eq(get(o, "labels.batch"), "7");
	ck_assert_str_eq(get(o, "links.self.href"), "https://h:1/v1.1/tasks/abc");
	json_object_put(o);
	/* no request to take a host from (a callback) */
	o = task_doc_json(&t, NULL, TASK_DOC_FULL);
	ck_assert_str_eq(get(o, "links.self.href"), "/v1.1/tasks/abc");
	json_object_put(o);
}
END_TEST

START_TEST(test_task_doc_ended)
{
	store_task t;
	struct json_object *o;

	memset(&t, 0, sizeof(t));
	snprintf(t.id, sizeof(t.id), "x1");
	t.status = STORE_SUCCEEDED;
	t.created_ms = 1000;
	t.started_ms = 2000;
	t.finished_ms = 3000;
	t.http_status = 201;
	t.result = (char *)"{\"exitCode\": 0, \"stdout\": \"aGkK\"}";
	o = task_doc_json(&t, "/v1.1/tasks", TASK_DOC_FULL);
	ck_assert_str_eq(get(o, "kind"), "task");
	ck_assert_str_eq(get(o, "result.stdout"), "aGkK");
	ck_assert_str_eq(get(o, "httpStatus"), "201");
	ck_assert_ptr_null(get(o, "error"));
	ck_assert_str_eq(get(o, "finishedAt"), "1970-01-01T00:00:03.000Z");
	json_object_put(o);
	o = task_doc_json(&t, "/v1.1/tasks", TASK_DOC_SUMMARY);
	ck_assert_ptr_null(get(o, "result"));
	ck_assert_str_eq(get(o, "httpStatus"), "201");
	json_object_put(o);

	t.status = STORE_CANCELED;
	t.http_status = 499;
	t.result = (char *)"{\"status\": 499, \"code\": \"CANCELED\", \"message\": \"m\", \"requestId\": \"\"}";
	t.cancel_requested = 1;
	o = task_doc_json(&t, "/v1.1/tasks", TASK_DOC_FULL);
	ck_assert_str_eq(get(o, "status"), "canceled");
	ck_assert_str_eq(get(o, "error.code"), "CANCELED");
	ck_assert_str_eq(get(o, "cancelRequested"), "true");
	ck_assert_ptr_null(get(o, "result"));
	json_object_put(o);

	/* a stored text that does not parse (never written by ecs) is absent, not a failure */
	t.result = (char *)"{not json";
	t.labels = (char *)"[1]";
	o = task_doc_json(&t, "/v1.1/tasks", TASK_DOC_FULL);
	ck_assert_ptr_nonnull(o);
	ck_assert_ptr_null(get(o, "error"));
	ck_assert_ptr_null(get(o, "labels"));
	json_object_put(o);
}
END_TEST

START_TEST(test_task_doc_exec_and_callback)
{
	store_task t;
	struct json_object *o;

	memset(&t, 0, sizeof(t));
	snprintf(t.id, sizeof(t.id), "e1");
	snprintf(t.kind, sizeof(t.kind), "exec");
	t.session_id = (char *)"s1";
	t.status = STORE_RUNNING;
	t.callback_url = (char *)"https://hook.example/x";
	t.callback_state = STORE_CALLBACK_PENDING;
	t.callback_attempts = 2;
	t.callback_next_ms = 4000;
	t.callback_last_status = 500;
	t.callback_last_error = (char *)"HTTP 500";
	snprintf(t.callback_delivery_id, sizeof(t.callback_delivery_id), "d1");
	o = task_doc_json(&t, "/v1.1/tasks", TASK_DOC_FULL);
	ck_assert_str_eq(get(o, "kind"), "exec");
	ck_assert_str_eq(get(o, "sessionId"), "s1");
	ck_assert_str_eq(get(o, "callback.url"), "https://hook.example/x");
	ck_assert_str_eq(get(o, "callback.state"), "pending");
	ck_assert_str_eq(get(o, "callback.attempts"), "2");
	ck_assert_str_eq(get(o, "callback.deliveryId"), "d1");
	ck_assert_str_eq(get(o, "callback.lastStatus"), "500");
	ck_assert_str_eq(get(o, "callback.lastError"), "HTTP 500");
	ck_assert_str_eq(get(o, "callback.nextAttemptAt"), "1970-01-01T00:00:04.000Z");
	json_object_put(o);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fcgi_task_doc");
	TCase *tc = tcase_create("task_doc");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_task_doc_time);
	tcase_add_test(tc, test_task_doc_queued);
	tcase_add_test(tc, test_task_doc_ended);
	tcase_add_test(tc, test_task_doc_exec_and_callback);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
