/*
 * libecs: the orphan sweep. Whatever a crash (ours or the engine's) left
 * behind carries the ecs labels, so a listing by label finds it all.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <ecs/ecs.h>
#include <ecs/session.h>
#include "container_private.h"
#include "engine_private.h"
#include "instance_private.h"
#include "json_util.h"
#include "swarm.h"

/* Exited or dead, and not past its deadline (which overrides every age rule). */
static int min_age_applies(const ecs_container_info *c, time_t now)
{
	const char *status = c->status ? c->status : "";

	if (c->deadline != 0 && c->deadline < now)
		return 0;
	return strcmp(status, "exited") == 0 || strcmp(status, "dead") == 0;
}

/* Why a container should go, or NULL to leave it alone. */
static const char *sweep_reason(const ecs_container_info *c, time_t now, unsigned int min_age_s,
				const char *instance_dir)
{
	const char *status = c->status ? c->status : "";

	/*
	 * Nobody holds its instance's lock: no runner will ever read or delete
	 * it. Not for a session's container (<ecs/session.h>): it outlives the
	 * process that made it, which adopts it again when it restarts; its
	 * deadline label (the end of its lifetime) bounds it.
	 */
	if (instance_dir != NULL && c->instance != NULL && ecs_json_get_string(c->labels, ECS_LABEL_SESSION) == NULL &&
	    ecs_instance_state(instance_dir, c->instance) == ECS_INSTANCE_DEAD)
		return "its instance is dead";

	/* Past its deadline its task is long over, whatever the engine says about it. */
	if (c->deadline != 0 && c->deadline < now)
		return "past its deadline";
	/*
	 * A young created or exited container may belong to a task that is
	 * starting or being read right now; the minimum age leaves it to its runner.
	 */
	if (c->created + (time_t)min_age_s > now)
		return NULL;
	if (strcmp(status, "exited") == 0)
		return "exited";
	if (strcmp(status, "created") == 0)
		return "never started";
	if (strcmp(status, "dead") == 0)
		return "dead";
	return NULL;
}

/*
 * The listing only knows when a container was created. A task that ran
 * longer than the minimum age may have exited a moment ago and be having its
 * logs read now, so an exited container must also have stopped long enough ago.
 */
static int finished_recently(ecs_engine *engine, const char *id, time_t now, unsigned int min_age_s)
{
	ecs_container_info info;
	int recent;

	memset(&info, 0, sizeof(info));
	if (ecs_container_inspect(&info, engine, id) != 0)
		return 0; /* gone already, or the delete will say what is wrong */
	recent = info.finished != 0 && info.finished + (time_t)min_age_s > now;
	ecs_container_info_clear(&info);
	return recent;
}

/*
 * Why a Swarm service or config should go, or NULL. @task_ended: for a
 * service, the unix time its task reached a final state (or 1 when it has
 * none), 0 while it runs; configs pass 1 (the engine refuses one in use).
 */
static const char *swarm_reason(const ecs_swarm_object *o, time_t now, unsigned int min_age_s,
				const char *instance_dir, time_t task_ended)
{
	if (instance_dir != NULL && o->instance != NULL &&
	    ecs_instance_state(instance_dir, o->instance) == ECS_INSTANCE_DEAD)
		return "its instance is dead";
	if (o->deadline != 0 && o->deadline < now)
		return "past its deadline";
	if (o->created + (time_t)min_age_s > now || task_ended == 0 || task_ended + (time_t)min_age_s > now)
		return NULL;
	return "its task ended";
}

/* The ended time swarm_reason() wants for a service: 0 while its task may still run. */
static time_t service_task_ended(ecs_engine *engine, const char *id)
{
	ecs_swarm_task t;
	time_t ended = 0;
	int rc = ecs_swarm_task_get(&t, engine, id);

	if (rc == ECS_ENOTFOUND)
		ended = 1;
	else if (rc == 0 && ecs_swarm_state_terminal(t.state))
		ended = t.updated > 0 ? t.updated : 1;
	ecs_swarm_task_clear(&t);
	return ended;
}

