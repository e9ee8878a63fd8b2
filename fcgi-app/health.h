/*
 * health.h - the comprehensive health check (GET /v1.1/_health?quick=false):
 * can we reach the engine, do we speak its API, and does it have every
 * runtime the configuration lets tasks use; and the pieces of the quick
 * check's answer that come from the background engine check
 * (engine_watch.h). handlers.c wraps the answer.
 */
#ifndef ECSFCGI_HEALTH_H
#define ECSFCGI_HEALTH_H

#include <stddef.h>

#include <ecs/ecs.h>

#include "conf.h"
#include "engine_watch.h"

struct json_object;

/**
 * health_details - ask @engine (NULL: no engine, red) and build the
 * "details" object: "engine" (connectivity, API version, the engine's
 * runtimes and default runtime) and "runtimes" ("configured": each
 * default_runtime @cfg names, green when the engine has it, red otherwise,
 * which makes the whole check red; "allowed": each runtime a request may
 * name, "present" or "absent", which does not). Sets *green to 1 when every component is
 * green, else 0. Returns the object (json_object_put() it), NULL when out of
 * memory. Uses @engine on the calling thread only.
 */
struct json_object *health_details(int *green, ecs_engine *engine, const config *cfg);

/**
 * health_runtimes_component - the "runtimes" component: @wanted (the
 * runtimes the configuration names, @wanted_len of them, duplicates allowed)
 * against what the engine has (@have). Green when the engine has each one;
 * red otherwise, with a message naming the missing ones. Pure; unit-tested.
 * Sets *green. Returns the object, NULL when out of memory.
 */
struct json_object *health_runtimes_component(int *green, const ecs_engine_runtimes *have,
		const char *const *wanted, size_t wanted_len);

/**
 * health_engine_check - the "engineCheck" component of the comprehensive
 * check: the background check's last result (@st, enabled): "status"
 * green/red, "lastCheckAgeSeconds", "intervalSeconds", "checks",
 * "failures", "consecutiveFailures" and, when red, "message". Informative:
 * the comprehensive check's own status comes from its live requests.
 * Returns the object, NULL when out of memory. Pure; unit-tested.
 */
struct json_object *health_engine_check(const engine_watch_state *st);

/**
 * health_quick_reason - why the quick check is red (@st not healthy), one
 * line into @buf (@size bytes): when the engine failed its last check and
 * what it said, or that no check finished for too long. Pure; unit-tested.
 */
void health_quick_reason(char *buf, size_t size, const engine_watch_state *st);

#endif
