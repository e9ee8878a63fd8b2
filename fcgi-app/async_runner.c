/* async_runner.c - this node's side of the queue: runners and the keeper. See async_runner.h. */
#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "admission.h"
#include "async_runner.h"
#include "callback.h"
#include "clock.h"
#include "ids.h"
#include "intake.h"
#include "log.h"
#include "metrics.h"
#include "session_exec.h"
#include "task_record.h"
#include "task_labels.h"
#include "thread.h"

/* A task running on this node (sync or async), by id: what a cancel triggers. */
typedef struct tracked {
	char id[65];
	ecs_cancel *cancel;
	int runner;             /* one of ours: the shutdown cancels it at the deadline */
	struct tracked *next;
} tracked;

struct async_runner {
	handler_ctx shared;
	pthread_mutex_t mu;
	pthread_cond_t wake;    /* a task was queued, or stop */
	pthread_cond_t idle;    /* a runner's task ended (the stop waits on it) */
	int stopping;
	unsigned long wakes;    /* counts async_runner_wake(): a runner that saw it change looks again */
	int64_t soonest_ms;     /* the end of the nearest wait defer() set (store clock); 0: none */
	int busy;               /* runners running a task */
	tracked *running;
	size_t nthreads, nengines;
	pthread_t *threads;
	ecs_engine **engines;
	pthread_t keeper;
	int keeper_started;
};

static int track(async_runner *r, const char *id, ecs_cancel *cancel, int runner)
{
	tracked *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -1;
	snprintf(t->id, sizeof(t->id), "%s", id);
	t->cancel = cancel;
	t->runner = runner;
	pthread_mutex_lock(&r->mu);
	t->next = r->running;
	r->running = t;
	pthread_mutex_unlock(&r->mu);
	return 0;
}

int async_runner_track(async_runner *r, const char *id, ecs_cancel *cancel)
{
	return r != NULL ? track(r, id, cancel, 0) : -1;
}

void async_runner_untrack(async_runner *r, const char *id)
{
	tracked **pp;

	if (r == NULL)
		return;
	pthread_mutex_lock(&r->mu);
	for (pp = &r->running; *pp != NULL; pp = &(*pp)->next) {
		if (strcmp((*pp)->id, id) == 0) {
			tracked *t = *pp;

			*pp = t->next;
			free(t);
			break;
		}
	}
	pthread_mutex_unlock(&r->mu);
}

int async_runner_cancel(async_runner *r, const char *id)
{
	tracked *t;
	int found = 0;

	if (r == NULL)
		return 0;
	pthread_mutex_lock(&r->mu);
	for (t = r->running; t != NULL; t = t->next) {
		if (strcmp(t->id, id) == 0) {
			ecs_cancel_trigger(t->cancel);
			found = 1;
		}
	}
	pthread_mutex_unlock(&r->mu);
	return found;
}

void async_runner_wake(async_runner *r)
{
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->mu);
	r->wakes++;
	pthread_cond_broadcast(&r->wake);
	pthread_mutex_unlock(&r->mu);
}

/* Record the end of @t: @status, the answer's HTTP status and document. */
/* Record how @t ended; @started_ms and @ended_ms as store_finish_span() takes them (0: the claim's, now). */
static void finish_span(const async_runner *r, const store_task *t, store_status status, int http_status,
			const char *doc, int64_t started_ms, int64_t ended_ms)
{
	char err[256];
	int rc = store_finish_span(r->shared.store, t->id, status, http_status, doc, started_ms, ended_ms, err,
				   sizeof(err));

	if (rc < 0)
		log_msg(LOG_LEVEL_ERROR, "async", "task %s: its end was not recorded: %s", t->id, err);
	else if (rc == 1)
		log_msg(LOG_LEVEL_WARNING, "async", "task %s: another node reclaimed it before it ended here", t->id);
	if (t->callback_url != NULL)
		callback_sender_wake(r->shared.callbacks);
}

