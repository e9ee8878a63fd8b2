/*
 * store_pg.c - the store's PostgreSQL driver (store_db.h) on libpq: for a
 * fleet of nodes sharing one queue. Parameters go as text with their types
 * inferred by the server (the SQL casts where that is not enough); `$N` is
 * native here. Errors are mapped by SQLSTATE, never by message text:
 * serialization failures, deadlocks and lock timeouts are STORE_DB_BUSY
 * (the transaction may be retried), a unique violation STORE_DB_CONFLICT.
 *
 * A lost connection fails the call it was lost in (STORE_DB_ERROR); the
 * driver never reconnects by itself: store.c's pool closes a connection
 * whose call failed and opens a new one, and the listening connection is
 * reopened (and LISTENs again) by its owner.
 */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "clock.h"
#include "store_driver.h"

/* Unless the DSN says otherwise: how long a connection attempt may take,
 * and how soon a server that vanished (a cut network, a dead host: no
 * FIN, no RST) is noticed on an open connection, by TCP keepalives and
 * the kernel's limit on unacknowledged data (ms). Without them a query
 * would wait for the operating system's two hours: a store that does not
 * answer must fail a request, not hang it. */
#define CONNECT_TIMEOUT_S "10"
#define KEEPALIVES_IDLE_S "10"
#define KEEPALIVES_INTERVAL_S "5"
#define KEEPALIVES_COUNT "3"
#define TCP_USER_TIMEOUT_MS "30000"

/* The columns of one row handed to the callback: the store's widest
 * statement reads every column of a task, well under this. */
#define MAX_COLS 64

typedef struct {
	store_db base;
	PGconn *conn;
	int listening;  /* LISTEN was issued: store_db_wait may be called */
} pg_db;

static pg_db *pg_of(store_db *db)
{
	return (pg_db *)db;
}

/* one_line - @msg up to its first newline into @err (libpq's messages
 * end with one and may add DETAIL/HINT lines: the log gets one line). */
static void one_line(char *err, size_t errlen, const char *what, const char *msg)
{
	size_t n;

	if (err == NULL || errlen == 0)
		return;
	if (msg == NULL || msg[0] == '\0')
		msg = "unknown error";
	n = strcspn(msg, "\n");
	snprintf(err, errlen, "%s%s%.*s", what != NULL ? what : "", what != NULL ? ": " : "", (int)n, msg);
}

/* Notices ("relation already exists, skipping") are not errors and must not
 * reach ecs-fcgi's stderr, which is its log. */
static void quiet_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* code_of - STORE_DB_* of a failed result, from its SQLSTATE. */
static int code_of(const PGresult *res)
{
	const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	if (state == NULL)
		return STORE_DB_ERROR;
	/* serialization_failure, deadlock_detected, lock_not_available */
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 || strcmp(state, "55P03") == 0)
		return STORE_DB_BUSY;
	if (strcmp(state, "23505") == 0) /* unique_violation */
		return STORE_DB_CONFLICT;
	return STORE_DB_ERROR;
}

/* usable - the connection was not lost by an earlier call. */
static int usable(pg_db *p, char *err, size_t errlen)
{
	if (PQstatus(p->conn) == CONNECTION_OK)
		return 1;
	one_line(err, errlen, "connection to PostgreSQL lost", PQerrorMessage(p->conn));
	return 0;
}

static int pg_open(store_db **out, const char *target, char *err, size_t errlen)
{
	/* Keywords are taken in order, the last one wins: the DSN (expanded
	 * from dbname) comes after our defaults so that it may override them. */
	const char *const keys[] = { "connect_timeout", "keepalives_idle", "keepalives_interval", "keepalives_count",
				     "tcp_user_timeout", "application_name", "dbname", NULL };
	const char *const vals[] = { CONNECT_TIMEOUT_S, KEEPALIVES_IDLE_S, KEEPALIVES_INTERVAL_S, KEEPALIVES_COUNT,
				     TCP_USER_TIMEOUT_MS, "ecs-fcgi", target, NULL };
	pg_db *p;

	*out = NULL;
	if (target == NULL || target[0] == '\0') {
		snprintf(err, errlen, "no PostgreSQL DSN (store_dsn)");
		return STORE_DB_ERROR;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		snprintf(err, errlen, "out of memory");
		return STORE_DB_ERROR;
	}
	p->base.driver = &store_pg_driver;
	p->conn = PQconnectdbParams(keys, vals, 1);
	if (p->conn == NULL) {
		snprintf(err, errlen, "out of memory");
		free(p);
		return STORE_DB_ERROR;
	}
	if (PQstatus(p->conn) != CONNECTION_OK) {
		one_line(err, errlen, "cannot connect to PostgreSQL", PQerrorMessage(p->conn));
		PQfinish(p->conn);
		free(p);
		return STORE_DB_ERROR;
	}
	PQsetNoticeProcessor(p->conn, quiet_notice, NULL);
	*out = &p->base;
	return STORE_DB_OK;
}

