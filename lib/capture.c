/*
 * libecs: live output capture on an attach stream (see capture.h).
 */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ecs/ecs.h>
#include "clock.h"
#include "capture.h"
#include "container_private.h"
#include "demux.h"
#include "agent_proto.h"
#include "engine_private.h"
#include "http.h"
#include "stream.h"

/* The longest the loop sleeps before looking at the cancel token again. */
#define CANCEL_POLL_MS 50
/* Read in chunks this big; a fast writer fills the socket buffer in far less. */
#define READ_CHUNK 65536
/* Reads per wake-up before the loop looks at the clock and stdin again. */
#define READS_PER_WAKE 16
/* With two requests in flight beside the stream, how often the second is looked at. */
#define PUMP_SECOND_MS 10
/* Bytes of the agent's own messages kept (why a task did not run). */
#define AGENT_MSG_CAP 1024

struct ecs_capture {
	ecs_engine *engine;
	ecs_stream *stream;
	ecs_demux demux;
	const unsigned char *in;     /* stdin still to write (the caller's bytes) */
	size_t in_left;
	int stdin_started;           /* the first run took @in */
	int stdin_done;              /* all written (or nobody reads) and half-closed */
	int eof;
	/* ecs-agent mode: engine stream 1 carries the agent's frames (agent/PROTOCOL.md), one answer per request */
	int agent;
	int direct;                  /* the agent's direct channel: its frames come bare, not in the engine's stream 1 */
	ecs_agent_decoder dec;
	int started, exited;         /* the current answer's START and EXIT seen */
	ecs_agent_exit exit;
	char msg[AGENT_MSG_CAP];     /* its MESSAGE frames, NUL-terminated */
	size_t msg_len;
	ecs_buffer *data;            /* its DATA frames (a GET's tar), the caller's; NULL: none expected */
	size_t data_cap;
	uint64_t agent_stderr;       /* bytes on engine stream 2: the agent writes none */
	uint64_t received;           /* bytes the engine sent on the stream: it is alive while they come */
	int more;                    /* the last read_ready() stopped with bytes maybe still there */
	int broken;                  /* reading after a kill failed (its code): read no more */
	ecs_output_fn on_output;     /* live output, or NULL */
	void *on_output_arg;
	int refused;                 /* on_output returned non-zero: no more calls, the run is cancelled */
};

/* Hand task output to the live callback; a refusal is remembered, never an error of the stream. */
static void deliver(ecs_capture *c, int stream, const unsigned char *p, size_t n)
{
	if (c->on_output == NULL || c->refused || n == 0)
		return;
	if (c->on_output(stream, p, n, c->on_output_arg) != 0)
		c->refused = 1;
}

/* The plain stream's payload (a sink only while a callback is set): live, then capped. */
static int plain_sink(void *arg, int stream, const unsigned char *p, size_t n)
{
	ecs_capture *c = arg;

	deliver(c, stream == 1 ? ECS_TASK_STDOUT : ECS_TASK_STDERR, p, n);
	return ecs_demux_append(&c->demux, stream, p, n);
}

/* The agent's frames, as the engine's stream 1 delivers them: task output into the capped buffers. */
static int agent_sink(void *arg, int stream, const unsigned char *p, size_t n)
{
	ecs_capture *c = arg;

	if (stream != 1) {
		c->agent_stderr += n;
		return ECS_OK;
	}
	/* requests go one at a time: after an answer's EXIT nothing may come until the next is sent */
	if (c->exited && n > 0)
		return ecs_engine_fail(c->engine, ECS_EPROTO, "agent: bytes after EXIT");
	for (;;) {
		ecs_agent_event ev;
		int rc = ecs_agent_decode(&c->dec, &p, &n, &ev);

		if (rc != 0)
			return ecs_engine_fail(c->engine, ECS_EPROTO, "agent: %s", ecs_agent_strerror(rc));
		switch (ev.type) {
		case ECS_AGENT_EV_NONE:
			return ECS_OK;
		case ECS_AGENT_EV_START:
			c->started = 1;
			break;
		case ECS_AGENT_EV_EXIT:
			c->exited = 1;
			c->exit = ev.exit;
			if (n > 0)
				return ecs_engine_fail(c->engine, ECS_EPROTO, "agent: bytes after EXIT");
			return ECS_OK;
		case ECS_AGENT_EV_DATA:
			if (ev.stream == ECS_AGENT_FRAME_DATA) {
				if (c->data == NULL)
					return ecs_engine_fail(c->engine, ECS_EPROTO, "agent: DATA in an answer without any");
				rc = ecs_demux_append_capped(c->data, c->data_cap, ev.data, ev.len);
				if (rc != ECS_OK)
					return rc;
			} else if (ev.stream == ECS_AGENT_FRAME_MESSAGE) {
				size_t k = sizeof(c->msg) - 1 - c->msg_len;

				if (k > ev.len)
					k = ev.len;
				memcpy(c->msg + c->msg_len, ev.data, k);
				c->msg_len += k;
				c->msg[c->msg_len] = '\0';
			} else {
				int s = ev.stream == ECS_AGENT_FRAME_STDOUT ? 1 : 2;

				deliver(c, s == 1 ? ECS_TASK_STDOUT : ECS_TASK_STDERR, ev.data, ev.len);
				rc = ecs_demux_append(&c->demux, s, ev.data, ev.len);
				if (rc != ECS_OK)
					return rc;
			}
			break;
		}
	}
	return ECS_OK;
}

