/*
 * libecs: the warm pool (see <ecs/pool.h>). One mutex guards a list of
 * pools (entries); refill threads, each with its own engine handle, pick the
 * entry most in need, create and start one container outside the lock, and
 * put it on the entry's warm list. Tasks take from the warm lists (pool_take).
 */
#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include <ecs/ecs.h>
#include "agent_chan.h"
#include "clock.h"
#include "container_private.h"
#include "engine_private.h"
#include "http.h"
#include "image_private.h"
#include "ids.h"
#include "json_util.h"
#include "pool_private.h"
#include "profile_private.h"
#include "strvec.h"
#include "versioned.h"

/* A fixed pool's reference is inspected again this often: a moved tag shows. */
#define RESOLVE_EVERY_MS 5000.0
/*
 * ecs_pool_take_tag() trusts a fixed pool's resolution this long: a tag
 * that moves is seen within it, off the tasks' path. Twice the period, as
 * a refill thread may be in the middle of a create and start (seconds on a
 * loaded machine) when a resolution falls due; one held up longer sends
 * its tasks back to the inspect.
 */
#define TAG_FRESH_MS (2 * RESOLVE_EVERY_MS)
/* After a failed refill, an entry waits this long, doubling up to the max. */
#define BACKOFF_MIN_MS 500.0
#define BACKOFF_MAX_MS 30000.0
/* The refill threads look at TTLs and resolutions at least this often. */
#define TICK_MS 1000L
/*
 * A refill is a create and a start: a few hundred ms of the engine's,
 * containerd's and runc's CPU. Started the moment a task takes a warm
 * container, it competes with that task for the same cores (on 2 cores it
 * doubled a pooled task's run). So refills wait while pooled tasks run, as
 * long as the pool still has a warm container of the key, and for at most
 * this long after the first of them began: under a steady load they are
 * never starved.
 */
#define REFILL_DEFER_MAX_MS 250.0
/* Hex digits of the profile key in ECS_LABEL_POOL (after its "v1-"). */
#define POOL_LABEL_DIGITS 16
/*
 * A warm container and the task id it was made with: its ECS_LABEL_TASK_ID
 * label, which the task that takes it adopts (labels cannot change later).
 */
typedef struct {
	char *id;
	char task_id[ECS_POOL_TASK_ID_SIZE];
	double since;             /* when it got warm (ecs_clock_ms_f()) */
	int chan_fd;              /* its agent's direct channel (agent_chan.h), or -1: attach */
} warm_container;

/* A warm container leaves the pool (its id moved elsewhere): its channel closes, the agent then waits on stdin. */
static void warm_let_go(warm_container *w)
{
	if (w->chan_fd >= 0)
		close(w->chan_fd);
	w->chan_fd = -1;
}

/* A deep copy of a profile: the public struct borrows its strings. */
typedef struct {
	ecs_sandbox_profile p;
	char **caps;
	char **tmpfs;
	char *network, *user, *runtime;
} owned_profile;

typedef struct entry {
	struct entry *next;
	char *image;              /* reference it was set or missed by */
	char *image_id;           /* resolved id; NULL until then */
	char *repo_digest;        /* a fixed pool's: the reference's repository digest of image_id, or NULL */
	double resolved_at;       /* when the last resolution succeeded (ecs_clock_ms_f()); 0 for never */
	char **entrypoint;
	size_t entrypoint_len;
	char *working_dir;
	char *image_user;         /* the image's User ("" for none); with working_dir */
	int image_has_home;       /* the image's Env sets HOME */
	owned_profile prof;
	char key[ECS_SANDBOX_KEY_SIZE];
	char label[POOL_LABEL_DIGITS + 1];
	int fixed;
	int refused;              /* its agents refuse its tasks (ecs_pool_refused): never refilled */
	unsigned int target;
	warm_container *warm;     /* oldest first */
	unsigned int nwarm, capwarm;
	unsigned int starting;
	int resolving;
	double next_resolve, next_try, backoff;
	uint64_t hits, misses;
	time_t last_used;
	char *last_error;
	long long no_channel_until; /* ecs_clock_ms() before which its containers get no channel: one was
				       * refused or its agent did not come (0: offer) */
} entry;

struct ecs_pool {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	ecs_engine *engine;       /* holds the options copy; used by ecs_pool_free() */
	char *agent_path;
	char *channel_dir;        /* where the agents' direct channels listen; NULL: attach only */
	unsigned int budget, concurrency, adaptive_size, idle_ttl_s;
	ecs_reaper *reaper;
	entry *entries;
	int stopping;
	int check_warm;           /* a task found a warm container dead: look at them all */
	unsigned int in_flight;   /* pooled tasks between ecs_pool_take() and ecs_pool_task_done() */
	double in_flight_since;   /* when in_flight last went from 0 to 1 (ecs_clock_ms_f()) */
	pthread_t *threads;
	unsigned int nthreads;
	ecs_pool_stats stats;
};

/* ---- profiles */

static int str_dup(char **out, const char *s)
{
	*out = NULL;
	return s != NULL && (*out = strdup(s)) == NULL ? -1 : 0;
}

static void profile_clear(owned_profile *o)
{
	ecs_strv_free(o->caps, o->p.cap_add_len);
	ecs_strv_free(o->tmpfs, o->p.tmpfs_len);
	free(o->network);
	free(o->user);
	free(o->runtime);
	memset(o, 0, sizeof(*o));
}

