/* check_fcgi_health.c - the comprehensive health check's pieces that need no
 * engine: the runtimes component (configured runtimes against the engine's)
 * and the answer when there is no engine at all. */
#include <config.h>

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
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
