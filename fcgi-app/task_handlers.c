/* task_handlers.c - tasks that outlive their request: submit, poll, list, cancel. See task_handlers.h. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "async_runner.h"
#include "callback.h"
#include "ids.h"
#include "intake.h"
#include "log.h"
#include "metrics.h"
#include "query.h"
#include "store.h"
#include "task_doc.h"
#include "task_handlers.h"
#include "task_record.h"
#include "task_headers.h"
#include "task_labels.h"
#include "text.h"

/* Every 404 of this family says the same, so an id tells nobody whose it is. */
static void not_found(response *resp, const request *req, const char *id)
{
	handler_error(resp, req, 404, "TASK_NOT_FOUND", "no task '%s' here (it never existed, its result "
		      "was purged, or it belongs to another client)", id);
}

static void retry_after(response *resp, int secs)
{
	char s[16];

	snprintf(s, sizeof(s), "%d", secs);
	response_add_header(resp, "Retry-After", s);
}

static void store_down(response *resp, const request *req, const char *err)
{
	retry_after(resp, TASK_QUEUED_RETRY_AFTER_S);
	handler_error(resp, req, 503, "STORE_UNAVAILABLE", "the task store is unavailable%s%s", err[0] ? ": " : "", err);
}

static void no_store(response *resp, const request *req)
{
	store_down(resp, req, "no store is open on this node");
}

/* The absolute URL of /v1.1/tasks, from the requested one's scheme and host. malloc'd, or NULL. */
static char *self_base(const request *req)
{
	size_t size = request_self_url_size(req) + sizeof("/v1.1/tasks");
	char *url = malloc(size), *p;

	if (url == NULL || request_self_url(url, size, req) != 0) {
		free(url);
		return NULL;
	}
	p = strstr(url, "://");
	p = p != NULL ? strchr(p + 3, '/') : NULL;
	if (p == NULL)
		p = url + strlen(url);
	memcpy(p, "/v1.1/tasks", sizeof("/v1.1/tasks"));
	return url;
}

/* The document of @t as the answer's body with @status; @location: also a Location header. */
static void answer_doc(response *resp, const request *req, int status, const store_task *t, int location)
{
	char *base = self_base(req);
	struct json_object *o = base != NULL ? task_doc_json(t, base, TASK_DOC_FULL) : NULL;

	if (o != NULL && location) {
		char *loc = NULL;

		if (asprintf(&loc, "%s/%s", base, t->id) >= 0)
			response_add_header(resp, "Location", loc);
		free(loc);
	}
	free(base);
	handler_json(resp, req, status, o);
}

/* A key seen before with this very request: its first answer, never a second run. */
static void answer_replay(response *resp, const request *req, const store_task *first)
{
	response_add_header(resp, "Idempotent-Replayed", "true");
	if (first->async) {
		answer_doc(resp, req, 202, first, 1);
		return;
	}
	if (store_status_ended(first->status) && first->result != NULL) {
		char *body = strdup(first->result);

		if (body == NULL)
			return handler_error(resp, req, 500, "INTERNAL_ERROR", "out of memory");
		response_set_body(resp, first->http_status, RESPONSE_JSON_TYPE, body, strlen(body));
		return;
	}
	retry_after(resp, HANDLER_RETRY_AFTER_S);
	handler_error(resp, req, 409, "IDEMPOTENCY_KEY_IN_USE", "a request with this Idempotency-Key (task '%s') "
		      "is still running; retry to get its answer once it ended", first->id);
}

/* What store_submit() said of a submission that is not a new task. */
static void answer_not_submitted(response *resp, const request *req, store_submit_outcome oc,
				 const store_task *first, unsigned int cap)
{
	switch (oc) {
	case STORE_REPLAY:
		return answer_replay(resp, req, first);
	case STORE_KEY_MISMATCH:
		return handler_error(resp, req, 422, "IDEMPOTENCY_KEY_MISMATCH", "this Idempotency-Key was used "
				     "with another request (method, path or body); use a new key for a new request");
	case STORE_CLIENT_FULL:
		retry_after(resp, TASK_QUEUED_RETRY_AFTER_S);
		return handler_error(resp, req, 429, "TOO_MANY_QUEUED", "limit max_client_queued: this client already "
				     "has %u task(s) queued; retry when some have run", cap);
	case STORE_QUEUE_FULL:
	default:
		retry_after(resp, TASK_QUEUED_RETRY_AFTER_S);
		return handler_error(resp, req, 503, "QUEUE_FULL", "limit queue_max: the task queue is full; retry later");
	}
}

