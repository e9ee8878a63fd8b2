/*
 * store_sqlite.c - the store's SQLite driver (store_driver.h): one file,
 * WAL (readers never wait for the writer), synchronous=FULL (a commit is
 * on disk, WAL flushed, before it returns: a 202 survives a power cut as
 * well as a crash of ecs-fcgi; store.c groups concurrent writes into one
 * commit so they share the flush), foreign keys on, and a busy timeout for
 * another process holding the write lock (sqlite3 .backup, the CLI).
 *
 * Each connection keeps its prepared statements, by their SQL text: the
 * store runs a few dozen distinct statements, and parsing one again costs
 * more than running it.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_driver.h"

/* How long a writer waits for another connection's write lock. */
#define BUSY_TIMEOUT_MS 5000
/* Columns of a row handed to the row callback at most. */
#define MAX_COLS 64
/* Prepared statements a connection keeps (the store has fewer distinct ones). */
#define STMT_CACHE 48

typedef struct {
	char *sql;
	sqlite3_stmt *st;
} cached_stmt;

typedef struct {
	store_db base;
	sqlite3 *h;
	cached_stmt cache[STMT_CACHE];
	size_t ncache;
} sqlite_db;

static sqlite_db *of(store_db *db)
{
	return (sqlite_db *)db;
}

/* A result code of SQLite as a STORE_DB_* code, with its message in @err. */
static int fail(sqlite3 *h, int rc, char *err, size_t errlen)
{
	int primary = rc & 0xff;

	snprintf(err, errlen, "sqlite: %s", h != NULL ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
	if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
		return STORE_DB_BUSY;
	if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		return STORE_DB_CONFLICT;
	return STORE_DB_ERROR;
}

/* The file made 0600 before SQLite opens it: tasks' bodies may hold
 * registry credentials until they end. The -wal and -shm files take the
 * database file's mode. */
static int create_private(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0) {
		snprintf(err, errlen, "sqlite: cannot open %s: %s", path, strerror(errno));
		return STORE_DB_ERROR;
	}
	close(fd);
	return STORE_DB_OK;
}