static void finish(const async_runner *r, const store_task *t, store_status status, int http_status, const char *doc)
{
	finish_span(r, t, status, http_status, doc, 0, 0);
}

static void log_end(const store_task *t, const handler_info *info, int status, const char *code, double ms)
{
	log_line l;

	if (!log_enabled(LOG_LEVEL_INFO))
		return;
	log_begin(&l, LOG_LEVEL_INFO, "async");
	log_kv(&l, "task_id", t->id);
	log_kv(&l, "client", t->client);
	log_kvf(&l, "status", "%d", status);
	if (code != NULL)
		log_kv(&l, "code", code);
	if (info->labels[0] != '\0')
		log_kv(&l, "labels", info->labels);
	if (info->ran_task) {
		log_kv(&l, "container_id", info->container_id);
		log_kvf(&l, "exit_code", "%d", info->exit_code);
		if (info->error_phase != NULL) {
			log_kv(&l, "error_phase", info->error_phase);
			log_kv(&l, "error", info->error);
		}
	}
	log_kvf(&l, "duration_ms", "%.1f", ms);
	log_emit(&l, LOG_LEVEL_INFO);
}

/* A claimed task that cannot run yet waits this long in the queue before a runner looks at it again. */
#define DEFER_MS 200

/*
 * Claimed task @t cannot run here now (its client is at max_client_tasks,
 * or its session runs another request): back to the queue, in its place,
 * with what waits behind it (@scope), for DEFER_MS. The runner goes on
 * with other clients' tasks meanwhile.
 */
static void defer(async_runner *r, const store_task *t, store_defer_scope scope)
{
	int64_t until = store_now_ms() + DEFER_MS;
	char err[256];
	int rc = store_defer(r->shared.store, t, scope, until, err, sizeof(err));

	if (rc == 1 && task_cancel_requested(r->shared.store, t->id)) {
		/* A DELETE came while it was claimed: it ends now, as a queued task's cancel does. */
		char msg[200];
		char *doc;

		snprintf(msg, sizeof(msg), "the %s was canceled before it ran (DELETE /v1.1/tasks/%s%s)", t->kind,
			 t->id, t->session_id != NULL ? ", or of its session" : "");
		doc = response_error_document(499, "CANCELED", msg, t->id);
		finish(r, t, STORE_CANCELED, 499, doc);
		free(doc);
		return;
	}
	if (rc < 0)
		log_msg(LOG_LEVEL_ERROR, "async", "task %s: cannot put it back in the queue: %s", t->id, err);
	pthread_mutex_lock(&r->mu);
	if (r->soonest_ms == 0 || until < r->soonest_ms)
		r->soonest_ms = until;
	pthread_mutex_unlock(&r->mu);
}

/* Task @t is refused or failed before it ran: @resp's error its document. */
static void fail_with(const async_runner *r, const store_task *t, const handler_info *info, const response *resp,
		      double t0)
{
	finish(r, t, STORE_FAILED, resp->status, resp->body);
	log_end(t, info, resp->status, resp->code, (ecs_clock_s() - t0) * 1000.0);
}

/* A claimed task that is running here now: what a cancel of its id triggers (a DELETE, the shutdown). */
static int start_tracking(async_runner *r, const store_task *t, ecs_cancel **cancel)
{
	if (ecs_cancel_new(cancel) != 0 || track(r, t->id, *cancel, 1) != 0)
		return -1;
	/* A cancel that came between the claim and the track: honoured now. */
	if (task_cancel_requested(r->shared.store, t->id))
		ecs_cancel_trigger(*cancel);
	return 0;
}

