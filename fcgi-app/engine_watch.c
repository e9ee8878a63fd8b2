/* engine_watch.c - the background engine check (see engine_watch.h). */
#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "engine_watch.h"
#include "log.h"
#include "thread.h"

struct engine_watch {
	ecs_engine *engine;         /* the checker thread's own */
	unsigned int interval_s;
	pthread_t thread;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t wake;        /* CLOCK_MONOTONIC: signalled at stop */
	int stopping;               /* under mu */
	/* Under mu: the last result. */
	int ok;
	double done_at;             /* CLOCK_MONOTONIC seconds the last check finished */
	unsigned long long checks, failures;
	unsigned long consecutive;
	char message[256];
};

/* One ping, stored. The mutex is not held during the ping: readers never wait for the engine. */
static void check_once(engine_watch *w)
{
	int rc = ecs_engine_ping(w->engine);
	char msg[sizeof(w->message)] = "";
	int was_ok;

	if (rc != 0)
		snprintf(msg, sizeof(msg), "%s: %s", ecs_strerror(rc),
				ecs_engine_errmsg(w->engine)[0] ? ecs_engine_errmsg(w->engine) : "no detail");
	pthread_mutex_lock(&w->mu);
	was_ok = w->checks == 0 ? -1 : w->ok;
	w->ok = rc == 0;
	w->done_at = ecs_clock_s();
	w->checks++;
	if (rc != 0) {
		w->failures++;
		w->consecutive++;
	} else {
		w->consecutive = 0;
	}
	memcpy(w->message, msg, sizeof(msg));
	pthread_mutex_unlock(&w->mu);
	/* Changes only: a dead engine checked every second must not flood the log. */
	if (rc != 0 && was_ok != 0)
		log_msg(LOG_LEVEL_ERROR, "engine_check", "the engine failed its health check: %s; the quick "
				"health check (and the load balancer's probe) answers 503 until it passes", msg);
	else if (rc == 0 && was_ok == 0)
		log_msg(LOG_LEVEL_INFO, "engine_check", "the engine passed its health check again: the quick "
				"health check answers 200");
}

static void *watch_main(void *arg)
{
	engine_watch *w = arg;
	struct timespec until;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		until = ecs_clock_add_ms(ecs_clock_now(), (long)w->interval_s * 1000L);
		while (!w->stopping) {
			if (pthread_cond_timedwait(&w->wake, &w->mu, &until) == ETIMEDOUT)
				break;
		}
		if (w->stopping)
			break;
		pthread_mutex_unlock(&w->mu);
		check_once(w);
		pthread_mutex_lock(&w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int engine_watch_start(engine_watch **out, const ecs_engine_options *opts, unsigned int interval_s)
{
	engine_watch *w = calloc(1, sizeof(*w));
	ecs_engine_options eo = *opts;
	pthread_condattr_t ca;

	*out = NULL;
	if (w == NULL)
		return -1;
	w->interval_s = interval_s;
	/* A check never outlasts its interval: a hung engine is red after at most two. */
	eo.connect_timeout_ms = (long)interval_s * 1000;
	eo.request_timeout_ms = (long)interval_s * 1000;
	eo.log = NULL;  /* the transitions are logged here, once each */
	if (ecs_engine_new(&w->engine, &eo) != 0) {
		free(w);
		return -1;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->wake, &ca);
	pthread_condattr_destroy(&ca);
	check_once(w);
	if (thread_start(&w->thread, THREAD_STACK_WORK, "ecs-engine-chk", watch_main, w) != 0) {
		engine_watch_stop(w);
		return -1;
	}
	w->started = 1;
	*out = w;
	return 0;
}

void engine_watch_stop(engine_watch *w)
{
	if (w == NULL)
		return;
	if (w->started) {
		pthread_mutex_lock(&w->mu);
		w->stopping = 1;
		pthread_cond_signal(&w->wake);
		pthread_mutex_unlock(&w->mu);
		/* At most one check in flight, bounded by the interval. */
		pthread_join(w->thread, NULL);
	}
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->mu);
	ecs_engine_free(w->engine);
	free(w);
}

void engine_watch_get(engine_watch_state *out, engine_watch *w)
{
	memset(out, 0, sizeof(*out));
	if (w == NULL)
		return;
	out->enabled = 1;
	out->interval_s = w->interval_s;
	pthread_mutex_lock(&w->mu);
	out->ok = w->ok;
	out->age_s = ecs_clock_s() - w->done_at;
	out->checks = w->checks;
	out->failures = w->failures;
	out->consecutive = w->consecutive;
	memcpy(out->message, w->message, sizeof(out->message));
	pthread_mutex_unlock(&w->mu);
	/* Each check ends within two intervals of the last; three without one
	 * means the checker itself is stuck: that is no news of a good engine. */
	out->stale = out->age_s > 3.0 * w->interval_s;
	if (out->stale && out->message[0] == '\0')
		snprintf(out->message, sizeof(out->message), "no engine check finished for %.1f s", out->age_s);
}

int engine_watch_healthy(const engine_watch_state *st)
{
	return !st->enabled || (st->ok && !st->stale);
}
