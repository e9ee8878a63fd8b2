/*
 * Integration tests of the cold backend with ecs-agent as every container's
 * PID 1 (issue 17): the engine shows the agent as entrypoint, a task cannot
 * forge the agent's exit record, a missing agent file is a clear error, and
 * the one exception (under runsc a root task, or capabilities that reach
 * other uids: agent/PROTOCOL.md) keeps docker-init. No container is left.
 */
#include <config.h>

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include <ecs/ecs.h>
#include "engine_private.h"
#include "container_private.h"
#include "http.h"
#include "it_util.h"

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

static int count_task(const char *task_id)
{
	char label[160];
	int n;

	snprintf(label, sizeof(label), "%s=%s", ECS_LABEL_TASK_ID, task_id);
	n = it_count_labelled(engine, label);
	ck_assert_msg(n >= 0, "listing by %s: %s", label, ecs_error_name(n));
	return n;
}

static int has_runsc(void)
{
	ecs_engine_runtimes rt;
	int yes;

	memset(&rt, 0, sizeof(rt));
	if (ecs_engine_runtimes_get(&rt, engine) != 0)
		return 0;
	yes = ecs_engine_runtimes_has(&rt, "runsc");
	ecs_engine_runtimes_clear(&rt);
	return yes;
}

/* Run @cmd cold (no pool) under @profile (NULL: the test runtime's defaults); the container must be gone after. */
static int run(ecs_task_result *r, const char *what, const ecs_sandbox_profile *profile, const char *const *cmd,
	       size_t cmd_len)
{
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_sandbox_profile buf;
	char *task_id = it_task_id(what);
	int rc;

	spec.run.image = it_test_image();
	spec.run.cmd = cmd;
	spec.run.cmd_len = cmd_len;
	spec.task_id = task_id;
	spec.timeout_ms = 20000;
	spec.profile = it_profile(&buf, profile);
	rc = ecs_task_run(r, engine, NULL, &spec);
	ck_assert_int_eq(r->pooled, 0);
	ck_assert_int_eq(count_task(task_id), 0);
	free(task_id);
	return rc;
}

/* PID 1's command line, as the task sees it: "/.ecs/agent -u ..." or docker-init's. */
static const char *const pid1_cmd[] = { "sh", "-c", "tr '\\0' ' ' < /proc/1/cmdline" };

/*
 * The attack: a forged EXIT record (kind EXITED, code 0) written to PID 1's
 * stdout by another path, then exit 3. Were it the agent's channel, the
 * reader would take the forged 0; the answer must be the task's own 3.
 */
static const char *const forge_cmd[] = {
	"sh", "-c",
	"printf '\\005\\000\\000\\000\\000\\000\\000\\014\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000' "
	"> /proc/1/fd/1 2>/dev/null; echo \"forge $?\"; exit 3"
};

static void assert_forge_failed(const ecs_task_result *r, int rc)
{
	ck_assert_msg(rc == ECS_OK, "run: %s (%s)", ecs_error_name(rc), r->error);
	ck_assert_int_eq(r->exit_code, 3);
	ck_assert_int_eq(r->timed_out, 0);
}

START_TEST(test_cold_pid1_is_agent)
{
	ecs_task_result r = ECS_TASK_RESULT_INIT;
	ecs_sandbox_profile p = ECS_SANDBOX_PROFILE_INIT;
	const char *rt = it_test_runtime();
	int rc;

	/* under runsc a root task keeps docker-init: the agent's case is a user of its own */
	if (rt != NULL && strcmp(rt, "runsc") == 0)
		p.user = "65534:65534";
	rc = run(&r, "pid1", &p, pid1_cmd, 3);
	ck_assert_msg(rc == ECS_OK, "run: %s (%s)", ecs_error_name(rc), r.error);
	ck_assert_int_eq(r.exit_code, 0);
	ck_assert_msg(strncmp((const char *)r.out.data, ECS_AGENT_MOUNT " -u ", strlen(ECS_AGENT_MOUNT) + 4) == 0,
		      "PID 1 is \"%s\", not the agent", (const char *)r.out.data);
	ecs_task_result_clear(&r);

	rc = run(&r, "forge", &p, forge_cmd, 3);
	assert_forge_failed(&r, rc);
	ck_assert_str_eq((const char *)r.out.data, "forge 1\n");
	ecs_task_result_clear(&r);
}
END_TEST

/* ---- the engine's view of a cold container while it runs */

typedef struct {
	char *task_id;
	int rc;
	ecs_task_result r;
} bg_task;

