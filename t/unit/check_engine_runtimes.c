/*
 * Unit tests: reading the engine's runtimes out of GET /info
 * (ecs_engine_runtimes_from_info, ecs_engine_runtimes_has/_clear in
 * lib/runtimes.c), from canned bytes.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <ecs/ecs.h>
#include "engine_private.h"
#include "json_util.h"

/* Engine 20.10.24 (API 1.41) with runsc registered in daemon.json, trimmed. */
static const char info_runsc[] =
	"{\"ID\":\"GCW5:AX42\",\"Containers\":0,\"Driver\":\"overlay2\","
	"\"Plugins\":{\"Volume\":[\"local\"],\"Network\":[\"bridge\",\"host\",\"null\"],\"Authorization\":null},"
	"\"CgroupDriver\":\"cgroupfs\",\"CgroupVersion\":\"1\",\"ServerVersion\":\"20.10.24+dfsg1\","
	"\"Runtimes\":{\"runc\":{\"path\":\"runc\"},\"runsc\":{\"path\":\"/usr/bin/runsc\","
	"\"runtimeArgs\":[\"--platform=ptrace\",\"--network=none\"]}},\"DefaultRuntime\":\"runc\","
	"\"InitBinary\":\"docker-init\",\"SecurityOptions\":[\"name=seccomp,profile=default\"],\"Warnings\":null}\n";
/* A freshly started 20.10 engine, before any reload: containerd's names too, unsorted. */
static const char info_fresh[] =
	"{\"Runtimes\":{\"runc\":{\"path\":\"runc\"},\"io.containerd.runtime.v1.linux\":{\"path\":\"runc\"},"
	"\"io.containerd.runc.v2\":{\"path\":\"runc\"}},\"DefaultRuntime\":\"runc\"}";

static json_object *doc;
static ecs_engine_runtimes rt;

static void setup(void)
{
	doc = NULL;
	memset(&rt, 0x5a, sizeof(rt)); /* garbage: the parser must set every member */
}

static void teardown(void)
{
	json_object_put(doc);
	doc = NULL;
}

static int parse(const char *body)
{
	json_object_put(doc);
	doc = ecs_json_parse(body, strlen(body));
	ck_assert_msg(doc != NULL, "canned body is not JSON: %s", body);
	return ecs_engine_runtimes_from_info(&rt, doc);
}

static void assert_zeroed(void)
{
	ck_assert_ptr_null(rt.names);
	ck_assert_uint_eq(rt.count, 0);
	ck_assert_ptr_null(rt.default_runtime);
}

START_TEST(test_engine_runtimes_with_runsc)
{
	ck_assert_int_eq(parse(info_runsc), 0);
	ck_assert_uint_eq(rt.count, 2);
	ck_assert_str_eq(rt.names[0], "runc");
	ck_assert_str_eq(rt.names[1], "runsc");
	ck_assert_str_eq(rt.default_runtime, "runc");
	ck_assert_int_eq(ecs_engine_runtimes_has(&rt, "runsc"), 1);
	ck_assert_int_eq(ecs_engine_runtimes_has(&rt, "runc"), 1);
	ck_assert_int_eq(ecs_engine_runtimes_has(&rt, "run"), 0);
	ck_assert_int_eq(ecs_engine_runtimes_has(&rt, "runsc "), 0);
	ck_assert_int_eq(ecs_engine_runtimes_has(&rt, "RUNSC"), 0);
	ecs_engine_runtimes_clear(&rt);
	assert_zeroed();
}
END_TEST

START_TEST(test_engine_runtimes_sorted)
{
	ck_assert_int_eq(parse(info_fresh), 0);
	ck_assert_uint_eq(rt.count, 3);
	ck_assert_str_eq(rt.names[0], "io.containerd.runc.v2");
	ck_assert_str_eq(rt.names[1], "io.containerd.runtime.v1.linux");
	ck_assert_str_eq(rt.names[2], "runc");
	ck_assert_int_eq(ecs_engine_runtimes_has(&rt, "runsc"), 0);
	ecs_engine_runtimes_clear(&rt);
}
END_TEST

START_TEST(test_engine_runtimes_empty_and_no_default)
{
	/* An engine with no runtimes and no default is odd but well-formed. */
	ck_assert_int_eq(parse("{\"Runtimes\":{}}"), 0);
	ck_assert_uint_eq(rt.count, 0);
	ck_assert_ptr_null(rt.names);
	ck_assert_str_eq(rt.default_runtime, "");
	ck_assert_int_eq(ecs_engine_runtimes_has(&rt, "runc"), 0);
	ecs_engine_runtimes_clear(&rt);

	/* A DefaultRuntime that is not a string counts as none. */
	ck_assert_int_eq(parse("{\"Runtimes\":{\"runc\":{}},\"DefaultRuntime\":7}"), 0);
	ck_assert_str_eq(rt.default_runtime, "");
	ck_assert_uint_eq(rt.count, 1);
	ecs_engine_runtimes_clear(&rt);
}
END_TEST

START_TEST(test_engine_runtimes_refused)
{
	static const char *const bad[] = {
		"{}",                                      /* no Runtimes */
		"{\"Runtimes\":null,\"DefaultRuntime\":\"runc\"}",
		"{\"Runtimes\":[\"runc\",\"runsc\"]}",    /* a list, not an object */
		"{\"Runtimes\":\"runc\"}",
		"{\"Runtimes\":{\"runc\":{},\"\":{}}}",  /* an empty name */
		"[\"Runtimes\"]",
		"42",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&rt, 0x5a, sizeof(rt));
		ck_assert_msg(parse(bad[i]) == ECS_EPROTO, "accepted %s", bad[i]);
		assert_zeroed();
		ecs_engine_runtimes_clear(&rt); /* harmless on a zeroed struct */
	}
}
END_TEST

START_TEST(test_engine_runtimes_null_arguments)
{
	ecs_engine_runtimes none = { NULL, 0, NULL };

	ecs_engine_runtimes_clear(NULL);
	ck_assert_int_eq(ecs_engine_runtimes_has(NULL, "runc"), 0);
	ck_assert_int_eq(ecs_engine_runtimes_has(&none, NULL), 0);
	ck_assert_int_eq(ecs_engine_runtimes_has(&none, "runc"), 0);
	ck_assert_int_eq(ecs_engine_runtimes_get(NULL, NULL), ECS_EINVAL);
	ck_assert_int_eq(ecs_engine_runtimes_get(&rt, NULL), ECS_EINVAL);
	assert_zeroed();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("engine_runtimes");
	TCase *tc = tcase_create("runtimes");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_engine_runtimes_with_runsc);
	tcase_add_test(tc, test_engine_runtimes_sorted);
	tcase_add_test(tc, test_engine_runtimes_empty_and_no_default);
	tcase_add_test(tc, test_engine_runtimes_refused);
	tcase_add_test(tc, test_engine_runtimes_null_arguments);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
