/*
 * store.c - the task store (store.h): a pool of connections to one backend
 * (store_db.h) and every statement of the store, written once in the SQL
 * SQLite and PostgreSQL share. The few places where the dialects differ
 * branch on store_db_kind_of() and say why: row locks in the two claims
 * (FOR UPDATE SKIP LOCKED, PostgreSQL only: SQLite has one writer at a
 * time already), the cancel's NOTIFY, and the queue's depth for a
 * submission's caps (SQLite reads what its triggers keep).
 *
 * Each call is one transaction, retried a bounded number of times when the
 * backend reports a lock or serialization conflict (STORE_DB_BUSY). A
 * connection whose call failed otherwise is closed and opened again on its
 * next use, so a PostgreSQL restart costs the calls in flight, not the pool.
 *
 * SQLite has one writer at a time, and its commits are flushed to disk
 * (store_sqlite.c). So on SQLite every writing call goes to one connection
 * (the first of the pool; the others read), in a group: the calls that
 * arrive while a commit is under way wait, then the first of them runs
 * them all in one transaction, each inside a savepoint of its own (a call
 * that fails is rolled back alone), and one commit, one flush, answers
 * all of them. A writer never sleeps in SQLite's busy handler behind
 * another of ours, and the writing connection's page cache stays warm
 * (SQLite drops a connection's cache whenever another connection wrote).
 */
#include <config.h>

#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "ids.h"
#include "store.h"
#include "store_schema.h"

/* A transaction that met a conflict is tried this many times in all. */
#define ATTEMPTS 4
/* The PostgreSQL channel of cancels (store.h: store_cancel()). */
#define CANCEL_CHANNEL "ecs_cancel"

/* The columns of a task, in the order task_row() reads them. A listing
 * leaves out the request and result (and their bytes). */
#define TASK_COLS(request, result) \
	"id, client, status, async, kind, session_id, created_ms, started_ms, finished_ms, " request \
	", auth, labels, " result ", http_status, node, cancel_requested, idem_key, callback_url, " \
	"callback_state, callback_attempts, callback_next_ms, callback_last_status, callback_last_error, " \
	"callback_delivery_id, fingerprint"
#define TASK_FULL TASK_COLS("request", "result")
#define TASK_SUMMARY TASK_COLS("NULL", "NULL")
#define TASK_NCOLS 25

/* A task's callback once it ended: due now (parameter $N) when it has one.
 * (PostgreSQL refuses a parameter the statement does not use: each
 * statement numbers its own.) */
#define CALLBACK_ENDED(n) \
	"callback_state = CASE WHEN callback_url IS NULL THEN 'none' ELSE 'pending' END, " \
	"callback_next_ms = CAST($" n " AS BIGINT)"
/* Whose task: $2 NULL is anyone's (the node's own use). */
#define OF_CLIENT "(CAST($2 AS TEXT) IS NULL OR client = $2)"

typedef struct {
	store_db *db;       /* NULL: not open (yet, or again after a failure) */
	int busy;
} slot;

typedef struct store store;
typedef int (*txn_fn)(store *s, store_db *db, void *arg, char *err, size_t errlen);

/* A writing call waiting for its group (SQLite), on its caller's stack. */
typedef struct write_call {
	txn_fn fn;
	void *arg;
	char *err;
	size_t errlen;
	int rc;                    /* STORE_DB_*, or PENDING: the leader's until @done */
	int round;                 /* the leader's: what the call answered in the current round */
	int done;                  /* under gmu: @rc and @err are final */
	int light;                 /* its commit need not be flushed on its own (store_record_ran()) */
	pthread_cond_t wake;       /* its own: signalled when it is done, or is the queue's head to lead */
	struct write_call *next;   /* under gmu: the queue; then the leader's own list */
} write_call;

#define PENDING 1
/* Calls one group takes at most: a bound on how long the first waits for the last. */
#define GROUP_MAX 64

struct store {
	store_db_kind kind;
	char *target;             /* the SQLite path or the PostgreSQL conninfo */
	char node[128];
	int64_t lease_ms;
	int64_t ttl_ms;
	unsigned int queue_max;
	pthread_mutex_t mu;       /* the slots and the tally */
	pthread_cond_t freed;
	slot *slots;
	size_t nslots;
	long long ops, errors;
	double seconds;
	pthread_mutex_t gmu;      /* SQLite: the writing calls' queue and its leader */
	write_call *queue, **queue_tail;
	int leading;              /* under gmu: a group is running */
	pthread_mutex_t listen_mu; /* the listening connection (PostgreSQL) or the wait (SQLite) */
	pthread_cond_t never;     /* SQLite: waited on, never signalled (cancels never leave the process) */
	store_db *listener;
};

static const char *const status_names[STORE_STATUS_COUNT] = { "queued", "running", "succeeded", "failed",
							       "canceled" };
static const char *const callback_names[] = { "none", "waiting", "pending", "delivered", "failed" };

const char *store_status_name(store_status s)
{
	return (unsigned int)s < STORE_STATUS_COUNT ? status_names[s] : "unknown";
}

int store_status_parse(store_status *out, const char *name)
{
	int i;

	for (i = 0; name != NULL && i < STORE_STATUS_COUNT; i++)
		if (strcmp(status_names[i], name) == 0) {
			*out = (store_status)i;
			return 0;
		}
	return -1;
}

int store_status_ended(store_status s)
{
	return s == STORE_SUCCEEDED || s == STORE_FAILED || s == STORE_CANCELED;
}

const char *store_callback_state_name(store_callback_state s)
{
	return (unsigned int)s <= STORE_CALLBACK_FAILED ? callback_names[s] : "unknown";
}

static store_callback_state callback_parse(const char *name)
{
	int i;

	for (i = 0; name != NULL && i <= STORE_CALLBACK_FAILED; i++)
		if (strcmp(callback_names[i], name) == 0)
			return (store_callback_state)i;
	return STORE_CALLBACK_NONE;
}

int64_t store_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void store_task_clear(store_task *t)
{
	if (t == NULL)
		return;
	free(t->session_id);
	free(t->request);
	free(t->auth);
	free(t->labels);
	free(t->result);
	free(t->idem_key);
	free(t->callback_url);
	free(t->callback_last_error);
	memset(t, 0, sizeof(*t));
}

void store_tasks_free(store_task *list, size_t n)
{
	size_t i;

	for (i = 0; list != NULL && i < n; i++)
		store_task_clear(&list[i]);
	free(list);
}

/* ---- numbers as parameters (every parameter is text) */

typedef struct {
	char s[24];
} num;

static num num_of(long long v)
{
	num n;

	snprintf(n.s, sizeof(n.s), "%lld", v);
	return n;
}

static long long num_parse(const char *s)
{
	return s != NULL ? strtoll(s, NULL, 10) : 0;
}

/* ---- rows into tasks */

typedef struct {
	store_task *one;          /* one task: filled once */
	int found;
	char fingerprint[65];
	store_task *list;         /* or a list: grown */
	size_t len, cap;
	int oom;
} rows;

static int dup_col(char **to, const char *col, rows *r)
{
	*to = NULL;
	if (col == NULL)
		return 0;
	*to = strdup(col);
	if (*to == NULL)
		r->oom = 1;
	return *to == NULL ? -1 : 0;
}

