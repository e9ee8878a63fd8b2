/*
 * callback_send.c - the deliverer thread (callback.h): takes due
 * callbacks from the store, judges the URL again against today's
 * callback_allow and today's DNS, POSTs the signed task document to the
 * address it checked, and records the outcome.
 */
#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "callback.h"
#include "callback_sign.h"
#include "callback_url.h"
#include "clock.h"
#include "log.h"
#include "task_doc.h"
#include "task_record.h"
#include "thread.h"

/* Without a wake, the store is looked at this often (a fleet's other nodes end tasks too). */
#define TICK_MS 1000
/* The backoff doubles from 1 s up to this. */
#define BACKOFF_MAX_S 300
/* Deliveries at once: a receiver that never answers holds one thread for callback_timeout, not everyone's. */
#define SENDERS 4

struct callback_sender {
	const config *cfg;
	store *st;
	pthread_t threads[SENDERS];
	int started;                /* threads running */
	pthread_mutex_t mu;
	pthread_cond_t cond;        /* CLOCK_MONOTONIC */
	int stopping;               /* under mu */
	unsigned long wakes;        /* under mu: callback_sender_wake() calls, so no wake is lost during a claim */
	unsigned long long delivered, failed, retried; /* under mu */
};

/* One attempt's outcome. */
typedef struct {
	long status;                /* the receiver's HTTP status; 0: no answer */
	char error[256];            /* "" when delivered */
} attempt;

static size_t discard(char *p, size_t size, size_t n, void *u)
{
	(void)p;
	(void)u;
	return size * n;
}

/* The secret of the task's client, found again from its stored identity (today's ecs.conf). */
static const char *secret_of(const config *cfg, const store_task *t)
{
	json_object *holder = NULL;
	const char *secret = NULL;
	auth_result a;

	if (task_auth_parse(&a, &holder, t->auth) == 0)
		secret = callback_secret_for(cfg, config_find_client(cfg, a.subject, a.user));
	json_object_put(holder);
	return secret;
}

static struct curl_slist *add_header(struct curl_slist *h, int *bad, const char *fmt, const char *v)
{
	char line[512];
	struct curl_slist *n;

	snprintf(line, sizeof(line), fmt, v);
	n = curl_slist_append(h, line);
	if (n == NULL)
		*bad = 1;
	return n != NULL ? n : h;
}

/* POST @body to @t's URL, connecting only to @addr (checked): curl never resolves the name itself. */
static void post(attempt *a, const config *cfg, const store_task *t, const char *addr, const char *sig,
		 const char *body, size_t len)
{
	char errbuf[CURL_ERROR_SIZE] = "", pin[CALLBACK_ADDR_MAX + 8];
	struct curl_slist *headers = NULL, *connect_to = NULL;
	CURL *c = curl_easy_init();
	CURLcode rc;
	int bad = 0;

	if (c == NULL) {
		snprintf(a->error, sizeof(a->error), "out of memory");
		return;
	}
	headers = add_header(headers, &bad, "%s", "Content-Type: application/json");
	headers = add_header(headers, &bad, "%s", "Expect:");
	headers = add_header(headers, &bad, "ECS-Delivery: %s", t->callback_delivery_id);
	headers = add_header(headers, &bad, "ECS-Task-Id: %s", t->id);
	headers = add_header(headers, &bad, "ECS-Signature: %s", sig);
	/* Empty host and port: every connection of this handle goes to the address checked. */
	snprintf(pin, sizeof(pin), strchr(addr, ':') != NULL ? "::[%s]:" : "::%s:", addr);
	connect_to = curl_slist_append(NULL, pin);
	if (bad || connect_to == NULL) {
		snprintf(a->error, sizeof(a->error), "out of memory");
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_URL, t->callback_url);
	curl_easy_setopt(c, CURLOPT_CONNECT_TO, connect_to);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	/* A redirect would lead anywhere, unchecked; a proxy from the environment would too. */
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)cfg->callbacks.timeout_s);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)cfg->callbacks.timeout_s);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "ecs-fcgi/" PACKAGE_VERSION " (callback)");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	if (cfg->callbacks.ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, cfg->callbacks.ca_file);
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		snprintf(a->error, sizeof(a->error), "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a->status);
	if (a->status < 200 || a->status > 299)
		snprintf(a->error, sizeof(a->error), "the receiver answered HTTP %ld", a->status);
out:
	curl_slist_free_all(connect_to);
	curl_slist_free_all(headers);
	curl_easy_cleanup(c);
}

