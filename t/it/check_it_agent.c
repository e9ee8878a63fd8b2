/*
 * ecs-agent against the real engine: each test makes a pooled container of
 * the test image (the agent bind-mounted read-only as its entrypoint, started
 * ahead, read-only root, no capabilities, no network, log driver none, user
 * 65534, pids and memory limits), attaches, sends one task header and the
 * task's stdin, half-closes, and decodes the engine's stream with
 * agent/proto.c. Every container carries ecs.managed=true and a label of this
 * run; each test removes its own, main() whatever a failed test left.
 */
#include <config.h>

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "raw_client.h"

#define TIMEOUT_MS 60000

static char label[64];
static const char *agent_path;

static char *container_as(const char *runtime, const char *env, const char *user)
{
	/* under runsc the sentry's threads count against the pids limit: at 64
	 * the sandbox itself dies (exit 2) mid-task; 256 leaves it room */
	ita_spec spec = { .agent = agent_path, .label = label, .runtime = runtime, .env = env, .user = user,
			  .pids_limit = runtime != NULL && strcmp(runtime, "runsc") == 0 ? 256 : 64 };
	char *id = ita_pool_container(&spec);

	ck_assert_msg(id != NULL, "pooled container: %s", ita_error());
	return id;
}

static char *container(const char *runtime, const char *env)
{
	return container_as(runtime, env, NULL);
}

static void run_raw_as(const char *runtime, const char *user, const unsigned char *hdr, size_t hdr_len,
		       const void *in, size_t in_len, ita_result *r)
{
	char *id = container_as(runtime, "ECS_IT_IMAGE_VAR=image", user);
	int fd = ita_attach(id);

	ck_assert_msg(fd >= 0, "attach: %s", ita_error());
	/* to EOF: nothing may follow the exit record, and the stream must end */
	ck_assert_msg(ita_run(fd, hdr, hdr_len, in, in_len, 1, TIMEOUT_MS, NULL, NULL, r) == 0, "run: %s",
		      ita_error());
	ck_assert_int_eq(ita_remove(id), 0);
	free(id);
	ck_assert_msg(r->proto_error == 0, "protocol error %d", r->proto_error);
	ck_assert_msg(r->exited, "no exit record");
	ck_assert_int_eq(r->trailing, 0);
	ck_assert_int_eq((long)r->raw_stderr, 0);
}

static void run_raw(const char *runtime, const unsigned char *hdr, size_t hdr_len, const void *in, size_t in_len,
		    ita_result *r)
{
	run_raw_as(runtime, NULL, hdr, hdr_len, in, in_len, r);
}

static void run_as(const char *runtime, const char *user, const char *const *argv, ita_result *r)
{
	size_t len;
	unsigned char *hdr = ita_header(&len, argv, NULL, NULL);

	ck_assert_ptr_nonnull(hdr);
	run_raw_as(runtime, user, hdr, len, NULL, 0, r);
	free(hdr);
}

static void run_in(const char *runtime, const char *const *argv, const char *const *env, const char *workdir,
		   const void *in, size_t in_len, ita_result *r)
{
	size_t len;
	unsigned char *hdr = ita_header(&len, argv, env, workdir);

	ck_assert_ptr_nonnull(hdr);
	run_raw(runtime, hdr, len, in, in_len, r);
	free(hdr);
}

static void run(const char *const *argv, ita_result *r)
{
	run_in(NULL, argv, NULL, NULL, NULL, 0, r);
}

static void assert_exited(const ita_result *r, int code)
{
	ck_assert_msg(r->exit.kind == ECS_AGENT_EXITED, "kind %u", r->exit.kind);
	ck_assert_int_eq(r->exit.code, code);
	ck_assert_int_eq(r->exit.signal, 0);
	ck_assert_msg(r->started, "no start record");
}

