/*
 * Integration tests of the warm pool (ecs_pool, the pooled backend) against
 * the real engine: a pool hit and a cold run of the same request give the
 * same answer; the image's Entrypoint, WorkingDir and Env apply as to a fresh
 * container; timeouts kill; a miss runs cold; adaptive pools grow after a
 * miss and shrink by TTL; a moved tag retires the old containers; a fixed
 * pool lends without an image inspect; pooled
 * containers carry their labels and ecs_pool_free() leaves none. The pools
 * give their agents direct channels (agent_chan.h), as ecs-fcgi's does;
 * one test runs a pool without, on the attach stream.
 */
#include <config.h>

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <ecs/ecs.h>
#include "container_private.h"
#include "profile_private.h"
#include "engine_private.h"
#include "http.h"
#include "image_private.h"
#include "it_util.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static ecs_engine *engine;
/* The directory the pools' channel directories go in (each pool its own, which it removes when freed). */
static char chan_base[64];
static unsigned int chan_pools;

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
	snprintf(chan_base, sizeof(chan_base), "/tmp/check_it_pool.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(chan_base));
	/* the agents pass through to their own directories (0711), as under /run/ecs */
	ck_assert_int_eq(chmod(chan_base, 0711), 0);
}

static void teardown(void)
{
	ecs_engine_free(engine);
	engine = NULL;
	/* every pool removed its channel directory, and left no socket in it */
	ck_assert_msg(rmdir(chan_base) == 0, "%s is not empty", chan_base);
}

/* Counts the refills whose agent came on its direct channel (a debug line of pool.c's). */
static void count_channels(ecs_log_level level, const char *message, void *userdata)
{
	if (strstr(message, "direct channel") != NULL && strstr(message, " warm in ") != NULL)
		__atomic_add_fetch((int *)userdata, 1, __ATOMIC_SEQ_CST);
	else
		log_to_stderr(level, message, NULL);
}

/*
 * A pool; with @channel, its agents get direct channels in a directory of
 * its own (its path into @dir when not NULL, 128 bytes), and *@channels
 * counts them when not NULL.
 */
static ecs_pool *pool_new_with(unsigned int adaptive, unsigned int ttl, const char *instance, int channel,
			       int *channels, char dir_out[128])
{
	ecs_pool_options po = ECS_POOL_OPTIONS_INIT;
	ecs_pool *pool = NULL;
	char dir[128];

	po.engine = *ecs_engine_options_get(engine);
	po.engine.instance = instance;
	if (channels != NULL) {
		po.engine.log = count_channels;
		po.engine.log_userdata = channels;
	}
	po.agent_path = it_agent_path();
	po.adaptive_size = adaptive;
	po.idle_ttl_s = ttl;
	snprintf(dir, sizeof(dir), "%s/p%u", chan_base, chan_pools++);
	po.channel_dir = channel ? dir : NULL;
	ck_assert_int_eq(ecs_pool_new(&pool, &po), ECS_OK);
	if (dir_out != NULL)
		memcpy(dir_out, dir, sizeof(dir));
	return pool;
}

static ecs_pool *pool_new(unsigned int adaptive, unsigned int ttl, const char *instance)
{
	return pool_new_with(adaptive, ttl, instance, 1, NULL, NULL);
}

