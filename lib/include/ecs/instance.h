/*
 * libecs: responder instances and their liveness.
 *
 * Every container carries the instance that made it (ECS_LABEL_INSTANCE, set
 * from ecs_engine_options.instance). A live instance holds an exclusive
 * flock(2) on "<dir>/<id>.lock" for as long as it runs; the kernel drops the
 * lock when the process dies, however it dies (kill -9 included). A sweep
 * on the same host that can take the lock knows the instance is dead and
 * removes its containers at once, running ones included, instead of waiting
 * for their deadline label; a lock it cannot take belongs to a live sibling,
 * whose containers it leaves alone.
 *
 * The limit: the lock only tells instances that share @dir (one host, or a
 * directory on a filesystem whose flock is coherent across hosts). An
 * instance whose lock file is not in @dir (on another host sharing a remote
 * engine) is "unknown", never "dead": its running containers are left to
 * their deadline label (the task's timeout + ECS_TASK_DEADLINE_GRACE_S). A
 * heartbeat label is impossible (labels cannot change after create).
 */
#ifndef ECS_INSTANCE_H
#define ECS_INSTANCE_H

#include <ecs/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Where ecs-fcgi keeps the lock files by default. */
#define ECS_INSTANCE_DIR_DEFAULT "/run/ecs/instances"

typedef struct ecs_instance ecs_instance;

/**
 * ecs_instance_claim - become a live instance: a random id (32 hex digits),
 * and the lock on "@dir/<id>.lock" held until ecs_instance_free().
 * @dir: the directory shared by the instances of one host; made (0755, with
 *    its parents) if missing.
 * Returns 0, ECS_EINVAL (NULL or relative @dir), ECS_ENOMEM, or ECS_ERROR
 * (the directory or the lock file could not be made: errno's text is in no
 * handle, so the caller logs @dir).
 */
ECS_EXTERN int ecs_instance_claim(ecs_instance **out, const char *dir);

/** ecs_instance_id - the instance's id, valid until ecs_instance_free(). */
ECS_EXTERN const char *ecs_instance_id(const ecs_instance *instance);

/**
 * ecs_instance_free - release the lock, remove the lock file and free. NULL
 * is allowed. Its containers still running are then a sweep's.
 */
ECS_EXTERN void ecs_instance_free(ecs_instance *instance);

#ifdef __cplusplus
}
#endif
#endif
