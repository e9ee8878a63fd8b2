/*
 * ndjson.h - live output as application/x-ndjson: one JSON object a line,
 * each line pushed to the client as soon as it is written.
 *
 *   {"stream": "stdout"|"stderr", "data": BASE64}   as the task writes
 *   {...the result without stdout and stderr...}     last, on success
 *   {"error": {status, code, message, requestId}}    last, on a failure
 *                                                    after the first line
 *
 * The head (200, the type, "X-Accel-Buffering: no" so nginx passes the
 * lines through unbuffered for this response only) goes out with the first
 * line, so an error that comes before any line keeps its ordinary status
 * and JSON body (the caller answers it as usual when ndjson_started() is 0).
 *
 * Knows nothing of libfcgi: the responder gives a sink (workers.c: the
 * FastCGI stream, flushed), the tests an array. Writes nothing it parses:
 * every line is built by json-c or from base64 text.
 */
#ifndef ECSFCGI_NDJSON_H
#define ECSFCGI_NDJSON_H

#include <stddef.h>
#include <stdint.h>

struct json_object;

#define NDJSON_TYPE "application/x-ndjson"

/**
 * ndjson_sink - where the response's bytes go.
 * @send: write @len bytes and push them to the client now (no buffering
 *    behind them); 0, or -1 when they cannot go (the client went away).
 */
typedef struct {
	int (*send)(void *arg, const char *data, size_t len);
	void *arg;
} ndjson_sink;

/** One streamed response. Owned by the caller, on one thread. */
typedef struct {
	const ndjson_sink *sink;
	const char *request_id;  /* borrowed: for the error line */
	int started;             /* the head went out: the status is 200 */
	int failed;              /* a send failed: nothing more is written */
	uint64_t lines;          /* lines sent */
} ndjson;

/**
 * ndjson_wanted - 1 when an Accept header value (NULL: none) asks for
 * NDJSON: one of its media ranges is exactly application/x-ndjson (any
 * case, parameters allowed) with a q not 0; else 0. "*" ranges do not
 * count: a client that did not name the type gets the one JSON document.
 */
int ndjson_wanted(const char *accept);

/** ndjson_init - nothing sent yet. @sink and @request_id must outlive @w. */
void ndjson_init(ndjson *w, const ndjson_sink *sink, const char *request_id);

/** 1 once the head went out (the status is 200 whatever follows), else 0. */
int ndjson_started(const ndjson *w);

/**
 * ndjson_output - an ecs_output_fn (<ecs/task.h>, @arg an ndjson *): one
 * line {"stream", "data"} for @len bytes of @stream (ECS_TASK_STDOUT or
 * ECS_TASK_STDERR), the head first when it has not gone out. Returns 0, or
 * -1 when the line could not be made or sent (the task is then cancelled).
 */
int ndjson_output(int stream, const unsigned char *data, size_t len, void *arg);

/**
 * ndjson_object - @obj (not consumed) as one line, the head first when it
 * has not gone out. Returns 0 or -1 (out of memory, or the send failed).
 */
int ndjson_object(ndjson *w, struct json_object *obj);

/**
 * ndjson_error_line - the last line {"error": DOC} of a failure after the
 * stream started. @doc, @len: the error document's JSON text as
 * response_error_document() made it (response.h), put in as it is. Returns
 * 0 or -1.
 */
int ndjson_error_line(ndjson *w, const char *doc, size_t len);

#endif
