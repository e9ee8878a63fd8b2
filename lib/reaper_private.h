/*
 * Private: typed jobs for the reaper (see ecs/reaper.h). The reaper deletes
 * whatever kind of engine object it is handed, through the deleter of that
 * kind: each backend declares its kinds beside the calls that make the
 * objects (containers here, Swarm services and configs in swarm.h), so the
 * reaper itself knows no backend.
 */
#ifndef ECS_REAPER_PRIVATE_H
#define ECS_REAPER_PRIVATE_H

#include <ecs/ecs.h>

/**
 * A kind of object the reaper deletes. Constant data, shared by every reaper.
 * @name: what logs call one ("container", "service", ...).
 * @remove: delete object @id with @engine (the deleting thread's own handle):
 *    0 when it is gone, ECS_ENOTFOUND when it was already, any other error
 *    to be retried with backoff (the handle's message says why).
 */
typedef struct {
	const char *name;
	int (*remove)(ecs_engine *engine, const char *id);
} ecs_reap_kind;

/** Containers: what ecs_reaper_enqueue() hands over. */
extern const ecs_reap_kind ecs_reap_container;

/**
 * ecs_reaper_enqueue_kind - hand object @id of @kind over for deletion (the
 * id is copied; @kind must outlive the reaper). Thread-safe. Returns 0,
 * ECS_EINVAL (NULL or empty), ECS_ENOMEM, or ECS_ECANCELED when the reaper
 * is shutting down (the caller should then delete it itself).
 */
int ecs_reaper_enqueue_kind(ecs_reaper *reaper, const ecs_reap_kind *kind, const char *id);

#endif