/* Readiness, not timing: poll the pool's counters until @cond holds or 60 s pass. */
#define WAIT_FOR(pool, st, cond)                                                                          \
	do {                                                                                              \
		double until_ = it_now_ms() + 60000;                                                      \
		for (;;) {                                                                                \
			struct timespec pause_ = { 0, 20 * 1000000L };                                    \
			ecs_pool_stats_get(&(st), (pool));                                                \
			if (cond)                                                                         \
				break;                                                                    \
			ck_assert_msg(it_now_ms() < until_, "timed out waiting for %s (pools %u warm %u starting %u retired %llu refills %llu failures %llu)", #cond, (st).pools, (st).warm, (st).starting, (unsigned long long)(st).retired, (unsigned long long)(st).refills, (unsigned long long)(st).refill_failures); \
			nanosleep(&pause_, NULL);                                                         \
		}                                                                                         \
	} while (0)

/*
 * it_profile(), but under runsc as uid 65534 when no user is given: gVisor
 * lets a root task reach its agent, so a root task runs cold there
 * (agent/PROTOCOL.md); these tests are about the pool, not about root.
 */
static const ecs_sandbox_profile *pool_profile(ecs_sandbox_profile *buf, const ecs_sandbox_profile *given)
{

	it_profile(buf, given);
	if (buf->user == NULL && it_test_runsc())
		buf->user = "65534:65534";
	return buf;
}

static int run(ecs_task_result *r, ecs_task_spec *spec, ecs_pool *pool, const char *what)
{
	ecs_sandbox_profile profile;
	const ecs_sandbox_profile *given = spec->profile;
	char *task_id = it_task_id(what);
	int rc;

	if (spec->run.image == NULL)
		spec->run.image = it_test_image();
	spec->task_id = task_id;
	spec->profile = pool_profile(&profile, given);
	spec->pool = pool;
	rc = ecs_task_run(r, engine, NULL, spec);
	spec->profile = given;
	spec->task_id = NULL;
	spec->pool = NULL;
	free(task_id);
	return rc;
}

static void assert_same(const ecs_task_result *cold, const ecs_task_result *hot, int same_stderr)
{
	ck_assert_int_eq(cold->pooled, 0);
	ck_assert_int_eq(hot->pooled, 1);
	ck_assert_int_eq(hot->exit_code, cold->exit_code);
	ck_assert_int_eq(hot->timed_out, cold->timed_out);
	ck_assert_int_eq(hot->oom_killed, cold->oom_killed);
	ck_assert_uint_eq(hot->out.len, cold->out.len);
	ck_assert_mem_eq(hot->out.data, cold->out.data, cold->out.len);
	ck_assert_int_eq(hot->out.truncated, cold->out.truncated);
	ck_assert_uint_eq(hot->stdout_bytes, cold->stdout_bytes);
	ck_assert_ptr_nonnull(hot->err.data);
	if (same_stderr) {
		ck_assert_uint_eq(hot->err.len, cold->err.len);
		ck_assert_mem_eq(hot->err.data, cold->err.data, cold->err.len);
		ck_assert_uint_eq(hot->stderr_bytes, cold->stderr_bytes);
		ck_assert_int_eq(hot->err.truncated, cold->err.truncated);
	}
	ck_assert_str_eq(hot->image_id, cold->image_id);
	ck_assert_int_eq(hot->repo_digest == NULL, cold->repo_digest == NULL);
	if (cold->repo_digest != NULL)
		ck_assert_str_eq(hot->repo_digest, cold->repo_digest);
}

/* One request, cold then from a warm container of @pool; both must succeed and agree. */
static void parity(ecs_pool *pool, ecs_task_spec *spec, const char *what, int same_stderr)
{
	ecs_task_result cold = ECS_TASK_RESULT_INIT, hot = ECS_TASK_RESULT_INIT;
	ecs_pool_stats st;
	int rc;

	rc = run(&cold, spec, NULL, what);
	ck_assert_msg(rc == 0, "cold %s: %s: %s", what, ecs_error_name(rc), cold.error);
	WAIT_FOR(pool, st, st.warm >= 1);
	rc = run(&hot, spec, pool, what);
	ck_assert_msg(rc == 0, "pooled %s: %s: %s", what, ecs_error_name(rc), hot.error);
	assert_same(&cold, &hot, same_stderr);
	if (!same_stderr) /* the words of the init and the agent differ; what they name does not */
		ck_assert_ptr_nonnull(memmem(hot.err.data, hot.err.len, "nosuch", 6));
	ecs_task_result_clear(&cold);
	ecs_task_result_clear(&hot);
}

START_TEST(test_pool_hit_equals_cold)
{
	static const char *const echo[] = { "echo", "hello", "world" };
	static const char *const binary[] = { "sh", "-c",
		"printf 'a\\000\\377\\n'; printf 'b\\001\\376' >&2; printf 'c\\n'; printf 'd\\n' >&2" };
	static const char *const codes[] = { "sh", "-c", "echo out; echo err >&2; exit 3" };
	static const char *const missing[] = { "nosuch-command" };
	static const char *const selfkill[] = { "sh", "-c", "echo before; kill -9 $$" };
	static const char *const cat[] = { "sh", "-c", "cat; echo \"$FOO\"" };
	static const char *const big[] = { "sh", "-c", "yes | head -c 200000; yes e | head -c 5000 >&2" };
	static const char *const env[] = { "FOO=bar baz", "PATH=/bin" };
	static const unsigned char input[] = "in\000put\377\n";
	ecs_sandbox_profile profile;
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_pool *pool = pool_new(0, 0, NULL);

	ck_assert_int_eq(ecs_pool_set_size(pool, it_test_image(), pool_profile(&profile, NULL), 1), 0);
	spec.run.cmd = echo, spec.run.cmd_len = N(echo);
	parity(pool, &spec, "echo", 1);
	spec.run.cmd = binary, spec.run.cmd_len = N(binary);
	parity(pool, &spec, "binary", 1);
	spec.run.cmd = codes, spec.run.cmd_len = N(codes);
	parity(pool, &spec, "codes", 1);
	spec.run.cmd = missing, spec.run.cmd_len = N(missing);
	parity(pool, &spec, "missing", 0);
	spec.run.cmd = selfkill, spec.run.cmd_len = N(selfkill);
	parity(pool, &spec, "selfkill", 1);
	spec.run.cmd = cat, spec.run.cmd_len = N(cat);
	spec.run.env = env, spec.run.env_len = N(env);
	spec.stdin_data = input, spec.stdin_len = sizeof(input) - 1;
	parity(pool, &spec, "stdin-env", 1);
	spec.run.env = NULL, spec.run.env_len = 0, spec.stdin_data = NULL, spec.stdin_len = 0;
	spec.run.cmd = big, spec.run.cmd_len = N(big);
	spec.stdout_cap = 1000, spec.stderr_cap = 100;
	parity(pool, &spec, "caps", 1);
	ecs_pool_free(pool);
}
END_TEST

/*
 * A fixed pool lends to a task naming its very reference without an image
 * inspect on the way in (pull 0: the pool follows its tag itself), counted
 * as one hit and no miss, and answers as a cold run does, image id and
 * repository digest included (the private registry's image has one, when
 * the engine holds it).
 */
START_TEST(test_pool_fixed_takes_without_inspect)
{
	static const char *const echo[] = { "echo", "hello" };
	const char *images[] = { it_test_image(), getenv("ECS_TEST_PRIVATE_IMAGE") };

	for (size_t i = 0; i < N(images); i++) {
		ecs_sandbox_profile profile;
		ecs_task_spec spec = ECS_TASK_SPEC_INIT;
		ecs_task_result cold = ECS_TASK_RESULT_INIT, hot = ECS_TASK_RESULT_INIT;
		ecs_image_info info = ECS_IMAGE_INFO_INIT;
		ecs_pool *pool;
		ecs_pool_stats st;
		int rc;

		if (images[i] == NULL || images[i][0] == '\0' ||
		    ecs_image_inspect_ref(&info, engine, images[i], NULL) != 0) {
			fprintf(stderr, "check_it_pool: %s is not on the engine: its part skipped\n",
				images[i] ? images[i] : "ECS_TEST_PRIVATE_IMAGE");
			ecs_image_info_clear(&info);
			continue;
		}
		ecs_image_info_clear(&info);
		pool = pool_new(0, 0, NULL);
		ck_assert_int_eq(ecs_pool_set_size(pool, images[i], pool_profile(&profile, NULL), 1), 0);
		spec.run.image = images[i];
		spec.run.cmd = echo, spec.run.cmd_len = N(echo);
		rc = run(&cold, &spec, NULL, "tag-cold");
		ck_assert_msg(rc == 0, "cold: %s: %s", ecs_error_name(rc), cold.error);
		ck_assert_double_gt(cold.timings.pull, 0.0);
		WAIT_FOR(pool, st, st.warm >= 1);
		rc = run(&hot, &spec, pool, "tag-hot");
		ck_assert_msg(rc == 0, "pooled: %s: %s", ecs_error_name(rc), hot.error);
		assert_same(&cold, &hot, 1);
		ck_assert_double_eq(hot.timings.pull, 0.0);
		ck_assert_double_gt(hot.pool_timings.attach, 0.0);
		ck_assert_double_eq(hot.pool_timings.attach, hot.timings.start);
		ck_assert_double_eq(cold.pool_timings.acquire + cold.pool_timings.attach + cold.pool_timings.release, 0.0);
		ecs_pool_stats_get(&st, pool);
		ck_assert_uint_eq(st.hits, 1);
		ck_assert_uint_eq(st.misses, 0);
		ecs_task_result_clear(&cold);
		ecs_task_result_clear(&hot);
		ecs_pool_free(pool);
	}
}
END_TEST

START_TEST(test_pool_timeout_kills)
{
	static const char *const cmd[] = { "sh", "-c", "echo started; sleep 30" };
	ecs_sandbox_profile profile;
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_pool *pool = pool_new(0, 0, NULL);
	ecs_task_result r = ECS_TASK_RESULT_INIT;
	ecs_pool_stats st;
	double t0;
	int rc;

	ck_assert_int_eq(ecs_pool_set_size(pool, it_test_image(), pool_profile(&profile, NULL), 1), 0);
	WAIT_FOR(pool, st, st.warm >= 1);
	spec.run.cmd = cmd, spec.run.cmd_len = N(cmd);
	spec.timeout_ms = 1000;
	t0 = it_now_ms();
	rc = run(&r, &spec, pool, "timeout");
	ck_assert_msg(rc == 0, "%s: %s", ecs_error_name(rc), r.error);
	ck_assert_int_eq(r.pooled, 1);
	ck_assert_int_eq(r.timed_out, 1);
	ck_assert_int_eq(r.exit_code, 137);
	ck_assert_str_eq((const char *)r.out.data, "started\n");
	ck_assert_msg(it_now_ms() - t0 < 20000, "the kill took %.0f ms", it_now_ms() - t0);
	ecs_task_result_clear(&r);
	ecs_pool_free(pool);
}
END_TEST

START_TEST(test_pool_miss_runs_cold)
{
	static const char *const cmd[] = { "echo", "cold" };
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_pool *pool = pool_new(0, 0, NULL);
	ecs_task_result r = ECS_TASK_RESULT_INIT;
	ecs_pool_stats st;
	int rc;

	spec.run.cmd = cmd, spec.run.cmd_len = N(cmd);
	rc = run(&r, &spec, pool, "miss");
	ck_assert_msg(rc == 0, "%s: %s", ecs_error_name(rc), r.error);
	ck_assert_int_eq(r.pooled, 0);
	ck_assert_str_eq((const char *)r.out.data, "cold\n");
	ecs_pool_stats_get(&st, pool);
	ck_assert_uint_eq(st.misses, 1);
	ck_assert_uint_eq(st.hits, 0);
	ck_assert_uint_eq(st.pools, 0); /* adaptive pools are off */
	ecs_task_result_clear(&r);
	ecs_pool_free(pool);
}
END_TEST

/* A warm container's labels were fixed when it was made: a task with its own runs cold, the warm one stays. */
START_TEST(test_pool_task_with_labels_runs_cold)
{
	static const char *const cmd[] = { "echo", "labelled" };
	static const char *const labels[] = { "team=api" };
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_sandbox_profile profile;
	ecs_pool *pool = pool_new(0, 0, NULL);
	ecs_task_result r = ECS_TASK_RESULT_INIT;
	ecs_pool_stats st;
	int rc;

	ck_assert_int_eq(ecs_pool_set_size(pool, it_test_image(), pool_profile(&profile, NULL), 1), 0);
	WAIT_FOR(pool, st, st.warm >= 1);
	spec.run.cmd = cmd, spec.run.cmd_len = N(cmd);
	spec.run.labels = labels, spec.run.labels_len = N(labels);
	rc = run(&r, &spec, pool, "labelled");
	ck_assert_msg(rc == 0, "%s: %s", ecs_error_name(rc), r.error);
	ck_assert_int_eq(r.pooled, 0);
	ck_assert_str_eq((const char *)r.out.data, "labelled\n");
	ecs_pool_stats_get(&st, pool);
	ck_assert_uint_eq(st.hits, 0);
	ck_assert_uint_ge(st.warm, 1);
	ecs_task_result_clear(&r);
	ecs_pool_free(pool);
}
END_TEST

START_TEST(test_pool_adaptive_grows_and_shrinks)
{
	static const char *const cmd[] = { "true" };
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_pool *pool = pool_new(1, 3, NULL);
	ecs_task_result r = ECS_TASK_RESULT_INIT;
	ecs_pool_stats st;
	int rc;

	spec.run.cmd = cmd, spec.run.cmd_len = N(cmd);
	rc = run(&r, &spec, pool, "adaptive1");
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(r.pooled, 0);
	ecs_task_result_clear(&r);
	WAIT_FOR(pool, st, st.warm == 1 && st.pools == 1);
	rc = run(&r, &spec, pool, "adaptive2");
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(r.pooled, 1);
	ecs_task_result_clear(&r);
	/* unused for the TTL (3 s): it empties and is forgotten */
	WAIT_FOR(pool, st, st.pools == 0 && st.warm == 0 && st.starting == 0);
	ck_assert_uint_ge(st.retired, 1);
	ecs_pool_free(pool);
}
END_TEST

/* The pool of @key in @pool's listing: its warm containers (0 when it has none or no pool). */
static unsigned int warm_of(ecs_pool *pool, const char *key)
{
	ecs_pool_entry *list = NULL;
	size_t n = 0;
	unsigned int warm = 0;

	ck_assert_int_eq(ecs_pool_list(&list, &n, pool), 0);
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i].key, key) == 0)
			warm += list[i].warm;
	ecs_pool_list_free(list, n);
	return warm;
}

