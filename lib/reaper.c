/*
 * libecs: the reaper. Task runners hand it containers and return their
 * results at once; a few threads, each with its own engine handle, delete
 * them in arrival order, retrying with backoff, and one of them at a time
 * sweeps for orphans on a timer. A burst of short tasks hands over
 * containers faster than one serial deleter removes them (a delete costs
 * 5-50 ms and the engine serves several at once), hence the bounded pool.
 */
#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ecs/ecs.h>
#include "clock.h"
#include "container_private.h"
#include "engine_private.h"
#include "reaper_private.h"

#define DEFAULT_MIN_AGE_S 60u
#define DEFAULT_MAX_ATTEMPTS 8u
#define DEFAULT_RETRY_BASE_MS 100u
#define DEFAULT_DRAIN_TIMEOUT_MS 30000u
#define DEFAULT_WORKERS 4u
/* More deleting threads than this only queue up inside the engine. */
#define MAX_WORKERS 64u
#define RETRY_CAP_MS 10000L

struct item {
	const ecs_reap_kind *kind;
	char *id;
	unsigned int attempts;
	struct timespec enqueued;
	struct timespec next_try;
	struct item *next;
};

/* A FIFO of items: O(1) at both ends. */
struct fifo {
	struct item *head;
	struct item *tail;
};

struct worker {
	ecs_reaper *r;
	pthread_t thread;
	ecs_engine *engine;      /* this thread's own: a handle is one thread's */
	int started;
};

struct ecs_reaper {
	pthread_mutex_t mu;
	pthread_cond_t work;     /* the threads: something to do, or stop */
	pthread_cond_t idle;     /* waiters: the queue became empty */
	struct worker *workers;
	unsigned int nworkers;
	ecs_log_fn log;
	void *log_userdata;
	unsigned int sweep_interval_s;
	unsigned int sweep_min_age_s;
	unsigned int max_attempts;
	unsigned int retry_base_ms;
	unsigned int drain_timeout_ms;
	char *instance_dir;      /* for the timer's sweeps; NULL for none */

	/* under mu */
	struct fifo ready;       /* due now, in arrival order */
	struct fifo delayed;     /* retries, sorted by next_try (few: only failures land here) */
	size_t queued;           /* items in both lists */
	unsigned int inflight;   /* deletions (or the sweep) running outside the lock */
	int stopping;
	int sweeping;
	int sweep_requested;
	unsigned int running;    /* threads not yet finished */
	struct timespec next_sweep;
	struct timespec drain_deadline;
	ecs_reaper_stats stats;
};

const ecs_reap_kind ecs_reap_container = { "container", ecs_container_delete };

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

static void fifo_push(struct fifo *q, struct item *it)
{
	it->next = NULL;
	if (q->tail != NULL)
		q->tail->next = it;
	else
		q->head = it;
	q->tail = it;
}

static struct item *fifo_pop(struct fifo *q)
{
	struct item *it = q->head;

	if (it != NULL) {
		q->head = it->next;
		if (q->head == NULL)
			q->tail = NULL;
		it->next = NULL;
	}
	return it;
}

/* Into the retry list by next_try; O(retries), and retries are rare. */
static void delayed_insert(ecs_reaper *r, struct item *it)
{
	struct item **pp = &r->delayed.head;

	while (*pp != NULL && !ecs_clock_before(it->next_try, (*pp)->next_try))
		pp = &(*pp)->next;
	it->next = *pp;
	*pp = it;
	if (it->next == NULL)
		r->delayed.tail = it;
}

/* The next item whose time has come, ready ones first; NULL when none is due. */
static struct item *take_due(ecs_reaper *r, struct timespec now)
{
	struct item *it = fifo_pop(&r->ready);

	if (it == NULL && r->delayed.head != NULL && !ecs_clock_before(now, r->delayed.head->next_try))
		it = fifo_pop(&r->delayed);
	return it;
}

static void signal_idle_if(ecs_reaper *r)
{
	if (r->queued == 0 && r->inflight == 0)
		pthread_cond_broadcast(&r->idle);
}

