/*
 * request.h - one request as the FastCGI params describe it, independent of
 * libfcgi so the unit tests can build one from a "NAME=value" array (the
 * same shape as FCGX_ParamArray).
 */
#ifndef ECSFCGI_REQUEST_H
#define ECSFCGI_REQUEST_H

#include <stddef.h>
#include <time.h>

/** Reads up to @n bytes of body; returns the count, 0 at the end, <0 on error. */
typedef int (*request_read_fn)(void *ctx, char *buf, int n);

typedef struct {
	char **envp;              /* "NAME=value" params, NULL-terminated; not owned,
	                             and invalid once the FastCGI request is finished */
	char method[16];          /* REQUEST_METHOD (copied: the log line is written after
	                             FCGX_Finish_r, which frees the params), "" when absent */
	char *path;               /* owned: REQUEST_URI without the query, else SCRIPT_NAME+PATH_INFO */
	const char *query;        /* QUERY_STRING (or the part of REQUEST_URI after '?'), never NULL */
	char request_id[65];      /* REQUEST_ID when well-formed, else 32 generated hex digits */
	request_read_fn read;     /* the body stream */
	void *read_ctx;
	char *body;               /* owned, NUL-terminated, after request_read_body() */
	size_t body_len;
	struct timespec started;  /* CLOCK_MONOTONIC */
} request;

/** request_param - the value of param @name in @envp, or NULL. */
const char *request_param(char *const *envp, const char *name);

/**
 * request_init - fill @r from @envp (not copied: it must outlive @r).
 * Returns 0 or -1 (out of memory).
 */
int request_init(request *r, char **envp, request_read_fn rd, void *rd_ctx);

/** request_clear - free what @r owns. */
void request_clear(request *r);

/**
 * request_content_length - CONTENT_LENGTH as a number: >= 0, -1 when absent
 * or empty, -2 when malformed.
 */
long long request_content_length(const request *r);

/** request_is_json - 1 when CONTENT_TYPE is application/json (parameters allowed). */
int request_is_json(const char *content_type);

/**
 * request_read_body - read the body, at most @limit bytes.
 * Returns 0; 1 when the body is longer than @limit (whatever CONTENT_LENGTH
 * said; the rest is left unread); -1 on a read error; -2 out of memory.
 */
int request_read_body(request *r, size_t limit);

/**
 * request_self_url - the URL that was requested: scheme from HTTPS ("on"
 * means https), host from HTTP_HOST (else SERVER_NAME[:SERVER_PORT]), then
 * REQUEST_URI with every byte outside '!'..'~' percent-encoded. Returns 0, or
 * -1 when it does not fit @size (request_self_url_size() always does).
 */
int request_self_url(char *buf, size_t size, const request *r);

/** request_self_url_size - a buffer size request_self_url() always fits. */
size_t request_self_url_size(const request *r);

/** request_elapsed_ms - milliseconds since request_init(). */
double request_elapsed_ms(const request *r);

#endif