/*
 * The budget follows demand: six one-off profiles (each its own adaptive
 * pool, never used again) fill the budget; the default profile, which
 * serves task after task, takes their slots and stays warm. Each default
 * task waits (bounded) for its pool to be warm again: this is about who
 * holds the budget, not how fast a refill is.
 */
START_TEST(test_pool_budget_follows_demand)
{
	static const char *const cmd[] = { "true" };
	ecs_pool_options po = ECS_POOL_OPTIONS_INIT;
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_task_result r = ECS_TASK_RESULT_INIT;
	ecs_sandbox_profile base, oneoff, buf;
	char key[ECS_SANDBOX_KEY_SIZE];
	ecs_pool *pool = NULL;
	ecs_pool_stats st;
	int pooled = 0, waits_left = 1;

	po.engine = *ecs_engine_options_get(engine);
	po.agent_path = it_agent_path();
	po.adaptive_size = 1;
	po.budget = 3;
	po.idle_ttl_s = 300;  /* longer than the test: only demand may free a slot */
	ck_assert_int_eq(ecs_pool_new(&pool, &po), ECS_OK);
	spec.run.cmd = cmd, spec.run.cmd_len = N(cmd);
	it_profile(&base, NULL);
	ck_assert_int_eq(ecs_sandbox_profile_key(key, sizeof(key), pool_profile(&buf, &base)), 0);

	/* the default profile's pool: one miss, then warm, then a hit */
	ck_assert_int_eq(run(&r, &spec, pool, "demand-first"), 0);
	ecs_task_result_clear(&r);
	WAIT_FOR(pool, st, warm_of(pool, key) == 1);
	ck_assert_int_eq(run(&r, &spec, pool, "demand-hit"), 0);
	ck_assert_int_eq(r.pooled, 1);
	ecs_task_result_clear(&r);

	/* six one-off profiles: each misses once and gets a pool of its own */
	for (int i = 0; i < 6; i++) {
		char what[32];

		it_profile(&oneoff, NULL);
		oneoff.memory = (int64_t)(64 + i) * 1024 * 1024;
		spec.profile = &oneoff;
		snprintf(what, sizeof(what), "demand-oneoff%d", i);
		ck_assert_int_eq(run(&r, &spec, pool, what), 0);
		ck_assert_int_eq(r.pooled, 0);
		ecs_task_result_clear(&r);
	}
	spec.profile = NULL;
	/* the one-offs fill the budget while the default pool refills */
	WAIT_FOR(pool, st, st.warm + st.starting >= po.budget && st.starting == 0);

	for (int i = 0; i < 20; i++) {
		char what[32];
		double until = it_now_ms() + 15000;

		/* bounded: once a wait ran out, the rest run as they come (the count then fails) */
		while (waits_left && warm_of(pool, key) == 0) {
			struct timespec pause_ = { 0, 20 * 1000000L };

			if (it_now_ms() > until) {
				waits_left = 0;
				break;
			}
			nanosleep(&pause_, NULL);
		}
		snprintf(what, sizeof(what), "demand%d", i);
		ck_assert_int_eq(run(&r, &spec, pool, what), 0);
		pooled += r.pooled;
		ecs_task_result_clear(&r);
	}
	ecs_pool_stats_get(&st, pool);
	ck_assert_msg(pooled >= 18, "only %d of 20 default tasks pooled (pools %u, warm %u)", pooled, st.pools, st.warm);
	ecs_pool_free(pool);
}
END_TEST

