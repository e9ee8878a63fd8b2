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

/*
 * HEAD is GET without the body (RFC 9110 9.3.2), wherever GET is allowed:
 * nginx lets HEAD through wherever it lets GET, and a load balancer that
 * probes with HEAD must see what GET would. The body is dropped when the
 * answer is written (workers.c), so every handler answers HEAD as GET.
 */
static int method_allowed(const char *method, const char *allowed)
{
	return strcmp(method, allowed) == 0 || (strcmp(allowed, "GET") == 0 && strcmp(method, "HEAD") == 0);
}

static const char *allow_header(const char *allowed)
{
	return strcmp(allowed, "GET") == 0 ? "GET, HEAD" : allowed;
}

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
		out->allow = allow_header(routes[i].method);
		out->name = routes[i].name;
		out->method_allowed = method_allowed(method, routes[i].method);
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