static int profile_copy(owned_profile *o, const ecs_sandbox_profile *p)
{
	memset(o, 0, sizeof(*o));
	o->p = *p;
	if (ecs_strv_dup(&o->caps, p->cap_add, p->cap_add_len) != 0 || ecs_strv_dup(&o->tmpfs, p->tmpfs, p->tmpfs_len) != 0 ||
	    str_dup(&o->network, p->network) != 0 || str_dup(&o->user, p->user) != 0 ||
	    str_dup(&o->runtime, p->runtime) != 0) {
		o->p.cap_add_len = o->caps ? p->cap_add_len : 0;
		o->p.tmpfs_len = o->tmpfs ? p->tmpfs_len : 0;
		profile_clear(o);
		return ECS_ENOMEM;
	}
	o->p.cap_add = (const char *const *)o->caps;
	o->p.tmpfs = (const char *const *)o->tmpfs;
	o->p.network = o->network;
	o->p.user = o->user;
	o->p.runtime = o->runtime;
	return 0;
}

/* The key and label of @profile (NULL: the defaults). */
static int profile_key(char key[ECS_SANDBOX_KEY_SIZE], const ecs_sandbox_profile *profile)
{
	const ecs_sandbox_profile defaults = ECS_SANDBOX_PROFILE_INIT;

	return ecs_sandbox_profile_key(key, ECS_SANDBOX_KEY_SIZE, profile != NULL ? profile : &defaults);
}

/* ---- entries (all under the mutex) */

static void entry_free(entry *e)
{
	free(e->image);
	free(e->image_id);
	free(e->repo_digest);
	ecs_strv_free(e->entrypoint, e->entrypoint_len);
	free(e->working_dir);
	free(e->image_user);
	profile_clear(&e->prof);
	for (unsigned int i = 0; i < e->nwarm; i++) {
		warm_let_go(&e->warm[i]);
		free(e->warm[i].id);
	}
	free(e->warm);
	free(e->last_error);
	free(e);
}

static entry *entry_new(const char *image, const char *image_id, const ecs_sandbox_profile *profile,
			const char key[ECS_SANDBOX_KEY_SIZE])
{
	const ecs_sandbox_profile defaults = ECS_SANDBOX_PROFILE_INIT;
	entry *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return NULL;
	if (str_dup(&e->image, image) != 0 || str_dup(&e->image_id, image_id) != 0 ||
	    profile_copy(&e->prof, profile != NULL ? profile : &defaults) != 0) {
		entry_free(e);
		return NULL;
	}
	memcpy(e->key, key, ECS_SANDBOX_KEY_SIZE);
	/* "v1-" then hex */
	snprintf(e->label, sizeof(e->label), "%.*s", POOL_LABEL_DIGITS, strchr(key, '-') ? strchr(key, '-') + 1 : key);
	e->backoff = BACKOFF_MIN_MS;
	return e;
}

static unsigned int total_held(const ecs_pool *pool)
{
	unsigned int n = 0;

	for (const entry *e = pool->entries; e != NULL; e = e->next)
		n += e->nwarm + e->starting;
	return n;
}

/* Move the warm containers out of @e (to be deleted outside the lock). */
static void retire_warm(ecs_pool *pool, entry *e, ecs_strvec *ids)
{
	unsigned int moved = 0;

	while (moved < e->nwarm && ecs_strvec_push(ids, e->warm[moved].id) == 0)
		warm_let_go(&e->warm[moved++]);
	/* out of memory: the rest stay warm; the next round tries again */
	if (moved > 0 && moved < e->nwarm)
		memmove(e->warm, e->warm + moved, (e->nwarm - moved) * sizeof(*e->warm));
	e->nwarm -= moved;
	pool->stats.retired += moved;
	pool->stats.warm -= moved;
}

/* Keep no more warm than the target. */
static void trim_warm(ecs_pool *pool, entry *e, ecs_strvec *ids)
{
	while (e->nwarm > e->target) {
		if (ecs_strvec_push(ids, e->warm[e->nwarm - 1].id) != 0)
			return;
		warm_let_go(&e->warm[e->nwarm - 1]);
		e->nwarm--;
		pool->stats.retired++;
		pool->stats.warm--;
	}
}

static void set_error(entry *e, const char *msg)
{
	free(e->last_error);
	e->last_error = strdup(msg != NULL && msg[0] ? msg : "failed");
}

/* Forget what is empty and unwanted; count the pools. */
static void collect(ecs_pool *pool, ecs_strvec *ids)
{
	entry **pp = &pool->entries;
	time_t now = time(NULL);
	unsigned int n = 0;

	while (*pp != NULL) {
		entry *e = *pp;

		if (!e->fixed && e->target > 0 && e->starting == 0 && e->last_used + (time_t)pool->idle_ttl_s < now)
			e->target = 0;
		trim_warm(pool, e, ids);
		if (e->target == 0 && e->nwarm == 0 && e->starting == 0 && !e->resolving) {
			*pp = e->next;
			entry_free(e);
			continue;
		}
		n++;
		pp = &e->next;
	}
	pool->stats.pools = n;
}

/* ---- engine work (outside the lock) */

/* Hand a container to the reaper, or delete it now. */
static void drop(ecs_pool *pool, ecs_engine *engine, const char *id)
{
	int rc;

	if (pool->reaper != NULL && ecs_reaper_enqueue(pool->reaper, id) == 0)
		return;
	rc = ecs_container_delete(engine, id);
	if (rc != 0 && rc != ECS_ENOTFOUND)
		ecs_engine_log(engine, ECS_LOG_WARN, "pool: container %.12s: delete failed (%s: %s); the sweep will remove it",
			       id, ecs_error_name(rc), ecs_engine_errmsg(engine));
}

