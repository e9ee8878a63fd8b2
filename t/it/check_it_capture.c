/*
 * Integration tests of the live output capture (lib/capture.c) through
 * ecs_task_run() against the real engine: output read from an attach stream
 * opened before start, capped as it arrives (head kept, totals counted),
 * byte-exact on both streams, with stdin on the same connection; the cases
 * the engine's log drivers got wrong.
 */
#include <config.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ecs/ecs.h>
#include "it_util.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define MIB (1024u * 1024u)

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

/* Run @cmd with @spec (image, cmd, task id and network filled in here); nothing may outlive it. */
static void run(ecs_task_result *r, ecs_task_spec *spec, const char *what, const char *const *cmd, size_t cmd_len)
{
	char *task_id = it_task_id(what);
	char label[160];
	int rc;

	spec->run.image = it_test_image();
	spec->run.cmd = cmd;
	spec->run.cmd_len = cmd_len;
	spec->task_id = task_id;
	rc = ecs_task_run(r, engine, NULL, spec);
	ck_assert_msg(rc == ECS_OK, "ecs_task_run: %s in %s: %s", ecs_error_name(rc),
		      ecs_task_phase_name(r->error_phase) ? ecs_task_phase_name(r->error_phase) : "?", r->error);
	snprintf(label, sizeof(label), "%s=%s", ECS_LABEL_TASK_ID, task_id);
	ck_assert_int_eq(it_count_labelled(engine, label), 0);
	free(task_id);
}

/* The first @len bytes of `seq 1 LAST`. */
static char *seq_head(unsigned last, size_t len)
{
	char *s = malloc(len + 16);
	size_t n = 0;

	ck_assert_ptr_nonnull(s);
	for (unsigned i = 1; i <= last && n < len; i++)
		n += (size_t)sprintf(s + n, "%u\n", i);
	return s;
}

/* 14.9 MB of stdout, cap 1 MiB: the first 1 MiB exactly (the local driver kept the last 10 MB). */
START_TEST(test_capture_head_kept_and_counted)
{
	static const char *const cmd[] = { "seq", "1", "2000000" };
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_task_result r = ECS_TASK_RESULT_INIT;
	char *want = seq_head(2000000, MIB);

	spec.stdout_cap = MIB;
	run(&r, &spec, "seq", cmd, N(cmd));
	ck_assert_int_eq(r.exit_code, 0);
	ck_assert_uint_eq(r.out.len, MIB);
	ck_assert_int_eq(r.out.truncated, 1);
	ck_assert_uint_eq(r.stdout_bytes, 14888896);
	ck_assert_msg(memcmp(r.out.data, want, MIB) == 0, "the kept stdout is not the head of the output");
	ck_assert_uint_eq(r.err.len, 0);
	ck_assert_uint_eq(r.stderr_bytes, 0);
	ck_assert_int_eq(r.err.truncated, 0);
	ecs_task_result_clear(&r);
	free(want);
}
END_TEST

/* A line of 16 KiB keeps the newline after it (the local driver dropped it: 16389 bytes). */
START_TEST(test_capture_long_line_keeps_newline)
{
	static const char *const cmd[] = { "sh", "-c", "head -c 16384 /dev/zero | tr '\\0' x; echo; echo next" };
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_task_result r = ECS_TASK_RESULT_INIT;

	run(&r, &spec, "longline", cmd, N(cmd));
	ck_assert_uint_eq(r.out.len, 16390);
	ck_assert_uint_eq(r.stdout_bytes, 16390);
	for (size_t i = 0; i < 16384; i++)
		ck_assert_int_eq(r.out.data[i], 'x');
	ck_assert_mem_eq(r.out.data + 16384, "\nnext\n", 6);
	ck_assert_int_eq(r.out.truncated, 0);
	ecs_task_result_clear(&r);
}
END_TEST

