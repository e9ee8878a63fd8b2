/*
 * libecs: the warm pool. Containers started ahead of any request, each
 * waiting for exactly one task, so a task answers in milliseconds instead of
 * the engine's create + start + wait.
 *
 * A pooled container is made to one key: the image id and the whole sandbox
 * profile (ecs_sandbox_profile_key()). Its entrypoint is ecs-agent
 * (agent/PROTOCOL.md), bind-mounted read-only from the engine's host; the
 * image's Env, WorkingDir and User apply to it as to a fresh container, and
 * the task's argv is built from the image's Entrypoint and the task's command
 * as the engine would. A task whose spec names a pool (ecs_task_spec.pool)
 * takes a warm container of its key when there is one ("pooled" in the
 * result) and otherwise runs cold; either way the container serves that one
 * task and then goes to deletion. A pooled container is labelled with a task
 * id of its own when it is made (ECS_LABEL_TASK_ID: labels cannot change
 * later); a task that names no id (ecs_task_spec.task_id NULL) takes that
 * one, so its container is found by its id as a cold one is. A task that
 * names its id keeps it, and its pooled container carries the pool's.
 * A warm container that stopped running (the engine restarted) runs nothing:
 * the task that took it runs cold, and the pool retires every warm container
 * that no longer runs.
 *
 * Background threads refill the pools, a bounded number of creates at once:
 * fixed pools (ecs_pool_set_size(), by image reference, which is resolved to
 * its image id again on every refill round: a moved tag retires the
 * containers of the old id) and, within a global budget, adaptive ones (a key
 * that missed gets a small pool; one unused for the idle TTL empties again).
 * The budget follows demand: the busiest pools are refilled first, and when
 * it is full a pool that served tasks takes the slots of an adaptive pool
 * that never served one, so one-off profiles never keep the common one cold.
 * Every pooled container carries ECS_LABEL_MANAGED, ECS_LABEL_POOL and, when
 * the engine options name an instance, ECS_LABEL_INSTANCE: the sweep removes
 * what a crash left (ecs_reaper_new() with an instance directory), and
 * ecs_pool_free() removes what a clean stop leaves.
 */
#ifndef ECS_POOL_H
#define ECS_POOL_H

#include <stdint.h>
#include <time.h>
#include <ecs/engine.h>
#include <ecs/profile.h>
#include <ecs/reaper.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Label of a pooled container: the first 16 hex digits of its profile key. */
#define ECS_LABEL_POOL "ecs.pool"
/** Where the Debian package installs ecs-agent (the engine's default, ECS_ENGINE_AGENT_DEFAULT). */
#define ECS_POOL_AGENT_DEFAULT ECS_ENGINE_AGENT_DEFAULT

#define ECS_POOL_DEFAULT_BUDGET 16u
#define ECS_POOL_DEFAULT_CONCURRENCY 2u
#define ECS_POOL_DEFAULT_IDLE_TTL_S 300u
/** Most warm containers one pool, and all together, may hold. */
#define ECS_POOL_MAX_SIZE 1024u

typedef struct ecs_pool ecs_pool;

#define ECS_POOL_OPTIONS_VERSION 2

/**
 * ecs_pool_options - how a pool behaves. Strings are copied by ecs_pool_new().
 * @engine: how the refill threads reach the engine (each makes its own handle;
 *    set @engine.instance so the sweep can tell a dead instance's containers).
 * @agent_path: ecs-agent on the engine's host; NULL for @engine's agent_path
 *    (whose own default is ECS_ENGINE_AGENT_DEFAULT).
 * @budget: most warm and starting containers of all pools together; 0 for
 *    ECS_POOL_DEFAULT_BUDGET. Fixed pools are served first, then the pools
 *    that served the most tasks.
 * @concurrency: creates in flight at once (refill threads); 0 for
 *    ECS_POOL_DEFAULT_CONCURRENCY.
 * @adaptive_size: warm containers a key gets after a miss; 0 turns adaptive
 *    pools off.
 * @idle_ttl_s: an adaptive pool not taken from for this long (counted from its
 *    last take, or from when it got ready) empties and is forgotten; 0 for
 *    ECS_POOL_DEFAULT_IDLE_TTL_S.
 * @reaper: where retired warm containers go; NULL to delete them on the
 *    refill thread. Must outlive the pool.
 * @channel_dir: since version 2: an absolute directory (made 0711 when
 *    missing; removed by ecs_pool_free() when empty) where each warm
 *    container's ecs-agent gets a socket of its own, so that the task that
 *    takes it talks to the agent without the engine's attach stream in
 *    between (milliseconds less per task). Used with a local engine (a
 *    unix:// endpoint) and runtimes other than runsc; where the engine
 *    cannot see the directory (it refuses the mount) or an agent does not
 *    come, the pool falls back to the attach stream by itself, with a
 *    warning. NULL: attach only.
 */
