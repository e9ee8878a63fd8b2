/* router.h - which endpoint a method and path name. */
#ifndef ECSFCGI_ROUTER_H
#define ECSFCGI_ROUTER_H

typedef enum {
	ROUTE_NONE = 0,  /* no such path: 404 */
	ROUTE_TASKS,
	ROUTE_VERSION,
	ROUTE_NOOP,
	ROUTE_HEALTH,
	ROUTE_METRICS,
	ROUTE_COUNT
} route_id;

typedef struct {
	route_id id;
	int method_allowed;  /* 0: the path exists but not for this method (405) */
	const char *allow;   /* value of the Allow header for this path */
	const char *name;    /* endpoint label for logs and metrics ("tasks", "other") */
} route_match;

/**
 * router_match - route @method and @path (the path only, no query string).
 * Every endpoint also answers with one trailing slash, as the original did;
 * HEAD is allowed wherever GET is (Allow then says "GET, HEAD").
 * Always fills @out; unknown paths get ROUTE_NONE with name "other".
 */
void router_match(route_match *out, const char *method, const char *path);

/** router_name - the label of a route ("tasks", "_version"...). Static. */
const char *router_name(route_id id);

#endif
