/* check_fcgi_health.c - the comprehensive health check's pieces that need no
 * engine: the runtimes component (configured runtimes against the engine's)
 * and the answer when there is no engine at all; the background engine
 * check's views (quick reason, engineCheck, metrics) and its thread against
 * an engine that is not there. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "health.h"
#include "metrics.h"

static char runc[] = "runc", runsc[] = "runsc";
static char *engine_names[] = { runc, runsc };
static const ecs_engine_runtimes both = { engine_names, 2, runc };
static const ecs_engine_runtimes only_runc = { engine_names, 1, runc };

static const char *member(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static struct json_object *object(struct json_object *o, const char *key)
{
	struct json_object *v;

	ck_assert_msg(json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_object),
			"no object %s in %s", key, json_object_to_json_string(o));
	return v;
}

START_TEST(test_health_runtimes_all_present)
{
	const char *wanted[] = { "runc", "runsc", "runsc" };
	struct json_object *o, *configured;
	int green = -1;

	o = health_runtimes_component(&green, &both, wanted, 3);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(green, 1);
	ck_assert_str_eq(member(o, "status"), "green");
	configured = object(o, "configured");
	ck_assert_int_eq(json_object_object_length(configured), 2); /* a duplicate counts once */
	ck_assert_str_eq(member(configured, "runc"), "green");
	ck_assert_str_eq(member(configured, "runsc"), "green");
	ck_assert_ptr_null(member(o, "message"));
	json_object_put(o);
}
END_TEST

START_TEST(test_health_runtimes_missing_is_red_and_named)
{
	const char *wanted[] = { "runc", "runsc", "kata" };
	struct json_object *o, *configured;
	const char *msg;
	int green = -1;

	o = health_runtimes_component(&green, &only_runc, wanted, 3);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(green, 0);
	ck_assert_str_eq(member(o, "status"), "red");
	configured = object(o, "configured");
	ck_assert_str_eq(member(configured, "runc"), "green");
	ck_assert_str_eq(member(configured, "runsc"), "red");
	ck_assert_str_eq(member(configured, "kata"), "red");
	msg = member(o, "message");
	ck_assert_ptr_nonnull(msg);
	ck_assert_msg(strstr(msg, "runsc, kata") != NULL, "message: %s", msg);
	ck_assert_msg(strstr(msg, "runc") == NULL, "names a present runtime: %s", msg);
	json_object_put(o);
}
END_TEST

START_TEST(test_health_runtimes_none_configured)
{
	struct json_object *o;
	int green = -1;

	/* Nothing configured: tasks get the engine's default, which it has. */
	o = health_runtimes_component(&green, &only_runc, NULL, 0);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(green, 1);
	ck_assert_int_eq(json_object_object_length(object(o, "configured")), 0);
	json_object_put(o);
}
END_TEST

START_TEST(test_health_runtimes_long_names_bounded)
{
	static char names[40][200];
	const char *wanted[40];
	struct json_object *o;
	int green = -1;

	/* The message is bounded; every name still gets its color. */
	for (int i = 0; i < 40; i++) {
		memset(names[i], 'a' + i % 26, sizeof(names[i]) - 4);
		names[i][sizeof(names[i]) - 4] = (char)('0' + i / 10);
		names[i][sizeof(names[i]) - 3] = (char)('0' + i % 10);
		names[i][sizeof(names[i]) - 2] = '\0';
		wanted[i] = names[i];
	}
	o = health_runtimes_component(&green, &both, wanted, 40);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(green, 0);
	ck_assert_int_eq(json_object_object_length(object(o, "configured")), 40);
	ck_assert_uint_lt(strlen(member(o, "message")), 512);
	json_object_put(o);
}
END_TEST

START_TEST(test_health_details_without_engine_is_red)
{
	config *cfg = config_defaults();
	struct json_object *d, *eng;
	int green = -1;

	ck_assert_ptr_nonnull(cfg);
	d = health_details(&green, NULL, cfg);
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(green, 0);
	eng = object(d, "engine");
	ck_assert_str_eq(member(eng, "status"), "red");
	ck_assert_str_eq(member(eng, "connectivity"), "red");
	ck_assert_str_eq(member(eng, "message"), "no engine handle");
	ck_assert_ptr_null(member(eng, "defaultRuntime"));
	/* No engine listed its runtimes: no runtimes component to judge. */
	ck_assert_int_eq(json_object_object_get_ex(d, "runtimes", NULL), 0);
	json_object_put(d);
	config_free(cfg);
}
END_TEST

