/*
 * libecs: deferred deletion and the orphan sweep.
 *
 * The reaper owns a few threads (each with an engine handle of its own) and
 * one FIFO queue. Task runners enqueue containers (O(1)) and return at once;
 * the threads delete them in parallel, retrying with exponential backoff,
 * and drain the queue when freed. On a
 * timer it also sweeps: every ecs container that has exited or was never
 * started (and is older than a minimum age, so a sibling's task that is just
 * starting is left alone) and every one past its deadline label, whatever
 * its state, is deleted.
 */
#ifndef ECS_REAPER_H
#define ECS_REAPER_H

#include <stdint.h>
#include <time.h>
#include <ecs/engine.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ecs_reaper ecs_reaper;

#define ECS_SWEEP_OPTIONS_VERSION 2

/**
 * ecs_sweep_options - what a sweep removes.
 * @min_age_s: exited or never-started containers younger than this are left
 *    alone (default 0 here; the reaper's timer uses its own setting).
 * @labels, @labels_len: extra "key=value" filters (ECS_LABEL_MANAGED=true is
 *    always one); lets a test sweep only what it planted.
 * @now: the time to compare deadlines with; 0 means time(NULL).
 * @instance_dir: since version 2: where live instances hold their locks
 *    (see ecs/instance.h); NULL to ignore instances. A container whose
 *    ECS_LABEL_INSTANCE is dead there (its lock file unheld) is deleted at
 *    once, running or not, whatever its age; one whose instance is alive or
 *    unknown (no lock file: maybe another host) is judged by the rules above.
 *    A dead instance's files there go too (lock files older than a minute):
 *    its channel directory ("ID.chan") at once, its lock file once the
 *    engine has no container, service or config of it left.
 */
typedef struct {
	unsigned int version;
	unsigned int min_age_s;
	const char *const *labels;
	size_t labels_len;
	time_t now;
	const char *instance_dir;
} ecs_sweep_options;

#define ECS_SWEEP_OPTIONS_INIT { .version = ECS_SWEEP_OPTIONS_VERSION }

/**
 * ecs_sweep_options_init - set @out to ECS_SWEEP_OPTIONS_INIT, for bindings that cannot use the macro.
 * @version: ECS_SWEEP_OPTIONS_VERSION of the header the caller was built with; another
 *    is ECS_EINVAL (then @out is untouched).
 * Returns 0 or ECS_EINVAL (also for a NULL @out). Thread-safe.
 */
ECS_EXTERN int ecs_sweep_options_init(ecs_sweep_options *out, unsigned int version);

/**
 * ecs_sweep - delete orphaned ecs containers once, synchronously. On a Swarm
 * manager also the Swarm backend's services (and with them their tasks'
 * containers on every node) and stdin configs, by the same rules: instance
 * dead, past the deadline, or (older than the minimum age) a service whose
 * task ended at least the minimum age ago. @deleted counts them too.
 * @deleted: receives how many were deleted (may be NULL).
 * @engine: the handle to use (this thread's).
 * @opts: NULL for the defaults.
 * Returns 0 when the listing worked (individual deletions that fail are
 * logged and skipped), else the listing's error.
 */
ECS_EXTERN int ecs_sweep(size_t *deleted, ecs_engine *engine, const ecs_sweep_options *opts);

#define ECS_REAPER_OPTIONS_VERSION 2

/**
 * ecs_reaper_options
 * @engine: how the reaper's handles reach the engine (copied; one handle per thread).
 * @sweep_interval_s: seconds between sweeps; 0 turns the timer off.
 * @sweep_min_age_s: see ecs_sweep_options; 0 means 60.
 * @max_attempts: deletions tried per container before giving up (the sweep
 *    will find it later); 0 means 8.
 * @retry_base_ms: first backoff, doubled per attempt up to 10 s; 0 means 100.
 * @drain_timeout_ms: how long ecs_reaper_free() keeps working on the queue; 0 means 30000.
 * @workers: deleting threads, 1-64; 0 means 4 (since version 2: a caller
 *    built with version 1 gets 4).
 * @instance_dir: since version 2: passed to the timer's sweeps (see
 *    ecs_sweep_options); copied. NULL for none.
 */