static void pg_close(store_db *db)
{
	pg_db *p = pg_of(db);

	PQfinish(p->conn);
	free(p);
}

/* rows - hand each row of @res to @fn until it asks to stop. */
static int rows(const PGresult *res, store_db_row_fn fn, void *arg, char *err, size_t errlen)
{
	const char *cols[MAX_COLS];
	int n = PQnfields(res), nrows = PQntuples(res);

	if (n > MAX_COLS) {
		snprintf(err, errlen, "a row of %d columns (at most %d)", n, MAX_COLS);
		return STORE_DB_ERROR;
	}
	for (int r = 0; r < nrows; r++) {
		for (int c = 0; c < n; c++)
			cols[c] = PQgetisnull(res, r, c) ? NULL : PQgetvalue(res, r, c);
		if (fn(arg, n, cols) != 0)
			break;
	}
	return STORE_DB_OK;
}

/* touched - the rows an INSERT, UPDATE or DELETE (RETURNING or not)
 * wrote; 0 for anything else (PQcmdTuples also counts a SELECT's rows). */
static long touched(PGresult *res)
{
	const char *tag = PQcmdStatus(res);

	if (strncmp(tag, "INSERT ", 7) != 0 && strncmp(tag, "UPDATE ", 7) != 0 && strncmp(tag, "DELETE ", 7) != 0)
		return 0;
	return strtol(PQcmdTuples(res), NULL, 10);
}

static int pg_exec(store_db *db, const char *sql, const char *const *params, int nparams, store_db_row_fn fn,
		   void *arg, long *changed, char *err, size_t errlen)
{
	pg_db *p = pg_of(db);
	PGresult *res;
	int rc;

	if (changed != NULL)
		*changed = 0;
	if (!usable(p, err, errlen))
		return STORE_DB_ERROR;
	res = PQexecParams(p->conn, sql, nparams, NULL, (const char *const *)params, NULL, NULL, 0);
	switch (PQresultStatus(res)) {
	case PGRES_TUPLES_OK:
		rc = fn != NULL ? rows(res, fn, arg, err, errlen) : STORE_DB_OK;
		break;
	case PGRES_COMMAND_OK:
		rc = STORE_DB_OK;
		break;
	default:
		rc = code_of(res);
		one_line(err, errlen, NULL, res != NULL ? PQresultErrorMessage(res) : PQerrorMessage(p->conn));
		break;
	}
	if (rc == STORE_DB_OK && changed != NULL)
		*changed = touched(res);
	PQclear(res);
	return rc;
}

/* command - one statement without parameters or rows; @status, when not
 * NULL, receives whether its command tag was @expect. */
static int command(pg_db *p, const char *sql, const char *expect, int *status, char *err, size_t errlen)
{
	PGresult *res;
	int rc;

	res = PQexec(p->conn, sql);
	if (PQresultStatus(res) == PGRES_COMMAND_OK) {
		rc = STORE_DB_OK;
		if (status != NULL)
			*status = strcmp(PQcmdStatus(res), expect) == 0;
	} else {
		rc = code_of(res);
		one_line(err, errlen, sql, res != NULL ? PQresultErrorMessage(res) : PQerrorMessage(p->conn));
	}
	PQclear(res);
	return rc;
}

static int pg_begin(store_db *db, int write, char *err, size_t errlen)
{
	pg_db *p = pg_of(db);

	/* READ COMMITTED, PostgreSQL's default, for readers and writers alike:
	 * a writer's rows are claimed with FOR UPDATE (SKIP LOCKED) and unique
	 * keys, not by taking a lock up front as SQLite must. */
	(void)write;
	if (!usable(p, err, errlen))
		return STORE_DB_ERROR;
	return command(p, "BEGIN", NULL, NULL, err, errlen);
}

