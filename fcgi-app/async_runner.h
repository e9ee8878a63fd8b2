/*
 * async_runner.h - this node's side of the queue: async_workers threads that
 * claim queued tasks from the store (store_claim()), admit them again (the
 * same intake a synchronous request passes, from the stored body), run
 * them as a synchronous task runs (ecs_task_run, the same answer), and
 * record how they ended (store_finish()); a keeper thread that renews this
 * node's lease, reclaims the tasks of nodes whose lease lapsed, purges
 * what result_ttl has passed, and (PostgreSQL) hears cancels other nodes
 * publish. Every running task of this node, synchronous ones too, is in a
 * table by id, so a cancel reaches its container.
 */
#ifndef ECSFCGI_ASYNC_RUNNER_H
#define ECSFCGI_ASYNC_RUNNER_H

#include <ecs/ecs.h>

#include "handlers.h"
#include "store.h"

typedef struct async_runner async_runner;

/**
 * async_runner_start - start the runners and the keeper. @shared: what
 * every handler shares (cfg, reaper, creds, pool, store, callbacks, ...),
 * copied; @proto: each runner's engine is an ecs_engine_dup() of it.
 * Call after store_reclaim(own_restart). Returns 0, or -1 (logged).
 */
int async_runner_start(async_runner **out, const handler_ctx *shared, const ecs_engine *proto);

/** async_runner_wake - a task was queued: a free runner looks now. NULL is allowed. */
void async_runner_wake(async_runner *r);

/**
 * async_runner_track - task @id runs on this node under @cancel (a
 * synchronous one, from its handler): a cancel of @id triggers @cancel.
 * Pair with async_runner_untrack(). Returns 0, or -1 out of memory (the
 * task then cannot be canceled by id; it still runs).
 */
int async_runner_track(async_runner *r, const char *id, ecs_cancel *cancel);

/** async_runner_untrack - task @id no longer runs here. */
void async_runner_untrack(async_runner *r, const char *id);

/**
 * async_runner_cancel - trigger the cancel of task @id if it runs on this
 * node. Returns 1 when it did, 0 when @id does not run here.
 */
int async_runner_cancel(async_runner *r, const char *id);

/**
 * async_runner_stop - stop claiming; running tasks get until @deadline
 * (ecs_clock_s()) and are canceled then (they end as failed, INTERRUPTED);
 * wait for the threads and free. NULL is allowed.
 */
void async_runner_stop(async_runner *r, double deadline);

#endif
