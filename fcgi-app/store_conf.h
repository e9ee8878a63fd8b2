/*
 * store_conf.h - the keys of [ecs] in ecs.conf that choose and size the task
 * store (store.h) and the queue behind it (see ecs.conf(5)).
 */
#ifndef ECSFCGI_STORE_CONF_H
#define ECSFCGI_STORE_CONF_H

#include <stddef.h>

#include "conf_key.h"
#include "store_db.h"

/** Where the SQLite store lives when store_path is not set (the package's state directory). */
#define STORE_DEFAULT_PATH "/var/lib/ecs/ecs.db"

typedef struct {
	store_db_kind kind;            /* store = sqlite (default) | postgresql */
	char *path;                    /* store_path: the SQLite file; NULL: STORE_DEFAULT_PATH */
	char *dsn;                     /* store_dsn: the PostgreSQL conninfo (required for postgresql) */
	unsigned int connections;      /* store_connections: connections this ecs-fcgi keeps (default 4) */
	unsigned int async_workers;    /* async_workers: queued tasks this node runs at once (default 4; 0: this node takes none) */
	unsigned int queue_max;        /* queue_max: queued tasks in all (default 10000) */
	unsigned int max_client_queued; /* max_client_queued: one client's queued tasks (default 1000; [client] may lower it) */
	unsigned long result_ttl_s;    /* result_ttl: how long results and idempotency keys are kept (default 86400) */
	unsigned int lease_s;          /* store_lease: a node's running tasks are INTERRUPTED this long after it stops renewing (default 30) */
	char *node;                    /* node_name: this ecs-fcgi in the store; NULL: "<hostname>:<config path>" */
} store_conf;

/** store_conf_init - the defaults. */
void store_conf_init(store_conf *s);

/** store_conf_clear - free what @s holds. */
void store_conf_clear(store_conf *s);

/**
 * store_conf_check - the keys agree (postgresql has a store_dsn, the lease
 * is longer than a renewal). Returns 0, or -1 with @why naming the key.
 */
int store_conf_check(const store_conf *s, char *why, size_t whylen);

/** store_conf_keys - the store's keys of [ecs]; their target is a store_conf. */
extern const conf_key store_conf_keys[];

#endif
