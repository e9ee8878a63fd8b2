/*
 * check_store.c - the task store (fcgi-app/store.h) on a real backend: a
 * SQLite file in a temporary directory always, and PostgreSQL when
 * ECS_TEST_PG_DSN names a database (scripts/pg.sh prints one). One suite,
 * two fixtures: every test body speaks only store.h, so each runs on both.
 */
#define _GNU_SOURCE /* asprintf */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "store.h"
#include "store_db.h"

/* The backend of the running TCase: its conf (path or dsn) and a scratch dir. */
static store_conf conf;
static char dir[64];
static char path[128];

/* ---- fixtures */

static void sqlite_setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_store.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ecs.db", dir);
	store_conf_init(&conf);
	conf.path = strdup(path);
	conf.connections = 3;
}

static void sqlite_teardown(void)
{
	const char *suffix[] = { "", "-wal", "-shm" };
	char f[160];
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(f, sizeof(f), "%s%s", path, suffix[i]);
		unlink(f);
	}
	rmdir(dir);
	store_conf_clear(&conf);
}

/* Run @sql on @target (a SQLite path or a conninfo) directly. */
static void raw_on(store_db_kind kind, const char *target, const char *sql)
{
	store_db *db = NULL;
	char err[256];

	ck_assert_msg(store_db_open(&db, kind, target, err, sizeof(err)) == STORE_DB_OK, "%s", err);
	ck_assert_msg(store_db_exec(db, sql, NULL, 0, NULL, NULL, NULL, err, sizeof(err)) == STORE_DB_OK, "%s: %s",
		      sql, err);
	store_db_close(db);
}

/* Run @sql on the test's store directly (to plant a version, a backlog). */
static void raw_sql(const char *sql)
{
	raw_on(conf.kind, conf.kind == STORE_DB_SQLITE ? conf.path : conf.dsn, sql);
}

/* PostgreSQL: each test in a schema of its own, which its connections
 * name (search_path) and which goes at the end, so that the database
 * ECS_TEST_PG_DSN names is left as it was and two runs may share it. */
static char schema[64];

static void pg_schema(const char *verb)
{
	char sql[160];

	snprintf(sql, sizeof(sql), "%s SCHEMA %s%s", verb, schema, verb[0] == 'D' ? " CASCADE" : "");
	raw_on(STORE_DB_POSTGRESQL, getenv("ECS_TEST_PG_DSN"), sql);
}

static void pg_setup(void)
{
	static int n;
	char *dsn = NULL;

	snprintf(schema, sizeof(schema), "check_store_%d_%d", (int)getpid(), ++n);
	pg_schema("CREATE");
	store_conf_init(&conf);
	conf.kind = STORE_DB_POSTGRESQL;
	ck_assert_int_ge(asprintf(&dsn, "%s options=-csearch_path=%s application_name=%s", getenv("ECS_TEST_PG_DSN"),
				  schema, schema), 0);
	conf.dsn = dsn;
	conf.connections = 3;
}

static void pg_teardown(void)
{
	store_conf_clear(&conf);
	pg_schema("DROP");
}

/* ---- helpers */

/* A store of the test's backend as @node, with @c's settings. */
static store *open_with(store_conf c, const char *node)
{
	store *s = NULL;
	char err[512];

	ck_assert_msg(store_open(&s, &c, node, err, sizeof(err)) == 0, "store_open: %s", err);
	ck_assert_str_eq(store_node(s), node);
	ck_assert_int_eq(store_kind(s), conf.kind);
	return s;
}

static store *open_as(const char *node, unsigned int lease_s)
{
	store_conf c = conf;

	c.lease_s = lease_s;
	return open_with(c, node);
}

static store *open_store(void)
{
	return open_as("node-a", 30);
}

static store_submission sub_of(const char *id, const char *client, int async)
{
	store_submission sub;
	static const char body[] = "{\"docker_image\":\"ecs/busybox:latest\",\"cmd\":[\"true\"]}";

	memset(&sub, 0, sizeof(sub));
	sub.id = id;
	sub.client = client;
	sub.kind = "task";
	sub.async = async;
	sub.request = body;
	sub.request_len = sizeof(body) - 1;
	sub.auth = "{\"subject\":\"CN=a\"}";
	return sub;
}

static store_submit_outcome submit(store *s, const store_submission *sub)
{
	store_submit_outcome out = STORE_QUEUE_FULL;
	char err[512];

	ck_assert_msg(store_submit(s, sub, &out, NULL, err, sizeof(err)) == 0, "store_submit %s: %s", sub->id, err);
	return out;
}

static void submit_ok(store *s, const char *id, const char *client, int async)
{
	store_submission sub = sub_of(id, client, async);

	ck_assert_int_eq(submit(s, &sub), STORE_SUBMITTED);
}

/* Task @id of @client as the store has it now (must exist). */
static void get_ok(store *s, const char *client, const char *id, store_task *t)
{
	char err[512];

	ck_assert_msg(store_get(s, client, id, t, err, sizeof(err)) == 1, "store_get %s: %s", id, err);
}

static void claim_ok(store *s, store_task *t)
{
	char err[512];

	ck_assert_msg(store_claim(s, t, err, sizeof(err)) == 1, "store_claim: %s", err);
}

/* alice submits @id: queued (@async) or running on node-a at once. */
static void submitted(store *s, const char *id, int async, store_task *t)
{
	submit_ok(s, id, "alice", async);
	get_ok(s, "alice", id, t);
	ck_assert_int_eq(t->status, async ? STORE_QUEUED : STORE_RUNNING);
	ck_assert_int_eq(t->async, async);
	ck_assert_str_eq(t->node, async ? "" : "node-a");
	ck_assert_int_eq(t->started_ms > 0, !async);
}

/* alice's task @id has @want as its status now. */
static void status_is(store *s, const char *id, store_status want)
{
	store_task t;

	get_ok(s, "alice", id, &t);
	ck_assert_msg(t.status == want, "%s is %s", id, store_status_name(t.status));
	/* A cancel of a queued task ends it: none waits with the flag. */
	ck_assert(t.status != STORE_QUEUED || t.cancel_requested == 0);
	store_task_clear(&t);
}

/* alice's task @id ended with @want, answering @http_status. */
static void ended_with(store *s, const char *id, store_status want, int http_status)
{
	store_task t;

	get_ok(s, "alice", id, &t);
	ck_assert_msg(t.status == want, "%s is %s", id, store_status_name(t.status));
	ck_assert_int_eq(t.http_status, http_status);
	ck_assert_int_ge(t.finished_ms, t.created_ms);
	ck_assert_ptr_null(t.request);  /* it may hold credentials: gone once ended */
	store_task_clear(&t);
}

/* Claim the next task and forget it. */
static void claim_next(store *s)
{
	store_task t;

	claim_ok(s, &t);
	store_task_clear(&t);
}

static void finish_ok(store *s, const char *id)
{
	char err[512];

	ck_assert_msg(store_finish(s, id, STORE_SUCCEEDED, 201, "{\"exitCode\":0}", err, sizeof(err)) == 0,
		      "store_finish %s: %s", id, err);
}

/* store_reclaim()'s documents: INTERRUPTED, naming the node; none (out of
 * memory) for a task whose id is @arg. */
static char *interrupted(void *arg, const store_task *t)
{
	char *doc = NULL;

	if (arg != NULL && strcmp(t->id, arg) == 0)
		return NULL;
	if (asprintf(&doc, "{\"code\":\"INTERRUPTED\",\"node\":\"%s\"}", t->node) < 0)
		return NULL;
	return doc;
}

