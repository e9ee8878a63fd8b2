/* router.c - the v1.1 routing table. */
#include <config.h>

#include <string.h>

#include "router.h"

/*
 * A path is literal, or has one {id} segment (a session's or a task's: the next
 * segment, 1-64 of [A-Za-z0-9_.-]) and, with @rest, the remainder after
 * it is the route's tail (a file path: one or more segments).
 * @methods: the methods allowed, space-separated; @allow: the Allow header.
 */
static const struct {
	route_id id;
	const char *path;
	const char *after_id;
	int rest;
	const char *methods;
	const char *allow;
	const char *name;
} routes[] = {
	{ ROUTE_TASKS, "/v1.1/tasks", NULL, 0, "GET POST", "GET, HEAD, POST", "tasks" },
	{ ROUTE_TASK, "/v1.1/tasks/", "", 0, "GET DELETE", "GET, HEAD, DELETE", "task" },
	{ ROUTE_VERSION, "/v1.1/_version", NULL, 0, "GET", "GET, HEAD", "_version" },
	{ ROUTE_NOOP, "/v1.1/_noop", NULL, 0, "GET", "GET, HEAD", "_noop" },
	{ ROUTE_HEALTH, "/v1.1/_health", NULL, 0, "GET", "GET, HEAD", "_health" },
	{ ROUTE_METRICS, "/v1.1/_metrics", NULL, 0, "GET", "GET, HEAD", "_metrics" },
	{ ROUTE_SESSIONS, "/v1.1/sessions", NULL, 0, "GET POST", "GET, HEAD, POST", "sessions" },
	{ ROUTE_SESSION, "/v1.1/sessions/", "", 0, "GET DELETE", "GET, HEAD, DELETE", "session" },
	{ ROUTE_SESSION_EXEC, "/v1.1/sessions/", "/exec", 0, "POST", "POST", "session_exec" },
	{ ROUTE_SESSION_FILES, "/v1.1/sessions/", "/files", 1, "GET PUT", "GET, HEAD, PUT", "session_files" },
};

/*
 * HEAD is GET without the body (RFC 9110 9.3.2), wherever GET is allowed:
 * nginx lets HEAD through wherever it lets GET, and a load balancer that
 * probes with HEAD must see what GET would. The body is dropped when the
 * answer is written (workers.c), so every handler answers HEAD as GET.
 */
static int method_allowed(const char *method, const char *methods)
{
	size_t n = strlen(method);
	const char *p = methods;

	if (strcmp(method, "HEAD") == 0)
		return method_allowed("GET", methods);
	while (n > 0 && (p = strstr(p, method)) != NULL) {
		if ((p == methods || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
			return 1;
		p += n;
	}
	return 0;
}

/* @path equals @want, or @want followed by a single '/'. */
static int path_is(const char *path, const char *want)
{
	size_t n = strlen(want);

	if (strncmp(path, want, n) != 0)
		return 0;
	return path[n] == '\0' || (path[n] == '/' && path[n + 1] == '\0');
}

static int id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
	       c == '-';
}

/* A route with an {id}: @path is the prefix, the id, @after_id, then (with @rest) "/" and a tail. */
static int path_with_id(route_match *out, const char *path, const char *prefix, const char *after_id, int rest)
{
	size_t n = strlen(prefix), id_len = 0, a = strlen(after_id);
	const char *p;

	if (strncmp(path, prefix, n) != 0)
		return 0;
	p = path + n;
	while (id_char(p[id_len]))
		id_len++;
	if (id_len == 0 || id_len > ROUTER_MAX_ID || strncmp(p + id_len, after_id, a) != 0)
		return 0;
	p += id_len + a;
	if (rest) {
		/* the tail keeps its leading '/': an absolute path in the container */
		if (p[0] != '/' || p[1] == '\0')
			return 0;
		out->tail = p;
	} else if (!(p[0] == '\0' || (p[0] == '/' && p[1] == '\0'))) {
		return 0;
	}
	memcpy(out->param, path + n, id_len);
	out->param[id_len] = '\0';
	return 1;
}

void router_match(route_match *out, const char *method, const char *path)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	out->id = ROUTE_NONE;
	out->name = "other";
	if (path == NULL || method == NULL)
		return;
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (routes[i].after_id != NULL ? !path_with_id(out, path, routes[i].path, routes[i].after_id, routes[i].rest)
					       : !path_is(path, routes[i].path))
			continue;
		out->id = routes[i].id;
		out->allow = routes[i].allow;
		out->name = routes[i].name;
		out->method_allowed = method_allowed(method, routes[i].methods);
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
