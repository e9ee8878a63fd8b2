/* router.c - the v1.1 routing table. */
#include <config.h>

#include <string.h>

#include "router.h"

static const struct {
	route_id id;
	const char *path;
	const char *method;
	const char *name;
} routes[] = {
	{ ROUTE_TASKS, "/v1.1/tasks", "POST", "tasks" },
	{ ROUTE_VERSION, "/v1.1/_version", "GET", "_version" },
	{ ROUTE_NOOP, "/v1.1/_noop", "GET", "_noop" },
	{ ROUTE_HEALTH, "/v1.1/_health", "GET", "_health" },
	{ ROUTE_METRICS, "/v1.1/_metrics", "GET", "_metrics" },
};

/* @path equals @want, or @want followed by a single '/'. */
static int path_is(const char *path, const char *want)
{
	size_t n = strlen(want);

	if (strncmp(path, want, n) != 0)
		return 0;
	return path[n] == '\0' || (path[n] == '/' && path[n + 1] == '\0');
}

void router_match(route_match *out, const char *method, const char *path)
{
	size_t i;

	out->id = ROUTE_NONE;
	out->method_allowed = 0;
	out->allow = NULL;
	out->name = "other";
	if (path == NULL || method == NULL)
		return;
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (!path_is(path, routes[i].path))
			continue;
		out->id = routes[i].id;
		out->allow = routes[i].method;
		out->name = routes[i].name;
		out->method_allowed = strcmp(method, routes[i].method) == 0;
		return;
	}
}

const char *router_name(route_id id)
{
	size_t i;

	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (routes[i].id == id)
			return routes[i].name;
	return "other";
}