/* Let the store's millisecond clock move past now. */
static void next_ms(void)
{
	int64_t t0 = store_now_ms();
	struct timespec ms = { 0, 1000000 };

	while (store_now_ms() <= t0)
		nanosleep(&ms, NULL);
}

/* ---- tests */

START_TEST(test_store_submit_claim_finish_get)
{
	store *s = open_store();
	store_task t;
	char err[512];

	submitted(s, "t1", 1, &t);
	ck_assert_str_eq(t.kind, "task");
	ck_assert_int_gt(t.created_ms, 0);
	ck_assert_int_eq(t.callback_state, STORE_CALLBACK_NONE);
	store_task_clear(&t);

	claim_ok(s, &t);
	ck_assert_str_eq(t.id, "t1");
	ck_assert_int_eq(t.status, STORE_RUNNING);
	ck_assert_str_eq(t.node, "node-a");
	ck_assert_str_eq(t.request, "{\"docker_image\":\"ecs/busybox:latest\",\"cmd\":[\"true\"]}");
	ck_assert_str_eq(t.auth, "{\"subject\":\"CN=a\"}");
	ck_assert_int_gt(t.started_ms, 0);
	store_task_clear(&t);
	ck_assert_int_eq(store_claim(s, &t, err, sizeof(err)), 0);

	finish_ok(s, "t1");
	get_ok(s, "alice", "t1", &t);
	ck_assert_int_eq(t.status, STORE_SUCCEEDED);
	ck_assert_int_eq(t.http_status, 201);
	ck_assert_str_eq(t.result, "{\"exitCode\":0}");
	ck_assert_ptr_null(t.request);  /* it may hold credentials: gone once ended */
	ck_assert_int_ge(t.finished_ms, t.started_ms);
	store_task_clear(&t);
	/* Finished once: a second end changes nothing. */
	ck_assert_int_eq(store_finish(s, "t1", STORE_FAILED, 500, "{}", err, sizeof(err)), 1);
	/* Another client's id is not found; anyone (NULL) finds it. */
	ck_assert_int_eq(store_get(s, "bob", "t1", &t, err, sizeof(err)), 0);
	ck_assert_int_eq(store_get(s, NULL, "t1", &t, err, sizeof(err)), 1);
	store_task_clear(&t);
	ck_assert_int_eq(store_get(s, "alice", "nope", &t, err, sizeof(err)), 0);
	ck_assert_int_eq(store_finish(s, "t1", STORE_RUNNING, 0, "{}", err, sizeof(err)), STORE_ERROR);
	store_close(s);
}
END_TEST

/*
 * A session's exec records when it held its session and when it let it go
 * (store_finish_span), not its claim and the moment its end was written:
 * the next exec may hold the session before that write, and the records of
 * one session's execs must not overlap. 0 keeps the claim's start and now.
 */
START_TEST(test_store_finish_span)
{
	store *s = open_store();
	store_task t;
	char err[512];
	int64_t claimed;

	submitted(s, "t1", 1, &t);
	store_task_clear(&t);
	claim_ok(s, &t);
	claimed = t.started_ms;
	store_task_clear(&t);
	ck_assert_int_eq(store_finish_span(s, "t1", STORE_SUCCEEDED, 201, "{}", claimed + 5000, claimed + 7000, err,
					   sizeof(err)), 0);
	get_ok(s, "alice", "t1", &t);
	ck_assert_int_eq(t.started_ms, claimed + 5000);
	ck_assert_int_eq(t.finished_ms, claimed + 7000);
	store_task_clear(&t);

	submitted(s, "t2", 1, &t);
	store_task_clear(&t);
	claim_ok(s, &t);
	claimed = t.started_ms;
	store_task_clear(&t);
	ck_assert_int_eq(store_finish_span(s, "t2", STORE_FAILED, 500, "{}", 0, 0, err, sizeof(err)), 0);
	get_ok(s, "alice", "t2", &t);
	ck_assert_int_eq(t.started_ms, claimed);
	ck_assert_int_ge(t.finished_ms, claimed);
	ck_assert_int_le(t.finished_ms, store_now_ms());
	store_task_clear(&t);
	store_close(s);
}
END_TEST

START_TEST(test_store_sync_runs_here)
{
	store *s = open_store();
	store_task t;
	char err[512];

	submitted(s, "sync1", 0, &t);
	store_task_clear(&t);
	/* Not queued: no runner takes it. */
	ck_assert_int_eq(store_claim(s, &t, err, sizeof(err)), 0);
	ck_assert_int_eq(store_finish(s, "sync1", STORE_FAILED, 502, "{\"code\":\"ENGINE\"}", err, sizeof(err)), 0);
	ended_with(s, "sync1", STORE_FAILED, 502);
	store_close(s);
}
END_TEST

/* A synchronous task recorded once it ran: one call, ended, pollable; with a callback, the callback is due. */
START_TEST(test_store_record_ran)
{
	store *s = open_store();
	store_submission sub = sub_of("ran1", "alice", 0);
	store_task t;
	char err[512];
	int i;

	ck_assert_msg(store_record_ran(s, &sub, STORE_SUCCEEDED, 201, "{\"exitCode\":0}", err, sizeof(err)) == 0,
		      "%s", err);
	get_ok(s, "alice", "ran1", &t);
	ck_assert_int_eq(t.status, STORE_SUCCEEDED);
	ck_assert_int_eq(t.http_status, 201);
	ck_assert_str_eq(t.result, "{\"exitCode\":0}");
	ck_assert_ptr_null(t.request);
	ck_assert_str_eq(t.node, "node-a");
	ck_assert_int_eq(t.callback_state, STORE_CALLBACK_NONE);
	store_task_clear(&t);
	ck_assert_int_eq(store_get(s, "bob", "ran1", &t, err, sizeof(err)), 0);
	ck_assert_int_eq(store_claim(s, &t, err, sizeof(err)), 0);
	/* The same id twice: refused, the first record kept. */
	ck_assert_int_eq(store_record_ran(s, &sub, STORE_FAILED, 500, "{}", err, sizeof(err)), STORE_ERROR);
	ended_with(s, "ran1", STORE_SUCCEEDED, 201);
	/* Not for what it does not record: a queued task, a key, a status that is no end. */
	sub = sub_of("ran2", "alice", 1);
	ck_assert_int_eq(store_record_ran(s, &sub, STORE_SUCCEEDED, 201, "{}", err, sizeof(err)), STORE_ERROR);
	sub = sub_of("ran2", "alice", 0);
	sub.idem_key = "k";
	ck_assert_int_eq(store_record_ran(s, &sub, STORE_SUCCEEDED, 201, "{}", err, sizeof(err)), STORE_ERROR);
	sub.idem_key = NULL;
	ck_assert_int_eq(store_record_ran(s, &sub, STORE_RUNNING, 0, "{}", err, sizeof(err)), STORE_ERROR);
	ck_assert_int_eq(store_get(s, NULL, "ran2", &t, err, sizeof(err)), 0);
	/* With a callback: its delivery is due at once. */
	sub.callback_url = "https://hooks.example/ecs";
	ck_assert_msg(store_record_ran(s, &sub, STORE_FAILED, 502, "{\"code\":\"ENGINE\"}", err, sizeof(err)) == 0,
		      "%s", err);
	ck_assert_int_eq(store_callback_claim(s, 60000, &t, err, sizeof(err)), 1);
	ck_assert_str_eq(t.id, "ran2");
	ck_assert_int_eq(t.callback_state, STORE_CALLBACK_PENDING);
	store_task_clear(&t);
	/* Light and flushed commits one after another: every record is there, also to a new connection. */
	for (i = 0; i < 20; i++) {
		char id[16];
		store_submission one;

		snprintf(id, sizeof(id), "ran-%d", i);
		one = sub_of(id, "alice", 0);
		if (i % 2)
			submit_ok(s, id, "alice", 0);
		else
			ck_assert_msg(store_record_ran(s, &one, STORE_SUCCEEDED, 201, "{}", err, sizeof(err)) == 0, "%s",
				      err);
	}
	store_close(s);
	s = open_store();
	for (i = 0; i < 20; i++) {
		char id[16];

		snprintf(id, sizeof(id), "ran-%d", i);
		ck_assert_int_eq(store_get(s, "alice", id, &t, err, sizeof(err)), 1);
		ck_assert_int_eq(t.status, i % 2 ? STORE_RUNNING : STORE_SUCCEEDED);
		store_task_clear(&t);
	}
	store_close(s);
}
END_TEST

