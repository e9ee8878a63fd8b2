/* workers.c - acceptors, the task queue and the task workers (see workers.h). */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "admission.h"
#include "clock.h"
#include "handlers.h"
#include "session_handlers.h"
#include "log.h"
#include "memory.h"
#include "metrics.h"
#include "thread.h"
#include "watch.h"
#include "workers.h"

/* One request from accept to answer; moves from an acceptor to a task worker. */
typedef struct job {
	struct job *next;       /* queue link, under the pool's mu */
	FCGX_Request fr;
	request req;
	int req_ok;             /* request_init() succeeded */
	response resp;
	handler_info info;
	ecs_cancel *cancel;     /* this task's: the client went, or the shutdown grace ran out */
	ecs_cancel *gone;       /* triggered with @cancel when the client went */
	watch_entry *watched;
	int counted;            /* admitted against its client's max_client_tasks */
	ndjson_sink live;       /* the FastCGI stream, for a task that streams its output */
} job;

typedef struct {
	pthread_t thread;
	int index;
	int started;
	int exited;             /* under mu */
	int in_accept;          /* under mu */
	workers *pool;
	handler_ctx ctx;        /* no engine: acceptors never touch it */
} acceptor;

typedef struct task_worker {
	pthread_t thread;
	int index;
	int started;            /* under mu: @thread exists and is not joined yet */
	int exited;             /* under mu: @thread left its loop (retired idle, or the pool drained) */
	job *current;           /* under mu */
	int idle;               /* under mu: on the pool's idle stack */
	struct task_worker *next_idle;  /* under mu */
	pthread_cond_t wake;    /* signalled when it is taken off the idle stack */
	workers *pool;
	ecs_engine *engine;     /* made with the slot's first thread, kept across retirements (its connection too) */
} task_worker;

struct workers {
	const config *cfg;
	handler_ctx shared;     /* what every handler shares: each task's ctx starts from it */
	admission *adm;         /* the shared one (handler_ctx.admission): the queue's runners count there too */
	watch *watch;
	atomic_int stopping;    /* read by every thread, set once by workers_stop() */
	pthread_mutex_t mu;
	int draining;           /* under mu: task workers leave once the queue is empty */
	job *qhead, *qtail;     /* under mu */
	int queued, qcap;       /* under mu */
	/*
	 * Under mu: idle task workers, the last to finish on top. A task wakes
	 * the top one, so a light load keeps reusing the same few workers and
	 * only they hold an engine connection and curl's buffers; waking them
	 * in turn (one shared condition variable) warmed all 64 for any load.
	 */
	struct task_worker *idle_top;
	acceptor acc[WORKERS_ACCEPTORS];
	task_worker *tw;        /* cfg->workers slots; a slot's thread starts when a task finds no idle one */
	int ntw;
	int nlive;              /* under mu: slots whose thread runs its loop */
	ecs_engine *proto;      /* each slot's engine is a dup of it */
};

static int worker_spawn(workers *p);

static int fcgx_read(void *ctx, char *buf, int n)
{
	FCGX_Stream *in = ctx;
	int got = FCGX_GetStr(buf, n, in);

	if (got < n && FCGX_GetError(in) != 0)
		return -1;
	return got;
}