/* A DELETE stopped it, or this node is stopping and the grace ran out (then INTERRUPTED, 1). */
static int interrupted(const async_runner *r, const store_task *t, const handler_info *info, int rc, double t0)
{
	char *doc;

	if (rc != ECS_ECANCELED || task_cancel_requested(r->shared.store, t->id))
		return 0;
	doc = task_interrupted_doc(store_node(r->shared.store), 0, t->id);
	finish(r, t, STORE_FAILED, 500, doc);
	log_end(t, info, 500, "INTERRUPTED", (ecs_clock_s() - t0) * 1000.0);
	free(doc);
	return 1;
}

/* A claimed task of kind "task": run as a synchronous task runs, answered by the same function. */
static void run_task(async_runner *r, handler_ctx *ctx, const intake_deps *deps, const store_task *t,
		     handler_info *info, response *resp, const request *req, double t0)
{
	intake_refusal why;
	intake_task it;
	ecs_task_spec spec;
	ecs_task_result res = ECS_TASK_RESULT_INIT;
	int rc;

	if (intake_take_stored(&it, &why, deps, TASK_BODY_TASK, t->request, strlen(t->request)) != 0) {
		/* Refused now (the configuration changed since it was queued): failed, the refusal its document. */
		response_set_error(resp, why.status, why.code, why.message, t->id);
		return fail_with(r, t, info, resp, t0);
	}
	task_labels_log(info->labels, sizeof(info->labels), it.body.labels);
	if (start_tracking(r, t, &ctx->cancel) != 0) {
		response_set_error(resp, 500, "INTERNAL_ERROR", "out of memory", t->id);
		intake_clear(&it);
		return fail_with(r, t, info, resp, t0);
	}
	intake_spec(&spec, &it, ctx->cfg, ctx->cancel, ctx->pool, ctx->channel_dir);
	spec.task_id = t->id;
	metrics_tasks_in_flight_add(1);
	rc = ecs_task_run(&res, ctx->engine, ctx->reaper, &spec);
	metrics_tasks_in_flight_add(-1);
	async_runner_untrack(r, t->id);
	if (!interrupted(r, t, info, rc, t0)) {
		handler_task_answer(resp, info, ctx, req, &it, rc, &res, rc == ECS_ECANCELED);
		finish(r, t, task_status_of(resp), resp->status, resp->body);
		log_end(t, info, resp->status, resp->code, (ecs_clock_s() - t0) * 1000.0);
	}
	ecs_task_result_clear(&res);
	intake_clear(&it);
}

/*
 * A claimed exec (pinned here: its session lives on this node): run in its
 * session as a synchronous exec runs (session_exec.h), for the client that
 * submitted it only (the session's owner is that client's hash). A session
 * running another request makes it wait; a session gone makes it fail with
 * the error a synchronous exec gets.
 */
static void run_exec(async_runner *r, handler_ctx *ctx, const intake_deps *deps, const store_task *t,
		     handler_info *info, response *resp, const request *req, double t0)
{
	char owner[ECS_SESSION_HASH_SIZE];
	intake_refusal why;
	intake_task it;
	session_view v;
	session_exec_outcome o;
	session_status st;
	int64_t began, ended;

	if (t->session_id == NULL || ctx->sessions == NULL || ecs_session_hash(owner, t->client) != 0) {
		response_set_error(resp, 500, "INTERNAL_ERROR", "the stored exec names no session this node holds", t->id);
		return fail_with(r, t, info, resp, t0);
	}
	st = session_hold(resp, ctx, req, t->session_id, owner, &v);
	if (st == SESSION_BUSY) {
		response_clear(resp);
		response_init(resp);
		return defer(r, t, STORE_DEFER_SESSION);
	}
	if (st != SESSION_FOUND)
		return fail_with(r, t, info, resp, t0);
	began = store_now_ms();  /* its record's start: when it held its session, not when it was claimed */
	if (intake_take_stored(&it, &why, deps, TASK_BODY_EXEC, t->request, strlen(t->request)) != 0) {
		session_registry_release(ctx->sessions, t->session_id, 0, 0, 0, NULL);
		session_view_clear(&v);
		response_set_error(resp, why.status, why.code, why.message, t->id);
		return fail_with(r, t, info, resp, t0);
	}
	task_labels_log(info->labels, sizeof(info->labels), it.body.labels);
	if (start_tracking(r, t, &ctx->cancel) != 0) {
		session_registry_release(ctx->sessions, t->session_id, 0, 0, 0, NULL);
		session_view_clear(&v);
		intake_clear(&it);
		response_set_error(resp, 500, "INTERNAL_ERROR", "out of memory", t->id);
		return fail_with(r, t, info, resp, t0);
	}
	metrics_tasks_in_flight_add(1);
	session_exec_run(&o, resp, info, ctx, req, &it, &v, NULL, t->id);
	metrics_tasks_in_flight_add(-1);
	async_runner_untrack(r, t->id);
	/* Free before it is told: a client that saw the end may send the next request at once. */
	ended = store_now_ms();
	session_exec_release(ctx, t->session_id, &o);
	if (!interrupted(r, t, info, o.rc, t0)) {
		finish_span(r, t, task_status_of(resp), resp->status, resp->body, began, ended);
		log_end(t, info, resp->status, resp->code, (ecs_clock_s() - t0) * 1000.0);
	}
	session_view_clear(&v);
	intake_clear(&it);
}

