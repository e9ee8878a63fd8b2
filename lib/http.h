/*
 * Private: the transport. HTTP requests to the engine over libcurl, the API
 * version negotiation, and the curl settings hijacked streams (stream.h)
 * share. The one place that knows how to reach the engine.
 */
#ifndef ECS_HTTP_H
#define ECS_HTTP_H

#include <curl/curl.h>
#include <ecs/engine.h>

/** A response collected in memory. @body is NUL-terminated (not counted in @len). */
typedef struct {
	long status;
	char *body;
	size_t len;
} ecs_http_response;

/**
 * A streaming sink: called with each chunk of the body of a 2xx response.
 * Return 0 to go on, or a negative ECS_E* code to stop the transfer; that
 * code is then what ecs_http_do() returns. Bodies of non-2xx responses are
 * always collected into the response instead, so errors can be read.
 */
typedef int (*ecs_http_sink)(const char *data, size_t len, void *userdata);

typedef struct {
	const char *method;          /* "GET", "POST", "DELETE" */
	const char *path;            /* "/containers/create?..." already escaped; the version prefix is added */
	int unversioned;             /* 1 for /_ping and /version */
	const char *content_type;    /* for @body; NULL means application/json */
	const void *body;
	size_t body_len;
	const char *const *headers;  /* extra "Name: value" lines */
	size_t headers_len;
	long timeout_ms;             /* 0 = the engine's request timeout; -1 = no bound */
	ecs_http_sink sink;          /* NULL collects the body into the response */
	void *sink_userdata;
	size_t max_body;             /* cap on a collected body; 0 = 8 MiB (ECS_EPROTO past it) */
	ecs_cancel *cancel;          /* optional: aborts with ECS_ECANCELED */
	int fresh_connection;        /* 1: never on a kept-alive connection (see http.c) */
} ecs_http_request;

/**
 * Send one request and wait for the whole response. Negotiates the API
 * version first if the handle has none yet and the path is versioned.
 * Returns 0 whenever a response arrived, whatever its status (check
 * resp->status); ECS_EUNAVAILABLE when the engine cannot be reached;
 * ECS_ETIMEDOUT; ECS_ECANCELED; a sink's code; ECS_ENOMEM; ECS_ERROR.
 * Sets the handle's error message on failure. @resp is always initialised
 * and must be cleared with ecs_http_response_clear().
 */
int ecs_http_do(ecs_engine *engine, const ecs_http_request *req, ecs_http_response *resp);

void ecs_http_response_clear(ecs_http_response *resp);

/*
 * An asynchronous request: sent at once, then moved on by
 * ecs_http_async_wait() while the caller keeps another socket busy. What it
 * is for: the kill of a container whose attach stream must keep draining,
 * since the engine finishes that kill only once its attach writer is free
 * (a blocking ecs_http_do() there stalls both until the request timeout).
 * One thread's, as the engine handle it was started on; that handle's
 * own requests may go on meanwhile (this one has a connection of its own).
 */
typedef struct ecs_http_async ecs_http_async;

/**
 * ecs_http_async_start - connect and send @req (not @req->sink: bodies are
 * collected; @req->timeout_ms bounds the whole exchange as in
 * ecs_http_do()). @req is copied, its path included; @req->body and
 * @req->headers must outlive the request. Returns 0 with *@out to
 * ecs_http_async_free(), or EINVAL, ENOMEM, the API negotiation's error.
 */
int ecs_http_async_start(ecs_http_async **out, ecs_engine *engine, const ecs_http_request *req);

/**
 * ecs_http_async_wait - wait up to @timeout_ms for the request's sockets or
 * @fd (-1: none) to be readable, then move the request on. Returns 0 (look
 * at ecs_http_async_done()), or ECS_ERROR when polling failed. Returns at
 * once when @fd is readable: the caller reads it and calls again.
 */
int ecs_http_async_wait(ecs_http_async *a, int fd, long timeout_ms);

/** 1 once the request ended (answered, failed or past its timeout). */
int ecs_http_async_done(const ecs_http_async *a);

/**
 * ecs_http_async_finish - the request's outcome, as ecs_http_do() returns
 * it, the response moved into @resp (ecs_http_response_clear() it);
 * ECS_ETIMEDOUT when it has not ended yet. Sets the handle's message.
 */
int ecs_http_async_finish(ecs_http_async *a, ecs_http_response *resp);

/** Free; a request still in flight is abandoned (its connection closed). NULL is allowed. */
void ecs_http_async_free(ecs_http_async *a);

/**
 * Turn a non-2xx response into an error code and set the handle's message to
 * "@what: <engine's message>" (the "message" member of the JSON body, or the
 * body itself). 400 -> ECS_EINVAL, 404 -> ECS_ENOTFOUND, other -> ECS_EENGINE.
 */
int ecs_http_fail(ecs_engine *engine, const ecs_http_response *resp, const char *what);

struct json_object;

/**
 * Send @req and parse the 2xx answer as a JSON document. A non-2xx answer
 * goes through ecs_http_fail(@what); an answer that is not JSON is
 * ECS_EPROTO. Transport errors are ecs_http_do()'s.
 * @answer: receives the document (json_object_put() it); NULL on failure.
 */
int ecs_http_json(ecs_engine *engine, const ecs_http_request *req, const char *what, struct json_object **answer);

/** 1 for a 2xx status. */
int ecs_http_ok(const ecs_http_response *resp);

/**
 * ecs_http_ping - GET /_ping bounded by @timeout_ms (0: the handle's request
 * timeout), as ecs_engine_ping() answers: 0 when the engine says OK.
 */
int ecs_http_ping(ecs_engine *engine, long timeout_ms);

/**
 * Apply the handle's endpoint (unix socket or host), TLS files, allowed
 * protocol, connect timeout (@connect_timeout_ms, or the handle's when 0)
 * and idle-connection bound to @c. For an easy handle of one's own, such as
 * a connect-only one.
 */
void ecs_http_setup(ecs_engine *engine, CURL *c, long connect_timeout_ms);

/**
 * Negotiate the API version (GET /version) unless the handle already has
 * one. 0 or ecs_engine_version_get()'s error.
 */
int ecs_http_negotiate(ecs_engine *engine);

/** URL-escape a path segment or query value; free() the result. NULL on ENOMEM. */
char *ecs_http_escape(const char *s);

/**
 * The path of one engine object: "/<collection>/<escaped id><suffix>", e.g.
 * ("containers", id, "/json"). The id is escaped whole ('/' too: the engine
 * decodes the path before routing on it); @suffix is taken as it is.
 * free() the result; NULL on ENOMEM.
 */
char *ecs_http_path(const char *collection, const char *id, const char *suffix);

/**
 * ecs_http_object_request - set @req up (zeroed first) as a bodiless
 * @method on one object's path, ecs_http_path(@collection, @id, @suffix),
 * which goes to *@path: @req borrows it, the caller frees it after the
 * request. The caller sets whatever else the request needs (timeout, sink).
 * Returns 0, or ECS_ENOMEM with "@what: out of memory" on the handle.
 */
int ecs_http_object_request(ecs_http_request *req, char **path, ecs_engine *engine, const char *method,
			    const char *collection, const char *id, const char *suffix, const char *what);

#endif