START_TEST(test_agent_exit_codes)
{
	const char *ok[] = { "true", NULL };
	const char *three[] = { "sh", "-c", "echo out; echo err >&2; exit 3", NULL };
	ita_result r;

	run(ok, &r);
	assert_exited(&r, 0);
	ck_assert_int_eq((long)r.out_len, 0);
	ck_assert_int_eq((long)r.err_len, 0);
	ck_assert_msg(!(r.exit.flags & ECS_AGENT_EXIT_OOM_UNKNOWN), "the memory cgroup's OOM counter is readable");
	ita_result_clear(&r);

	run(three, &r);
	assert_exited(&r, 3);
	ck_assert_str_eq((char *)r.out, "out\n");
	ck_assert_str_eq((char *)r.err, "err\n");
	ita_result_clear(&r);
}
END_TEST

START_TEST(test_agent_missing_command)
{
	const char *argv[] = { "no-such-command", "x", NULL };
	ita_result r;

	run(argv, &r);
	assert_exited(&r, 127);
	/* the agent's own line, the whole of stderr (every container has the agent now, not tini) */
	ck_assert_str_eq((char *)r.err, "ecs-agent: exec no-such-command: No such file or directory\n");
	ita_result_clear(&r);
}
END_TEST

START_TEST(test_agent_not_executable)
{
	/* a directory: found, but execve says EACCES, as for a file without x */
	const char *argv[] = { "/bin", NULL };
	ita_result r;

	run(argv, &r);
	assert_exited(&r, 126);
	ck_assert_str_eq((char *)r.err, "ecs-agent: exec /bin: Permission denied\n");
	ita_result_clear(&r);
}
END_TEST

START_TEST(test_agent_self_kill)
{
	const char *argv[] = { "sh", "-c", "kill -9 $$", NULL };
	ita_result r;

	run(argv, &r);
	ck_assert_uint_eq(r.exit.kind, ECS_AGENT_SIGNALED);
	ck_assert_int_eq(r.exit.signal, 9);
	ck_assert_int_eq(r.exit.code, 137);
	ck_assert_msg(!(r.exit.flags & ECS_AGENT_EXIT_OOM), "not an OOM kill");
	ita_result_clear(&r);
}
END_TEST

static void binary_case(const char *runtime)
{
	const char *argv[] = { "sh", "-c", "printf '\\377\\376\\000a\\000'; printf '\\000\\377x' >&2; exit 9", NULL };
	ita_result r;

	run_in(runtime, argv, NULL, NULL, NULL, 0, &r);
	assert_exited(&r, 9);
	ck_assert_int_eq((long)r.out_len, 5);
	ck_assert_mem_eq(r.out, "\377\376\000a\000", 5);
	ck_assert_int_eq((long)r.err_len, 3);
	ck_assert_mem_eq(r.err, "\000\377x", 3);
	ita_result_clear(&r);
}

START_TEST(test_agent_binary_output)
{
	binary_case(NULL);
}
END_TEST

START_TEST(test_agent_large_output)
{
	const char *argv[] = { "sh", "-c", "seq 1 1400000; echo end >&2", NULL };
	size_t cap = 11u << 20, len = 0;
	char *want = malloc(cap);
	ita_result r;

	ck_assert_ptr_nonnull(want);
	for (int i = 1; i <= 1400000; i++)
		len += (size_t)sprintf(want + len, "%d\n", i);
	run(argv, &r);
	assert_exited(&r, 0);
	ck_assert_uint_ge(len, 10u * 1000 * 1000);
	ck_assert_uint_eq(r.out_len, len);
	ck_assert_msg(memcmp(r.out, want, len) == 0, "10 MB of stdout differ");
	ck_assert_str_eq((char *)r.err, "end\n");
	free(want);
	ita_result_clear(&r);
}
END_TEST

START_TEST(test_agent_stdin)
{
	const char *count[] = { "sh", "-c", "cat | wc -c", NULL };
	const char *echo[] = { "cat", NULL };
	size_t n = 1u << 20;
	unsigned char *in = malloc(n);
	ita_result r;

	ck_assert_ptr_nonnull(in);
	for (size_t i = 0; i < n; i++)
		in[i] = (unsigned char)(i * 7 + i / 251);
	run_in(NULL, count, NULL, NULL, in, 100 * 1024, &r);
	assert_exited(&r, 0);
	ck_assert_str_eq((char *)r.out, "102400\n");
	ita_result_clear(&r);

	/* 1 MiB both ways at once: stdin is read while output is relayed */
	run_in(NULL, echo, NULL, NULL, in, n, &r);
	assert_exited(&r, 0);
	ck_assert_uint_eq(r.out_len, n);
	ck_assert_msg(memcmp(r.out, in, n) == 0, "stdin came back different");
	free(in);
	ita_result_clear(&r);
}
END_TEST