/*
 * One claimed task: admitted again from its stored body for the client
 * that submitted it (the same intake as a synchronous request), counted
 * toward that client's max_client_tasks with its synchronous ones (at the
 * cap it waits in the queue: never a 429), run, answered, recorded.
 */
static void run_claimed(async_runner *r, ecs_engine *engine, const store_task *t)
{
	static char *no_params[] = { NULL };
	handler_ctx ctx = r->shared;
	handler_info info;
	auth_result auth;
	struct json_object *auth_holder = NULL;
	intake_deps deps;
	response resp;
	request req;
	double t0 = ecs_clock_s();
	int counted = 0;

	memset(&info, 0, sizeof(info));
	memset(&req, 0, sizeof(req));
	response_init(&resp);
	req.envp = no_params;
	req.query = "";
	snprintf(req.method, sizeof(req.method), "POST");
	/* The error document's requestId: the task's id, what its log lines carry. */
	snprintf(req.request_id, sizeof(req.request_id), "%s", t->id);
	if (task_auth_parse(&auth, &auth_holder, t->auth) != 0 || t->request == NULL) {
		response_set_error(&resp, 500, "INTERNAL_ERROR", "the stored task is unreadable", t->id);
		fail_with(r, t, &info, &resp, t0);
		goto out;
	}
	if (ctx.admission != NULL) {
		const client_rule *rule = config_find_client(ctx.cfg, auth.subject, auth.user);
		int rc = admission_enter(ctx.admission, t->client, config_client_task_limit(ctx.cfg, rule));

		if (rc == 1) {
			defer(r, t, STORE_DEFER_CLIENT);
			goto out;
		}
		if (rc != 0) {
			response_set_error(&resp, 500, "INTERNAL_ERROR", "out of memory", t->id);
			fail_with(r, t, &info, &resp, t0);
			goto out;
		}
		counted = 1;
	}
	deps.cfg = r->shared.cfg;
	deps.engine = engine;
	deps.creds = r->shared.creds;
	deps.auth = &auth;
	deps.client = t->client;
	ctx.engine = engine;
	ctx.cancel = NULL;
	ctx.client_gone = NULL;
	ctx.stream = NULL;
	if (strcmp(t->kind, "exec") == 0)
		run_exec(r, &ctx, &deps, t, &info, &resp, &req, t0);
	else
		run_task(r, &ctx, &deps, t, &info, &resp, &req, t0);
out:
	if (counted)
		admission_leave(ctx.admission, t->client);
	ecs_cancel_free(ctx.cancel);
	json_object_put(auth_holder);
	response_clear(&resp);
}

