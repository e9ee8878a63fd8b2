/* Private (never installed): how a sweep tells a live instance from a dead one (<ecs/instance.h>). */
#ifndef ECS_INSTANCE_PRIVATE_H
#define ECS_INSTANCE_PRIVATE_H

#include <ecs/ecs.h>

/** What ecs_instance_state() found. */
typedef enum {
	ECS_INSTANCE_UNKNOWN = 0,  /* no lock file in the directory: maybe on another host */
	ECS_INSTANCE_ALIVE = 1,    /* its lock is held */
	ECS_INSTANCE_DEAD = 2      /* its lock file is there and nobody holds it */
} ecs_instance_state_t;

/**
 * ecs_instance_state - is instance @id, as seen from @dir, alive? Takes and
 * drops the lock without blocking. An @id that is not 1-64 of
 * [A-Za-z0-9_.-] is UNKNOWN. Thread-safe.
 */
ecs_instance_state_t ecs_instance_state(const char *dir, const char *id);

/**
 * ecs_instance_forget - remove what dead instance @id left in @dir: the
 * directory of its agents' direct channels ("@id.chan", with the task
 * directories and sockets in it) and, unless @keep_lock, its lock file
 * (then nothing tells its containers' instance apart from one on another
 * host: keep it while any is left). Done holding the instance's lock, so a
 * live instance is never touched. Returns 0 (done), 1 (the instance is
 * alive, or unknown here: nothing removed) or -1 with errno (a file that
 * could not be removed; the rest was).
 */
int ecs_instance_forget(const char *dir, const char *id, int keep_lock);

#endif
