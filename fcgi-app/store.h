/*
 * store.h - the task store: every task's state, result, idempotency key and
 * callback delivery, durable across restarts, behind one seam with two
 * backends (store_db.h: SQLite, the embedded default; PostgreSQL, for a
 * fleet of nodes sharing one queue). Every statement is written once
 * (store.c); the backends differ only in the driver.
 *
 * A task is submitted (async: queued; sync: running on this node at once),
 * claimed by a node's runner (queued -> running, with a lease the node
 * renews), and finished (succeeded | failed | canceled) with the document a
 * client reads. A node whose lease lapsed, or this node after a restart,
 * has its running tasks failed as INTERRUPTED (store_reclaim()).
 *
 * Thread-safe: a store holds a pool of connections; any thread may call any
 * function. Times are milliseconds since the epoch (the nodes' clocks must
 * agree to well within store_lease). Every function returns 0 (or the count
 * or flag it documents) or STORE_ERROR with @err filled (one line, for the
 * log; the client gets 503 STORE_UNAVAILABLE).
 */
#ifndef ECSFCGI_STORE_H
#define ECSFCGI_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "store_conf.h"

#define STORE_ERROR (-1)

typedef struct store store;

typedef enum {
	STORE_QUEUED = 0,
	STORE_RUNNING,
	STORE_SUCCEEDED,   /* ran and exited, whatever its exit code */
	STORE_FAILED,      /* ecs could not run it: @result is the error document */
	STORE_CANCELED,
	STORE_STATUS_COUNT
} store_status;

/** store_status_name - "queued", "running", "succeeded", "failed", "canceled". */
const char *store_status_name(store_status s);

/** store_status_parse - the status named @name. Returns 0, or -1 for an unknown name. */
int store_status_parse(store_status *out, const char *name);

/** store_status_ended - @s is an end (succeeded, failed, canceled): 1, else 0. */
int store_status_ended(store_status s);

typedef enum {
	STORE_CALLBACK_NONE = 0,   /* the task has no callback */
	STORE_CALLBACK_WAITING,    /* the task has not ended yet */
	STORE_CALLBACK_PENDING,    /* to be delivered (again) at @callback_next_ms */
	STORE_CALLBACK_DELIVERED,  /* the receiver answered 2xx */
	STORE_CALLBACK_FAILED      /* given up: callback_retry_for passed */
} store_callback_state;

/** store_callback_state_name - "none", "waiting", "pending", "delivered", "failed". */
const char *store_callback_state_name(store_callback_state s);

/**
 * One task as the store knows it. Strings are owned (store_task_clear()
 * frees them); NULL when not set.
 */
typedef struct {
	char id[65];               /* the task id ([A-Za-z0-9_.-]{1,64}) */
	char client[256];          /* the identity that submitted it (auth_identity()) */
	store_status status;
	int async;                 /* 1: submitted with Prefer: respond-async */
	char kind[16];             /* "task" (POST /v1.1/tasks) or "exec" (a session's exec) */
	char *session_id;          /* kind "exec": the session */
	int64_t created_ms, started_ms, finished_ms;   /* 0: not yet */
	char *request;             /* the request body as submitted; NULL once the task ended (it may hold credentials) */
	char *auth;                /* how to find the client's rule again at run time: JSON {"subject": .., "user": ..} */
	char *labels;              /* the body's labels, a JSON object's text; NULL: none */
	char *result;              /* once ended: the result document (succeeded) or the error document (failed, canceled) */
	int http_status;           /* once ended: the status a synchronous request answered (or would have) */
	char node[128];            /* the node that runs or ran it; "" while queued */
	int cancel_requested;
	char *idem_key;            /* the Idempotency-Key it was submitted with */
	char *callback_url;
	store_callback_state callback_state;
	int callback_attempts;
	int64_t callback_next_ms;  /* PENDING: the next attempt */
	int callback_last_status;  /* the receiver's last HTTP status; 0: none (no answer) */
	char *callback_last_error; /* the last attempt's failure, one line */
	char callback_delivery_id[65]; /* the id every attempt of this delivery carries */
} store_task;

/** store_task_clear - free what @t holds and zero it. */
void store_task_clear(store_task *t);

/** store_tasks_free - free @n tasks of a list (store_list(), store_reclaim()) and the list. */
void store_tasks_free(store_task *list, size_t n);

/**
 * store_open - connect (store_conf.h: the backend, its target, the pool's
 * size) and create or migrate the schema (a version table; a store written
 * by a newer ecs-fcgi is refused, never downgraded). @node: this node's
 * name (store_conf.node, resolved by the caller). Returns 0 with *@out, or
 * STORE_ERROR with @err.
 */
int store_open(store **out, const store_conf *conf, const char *node, char *err, size_t errlen);

/** store_close - close every connection and free; NULL is allowed. */
void store_close(store *s);

/** store_node - the node name it was opened with. */
const char *store_node(const store *s);

/** store_kind - the backend. */
store_db_kind store_kind(const store *s);