START_TEST(test_store_list_filter_and_pages)
{
	store *s = open_store();
	store_filter f = { -1, NULL, NULL, 2, 0, NULL };
	store_task *v = NULL;
	char err[512], id[80];
	long n, i, seen = 0;
	int k;

	for (k = 0; k < 5; k++) {
		store_submission sub;

		snprintf(id, sizeof(id), "L%d", k);
		sub = sub_of(id, "alice", 1);
		sub.labels = k % 2 == 0 ? "{\"batch\":\"even\",\"n\":\"x\"}" : "{\"batch\":\"odd\"}";
		ck_assert_int_eq(submit(s, &sub), STORE_SUBMITTED);
		next_ms();
	}
	submit_ok(s, "bobs", "bob", 1);
	/* Pages of 2, newest first, until the end: every one of alice's, once. */
	for (;;) {
		n = store_list(s, "alice", &f, &v, err, sizeof(err));
		ck_assert_msg(n >= 0, "%s", err);
		for (i = 0; i < n; i++) {
			snprintf(id, sizeof(id), "L%ld", 4 - seen);
			ck_assert_str_eq(v[i].id, id);
			ck_assert_ptr_null(v[i].request);
			ck_assert_ptr_null(v[i].result);
			seen++;
		}
		if (n < 2) {
			store_tasks_free(v, (size_t)n);
			break;
		}
		f.before_ms = v[n - 1].created_ms;
		snprintf(id, sizeof(id), "%s", v[n - 1].id);
		f.before_id = id;
		store_tasks_free(v, (size_t)n);
	}
	ck_assert_int_eq(seen, 5);
	/* By label. */
	memset(&f, 0, sizeof(f));
	f.status = -1;
	f.limit = 100;
	f.label_key = "batch";
	f.label_value = "even";
	n = store_list(s, "alice", &f, &v, err, sizeof(err));
	ck_assert_int_eq(n, 3);
	ck_assert_str_eq(v[0].id, "L4");
	ck_assert_str_eq(v[0].labels, "{\"batch\":\"even\",\"n\":\"x\"}");
	store_tasks_free(v, (size_t)n);
	/* Values are parameters, never SQL: a quote and a comment match nothing. */
	f.label_value = "none' OR '1'='1";
	ck_assert_int_eq(store_list(s, "alice", &f, &v, err, sizeof(err)), 0);
	store_tasks_free(v, 0);
	ck_assert_int_eq(store_list(s, "alice' OR client <> '", &f, &v, err, sizeof(err)), 0);
	store_tasks_free(v, 0);
	/* By status: one claimed (the oldest: L0). */
	claim_next(s);
	memset(&f, 0, sizeof(f));
	f.status = STORE_RUNNING;
	f.limit = 100;
	n = store_list(s, "alice", &f, &v, err, sizeof(err));
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(v[0].id, "L0");
	store_tasks_free(v, (size_t)n);
	/* Only one's own. */
	f.status = -1;
	n = store_list(s, "bob", &f, &v, err, sizeof(err));
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(v[0].id, "bobs");
	store_tasks_free(v, (size_t)n);
	f.limit = 0;
	ck_assert_int_eq(store_list(s, "bob", &f, &v, err, sizeof(err)), STORE_ERROR);
	store_close(s);
}
END_TEST

START_TEST(test_store_cancel)
{
	store *s = open_store();
	store_task t;
	char err[512];

	submit_ok(s, "c1", "alice", 1);
	submit_ok(s, "c2", "alice", 1);
	/* Queued: canceled at once, with its document. */
	ck_assert_int_eq(store_cancel(s, "alice", "c1", "{\"code\":\"CANCELED\"}", &t, err, sizeof(err)), 1);
	ck_assert_int_eq(t.status, STORE_CANCELED);
	ck_assert_int_eq(t.http_status, 499);
	ck_assert_str_eq(t.result, "{\"code\":\"CANCELED\"}");
	ck_assert_ptr_null(t.request);
	store_task_clear(&t);
	/* A canceled task is never claimed: c2 is next. */
	claim_ok(s, &t);
	ck_assert_str_eq(t.id, "c2");
	store_task_clear(&t);
	/* Running: asked to stop, still running until its node ends it. */
	ck_assert_int_eq(store_cancel(s, "alice", "c2", "{}", &t, err, sizeof(err)), 1);
	ck_assert_int_eq(t.status, STORE_RUNNING);
	ck_assert_int_eq(t.cancel_requested, 1);
	store_task_clear(&t);
	ck_assert_int_eq(store_finish(s, "c2", STORE_CANCELED, 499, "{\"code\":\"CANCELED\"}", err, sizeof(err)), 0);
	/* Ended: left as it is. */
	ck_assert_int_eq(store_cancel(s, "alice", "c2", "{\"other\":1}", &t, err, sizeof(err)), 1);
	ck_assert_int_eq(t.status, STORE_CANCELED);
	ck_assert_str_eq(t.result, "{\"code\":\"CANCELED\"}");
	store_task_clear(&t);
	/* Another client's, or unknown: not found, nothing changed. */
	submit_ok(s, "c3", "alice", 1);
	ck_assert_int_eq(store_cancel(s, "bob", "c3", "{}", &t, err, sizeof(err)), 0);
	ck_assert_int_eq(store_cancel(s, "alice", "zz", "{}", &t, err, sizeof(err)), 0);
	status_is(s, "c3", STORE_QUEUED);
	store_close(s);
}
END_TEST

START_TEST(test_store_key_replay_and_mismatch)
{
	store *s = open_store();
	store_submission sub = sub_of("k1", "alice", 1);
	store_submit_outcome out;
	store_task first;
	char err[512];

	sub.idem_key = "key-1";
	sub.fingerprint = "aaaa";
	/* A new task: as stored, queued, without its request (the 202's document). */
	ck_assert_int_eq(store_submit(s, &sub, &out, &first, err, sizeof(err)), 0);
	ck_assert_int_eq(out, STORE_SUBMITTED);
	ck_assert_str_eq(first.id, "k1");
	ck_assert_str_eq(first.client, "alice");
	ck_assert_int_eq(first.status, STORE_QUEUED);
	ck_assert_int_eq(first.async, 1);
	ck_assert_int_gt(first.created_ms, 0);
	ck_assert_ptr_null(first.request);
	store_task_clear(&first);
	/* The same key and fingerprint: the first task, not a second. */
	sub.id = "k2";
	ck_assert_int_eq(store_submit(s, &sub, &out, &first, err, sizeof(err)), 0);
	ck_assert_int_eq(out, STORE_REPLAY);
	ck_assert_str_eq(first.id, "k1");
	ck_assert_str_eq(first.idem_key, "key-1");
	store_task_clear(&first);
	ck_assert_int_eq(store_get(s, "alice", "k2", &first, err, sizeof(err)), 0);
	/* Another fingerprint: a mismatch. */
	sub.fingerprint = "bbbb";
	ck_assert_int_eq(submit(s, &sub), STORE_KEY_MISMATCH);
	/* Keys are per client. */
	sub.client = "bob";
	ck_assert_int_eq(submit(s, &sub), STORE_SUBMITTED);
	store_close(s);
}
END_TEST