static void *runner_main(void *arg)
{
	async_runner *r = ((void **)arg)[0];
	ecs_engine *engine = ((void **)arg)[1];
	int logged = 0;

	free(arg);
	for (;;) {
		store_task t;
		char err[256];
		unsigned long seen;
		int rc;

		pthread_mutex_lock(&r->mu);
		seen = r->wakes;
		if (r->stopping) {
			pthread_mutex_unlock(&r->mu);
			break;
		}
		pthread_mutex_unlock(&r->mu);
		memset(&t, 0, sizeof(t));
		rc = store_claim(r->shared.store, &t, err, sizeof(err));
		if (rc == 1) {
			logged = 0;
			pthread_mutex_lock(&r->mu);
			r->busy++;
			pthread_mutex_unlock(&r->mu);
			run_claimed(r, engine, &t);
			store_task_clear(&t);
			pthread_mutex_lock(&r->mu);
			r->busy--;
			pthread_cond_broadcast(&r->idle);
			pthread_mutex_unlock(&r->mu);
			continue;
		}
		store_task_clear(&t);
		if (rc < 0 && !logged) {
			log_msg(LOG_LEVEL_ERROR, "async", "cannot claim queued tasks: %s", err);
			logged = 1;
		}
		/*
		 * Nothing queued: until a submission wakes us, or a second (another
		 * node's submissions, a fleet), or a deferred task's wait ends.
		 */
		{
			struct timespec until;
			int64_t now = store_now_ms(), at = now + 1000;

			pthread_mutex_lock(&r->mu);
			if (r->soonest_ms != 0 && r->soonest_ms <= now)
				r->soonest_ms = 0;
			if (r->soonest_ms != 0 && r->soonest_ms < at)
				at = r->soonest_ms;
			pthread_mutex_unlock(&r->mu);
			/* store_now_ms() is CLOCK_REALTIME, the clock the wait reads */
			until.tv_sec = (time_t)(at / 1000);
			until.tv_nsec = (long)(at % 1000) * 1000000L;
			pthread_mutex_lock(&r->mu);
			while (!r->stopping && r->wakes == seen &&
			       pthread_cond_timedwait(&r->wake, &r->mu, &until) != ETIMEDOUT)
				;
			pthread_mutex_unlock(&r->mu);
		}
	}
	return NULL;
}

/*
 * The keeper: this node's lease renewed, lapsed nodes' tasks reclaimed,
 * ended tasks purged after result_ttl, and (PostgreSQL) the cancels other
 * nodes publish heard in between.
 */
static void *keeper_main(void *arg)
{
	async_runner *r = arg;
	store *st = r->shared.store;
	unsigned int lease = r->shared.cfg->store.lease_s ? r->shared.cfg->store.lease_s : 30;
	double every = lease / 3.0, next = 0;
	char rid[65] = "reclaim";

	(void)ecs_id_generate(rid, sizeof(rid));

	for (;;) {
		char err[256], id[72];
		int rc;

		pthread_mutex_lock(&r->mu);
		rc = r->stopping;
		pthread_mutex_unlock(&r->mu);
		if (rc)
			break;
		if (ecs_clock_s() >= next) {
			store_task *list = NULL;
			long n;

			next = ecs_clock_s() + every;
			if (store_renew(st, err, sizeof(err)) < 0)
				log_msg(LOG_LEVEL_ERROR, "async", "cannot renew this node's lease: %s", err);
			n = store_reclaim(st, 0, task_interrupted_lapsed, rid, &list, err, sizeof(err));
			if (n < 0)
				log_msg(LOG_LEVEL_ERROR, "async", "cannot reclaim lapsed nodes' tasks: %s", err);
			for (long i = 0; i < n; i++)
				log_msg(LOG_LEVEL_WARNING, "async", "task %s of node '%s' INTERRUPTED: its node's lease lapsed "
					"(request_id %s)", list[i].id, list[i].node, rid);
			if (n > 0) {
				store_tasks_free(list, (size_t)n);
				callback_sender_wake(r->shared.callbacks);
			}
			n = store_purge(st, err, sizeof(err));
			if (n < 0)
				log_msg(LOG_LEVEL_ERROR, "async", "cannot purge ended tasks: %s", err);
			else if (n > 0)
				log_msg(LOG_LEVEL_INFO, "async", "purged %ld task(s) older than result_ttl", n);
		}
		rc = store_listen_cancels(st, 500, id, sizeof(id), err, sizeof(err));
		if (rc == 1)
			async_runner_cancel(r, id);
		else if (rc < 0) {
			struct timespec pause = { 0, 500 * 1000 * 1000 };

			nanosleep(&pause, NULL);  /* the listener reconnects on the next call */
		}
	}
	return NULL;
}