START_TEST(test_agent_env_and_workdir)
{
	const char *argv[] = { "sh", "-c", "pwd; echo \"$FOO|$ECS_IT_IMAGE_VAR|$EMPTY|\"; id -u", NULL };
	const char *env[] = { "FOO=bar baz", "ECS_IT_IMAGE_VAR=task", "EMPTY=", NULL };
	ita_result r;

	run_in(NULL, argv, env, "/bin", NULL, 0, &r);
	assert_exited(&r, 0);
	ck_assert_str_eq((char *)r.out, "/bin\nbar baz|task||\n65534\n");
	ita_result_clear(&r);
}
END_TEST

START_TEST(test_agent_bad_workdir)
{
	const char *argv[] = { "true", NULL };
	ita_result r;

	run_in(NULL, argv, NULL, "/no/such/dir", NULL, 0, &r);
	ck_assert_uint_eq(r.exit.kind, ECS_AGENT_FAILED);
	ck_assert_int_eq(r.exit.code, ENOENT);
	ck_assert_msg(!r.started, "the task did not run");
	ck_assert_ptr_nonnull(strstr((char *)r.msg, "working directory /no/such/dir"));
	ita_result_clear(&r);
}
END_TEST

START_TEST(test_agent_bad_header)
{
	static const unsigned char junk[12] = "GET / HTTP/1";
	ita_result r;

	run_raw(NULL, junk, sizeof(junk), NULL, 0, &r);
	ck_assert_uint_eq(r.exit.kind, ECS_AGENT_FAILED);
	ck_assert_int_eq(r.exit.code, EPROTO);
	ck_assert_ptr_nonnull(strstr((char *)r.msg, "bad request: protocol error"));
	ita_result_clear(&r);
}
END_TEST

START_TEST(test_agent_orphans)
{
	/* a background child outlives the task, and another keeps writing: the
	 * agent still reports and the container's stream still ends */
	const char *argv[] = { "sh", "-c", "sleep 1000 & (while :; do echo spam; done) & echo started; exit 4", NULL };
	ita_result r;

	run(argv, &r);
	assert_exited(&r, 4);
	ck_assert_ptr_nonnull(strstr((char *)r.out, "started\n"));
	ita_result_clear(&r);
}
END_TEST

/* the bytes of an EXIT frame saying "exited 99", as printf(1) octal escapes */
#define FORGED_EXIT "\\005\\000\\000\\000\\000\\000\\000\\014\\000\\000\\000\\000\\000\\000\\000\\143\\000\\000\\000\\000"

START_TEST(test_agent_cannot_forge_exit)
{
	const char *argv[] = { "sh", "-c", "printf '" FORGED_EXIT "'; printf '" FORGED_EXIT "' >&2; exit 7", NULL };
	const char *via_proc[] = { "sh", "-c",
				   "printf '" FORGED_EXIT "' >/proc/1/fd/1 || echo refused; "
				   "printf '" FORGED_EXIT "' >/proc/1/fd/2 || echo refused; exit 6",
				   NULL };
	static const unsigned char forged[20] = { 5, 0, 0, 0, 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 99, 0, 0, 0, 0 };
	ita_result r;

	run(argv, &r);
	assert_exited(&r, 7);
	ck_assert_uint_eq(r.out_len, sizeof(forged));
	ck_assert_mem_eq(r.out, forged, sizeof(forged));
	ck_assert_uint_eq(r.err_len, sizeof(forged));
	ck_assert_mem_eq(r.err, forged, sizeof(forged));
	ita_result_clear(&r);

	/* the agent is not dumpable: its fds are not the task's to open */
	run(via_proc, &r);
	assert_exited(&r, 6);
	ck_assert_str_eq((char *)r.out, "refused\nrefused\n");
	ita_result_clear(&r);
}
END_TEST

