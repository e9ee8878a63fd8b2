/*
 * Integration tests of deferred deletion (ecs_reaper) and the orphan sweep
 * (ecs_sweep) against the real engine. Orphans are planted with the engine
 * API directly, carrying a label unique to this run, so the sweeps here only
 * ever touch what this program planted.
 */
#include <config.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <json-c/json.h>

#include <ecs/ecs.h>
#include "ids.h"
#include "instance_private.h"
#include "engine_private.h"
#include "container_private.h"
#include "http.h"
#include "it_util.h"

#define RUN_LABEL "ecs.test-run"
#define N(a) (sizeof(a) / sizeof((a)[0]))

static ecs_engine *engine;
static char run_value[64];        /* this run's RUN_LABEL value */
static char run_filter[96];       /* "ecs.test-run=<value>" */

static void setup(void)
{
	engine = it_engine_new();
}

static void teardown(void)
{
	ecs_engine_free(engine);
	engine = NULL;
}

/* 1 if the container exists, 0 if not; fails the test on other errors. */
static int exists(const char *id)
{
	ecs_container_info info;
	int rc;

	memset(&info, 0, sizeof(info));
	rc = ecs_container_inspect(&info, engine, id);
	ecs_container_info_clear(&info);
	ck_assert_msg(rc == ECS_OK || rc == ECS_ENOTFOUND, "inspect %s: %s: %s", id, ecs_error_name(rc),
		      ecs_engine_errmsg(engine));
	return rc == ECS_OK;
}

enum plant_state { PLANT_CREATED, PLANT_EXITED, PLANT_RUNNING, PLANT_EXITED_AFTER_2S };

/*
 * Make an ecs-labelled container the way a crashed runner would leave it,
 * through a raw POST /containers/create: ecs_container_spec has no room for
 * the extra RUN_LABEL, and the sweep must be tested on what is really there.
 * @deadline: the ECS_LABEL_DEADLINE value (unix seconds).
 */
