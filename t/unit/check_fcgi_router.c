/* check_fcgi_router.c - the v1.1 routing table. */
#include <stdlib.h>

#include <check.h>

#include "router.h"

START_TEST(test_router_tasks_with_and_without_slash)
{
	route_match m;

	router_match(&m, "POST", "/v1.1/tasks");
	ck_assert_int_eq(m.id, ROUTE_TASKS);
	ck_assert_int_eq(m.method_allowed, 1);
	router_match(&m, "POST", "/v1.1/tasks/");
	ck_assert_int_eq(m.id, ROUTE_TASKS);
	ck_assert_int_eq(m.method_allowed, 1);
	ck_assert_str_eq(m.name, "tasks");
}
END_TEST

START_TEST(test_router_get_endpoints)
{
	static const struct { const char *path; route_id id; } t[] = {
		{ "/v1.1/_version", ROUTE_VERSION }, { "/v1.1/_noop", ROUTE_NOOP },
		{ "/v1.1/_health", ROUTE_HEALTH }, { "/v1.1/_metrics", ROUTE_METRICS },
		{ "/v1.1/_health/", ROUTE_HEALTH },
	};
	route_match m;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		router_match(&m, "GET", t[i].path);
		ck_assert_int_eq(m.id, t[i].id);
		ck_assert_int_eq(m.method_allowed, 1);
	}
}
END_TEST

START_TEST(test_router_wrong_method_gives_allow)
{
	route_match m;

	/* Issue 18: GET /v1.1/tasks lists the caller's tasks; PUT stays refused. */
	router_match(&m, "PUT", "/v1.1/tasks");
	ck_assert_int_eq(m.id, ROUTE_TASKS);
	ck_assert_int_eq(m.method_allowed, 0);
	ck_assert_str_eq(m.allow, "GET, HEAD, POST");
	router_match(&m, "POST", "/v1.1/_version");
	ck_assert_int_eq(m.method_allowed, 0);
	ck_assert_str_eq(m.allow, "GET, HEAD");
	router_match(&m, "POST", "/v1.1/tasks/abc");
	ck_assert_int_eq(m.id, ROUTE_TASK);
	ck_assert_int_eq(m.method_allowed, 0);
	ck_assert_str_eq(m.allow, "GET, HEAD, DELETE");
	router_match(&m, "get", "/v1.1/_noop");
	ck_assert_int_eq(m.method_allowed, 0);
}
END_TEST

/* HEAD is GET without a body: allowed wherever GET is, and only there. */
START_TEST(test_router_head_where_get_is)
{
	static const char *const paths[] = { "/v1.1/_version", "/v1.1/_noop", "/v1.1/_health",
		"/v1.1/_health/", "/v1.1/_metrics" };
	route_match m;
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		router_match(&m, "HEAD", paths[i]);
		ck_assert_int_ne(m.id, ROUTE_NONE);
		ck_assert_msg(m.method_allowed == 1, "HEAD %s refused", paths[i]);
		ck_assert_str_eq(m.allow, "GET, HEAD");
	}
	router_match(&m, "head", "/v1.1/_health");
	ck_assert_int_eq(m.method_allowed, 0);
}
END_TEST

/* Issue 18: a task by id, GET (poll) and DELETE (cancel); the id is the path's one segment. */
START_TEST(test_router_task_by_id)
{
	route_match m;

	router_match(&m, "GET", "/v1.1/tasks/0123abc_x.y-z");
	ck_assert_int_eq(m.id, ROUTE_TASK);
	ck_assert_int_eq(m.method_allowed, 1);
	ck_assert_str_eq(m.param, "0123abc_x.y-z");
	ck_assert_str_eq(m.name, "task");
	router_match(&m, "DELETE", "/v1.1/tasks/abc/");
	ck_assert_int_eq(m.id, ROUTE_TASK);
	ck_assert_int_eq(m.method_allowed, 1);
	ck_assert_str_eq(m.param, "abc");
	router_match(&m, "HEAD", "/v1.1/tasks/abc");
	ck_assert_int_eq(m.method_allowed, 1);
	router_match(&m, "GET", "/v1.1/tasks");
	ck_assert_int_eq(m.id, ROUTE_TASKS);
	ck_assert_int_eq(m.method_allowed, 1);
	/* 65 bytes: over the id's bound, no route */
	router_match(&m, "GET", "/v1.1/tasks/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	ck_assert_int_eq(m.id, ROUTE_NONE);
}
END_TEST

START_TEST(test_router_unknown_paths)
{
	static const char *const bad[] = { "/", "", "/v1.1", "/v1.1/", "/v1.0/tasks", "/v1.1/tasks//",
		"/v1.1/tasksx", "/v1.1/tasks/1/x", "/v1.1/tasks/a b", "/V1.1/tasks", "/random", "/v1.1/_noop/x" };
	route_match m;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		router_match(&m, "POST", bad[i]);
		ck_assert_msg(m.id == ROUTE_NONE, "routed '%s'", bad[i]);
		ck_assert_str_eq(m.name, "other");
	}
	router_match(&m, "GET", NULL);
	ck_assert_int_eq(m.id, ROUTE_NONE);
}
END_TEST

START_TEST(test_router_names)
{
	ck_assert_str_eq(router_name(ROUTE_HEALTH), "_health");
	ck_assert_str_eq(router_name(ROUTE_NONE), "other");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fcgi_router");
	TCase *tc = tcase_create("router");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_router_tasks_with_and_without_slash);
	tcase_add_test(tc, test_router_task_by_id);
	tcase_add_test(tc, test_router_get_endpoints);
	tcase_add_test(tc, test_router_wrong_method_gives_allow);
	tcase_add_test(tc, test_router_head_where_get_is);
	tcase_add_test(tc, test_router_unknown_paths);
	tcase_add_test(tc, test_router_names);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