static unsigned int client_queue_cap(const config *cfg, const client_rule *rule)
{
	return rule != NULL && rule->max_queued >= 0 ? (unsigned int)rule->max_queued : cfg->store.max_client_queued;
}

/*
 * The synchronous run: as it always was for the client; recorded (when
 * @recorded) so the id can be polled and canceled, and its answer kept
 * for a replay of its key.
 */
static void run_sync(response *resp, handler_info *info, handler_ctx *ctx, request *req, const intake_task *t,
		     const char *id, int recorded)
{
	ecs_task_spec spec;
	ecs_task_result res = ECS_TASK_RESULT_INIT;
	ndjson nd;
	int live = ctx->stream != NULL && ndjson_wanted(request_param(req->envp, "HTTP_ACCEPT"));
	int rc, tracked = 0, canceled;

	intake_spec(&spec, t, ctx->cfg, ctx->cancel, ctx->pool, ctx->channel_dir);
	spec.task_id = id[0] != '\0' ? id : NULL;
	if (live) {
		ndjson_init(&nd, ctx->stream, req->request_id);
		spec.on_output = ndjson_output;
		spec.on_output_arg = &nd;
	}
	if (recorded && ctx->runner != NULL)
		tracked = async_runner_track(ctx->runner, id, ctx->cancel) == 0;
	metrics_tasks_in_flight_add(1);
	rc = ecs_task_run(&res, ctx->engine, ctx->reaper, &spec);
	metrics_tasks_in_flight_add(-1);
	if (tracked)
		async_runner_untrack(ctx->runner, id);
	canceled = rc == ECS_ECANCELED && recorded && !ecs_cancel_is_triggered(ctx->client_gone) &&
		   task_cancel_requested(ctx->store, id);
	handler_task_answer(resp, info, ctx, req, t, rc, &res, canceled);
	if (recorded)
		task_record_end(ctx, t, id, resp);
	else if (id[0] == '\0' && res.task_id[0] != '\0')
		task_record_ran(resp, info, ctx, req, t, res.task_id);
	if (live) {
		/* The last line is the answer's own document, without the output the lines carried. */
		struct json_object *doc = rc == 0 && resp->body != NULL ? json_tokener_parse(resp->body) : NULL;

		handler_stream_end(resp, ctx, &nd, rc == 0 && doc == NULL ? ECS_ENOMEM : rc, doc);
		json_object_put(doc);
	}
	ecs_task_result_clear(&res);
}

/*
 * The 202 of task @now, just queued: its document as stored (the INSERT's
 * RETURNING, store_submit()), Location and Preference-Applied; a runner
 * is woken. Queued, whatever a runner (here or, in a fleet, on another
 * node) may have done with it since.
 */
static void answer_queued(response *resp, const handler_ctx *ctx, const request *req, const store_task *now)
{
	async_runner_wake(ctx->runner);
	response_add_header(resp, "Preference-Applied", "respond-async");
	answer_doc(resp, req, 202, now, 1);
}