/* Agent mode: the stream carries the agent's frames, one answer per request; stdin is the requests'. */
static void agent_mode(ecs_capture *c)
{
	c->agent = 1;
	c->stdin_started = 1;
	ecs_agent_decoder_init(&c->dec);
	ecs_demux_set_sink(&c->demux, agent_sink, c);
}

int ecs_capture_attach_agent(ecs_capture **out, ecs_engine *engine, const char *id, long long deadline_ms)
{
	int rc = ecs_capture_attach(out, engine, id, 1, 0, 0, deadline_ms);

	if (rc != ECS_OK)
		return rc;
	agent_mode(*out);
	return ECS_OK;
}

/* A capture with no stream yet, keeping @out_cap and @err_cap bytes; NULL when out of memory. */
static ecs_capture *capture_new(ecs_engine *engine, size_t out_cap, size_t err_cap)
{
	ecs_capture *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->engine = engine;
	ecs_demux_init(&c->demux, out_cap, err_cap);
	return c;
}

int ecs_capture_adopt_agent(ecs_capture **out, ecs_engine *engine, int fd)
{
	ecs_capture *c = capture_new(engine, 0, 0);
	int rc;

	*out = NULL;
	if (c == NULL) {
		close(fd);
		return ecs_engine_fail(engine, ECS_ENOMEM, "agent channel: out of memory");
	}
	rc = ecs_stream_adopt(&c->stream, engine, fd, "agent channel");
	if (rc != ECS_OK) {
		ecs_capture_free(c);
		return rc;
	}
	agent_mode(c);
	c->direct = 1;
	*out = c;
	return ECS_OK;
}

void ecs_capture_on_output(ecs_capture *c, ecs_output_fn fn, void *arg)
{
	c->on_output = fn;
	c->on_output_arg = arg;
	c->refused = 0;
	/* the agent's sink already delivers; the plain stream needs one to see the payload */
	if (!c->agent)
		ecs_demux_set_sink(&c->demux, fn != NULL ? plain_sink : NULL, c);
}

int ecs_capture_output_refused(const ecs_capture *c)
{
	return c->refused;
}

void ecs_capture_agent_request(ecs_capture *c, const void *req, size_t len, size_t out_cap, size_t err_cap,
			       ecs_buffer *data, size_t data_cap)
{
	ecs_demux_restart(&c->demux, out_cap, err_cap);
	c->started = c->exited = 0;
	memset(&c->exit, 0, sizeof(c->exit));
	c->msg[0] = '\0';
	c->msg_len = 0;
	c->data = data;
	c->data_cap = data_cap;
	ecs_capture_agent_send(c, req, len);
}

void ecs_capture_agent_send(ecs_capture *c, const void *bytes, size_t len)
{
	c->in = bytes;
	c->in_left = len;
	c->stdin_done = len == 0;
}

int ecs_capture_agent_written(const ecs_capture *c)
{
	return c->stdin_done;
}

int ecs_capture_agent_end(ecs_capture *c)
{
	c->in_left = 0;
	c->stdin_done = 1;
	return ecs_stream_shutdown_write(c->stream);
}