static int run_simple(sqlite3 *h, const char *sql, char *err, size_t errlen)
{
	int rc = sqlite3_exec(h, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? STORE_DB_OK : fail(h, rc, err, errlen);
}

/*
 * The prepared statement of @sql on @d: kept from an earlier call, else
 * prepared (and kept while there is room; *@owned tells the caller to
 * finalize one that is not). SQLITE_OK or SQLite's code.
 */
static int stmt_get(sqlite_db *d, const char *sql, sqlite3_stmt **out, int *owned)
{
	size_t i;
	int rc;

	*owned = 0;
	for (i = 0; i < d->ncache; i++)
		if (strcmp(d->cache[i].sql, sql) == 0) {
			*out = d->cache[i].st;
			return SQLITE_OK;
		}
	rc = sqlite3_prepare_v3(d->h, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL);
	if (rc != SQLITE_OK)
		return rc;
	if (d->ncache < STMT_CACHE && (d->cache[d->ncache].sql = strdup(sql)) != NULL)
		d->cache[d->ncache++].st = *out;
	else
		*owned = 1;
	return SQLITE_OK;
}

/* Done with @st: reset (its read or write ends; its bindings go) or finalized. */
static void stmt_put(sqlite3_stmt *st, int owned)
{
	if (owned) {
		sqlite3_finalize(st);
		return;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static void sq_close(store_db *db)
{
	sqlite_db *d = of(db);
	size_t i;

	if (db == NULL)
		return;
	for (i = 0; i < d->ncache; i++) {
		sqlite3_finalize(d->cache[i].st);
		free(d->cache[i].sql);
	}
	sqlite3_close_v2(d->h);
	free(db);
}

static int sq_open(store_db **out, const char *target, char *err, size_t errlen)
{
	sqlite_db *d;
	int rc;

	*out = NULL;
	if (create_private(target, err, errlen) != STORE_DB_OK)
		return STORE_DB_ERROR;
	d = calloc(1, sizeof(*d));
	if (d == NULL) {
		snprintf(err, errlen, "sqlite: out of memory");
		return STORE_DB_ERROR;
	}
	d->base.driver = &store_sqlite_driver;
	/* NOMUTEX: the pool gives a connection to one thread at a time. */
	rc = sqlite3_open_v2(target, &d->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		fail(d->h, rc, err, errlen);
		sq_close(&d->base);
		return STORE_DB_ERROR;
	}
	sqlite3_extended_result_codes(d->h, 1);
	sqlite3_busy_timeout(d->h, BUSY_TIMEOUT_MS);
	rc = run_simple(d->h, "PRAGMA journal_mode=WAL", err, errlen);
	if (rc == STORE_DB_OK)
		rc = run_simple(d->h, "PRAGMA synchronous=FULL", err, errlen);
	if (rc == STORE_DB_OK)
		rc = run_simple(d->h, "PRAGMA foreign_keys=ON", err, errlen);
	/* A group of writes keeps a savepoint per call (store.c): its statement
	 * journal in memory, not a file made, written and unlinked in /var/tmp
	 * for one write in ten (strace of bench/async.sh's submit batch). */
	if (rc == STORE_DB_OK)
		rc = run_simple(d->h, "PRAGMA temp_store=MEMORY", err, errlen);
	if (rc != STORE_DB_OK) {
		sq_close(&d->base);
		return STORE_DB_ERROR;
	}
	*out = &d->base;
	return STORE_DB_OK;
}

/* Parameters are named "$1".."$N" in the SQL: bind each one the statement names. */
static int bind_params(sqlite3_stmt *st, const char *const *params, int nparams)
{
	char name[16];
	int i;

	for (i = 0; i < nparams; i++) {
		int idx, rc;

		snprintf(name, sizeof(name), "$%d", i + 1);
		idx = sqlite3_bind_parameter_index(st, name);
		if (idx == 0)
			continue;
		rc = params[i] == NULL ? sqlite3_bind_null(st, idx)
				       : sqlite3_bind_text(st, idx, params[i], -1, SQLITE_STATIC);
		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

static int sq_exec(store_db *db, const char *sql, const char *const *params, int nparams, store_db_row_fn fn,
		   void *arg, long *changed, char *err, size_t errlen)
{
	sqlite3 *h = of(db)->h;
	sqlite3_stmt *st = NULL;
	const char *cols[MAX_COLS];
	int rc, stop = 0, owned = 0;

	rc = stmt_get(of(db), sql, &st, &owned);
	if (rc != SQLITE_OK)
		return fail(h, rc, err, errlen);
	rc = bind_params(st, params, nparams);
	if (rc == SQLITE_OK && sqlite3_column_count(st) > MAX_COLS) {
		snprintf(err, errlen, "sqlite: a query of more than %d columns", MAX_COLS);
		stmt_put(st, owned);
		return STORE_DB_ERROR;
	}
	while (rc == SQLITE_OK || rc == SQLITE_ROW) {
		int n, i;

		rc = sqlite3_step(st);
		if (rc != SQLITE_ROW || stop || fn == NULL)
			continue;
		n = sqlite3_column_count(st);
		for (i = 0; i < n; i++)
			cols[i] = (const char *)sqlite3_column_text(st, i);
		/* A statement that writes (RETURNING) still runs to its end. */
		stop = fn(arg, n, cols);
	}
	if (rc == SQLITE_DONE) {
		if (changed != NULL)
			*changed = sqlite3_changes(h);
		stmt_put(st, owned);
		return STORE_DB_OK;
	}
	rc = fail(h, sqlite3_extended_errcode(h), err, errlen);
	stmt_put(st, owned);
	return rc;
}

static int sq_begin(store_db *db, int write, char *err, size_t errlen)
{
	/* IMMEDIATE takes the write lock now: two writers that both began
	 * deferred would deadlock on the upgrade, and SQLite answers that
	 * with BUSY at once, without waiting. */
	return sq_exec(db, write ? "BEGIN IMMEDIATE" : "BEGIN", NULL, 0, NULL, NULL, NULL, err, errlen);
}

static int sq_commit(store_db *db, char *err, size_t errlen)
{
	return sq_exec(db, "COMMIT", NULL, 0, NULL, NULL, NULL, err, errlen);
}

static int sq_rollback(store_db *db)
{
	char err[8];

	return sq_exec(db, "ROLLBACK", NULL, 0, NULL, NULL, NULL, err, sizeof(err));
}

static int sq_listen(store_db *db, const char *channel, char *err, size_t errlen)
{
	(void)db;
	(void)channel;
	snprintf(err, errlen, "sqlite: no notifications (one process owns the store)");
	return STORE_DB_ERROR;
}

static int sq_wait(store_db *db, int timeout_ms, char *payload, size_t size, char *err, size_t errlen)
{
	(void)timeout_ms;
	(void)payload;
	(void)size;
	return sq_listen(db, NULL, err, errlen);
}

const store_db_driver store_sqlite_driver = {
	STORE_DB_SQLITE, sq_open, sq_close, sq_exec, sq_begin, sq_commit, sq_rollback, sq_listen, sq_wait
};
