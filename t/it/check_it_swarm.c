/*
 * Integration tests of the Swarm client (lib/swarm.c) and backend
 * (lib/backend_swarm.c), through ecs_task_run() with ECS_TASK_BACKEND_SWARM,
 * against the three-node fixture (t/swarm/fixture.sh): exit code, stdout
 * and stderr apart, stdin through a config, the node named, limits and the
 * isolated network on the task's container, the timeout kept by ecs, caps
 * with honest byte counts, a runtime refused, the sweep removing an
 * orphaned service and its config, the isolated network made again when
 * removed by hand, and nothing left anywhere (services,
 * configs, containers on every node).
 * Skipped (exit 77) when no fixture answers: ECS_SWARM_MANAGER and
 * ECS_SWARM_NODE_1..3 (`t/swarm/fixture.sh env`), else the fixture's
 * default sockets under run/swarm.
 */
#include <config.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ecs/ecs.h>
#include "http.h"
#include "image_private.h"
#include "it_util.h"
#include "swarm.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define NODES 3

static char manager_ep[512];
static char node_ep[NODES][512];
static ecs_engine *engine;
static ecs_engine *nodes[NODES];
static char image_id[128];

static ecs_engine *engine_at(const char *endpoint)
{
	ecs_engine_options o = ECS_ENGINE_OPTIONS_INIT;
	ecs_engine *e = NULL;

	o.endpoint = endpoint;
	ck_assert_int_eq(ecs_engine_new(&e, &o), ECS_OK);
	return e;
}

static void setup(void)
{
	ecs_image_info info = ECS_IMAGE_INFO_INIT;

	engine = engine_at(manager_ep);
	for (int i = 0; i < NODES; i++)
		nodes[i] = engine_at(node_ep[i]);
	ck_assert_int_eq(ecs_image_inspect(&info, engine, it_test_image()), ECS_OK);
	snprintf(image_id, sizeof(image_id), "%s", info.id);
	ecs_image_info_clear(&info);
}

static void teardown(void)
{
	ecs_engine_free(engine);
	engine = NULL;
	for (int i = 0; i < NODES; i++) {
		ecs_engine_free(nodes[i]);
		nodes[i] = NULL;
	}
}

/* Services, configs and containers (on any node) labelled with @task_id. */
static int leftovers(const char *task_id)
{
	char label[160];
	const char *const labels[] = { label };
	ecs_swarm_object *s = NULL, *c = NULL;
	size_t ns = 0, nc = 0;
	int n = 0;

	snprintf(label, sizeof(label), "%s=%s", ECS_LABEL_TASK_ID, task_id);
	ck_assert_int_eq(ecs_swarm_list(&s, &ns, engine, "services", labels, 1), ECS_OK);
	ck_assert_int_eq(ecs_swarm_list(&c, &nc, engine, "configs", labels, 1), ECS_OK);
	ecs_swarm_list_free(s, ns);
	ecs_swarm_list_free(c, nc);
	n = (int)(ns + nc);
	for (int i = 0; i < NODES; i++)
		n += it_count_labelled(nodes[i], label);
	return n;
}

/* Run @cmd on the swarm (no reaper: removed before returning); then wait until nothing of it is left. */
static int run(ecs_task_result *r, ecs_task_spec *spec, const ecs_sandbox_profile *p, const char *what,
	       const char *const *cmd, size_t cmd_len, long timeout_ms)
{
	ecs_sandbox_profile def = ECS_SANDBOX_PROFILE_INIT;
	char *task_id = it_task_id(what);
	int rc, left = -1;

	spec->run.image = it_test_image();
	spec->run.cmd = cmd;
	spec->run.cmd_len = cmd_len;
	spec->task_id = task_id;
	spec->profile = p != NULL ? p : &def;
	spec->timeout_ms = timeout_ms;
	spec->backend = ECS_TASK_BACKEND_SWARM;
	spec->pull_policy = ECS_PULL_NEVER;
	rc = ecs_task_run(r, engine, NULL, spec);
	/* A removed service's container goes a moment later, on its node. */
	for (int i = 0; i < 100 && (left = leftovers(task_id)) != 0; i++)
		usleep(100000);
	ck_assert_msg(left == 0, "task %s: %d service(s)/config(s)/container(s) left", task_id, left);
	free(task_id);
	return rc;
}

