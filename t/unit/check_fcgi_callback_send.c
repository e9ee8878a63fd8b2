/*
 * check_fcgi_callback_send.c - the deliverer against a real store (SQLite,
 * a file of its own) and a receiver on loopback run by the test: a
 * delivery signed as callback.h says; a URL judged again at delivery (a
 * name that now resolves to loopback, an entry the operator removed) is
 * refused then and never connected to; a receiver that keeps failing is
 * given up once callback_retry_for passed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include "callback.h"
#include "callback_sign.h"
#include "conf.h"
#include "store.h"

#define SECRET "0123456789abcdef-secret"

/* ---- a receiver: accepts, reads one request, answers @status, records it */
typedef struct {
	int fd, port, status;
	pthread_t thread;
	pthread_mutex_t mu;
	int requests;             /* under mu */
	char head[4096];          /* the last request's head */
	char body[65536];         /* and its body */
	size_t body_len;
	int stop;
} receiver;

static void *receiver_main(void *arg)
{
	receiver *r = arg;

	for (;;) {
		struct pollfd p = { r->fd, POLLIN, 0 };
		char buf[70000], reply[128];
		size_t got = 0, need = 0;
		char *end = NULL, *cl;
		int c;

		pthread_mutex_lock(&r->mu);
		if (r->stop) {
			pthread_mutex_unlock(&r->mu);
			return NULL;
		}
		pthread_mutex_unlock(&r->mu);
		if (poll(&p, 1, 100) <= 0)
			continue;
		c = accept(r->fd, NULL, NULL);
		if (c < 0)
			continue;
		while (got < sizeof(buf) - 1) {
			ssize_t n = read(c, buf + got, sizeof(buf) - 1 - got);

			if (n <= 0)
				break;
			got += (size_t)n;
			buf[got] = '\0';
			if (end == NULL && (end = strstr(buf, "\r\n\r\n")) != NULL) {
				cl = strcasestr(buf, "\r\nContent-Length:");
				need = (size_t)(end + 4 - buf) + (cl != NULL ? strtoul(cl + 17, NULL, 10) : 0);
			}
			if (end != NULL && got >= need)
				break;
		}
		pthread_mutex_lock(&r->mu);
		r->requests++;
		if (end != NULL) {
			snprintf(r->head, sizeof(r->head), "%.*s", (int)(end + 2 - buf), buf);
			r->body_len = got - (size_t)(end + 4 - buf);
			memcpy(r->body, end + 4, r->body_len);
			r->body[r->body_len] = '\0';
		}
		pthread_mutex_unlock(&r->mu);
		snprintf(reply, sizeof(reply), "HTTP/1.1 %d X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", r->status);
		if (write(c, reply, strlen(reply)) < 0)
			perror("receiver write");
		close(c);
	}
}

/* A socket listening on 127.0.0.1 at a port of the kernel's choosing (*@port). */
static int loopback_listener(int *port)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(fd, 8), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static void receiver_start(receiver *r, int status)
{
	memset(r, 0, sizeof(*r));
	r->status = status;
	pthread_mutex_init(&r->mu, NULL);
	r->fd = loopback_listener(&r->port);
	ck_assert_int_eq(pthread_create(&r->thread, NULL, receiver_main, r), 0);
}

static int receiver_requests(receiver *r)
{
	int n;

	pthread_mutex_lock(&r->mu);
	n = r->requests;
	pthread_mutex_unlock(&r->mu);
	return n;
}

static void receiver_stop(receiver *r)
{
	pthread_mutex_lock(&r->mu);
	r->stop = 1;
	pthread_mutex_unlock(&r->mu);
	pthread_join(r->thread, NULL);
	close(r->fd);
	pthread_mutex_destroy(&r->mu);
}

/* ---- a store of our own and a config */
static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_fcgi_callback_send.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static config *make_config(const char *allow, unsigned int retry_for)
{
	char path[128], err[512];
	config *c = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "%s/ecs.conf", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "[ecs]\nstore_path = %s/ecs.db\ncallback_allow = %s\ncallback_secret = " SECRET
		"\ncallback_retry_for = %u\ncallback_timeout = 5\n", dir, allow, retry_for);
	fclose(f);
	ck_assert_msg(config_load(&c, path, err, sizeof(err)) == 0, "%s", err);
	return c;
}

static store *open_store(const config *c)
{
	char err[256];
	store *st = NULL;

	ck_assert_msg(store_open(&st, &c->store, "test-node", err, sizeof(err)) == 0, "%s", err);
	return st;
}