/* 20 MB of stdout, then stderr: both complete or truncated with their counts. */
START_TEST(test_capture_stderr_survives_large_stdout)
{
	static const char *const cmd[] = { "sh", "-c",
		"echo first >&2; head -c 20000000 /dev/zero; head -c 300000 /dev/zero | tr '\\0' e >&2; echo last >&2" };
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_task_result r = ECS_TASK_RESULT_INIT;

	spec.stderr_cap = 200000;
	run(&r, &spec, "bigout", cmd, N(cmd));
	ck_assert_int_eq(r.exit_code, 0);
	ck_assert_uint_eq(r.stdout_bytes, 20000000);
	ck_assert_uint_eq(r.out.len, ECS_TASK_DEFAULT_OUTPUT_CAP);
	ck_assert_int_eq(r.out.truncated, 1);
	for (size_t i = 0; i < r.out.len; i++)
		ck_assert_int_eq(r.out.data[i], 0);
	ck_assert_uint_eq(r.stderr_bytes, 6 + 300000 + 5);
	ck_assert_uint_eq(r.err.len, 200000);
	ck_assert_int_eq(r.err.truncated, 1);
	ck_assert_mem_eq(r.err.data, "first\neee", 9);
	ecs_task_result_clear(&r);

	/* Under the caps, nothing is lost at all. */
	spec = (ecs_task_spec)ECS_TASK_SPEC_INIT;
	spec.stdout_cap = 21000000;
	spec.stderr_cap = 400000;
	run(&r, &spec, "bigout-all", cmd, N(cmd));
	ck_assert_uint_eq(r.out.len, 20000000);
	ck_assert_int_eq(r.out.truncated, 0);
	ck_assert_uint_eq(r.err.len, 300011);
	ck_assert_int_eq(r.err.truncated, 0);
	ck_assert_mem_eq(r.err.data + 300006, "last\n", 5);
	ecs_task_result_clear(&r);
}
END_TEST

/* Non-UTF-8 bytes and NULs, on both streams (json-file turned them into U+FFFD). */
START_TEST(test_capture_binary_both_streams)
{
	static const char *const cmd[] = { "sh", "-c",
		"printf '\\377\\376\\000x\\000'; printf '\\000\\377\\376' >&2; printf '\\200' ; printf '\\000' >&2" };
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_task_result r = ECS_TASK_RESULT_INIT;

	run(&r, &spec, "binary", cmd, N(cmd));
	ck_assert_uint_eq(r.out.len, 6);
	ck_assert_mem_eq(r.out.data, "\377\376\000x\000\200", 6);
	ck_assert_uint_eq(r.err.len, 4);
	ck_assert_mem_eq(r.err.data, "\000\377\376\000", 4);
	ck_assert_uint_eq(r.stdout_bytes, 6);
	ck_assert_uint_eq(r.stderr_bytes, 4);
	ecs_task_result_clear(&r);
}
END_TEST

/* Many alternating writes: each stream whole and in order. */
START_TEST(test_capture_interleaving_preserved)
{
	static const char *const cmd[] = { "sh", "-c",
		"i=0; while [ $i -lt 500 ]; do echo o$i; echo e$i >&2; i=$((i+1)); done" };
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_task_result r = ECS_TASK_RESULT_INIT;
	char want_out[8192], want_err[8192];
	size_t no = 0, ne = 0;

	for (int i = 0; i < 500; i++) {
		no += (size_t)snprintf(want_out + no, sizeof(want_out) - no, "o%d\n", i);
		ne += (size_t)snprintf(want_err + ne, sizeof(want_err) - ne, "e%d\n", i);
	}
	run(&r, &spec, "interleave", cmd, N(cmd));
	ck_assert_uint_eq(r.out.len, no);
	ck_assert_mem_eq(r.out.data, want_out, no);
	ck_assert_uint_eq(r.err.len, ne);
	ck_assert_mem_eq(r.err.data, want_err, ne);
	ecs_task_result_clear(&r);
}
END_TEST

/* stdin on the same connection as the output: 100 KB through `cat | wc -c`. */
START_TEST(test_capture_stdin_100k)
{
	static const char *const cmd[] = { "sh", "-c", "cat | wc -c" };
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_task_result r = ECS_TASK_RESULT_INIT;
	unsigned char *input = malloc(100000);

	ck_assert_ptr_nonnull(input);
	for (size_t i = 0; i < 100000; i++)
		input[i] = (unsigned char)(i * 7);
	spec.stdin_data = input;
	spec.stdin_len = 100000;
	run(&r, &spec, "stdin100k", cmd, N(cmd));
	ck_assert_int_eq(r.exit_code, 0);
	ck_assert_uint_eq(r.out.len, 7);
	ck_assert_mem_eq(r.out.data, "100000\n", 7);
	ecs_task_result_clear(&r);

	/* And echoed back whole while it is still being written: reading and writing at once. */
	spec = (ecs_task_spec)ECS_TASK_SPEC_INIT;
	spec.stdin_data = input;
	spec.stdin_len = 100000;
	{
		static const char *const cat[] = { "cat" };

		run(&r, &spec, "stdin-echo", cat, N(cat));
	}
	ck_assert_uint_eq(r.out.len, 100000);
	ck_assert_mem_eq(r.out.data, input, 100000);
	ecs_task_result_clear(&r);
	free(input);
}
END_TEST

