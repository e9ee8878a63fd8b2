/*
 * Integration tests of files in and artifacts out of a task, and of the one
 * timeout rule, through libecs against the real engine: a warm container's
 * ecs-agent (protocol 2, lib/agent_conn.c) writes the task's files before
 * the command, reads its artifacts after, and enforces its timeout. Also
 * several requests on one conversation with the agent (what a session
 * does). Paths that escape the writable mounts are attacks: each is tried
 * and must be refused naming the path, with nothing read or written.
 */
#include <config.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ecs/ecs.h>
#include "agent_conn.h"
#include "clock.h"
#include "engine_private.h"
#include "backend.h"
#include "image_private.h"
#include "it_util.h"
#include "pool_private.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define MIB (1024u * 1024u)

static ecs_engine *engine;
static ecs_pool *pool;
static ecs_sandbox_profile profile;

/*
 * Under runsc as uid 65534: gVisor lets a root task reach its agent, so the
 * agent refuses root there (agent/PROTOCOL.md); these tests are about files.
 */
static void setup(void)
{
	int warm = 0;

	engine = it_engine_logged();
	it_profile(&profile, NULL);
	if (it_test_runsc())
		profile.user = "65534:65534";
	pool = it_pool_warm(engine, it_test_image(), &profile, 1, &warm);
	ck_assert_msg(warm, "no warm container came up");
}

static void teardown(void)
{
	ecs_pool_free(pool);
	pool = NULL;
	ecs_engine_free(engine);
	engine = NULL;
}

/* Readiness, not timing: a warm container is there (the pool refills after each task), or the test fails. */
static void wait_warm(void)
{
	double until = it_now_ms() + 60000;
	ecs_pool_stats st;

	for (;;) {
		struct timespec pause = { 0, 20 * 1000000L };

		ecs_pool_stats_get(&st, pool);
		if (st.warm >= 1)
			return;
		ck_assert_msg(it_now_ms() < until, "no warm container after 60 s");
		nanosleep(&pause, NULL);
	}
}

/* Run @spec in a warm container of the pool; the container is deleted before it returns. */
static int run(ecs_task_result *r, ecs_task_spec *spec, const char *what)
{
	char *task_id = it_task_id(what);
	int rc;

	wait_warm();
	spec->run.image = it_test_image();
	spec->task_id = task_id;
	spec->profile = &profile;
	spec->pool = pool;
	rc = ecs_task_run(r, engine, NULL, spec);
	spec->task_id = NULL;
	free(task_id);
	return rc;
}

static const ecs_artifact *artifact(const ecs_task_result *r, const char *path)
{
	for (size_t i = 0; i < r->artifacts_len; i++) {
		if (strcmp(r->artifacts[i].path, path) == 0)
			return &r->artifacts[i];
	}
	return NULL;
}

/* Bytes no text tool would pass through unharmed: every byte value, NUL and 0xff among them. */
static void fill_binary(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)((i * 131 + seed) ^ (i >> 8));
}

START_TEST(test_files_in_byte_exact)
{
	static const char *const cmd[] = { "sh", "-c",
		"cat /tmp/in/data.bin; stat -c '%a %s' /tmp/in/data.bin /tmp/in/deep/x/run.sh; /tmp/in/deep/x/run.sh" };
	static const unsigned char script[] = "#!/bin/sh\necho ran as $(id -u)\n";
	unsigned char data[4096];
	ecs_file files[2];
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_task_result r = ECS_TASK_RESULT_INIT;
	char expect[128];
	int rc;

	fill_binary(data, sizeof(data), 7);
	files[0] = (ecs_file){ "/tmp/in/data.bin", data, sizeof(data), 0 };
	files[1] = (ecs_file){ "/tmp/in/deep/x/run.sh", script, sizeof(script) - 1, 0750 };
	spec.run.cmd = cmd, spec.run.cmd_len = N(cmd);
	spec.files = files, spec.files_len = N(files);
	rc = run(&r, &spec, "files-in");
	ck_assert_msg(rc == 0, "%s: %s", ecs_error_name(rc), r.error);
	ck_assert_int_eq(r.pooled, 1);
	ck_assert_msg(r.exit_code == 0, "exit %d: %s", r.exit_code, r.err.data);
	ck_assert_uint_ge(r.out.len, sizeof(data));
	ck_assert_mem_eq(r.out.data, data, sizeof(data));
	snprintf(expect, sizeof(expect), "644 %zu\n750 %zu\nran as %s\n", sizeof(data), sizeof(script) - 1,
		 profile.user != NULL ? "65534" : "0");
	ck_assert_str_eq((const char *)r.out.data + sizeof(data), expect);
	ecs_task_result_clear(&r);
}
END_TEST