static void assert_ran(int rc, const ecs_task_result *r)
{
	ck_assert_msg(rc == ECS_OK, "swarm run: %s in %s: %s", ecs_error_name(rc),
		      ecs_task_phase_name(r->error_phase) ? ecs_task_phase_name(r->error_phase) : "?", r->error);
}

START_TEST(test_swarm_exit_code_streams_stdin_node)
{
	static const char in[] = "from stdin\n";
	const char *const cmd[] = { "sh", "-c", "cat; echo to-err >&2; exit 3" };
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_task_result r = ECS_TASK_RESULT_INIT;
	int rc;

	spec.stdin_data = (const unsigned char *)in;
	spec.stdin_len = strlen(in);
	rc = run(&r, &spec, NULL, "sw-basic", cmd, N(cmd), 60000);
	assert_ran(rc, &r);
	ck_assert_int_eq(r.exit_code, 3);
	ck_assert_str_eq((const char *)r.out.data, "from stdin\n");
	ck_assert_str_eq((const char *)r.err.data, "to-err\n");
	ck_assert_int_eq(r.stdout_bytes, strlen(in));
	ck_assert_int_eq(r.stderr_bytes, 7);
	ck_assert_int_eq(r.timed_out, 0);
	ck_assert_ptr_nonnull(r.node);
	ck_assert_msg(strncmp(r.node, "ecs-sw-n", 8) == 0, "node %s", r.node);
	/* Its container was on its node, not the manager's: task.c has none to delete. */
	ck_assert_ptr_null(r.container_id);
	ck_assert_str_eq(r.image_id, image_id);
	ecs_task_result_clear(&r);
}
END_TEST

START_TEST(test_swarm_limits_and_isolation)
{
	/* The cgroup's limits, the root read-only, no capability, and no default route (the isolated network). */
	const char *const cmd[] = { "sh", "-c",
		"cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max; "
		"touch /x 2>/dev/null && echo rw || echo ro; grep CapEff /proc/self/status; "
		"cut -f2 /proc/net/route | grep -c '^00000000$'; ulimit -n; echo ok > /tmp/t && cat /tmp/t" };
	ecs_sandbox_profile p = ECS_SANDBOX_PROFILE_INIT;
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_task_result r = ECS_TASK_RESULT_INIT;
	int rc;

	p.memory = 64 * 1024 * 1024;
	p.pids = 50;
	p.nofile = 200;
	rc = run(&r, &spec, &p, "sw-limits", cmd, N(cmd), 60000);
	assert_ran(rc, &r);
	ck_assert_int_eq(r.exit_code, 0);
	ck_assert_str_eq((const char *)r.out.data, "67108864\n50\nro\nCapEff:\t0000000000000000\n0\n200\nok\n");
	ecs_task_result_clear(&r);
}
END_TEST

START_TEST(test_swarm_timeout_kept_by_ecs)
{
	const char *const cmd[] = { "sh", "-c", "echo before; sleep 30; echo after" };
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_task_result r = ECS_TASK_RESULT_INIT;
	double t0 = it_now_ms();
	int rc;

	rc = run(&r, &spec, NULL, "sw-timeout", cmd, N(cmd), 4000);
	assert_ran(rc, &r);
	ck_assert_int_eq(r.timed_out, 1);
	ck_assert_int_eq(r.exit_code, 137);
	/* Whatever it wrote before the deadline, if its node flushed it yet; never what came after. */
	ck_assert_ptr_null(strstr((const char *)r.out.data, "after"));
	ck_assert_msg(it_now_ms() - t0 < 25000, "the run took %.0f ms, not stopped at its timeout", it_now_ms() - t0);
	ecs_task_result_clear(&r);
}
END_TEST

START_TEST(test_swarm_caps_count_everything)
{
	const char *const cmd[] = { "sh", "-c", "yes 0123456789 | head -c 100000; yes e | head -c 3000 >&2" };
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_task_result r = ECS_TASK_RESULT_INIT;
	int rc;

	spec.stdout_cap = 1000;
	spec.stderr_cap = 10;
	rc = run(&r, &spec, NULL, "sw-caps", cmd, N(cmd), 60000);
	assert_ran(rc, &r);
	ck_assert_int_eq(r.out.len, 1000);
	ck_assert_int_eq(r.out.truncated, 1);
	ck_assert_int_eq(r.stdout_bytes, 100000);
	ck_assert_int_eq(r.err.len, 10);
	ck_assert_int_eq(r.stderr_bytes, 3000);
	ck_assert_int_eq(memcmp(r.out.data, "0123456789\n0", 12), 0);
	ecs_task_result_clear(&r);
}
END_TEST

