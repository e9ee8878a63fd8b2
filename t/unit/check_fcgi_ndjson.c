/* check_fcgi_ndjson.c - the live output writer: Accept, the head, the lines, a client that went away. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>
#include <ecs/ecs.h>

#include "ndjson.h"
#include "response.h"

/* A sink into memory; fails every send from the @fail_at-th on (0: never). */
typedef struct {
	char buf[8192];
	size_t len;
	int sends;
	int fail_at;
} mem_sink;

static int mem_send(void *arg, const char *data, size_t len)
{
	mem_sink *m = arg;

	m->sends++;
	if (m->fail_at != 0 && m->sends >= m->fail_at)
		return -1;
	ck_assert_uint_lt(m->len + len, sizeof(m->buf));
	memcpy(m->buf + m->len, data, len);
	m->len += len;
	m->buf[m->len] = '\0';
	return 0;
}

/* The writer under test and its sink: fresh for every test (start()). */
static mem_sink sunk;
static ndjson_sink sink = { mem_send, &sunk };
static ndjson w;

static void start(int fail_at)
{
	memset(&sunk, 0, sizeof(sunk));
	sunk.fail_at = fail_at;
	ndjson_init(&w, &sink, "rid");
}

/* The body after the head; checks the head is the streamed one. */
static const char *body_of(void)
{
	const char *end = strstr(sunk.buf, "\r\n\r\n");

	ck_assert_ptr_nonnull(end);
	ck_assert_msg(strncmp(sunk.buf, "Status: 200 OK\r\n", 16) == 0, "head: %s", sunk.buf);
	ck_assert_ptr_nonnull(strstr(sunk.buf, "\r\nContent-Type: application/x-ndjson\r\n"));
	ck_assert_ptr_nonnull(strstr(sunk.buf, "\r\nX-Accel-Buffering: no\r\n"));
	ck_assert_ptr_null(strstr(sunk.buf, "Content-Length"));
	return end + 4;
}

START_TEST(test_ndjson_wanted)
{
	ck_assert_int_eq(ndjson_wanted("application/x-ndjson"), 1);
	ck_assert_int_eq(ndjson_wanted("Application/X-NDJSON"), 1);
	ck_assert_int_eq(ndjson_wanted("application/json, application/x-ndjson;q=0.9"), 1);
	ck_assert_int_eq(ndjson_wanted("  application/x-ndjson ; charset=utf-8"), 1);
	ck_assert_int_eq(ndjson_wanted("application/x-ndjson;q=0.001"), 1);
	ck_assert_int_eq(ndjson_wanted(NULL), 0);
	ck_assert_int_eq(ndjson_wanted(""), 0);
	ck_assert_int_eq(ndjson_wanted("*/*"), 0);
	ck_assert_int_eq(ndjson_wanted("application/*"), 0);
	ck_assert_int_eq(ndjson_wanted("application/json"), 0);
	ck_assert_int_eq(ndjson_wanted("application/x-ndjsonx"), 0);
	ck_assert_int_eq(ndjson_wanted("application/x-ndjson x"), 0);
	ck_assert_int_eq(ndjson_wanted("xapplication/x-ndjson"), 0);
	ck_assert_int_eq(ndjson_wanted("application/x-ndjson;q=0"), 0);
	ck_assert_int_eq(ndjson_wanted("application/x-ndjson; Q=0.000"), 0);
	ck_assert_int_eq(ndjson_wanted("application/x-ndjson;q=0., application/json"), 0);
}
END_TEST

/* Nothing goes out before the first line: an early error keeps its own status. */
START_TEST(test_ndjson_lazy_head)
{
	start(0);
	ck_assert_int_eq(ndjson_started(&w), 0);
	ck_assert_int_eq(sunk.sends, 0);
}
END_TEST

START_TEST(test_ndjson_lines)
{
	static const unsigned char bin[] = { 0xff, 0xfe, 0x00, '\n', '"' };
	struct json_object *res = json_object_new_object();
	const char *body, *want;

	start(0);
	ck_assert_int_eq(ndjson_output(ECS_TASK_STDOUT, (const unsigned char *)"a\n", 2, &w), 0);
	ck_assert_int_eq(ndjson_started(&w), 1);
	ck_assert_int_eq(ndjson_output(ECS_TASK_STDERR, bin, sizeof(bin), &w), 0);
	json_object_object_add(res, "exitCode", json_object_new_int(3));
	ck_assert_int_eq(ndjson_object(&w, res), 0);
	json_object_put(res);
	body = body_of();
	want = "{\"stream\":\"stdout\",\"data\":\"YQo=\"}\n"
	       "{\"stream\":\"stderr\",\"data\":\"//4ACiI=\"}\n"
	       "{\"exitCode\":3}\n";
	ck_assert_str_eq(body, want);
	ck_assert_uint_eq(w.lines, 3);
	/* one send for the head, one a line: each pushed as it is made */
	ck_assert_int_eq(sunk.sends, 4);
}
END_TEST

