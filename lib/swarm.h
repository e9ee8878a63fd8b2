/*
 * Private: the Swarm client. One task is one service on a Swarm manager,
 * made, watched, read and removed here over the one transport (http.c).
 *
 * The service is Mode.Replicated {Replicas: 1} with RestartPolicy
 * Condition "none": one task that runs once and is never restarted. Not
 * Mode.ReplicatedJob: on engine 20.10 a job's tasks stay in the manager's
 * store after the service is removed, and their exited containers stay on
 * the nodes (moby/moby#42789, #44312; seen on t/swarm/fixture.sh), where ecs,
 * which talks to the manager only, could never remove them. A replicated
 * service's task goes with its service, container included.
 *
 * Stdin travels as a config object mounted at ECS_SWARM_STDIN_PATH (a
 * service has no stdin); the command then runs under the image's /bin/sh,
 * which redirects it. Output is read after the exit from GET /tasks/ID/logs
 * (never follow=1), from the node's "local" log driver.
 */
#ifndef ECS_SWARM_H
#define ECS_SWARM_H

#include <stddef.h>
#include <time.h>
#include <ecs/ecs.h>

#include "demux.h"
#include "reaper_private.h"

/* Where a task's stdin is mounted (a config object, read-only, mode 0444). */
#define ECS_SWARM_STDIN_PATH "/ecs-stdin"
/*
 * Swarm has no "none" network: a profile's "none" attaches this internal
 * overlay network (no gateway, no route out), made on first use.
 */
#define ECS_SWARM_ISOLATED_NETWORK "ecs-isolated"
/*
 * What the reaper deletes for the Swarm backend (ecs_reaper_enqueue_kind()):
 * services, and stdin configs (which stay in use, and are refused, until
 * their service's task is gone: retried with the reaper's backoff).
 */
extern const ecs_reap_kind ecs_swarm_reap_service;
extern const ecs_reap_kind ecs_swarm_reap_config;

/**
 * What the service runs. Everything is borrowed.
 * @run: what runs (<ecs/task.h>); its image pinned: an image id
 *    ("sha256:...") or name@digest, so every node runs the same bytes and
 *    no node asks a registry for a tag. Its labels (checked: labels.h) go on
 *    the service and its containers.
 * @config_id, @config_name: the stdin config (ecs_swarm_config_create());
 *    NULL for no stdin.
 * @deadline: ECS_LABEL_DEADLINE; 0 for none.
 * @working_dir: the image's WorkingDir (tmpfs paths must not hide it).
 */
typedef struct {
	const char *task_id;
	ecs_workload run;
	const ecs_sandbox_profile *profile;
	const char *working_dir;
	const char *config_id;
	const char *config_name;
	time_t deadline;
} ecs_swarm_service_spec;

/**
 * ecs_swarm_network_ensure - make ECS_SWARM_ISOLATED_NETWORK unless it exists
 * (an overlay, Internal, not attachable). 0, or the engine's error
 * (ECS_EENGINE "not a swarm manager" on an engine outside a swarm). Once it
 * was seen or made through @engine, 0 at once: no request per task.
 */
int ecs_swarm_network_ensure(ecs_engine *engine);

/**
 * ecs_swarm_network_recheck - after a refused create: forget that @engine
 * saw the network and ensure it again. *@made = 1 when it had to be made
 * (it was gone: a create naming it was refused and may be sent again).
 * Returns what ecs_swarm_network_ensure() returns.
 */
int ecs_swarm_network_recheck(ecs_engine *engine, int *made);

/**
 * ecs_swarm_config_create - a config object holding @data (the task's stdin),
 * labelled like the task's containers. @id_out, @name_out: malloc'd.
 * Returns 0 or the engine's error (a config is at most 500 KB).
 */
int ecs_swarm_config_create(char **id_out, char **name_out, ecs_engine *engine, const char *task_id,
			    const void *data, size_t len, time_t deadline);

