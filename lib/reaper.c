/*
 * libecs: the reaper. Task runners hand it containers and return their
 * results at once; its own thread deletes them with its own engine handle,
 * retrying with backoff, and sweeps for orphans on a timer.
 */
#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ecs/ecs.h>
#include "engine_private.h"

#define DEFAULT_MIN_AGE_S 60u
#define DEFAULT_MAX_ATTEMPTS 8u
#define DEFAULT_RETRY_BASE_MS 100u
#define DEFAULT_DRAIN_TIMEOUT_MS 30000u
#define RETRY_CAP_MS 10000L

struct item {
	char *id;
	unsigned int attempts;
	struct timespec next_try;
	struct item *next;
};

struct ecs_reaper {
	pthread_mutex_t mu;
	pthread_cond_t work;     /* the thread: something to do, or stop */
	pthread_cond_t idle;     /* waiters: the queue became empty */
	pthread_t thread;
	ecs_engine *engine;      /* the thread's own */
	ecs_log_fn log;
	void *log_userdata;
	unsigned int sweep_interval_s;
	unsigned int sweep_min_age_s;
	unsigned int max_attempts;
	unsigned int retry_base_ms;
	unsigned int drain_timeout_ms;

	/* under mu */
	struct item *head;       /* in arrival order; retries keep their place */
	size_t queued;
	int inflight;            /* a deletion is running outside the lock */
	int stopping;
	int sweep_requested;
	struct timespec next_sweep;
	struct timespec drain_deadline;
	ecs_reaper_stats stats;
};

static struct timespec mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts;
}

static struct timespec ts_add_ms(struct timespec ts, long ms)
{
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

static int ts_before(struct timespec a, struct timespec b)
{
	return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}

static long backoff_ms(const ecs_reaper *r, unsigned int attempts)
{
	long ms = r->retry_base_ms;

	for (unsigned int i = 1; i < attempts && ms < RETRY_CAP_MS; i++)
		ms *= 2;
	return ms < RETRY_CAP_MS ? ms : RETRY_CAP_MS;
}

static void item_free(struct item *it)
{
	if (it != NULL) {
		free(it->id);
		free(it);
	}
}

/* The first item whose time has come; *earliest gets the soonest next_try otherwise. */
static struct item *take_ready(ecs_reaper *r, struct timespec now, struct timespec *earliest, int *have_earliest)
{
	struct item **pp;