static int http(const char *method, const char *path, const char *body, char **answer)
{
	ecs_http_request req = { 0 };
	ecs_http_response resp = { 0 };
	int rc;

	req.method = method;
	req.path = path;
	req.body = body;
	req.body_len = body ? strlen(body) : 0;
	rc = ecs_http_do(engine, &req, &resp);
	ck_assert_msg(rc == 0, "%s %s: %s", method, path, ecs_engine_errmsg(engine));
	rc = (int)resp.status;
	if (answer != NULL)
		*answer = resp.body ? strdup(resp.body) : NULL;
	ecs_http_response_clear(&resp);
	return rc;
}

/* An image of the test image with an Entrypoint, a WorkingDir and an Env of its own. */
static char *commit_image(const char *repo, const char *tag)
{
	static const char *const cmd[] = { "true" };
	char path[512], *answer = NULL, *id = NULL, *p;
	char *cid = it_create(engine, cmd, 1, 0, NULL);
	int st;

	snprintf(path, sizeof(path), "/commit?container=%s&repo=%s&tag=%s", cid, repo, tag);
	st = http("POST", path,
		  "{\"Entrypoint\":[\"/bin/sh\",\"-c\"],\"WorkingDir\":\"/bin\",\"Env\":[\"IMG=from-image\",\"PATH=/bin\"],"
		  "\"Cmd\":[\"echo image-cmd\"]}", &answer);
	ck_assert_msg(st == 201, "commit: %d %s", st, answer ? answer : "");
	p = strstr(answer, "\"Id\":\"");
	ck_assert_ptr_nonnull(p);
	id = strndup(p + 6, 71);
	free(answer);
	ck_assert_int_eq(ecs_container_delete(engine, cid), 0);
	free(cid);
	return id;
}