static void drop_all(ecs_pool *pool, ecs_engine *engine, ecs_strvec *ids, const char *why)
{
	for (size_t i = 0; i < ids->n; i++) {
		ecs_engine_log(engine, ECS_LOG_INFO, "pool: container %.12s: retired (%s)", ids->v[i], why);
		drop(pool, engine, ids->v[i]);
	}
	ecs_strvec_clear(ids);
}

/* What the image gives a fresh container besides its id, Entrypoint and WorkingDir. */
typedef struct {
	char *user;        /* Config.User, "" for none */
	int has_home;      /* Config.Env has HOME */
	char *repo_digest; /* of @ref's repository (a fixed pool's reference), or NULL */
} image_extra;

/*
 * What the engine would take from the image for a fresh container: its id,
 * Entrypoint, WorkingDir, User, HOME; with @ref (a fixed pool's reference,
 * parsed), its repository digest too.
 */
static int resolve(ecs_engine *engine, const char *image, const ecs_image_ref *ref, char **id, char ***entrypoint,
		   size_t *entrypoint_len, char **working_dir, image_extra *extra)
{
	ecs_image_info info = ECS_IMAGE_INFO_INIT;
	int rc = ecs_image_inspect_ref(&info, engine, image, ref);

	if (rc != 0)
		return rc;
	extra->repo_digest = info.repo_digest;
	*id = info.id;
	*working_dir = info.working_dir;
	*entrypoint = info.entrypoint;
	*entrypoint_len = info.entrypoint_len;
	extra->user = info.user;
	extra->has_home = info.has_home;
	return 0;
}

/* 1 when the agent file is not there on a local engine (ecs_container_agent_missing()). */
static int agent_missing(const ecs_pool *pool, const ecs_engine *engine)
{
	return ecs_container_agent_missing(engine, pool->agent_path);
}

/*
 * Create and start one pooled container labelled with the new task id
 * @task_id; its id or NULL (the handle says why). With @offer, *@chan_fd
 * gets its agent's direct channel or -1; @chan_missed (@missed_len bytes)
 * says why when one was offered and not taken (the engine refused its
 * mount, or the agent did not come), else "".
 */
static char *make_one(ecs_pool *pool, ecs_engine *engine, const entry *e, const char *image_id,
		      char task_id[ECS_POOL_TASK_ID_SIZE], int offer, int *chan_fd, char *chan_missed, size_t missed_len)
{
	ecs_container_spec cs = ECS_CONTAINER_SPEC_INIT;
	/* the task's user as the engine would take it: the profile's, else the image's */
	ecs_container_agent agent = { pool->agent_path, e->label,
				      e->prof.p.user != NULL ? e->prof.p.user : e->image_user, !e->image_has_home, 0,
				      NULL };
	ecs_agent_chan *ch;
	char *id = NULL, who[160];
	int rc;

	*chan_fd = -1;
	chan_missed[0] = '\0';
	if (agent_missing(pool, engine)) {
		ecs_engine_fail(engine, ECS_EINVAL, "pool: no ecs-agent at %s", pool->agent_path);
		return NULL;
	}
	if (ecs_id_generate(task_id, ECS_POOL_TASK_ID_SIZE) != 0) {
		ecs_engine_fail(engine, ECS_ERROR, "pool: cannot generate an id");
		return NULL;
	}
	cs.run.image = image_id;
	cs.task_id = task_id;
	cs.profile = &e->prof.p;
	cs.image_working_dir = e->working_dir;
	cs.open_stdin = 1;
	cs.attach_output = 1;
	snprintf(who, sizeof(who), "pool %s", e->label);
	/* not @offer: the key's channels are paused */
	ch = offer ? ecs_container_chan_offer(engine, pool->channel_dir, &e->prof.p, task_id, who) : NULL;
	rc = ecs_container_create_agent_offering(&id, engine, &cs, &agent, &ch, chan_missed, missed_len);
	if (rc != 0) {
		ecs_agent_chan_free(ch);
		return NULL;
	}
	rc = ecs_container_start(engine, id);
	if (rc != 0) {
		char msg[sizeof(engine->errmsg)];

		ecs_agent_chan_free(ch);
		snprintf(msg, sizeof(msg), "%s", ecs_engine_errmsg(engine));
		drop(pool, engine, id);
		free(id);
		ecs_engine_fail(engine, rc, "%s", msg);
		return NULL;
	}
	if (ch != NULL) {
		*chan_fd = ecs_agent_chan_accept(ch, id, ecs_clock_ms() + ECS_AGENT_CHAN_WAIT_MS);
		if (*chan_fd < 0)
			snprintf(chan_missed, missed_len, "no agent came on its direct channel within %d ms",
				 ECS_AGENT_CHAN_WAIT_MS);
		ecs_agent_chan_free(ch);
	}
	return id;
}

/* Never resolved, or a fixed pool whose tag may have moved since. */
static int resolve_due(const entry *e, double now)
{
	return e->working_dir == NULL || (e->fixed && e->next_resolve <= now);
}

/* How much @e is asked for: the tasks it served, then the ones it missed. */
static int busier(const entry *a, const entry *b)
{
	return a->hits != b->hits ? a->hits > b->hits : a->misses > b->misses;
}

/*
 * The budget is full and @want, a pool that served tasks, needs a container:
 * take the slots of the adaptive pool that never served one (the least
 * missed of them), so that one-off profiles never hold the common one cold.
 * Its warm containers go to @ids; it is dropped. 1 when slots were freed.
 */
static int evict_for(ecs_pool *pool, const entry *want, ecs_strvec *ids)
{
	entry *victim = NULL;

	if (want->hits == 0)
		return 0;
	for (entry *e = pool->entries; e != NULL; e = e->next) {
		if (e == want || e->fixed || e->hits > 0 || e->nwarm == 0)
			continue;
		if (victim == NULL || busier(victim, e))
			victim = e;
	}
	if (victim == NULL)
		return 0;
	victim->target = 0;
	retire_warm(pool, victim, ids);
	return 1;
}