int async_runner_start(async_runner **out, const handler_ctx *shared, const ecs_engine *proto)
{
	async_runner *r = calloc(1, sizeof(*r));
	size_t i, n = shared->cfg->store.async_workers;

	*out = NULL;
	if (r == NULL)
		return -1;
	r->shared = *shared;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->wake, NULL);
	pthread_cond_init(&r->idle, NULL);
	r->threads = calloc(n ? n : 1, sizeof(*r->threads));
	r->engines = calloc(n ? n : 1, sizeof(*r->engines));
	if (r->threads == NULL || r->engines == NULL)
		goto fail;
	r->nengines = n;
	for (i = 0; i < n; i++) {
		void **arg;

		if (ecs_engine_dup(&r->engines[i], proto) != 0 || (arg = malloc(2 * sizeof(*arg))) == NULL)
			goto fail;
		arg[0] = r;
		arg[1] = r->engines[i];
		if (thread_start(&r->threads[i], THREAD_STACK_WORK, "ecs-async", runner_main, arg) != 0) {
			free(arg);
			goto fail;
		}
		r->nthreads++;
	}
	if (thread_start(&r->keeper, THREAD_STACK_WORK, "ecs-async-keep", keeper_main, r) != 0)
		goto fail;
	r->keeper_started = 1;
	log_msg(LOG_LEVEL_INFO, "async", "%zu runner(s) on node '%s'", n, store_node(shared->store));
	*out = r;
	return 0;
fail:
	log_msg(LOG_LEVEL_ERROR, "async", "cannot start the queue's runners");
	async_runner_stop(r, 0);
	return -1;
}

void async_runner_stop(async_runner *r, double deadline)
{
	size_t i;

	if (r == NULL)
		return;
	pthread_mutex_lock(&r->mu);
	r->stopping = 1;
	pthread_cond_broadcast(&r->wake);
	/* Running tasks get until @deadline; then ours are canceled (they end INTERRUPTED). */
	while (r->busy > 0 && ecs_clock_s() < deadline) {
		struct timespec until;
		double left = deadline - ecs_clock_s();

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += (time_t)left;
		until.tv_nsec += (long)((left - (double)(time_t)left) * 1e9);
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&r->idle, &r->mu, &until);
	}
	for (tracked *t = r->running; t != NULL; t = t->next)
		if (t->runner)
			ecs_cancel_trigger(t->cancel);
	pthread_mutex_unlock(&r->mu);
	for (i = 0; i < r->nthreads; i++)
		pthread_join(r->threads[i], NULL);
	if (r->keeper_started)
		pthread_join(r->keeper, NULL);
	for (i = 0; r->engines != NULL && i < r->nengines; i++)
		ecs_engine_free(r->engines[i]);
	while (r->running != NULL) {
		tracked *t = r->running;

		r->running = t->next;
		free(t);
	}
	free(r->threads);
	free(r->engines);
	pthread_cond_destroy(&r->idle);
	pthread_cond_destroy(&r->wake);
	pthread_mutex_destroy(&r->mu);
	free(r);
}