START_TEST(test_agent_oom)
{
	/* the shell holds 200 MB of x in a variable; the limit is 64 MiB */
	const char *argv[] = { "sh", "-c", "x=$(head -c 200000000 /dev/zero | tr '\\0' x); echo survived", NULL };
	ita_result r;

	run(argv, &r);
	ck_assert_msg(r.exit.flags & ECS_AGENT_EXIT_OOM, "OOM reported (kind %u code %d)", r.exit.kind, r.exit.code);
	ck_assert_ptr_null(strstr(r.out ? (char *)r.out : "", "survived"));
	ita_result_clear(&r);
}
END_TEST

/*
 * Issue 22: the task runs as its own user, never the agent's (2147483646),
 * and cannot reach PID 1: not its fds, mem, oom_score_adj, nor a signal.
 * Under runsc a root task could open the agent's fd 1: the agent refuses it
 * (FAILED EPERM, the reader runs it cold).
 */
#define REACH_PID1                                                                                      \
	"printf '" FORGED_EXIT "' 2>/dev/null >/proc/1/fd/1 && echo fd1; "                             \
	"printf '" FORGED_EXIT "' 2>/dev/null >/proc/1/fd/2 && echo fd2; "                             \
	"(exec 3</proc/1/mem) 2>/dev/null && echo mem; "                                                \
	"echo 1000 2>/dev/null >/proc/1/oom_score_adj && echo oom; kill -9 1 2>/dev/null && echo kill; " \
	"id -u; grep -E '^Cap(Prm|Eff)' /proc/self/status; exit 5"

static void reach_case(const char *runtime, const char *user, const char *want_out)
{
	const char *argv[] = { "sh", "-c", REACH_PID1, NULL };
	ita_result r;

	run_as(runtime, user, argv, &r);
	if (want_out == NULL) {
		ck_assert_uint_eq(r.exit.kind, ECS_AGENT_FAILED);
		ck_assert_int_eq(r.exit.code, EPERM);
		ck_assert_msg(!r.started, "the task did not run");
		ck_assert_msg(r.msg != NULL && strstr((char *)r.msg, "runs cold") != NULL, "message: %s",
			      r.msg ? (char *)r.msg : "");
	} else {
		assert_exited(&r, 5);
		ck_assert_str_eq((char *)r.out, want_out);
	}
	ita_result_clear(&r);
}

#define NO_CAPS "CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\n"

START_TEST(test_agent_task_cannot_reach_pid1)
{
	const char *argv[] = { "true", NULL };
	ita_result r;

	reach_case(NULL, "65534:65534", "65534\n" NO_CAPS);
	reach_case(NULL, "", "0\n" NO_CAPS);
	reach_case(NULL, "nobody", "65534\n" NO_CAPS);
	/* the agent's own uid is never the task's */
	run_as(NULL, "2147483646", argv, &r);
	ck_assert_uint_eq(r.exit.kind, ECS_AGENT_FAILED);
	ck_assert_int_eq(r.exit.code, EPERM);
	ck_assert_msg(strstr((char *)r.msg, "agent's own") != NULL, "message: %s", (char *)r.msg);
	ita_result_clear(&r);
	run_as(NULL, "nosuchuser", argv, &r);
	ck_assert_uint_eq(r.exit.kind, ECS_AGENT_FAILED);
	ck_assert_int_eq(r.exit.code, EPERM);
	ck_assert_msg(strstr((char *)r.msg, "unable to find user nosuchuser") != NULL, "message: %s", (char *)r.msg);
	ita_result_clear(&r);
}
END_TEST

typedef struct {
	const char *id;
	int status;
} kill_arg;

static void send_term(void *p)
{
	kill_arg *k = p;
	char path[256];

	snprintf(path, sizeof(path), "/containers/%s/kill?signal=TERM", k->id);
	k->status = ita_post(path);
}