/*
 * The Swarm side: on a manager, the services and stdin configs the Swarm
 * backend made (removing a service removes its task's container on its
 * node). On an engine outside a swarm the listing fails: nothing to do.
 */
static size_t sweep_swarm(ecs_engine *engine, const ecs_sweep_options *opts, const char *instance_dir, time_t now)
{
	static const char *const kinds[] = { "services", "configs" };
	size_t n = 0;

	for (size_t k = 0; k < 2; k++) {
		ecs_swarm_object *list = NULL;
		size_t count = 0;
		int rc = ecs_swarm_list(&list, &count, engine, kinds[k], opts->labels, opts->labels_len);

		if (rc != 0) {
			ecs_engine_log(engine, ECS_LOG_DEBUG, "sweep: no %s listed (%s: %s)", kinds[k], ecs_error_name(rc),
				       ecs_engine_errmsg(engine));
			break;
		}
		for (size_t i = 0; i < count; i++) {
			const ecs_swarm_object *o = &list[i];
			const char *reason;

			if (o->id == NULL)
				continue;
			reason = swarm_reason(o, now, opts->min_age_s, instance_dir,
					      k == 0 ? service_task_ended(engine, o->id) : 1);
			if (reason == NULL)
				continue;
			rc = k == 0 ? ecs_swarm_service_remove(engine, o->id) : ecs_swarm_config_remove(engine, o->id);
			if (rc == 0) {
				n++;
				ecs_engine_log(engine, ECS_LOG_INFO, "sweep: task %s: %.7s %.25s removed (%s)",
					       o->task_id ? o->task_id : "-", kinds[k], o->id, reason);
			} else {
				/* A config still in use by its service: the next sweep. */
				ecs_engine_log(engine, k == 0 ? ECS_LOG_WARN : ECS_LOG_DEBUG,
					       "sweep: task %s: %.7s %.25s: remove failed (%s: %s)",
					       o->task_id ? o->task_id : "-", kinds[k], o->id, ecs_error_name(rc),
					       ecs_engine_errmsg(engine));
			}
		}
		ecs_swarm_list_free(list, count);
	}
	return n;
}

/*
 * A lock file younger than this is left alone: ecs_instance_claim() creates
 * it a moment before it takes the lock, and a sweep in that moment would
 * take the claimer for dead.
 */
#define FORGET_MIN_AGE_S 60

/* Anything of instance @id left on the engine: its containers, or (on a Swarm manager) its services and configs. */
static int instance_has_leftovers(ecs_engine *engine, const char id[80])
{
	static const char *const kinds[] = { "services", "configs" };
	char label[sizeof(ECS_LABEL_INSTANCE) + 80];
	const char *const labels[] = { label };
	ecs_container_info *list = NULL;
	size_t count = 0;
	int rc;

	snprintf(label, sizeof(label), "%s=%s", ECS_LABEL_INSTANCE, id);
	if ((rc = ecs_container_list(&list, &count, engine, labels, 1)) != 0)
		return 1;  /* cannot tell: keep its lock */
	ecs_container_list_free(list, count);
	for (size_t k = 0; k < 2 && count == 0; k++) {
		ecs_swarm_object *objs = NULL;

		/* outside a swarm the listing fails with ECS_EENGINE: there is none */
		rc = ecs_swarm_list(&objs, &count, engine, kinds[k], labels, 1);
		if (rc == ECS_EENGINE)
			count = 0;
		else if (rc != 0)
			return 1;
		else
			ecs_swarm_list_free(objs, count);
	}
	return count > 0;
}

/*
 * What dead instances left in @dir besides containers: the directories of
 * their agents' direct channels always, and their lock files once nothing
 * of theirs is left on the engine (a container of theirs needs the lock to
 * be known as an orphan: asked of the engine by its label, whatever this
 * sweep's own filter).
 */