static int fill_task(store_task *t, const char *const *c, rows *r)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->id, sizeof(t->id), "%s", c[0] ? c[0] : "");
	snprintf(t->client, sizeof(t->client), "%s", c[1] ? c[1] : "");
	if (store_status_parse(&t->status, c[2]) != 0)
		t->status = STORE_FAILED;
	t->async = (int)num_parse(c[3]);
	snprintf(t->kind, sizeof(t->kind), "%s", c[4] ? c[4] : "");
	t->created_ms = num_parse(c[6]);
	t->started_ms = num_parse(c[7]);
	t->finished_ms = num_parse(c[8]);
	t->http_status = (int)num_parse(c[13]);
	snprintf(t->node, sizeof(t->node), "%s", c[14] ? c[14] : "");
	t->cancel_requested = (int)num_parse(c[15]);
	t->callback_state = callback_parse(c[18]);
	t->callback_attempts = (int)num_parse(c[19]);
	t->callback_next_ms = num_parse(c[20]);
	t->callback_last_status = (int)num_parse(c[21]);
	snprintf(t->callback_delivery_id, sizeof(t->callback_delivery_id), "%s", c[23] ? c[23] : "");
	if (dup_col(&t->session_id, c[5], r) || dup_col(&t->request, c[9], r) || dup_col(&t->auth, c[10], r) ||
	    dup_col(&t->labels, c[11], r) || dup_col(&t->result, c[12], r) || dup_col(&t->idem_key, c[16], r) ||
	    dup_col(&t->callback_url, c[17], r) || dup_col(&t->callback_last_error, c[22], r)) {
		store_task_clear(t);
		return -1;
	}
	return 0;
}

static int task_row(void *arg, int n, const char *const *cols)
{
	rows *r = arg;

	if (n != TASK_NCOLS)
		return 1;
	if (r->one != NULL) {
		if (r->found)
			return 1;
		if (fill_task(r->one, cols, r) != 0)
			return 1;
		r->found = 1;
		snprintf(r->fingerprint, sizeof(r->fingerprint), "%s", cols[24] ? cols[24] : "");
		return 0;
	}
	if (r->len == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 16;
		store_task *grown = realloc(r->list, cap * sizeof(*grown));

		if (grown == NULL) {
			r->oom = 1;
			return 1;
		}
		r->list = grown;
		r->cap = cap;
	}
	if (fill_task(&r->list[r->len], cols, r) != 0)
		return 1;
	r->len++;
	return 0;
}

/* Forget what an attempt read (a retried transaction reads again). */
static void rows_reset(rows *r)
{
	store_task_clear(r->one);
	r->found = 0;
	r->fingerprint[0] = '\0';
	store_tasks_free(r->list, r->len);
	r->list = NULL;
	r->len = r->cap = 0;
	r->oom = 0;
}

/* A query's rows into @r; out of memory is an error of its own. */
static int query(store_db *db, const char *sql, const char *const *params, int nparams, rows *r, char *err,
		 size_t errlen)
{
	int rc = store_db_exec(db, sql, params, nparams, task_row, r, NULL, err, errlen);

	if (rc == STORE_DB_OK && r->oom) {
		snprintf(err, errlen, "out of memory");
		return STORE_DB_ERROR;
	}
	return rc;
}

static int one_count(void *arg, int n, const char *const *cols)
{
	long long *v = arg;
	int i;

	for (i = 0; i < n; i++)
		v[i] = num_parse(cols[i]);
	return 1;
}

/* ---- the pool, transactions and the tally */

/* SQLite: the writing connection is slots[0]; reads take the others (or it, when it is the only one). */
static int sqlite_writer(const store *s, int write)
{
	return s->kind == STORE_DB_SQLITE && write;
}

/* A free connection of the pool for a call that @write s. */
static slot *acquire(store *s, int write, char *err, size_t errlen)
{
	slot *got = NULL;
	size_t i, from = 0, to = s->nslots;

	if (sqlite_writer(s, write))
		to = 1;
	else if (s->kind == STORE_DB_SQLITE && s->nslots > 1)
		from = 1;
	pthread_mutex_lock(&s->mu);
	for (;;) {
		/* An open connection first: a closed one costs a connect. */
		for (i = from; got == NULL && i < to; i++)
			if (!s->slots[i].busy && s->slots[i].db != NULL)
				got = &s->slots[i];
		for (i = from; got == NULL && i < to; i++)
			if (!s->slots[i].busy)
				got = &s->slots[i];
		if (got != NULL)
			break;
		pthread_cond_wait(&s->freed, &s->mu);
	}
	got->busy = 1;
	pthread_mutex_unlock(&s->mu);
	if (got->db == NULL && store_db_open(&got->db, s->kind, s->target, err, errlen) != STORE_DB_OK) {
		pthread_mutex_lock(&s->mu);
		got->busy = 0;
		pthread_cond_signal(&s->freed);
		pthread_mutex_unlock(&s->mu);
		return NULL;
	}
	return got;
}

static void release(store *s, slot *sl, int drop)
{
	if (drop) {
		store_db_close(sl->db);
		sl->db = NULL;
	}
	pthread_mutex_lock(&s->mu);
	sl->busy = 0;
	pthread_cond_signal(&s->freed);
	pthread_mutex_unlock(&s->mu);
}

static void tally(store *s, int failed, double seconds)
{
	pthread_mutex_lock(&s->mu);
	s->ops++;
	s->errors += failed;
	s->seconds += seconds;
	pthread_mutex_unlock(&s->mu);
}

/* BEGIN, and on a connection found dead (PostgreSQL restarted, or closed
 * an idle connection) once more on a new one: nothing has run yet. */
static int begin(store *s, slot *sl, int write, char *err, size_t errlen)
{
	int rc = store_db_begin(sl->db, write, err, errlen);

	if (rc != STORE_DB_ERROR)
		return rc;
	store_db_close(sl->db);
	sl->db = NULL;
	if (store_db_open(&sl->db, s->kind, s->target, err, errlen) != STORE_DB_OK)
		return STORE_DB_ERROR;
	return store_db_begin(sl->db, write, err, errlen);
}

/* One call of a group inside its savepoint: a call that fails leaves nothing in the transaction. */
static int in_savepoint(store *s, store_db *db, write_call *c)
{
	char scratch[8];
	int rc = store_db_exec(db, "SAVEPOINT call", NULL, 0, NULL, NULL, NULL, c->err, c->errlen);

	if (rc != STORE_DB_OK)
		return rc;
	rc = c->fn(s, db, c->arg, c->err, c->errlen);
	if (rc != STORE_DB_OK)
		(void)store_db_exec(db, "ROLLBACK TO call", NULL, 0, NULL, NULL, NULL, scratch, sizeof(scratch));
	(void)store_db_exec(db, "RELEASE call", NULL, 0, NULL, NULL, NULL, scratch, sizeof(scratch));
	return rc;
}

/*
 * The leader's part (SQLite): the calls of @group (each rc PENDING) in one
 * transaction on the writing connection, one commit for all; each call's
 * rc set at the end. As in_txn(): a round that met a conflict (another
 * process held the file: STORE_DB_BUSY) is tried again, and a call that
 * reported one is tried again in the next round; a round that failed
 * otherwise fails every call in it, and its connection is reopened.
 */