static void *bg_run(void *arg)
{
	static const char *const cmd[] = { "sleep", "3" };
	bg_task *b = arg;
	ecs_engine *e = it_engine_new();
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_sandbox_profile buf, p = ECS_SANDBOX_PROFILE_INIT;
	const char *rt = it_test_runtime();

	if (rt != NULL && strcmp(rt, "runsc") == 0)
		p.user = "65534:65534";
	spec.run.image = it_test_image();
	spec.run.cmd = cmd;
	spec.run.cmd_len = 2;
	spec.task_id = b->task_id;
	spec.profile = it_profile(&buf, &p);
	b->rc = ecs_task_run(&b->r, e, NULL, &spec);
	ecs_engine_free(e);
	return NULL;
}

/* GET /containers/@id/json, parsed. */
static json_object *inspect_json(const char *id)
{
	ecs_http_request req = { 0 };
	json_object *answer = NULL;
	char path[160];
	int rc;

	snprintf(path, sizeof(path), "/containers/%s/json", id);
	req.method = "GET";
	req.path = path;
	rc = ecs_http_json(engine, &req, "inspect", &answer);
	ck_assert_msg(rc == ECS_OK, "inspect %s: %s", id, ecs_engine_errmsg(engine));
	return answer;
}

START_TEST(test_cold_engine_shows_agent_entrypoint)
{
	bg_task b = { .r = ECS_TASK_RESULT_INIT };
	pthread_t th;
	char label[160];
	ecs_container_info *list = NULL;
	size_t n = 0;
	double until;
	json_object *j, *config, *hc, *v;

	b.task_id = it_task_id("inspect");
	snprintf(label, sizeof(label), "%s=%s", ECS_LABEL_TASK_ID, b.task_id);
	ck_assert_int_eq(pthread_create(&th, NULL, bg_run, &b), 0);
	until = it_now_ms() + 20000;
	for (;;) {
		const char *const labels[] = { label };
		struct timespec pause = { 0, 20 * 1000000L };

		ck_assert_int_eq(ecs_container_list(&list, &n, engine, labels, 1), ECS_OK);
		if (n == 1 && list[0].running)
			break;
		ecs_container_list_free(list, n);
		list = NULL;
		ck_assert_msg(it_now_ms() < until, "the task's container never ran");
		nanosleep(&pause, NULL);
	}
	j = inspect_json(list[0].id);
	ecs_container_list_free(list, n);
	config = json_object_object_get(j, "Config");
	hc = json_object_object_get(j, "HostConfig");
	v = json_object_object_get(config, "Entrypoint");
	ck_assert_msg(v != NULL && json_object_array_length(v) == 1 &&
		      strcmp(json_object_get_string(json_object_array_get_idx(v, 0)), ECS_AGENT_MOUNT) == 0,
		      "Entrypoint: %s", json_object_to_json_string(v));
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(json_object_object_get(config, "Cmd"), 0)),
			 "-u");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(config, "User")), "0:0");
	ck_assert_int_eq(json_object_get_boolean(json_object_object_get(hc, "Init")), 0);
	ck_assert_int_eq(json_object_get_boolean(json_object_object_get(config, "StdinOnce")), 1);
	ck_assert_int_eq(json_object_get_boolean(json_object_object_get(hc, "ReadonlyRootfs")), 1);
	json_object_put(j);
	pthread_join(th, NULL);
	ck_assert_msg(b.rc == ECS_OK, "run: %s (%s)", ecs_error_name(b.rc), b.r.error);
	ck_assert_int_eq(b.r.exit_code, 0);
	ck_assert_int_eq(count_task(b.task_id), 0);
	ecs_task_result_clear(&b.r);
	free(b.task_id);
}
END_TEST

START_TEST(test_cold_missing_agent_is_clear)
{
	static const char *const cmd[] = { "true" };
	static const char missing[] = "/nonexistent/ecs-agent";
	ecs_engine_options o = *ecs_engine_options_get(engine);
	ecs_engine *e = NULL;
	ecs_task_result r = ECS_TASK_RESULT_INIT;
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_sandbox_profile buf;
	char *task_id = it_task_id("noagent");
	int rc;

	o.agent_path = missing;
	ck_assert_int_eq(ecs_engine_new(&e, &o), ECS_OK);
	spec.run.image = it_test_image();
	spec.run.cmd = cmd;
	spec.run.cmd_len = 1;
	spec.task_id = task_id;
	spec.profile = it_profile(&buf, NULL);
	rc = ecs_task_run(&r, e, NULL, &spec);
	ck_assert_int_eq(rc, ECS_ERROR);
	ck_assert_int_eq(r.error_phase, ECS_TASK_PHASE_CREATE);
	ck_assert_msg(strstr(r.error, missing) != NULL, "the error does not name the path: %s", r.error);
	ck_assert_int_eq(count_task(task_id), 0);
	ecs_task_result_clear(&r);
	ecs_engine_free(e);
	free(task_id);
}
END_TEST

/* docker-init (tini) as PID 1: the engine's /dev/init or /sbin/docker-init. */
static void assert_pid1_init(const ecs_task_result *r)
{
	const char *out = (const char *)r->out.data;

	ck_assert_msg(strstr(out, "init") != NULL && strncmp(out, ECS_AGENT_MOUNT, strlen(ECS_AGENT_MOUNT)) != 0,
		      "PID 1 is \"%s\", not docker-init", out);
}

