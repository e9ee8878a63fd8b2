/* check_fcgi_session_registry.c - the sessions ecs-fcgi keeps: owners, caps, one request at a time, expiry. */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "router.h"
#include "session_registry.h"

static session_registry *r;

static void setup(void)
{
	ck_assert_int_eq(session_registry_new(&r), 0);
}

static void teardown(void)
{
	session_registry_free(r);
	r = NULL;
}

/* A session of @owner with id @id, created now: reserved then added. */
static void add(const char *id, const char *owner, long idle_s, time_t expires)
{
	ecs_session_info s;

	memset(&s, 0, sizeof(s));
	strcpy(s.id, id);
	strcpy(s.owner, owner);
	s.container_id = strdup("c0ffee");
	s.image = strdup("ecs/busybox:latest");
	s.created = time(NULL);
	s.expires = expires;
	s.idle_timeout_s = idle_s;
	ck_assert_int_eq(session_registry_reserve(r, owner, 8, 64), SESSION_FOUND);
	ck_assert_int_eq(session_registry_add(r, &s, 1, NULL), 0);
	ck_assert_ptr_null(s.container_id);
}

/* Another owner's session is not found, exactly as no such id: no view, no hold, no delete. */
START_TEST(test_session_registry_other_owner_not_found)
{
	session_view v;
	ecs_session_info gone;

	add("s1", "alice", 300, time(NULL) + 3600);
	ck_assert_int_eq(session_registry_view(r, "s1", "bob", &v), SESSION_NOT_FOUND);
	ck_assert_int_eq(session_registry_acquire(r, "s1", "bob", &v), SESSION_NOT_FOUND);
	ck_assert_int_eq(session_registry_remove(r, "s1", "bob", &gone), SESSION_NOT_FOUND);
	ck_assert_int_eq(session_registry_view(r, "nope", "bob", &v), SESSION_NOT_FOUND);
	ck_assert_int_eq(session_registry_view(r, "s1", "alice", &v), SESSION_FOUND);
	ck_assert_str_eq(v.info.container_id, "c0ffee");
	session_view_clear(&v);
	{
		session_view *list;
		size_t n;

		ck_assert_int_eq(session_registry_list(r, "bob", &list, &n), 0);
		ck_assert_uint_eq(n, 0);
		session_views_free(list, n);
		ck_assert_int_eq(session_registry_list(r, "alice", &list, &n), 0);
		ck_assert_uint_eq(n, 1);
		session_views_free(list, n);
	}
}
END_TEST

/* The caps count reserved places too, per owner and in all. */
START_TEST(test_session_registry_caps)
{
	ck_assert_int_eq(session_registry_reserve(r, "alice", 2, 3), SESSION_FOUND);
	ck_assert_int_eq(session_registry_reserve(r, "alice", 2, 3), SESSION_FOUND);
	ck_assert_int_eq(session_registry_reserve(r, "alice", 2, 3), SESSION_CLIENT_CAP);
	ck_assert_int_eq(session_registry_reserve(r, "bob", 2, 3), SESSION_FOUND);
	ck_assert_int_eq(session_registry_reserve(r, "carol", 2, 3), SESSION_TOTAL_CAP);
	session_registry_unreserve(r, "alice");
	ck_assert_int_eq(session_registry_reserve(r, "alice", 2, 3), SESSION_FOUND);
	ck_assert_int_eq(session_registry_reserve(r, "alice", 0, 64), SESSION_CLIENT_CAP);
}
END_TEST

/* One request at a time; a lost one says why; the counters follow. */
START_TEST(test_session_registry_busy_and_lost)
{
	session_view v, w;
	session_stats st;

	add("s1", "alice", 300, time(NULL) + 3600);
	ck_assert_int_eq(session_registry_acquire(r, "s1", "alice", &v), SESSION_FOUND);
	ck_assert_int_eq(session_registry_acquire(r, "s1", "alice", &w), SESSION_BUSY);
	session_registry_release(r, "s1", 1, 10, 20, NULL);
	session_view_clear(&v);
	ck_assert_int_eq(session_registry_acquire(r, "s1", "alice", &v), SESSION_FOUND);
	session_view_clear(&v);
	session_registry_release(r, "s1", 0, 0, 0, "its container was killed: out of memory");
	ck_assert_int_eq(session_registry_acquire(r, "s1", "alice", &v), SESSION_LOST);
	ck_assert_str_eq(v.lost_reason, "its container was killed: out of memory");
	session_view_clear(&v);
	session_registry_stats(r, &st);
	ck_assert_uint_eq(st.open, 1);
	ck_assert_uint_eq(st.created, 1);
	ck_assert_uint_eq(st.execs, 1);
	ck_assert_uint_eq(st.bytes_in, 10);
	ck_assert_uint_eq(st.bytes_out, 20);
	ck_assert_uint_eq(st.lost, 1);
}
END_TEST

