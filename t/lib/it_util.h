/*
 * Shared helpers for the integration tests (check_it_*): they talk to the
 * real engine the bootstrap provides. Configuration comes from the
 * environment (see t/README.md):
 *   ECS_TEST_ENDPOINT   engine endpoint (default ECS_ENGINE_DEFAULT_ENDPOINT)
 *   ECS_TEST_CA_FILE, ECS_TEST_CERT_FILE, ECS_TEST_KEY_FILE   for https endpoints
 *   ECS_TEST_IMAGE      local image the tests run (default ecs/busybox:latest)
 *   ECS_TEST_REGISTRY, ECS_TEST_PRIVATE_IMAGE, ECS_TEST_REGISTRY_USER,
 *   ECS_TEST_REGISTRY_PASSWORD   the private registry (only ./bootstrap test sets them)
 *   ECS_TEST_RUNTIME    the runtime every test's task runs under (e.g. runsc);
 *                       unset: the engine's default (see it_profile())
 *   ECS_TEST_POOL       1: every test task that runs through it_pool_warm()
 *                       takes a warm pooled container (the pooled backend)
 *
 * Every container a test makes gets a task id from it_task_id(), which starts
 * with a prefix unique to the test program's run ("it-<pid>-"), so
 * it_cleanup_run() can find and delete whatever a failed test left behind.
 *
 * Others may append helpers at the end of this file and of it_util.c.
 */
#ifndef IT_UTIL_H
#define IT_UTIL_H

#include <stddef.h>
#include <ecs/ecs.h>

#define IT_DEFAULT_IMAGE "ecs/busybox:latest"

/**
 * Call once at the top of main(), before srunner_run_all(): ecs_global_init()
 * and the run's task-id prefix (taken from the parent's pid so the forked
 * test processes share it).
 */
void it_global_init(void);

/** The run's task-id prefix, "it-<pid>-". Static string. */
const char *it_run_prefix(void);

/** A new engine handle from the ECS_TEST_* environment; fails the test if it cannot be made. */
ecs_engine *it_engine_new(void);

/** it_engine_new() whose log prints warnings and errors on stderr ("libecs: ..."). */
ecs_engine *it_engine_logged(void);

/** ECS_TEST_IMAGE, or IT_DEFAULT_IMAGE. Static/environment string. */
const char *it_test_image(void);

/**
 * The value of the environment variable @name; fails the current test (never
 * skips it) with a message saying to run under `./bootstrap test` when it is
 * unset or empty.
 */
const char *it_require_env(const char *name);

/** A fresh task id "it-<run pid>-<what>-<pid>-<n>", unique across forks; free() it. */
char *it_task_id(const char *what);

/** Remember a container id for it_cleanup_tracked() (the string is copied). */
void it_track_container(const char *id);

/**
 * Delete every container remembered by it_track_container() in this process.
 * For checked fixture teardowns (they run in the test's process, but only when
 * the test passed: pair with it_cleanup_run()).
 */
void it_cleanup_tracked(void);

/**
 * Delete every managed container whose task id starts with it_run_prefix().
 * Returns how many were found, or a negative ECS_E* code. For unchecked
 * fixture teardowns and the end of main(): it also catches what a failed
 * (exited) test process left behind.
 */
int it_cleanup_run(void);

/**
 * The main() of an integration test program: it_global_init(), run @s
 * (taken and freed), it_cleanup_run(). Returns the exit
 * status: EXIT_SUCCESS when no test failed.
 */
int it_main(struct Suite *s);

/** Milliseconds on the monotonic clock, for bounding how long a step took. */
double it_now_ms(void);

/**
 * Count libecs-managed containers carrying @label ("key" or "key=value";
 * NULL for all managed containers). Returns the count or a negative ECS_E* code.
 */
int it_count_labelled(ecs_engine *engine, const char *label);

/**
 * Create (not start) a container of the test image running @cmd, with a fresh
 * task id (returned through @task_id_out when not NULL; free() it), and track
 * it. Fails the test on error. Returns the id; free() it.
 */
char *it_create(ecs_engine *engine, const char *const *cmd, size_t cmd_len, int open_stdin,
		char **task_id_out);

/**
 * DELETE /images/{image}?force=1 through the engine API, so the next pull
 * really goes to the registry. Returns 0, ECS_ENOTFOUND, or another ECS_E* code.
 */
int it_image_remove(ecs_engine *engine, const char *image);

/**
 * Hold the run-wide lock on the private test image while a test removes,
 * pulls or inspects it: the test programs run in parallel under `make -j
 * check`, and one's removal must not land between another's pull and
 * inspect. Returns the lock's fd for it_unlock_private_image(); the lock also
 * ends with the test's process, so a failed test cannot leave it held.
 */
int it_lock_private_image(void);

/** Release what it_lock_private_image() took. */
void it_unlock_private_image(int fd);

/** ECS_TEST_RUNTIME, or NULL (the engine's default runtime). Environment string. */
const char *it_test_runtime(void);

/** 1 when ECS_TEST_RUNTIME is runsc (the tests' tasks run under gVisor), else 0. */
int it_test_runsc(void);

/**
 * The sandbox profile a test's task gets: a copy of @given (NULL: the
 * defaults, ECS_SANDBOX_PROFILE_INIT) into @buf, with it_test_runtime() as
 * its runtime unless @given names one of its own. Returns @buf, for
 * `spec.profile = it_profile(&buf, spec.profile)`.
 */
const ecs_sandbox_profile *it_profile(ecs_sandbox_profile *buf, const ecs_sandbox_profile *given);

/**
 * Under ECS_TEST_RUNTIME=runsc, a test that cannot hold under gVisor calls
 * this first: it prints "SKIP <test> under runsc: <why>" to stderr and
 * returns 1 (the test then returns). Returns 0 under any other runtime.
 */
int it_skip_under_runsc(const char *test, const char *why);

/** 1 when ECS_TEST_POOL=1: test tasks go through a warm pool. */
int it_test_pooled(void);

/** The ecs-agent the pools of the tests mount: the one the build made. Static string. */
const char *it_agent_path(void);

/**
 * A pool (reaching the engine as @engine does, mounting it_agent_path())
 * holding @size warm containers for @image under @profile. Returns when they
 * are warm (*@warm = 1), or when the pool reports it cannot make one (no such
 * image, a profile the engine refuses: *@warm = 0, and a task then runs
 * cold, as it would anyway); fails the test after 60 s of neither.
 * ecs_pool_free() it: that deletes what is left.
 */
ecs_pool *it_pool_warm(ecs_engine *engine, const char *image, const ecs_sandbox_profile *profile, unsigned int size,
		       int *warm);

/** How many entries directory @path holds besides . and .. (fails the test when it cannot be read). */
int it_dir_entries(const char *path);

#endif