START_TEST(test_pool_image_entrypoint_workdir_env)
{
	static const char *const cmd[] = { "pwd; echo \"$IMG $TASKV\"; id -u" };
	static const char *const env[] = { "TASKV=from-task" };
	char image[96], *id;
	ecs_sandbox_profile profile;
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_task_result cold = ECS_TASK_RESULT_INIT, hot = ECS_TASK_RESULT_INIT;
	ecs_pool_stats st;
	ecs_pool *pool = pool_new(0, 0, NULL);

	snprintf(image, sizeof(image), "ecs/it-pool-ep:%d", (int)getpid());
	id = commit_image("ecs/it-pool-ep", strchr(image, ':') + 1);
	ck_assert_int_eq(ecs_pool_set_size(pool, image, pool_profile(&profile, NULL), 1), 0);
	spec.run.image = image;
	spec.run.cmd = cmd, spec.run.cmd_len = N(cmd);
	spec.run.env = env, spec.run.env_len = N(env);
	ck_assert_int_eq(run(&cold, &spec, NULL, "ep-cold"), 0);
	ck_assert_msg(strncmp((const char *)cold.out.data, "/bin\nfrom-image from-task\n", 26) == 0, "cold: %s",
		      (const char *)cold.out.data);
	WAIT_FOR(pool, st, st.warm >= 1);
	ck_assert_int_eq(run(&hot, &spec, pool, "ep-hot"), 0);
	assert_same(&cold, &hot, 1);
	ck_assert_str_eq(hot.image_id, id);
	ecs_task_result_clear(&cold);
	ecs_task_result_clear(&hot);
	ecs_pool_free(pool);
	{
		char path[128];

		snprintf(path, sizeof(path), "/images/%s?force=1", image);
		http("DELETE", path, NULL, NULL);
	}
	free(id);
}
END_TEST

START_TEST(test_pool_moved_tag_retires)
{
	/* the image the tag moves to has Entrypoint sh -c: one string */
	static const char *const cmd[] = { "echo moved" };
	char image[96], tag[32], path[256], *moved_id;
	ecs_sandbox_profile profile;
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_pool *pool = pool_new(0, 0, NULL);
	ecs_pool_entry *list = NULL;
	ecs_task_result r = ECS_TASK_RESULT_INIT;
	ecs_pool_stats st;
	size_t n = 0;
	char *first_id;

	snprintf(tag, sizeof(tag), "%d", (int)getpid());
	snprintf(image, sizeof(image), "ecs/it-pool-moved:%s", tag);
	snprintf(path, sizeof(path), "/images/%s/tag?repo=ecs/it-pool-moved&tag=%s", it_test_image(), tag);
	ck_assert_int_eq(http("POST", path, NULL, NULL), 201);
	ck_assert_int_eq(ecs_pool_set_size(pool, image, pool_profile(&profile, NULL), 1), 0);
	WAIT_FOR(pool, st, st.warm >= 1);
	ck_assert_int_eq(ecs_pool_list(&list, &n, pool), 0);
	ck_assert_uint_eq(n, 1);
	first_id = strdup(list[0].image_id);
	ecs_pool_list_free(list, n);

	/* the tag moves to another image: the warm container of the old one goes, a new one comes */
	moved_id = commit_image("ecs/it-pool-moved", tag);
	ck_assert_str_ne(moved_id, first_id);
	WAIT_FOR(pool, st, st.retired >= 1 && st.warm >= 1);
	spec.run.image = image;
	spec.run.cmd = cmd, spec.run.cmd_len = N(cmd);
	ck_assert_int_eq(run(&r, &spec, pool, "moved"), 0);
	ck_assert_int_eq(r.pooled, 1);
	ck_assert_str_eq(r.image_id, moved_id);
	ck_assert_str_eq((const char *)r.out.data, "moved\n");
	ecs_task_result_clear(&r);
	ecs_pool_free(pool);
	snprintf(path, sizeof(path), "/images/%s?force=1", image);
	http("DELETE", path, NULL, NULL);
	free(first_id);
	free(moved_id);
}
END_TEST

START_TEST(test_pool_labels_and_free_leaves_none)
{
	char instance[64], label[128];
	ecs_sandbox_profile profile;
	ecs_pool *pool;
	ecs_pool_stats st;

	snprintf(instance, sizeof(instance), "%spool", it_run_prefix());
	snprintf(label, sizeof(label), "%s=%s", ECS_LABEL_INSTANCE, instance);
	pool = pool_new(0, 0, instance);
	ck_assert_int_eq(ecs_pool_set_size(pool, it_test_image(), pool_profile(&profile, NULL), 2), 0);
	WAIT_FOR(pool, st, st.warm == 2);
	ck_assert_int_eq(it_count_labelled(engine, label), 2);
	{
		ecs_container_info *list = NULL;
		size_t n = 0;
		const char *const filters[] = { label, ECS_LABEL_POOL };

		ck_assert_int_eq(ecs_container_list(&list, &n, engine, filters, 2), 0);
		ck_assert_uint_eq(n, 2);
		for (size_t i = 0; i < n; i++)
			ck_assert_str_eq(list[i].status, "running");
		ecs_container_list_free(list, n);
	}
	ecs_pool_free(pool);
	ck_assert_int_eq(it_count_labelled(engine, label), 0);
}
END_TEST

/*
 * A pool whose agent file is missing on a local engine could never start a
 * warm container: ecs_pool_set_size says so (ECS_ENOTFOUND) instead of
 * answering 0 and running every task cold without a word.
 */
