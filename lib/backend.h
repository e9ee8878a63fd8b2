/*
 * Private: the seam between the task runner and the ways a task executes.
 *
 * ecs_task_run() (task.c) orchestrates: it validates the spec, gives the task
 * its id, makes sure the image is there (inspect, pull per the policy and the
 * credentials), picks a backend from the spec (ecs_task_spec.backend), calls
 * its run(), logs the outcome and, on every path, hands the container the
 * backend reported in result->container_id to deletion (the reaper, or a
 * delete before returning). A backend executes: it creates or takes what runs
 * the task, feeds it stdin, reads its output through the one capture
 * (capture.h: attach stream, live caps, byte counts), learns the exit status,
 * kills at the timeout or on cancel, and fills the result.
 *
 * Writing a backend (backend_cold.c is the reference):
 * - Set result->container_id (malloc'ed) as soon as a container exists, so
 *   task.c disposes of it whatever happens next. A backend whose resources
 *   are not containers of @engine (a Swarm service) removes them itself
 *   before returning, and may leave container_id NULL.
 * - Fill exit_code, out/err (through ecs_capture_take(): data never NULL on
 *   success), stdout_bytes/stderr_bytes, timed_out, oom_killed, image_id
 *   and timings.create/start/run/logs. task.c sets timings.pull and .total,
 *   and repo_digest from image_id.
 * - On failure return the ECS_E* code after ecs_task_fail() or
 *   ecs_task_fail_engine() set error_phase and error; task.c clears the
 *   output buffers of a failed result. A completed run (any exit code, a
 *   timeout) returns 0.
 * - Log with the task id and container id (ecs_engine_log()).
 * - The engine handle is the calling thread's for the duration of run().
 */
#ifndef ECS_BACKEND_H
#define ECS_BACKEND_H

#include <ecs/ecs.h>
#include "container_private.h"
#include "image_private.h"

/* The exit status of a process that ended without a kill; this only bounds a stuck engine. */
#define ECS_BACKEND_KILL_WAIT_MS 10000L
/*
 * After a kill at the timeout (ecs_capture_kill(), capture.h), each look at
 * what the engine saw (exit status, state): the answer is due within the
 * timeout plus 2 s, so a slow one is skipped (a killed task exits 137).
 */
#define ECS_BACKEND_EXIT_MS 250L

/** What task.c hands a backend. Everything belongs to task.c and lives during run(). */
typedef struct {
	ecs_engine *engine;
	ecs_reaper *reaper;          /* NULL: task.c deletes before returning; for extra containers */
	const ecs_task_spec *spec;   /* validated: every bound of task.h holds */
	ecs_image_info *image;       /* what the inspect saw; members NULL after a pull (re-fill with
				      * ecs_task_image_ensure() if the image went) */
	long timeout_ms;             /* resolved: never 0 */
	ecs_cancel *cancel;          /* spec->cancel; may be NULL */
	ecs_pool *pool;              /* spec->pool; may be NULL */
} ecs_backend_task;

/*
 * What a backend's run() returns when it did nothing of the task and another
 * backend should run it (a pool without a warm container: task.c runs it
 * cold). Positive, so never an ECS_E* code.
 */
#define ECS_BACKEND_MISS 1
/*
 * The pooled backend's miss after it took a warm container that failed
 * before anything of the task ran (dead, or its agent refused): task.c runs
 * the task cold at once rather than trying the pool a second time.
 */
#define ECS_BACKEND_GAVE_UP 2

typedef struct {
	const char *name;            /* "cold", "pool", "swarm": for logs */
	/*
	 * Run @task to completion into @result (task_id already set; the rest
	 * zero, exit_code -1). Returns 0 for a completed run, else an ECS_E*
	 * code with result->error_phase/error set.
	 */
	int (*run)(ecs_task_result *result, const ecs_backend_task *task);
	int agent;                   /* 1: ecs-agent runs the task, so it carries files and artifacts */
} ecs_backend;

/* A fresh container: create, attach (or the agent's direct channel), start, wait (backend_cold.c). */
extern const ecs_backend ecs_backend_cold;
/* A warm container of spec->pool whose ecs-agent runs the task (backend_pool.c); may miss. */
extern const ecs_backend ecs_backend_pool;

/* A one-replica service on a Swarm manager, polled to its end, its logs read after (backend_swarm.c). */
extern const ecs_backend ecs_backend_swarm;

/* ---- helpers task.c offers every backend */

/**
 * Record a failure: @phase and @msg flattened to one line,
 * or the code's text when @msg is NULL or empty. Returns @code.
 */
int ecs_task_fail(ecs_task_result *result, ecs_task_phase phase, int code, const char *msg);

/** ecs_task_fail() with the engine handle's last message. */
int ecs_task_fail_engine(ecs_task_result *result, ecs_engine *engine, ecs_task_phase phase, int code);

/** ECS_ECANCELED (recorded in @phase) when @cancel was triggered, else 0. */
int ecs_task_cancelled(ecs_task_result *result, ecs_cancel *cancel, ecs_task_phase phase);

/**
 * Inspect the image and pull it per the spec's policy, as task.c does before
 * run(); for a backend that finds the image gone. Fills @image (cleared first).
 * Returns 0 or the failure (phase ECS_TASK_PHASE_PULL).
 */
int ecs_task_image_ensure(ecs_task_result *result, ecs_engine *engine, const ecs_task_spec *spec,
			  ecs_image_info *image);

/**
 * Hand container @id to @reaper, or (no reaper, or it refused) delete it now
 * with a few retries. Never fails: what is left the sweep removes.
 */
void ecs_task_dispose(ecs_engine *engine, ecs_reaper *reaper, const char *task_id, const char *id);

#endif
