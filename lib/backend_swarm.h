/* Private: the Swarm backend (lib/backend_swarm.c), called by the task runner. */
#ifndef ECS_BACKEND_SWARM_H
#define ECS_BACKEND_SWARM_H

#include <time.h>
#include <ecs/ecs.h>

/** What orchestration found out before handing the task over. Borrowed. */
typedef struct {
	const char *image_id;     /* the image's id ("sha256:..."): every node runs the same bytes */
	const char *working_dir;  /* the image's WorkingDir, or NULL */
	long timeout_ms;          /* the task's timeout (kept here: Swarm has none) */
	time_t deadline;          /* ECS_LABEL_DEADLINE */
} ecs_swarm_input;

/**
 * ecs_backend_swarm_run - run a validated task as a service on @engine, a
 * Swarm manager: result->task_id is set; fills exit_code, out/err and their
 * byte counts, container_id (on its node), node, timings, timed_out; on
 * failure error_phase and error. The service and the stdin config go to
 * @reaper (or are removed before returning). Returns 0 when the task ran;
 * ECS_EUNAVAILABLE when its node was lost while it ran (never a hang);
 * ECS_EINVAL for a profile a service cannot carry (a runtime); the
 * engine's errors otherwise.
 */
int ecs_backend_swarm_run(ecs_task_result *result, ecs_engine *engine, ecs_reaper *reaper, const ecs_task_spec *spec,
			  const ecs_swarm_input *in);

#endif
