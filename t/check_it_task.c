/*
 * Integration tests of the task runner (ecs_task_run) against the real
 * engine: output, exit codes, limits, pulls, timeouts, and that no container
 * outlives its task on any path.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ecs/ecs.h>
#include "it_util.h"

static ecs_engine *engine;

/* libecs's own account of what went wrong (a failed delete...), for the test log. */
static void log_to_stderr(ecs_log_level level, const char *message, void *userdata)
{
	(void)userdata;
	if (level <= ECS_LOG_WARN)
		fprintf(stderr, "libecs: %s\n", message);
}

static void setup(void)
{
	ecs_engine *base = it_engine_new();
	ecs_engine_options opts = *ecs_engine_options_get(base);
	int rc;

	opts.log = log_to_stderr;
	rc = ecs_engine_new(&engine, &opts);
	ecs_engine_free(base);
	ck_assert_int_eq(rc, ECS_OK);
}

static void teardown(void)
{
	ecs_engine_free(engine);
	engine = NULL;
}

static double mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* How many containers carry this task id (0 once it was deleted). */
static int count_task(const char *task_id)
{
	char label[160];
	int n;

	snprintf(label, sizeof(label), "%s=%s", ECS_LABEL_TASK_ID, task_id);
	n = it_count_labelled(engine, label);
	ck_assert_msg(n >= 0, "listing by %s: %s", label, ecs_error_name(n));
	return n;
}

/*
 * Run @cmd in the test image with a fresh task id; the spec may be adjusted
 * by the caller beforehand (everything but image, cmd and task_id).
 */
static int run_spec(ecs_task_result *r, ecs_task_spec *spec, const char *what, const char *const *cmd, size_t cmd_len)
{
	char *task_id = it_task_id(what);
	int rc;

	if (spec->image == NULL)
		spec->image = it_test_image();
	spec->cmd = cmd;
	spec->cmd_len = cmd_len;
	spec->task_id = task_id;
	if (spec->network_mode == NULL)
		spec->network_mode = "none";
	rc = ecs_task_run(r, engine, NULL, spec);
	/* Without a reaper the container must be gone when the call returns. */
	ck_assert_int_eq(count_task(task_id), 0);
	ck_assert_str_eq(r->task_id, task_id);
	free(task_id);
	spec->task_id = NULL;
	return rc;
}

