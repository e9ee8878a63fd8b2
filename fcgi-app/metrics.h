/*
 * metrics.h - counters for GET /v1.1/_metrics, rendered in the Prometheus
 * text exposition format 0.0.4. Process-wide, protected by one mutex; every
 * function is thread-safe.
 */
#ifndef ECSFCGI_METRICS_H
#define ECSFCGI_METRICS_H

#include <stddef.h>

#include <ecs/ecs.h>

#include "engine_watch.h"
#include "router.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/** metrics_reset - zero everything (start-up and tests). */
void metrics_reset(void);

/** metrics_count_request - one finished request on @route with @status. */
void metrics_count_request(route_id route, int status);

/**
 * metrics_observe_task - one task that ran: its phase timings (ms) and
 * whether it timed out.
 */
void metrics_observe_task(const ecs_task_timings *t, int timed_out, int exit_code);

/** metrics_engine_error - a libecs call failed with @code (an ecs_error). */
void metrics_engine_error(int code);

/** metrics_swept_add - orphans deleted by the start-up sweep (the reaper counts its own). */
void metrics_swept_add(size_t n);

/** metrics_tasks_in_flight_add / metrics_workers_busy_add - gauges. */
void metrics_tasks_in_flight_add(int delta);
void metrics_workers_busy_add(int delta);

/** metrics_tasks_queued_add - the gauge of tasks waiting for a task worker. */
void metrics_tasks_queued_add(int delta);

/** metrics_workers_busy - the current gauge value. */
int metrics_workers_busy(void);

/**
 * metrics_render - the exposition text.
 * @rs: the reaper's counters, or NULL when there is no reaper.
 * @workers: the size of the worker pool.
 * Returns a string the caller frees with free() (its length in *len), or NULL
 * when out of memory.
 */
char *metrics_render(size_t *len, const ecs_reaper_stats *rs, int workers);

/**
 * metrics_render_engine_check - the background engine check's gauges and
 * counters (ecs_engine_check_up, ecs_engine_check_age_seconds,
 * ecs_engine_checks_total, ecs_engine_check_failures_total) for @st; ""
 * when the check is off. Returns a string the caller frees (its length in
 * *len), NULL when out of memory. Pure.
 */
char *metrics_render_engine_check(size_t *len, const engine_watch_state *st);

#endif
