/*
 * store_driver.h - what a driver of the store's seam (store_db.h) hands
 * over: its functions in one table. store_db.c dispatches each store_db_*
 * call through the table of the connection's driver, so the SQLite driver
 * (store_sqlite.c) and the PostgreSQL one (store_pg.c) share no symbol and
 * the store (store.c) never knows which one it speaks to.
 *
 * A driver's connection struct starts with a `store_db` (its first member),
 * whose @driver points at the driver's table; store_db_open() gets it from
 * the driver's @open.
 */
#ifndef ECSFCGI_STORE_DRIVER_H
#define ECSFCGI_STORE_DRIVER_H

#include "store_db.h"

typedef struct {
	store_db_kind kind;
	/* The store_db.h call of the same name, minus the kind (the table says it). */
	int (*open)(store_db **out, const char *target, char *err, size_t errlen);
	void (*close)(store_db *db);
	int (*exec)(store_db *db, const char *sql, const char *const *params, int nparams, store_db_row_fn fn,
		    void *arg, long *changed, char *err, size_t errlen);
	int (*begin)(store_db *db, int write, char *err, size_t errlen);
	int (*commit)(store_db *db, char *err, size_t errlen);
	int (*rollback)(store_db *db);
	int (*listen)(store_db *db, const char *channel, char *err, size_t errlen);
	int (*wait)(store_db *db, int timeout_ms, char *payload, size_t size, char *err, size_t errlen);
} store_db_driver;

/* The head of every driver's connection. */
struct store_db {
	const store_db_driver *driver;
};

/** The drivers: SQLite (store_sqlite.c) and PostgreSQL (store_pg.c). */
extern const store_db_driver store_sqlite_driver;
extern const store_db_driver store_pg_driver;

#endif