/* The exception: under runsc a root task (gVisor lets it reach the agent's /proc/1/fd/1) keeps docker-init. */
START_TEST(test_cold_runsc_root_keeps_init)
{
	static const char *const cmd[] = { "cat", "/tmp/f" };
	static const unsigned char data[] = "x";
	const ecs_file file = { "/tmp/f", data, 1, 0644 };
	ecs_task_result r = ECS_TASK_RESULT_INIT;
	ecs_sandbox_profile p = ECS_SANDBOX_PROFILE_INIT;
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	char *task_id;
	int rc;

	if (!has_runsc()) {
		fprintf(stderr, "SKIP test_cold_runsc_root_keeps_init: the engine has no runsc runtime\n");
		return;
	}
	p.runtime = "runsc";
	rc = run(&r, "runsc-root", &p, pid1_cmd, 3);
	ck_assert_msg(rc == ECS_OK, "run: %s (%s)", ecs_error_name(rc), r.error);
	assert_pid1_init(&r);
	ecs_task_result_clear(&r);
	rc = run(&r, "runsc-root-forge", &p, forge_cmd, 3);
	assert_forge_failed(&r, rc);
	ecs_task_result_clear(&r);

	/* files need the agent: refused, nothing made */
	task_id = it_task_id("runsc-root-files");
	spec.run.image = it_test_image();
	spec.run.cmd = cmd;
	spec.run.cmd_len = 2;
	spec.task_id = task_id;
	spec.profile = &p;
	spec.files = &file;
	spec.files_len = 1;
	rc = ecs_task_run(&r, engine, NULL, &spec);
	ck_assert_int_eq(rc, ECS_EINVAL);
	ck_assert_int_eq(count_task(task_id), 0);
	ecs_task_result_clear(&r);
	free(task_id);
}
END_TEST

/* Under runsc a task of a user of its own runs under the agent, which it cannot reach. */
START_TEST(test_cold_runsc_user_runs_agent)
{
	ecs_task_result r = ECS_TASK_RESULT_INIT;
	ecs_sandbox_profile p = ECS_SANDBOX_PROFILE_INIT;
	int rc;

	if (!has_runsc()) {
		fprintf(stderr, "SKIP test_cold_runsc_user_runs_agent: the engine has no runsc runtime\n");
		return;
	}
	p.runtime = "runsc";
	p.user = "65534:65534";
	rc = run(&r, "runsc-user", &p, pid1_cmd, 3);
	ck_assert_msg(rc == ECS_OK, "run: %s (%s)", ecs_error_name(rc), r.error);
	ck_assert_msg(strncmp((const char *)r.out.data, ECS_AGENT_MOUNT " -u ", strlen(ECS_AGENT_MOUNT) + 4) == 0,
		      "PID 1 is \"%s\", not the agent", (const char *)r.out.data);
	ecs_task_result_clear(&r);
	rc = run(&r, "runsc-user-forge", &p, forge_cmd, 3);
	assert_forge_failed(&r, rc);
	ck_assert_str_eq((const char *)r.out.data, "forge 1\n");
	ecs_task_result_clear(&r);
}
END_TEST

/* A capability that reaches other uids' processes would reach the agent: docker-init, as before. */
START_TEST(test_cold_ptrace_cap_keeps_init)
{
	static const char *const caps[] = { "CAP_SYS_PTRACE" };
	ecs_task_result r = ECS_TASK_RESULT_INIT;
	ecs_sandbox_profile p = ECS_SANDBOX_PROFILE_INIT;
	int rc;

	p.cap_add = caps;
	p.cap_add_len = 1;
	rc = run(&r, "ptrace", &p, pid1_cmd, 3);
	ck_assert_msg(rc == ECS_OK, "run: %s (%s)", ecs_error_name(rc), r.error);
	assert_pid1_init(&r);
	ecs_task_result_clear(&r);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cold");
	TCase *tc = tcase_create("agent");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_cold_pid1_is_agent);
	tcase_add_test(tc, test_cold_engine_shows_agent_entrypoint);
	tcase_add_test(tc, test_cold_missing_agent_is_clear);
	tcase_add_test(tc, test_cold_runsc_root_keeps_init);
	tcase_add_test(tc, test_cold_runsc_user_runs_agent);
	tcase_add_test(tc, test_cold_ptrace_cap_keeps_init);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed, left;

	it_global_init();
	sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	/* Whatever a failed test left behind goes now; finding any is a failure of its own. */
	left = it_cleanup_run();
	if (left != 0) {
		fprintf(stderr, "check_it_cold: %d container(s) of this run were left behind (%s)\n", left,
			left < 0 ? ecs_error_name(left) : "deleted now");
		failed++;
	}
	ecs_global_cleanup();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
