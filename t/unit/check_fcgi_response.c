/* check_fcgi_response.c - the error document and the response head. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "response.h"

static struct json_object *parse(const char *s)
{
	struct json_object *o = json_tokener_parse(s);

	ck_assert_ptr_nonnull(o);
	return o;
}

static const char *field(struct json_object *o, const char *k)
{
	struct json_object *v;

	ck_assert_msg(json_object_object_get_ex(o, k, &v), "missing %s", k);
	return json_object_get_string(v);
}

START_TEST(test_response_error_document_shape)
{
	char *s = response_error_document(404, "NOT_FOUND", "no resource at '/x'", "abc123");
	struct json_object *o = parse(s), *v;

	ck_assert_int_eq(json_object_object_length(o), 4);
	ck_assert(json_object_object_get_ex(o, "status", &v));
	ck_assert(json_object_is_type(v, json_type_int));
	ck_assert_int_eq(json_object_get_int(v), 404);
	ck_assert_str_eq(field(o, "code"), "NOT_FOUND");
	ck_assert_str_eq(field(o, "message"), "no resource at '/x'");
	ck_assert_str_eq(field(o, "requestId"), "abc123");
	/* The order is part of the shape people read. */
	ck_assert_ptr_nonnull(strstr(s, "{\"status\":404,\"code\":\"NOT_FOUND\",\"message\":"));
	json_object_put(o);
	free(s);
}
END_TEST

START_TEST(test_response_error_document_escapes_message)
{
	char *s = response_error_document(400, "BAD_REQUEST_BODY", "bad \"x\"\n\\ </script>", NULL);
	struct json_object *o = parse(s);

	ck_assert_str_eq(field(o, "message"), "bad \"x\"\n\\ </script>");
	ck_assert_str_eq(field(o, "requestId"), "");
	json_object_put(o);
	free(s);
}
END_TEST

START_TEST(test_response_set_error_and_head)
{
	response r;
	char head[512];
	int n;

	response_init(&r);
	ck_assert_int_eq(response_add_header(&r, "Allow", "POST"), 0);
	ck_assert_int_eq(response_set_error(&r, 405, "METHOD_NOT_ALLOWED", "use POST", "id1"), 0);
	ck_assert_str_eq(r.code, "METHOD_NOT_ALLOWED");
	n = response_head(head, sizeof(head), &r);
	ck_assert_int_gt(n, 0);
	ck_assert_ptr_nonnull(strstr(head, "Status: 405 Method Not Allowed\r\n"));
	ck_assert_ptr_nonnull(strstr(head, "Content-Type: application/json; charset=utf-8\r\n"));
	ck_assert_ptr_nonnull(strstr(head, "Allow: POST\r\n"));
	ck_assert_ptr_nonnull(strstr(head, "\r\n\r\n"));
	{
		char want[64];

		snprintf(want, sizeof(want), "Content-Length: %zu\r\n", r.body_len);
		ck_assert_ptr_nonnull(strstr(head, want));
	}
	response_clear(&r);
	ck_assert_ptr_null(r.body);
	ck_assert_int_eq(r.status, 200);
}
END_TEST

START_TEST(test_response_header_injection_refused)
{
	response r;

	response_init(&r);
	ck_assert_int_eq(response_add_header(&r, "X", "a\r\nSet-Cookie: x"), -1);
	ck_assert_int_eq(response_add_header(&r, "X:Y", "a"), -1);
	ck_assert_str_eq(r.headers, "");
	response_clear(&r);
}
END_TEST

START_TEST(test_response_json_body)
{
	response r;
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "exitCode", json_object_new_int(0));
	response_init(&r);
	ck_assert_int_eq(response_set_json(&r, 201, o), 0);
	ck_assert_int_eq(r.status, 201);
	ck_assert_str_eq(r.body, "{\"exitCode\":0}");
	ck_assert_uint_eq(r.body_len, strlen(r.body));
	json_object_put(o);
	response_clear(&r);
}
END_TEST

START_TEST(test_response_reasons)
{
	ck_assert_str_eq(response_reason(201), "Created");
	ck_assert_str_eq(response_reason(413), "Payload Too Large");
	ck_assert_str_eq(response_reason(415), "Unsupported Media Type");
	ck_assert_str_eq(response_reason(599), "Unknown");
}
END_TEST

START_TEST(test_response_head_without_body)
{
	response r;
	char head[256];

	response_init(&r);
	ck_assert_int_gt(response_head(head, sizeof(head), &r), 0);
	ck_assert_str_eq(head, "Status: 200 OK\r\nContent-Length: 0\r\n\r\n");
	ck_assert_int_eq(response_head(head, 8, &r), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fcgi_response");
	TCase *tc = tcase_create("response");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_response_error_document_shape);
	tcase_add_test(tc, test_response_error_document_escapes_message);
	tcase_add_test(tc, test_response_set_error_and_head);
	tcase_add_test(tc, test_response_header_injection_refused);
	tcase_add_test(tc, test_response_json_body);
	tcase_add_test(tc, test_response_reasons);
	tcase_add_test(tc, test_response_head_without_body);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
