/* check_fcgi_task_headers.c - Prefer: respond-async, Idempotency-Key, the fingerprint, the labels' log form. */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "task_headers.h"
#include "task_labels.h"

START_TEST(test_task_headers_prefer)
{
	ck_assert_int_eq(task_headers_respond_async(NULL), 0);
	ck_assert_int_eq(task_headers_respond_async(""), 0);
	ck_assert_int_eq(task_headers_respond_async("respond-async"), 1);
	ck_assert_int_eq(task_headers_respond_async("Respond-Async"), 1);
	ck_assert_int_eq(task_headers_respond_async("respond-async, wait=10"), 1);
	ck_assert_int_eq(task_headers_respond_async("wait=10, respond-async"), 1);
	ck_assert_int_eq(task_headers_respond_async("return=minimal;foo=\"respond-async\", wait=5"), 0);
	ck_assert_int_eq(task_headers_respond_async("handling=lenient,respond-async;x=1"), 1);
	ck_assert_int_eq(task_headers_respond_async(" \trespond-async "), 1);
	ck_assert_int_eq(task_headers_respond_async("respond-asynchronously"), 0);
	ck_assert_int_eq(task_headers_respond_async("x-respond-async"), 0);
	ck_assert_int_eq(task_headers_respond_async("foo=\"a,respond-async"), 0);
	ck_assert_int_eq(task_headers_respond_async("foo=\"a\\\",b\", respond-async"), 1);
}
END_TEST

START_TEST(test_task_headers_idem_key)
{
	char k[300];

	ck_assert_int_eq(task_headers_idem_key(NULL), 0);
	ck_assert_int_eq(task_headers_idem_key("8e03978e-40d5-43e8-bc93-6894a57f9324"), 1);
	ck_assert_int_eq(task_headers_idem_key("\"quoted key\""), 1);
	ck_assert_int_eq(task_headers_idem_key("a b"), 1);
	ck_assert_int_eq(task_headers_idem_key(""), -1);
	ck_assert_int_eq(task_headers_idem_key(" a"), -1);
	ck_assert_int_eq(task_headers_idem_key("a "), -1);
	ck_assert_int_eq(task_headers_idem_key("a\tb"), -1);
	ck_assert_int_eq(task_headers_idem_key("a\x7f"), -1);
	ck_assert_int_eq(task_headers_idem_key("caf\xc3\xa9"), -1);
	memset(k, 'k', 255);
	k[255] = '\0';
	ck_assert_int_eq(task_headers_idem_key(k), 1);
	k[255] = 'k';
	k[256] = '\0';
	ck_assert_int_eq(task_headers_idem_key(k), -1);
}
END_TEST

/* sha256("POST /v1.1/tasks\n{}") */
START_TEST(test_task_headers_fingerprint)
{
	char a[TASK_FINGERPRINT_SIZE], b[TASK_FINGERPRINT_SIZE];

	ck_assert_int_eq(task_headers_fingerprint(a, "POST", "/v1.1/tasks", "{}", 2), 0);
	ck_assert_str_eq(a, "454927ce3137c4a93ced8b621639b037f13c8db7b973997ffafaccad3fa0805a");
	ck_assert_int_eq(task_headers_fingerprint(b, "POST", "/v1.1/tasks", "{} ", 3), 0);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(task_headers_fingerprint(b, "POST", "/v1.1/sessions/s/exec", "{}", 2), 0);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(strlen(b), 64);
}
END_TEST

START_TEST(test_task_labels_log)
{
	struct json_object *o = json_tokener_parse("{\"batch\": \"b7\", \"step\": \"2\"}");
	char buf[64];

	task_labels_log(buf, sizeof(buf), NULL);
	ck_assert_str_eq(buf, "");
	task_labels_log(buf, sizeof(buf), o);
	ck_assert_str_eq(buf, "batch=b7,step=2");
	/* cut at a whole label */
	task_labels_log(buf, 12, o);
	ck_assert_str_eq(buf, "batch=b7");
	json_object_put(o);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fcgi_task_headers");
	TCase *tc = tcase_create("task_headers");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_task_headers_prefer);
	tcase_add_test(tc, test_task_headers_idem_key);
	tcase_add_test(tc, test_task_headers_fingerprint);
	tcase_add_test(tc, test_task_labels_log);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