START_TEST(test_artifacts_file_and_directory)
{
	static const char *const cmd[] = { "sh", "-c",
		"printf 'one\\000' > /tmp/out.txt; mkdir -p /tmp/d/sub; echo x > /tmp/d/x; : > /tmp/d/sub/empty" };
	static const char *const paths[] = { "/tmp/out.txt", "/tmp/d", "/tmp/never-written" };
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_task_result r = ECS_TASK_RESULT_INIT;
	const ecs_artifact *a;
	int rc;

	spec.run.cmd = cmd, spec.run.cmd_len = N(cmd);
	spec.artifacts = paths, spec.artifacts_len = N(paths);
	rc = run(&r, &spec, "artifacts");
	ck_assert_msg(rc == 0, "%s: %s", ecs_error_name(rc), r.error);
	ck_assert_int_eq(r.exit_code, 0);
	/* three files; the directories themselves and the path never written give no entry */
	ck_assert_uint_eq(r.artifacts_len, 3);
	ck_assert_str_eq(r.artifacts[0].path, "/tmp/out.txt");
	a = &r.artifacts[0];
	ck_assert_uint_eq(a->content.len, 4);
	ck_assert_mem_eq(a->content.data, "one\0", 4);
	ck_assert_uint_eq(a->size, 4);
	ck_assert_int_eq(a->content.truncated, 0);
	ck_assert_ptr_nonnull(a = artifact(&r, "/tmp/d/x"));
	ck_assert_str_eq((const char *)a->content.data, "x\n");
	ck_assert_ptr_nonnull(a = artifact(&r, "/tmp/d/sub/empty"));
	ck_assert_uint_eq(a->content.len, 0);
	ck_assert_ptr_nonnull(a->content.data);
	ecs_task_result_clear(&r);
}
END_TEST

/* 1 MiB of random bytes in as a file, copied by the command, out as an artifact: the same bytes. */
START_TEST(test_artifact_1mib_random_byte_exact)
{
	static const char *const cmd[] = { "cp", "/tmp/r.bin", "/tmp/copy.bin" };
	static const char *const paths[] = { "/tmp/copy.bin" };
	unsigned char *data = malloc(MIB);
	ecs_file file;
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_task_result r = ECS_TASK_RESULT_INIT;
	FILE *f = fopen("/dev/urandom", "rb");
	int rc;

	ck_assert_ptr_nonnull(data);
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fread(data, 1, MIB, f), MIB);
	fclose(f);
	file = (ecs_file){ "/tmp/r.bin", data, MIB, 0600 };
	spec.run.cmd = cmd, spec.run.cmd_len = N(cmd);
	spec.files = &file, spec.files_len = 1;
	spec.artifacts = paths, spec.artifacts_len = 1;
	rc = run(&r, &spec, "random-1mib");
	ck_assert_msg(rc == 0, "%s: %s", ecs_error_name(rc), r.error);
	ck_assert_msg(r.exit_code == 0, "exit %d: %s", r.exit_code, r.err.data);
	ck_assert_uint_eq(r.artifacts_len, 1);
	ck_assert_uint_eq(r.artifacts[0].size, MIB);
	ck_assert_uint_eq(r.artifacts[0].content.len, MIB);
	ck_assert_int_eq(r.artifacts[0].content.truncated, 0);
	ck_assert_int_eq(memcmp(r.artifacts[0].content.data, data, MIB), 0);
	ecs_task_result_clear(&r);
	free(data);
}
END_TEST