/* One attempt: the URL judged as if submitted now, then signed and sent. */
static void attempt_once(attempt *a, const config *cfg, const store_task *t)
{
	char addr[CALLBACK_ADDR_MAX], sig[CALLBACK_SIGNATURE_MAX];
	const char *secret = secret_of(cfg, t), *body;
	json_object *doc = NULL;
	callback_url u;
	int rc;

	memset(a, 0, sizeof(*a));
	rc = callback_url_judge(&u, &cfg->callbacks, t->callback_url, a->error, sizeof(a->error));
	if (rc == 0)
		rc = callback_url_resolve(&u, addr, sizeof(addr), a->error, sizeof(a->error));
	if (rc != 0) {
		if (rc == -2)
			snprintf(a->error, sizeof(a->error), "out of memory");
		return;
	}
	if (secret == NULL) {
		snprintf(a->error, sizeof(a->error), "no callback_secret is configured for the task's client");
		return;
	}
	doc = task_doc_json(t, NULL, TASK_DOC_FULL);
	body = doc != NULL ? json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN) : NULL;
	if (body == NULL || callback_sign(sig, sizeof(sig), secret, (long long)time(NULL), body, strlen(body)) != 0)
		snprintf(a->error, sizeof(a->error), "out of memory");
	else
		post(a, cfg, t, addr, sig, body, strlen(body));
	json_object_put(doc);
}

/* What becomes of the delivery after attempt number @n (1 for the first) failed at @now. */
static store_callback_state after_failure(const config *cfg, const store_task *t, int n, int64_t now, int64_t *next)
{
	int64_t backoff_s = n >= 10 ? BACKOFF_MAX_S : (int64_t)1 << (n - 1);
	int64_t ended = t->finished_ms > 0 ? t->finished_ms : now;

	if (backoff_s > BACKOFF_MAX_S)
		backoff_s = BACKOFF_MAX_S;
	*next = now + backoff_s * 1000;
	/* No attempt starts once callback_retry_for has passed since the task ended. */
	return *next > ended + (int64_t)cfg->callbacks.retry_for_s * 1000 ? STORE_CALLBACK_FAILED : STORE_CALLBACK_PENDING;
}

static void deliver(callback_sender *cs, const store_task *t)
{
	double t0 = ecs_clock_ms_f();
	store_callback_state state = STORE_CALLBACK_DELIVERED;
	int64_t next = 0;
	char err[256];
	attempt a;
	log_line l;

	attempt_once(&a, cs->cfg, t);
	if (a.error[0] != '\0')
		state = after_failure(cs->cfg, t, t->callback_attempts + 1, store_now_ms(), &next);
	if (store_callback_record(cs->st, t->id, state, next, (int)a.status, a.error[0] ? a.error : NULL, err,
				  sizeof(err)) == STORE_ERROR)
		log_msg(LOG_LEVEL_ERROR, "callback", "task=%s: the outcome of a delivery was not recorded (it will "
			"be tried again once its lease lapses): %s", t->id, err);
	pthread_mutex_lock(&cs->mu);
	if (state == STORE_CALLBACK_DELIVERED)
		cs->delivered++;
	else if (state == STORE_CALLBACK_FAILED)
		cs->failed++;
	else
		cs->retried++;
	pthread_mutex_unlock(&cs->mu);
	log_begin(&l, state == STORE_CALLBACK_DELIVERED ? LOG_LEVEL_INFO : LOG_LEVEL_WARNING, "callback");
	log_kv(&l, "task_id", t->id);
	log_kv(&l, "delivery", t->callback_delivery_id);
	log_kvf(&l, "attempt", "%d", t->callback_attempts + 1);
	log_kv(&l, "result", store_callback_state_name(state));
	log_kvf(&l, "status", "%ld", a.status);
	if (a.error[0] != '\0')
		log_kv(&l, "error", a.error);
	log_kvf(&l, "duration_ms", "%.1f", ecs_clock_ms_f() - t0);
	log_emit(&l, state == STORE_CALLBACK_DELIVERED ? LOG_LEVEL_INFO : LOG_LEVEL_WARNING);
}