/* A synchronous task of client "alice" with @url, ended: its callback is due now. */
static void ended_task(store *st, const char *id, const char *url)
{
	static const char result[] = "{\"exitCode\":0,\"stdout\":\"aGkK\",\"stderr\":\"\"}";
	store_submission sub;
	store_submit_outcome outcome;
	char err[256];

	memset(&sub, 0, sizeof(sub));
	sub.id = id;
	sub.client = "alice";
	sub.kind = "task";
	sub.request = "{}";
	sub.request_len = 2;
	sub.auth = "{\"user\":\"alice\"}";
	sub.callback_url = url;
	ck_assert_msg(store_submit(st, &sub, &outcome, NULL, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(outcome, STORE_SUBMITTED);
	ck_assert_msg(store_finish(st, id, STORE_SUCCEEDED, 201, result, err, sizeof(err)) == 0, "%s", err);
}

/* Wait (bounded) until @id's callback had @attempts attempts; its task in @t. */
static void wait_attempts(store *st, const char *id, int attempts, store_task *t)
{
	double deadline = (double)time(NULL) + 20;
	char err[256];

	for (;;) {
		memset(t, 0, sizeof(*t));
		ck_assert_msg(store_get(st, NULL, id, t, err, sizeof(err)) == 1, "%s", err);
		if (t->callback_attempts >= attempts)
			return;
		ck_assert_msg((double)time(NULL) < deadline, "task %s: %d attempts after 20 s", id, t->callback_attempts);
		store_task_clear(t);
		usleep(20000);  /* polling the store's state: there is nothing to wait on from here */
	}
}

static const char *head_value(const char *head, const char *name, char *out, size_t size)
{
	const char *p = strcasestr(head, name), *e;

	if (p == NULL)
		return NULL;
	p += strlen(name);
	while (*p == ' ')
		p++;
	e = strstr(p, "\r\n");
	snprintf(out, size, "%.*s", (int)(e != NULL ? e - p : (long)strlen(p)), p);
	return out;
}

/* One delivery: a receiver answering @status, allow-list @allow and URL @url ("%d": the receiver's port). */
typedef struct {
	receiver r;
	config *c;
	store *st;
	callback_sender *cs;
	store_task t;         /* the task once its first attempt is recorded */
} delivery;

static void deliver_once(delivery *d, int status, const char *allow, const char *url, unsigned int retry_for,
			 const char *id)
{
	char a[96], u[128];

	receiver_start(&d->r, status);
	snprintf(a, sizeof(a), allow, d->r.port);
	snprintf(u, sizeof(u), url, d->r.port);
	d->c = make_config(a, retry_for);
	d->st = open_store(d->c);
	ended_task(d->st, id, u);
	ck_assert_int_eq(callback_sender_start(&d->cs, d->c, d->st), 0);
	callback_sender_wake(d->cs);
	wait_attempts(d->st, id, 1, &d->t);
}

static void delivery_end(delivery *d)
{
	store_task_clear(&d->t);
	callback_sender_stop(d->cs);
	store_close(d->st);
	config_free(d->c);
	receiver_stop(&d->r);
}

START_TEST(test_callback_send_delivers_signed)
{
	char sig[CALLBACK_SIGNATURE_MAX], got[256], want[CALLBACK_SIGNATURE_MAX];
	long long ts;
	delivery d;

	deliver_once(&d, 200, "http://127.0.0.1:%d", "http://127.0.0.1:%d/hook?x=1", 3600, "cb-ok");
	ck_assert_int_eq(d.t.callback_state, STORE_CALLBACK_DELIVERED);
	ck_assert_int_eq(d.t.callback_last_status, 200);
	ck_assert_int_eq(receiver_requests(&d.r), 1);
	ck_assert_ptr_nonnull(strstr(d.r.head, "POST /hook?x=1 HTTP/1.1\r\n"));
	ck_assert_ptr_nonnull(head_value(d.r.head, "\r\nECS-Task-Id:", got, sizeof(got)));
	ck_assert_str_eq(got, "cb-ok");
	ck_assert_ptr_nonnull(head_value(d.r.head, "\r\nECS-Delivery:", got, sizeof(got)));
	ck_assert_str_eq(got, d.t.callback_delivery_id);
	ck_assert_ptr_nonnull(head_value(d.r.head, "\r\nContent-Type:", got, sizeof(got)));
	ck_assert_str_eq(got, "application/json");
	ck_assert_ptr_nonnull(head_value(d.r.head, "\r\nECS-Signature:", sig, sizeof(sig)));
	ck_assert_int_eq(sscanf(sig, "t=%lld,", &ts), 1);
	ck_assert_int_eq(callback_sign(want, sizeof(want), SECRET, ts, d.r.body, d.r.body_len), 0);
	ck_assert_str_eq(sig, want);
	ck_assert_ptr_nonnull(strstr(d.r.body, "\"taskId\":\"cb-ok\""));
	ck_assert_ptr_nonnull(strstr(d.r.body, "\"status\":\"succeeded\""));
	delivery_end(&d);
}
END_TEST

/* A delivery the deliverer must refuse at its first attempt, @why, without connecting. */
static void refused_at_delivery(const char *allow, const char *url, const char *id, const char *why)
{
	delivery d;

	deliver_once(&d, 200, allow, url, 3600, id);
	ck_assert_int_eq(d.t.callback_state, STORE_CALLBACK_PENDING);
	ck_assert_int_eq(d.t.callback_last_status, 0);
	ck_assert_ptr_nonnull(d.t.callback_last_error);
	ck_assert_msg(strstr(d.t.callback_last_error, why) != NULL, "%s", d.t.callback_last_error);
	ck_assert_int_eq(receiver_requests(&d.r), 0);
	delivery_end(&d);
}

/*
 * The attack: a name allowed by the operator resolved to a public address
 * when the task was submitted and resolves to 127.0.0.1 now (DNS
 * rebinding). "localhost" stands for it: the deliverer must judge the
 * address again, refuse, and never connect to the receiver listening there.
 */
START_TEST(test_callback_send_rechecks_addresses_at_delivery)
{
	refused_at_delivery("http://localhost:%d", "http://localhost:%d/hook", "cb-rebind", "not a public address");
}
END_TEST

/* An entry removed from callback_allow (a restart with a new ecs.conf) stops deliveries to it. */
START_TEST(test_callback_send_rejudges_against_todays_allow_list)
{
	refused_at_delivery("http://127.0.0.2:%d", "http://127.0.0.1:%d/hook", "cb-removed", "not in callback_allow");
}
END_TEST

/* A receiver that answers 500 is given up once callback_retry_for has passed. */
START_TEST(test_callback_send_gives_up_after_retry_for)
{
	size_t len = 0;
	delivery d;
	char *m;

	deliver_once(&d, 500, "http://127.0.0.1:%d", "http://127.0.0.1:%d/hook", 1, "cb-fail");
	ck_assert_int_eq(d.t.callback_state, STORE_CALLBACK_FAILED);
	ck_assert_int_eq(d.t.callback_last_status, 500);
	ck_assert_int_eq(receiver_requests(&d.r), 1);
	m = callback_metrics_render(&len, d.cs);
	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_nonnull(strstr(m, "ecs_callback_deliveries_total{result=\"failed\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(m, "ecs_callback_deliveries_total{result=\"delivered\"} 0\n"));
	free(m);
	delivery_end(&d);
}
END_TEST

/* A receiver that never answers holds one delivery for callback_timeout, not the others behind it. */
START_TEST(test_callback_send_slow_receiver_holds_one_delivery)
{
	char allow[96], url[96];
	int silent_port;
	/* Listening, never accepting: connections complete in the backlog and wait for an answer. */
	int silent = loopback_listener(&silent_port);
	store_task t;
	delivery d;

	receiver_start(&d.r, 200);
	snprintf(allow, sizeof(allow), "http://127.0.0.1:%d, http://127.0.0.1:%d", d.r.port, silent_port);
	d.c = make_config(allow, 3600);
	d.st = open_store(d.c);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/silent", silent_port);
	ended_task(d.st, "cb-silent", url);
	ck_assert_int_eq(callback_sender_start(&d.cs, d.c, d.st), 0);
	callback_sender_wake(d.cs);
	/* Taken first: its lease puts its next attempt far ahead. */
	for (;;) {
		memset(&t, 0, sizeof(t));
		ck_assert_int_eq(store_get(d.st, NULL, "cb-silent", &t, allow, sizeof(allow)), 1);
		if (t.callback_next_ms > store_now_ms() + 1000)
			break;
		store_task_clear(&t);
		usleep(10000);
	}
	store_task_clear(&t);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", d.r.port);
	ended_task(d.st, "cb-behind", url);
	callback_sender_wake(d.cs);
	wait_attempts(d.st, "cb-behind", 1, &d.t);
	ck_assert_int_eq(d.t.callback_state, STORE_CALLBACK_DELIVERED);
	/* The silent one is still in its first attempt (5 s timeout): nothing recorded yet. */
	memset(&t, 0, sizeof(t));
	ck_assert_int_eq(store_get(d.st, NULL, "cb-silent", &t, allow, sizeof(allow)), 1);
	ck_assert_int_eq(t.callback_attempts, 0);
	store_task_clear(&t);
	delivery_end(&d);
	close(silent);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fcgi_callback_send");
	TCase *tc = tcase_create("send");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_callback_send_delivers_signed);
	tcase_add_test(tc, test_callback_send_rechecks_addresses_at_delivery);
	tcase_add_test(tc, test_callback_send_rejudges_against_todays_allow_list);
	tcase_add_test(tc, test_callback_send_gives_up_after_retry_for);
	tcase_add_test(tc, test_callback_send_slow_receiver_holds_one_delivery);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