/** store_check - one round trip (the comprehensive health check): 0 with @ms its latency, or STORE_ERROR. */
int store_check(store *s, double *ms, char *err, size_t errlen);

/** What a submission carries; the store copies what it keeps. */
typedef struct {
	const char *id;            /* the task id the caller generated */
	const char *client;
	const char *kind;          /* "task" or "exec" */
	const char *session_id;    /* kind "exec" */
	const char *pin_node;      /* NULL: any node may claim it; else only that one (a session's exec) */
	int async;                 /* 1: queued; 0: running on this node now (a synchronous request) */
	const char *request;       /* the body, as received */
	size_t request_len;
	const char *auth;          /* JSON text, see store_task.auth */
	const char *labels;        /* JSON object text or NULL */
	const char *idem_key;      /* NULL: none */
	const char *fingerprint;   /* with @idem_key: what makes two requests the same (hex SHA-256 of method, path, body) */
	const char *callback_url;  /* NULL: none */
	unsigned int client_queue_cap; /* async: this client's queued tasks may not exceed it (0: no cap) */
} store_submission;

typedef enum {
	STORE_SUBMITTED = 0,   /* a new task */
	STORE_REPLAY,          /* the key was used before with the same fingerprint: @first is that task */
	STORE_KEY_MISMATCH,    /* the key was used before with another fingerprint (422) */
	STORE_CLIENT_FULL,     /* the client's queued tasks are at client_queue_cap (429) */
	STORE_QUEUE_FULL       /* queue_max tasks are queued in all (503) */
} store_submit_outcome;

/**
 * store_submit - record a new task atomically with its idempotency key: of
 * two submissions of one key at once, exactly one is STORE_SUBMITTED.
 * @first: on STORE_REPLAY, the first task; on STORE_SUBMITTED, the new one
 * as stored, without its request (store_task_clear() it); may be NULL.
 * Returns 0 with @outcome, or STORE_ERROR.
 */
int store_submit(store *s, const store_submission *sub, store_submit_outcome *outcome, store_task *first,
		 char *err, size_t errlen);

/**
 * store_record_ran - task @sub (not async, no key) already ran on this
 * node and was answered: recorded as ended with @status, @http_status and
 * the document @result, in one transaction, so that its id can be polled
 * (and a callback sent) for result_ttl. Without a callback the commit is
 * not flushed to disk on its own (SQLite: synchronous=NORMAL for it, made
 * durable by the next flushed commit; PostgreSQL: synchronous_commit off):
 * its client has the answer already, so a power cut may lose the record,
 * a crash of ecs-fcgi never. A callback's record is flushed as any other:
 * its delivery is a promise. Returns 0, or STORE_ERROR.
 */
int store_record_ran(store *s, const store_submission *sub, store_status status, int http_status, const char *result,
		     char *err, size_t errlen);

/**
 * store_claim - take the next queued task this node may run (unpinned or
 * pinned here): the client with the fewest running tasks first, then the
 * oldest. In a fleet no two nodes take the same task (FOR UPDATE SKIP
 * LOCKED). The task becomes running on this node with a lease.
 * Returns 1 with @out (its request and auth set), 0 when nothing is
 * queued, or STORE_ERROR.
 */
int store_claim(store *s, store_task *out, char *err, size_t errlen);

/**
 * store_finish - task @id, running on this node, ends with @status
 * (SUCCEEDED, FAILED or CANCELED), the document @result and the HTTP
 * status a synchronous request answered. The request body is dropped; a
 * callback becomes PENDING (due now).
 * Returns 0, 1 when the task was no longer running on this node (another
 * node reclaimed it: nothing changed), or STORE_ERROR.
 */
int store_finish(store *s, const char *id, store_status status, int http_status, const char *result,
		 char *err, size_t errlen);

/**
 * store_finish_span - store_finish() of a task whose run is known more
 * exactly than its claim and this call: @started_ms replaces the claim's
 * start and @ended_ms the time of this call (0: keep them). A session's
 * exec passes when it held its session and when it let it go, so that the
 * execs of one session never overlap in their records, though the next may
 * hold it before this one's end is written.
 */
int store_finish_span(store *s, const char *id, store_status status, int http_status, const char *result,
		      int64_t started_ms, int64_t ended_ms, char *err, size_t errlen);

/** What else waits when a claimed task is deferred (store_defer()). */
typedef enum {
	STORE_DEFER_CLIENT = 0,   /* every queued task of its client: the client is at its cap on this node */
	STORE_DEFER_SESSION       /* every queued exec of its session: the session runs another request */
} store_defer_scope;

/**
 * store_defer - task @t, claimed by this node (store_claim()), cannot run
 * here yet: it is queued again in its place (created_ms kept), and this
 * node claims no queued task of @scope (its client, or its session) before
 * @until_ms; other nodes may. A task whose cancel was requested since the
 * claim is not queued again. Returns 0, 1 when @t was not (a DELETE came,
 * or another node reclaimed it: finish it as canceled, or leave it), or
 * STORE_ERROR.
 */
