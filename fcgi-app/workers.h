/*
 * workers.h - who answers what: acceptor threads and a bounded task pool.
 *
 * A few acceptor threads loop on FCGX_Accept_r, route and authenticate each
 * request and answer at once everything that needs no engine (the quick
 * health check, _noop, _version, _metrics, every refusal). Tasks (and the
 * comprehensive health check, which talks to the engine) go to a queue
 * served by up to `max_concurrent_executing_http_requests` task workers,
 * each with its own engine handle. So a load balancer's probe and _noop
 * never wait behind containers, whatever the tasks do. Task workers are
 * threads sized to the work: none at start, one more when a task finds
 * every live worker busy (up to the configured count), and a worker idle
 * for WORKERS_IDLE_RETIRE_S ends its thread (its slot keeps the engine
 * handle for the next). Idle task workers wait on a stack, the last to
 * finish on top, and a task wakes the top one: a load of N tasks at once
 * keeps about N workers alive instead of all of them, and the ones at the
 * bottom retire first. An idle responder has only its acceptors.
 *
 * Why threads in one process rather than two FastCGI sockets with nginx
 * routing /v1.1/tasks to one: one spawn-fcgi, one socket, one config and one
 * process whose /_metrics and per-client counts see everything; and the
 * acceptor can refuse a task (429 over max_client_tasks, 503 when the queue
 * is full) before it takes a worker.
 *
 * Each admitted task is counted against its client (admission.h) and its
 * FastCGI connection is watched (watch.h): a client that goes away cancels
 * its task, queued or running.
 */
#ifndef ECSFCGI_WORKERS_H
#define ECSFCGI_WORKERS_H

#include <ecs/ecs.h>

#include "conf.h"
#include "cred_cache.h"
#include "engine_watch.h"
#include "handlers.h"

/** Acceptor threads: they only ever do quick work, so a few suffice. */
#define WORKERS_ACCEPTORS 4

/** A task worker idle this long ends its thread (a thread start costs tens of microseconds). */
#define WORKERS_IDLE_RETIRE_S 60

typedef struct workers workers;

/**
 * workers_start - start the acceptors, the task workers and the watcher on
 * the listening socket (file descriptor 0).
 * @shared: what every handler shares (cfg, reaper, creds, engine_watch,
 * pool; its engine, cancel and client_gone are the workers' own, ignored
 * here): copied, what it points to must outlive the workers. @proto: each worker's
 * engine is an ecs_engine_dup() of it (the version it negotiated, no
 * round trip per worker); only read, during the call (the pool keeps a dup
 * of its own for the workers it starts later).
 * Returns 0, or -1 (logged); on failure *out may still need workers_stop().
 */
int workers_start(workers **out, const handler_ctx *shared, const ecs_engine *proto);

/**
 * workers_stop - stop accepting (closing the listening socket), let queued
 * and running tasks finish until @deadline (CLOCK_MONOTONIC seconds, ecs_clock_s()), cancel
 * what is left then, wait for every thread and free the pool. NULL is allowed.
 */
void workers_stop(workers *w, double deadline);


#endif
