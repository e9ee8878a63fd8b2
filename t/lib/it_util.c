/* Shared helpers for the integration tests; see it_util.h. */
#include <config.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <ecs/ecs.h>
#include "engine_private.h"
#include "container_private.h"
#include "http.h"
#include "it_util.h"

static char run_prefix[32];
static unsigned int task_counter;

/* Ids of the containers this process made; owned here. */
static char **tracked;
static size_t tracked_len;

void it_global_init(void)
{
	if (ecs_global_init() != ECS_OK) {
		fprintf(stderr, "ecs_global_init failed\n");
		exit(1);
	}
	snprintf(run_prefix, sizeof(run_prefix), "it-%ld-", (long)getpid());
}

const char *it_run_prefix(void)
{
	return run_prefix;
}

static const char *env_or_null(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

static void log_warnings(ecs_log_level level, const char *message, void *userdata)
{
	(void)userdata;
	if (level <= ECS_LOG_WARN)
		fprintf(stderr, "libecs: %s\n", message);
}

ecs_engine *it_engine_logged(void)
{
	ecs_engine *base = it_engine_new(), *e = NULL;
	ecs_engine_options opts = *ecs_engine_options_get(base);
	int rc;

	opts.log = log_warnings;
	rc = ecs_engine_new(&e, &opts);
	ecs_engine_free(base);
	ck_assert_msg(rc == ECS_OK, "ecs_engine_new: %s", ecs_error_name(rc));
	return e;
}

ecs_engine *it_engine_new(void)
{
	ecs_engine_options opts = ECS_ENGINE_OPTIONS_INIT;
	ecs_engine *e = NULL;
	int rc;

	opts.endpoint = env_or_null("ECS_TEST_ENDPOINT");
	opts.ca_file = env_or_null("ECS_TEST_CA_FILE");
	opts.cert_file = env_or_null("ECS_TEST_CERT_FILE");
	opts.key_file = env_or_null("ECS_TEST_KEY_FILE");
	/* every task container's entrypoint: the agent this build made */
	opts.agent_path = it_agent_path();
	rc = ecs_engine_new(&e, &opts);
	ck_assert_msg(rc == ECS_OK, "ecs_engine_new(%s): %s", opts.endpoint ? opts.endpoint : "default",
			ecs_error_name(rc));
	return e;
}

const char *it_test_image(void)
{
	const char *v = env_or_null("ECS_TEST_IMAGE");

	return v != NULL ? v : IT_DEFAULT_IMAGE;
}

const char *it_require_env(const char *name)
{
	const char *v = env_or_null(name);

	ck_assert_msg(v != NULL, "%s is not set: run the integration tests under `./bootstrap test`, "
			"which starts the private registry and sets the ECS_TEST_* variables", name);
	return v;
}

char *it_task_id(const char *what)
{
	char buf[128];
	char *s;

	/* The pid too: each Check test runs in its own fork, with its own counter. */
	snprintf(buf, sizeof(buf), "%s%s-%ld-%u", run_prefix, what, (long)getpid(), task_counter++);
	s = strdup(buf);
	ck_assert_ptr_nonnull(s);
	return s;
}

void it_track_container(const char *id)
{
	char **grown = realloc(tracked, (tracked_len + 1) * sizeof(*tracked));

	ck_assert_ptr_nonnull(grown);
	tracked = grown;
	tracked[tracked_len] = strdup(id);
	ck_assert_ptr_nonnull(tracked[tracked_len]);
	tracked_len++;
}

void it_cleanup_tracked(void)
{
	ecs_engine *e = NULL;
	size_t i;

	if (tracked_len > 0)
		e = it_engine_new();
	for (i = 0; i < tracked_len; i++) {
		int rc = ecs_container_delete(e, tracked[i]);

		if (rc != ECS_OK && rc != ECS_ENOTFOUND)
			fprintf(stderr, "cleanup: delete %s: %s (%s)\n", tracked[i], ecs_error_name(rc),
					ecs_engine_errmsg(e));
		free(tracked[i]);
	}
	free(tracked);
	tracked = NULL;
	tracked_len = 0;
	ecs_engine_free(e);
}

int it_cleanup_run(void)
{
	ecs_engine_options opts = ECS_ENGINE_OPTIONS_INIT;
	ecs_engine *e = NULL;
	ecs_container_info *list = NULL;
	size_t count = 0, i;
	int found = 0;
	int rc;

	/* Not it_engine_new(): this runs outside tests, where ck_assert must not fire. */
	opts.endpoint = env_or_null("ECS_TEST_ENDPOINT");
	opts.ca_file = env_or_null("ECS_TEST_CA_FILE");
	opts.cert_file = env_or_null("ECS_TEST_CERT_FILE");
	opts.key_file = env_or_null("ECS_TEST_KEY_FILE");
	rc = ecs_engine_new(&e, &opts);
	if (rc != ECS_OK)
		return rc;
	rc = ecs_container_list(&list, &count, e, NULL, 0);
	if (rc != ECS_OK)
		goto out;
	for (i = 0; i < count; i++) {
		/* a test's pools label their containers with an instance of the run's prefix */
		int ours = (list[i].task_id != NULL && strncmp(list[i].task_id, run_prefix, strlen(run_prefix)) == 0) ||
			   (list[i].instance != NULL && strncmp(list[i].instance, run_prefix, strlen(run_prefix)) == 0);

		if (!ours)
			continue;
		found++;
		rc = ecs_container_delete(e, list[i].id);
		if (rc != ECS_OK && rc != ECS_ENOTFOUND)
			fprintf(stderr, "cleanup: delete %s: %s (%s)\n", list[i].id, ecs_error_name(rc),
					ecs_engine_errmsg(e));
	}
	rc = found;
out:
	ecs_container_list_free(list, count);
	ecs_engine_free(e);
	return rc;
}

int it_count_labelled(ecs_engine *engine, const char *label)
{
	ecs_container_info *list = NULL;
	size_t count = 0;
	int rc;

	rc = ecs_container_list(&list, &count, engine, label != NULL ? &label : NULL, label != NULL ? 1 : 0);
	ecs_container_list_free(list, count);
	return rc == ECS_OK ? (int)count : rc;
}

char *it_create(ecs_engine *engine, const char *const *cmd, size_t cmd_len, int open_stdin,
		char **task_id_out)
{
	ecs_container_spec spec = ECS_CONTAINER_SPEC_INIT;
	ecs_sandbox_profile profile;
	char *task_id = it_task_id("c");
	char *id = NULL;
	int rc;

	spec.run.image = it_test_image();
	spec.run.cmd = cmd;
	spec.run.cmd_len = cmd_len;
	spec.task_id = task_id;
	spec.open_stdin = open_stdin;
	spec.profile = it_profile(&profile, NULL);
	rc = ecs_container_create(&id, engine, &spec);
	ck_assert_msg(rc == ECS_OK, "create: %s: %s", ecs_error_name(rc), ecs_engine_errmsg(engine));
	it_track_container(id);
	if (task_id_out != NULL)
		*task_id_out = task_id;
	else
		free(task_id);
	return id;
}

int it_image_remove(ecs_engine *engine, const char *image)
{
	ecs_http_request req = { 0 };
	ecs_http_response resp;
	char *name = ecs_http_escape(image);
	char *path = NULL;
	int rc;

	if (name == NULL)
		return ECS_ENOMEM;
	if (asprintf(&path, "/images/%s?force=1", name) < 0) {
		path = NULL;
		rc = ECS_ENOMEM;
		goto out;
	}
	req.method = "DELETE";
	req.path = path;
	rc = ecs_http_do(engine, &req, &resp);
	if (rc == ECS_OK && !ecs_http_ok(&resp))
		rc = ecs_http_fail(engine, &resp, "remove image");
	ecs_http_response_clear(&resp);
out:
	free(path);
	free(name);
	return rc;
}

double it_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int it_lock_private_image(void)
{
	const char *dir = getenv("TMPDIR");
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/ecs-it-private-image.lock", dir != NULL && dir[0] != '\0' ? dir : "/tmp");
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	ck_assert_msg(fd >= 0, "open %s failed", path);
	ck_assert_msg(flock(fd, LOCK_EX) == 0, "flock %s failed", path);
	return fd;
}

void it_unlock_private_image(int fd)
{
	if (fd >= 0)
		close(fd);
}

const char *it_test_runtime(void)
{
	return env_or_null("ECS_TEST_RUNTIME");
}

const ecs_sandbox_profile *it_profile(ecs_sandbox_profile *buf, const ecs_sandbox_profile *given)
{
	static const ecs_sandbox_profile defaults = ECS_SANDBOX_PROFILE_INIT;

	*buf = given != NULL ? *given : defaults;
	if (buf->runtime == NULL)
		buf->runtime = it_test_runtime();
	return buf;
}

int it_test_runsc(void)
{
	const char *rt = it_test_runtime();

	return rt != NULL && strcmp(rt, "runsc") == 0;
}

int it_skip_under_runsc(const char *test, const char *why)
{
	if (!it_test_runsc())
		return 0;
	fprintf(stderr, "SKIP %s under runsc: %s\n", test, why);
	return 1;
}

int it_test_pooled(void)
{
	const char *v = env_or_null("ECS_TEST_POOL");

	return v != NULL && strcmp(v, "1") == 0;
}

const char *it_agent_path(void)
{
	return ECS_AGENT_BUILT;
}

ecs_pool *it_pool_warm(ecs_engine *engine, const char *image, const ecs_sandbox_profile *profile, unsigned int size,
		       int *warm)
{
	ecs_pool_options po = ECS_POOL_OPTIONS_INIT;
	ecs_pool *pool = NULL;
	double until = it_now_ms() + 60000;
	ecs_pool_stats st;
	int rc;

	po.engine = *ecs_engine_options_get(engine);
	po.agent_path = it_agent_path();
	rc = ecs_pool_new(&pool, &po);
	ck_assert_msg(rc == 0, "ecs_pool_new: %s", ecs_error_name(rc));
	rc = ecs_pool_set_size(pool, image, profile, size);
	ck_assert_msg(rc == 0, "ecs_pool_set_size: %s", ecs_error_name(rc));
	for (;;) {
		struct timespec pause = { 0, 20 * 1000000L };
		ecs_pool_entry *list = NULL;
		size_t n = 0;
		char why[512] = "";

		ecs_pool_stats_get(&st, pool);
		*warm = st.warm >= size;
		if (*warm)
			return pool;
		if (ecs_pool_list(&list, &n, pool) == 0 && n > 0 && list[0].last_error != NULL)
			snprintf(why, sizeof(why), "%s", list[0].last_error);
		ecs_pool_list_free(list, n);
		if (why[0] != '\0')
			return pool;
		if (it_now_ms() > until) {
			ck_abort_msg("no warm container in 60 s (%u warm, %llu refill failures): %s", st.warm,
				     (unsigned long long)st.refill_failures, why);
		}
		nanosleep(&pause, NULL);
	}
}

int it_dir_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int n = 0;

	ck_assert_msg(d != NULL, "%s: %s", path, strerror(errno));
	while ((de = readdir(d)) != NULL)
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	closedir(d);
	return n;
}

int it_main(struct Suite *s)
{
	SRunner *sr;
	int failed;

	it_global_init();
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	it_cleanup_run();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