typedef struct {
	store *s;
	const char *id;
	const char *key;
	pthread_barrier_t *go;
	store_submit_outcome out;
	int rc;
	char err[512];
} racer;

static void *race(void *arg)
{
	racer *r = arg;
	store_submission sub = sub_of(r->id, "alice", 1);

	sub.idem_key = r->key;
	sub.fingerprint = "ffff";
	pthread_barrier_wait(r->go);
	r->rc = store_submit(r->s, &sub, &r->out, NULL, r->err, sizeof(r->err));
	return NULL;
}

START_TEST(test_store_key_two_at_once)
{
	/* Two nodes' handles (PostgreSQL: two connections in a race on the
	 * unique key; SQLite: two connections on one file). */
	store *a = open_as("node-a", 30), *b = open_as("node-b", 30);
	pthread_barrier_t go;
	int round;

	for (round = 0; round < 20; round++) {
		char key[32], ida[32], idb[32];
		racer r[2];
		pthread_t th[2];
		int i, submitted = 0, replays = 0;
		long n;
		store_task *v = NULL;
		store_filter f = { -1, NULL, NULL, 1000, 0, NULL };
		char err[512];

		snprintf(key, sizeof(key), "race-%d", round);
		snprintf(ida, sizeof(ida), "ra-%d", round);
		snprintf(idb, sizeof(idb), "rb-%d", round);
		pthread_barrier_init(&go, NULL, 2);
		memset(r, 0, sizeof(r));
		r[0] = (racer){ a, ida, key, &go, 0, 0, "" };
		r[1] = (racer){ b, idb, key, &go, 0, 0, "" };
		for (i = 0; i < 2; i++)
			ck_assert_int_eq(pthread_create(&th[i], NULL, race, &r[i]), 0);
		for (i = 0; i < 2; i++)
			pthread_join(th[i], NULL);
		pthread_barrier_destroy(&go);
		for (i = 0; i < 2; i++) {
			ck_assert_msg(r[i].rc == 0, "round %d: %s", round, r[i].err);
			submitted += r[i].out == STORE_SUBMITTED;
			replays += r[i].out == STORE_REPLAY;
		}
		ck_assert_msg(submitted == 1 && replays == 1, "round %d: %d submitted, %d replays", round, submitted,
			      replays);
		n = store_list(a, "alice", &f, &v, err, sizeof(err));
		ck_assert_int_eq(n, round + 1);
		store_tasks_free(v, (size_t)n);
	}
	store_close(a);
	store_close(b);
}
END_TEST

typedef struct {
	store *s;
	int n;
	int index;
	pthread_barrier_t *go;     /* NULL: start at once */
	int failures;
	char err[640];
} worker;

/* @n threads of @fn, each on its worker of @w (set up but for s, index and go), all of them to the end; none may fail. */
static void run_workers(store *s, worker *w, int n, void *(*fn)(void *), pthread_barrier_t *go)
{
	pthread_t th[16];
	int i;

	ck_assert_int_le(n, 16);
	for (i = 0; i < n; i++) {
		w[i].s = s;
		w[i].index = i;
		w[i].go = go;
		ck_assert_int_eq(pthread_create(&th[i], NULL, fn, &w[i]), 0);
	}
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < n; i++)
		ck_assert_msg(w[i].failures == 0, "worker %d: %d failures, last: %s", i, w[i].failures, w[i].err);
}

/* Claims a task; PostgreSQL: a claim may find none for an instant while
 * claims that began after it take the rows it saw (its runner asks again),
 * so this asks again a bounded number of times. */
static int claim_busy(worker *w, store_task *t)
{
	int tries, rc = 0;

	for (tries = 0; rc == 0 && tries < 100; tries++)
		rc = store_claim(w->s, t, w->err, sizeof(w->err));
	return rc;
}

/* Submits @n tasks of its own and claims and finishes as many. */
static void *busy_worker(void *arg)
{
	worker *w = arg;
	char id[64];
	int i;

	for (i = 0; i < w->n; i++) {
		store_submission sub;
		store_submit_outcome out;
		store_task t;

		snprintf(id, sizeof(id), "w%p-%d", arg, i);
		sub = sub_of(id, "alice", 1);
		if (store_submit(w->s, &sub, &out, NULL, w->err, sizeof(w->err)) != 0 || out != STORE_SUBMITTED ||
		    claim_busy(w, &t) != 1) {
			w->failures++;
			continue;
		}
		if (store_finish(w->s, t.id, STORE_SUCCEEDED, 201, "{}", w->err, sizeof(w->err)) != 0)
			w->failures++;
		store_task_clear(&t);
	}
	return NULL;
}

START_TEST(test_store_many_threads)
{
	/* More threads than connections, all writing: they wait for a
	 * connection and for the write lock, none fails. */
	store *s = open_store();
	worker w[6];
	store_counts c;
	char err[512];
	int i;

	memset(w, 0, sizeof(w));
	for (i = 0; i < 6; i++)
		w[i].n = 15;
	run_workers(s, w, 6, busy_worker, NULL);
	ck_assert_int_eq(store_count(s, &c, err, sizeof(err)), 0);
	ck_assert_int_eq(c.by_status[STORE_SUCCEEDED], 90);
	ck_assert_int_eq(c.by_status[STORE_QUEUED] + c.by_status[STORE_RUNNING], 0);
	ck_assert_int_eq(c.errors, 0);
	store_close(s);
}
END_TEST

START_TEST(test_store_caps)
{
	store_conf c = conf;
	store *s;
	store_submission sub = sub_of("a1", "alice", 1);
	store_task t;
	char err[512];

	c.queue_max = 3;
	s = open_with(c, "node-a");
	sub.client_queue_cap = 2;
	sub.idem_key = "first";
	sub.fingerprint = "f";
	ck_assert_int_eq(submit(s, &sub), STORE_SUBMITTED);
	sub.idem_key = NULL;
	sub.id = "a2";
	ck_assert_int_eq(submit(s, &sub), STORE_SUBMITTED);
	/* alice at her cap of 2 queued. */
	sub.id = "a3";
	ck_assert_int_eq(submit(s, &sub), STORE_CLIENT_FULL);
	/* A replay is no new task: never refused for room. */
	sub.idem_key = "first";
	ck_assert_int_eq(submit(s, &sub), STORE_REPLAY);
	/* A synchronous task is not queued: no cap. */
	sub.idem_key = NULL;
	sub.async = 0;
	sub.id = "a-sync";
	ck_assert_int_eq(submit(s, &sub), STORE_SUBMITTED);
	submit_ok(s, "b1", "bob", 1);
	/* 3 queued in all: the queue is full for everyone. */
	sub = sub_of("b2", "bob", 1);
	ck_assert_int_eq(submit(s, &sub), STORE_QUEUE_FULL);
	ck_assert_int_eq(store_get(s, "alice", "a3", &t, err, sizeof(err)), 0);
	/* A claim makes room. */
	claim_next(s);
	ck_assert_int_eq(submit(s, &sub), STORE_SUBMITTED);
	store_close(s);
}
END_TEST

/* alice's next submission, at a cap of @cap queued: what the store says of it. */
static store_submit_outcome alice_at_cap(store *s, const char *id, size_t cap)
{
	store_submission sub = sub_of(id, "alice", 1);

	sub.client_queue_cap = cap;
	return submit(s, &sub);
}

/* The caps follow every way into and out of the queue (SQLite: the depth
 * its triggers keep; PostgreSQL: the count), and another client's tasks
 * are not alice's. */