int task_submit(response *resp, handler_info *info, handler_ctx *ctx, const request *req, const intake_task *t,
		const task_submit_how *how, char id[65], int *recorded)
{
	const char *key = request_param(req->envp, "HTTP_IDEMPOTENCY_KEY");
	int k = task_headers_idem_key(key), rc, answered = 1;
	store_submission sub;
	store_submit_outcome oc = STORE_SUBMITTED;
	store_task first;
	char fp[TASK_FINGERPRINT_SIZE], err[256];
	char *auth = NULL, *labels = NULL;

	*recorded = 0;
	if (k < 0) {
		handler_error(resp, req, 400, "BAD_IDEMPOTENCY_KEY", "Idempotency-Key must be 1-%d printable ASCII "
			      "characters, without a space at either end", TASK_IDEM_KEY_MAX);
		return 1;
	}
	task_labels_log(info->labels, sizeof(info->labels), t->body.labels);
	if (ctx->store == NULL && (how->async || k > 0)) {
		no_store(resp, req);
		return 1;
	}
	if (how->run_first && !how->async && k == 0) {
		/*
		 * Nothing needs the record before the run: the task takes the id
		 * libecs gives it (a warm container's own, the one its labels
		 * carry), and is recorded under it once it ran.
		 */
		id[0] = '\0';
		return 0;
	}
	if ((id[0] == '\0' && ecs_id_generate(id, 65) != 0) ||
	    (k > 0 && task_headers_fingerprint(fp, "POST", how->path, req->body, req->body_len) != 0) ||
	    (auth = task_auth_json(&info->auth)) == NULL ||
	    (t->body.labels != NULL &&
	     (labels = strdup(json_object_to_json_string_ext(t->body.labels, JSON_C_TO_STRING_PLAIN))) == NULL)) {
		handler_error(resp, req, 500, "INTERNAL_ERROR", "out of memory");
		goto out;
	}
	snprintf(info->task_id, sizeof(info->task_id), "%s", id);
	answered = 0;
	if (ctx->store == NULL || (!how->record && !how->async && k == 0 && t->body.callback_url == NULL))
		goto out;
	memset(&first, 0, sizeof(first));
	memset(&sub, 0, sizeof(sub));
	sub.id = id;
	sub.client = info->client;
	sub.kind = how->kind;
	sub.session_id = how->session_id;
	sub.pin_node = how->session_id != NULL ? store_node(ctx->store) : NULL;
	sub.async = how->async;
	sub.request = req->body;
	sub.request_len = req->body_len;
	sub.auth = auth;
	sub.labels = labels;
	sub.idem_key = k > 0 ? key : NULL;
	sub.fingerprint = k > 0 ? fp : NULL;
	sub.callback_url = t->body.callback_url;
	sub.client_queue_cap = how->async ? client_queue_cap(ctx->cfg, t->rule) : 0;
	rc = how->ended != NULL ? store_record_ran(ctx->store, &sub, task_status_of(how->ended), how->ended->status,
						   how->ended->body, err, sizeof(err))
				: store_submit(ctx->store, &sub, &oc, &first, err, sizeof(err));
	if (rc < 0 && (how->async || k > 0)) {
		store_down(resp, req, err);
		answered = 1;
	} else if (rc < 0) {
		/* Without a key nothing depends on the record: the task runs, the failure is logged. */
		log_msg(LOG_LEVEL_ERROR, "store", "task %s runs unrecorded: %s", id, err);
	} else if (oc != STORE_SUBMITTED) {
		answer_not_submitted(resp, req, oc, &first, sub.client_queue_cap);
		answered = 1;
	} else {
		*recorded = 1;
		if (how->async) {
			answer_queued(resp, ctx, req, &first);
			answered = 1;
		}
	}
	store_task_clear(&first);
out:
	free(auth);
	free(labels);
	return answered;
}

void task_record_ran(const response *answer, handler_info *info, handler_ctx *ctx, const request *req,
		     const intake_task *t, const char *ran_as)
{
	task_submit_how how = { "task", NULL, "/v1.1/tasks", 0, 1, 0, answer };
	response scratch;
	char id[65];
	int recorded = 0;

	if (ctx->store == NULL)
		return;
	snprintf(id, sizeof(id), "%s", ran_as);
	response_init(&scratch);
	/*
	 * Recorded ended in one transaction, not flushed on its own unless a
	 * callback waits on it (store_record_ran()): it is on the answer's
	 * path, and two flushed commits were most of what ecs-fcgi added to a
	 * pooled task. A failure here is the store's (logged), never the answer's.
	 */
	if (task_submit(&scratch, info, ctx, req, t, &how, id, &recorded) == 0 && recorded &&
	    t->body.callback_url != NULL)
		callback_sender_wake(ctx->callbacks);
	response_clear(&scratch);
}

void task_record_end(handler_ctx *ctx, const intake_task *t, const char *id, const response *resp)
{
	char err[256];

	if (store_finish(ctx->store, id, task_status_of(resp), resp->status, resp->body, err, sizeof(err)) < 0)
		log_msg(LOG_LEVEL_ERROR, "store", "task %s: its end was not recorded: %s", id, err);
	if (t->body.callback_url != NULL)
		callback_sender_wake(ctx->callbacks);
}

