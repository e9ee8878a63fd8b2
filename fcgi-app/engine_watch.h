/*
 * engine_watch.h - the engine's health as last seen by a background check.
 *
 * A load balancer's probe (the quick health check) must say when this node
 * cannot run tasks, but must never wait for the engine: a hung dockerd would
 * hang the probe, and the balancer would learn nothing it can act on. So one
 * thread pings the engine every interval, each ping bounded by that same
 * interval, and records the result; the quick check only reads it. A dead
 * engine (connections refused) is seen at the next check, a hung one when
 * that check times out: either way within two intervals. Thread-safe.
 */
#ifndef ECSFCGI_ENGINE_WATCH_H
#define ECSFCGI_ENGINE_WATCH_H

#include <ecs/ecs.h>

typedef struct engine_watch engine_watch;

/** What the last check found. */
typedef struct {
	int enabled;                     /* 0: no watch (no engine_check_interval): nothing below is set */
	int ok;                          /* the last check passed (or, stale, see below) */
	int stale;                       /* no check finished for three intervals: the checker is stuck, counted as failed */
	double age_s;                    /* seconds since the last check finished */
	unsigned int interval_s;
	unsigned long long checks;       /* checks finished since start */
	unsigned long long failures;     /* of which failed */
	unsigned long consecutive;       /* failed checks in a row, up to the last */
	char message[256];               /* why the last check failed ("" when it passed) */
} engine_watch_state;

/**
 * engine_watch_start - check the engine once, synchronously (so the first
 * answer of the probe is already the engine's), then every @interval_s
 * seconds on a thread of its own.
 * @opts: how to reach the engine (copied; its timeouts are replaced by
 *   @interval_s, so one check never outlasts the interval).
 * @interval_s: 1..3600.
 * Returns 0, or -1 (out of memory, no thread, bad endpoint); *out is NULL then.
 */
int engine_watch_start(engine_watch **out, const ecs_engine_options *opts, unsigned int interval_s);

/** engine_watch_stop - stop the thread (at once, even mid-wait) and free. NULL is allowed. */
void engine_watch_stop(engine_watch *w);

/**
 * engine_watch_get - the last check's result into @out, never blocking on
 * the engine (a mutex held only while the checker stores a result).
 * @w: NULL gives enabled = 0.
 */
void engine_watch_get(engine_watch_state *out, engine_watch *w);

/**
 * engine_watch_healthy - whether the quick check should say green: no
 * watch, or the last check passed and is not stale. Pure.
 */
int engine_watch_healthy(const engine_watch_state *st);

#endif