/* The cap counts all artifacts together: the head of the first, nothing of the next, both sizes told. */
START_TEST(test_artifacts_cap_truncates)
{
	static const char *const cmd[] = { "sh", "-c", "yes a | head -c 1000 > /tmp/a; yes b | head -c 500 > /tmp/b" };
	static const char *const paths[] = { "/tmp/a", "/tmp/b" };
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_task_result r = ECS_TASK_RESULT_INIT;
	int rc;

	spec.run.cmd = cmd, spec.run.cmd_len = N(cmd);
	spec.artifacts = paths, spec.artifacts_len = N(paths);
	spec.artifacts_cap = 100;
	rc = run(&r, &spec, "artifacts-cap");
	ck_assert_msg(rc == 0, "%s: %s", ecs_error_name(rc), r.error);
	ck_assert_uint_eq(r.artifacts_len, 2);
	ck_assert_str_eq(r.artifacts[0].path, "/tmp/a");
	ck_assert_uint_eq(r.artifacts[0].size, 1000);
	ck_assert_uint_eq(r.artifacts[0].content.len, 100);
	ck_assert_int_eq(r.artifacts[0].content.truncated, 1);
	ck_assert_int_eq(memcmp(r.artifacts[0].content.data, "a\na\na\n", 6), 0);
	ck_assert_str_eq(r.artifacts[1].path, "/tmp/b");
	ck_assert_uint_eq(r.artifacts[1].size, 500);
	ck_assert_uint_eq(r.artifacts[1].content.len, 0);
	ck_assert_int_eq(r.artifacts[1].content.truncated, 1);
	ecs_task_result_clear(&r);
}
END_TEST

/* One refused task: ECS_EINVAL, the path named in the error, and nothing of what is outside in the result. */
static void assert_refused(ecs_task_spec *spec, const char *what, const char *path, ecs_task_phase phase)
{
	ecs_task_result r = ECS_TASK_RESULT_INIT;
	int rc = run(&r, spec, what);

	ck_assert_msg(rc == ECS_EINVAL, "%s: %s (%s), want ECS_EINVAL; %zu artifacts%s%s", what, ecs_error_name(rc),
		      r.error, r.artifacts_len, r.artifacts_len ? ", the first: " : "",
		      r.artifacts_len ? r.artifacts[0].path : "");
	ck_assert_int_eq(r.error_phase, phase);
	ck_assert_msg(strstr(r.error, path) != NULL, "%s: the error does not name %s: %s", what, path, r.error);
	ck_assert_uint_eq(r.artifacts_len, 0);
	ck_assert_ptr_null(r.artifacts);
	ecs_task_result_clear(&r);
}

START_TEST(test_paths_escaping_refused)
{
	static const char *const plant[] = { "sh", "-c", "ln -s /etc /tmp/l; ln -s /etc/passwd /tmp/p" };
	static const char *const dots[] = { "/tmp/../../etc" };
	static const char *const outside[] = { "/etc/passwd" };
	static const char *const through[] = { "/tmp/l/passwd" };
	static const char *const link[] = { "/tmp/p" };
	static const char *const proc[] = { "/proc/1/environ" };
	static const char *const check_cmd[] = { "sh", "-c", "test ! -e /etc/ecs-escape && test ! -e /ecs-escape" };
	ecs_file evil = { "/etc/ecs-escape", (const unsigned char *)"x", 1, 0 };
	ecs_file dotted = { "/tmp/../ecs-escape", (const unsigned char *)"x", 1, 0 };
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_task_result r = ECS_TASK_RESULT_INIT;
	int rc;

	spec.run.cmd = plant, spec.run.cmd_len = N(plant);
	/* refused by libecs before any I/O */
	spec.artifacts = dots, spec.artifacts_len = 1;
	assert_refused(&spec, "artifact-dots", "/tmp/../../etc", ECS_TASK_PHASE_VALIDATE);
	spec.artifacts_len = 0;
	spec.files = &dotted, spec.files_len = 1;
	assert_refused(&spec, "file-dots", "/tmp/../ecs-escape", ECS_TASK_PHASE_VALIDATE);
	/* refused by the agent inside the container: outside the writable mounts (the root is read-only) */
	spec.files = &evil;
	assert_refused(&spec, "file-outside", "/etc/ecs-escape", ECS_TASK_PHASE_VALIDATE);
	spec.files = NULL, spec.files_len = 0;
	spec.artifacts = outside, spec.artifacts_len = 1;
	assert_refused(&spec, "artifact-outside", "/etc/passwd", ECS_TASK_PHASE_LOGS);
	spec.artifacts = proc;
	assert_refused(&spec, "artifact-proc", "/proc/1/environ", ECS_TASK_PHASE_LOGS);
	/* a symlink the command planted in the writable mount, on the way or at the end */
	spec.artifacts = through;
	assert_refused(&spec, "artifact-symlink-dir", "/tmp/l/passwd", ECS_TASK_PHASE_LOGS);
	spec.artifacts = link;
	assert_refused(&spec, "artifact-symlink", "/tmp/p", ECS_TASK_PHASE_LOGS);
	/* and what was refused was not written: a fresh container of the same image has neither */
	spec.artifacts = NULL, spec.artifacts_len = 0;
	spec.run.cmd = check_cmd, spec.run.cmd_len = N(check_cmd);
	rc = run(&r, &spec, "nothing-written");
	ck_assert_msg(rc == 0 && r.exit_code == 0, "%s %d: %s", ecs_error_name(rc), r.exit_code, r.error);
	ecs_task_result_clear(&r);
}
END_TEST