int ecs_capture_agent_started(const ecs_capture *c)
{
	return c->started;
}

int ecs_capture_agent_exit(const ecs_capture *c, ecs_agent_exit *exit, const char **msg)
{
	if (msg != NULL)
		*msg = c->msg;
	if (!c->exited)
		return 0;
	if (exit != NULL)
		*exit = c->exit;
	return 1;
}

int ecs_capture_attach(ecs_capture **out, ecs_engine *engine, const char *id, int with_stdin,
		size_t out_cap, size_t err_cap, long long deadline_ms)
{
	ecs_capture *c;
	char *path = NULL;
	int rc;

	*out = NULL;
	c = capture_new(engine, out_cap, err_cap);
	if (c == NULL)
		return ecs_engine_fail(engine, ECS_ENOMEM, "attach: out of memory");
	c->stdin_done = !with_stdin;
	path = ecs_http_path("containers", id, with_stdin ? "/attach?stream=1&stdout=1&stderr=1&stdin=1"
							 : "/attach?stream=1&stdout=1&stderr=1");
	if (path == NULL) {
		rc = ecs_engine_fail(engine, ECS_ENOMEM, "attach: out of memory");
		goto out;
	}
	rc = ecs_stream_open(&c->stream, engine, path, deadline_ms, "attach");
out:
	free(path);
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

	c->more = 1;
	for (int i = 0; i < READS_PER_WAKE && !c->eof && !c->exited; i++) {
		size_t n = 0;
		int rc = ecs_stream_recv(c->stream, buf, sizeof(buf), &n);

		if (rc == ECS_STREAM_AGAIN) {
			c->more = 0;
			return ECS_OK;
		}
		if (rc < 0)
			return rc;
		if (n == 0) {
			c->eof = 1;
			/* An agent that ended without EXIT: the caller asks the engine (ecs_capture_agent_exit() is 0). */
			if (ecs_demux_finish(&c->demux) != ECS_OK)
				return ecs_engine_fail(c->engine, ECS_EPROTO, "attach: the stream ended inside a frame");
			return ECS_OK;
		}
		c->received += n;
		/* the channel's bytes are the agent's frames themselves: stream 1 without the engine's headers */
		rc = c->direct ? agent_sink(c, 1, buf, n) : ecs_demux_feed(&c->demux, buf, n);
		if (c->direct && rc != ECS_OK)
			return rc;
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
	/* the agent's stdin carries the next request too: it ends only by ecs_capture_agent_end() */
	if (c->agent)
		return ECS_OK;
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
	/* an agent's answer may end (EXIT) before all of its request is written: the rest still goes */
	while (!c->eof && (!c->exited || !c->stdin_done)) {
		long long left = deadline_ms - ecs_clock_ms();
		short events = c->exited ? 0 : POLLIN | POLLRDHUP;
		int ready;

		if (ecs_cancel_is_triggered(cancel))
			return ecs_engine_fail(c->engine, ECS_ECANCELED, "attach: cancelled");
		if (c->refused)
			return ecs_engine_fail(c->engine, ECS_ECANCELED, "attach: the output's reader went away");
		if (left <= 0)
			return ecs_engine_fail(c->engine, ECS_ETIMEDOUT, "attach: the output did not end in time");
		if (!c->stdin_done)
			events |= POLLOUT;
		ready = ecs_stream_wait(c->stream, events, left < CANCEL_POLL_MS ? (long)left : CANCEL_POLL_MS);
		if (ready < 0)
			return ecs_engine_fail(c->engine, ECS_ERROR, "attach: poll: %s", strerror(errno));
		if (!c->exited && (ready & (POLLIN | POLLRDHUP | POLLHUP | POLLERR))) {
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

/*
 * Read the output (no more stdin: the task is being stopped) while the
 * requests @a and @b (either may be NULL) are in flight, until one of them
 * ends (without any: until the stream does) or @deadline. The engine
 * completes a kill only once its attach writer can hand over what the
 * dying process wrote, so the reading must never wait for a request.
 * Returns 0, or ECS_ETIMEDOUT at @deadline. A stream that fails to read is
 * left alone (c->broken) while the requests go on.
 */
static int pump(ecs_capture *c, ecs_http_async *a, ecs_http_async *b, long long deadline)
{
	for (;;) {
		int reading = !c->eof && !c->exited && !c->broken;
		long long left = deadline - ecs_clock_ms();
		ecs_http_async *wait_on = a != NULL ? a : b;
		long wait_ms;
		int rc;

		if ((a != NULL && ecs_http_async_done(a)) || (b != NULL && ecs_http_async_done(b)) ||
		    (wait_on == NULL && !reading))
			return ECS_OK;
		if (left <= 0)
			return ECS_ETIMEDOUT;
		/* bytes already there (buffered, or more than one wake-up's reads) need no waiting */
		wait_ms = reading && c->more ? 0 : (left < CANCEL_POLL_MS ? (long)left : CANCEL_POLL_MS);
		/* two requests: sleep on one and the stream, look at the other often */
		if (a != NULL && b != NULL && wait_ms > PUMP_SECOND_MS)
			wait_ms = PUMP_SECOND_MS;
		if (wait_on != NULL)
			rc = ecs_http_async_wait(wait_on, reading ? ecs_stream_fd(c->stream) : -1, wait_ms);
		else
			rc = ecs_stream_wait(c->stream, POLLIN | POLLRDHUP, wait_ms) < 0 ? ECS_ERROR : ECS_OK;
		if (rc == ECS_OK && a != NULL && b != NULL)
			rc = ecs_http_async_wait(b, -1, 0);
		if (rc != ECS_OK)
			return rc;
		/* whatever woke us: recv never blocks, and tells end of stream and errors apart */
		if (reading && (rc = read_ready(c)) != ECS_OK)
			c->broken = rc;
	}
}

/* A finished kill: 1 when it landed (*@not_running set), else 0 with its failure in @why. */
static int kill_landed(ecs_capture *c, ecs_http_async *k, int *not_running, char *why, size_t why_size)
{
	int rc = ecs_container_kill_end(c->engine, k, not_running);

	if (rc == ECS_OK || rc == ECS_ENOTFOUND) {
		*not_running = *not_running || rc == ECS_ENOTFOUND;
		return 1;
	}
	snprintf(why, why_size, "%s: %s", ecs_error_name(rc), ecs_engine_errmsg(c->engine));
	return 0;
}

/*
 * The engine answers GET /_ping within ECS_CAPTURE_PING_MS: alive, only slow
 * to carry out a kill (container operations queue behind each other under
 * load; a ping does not). A stopped or dead engine does not answer.
 */
static int engine_answers(ecs_engine *e)
{
	return ecs_http_ping(e, ECS_CAPTURE_PING_MS) == ECS_OK;
}

int ecs_capture_kill(ecs_capture *c, const char *task_id, const char *id, ecs_capture_stop *st)
{
	ecs_engine *e = c->engine;
	long long t0 = ecs_clock_ms(), end = t0 + ECS_CAPTURE_STOP_MS, t1 = 0;
	ecs_http_async *k = NULL, *r = NULL;
	char why[sizeof(e->errmsg) + 64], rwhy[sizeof(e->errmsg) + 64];
	int rc, not_running = 0, rc_remove = ECS_ETIMEDOUT;
	uint64_t received = c->received;

	memset(st, 0, sizeof(*st));
	snprintf(why, sizeof(why), "ECS_ETIMEDOUT: no answer");
	snprintf(rwhy, sizeof(rwhy), "ECS_ETIMEDOUT: no answer");
	/* The kill may take the whole stop time: a late answer still counts. */
	rc = ecs_container_kill_begin(&k, e, id, ECS_CAPTURE_STOP_MS);
	if (rc != ECS_OK)
		snprintf(why, sizeof(why), "%s: %s", ecs_error_name(rc), ecs_engine_errmsg(e));
	else
		(void)pump(c, k, NULL, t0 + ECS_CAPTURE_KILL_MS);
	if (k != NULL && ecs_http_async_done(k)) {
		st->landed = kill_landed(c, k, &not_running, why, sizeof(why));
		k = NULL;
	}
	if (!st->landed) {
		/*
		 * Not in time, or refused: the engine's force removal kills it as
		 * well, and we need it gone. The kill stays in flight beside it.
		 */
		long long left;

		t1 = ecs_clock_ms();
		left = end - t1 > ECS_CAPTURE_REMOVE_MS ? end - t1 : ECS_CAPTURE_REMOVE_MS;
		rc = ecs_container_remove_begin(&r, e, id, (long)left);
		if (rc != ECS_OK)
			snprintf(rwhy, sizeof(rwhy), "%s: %s", ecs_error_name(rc), ecs_engine_errmsg(e));
		while (!st->landed && (k != NULL || r != NULL)) {
			if ((rc = pump(c, k, r, t1 + left)) != ECS_OK && rc != ECS_ETIMEDOUT)
				break;  /* cannot poll: give up on both */
			if (k != NULL && ecs_http_async_done(k)) {
				st->landed = kill_landed(c, k, &not_running, why, sizeof(why));
				k = NULL;
			} else if (r != NULL && ecs_http_async_done(r)) {
				rc_remove = ecs_container_remove_end(e, r);
				r = NULL;
				st->landed = st->force_removed = rc_remove == ECS_OK || rc_remove == ECS_ENOTFOUND;
				if (!st->landed)
					snprintf(rwhy, sizeof(rwhy), "%s: %s", ecs_error_name(rc_remove), ecs_engine_errmsg(e));
			} else if (ecs_clock_ms() >= t1 + left) {
				break;
			}
		}
	}
	st->kill_ms = (double)(ecs_clock_ms() - t0);
	/* what is still in flight is abandoned: its connection closes, the engine goes on with it */
	ecs_http_async_free(k);
	ecs_http_async_free(r);
	st->not_running = st->landed && !st->force_removed && not_running;
	if (st->landed && !st->force_removed)
		ecs_engine_log(e, ECS_LOG_INFO, "task %s: container %.12s: kill took %.0f ms%s", task_id, id,
			       st->kill_ms, st->not_running ? " (it was no longer running)" : "");
	else if (st->landed)
		ecs_engine_log(e, ECS_LOG_WARN, "task %s: container %.12s: kill did not land in %.0f ms (%s): "
			       "force-removed after %.0f ms", task_id, id, (double)(t1 - t0), why, st->kill_ms);
	else {
		char msg[sizeof(why) + sizeof(rwhy) + 160];

		snprintf(msg, sizeof(msg), "neither the kill nor the force removal landed in %.0f ms (kill: %s; "
			 "removal: %s)", st->kill_ms, why, rwhy);
		/*
		 * An engine that kept sending the task's output meanwhile is
		 * alive, only slow (load): it has both requests and carries them
		 * out; the answer is due. One that sent nothing may be stopped or
		 * gone: then nothing is known of the task. (Counted from the
		 * kill: a dying task's last output comes at once, and then the
		 * stream of an engine slow to note the exit is as silent as a
		 * stopped one's; what a stopped engine left in our socket was
		 * read before the timeout, unless it stopped just then.)
		 */
		st->sent = c->received > received;
		if (!st->sent && engine_answers(e))
			st->sent = 2;
		ecs_engine_log(e, ECS_LOG_WARN, "task %s: container %.12s: %s%s", task_id, id, msg,
			       st->sent == 1 ? "; the engine is alive (the output still came): counted as killed" :
			       st->sent == 2 ? "; the engine is alive (it answers a ping): counted as killed" : "");
		ecs_engine_fail(e, rc_remove != ECS_OK && rc_remove != ECS_ENOTFOUND ? rc_remove : ECS_ETIMEDOUT, "%s",
				msg);
	}
	/* The rest of the output: a killed container's stream ends at once. */
	t1 = ecs_clock_ms();
	if (pump(c, NULL, NULL, end > t1 + ECS_CAPTURE_EOF_MS ? end : t1 + ECS_CAPTURE_EOF_MS) != ECS_OK)
		ecs_engine_log(e, ECS_LOG_WARN, "task %s: container %.12s: the output did not end within %.0f ms "
			       "of the kill; what came until then is kept", task_id, id,
			       (double)(ecs_clock_ms() - t0));
	else if (c->broken)
		ecs_engine_log(e, ECS_LOG_WARN, "task %s: container %.12s: output after the kill lost (%s)", task_id,
			       id, ecs_error_name(c->broken));
	if (st->landed || st->sent)
		return ECS_OK;
	/* the handle's message says both, set above */
	return rc_remove != ECS_OK && rc_remove != ECS_ENOTFOUND ? rc_remove : ECS_ETIMEDOUT;
}

int ecs_capture_done(const ecs_capture *c)
{
	return c->eof || c->exited;
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