START_TEST(test_swarm_runtime_refused)
{
	const char *const cmd[] = { "true" };
	ecs_sandbox_profile p = ECS_SANDBOX_PROFILE_INIT;
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_task_result r = ECS_TASK_RESULT_INIT;
	int rc;

	p.runtime = "runsc";
	rc = run(&r, &spec, &p, "sw-runtime", cmd, N(cmd), 60000);
	ck_assert_int_eq(rc, ECS_EINVAL);
	ck_assert_int_eq(r.error_phase, ECS_TASK_PHASE_CREATE);
	ck_assert_ptr_nonnull(strstr(r.error, "default-runtime"));
	ecs_task_result_clear(&r);
}
END_TEST

START_TEST(test_swarm_missing_command_is_127)
{
	const char *const cmd[] = { "/no/such/command" };
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_task_result r = ECS_TASK_RESULT_INIT;
	int rc;

	rc = run(&r, &spec, NULL, "sw-missing", cmd, N(cmd), 60000);
	assert_ran(rc, &r);
	ck_assert_int_eq(r.exit_code, 127);
	ecs_task_result_clear(&r);
}
END_TEST

/* GET or DELETE the isolated network on the manager: the HTTP status (0 when no answer came). */
static long isolated_network(const char *method)
{
	ecs_http_request req = { 0 };
	ecs_http_response resp = { 0 };
	long status;

	req.method = method;
	req.path = "/networks/" ECS_SWARM_ISOLATED_NETWORK;
	status = ecs_http_do(engine, &req, &resp) == ECS_OK ? resp.status : 0;
	ecs_http_response_clear(&resp);
	return status;
}

/* A handle asks for the network once; removed by hand since, the next task's create makes it again. */
START_TEST(test_swarm_network_removed_is_made_again)
{
	const char *const cmd[] = { "echo", "again" };
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_task_spec spec2 = ECS_TASK_SPEC_INIT;
	ecs_task_result r = ECS_TASK_RESULT_INIT;
	long status = 0;
	int rc;

	rc = run(&r, &spec, NULL, "sw-net1", cmd, N(cmd), 60000);
	assert_ran(rc, &r);
	ecs_task_result_clear(&r);
	/* In use for a moment after the last service went (its task detaching on its node). */
	for (int i = 0; i < 100 && (status = isolated_network("DELETE")) != 204 && status != 200; i++)
		usleep(100000);
	ck_assert_msg(status == 204 || status == 200, "DELETE network: %ld", status);
	ck_assert_int_eq(isolated_network("GET"), 404);
	rc = run(&r, &spec2, NULL, "sw-net2", cmd, N(cmd), 60000);
	assert_ran(rc, &r);
	ck_assert_int_eq(r.exit_code, 0);
	ck_assert_str_eq((const char *)r.out.data, "again\n");
	ck_assert_int_eq(isolated_network("GET"), 200);
	ecs_task_result_clear(&r);
}
END_TEST