/* The one timeout rule: timed out exactly when the kill ended the command. */
START_TEST(test_timeout_rule)
{
	static const char *const sleep5[] = { "sleep", "5" };
	static const char *const ok[] = { "true" };
	static const char *const race[] = { "sh", "-c", "sleep 2; echo done" };
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_task_result r = ECS_TASK_RESULT_INIT;
	double t0;
	int rc;

	spec.run.cmd = sleep5, spec.run.cmd_len = N(sleep5);
	spec.timeout_ms = 500;
	t0 = it_now_ms();
	rc = run(&r, &spec, "timeout-sleep");
	ck_assert_msg(rc == 0, "%s: %s", ecs_error_name(rc), r.error);
	ck_assert_int_eq(r.pooled, 1);
	ck_assert_int_eq(r.timed_out, 1);
	ck_assert_int_eq(r.exit_code, 137);
	/* the agent's kill, not the reader's deadline (timeout + 2 s) */
	ck_assert_msg(it_now_ms() - t0 < 2500, "took %.0f ms", it_now_ms() - t0);
	ecs_task_result_clear(&r);

	spec.run.cmd = ok, spec.run.cmd_len = N(ok);
	spec.timeout_ms = 60000;
	rc = run(&r, &spec, "timeout-true");
	ck_assert_msg(rc == 0, "%s: %s", ecs_error_name(rc), r.error);
	ck_assert_int_eq(r.timed_out, 0);
	ck_assert_int_eq(r.exit_code, 0);
	ecs_task_result_clear(&r);

	/* at the edge either may win; what is reported must be what happened */
	spec.run.cmd = race, spec.run.cmd_len = N(race);
	spec.timeout_ms = 2000;
	rc = run(&r, &spec, "timeout-race");
	ck_assert_msg(rc == 0, "%s: %s", ecs_error_name(rc), r.error);
	if (r.timed_out)
		ck_assert_int_eq(r.exit_code, 137);
	else
		ck_assert_msg(r.exit_code == 0 && strcmp((const char *)r.out.data, "done\n") == 0, "exit %d out %s",
			      r.exit_code, r.out.data);
	ecs_task_result_clear(&r);
}
END_TEST

/*
 * Several requests on one conversation with the agent, as a session makes
 * them: a file PUT, an exec that sees it and leaves state, an exec that
 * sees that state, a GET, a ping, a refused path that leaves the
 * conversation usable, then the end.
 */