/* Called with mu held; drops it around the engine call. */
static void delete_one(struct worker *w, struct item *it)
{
	ecs_reaper *r = w->r;
	struct timespec t0, t1;
	double latency;
	int rc;

	r->inflight++;
	pthread_mutex_unlock(&r->mu);
	t0 = ecs_clock_now();
	rc = it->kind->remove(w->engine, it->id);
	t1 = ecs_clock_now();
	it->attempts++;
	if (rc == 0) {
		ecs_log_to(r->log, r->log_userdata, ECS_LOG_DEBUG,
			   "reaper: %s %.12s deleted in %.1f ms (%.1f ms after it was handed over)", it->kind->name,
			   it->id, ecs_clock_ms_between(t0, t1), ecs_clock_ms_between(it->enqueued, t1));
	} else if (rc == ECS_ENOTFOUND) {
		ecs_log_to(r->log, r->log_userdata, ECS_LOG_DEBUG, "reaper: %s %.12s already gone", it->kind->name,
			   it->id);
	} else if (it->attempts >= r->max_attempts) {
		ecs_log_to(r->log, r->log_userdata, ECS_LOG_ERROR,
			   "reaper: %s %.12s: giving up after %u attempts (%s: %s); the sweep will find it",
			   it->kind->name, it->id, it->attempts, ecs_error_name(rc), ecs_engine_errmsg(w->engine));
	} else {
		ecs_log_to(r->log, r->log_userdata, ECS_LOG_WARN,
			   "reaper: %s %.12s: delete attempt %u failed (%s: %s); retrying in %ld ms", it->kind->name,
			   it->id, it->attempts, ecs_error_name(rc), ecs_engine_errmsg(w->engine),
			   backoff_ms(r, it->attempts));
	}
	pthread_mutex_lock(&r->mu);
	r->inflight--;
	if (rc == 0 || rc == ECS_ENOTFOUND) {
		latency = ecs_clock_ms_between(it->enqueued, t1);
		r->queued--;
		r->stats.deleted++;
		r->stats.latency_ms_sum += latency;
		if (latency > r->stats.latency_ms_max)
			r->stats.latency_ms_max = latency;
		item_free(it);
	} else if (it->attempts >= r->max_attempts) {
		r->queued--;
		r->stats.failed++;
		item_free(it);
	} else {
		r->stats.retries++;
		it->next_try = ecs_clock_add_ms(ecs_clock_now(), backoff_ms(r, it->attempts));
		delayed_insert(r, it);
		pthread_cond_signal(&r->work);  /* a sleeper may need an earlier wake-up */
	}
	signal_idle_if(r);
}

/* Called with mu held; drops it around the sweep. */
static void sweep_once(struct worker *w)
{
	ecs_reaper *r = w->r;
	ecs_sweep_options so = ECS_SWEEP_OPTIONS_INIT;
	size_t n = 0;
	int rc;

	so.min_age_s = r->sweep_min_age_s;
	so.instance_dir = r->instance_dir;
	r->inflight++;
	r->sweeping = 1;
	pthread_mutex_unlock(&r->mu);
	rc = ecs_sweep(&n, w->engine, &so);
	if (rc == 0 && n > 0)
		ecs_log_to(r->log, r->log_userdata, ECS_LOG_INFO, "reaper: sweep deleted %zu orphaned container(s)", n);
	pthread_mutex_lock(&r->mu);
	r->sweeping = 0;
	r->inflight--;
	r->stats.sweeps++;
	r->stats.swept += n;
	if (r->sweep_interval_s > 0)
		r->next_sweep = ecs_clock_add_ms(ecs_clock_now(), (long)r->sweep_interval_s * 1000L);
	signal_idle_if(r);
}

static int sweep_due(const ecs_reaper *r, struct timespec now)
{
	return !r->stopping && !r->sweeping &&
	       (r->sweep_requested || (r->sweep_interval_s > 0 && !ecs_clock_before(now, r->next_sweep)));
}