int store_defer(store *s, const store_task *t, store_defer_scope scope, int64_t until_ms, char *err, size_t errlen);

/**
 * store_cancel_session - session @session_id of this node was deleted:
 * its queued execs are canceled (@result their document, http_status
 * 499; their callbacks become PENDING), and its running ones marked
 * cancel_requested (one a runner claimed is then not queued again by
 * store_defer()). Returns the count canceled, or STORE_ERROR.
 */
long store_cancel_session(store *s, const char *session_id, const char *result, char *err, size_t errlen);

/**
 * store_get - task @id of @client (NULL: of anyone, for the node's own use).
 * Another client's task is not found. Returns 1 with @out, 0 not found, or STORE_ERROR.
 */
int store_get(store *s, const char *client, const char *id, store_task *out, char *err, size_t errlen);

/** What a listing selects. */
typedef struct {
	int status;                /* a store_status, or -1 for any */
	const char *label_key;     /* with label_value: only tasks with this label; NULL: any */
	const char *label_value;
	size_t limit;              /* 1..1000 */
	int64_t before_ms;         /* a page: created before (before_ms, before_id); 0: from the newest */
	const char *before_id;
} store_filter;

/**
 * store_list - @client's tasks, newest first, without their request and
 * result (a document per task is store_get()'s). Returns the count (with
 * *@out, store_tasks_free() it) or STORE_ERROR.
 */
long store_list(store *s, const char *client, const store_filter *f, store_task **out, char *err, size_t errlen);

/**
 * store_cancel - cancel task @id of @client: a queued one is CANCELED at
 * once (@result is its document, http_status 499); a running one is marked
 * cancel_requested and its node told (PostgreSQL: NOTIFY on the channel
 * "ecs_cancel" with the id; the caller triggers a task of its own node
 * itself); an ended one is left as it is.
 * Returns 1 with @out (the state after), 0 not found, or STORE_ERROR.
 */
int store_cancel(store *s, const char *client, const char *id, const char *result, store_task *out,
		 char *err, size_t errlen);

/**
 * store_renew - this node is alive: its running tasks' leases extended by
 * store_lease. Call it at least every store_lease / 3 seconds.
 */
int store_renew(store *s, char *err, size_t errlen);

/**
 * store_result_fn - the document of @t, a task store_reclaim() is about to
 * fail (its id, client and node set; no request or result). Returns a
 * malloc'd string the store frees, or NULL (out of memory): that task is
 * left running for the next round.
 */
typedef char *(*store_result_fn)(void *arg, const store_task *t);

/**
 * store_reclaim - fail as INTERRUPTED (http_status 500, the document
 * @result builds for each task, given @arg) the running tasks whose node
 * is gone: with @own_restart, every running task of this node (a previous
 * life: call it once, before the runners start); without, the tasks of
 * any node whose lease lapsed. Their callbacks become PENDING. Returns the
 * count with *@out the tasks (for the log and their containers;
 * store_tasks_free()), or STORE_ERROR.
 */
long store_reclaim(store *s, int own_restart, store_result_fn result, void *arg, store_task **out, char *err,
		   size_t errlen);

/**
 * store_listen_cancels - (PostgreSQL) wait up to @timeout_ms for a cancel
 * another node published: 1 with the task id in @id, 0 on timeout, or
 * STORE_ERROR (the listening connection is reopened on the next call).
 * SQLite: 0 after @timeout_ms (cancels never leave the process).
 */
int store_listen_cancels(store *s, int timeout_ms, char *id, size_t idsize, char *err, size_t errlen);

/**
 * store_callback_claim - a PENDING callback due now, leased to this node
 * for @lease_ms (no other node takes it meanwhile). Returns 1 with @out
 * (the whole task, its result included), 0 none due, or STORE_ERROR.
 */
int store_callback_claim(store *s, int64_t lease_ms, store_task *out, char *err, size_t errlen);

/**
 * store_callback_record - the outcome of one delivery attempt of @id's
 * callback: @state DELIVERED, FAILED, or PENDING again at @next_ms;
 * @http_status the receiver's (0: none), @error one line or NULL.
 */
int store_callback_record(store *s, const char *id, store_callback_state state, int64_t next_ms,
			  int http_status, const char *error, char *err, size_t errlen);

/** Counts for _metrics. */
typedef struct {
	long long by_status[STORE_STATUS_COUNT];  /* tasks in the store, by status */
	long long callbacks_pending;
	long long ops;          /* store calls made by this process since store_open() */
	long long errors;       /* of them, failed */
	double seconds_sum;     /* their total latency */
} store_counts;

/** store_count - the counts now (by_status and callbacks_pending: one query; the rest: this process's tally). */
int store_count(store *s, store_counts *out, char *err, size_t errlen);

/**
 * store_purge - delete ended tasks (and their keys and labels) finished
 * more than result_ttl ago. Returns the count deleted, or STORE_ERROR.
 */
long store_purge(store *s, char *err, size_t errlen);

/** store_now_ms - the store's clock (CLOCK_REALTIME, ms). */
int64_t store_now_ms(void);

#endif