/*
 * The entry most in need of a container, or one due a resolution; NULL for
 * none. Fixed pools first, then the busiest: list order (newest first)
 * would let a burst of one-off profiles take every refill.
 */
static entry *pick(ecs_pool *pool, double now, int *resolve_it, int *deferred, ecs_strvec *ids)
{
	unsigned int held = total_held(pool);
	int defer = pool->in_flight > 0 && now - pool->in_flight_since < REFILL_DEFER_MAX_MS;
	entry *best = NULL;

	*resolve_it = 0;
	*deferred = 0;
	for (int fixed = 1; fixed >= 0 && best == NULL; fixed--) {
		for (entry *e = pool->entries; e != NULL; e = e->next) {
			if (e->fixed != fixed || e->resolving || e->target == 0 || e->next_try > now || e->refused)
				continue;
			if (resolve_due(e, now)) {
				*resolve_it = 1;
				return e;
			}
			if (e->nwarm + e->starting >= e->target)
				continue;
			/* a key with no warm container left would miss: refill it even while tasks run */
			if (defer && e->nwarm > 0) {
				*deferred = 1;
				continue;
			}
			if (best == NULL || busier(e, best))
				best = e;
		}
	}
	if (best == NULL || held < pool->budget)
		return best;
	return evict_for(pool, best, ids) ? best : NULL;
}

static void resolve_entry(ecs_pool *pool, ecs_engine *engine, entry *e, ecs_strvec *ids)
{
	/* a fixed pool follows its reference; an adaptive one is pinned to the id that missed */
	const char *what = e->fixed || e->image_id == NULL ? e->image : e->image_id;
	char *ref = strdup(what), *id = NULL, *wd = NULL, **ep = NULL;
	image_extra extra = { NULL, 0, NULL };
	ecs_image_ref parsed;
	int fixed = e->fixed, have_parsed = 0;
	size_t eplen = 0;
	int rc;

	e->resolving = 1;
	pthread_mutex_unlock(&pool->mu);
	/* set_size() parsed a fixed pool's reference already: this cannot fail but for memory */
	if (ref != NULL && fixed)
		have_parsed = ecs_image_ref_parse(&parsed, ref) == 0;
	rc = ref != NULL ? resolve(engine, ref, have_parsed ? &parsed : NULL, &id, &ep, &eplen, &wd, &extra)
			 : ECS_ENOMEM;
	if (have_parsed)
		ecs_image_ref_clear(&parsed);
	pthread_mutex_lock(&pool->mu);
	e->resolving = 0;
	if (rc != 0) {
		ecs_engine_log(engine, ECS_LOG_WARN, "pool %s (%s): cannot inspect the image (%s: %s)", e->label, ref,
			       ecs_error_name(rc), ecs_engine_errmsg(engine));
		set_error(e, ecs_engine_errmsg(engine));
		e->next_try = ecs_clock_ms_f() + e->backoff;
		e->backoff = e->backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : e->backoff * 2;
		free(ref);
		return;
	}
	free(ref);
	e->next_resolve = ecs_clock_ms_f() + RESOLVE_EVERY_MS;
	if (e->image_id != NULL && strcmp(e->image_id, id) != 0) {
		ecs_engine_log(engine, ECS_LOG_INFO, "pool %s (%s): the image moved from %.19s to %.19s; retiring %u",
			       e->label, e->image, e->image_id, id, e->nwarm);
		retire_warm(pool, e, ids);
	}
	free(e->image_id);
	free(e->repo_digest);
	free(e->working_dir);
	free(e->image_user);
	ecs_strv_free(e->entrypoint, e->entrypoint_len);
	e->image_id = id;
	e->repo_digest = extra.repo_digest;
	e->resolved_at = ecs_clock_ms_f();
	e->working_dir = wd;
	e->image_user = extra.user;
	e->image_has_home = extra.has_home;
	e->entrypoint = ep;
	e->entrypoint_len = eplen;
}

static int push_warm(ecs_pool *pool, entry *e, char *id, const char *task_id, int chan_fd)
{
	if (e->nwarm == e->capwarm) {
		unsigned int cap = e->capwarm ? e->capwarm * 2 : 4;
		warm_container *grown = realloc(e->warm, cap * sizeof(*grown));

		if (grown == NULL)
			return -1;
		e->warm = grown;
		e->capwarm = cap;
	}
	e->warm[e->nwarm].id = id;
	e->warm[e->nwarm].chan_fd = chan_fd;
	e->warm[e->nwarm].since = ecs_clock_ms_f();
	snprintf(e->warm[e->nwarm].task_id, sizeof(e->warm[e->nwarm].task_id), "%s", task_id);
	e->nwarm++;
	pool->stats.warm++;
	return 0;
}

