/*
 * Integration tests: a task's runtime (the sandbox profile's runtime) against
 * the real engine. A task under runsc runs on gVisor's kernel, which says so
 * in its dmesg; one under runc on the host's. Needs an engine with runsc
 * registered (./bootstrap registers it with an engine it starts): without
 * it the whole program is skipped (exit 77), saying why.
 */
#include <config.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ecs/ecs.h>
#include "it_util.h"

#define GVISOR_BANNER "Starting gVisor..."

static ecs_engine *engine;

static void setup(void)
{
	engine = it_engine_new();
}

static void teardown(void)
{
	ecs_engine_free(engine);
	engine = NULL;
}

/* `dmesg` in a task under @runtime (NULL: ECS_TEST_RUNTIME or the engine's default). */
static int run_dmesg(ecs_task_result *r, const char *runtime, const char *what)
{
	static const char *const cmd[] = { "sh", "-c", "dmesg 2>&1 | head -n 3" };
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_sandbox_profile base = ECS_SANDBOX_PROFILE_INIT, profile;
	char *task_id = it_task_id(what);
	int rc;

	base.runtime = runtime;
	spec.run.image = it_test_image();
	spec.run.cmd = cmd;
	spec.run.cmd_len = 3;
	spec.task_id = task_id;
	spec.profile = it_profile(&profile, &base);
	rc = ecs_task_run(r, engine, NULL, &spec);
	free(task_id);
	return rc;
}

static void assert_ran(int rc, const ecs_task_result *r)
{
	ck_assert_msg(rc == ECS_OK, "ecs_task_run: %s in %s: %s", ecs_error_name(rc),
		      ecs_task_phase_name(r->error_phase) ? ecs_task_phase_name(r->error_phase) : "?", r->error);
	ck_assert_int_eq(r->exit_code, 0);
}

START_TEST(test_runtime_runsc_is_gvisor)
{
	ecs_task_result r = ECS_TASK_RESULT_INIT;
	int rc = run_dmesg(&r, "runsc", "runsc");

	assert_ran(rc, &r);
	ck_assert_msg(r.out.len > 0 && strstr((const char *)r.out.data, GVISOR_BANNER) != NULL,
		      "no \"%s\" in dmesg: '%s'", GVISOR_BANNER, r.out.data ? (char *)r.out.data : "");
	ecs_task_result_clear(&r);
}
END_TEST

START_TEST(test_runtime_runc_is_not_gvisor)
{
	ecs_task_result r = ECS_TASK_RESULT_INIT;
	int rc = run_dmesg(&r, "runc", "runc");

	/* The runtime is per task, not the engine's: runc in the same run is the host's kernel. */
	ck_assert_msg(rc == ECS_OK, "ecs_task_run: %s in %s: %s", ecs_error_name(rc),
		      ecs_task_phase_name(r.error_phase) ? ecs_task_phase_name(r.error_phase) : "?", r.error);
	ck_assert_msg(r.out.data == NULL || strstr((const char *)r.out.data, GVISOR_BANNER) == NULL,
		      "runc task reports gVisor: '%s'", (char *)r.out.data);
	ecs_task_result_clear(&r);
}
END_TEST

START_TEST(test_runtime_test_runtime_applies)
{
	const char *want = it_test_runtime();
	ecs_task_result r = ECS_TASK_RESULT_INIT;
	int rc;

	/* Under ECS_TEST_RUNTIME=runsc, a profile that names no runtime gets it (t/lib/it_util.c). */
	if (want == NULL || strcmp(want, "runsc") != 0) {
		fprintf(stderr, "SKIP test_runtime_test_runtime_applies: ECS_TEST_RUNTIME is not runsc\n");
		return;
	}
	rc = run_dmesg(&r, NULL, "applies");
	assert_ran(rc, &r);
	ck_assert_msg(r.out.data != NULL && strstr((const char *)r.out.data, GVISOR_BANNER) != NULL,
		      "ECS_TEST_RUNTIME=runsc did not reach the task: '%s'", r.out.data ? (char *)r.out.data : "");
	ecs_task_result_clear(&r);
}
END_TEST

/* 1 when the engine lists runsc; else prints why and 0. */
static int engine_has_runsc(void)
{
	ecs_engine_options opts = ECS_ENGINE_OPTIONS_INIT;
	ecs_engine *e = NULL;
	ecs_engine_runtimes rt;
	int rc, has;

	/* Not it_engine_new(): outside a test, ck_assert must not fire. */
	opts.endpoint = getenv("ECS_TEST_ENDPOINT");
	opts.ca_file = getenv("ECS_TEST_CA_FILE");
	opts.cert_file = getenv("ECS_TEST_CERT_FILE");
	opts.key_file = getenv("ECS_TEST_KEY_FILE");
	rc = ecs_engine_new(&e, &opts);
	if (rc != ECS_OK) {
		printf("SKIP check_it_runtime: no engine handle: %s\n", ecs_error_name(rc));
		return 0;
	}
	rc = ecs_engine_runtimes_get(&rt, e);
	if (rc != ECS_OK) {
		printf("SKIP check_it_runtime: cannot list the engine's runtimes: %s: %s\n", ecs_error_name(rc),
		       ecs_engine_errmsg(e));
		ecs_engine_free(e);
		return 0;
	}
	has = ecs_engine_runtimes_has(&rt, "runsc");
	if (!has)
		printf("SKIP check_it_runtime: the engine has no runsc runtime (register it: docs/operations.md, "
		       "\"gVisor\"; ./bootstrap does so only for an engine it started)\n");
	ecs_engine_runtimes_clear(&rt);
	ecs_engine_free(e);
	return has;
}

int main(void)
{
	Suite *s = suite_create("it_runtime");
	SRunner *sr;
	TCase *tc;
	int failed, left;

	it_global_init();
	if (!engine_has_runsc()) {
		ecs_global_cleanup();
		return 77;
	}
	tc = tcase_create("runtime");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_runtime_runsc_is_gvisor);
	tcase_add_test(tc, test_runtime_runc_is_not_gvisor);
	tcase_add_test(tc, test_runtime_test_runtime_applies);
	suite_add_tcase(s, tc);

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	/* Whatever a failed test left behind goes now; finding any is a failure of its own. */
	left = it_cleanup_run();
	if (left != 0) {
		fprintf(stderr, "check_it_runtime: %d container(s) of this run were left behind (%s)\n", left,
			left < 0 ? ecs_error_name(left) : "deleted now");
		failed++;
	}
	ecs_global_cleanup();
	return failed == 0 ? 0 : 1;
}
