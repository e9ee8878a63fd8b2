/* check_fcgi_request.c - params, body limit, content type and the self URL. */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "request.h"

/* A body source that hands out @data in chunks of at most @chunk bytes. */
typedef struct {
	const char *data;
	size_t len, pos, chunk;
} mem_reader;

static int mem_read(void *ctx, char *buf, int n)
{
	mem_reader *m = ctx;
	size_t k = m->len - m->pos;

	if (k > (size_t)n)
		k = (size_t)n;
	if (k > m->chunk)
		k = m->chunk;
	memcpy(buf, m->data + m->pos, k);
	m->pos += k;
	return (int)k;
}

START_TEST(test_request_params_and_path)
{
	char *env[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/v1.1/_health?quick=false", "REQUEST_ID=0123abcd",
		"REQUEST_IDX=no", NULL };
	request r;

	ck_assert_int_eq(request_init(&r, env, NULL, NULL), 0);
	ck_assert_str_eq(r.method, "GET");
	ck_assert_str_eq(r.path, "/v1.1/_health");
	ck_assert_str_eq(r.query, "quick=false");
	ck_assert_str_eq(r.request_id, "0123abcd");
	ck_assert_ptr_null(request_param(env, "REQUEST"));
	request_clear(&r);
}
END_TEST

START_TEST(test_request_query_string_param_wins)
{
	char *env[] = { "REQUEST_METHOD=GET", "QUERY_STRING=quick=true", "REQUEST_URI=/v1.1/_health?quick=dave", NULL };
	request r;

	ck_assert_int_eq(request_init(&r, env, NULL, NULL), 0);
	ck_assert_str_eq(r.query, "quick=true");
	request_clear(&r);
}
END_TEST

START_TEST(test_request_script_name_fallback)
{
	char *env[] = { "SCRIPT_NAME=/v1.1", "PATH_INFO=/tasks", NULL };
	request r;

	ck_assert_int_eq(request_init(&r, env, NULL, NULL), 0);
	ck_assert_str_eq(r.path, "/v1.1/tasks");
	ck_assert_str_eq(r.method, "");
	ck_assert_str_eq(r.query, "");
	request_clear(&r);
}
END_TEST

START_TEST(test_request_id_generated_when_absent_or_bad)
{
	char *env1[] = { NULL };
	char *env2[] = { "REQUEST_ID=bad id\"", NULL };
	request r;

	ck_assert_int_eq(request_init(&r, env1, NULL, NULL), 0);
	ck_assert_uint_eq(strlen(r.request_id), 32);
	ck_assert_uint_eq(strspn(r.request_id, "0123456789abcdef"), 32);
	request_clear(&r);
	ck_assert_int_eq(request_init(&r, env2, NULL, NULL), 0);
	ck_assert_uint_eq(strlen(r.request_id), 32);
	request_clear(&r);
}
END_TEST

START_TEST(test_request_body_within_limit)
{
	char *env[] = { NULL };
	mem_reader m = { "{\"a\":1}", 7, 0, 3 };
	request r;

	ck_assert_int_eq(request_init(&r, env, mem_read, &m), 0);
	ck_assert_int_eq(request_read_body(&r, 7), 0);
	ck_assert_uint_eq(r.body_len, 7);
	ck_assert_str_eq(r.body, "{\"a\":1}");
	request_clear(&r);
}
END_TEST

START_TEST(test_request_body_over_limit_whatever_content_length_says)
{
	char *env[] = { "CONTENT_LENGTH=10", NULL };
	static char big[6 * 1024];
	mem_reader m = { big, sizeof(big), 0, 1000 };
	request r;

	memset(big, 'x', sizeof(big));
	ck_assert_int_eq(request_init(&r, env, mem_read, &m), 0);
	ck_assert_int_eq(request_content_length(&r), 10);
	ck_assert_int_eq(request_read_body(&r, 5 * 1024), 1);
	ck_assert_ptr_null(r.body);
	request_clear(&r);
}
END_TEST