START_TEST(test_store_caps_follow_the_queue)
{
	store *s = open_store();
	store_task t;
	char err[512];

	submit_ok(s, "b1", "bob", 1);
	next_ms();  /* (b1 the oldest: claimed first) */
	ck_assert_int_eq(alice_at_cap(s, "q1", 2), STORE_SUBMITTED);
	ck_assert_int_eq(alice_at_cap(s, "q2", 2), STORE_SUBMITTED);
	ck_assert_int_eq(alice_at_cap(s, "q3", 2), STORE_CLIENT_FULL);
	/* a cancel of a queued one makes room */
	ck_assert_int_eq(store_cancel(s, "alice", "q2", "{}", &t, err, sizeof(err)), 1);
	store_task_clear(&t);
	ck_assert_int_eq(alice_at_cap(s, "q3", 2), STORE_SUBMITTED);
	ck_assert_int_eq(alice_at_cap(s, "q4", 2), STORE_CLIENT_FULL);
	/* a claim makes room (bob's first: the client with fewest running, then the oldest) */
	claim_ok(s, &t);
	store_task_clear(&t);
	claim_ok(s, &t);
	ck_assert_str_eq(t.client, "alice");
	ck_assert_int_eq(alice_at_cap(s, "q4", 2), STORE_SUBMITTED);
	/* a deferred one is queued again: alice is over her cap of 2 now */
	ck_assert_int_eq(store_defer(s, &t, STORE_DEFER_CLIENT, store_now_ms() + 1, err, sizeof(err)), 0);
	store_task_clear(&t);
	ck_assert_int_eq(alice_at_cap(s, "q5", 3), STORE_CLIENT_FULL);
	ck_assert_int_eq(alice_at_cap(s, "q5", 4), STORE_SUBMITTED);
	/* bob's queue was his alone: empty now, as his cap of 1 shows */
	{
		store_submission sub = sub_of("b2", "bob", 1);

		sub.client_queue_cap = 1;
		ck_assert_int_eq(submit(s, &sub), STORE_SUBMITTED);
		sub.id = "b3";
		ck_assert_int_eq(submit(s, &sub), STORE_CLIENT_FULL);
	}
	store_close(s);
}
END_TEST

START_TEST(test_store_renew_and_reclaim)
{
	store *alive = open_as("node-a", 30), *dead = open_as("node-dead", 1);
	store_task t, *v = NULL;
	char err[512];
	long n = 0;
	int64_t until;
	struct timespec tick = { 0, 50 * 1000000 };

	submit_ok(alive, "r1", "alice", 1);
	claim_ok(dead, &t);
	ck_assert_str_eq(t.node, "node-dead");
	store_task_clear(&t);
	/* While the dead node renews, its lease of 1 s never lapses. */
	until = store_now_ms() + 1500;
	while (store_now_ms() < until) {
		ck_assert_msg(store_renew(dead, err, sizeof(err)) == 0, "%s", err);
		n = store_reclaim(alive, 0, interrupted, NULL, &v, err, sizeof(err));
		ck_assert_int_eq(n, 0);
		store_tasks_free(v, 0);
		nanosleep(&tick, NULL);
	}
	/* It stops renewing: within a few seconds another node fails its task. */
	until = store_now_ms() + 5000;
	while (n == 0 && store_now_ms() < until) {
		n = store_reclaim(alive, 0, interrupted, NULL, &v, err, sizeof(err));
		ck_assert_msg(n >= 0, "%s", err);
		if (n == 0)
			nanosleep(&tick, NULL);
	}
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(v[0].id, "r1");
	ck_assert_str_eq(v[0].node, "node-dead");
	store_tasks_free(v, (size_t)n);
	get_ok(alive, "alice", "r1", &t);
	ck_assert_int_eq(t.status, STORE_FAILED);
	ck_assert_int_eq(t.http_status, 500);
	ck_assert_str_eq(t.result, "{\"code\":\"INTERRUPTED\",\"node\":\"node-dead\"}");
	store_task_clear(&t);
	/* The dead node's late end changes nothing. */
	ck_assert_int_eq(store_finish(dead, "r1", STORE_SUCCEEDED, 201, "{}", err, sizeof(err)), 1);
	store_close(dead);
	store_close(alive);
}
END_TEST

START_TEST(test_store_reclaim_own_restart)
{
	store *s = open_as("node-a", 30), *other = open_as("node-b", 30);
	store_task t, *v = NULL;
	char err[512];
	long n;

	submit_ok(s, "o1", "alice", 1);
	submit_ok(s, "o2", "alice", 0);  /* a synchronous one, running here */
	submit_ok(s, "o3", "alice", 1);
	claim_ok(s, &t);
	store_task_clear(&t);
	claim_ok(other, &t);
	ck_assert_str_eq(t.id, "o3");
	store_task_clear(&t);
	store_close(s);
	/* The same node after a restart: what it left running is INTERRUPTED,
	 * another node's running task is not touched. */
	s = open_as("node-a", 30);
	/* A document that could not be made (o2's): that task waits for the next round. */
	n = store_reclaim(s, 1, interrupted, "o2", &v, err, sizeof(err));
	ck_assert_msg(n == 1, "%ld: %s", n, err);
	ck_assert_str_eq(v[0].id, "o1");
	store_tasks_free(v, (size_t)n);
	status_is(s, "o2", STORE_RUNNING);
	n = store_reclaim(s, 1, interrupted, NULL, &v, err, sizeof(err));
	ck_assert_msg(n == 1, "%ld: %s", n, err);
	ck_assert_str_eq(v[0].id, "o2");
	store_tasks_free(v, (size_t)n);
	status_is(s, "o3", STORE_RUNNING);
	store_close(other);
	store_close(s);
}
END_TEST

START_TEST(test_store_purge)
{
	store_conf c = conf;
	store *s;
	store_submission sub = sub_of("p1", "alice", 0);
	store_task t;
	char err[512];
	long n;

	c.result_ttl_s = 0;
	s = open_with(c, "node-a");
	sub.idem_key = "pk";
	sub.fingerprint = "f1";
	sub.labels = "{\"a\":\"b\"}";
	ck_assert_int_eq(submit(s, &sub), STORE_SUBMITTED);
	submit_ok(s, "p2", "alice", 1);  /* queued: never purged */
	finish_ok(s, "p1");
	/* A backlog of 1500 long ended: purged in batches, every one. */
	raw_sql("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500) "
		"INSERT INTO tasks (id, client, status, async, kind, created_ms, finished_ms) "
		"SELECT 'old-' || i, 'alice', 'succeeded', 1, 'task', 1, 2 FROM n");
	next_ms();
	n = store_purge(s, err, sizeof(err));
	ck_assert_msg(n == 1501, "%ld: %s", n, err);
	ck_assert_int_eq(store_get(s, "alice", "p1", &t, err, sizeof(err)), 0);
	status_is(s, "p2", STORE_QUEUED);
	/* Its key went with it: a new request with the key is a new task. */
	sub.id = "p3";
	sub.fingerprint = "f2";
	ck_assert_int_eq(submit(s, &sub), STORE_SUBMITTED);
	ck_assert_int_eq(store_purge(s, err, sizeof(err)), 0);
	store_close(s);
}
END_TEST

