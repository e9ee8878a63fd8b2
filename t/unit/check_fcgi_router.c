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

	router_match(&m, "GET", "/v1.1/tasks");
	ck_assert_int_eq(m.id, ROUTE_TASKS);
	ck_assert_int_eq(m.method_allowed, 0);
	ck_assert_str_eq(m.allow, "POST");
	router_match(&m, "POST", "/v1.1/_version");
	ck_assert_int_eq(m.method_allowed, 0);
	ck_assert_str_eq(m.allow, "GET, HEAD");
	router_match(&m, "HEAD", "/v1.1/tasks");
	ck_assert_int_eq(m.method_allowed, 0);
	ck_assert_str_eq(m.allow, "POST");
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

START_TEST(test_router_unknown_paths)
{
	static const char *const bad[] = { "/", "", "/v1.1", "/v1.1/", "/v1.0/tasks", "/v1.1/tasks//",
		"/v1.1/tasksx", "/v1.1/tasks/1", "/V1.1/tasks", "/random", "/v1.1/_noop/x" };
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