static void *reaper_main(void *arg)
{
	struct worker *w = arg;
	ecs_reaper *r = w->r;

	pthread_mutex_lock(&r->mu);
	for (;;) {
		struct timespec now = ecs_clock_now(), wake;
		int have_wake = 0;
		struct item *it;

		/* Items another thread is deleting are that thread's to finish. */
		if (r->stopping && ((r->ready.head == NULL && r->delayed.head == NULL) ||
				    !ecs_clock_before(now, r->drain_deadline)))
			break;
		if (sweep_due(r, now)) {
			r->sweep_requested = 0;
			sweep_once(w);
			continue;
		}
		it = take_due(r, now);
		if (it != NULL) {
			delete_one(w, it);
			continue;
		}
		if (r->delayed.head != NULL) {
			wake = r->delayed.head->next_try;
			have_wake = 1;
		}
		if (r->stopping) {
			if (!have_wake || ecs_clock_before(r->drain_deadline, wake))
				wake = r->drain_deadline;
			have_wake = 1;
		} else if (r->sweep_interval_s > 0 && !r->sweeping) {
			if (!have_wake || ecs_clock_before(r->next_sweep, wake))
				wake = r->next_sweep;
			have_wake = 1;
		}
		if (have_wake)
			pthread_cond_timedwait(&r->work, &r->mu, &wake);
		else
			pthread_cond_wait(&r->work, &r->mu);
	}
	/* The last thread out: what the drain left is the sweep's (deadline labels). */
	if (--r->running == 0) {
		struct item *it;

		while ((it = fifo_pop(&r->ready)) != NULL || (it = fifo_pop(&r->delayed)) != NULL) {
			r->queued--;
			r->stats.failed++;
			ecs_log_to(r->log, r->log_userdata, ECS_LOG_ERROR,
				   "reaper: %s %.12s left behind at shutdown (drain timed out)", it->kind->name, it->id);
			item_free(it);
		}
	}
	pthread_cond_broadcast(&r->work);  /* siblings waiting on the drain deadline look again */
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

static void destroy(ecs_reaper *r, int have_mu, int have_work, int have_idle)
{
	if (have_idle)
		pthread_cond_destroy(&r->idle);
	if (have_work)
		pthread_cond_destroy(&r->work);
	if (have_mu)
		pthread_mutex_destroy(&r->mu);
	for (unsigned int i = 0; r->workers != NULL && i < r->nworkers; i++)
		ecs_engine_free(r->workers[i].engine);
	free(r->workers);
	free(r->instance_dir);
	free(r);
}

static void stop_and_join(ecs_reaper *r, long drain_ms)
{
	pthread_mutex_lock(&r->mu);
	r->stopping = 1;
	r->drain_deadline = ecs_clock_add_ms(ecs_clock_now(), drain_ms);
	pthread_cond_broadcast(&r->work);
	pthread_mutex_unlock(&r->mu);
	for (unsigned int i = 0; i < r->nworkers; i++)
		if (r->workers[i].started)
			pthread_join(r->workers[i].thread, NULL);
}

int ecs_reaper_new(ecs_reaper **out, const ecs_reaper_options *opts)
{
	ecs_reaper *r;
	unsigned int nworkers = DEFAULT_WORKERS;
	int rc, have_work = 0, have_idle = 0, have_mu = 0;

	if (out == NULL)
		return ECS_EINVAL;
	*out = NULL;
	/* Version 1 callers know no workers member: read only what they have. */
	if (opts == NULL || opts->version < 1 || opts->version > ECS_REAPER_OPTIONS_VERSION)
		return ECS_EINVAL;
	if (opts->version >= 2 && opts->workers != 0)
		nworkers = opts->workers;
	/* The engine options inside are whatever version the caller's say. */
	if (nworkers > MAX_WORKERS)
		return ECS_EINVAL;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return ECS_ENOMEM;
	r->workers = calloc(nworkers, sizeof(*r->workers));
	if (r->workers == NULL) {
		free(r);
		return ECS_ENOMEM;
	}
	r->nworkers = nworkers;
	if (opts->version >= 2 && opts->instance_dir != NULL &&
	    (r->instance_dir = strdup(opts->instance_dir)) == NULL) {
		free(r->workers);
		free(r);
		return ECS_ENOMEM;
	}
	r->log = opts->engine.log;
	r->log_userdata = opts->engine.log_userdata;
	r->sweep_interval_s = opts->sweep_interval_s;
	r->sweep_min_age_s = opts->sweep_min_age_s ? opts->sweep_min_age_s : DEFAULT_MIN_AGE_S;
	r->max_attempts = opts->max_attempts ? opts->max_attempts : DEFAULT_MAX_ATTEMPTS;
	r->retry_base_ms = opts->retry_base_ms ? opts->retry_base_ms : DEFAULT_RETRY_BASE_MS;
	r->drain_timeout_ms = opts->drain_timeout_ms ? opts->drain_timeout_ms : DEFAULT_DRAIN_TIMEOUT_MS;
	for (unsigned int i = 0; i < nworkers; i++) {
		r->workers[i].r = r;
		rc = ecs_engine_new(&r->workers[i].engine, &opts->engine);
		if (rc != 0)
			goto fail;
	}
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
	r->next_sweep = ecs_clock_add_ms(ecs_clock_now(), (long)r->sweep_interval_s * 1000L);
	for (unsigned int i = 0; i < nworkers; i++) {
		pthread_mutex_lock(&r->mu);
		r->running++;
		pthread_mutex_unlock(&r->mu);
		if (pthread_create(&r->workers[i].thread, NULL, reaper_main, &r->workers[i]) != 0) {
			pthread_mutex_lock(&r->mu);
			r->running--;
			pthread_mutex_unlock(&r->mu);
			stop_and_join(r, 0);
			goto fail;
		}
		r->workers[i].started = 1;
	}
	*out = r;
	return 0;
fail:
	destroy(r, have_mu, have_work, have_idle);
	return rc;
}

int ecs_reaper_enqueue(ecs_reaper *reaper, const char *container_id)
{
	return ecs_reaper_enqueue_kind(reaper, &ecs_reap_container, container_id);
}

int ecs_reaper_enqueue_kind(ecs_reaper *reaper, const ecs_reap_kind *kind, const char *id)
{
	struct item *it;

	if (reaper == NULL || kind == NULL || id == NULL || id[0] == '\0')
		return ECS_EINVAL;
	it = calloc(1, sizeof(*it));
	if (it == NULL)
		return ECS_ENOMEM;
	it->kind = kind;
	it->id = strdup(id);
	if (it->id == NULL) {
		free(it);
		return ECS_ENOMEM;
	}
	it->enqueued = ecs_clock_now();
	it->next_try = it->enqueued;
	pthread_mutex_lock(&reaper->mu);
	if (reaper->stopping) {
		pthread_mutex_unlock(&reaper->mu);
		item_free(it);
		return ECS_ECANCELED;
	}
	fifo_push(&reaper->ready, it);
	reaper->queued++;
	if (reaper->queued > reaper->stats.queued_max)
		reaper->stats.queued_max = reaper->queued;
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

void ecs_reaper_stats_get(ecs_reaper_stats *out, ecs_reaper *reaper)
{
	if (out == NULL)
		return;
	memset(out, 0, sizeof(*out));
	if (reaper == NULL)
		return;
	pthread_mutex_lock(&reaper->mu);
	*out = reaper->stats;
	out->queued = reaper->queued;
	out->deleting = reaper->inflight - (reaper->sweeping ? 1u : 0u);
	out->workers = reaper->nworkers;
	pthread_mutex_unlock(&reaper->mu);
}

int ecs_reaper_wait_idle(ecs_reaper *reaper, long timeout_ms)
{
	struct timespec deadline;
	int rc = 0;

	if (reaper == NULL)
		return 0;
	deadline = ecs_clock_add_ms(ecs_clock_now(), timeout_ms > 0 ? timeout_ms : 0);
	pthread_mutex_lock(&reaper->mu);
	while (reaper->queued > 0 || reaper->inflight > 0) {
		if (pthread_cond_timedwait(&reaper->idle, &reaper->mu, &deadline) == ETIMEDOUT) {
			rc = (reaper->queued > 0 || reaper->inflight > 0) ? ECS_ETIMEDOUT : 0;
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
	stop_and_join(reaper, (long)reaper->drain_timeout_ms);
	destroy(reaper, 1, 1, 1);
}