/* A process that closes its output and runs on is still bound by the timeout. */
START_TEST(test_capture_closed_output_still_times_out)
{
	static const char *const cmd[] = { "sh", "-c", "echo bye; exec >&- 2>&-; sleep 30" };
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_task_result r = ECS_TASK_RESULT_INIT;
	double t0 = it_now_ms();

	spec.timeout_ms = 1500;
	run(&r, &spec, "closed", cmd, N(cmd));
	ck_assert_int_eq(r.timed_out, 1);
	ck_assert_int_eq(r.exit_code, 137);
	ck_assert_uint_eq(r.out.len, 4);
	ck_assert_mem_eq(r.out.data, "bye\n", 4);
	ck_assert_msg(it_now_ms() - t0 < 20000, "the run took %.0f ms", it_now_ms() - t0);
	ecs_task_result_clear(&r);
}
END_TEST

/* Output written before a timeout kill is kept. */
START_TEST(test_capture_output_before_timeout_kept)
{
	static const char *const cmd[] = { "sh", "-c", "echo started; echo oops >&2; sleep 30" };
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_task_result r = ECS_TASK_RESULT_INIT;

	spec.timeout_ms = 1500;
	run(&r, &spec, "timeout-out", cmd, N(cmd));
	ck_assert_int_eq(r.timed_out, 1);
	ck_assert_int_eq(r.exit_code, 137);
	ck_assert_uint_eq(r.out.len, 8);
	ck_assert_mem_eq(r.out.data, "started\n", 8);
	ck_assert_uint_eq(r.err.len, 5);
	ck_assert_mem_eq(r.err.data, "oops\n", 5);
	ecs_task_result_clear(&r);
}
END_TEST

/* What the live callback (spec.on_output) saw. */
typedef struct {
	char out[256], err[256];
	size_t out_len, err_len;
	int calls;
	int stop_at_first;  /* return non-zero on the first call: the reader went away */
} live_seen;

static int on_output(int stream, const unsigned char *data, size_t len, void *arg)
{
	live_seen *l = arg;
	char *buf = stream == ECS_TASK_STDOUT ? l->out : l->err;
	size_t *have = stream == ECS_TASK_STDOUT ? &l->out_len : &l->err_len;

	ck_assert(stream == ECS_TASK_STDOUT || stream == ECS_TASK_STDERR);
	ck_assert_uint_gt(len, 0);
	if (*have + len < sizeof(l->out)) {
		memcpy(buf + *have, data, len);
		*have += len;
	}
	l->calls++;
	return l->stop_at_first;
}

/*
 * The first line reaches the callback while the task still runs: the task
 * writes it, then sleeps far past its timeout, and the callback's refusal
 * (a streaming client that went away) is what ends it. Had the output come
 * only after the exit, the run would end at the timeout instead
 * (timed_out, no cancel): the outcome itself says which came first.
 */