START_TEST(test_pool_missing_agent_makes_nothing)
{
	static const char *const cmd[] = { "echo", "cold" };
	char missing[128];
	ecs_pool_options po = ECS_POOL_OPTIONS_INIT;
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_pool_entry *list = NULL;
	ecs_pool *pool = NULL;
	ecs_task_result r = ECS_TASK_RESULT_INIT;
	ecs_pool_stats st;
	struct stat sb;
	size_t n = 0;

	snprintf(missing, sizeof(missing), "/tmp/%sno-agent/ecs-agent", it_run_prefix());
	po.engine = *ecs_engine_options_get(engine);
	po.agent_path = missing;
	ck_assert_int_eq(ecs_pool_new(&pool, &po), ECS_OK);
	ck_assert_int_eq(ecs_pool_set_size(pool, it_test_image(), NULL, 1), ECS_ENOTFOUND);
	/* removing a pool needs no agent */
	ck_assert_int_eq(ecs_pool_set_size(pool, it_test_image(), NULL, 0), 0);
	ck_assert_int_eq(ecs_pool_list(&list, &n, pool), 0);
	ck_assert_uint_eq(n, 0);
	ecs_pool_list_free(list, n);
	ecs_pool_stats_get(&st, pool);
	ck_assert_uint_eq(st.refills, 0);
	/* the engine was never asked to mount it: it would have made a directory there */
	ck_assert_int_ne(stat(missing, &sb), 0);
	spec.run.cmd = cmd, spec.run.cmd_len = N(cmd);
	ck_assert_int_eq(run(&r, &spec, pool, "no-agent"), 0);
	ck_assert_int_eq(r.pooled, 0);
	ck_assert_str_eq((const char *)r.out.data, "cold\n");
	ecs_task_result_clear(&r);
	ecs_pool_free(pool);
}
END_TEST

/*
 * Name an instance for this test (@what after the run's prefix, into
 * @instance) and make the test's engine handle one labelled with it, so its
 * containers can be listed by ECS_LABEL_INSTANCE.
 */
static void use_instance(char *instance, size_t size, const char *what)
{
	ecs_engine_options opts = *ecs_engine_options_get(engine);
	ecs_engine *own = NULL;

	snprintf(instance, size, "%s%s", it_run_prefix(), what);
	opts.instance = instance;
	ck_assert_int_eq(ecs_engine_new(&own, &opts), 0);
	ecs_engine_free(engine);
	engine = own;
}