START_TEST(test_agent_forwards_sigterm)
{
	const char *argv[] = { "sleep", "1000", NULL };
	char *id = container(NULL, NULL);
	kill_arg k = { .id = id };
	unsigned char *hdr;
	size_t len;
	ita_result r;
	int fd;

	hdr = ita_header(&len, argv, NULL, NULL);
	ck_assert_ptr_nonnull(hdr);
	fd = ita_attach(id);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ita_run(fd, hdr, len, NULL, 0, 1, TIMEOUT_MS, send_term, &k, &r), 0);
	free(hdr);
	ck_assert_int_eq(k.status, 204);
	ck_assert_msg(r.exited, "no exit record");
	ck_assert_uint_eq(r.exit.kind, ECS_AGENT_SIGNALED);
	ck_assert_int_eq(r.exit.signal, SIGTERM);
	ck_assert_int_eq(ita_remove(id), 0);
	free(id);
	ita_result_clear(&r);
}
END_TEST

START_TEST(test_agent_stop_while_waiting)
{
	/* a waiting pooled container stops on SIGTERM at once (143), not after
	 * the engine's 30 s grace and a SIGKILL (137) */
	char *id = container(NULL, NULL);
	char path[256], *body = NULL;

	snprintf(path, sizeof(path), "/containers/%s/stop?t=30", id);
	ck_assert_int_eq(ita_post(path), 204);
	snprintf(path, sizeof(path), "/containers/%s/json", id);
	ck_assert_int_eq(ita_get(path, &body), 200);
	ck_assert_msg(strstr(body, "\"ExitCode\":143") != NULL, "exit code 143 in %.300s", strstr(body, "\"State\""));
	free(body);
	ck_assert_int_eq(ita_remove(id), 0);
	free(id);
}
END_TEST

START_TEST(test_agent_runsc)
{
	const char *argv[] = { "sh", "-c", "dmesg | head -n 1; exit 5", NULL };
	char *info = NULL;
	ita_result r;

	ck_assert_int_eq(ita_get("/info", &info), 200);
	if (strstr(info, "\"runsc\"") == NULL) {
		fprintf(stderr, "check_it_agent: SKIP runsc cases: the engine has no runsc runtime registered\n");
		free(info);
		return;
	}
	free(info);
	run_in("runsc", argv, NULL, NULL, NULL, 0, &r);
	assert_exited(&r, 5);
	ck_assert_msg(strstr((char *)r.out, "gVisor") != NULL, "under gVisor: %s", r.out ? (char *)r.out : "");
	ita_result_clear(&r);
	binary_case("runsc");
	reach_case("runsc", "65534:65534", "65534\n" NO_CAPS);
	reach_case("runsc", "", NULL);
}
END_TEST

static Suite *agent_suite(void)
{
	Suite *s = suite_create("agent");
	TCase *tc = tcase_create("agent");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_agent_exit_codes);
	tcase_add_test(tc, test_agent_missing_command);
	tcase_add_test(tc, test_agent_not_executable);
	tcase_add_test(tc, test_agent_self_kill);
	tcase_add_test(tc, test_agent_binary_output);
	tcase_add_test(tc, test_agent_large_output);
	tcase_add_test(tc, test_agent_stdin);
	tcase_add_test(tc, test_agent_env_and_workdir);
	tcase_add_test(tc, test_agent_bad_workdir);
	tcase_add_test(tc, test_agent_bad_header);
	tcase_add_test(tc, test_agent_orphans);
	tcase_add_test(tc, test_agent_cannot_forge_exit);
	tcase_add_test(tc, test_agent_oom);
	tcase_add_test(tc, test_agent_task_cannot_reach_pid1);
	tcase_add_test(tc, test_agent_forwards_sigterm);
	tcase_add_test(tc, test_agent_stop_while_waiting);
	tcase_add_test(tc, test_agent_runsc);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed, left;

	agent_path = getenv("ECS_AGENT");
	if (agent_path == NULL || *agent_path == '\0')
		agent_path = ECS_AGENT_BUILT;
	snprintf(label, sizeof(label), "ecs.test=agent-it-%ld", (long)getpid());
	sr = srunner_create(agent_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	/* whatever a failed test left goes now; finding any is a failure of its own */
	left = ita_remove_labelled(label);
	if (left != 0) {
		fprintf(stderr, "check_it_agent: %d container(s) of this run were left behind (%s)\n", left,
			left < 0 ? ita_error() : "deleted now");
		failed++;
	}
	return failed == 0 ? 0 : 1;
}