/* A failed last check: red, with the check's message, in every view. */
START_TEST(test_health_engine_check_failed_is_red_everywhere)
{
	engine_watch_state st;
	struct json_object *o;
	char reason[512];
	size_t len = 0;
	char *m;

	memset(&st, 0, sizeof(st));
	st.enabled = 1;
	st.ok = 0;
	st.age_s = 0.4;
	st.interval_s = 2;
	st.checks = 7;
	st.failures = 3;
	st.consecutive = 3;
	snprintf(st.message, sizeof(st.message), "the engine cannot be reached: refused");
	ck_assert_int_eq(engine_watch_healthy(&st), 0);
	o = health_engine_check(&st);
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(member(o, "status"), "red");
	ck_assert_str_eq(member(o, "message"), "the engine cannot be reached: refused");
	json_object_put(o);
	health_quick_reason(reason, sizeof(reason), &st);
	ck_assert_str_eq(reason, "the engine failed its last health check, 0.4 s ago (3 in a row, one every 2 s): "
			"the engine cannot be reached: refused");
	m = metrics_render_engine_check(&len, &st);
	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_nonnull(strstr(m, "\necs_engine_check_up 0\n"));
	ck_assert_ptr_nonnull(strstr(m, "\necs_engine_check_failures_total 3\n"));
	ck_assert_ptr_nonnull(strstr(m, "\necs_engine_checks_total 7\n"));
	free(m);
}
END_TEST

/* A passed check that is too old means a stuck checker: red too. No watch: green, no metrics. */
START_TEST(test_health_engine_check_stale_red_disabled_green)
{
	engine_watch_state st;
	struct json_object *o;
	char reason[512];
	size_t len = 1;
	char *m;

	memset(&st, 0, sizeof(st));
	st.enabled = 1;
	st.ok = 1;
	st.stale = 1;
	st.interval_s = 1;
	snprintf(st.message, sizeof(st.message), "no engine check finished for 3.5 s");
	ck_assert_int_eq(engine_watch_healthy(&st), 0);
	health_quick_reason(reason, sizeof(reason), &st);
	ck_assert_ptr_nonnull(strstr(reason, "stuck"));
	st.stale = 0;
	st.message[0] = '\0';
	ck_assert_int_eq(engine_watch_healthy(&st), 1);
	o = health_engine_check(&st);
	ck_assert_str_eq(member(o, "status"), "green");
	ck_assert_ptr_null(member(o, "message"));
	json_object_put(o);

	engine_watch_get(&st, NULL);
	ck_assert_int_eq(st.enabled, 0);
	ck_assert_int_eq(engine_watch_healthy(&st), 1);
	m = metrics_render_engine_check(&len, &st);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(len, 0);
	free(m);
}
END_TEST

/*
 * The real checker against an engine that is not there (a socket path
 * nobody listens on): the first check happens before start returns, it
 * fails, and stop is prompt even mid-wait.
 */
START_TEST(test_health_engine_watch_no_engine)
{
	ecs_engine_options eo = ECS_ENGINE_OPTIONS_INIT;
	engine_watch *w = NULL;
	engine_watch_state st;

	eo.endpoint = "unix:///nonexistent/ecs-check-no-engine.sock";
	ck_assert_int_eq(ecs_global_init(), 0);
	ck_assert_int_eq(engine_watch_start(&w, &eo, 60), 0);
	ck_assert_ptr_nonnull(w);
	engine_watch_get(&st, w);
	ck_assert_int_eq(st.enabled, 1);
	ck_assert_int_eq(st.ok, 0);
	ck_assert_int_eq(st.stale, 0);
	ck_assert_uint_eq(st.checks, 1);
	ck_assert_uint_eq(st.failures, 1);
	ck_assert_uint_eq(st.interval_s, 60);
	ck_assert_msg(st.message[0] != '\0', "no message");
	ck_assert_int_eq(engine_watch_healthy(&st), 0);
	engine_watch_stop(w);  /* the thread waits 60 s for its next check: stop wakes it */
	ecs_global_cleanup();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fcgi_health");
	TCase *tc = tcase_create("health");
	SRunner *sr;
	int failed;

	metrics_reset();
	tcase_add_test(tc, test_health_runtimes_all_present);
	tcase_add_test(tc, test_health_runtimes_missing_is_red_and_named);
	tcase_add_test(tc, test_health_runtimes_none_configured);
	tcase_add_test(tc, test_health_runtimes_long_names_bounded);
	tcase_add_test(tc, test_health_details_without_engine_is_red);
	tcase_add_test(tc, test_health_engine_check_failed_is_red_everywhere);
	tcase_add_test(tc, test_health_engine_check_stale_red_disabled_green);
	tcase_add_test(tc, test_health_engine_watch_no_engine);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