typedef struct {
	unsigned int version;
	ecs_engine_options engine;
	const char *agent_path;
	unsigned int budget;
	unsigned int concurrency;
	unsigned int adaptive_size;
	unsigned int idle_ttl_s;
	ecs_reaper *reaper;
	const char *channel_dir;
} ecs_pool_options;

#define ECS_POOL_OPTIONS_INIT { .version = ECS_POOL_OPTIONS_VERSION, .engine = ECS_ENGINE_OPTIONS_INIT }

/**
 * ecs_pool_options_init - set @out to ECS_POOL_OPTIONS_INIT, for bindings that cannot use the macro.
 * @version: ECS_POOL_OPTIONS_VERSION of the header the caller was built with; another
 *    is ECS_EINVAL (then @out is untouched).
 * Returns 0 or ECS_EINVAL (also for a NULL @out). Thread-safe.
 */
ECS_EXTERN int ecs_pool_options_init(ecs_pool_options *out, unsigned int version);

/**
 * ecs_pool_new - start a pool (its refill threads; nothing is created until
 * a size is set or, with adaptive pools, a task misses).
 * @out: receives the handle; free with ecs_pool_free().
 * Returns 0, ECS_EINVAL (bad options or engine endpoint), ECS_ENOMEM or
 * ECS_ERROR (a thread could not start).
 */
ECS_EXTERN int ecs_pool_new(ecs_pool **out, const ecs_pool_options *opts);

/**
 * ecs_pool_set_size - keep @size warm containers of @image (a reference the
 * engine has or a task pulls; resolved to its id in the background) under
 * @profile (NULL for ECS_SANDBOX_PROFILE_INIT; copied). 0 removes the fixed
 * pool. Setting it again replaces the size. A @profile whose cap_add holds
 * a capability that would let a task reach ecs-agent (ecs_pool(3)) gets no
 * containers: 0 is returned, a warning logged, and its tasks run cold.
 * Returns 0, ECS_EINVAL (bad reference or profile, @size over
 * ECS_POOL_MAX_SIZE), ECS_ENOTFOUND (a @size above 0 while the engine is
 * local, a unix:// endpoint, and there is no ecs-agent at the pool's
 * agent_path: no warm container could start, and every task would run cold)
 * or ECS_ENOMEM. Thread-safe.
 */
ECS_EXTERN int ecs_pool_set_size(ecs_pool *pool, const char *image, const ecs_sandbox_profile *profile,
		unsigned int size);

/** Counters since ecs_pool_new(), for metrics. */
typedef struct {
	unsigned int pools;        /* keys with a pool (fixed or adaptive) */
	unsigned int warm;         /* containers waiting for a task */
	unsigned int starting;     /* being created and started */
	uint64_t hits;             /* tasks that took a warm container */
	uint64_t misses;           /* tasks that asked and found none */
	uint64_t refills;          /* containers made warm */
	uint64_t refill_failures;  /* creates or starts that failed */
	uint64_t retired;          /* warm containers removed unused (moved tag, TTL, size lowered) */
	double refill_ms_sum;      /* create + start, summed over @refills */
	double refill_ms_max;
} ecs_pool_stats;

/** ecs_pool_stats_get - a consistent copy of the counters. Thread-safe. */
ECS_EXTERN void ecs_pool_stats_get(ecs_pool_stats *out, ecs_pool *pool);

/** One pool, as ecs_pool_list() reports it. */
typedef struct {
	char *image;               /* the reference it was set or first missed by */
	char *image_id;            /* NULL until resolved */
	char key[ECS_SANDBOX_KEY_SIZE]; /* ecs_sandbox_profile_key() of its profile */
	int fixed;                 /* 1: ecs_pool_set_size(); 0: adaptive */
	unsigned int target;       /* warm containers it aims at */
	unsigned int warm;
	unsigned int starting;
	uint64_t hits;
	uint64_t misses;
	time_t last_used;          /* unix seconds of the last take or miss; 0 for never */
	char *last_error;          /* the last refill failure's message; NULL for none */
} ecs_pool_entry;

/**
 * ecs_pool_list - every pool now.
 * @out, @count: an array of @count entries; free with ecs_pool_list_free().
 * Returns 0 or ECS_ENOMEM. Thread-safe.
 */
ECS_EXTERN int ecs_pool_list(ecs_pool_entry **out, size_t *count, ecs_pool *pool);

/** ecs_pool_list_free - free what ecs_pool_list() returned. NULL is allowed. */
ECS_EXTERN void ecs_pool_list_free(ecs_pool_entry *list, size_t count);

/**
 * ecs_pool_free - stop refilling, wait for the creates in flight, and delete
 * every warm container (a clean stop leaves none). Tasks must no longer use
 * the pool. NULL is allowed.
 */
ECS_EXTERN void ecs_pool_free(ecs_pool *pool);

#ifdef __cplusplus
}
#endif
#endif
