/*
 * remote_answer.h - reading a streamed task answer (application/x-ndjson,
 * docs/api/openapi.yaml): bytes in as they arrive, split into lines; each
 * output line's bytes written at once to our stdout or stderr, the last
 * line (the result, or {"error": ...}) kept. No I/O but those writes, so a
 * test or a fuzzer feeds it anything.
 */
#ifndef ECSRUN_REMOTE_ANSWER_H
#define ECSRUN_REMOTE_ANSWER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

/* The longest line taken: the result's artifacts (16 MiB by default, in base64) fit many times over. */
#define REMOTE_LINE_MAX (256u * 1024u * 1024u)

typedef struct {
	FILE *out, *err;        /* where the task's stdout and stderr go (flushed a line at a time) */
	char *line;             /* the line so far (owned) */
	size_t len, cap;
	json_object *result;    /* the result line, once it came (owned) */
	json_object *error;     /* the error line's document, once it came (owned) */
	int failed;             /* the stream broke the format, or a write failed: @why says */
	char why[256];
	uint64_t out_bytes, err_bytes;
} remote_answer;

/** remote_answer_init - an empty reader writing to @out and @err. */
void remote_answer_init(remote_answer *a, FILE *out, FILE *err);

/**
 * remote_answer_feed - @len more bytes of the body. Returns 0, or -1 once
 * the stream broke the format (a line that is not a JSON object of a known
 * shape, a line after the last, base64 that does not decode, a line over
 * REMOTE_LINE_MAX) or our output could not be written; @why says which.
 */
int remote_answer_feed(remote_answer *a, const char *data, size_t len);

/**
 * remote_answer_finish - the body ended. Returns 0 when its last line (the
 * result or an error) came, else -1 with @why set (the service or the
 * connection went away mid-task).
 */
int remote_answer_finish(remote_answer *a);

/** remote_answer_clear - free what @a holds. */
void remote_answer_clear(remote_answer *a);

#endif
