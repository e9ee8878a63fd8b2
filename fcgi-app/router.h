/* router.h - which endpoint a method and path name. */
#ifndef ECSFCGI_ROUTER_H
#define ECSFCGI_ROUTER_H

typedef enum {
	ROUTE_NONE = 0,  /* no such path: 404 */
	ROUTE_TASKS,          /* /v1.1/tasks: POST (run or queue), GET (the caller's) */
	ROUTE_VERSION,
	ROUTE_NOOP,
	ROUTE_HEALTH,
	ROUTE_METRICS,
	ROUTE_SESSIONS,       /* /v1.1/sessions: GET (the caller's), POST (create) */
	ROUTE_SESSION,        /* /v1.1/sessions/{id}: GET, DELETE */
	ROUTE_SESSION_EXEC,   /* /v1.1/sessions/{id}/exec: POST */
	ROUTE_SESSION_FILES,  /* /v1.1/sessions/{id}/files/{path}: GET, PUT */
	ROUTE_TASK,           /* /v1.1/tasks/{id}: GET, DELETE */
	ROUTE_COUNT
} route_id;

/** Bytes of a session or task id in a path. */
#define ROUTER_MAX_ID 64

typedef struct {
	route_id id;
	int method_allowed;  /* 0: the path exists but not for this method (405) */
	const char *allow;   /* value of the Allow header for this path */
	const char *name;    /* endpoint label for logs and metrics ("tasks", "other") */
	char param[ROUTER_MAX_ID + 1]; /* the {id} of a session or task route, "" otherwise */
	const char *tail;    /* ROUTE_SESSION_FILES: the file path ("/..." as written, still %-encoded), in @path */
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