static char *plant_as(enum plant_state state, time_t deadline, const char *instance)
{
	static const char *const sleep_cmd[] = { "sleep", "300" };
	static const char *const true_cmd[] = { "true" };
	static const char *const nap_cmd[] = { "sleep", "2" };
	const char *const *cmd = state == PLANT_RUNNING ? sleep_cmd : state == PLANT_EXITED_AFTER_2S ? nap_cmd : true_cmd;
	size_t cmd_len = state == PLANT_RUNNING || state == PLANT_EXITED_AFTER_2S ? 2 : 1;
	json_object *body = json_object_new_object(), *labels = json_object_new_object();
	json_object *jcmd = json_object_new_array(), *host = json_object_new_object();
	json_object *logcfg = json_object_new_object(), *answer = NULL, *jid;
	ecs_http_request req = { 0 };
	ecs_http_response resp;
	char *task_id = it_task_id("orphan");
	char deadline_s[32];
	const char *text;
	char *id;
	int rc;

	snprintf(deadline_s, sizeof(deadline_s), "%lld", (long long)deadline);
	json_object_object_add(labels, ECS_LABEL_MANAGED, json_object_new_string("true"));
	json_object_object_add(labels, ECS_LABEL_TASK_ID, json_object_new_string(task_id));
	json_object_object_add(labels, ECS_LABEL_DEADLINE, json_object_new_string(deadline_s));
	json_object_object_add(labels, RUN_LABEL, json_object_new_string(run_value));
	if (instance != NULL)
		json_object_object_add(labels, ECS_LABEL_INSTANCE, json_object_new_string(instance));
	for (size_t i = 0; i < cmd_len; i++)
		json_object_array_add(jcmd, json_object_new_string(cmd[i]));
	json_object_object_add(logcfg, "Type", json_object_new_string("local"));
	json_object_object_add(host, "NetworkMode", json_object_new_string("none"));
	json_object_object_add(host, "LogConfig", logcfg);
	json_object_object_add(body, "Image", json_object_new_string(it_test_image()));
	json_object_object_add(body, "Cmd", jcmd);
	json_object_object_add(body, "Labels", labels);
	json_object_object_add(body, "HostConfig", host);
	text = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN);

	req.method = "POST";
	req.path = "/containers/create";
	req.body = text;
	req.body_len = strlen(text);
	rc = ecs_http_do(engine, &req, &resp);
	ck_assert_msg(rc == ECS_OK, "plant: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(engine));
	ck_assert_msg(resp.status == 201, "plant: HTTP %ld: %s", resp.status, resp.body ? resp.body : "");
	answer = json_tokener_parse(resp.body);
	ck_assert_msg(answer != NULL && json_object_object_get_ex(answer, "Id", &jid), "plant: %s", resp.body);
	id = strdup(json_object_get_string(jid));
	ck_assert_ptr_nonnull(id);
	it_track_container(id);
	json_object_put(answer);
	ecs_http_response_clear(&resp);
	json_object_put(body);
	free(task_id);

	if (state != PLANT_CREATED) {
		rc = ecs_container_start(engine, id);
		ck_assert_msg(rc == ECS_OK, "plant start: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(engine));
	}
	if (state == PLANT_EXITED || state == PLANT_EXITED_AFTER_2S) {
		int code = -1;

		rc = ecs_container_wait(&code, engine, id, 20000, NULL);
		ck_assert_msg(rc == ECS_OK && code == 0, "plant wait: %s", ecs_error_name(rc));
	}
	return id;
}

static char *plant(enum plant_state state, time_t deadline)
{
	return plant_as(state, deadline, NULL);
}

static void reaper_options(ecs_reaper_options *ro)
{
	ecs_reaper_options init = ECS_REAPER_OPTIONS_INIT;

	*ro = init;
	ro->engine = *ecs_engine_options_get(engine);
}

static char *create_container(void)
{
	static const char *const cmd[] = { "true" };

	return it_create(engine, cmd, N(cmd), 0, NULL);
}

START_TEST(test_reaper_enqueue_deletes)
{
	ecs_reaper_options ro;
	ecs_reaper *reaper = NULL;
	ecs_reaper_stats st;
	char *id = create_container();

	reaper_options(&ro);
	ck_assert_int_eq(ecs_reaper_new(&reaper, &ro), ECS_OK);
	ck_assert(exists(id));
	ck_assert_int_eq(ecs_reaper_enqueue(reaper, id), ECS_OK);
	ck_assert_int_eq(ecs_reaper_wait_idle(reaper, 20000), ECS_OK);
	ck_assert(!exists(id));
	ecs_reaper_stats_get(&st, reaper);
	ck_assert_uint_eq(st.deleted, 1);
	ck_assert_uint_eq(st.queued, 0);
	ck_assert_uint_eq(st.failed, 0);
	ck_assert_uint_eq(st.sweeps, 0); /* the timer is off by default */
	ecs_reaper_free(reaper);
	free(id);
}
END_TEST

START_TEST(test_reaper_missing_container_counts_as_done)
{
	ecs_reaper_options ro;
	ecs_reaper *reaper = NULL;
	ecs_reaper_stats st;

	reaper_options(&ro);
	ck_assert_int_eq(ecs_reaper_new(&reaper, &ro), ECS_OK);
	ck_assert_int_eq(ecs_reaper_enqueue(reaper, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
			 ECS_OK);
	ck_assert_int_eq(ecs_reaper_enqueue(reaper, ""), ECS_EINVAL);
	ck_assert_int_eq(ecs_reaper_enqueue(reaper, NULL), ECS_EINVAL);
	ck_assert_int_eq(ecs_reaper_wait_idle(reaper, 20000), ECS_OK);
	ecs_reaper_stats_get(&st, reaper);
	ck_assert_uint_eq(st.deleted, 1);
	ck_assert_uint_eq(st.retries, 0);
	ck_assert_uint_eq(st.failed, 0);
	ecs_reaper_free(reaper);
}
END_TEST

START_TEST(test_reaper_stats_and_wait_idle)
{
	ecs_reaper_options ro;
	ecs_reaper *reaper = NULL;
	ecs_reaper_stats st;
	char *ids[4];

	reaper_options(&ro);
	ck_assert_int_eq(ecs_reaper_new(&reaper, &ro), ECS_OK);
	ecs_reaper_stats_get(&st, reaper);
	ck_assert_uint_eq(st.queued + st.deleted + st.failed + st.retries + st.swept + st.sweeps, 0);
	/* An idle reaper is idle at once, whatever the timeout. */
	ck_assert_int_eq(ecs_reaper_wait_idle(reaper, 0), ECS_OK);
	for (size_t i = 0; i < N(ids); i++)
		ids[i] = create_container();
	for (size_t i = 0; i < N(ids); i++)
		ck_assert_int_eq(ecs_reaper_enqueue(reaper, ids[i]), ECS_OK);
	ecs_reaper_stats_get(&st, reaper);
	ck_assert_uint_le(st.queued, N(ids));
	ck_assert_uint_eq(st.queued + st.deleted, N(ids));
	ck_assert_int_eq(ecs_reaper_wait_idle(reaper, 20000), ECS_OK);
	ecs_reaper_stats_get(&st, reaper);
	ck_assert_uint_eq(st.queued, 0);
	ck_assert_uint_eq(st.deleted, N(ids));
	for (size_t i = 0; i < N(ids); i++) {
		ck_assert(!exists(ids[i]));
		free(ids[i]);
	}
	ecs_reaper_free(reaper);
}
END_TEST

START_TEST(test_reaper_free_drains_queue)
{
	ecs_reaper_options ro;
	ecs_reaper *reaper = NULL;
	char *ids[6];

	for (size_t i = 0; i < N(ids); i++)
		ids[i] = create_container();
	reaper_options(&ro);
	ck_assert_int_eq(ecs_reaper_new(&reaper, &ro), ECS_OK);
	for (size_t i = 0; i < N(ids); i++)
		ck_assert_int_eq(ecs_reaper_enqueue(reaper, ids[i]), ECS_OK);
	ecs_reaper_free(reaper);
	for (size_t i = 0; i < N(ids); i++) {
		ck_assert_msg(!exists(ids[i]), "container %s survived the drain", ids[i]);
		free(ids[i]);
	}
}
END_TEST

/*
 * A task runner may race with shutdown. The reaper's log hook runs on the
 * reaper's own thread, so from it we keep enqueueing (ids of nothing, which
 * are done at once) until ecs_reaper_free() on the main thread has begun:
 * from then on every enqueue must be refused.
 */
static ecs_reaper *racing_reaper;
static int racing_rc = 1;
static int racing_busy;

static void enqueue_from_log(ecs_log_level level, const char *message, void *userdata)
{
	double t0 = it_now_ms();

	(void)level;
	(void)message;
	(void)userdata;
	if (racing_reaper == NULL || racing_busy || racing_rc != 1)
		return;
	racing_busy = 1; /* only the reaper's thread gets here: no lock needed */
	do {
		int rc = ecs_reaper_enqueue(racing_reaper, "0123456789abcdef");

		if (rc != ECS_OK) {
			racing_rc = rc;
			break;
		}
		usleep(10 * 1000);
	} while (it_now_ms() - t0 < 20000);
	racing_busy = 0;
}

START_TEST(test_reaper_enqueue_after_shutdown_refused)
{
	ecs_reaper_options ro;
	ecs_reaper *reaper = NULL;
	char *id = create_container();

	reaper_options(&ro);
	ro.workers = 1;  /* the hook's state is one thread's */
	ro.engine.log = enqueue_from_log;
	ck_assert_int_eq(ecs_reaper_new(&reaper, &ro), ECS_OK);
	racing_reaper = reaper;
	ck_assert_int_eq(ecs_reaper_enqueue(reaper, id), ECS_OK);
	ecs_reaper_free(reaper);
	ck_assert_msg(racing_rc == ECS_ECANCELED, "enqueue during shutdown gave %d", racing_rc);
	ck_assert(!exists(id));
	free(id);
}
END_TEST

/*
 * A burst of short tasks hands over containers faster than one serial
 * deleter removes them. 40 exited containers handed over at once must all be
 * gone within a bound, deleted by several threads, with the latency counted.
 */
START_TEST(test_reaper_burst_keeps_up)
{
	static const char *const cmd[] = { "true" };
	ecs_reaper_options ro;
	ecs_reaper *reaper = NULL;
	ecs_reaper_stats st;
	char *ids[40], *task_ids[40];
	char filter[128];
	int left;

	/* Created, not started: 40 starts take minutes on a busy 2-core engine, and a delete is a delete. */
	for (size_t i = 0; i < N(ids); i++)
		ids[i] = it_create(engine, cmd, N(cmd), 0, &task_ids[i]);
	reaper_options(&ro);
	ck_assert_int_eq(ecs_reaper_new(&reaper, &ro), ECS_OK);
	ecs_reaper_stats_get(&st, reaper);
	ck_assert_uint_eq(st.workers, 4);
	for (size_t i = 0; i < N(ids); i++)
		ck_assert_int_eq(ecs_reaper_enqueue(reaper, ids[i]), ECS_OK);
	ck_assert_int_eq(ecs_reaper_wait_idle(reaper, 30000), ECS_OK);
	for (size_t i = 0; i < N(ids); i++) {
		snprintf(filter, sizeof(filter), "%s=%s", ECS_LABEL_TASK_ID, task_ids[i]);
		left = it_count_labelled(engine, filter);
		ck_assert_msg(left == 0, "container %s of the burst is still there", ids[i]);
		free(ids[i]);
		free(task_ids[i]);
	}
	ecs_reaper_stats_get(&st, reaper);
	ck_assert_uint_eq(st.deleted, N(ids));
	ck_assert_uint_eq(st.queued, 0);
	ck_assert_uint_eq(st.deleting, 0);
	ck_assert_uint_ge(st.queued_max, 2);
	ck_assert(st.latency_ms_sum > 0 && st.latency_ms_max > 0 && st.latency_ms_max <= st.latency_ms_sum);
	ecs_reaper_free(reaper);
}
END_TEST

START_TEST(test_reaper_options_checked)
{
	ecs_reaper_options ro;
	ecs_reaper *reaper = NULL;

	reaper_options(&ro);
	ro.workers = 65;
	ck_assert_int_eq(ecs_reaper_new(&reaper, &ro), ECS_EINVAL);
	ck_assert_ptr_null(reaper);
	ro.workers = 0;
	ro.version = 99;
	ck_assert_int_eq(ecs_reaper_new(&reaper, &ro), ECS_EINVAL);
	/* A version 1 caller knows no workers member: it gets the default. */
	ro.version = 1;
	ro.workers = 7;
	ck_assert_int_eq(ecs_reaper_new(&reaper, &ro), ECS_OK);
	ecs_reaper_free(reaper);
}
END_TEST

static size_t count_run(void)
{
	int n = it_count_labelled(engine, run_filter);

	ck_assert_msg(n >= 0, "listing: %s", ecs_error_name(n));
	return (size_t)n;
}

START_TEST(test_sweep_removes_planted_orphans)
{
	const char *const filter[] = { run_filter };
	ecs_sweep_options so = ECS_SWEEP_OPTIONS_INIT;
	time_t now = time(NULL);
	char *exited = plant(PLANT_EXITED, now + 3600);
	char *created = plant(PLANT_CREATED, now + 3600);
	char *overdue = plant(PLANT_RUNNING, now - 10);
	char *alive = plant(PLANT_RUNNING, now + 3600);
	size_t deleted = 99;

	/*
	 * All four planted; the overdue one may already be gone: any sweeper on
	 * this engine (a responder's, beside this test) takes it, by design.
	 */
	ck_assert(exists(exited) && exists(created) && exists(alive));
	ck_assert_uint_ge(count_run(), 3);
	so.labels = filter;
	so.labels_len = 1;
	ck_assert_int_eq(ecs_sweep(&deleted, engine, &so), ECS_OK);
	ck_assert(!exists(exited));
	ck_assert(!exists(created));
	ck_assert(!exists(overdue));
	ck_assert_msg(exists(alive), "a running container within its deadline must be left alone");
	/* Another sweeper on this engine may have won a race for one; none was ours twice. */
	ck_assert_uint_le(deleted, 3);
	ck_assert_uint_eq(count_run(), 1);
	ck_assert_int_eq(ecs_container_delete(engine, alive), ECS_OK);
	ck_assert_uint_eq(count_run(), 0);
	free(exited);
	free(created);
	free(overdue);
	free(alive);
}
END_TEST

START_TEST(test_sweep_min_age_spares_fresh)
{
	const char *const filter[] = { run_filter };
	ecs_sweep_options so = ECS_SWEEP_OPTIONS_INIT;
	char *exited = plant(PLANT_EXITED, time(NULL) + 7200);
	size_t deleted = 99;

	so.labels = filter;
	so.labels_len = 1;
	so.min_age_s = 3600;
	ck_assert_int_eq(ecs_sweep(&deleted, engine, &so), ECS_OK);
	ck_assert_uint_eq(deleted, 0);
	ck_assert(exists(exited));
	/* The same container is fair game once it is old enough (here: a clock an hour ahead). */
	so.now = time(NULL) + 3601;
	ck_assert_int_eq(ecs_sweep(&deleted, engine, &so), ECS_OK);
	ck_assert(!exists(exited));
	ck_assert_uint_eq(count_run(), 0);
	free(exited);
}
END_TEST

/*
 * Age counts from when an exited container stopped, not from its creation:
 * a task that ran longer than the minimum age is being read right after exit.
 */
START_TEST(test_sweep_min_age_counts_from_exit)
{
	const char *const filter[] = { run_filter };
	ecs_sweep_options so = ECS_SWEEP_OPTIONS_INIT;
	ecs_container_info info;
	char *exited = plant(PLANT_EXITED_AFTER_2S, time(NULL) + 7200);
	size_t deleted = 99;

	memset(&info, 0, sizeof(info));
	ck_assert_int_eq(ecs_container_inspect(&info, engine, exited), ECS_OK);
	ck_assert_msg(info.finished >= info.created + 2, "created %lld finished %lld",
		      (long long)info.created, (long long)info.finished);
	so.labels = filter;
	so.labels_len = 1;
	so.min_age_s = 2;
	/* old enough by creation, too fresh by exit */
	so.now = info.finished + 1;
	ck_assert_int_eq(ecs_sweep(&deleted, engine, &so), ECS_OK);
	ck_assert_uint_eq(deleted, 0);
	ck_assert(exists(exited));
	so.now = info.finished + 2;
	ck_assert_int_eq(ecs_sweep(&deleted, engine, &so), ECS_OK);
	ck_assert(!exists(exited));
	ecs_container_info_clear(&info);
	free(exited);
}
END_TEST

START_TEST(test_sweep_options_checked)
{
	ecs_sweep_options so = ECS_SWEEP_OPTIONS_INIT;
	size_t deleted = 99;

	so.version = 999;
	ck_assert_int_eq(ecs_sweep(&deleted, engine, &so), ECS_EINVAL);
	ck_assert_uint_eq(deleted, 0);
	ck_assert_int_eq(ecs_sweep(&deleted, NULL, NULL), ECS_EINVAL);
}
END_TEST

START_TEST(test_reaper_timer_sweeps)
{
	ecs_reaper_options ro;
	ecs_reaper *reaper = NULL;
	ecs_reaper_stats st;
	/* Past its deadline: the timer's minimum age does not protect it. */
	char *overdue = plant(PLANT_RUNNING, time(NULL) - 10);
	double t0;

	reaper_options(&ro);
	ro.sweep_interval_s = 1;
	ck_assert_int_eq(ecs_reaper_new(&reaper, &ro), ECS_OK);
	t0 = it_now_ms();
	while (exists(overdue) && it_now_ms() - t0 < 15000)
		usleep(100 * 1000);
	ck_assert_msg(!exists(overdue), "the timer sweep did not remove the orphan in 15 s");
	/* And it keeps sweeping on its interval. */
	t0 = it_now_ms();
	do {
		ecs_reaper_stats_get(&st, reaper);
		if (st.sweeps >= 2)
			break;
		usleep(100 * 1000);
	} while (it_now_ms() - t0 < 15000);
	ck_assert_uint_ge(st.sweeps, 2);
	ecs_reaper_free(reaper);
	free(overdue);
}
END_TEST

START_TEST(test_reaper_sweep_now)
{
	ecs_reaper_options ro;
	ecs_reaper *reaper = NULL;
	ecs_reaper_stats st;
	double t0;

	reaper_options(&ro);
	ck_assert_int_eq(ecs_reaper_new(&reaper, &ro), ECS_OK);
	ecs_reaper_sweep_now(reaper);
	t0 = it_now_ms();
	do {
		ecs_reaper_stats_get(&st, reaper);
		if (st.sweeps >= 1)
			break;
		usleep(50 * 1000);
	} while (it_now_ms() - t0 < 15000);
	ck_assert_uint_eq(st.sweeps, 1);
	ecs_reaper_free(reaper);
}
END_TEST

/* The id of an instance that claimed its lock in @dir and died (a child process that exits). */
static char *dead_instance(const char *dir)
{
	char id[64] = "";
	int fds[2];
	pid_t pid;
	ssize_t n;

	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		ecs_instance *in = NULL;

		close(fds[0]);
		if (ecs_instance_claim(&in, dir) == ECS_OK)
			(void)!write(fds[1], ecs_instance_id(in), strlen(ecs_instance_id(in)));
		_exit(0);  /* like a kill -9: the lock file stays, the lock goes with the process */
	}
	close(fds[1]);
	n = read(fds[0], id, sizeof(id) - 1);
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	ck_assert_int_gt(n, 0);
	id[n] = '\0';
	return strdup(id);
}

/* A container (`true`, created, tracked) made through a handle of instance @instance; its id. */
static char *create_as(const char *instance)
{
	ecs_engine_options eo = *ecs_engine_options_get(engine);
	static const char *const cmd[] = { "true" };
	ecs_container_spec cs = ECS_CONTAINER_SPEC_INIT;
	ecs_engine *theirs = NULL;
	char *id = NULL, *task_id = it_task_id("inst");

	eo.instance = instance;
	ck_assert_int_eq(ecs_engine_new(&theirs, &eo), ECS_OK);
	cs.run.image = it_test_image();
	cs.run.cmd = cmd;
	cs.run.cmd_len = 1;
	cs.task_id = task_id;
	ck_assert_int_eq(ecs_container_create(&id, theirs, &cs), ECS_OK);
	it_track_container(id);
	ecs_engine_free(theirs);
	free(task_id);
	return id;
}

/*
 * A sweep removes a dead instance's running containers at once, and never a
 * live sibling's, nor one of an instance it cannot see (another host's).
 */
START_TEST(test_sweep_dead_instance_running_removed)
{
	const char *const filter[] = { run_filter };
	ecs_sweep_options so = ECS_SWEEP_OPTIONS_INIT;
	char dir[] = "/tmp/ecs-it-instances.XXXXXX";
	time_t later = time(NULL) + 3600;
	ecs_instance *me = NULL;
	char *dead, *dead_c, *live_c, *remote_c, *lock;
	size_t deleted = 0;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(ecs_instance_claim(&me, dir), ECS_OK);
	ck_assert_uint_eq(strlen(ecs_instance_id(me)), 32);
	dead = dead_instance(dir);
	ck_assert_int_eq(ecs_instance_state(dir, ecs_instance_id(me)), ECS_INSTANCE_ALIVE);
	ck_assert_int_eq(ecs_instance_state(dir, dead), ECS_INSTANCE_DEAD);
	ck_assert_int_eq(ecs_instance_state(dir, "0123456789abcdef"), ECS_INSTANCE_UNKNOWN);
	ck_assert_int_eq(ecs_instance_state(dir, "../etc/passwd"), ECS_INSTANCE_UNKNOWN);

	dead_c = plant_as(PLANT_RUNNING, later, dead);
	live_c = plant_as(PLANT_RUNNING, later, ecs_instance_id(me));
	remote_c = plant_as(PLANT_RUNNING, later, "0123456789abcdef");
	so.labels = filter;
	so.labels_len = 1;
	so.min_age_s = 3600;  /* no age rule may explain what goes */
	so.instance_dir = dir;
	ck_assert_int_eq(ecs_sweep(&deleted, engine, &so), ECS_OK);
	ck_assert_msg(!exists(dead_c), "the dead instance's running container survived the sweep");
	ck_assert_msg(exists(live_c), "a live sibling's running container was removed");
	ck_assert_msg(exists(remote_c), "an unknown instance's running container was removed");
	ck_assert_uint_le(deleted, 1);

	/* What a handle with an instance creates carries it. */
	{
		ecs_container_info info;
		char *id = create_as(ecs_instance_id(me));

		ck_assert_int_eq(ecs_container_inspect(&info, engine, id), ECS_OK);
		ck_assert_str_eq(info.instance, ecs_instance_id(me));
		ecs_container_info_clear(&info);
		ck_assert_int_eq(ecs_container_delete(engine, id), ECS_OK);
		free(id);
	}

	/* A clean stop removes the lock file: the instance is then unknown, not dead. */
	ck_assert_int_eq(ecs_container_delete(engine, live_c), ECS_OK);
	ck_assert_int_eq(ecs_container_delete(engine, remote_c), ECS_OK);
	lock = NULL;
	ck_assert_int_ge(asprintf(&lock, "%s/%s.lock", dir, ecs_instance_id(me)), 0);
	ecs_instance_free(me);
	ck_assert_int_ne(access(lock, F_OK), 0);
	free(lock);
	ck_assert_int_ge(asprintf(&lock, "%s/%s.lock", dir, dead), 0);
	ck_assert_int_eq(unlink(lock), 0);
	free(lock);
	ck_assert_int_eq(rmdir(dir), 0);
	free(dead);
	free(dead_c);
	free(live_c);
	free(remote_c);
}
END_TEST

/* Make @path/@name a task's channel directory as the pool leaves it when killed: 0711, a socket "a" in it. */
static void plant_channel(const char *chan, const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char path[256];
	int fd;

	ck_assert_int_eq(mkdir(chan, 0711) == 0 || errno == EEXIST, 1);
	snprintf(path, sizeof(path), "%s/%s", chan, name);
	ck_assert_int_eq(mkdir(path, 0711), 0);
	ck_assert_int_lt(snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/a", path), (int)sizeof(sa.sun_path));
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);  /* the socket file stays, as a killed listener's does */
}

/* @dir/@id@suffix: exists? */
static int present(const char *dir, const char *id, const char *suffix)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s%s", dir, id, suffix);
	return access(path, F_OK) == 0;
}

