/* task_metrics.c - the task store in _metrics and _health. See task_metrics.h. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "task_metrics.h"

char *task_metrics_render(size_t *len, store *st)
{
	store_counts c;
	char err[256], *s = NULL;
	int n, up;

	memset(&c, 0, sizeof(c));
	up = st != NULL && store_count(st, &c, err, sizeof(err)) == 0;
	n = asprintf(&s,
		"# HELP ecs_store_up 1 when the task store answered this scrape's count.\n# TYPE ecs_store_up gauge\n"
		"ecs_store_up %d\n"
		"# HELP ecs_async_tasks Tasks in the store by status (sync and async).\n# TYPE ecs_async_tasks gauge\n"
		"ecs_async_tasks{status=\"queued\"} %lld\n"
		"ecs_async_tasks{status=\"running\"} %lld\n"
		"ecs_async_tasks{status=\"succeeded\"} %lld\n"
		"ecs_async_tasks{status=\"failed\"} %lld\n"
		"ecs_async_tasks{status=\"canceled\"} %lld\n"
		"# HELP ecs_store_operations_total Task store calls made by this process.\n"
		"# TYPE ecs_store_operations_total counter\n"
		"ecs_store_operations_total %lld\n"
		"# HELP ecs_store_errors_total Task store calls that failed.\n# TYPE ecs_store_errors_total counter\n"
		"ecs_store_errors_total %lld\n"
		"# HELP ecs_store_seconds Time spent in task store calls.\n# TYPE ecs_store_seconds summary\n"
		"ecs_store_seconds_sum %.6f\n"
		"ecs_store_seconds_count %lld\n"
		"# HELP ecs_callbacks_pending Callback deliveries waiting for an attempt.\n"
		"# TYPE ecs_callbacks_pending gauge\n"
		"ecs_callbacks_pending %lld\n",
		up, c.by_status[STORE_QUEUED], c.by_status[STORE_RUNNING], c.by_status[STORE_SUCCEEDED],
		c.by_status[STORE_FAILED], c.by_status[STORE_CANCELED], c.ops, c.errors, c.seconds_sum, c.ops,
		c.callbacks_pending);
	if (n < 0)
		return NULL;
	*len = (size_t)n;
	return s;
}

struct json_object *task_metrics_health(int *green, store *st)
{
	struct json_object *o = json_object_new_object();
	char err[256] = "no task store is open on this node";
	double ms = 0;
	int ok;

	if (o == NULL)
		return NULL;
	ok = st != NULL && store_check(st, &ms, err, sizeof(err)) == 0;
	if (!ok)
		*green = 0;
	json_object_object_add(o, "status", json_object_new_string(ok ? "green" : "red"));
	if (st != NULL)
		json_object_object_add(o, "backend", json_object_new_string(store_kind(st) == STORE_DB_POSTGRESQL ?
									    "postgresql" : "sqlite"));
	if (ok) {
		char s[32];

		snprintf(s, sizeof(s), "%.1f", ms);
		json_object_object_add(o, "latencyMs", json_object_new_double_s(ms, s));
	} else {
		json_object_object_add(o, "error", json_object_new_string(err));
	}
	return o;
}