/* An orphan (its runner gone): past its deadline, the sweep removes the service, its config and its container. */
START_TEST(test_swarm_sweep_removes_orphans)
{
	const char *const cmd[] = { "sleep", "60" };
	ecs_swarm_service_spec ss = { 0 };
	ecs_swarm_task t;
	char *task_id = it_task_id("sw-orphan");
	char *service = NULL, *config = NULL, *config_name = NULL;
	ecs_sweep_options so = ECS_SWEEP_OPTIONS_INIT;
	char label[160];
	const char *const labels[] = { label };
	size_t deleted = 0;
	int left = -1, started = 0;

	/* Only this test's: other tasks may be running on the fixture. */
	snprintf(label, sizeof(label), "%s=%s", ECS_LABEL_TASK_ID, task_id);
	so.labels = labels;
	so.labels_len = 1;

	ss.task_id = task_id;
	ss.run.image = image_id;
	ss.run.cmd = cmd;
	ss.run.cmd_len = N(cmd);
	ss.deadline = time(NULL) + 3;
	ck_assert_int_eq(ecs_swarm_config_create(&config, &config_name, engine, task_id, "x", 1, ss.deadline), ECS_OK);
	ss.config_id = config;
	ss.config_name = config_name;
	ck_assert_int_eq(ecs_swarm_network_ensure(engine), ECS_OK);
	ck_assert_int_eq(ecs_swarm_service_create(&service, engine, &ss), ECS_OK);
	/* Running (a container on some node), then left behind as a crash would. */
	for (int i = 0; i < 300 && !started; i++) {
		(void)ecs_swarm_task_get(&t, engine, service);  /* ECS_ENOTFOUND until the task exists */
		started = t.state != NULL && strcmp(t.state, "running") == 0;
		ecs_swarm_task_clear(&t);
		if (!started)
			usleep(100000);
	}
	ck_assert_msg(started, "the orphan's task never ran");
	while (time(NULL) <= ss.deadline)
		usleep(200000);
	ck_assert_int_eq(ecs_sweep(&deleted, engine, &so), ECS_OK);
	ck_assert_msg(deleted >= 1, "the sweep removed %zu", deleted);
	/* The config goes once the service's task is gone: a later sweep, as the reaper's timer would run. */
	for (int i = 0; i < 100 && (left = leftovers(task_id)) != 0; i++) {
		usleep(200000);
		ck_assert_int_eq(ecs_sweep(NULL, engine, &so), ECS_OK);
	}
	ck_assert_msg(left == 0, "task %s: %d service(s)/config(s)/container(s) left after the sweep", task_id, left);
	free(service);
	free(config);
	free(config_name);
	free(task_id);
}
END_TEST

/* The fixture's sockets: from `t/swarm/fixture.sh env`, else its default state dir. */
static void endpoints(void)
{
	const char *m = getenv("ECS_SWARM_MANAGER");
	const char *dir = getenv("ECS_SWARM_DIR");
	char def[400];

	if (dir == NULL || dir[0] == '\0') {
		snprintf(def, sizeof(def), "%s/../run/swarm", getenv("srcdir") ? getenv("srcdir") : ".");
		dir = def;
	}
	if (m != NULL && m[0] != '\0')
		snprintf(manager_ep, sizeof(manager_ep), "%s", m);
	else
		snprintf(manager_ep, sizeof(manager_ep), "unix://%s/n1/docker.sock", dir);
	for (int i = 0; i < NODES; i++) {
		char name[32];
		const char *v;

		snprintf(name, sizeof(name), "ECS_SWARM_NODE_%d", i + 1);
		v = getenv(name);
		if (v != NULL && v[0] != '\0')
			snprintf(node_ep[i], sizeof(node_ep[i]), "%s", v);
		else
			snprintf(node_ep[i], sizeof(node_ep[i]), "unix://%s/n%d/docker.sock", dir, i + 1);
	}
}

/* 1 when the manager answers as one (GET /services works). */
static int fixture_up(void)
{
	ecs_swarm_object *s = NULL;
	ecs_engine_options o = ECS_ENGINE_OPTIONS_INIT;
	ecs_engine *e = NULL;
	size_t n = 0;
	int rc;

	o.endpoint = manager_ep;
	if (ecs_engine_new(&e, &o) != ECS_OK)
		return 0;
	rc = ecs_swarm_list(&s, &n, e, "services", NULL, 0);
	ecs_swarm_list_free(s, n);
	ecs_engine_free(e);
	return rc == ECS_OK;
}

int main(void)
{
	Suite *s;
	TCase *tc;
	SRunner *sr;
	int failed;

	it_global_init();
	endpoints();
	if (!fixture_up()) {
		printf("SKIP: no swarm fixture answers at %s (t/swarm/fixture.sh start; ./bootstrap test swarm)\n",
		       manager_ep);
		ecs_global_cleanup();
		return 77;
	}
	/* Made only now: a skip must not leak them (LeakSanitizer counts it). */
	s = suite_create("it_swarm");
	tc = tcase_create("swarm");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_swarm_exit_code_streams_stdin_node);
	tcase_add_test(tc, test_swarm_limits_and_isolation);
	tcase_add_test(tc, test_swarm_timeout_kept_by_ecs);
	tcase_add_test(tc, test_swarm_caps_count_everything);
	tcase_add_test(tc, test_swarm_runtime_refused);
	tcase_add_test(tc, test_swarm_missing_command_is_127);
	tcase_add_test(tc, test_swarm_sweep_removes_orphans);
	tcase_add_test(tc, test_swarm_network_removed_is_made_again);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	ecs_global_cleanup();
	return failed == 0 ? 0 : 1;
}