/* Backdate instance @id's lock file by @s seconds. */
static void age_lock(const char *dir, const char *id, int s)
{
	struct timespec ts[2];
	char path[256];

	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= s;
	ts[1] = ts[0];
	snprintf(path, sizeof(path), "%s/%s.lock", dir, id);
	ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
}

/*
 * What a killed instance leaves in the instance directory goes with it: a
 * sweep removes a dead instance's channel directory (task directories and
 * sockets in it) and, once nothing of it is left on the engine, its lock
 * file. It leaves a live instance's files, a lock file too young to tell a
 * claim in progress from a dead one, and the lock of a dead instance whose
 * container is still there (outside this sweep's filter), whose channel
 * directory goes all the same.
 */
START_TEST(test_sweep_forgets_dead_instance_files)
{
	const char *const filter[] = { run_filter };
	ecs_sweep_options so = ECS_SWEEP_OPTIONS_INIT;
	char dir[] = "/tmp/ecs-it-instances.XXXXXX";
	char chan[256];
	ecs_instance *me = NULL;
	char *gone, *young, *kept, *kept_c = NULL;
	size_t deleted = 0;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(ecs_instance_claim(&me, dir), ECS_OK);
	gone = dead_instance(dir);
	young = dead_instance(dir);
	kept = dead_instance(dir);
	snprintf(chan, sizeof(chan), "%s/%s.chan", dir, ecs_instance_id(me));
	plant_channel(chan, "t1");
	snprintf(chan, sizeof(chan), "%s/%s.chan", dir, gone);
	plant_channel(chan, "t1");
	plant_channel(chan, "t2");
	snprintf(chan, sizeof(chan), "%s/%s.chan", dir, young);
	plant_channel(chan, "t1");
	snprintf(chan, sizeof(chan), "%s/%s.chan", dir, kept);
	plant_channel(chan, "t1");
	age_lock(dir, ecs_instance_id(me), 3600);
	age_lock(dir, gone, 3600);
	age_lock(dir, kept, 3600);
	kept_c = create_as(kept);  /* a container of @kept this sweep's filter does not reach */
	so.labels = filter;
	so.labels_len = 1;
	so.min_age_s = 3600;
	so.instance_dir = dir;
	ck_assert_int_eq(ecs_sweep(&deleted, engine, &so), ECS_OK);
	ck_assert_msg(!present(dir, gone, ".lock") && !present(dir, gone, ".chan"), "the dead instance's files stayed");
	ck_assert_msg(present(dir, ecs_instance_id(me), ".lock") && present(dir, ecs_instance_id(me), ".chan"),
		      "a live instance's files were removed");
	ck_assert_msg(present(dir, young, ".lock") && present(dir, young, ".chan"), "a fresh lock's files were removed");
	ck_assert_msg(present(dir, kept, ".lock"), "the lock of a dead instance with a container left was removed");
	ck_assert_msg(!present(dir, kept, ".chan"), "the channel directory of a dead instance stayed");

	/* its container gone, the next sweep forgets it too */
	ck_assert_int_eq(ecs_container_delete(engine, kept_c), ECS_OK);
	ck_assert_int_eq(ecs_sweep(&deleted, engine, &so), ECS_OK);
	ck_assert_msg(!present(dir, kept, ".lock"), "the dead instance's lock stayed after its last container went");

	/* a live instance is never forgotten; a dead one is, once asked (what the sweep does after a minute) */
	ck_assert_int_eq(ecs_instance_forget(dir, ecs_instance_id(me), 0), 1);
	ck_assert_int_eq(ecs_instance_forget(dir, young, 0), 0);
	ck_assert_msg(!present(dir, young, ".lock") && !present(dir, young, ".chan"), "forgetting left files");
	snprintf(chan, sizeof(chan), "%s/%s.chan", dir, ecs_instance_id(me));
	ecs_instance_free(me);  /* a clean stop removes its lock; ecs-fcgi removes its channel directory */
	{
		char t1[300], sock[310];

		snprintf(t1, sizeof(t1), "%s/t1", chan);
		snprintf(sock, sizeof(sock), "%s/a", t1);
		ck_assert_int_eq(unlink(sock), 0);
		ck_assert_int_eq(rmdir(t1), 0);
		ck_assert_int_eq(rmdir(chan), 0);
	}
	ck_assert_int_eq(rmdir(dir), 0);
	free(gone);
	free(young);
	free(kept);
	free(kept_c);
}
END_TEST