/* The one warm container of a fixed pool of size 1: its id and task-id label (caller frees both). */
static void the_warm_one(ecs_pool *pool, char **id, char **task_id)
{
	ecs_container_info *list = NULL;
	ecs_pool_stats st;
	size_t n = 0;
	char label[128];
	const char *filters[2] = { ECS_LABEL_POOL, label };

	WAIT_FOR(pool, st, st.warm == 1);
	snprintf(label, sizeof(label), "%s=%s", ECS_LABEL_INSTANCE, ecs_engine_options_get(engine)->instance);
	ck_assert_int_eq(ecs_container_list(&list, &n, engine, filters, 2), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_ptr_nonnull(list[0].task_id);
	*id = strdup(list[0].id);
	*task_id = strdup(list[0].task_id);
	ecs_container_list_free(list, n);
}

/*
 * A task that names no id takes the one its warm container is labelled
 * with, so `docker ps --filter label=ecs.task-id=ID` finds a pooled task's
 * container as it finds a cold one's; a task that names its id keeps it.
 */
START_TEST(test_pool_task_takes_the_containers_id)
{
	static const char *const cmd[] = { "echo", "hi" };
	char instance[64], *id, *label_id;
	ecs_sandbox_profile profile;
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_task_result r = ECS_TASK_RESULT_INIT;
	ecs_pool *pool;

	use_instance(instance, sizeof(instance), "ids");
	pool = pool_new(0, 0, instance);
	ck_assert_int_eq(ecs_pool_set_size(pool, it_test_image(), pool_profile(&profile, NULL), 1), 0);
	the_warm_one(pool, &id, &label_id);
	spec.run.image = it_test_image();
	spec.run.cmd = cmd, spec.run.cmd_len = N(cmd);
	spec.profile = &profile;
	spec.pool = pool;
	ck_assert_int_eq(ecs_task_run(&r, engine, NULL, &spec), 0);
	ck_assert_int_eq(r.pooled, 1);
	ck_assert_str_eq(r.container_id, id);
	ck_assert_str_eq(r.task_id, label_id);
	ecs_task_result_clear(&r);
	free(id);
	free(label_id);

	the_warm_one(pool, &id, &label_id);
	ck_assert_int_eq(run(&r, &spec, pool, "named"), 0);
	spec.profile = &profile;
	spec.pool = pool;
	ck_assert_int_eq(r.pooled, 1);
	ck_assert_str_eq(r.container_id, id);
	ck_assert_str_ne(r.task_id, label_id);
	ck_assert_ptr_nonnull(strstr(r.task_id, "named"));
	ecs_task_result_clear(&r);
	free(id);
	free(label_id);
	ecs_pool_free(pool);
}
END_TEST

/*
 * The direct channel: the warm container's agent came on it (the debug
 * line says so), the pool's directory holds nothing once it did (no socket
 * left for anything in the container to connect to), the task inside
 * finds an empty directory, and the answer is a cold run's.
 */
START_TEST(test_pool_direct_channel)
{
	static const char *const look[] = { "sh", "-c",
		"ls -A /.ecs/chan; test -e /.ecs/chan/a && echo socket-there; echo done" };
	ecs_sandbox_profile profile;
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_task_result r = ECS_TASK_RESULT_INIT;
	int runsc = it_test_runsc(), channels = 0, rc;
	ecs_pool_stats st;
	char dir[128];
	ecs_pool *pool = pool_new_with(0, 0, NULL, 1, &channels, dir);

	ck_assert_int_eq(ecs_pool_set_size(pool, it_test_image(), pool_profile(&profile, NULL), 1), 0);
	WAIT_FOR(pool, st, st.warm >= 1);
	/* gVisor's sandbox cannot reach a host socket: its pools use the attach stream */
	ck_assert_int_eq(__atomic_load_n(&channels, __ATOMIC_SEQ_CST), runsc ? 0 : 1);
	ck_assert_int_eq(it_dir_entries(dir), 0);
	spec.run.cmd = look, spec.run.cmd_len = N(look);
	rc = run(&r, &spec, pool, "channel");
	ck_assert_msg(rc == 0, "%s: %s", ecs_error_name(rc), r.error);
	ck_assert_int_eq(r.pooled, 1);
	ck_assert_int_eq(r.exit_code, 0);
	ck_assert_str_eq((const char *)r.out.data, "done\n");
	ecs_task_result_clear(&r);
	ecs_pool_free(pool);
}
END_TEST

/* A pool without channels: its tasks go over the attach stream, with the same answers. */
START_TEST(test_pool_attach_without_channel)
{
	static const char *const codes[] = { "sh", "-c", "echo out; echo err >&2; exit 3" };
	ecs_sandbox_profile profile;
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	int channels = 0;
	ecs_pool *pool = pool_new_with(0, 0, NULL, 0, &channels, NULL);

	ck_assert_int_eq(ecs_pool_set_size(pool, it_test_image(), pool_profile(&profile, NULL), 1), 0);
	spec.run.cmd = codes, spec.run.cmd_len = N(codes);
	parity(pool, &spec, "attach", 1);
	ck_assert_int_eq(__atomic_load_n(&channels, __ATOMIC_SEQ_CST), 0);
	ecs_pool_free(pool);
}
END_TEST

/*
 * A warm container that died before its task (the engine restarted, or
 * someone killed it) ran nothing: the task runs cold and says so, and never
 * reports the dead container's exit status as its own.
 */
START_TEST(test_pool_dead_warm_container_runs_cold)
{
	static const char *const cmd[] = { "echo", "alive" };
	char instance[64], label[128];
	const char *filters[2] = { ECS_LABEL_POOL, label };
	ecs_container_info *list = NULL;
	ecs_sandbox_profile profile;
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_task_result r = ECS_TASK_RESULT_INIT;
	ecs_pool_stats st;
	ecs_pool *pool;
	size_t n = 0;

	use_instance(instance, sizeof(instance), "dead");
	snprintf(label, sizeof(label), "%s=%s", ECS_LABEL_INSTANCE, instance);
	pool = pool_new(0, 0, instance);
	ck_assert_int_eq(ecs_pool_set_size(pool, it_test_image(), pool_profile(&profile, NULL), 2), 0);
	WAIT_FOR(pool, st, st.warm == 2);
	ck_assert_int_eq(ecs_container_list(&list, &n, engine, filters, 2), 0);
	ck_assert_uint_eq(n, 2);
	for (size_t i = 0; i < n; i++) {
		int code = -1;

		ck_assert_int_eq(ecs_container_kill(engine, list[i].id, "SIGKILL"), 0);
		ck_assert_int_eq(ecs_container_wait(&code, engine, list[i].id, 10000, NULL), 0);
	}
	spec.run.cmd = cmd, spec.run.cmd_len = N(cmd);
	ck_assert_int_eq(run(&r, &spec, pool, "dead"), 0);
	ck_assert_msg(r.pooled == 0, "pooled: exit %d out '%s' err '%s'", r.exit_code, (const char *)r.out.data,
		      (const char *)r.err.data);
	ck_assert_int_eq(r.exit_code, 0);
	ck_assert_str_eq((const char *)r.out.data, "alive\n");
	for (size_t i = 0; i < n; i++)
		ck_assert_str_ne(r.container_id, list[i].id);
	ecs_task_result_clear(&r);
	/* the pool saw it too: the other dead one retired, two live ones in their place */
	WAIT_FOR(pool, st, st.retired >= 1 && st.warm == 2);
	ecs_container_list_free(list, n);
	ecs_pool_free(pool);
	ck_assert_int_eq(it_count_labelled(engine, label), 0);
}
END_TEST

/*
 * Issue 22: a pooled task attacks its agent (PID 1) through /proc/1: it
 * writes a forged STDOUT frame and a forged EXIT frame (code 42) to the
 * agent's stdout and stderr, opens /proc/1/mem, raises /proc/1/oom_score_adj
 * and kills PID 1. The answer must be the task's own: exit 3, stdout
 * exactly "own\n", the agent alive to report it, oom_score_adj unchanged.
 * Under runsc too, where gVisor ignores non-dumpable for /proc/PID/fd; and
 * as the image's default user (root) and as a profile's user.
 */
#define FORGED_FRAMES                                                  \
	"\\001\\000\\000\\000\\000\\000\\000\\006forged"               \
	"\\005\\000\\000\\000\\000\\000\\000\\014\\000\\000\\000\\000\\000\\000\\000\\052\\000\\000\\000\\000"
static const char *const attack[] = { "sh", "-c",
	"a=$(cat /proc/1/oom_score_adj 2>/dev/null); "
	"printf '" FORGED_FRAMES "' 2>/dev/null >/proc/1/fd/1 && echo wrote-fd1 >&2; "
	"printf '" FORGED_FRAMES "' 2>/dev/null >/proc/1/fd/2 && echo wrote-fd2 >&2; "
	"cat /proc/1/environ >/dev/null 2>&1 && echo read-environ >&2; "
	"(exec 3</proc/1/mem) 2>/dev/null && echo opened-mem >&2; "
	"echo 1000 2>/dev/null >/proc/1/oom_score_adj && echo wrote-oom >&2; "
	"b=$(cat /proc/1/oom_score_adj 2>/dev/null); [ \"$a\" = \"$b\" ] || echo raised-oom >&2; "
	"kill -9 1 2>/dev/null && echo killed-1 >&2; "
	"sleep 1; echo own; exit 3" };

static void attack_case(const char *user)
{
	ecs_sandbox_profile given = ECS_SANDBOX_PROFILE_INIT, profile;
	ecs_task_spec spec = ECS_TASK_SPEC_INIT;
	ecs_pool *pool = pool_new(0, 0, NULL);
	int runsc = it_test_runsc();
	ecs_task_result r = ECS_TASK_RESULT_INIT;
	ecs_pool_stats st;
	const char *err;
	int rc;

	char *task_id = it_task_id("attack");

	given.user = user; /* NULL: the image's, root */
	ck_assert_int_eq(ecs_pool_set_size(pool, it_test_image(), it_profile(&profile, &given), 1), 0);
	WAIT_FOR(pool, st, st.warm >= 1);
	spec.run.image = it_test_image();
	spec.task_id = task_id;
	spec.profile = &profile;
	spec.pool = pool;
	spec.run.cmd = attack, spec.run.cmd_len = N(attack);
	rc = ecs_task_run(&r, engine, NULL, &spec);
	free(task_id);
	err = r.err.data != NULL ? (const char *)r.err.data : "";
	ck_assert_msg(rc == 0, "user %s: %s: %s", user ? user : "(image)", ecs_error_name(rc), r.error);
	/*
	 * gVisor lets a root task without capabilities open another uid's
	 * /proc/1/fd/1 (measured): the agent's probe sees it and refuses, and
	 * the task runs cold. Every other case runs pooled.
	 */
	if (runsc && user == NULL) {
		ecs_pool_entry *list = NULL;
		size_t n = 0;

		/* cold: tini is PID 1 and the result is the engine's (a task may end its own container) */
		ck_assert_int_eq(r.pooled, 0);
		ecs_task_result_clear(&r);
		/* every agent of the key would refuse: the pool is emptied and refilled no more */
		WAIT_FOR(pool, st, st.warm == 0 && st.starting == 0);
		ck_assert_int_eq(ecs_pool_list(&list, &n, pool), 0);
		ck_assert_uint_eq(n, 1);
		ck_assert_uint_eq(list[0].target, 1);
		ck_assert_msg(list[0].last_error != NULL && strstr(list[0].last_error, "refuses") != NULL,
			      "last error: %s", list[0].last_error ? list[0].last_error : "(none)");
		ecs_pool_list_free(list, n);
		ecs_pool_free(pool);
		return;
	}
	ck_assert_int_eq(r.pooled, 1);
	ck_assert_msg(r.exit_code == 3, "user %s: exit %d, stderr: %s", user ? user : "(image)", r.exit_code, err);
	ck_assert_uint_eq(r.out.len, 4);
	ck_assert_mem_eq(r.out.data, "own\n", 4);
	ck_assert_uint_eq(r.stdout_bytes, 4);
	ck_assert_msg(strstr(err, "wrote-fd") == NULL, "the task wrote the agent's fds: %s", err);
	ck_assert_msg(strstr(err, "opened-mem") == NULL, "the task opened the agent's memory: %s", err);
	ck_assert_msg(strstr(err, "oom") == NULL, "the task raised the agent's oom_score_adj: %s", err);
	ck_assert_msg(strstr(err, "killed-1") == NULL, "the task killed the agent: %s", err);
	/* gVisor lets another uid read /proc/1/environ: nothing secret lives there (agent/PROTOCOL.md) */
	if (!runsc)
		ck_assert_msg(strstr(err, "read-environ") == NULL, "the task read the agent's environ: %s", err);
	ecs_task_result_clear(&r);
	ecs_pool_free(pool);
}

START_TEST(test_pool_task_cannot_reach_agent_as_root)
{
	attack_case(NULL);
}
END_TEST

START_TEST(test_pool_task_cannot_reach_agent_as_user)
{
	attack_case("65534:65534");
}
END_TEST

static Suite *pool_suite(void)
{
	Suite *s = suite_create("pool");
	TCase *tc = tcase_create("pool");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_pool_hit_equals_cold);
	tcase_add_test(tc, test_pool_timeout_kills);
	tcase_add_test(tc, test_pool_miss_runs_cold);
	tcase_add_test(tc, test_pool_task_with_labels_runs_cold);
	tcase_add_test(tc, test_pool_adaptive_grows_and_shrinks);
	tcase_add_test(tc, test_pool_budget_follows_demand);
	tcase_add_test(tc, test_pool_image_entrypoint_workdir_env);
	tcase_add_test(tc, test_pool_moved_tag_retires);
	tcase_add_test(tc, test_pool_fixed_takes_without_inspect);
	tcase_add_test(tc, test_pool_labels_and_free_leaves_none);
	tcase_add_test(tc, test_pool_missing_agent_makes_nothing);
	tcase_add_test(tc, test_pool_task_takes_the_containers_id);
	tcase_add_test(tc, test_pool_dead_warm_container_runs_cold);
	tcase_add_test(tc, test_pool_direct_channel);
	tcase_add_test(tc, test_pool_attach_without_channel);
	suite_add_tcase(s, tc);
	/* its own case, so that it runs alone: CK_RUN_CASE=attack */
	tc = tcase_create("attack");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_pool_task_cannot_reach_agent_as_root);
	tcase_add_test(tc, test_pool_task_cannot_reach_agent_as_user);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	it_global_init();
	sr = srunner_create(pool_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	it_cleanup_run();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