	*have_earliest = 0;
	for (pp = &r->head; *pp != NULL; pp = &(*pp)->next) {
		struct item *it = *pp;

		if (!ts_before(now, it->next_try)) {
			*pp = it->next;
			it->next = NULL;
			return it;
		}
		if (!*have_earliest || ts_before(it->next_try, *earliest)) {
			*earliest = it->next_try;
			*have_earliest = 1;
		}
	}
	return NULL;
}

static void append(ecs_reaper *r, struct item *it)
{
	struct item **pp = &r->head;

	while (*pp != NULL)
		pp = &(*pp)->next;
	it->next = NULL;
	*pp = it;
}

static void signal_idle_if(ecs_reaper *r)
{
	if (r->queued == 0 && !r->inflight)
		pthread_cond_broadcast(&r->idle);
}

/* Called with mu held; drops it around the engine call. */
static void delete_one(ecs_reaper *r, struct item *it)
{
	struct timespec t0, t1;
	int rc;

	r->inflight = 1;
	pthread_mutex_unlock(&r->mu);
	t0 = mono_now();
	rc = ecs_container_delete(r->engine, it->id);
	t1 = mono_now();
	it->attempts++;
	if (rc == 0) {
		ecs_log_to(r->log, r->log_userdata, ECS_LOG_DEBUG, "reaper: container %.12s deleted in %.1f ms",
			   it->id, (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	} else if (rc == ECS_ENOTFOUND) {
		ecs_log_to(r->log, r->log_userdata, ECS_LOG_DEBUG, "reaper: container %.12s already gone", it->id);
	} else if (it->attempts >= r->max_attempts) {
		ecs_log_to(r->log, r->log_userdata, ECS_LOG_ERROR,
			   "reaper: container %.12s: giving up after %u attempts (%s: %s); the sweep will find it",
			   it->id, it->attempts, ecs_error_name(rc), ecs_engine_errmsg(r->engine));
	} else {
		ecs_log_to(r->log, r->log_userdata, ECS_LOG_WARN,
			   "reaper: container %.12s: delete attempt %u failed (%s: %s); retrying in %ld ms", it->id,
			   it->attempts, ecs_error_name(rc), ecs_engine_errmsg(r->engine), backoff_ms(r, it->attempts));
	}
	pthread_mutex_lock(&r->mu);
	r->inflight = 0;
	if (rc == 0 || rc == ECS_ENOTFOUND) {
		r->queued--;
		r->stats.deleted++;
		item_free(it);
	} else if (it->attempts >= r->max_attempts) {
		r->queued--;
		r->stats.failed++;
		item_free(it);
	} else {
		r->stats.retries++;
		it->next_try = ts_add_ms(mono_now(), backoff_ms(r, it->attempts));
		append(r, it);
	}
	signal_idle_if(r);
}

/* Called with mu held; drops it around the sweep. */
static void sweep_once(ecs_reaper *r)
{
	ecs_sweep_options so = ECS_SWEEP_OPTIONS_INIT;
	size_t n = 0;
	int rc;

	so.min_age_s = r->sweep_min_age_s;
	r->inflight = 1;
	pthread_mutex_unlock(&r->mu);
	rc = ecs_sweep(&n, r->engine, &so);
	if (rc == 0 && n > 0)
		ecs_log_to(r->log, r->log_userdata, ECS_LOG_INFO, "reaper: sweep deleted %zu orphaned container(s)", n);
	pthread_mutex_lock(&r->mu);
	r->inflight = 0;
	r->stats.sweeps++;
	r->stats.swept += n;
	signal_idle_if(r);
}

static void *reaper_main(void *arg)
{
	ecs_reaper *r = arg;

	pthread_mutex_lock(&r->mu);
	for (;;) {
		struct timespec now = mono_now(), wake, earliest;
		int have_wake = 0, have_earliest;
		struct item *it;

		if (r->stopping && (r->head == NULL || !ts_before(now, r->drain_deadline)))
			break;
		if (!r->stopping &&
		    (r->sweep_requested || (r->sweep_interval_s > 0 && !ts_before(now, r->next_sweep)))) {
			r->sweep_requested = 0;
			sweep_once(r);
			if (r->sweep_interval_s > 0)
				r->next_sweep = ts_add_ms(mono_now(), (long)r->sweep_interval_s * 1000L);
			continue;
		}
		it = take_ready(r, now, &earliest, &have_earliest);
		if (it != NULL) {
			delete_one(r, it);
			continue;
		}
		if (have_earliest) {
			wake = earliest;
			have_wake = 1;
		}
		if (r->stopping) {
			if (!have_wake || ts_before(r->drain_deadline, wake))
				wake = r->drain_deadline;
			have_wake = 1;
		} else if (r->sweep_interval_s > 0) {
			if (!have_wake || ts_before(r->next_sweep, wake))
				wake = r->next_sweep;
			have_wake = 1;
		}
		if (have_wake)
			pthread_cond_timedwait(&r->work, &r->mu, &wake);
		else
			pthread_cond_wait(&r->work, &r->mu);
	}
	/* The drain ran out of time: what is left is the sweep's (deadline labels). */
	while (r->head != NULL) {
		struct item *it = r->head;

		r->head = it->next;
		r->queued--;
		r->stats.failed++;
		ecs_log_to(r->log, r->log_userdata, ECS_LOG_ERROR,
			   "reaper: container %.12s left behind at shutdown (drain timed out)", it->id);
		item_free(it);
	}
	signal_idle_if(r);
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

static int cond_init_monotonic(pthread_cond_t *c)
{
	pthread_condattr_t attr;
	int rc;

	if (pthread_condattr_init(&attr) != 0)
		return -1;
	rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (rc == 0)
		rc = pthread_cond_init(c, &attr);
	pthread_condattr_destroy(&attr);
	return rc == 0 ? 0 : -1;
}

int ecs_reaper_new(ecs_reaper **out, const ecs_reaper_options *opts)
{
	ecs_reaper *r;
	int rc, have_work = 0, have_idle = 0, have_mu = 0;

	if (out == NULL)
		return ECS_EINVAL;
	*out = NULL;
	if (opts == NULL || opts->version != ECS_REAPER_OPTIONS_VERSION)
		return ECS_EINVAL;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return ECS_ENOMEM;
	r->log = opts->engine.log;
	r->log_userdata = opts->engine.log_userdata;
	r->sweep_interval_s = opts->sweep_interval_s;
	r->sweep_min_age_s = opts->sweep_min_age_s ? opts->sweep_min_age_s : DEFAULT_MIN_AGE_S;
	r->max_attempts = opts->max_attempts ? opts->max_attempts : DEFAULT_MAX_ATTEMPTS;
	r->retry_base_ms = opts->retry_base_ms ? opts->retry_base_ms : DEFAULT_RETRY_BASE_MS;
	r->drain_timeout_ms = opts->drain_timeout_ms ? opts->drain_timeout_ms : DEFAULT_DRAIN_TIMEOUT_MS;
	rc = ecs_engine_new(&r->engine, &opts->engine);
	if (rc != 0)
		goto fail;
	rc = ECS_ERROR;
	if (pthread_mutex_init(&r->mu, NULL) != 0)
		goto fail;
	have_mu = 1;
	if (cond_init_monotonic(&r->work) != 0)
		goto fail;
	have_work = 1;
	if (cond_init_monotonic(&r->idle) != 0)
		goto fail;
	have_idle = 1;
	/* The start-up sweep is the caller's (ecs_sweep before any task runs). */
	r->next_sweep = ts_add_ms(mono_now(), (long)r->sweep_interval_s * 1000L);
	if (pthread_create(&r->thread, NULL, reaper_main, r) != 0)
		goto fail;
	*out = r;
	return 0;
fail:
	if (have_idle)
		pthread_cond_destroy(&r->idle);
	if (have_work)
		pthread_cond_destroy(&r->work);
	if (have_mu)
		pthread_mutex_destroy(&r->mu);
	ecs_engine_free(r->engine);
	free(r);
	return rc;
}

int ecs_reaper_enqueue(ecs_reaper *reaper, const char *container_id)
{
	struct item *it;

	if (reaper == NULL || container_id == NULL || container_id[0] == '\0')
		return ECS_EINVAL;
	it = calloc(1, sizeof(*it));
	if (it == NULL)
		return ECS_ENOMEM;
	it->id = strdup(container_id);
	if (it->id == NULL) {
		free(it);
		return ECS_ENOMEM;
	}
	it->next_try = mono_now();
	pthread_mutex_lock(&reaper->mu);
	if (reaper->stopping) {
		pthread_mutex_unlock(&reaper->mu);
		item_free(it);
		return ECS_ECANCELED;
	}
	append(reaper, it);
	reaper->queued++;
	pthread_cond_signal(&reaper->work);
	pthread_mutex_unlock(&reaper->mu);
	return 0;
}

void ecs_reaper_sweep_now(ecs_reaper *reaper)
{
	if (reaper == NULL)
		return;
	pthread_mutex_lock(&reaper->mu);
	reaper->sweep_requested = 1;
	pthread_cond_signal(&reaper->work);
	pthread_mutex_unlock(&reaper->mu);
}

void ecs_reaper_stats_get(ecs_reaper *reaper, ecs_reaper_stats *out)
{
	if (out == NULL)
		return;
	memset(out, 0, sizeof(*out));
	if (reaper == NULL)
		return;
	pthread_mutex_lock(&reaper->mu);
	*out = reaper->stats;
	out->queued = reaper->queued;
	pthread_mutex_unlock(&reaper->mu);
}

int ecs_reaper_wait_idle(ecs_reaper *reaper, long timeout_ms)
{
	struct timespec deadline;
	int rc = 0;

	if (reaper == NULL)
		return 0;
	deadline = ts_add_ms(mono_now(), timeout_ms > 0 ? timeout_ms : 0);
	pthread_mutex_lock(&reaper->mu);
	while (reaper->queued > 0 || reaper->inflight) {
		if (pthread_cond_timedwait(&reaper->idle, &reaper->mu, &deadline) == ETIMEDOUT) {
			rc = (reaper->queued > 0 || reaper->inflight) ? ECS_ETIMEDOUT : 0;
			break;
		}
	}
	pthread_mutex_unlock(&reaper->mu);
	return rc;
}

void ecs_reaper_free(ecs_reaper *reaper)
{
	if (reaper == NULL)
		return;
	pthread_mutex_lock(&reaper->mu);
	reaper->stopping = 1;
	reaper->drain_deadline = ts_add_ms(mono_now(), (long)reaper->drain_timeout_ms);
	pthread_cond_signal(&reaper->work);
	pthread_mutex_unlock(&reaper->mu);
	pthread_join(reaper->thread, NULL);
	pthread_cond_destroy(&reaper->idle);
	pthread_cond_destroy(&reaper->work);
	pthread_mutex_destroy(&reaper->mu);
	ecs_engine_free(reaper->engine);
	free(reaper);
}