static int pg_commit(store_db *db, char *err, size_t errlen)
{
	pg_db *p = pg_of(db);
	int committed = 0, rc;

	rc = command(p, "COMMIT", "COMMIT", &committed, err, errlen);
	/* COMMIT of a transaction that an error aborted succeeds as a
	 * ROLLBACK: nothing was written, and the caller must know. */
	if (rc == STORE_DB_OK && !committed) {
		snprintf(err, errlen, "COMMIT rolled back: the transaction had failed");
		return STORE_DB_ERROR;
	}
	return rc;
}

static int pg_rollback(store_db *db)
{
	pg_db *p = pg_of(db);

	/* A lost connection: the server rolled it back when it went. */
	if (PQstatus(p->conn) != CONNECTION_OK)
		return STORE_DB_ERROR;
	return command(p, "ROLLBACK", NULL, NULL, NULL, 0);
}

static int pg_listen(store_db *db, const char *channel, char *err, size_t errlen)
{
	pg_db *p = pg_of(db);
	char *ident, *sql;
	size_t len;
	int rc;

	if (!usable(p, err, errlen))
		return STORE_DB_ERROR;
	ident = PQescapeIdentifier(p->conn, channel, strlen(channel));
	if (ident == NULL) {
		one_line(err, errlen, "LISTEN", PQerrorMessage(p->conn));
		return STORE_DB_ERROR;
	}
	len = strlen(ident) + sizeof("LISTEN ");
	sql = malloc(len);
	if (sql == NULL) {
		PQfreemem(ident);
		snprintf(err, errlen, "out of memory");
		return STORE_DB_ERROR;
	}
	snprintf(sql, len, "LISTEN %s", ident);
	PQfreemem(ident);
	rc = command(p, sql, NULL, NULL, err, errlen);
	free(sql);
	if (rc == STORE_DB_OK)
		p->listening = 1;
	return rc;
}

/* take - a notification already read, if any: 1 with its payload. */
static int take(pg_db *p, char *payload, size_t size)
{
	PGnotify *n = PQnotifies(p->conn);

	if (n == NULL)
		return 0;
	if (size > 0)
		snprintf(payload, size, "%s", n->extra != NULL ? n->extra : "");
	PQfreemem(n);
	return 1;
}

static int pg_wait(store_db *db, int timeout_ms, char *payload, size_t size, char *err, size_t errlen)
{
	pg_db *p = pg_of(db);
	long long deadline = ecs_clock_ms() + (timeout_ms > 0 ? timeout_ms : 0);

	if (size > 0)
		payload[0] = '\0';
	if (!p->listening) {
		snprintf(err, errlen, "store_db_wait on a connection that does not LISTEN");
		return STORE_DB_ERROR;
	}
	/* Notifications that came with an earlier result are queued already. */
	if (take(p, payload, size))
		return 1;
	for (;;) {
		struct pollfd pfd = { .fd = PQsocket(p->conn), .events = POLLIN };
		long long left = deadline - ecs_clock_ms();
		int n;

		if (pfd.fd < 0 || PQstatus(p->conn) != CONNECTION_OK) {
			one_line(err, errlen, "connection to PostgreSQL lost", PQerrorMessage(p->conn));
			return STORE_DB_ERROR;
		}
		if (left < 0)
			left = 0;
		n = poll(&pfd, 1, (int)left);
		if (n < 0 && errno != EINTR) {
			snprintf(err, errlen, "poll: %s", strerror(errno));
			return STORE_DB_ERROR;
		}
		if (n > 0) {
			/* Readable: a notification, or the server going away
			 * (PQconsumeInput then fails). */
			if (!PQconsumeInput(p->conn)) {
				one_line(err, errlen, "connection to PostgreSQL lost", PQerrorMessage(p->conn));
				return STORE_DB_ERROR;
			}
			if (take(p, payload, size))
				return 1;
		}
		if (n == 0 || ecs_clock_ms() >= deadline)
			return 0;
	}
}

const store_db_driver store_pg_driver = {
	.kind = STORE_DB_POSTGRESQL,
	.open = pg_open,
	.close = pg_close,
	.exec = pg_exec,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.listen = pg_listen,
	.wait = pg_wait,
};