static void run_group(store *s, write_call *group)
{
	char gerr[256] = "", scratch[8];
	slot *sl = acquire(s, 1, gerr, sizeof(gerr));
	write_call *c;
	int attempt, drop = 0, light = 1;

	/* A group of light calls only commits without its own flush (WAL: the next flushed commit carries it). */
	for (c = group; c != NULL; c = c->next)
		light = light && c->light;
	if (sl != NULL && light &&
	    store_db_exec(sl->db, "PRAGMA synchronous=NORMAL", NULL, 0, NULL, NULL, NULL, scratch, sizeof(scratch)) !=
		    STORE_DB_OK)
		light = 0;  /* (then flushed, as any other) */

	for (attempt = 0; sl != NULL && attempt < ATTEMPTS; attempt++) {
		int rc, n = 0;

		for (c = group; c != NULL; c = c->next)
			n += c->rc == PENDING;
		if (n == 0)
			break;
		rc = begin(s, sl, 1, gerr, sizeof(gerr));
		for (c = group; c != NULL && rc == STORE_DB_OK; c = c->next) {
			if (c->rc != PENDING)
				continue;
			/* One call alone needs no savepoint: its failure is the transaction's. */
			c->round = n == 1 ? c->fn(s, sl->db, c->arg, c->err, c->errlen) : in_savepoint(s, sl->db, c);
			if (n == 1 && c->round != STORE_DB_OK) {
				rc = c->round;
				snprintf(gerr, sizeof(gerr), "%s", c->err);
			}
		}
		if (rc == STORE_DB_OK)
			rc = store_db_commit(sl->db, gerr, sizeof(gerr));
		else if (sl->db != NULL)
			store_db_rollback(sl->db);
		for (c = group; c != NULL; c = c->next) {
			if (c->rc != PENDING || rc == STORE_DB_BUSY)
				continue;  /* ended before, or all of the round again */
			if (rc == STORE_DB_OK) {
				c->rc = c->round == STORE_DB_BUSY ? PENDING : c->round;
			} else {
				c->rc = rc;
				snprintf(c->err, c->errlen, "%s", gerr);
			}
		}
		drop = rc == STORE_DB_ERROR;
		if (rc != STORE_DB_OK && rc != STORE_DB_BUSY)
			break;
	}
	for (c = group; c != NULL; c = c->next) {
		if (c->rc != PENDING)
			continue;
		c->rc = sl == NULL ? STORE_DB_ERROR : STORE_DB_BUSY;
		snprintf(c->err, c->errlen, "%s", gerr[0] ? gerr : "the store stayed busy");
	}
	/* Every other commit is flushed: a connection that cannot say so again is not used again. */
	if (sl != NULL && light && sl->db != NULL &&
	    store_db_exec(sl->db, "PRAGMA synchronous=FULL", NULL, 0, NULL, NULL, NULL, scratch, sizeof(scratch)) !=
		    STORE_DB_OK)
		drop = 1;
	if (sl != NULL)
		release(s, sl, drop);
}

/*
 * A writing call on SQLite: queued; the call at the queue's head leads the
 * next group when none runs (every call queued by then, up to GROUP_MAX),
 * the others wait for theirs to end. Each waits on its own condition
 * variable, woken once: when its group ended, or when it became the head
 * with no group running (one shared variable woke every waiter at every
 * group's end, most of them to wait again: at 16 clients, most of an
 * async submission's futex calls). Returns the call's STORE_DB_* code.
 */
static int in_group(store *s, txn_fn fn, void *arg, int light, char *err, size_t errlen)
{
	write_call me = { fn, arg, err, errlen, PENDING, PENDING, 0, light, PTHREAD_COND_INITIALIZER, NULL };

	pthread_mutex_lock(&s->gmu);
	*s->queue_tail = &me;
	s->queue_tail = &me.next;
	while (!me.done) {
		write_call *group, *c;
		int n;

		if (s->leading || s->queue != &me) {
			pthread_cond_wait(&me.wake, &s->gmu);
			continue;
		}
		group = s->queue;
		for (c = group, n = 1; n < GROUP_MAX && c->next != NULL; c = c->next, n++)
			;
		s->queue = c->next;
		if (s->queue == NULL)
			s->queue_tail = &s->queue;
		c->next = NULL;
		s->leading = 1;
		pthread_mutex_unlock(&s->gmu);
		run_group(s, group);
		pthread_mutex_lock(&s->gmu);
		for (c = group; c != NULL; c = c->next) {
			c->done = 1;
			if (c != &me)
				pthread_cond_signal(&c->wake);
		}
		s->leading = 0;
		if (s->queue != NULL)
			pthread_cond_signal(&s->queue->wake);  /* the next leader */
	}
	pthread_mutex_unlock(&s->gmu);
	pthread_cond_destroy(&me.wake);
	return me.rc;
}

/*
 * in_txn(), and @light: a write whose commit is not flushed on its own
 * (store_record_ran()): SQLite's group says so with its pragma (run_group()),
 * PostgreSQL's transaction with synchronous_commit.
 */
static int in_txn_as(store *s, int write, int light, txn_fn fn, void *arg, char *err, size_t errlen)
{
	double t0 = ecs_clock_s();
	slot *sl;
	int rc = STORE_DB_ERROR, attempt;

	if (sqlite_writer(s, write)) {
		rc = in_group(s, fn, arg, light, err, errlen);
		if (rc == STORE_DB_CONFLICT)
			snprintf(err, errlen, "a row of that id exists already");
		tally(s, rc != STORE_DB_OK, ecs_clock_s() - t0);
		return rc == STORE_DB_OK ? STORE_DB_OK : STORE_ERROR;
	}
	sl = acquire(s, write, err, errlen);
	for (attempt = 0; sl != NULL && attempt < ATTEMPTS; attempt++) {
		rc = begin(s, sl, write, err, errlen);
		if (rc == STORE_DB_OK && light && write && s->kind == STORE_DB_POSTGRESQL)
			rc = store_db_exec(sl->db, "SET LOCAL synchronous_commit = off", NULL, 0, NULL, NULL, NULL, err,
					   errlen);
		if (rc == STORE_DB_OK)
			rc = fn(s, sl->db, arg, err, errlen);
		if (rc == STORE_DB_OK)
			rc = store_db_commit(sl->db, err, errlen);
		else if (sl->db != NULL)
			store_db_rollback(sl->db);
		if (rc != STORE_DB_BUSY)
			break;
	}
	if (rc == STORE_DB_CONFLICT)
		snprintf(err, errlen, "a row of that id exists already");
	if (sl != NULL)
		release(s, sl, rc == STORE_DB_ERROR);
	tally(s, rc != STORE_DB_OK, ecs_clock_s() - t0);
	return rc == STORE_DB_OK ? STORE_DB_OK : STORE_ERROR;
}

/*
 * @fn inside one transaction on a connection of the pool, retried on
 * STORE_DB_BUSY (SQLite's writes: in a group, in_group()). Returns
 * STORE_DB_OK, or STORE_ERROR with @err.
 */
static int in_txn(store *s, int write, txn_fn fn, void *arg, char *err, size_t errlen)
{
	return in_txn_as(s, write, 0, fn, arg, err, errlen);
}

/* ---- open, close, check */

static int migrate_txn(store *s, store_db *db, void *arg, char *err, size_t errlen)
{
	(void)arg;
	return store_schema_migrate(db, s->kind == STORE_DB_SQLITE ? s->target : "in PostgreSQL", err, errlen);
}

int store_open(store **out, const store_conf *conf, const char *node, char *err, size_t errlen)
{
	store *s;
	const char *target = conf->kind == STORE_DB_SQLITE ? (conf->path ? conf->path : STORE_DEFAULT_PATH) : conf->dsn;

	*out = NULL;
	if (target == NULL || node == NULL || node[0] == '\0' || strlen(node) >= sizeof(s->node)) {
		snprintf(err, errlen, "task store: %s", target == NULL ? "no store_dsn for store = postgresql"
									 : "a node name of 1 to 127 bytes is needed");
		return STORE_ERROR;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL || (s->target = strdup(target)) == NULL ||
	    (s->slots = calloc(conf->connections ? conf->connections : 1, sizeof(*s->slots))) == NULL) {
		if (s != NULL)
			free(s->target);
		free(s);
		snprintf(err, errlen, "task store: out of memory");
		return STORE_ERROR;
	}
	s->kind = conf->kind;
	snprintf(s->node, sizeof(s->node), "%s", node);
	s->nslots = conf->connections ? conf->connections : 1;
	s->lease_ms = (int64_t)(conf->lease_s ? conf->lease_s : 1) * 1000;
	s->ttl_ms = (int64_t)conf->result_ttl_s * 1000;
	s->queue_max = conf->queue_max;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->freed, NULL);
	pthread_mutex_init(&s->gmu, NULL);
	s->queue_tail = &s->queue;
	pthread_mutex_init(&s->listen_mu, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&s->never, &ca);
		pthread_condattr_destroy(&ca);
	}
	if (in_txn(s, 1, migrate_txn, NULL, err, errlen) != STORE_DB_OK) {
		store_close(s);
		return STORE_ERROR;
	}
	/* The tally counts the clients' calls, not the opening. */
	s->ops = s->errors = 0;
	s->seconds = 0;
	*out = s;
	return 0;
}