static void refill_entry(ecs_pool *pool, ecs_engine *engine, entry *e)
{
	char *image_id = strdup(e->image_id);
	double t0 = ecs_clock_ms_f(), ms;
	char task_id[ECS_POOL_TASK_ID_SIZE] = "";
	char *id;
	char chan_missed[sizeof(engine->errmsg) + 64] = "";
	int chan_fd = -1;
	int offer = ecs_clock_ms() >= e->no_channel_until;

	e->starting++;
	pool->stats.starting++;
	pthread_mutex_unlock(&pool->mu);
	id = image_id != NULL ? make_one(pool, engine, e, image_id, task_id, offer, &chan_fd, chan_missed, sizeof(chan_missed))
				: NULL;
	ms = ecs_clock_ms_f() - t0;
	pthread_mutex_lock(&pool->mu);
	e->starting--;
	pool->stats.starting--;
	/* a refill that started before another paused the key's channels says nothing more */
	if (chan_missed[0] != '\0' && ecs_clock_ms() >= e->no_channel_until) {
		e->no_channel_until = ecs_clock_ms() + ECS_AGENT_CHAN_RETRY_MS;
		ecs_engine_log(engine, ECS_LOG_WARN, "pool %s (%s): %s (%s): this pool's containers use the attach "
			       "stream for %d s", e->label, e->image, chan_missed, pool->channel_dir,
			       ECS_AGENT_CHAN_RETRY_MS / 1000);
	}
	if (id == NULL) {
		pool->stats.refill_failures++;
		set_error(e, ecs_engine_errmsg(engine));
		ecs_engine_log(engine, ECS_LOG_WARN, "pool %s (%s): refill failed after %.1f ms: %s", e->label, e->image,
			       ms, ecs_engine_errmsg(engine));
		e->next_try = ecs_clock_ms_f() + e->backoff;
		e->backoff = e->backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : e->backoff * 2;
	} else if (e->refused || e->image_id == NULL || strcmp(e->image_id, image_id) != 0 ||
		   e->nwarm >= e->target || push_warm(pool, e, id, task_id, chan_fd) != 0) {
		/* refused, the image moved or the target fell while it started: not wanted any more */
		if (chan_fd >= 0)
			close(chan_fd);
		pool->stats.retired++;
		pthread_mutex_unlock(&pool->mu);
		drop(pool, engine, id);
		free(id);
		pthread_mutex_lock(&pool->mu);
	} else {
		/* an adaptive pool's idle time counts from its last take, or from when it got ready */
		if (!e->fixed && e->hits == 0)
			e->last_used = time(NULL);
		pool->stats.refills++;
		pool->stats.refill_ms_sum += ms;
		if (ms > pool->stats.refill_ms_max)
			pool->stats.refill_ms_max = ms;
		e->backoff = BACKOFF_MIN_MS;
		ecs_engine_log(engine, ECS_LOG_DEBUG, "pool %s (%s): container %.12s warm in %.1f ms (%u/%u)%s", e->label,
			       e->image, id, ms, e->nwarm, e->target, chan_fd >= 0 ? ", direct channel" : "");
	}
	free(image_id);
}

static int listed_running(const ecs_container_info *list, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i].id, id) == 0)
			return list[i].status != NULL && strcmp(list[i].status, "running") == 0;
	return 0;
}

/*
 * Retire the warm containers that no longer run (the engine restarted, or
 * someone killed them), so that tasks stop taking them. One list call; what
 * got warm while it ran is kept.
 */
static void check_warm(ecs_pool *pool, ecs_engine *engine, ecs_strvec *ids)
{
	const char *const filters[] = { ECS_LABEL_POOL };
	ecs_container_info *list = NULL;
	double t0 = ecs_clock_ms_f();
	unsigned int dead = 0;
	size_t n = 0;
	int rc;

	pthread_mutex_unlock(&pool->mu);
	rc = ecs_container_list(&list, &n, engine, filters, 1);
	pthread_mutex_lock(&pool->mu);
	if (rc != 0) {
		ecs_engine_log(engine, ECS_LOG_WARN, "pool: cannot list the warm containers (%s: %s)", ecs_error_name(rc),
			       ecs_engine_errmsg(engine));
		return;
	}
	for (entry *e = pool->entries; e != NULL; e = e->next) {
		unsigned int kept = 0;

		for (unsigned int i = 0; i < e->nwarm; i++) {
			if (e->warm[i].since >= t0 || listed_running(list, n, e->warm[i].id) ||
			    ecs_strvec_push(ids, e->warm[i].id) != 0) {
				e->warm[kept++] = e->warm[i];
				continue;
			}
			warm_let_go(&e->warm[i]);
			pool->stats.retired++;
			pool->stats.warm--;
			dead++;
		}
		e->nwarm = kept;
	}
	ecs_container_list_free(list, n);
	if (dead > 0)
		ecs_engine_log(engine, ECS_LOG_WARN, "pool: %u warm containers no longer ran; retired", dead);
}

void ecs_pool_check_warm(ecs_pool *pool)
{
	pthread_mutex_lock(&pool->mu);
	pool->check_warm = 1;
	pthread_cond_broadcast(&pool->cond);
	pthread_mutex_unlock(&pool->mu);
}

static void *refill_thread(void *arg)
{
	ecs_pool *pool = arg;
	ecs_engine *engine = NULL;

	if (ecs_engine_new(&engine, ecs_engine_options_get(pool->engine)) != 0)
		return NULL;
	pthread_mutex_lock(&pool->mu);
	while (!pool->stopping) {
		ecs_strvec ids = ECS_STRVEC_INIT;
		int resolve_it, deferred;
		entry *e;

		if (pool->check_warm) {
			pool->check_warm = 0;
			check_warm(pool, engine, &ids);
		}
		collect(pool, &ids);
		e = pick(pool, ecs_clock_ms_f(), &resolve_it, &deferred, &ids);
		if (e != NULL && resolve_it)
			resolve_entry(pool, engine, e, &ids);
		else if (e != NULL)
			refill_entry(pool, engine, e);
		if (ids.n > 0) {
			pthread_mutex_unlock(&pool->mu);
			drop_all(pool, engine, &ids, "not wanted");
			pthread_mutex_lock(&pool->mu);
		} else {
			ecs_strvec_clear(&ids);
		}
		if (e == NULL && !pool->stopping) {
			/* a deferred refill is due when the tasks end (a broadcast) or the deferral runs out */
			long wait_ms = deferred ? (long)REFILL_DEFER_MAX_MS : TICK_MS;
			struct timespec until;

			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += wait_ms / 1000;
			until.tv_nsec += (wait_ms % 1000) * 1000000L;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&pool->cond, &pool->mu, &until);
		}
	}
	pthread_mutex_unlock(&pool->mu);
	ecs_engine_free(engine);
	return NULL;
}