static void forget_dead_instances(ecs_engine *engine, const char *dir, time_t now)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		char id[80];
		struct stat st;
		int rc, keep;

		if (len <= 5 || len - 5 >= sizeof(id) || strcmp(de->d_name + len - 5, ".lock") != 0 ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode) ||
		    st.st_mtime + FORGET_MIN_AGE_S > now)
			continue;
		memcpy(id, de->d_name, len - 5);
		id[len - 5] = '\0';
		if (ecs_instance_state(dir, id) != ECS_INSTANCE_DEAD)
			continue;
		keep = instance_has_leftovers(engine, id);
		rc = ecs_instance_forget(dir, id, keep);
		if (rc < 0)
			ecs_engine_log(engine, ECS_LOG_WARN, "sweep: instance %s (dead): cannot remove all it left in %s: %s",
				       id, dir, strerror(errno));
		else if (rc == 0)
			/* a lock kept for its containers comes back at every sweep: said quietly */
			ecs_engine_log(engine, keep ? ECS_LOG_DEBUG : ECS_LOG_INFO, "sweep: instance %s (dead): %s in %s",
				       id, keep ? "its channel directory removed, its lock kept for what it left on the engine"
					    : "its lock file and channel directory removed", dir);
	}
	closedir(d);
}

int ecs_sweep(size_t *deleted, ecs_engine *engine, const ecs_sweep_options *opts)
{
	ecs_sweep_options defaults = ECS_SWEEP_OPTIONS_INIT;
	ecs_container_info *list = NULL;
	size_t count = 0, n = 0;
	const char *instance_dir;
	time_t now;
	int rc;

	if (deleted != NULL)
		*deleted = 0;
	if (engine == NULL)
		return ECS_EINVAL;
	if (opts == NULL)
		opts = &defaults;
	if (opts->version < 1 || opts->version > ECS_SWEEP_OPTIONS_VERSION ||
	    (opts->labels_len > 0 && opts->labels == NULL))
		return ECS_EINVAL;
	/* A version 1 caller's struct ends before instance_dir. */
	instance_dir = opts->version >= 2 ? opts->instance_dir : NULL;
	rc = ecs_container_list(&list, &count, engine, opts->labels, opts->labels_len);
	if (rc != 0) {
		ecs_engine_log(engine, ECS_LOG_WARN, "sweep: listing containers failed (%s: %s)", ecs_error_name(rc),
			       ecs_engine_errmsg(engine));
		return rc;
	}
	now = opts->now ? opts->now : time(NULL);
	for (size_t i = 0; i < count; i++) {
		const ecs_container_info *c = &list[i];
		const char *reason = sweep_reason(c, now, opts->min_age_s, instance_dir);
		const char *task = c->task_id ? c->task_id : "-";

		if (reason == NULL || c->id == NULL)
			continue;
		if (strcmp(reason, "its instance is dead") != 0 && min_age_applies(c, now) && opts->min_age_s > 0 &&
		    finished_recently(engine, c->id, now, opts->min_age_s))
			continue;
		rc = ecs_container_delete(engine, c->id);
		if (rc == 0) {
			n++;
			ecs_engine_log(engine, ECS_LOG_INFO, "sweep: task %s: container %.12s deleted (%s, %s)", task,
				       c->id, reason, c->status ? c->status : "?");
		} else if (rc == ECS_ENOTFOUND) {
			/* Another deleter (the reaper, a sibling's sweep) got there first. */
			ecs_engine_log(engine, ECS_LOG_DEBUG, "sweep: task %s: container %.12s already gone", task,
				       c->id);
		} else {
			ecs_engine_log(engine, ECS_LOG_WARN, "sweep: task %s: container %.12s: delete failed (%s: %s)",
				       task, c->id, ecs_error_name(rc), ecs_engine_errmsg(engine));
		}
	}
	ecs_container_list_free(list, count);
	n += sweep_swarm(engine, opts, instance_dir, now);
	if (instance_dir != NULL)
		forget_dead_instances(engine, instance_dir, now);
	if (deleted != NULL)
		*deleted = n;
	return 0;
}