static void *sender_main(void *arg)
{
	callback_sender *cs = arg;
	/* The lease outlasts one attempt (DNS, connect and transfer are each bounded by the timeout). */
	int64_t lease_ms = ((int64_t)cs->cfg->callbacks.timeout_s * 2 + 10) * 1000;
	char err[256];

	pthread_mutex_lock(&cs->mu);
	while (!cs->stopping) {
		unsigned long seen = cs->wakes;
		store_task t;
		int got;

		pthread_mutex_unlock(&cs->mu);
		memset(&t, 0, sizeof(t));
		got = store_callback_claim(cs->st, lease_ms, &t, err, sizeof(err));
		if (got == 1)
			deliver(cs, &t);
		else if (got == STORE_ERROR)
			log_msg(LOG_LEVEL_ERROR, "callback", "cannot take due callbacks from the store: %s", err);
		store_task_clear(&t);
		pthread_mutex_lock(&cs->mu);
		if (got == 1)
			continue;   /* more may be due */
		{
			struct timespec until = ecs_clock_add_ms(ecs_clock_now(), TICK_MS);

			while (!cs->stopping && cs->wakes == seen)
				if (pthread_cond_timedwait(&cs->cond, &cs->mu, &until) == ETIMEDOUT)
					break;
		}
	}
	pthread_mutex_unlock(&cs->mu);
	return NULL;
}

int callback_sender_start(callback_sender **out, const config *cfg, store *st)
{
	callback_sender *cs = calloc(1, sizeof(*cs));
	pthread_condattr_t ca;

	*out = NULL;
	if (cs == NULL) {
		log_msg(LOG_LEVEL_ERROR, "callback", "out of memory starting the callback sender");
		return -1;
	}
	cs->cfg = cfg;
	cs->st = st;
	pthread_mutex_init(&cs->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&cs->cond, &ca);
	pthread_condattr_destroy(&ca);
	/* With no callback_allow no task can ask for a delivery: one sender stays
	 * for what an earlier configuration left in the store (judged again, it fails). */
	for (; cs->started < (cfg->callbacks.allow_len > 0 ? SENDERS : 1); cs->started++) {
		int rc = thread_start(&cs->threads[cs->started], THREAD_STACK_WORK, "ecs-callback", sender_main, cs);

		if (rc != 0) {
			log_msg(LOG_LEVEL_ERROR, "callback", "cannot start the callback sender: %s", strerror(rc));
			callback_sender_stop(cs);
			return -1;
		}
	}
	*out = cs;
	return 0;
}

void callback_sender_wake(callback_sender *cs)
{
	if (cs == NULL)
		return;
	pthread_mutex_lock(&cs->mu);
	cs->wakes++;
	pthread_cond_broadcast(&cs->cond);
	pthread_mutex_unlock(&cs->mu);
}

void callback_sender_stop(callback_sender *cs)
{
	int i;

	if (cs == NULL)
		return;
	pthread_mutex_lock(&cs->mu);
	cs->stopping = 1;
	pthread_cond_broadcast(&cs->cond);
	pthread_mutex_unlock(&cs->mu);
	/* An attempt under way ends first, bounded by callback_timeout. */
	for (i = 0; i < cs->started; i++)
		pthread_join(cs->threads[i], NULL);
	pthread_cond_destroy(&cs->cond);
	pthread_mutex_destroy(&cs->mu);
	free(cs);
}

char *callback_metrics_render(size_t *len, callback_sender *cs)
{
	unsigned long long d = 0, f = 0, r = 0;
	char *s = NULL;
	int n;

	if (cs != NULL) {
		pthread_mutex_lock(&cs->mu);
		d = cs->delivered;
		f = cs->failed;
		r = cs->retried;
		pthread_mutex_unlock(&cs->mu);
	}
	n = asprintf(&s,
		"# HELP ecs_callback_deliveries_total Callback delivery attempts made by this process, by outcome: "
		"delivered (2xx), retried (to be tried again), failed (given up).\n"
		"# TYPE ecs_callback_deliveries_total counter\n"
		"ecs_callback_deliveries_total{result=\"delivered\"} %llu\n"
		"ecs_callback_deliveries_total{result=\"failed\"} %llu\n"
		"ecs_callback_deliveries_total{result=\"retried\"} %llu\n", d, f, r);
	if (n < 0)
		return NULL;
	*len = (size_t)n;
	return s;
}