static void live_first_line(ecs_pool *pool)
{
	static const char *const cmd[] = { "sh", "-c", "echo a; exec sleep 600" };
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_task_result r = ECS_TASK_RESULT_INIT;
	ecs_sandbox_profile prof;
	live_seen seen = { .stop_at_first = 1 };
	char *task_id = it_task_id("live");
	char label[160];
	double t0 = it_now_ms();
	int rc;

	spec.run.image = it_test_image();
	spec.run.cmd = cmd;
	spec.run.cmd_len = N(cmd);
	spec.task_id = task_id;
	spec.profile = it_profile(&prof, NULL);
	spec.pool = pool;
	spec.timeout_ms = 60000;
	spec.on_output = on_output;
	spec.on_output_arg = &seen;
	rc = ecs_task_run(&r, engine, NULL, &spec);
	ck_assert_msg(rc == ECS_ECANCELED, "the callback's refusal did not cancel the task: %s (%s), timed out %d",
		      ecs_error_name(rc), r.error, r.timed_out);
	ck_assert_int_eq(r.timed_out, 0);
	ck_assert_int_eq(r.error_phase, ECS_TASK_PHASE_WAIT);
	ck_assert_int_eq(seen.calls, 1);
	ck_assert_uint_eq(seen.out_len, 2);
	ck_assert_mem_eq(seen.out, "a\n", 2);
	fprintf(stderr, "live output (%s): the first line cancelled the task after %.0f ms\n",
		pool != NULL ? "pooled" : "cold", it_now_ms() - t0);
	snprintf(label, sizeof(label), "%s=%s", ECS_LABEL_TASK_ID, task_id);
	ck_assert_int_eq(it_count_labelled(engine, label), 0);
	ecs_task_result_clear(&r);
	free(task_id);
}

START_TEST(test_capture_live_first_line_while_running)
{
	live_first_line(NULL);
}
END_TEST

/* The same through a warm container: its agent's frames feed the callback. */
START_TEST(test_capture_live_first_line_pooled)
{
	ecs_sandbox_profile prof;
	int warm = 0;
	ecs_pool *pool;

	pool = it_pool_warm(engine, it_test_image(), it_profile(&prof, NULL), 1, &warm);
	ck_assert_msg(warm, "no warm container for the test image");
	live_first_line(pool);
	ecs_pool_free(pool);
}
END_TEST

/* Every byte reaches the callback, both streams, before the caps cut the result's copy. */
START_TEST(test_capture_live_all_bytes_before_caps)
{
	static const char *const cmd[] = { "sh", "-c", "printf out1; printf err1 >&2; printf out2; printf err2 >&2" };
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_task_result r = ECS_TASK_RESULT_INIT;
	live_seen seen = { .stop_at_first = 0 };

	spec.stdout_cap = 2;
	spec.stderr_cap = 3;
	spec.on_output = on_output;
	spec.on_output_arg = &seen;
	run(&r, &spec, "live-all", cmd, N(cmd));
	ck_assert_int_eq(r.exit_code, 0);
	ck_assert_uint_eq(seen.out_len, 8);
	ck_assert_mem_eq(seen.out, "out1out2", 8);
	ck_assert_uint_eq(seen.err_len, 8);
	ck_assert_mem_eq(seen.err, "err1err2", 8);
	ck_assert_uint_eq(r.stdout_bytes, 8);
	ck_assert_uint_eq(r.stderr_bytes, 8);
	ck_assert_uint_eq(r.out.len, 2);
	ck_assert_int_eq(r.out.truncated, 1);
	ck_assert_mem_eq(r.out.data, "ou", 2);
	ck_assert_uint_eq(r.err.len, 3);
	ck_assert_mem_eq(r.err.data, "err", 3);
	ecs_task_result_clear(&r);
}
END_TEST

static Suite *capture_suite(void)
{
	Suite *s = suite_create("capture");
	TCase *tc = tcase_create("capture");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_capture_head_kept_and_counted);
	tcase_add_test(tc, test_capture_long_line_keeps_newline);
	tcase_add_test(tc, test_capture_stderr_survives_large_stdout);
	tcase_add_test(tc, test_capture_binary_both_streams);
	tcase_add_test(tc, test_capture_interleaving_preserved);
	tcase_add_test(tc, test_capture_stdin_100k);
	tcase_add_test(tc, test_capture_closed_output_still_times_out);
	tcase_add_test(tc, test_capture_output_before_timeout_kept);
	suite_add_tcase(s, tc);
	tc = tcase_create("live");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_capture_live_first_line_while_running);
	tcase_add_test(tc, test_capture_live_first_line_pooled);
	tcase_add_test(tc, test_capture_live_all_bytes_before_caps);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed, left;

	it_global_init();
	sr = srunner_create(capture_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	left = it_cleanup_run();
	if (left != 0) {
		fprintf(stderr, "check_it_capture: %d container(s) of this run were left behind (%s)\n", left,
			left < 0 ? ecs_error_name(left) : "deleted now");
		failed++;
	}
	ecs_global_cleanup();
	return failed == 0 ? 0 : 1;
}