void store_close(store *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nslots; i++)
		store_db_close(s->slots[i].db);
	store_db_close(s->listener);
	pthread_cond_destroy(&s->never);
	pthread_mutex_destroy(&s->listen_mu);
	pthread_mutex_destroy(&s->gmu);
	pthread_cond_destroy(&s->freed);
	pthread_mutex_destroy(&s->mu);
	free(s->slots);
	free(s->target);
	free(s);
}

const char *store_node(const store *s)
{
	return s->node;
}

store_db_kind store_kind(const store *s)
{
	return s->kind;
}

static int check_txn(store *s, store_db *db, void *arg, char *err, size_t errlen)
{
	long long one = 0;

	(void)s;
	(void)arg;
	return store_db_exec(db, "SELECT 1", NULL, 0, one_count, &one, NULL, err, errlen);
}

int store_check(store *s, double *ms, char *err, size_t errlen)
{
	double t0 = ecs_clock_s();

	*ms = 0;
	if (in_txn(s, 0, check_txn, NULL, err, errlen) != STORE_DB_OK)
		return STORE_ERROR;
	*ms = (ecs_clock_s() - t0) * 1000;
	return 0;
}

/* ---- submit */

typedef struct {
	const store_submission *sub;
	store_submit_outcome outcome;
	rows first;
} submit_ctx;

/* The task submitted before with the key: REPLAY or KEY_MISMATCH; 0 when none. */
static int find_key(store_db *db, submit_ctx *c, int *found, char *err, size_t errlen)
{
	const char *p[2] = { c->sub->client, c->sub->idem_key };
	int rc;

	rows_reset(&c->first);
	rc = query(db, "SELECT " TASK_FULL " FROM tasks WHERE client = $1 AND idem_key = $2", p, 2, &c->first, err,
		   errlen);
	*found = rc == STORE_DB_OK && c->first.found;
	if (*found)
		c->outcome = strcmp(c->first.fingerprint, c->sub->fingerprint ? c->sub->fingerprint : "") == 0
				     ? STORE_REPLAY
				     : STORE_KEY_MISMATCH;
	return rc;
}

/* Queue caps, in the submitting transaction (SQLite: one writer at a time,
 * so exact, from the depth its triggers keep (store_schema.c, version 3);
 * PostgreSQL: counted, and two submissions at once may both fit a last place). */
static int check_caps(store *s, store_db *db, submit_ctx *c, char *err, size_t errlen)
{
	const char *p[1] = { c->sub->client };
	long long n[2] = { 0, 0 };
	int rc = store_db_exec(db,
			       s->kind == STORE_DB_SQLITE
				       ? "SELECT COALESCE(SUM(queued), 0), "
					 "COALESCE(SUM(CASE WHEN client = $1 THEN queued ELSE 0 END), 0) FROM queue_depth"
				       : "SELECT COUNT(*), COALESCE(SUM(CASE WHEN client = $1 THEN 1 ELSE 0 END), 0) "
					 "FROM tasks WHERE status = 'queued'",
			       p, 1, one_count, n, NULL, err, errlen);

	if (rc == STORE_DB_OK && n[0] >= (long long)s->queue_max)
		c->outcome = STORE_QUEUE_FULL;
	else if (rc == STORE_DB_OK && c->sub->client_queue_cap > 0 && n[1] >= (long long)c->sub->client_queue_cap)
		c->outcome = STORE_CLIENT_FULL;
	return rc;
}

static int insert_labels(store_db *db, const char *id, const char *labels, char *err, size_t errlen)
{
	json_object *o = json_tokener_parse(labels);
	int rc = STORE_DB_OK;

	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		snprintf(err, errlen, "task %s: labels are not a JSON object", id);
		return STORE_DB_ERROR;
	}
	json_object_object_foreach(o, k, v)
	{
		const char *p[3] = { id, k, json_object_get_string(v) };

		if (rc == STORE_DB_OK)
			rc = store_db_exec(db, "INSERT INTO task_labels (task_id, k, v) VALUES ($1, $2, $3)", p, 3, NULL,
					   NULL, NULL, err, errlen);
	}
	json_object_put(o);
	return rc;
}

/* @sub as a new row; *@inserted 1 with @r holding it as stored (without its
 * request: the answer to a submission never shows it), or 0 when a row of
 * its idempotency key exists already. */
static int insert_task(store *s, store_db *db, const store_submission *sub, rows *r, int *inserted, char *err,
		       size_t errlen)
{
	int64_t now = store_now_ms();
	num created = num_of(now), started = num_of(sub->async ? 0 : now),
	    lease = num_of(sub->async ? 0 : now + s->lease_ms), async = num_of(sub->async != 0);
	char delivery[ECS_ID_SIZE] = "";
	char *body = strndup(sub->request ? sub->request : "", sub->request_len);
	const char *p[19] = { sub->id, sub->client, sub->async ? "queued" : "running", async.s,
			      sub->kind ? sub->kind : "task", sub->session_id, sub->pin_node, created.s, started.s,
			      sub->async ? "" : s->node, lease.s, body, sub->auth, sub->labels, sub->idem_key,
			      sub->fingerprint, sub->callback_url, sub->callback_url ? "waiting" : "none", delivery };
	int rc;

	*inserted = 0;
	if (body == NULL || (sub->callback_url != NULL && ecs_id_generate(delivery, sizeof(delivery)) != 0)) {
		free(body);
		snprintf(err, errlen, "out of memory or no random bytes");
		return STORE_DB_ERROR;
	}
	/* A second submission of the key at once: its INSERT does nothing
	 * (PostgreSQL: after waiting for the first's commit), and it reads the
	 * first. RETURNING: the answer's document without reading the row again. */
	rows_reset(r);
	rc = query(db,
		   "INSERT INTO tasks (id, client, status, async, kind, session_id, pin_node, created_ms, "
		   "started_ms, node, lease_ms, request, auth, labels, idem_key, fingerprint, callback_url, "
		   "callback_state, callback_delivery_id) VALUES ($1, $2, $3, CAST($4 AS INTEGER), $5, $6, $7, "
		   "CAST($8 AS BIGINT), CAST($9 AS BIGINT), $10, CAST($11 AS BIGINT), $12, $13, $14, $15, $16, "
		   "$17, $18, $19) ON CONFLICT (client, idem_key) DO NOTHING RETURNING " TASK_SUMMARY,
		   p, 19, r, err, errlen);
	free(body);
	*inserted = rc == STORE_DB_OK && r->found;
	return rc;
}