START_TEST(test_store_callback_claim_and_record)
{
	store *s = open_store();
	store_submission sub = sub_of("cb1", "alice", 1);
	store_task t;
	char err[512], delivery[65];
	int64_t now;

	sub.callback_url = "https://hooks.example/ecs";
	ck_assert_int_eq(submit(s, &sub), STORE_SUBMITTED);
	get_ok(s, "alice", "cb1", &t);
	ck_assert_int_eq(t.callback_state, STORE_CALLBACK_WAITING);
	ck_assert_str_eq(t.callback_url, "https://hooks.example/ecs");
	ck_assert_int_eq(strlen(t.callback_delivery_id), 32);
	snprintf(delivery, sizeof(delivery), "%s", t.callback_delivery_id);
	store_task_clear(&t);
	/* Not ended: nothing to deliver. */
	ck_assert_int_eq(store_callback_claim(s, 60000, &t, err, sizeof(err)), 0);
	claim_ok(s, &t);
	store_task_clear(&t);
	finish_ok(s, "cb1");
	ck_assert_int_eq(store_callback_claim(s, 60000, &t, err, sizeof(err)), 1);
	ck_assert_str_eq(t.id, "cb1");
	ck_assert_int_eq(t.callback_state, STORE_CALLBACK_PENDING);
	ck_assert_str_eq(t.result, "{\"exitCode\":0}");
	ck_assert_str_eq(t.callback_delivery_id, delivery);
	store_task_clear(&t);
	/* Leased: no second deliverer takes it. */
	ck_assert_int_eq(store_callback_claim(s, 60000, &t, err, sizeof(err)), 0);
	/* Failed once (500): due again now. */
	now = store_now_ms();
	ck_assert_int_eq(store_callback_record(s, "cb1", STORE_CALLBACK_PENDING, now, 500, "HTTP 500", err,
					       sizeof(err)), 0);
	ck_assert_int_eq(store_callback_claim(s, 60000, &t, err, sizeof(err)), 1);
	ck_assert_int_eq(t.callback_attempts, 1);
	ck_assert_int_eq(t.callback_last_status, 500);
	ck_assert_str_eq(t.callback_last_error, "HTTP 500");
	store_task_clear(&t);
	ck_assert_int_eq(store_callback_record(s, "cb1", STORE_CALLBACK_DELIVERED, 0, 204, NULL, err, sizeof(err)),
			 0);
	get_ok(s, "alice", "cb1", &t);
	ck_assert_int_eq(t.callback_state, STORE_CALLBACK_DELIVERED);
	ck_assert_int_eq(t.callback_attempts, 2);
	ck_assert_int_eq(t.callback_last_status, 204);
	ck_assert_ptr_null(t.callback_last_error);
	ck_assert_str_eq(t.callback_delivery_id, delivery);
	store_task_clear(&t);
	ck_assert_int_eq(store_callback_claim(s, 60000, &t, err, sizeof(err)), 0);
	store_close(s);
}
END_TEST

START_TEST(test_store_fairness)
{
	store *s = open_store();
	store_submission pinned = sub_of("C0", "client-c", 1);
	store_task t;
	char id[16];
	int i;

	/* The oldest of all, but another node's to take: passed over, its
	 * client with it (and the clients after it still found). */
	pinned.kind = "exec";
	pinned.session_id = "sess-c";
	pinned.pin_node = "node-b";
	ck_assert_int_eq(submit(s, &pinned), STORE_SUBMITTED);
	next_ms();
	submit_ok(s, "D0", "client-d", 1);
	next_ms();
	for (i = 0; i < 5; i++) {
		snprintf(id, sizeof(id), "A%d", i);
		submit_ok(s, id, "client-a", 1);
		next_ms();
	}
	submit_ok(s, "B0", "client-b", 1);
	/* D's is the oldest this node may take. Then A, B have none running: the
	 * oldest, A's. Then A has one running: B's. */
	claim_ok(s, &t);
	ck_assert_str_eq(t.id, "D0");
	store_task_clear(&t);
	claim_ok(s, &t);
	ck_assert_str_eq(t.id, "A0");
	store_task_clear(&t);
	claim_ok(s, &t);
	ck_assert_str_eq(t.id, "B0");
	store_task_clear(&t);
	claim_ok(s, &t);
	ck_assert_str_eq(t.id, "A1");
	store_task_clear(&t);
	store_close(s);
}
END_TEST

START_TEST(test_store_pinned_claim)
{
	store *a = open_as("node-a", 30), *b = open_as("node-b", 30);
	store_submission sub = sub_of("pin1", "alice", 1);
	store_task t;
	char err[512];

	sub.kind = "exec";
	sub.session_id = "sess-1";
	sub.pin_node = "node-a";
	ck_assert_int_eq(submit(b, &sub), STORE_SUBMITTED);
	/* Only the session's node takes it. */
	ck_assert_int_eq(store_claim(b, &t, err, sizeof(err)), 0);
	claim_ok(a, &t);
	ck_assert_str_eq(t.id, "pin1");
	ck_assert_str_eq(t.kind, "exec");
	ck_assert_str_eq(t.session_id, "sess-1");
	store_task_clear(&t);
	store_close(a);
	store_close(b);
}
END_TEST

/* An exec of alice's in session @sess, pinned to node-a. */
static void exec_ok(store *s, const char *id, const char *sess)
{
	store_submission sub = sub_of(id, "alice", 1);

	sub.kind = "exec";
	sub.session_id = sess;
	sub.pin_node = "node-a";
	ck_assert_int_eq(submit(s, &sub), STORE_SUBMITTED);
}

START_TEST(test_store_defer_client)
{
	store *s = open_store();
	store_task t;
	char err[512];

	submit_ok(s, "a1", "alice", 1);
	next_ms();
	submit_ok(s, "a2", "alice", 1);
	next_ms();
	submit_ok(s, "b1", "bob", 1);
	claim_ok(s, &t);
	ck_assert_str_eq(t.id, "a1");
	/* alice is at her cap here: a1 back in its place, a2 behind it, both waiting */
	ck_assert_int_eq(store_defer(s, &t, STORE_DEFER_CLIENT, store_now_ms() + 60000, err, sizeof(err)), 0);
	store_task_clear(&t);
	get_ok(s, "alice", "a1", &t);
	ck_assert_int_eq(t.status, STORE_QUEUED);
	ck_assert_str_eq(t.node, "");
	ck_assert_int_eq(t.started_ms, 0);
	ck_assert_ptr_nonnull(t.request);
	store_task_clear(&t);
	/* bob's runs meanwhile; alice's wait */
	claim_ok(s, &t);
	ck_assert_str_eq(t.id, "b1");
	store_task_clear(&t);
	ck_assert_int_eq(store_claim(s, &t, err, sizeof(err)), 0);
	/* on this node: another takes alice's first in its place, and the deferral
	 * did not touch the rest of her line */
	{
		store *b = open_as("node-b", 30);

		claim_ok(b, &t);
		ck_assert_str_eq(t.id, "a1");
		ck_assert_int_eq(store_defer(b, &t, STORE_DEFER_CLIENT, store_now_ms() + 60000, err, sizeof(err)),
				 0);
		store_task_clear(&t);
		store_close(b);
	}
	/* once the wait is over: in the order they came */
	raw_sql("UPDATE tasks SET ready_ms = 0");
	raw_sql("UPDATE deferrals SET until_ms = 0");
	claim_ok(s, &t);
	ck_assert_str_eq(t.id, "a1");
	store_task_clear(&t);
	claim_ok(s, &t);
	ck_assert_str_eq(t.id, "a2");
	store_task_clear(&t);
	store_close(s);
}
END_TEST