/* The buffer grows past what CONTENT_LENGTH announced (it may understate), up to the limit. */
START_TEST(test_request_body_grows_past_content_length)
{
	char *env[] = { "CONTENT_LENGTH=1", NULL }, *none[] = { NULL };
	static char big[200 * 1024];
	mem_reader m = { big, sizeof(big), 0, 3000 };
	mem_reader m2 = { big, 3, 0, 1 };
	request r;

	memset(big, 'y', sizeof(big));
	ck_assert_int_eq(request_init(&r, env, mem_read, &m), 0);
	ck_assert_int_eq(request_read_body(&r, sizeof(big)), 0);
	ck_assert_uint_eq(r.body_len, sizeof(big));
	ck_assert_int_eq(memcmp(r.body, big, sizeof(big)), 0);
	ck_assert_int_eq(r.body[sizeof(big)], '\0');
	request_clear(&r);
	/* No CONTENT_LENGTH: room for the limit, as before. */
	ck_assert_int_eq(request_init(&r, none, mem_read, &m2), 0);
	ck_assert_int_eq(request_read_body(&r, 1024 * 1024), 0);
	ck_assert_uint_eq(r.body_len, 3);
	request_clear(&r);
}
END_TEST

START_TEST(test_request_content_length_forms)
{
	char *e1[] = { "CONTENT_LENGTH=", NULL }, *e2[] = { "CONTENT_LENGTH=-3", NULL };
	char *e3[] = { "CONTENT_LENGTH=12x", NULL }, *e4[] = { NULL };
	request r;

	request_init(&r, e1, NULL, NULL);
	ck_assert_int_eq(request_content_length(&r), -1);
	request_clear(&r);
	request_init(&r, e2, NULL, NULL);
	ck_assert_int_eq(request_content_length(&r), -2);
	request_clear(&r);
	request_init(&r, e3, NULL, NULL);
	ck_assert_int_eq(request_content_length(&r), -2);
	request_clear(&r);
	request_init(&r, e4, NULL, NULL);
	ck_assert_int_eq(request_content_length(&r), -1);
	request_clear(&r);
}
END_TEST

START_TEST(test_request_is_json)
{
	ck_assert_int_eq(request_is_json("application/json"), 1);
	ck_assert_int_eq(request_is_json("application/json; charset=utf-8"), 1);
	ck_assert_int_eq(request_is_json("Application/JSON;charset=UTF-8"), 1);
	ck_assert_int_eq(request_is_json("application/jsonx"), 0);
	ck_assert_int_eq(request_is_json("text/plain"), 0);
	ck_assert_int_eq(request_is_json("application/x-www-form-urlencoded"), 0);
	ck_assert_int_eq(request_is_json(""), 0);
	ck_assert_int_eq(request_is_json(NULL), 0);
}
END_TEST

START_TEST(test_request_self_url)
{
	char *e1[] = { "HTTPS=on", "HTTP_HOST=ecs.example.com:8443", "REQUEST_URI=/v1.1/_version", NULL };
	char *e2[] = { "SERVER_NAME=srv", "SERVER_PORT=8080", "REQUEST_URI=/v1.1/_noop?x=1", NULL };
	char *e3[] = { "HTTP_HOST=evil\"host", "SERVER_NAME=srv", "SERVER_PORT=80", "REQUEST_URI=/v1.1/_noop", NULL };
	char buf[256];
	request r;

	request_init(&r, e1, NULL, NULL);
	ck_assert_int_eq(request_self_url(buf, sizeof(buf), &r), 0);
	ck_assert_str_eq(buf, "https://ecs.example.com:8443/v1.1/_version");
	request_clear(&r);
	request_init(&r, e2, NULL, NULL);
	ck_assert_int_eq(request_self_url(buf, sizeof(buf), &r), 0);
	ck_assert_str_eq(buf, "http://srv:8080/v1.1/_noop?x=1");
	request_clear(&r);
	request_init(&r, e3, NULL, NULL);
	ck_assert_int_eq(request_self_url(buf, sizeof(buf), &r), 0);
	ck_assert_str_eq(buf, "http://srv/v1.1/_noop");
	ck_assert_int_eq(request_self_url(buf, 10, &r), -1);
	request_clear(&r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fcgi_request");
	TCase *tc = tcase_create("request");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_request_params_and_path);
	tcase_add_test(tc, test_request_query_string_param_wins);
	tcase_add_test(tc, test_request_script_name_fallback);
	tcase_add_test(tc, test_request_id_generated_when_absent_or_bad);
	tcase_add_test(tc, test_request_body_within_limit);
	tcase_add_test(tc, test_request_body_over_limit_whatever_content_length_says);
	tcase_add_test(tc, test_request_body_grows_past_content_length);
	tcase_add_test(tc, test_request_content_length_forms);
	tcase_add_test(tc, test_request_is_json);
	tcase_add_test(tc, test_request_self_url);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