void task_handle_post(response *resp, handler_info *info, handler_ctx *ctx, request *req)
{
	intake_deps deps = { ctx->cfg, ctx->engine, ctx->creds, &info->auth, info->client };
	task_submit_how how = { "task", NULL, "/v1.1/tasks", 0, 1, 1, NULL };
	intake_refusal why;
	intake_task t;
	char id[65] = "";
	int recorded;

	how.async = task_headers_respond_async(request_param(req->envp, "HTTP_PREFER"));
	if (task_headers_idem_key(request_param(req->envp, "HTTP_IDEMPOTENCY_KEY")) < 0) {
		/* before the body is read: a malformed key is the client's whatever the body */
		task_submit(resp, info, ctx, req, NULL, &how, id, &recorded);
		return;
	}
	if (intake_take(&t, &why, &deps, req) != 0) {
		if (why.phase != NULL) {
			info->error_phase = why.phase;
			snprintf(info->error, sizeof(info->error), "%s", why.detail);
		}
		response_set_error(resp, why.status, why.code, why.message, req->request_id);
		return;
	}
	if (task_submit(resp, info, ctx, req, &t, &how, id, &recorded) == 0)
		run_sync(resp, info, ctx, req, &t, id, recorded);
	intake_clear(&t);
}

void task_handle_get(response *resp, const handler_info *info, const handler_ctx *ctx, const request *req)
{
	store_task t;
	char err[256];
	int rc;

	if (ctx->store == NULL)
		return no_store(resp, req);
	memset(&t, 0, sizeof(t));
	rc = store_get(ctx->store, info->client, info->route.param, &t, err, sizeof(err));
	if (rc < 0)
		store_down(resp, req, err);
	else if (rc == 0)
		not_found(resp, req, info->route.param);
	else
		answer_doc(resp, req, 200, &t, 0);
	store_task_clear(&t);
}

/* A listing's cursor: "<created ms>.<id>" of the last task of the page before. */
static int parse_cursor(store_filter *f, const char *s)
{
	char *end;
	long long ms;

	errno = 0;
	ms = strtoll(s, &end, 10);
	if (errno != 0 || end == s || ms <= 0 || *end != '.' || end[1] == '\0' || strlen(end + 1) > 64)
		return -1;
	for (const char *p = end + 1; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '_' || *p == '.' || *p == '-'))
			return -1;
	f->before_ms = ms;
	f->before_id = end + 1;
	return 0;
}

/* The listing's query, parsed once; the strings live in @vals (free each). -1 with @why for a 400. */
static int parse_list_query(store_filter *f, char *vals[4], const char *qs, char *why, size_t whylen)
{
	static const char *const names[4] = { "status", "label", "limit", "before" };
	char q[80];
	int i, rc;

	memset(f, 0, sizeof(*f));
	f->status = -1;
	f->limit = 100;
	for (i = 0; i < 4; i++) {
		rc = query_get(&vals[i], qs, names[i]);
		if (rc == -2)
			return -2;
		if (rc == -1) {
			snprintf(why, whylen, "the query string is malformed");
			return -1;
		}
	}
	if (vals[0] != NULL) {
		store_status s;

		if (store_status_parse(&s, vals[0]) != 0) {
			snprintf(why, whylen, "status must be queued, running, succeeded, failed or canceled, not '%s'",
				 text_quote(q, sizeof(q), vals[0], 32));
			return -1;
		}
		f->status = (int)s;
	}
	if (vals[1] != NULL) {
		char *eq = strchr(vals[1], '=');

		if (eq == NULL || !task_label_key_ok(vals[1], (size_t)(eq - vals[1])) ||
		    !task_label_value_ok(eq + 1, strlen(eq + 1))) {
			snprintf(why, whylen, "label must be key=value, with a label's key and value, not '%s'",
				 text_quote(q, sizeof(q), vals[1], 64));
			return -1;
		}
		*eq = '\0';
		f->label_key = vals[1];
		f->label_value = eq + 1;
	}
	if (vals[2] != NULL) {
		char *end;
		long n;

		errno = 0;
		n = strtol(vals[2], &end, 10);
		if (errno != 0 || end == vals[2] || *end != '\0' || n < 1 || n > 1000) {
			snprintf(why, whylen, "limit must be a whole number from 1 to 1000");
			return -1;
		}
		f->limit = (size_t)n;
	}
	if (vals[3] != NULL && parse_cursor(f, vals[3]) != 0) {
		snprintf(why, whylen, "before must be the 'next' cursor of a listing");
		return -1;
	}
	return 0;
}