START_TEST(test_ndjson_error_line)
{
	char *doc = response_error_document(502, "ENGINE_ERROR", "wait: \"gone\"", "rid");
	struct json_object *o, *e, *v;
	const char *body;

	start(0);
	ck_assert_int_eq(ndjson_output(ECS_TASK_STDOUT, (const unsigned char *)"x", 1, &w), 0);
	ck_assert_int_eq(ndjson_error_line(&w, doc, strlen(doc)), 0);
	body = strchr(body_of(), '\n') + 1;
	ck_assert_int_eq(body[strlen(body) - 1], '\n');
	o = json_tokener_parse(body);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(json_object_object_length(o), 1);
	ck_assert(json_object_object_get_ex(o, "error", &e));
	ck_assert(json_object_object_get_ex(e, "status", &v));
	ck_assert_int_eq(json_object_get_int(v), 502);
	ck_assert(json_object_object_get_ex(e, "code", &v));
	ck_assert_str_eq(json_object_get_string(v), "ENGINE_ERROR");
	ck_assert(json_object_object_get_ex(e, "message", &v));
	ck_assert_str_eq(json_object_get_string(v), "wait: \"gone\"");
	json_object_put(o);
	free(doc);
	ck_assert_int_eq(ndjson_error_line(&w, NULL, 0), -1);
}
END_TEST

/* A send that fails (the client went away) fails this and every later line: the task is cancelled. */
START_TEST(test_ndjson_client_gone)
{
	start(3);
	ck_assert_int_eq(ndjson_output(ECS_TASK_STDOUT, (const unsigned char *)"1", 1, &w), 0);
	ck_assert_int_eq(ndjson_output(ECS_TASK_STDOUT, (const unsigned char *)"2", 1, &w), -1);
	ck_assert_int_eq(ndjson_output(ECS_TASK_STDOUT, (const unsigned char *)"3", 1, &w), -1);
	ck_assert_int_eq(sunk.sends, 3);
	ck_assert_uint_eq(w.lines, 1);
}
END_TEST

/* The head itself cannot go: nothing more is tried. */
START_TEST(test_ndjson_head_refused)
{
	start(1);
	ck_assert_int_eq(ndjson_output(ECS_TASK_STDERR, (const unsigned char *)"e", 1, &w), -1);
	ck_assert_int_eq(ndjson_started(&w), 1);
	ck_assert_int_eq(ndjson_output(ECS_TASK_STDERR, (const unsigned char *)"e", 1, &w), -1);
	ck_assert_int_eq(sunk.sends, 1);
}
END_TEST

/* The answer as the endpoint would give it without streaming: the error document in @r. */
static void ordinary_error(response *r)
{
	response_init(r);
	response_set_error(r, 502, "ENGINE_ERROR", "wait: gone", "rid");
}

/* A failure before any line: the ordinary answer goes out as it is (its status, its JSON). */
START_TEST(test_ndjson_finish_error_before_first_line)
{
	response r;

	start(0);
	ordinary_error(&r);
	ndjson_finish(&w, &r, NULL, NULL, 0);
	ck_assert_int_eq(r.streamed, 0);
	ck_assert_int_eq(r.status, 502);
	ck_assert_int_eq(sunk.sends, 0);
	response_clear(&r);
}
END_TEST

/* A failure after a line: the last line is {"error": the document}, the answer stays 200. */
START_TEST(test_ndjson_finish_error_after_first_line)
{
	const char *last;
	response r;

	start(0);
	ck_assert_int_eq(ndjson_output(ECS_TASK_STDOUT, (const unsigned char *)"x", 1, &w), 0);
	ordinary_error(&r);
	ndjson_finish(&w, &r, NULL, NULL, 0);
	ck_assert_int_eq(r.streamed, 1);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.code, "ENGINE_ERROR");
	last = strchr(body_of(), '\n') + 1;
	ck_assert_str_eq(last, "{\"error\":{\"status\":502,\"code\":\"ENGINE_ERROR\",\"message\":\"wait: gone\","
			       "\"requestId\":\"rid\"}}\n");
	response_clear(&r);
}
END_TEST

/* Success streams even without output: the head and the result, its output members dropped. */
START_TEST(test_ndjson_finish_result_drops_output)
{
	static const char *const drop[] = { "stdout", "stderr", NULL };
	struct json_object *res = json_object_new_object();
	response r;

	start(0);
	response_init(&r);
	r.status = 201;
	json_object_object_add(res, "exitCode", json_object_new_int(0));
	json_object_object_add(res, "stdout", json_object_new_string(""));
	json_object_object_add(res, "stderr", json_object_new_string(""));
	json_object_object_add(res, "stdoutBytes", json_object_new_int(0));
	ndjson_finish(&w, &r, res, drop, 0);
	ck_assert_int_eq(r.streamed, 1);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(body_of(), "{\"exitCode\":0,\"stdoutBytes\":0}\n");
	json_object_put(res);
	response_clear(&r);
}
END_TEST

/* The client went away mid-stream: nothing more is written, and nothing of the ordinary answer. */
START_TEST(test_ndjson_finish_client_gone)
{
	response r;
	int sends;

	start(0);
	ck_assert_int_eq(ndjson_output(ECS_TASK_STDOUT, (const unsigned char *)"x", 1, &w), 0);
	sends = sunk.sends;
	ordinary_error(&r);
	ndjson_finish(&w, &r, NULL, NULL, 1);
	ck_assert_int_eq(r.streamed, 1);
	ck_assert_int_eq(sunk.sends, sends);
	response_clear(&r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fcgi_ndjson");
	TCase *tc = tcase_create("ndjson");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_ndjson_wanted);
	tcase_add_test(tc, test_ndjson_lazy_head);
	tcase_add_test(tc, test_ndjson_lines);
	tcase_add_test(tc, test_ndjson_error_line);
	tcase_add_test(tc, test_ndjson_client_gone);
	tcase_add_test(tc, test_ndjson_head_refused);
	tcase_add_test(tc, test_ndjson_finish_error_before_first_line);
	tcase_add_test(tc, test_ndjson_finish_error_after_first_line);
	tcase_add_test(tc, test_ndjson_finish_result_drops_output);
	tcase_add_test(tc, test_ndjson_finish_client_gone);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
