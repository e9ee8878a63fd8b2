/* health.c - the comprehensive health check (engine, API version, runtimes) and the background check's view. */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "health.h"
#include "metrics.h"

static const char *color(int ok)
{
	return ok ? "green" : "red";
}

/*
 * The runtimes every task of some section runs on (default_runtime of
 * [ecs] and of each [client]), which the engine must have: without one,
 * each of those tasks fails. None configured: the engine's own default,
 * which it has by definition.
 */
static size_t configured_runtimes(const char **out, size_t max, const config *cfg)
{
	size_t n = 0, i;

	if (cfg->sandbox.default_runtime != NULL && n < max)
		out[n++] = cfg->sandbox.default_runtime;
	for (i = 0; i < cfg->clients_len && n < max; i++)
		if (cfg->clients[i].sandbox.default_runtime != NULL)
			out[n++] = cfg->clients[i].sandbox.default_runtime;
	return n;
}

/*
 * The runtimes a request may name (allowed_runtimes), shown as "allowed":
 * present or absent. An absent one does not make the service red: only the
 * requests naming it fail, with a 400 in the engine's words.
 */
static void add_allowed(struct json_object *runtimes, const ecs_engine_runtimes *have, const config *cfg)
{
	struct json_object *allowed = json_object_new_object();
	const sandbox_conf *lists[65];
	size_t n = 0, i, j;

	if (allowed == NULL)
		return;
	lists[n++] = &cfg->sandbox;
	for (i = 0; i < cfg->clients_len && n < sizeof(lists) / sizeof(lists[0]); i++)
		if (cfg->clients[i].sandbox.allowed_runtimes_set)
			lists[n++] = &cfg->clients[i].sandbox;
	for (i = 0; i < n; i++)
		for (j = 0; j < lists[i]->allowed_runtimes_len; j++)
			json_object_object_add(allowed, lists[i]->allowed_runtimes[j], json_object_new_string(
					ecs_engine_runtimes_has(have, lists[i]->allowed_runtimes[j]) ? "present" : "absent"));
	json_object_object_add(runtimes, "allowed", allowed);
}

struct json_object *health_runtimes_component(int *green, const ecs_engine_runtimes *have,
		const char *const *wanted, size_t wanted_len)
{
	struct json_object *o = json_object_new_object(), *configured = json_object_new_object();
	char missing[384] = "";
	size_t i, used = 0;
	int ok = 1;

	*green = 0;
	if (o == NULL || configured == NULL) {
		json_object_put(o);
		json_object_put(configured);
		return NULL;
	}
	for (i = 0; i < wanted_len; i++) {
		int present = ecs_engine_runtimes_has(have, wanted[i]);

		if (json_object_object_get_ex(configured, wanted[i], NULL))
			continue;
		json_object_object_add(configured, wanted[i], json_object_new_string(color(present)));
		if (!present) {
			int n = snprintf(missing + used, sizeof(missing) - used, "%s%s", ok ? "" : ", ", wanted[i]);

			ok = 0;
			if (n > 0 && (size_t)n < sizeof(missing) - used)
				used += (size_t)n;
		}
	}
	json_object_object_add(o, "status", json_object_new_string(color(ok)));
	json_object_object_add(o, "configured", configured);
	if (!ok) {
		char msg[512];

		snprintf(msg, sizeof(msg), "the engine lacks runtimes that ecs.conf lets tasks use: %s (register "
				"them with the engine: daemon.json runtimes, then SIGHUP dockerd; or remove them from ecs.conf)",
				missing);
		json_object_object_add(o, "message", json_object_new_string(msg));
	}
	*green = ok;
	return o;
}

/* The engine's runtimes into @eng ("runtimes", "defaultRuntime"). 0, or the ecs_error. */
static int add_engine_runtimes(struct json_object *eng, ecs_engine *engine, ecs_engine_runtimes *rt)
{
	struct json_object *names;
	size_t i;
	int rc;

	rc = ecs_engine_runtimes_get(rt, engine);
	if (rc != 0)
		return rc;
	names = json_object_new_array();
	if (names == NULL)
		return ECS_ENOMEM;
	for (i = 0; i < rt->count; i++)
		json_object_array_add(names, json_object_new_string(rt->names[i]));
	json_object_object_add(eng, "runtimes", names);
	if (rt->default_runtime[0] != '\0')
		json_object_object_add(eng, "defaultRuntime", json_object_new_string(rt->default_runtime));
	return 0;
}