static int submit_txn(store *s, store_db *db, void *arg, char *err, size_t errlen)
{
	submit_ctx *c = arg;
	const store_submission *sub = c->sub;
	int rc = STORE_DB_OK, found = 0, inserted = 0;

	c->outcome = STORE_SUBMITTED;
	rows_reset(&c->first);
	if (sub->idem_key != NULL)
		rc = find_key(db, c, &found, err, errlen);
	if (rc != STORE_DB_OK || found)
		return rc;
	if (sub->async)
		rc = check_caps(s, db, c, err, errlen);
	if (rc != STORE_DB_OK || c->outcome != STORE_SUBMITTED)
		return rc;
	rc = insert_task(s, db, sub, &c->first, &inserted, err, errlen);
	if (rc == STORE_DB_OK && !inserted) {
		rc = find_key(db, c, &found, err, errlen);
		if (rc == STORE_DB_OK && !found) {
			snprintf(err, errlen, "task %s: its idempotency key conflicted, then vanished", sub->id);
			rc = STORE_DB_BUSY;
		}
		return rc;
	}
	if (rc == STORE_DB_OK && sub->labels != NULL)
		rc = insert_labels(db, sub->id, sub->labels, err, errlen);
	return rc;
}

int store_submit(store *s, const store_submission *sub, store_submit_outcome *outcome, store_task *first,
		 char *err, size_t errlen)
{
	submit_ctx c;
	store_task scratch;
	int rc;

	memset(&c, 0, sizeof(c));
	memset(&scratch, 0, sizeof(scratch));
	c.sub = sub;
	c.first.one = first != NULL ? first : &scratch;
	memset(c.first.one, 0, sizeof(*c.first.one));
	rc = in_txn(s, 1, submit_txn, &c, err, errlen);
	if (rc != STORE_DB_OK || (c.outcome != STORE_REPLAY && c.outcome != STORE_SUBMITTED))
		store_task_clear(c.first.one);
	store_task_clear(&scratch);
	*outcome = c.outcome;
	return rc == STORE_DB_OK ? 0 : STORE_ERROR;
}

/* ---- claim, finish */

typedef struct {
	rows r;
} op_ctx;

static int id_row(void *arg, int n, const char *const *cols)
{
	char *id = arg;

	snprintf(id, 65, "%s", n > 0 && cols[0] != NULL ? cols[0] : "");
	return 1;
}

/*
 * The two claims (a task, a callback): @pick (its "%s" the row lock; its
 * @npick parameters, at most 3) chooses one row's id, then @take ($1 that
 * id, then @take_params)
 * changes it and returns it into @out.
 */
static int pick_and_take(store *s, store_db *db, const char *pick, const char *const *pick_params, int npick,
			 const char *take, const char *const *take_params, int ntake, rows *out, char *err,
			 size_t errlen)
{
	/* PostgreSQL: the row stays locked until commit, and another node's
	 * claim passes over it to the next. SQLite: BEGIN IMMEDIATE made this
	 * the only writer, and the clause does not exist there. */
	const char *lock = s->kind == STORE_DB_POSTGRESQL ? " FOR UPDATE OF t SKIP LOCKED" : "";
	const char *p[4] = { NULL, NULL, NULL, NULL };
	char sql[2048], id[65] = "";
	int rc, i;

	rows_reset(out);
	if ((size_t)snprintf(sql, sizeof(sql), pick, lock) >= sizeof(sql)) {
		snprintf(err, errlen, "a claim's statement is longer than its buffer");
		return STORE_DB_ERROR;
	}
	for (i = 0; i < npick && i < 3; i++)
		p[i] = pick_params[i];
	rc = store_db_exec(db, sql, p, npick, id_row, id, NULL, err, errlen);
	if (rc != STORE_DB_OK || id[0] == '\0')
		return rc;
	p[0] = id;
	for (i = 0; i < ntake && i < 3; i++)
		p[i + 1] = take_params[i];
	return query(db, take, p, ntake + 1, out, err, errlen);
}

/* Queued task @x may be claimed by this node ($1) now ($2): not pinned to
 * another, not waiting (its ready_ms), its session not deferred here. */
#define CLAIMABLE(x) \
	"(" x ".pin_node IS NULL OR " x ".pin_node = $1) AND " x ".ready_ms <= CAST($2 AS BIGINT) AND (" x \
	".session_id IS NULL OR NOT EXISTS (SELECT 1 FROM deferrals d WHERE d.node = $1 AND d.scope = " \
	"'session' AND d.value = " x ".session_id AND d.until_ms > CAST($2 AS BIGINT)))"

static int claim_txn(store *s, store_db *db, void *arg, char *err, size_t errlen)
{
	op_ctx *c = arg;
	int64_t now = store_now_ms();
	num started = num_of(now), lease = num_of(now + s->lease_ms);
	const char *pick[2] = { s->node, started.s };
	const char *take[3] = { s->node, started.s, lease.s };

	/* Fairness: the client with the fewest running tasks first (then the
	 * one whose oldest queued task is oldest), then that client's oldest.
	 * The clients with queued tasks are found by one index seek each (c:
	 * the next client after the last, a loose index scan), and each one's
	 * oldest eligible task and running count by one more: a claim costs
	 * the number of clients, not the queue's length (at 3,000 queued it
	 * cost 1.7 ms grouping every queued row, in the one writer's lock).
	 * (PostgreSQL: when other claims hold, or took since this one began,
	 * every queued task of that client it sees, nothing is claimed this
	 * round; the runner asks again.) A client or session deferred on this
	 * node (store_defer()) waits for its deferral to end (a client's is
	 * judged per client: its line is not walked); ready_ms is a task's own
	 * wait, as a store of schema 2 or 3 deferred it. */
	return pick_and_take(s, db,
			     "WITH RECURSIVE c (client) AS (SELECT MIN(client) FROM tasks WHERE status = 'queued' "
			     "UNION ALL SELECT (SELECT MIN(client) FROM tasks WHERE status = 'queued' AND client > "
			     "c.client) FROM c WHERE c.client IS NOT NULL), "
			     "q AS (SELECT c.client, (SELECT e.created_ms FROM tasks e WHERE e.status = 'queued' AND "
			     "e.client = c.client AND " CLAIMABLE("e") " ORDER BY e.created_ms LIMIT 1) AS oldest, "
			     "(SELECT COUNT(*) FROM tasks r WHERE r.status = 'running' AND r.client = c.client) AS n "
			     "FROM c WHERE c.client IS NOT NULL AND NOT EXISTS (SELECT 1 FROM deferrals d WHERE "
			     "d.node = $1 AND d.scope = 'client' AND d.value = c.client AND d.until_ms > "
			     "CAST($2 AS BIGINT))) "
			     "SELECT t.id FROM tasks t WHERE t.status = 'queued' AND " CLAIMABLE("t") " AND t.client = "
			     "(SELECT q.client FROM q WHERE q.oldest IS NOT NULL ORDER BY q.n, q.oldest, q.client "
			     "LIMIT 1) ORDER BY t.created_ms, t.id LIMIT 1%s",
			     pick, 2,
			     "UPDATE tasks SET status = 'running', node = $2, started_ms = CAST($3 AS BIGINT), "
			     "lease_ms = CAST($4 AS BIGINT) WHERE id = $1 AND status = 'queued' RETURNING " TASK_FULL,
			     take, 3, &c->r, err, errlen);
}

int store_claim(store *s, store_task *out, char *err, size_t errlen)
{
	op_ctx c;

	memset(&c, 0, sizeof(c));
	memset(out, 0, sizeof(*out));
	c.r.one = out;
	if (in_txn(s, 1, claim_txn, &c, err, errlen) != STORE_DB_OK) {
		store_task_clear(out);
		return STORE_ERROR;
	}
	return c.r.found;
}

typedef struct {
	const char *id;
	store_status status;
	int http_status;
	const char *result;
	int64_t started_ms, ended_ms;  /* 0: the claim's start, and now */
	long changed;
} finish_ctx;