/* {"tasks": [...], "next": cursor (when the page is full), "links": {"self"}} */
static struct json_object *list_doc(const request *req, const store_task *list, long n, size_t limit)
{
	struct json_object *o = json_object_new_object(), *arr = json_object_new_array();
	char *base = self_base(req);
	long i;

	if (o == NULL || base == NULL || handler_put(o, "tasks", arr) != 0)
		goto fail;
	arr = NULL;
	for (i = 0; i < n; i++) {
		struct json_object *d = task_doc_json(&list[i], base, TASK_DOC_SUMMARY);

		if (d == NULL || json_object_array_add(json_object_object_get(o, "tasks"), d) != 0) {
			json_object_put(d);
			goto fail;
		}
	}
	if (n > 0 && (size_t)n == limit) {
		char cur[96];

		snprintf(cur, sizeof(cur), "%lld.%s", (long long)list[n - 1].created_ms, list[n - 1].id);
		if (handler_put(o, "next", json_object_new_string(cur)) != 0)
			goto fail;
	}
	if (handler_self_link(o, req) != 0)
		goto fail;
	free(base);
	return o;
fail:
	json_object_put(arr);
	json_object_put(o);
	free(base);
	return NULL;
}

void task_handle_list(response *resp, const handler_info *info, const handler_ctx *ctx, const request *req)
{
	store_filter f;
	store_task *list = NULL;
	char *vals[4] = { NULL, NULL, NULL, NULL }, why[256], err[256];
	long n;
	int rc, i;

	if (ctx->store == NULL)
		return no_store(resp, req);
	rc = parse_list_query(&f, vals, req->query, why, sizeof(why));
	if (rc == -2)
		handler_error(resp, req, 500, "INTERNAL_ERROR", "out of memory");
	else if (rc != 0)
		handler_error(resp, req, 400, "BAD_QUERY_PARAMETER", "%s", why);
	else if ((n = store_list(ctx->store, info->client, &f, &list, err, sizeof(err))) < 0)
		store_down(resp, req, err);
	else {
		handler_json(resp, req, 200, list_doc(req, list, n, f.limit));
		store_tasks_free(list, (size_t)n);
	}
	for (i = 0; i < 4; i++)
		free(vals[i]);
}

void task_handle_delete(response *resp, const handler_info *info, const handler_ctx *ctx, const request *req)
{
	const char *id = info->route.param;
	char err[256], msg[200];
	char *doc;
	store_task t;
	int rc;
	struct timespec step = { 0, 100 * 1000 * 1000 };

	if (ctx->store == NULL)
		return no_store(resp, req);
	snprintf(msg, sizeof(msg), "the task was canceled (DELETE /v1.1/tasks/%s) before it ran", id);
	doc = response_error_document(499, "CANCELED", msg, req->request_id);
	if (doc == NULL)
		return handler_error(resp, req, 500, "INTERNAL_ERROR", "out of memory");
	memset(&t, 0, sizeof(t));
	rc = store_cancel(ctx->store, info->client, id, doc, &t, err, sizeof(err));
	free(doc);
	if (rc < 0)
		return store_down(resp, req, err);
	if (rc == 0)
		return not_found(resp, req, id);
	if (t.status == STORE_RUNNING) {
		/* Ours: triggered here; another node's: told by the store (NOTIFY). Then wait, bounded. */
		int i;

		async_runner_cancel(ctx->runner, id);
		for (i = 0; i < TASK_CANCEL_WAIT_S * 10 && !store_status_ended(t.status); i++) {
			nanosleep(&step, NULL);
			store_task_clear(&t);
			rc = store_get(ctx->store, info->client, id, &t, err, sizeof(err));
			if (rc != 1) {
				store_task_clear(&t);
				return rc == 0 ? not_found(resp, req, id) : store_down(resp, req, err);
			}
		}
	}
	answer_doc(resp, req, store_status_ended(t.status) ? 200 : 202, &t, 0);
	store_task_clear(&t);
}