START_TEST(test_store_defer_session)
{
	store *s = open_store();
	store_task t;
	char err[512];

	exec_ok(s, "e1", "sess-1");
	next_ms();
	exec_ok(s, "e2", "sess-1");
	next_ms();
	exec_ok(s, "f1", "sess-2");
	claim_ok(s, &t);
	ck_assert_str_eq(t.id, "e1");
	/* sess-1 is busy: its execs wait; sess-2's runs */
	ck_assert_int_eq(store_defer(s, &t, STORE_DEFER_SESSION, store_now_ms() + 60000, err, sizeof(err)), 0);
	store_task_clear(&t);
	claim_ok(s, &t);
	ck_assert_str_eq(t.id, "f1");
	store_task_clear(&t);
	ck_assert_int_eq(store_claim(s, &t, err, sizeof(err)), 0);
	/* a short wait ends by itself */
	raw_sql("UPDATE tasks SET ready_ms = 1 WHERE status = 'queued'");
	raw_sql("UPDATE deferrals SET until_ms = 1");
	claim_ok(s, &t);
	ck_assert_str_eq(t.id, "e1");
	/* a DELETE while claimed: not queued again */
	store_task_clear(&t);
	get_ok(s, "alice", "e1", &t);
	{
		store_task c;

		ck_assert_int_eq(store_cancel(s, "alice", "e1", "{}", &c, err, sizeof(err)), 1);
		store_task_clear(&c);
	}
	ck_assert_int_eq(store_defer(s, &t, STORE_DEFER_SESSION, store_now_ms() + 60000, err, sizeof(err)), 1);
	status_is(s, "e1", STORE_RUNNING);
	store_task_clear(&t);
	store_close(s);
}
END_TEST

START_TEST(test_store_cancel_session)
{
	store *s = open_store();
	store_task t;
	char err[512];

	exec_ok(s, "e1", "sess-1");
	next_ms();
	exec_ok(s, "e2", "sess-1");
	next_ms();
	exec_ok(s, "f1", "sess-2");
	claim_ok(s, &t);
	ck_assert_str_eq(t.id, "e1");
	ck_assert_int_eq(store_cancel_session(s, "sess-1", "{\"code\":\"CANCELED\"}", err, sizeof(err)), 1);
	ended_with(s, "e2", STORE_CANCELED, 499);
	/* the one a runner holds is told, not ended under it */
	store_task_clear(&t);
	get_ok(s, "alice", "e1", &t);
	ck_assert_int_eq(t.status, STORE_RUNNING);
	ck_assert_int_eq(t.cancel_requested, 1);
	store_task_clear(&t);
	status_is(s, "f1", STORE_QUEUED);
	store_close(s);
}
END_TEST

START_TEST(test_store_migrates_v1)
{
	store *s = open_store();
	store_submission sub = sub_of("new1", "alice", 1);
	store_task t;

	store_close(s);
	/* a store an ecs-fcgi of schema 1 wrote, with a task queued */
	raw_sql("DELETE FROM ecs_schema WHERE version >= 2");
	raw_sql("DROP TABLE deferrals");
	if (conf.kind == STORE_DB_SQLITE) {
		/* (version 3's triggers belong to tasks: they stay when their table goes) */
		raw_sql("DROP TRIGGER queue_depth_insert");
		raw_sql("DROP TRIGGER queue_depth_requeue");
		raw_sql("DROP TRIGGER queue_depth_leave");
		raw_sql("DROP TRIGGER queue_depth_delete");
		raw_sql("DROP TABLE queue_depth");
	}
	raw_sql("ALTER TABLE tasks DROP COLUMN ready_ms");
	raw_sql("INSERT INTO tasks (id, client, status, async, kind, created_ms, request, auth) VALUES "
		"('old1', 'alice', 'queued', 1, 'task', 1, '{}', '{}')");
	s = open_store();
	/* the queue's depth counts what was queued before (alice at a cap of 1) */
	sub.client_queue_cap = 1;
	ck_assert_int_eq(submit(s, &sub), STORE_CLIENT_FULL);
	claim_ok(s, &t);
	ck_assert_str_eq(t.id, "old1");
	store_task_clear(&t);
	ck_assert_int_eq(submit(s, &sub), STORE_SUBMITTED);
	store_close(s);
}
END_TEST

START_TEST(test_store_newer_schema_refused)
{
	store *s = open_store();
	char err[512];

	store_close(s);
	raw_sql("INSERT INTO ecs_schema (version) VALUES (99)");
	s = NULL;
	ck_assert_int_eq(store_open(&s, &conf, "node-a", err, sizeof(err)), STORE_ERROR);
	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(err, "schema version 99") != NULL && strstr(err, "newer") != NULL, "%s", err);
}
END_TEST

START_TEST(test_store_reopen_keeps_everything)
{
	store *s = open_store();
	store_submission sub = sub_of("d1", "alice", 1);
	store_task t;
	char err[512];

	sub.idem_key = "dk";
	sub.fingerprint = "df";
	sub.labels = "{\"run\":\"7\"}";
	ck_assert_int_eq(submit(s, &sub), STORE_SUBMITTED);
	submit_ok(s, "d2", "alice", 1);
	claim_ok(s, &t);
	store_task_clear(&t);
	finish_ok(s, "d1");
	store_close(s);

	s = open_store();
	get_ok(s, "alice", "d1", &t);
	ck_assert_int_eq(t.status, STORE_SUCCEEDED);
	ck_assert_str_eq(t.result, "{\"exitCode\":0}");
	ck_assert_str_eq(t.labels, "{\"run\":\"7\"}");
	store_task_clear(&t);
	/* The key survived: a retry after the restart is the same task. */
	sub.id = "d1-again";
	ck_assert_int_eq(submit(s, &sub), STORE_REPLAY);
	/* The queued one is still queued. */
	claim_ok(s, &t);
	ck_assert_str_eq(t.id, "d2");
	store_task_clear(&t);
	ck_assert_int_eq(store_claim(s, &t, err, sizeof(err)), 0);
	store_close(s);
}
END_TEST

START_TEST(test_store_counts_and_check)
{
	store *s = open_store();
	store_submission sub = sub_of("n1", "alice", 1);
	store_counts c;
	char err[512];
	double ms = -1;

	sub.callback_url = "https://hooks.example/";
	ck_assert_int_eq(submit(s, &sub), STORE_SUBMITTED);
	submit_ok(s, "n2", "alice", 1);
	submit_ok(s, "n3", "alice", 1);
	claim_next(s);
	finish_ok(s, "n1");
	ck_assert_int_eq(store_count(s, &c, err, sizeof(err)), 0);
	ck_assert_int_eq(c.by_status[STORE_QUEUED], 2);
	ck_assert_int_eq(c.by_status[STORE_RUNNING], 0);
	ck_assert_int_eq(c.by_status[STORE_SUCCEEDED], 1);
	ck_assert_int_eq(c.callbacks_pending, 1);
	ck_assert_int_eq(c.ops, 6);  /* 3 submits, 1 claim, 1 finish, this count */
	ck_assert_int_eq(c.errors, 0);
	ck_assert(c.seconds_sum > 0);
	ck_assert_int_eq(store_check(s, &ms, err, sizeof(err)), 0);
	ck_assert(ms >= 0);
	store_close(s);
}
END_TEST

/* ---- SQLite only */

START_TEST(test_store_sqlite_file_private)
{
	store *s = open_store();
	const char *suffix[] = { "", "-wal", "-shm" };
	struct stat st;
	char f[160];
	int i;

	submit_ok(s, "secret", "alice", 1);  /* a body, in the WAL */
	for (i = 0; i < 3; i++) {
		snprintf(f, sizeof(f), "%s%s", path, suffix[i]);
		ck_assert_msg(stat(f, &st) == 0, "%s: %s", f, strerror(errno));
		ck_assert_msg((st.st_mode & 0777) == 0600, "%s: mode %o", f, st.st_mode & 0777);
	}
	store_close(s);
}
END_TEST

START_TEST(test_store_sqlite_listen_waits)
{
	store *s = open_store();
	char id[65] = "x", err[256];
	int64_t t0 = store_now_ms();

	ck_assert_int_eq(store_listen_cancels(s, 100, id, sizeof(id), err, sizeof(err)), 0);
	ck_assert_int_ge(store_now_ms() - t0, 100);
	ck_assert_str_eq(id, "");
	store_close(s);
}
END_TEST