static int finish_txn(store *s, store_db *db, void *arg, char *err, size_t errlen)
{
	finish_ctx *c = arg;
	num ended = num_of(c->ended_ms > 0 ? c->ended_ms : store_now_ms()), http = num_of(c->http_status);
	num started = num_of(c->started_ms);
	const char *p[7] = { c->id, s->node, store_status_name(c->status), http.s, c->result, ended.s, started.s };

	return store_db_exec(db,
			     "UPDATE tasks SET status = $3, http_status = CAST($4 AS INTEGER), result = $5, "
			     "finished_ms = CAST($6 AS BIGINT), request = NULL, "
			     "started_ms = CASE WHEN CAST($7 AS BIGINT) > 0 THEN CAST($7 AS BIGINT) ELSE started_ms END, "
			     CALLBACK_ENDED("6")
			     " WHERE id = $1 AND node = $2 AND status = 'running'",
			     p, 7, NULL, NULL, &c->changed, err, errlen);
}

int store_finish(store *s, const char *id, store_status status, int http_status, const char *result,
		 char *err, size_t errlen)
{
	return store_finish_span(s, id, status, http_status, result, 0, 0, err, errlen);
}

int store_finish_span(store *s, const char *id, store_status status, int http_status, const char *result,
		      int64_t started_ms, int64_t ended_ms, char *err, size_t errlen)
{
	finish_ctx c = { id, status, http_status, result, started_ms, ended_ms, 0 };

	if (!store_status_ended(status)) {
		snprintf(err, errlen, "task %s: %s is not an end", id, store_status_name(status));
		return STORE_ERROR;
	}
	if (in_txn(s, 1, finish_txn, &c, err, errlen) != STORE_DB_OK)
		return STORE_ERROR;
	return c.changed > 0 ? 0 : 1;
}

typedef struct {
	submit_ctx submit;
	finish_ctx finish;
} record_ran_ctx;

static int record_ran_txn(store *s, store_db *db, void *arg, char *err, size_t errlen)
{
	record_ran_ctx *c = arg;
	int rc = submit_txn(s, db, &c->submit, err, errlen);

	if (rc == STORE_DB_OK)
		rc = finish_txn(s, db, &c->finish, err, errlen);
	return rc;
}

int store_record_ran(store *s, const store_submission *sub, store_status status, int http_status, const char *result,
		     char *err, size_t errlen)
{
	record_ran_ctx c;
	store_task scratch;
	int rc;

	if (sub->async || sub->idem_key != NULL || !store_status_ended(status)) {
		snprintf(err, errlen, "task %s: not a synchronous task without a key that ended", sub->id);
		return STORE_ERROR;
	}
	memset(&c, 0, sizeof(c));
	memset(&scratch, 0, sizeof(scratch));
	c.submit.sub = sub;
	c.submit.first.one = &scratch;
	c.finish = (finish_ctx){ sub->id, status, http_status, result, 0, 0, 0 };
	/* (a callback's delivery is a promise: its record is flushed) */
	rc = in_txn_as(s, 1, sub->callback_url == NULL, record_ran_txn, &c, err, errlen);
	store_task_clear(&scratch);
	return rc == STORE_DB_OK ? 0 : STORE_ERROR;
}

/* ---- defer */

typedef struct {
	const char *id, *scope_value;
	store_defer_scope scope;
	int64_t until_ms;
	long changed;
} defer_ctx;

static int defer_txn(store *s, store_db *db, void *arg, char *err, size_t errlen)
{
	defer_ctx *c = arg;
	num until = num_of(c->until_ms);
	const char *p[2] = { c->id, s->node };
	int rc;

	/* Back to the queue as it was (created_ms kept: its place in line),
	 * unless a DELETE came since the claim: then it ends here, canceled.
	 * (Its wait is its client's or session's on this node, below: another
	 * node may take it now, in its place.) */
	rc = store_db_exec(db,
			   "UPDATE tasks SET status = 'queued', node = '', started_ms = 0, lease_ms = 0, "
			   "ready_ms = 0 WHERE id = $1 AND node = $2 AND status = 'running' "
			   "AND cancel_requested = 0",
			   p, 2, NULL, NULL, &c->changed, err, errlen);
	if (rc != STORE_DB_OK || c->changed == 0)
		return rc;
	/* The rest of the line behind it waits as long, on this node (the
	 * client is at its cap here; the session runs here): one row, whatever
	 * the line's length, and the claims pass over what it names (claim_txn()).
	 * Deferrals over are cleared on the way. */
	{
		num now = num_of(store_now_ms());
		const char *d[4] = { s->node, c->scope == STORE_DEFER_SESSION ? "session" : "client", c->scope_value,
				     until.s };
		const char *gone[1] = { now.s };

		rc = store_db_exec(db, "DELETE FROM deferrals WHERE until_ms <= CAST($1 AS BIGINT)", gone, 1, NULL,
				   NULL, NULL, err, errlen);
		if (rc != STORE_DB_OK)
			return rc;
		return store_db_exec(db,
				     "INSERT INTO deferrals (node, scope, value, until_ms) VALUES ($1, $2, $3, "
				     "CAST($4 AS BIGINT)) ON CONFLICT (node, scope, value) DO UPDATE SET until_ms = "
				     "excluded.until_ms",
				     d, 4, NULL, NULL, NULL, err, errlen);
	}
}

int store_defer(store *s, const store_task *t, store_defer_scope scope, int64_t until_ms, char *err, size_t errlen)
{
	defer_ctx c;

	memset(&c, 0, sizeof(c));
	c.id = t->id;
	c.scope = scope;
	c.scope_value = scope == STORE_DEFER_SESSION ? t->session_id : t->client;
	c.until_ms = until_ms;
	if (c.scope_value == NULL) {
		snprintf(err, errlen, "task %s: no session to defer it behind", t->id);
		return STORE_ERROR;
	}
	if (in_txn(s, 1, defer_txn, &c, err, errlen) != STORE_DB_OK)
		return STORE_ERROR;
	return c.changed > 0 ? 0 : 1;
}

typedef struct {
	const char *session_id, *result;
	long changed;
} cancel_session_ctx;

static int cancel_session_txn(store *s, store_db *db, void *arg, char *err, size_t errlen)
{
	cancel_session_ctx *c = arg;
	num now = num_of(store_now_ms());
	const char *p[4] = { c->session_id, s->node, c->result, now.s };

	int rc = store_db_exec(db,
			       "UPDATE tasks SET status = 'canceled', http_status = 499, result = $3, finished_ms = "
			       "CAST($4 AS BIGINT), request = NULL, cancel_requested = 1, " CALLBACK_ENDED("4")
			       " WHERE session_id = $1 AND pin_node = $2 AND status = 'queued'",
			       p, 4, NULL, NULL, &c->changed, err, errlen);

	/* One a runner holds (claimed, about to wait for the session): it is not queued again (store_defer()). */
	if (rc == STORE_DB_OK)
		rc = store_db_exec(db, "UPDATE tasks SET cancel_requested = 1 WHERE session_id = $1 AND pin_node = $2 "
				   "AND status = 'running'", p, 2, NULL, NULL, NULL, err, errlen);
	return rc;
}

long store_cancel_session(store *s, const char *session_id, const char *result, char *err, size_t errlen)
{
	cancel_session_ctx c = { session_id, result, 0 };

	if (in_txn(s, 1, cancel_session_txn, &c, err, errlen) != STORE_DB_OK)
		return STORE_ERROR;
	return c.changed;
}

/* ---- get, list */

typedef struct {
	const char *client, *id;
	rows r;
} get_ctx;

static int get_txn(store *s, store_db *db, void *arg, char *err, size_t errlen)
{
	get_ctx *c = arg;
	const char *p[2] = { c->id, c->client };

	(void)s;
	rows_reset(&c->r);
	return query(db, "SELECT " TASK_FULL " FROM tasks WHERE id = $1 AND " OF_CLIENT, p, 2, &c->r, err, errlen);
}

