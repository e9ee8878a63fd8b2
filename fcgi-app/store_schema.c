/*
 * store_schema.c - the task store's tables and their migrations. See
 * store_schema.h. Every statement but SQLite's version 3 (triggers) is
 * valid in SQLite 3.35+ and PostgreSQL 15: TEXT, INTEGER and BIGINT
 * columns only, statuses as words (readable in `sqlite3 ecs.db` and psql
 * alike), booleans as 0/1.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>

#include "store_schema.h"

/* Version 1: tasks, their labels. Leases are per task (tasks.lease_ms),
 * so a node's liveness is its running tasks' leases: no table of nodes. */
static const char *const v1[] = {
	"CREATE TABLE tasks ("
	" id TEXT PRIMARY KEY,"
	" client TEXT NOT NULL,"
	" status TEXT NOT NULL,"
	" async INTEGER NOT NULL,"
	" kind TEXT NOT NULL,"
	" session_id TEXT,"
	" pin_node TEXT,"
	" created_ms BIGINT NOT NULL,"
	" started_ms BIGINT NOT NULL DEFAULT 0,"
	" finished_ms BIGINT NOT NULL DEFAULT 0,"
	" request TEXT,"
	" auth TEXT,"
	" labels TEXT,"
	" result TEXT,"
	" http_status INTEGER NOT NULL DEFAULT 0,"
	" node TEXT NOT NULL DEFAULT '',"
	" lease_ms BIGINT NOT NULL DEFAULT 0,"
	" cancel_requested INTEGER NOT NULL DEFAULT 0,"
	" idem_key TEXT,"
	" fingerprint TEXT,"
	" callback_url TEXT,"
	" callback_state TEXT NOT NULL DEFAULT 'none',"
	" callback_attempts INTEGER NOT NULL DEFAULT 0,"
	" callback_next_ms BIGINT NOT NULL DEFAULT 0,"
	" callback_last_status INTEGER NOT NULL DEFAULT 0,"
	" callback_last_error TEXT,"
	" callback_delivery_id TEXT NOT NULL DEFAULT '',"
	" UNIQUE (client, idem_key))",
	/* store_claim(): per status and client, oldest first (which client,
	 * then its oldest queued task), covering what the claim reads; the
	 * queue's caps */
	"CREATE INDEX tasks_claim ON tasks (status, client, created_ms, id, pin_node)",
	/* store_list(): a client's, newest first, paged by (created_ms, id) */
	"CREATE INDEX tasks_client ON tasks (client, created_ms DESC, id DESC)",
	/* store_callback_claim(): the due ones */
	"CREATE INDEX tasks_callbacks ON tasks (callback_state, callback_next_ms)",
	/* store_renew(), store_reclaim(own_restart): a node's running ones */
	"CREATE INDEX tasks_node ON tasks (node, status)",
	/* store_purge(): the ended ones by age */
	"CREATE INDEX tasks_finished ON tasks (finished_ms)",
	"CREATE TABLE task_labels ("
	" task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,"
	" k TEXT NOT NULL,"
	" v TEXT NOT NULL,"
	" PRIMARY KEY (task_id, k))",
	"CREATE INDEX task_labels_kv ON task_labels (k, v)",
	NULL
};

/*
 * Version 2: a queued task may wait (store_defer()): no node claims it
 * before ready_ms. An exec whose session runs another, or a task whose
 * client is at max_client_tasks on the node that took it, goes back to the
 * queue for a moment rather than failing or holding a runner.
 */
static const char *const v2[] = {
	"ALTER TABLE tasks ADD COLUMN ready_ms BIGINT NOT NULL DEFAULT 0",
	NULL
};

/*
 * Version 3, SQLite only: the queue's depth per client, kept by triggers,
 * so that a submission's caps (store_submit()) read one row per client
 * rather than count every queued task: counting made each submission cost
 * the queue's length, inside the one writer's lock (at 1,000 queued, 41 %
 * of ecs-fcgi's CPU in bench/async.sh). Every change of a task's status
 * goes through the triggers, whichever statement makes it. PostgreSQL
 * keeps counting: there such a row would be a lock every submission of
 * the client waits on, on every node, until the one before commits.
 */