typedef struct {
	unsigned int version;
	ecs_engine_options engine;
	unsigned int sweep_interval_s;
	unsigned int sweep_min_age_s;
	unsigned int max_attempts;
	unsigned int retry_base_ms;
	unsigned int drain_timeout_ms;
	unsigned int workers;
	const char *instance_dir;
} ecs_reaper_options;

#define ECS_REAPER_OPTIONS_INIT { .version = ECS_REAPER_OPTIONS_VERSION, .engine = ECS_ENGINE_OPTIONS_INIT }

/**
 * ecs_reaper_options_init - set @out to ECS_REAPER_OPTIONS_INIT, for bindings that cannot use the macro.
 * @version: ECS_REAPER_OPTIONS_VERSION of the header the caller was built with; another
 *    is ECS_EINVAL (then @out is untouched).
 * Returns 0 or ECS_EINVAL (also for a NULL @out). Thread-safe.
 */
ECS_EXTERN int ecs_reaper_options_init(ecs_reaper_options *out, unsigned int version);

/**
 * ecs_reaper_new - start a reaper thread.
 * @out: receives the reaper, stopped and freed with ecs_reaper_free().
 * Returns 0, ECS_EINVAL (NULL or unknown options version, more than 64
 * workers), ECS_ENOMEM or ECS_ERROR (thread creation failed).
 */
ECS_EXTERN int ecs_reaper_new(ecs_reaper **out, const ecs_reaper_options *opts);

/**
 * ecs_reaper_enqueue - hand a container over for deletion (the id is copied).
 * Thread-safe. Returns 0, ECS_ENOMEM, or ECS_ECANCELED when the reaper is
 * shutting down (the caller should then delete it itself).
 */
ECS_EXTERN int ecs_reaper_enqueue(ecs_reaper *reaper, const char *container_id);

/** ecs_reaper_sweep_now - ask the reaper's thread for a sweep soon. Thread-safe. */
ECS_EXTERN void ecs_reaper_sweep_now(ecs_reaper *reaper);

/**
 * Counters since the reaper started. Delete latency is from the hand-over
 * (ecs_reaper_enqueue()) to the engine's answer that the container is gone,
 * so queueing counts: it is what tells whether the reaper keeps up.
 */
typedef struct {
	uint64_t queued;      /* now waiting in the queue or being deleted (including retries) */
	uint64_t deleted;     /* containers deleted from the queue (or found already gone) */
	uint64_t failed;      /* containers given up on after max_attempts */
	uint64_t retries;     /* deletion attempts that failed and were retried */
	uint64_t swept;       /* containers deleted by sweeps */
	uint64_t sweeps;      /* sweeps run */
	uint64_t deleting;    /* deletions running now */
	uint64_t workers;     /* deleting threads */
	uint64_t queued_max;  /* the most ever queued at once */
	double latency_ms_sum;  /* summed delete latency of the @deleted containers */
	double latency_ms_max;  /* the longest delete latency seen */
} ecs_reaper_stats;

/** ecs_reaper_stats_get - read the counters. Thread-safe. */
ECS_EXTERN void ecs_reaper_stats_get(ecs_reaper_stats *out, ecs_reaper *reaper);

/**
 * ecs_reaper_wait_idle - block until the queue is empty or @timeout_ms passes.
 * Returns 0 when empty, ECS_ETIMEDOUT otherwise. Thread-safe.
 */
ECS_EXTERN int ecs_reaper_wait_idle(ecs_reaper *reaper, long timeout_ms);

/**
 * ecs_reaper_free - stop taking work, drain the queue (bounded by
 * drain_timeout_ms), join the thread and free it. NULL is allowed. No other
 * thread may use the reaper during or after the call.
 */
ECS_EXTERN void ecs_reaper_free(ecs_reaper *reaper);

#ifdef __cplusplus
}
#endif
#endif