static int run_cmd(ecs_task_result *r, const char *what, const char *const *cmd, size_t cmd_len)
{
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;

	return run_spec(r, &spec, what, cmd, cmd_len);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void assert_ok(int rc, const ecs_task_result *r)
{
	ck_assert_msg(rc == ECS_OK, "ecs_task_run: %s in %s: %s", ecs_error_name(rc),
		      r->error_phase ? r->error_phase : "?", r->error);
	ck_assert_ptr_null(r->error_phase);
	ck_assert_str_eq(r->error, "");
}

START_TEST(test_task_echo)
{
	static const char *const cmd[] = { "echo", "hello", "world" };
	ecs_task_result r;
	int rc = run_cmd(&r, "echo", cmd, N(cmd));

	assert_ok(rc, &r);
	ck_assert_int_eq(r.exit_code, 0);
	ck_assert_uint_eq(r.out.len, 12);
	ck_assert_mem_eq(r.out.data, "hello world\n", 12);
	ck_assert_uint_eq(r.err.len, 0);
	ck_assert_int_eq(r.out.truncated, 0);
	ck_assert_int_eq(r.timed_out, 0);
	ck_assert_int_eq(r.oom_killed, 0);
	ck_assert_ptr_nonnull(r.container_id);
	ck_assert_ptr_nonnull(r.image_digest);
	ck_assert_msg(strncmp(r.image_digest, "sha256:", 7) == 0, "image digest %s", r.image_digest);
	ck_assert(r.timings.pull >= 0 && r.timings.create > 0 && r.timings.start > 0);
	ck_assert(r.timings.run > 0 && r.timings.logs > 0);
	ck_assert(r.timings.total >= r.timings.pull + r.timings.create + r.timings.start + r.timings.run +
		  r.timings.logs);
	ecs_task_result_clear(&r);
	ck_assert_ptr_null(r.container_id);
}
END_TEST

START_TEST(test_task_exit_codes)
{
	static const char *const exit0[] = { "sh", "-c", "exit 0" };
	static const char *const exit1[] = { "sh", "-c", "exit 1" };
	static const char *const exit127[] = { "sh", "-c", "exit 127" };
	static const char *const *const cmds[] = { exit0, exit1, exit127 };
	static const int codes[] = { 0, 1, 127 };

	for (size_t i = 0; i < N(cmds); i++) {
		ecs_task_result r;
		int rc = run_cmd(&r, "exit", cmds[i], 3);

		assert_ok(rc, &r);
		ck_assert_int_eq(r.exit_code, codes[i]);
		ecs_task_result_clear(&r);
	}
}
END_TEST

START_TEST(test_task_missing_command_is_127)
{
	static const char *const cmd[] = { "nosuchcmd", "arg" };
	ecs_task_result r;
	int rc = run_cmd(&r, "nocmd", cmd, N(cmd));

	assert_ok(rc, &r);
	ck_assert_int_eq(r.exit_code, 127);
	ck_assert_uint_eq(r.out.len, 0);
	ck_assert_msg(r.err.len > 0 && strstr((const char *)r.err.data, "nosuchcmd") != NULL,
		      "stderr should carry the engine's message: %s", r.err.data ? (char *)r.err.data : "(none)");
	ecs_task_result_clear(&r);
}
END_TEST

START_TEST(test_task_stdout_stderr_apart)
{
	static const char *const cmd[] = { "sh", "-c", "echo out1; echo err1 >&2; echo out2; echo err2 >&2" };
	ecs_task_result r;
	int rc = run_cmd(&r, "streams", cmd, N(cmd));

	assert_ok(rc, &r);
	ck_assert_uint_eq(r.out.len, 10);
	ck_assert_mem_eq(r.out.data, "out1\nout2\n", 10);
	ck_assert_uint_eq(r.err.len, 10);
	ck_assert_mem_eq(r.err.data, "err1\nerr2\n", 10);
	ecs_task_result_clear(&r);
}
END_TEST

START_TEST(test_task_binary_output_exact)
{
	static const char *const cmd[] = { "sh", "-c", "printf '\\377\\376\\000\\001'; printf '\\000\\200\\377' >&2" };
	ecs_task_result r;
	int rc = run_cmd(&r, "binary", cmd, N(cmd));

	assert_ok(rc, &r);
	ck_assert_uint_eq(r.out.len, 4);
	ck_assert_mem_eq(r.out.data, "\377\376\000\001", 4);
	ck_assert_uint_eq(r.err.len, 3);
	ck_assert_mem_eq(r.err.data, "\000\200\377", 3);
	ecs_task_result_clear(&r);
}
END_TEST

START_TEST(test_task_output_cap_truncates)
{
	static const char *const cmd[] = { "sh", "-c", "yes | head -c 200000; echo small >&2" };
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_task_result r;
	int rc;

	spec.stdout_cap = 1000;
	rc = run_spec(&r, &spec, "cap", cmd, N(cmd));
	assert_ok(rc, &r);
	ck_assert_int_eq(r.exit_code, 0);
	ck_assert_uint_eq(r.out.len, 1000);
	ck_assert_int_eq(r.out.truncated, 1);
	for (size_t i = 0; i < r.out.len; i++)
		ck_assert_int_eq(r.out.data[i], (i % 2) ? '\n' : 'y');
	ck_assert_uint_eq(r.err.len, 6);
	ck_assert_int_eq(r.err.truncated, 0);
	ecs_task_result_clear(&r);
}
END_TEST

START_TEST(test_task_invalid_spec_touches_nothing)
{
	static const char *const cmd[] = { "true" };
	static const char *const bad_env[] = { "NOEQUALS" };
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_task_result r;

	spec.image = "ecs/busybox"; /* no tag */
	spec.cmd = cmd;
	spec.cmd_len = 1;
	ck_assert_int_eq(ecs_task_run(&r, engine, NULL, &spec), ECS_EINVAL);
	ck_assert_ptr_null(r.container_id);
	ck_assert_str_eq(r.error_phase, "validate");
	ck_assert(r.error[0] != '\0');
	ecs_task_result_clear(&r);

	spec.image = it_test_image();
	spec.cmd_len = 0;
	ck_assert_int_eq(ecs_task_run(&r, engine, NULL, &spec), ECS_EINVAL);
	ecs_task_result_clear(&r);

	spec.cmd_len = 1;
	spec.task_id = "bad id with spaces";
	ck_assert_int_eq(ecs_task_run(&r, engine, NULL, &spec), ECS_EINVAL);
	ecs_task_result_clear(&r);

	spec.task_id = NULL;
	spec.timeout_ms = -1;
	ck_assert_int_eq(ecs_task_run(&r, engine, NULL, &spec), ECS_EINVAL);
	ecs_task_result_clear(&r);
	spec.timeout_ms = 8L * 24 * 3600 * 1000;
	ck_assert_int_eq(ecs_task_run(&r, engine, NULL, &spec), ECS_EINVAL);
	ecs_task_result_clear(&r);

	spec.timeout_ms = 0;
	spec.env = bad_env;
	spec.env_len = 1;
	ck_assert_int_eq(ecs_task_run(&r, engine, NULL, &spec), ECS_EINVAL);
	ck_assert_ptr_null(r.container_id);
	ecs_task_result_clear(&r);
}
END_TEST

START_TEST(test_task_unknown_tag_pull_never)
{
	static const char *const cmd[] = { "true" };
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_task_result r;
	int rc;

	spec.image = "ecs/busybox:no-such-tag";
	spec.pull_policy = ECS_PULL_NEVER;
	rc = run_spec(&r, &spec, "notag", cmd, N(cmd));
	ck_assert_msg(rc == ECS_ENOTFOUND, "got %s: %s", ecs_error_name(rc), r.error);
	ck_assert_str_eq(r.error_phase, "pull");
	ck_assert_ptr_null(r.container_id);
	ck_assert_int_eq(r.exit_code, -1);
	ecs_task_result_clear(&r);
}
END_TEST

static ecs_registry_auth registry_auth(const char *password)
{
	ecs_registry_auth auth = { 0 };

	auth.username = it_require_env("ECS_TEST_REGISTRY_USER");
	auth.password = password ? password : it_require_env("ECS_TEST_REGISTRY_PASSWORD");
	return auth;
}

START_TEST(test_task_unknown_repo_in_registry)
{
	static const char *const cmd[] = { "true" };
	const char *registry = it_require_env("ECS_TEST_REGISTRY");
	ecs_registry_auth auth = registry_auth(NULL);
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_task_result r;
	char image[256];
	int rc;

	snprintf(image, sizeof(image), "%s/ecs/nope:1", registry);
	spec.image = image;
	spec.auth = &auth;
	spec.pull_policy = ECS_PULL_IF_NOT_PRESENT;
	rc = run_spec(&r, &spec, "norepo", cmd, N(cmd));
	ck_assert_msg(rc == ECS_ENOTFOUND, "got %s: %s", ecs_error_name(rc), r.error);
	ck_assert_str_eq(r.error_phase, "pull");
	ck_assert_ptr_null(r.container_id);
	ecs_task_result_clear(&r);
}
END_TEST

START_TEST(test_task_private_image_right_credentials)
{
	static const char *const cmd[] = { "echo", "private" };
	const char *image = it_require_env("ECS_TEST_PRIVATE_IMAGE");
	ecs_registry_auth auth = registry_auth(NULL);
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_task_result r;
	int rc;

	rc = it_image_remove(engine, image);
	ck_assert_msg(rc == ECS_OK || rc == ECS_ENOTFOUND, "removing %s: %s: %s", image, ecs_error_name(rc),
		      ecs_engine_errmsg(engine));
	/*
	 * Not asserted gone or present around the run: check_it_image removes and
	 * pulls the same image and may run at the same time.
	 */
	spec.image = image;
	spec.auth = &auth;
	rc = run_spec(&r, &spec, "private", cmd, N(cmd));
	assert_ok(rc, &r);
	ck_assert_int_eq(r.exit_code, 0);
	ck_assert_uint_eq(r.out.len, 8);
	ck_assert_mem_eq(r.out.data, "private\n", 8);
	ck_assert_msg(r.timings.pull > 0, "pull phase %.1f ms", r.timings.pull);
	ck_assert_ptr_nonnull(r.image_digest);
	ecs_task_result_clear(&r);
}
END_TEST

START_TEST(test_task_private_image_wrong_credentials)
{
	static const char *const cmd[] = { "true" };
	const char *image = it_require_env("ECS_TEST_PRIVATE_IMAGE");
	ecs_registry_auth auth = registry_auth("not-the-password");
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_task_result r;
	int rc;

	rc = it_image_remove(engine, image);
	ck_assert_msg(rc == ECS_OK || rc == ECS_ENOTFOUND, "removing %s: %s", image, ecs_error_name(rc));
	spec.image = image;
	spec.auth = &auth;
	spec.pull_policy = ECS_PULL_ALWAYS;
	rc = run_spec(&r, &spec, "badcreds", cmd, N(cmd));
	ck_assert_msg(rc == ECS_EUNAUTHORIZED, "got %s: %s", ecs_error_name(rc), r.error);
	ck_assert_str_eq(r.error_phase, "pull");
	ck_assert_ptr_null(strstr(r.error, "not-the-password"));
	ck_assert_ptr_null(r.container_id);
	ecs_task_result_clear(&r);
}
END_TEST

START_TEST(test_task_timeout_kills)
{
	static const char *const cmd[] = { "sleep", "30" };
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_task_result r;
	double t0 = mono_ms(), elapsed;
	int rc;

	spec.timeout_ms = 1000;
	rc = run_spec(&r, &spec, "timeout", cmd, N(cmd));
	elapsed = mono_ms() - t0;
	assert_ok(rc, &r);
	ck_assert_int_eq(r.timed_out, 1);
	ck_assert_int_eq(r.exit_code, 137);
	ck_assert_msg(elapsed < 10000, "took %.0f ms", elapsed);
	ck_assert_msg(r.timings.run >= 500, "run phase %.0f ms", r.timings.run);
	ecs_task_result_clear(&r);
}
END_TEST

START_TEST(test_task_start_failure_deletes_container)
{
	/* A directory is not executable: the engine refuses the start. */
	static const char *const cmd[] = { "/bin" };
	ecs_task_result r;
	int rc = run_cmd(&r, "startfail", cmd, N(cmd));

	ck_assert_msg(rc != ECS_OK, "a directory as the command should not run");
	ck_assert_str_eq(r.error_phase, "start");
	ck_assert_ptr_nonnull(r.container_id);
	ck_assert(r.error[0] != '\0');
	/* run_spec already checked that no container with the task id remains. */
	ecs_task_result_clear(&r);
}
END_TEST

struct canceller {
	ecs_cancel *token;
	unsigned int after_ms;
};

static void *cancel_later(void *arg)
{
	struct canceller *c = arg;

	usleep(c->after_ms * 1000u);
	ecs_cancel_trigger(c->token);
	return NULL;
}

START_TEST(test_task_cancel_kills_and_deletes)
{
	static const char *const cmd[] = { "sleep", "30" };
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	struct canceller c = { NULL, 1500 };
	ecs_task_result r;
	pthread_t th;
	double t0 = mono_ms();
	int rc;

	ck_assert_int_eq(ecs_cancel_new(&c.token), ECS_OK);
	spec.cancel = c.token;
	spec.timeout_ms = 20000;
	ck_assert_int_eq(pthread_create(&th, NULL, cancel_later, &c), 0);
	rc = run_spec(&r, &spec, "cancel", cmd, N(cmd));
	pthread_join(th, NULL);
	ck_assert_msg(rc == ECS_ECANCELED, "got %s: %s", ecs_error_name(rc), r.error);
	ck_assert_ptr_nonnull(r.error_phase);
	ck_assert_ptr_nonnull(r.container_id);
	ck_assert_msg(mono_ms() - t0 < 10000, "cancel took %.0f ms", mono_ms() - t0);
	ecs_task_result_clear(&r);
	ecs_cancel_free(c.token);
}
END_TEST

START_TEST(test_task_stdin_round_trip)
{
	static const char *const cmd[] = { "cat" };
	static const unsigned char input[] = "line one\nbinary \000\001\377 end\n";
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_task_result r;
	int rc;

	spec.stdin_data = input;
	spec.stdin_len = sizeof(input) - 1;
	rc = run_spec(&r, &spec, "stdin", cmd, N(cmd));
	assert_ok(rc, &r);
	ck_assert_int_eq(r.exit_code, 0);
	ck_assert_uint_eq(r.out.len, sizeof(input) - 1);
	ck_assert_mem_eq(r.out.data, input, sizeof(input) - 1);
	ecs_task_result_clear(&r);
}
END_TEST

/* A process that never reads its stdin runs into the task's timeout, not a stdin error. */
START_TEST(test_task_stdin_unread_times_out)
{
	static const char *const cmd[] = { "sleep", "30" };
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_task_result r;
	unsigned char *input = calloc(1, 512 * 1024); /* more than the pipe and socket buffers hold */
	int rc;

	ck_assert_ptr_nonnull(input);
	spec.stdin_data = input;
	spec.stdin_len = 512 * 1024;
	spec.timeout_ms = 1500;
	rc = run_spec(&r, &spec, "stdin-unread", cmd, N(cmd));
	assert_ok(rc, &r);
	ck_assert_int_eq(r.timed_out, 1);
	ck_assert_int_eq(r.exit_code, 137);
	ecs_task_result_clear(&r);
	free(input);
}
END_TEST

START_TEST(test_task_env_passed)
{
	static const char *const cmd[] = { "sh", "-c", "echo \"$GREETING|$EMPTY|$SPACES\"" };
	static const char *const env[] = { "GREETING=hello=world", "EMPTY=", "SPACES=a b" };
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_task_result r;
	int rc;

	spec.env = env;
	spec.env_len = N(env);
	rc = run_spec(&r, &spec, "env", cmd, N(cmd));
	assert_ok(rc, &r);
	ck_assert_uint_eq(r.out.len, 17);
	ck_assert_mem_eq(r.out.data, "hello=world||a b\n", 17);
	ecs_task_result_clear(&r);
}
END_TEST

START_TEST(test_task_memory_limit_set)
{
	/* What the kernel enforces: the cgroup's limit (v1 path, else v2). */
	static const char *const cmd[] = { "sh", "-c",
		"cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max" };
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_task_result r;
	int rc;

	spec.memory_bytes = 8 * 1024 * 1024;
	rc = run_spec(&r, &spec, "memlimit", cmd, N(cmd));
	assert_ok(rc, &r);
	ck_assert_int_eq(r.exit_code, 0);
	ck_assert_msg(r.out.len == 8 && memcmp(r.out.data, "8388608\n", 8) == 0, "limit: '%s'", (char *)r.out.data);
	ecs_task_result_clear(&r);
}
END_TEST

START_TEST(test_task_memory_limit_oom_killed)
{
	/*
	 * The shell keeps a command substitution's output in memory: 64 MiB of it
	 * under an 8 MiB limit, so the kernel kills it (137). The engine itself
	 * does not always notice: on this engine (cgroup v1) `docker run` left
	 * OOMKilled false about 1 run in 25, with no "oom" event. So the kill is
	 * asserted every time and the flag's plumbing on the first of three runs
	 * that the engine flagged.
	 */
	static const char *const cmd[] = { "sh", "-c", "x=$(head -c 67108864 /dev/zero | tr '\\0' a); echo ${#x}" };
	int flagged = 0;

	for (int attempt = 0; attempt < 3 && !flagged; attempt++) {
		ecs_task_spec spec = ECS_TASK_SPEC_INIT;
		ecs_task_result r;
		int rc;

		spec.memory_bytes = 8 * 1024 * 1024;
		rc = run_spec(&r, &spec, "oom", cmd, N(cmd));
		assert_ok(rc, &r);
		ck_assert_msg(r.exit_code == 137, "exit %d stdout '%s'", r.exit_code, r.out.data ? (char *)r.out.data : "");
		ck_assert_int_eq(r.timed_out, 0);
		flagged = r.oom_killed;
		ecs_task_result_clear(&r);
	}
	ck_assert_msg(flagged, "the engine never reported the OOM kill in 3 runs");
}
END_TEST

START_TEST(test_task_id_generated)
{
	static const char *const cmd[] = { "true" };
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_task_result r;
	char id[33], id2[33];
	int rc;

	ck_assert_int_eq(ecs_task_id_generate(id, sizeof(id)), 0);
	ck_assert_int_eq(ecs_task_id_generate(id2, sizeof(id2)), 0);
	ck_assert_uint_eq(strlen(id), 32);
	ck_assert_uint_eq(strspn(id, "0123456789abcdef"), 32);
	ck_assert_str_ne(id, id2);
	ck_assert_int_eq(ecs_task_id_generate(id, 32), ECS_ERROR);

	spec.image = it_test_image();
	spec.cmd = cmd;
	spec.cmd_len = 1;
	spec.network_mode = "none";
	rc = ecs_task_run(&r, engine, NULL, &spec);
	assert_ok(rc, &r);
	ck_assert_uint_eq(strlen(r.task_id), 32);
	ck_assert_uint_eq(strspn(r.task_id, "0123456789abcdef"), 32);
	ck_assert_int_eq(count_task(r.task_id), 0);
	ecs_task_result_clear(&r);
}
END_TEST

START_TEST(test_task_reaper_deletes_after_return)
{
	static const char *const cmd[] = { "echo", "reaped" };
	ecs_reaper_options ro = ECS_REAPER_OPTIONS_INIT;
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_reaper *reaper = NULL;
	ecs_reaper_stats st;
	ecs_task_result r;
	char *task_id = it_task_id("reaper");
	int rc;

	ro.engine = *ecs_engine_options_get(engine);
	ck_assert_int_eq(ecs_reaper_new(&reaper, &ro), ECS_OK);
	spec.image = it_test_image();
	spec.cmd = cmd;
	spec.cmd_len = N(cmd);
	spec.task_id = task_id;
	spec.network_mode = "none";
	rc = ecs_task_run(&r, engine, reaper, &spec);
	assert_ok(rc, &r);
	ck_assert_uint_eq(r.out.len, 7);
	ck_assert_mem_eq(r.out.data, "reaped\n", 7);
	ck_assert_int_eq(ecs_reaper_wait_idle(reaper, 20000), ECS_OK);
	ck_assert_int_eq(count_task(task_id), 0);
	ecs_reaper_stats_get(reaper, &st);
	ck_assert_uint_eq(st.deleted, 1);
	ck_assert_uint_eq(st.queued, 0);
	ck_assert_uint_eq(st.failed, 0);
	ecs_reaper_free(reaper);
	ecs_task_result_clear(&r);
	free(task_id);
}
END_TEST

static Suite *task_suite(void)
{
	Suite *s = suite_create("task");
	TCase *tc = tcase_create("run");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_task_echo);
	tcase_add_test(tc, test_task_exit_codes);
	tcase_add_test(tc, test_task_missing_command_is_127);
	tcase_add_test(tc, test_task_stdout_stderr_apart);
	tcase_add_test(tc, test_task_binary_output_exact);
	tcase_add_test(tc, test_task_output_cap_truncates);
	tcase_add_test(tc, test_task_invalid_spec_touches_nothing);
	tcase_add_test(tc, test_task_unknown_tag_pull_never);
	tcase_add_test(tc, test_task_unknown_repo_in_registry);
	tcase_add_test(tc, test_task_private_image_right_credentials);
	tcase_add_test(tc, test_task_private_image_wrong_credentials);
	tcase_add_test(tc, test_task_timeout_kills);
	tcase_add_test(tc, test_task_start_failure_deletes_container);
	tcase_add_test(tc, test_task_cancel_kills_and_deletes);
	tcase_add_test(tc, test_task_stdin_round_trip);
	tcase_add_test(tc, test_task_stdin_unread_times_out);
	tcase_add_test(tc, test_task_env_passed);
	tcase_add_test(tc, test_task_memory_limit_set);
	tcase_add_test(tc, test_task_memory_limit_oom_killed);
	tcase_add_test(tc, test_task_id_generated);
	tcase_add_test(tc, test_task_reaper_deletes_after_return);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed, left;

	it_global_init();
	sr = srunner_create(task_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	/* Whatever a failed test left behind goes now; finding any is a failure of its own. */
	left = it_cleanup_run();
	if (left != 0) {
		fprintf(stderr, "check_it_task: %d container(s) of this run were left behind (%s)\n", left,
			left < 0 ? ecs_error_name(left) : "deleted now");
		failed++;
	}
	ecs_global_cleanup();
	return failed == 0 ? 0 : 1;
}