int store_get(store *s, const char *client, const char *id, store_task *out, char *err, size_t errlen)
{
	get_ctx c;

	memset(&c, 0, sizeof(c));
	memset(out, 0, sizeof(*out));
	c.client = client;
	c.id = id;
	c.r.one = out;
	if (in_txn(s, 0, get_txn, &c, err, errlen) != STORE_DB_OK) {
		store_task_clear(out);
		return STORE_ERROR;
	}
	return c.r.found;
}

typedef struct {
	const char *client;
	const store_filter *f;
	rows r;
} list_ctx;

static int list_txn(store *s, store_db *db, void *arg, char *err, size_t errlen)
{
	list_ctx *c = arg;
	const store_filter *f = c->f;
	num before = num_of(f->before_ms), limit = num_of((long long)f->limit);
	const char *p[7] = { c->client, f->status >= 0 ? store_status_name((store_status)f->status) : NULL,
			     f->label_key, f->label_key ? (f->label_value ? f->label_value : "") : NULL, before.s,
			     f->before_id ? f->before_id : "", limit.s };

	(void)s;
	rows_reset(&c->r);
	return query(db,
		     "SELECT " TASK_SUMMARY " FROM tasks t WHERE t.client = $1 "
		     "AND (CAST($2 AS TEXT) IS NULL OR t.status = $2) "
		     "AND (CAST($3 AS TEXT) IS NULL OR EXISTS (SELECT 1 FROM task_labels l WHERE l.task_id = t.id "
		     "AND l.k = $3 AND l.v = CAST($4 AS TEXT))) "
		     "AND (CAST($5 AS BIGINT) = 0 OR t.created_ms < CAST($5 AS BIGINT) "
		     "OR (t.created_ms = CAST($5 AS BIGINT) AND t.id < $6)) "
		     "ORDER BY t.created_ms DESC, t.id DESC LIMIT CAST($7 AS INTEGER)",
		     p, 7, &c->r, err, errlen);
}

long store_list(store *s, const char *client, const store_filter *f, store_task **out, char *err, size_t errlen)
{
	list_ctx c;

	*out = NULL;
	if (f->limit < 1 || f->limit > 1000) {
		snprintf(err, errlen, "a listing's limit is 1 to 1000, not %zu", f->limit);
		return STORE_ERROR;
	}
	memset(&c, 0, sizeof(c));
	c.client = client;
	c.f = f;
	if (in_txn(s, 0, list_txn, &c, err, errlen) != STORE_DB_OK) {
		rows_reset(&c.r);
		return STORE_ERROR;
	}
	*out = c.r.list;
	return (long)c.r.len;
}

/* ---- cancel */

typedef struct {
	const char *client, *id, *result;
	rows r;
} cancel_ctx;

static int cancel_txn(store *s, store_db *db, void *arg, char *err, size_t errlen)
{
	cancel_ctx *c = arg;
	num now = num_of(store_now_ms());
	const char *p[4] = { c->id, c->client, c->result, now.s };
	int rc;

	rows_reset(&c->r);
	/* Queued: canceled now. Else running: asked to stop. Each UPDATE
	 * decides on the row's status as it is when it runs, so a claim
	 * between the two (PostgreSQL) makes it the second case. */
	rc = query(db,
		   "UPDATE tasks SET status = 'canceled', http_status = 499, result = $3, finished_ms = CAST($4 AS "
		   "BIGINT), request = NULL, cancel_requested = 1, " CALLBACK_ENDED("4")
		   " WHERE id = $1 AND " OF_CLIENT " AND status = 'queued' RETURNING " TASK_FULL,
		   p, 4, &c->r, err, errlen);
	if (rc != STORE_DB_OK || c->r.found)
		return rc;
	rc = query(db,
		   "UPDATE tasks SET cancel_requested = 1 WHERE id = $1 AND " OF_CLIENT
		   " AND status = 'running' RETURNING " TASK_FULL,
		   p, 2, &c->r, err, errlen);
	/* PostgreSQL: the node running it may be another; NOTIFY reaches it at commit. */
	if (rc == STORE_DB_OK && c->r.found && s->kind == STORE_DB_POSTGRESQL)
		rc = store_db_exec(db, "SELECT pg_notify('" CANCEL_CHANNEL "', $1)", p, 1, NULL, NULL, NULL, err,
				   errlen);
	if (rc != STORE_DB_OK || c->r.found)
		return rc;
	return query(db, "SELECT " TASK_FULL " FROM tasks WHERE id = $1 AND " OF_CLIENT, p, 2, &c->r, err, errlen);
}

int store_cancel(store *s, const char *client, const char *id, const char *result, store_task *out,
		 char *err, size_t errlen)
{
	cancel_ctx c;

	memset(&c, 0, sizeof(c));
	memset(out, 0, sizeof(*out));
	c.client = client;
	c.id = id;
	c.result = result;
	c.r.one = out;
	if (in_txn(s, 1, cancel_txn, &c, err, errlen) != STORE_DB_OK) {
		store_task_clear(out);
		return STORE_ERROR;
	}
	return c.r.found;
}

/* ---- leases */

static int renew_txn(store *s, store_db *db, void *arg, char *err, size_t errlen)
{
	num lease = num_of(store_now_ms() + s->lease_ms);
	const char *p[2] = { s->node, lease.s };

	(void)arg;
	return store_db_exec(db, "UPDATE tasks SET lease_ms = CAST($2 AS BIGINT) WHERE node = $1 AND status = 'running'",
			     p, 2, NULL, NULL, NULL, err, errlen);
}

int store_renew(store *s, char *err, size_t errlen)
{
	return in_txn(s, 1, renew_txn, NULL, err, errlen) == STORE_DB_OK ? 0 : STORE_ERROR;
}

typedef struct {
	int own_restart;
	store_result_fn result;
	void *arg;
	rows r;
} reclaim_ctx;

/* Task @t fails, at @now, with the document the caller's builder gives it. */
static int reclaim_one(store_db *db, reclaim_ctx *c, const store_task *t, const char *now, char *err, size_t errlen)
{
	num own = num_of(c->own_restart != 0);
	char *doc = c->result(c->arg, t);
	const char *p[5] = { t->id, doc, now, t->node, own.s };
	int rc;

	if (doc == NULL)
		return STORE_DB_OK;  /* the next round takes it */
	/* Still running there, and (another node's) still lapsed: a node
	 * that renewed meanwhile keeps its task. */
	rc = query(db,
		   "UPDATE tasks SET status = 'failed', http_status = 500, result = $2, finished_ms = CAST($3 AS "
		   "BIGINT), request = NULL, " CALLBACK_ENDED("3") " WHERE id = $1 AND status = 'running' AND "
		   "node = $4 AND (CAST($5 AS INTEGER) = 1 OR lease_ms < CAST($3 AS BIGINT)) RETURNING " TASK_SUMMARY,
		   p, 5, &c->r, err, errlen);
	free(doc);
	return rc;
}

static int reclaim_txn(store *s, store_db *db, void *arg, char *err, size_t errlen)
{
	reclaim_ctx *c = arg;
	num now = num_of(store_now_ms()), own = num_of(c->own_restart != 0);
	const char *p[3] = { s->node, now.s, own.s };
	rows gone = { 0 };
	size_t i;
	int rc;

	rows_reset(&c->r);
	/* Own restart: every running task of this node's previous life.
	 * Else: another node's whose lease lapsed (this node is alive: it is
	 * asking). */
	rc = query(db,
		   "SELECT " TASK_SUMMARY " FROM tasks WHERE status = 'running' AND "
		   "((CAST($3 AS INTEGER) = 1 AND node = $1) OR "
		   "(CAST($3 AS INTEGER) = 0 AND node <> $1 AND lease_ms < CAST($2 AS BIGINT)))",
		   p, 3, &gone, err, errlen);
	for (i = 0; rc == STORE_DB_OK && i < gone.len; i++)
		rc = reclaim_one(db, c, &gone.list[i], now.s, err, errlen);
	rows_reset(&gone);
	return rc;
}

