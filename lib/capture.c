/*
 * libecs: live output capture on an attach stream (see capture.h).
 */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ecs/ecs.h>
#include "capture.h"
#include "demux.h"
#include "engine_private.h"
#include "http.h"
#include "stream.h"

/* The longest the loop sleeps before looking at the cancel token again. */
#define CANCEL_POLL_MS 50
/* Read in chunks this big; a fast writer fills the socket buffer in far less. */
#define READ_CHUNK 65536
/* Reads per wake-up before the loop looks at the clock and stdin again. */
#define READS_PER_WAKE 16

struct ecs_capture {
	ecs_engine *engine;
	ecs_stream *stream;
	ecs_demux demux;
	const unsigned char *in;     /* stdin still to write (the caller's bytes) */
	size_t in_left;
	int stdin_started;           /* the first run took @in */
	int stdin_done;              /* all written (or nobody reads) and half-closed */
	int eof;
};

int ecs_capture_attach(ecs_capture **out, ecs_engine *engine, const char *id, int with_stdin,
		size_t out_cap, size_t err_cap, long long deadline_ms)
{
	ecs_capture *c;
	char *esc = NULL, *path = NULL;
	int rc;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return ecs_engine_fail(engine, ECS_ENOMEM, "attach: out of memory");
	c->engine = engine;
	ecs_demux_init(&c->demux, out_cap, err_cap);
	c->stdin_done = !with_stdin;
	esc = ecs_http_escape(id);
	if (esc == NULL || asprintf(&path, "/containers/%s/attach?stream=1&stdout=1&stderr=1%s", esc,
			with_stdin ? "&stdin=1" : "") < 0) {
		path = NULL;
		rc = ecs_engine_fail(engine, ECS_ENOMEM, "attach: out of memory");
		goto out;
	}
	rc = ecs_stream_open(&c->stream, engine, path, deadline_ms, "attach");
out:
	free(path);
	free(esc);
	if (rc != ECS_OK) {
		ecs_capture_free(c);
		return rc;
	}
	*out = c;
	return ECS_OK;
}

/* Everything readable now goes through the demultiplexer. */
static int read_ready(ecs_capture *c)
{
	unsigned char buf[READ_CHUNK];

	for (int i = 0; i < READS_PER_WAKE && !c->eof; i++) {
		size_t n = 0;
		int rc = ecs_stream_recv(c->stream, buf, sizeof(buf), &n);

		if (rc == ECS_STREAM_AGAIN)
			return ECS_OK;
		if (rc < 0)
			return rc;
		if (n == 0) {
			c->eof = 1;
			if (ecs_demux_finish(&c->demux) != ECS_OK)
				return ecs_engine_fail(c->engine, ECS_EPROTO, "attach: the stream ended inside a frame");
			return ECS_OK;
		}
		rc = ecs_demux_feed(&c->demux, buf, n);
		if (rc == ECS_ENOMEM)
			return ecs_engine_fail(c->engine, rc, "attach: out of memory");
		if (rc != ECS_OK)
			return ecs_engine_fail(c->engine, rc, "attach: malformed multiplexed stream");
	}
	return ECS_OK;
}

/* Write what the socket takes; half-close once all is written or nobody reads any more. */
static int write_ready(ecs_capture *c)
{
	while (c->in_left > 0) {
		size_t n = 0;
		int rc = ecs_stream_send(c->stream, c->in, c->in_left, &n);

		if (rc == ECS_STREAM_AGAIN)
			return ECS_OK;
		if (rc < 0)
			return rc;
		if (ecs_stream_hung_up(c->stream)) {
			/* The process exited without reading it all: what it wrote still counts. */
			c->in_left = 0;
			break;
		}
		c->in += n;
		c->in_left -= n;
	}
	c->stdin_done = 1;
	return ecs_stream_shutdown_write(c->stream);
}

int ecs_capture_run(ecs_capture *c, const void *in, size_t in_len, long long deadline_ms, ecs_cancel *cancel)
{
	int rc;

	if (!c->stdin_started) {
		c->stdin_started = 1;
		c->in = in;
		c->in_left = in != NULL ? in_len : 0;
	}
	while (!c->eof) {
		long long left = deadline_ms - ecs_stream_now_ms();
		short events = POLLIN | POLLRDHUP;
		int ready;

		if (ecs_cancel_is_triggered(cancel))
			return ecs_engine_fail(c->engine, ECS_ECANCELED, "attach: cancelled");
		if (left <= 0)
			return ecs_engine_fail(c->engine, ECS_ETIMEDOUT, "attach: the output did not end in time");
		if (!c->stdin_done)
			events |= POLLOUT;
		ready = ecs_stream_wait(c->stream, events, left < CANCEL_POLL_MS ? (long)left : CANCEL_POLL_MS);
		if (ready < 0)
			return ecs_engine_fail(c->engine, ECS_ERROR, "attach: poll: %s", strerror(errno));
		if (ready & (POLLIN | POLLRDHUP | POLLHUP | POLLERR)) {
			rc = read_ready(c);
			if (rc != ECS_OK)
				return rc;
		}
		if (!c->stdin_done && !c->eof && (ready & (POLLOUT | POLLHUP | POLLERR))) {
			rc = write_ready(c);
			if (rc != ECS_OK)
				return rc;
		}
	}
	return ECS_OK;
}

int ecs_capture_done(const ecs_capture *c)
{
	return c->eof;
}

int ecs_capture_take(ecs_capture *c, ecs_buffer *out, ecs_buffer *err, uint64_t *out_bytes, uint64_t *err_bytes)
{
	if (ecs_demux_take(&c->demux, out, err) != ECS_OK)
		return ecs_engine_fail(c->engine, ECS_ENOMEM, "attach: out of memory");
	*out_bytes = c->demux.out_bytes;
	*err_bytes = c->demux.err_bytes;
	return ECS_OK;
}

void ecs_capture_free(ecs_capture *c)
{
	if (c == NULL)
		return;
	ecs_stream_close(c->stream);
	ecs_demux_clear(&c->demux);
	free(c);
}
