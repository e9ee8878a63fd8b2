/*
 * store_db.h - the store's driver seam: one connection to SQLite
 * (store_sqlite.c) or PostgreSQL (store_pg.c), spoken to in the SQL both
 * understand, so every statement of the store (store.c) is written once.
 *
 * Parameters are text (NULL is SQL NULL) and placeholders are written
 * $1, $2, ... in both dialects (SQLite binds "$N" by name). Where a
 * parameter's type matters, the SQL says it (CAST($2 AS BIGINT)).
 * Columns come back as text (NULL for SQL NULL).
 *
 * A connection is used by one thread at a time (store.c keeps a pool).
 */
#ifndef ECSFCGI_STORE_DB_H
#define ECSFCGI_STORE_DB_H

#include <stddef.h>

typedef struct store_db store_db;

typedef enum {
	STORE_DB_SQLITE = 0,
	STORE_DB_POSTGRESQL
} store_db_kind;

/** Every driver call returns one of these. */
#define STORE_DB_OK 0
#define STORE_DB_ERROR (-1)   /* @err says what (the driver's own message) */
#define STORE_DB_BUSY (-2)    /* a lock or serialization conflict: the caller may retry the transaction */
#define STORE_DB_CONFLICT (-3) /* a unique constraint refused the row */

/**
 * store_db_row_fn - one row of a query: @n columns, @cols[i] text or NULL.
 * Return 0 to go on, non-zero to stop (the query still returns STORE_DB_OK).
 */
typedef int (*store_db_row_fn)(void *arg, int n, const char *const *cols);

/**
 * store_db_open - one connection. @target: the SQLite file's path (created
 * 0600 when missing; WAL; a busy timeout) or the PostgreSQL conninfo string.
 * Returns STORE_DB_OK with *@out, or STORE_DB_ERROR with @err.
 */
int store_db_open(store_db **out, store_db_kind kind, const char *target, char *err, size_t errlen);

/** store_db_close - close and free; NULL is allowed. */
void store_db_close(store_db *db);

/** store_db_kind_of - which dialect @db speaks (for the few statements that differ). */
store_db_kind store_db_kind_of(const store_db *db);

/**
 * store_db_exec - run @sql with @nparams text parameters; each row goes to
 * @fn (may be NULL). @changed, when not NULL, receives the rows an
 * INSERT/UPDATE/DELETE touched. Returns a STORE_DB_* code.
 */
int store_db_exec(store_db *db, const char *sql, const char *const *params, int nparams,
		  store_db_row_fn fn, void *arg, long *changed, char *err, size_t errlen);

/**
 * store_db_begin - start a transaction; @write: it will write (SQLite takes
 * the write lock now, BEGIN IMMEDIATE, so two writers never deadlock).
 * store_db_commit / store_db_rollback end it. STORE_DB_* codes.
 */
int store_db_begin(store_db *db, int write, char *err, size_t errlen);
int store_db_commit(store_db *db, char *err, size_t errlen);
int store_db_rollback(store_db *db);

/**
 * store_db_listen - (PostgreSQL) LISTEN on @channel on this connection,
 * which is then kept for store_db_wait(). SQLite: STORE_DB_ERROR (one
 * process owns a SQLite store: its notifications never leave it).
 */
int store_db_listen(store_db *db, const char *channel, char *err, size_t errlen);

/**
 * store_db_wait - wait up to @timeout_ms for a notification on a listening
 * connection. Returns 1 with its payload in @payload (cut to @size), 0 on
 * timeout, STORE_DB_ERROR when the connection is lost (reopen it).
 */
int store_db_wait(store_db *db, int timeout_ms, char *payload, size_t size, char *err, size_t errlen);

#endif