/* ---- the public calls */

/*
 * Make @dir (0711: the agents pass, nobody lists) for the direct channels
 * of a local engine's containers; another engine's host cannot see it, so
 * it stays unused. 0, or -1 with the reason logged.
 */
static int pool_channel_dir(ecs_pool *pool, const char *dir)
{
	if (pool->engine->socket_path == NULL)
		return 0;
	if ((mkdir(dir, 0711) != 0 && errno != EEXIST) || chmod(dir, 0711) != 0) {
		ecs_engine_log(pool->engine, ECS_LOG_ERROR, "pool: cannot make %s for the agents' channels: %s", dir,
			       strerror(errno));
		return -1;
	}
	pool->channel_dir = strdup(dir);
	return pool->channel_dir != NULL ? 0 : -1;
}

/* Bytes of each version of ecs_pool_options a caller may hold. */
static const size_t options_sizes[] = {
	[1] = offsetof(ecs_pool_options, channel_dir),
	[ECS_POOL_OPTIONS_VERSION] = sizeof(ecs_pool_options),
};

int ecs_pool_new(ecs_pool **out, const ecs_pool_options *caller)
{
	static const ecs_pool_options defaults = ECS_POOL_OPTIONS_INIT;
	ecs_pool_options current;
	const ecs_pool_options *opts = &current;
	ecs_pool *pool;
	int rc;

	if (out == NULL)
		return ECS_EINVAL;
	*out = NULL;
	if (caller == NULL || ecs_versioned_copy(&current, sizeof(current), &defaults, caller, options_sizes,
						 sizeof(options_sizes) / sizeof(options_sizes[0])) != 0)
		return ECS_EINVAL;
	if (opts->budget > ECS_POOL_MAX_SIZE || opts->adaptive_size > ECS_POOL_MAX_SIZE || opts->concurrency > 64 ||
	    (opts->agent_path != NULL && opts->agent_path[0] != '/') ||
	    (opts->channel_dir != NULL && opts->channel_dir[0] != '/'))
		return ECS_EINVAL;
	if ((pool = calloc(1, sizeof(*pool))) == NULL)
		return ECS_ENOMEM;
	pthread_mutex_init(&pool->mu, NULL);
	pthread_cond_init(&pool->cond, NULL);
	pool->budget = opts->budget ? opts->budget : ECS_POOL_DEFAULT_BUDGET;
	pool->concurrency = opts->concurrency ? opts->concurrency : ECS_POOL_DEFAULT_CONCURRENCY;
	pool->adaptive_size = opts->adaptive_size;
	pool->idle_ttl_s = opts->idle_ttl_s ? opts->idle_ttl_s : ECS_POOL_DEFAULT_IDLE_TTL_S;
	pool->reaper = opts->reaper;
	rc = ecs_engine_new(&pool->engine, &opts->engine);
	if (rc != 0)
		goto fail;
	rc = ECS_ENOMEM;
	pool->agent_path = strdup(opts->agent_path != NULL ? opts->agent_path : pool->engine->agent_path);
	pool->threads = calloc(pool->concurrency, sizeof(pthread_t));
	if (pool->agent_path == NULL || pool->threads == NULL)
		goto fail;
	if (opts->channel_dir != NULL && pool_channel_dir(pool, opts->channel_dir) != 0) {
		rc = ECS_ERROR;
		goto fail;
	}
	for (; pool->nthreads < pool->concurrency; pool->nthreads++) {
		if (pthread_create(&pool->threads[pool->nthreads], NULL, refill_thread, pool) != 0) {
			rc = ECS_ERROR;
			goto fail;
		}
	}
	*out = pool;
	return 0;
fail:
	ecs_pool_free(pool);
	return rc;
}

