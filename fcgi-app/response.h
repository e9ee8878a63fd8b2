/*
 * response.h - one HTTP response as a FastCGI responder writes it (CGI
 * "Status:" header, headers, blank line, body), and the JSON error document
 * every error uses:
 *   {"status": 404, "code": "NOT_FOUND", "message": "...", "requestId": "..."}
 */
#ifndef ECSFCGI_RESPONSE_H
#define ECSFCGI_RESPONSE_H

#include <stddef.h>

struct json_object;

#define RESPONSE_JSON_TYPE "application/json; charset=utf-8"

typedef struct {
	int status;
	const char *code;          /* the error code (static), NULL for success: for logs and metrics */
	const char *content_type;  /* static; NULL when there is no body */
	char headers[512];         /* extra header lines, each ending in CRLF */
	char *body;                /* owned */
	size_t body_len;
	int streamed;              /* the head and body already went out (ndjson.h): write nothing more */
} response;

/** response_init - an empty 200 with no body. */
void response_init(response *r);

/** response_clear - free the body and reset to response_init()'s state. */
void response_clear(response *r);

/**
 * response_set_json - serialize @obj (not consumed) as the body with the
 * JSON content type. Returns 0 or -1 (out of memory).
 */
int response_set_json(response *r, int status, struct json_object *obj);

/**
 * response_set_body - take ownership of @body (malloc'd, @len bytes).
 * @content_type: static string, or NULL for none.
 */
void response_set_body(response *r, int status, const char *content_type, char *body, size_t len);

/**
 * response_error_document - the error document's JSON text.
 * @code: SCREAMING_SNAKE code, @message: human text, @request_id: may be NULL ("").
 * Returns a string the caller frees with free(), or NULL when out of memory.
 */
char *response_error_document(int status, const char *code, const char *message, const char *request_id);

/**
 * response_set_error - make @r the error document (body replaced, extra
 * headers kept). @code must be a static string. Returns 0 or -1; on -1 the
 * response still carries the status and a fixed body.
 */
int response_set_error(response *r, int status, const char *code, const char *message, const char *request_id);

/**
 * response_add_header - append "Name: value". Refuses CR/LF in either and
 * lines that do not fit. Returns 0 or -1.
 */
int response_add_header(response *r, const char *name, const char *value);

/** response_reason - "Not Found" for 404 etc. Static; "Unknown" for others. */
const char *response_reason(int status);

/**
 * response_map_error - the HTTP status (returned) and error code (*@code,
 * static) for an ecs_error from libecs: one mapping for the task run and
 * the credentials check alike.
 */
int response_map_error(int ecs_rc, const char **code);

/**
 * response_head - the header block (Status, Content-Type, Content-Length,
 * extra headers, blank line) into @buf. Returns its length, or -1 when it
 * does not fit.
 */
int response_head(char *buf, size_t size, const response *r);

#endif
