/*
 * warm.c - ecs-fcgi's warm pool (see warm.h).
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <ecs/ecs.h>

#include "log.h"
#include "sandbox.h"
#include "warm.h"

char *warm_channel_dir(const config *cfg, const char *instance)
{
	char *dir = NULL;

	if (instance == NULL || strncmp(cfg->endpoint, "unix://", 7) != 0)
		return NULL;
	if (asprintf(&dir, "%s/%s.chan", cfg->instance_dir, instance) < 0)
		return NULL;
	/* mkdir's mode goes through the umask: chmod says what we mean (the agents pass, nobody lists) */
	if ((mkdir(dir, 0711) != 0 && errno != EEXIST) || chmod(dir, 0711) != 0) {
		log_msg(LOG_LEVEL_WARNING, "startup", "cannot make %s for the agents' direct channels (%s): every task "
			"attaches", dir, strerror(errno));
		free(dir);
		return NULL;
	}
	return dir;
}

void warm_channel_dir_remove(char *dir)
{
	if (dir != NULL && rmdir(dir) != 0 && errno != ENOENT)
		log_msg(LOG_LEVEL_WARNING, "shutdown", "cannot remove %s: %s", dir, strerror(errno));
	free(dir);
}

int warm_start(ecs_pool **out, const config *cfg, const ecs_engine_options *eopts, ecs_reaper *reaper,
	       const char *channel_dir)
{
	ecs_pool *pool = NULL;
	ecs_pool_options po = ECS_POOL_OPTIONS_INIT;
	const pool_conf *pc = &cfg->pool;
	ecs_sandbox_profile profile;
	limit_caps caps;
	int rc;

	*out = NULL;
	if (pc->budget == 0) {
		log_msg(LOG_LEVEL_INFO, "pool", "pool_budget is 0: every task runs cold");
		return 0;
	}
	/*
	 * A local engine bind-mounts the agent from this host: without the file
	 * it would make an empty directory in its place. (A remote engine's
	 * host is its own business: see ecs.conf(5).)
	 */
	if (strncmp(cfg->endpoint, "unix://", 7) == 0) {
		struct stat st;

		if (stat(pc->agent, &st) != 0 || !S_ISREG(st.st_mode) || access(pc->agent, X_OK) != 0) {
			log_msg(LOG_LEVEL_WARNING, "pool", "no executable ecs-agent at %s (pool_agent): the warm pool "
				"is off, every task runs cold", pc->agent);
			return 0;
		}
	}
	po.engine = *eopts;
	po.agent_path = pc->agent;
	po.budget = pc->budget;
	po.concurrency = pc->concurrency;
	po.adaptive_size = pc->adaptive ? pc->adaptive_size : 0;
	po.idle_ttl_s = pc->idle_ttl_s;
	po.reaper = reaper;
	po.channel_dir = channel_dir;
	rc = ecs_pool_new(&pool, &po);
	if (rc != 0) {
		log_msg(LOG_LEVEL_ERROR, "pool", "cannot start the warm pool: %s", ecs_strerror(rc));
		return -1;
	}
	caps = sandbox_caps(cfg, NULL);
	sandbox_allowed(&profile, cfg, NULL, &caps);
	for (size_t i = 0; i < pc->fixed_len; i++) {
		rc = ecs_pool_set_size(pool, pc->fixed[i].image, &profile, pc->fixed[i].size);
		if (rc != 0) {
			log_msg(LOG_LEVEL_ERROR, "pool", "[pool \"%s\"]: %s", pc->fixed[i].image, ecs_strerror(rc));
			ecs_pool_free(pool);
			return -1;
		}
	}
	log_msg(LOG_LEVEL_INFO, "pool", "warm pool: budget %u, %zu fixed pool(s), adaptive %s, agent %s", pc->budget,
		pc->fixed_len, pc->adaptive ? "on" : "off", pc->agent);
	*out = pool;
	return 0;
}

typedef struct {
	char *buf;
	size_t len, cap;
	int oom;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->oom = 1;
			return;
		}
		if ((size_t)n < t->cap - t->len) {
			t->len += (size_t)n;
			return;
		}
		{
			char *grown = realloc(t->buf, t->cap * 2 + (size_t)n);

			if (grown == NULL) {
				t->oom = 1;
				return;
			}
			t->buf = grown;
			t->cap = t->cap * 2 + (size_t)n;
		}
	}
}