START_TEST(test_store_sqlite_unwritable)
{
	store_conf c = conf;
	store *s = NULL;
	char err[512];

	c.path = "/nonexistent-dir/ecs.db";
	ck_assert_int_eq(store_open(&s, &c, "node-a", err, sizeof(err)), STORE_ERROR);
	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(err, "/nonexistent-dir/ecs.db") != NULL, "%s", err);
}
END_TEST

/* ---- PostgreSQL only */

START_TEST(test_store_pg_cancel_notifies)
{
	store *a = open_as("node-a", 30), *b = open_as("node-b", 30);
	store_task t;
	char id[65], err[512];

	/* Listening first (the LISTEN is made on the first call). */
	ck_assert_int_eq(store_listen_cancels(b, 10, id, sizeof(id), err, sizeof(err)), 0);
	submit_ok(a, "pgc1", "alice", 1);
	claim_ok(b, &t);
	store_task_clear(&t);
	ck_assert_int_eq(store_cancel(a, "alice", "pgc1", "{}", &t, err, sizeof(err)), 1);
	store_task_clear(&t);
	ck_assert_int_eq(store_listen_cancels(b, 5000, id, sizeof(id), err, sizeof(err)), 1);
	ck_assert_str_eq(id, "pgc1");
	store_close(a);
	store_close(b);
}
END_TEST

START_TEST(test_store_pg_server_closed_connections)
{
	store *s = open_store();
	store_counts c;
	char err[512], sql[256];
	int i;

	submit_ok(s, "gone1", "alice", 1);
	for (i = 0; i < 3; i++)
		status_is(s, "gone1", STORE_QUEUED);
	/* What a restart of PostgreSQL does to the pool: every connection
	 * closed by the server (this test's only: others may share the
	 * server). The next calls open new ones, none fails. */
	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
		 "application_name = '%s' AND pid <> pg_backend_pid()", schema);
	raw_sql(sql);
	for (i = 0; i < 3; i++)
		status_is(s, "gone1", STORE_QUEUED);
	ck_assert_int_eq(store_count(s, &c, err, sizeof(err)), 0);
	ck_assert_int_eq(c.errors, 0);
	store_close(s);
}
END_TEST

/* Submits 20 tasks, every fourth with labels that are not a JSON object (the store refuses it). */
static void *mixed_submitter(void *arg)
{
	worker *m = arg;
	int i;

	pthread_barrier_wait(m->go);
	for (i = 0; i < 20; i++) {
		char id[64], err[512];
		store_submission sub;
		store_submit_outcome out = STORE_QUEUE_FULL;
		int bad = i % 4 == 3, rc;

		snprintf(id, sizeof(id), "m%d-%d", m->index, i);
		sub = sub_of(id, "alice", 1);
		sub.labels = bad ? "not json" : "{\"k\":\"v\"}";
		rc = store_submit(m->s, &sub, &out, NULL, err, sizeof(err));
		if (bad ? rc != STORE_ERROR : rc != 0 || out != STORE_SUBMITTED) {
			m->failures++;
			snprintf(m->err, sizeof(m->err), "%s: rc %d outcome %d: %s", id, rc, (int)out, err);
		}
	}
	return NULL;
}

START_TEST(test_store_failed_call_alone)
{
	/* Writes that arrive together share a transaction on SQLite (a
	 * group commit): one that fails must fail alone, leaving nothing,
	 * and every other must be there. */
	store *s = open_store();
	worker m[8];
	pthread_barrier_t go;
	store_filter f;
	store_task *v = NULL;
	store_counts c;
	char err[512];
	long n;
	int i;

	memset(m, 0, sizeof(m));
	pthread_barrier_init(&go, NULL, 8);
	run_workers(s, m, 8, mixed_submitter, &go);
	pthread_barrier_destroy(&go);
	ck_assert_int_eq(store_count(s, &c, err, sizeof(err)), 0);
	ck_assert_int_eq(c.by_status[STORE_QUEUED], 8 * 15);
	memset(&f, 0, sizeof(f));
	f.status = -1;
	f.label_key = "k";
	f.label_value = "v";
	f.limit = 1000;
	n = store_list(s, "alice", &f, &v, err, sizeof(err));
	ck_assert_msg(n == 8 * 15, "%ld labelled tasks: %s", n, err);
	store_tasks_free(v, (size_t)n);
	for (i = 0; i < 8; i++) {
		char id[64];
		store_task t;

		snprintf(id, sizeof(id), "m%d-3", i);
		ck_assert_int_eq(store_get(s, "alice", id, &t, err, sizeof(err)), 0);
		snprintf(id, sizeof(id), "m%d-4", i);
		get_ok(s, "alice", id, &t);
		ck_assert_str_eq(t.labels, "{\"k\":\"v\"}");
		store_task_clear(&t);
	}
	store_close(s);
}
END_TEST

static void add_common(TCase *tc)
{
	tcase_add_test(tc, test_store_submit_claim_finish_get);
	tcase_add_test(tc, test_store_finish_span);
	tcase_add_test(tc, test_store_sync_runs_here);
	tcase_add_test(tc, test_store_record_ran);
	tcase_add_test(tc, test_store_list_filter_and_pages);
	tcase_add_test(tc, test_store_cancel);
	tcase_add_test(tc, test_store_key_replay_and_mismatch);
	tcase_add_test(tc, test_store_key_two_at_once);
	tcase_add_test(tc, test_store_many_threads);
	tcase_add_test(tc, test_store_failed_call_alone);
	tcase_add_test(tc, test_store_caps);
	tcase_add_test(tc, test_store_renew_and_reclaim);
	tcase_add_test(tc, test_store_reclaim_own_restart);
	tcase_add_test(tc, test_store_purge);
	tcase_add_test(tc, test_store_callback_claim_and_record);
	tcase_add_test(tc, test_store_fairness);
	tcase_add_test(tc, test_store_pinned_claim);
	tcase_add_test(tc, test_store_defer_client);
	tcase_add_test(tc, test_store_defer_session);
	tcase_add_test(tc, test_store_cancel_session);
	tcase_add_test(tc, test_store_migrates_v1);
	tcase_add_test(tc, test_store_newer_schema_refused);
	tcase_add_test(tc, test_store_caps_follow_the_queue);
	tcase_add_test(tc, test_store_reopen_keeps_everything);
	tcase_add_test(tc, test_store_counts_and_check);
}

int main(void)
{
	Suite *s = suite_create("store");
	TCase *lite = tcase_create("sqlite");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(lite, sqlite_setup, sqlite_teardown);
	tcase_set_timeout(lite, 60);
	add_common(lite);
	tcase_add_test(lite, test_store_sqlite_file_private);
	tcase_add_test(lite, test_store_sqlite_listen_waits);
	tcase_add_test(lite, test_store_sqlite_unwritable);
	suite_add_tcase(s, lite);
	if (getenv("ECS_TEST_PG_DSN") != NULL && getenv("ECS_TEST_PG_DSN")[0] != '\0') {
		TCase *pg = tcase_create("postgresql");

		tcase_add_checked_fixture(pg, pg_setup, pg_teardown);
		tcase_set_timeout(pg, 60);
		add_common(pg);
		tcase_add_test(pg, test_store_pg_cancel_notifies);
		tcase_add_test(pg, test_store_pg_server_closed_connections);
		suite_add_tcase(s, pg);
	} else {
		printf("check_store: ECS_TEST_PG_DSN not set: the PostgreSQL fixture is skipped\n");
	}
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