long store_reclaim(store *s, int own_restart, store_result_fn result, void *arg, store_task **out, char *err,
		   size_t errlen)
{
	reclaim_ctx c;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	c.own_restart = own_restart;
	c.result = result;
	c.arg = arg;
	if (in_txn(s, 1, reclaim_txn, &c, err, errlen) != STORE_DB_OK) {
		rows_reset(&c.r);
		return STORE_ERROR;
	}
	*out = c.r.list;
	return (long)c.r.len;
}

/* ---- cancels from other nodes */

/* SQLite: nothing to hear; wait the time out without a sleep that a
 * signal could cut short or a spin. */
static int wait_nothing(store *s, int timeout_ms)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&s->listen_mu);
	while (pthread_cond_timedwait(&s->never, &s->listen_mu, &until) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&s->listen_mu);
	return 0;
}

int store_listen_cancels(store *s, int timeout_ms, char *id, size_t idsize, char *err, size_t errlen)
{
	int rc = STORE_DB_OK;

	if (idsize > 0)
		id[0] = '\0';
	if (s->kind == STORE_DB_SQLITE)
		return wait_nothing(s, timeout_ms);
	pthread_mutex_lock(&s->listen_mu);
	if (s->listener == NULL) {
		rc = store_db_open(&s->listener, s->kind, s->target, err, errlen);
		if (rc == STORE_DB_OK)
			rc = store_db_listen(s->listener, CANCEL_CHANNEL, err, errlen);
	}
	if (rc == STORE_DB_OK)
		rc = store_db_wait(s->listener, timeout_ms, id, idsize, err, errlen);
	if (rc < 0) {
		/* Reopened on the next call. */
		store_db_close(s->listener);
		s->listener = NULL;
	}
	pthread_mutex_unlock(&s->listen_mu);
	return rc < 0 ? STORE_ERROR : rc;
}

/* ---- callbacks */

typedef struct {
	int64_t lease_ms;
	rows r;
} cb_claim_ctx;

static int callback_claim_txn(store *s, store_db *db, void *arg, char *err, size_t errlen)
{
	cb_claim_ctx *c = arg;
	int64_t now = store_now_ms();
	num due = num_of(now), until = num_of(now + c->lease_ms);
	const char *pick[1] = { due.s };
	const char *take[1] = { until.s };

	/* The lease: not due again until it lapses (this node died mid-delivery). */
	return pick_and_take(s, db,
			     "SELECT t.id FROM tasks t WHERE t.callback_state = 'pending' AND t.callback_next_ms <= "
			     "CAST($1 AS BIGINT) ORDER BY t.callback_next_ms LIMIT 1%s",
			     pick, 1,
			     "UPDATE tasks SET callback_next_ms = CAST($2 AS BIGINT) WHERE id = $1 AND callback_state = "
			     "'pending' RETURNING " TASK_FULL,
			     take, 1, &c->r, err, errlen);
}

int store_callback_claim(store *s, int64_t lease_ms, store_task *out, char *err, size_t errlen)
{
	cb_claim_ctx c;

	memset(&c, 0, sizeof(c));
	memset(out, 0, sizeof(*out));
	c.lease_ms = lease_ms;
	c.r.one = out;
	if (in_txn(s, 1, callback_claim_txn, &c, err, errlen) != STORE_DB_OK) {
		store_task_clear(out);
		return STORE_ERROR;
	}
	return c.r.found;
}

typedef struct {
	const char *id, *error;
	store_callback_state state;
	int64_t next_ms;
	int http_status;
} cb_record_ctx;

static int callback_record_txn(store *s, store_db *db, void *arg, char *err, size_t errlen)
{
	cb_record_ctx *c = arg;
	num next = num_of(c->next_ms), http = num_of(c->http_status);
	const char *p[5] = { c->id, store_callback_state_name(c->state), next.s, http.s, c->error };

	(void)s;
	return store_db_exec(db,
			     "UPDATE tasks SET callback_state = $2, callback_next_ms = CAST($3 AS BIGINT), "
			     "callback_last_status = CAST($4 AS INTEGER), callback_last_error = $5, "
			     "callback_attempts = callback_attempts + 1 WHERE id = $1",
			     p, 5, NULL, NULL, NULL, err, errlen);
}

int store_callback_record(store *s, const char *id, store_callback_state state, int64_t next_ms,
			  int http_status, const char *error, char *err, size_t errlen)
{
	cb_record_ctx c = { id, error, state, next_ms, http_status };

	return in_txn(s, 1, callback_record_txn, &c, err, errlen) == STORE_DB_OK ? 0 : STORE_ERROR;
}

/* ---- counts, purge */

static int count_row(void *arg, int n, const char *const *cols)
{
	store_counts *c = arg;
	store_status st;

	if (n == 3 && store_status_parse(&st, cols[0]) == 0)
		c->by_status[st] = num_parse(cols[1]);
	if (n == 3)
		c->callbacks_pending += num_parse(cols[2]);
	return 0;
}

static int count_txn(store *s, store_db *db, void *arg, char *err, size_t errlen)
{
	store_counts *c = arg;

	(void)s;
	memset(c->by_status, 0, sizeof(c->by_status));
	c->callbacks_pending = 0;
	return store_db_exec(db,
			     "SELECT status, COUNT(*), SUM(CASE WHEN callback_state = 'pending' THEN 1 ELSE 0 END) "
			     "FROM tasks GROUP BY status",
			     NULL, 0, count_row, c, NULL, err, errlen);
}

int store_count(store *s, store_counts *out, char *err, size_t errlen)
{
	int rc;

	memset(out, 0, sizeof(*out));
	rc = in_txn(s, 0, count_txn, out, err, errlen);
	pthread_mutex_lock(&s->mu);
	out->ops = s->ops;
	out->errors = s->errors;
	out->seconds_sum = s->seconds;
	pthread_mutex_unlock(&s->mu);
	return rc == STORE_DB_OK ? 0 : STORE_ERROR;
}

/* A purge deletes this many tasks per transaction: a day's backlog never
 * holds the (SQLite) write lock for long. */
#define PURGE_BATCH 1000

static int purge_txn(store *s, store_db *db, void *arg, char *err, size_t errlen)
{
	num before = num_of(store_now_ms() - s->ttl_ms), batch = num_of(PURGE_BATCH);
	const char *p[2] = { before.s, batch.s };

	/* Their labels go with them (ON DELETE CASCADE), their keys are
	 * columns. finished_ms > 0 keeps the index's range to ended tasks. */
	return store_db_exec(db,
			     "DELETE FROM tasks WHERE id IN (SELECT id FROM tasks WHERE finished_ms > 0 AND "
			     "finished_ms < CAST($1 AS BIGINT) AND status IN ('succeeded', 'failed', 'canceled') "
			     "LIMIT CAST($2 AS INTEGER))",
			     p, 2, NULL, NULL, arg, err, errlen);
}

long store_purge(store *s, char *err, size_t errlen)
{
	long total = 0, changed = PURGE_BATCH;

	while (changed == PURGE_BATCH) {
		changed = 0;
		if (in_txn(s, 1, purge_txn, &changed, err, errlen) != STORE_DB_OK)
			return STORE_ERROR;
		total += changed;
	}
	return total;
}
