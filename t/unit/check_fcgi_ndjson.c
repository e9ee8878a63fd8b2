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

/* The body after the head; checks the head is the streamed one. */
static const char *body_of(const mem_sink *m)
{
	const char *end = strstr(m->buf, "\r\n\r\n");

	ck_assert_ptr_nonnull(end);
	ck_assert_msg(strncmp(m->buf, "Status: 200 OK\r\n", 16) == 0, "head: %s", m->buf);
	ck_assert_ptr_nonnull(strstr(m->buf, "\r\nContent-Type: application/x-ndjson\r\n"));
	ck_assert_ptr_nonnull(strstr(m->buf, "\r\nX-Accel-Buffering: no\r\n"));
	ck_assert_ptr_null(strstr(m->buf, "Content-Length"));
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
	mem_sink m = { .fail_at = 0 };
	ndjson_sink sink = { mem_send, &m };
	ndjson w;

	ndjson_init(&w, &sink, "rid");
	ck_assert_int_eq(ndjson_started(&w), 0);
	ck_assert_int_eq(m.sends, 0);
}
END_TEST

START_TEST(test_ndjson_lines)
{
	static const unsigned char bin[] = { 0xff, 0xfe, 0x00, '\n', '"' };
	mem_sink m = { .fail_at = 0 };
	ndjson_sink sink = { mem_send, &m };
	struct json_object *res = json_object_new_object();
	const char *body, *want;
	ndjson w;

	ndjson_init(&w, &sink, "rid");
	ck_assert_int_eq(ndjson_output(ECS_TASK_STDOUT, (const unsigned char *)"a\n", 2, &w), 0);
	ck_assert_int_eq(ndjson_started(&w), 1);
	ck_assert_int_eq(ndjson_output(ECS_TASK_STDERR, bin, sizeof(bin), &w), 0);
	json_object_object_add(res, "exitCode", json_object_new_int(3));
	ck_assert_int_eq(ndjson_object(&w, res), 0);
	json_object_put(res);
	body = body_of(&m);
	want = "{\"stream\":\"stdout\",\"data\":\"YQo=\"}\n"
	       "{\"stream\":\"stderr\",\"data\":\"//4ACiI=\"}\n"
	       "{\"exitCode\":3}\n";
	ck_assert_str_eq(body, want);
	ck_assert_uint_eq(w.lines, 3);
	/* one send for the head, one a line: each pushed as it is made */
	ck_assert_int_eq(m.sends, 4);
}
END_TEST

START_TEST(test_ndjson_error_line)
{
	mem_sink m = { .fail_at = 0 };
	ndjson_sink sink = { mem_send, &m };
	char *doc = response_error_document(502, "ENGINE_ERROR", "wait: \"gone\"", "rid");
	struct json_object *o, *e, *v;
	const char *body;
	ndjson w;

	ndjson_init(&w, &sink, "rid");
	ck_assert_int_eq(ndjson_output(ECS_TASK_STDOUT, (const unsigned char *)"x", 1, &w), 0);
	ck_assert_int_eq(ndjson_error_line(&w, doc, strlen(doc)), 0);
	body = strchr(body_of(&m), '\n') + 1;
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
	mem_sink m = { .fail_at = 3 };
	ndjson_sink sink = { mem_send, &m };
	ndjson w;

	ndjson_init(&w, &sink, "rid");
	ck_assert_int_eq(ndjson_output(ECS_TASK_STDOUT, (const unsigned char *)"1", 1, &w), 0);
	ck_assert_int_eq(ndjson_output(ECS_TASK_STDOUT, (const unsigned char *)"2", 1, &w), -1);
	ck_assert_int_eq(ndjson_output(ECS_TASK_STDOUT, (const unsigned char *)"3", 1, &w), -1);
	ck_assert_int_eq(m.sends, 3);
	ck_assert_uint_eq(w.lines, 1);
}
END_TEST

/* The head itself cannot go: nothing more is tried. */
START_TEST(test_ndjson_head_refused)
{
	mem_sink m = { .fail_at = 1 };
	ndjson_sink sink = { mem_send, &m };
	ndjson w;

	ndjson_init(&w, &sink, "rid");
	ck_assert_int_eq(ndjson_output(ECS_TASK_STDERR, (const unsigned char *)"e", 1, &w), -1);
	ck_assert_int_eq(ndjson_started(&w), 1);
	ck_assert_int_eq(ndjson_output(ECS_TASK_STDERR, (const unsigned char *)"e", 1, &w), -1);
	ck_assert_int_eq(m.sends, 1);
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
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
