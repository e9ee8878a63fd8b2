/*
 * store_schema.h - the task store's tables (store.h), created and migrated
 * in SQL both backends speak (where they differ, each its own), under a
 * version table (ecs_schema) that says which migrations a store has had.
 */
#ifndef ECSFCGI_STORE_SCHEMA_H
#define ECSFCGI_STORE_SCHEMA_H

#include <stddef.h>

#include "store_db.h"

/** The newest schema this build knows. */
#define STORE_SCHEMA_VERSION 4

/**
 * store_schema_migrate - inside a write transaction on @db: create the
 * tables or bring them to STORE_SCHEMA_VERSION. A store of a newer version
 * (written by a newer ecs-fcgi) is refused, never downgraded: STORE_DB_ERROR
 * with @err saying so. @what names the store in messages (its path or
 * "PostgreSQL"). Returns a STORE_DB_* code.
 */
int store_schema_migrate(store_db *db, const char *what, char *err, size_t errlen);

#endif
