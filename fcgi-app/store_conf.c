/* store_conf.c - the task store's keys of ecs.conf. See store_conf.h. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_conf.h"

/* A lease shorter than this would lapse between two renewals on a busy
 * node (the keeper renews every store_lease / 3 s). */
#define MIN_LEASE_S 3

void store_conf_init(store_conf *s)
{
	memset(s, 0, sizeof(*s));
	s->kind = STORE_DB_SQLITE;
	s->connections = 4;
	s->async_workers = 4;
	s->queue_max = 10000;
	s->max_client_queued = 1000;
	s->result_ttl_s = 86400;
	s->lease_s = 30;
}

void store_conf_clear(store_conf *s)
{
	free(s->path);
	free(s->dsn);
	free(s->node);
	s->path = s->dsn = s->node = NULL;
}

int store_conf_check(const store_conf *s, char *why, size_t whylen)
{
	if (s->kind == STORE_DB_POSTGRESQL && s->dsn == NULL) {
		snprintf(why, whylen, "store = postgresql needs store_dsn (a PostgreSQL conninfo string)");
		return -1;
	}
	if (s->lease_s < MIN_LEASE_S) {
		snprintf(why, whylen, "store_lease %u is under %d s", s->lease_s, MIN_LEASE_S);
		return -1;
	}
	return 0;
}

/* A string key of 1 to @max bytes, without control characters, into *@to. */
static int set_text(char **to, const char *v, size_t max, const char *expect, char *why, size_t whylen)
{
	size_t i, n = strlen(v);

	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			n = 0;
	if (n == 0 || n > max)
		return conf_why(why, whylen, "%s", expect);
	free(*to);
	*to = strdup(v);
	return *to != NULL ? 0 : -2;
}

static int set_path(void *t, const conf_key *k, const char *v, char *why, size_t whylen)
{
	(void)k;
	if (v[0] != '/')
		return conf_why(why, whylen, "expected an absolute path, such as /var/lib/ecs/ecs.db");
	return set_text(&((store_conf *)t)->path, v, 4096, "expected an absolute path of at most 4096 bytes", why,
			whylen);
}

static int set_dsn(void *t, const conf_key *k, const char *v, char *why, size_t whylen)
{
	(void)k;
	return set_text(&((store_conf *)t)->dsn, v, 4096,
			"expected a PostgreSQL conninfo string, such as host=db.example port=5432 dbname=ecs user=ecs",
			why, whylen);
}

static int set_node(void *t, const conf_key *k, const char *v, char *why, size_t whylen)
{
	(void)k;
	/* store_task.node holds 127 bytes. */
	return set_text(&((store_conf *)t)->node, v, 127, "expected a name of 1 to 127 bytes", why, whylen);
}

static const char *const store_words[] = { "sqlite", "postgresql", NULL };
_Static_assert(STORE_DB_SQLITE == 0 && STORE_DB_POSTGRESQL == 1, "store_words follows store_db_kind");

const conf_key store_conf_keys[] = {
	CONF_WORD("store", store_conf, kind, store_words, "expected sqlite or postgresql"),
	CONF_FN("store_path", set_path),
	CONF_FN("store_dsn", set_dsn),
	CONF_UINT("store_connections", store_conf, connections, 1, 256, "expected a whole number between 1 and 256"),
	CONF_UINT("async_workers", store_conf, async_workers, 0, 1024,
		  "expected a whole number between 0 (this node runs no queued task) and 1024"),
	CONF_UINT("queue_max", store_conf, queue_max, 1, 10000000, "expected a whole number between 1 and 10000000"),
	CONF_UINT("max_client_queued", store_conf, max_client_queued, 1, 10000000,
		  "expected a whole number between 1 and 10000000"),
	CONF_UINT("result_ttl", store_conf, result_ttl_s, 60, 366L * 86400,
		  "expected whole seconds between 60 and 31622400"),
	CONF_UINT("store_lease", store_conf, lease_s, MIN_LEASE_S, 3600, "expected whole seconds between 3 and 3600"),
	CONF_FN("node_name", set_node),
	CONF_KEYS_END
};