static Suite *reaper_suite(void)
{
	Suite *s = suite_create("reaper");
	TCase *tc = tcase_create("reaper");
	TCase *ts = tcase_create("sweep");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_reaper_enqueue_deletes);
	tcase_add_test(tc, test_reaper_missing_container_counts_as_done);
	tcase_add_test(tc, test_reaper_stats_and_wait_idle);
	tcase_add_test(tc, test_reaper_free_drains_queue);
	tcase_add_test(tc, test_reaper_enqueue_after_shutdown_refused);
	tcase_add_test(tc, test_reaper_sweep_now);
	tcase_add_test(tc, test_reaper_burst_keeps_up);
	tcase_add_test(tc, test_reaper_options_checked);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(ts, setup, teardown);
	tcase_set_timeout(ts, 90);
	tcase_add_test(ts, test_sweep_removes_planted_orphans);
	tcase_add_test(ts, test_sweep_min_age_spares_fresh);
	tcase_add_test(ts, test_sweep_min_age_counts_from_exit);
	tcase_add_test(ts, test_sweep_options_checked);
	tcase_add_test(ts, test_reaper_timer_sweeps);
	tcase_add_test(ts, test_sweep_dead_instance_running_removed);
	tcase_add_test(ts, test_sweep_forgets_dead_instance_files);
	suite_add_tcase(s, ts);
	return s;
}

int main(void)
{
	SRunner *sr;
	char rnd[33];
	int failed, left;

	it_global_init();
	if (ecs_id_generate(rnd, sizeof(rnd)) != 0) {
		fprintf(stderr, "check_it_reaper: no random bytes\n");
		return 1;
	}
	snprintf(run_value, sizeof(run_value), "%ld-%.8s", (long)getpid(), rnd);
	snprintf(run_filter, sizeof(run_filter), "%s=%s", RUN_LABEL, run_value);
	sr = srunner_create(reaper_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	left = it_cleanup_run();
	if (left != 0) {
		fprintf(stderr, "check_it_reaper: %d container(s) of this run were left behind (%s)\n", left,
			left < 0 ? ecs_error_name(left) : "deleted now");
		failed++;
	}
	ecs_global_cleanup();
	return failed == 0 ? 0 : 1;
}