static entry *find_fixed(ecs_pool *pool, const char *image, const char *key)
{
	for (entry *e = pool->entries; e != NULL; e = e->next)
		if (e->fixed && strcmp(e->image, image) == 0 && strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

int ecs_pool_set_size(ecs_pool *pool, const char *image, const ecs_sandbox_profile *profile, unsigned int size)
{
	char key[ECS_SANDBOX_KEY_SIZE];
	ecs_image_ref ref;
	entry *e;
	int rc;

	if (pool == NULL || image == NULL || size > ECS_POOL_MAX_SIZE)
		return ECS_EINVAL;
	rc = ecs_image_ref_parse(&ref, image);
	ecs_image_ref_clear(&ref);
	if (rc != 0)
		return rc == ECS_ENOMEM ? rc : ECS_EINVAL;
	if ((rc = profile_key(key, profile)) != 0)
		return rc;
	if (size > 0 && agent_missing(pool, pool->engine)) {
		ecs_engine_log(pool->engine, ECS_LOG_ERROR, "pool %s: no ecs-agent at %s: no warm container can start",
			       image, pool->agent_path);
		return ECS_ENOTFOUND;
	}
	if (profile != NULL && !ecs_profile_poolable(profile)) {
		ecs_engine_log(pool->engine, ECS_LOG_WARN,
			       "pool %s: no warm containers: the profile's capabilities would let a task reach ecs-agent; "
			       "its tasks run cold", image);
		return 0;
	}
	pthread_mutex_lock(&pool->mu);
	e = find_fixed(pool, image, key);
	if (e == NULL && size > 0) {
		if ((e = entry_new(image, NULL, profile, key)) == NULL) {
			pthread_mutex_unlock(&pool->mu);
			return ECS_ENOMEM;
		}
		e->fixed = 1;
		e->next = pool->entries;
		pool->entries = e;
	}
	if (e != NULL) {
		e->target = size;
		e->refused = 0; /* set again: try again (an agent of a newer ecs may take its tasks) */
		if (size == 0)
			e->fixed = 0; /* forgotten by the next round once empty */
		e->next_try = 0;
	}
	pthread_cond_broadcast(&pool->cond);
	pthread_mutex_unlock(&pool->mu);
	return 0;
}

/*
 * An empty lease and the key of @profile; ECS_ENOTFOUND for a task whose
 * capabilities reach the agent: it never meets one (cold, and no adaptive
 * pool for it).
 */
static int take_key(ecs_pool_lease *out, char key[ECS_SANDBOX_KEY_SIZE], const ecs_sandbox_profile *profile)
{
	int rc;

	memset(out, 0, sizeof(*out));
	out->chan_fd = -1;
	if ((rc = profile_key(key, profile)) != 0)
		return rc;
	return profile != NULL && !ecs_profile_poolable(profile) ? ECS_ENOTFOUND : 0;
}

/* Hand @e's oldest warm container to @out, counted as a hit; 0 or ECS_ENOMEM (then nothing moved). Under the lock. */
static int lease_oldest(ecs_pool_lease *out, ecs_pool *pool, entry *e)
{
	if ((out->image_id = strdup(e->image_id)) == NULL ||
	    (e->repo_digest != NULL && (out->repo_digest = strdup(e->repo_digest)) == NULL) ||
	    ecs_strv_dup(&out->entrypoint, (const char *const *)e->entrypoint, e->entrypoint_len) != 0)
		return ECS_ENOMEM;
	out->entrypoint_len = e->entrypoint_len;
	out->container_id = e->warm[0].id;
	out->chan_fd = e->warm[0].chan_fd;
	memcpy(out->task_id, e->warm[0].task_id, sizeof(out->task_id));
	memmove(e->warm, e->warm + 1, (e->nwarm - 1) * sizeof(*e->warm));
	e->nwarm--;
	pool->stats.warm--;
	e->hits++;
	e->last_used = time(NULL);
	pool->stats.hits++;
	if (pool->in_flight++ == 0)
		pool->in_flight_since = ecs_clock_ms_f();
	return 0;
}

int ecs_pool_take_tag(ecs_pool_lease *out, ecs_pool *pool, const char *image_ref, const ecs_sandbox_profile *profile)
{
	char key[ECS_SANDBOX_KEY_SIZE];
	double now = ecs_clock_ms_f();
	int rc;

	if ((rc = take_key(out, key, profile)) != 0)
		return rc;
	rc = ECS_ENOTFOUND;
	pthread_mutex_lock(&pool->mu);
	for (entry *e = pool->entries; e != NULL; e = e->next) {
		if (!e->fixed || e->refused || e->nwarm == 0 || e->image_id == NULL || e->working_dir == NULL ||
		    now - e->resolved_at > TAG_FRESH_MS || strcmp(e->key, key) != 0 || strcmp(e->image, image_ref) != 0)
			continue;
		rc = lease_oldest(out, pool, e);
		if (rc == 0)
			pthread_cond_broadcast(&pool->cond);
		break;
	}
	pthread_mutex_unlock(&pool->mu);
	if (rc == ECS_ENOMEM)
		ecs_pool_lease_clear(out);
	return rc;
}

int ecs_pool_take(ecs_pool_lease *out, ecs_pool *pool, const char *image_ref, const char *image_id,
		  const ecs_sandbox_profile *profile)
{
	char key[ECS_SANDBOX_KEY_SIZE];
	entry *match = NULL, *seen = NULL;
	int rc;

	if ((rc = take_key(out, key, profile)) != 0)
		return rc;
	pthread_mutex_lock(&pool->mu);
	for (entry *e = pool->entries; e != NULL; e = e->next) {
		int same_id = e->image_id != NULL && strcmp(e->image_id, image_id) == 0;

		if (strcmp(e->key, key) != 0)
			continue;
		if (e->fixed && strcmp(e->image, image_ref) == 0 && e->image_id != NULL && !same_id) {
			/* The task saw the tag at another image: resolve now (that retires the old ones). */
			e->next_resolve = 0;
			seen = e;
		} else if (same_id && e->working_dir != NULL) {
			if (match == NULL || e->nwarm > match->nwarm)
				match = e;
		} else if (same_id || (e->fixed && strcmp(e->image, image_ref) == 0)) {
			seen = e; /* not resolved yet */
		}
	}
	if (match == NULL)
		match = seen;
	if (match != NULL && match->nwarm > 0 && match != seen) {
		rc = lease_oldest(out, pool, match);
		goto out;
	}
	rc = ECS_ENOTFOUND;
	pool->stats.misses++;
	if (match != NULL) {
		match->misses++;
		match->last_used = time(NULL);
	} else if (pool->adaptive_size > 0) {
		entry *e = entry_new(image_ref, image_id, profile, key);

		if (e != NULL) {
			e->target = pool->adaptive_size;
			e->misses = 1;
			e->last_used = time(NULL);
			e->next = pool->entries;
			pool->entries = e;
		}
	}
out:
	pthread_cond_broadcast(&pool->cond);
	pthread_mutex_unlock(&pool->mu);
	if (rc == ECS_ENOMEM)
		ecs_pool_lease_clear(out);
	return rc;
}

void ecs_pool_task_done(ecs_pool *pool)
{
	pthread_mutex_lock(&pool->mu);
	if (pool->in_flight > 0 && --pool->in_flight == 0)
		pthread_cond_broadcast(&pool->cond); /* the deferred refills may go */
	pthread_mutex_unlock(&pool->mu);
}

void ecs_pool_refused(ecs_pool *pool, ecs_engine *engine, const char *image_id, const ecs_sandbox_profile *profile)
{
	char key[ECS_SANDBOX_KEY_SIZE];
	ecs_strvec ids = ECS_STRVEC_INIT;

	if (profile_key(key, profile) != 0)
		return;
	pthread_mutex_lock(&pool->mu);
	for (entry *e = pool->entries; e != NULL; e = e->next) {
		if (e->image_id == NULL || strcmp(e->image_id, image_id) != 0 || strcmp(e->key, key) != 0)
			continue;
		if (!e->refused) {
			e->refused = 1;
			set_error(e, "ecs-agent refuses the tasks of this pool (agent/PROTOCOL.md): they run cold");
			ecs_engine_log(engine, ECS_LOG_WARN, "pool %s (%s): its agents refuse its tasks; they run cold",
				       e->label, e->image);
		}
		retire_warm(pool, e, &ids); /* one starting now is dropped when it is ready */
	}
	pthread_mutex_unlock(&pool->mu);
	drop_all(pool, engine, &ids, "its agent refuses the tasks");
}

void ecs_pool_lease_clear(ecs_pool_lease *lease)
{
	if (lease == NULL)
		return;
	if (lease->chan_fd >= 0)
		close(lease->chan_fd);
	free(lease->container_id);
	free(lease->image_id);
	free(lease->repo_digest);
	ecs_strv_free(lease->entrypoint, lease->entrypoint_len);
	memset(lease, 0, sizeof(*lease));
	lease->chan_fd = -1;
}

void ecs_pool_stats_get(ecs_pool_stats *out, ecs_pool *pool)
{
	memset(out, 0, sizeof(*out));
	if (pool == NULL)
		return;
	pthread_mutex_lock(&pool->mu);
	*out = pool->stats;
	pthread_mutex_unlock(&pool->mu);
}

int ecs_pool_list(ecs_pool_entry **out, size_t *count, ecs_pool *pool)
{
	size_t n = 0, i = 0;
	ecs_pool_entry *list;

	if (out == NULL || count == NULL || pool == NULL)
		return ECS_EINVAL;
	*out = NULL;
	*count = 0;
	pthread_mutex_lock(&pool->mu);
	for (entry *e = pool->entries; e != NULL; e = e->next)
		n++;
	list = calloc(n ? n : 1, sizeof(*list));
	for (entry *e = pool->entries; list != NULL && e != NULL; e = e->next, i++) {
		ecs_pool_entry *l = &list[i];

		if (str_dup(&l->image, e->image) != 0 || str_dup(&l->image_id, e->image_id) != 0 ||
		    str_dup(&l->last_error, e->last_error) != 0) {
			ecs_pool_list_free(list, i + 1);
			list = NULL;
			break;
		}
		memcpy(l->key, e->key, sizeof(l->key));
		l->fixed = e->fixed;
		l->target = e->target;
		l->warm = e->nwarm;
		l->starting = e->starting;
		l->hits = e->hits;
		l->misses = e->misses;
		l->last_used = e->last_used;
	}
	pthread_mutex_unlock(&pool->mu);
	if (list == NULL)
		return ECS_ENOMEM;
	*out = list;
	*count = n;
	return 0;
}

void ecs_pool_list_free(ecs_pool_entry *list, size_t count)
{
	for (size_t i = 0; list != NULL && i < count; i++) {
		free(list[i].image);
		free(list[i].image_id);
		free(list[i].last_error);
	}
	free(list);
}

void ecs_pool_free(ecs_pool *pool)
{
	size_t n = 0;

	if (pool == NULL)
		return;
	pthread_mutex_lock(&pool->mu);
	pool->stopping = 1;
	pthread_cond_broadcast(&pool->cond);
	pthread_mutex_unlock(&pool->mu);
	for (unsigned int i = 0; i < pool->nthreads; i++)
		pthread_join(pool->threads[i], NULL);
	/* A clean stop leaves no pooled container: delete them now, not through a reaper about to stop. */
	while (pool->entries != NULL) {
		entry *e = pool->entries;

		pool->entries = e->next;
		for (unsigned int i = 0; i < e->nwarm && pool->engine != NULL; i++) {
			int rc = ecs_container_delete(pool->engine, e->warm[i].id);

			if (rc == 0)
				n++;
			else if (rc != ECS_ENOTFOUND)
				ecs_engine_log(pool->engine, ECS_LOG_WARN,
					       "pool: container %.12s: delete failed (%s: %s); the sweep will remove it",
					       e->warm[i].id, ecs_error_name(rc), ecs_engine_errmsg(pool->engine));
		}
		entry_free(e);
	}
	if (pool->engine != NULL && n > 0)
		ecs_engine_log(pool->engine, ECS_LOG_INFO, "pool: stopped, %zu warm containers deleted", n);
	ecs_engine_free(pool->engine);
	free(pool->threads);
	free(pool->agent_path);
	if (pool->channel_dir != NULL)
		(void)rmdir(pool->channel_dir);
	free(pool->channel_dir);
	pthread_cond_destroy(&pool->cond);
	pthread_mutex_destroy(&pool->mu);
	free(pool);
}