/** ecs_swarm_config_remove - DELETE /configs/ID; an absent one is 0. */
int ecs_swarm_config_remove(ecs_engine *engine, const char *id);

/**
 * ecs_swarm_service_create - POST /services/create (on a fresh connection:
 * never resent). @id_out: malloc'd. Returns 0; ECS_EINVAL for a spec the
 * mapping or the manager refuses (a profile naming a runtime); the engine's
 * error otherwise. After a failure other than ECS_EINVAL a service may exist
 * anyway: find it by its task id label (ecs_swarm_service_find()).
 */
int ecs_swarm_service_create(char **id_out, ecs_engine *engine, const ecs_swarm_service_spec *spec);

/** ecs_swarm_service_remove - DELETE /services/ID; an absent one is 0. */
int ecs_swarm_service_remove(ecs_engine *engine, const char *id);

/** A service or config ecs made, as the sweep sees it. */
typedef struct {
	char *id;
	char *task_id;       /* ECS_LABEL_TASK_ID, NULL if absent */
	char *instance;      /* ECS_LABEL_INSTANCE, NULL if absent */
	time_t deadline;     /* ECS_LABEL_DEADLINE, 0 if absent */
	time_t created;      /* CreatedAt, unix seconds; 0 if unreadable */
} ecs_swarm_object;

/**
 * ecs_swarm_list - the services (@what "services") or configs ("configs")
 * labelled ECS_LABEL_MANAGED=true and every "key=value" of @labels. Returns
 * 0; ECS_EENGINE when the engine is no swarm manager (its 503); others.
 * Free with ecs_swarm_list_free().
 */
int ecs_swarm_list(ecs_swarm_object **out, size_t *n, ecs_engine *engine, const char *what,
		   const char *const *labels, size_t labels_len);
void ecs_swarm_list_free(ecs_swarm_object *list, size_t n);

/** The one task of a service, as the manager last heard of it. Strings malloc'd, NULL when absent. */
typedef struct {
	char *id;
	char *node_id;
	char *state;          /* "new", "pending", ..., "running", "complete", "failed", "rejected"... */
	char *err;            /* Status.Err */
	char *container_id;   /* Status.ContainerStatus.ContainerID */
	int exit_code;        /* Status.ContainerStatus.ExitCode; -1 when absent */
	time_t updated;       /* Status.Timestamp (the last change of state), unix seconds; 0 if unreadable */
} ecs_swarm_task;

/**
 * ecs_swarm_task_get - GET /tasks?filters={"service":[ID]}: the service's
 * newest task. Returns 0; ECS_ENOTFOUND while there is none yet; others.
 * Clear @out with ecs_swarm_task_clear() either way.
 */
int ecs_swarm_task_get(ecs_swarm_task *out, ecs_engine *engine, const char *service_id);
void ecs_swarm_task_clear(ecs_swarm_task *t);

/** 1 for a state a task never leaves (complete, failed, rejected, shutdown, orphaned, remove). */
int ecs_swarm_state_terminal(const char *state);
/** 1 for a state in which the task's process may have started (starting and later). */
int ecs_swarm_state_started(const char *state);

/**
 * ecs_swarm_node_get - GET /nodes/ID: its hostname (malloc'd) and whether the
 * manager considers it lost (Status.State "down" or "disconnected").
 */
int ecs_swarm_node_get(char **hostname, int *lost, ecs_engine *engine, const char *node_id);

/**
 * ecs_swarm_task_logs - GET /tasks/ID/logs?stdout=1&stderr=1 (no follow,
 * no timestamps) into @d as it arrives (its caps apply as bytes are read).
 * Stream 3 (the manager could not read the node's logs) goes to @d->sys,
 * which must have a cap. Returns 0 or the transport's error.
 */
int ecs_swarm_task_logs(ecs_demux *d, ecs_engine *engine, const char *task_id);

#endif
