/*
 * store_db.c - the driver seam's calls (store_db.h), each handed to the
 * connection's driver (store_driver.h).
 */
#include <config.h>

#include <stdio.h>

#include "store_driver.h"

/* The driver of @kind; NULL for a backend this build has none for. */
static const store_db_driver *driver_of(store_db_kind kind)
{
	switch (kind) {
	case STORE_DB_SQLITE:
		return &store_sqlite_driver;
	case STORE_DB_POSTGRESQL:
		return &store_pg_driver;
	}
	return NULL;
}

int store_db_open(store_db **out, store_db_kind kind, const char *target, char *err, size_t errlen)
{
	const store_db_driver *d = driver_of(kind);

	*out = NULL;
	if (d == NULL) {
		snprintf(err, errlen, "this ecs-fcgi was built without that store backend");
		return STORE_DB_ERROR;
	}
	return d->open(out, target, err, errlen);
}

void store_db_close(store_db *db)
{
	if (db != NULL)
		db->driver->close(db);
}

store_db_kind store_db_kind_of(const store_db *db)
{
	return db->driver->kind;
}

int store_db_exec(store_db *db, const char *sql, const char *const *params, int nparams, store_db_row_fn fn,
		  void *arg, long *changed, char *err, size_t errlen)
{
	return db->driver->exec(db, sql, params, nparams, fn, arg, changed, err, errlen);
}

int store_db_begin(store_db *db, int write, char *err, size_t errlen)
{
	return db->driver->begin(db, write, err, errlen);
}

int store_db_commit(store_db *db, char *err, size_t errlen)
{
	return db->driver->commit(db, err, errlen);
}

int store_db_rollback(store_db *db)
{
	return db->driver->rollback(db);
}

int store_db_listen(store_db *db, const char *channel, char *err, size_t errlen)
{
	return db->driver->listen(db, channel, err, errlen);
}

int store_db_wait(store_db *db, int timeout_ms, char *payload, size_t size, char *err, size_t errlen)
{
	return db->driver->wait(db, timeout_ms, payload, size, err, errlen);
}