static const char *const v3_sqlite[] = {
	"CREATE TABLE queue_depth (client TEXT PRIMARY KEY, queued INTEGER NOT NULL)",
	"INSERT INTO queue_depth (client, queued) SELECT client, COUNT(*) FROM tasks WHERE status = 'queued' "
	"GROUP BY client",
	"CREATE TRIGGER queue_depth_insert AFTER INSERT ON tasks WHEN NEW.status = 'queued' BEGIN "
	"INSERT INTO queue_depth (client, queued) VALUES (NEW.client, 1) "
	"ON CONFLICT (client) DO UPDATE SET queued = queued + 1; END",
	"CREATE TRIGGER queue_depth_requeue AFTER UPDATE OF status ON tasks "
	"WHEN NEW.status = 'queued' AND OLD.status <> 'queued' BEGIN "
	"INSERT INTO queue_depth (client, queued) VALUES (NEW.client, 1) "
	"ON CONFLICT (client) DO UPDATE SET queued = queued + 1; END",
	"CREATE TRIGGER queue_depth_leave AFTER UPDATE OF status ON tasks "
	"WHEN OLD.status = 'queued' AND NEW.status <> 'queued' BEGIN "
	"UPDATE queue_depth SET queued = queued - 1 WHERE client = OLD.client; END",
	"CREATE TRIGGER queue_depth_delete AFTER DELETE ON tasks WHEN OLD.status = 'queued' BEGIN "
	"UPDATE queue_depth SET queued = queued - 1 WHERE client = OLD.client; END",
	NULL
};

static const char *const none[] = { NULL };

/*
 * Version 4: a deferral (store_defer()) is one row, per node, for the
 * client at its cap or the busy session, which that node's claims pass
 * over until it ends; no longer a write of ready_ms to every queued task
 * of the client (at a cap, with a long line, every 0.2 s).
 */
static const char *const v4[] = {
	"CREATE TABLE deferrals (node TEXT NOT NULL, scope TEXT NOT NULL, value TEXT NOT NULL, "
	"until_ms BIGINT NOT NULL, PRIMARY KEY (node, scope, value))",
	NULL
};

/* migrations[i] brings a store from version i to i + 1 (per kind where they differ). */
static const char *const *const migrations_sqlite[STORE_SCHEMA_VERSION] = { v1, v2, v3_sqlite, v4 };
static const char *const *const migrations_pg[STORE_SCHEMA_VERSION] = { v1, v2, none, v4 };

static int read_version(void *arg, int n, const char *const *cols)
{
	long *v = arg;

	*v = n > 0 && cols[0] != NULL ? strtol(cols[0], NULL, 10) : 0;
	return 1;
}

int store_schema_migrate(store_db *db, const char *what, char *err, size_t errlen)
{
	char vbuf[24];
	const char *params[1] = { vbuf };
	const char *const *const *migrations =
		store_db_kind_of(db) == STORE_DB_POSTGRESQL ? migrations_pg : migrations_sqlite;
	long version = 0;
	int rc = STORE_DB_OK, i;

	/* Two PostgreSQL nodes starting at once would both create the tables:
	 * the second waits here for the first's commit. A SQLite store is
	 * already held by BEGIN IMMEDIATE. */
	if (store_db_kind_of(db) == STORE_DB_POSTGRESQL)
		rc = store_db_exec(db, "SELECT pg_advisory_xact_lock(1801)", NULL, 0, NULL, NULL, NULL, err, errlen);
	if (rc == STORE_DB_OK)
		rc = store_db_exec(db, "CREATE TABLE IF NOT EXISTS ecs_schema (version INTEGER NOT NULL)", NULL, 0,
				   NULL, NULL, NULL, err, errlen);
	if (rc == STORE_DB_OK)
		rc = store_db_exec(db, "SELECT MAX(version) FROM ecs_schema", NULL, 0, read_version, &version, NULL,
				   err, errlen);
	if (rc != STORE_DB_OK)
		return rc;
	if (version > STORE_SCHEMA_VERSION) {
		snprintf(err, errlen,
			 "the task store %s has schema version %ld, newer than this ecs-fcgi knows (%d): a newer "
			 "ecs-fcgi wrote it; run that version (a store is never downgraded)",
			 what, version, STORE_SCHEMA_VERSION);
		return STORE_DB_ERROR;
	}
	for (; rc == STORE_DB_OK && version < STORE_SCHEMA_VERSION; version++) {
		const char *const *stmt = migrations[version];

		for (i = 0; rc == STORE_DB_OK && stmt[i] != NULL; i++)
			rc = store_db_exec(db, stmt[i], NULL, 0, NULL, NULL, NULL, err, errlen);
		snprintf(vbuf, sizeof(vbuf), "%ld", version + 1);
		if (rc == STORE_DB_OK)
			rc = store_db_exec(db, "INSERT INTO ecs_schema (version) VALUES (CAST($1 AS INTEGER))", params,
					   1, NULL, NULL, NULL, err, errlen);
	}
	return rc;
}