struct json_object *health_details(int *green, ecs_engine *engine, const config *cfg)
{
	struct json_object *details = json_object_new_object(), *eng = json_object_new_object();
	struct json_object *runtimes = NULL;
	ecs_engine_runtimes rt = { NULL, 0, NULL };
	ecs_engine_version ver;
	const char *wanted[64] = { NULL };
	size_t wanted_len;
	int conn_ok = 0, api_ok = 0, rt_ok = 0, runtimes_green = 0, rc = 0;

	*green = 0;
	if (details == NULL || eng == NULL)
		goto oom;
	memset(&ver, 0, sizeof(ver));
	if (engine != NULL) {
		rc = ecs_engine_ping(engine);
		conn_ok = rc == 0;
		if (conn_ok) {
			rc = ecs_engine_version_get(&ver, engine);
			api_ok = rc == 0;
		}
		if (api_ok) {
			rc = add_engine_runtimes(eng, engine, &rt);
			rt_ok = rc == 0;
		}
		if (rc == ECS_ENOMEM)
			goto oom;
		if (rc != 0) {
			metrics_engine_error(rc);
			json_object_object_add(eng, "message", json_object_new_string(ecs_engine_errmsg(engine)[0] ?
						ecs_engine_errmsg(engine) : ecs_strerror(rc)));
		}
	} else {
		json_object_object_add(eng, "message", json_object_new_string("no engine handle"));
	}
	json_object_object_add(eng, "status", json_object_new_string(color(conn_ok && api_ok && rt_ok)));
	json_object_object_add(eng, "connectivity", json_object_new_string(color(conn_ok)));
	json_object_object_add(eng, "apiVersion", json_object_new_string(color(api_ok)));
	if (ver.version[0])
		json_object_object_add(eng, "engineVersion", json_object_new_string(ver.version));
	if (ver.api_version[0])
		json_object_object_add(eng, "engineApiVersion", json_object_new_string(ver.api_version));
	if (ver.negotiated[0])
		json_object_object_add(eng, "negotiatedApiVersion", json_object_new_string(ver.negotiated));
	json_object_object_add(details, "engine", eng);
	eng = NULL;
	/* Which runtimes the engine lacks can only be told once it listed them. */
	if (rt_ok) {
		wanted_len = configured_runtimes(wanted, sizeof(wanted) / sizeof(wanted[0]), cfg);
		runtimes = health_runtimes_component(&runtimes_green, &rt, wanted, wanted_len);
		if (runtimes == NULL)
			goto oom;
		add_allowed(runtimes, &rt, cfg);
		json_object_object_add(details, "runtimes", runtimes);
	}
	ecs_engine_runtimes_clear(&rt);
	*green = conn_ok && api_ok && rt_ok && runtimes_green;
	return details;
oom:
	ecs_engine_runtimes_clear(&rt);
	json_object_put(details);
	json_object_put(eng);
	return NULL;
}

/* Seconds to 0.1, as a JSON number that prints as written. */
static struct json_object *seconds(double s)
{
	char txt[32];

	snprintf(txt, sizeof(txt), "%.1f", s);
	return json_object_new_double_s(s, txt);
}

struct json_object *health_engine_check(const engine_watch_state *st)
{
	struct json_object *o = json_object_new_object();
	int ok = engine_watch_healthy(st);

	if (o == NULL)
		return NULL;
	json_object_object_add(o, "status", json_object_new_string(color(ok)));
	json_object_object_add(o, "lastCheckAgeSeconds", seconds(st->age_s));
	json_object_object_add(o, "intervalSeconds", json_object_new_int((int)st->interval_s));
	json_object_object_add(o, "checks", json_object_new_int64((int64_t)st->checks));
	json_object_object_add(o, "failures", json_object_new_int64((int64_t)st->failures));
	json_object_object_add(o, "consecutiveFailures", json_object_new_int64((int64_t)st->consecutive));
	if (!ok)
		json_object_object_add(o, "message", json_object_new_string(st->message));
	return o;
}

void health_quick_reason(char *buf, size_t size, const engine_watch_state *st)
{
	if (st->stale)
		snprintf(buf, size, "the background engine check is stuck: %s", st->message);
	else
		snprintf(buf, size, "the engine failed its last health check, %.1f s ago (%lu in a row, one every "
				"%u s): %s", st->age_s, st->consecutive, st->interval_s, st->message);
}