char *warm_metrics_render(size_t *len, ecs_pool *pool)
{
	text t = { malloc(2048), 0, 2048, 0 };
	ecs_pool_stats st;

	if (t.buf == NULL)
		return NULL;
	t.buf[0] = '\0';
	if (pool != NULL) {
		ecs_pool_stats_get(&st, pool);
		put(&t, "# HELP ecs_pool_containers Warm pooled containers, waiting for a task.\n# TYPE ecs_pool_containers gauge\n");
		put(&t, "ecs_pool_containers %u\n", st.warm);
		put(&t, "# HELP ecs_pool_starting Pooled containers being created and started.\n# TYPE ecs_pool_starting gauge\n");
		put(&t, "ecs_pool_starting %u\n", st.starting);
		put(&t, "# HELP ecs_pools Keys (image id, sandbox profile) with a pool.\n# TYPE ecs_pools gauge\n");
		put(&t, "ecs_pools %u\n", st.pools);
		put(&t, "# HELP ecs_pool_hits_total Tasks that took a warm container.\n# TYPE ecs_pool_hits_total counter\n");
		put(&t, "ecs_pool_hits_total %llu\n", (unsigned long long)st.hits);
		put(&t, "# HELP ecs_pool_misses_total Tasks that found no warm container and ran cold.\n"
			"# TYPE ecs_pool_misses_total counter\n");
		put(&t, "ecs_pool_misses_total %llu\n", (unsigned long long)st.misses);
		put(&t, "# HELP ecs_pool_refill_failures_total Pooled containers that could not be created or started.\n"
			"# TYPE ecs_pool_refill_failures_total counter\n");
		put(&t, "ecs_pool_refill_failures_total %llu\n", (unsigned long long)st.refill_failures);
		put(&t, "# HELP ecs_pool_retired_total Warm containers removed unused (moved tag, TTL, lower size).\n"
			"# TYPE ecs_pool_retired_total counter\n");
		put(&t, "ecs_pool_retired_total %llu\n", (unsigned long long)st.retired);
		put(&t, "# HELP ecs_pool_refill_seconds Create and start of a pooled container.\n"
			"# TYPE ecs_pool_refill_seconds summary\n");
		put(&t, "ecs_pool_refill_seconds_sum %.6f\n", st.refill_ms_sum / 1000.0);
		put(&t, "ecs_pool_refill_seconds_count %llu\n", (unsigned long long)st.refills);
		put(&t, "# HELP ecs_pool_refill_seconds_max The longest refill so far.\n# TYPE ecs_pool_refill_seconds_max gauge\n");
		put(&t, "ecs_pool_refill_seconds_max %.6f\n", st.refill_ms_max / 1000.0);
	}
	if (t.oom) {
		free(t.buf);
		return NULL;
	}
	*len = t.len;
	return t.buf;
}

struct json_object *warm_health(ecs_pool *pool)
{
	struct json_object *o = json_object_new_object(), *arr = json_object_new_array();
	ecs_pool_entry *list = NULL;
	size_t n = 0;

	if (o == NULL || arr == NULL || (pool != NULL && ecs_pool_list(&list, &n, pool) != 0)) {
		json_object_put(o);
		json_object_put(arr);
		return NULL;
	}
	json_object_object_add(o, "status", json_object_new_string("green"));
	json_object_object_add(o, "enabled", json_object_new_boolean(pool != NULL));
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_new_object();

		if (e == NULL)
			break;
		json_object_object_add(e, "image", json_object_new_string(list[i].image ? list[i].image : ""));
		if (list[i].image_id != NULL)
			json_object_object_add(e, "imageId", json_object_new_string(list[i].image_id));
		json_object_object_add(e, "profileKey", json_object_new_string(list[i].key));
		json_object_object_add(e, "mode", json_object_new_string(list[i].fixed ? "fixed" : "adaptive"));
		json_object_object_add(e, "target", json_object_new_int((int)list[i].target));
		json_object_object_add(e, "warm", json_object_new_int((int)list[i].warm));
		json_object_object_add(e, "starting", json_object_new_int((int)list[i].starting));
		json_object_object_add(e, "hits", json_object_new_int64((int64_t)list[i].hits));
		json_object_object_add(e, "misses", json_object_new_int64((int64_t)list[i].misses));
		if (list[i].last_error != NULL)
			json_object_object_add(e, "lastError", json_object_new_string(list[i].last_error));
		json_object_array_add(arr, e);
	}
	ecs_pool_list_free(list, n);
	json_object_object_add(o, "pools", arr);
	return o;
}