/* ndjson_sink.send: the bytes onto the FastCGI stream, flushed so nginx has them now. */
static int fcgx_send(void *arg, const char *data, size_t len)
{
	FCGX_Stream *out = arg;

	while (len > 0) {
		int n = len > INT_MAX ? INT_MAX : (int)len;

		if (FCGX_PutStr(data, n, out) != n)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return FCGX_FFlush(out) == 0 ? 0 : -1;
}

static job *job_new(void)
{
	job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return NULL;
	if (FCGX_InitRequest(&j->fr, 0, 0) != 0) {
		free(j);
		return NULL;
	}
	response_init(&j->resp);
	memset(&j->info, 0, sizeof(j->info));
	return j;
}

/* Answer, finish the FastCGI request (closing its connection), log, free. */
static void respond(workers *p, job *j)
{
	char head[1024], scratch[4096];
	size_t body_len = j->resp.body_len;
	int n, drained = 0;

	/* Before the connection closes: its fd number may be reused at once. */
	watch_remove(p->watch, j->watched);
	j->watched = NULL;
	if (j->counted) {
		admission_leave(p->adm, j->info.client);
		j->counted = 0;
	}
	/* Read what is left of a body we refused, up to a bound, so a client
	 * still writing it sees our answer rather than a reset. */
	while (drained < (1 << 20) && (n = FCGX_GetStr(scratch, sizeof(scratch), j->fr.in)) > 0)
		drained += n;
	n = j->resp.streamed ? 0 : response_head(head, sizeof(head), &j->resp);
	if (n > 0) {
		FCGX_PutStr(head, n, j->fr.out);
		/* HEAD: GET's head, Content-Length included, and no body (RFC 3875 4.3.3). */
		if (j->resp.body_len > 0 && !(j->req_ok && strcmp(j->req.method, "HEAD") == 0))
			FCGX_PutStr(j->resp.body, (int)j->resp.body_len, j->fr.out);
	}
	/* Finish first, then log: the client has its answer before we spend
	 * anything more on it (the container is already with the reaper). */
	FCGX_Finish_r(&j->fr);
	if (j->req_ok) {
		handler_finish(&j->info, &j->req, &j->resp);
		request_clear(&j->req);
	}
	response_clear(&j->resp);
	ecs_cancel_free(j->cancel);
	ecs_cancel_free(j->gone);
	free(j);
	memory_release(body_len);  /* the output's buffers are all free by now */
}

static void oom(job *j)
{
	response_clear(&j->resp);
	response_init(&j->resp);
	response_set_error(&j->resp, 500, "INTERNAL_ERROR", "out of memory", j->req_ok ? j->req.request_id : "");
}

/* An acceptor's share of a request: answer it, or admit it to the queue. */
static void dispatch(workers *p, acceptor *a, job *j)
{
	handler_next next;
	int rc, limit = 0;

	if (request_init(&j->req, j->fr.envp, fcgx_read, j->fr.in) != 0) {
		oom(j);
		return respond(p, j);
	}
	j->req_ok = 1;
	next = handler_prepare(&j->resp, &j->info, &a->ctx, &j->req);
	if (next == HANDLER_DONE)
		return respond(p, j);
	if (next == HANDLER_TASK) {
		limit = handler_client_task_limit(&a->ctx, &j->info);
		rc = admission_enter(p->adm, j->info.client, limit);
		if (rc == 1) {
			handler_refuse(&j->resp, &j->req, HANDLER_REFUSE_CLIENT_LIMIT, limit);
			return respond(p, j);
		}
		if (rc != 0) {
			oom(j);
			return respond(p, j);
		}
		j->counted = 1;
	}
	if (ecs_cancel_new(&j->cancel) != 0 || ecs_cancel_new(&j->gone) != 0) {
		oom(j);
		return respond(p, j);
	}
	/* A task is watched from now on: a client that leaves while it is queued
	 * or runs costs nothing. Other engine work (an async submission, a
	 * DELETE, the comprehensive health check) is short and bounded: not
	 * worth two wake-ups of the watcher's thread (an add, a remove), which
	 * were a fifth of an async submission's system calls. */
	if (next == HANDLER_TASK)
		j->watched = watch_add(p->watch, j->fr.ipcFd, j->cancel, j->gone);
	pthread_mutex_lock(&p->mu);
	if (p->queued >= p->qcap) {
		pthread_mutex_unlock(&p->mu);
		handler_refuse(&j->resp, &j->req, HANDLER_REFUSE_BUSY, 0);
		return respond(p, j);
	}
	if (p->qtail != NULL)
		p->qtail->next = j;
	else
		p->qhead = j;
	p->qtail = j;
	p->queued++;
	metrics_tasks_queued_add(1);
	if (p->idle_top != NULL) {
		task_worker *t = p->idle_top;

		p->idle_top = t->next_idle;
		t->next_idle = NULL;
		t->idle = 0;
		pthread_cond_signal(&t->wake);
	} else if (p->nlive < p->ntw) {
		/* Every live worker is busy: one more, up to the configured count. When
		 * none can start, the queued task waits for a busy one (logged). */
		(void)worker_spawn(p);
	}
	pthread_mutex_unlock(&p->mu);
}

static void *acceptor_main(void *arg)
{
	acceptor *a = arg;
	workers *p = a->pool;

	while (!atomic_load(&p->stopping)) {
		job *j = job_new();
		int rc;

		if (j == NULL) {
			log_msg(LOG_LEVEL_ERROR, "worker", "acceptor %d: out of memory; retrying", a->index);
			sleep(1);
			continue;
		}
		pthread_mutex_lock(&p->mu);
		a->in_accept = 1;
		pthread_mutex_unlock(&p->mu);
		rc = FCGX_Accept_r(&j->fr);
		pthread_mutex_lock(&p->mu);
		a->in_accept = 0;
		pthread_mutex_unlock(&p->mu);
		if (rc < 0) {
			FCGX_Free(&j->fr, 0);
			free(j);
			if (atomic_load(&p->stopping))
				break;
			log_msg(LOG_LEVEL_ERROR, "worker", "acceptor %d: accept failed (%d); retrying", a->index, rc);
			sleep(1);
			continue;
		}
		dispatch(p, a, j);
	}
	pthread_mutex_lock(&p->mu);
	a->exited = 1;
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Under mu: take @t off the idle stack, wherever it is on it. */
static void idle_unlink(workers *p, task_worker *t)
{
	task_worker **link;

	for (link = &p->idle_top; *link != NULL; link = &(*link)->next_idle) {
		if (*link == t) {
			*link = t->next_idle;
			break;
		}
	}
	t->next_idle = NULL;
	t->idle = 0;
}

static void *task_worker_main(void *arg)
{
	task_worker *t = arg;
	workers *p = t->pool;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		handler_ctx ctx;
		job *j;

		while (p->qhead == NULL && !p->draining) {
			struct timespec until;

			if (!t->idle) {
				t->idle = 1;
				t->next_idle = p->idle_top;
				p->idle_top = t;
			}
			clock_gettime(CLOCK_MONOTONIC, &until);
			until.tv_sec += WORKERS_IDLE_RETIRE_S;
			/* Idle that long (the bottom of the stack gets there first): the
			 * thread goes, its slot and engine stay for the next one. */
			if (pthread_cond_timedwait(&t->wake, &p->mu, &until) == ETIMEDOUT && t->idle &&
			    p->qhead == NULL && !p->draining)
				break;
		}
		/* Still on the stack (the queue filled while another was woken, or
		 * the pool drains): off it, or a task could wake a busy worker. */
		if (t->idle)
			idle_unlink(p, t);
		if (p->qhead == NULL)
			break;
		j = p->qhead;
		p->qhead = j->next;
		if (p->qhead == NULL)
			p->qtail = NULL;
		j->next = NULL;
		p->queued--;
		t->current = j;
		pthread_mutex_unlock(&p->mu);
		metrics_tasks_queued_add(-1);
		metrics_workers_busy_add(1);

		ctx = p->shared;
		ctx.engine = t->engine;
		ctx.cancel = j->cancel;
		ctx.client_gone = j->gone;
		ctx.workers = p->ntw;
		j->live.send = fcgx_send;
		j->live.arg = j->fr.out;
		ctx.stream = &j->live;
		/* The sessions' endpoints build on the handlers' answers: dispatched here, below neither. */
		if (session_route(j->info.route.id))
			session_handle(&j->resp, &j->info, &ctx, &j->req);
		else
			handler_run(&j->resp, &j->info, &ctx, &j->req);

		pthread_mutex_lock(&p->mu);
		t->current = NULL;  /* its token is no longer the pool's to trigger */
		pthread_mutex_unlock(&p->mu);
		respond(p, j);
		metrics_workers_busy_add(-1);
		pthread_mutex_lock(&p->mu);
	}
	t->exited = 1;
	p->nlive--;
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/*
 * Under mu: start a thread in a free slot (never started, or its thread
 * retired: joined first, which is quick, it has left its loop). Returns 0,
 * or -1 (logged): no slot, no memory for its engine, or no thread.
 */
static int worker_spawn(workers *p)
{
	task_worker *t = NULL;
	int i, rc;

	for (i = 0; i < p->ntw && t == NULL; i++)
		if (!p->tw[i].started || p->tw[i].exited)
			t = &p->tw[i];
	if (t == NULL)
		return -1;
	if (t->started) {
		pthread_join(t->thread, NULL);
		t->started = 0;
	}
	if (t->engine == NULL && ecs_engine_dup(&t->engine, p->proto) != 0) {
		log_msg(LOG_LEVEL_ERROR, "worker", "out of memory making worker %d", t->index);
		return -1;
	}
	t->exited = 0;
	t->idle = 0;
	t->next_idle = NULL;
	rc = thread_start(&t->thread, THREAD_STACK_WORK, "ecs-task", task_worker_main, t);
	if (rc != 0) {
		log_msg(LOG_LEVEL_ERROR, "worker", "cannot start worker %d: %s", t->index, strerror(rc));
		return -1;
	}
	t->started = 1;
	p->nlive++;
	return 0;
}

int workers_start(workers **out, const handler_ctx *shared, const ecs_engine *proto)
{
	workers *p = calloc(1, sizeof(*p));
	const config *cfg = shared->cfg;
	pthread_condattr_t ca;
	int i;

	*out = p;
	if (p == NULL) {
		log_msg(LOG_LEVEL_ERROR, "startup", "out of memory");
		return -1;
	}
	p->cfg = cfg;
	p->shared = *shared;
	p->shared.engine = NULL;
	p->shared.cancel = NULL;
	p->shared.client_gone = NULL;
	p->shared.stream = NULL;
	p->shared.workers = cfg->workers;
	/* Waiting room for as many tasks again as there are workers; past it a
	 * task is refused at once (503) rather than left to nginx's timeout. */
	p->qcap = cfg->workers;
	atomic_init(&p->stopping, 0);
	pthread_mutex_init(&p->mu, NULL);
	p->adm = shared->admission;
	if (p->adm == NULL || watch_new(&p->watch) != 0) {
		log_msg(LOG_LEVEL_ERROR, "startup", "cannot start the client watcher");
		return -1;
	}
	p->tw = calloc((size_t)cfg->workers, sizeof(*p->tw));
	if (p->tw == NULL || ecs_engine_dup(&p->proto, proto) != 0) {
		log_msg(LOG_LEVEL_ERROR, "startup", "out of memory");
		return -1;
	}
	/* Slots only: their threads start as tasks find no idle worker (workers.h). */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	for (i = 0; i < cfg->workers; i++) {
		task_worker *t = &p->tw[i];

		t->index = i;
		t->pool = p;
		pthread_cond_init(&t->wake, &ca);
		p->ntw = i + 1;
	}
	pthread_condattr_destroy(&ca);
	for (i = 0; i < WORKERS_ACCEPTORS; i++) {
		acceptor *a = &p->acc[i];

		a->index = i;
		a->pool = p;
		a->ctx = p->shared;
		if (thread_start(&a->thread, THREAD_STACK_SMALL, "ecs-accept", acceptor_main, a) != 0) {
			log_msg(LOG_LEVEL_ERROR, "startup", "cannot start acceptor %d", i);
			return -1;
		}
		a->started = 1;
	}
	return 0;
}

/* Under mu: trigger the token of every queued and running task. */
static int cancel_all(workers *p)
{
	int i, n = 0;
	job *j;

	for (j = p->qhead; j != NULL; j = j->next, n++)
		ecs_cancel_trigger(j->cancel);
	for (i = 0; i < p->ntw; i++) {
		if (p->tw[i].current != NULL) {
			ecs_cancel_trigger(p->tw[i].current->cancel);
			n++;
		}
	}
	return n;
}

/*
 * Wake acceptors out of accept(2) until every one has left its loop
 * (repeated: one may be between its check of `stopping` and accept(2) when
 * a wake-up arrives), then close the listening socket so what waits in its
 * backlog is refused now; then let the task workers empty the queue,
 * cancelling what is left at the deadline.
 */
void workers_stop(workers *p, double deadline)
{
	int i, closed = 0, cancelled = 0;

	if (p == NULL)
		return;
	atomic_store(&p->stopping, 1);
	FCGX_ShutdownPending();
	for (;;) {
		int acceptors = 0, tasks = 0, running = 0, queued;

		pthread_mutex_lock(&p->mu);
		for (i = 0; i < WORKERS_ACCEPTORS; i++) {
			if (!p->acc[i].started || p->acc[i].exited)
				continue;
			acceptors++;
			if (p->acc[i].in_accept)
				pthread_kill(p->acc[i].thread, SIGUSR1);
		}
		for (i = 0; i < p->ntw; i++) {
			if (p->tw[i].started && !p->tw[i].exited)
				tasks++;
			if (p->tw[i].current != NULL)
				running++;
		}
		if (acceptors == 0 && !closed) {
			p->draining = 1;
			for (i = 0; i < p->ntw; i++)
				pthread_cond_signal(&p->tw[i].wake);
		}
		queued = p->queued;
		pthread_mutex_unlock(&p->mu);
		if (acceptors == 0 && !closed) {
			close(0);
			closed = 1;
			log_msg(LOG_LEVEL_INFO, "shutdown", "stopped accepting; %d task(s) running, %d queued",
					running, queued);
		}
		if (closed && tasks == 0)
			break;
		if (!cancelled && ecs_clock_s() >= deadline) {
			pthread_mutex_lock(&p->mu);
			log_msg(LOG_LEVEL_WARNING, "shutdown", "grace period over: cancelling %d running task(s)",
					cancel_all(p));
			cancelled = 1;
			pthread_mutex_unlock(&p->mu);
		}
		usleep(50 * 1000);
	}
	for (i = 0; i < WORKERS_ACCEPTORS; i++)
		if (p->acc[i].started)
			pthread_join(p->acc[i].thread, NULL);
	for (i = 0; i < p->ntw; i++) {
		if (p->tw[i].started)
			pthread_join(p->tw[i].thread, NULL);
		pthread_cond_destroy(&p->tw[i].wake);
		ecs_engine_free(p->tw[i].engine);
	}
	watch_free(p->watch);
	ecs_engine_free(p->proto);
	free(p->tw);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