/* Idle past its timeout or past its lifetime: out; busy: never. */
START_TEST(test_session_registry_expire)
{
	ecs_session_info *due;
	session_view v;
	time_t now = time(NULL);

	add("idle", "alice", 2, now + 3600);
	add("old", "alice", 0, now + 5);
	add("busy", "alice", 2, now + 3600);
	ck_assert_int_eq(session_registry_acquire(r, "busy", "alice", &v), SESSION_FOUND);
	session_view_clear(&v);
	ck_assert_uint_eq(session_registry_expire(r, now + 1, &due), 0);
	ck_assert_uint_eq(session_registry_expire(r, now + 3, &due), 1);
	ck_assert_str_eq(due[0].id, "idle");
	ecs_session_list_free(due, 1);
	ck_assert_uint_eq(session_registry_expire(r, now + 6, &due), 1);
	ck_assert_str_eq(due[0].id, "old");
	ecs_session_list_free(due, 1);
	ck_assert_int_eq(session_registry_view(r, "idle", "alice", &v), SESSION_NOT_FOUND);
	ck_assert_int_eq(session_registry_view(r, "busy", "alice", &v), SESSION_FOUND);
	session_view_clear(&v);
}
END_TEST

START_TEST(test_session_routes)
{
	route_match m;

	router_match(&m, "POST", "/v1.1/sessions");
	ck_assert_int_eq(m.id, ROUTE_SESSIONS);
	ck_assert_int_eq(m.method_allowed, 1);
	router_match(&m, "DELETE", "/v1.1/sessions");
	ck_assert_int_eq(m.method_allowed, 0);
	ck_assert_str_eq(m.allow, "GET, HEAD, POST");
	router_match(&m, "DELETE", "/v1.1/sessions/abc_1.2-3");
	ck_assert_int_eq(m.id, ROUTE_SESSION);
	ck_assert_str_eq(m.param, "abc_1.2-3");
	router_match(&m, "POST", "/v1.1/sessions/abc/exec");
	ck_assert_int_eq(m.id, ROUTE_SESSION_EXEC);
	ck_assert_int_eq(m.method_allowed, 1);
	router_match(&m, "PUT", "/v1.1/sessions/abc/files/tmp/a%20b");
	ck_assert_int_eq(m.id, ROUTE_SESSION_FILES);
	ck_assert_str_eq(m.tail, "/tmp/a%20b");
	router_match(&m, "HEAD", "/v1.1/sessions/abc/files/tmp/x");
	ck_assert_int_eq(m.method_allowed, 1);
	router_match(&m, "GET", "/v1.1/sessions/abc/files/");
	ck_assert_int_eq(m.id, ROUTE_NONE);
	router_match(&m, "GET", "/v1.1/sessions/a%2Fb");
	ck_assert_int_eq(m.id, ROUTE_NONE);
	router_match(&m, "POST", "/v1.1/sessions/abc/execx");
	ck_assert_int_eq(m.id, ROUTE_NONE);
	router_match(&m, "GET", "/v1.1/sessions/0123456789012345678901234567890123456789012345678901234567890123456789");
	ck_assert_int_eq(m.id, ROUTE_NONE);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fcgi_session_registry");
	TCase *tc = tcase_create("registry");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_session_registry_other_owner_not_found);
	tcase_add_test(tc, test_session_registry_caps);
	tcase_add_test(tc, test_session_registry_busy_and_lost);
	tcase_add_test(tc, test_session_registry_expire);
	tcase_add_test(tc, test_session_routes);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