START_TEST(test_conn_several_requests)
{
	static const char *const first[] = { "sh", "-c", "cat /tmp/s/in.txt > /tmp/s/state; echo first" };
	static const char *const second[] = { "sh", "-c", "cat /tmp/s/state; cat" };
	static const char *const bg[] = { "sh", "-c", "sleep 30 & echo started" };
	static const char *const after_bg[] = { "sh", "-c", "ps | grep -c 'sleep 3[0]' || true" };
	ecs_file in = { "/tmp/s/in.txt", (const unsigned char *)"kept\n", 5, 0 };
	ecs_image_info image = ECS_IMAGE_INFO_INIT;
	ecs_pool_lease lease;
	ecs_agent_conn *c = NULL;
	ecs_agent_exec_req req = { 0 };
	ecs_agent_exec_res res;
	ecs_buffer tar = { 0 };
	ecs_artifact *arts = NULL;
	size_t n = 0;
	char why[512];
	int truncated = 0, rc;
	long long end = ecs_clock_ms() + 60000;

	wait_warm();
	ck_assert_int_eq(ecs_image_inspect(&image, engine, it_test_image()), 0);
	ck_assert_int_eq(ecs_pool_take(&lease, pool, it_test_image(), image.id, &profile), 0);
	ecs_image_info_clear(&image);
	it_track_container(lease.container_id);
	ck_assert_int_eq(ecs_agent_conn_open(&c, engine, lease.container_id, end), 0);

	ck_assert_int_eq(ecs_agent_conn_put_files(c, &in, 1, why, sizeof(why), end), 0);
	req.argv = first, req.argc = N(first);
	req.stdin_null = 1;
	req.timeout_ms = 10000;
	req.out_cap = req.err_cap = 4096;
	rc = ecs_agent_conn_exec(c, &req, &res, end);
	ck_assert_msg(rc == 0, "%s: %s", ecs_error_name(rc), ecs_engine_errmsg(engine));
	ck_assert_int_eq(res.started, 1);
	ck_assert_int_eq(res.exit.kind, ECS_AGENT_EXITED);
	ck_assert_int_eq(res.exit.code, 0);
	ck_assert_str_eq((const char *)res.out.data, "first\n");
	ecs_agent_exec_res_clear(&res);

	/* the second sees what the first left, and its own stdin, framed after the first's */
	req.argv = second, req.argc = N(second);
	req.stdin_null = 0;
	req.stdin_data = (const unsigned char *)"from stdin\n";
	req.stdin_len = 11;
	ck_assert_int_eq(ecs_agent_conn_exec(c, &req, &res, end), 0);
	ck_assert_str_eq((const char *)res.out.data, "kept\nfrom stdin\n");
	ck_assert_uint_eq(res.out_bytes, 16);
	ecs_agent_exec_res_clear(&res);

	/* background processes never outlive the exec that started them */
	req.argv = bg, req.argc = N(bg);
	req.stdin_null = 1, req.stdin_data = NULL, req.stdin_len = 0;
	ck_assert_int_eq(ecs_agent_conn_exec(c, &req, &res, end), 0);
	ck_assert_str_eq((const char *)res.out.data, "started\n");
	ecs_agent_exec_res_clear(&res);
	req.argv = after_bg, req.argc = N(after_bg);
	ck_assert_int_eq(ecs_agent_conn_exec(c, &req, &res, end), 0);
	ck_assert_str_eq((const char *)res.out.data, "0\n");
	ecs_agent_exec_res_clear(&res);

	ck_assert_int_eq(ecs_agent_conn_get_tar(c, "/tmp/s/state", 0 + 1000, &tar, &truncated, why, sizeof(why), end), 0);
	ck_assert_int_eq(truncated, 0);
	ck_assert_uint_ge(tar.len, 1024);
	ecs_buffer_clear(&tar);
	ck_assert_int_eq(ecs_agent_conn_ping(c, end), 0);

	/* a refused GET names the path and leaves the conversation in step */
	rc = ecs_agent_conn_get_tar(c, "/etc/passwd", 1000, &tar, &truncated, why, sizeof(why), end);
	ck_assert_msg(rc == ECS_EINVAL && strstr(why, "/etc/passwd") != NULL, "%s: %s", ecs_error_name(rc), why);
	ck_assert_int_eq(ecs_agent_conn_get_tar(c, "/tmp/nope", 1000, &tar, &truncated, why, sizeof(why), end),
			 ECS_ENOTFOUND);
	rc = ecs_agent_conn_get_artifacts(c, (const char *const[]){ "/tmp/s" }, 1, 0, &arts, &n, why, sizeof(why), end);
	ck_assert_msg(rc == 0, "%s: %s", ecs_error_name(rc), why);
	ck_assert_uint_eq(n, 2);
	for (size_t i = 0; i < n; i++) {
		ck_assert_str_eq((const char *)arts[i].content.data, "kept\n");
		free(arts[i].path);
		ecs_buffer_clear(&arts[i].content);
	}
	free(arts);
	ck_assert_int_eq(ecs_agent_conn_ping(c, end), 0);
	ecs_agent_conn_close(c, 1);
	ecs_task_dispose(engine, NULL, lease.task_id, lease.container_id);
	ecs_pool_lease_clear(&lease);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("it_files");
	TCase *tc = tcase_create("files");

	tcase_set_timeout(tc, 240);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_files_in_byte_exact);
	tcase_add_test(tc, test_artifacts_file_and_directory);
	tcase_add_test(tc, test_artifact_1mib_random_byte_exact);
	tcase_add_test(tc, test_artifacts_cap_truncates);
	tcase_add_test(tc, test_paths_escaping_refused);
	tcase_add_test(tc, test_timeout_rule);
	tcase_add_test(tc, test_conn_several_requests);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return it_main(suite());
}
