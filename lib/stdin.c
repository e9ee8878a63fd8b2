/*
 * libecs: feed a running container's stdin through a hijacked attach
 * connection (stream.c): POST /containers/{id}/attach?stream=1&stdin=1.
 * Half-closing our side is what the process sees as end-of-file; the
 * container was made with StdinOnce, so the engine then closes the
 * process's stdin. (A task's own run attaches before start and also reads
 * the output: capture.c.)
 */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include <ecs/ecs.h>
#include "clock.h"
#include "container_private.h"
#include "engine_private.h"
#include "http.h"
#include "stream.h"

/* How often the drain loop looks at the send queue while nothing else happens. */
#define DRAIN_POLL_MS 5
/* How often a stalled exchange asks the engine whether the container still runs. */
#define STALL_CHECK_MS 100

/* One attach exchange; the fields live as long as the call. */
typedef struct {
	ecs_engine *engine;
	const char *id;
	ecs_stream *stream;
	long long deadline;  /* monotonic ms */
	int peer_closed;     /* the engine ended the attach, or the process is gone */
	long long next_state_check;
} attach;

/*
 * When the process exited before our attach, the engine (20.10) still
 * answers 101 but then neither reads nor closes the connection. So an
 * exchange that makes no progress asks, at most every STALL_CHECK_MS, whether
 * the container still runs; once it does not, nobody will read the rest.
 */
static void check_stopped(attach *a)
{
	ecs_container_info info;
	int rc;

	if (ecs_clock_ms() < a->next_state_check)
		return;
	rc = ecs_container_inspect(&info, a->engine, a->id);
	/* "created" will still run (a caller attaching before start): keep waiting for it. */
	if (rc == ECS_ENOTFOUND || (rc == ECS_OK && !info.running && strcmp(info.status, "created") != 0))
		a->peer_closed = 1;
	ecs_container_info_clear(&info);
	a->next_state_check = ecs_clock_ms() + STALL_CHECK_MS;
}

/*
 * Something to read on a stdin-only attach can only be the engine ending
 * it (end of stream), which it does once the container stopped; it then no
 * longer reads what we send. Bytes, if any, are not ours to keep.
 */
static void check_peer(attach *a)
{
	char scratch[4096];
	size_t n = 0;
	int rc = ecs_stream_recv(a->stream, scratch, sizeof(scratch), &n);

	if ((rc == ECS_OK && n == 0) || rc < 0)
		a->peer_closed = 1;
}

/* Wait for @events, at most @cap_ms and never past the deadline: revents, 0, or -1. */
static int wait_for(attach *a, short events, long cap_ms)
{
	long long left = a->deadline - ecs_clock_ms();

	if (left <= 0)
		return 0;
	return ecs_stream_wait(a->stream, events, left < cap_ms ? (long)left : cap_ms);
}

/* Write all of @data; ECS_OK also when the engine ended the attach halfway (a->peer_closed). */
static int send_all(attach *a, const unsigned char *p, size_t len)
{
	while (len > 0 && !a->peer_closed) {
		size_t n = 0;
		int rc = ecs_stream_send(a->stream, p, len, &n), ready;

		if (rc < 0)
			return rc;
		if (ecs_stream_hung_up(a->stream)) {
			a->peer_closed = 1;
			break;
		}
		p += n;
		len -= n;
		if (rc != ECS_STREAM_AGAIN)
			continue;
		ready = wait_for(a, POLLOUT | POLLIN | POLLRDHUP, STALL_CHECK_MS);
		if (ready < 0)
			return ecs_engine_fail(a->engine, ECS_ERROR, "attach stdin: poll: %s", strerror(errno));
		if (ready == 0) {
			if (a->deadline - ecs_clock_ms() <= 0)
				return ecs_engine_fail(a->engine, ECS_ETIMEDOUT, "attach stdin: timed out writing stdin");
			check_stopped(a);
			continue;
		}
		if (ready & (POLLIN | POLLRDHUP | POLLHUP | POLLERR))
			check_peer(a);
	}
	return ECS_OK;
}

/*
 * After the half-close, wait until the engine has read every byte we sent
 * (our send queue is empty) or has hung up, so that returning 0 means the
 * bytes were handed over, and closing cannot reset a connection whose data
 * is still in flight.
 */
static int drain(attach *a)
{
	while (ecs_stream_unsent(a->stream) > 0) {
		int ready = wait_for(a, POLLIN | POLLRDHUP, DRAIN_POLL_MS);

		if (ready < 0)
			return ecs_engine_fail(a->engine, ECS_ERROR, "attach stdin: poll: %s", strerror(errno));
		if (ready > 0) {
			check_peer(a);
			if (a->peer_closed)
				return ECS_OK;
			continue;
		}
		if (a->deadline - ecs_clock_ms() <= 0)
			return ecs_engine_fail(a->engine, ECS_ETIMEDOUT,
					"attach stdin: timed out: the process did not read all of its stdin");
		check_stopped(a);
		if (a->peer_closed)
			return ECS_OK;
	}
	return ECS_OK;
}

int ecs_container_send_stdin(ecs_engine *engine, const char *id, const void *data, size_t len, long timeout_ms)
{
	attach a;
	char *path = NULL;
	int rc;

	if (engine == NULL)
		return ECS_EINVAL;
	ecs_engine_clear_error(engine);
	if (id == NULL || id[0] == '\0')
		return ecs_engine_fail(engine, ECS_EINVAL, "attach stdin: no container id");
	if (data == NULL && len > 0)
		return ecs_engine_fail(engine, ECS_EINVAL, "attach stdin: no data");
	if (timeout_ms < 0)
		return ecs_engine_fail(engine, ECS_EINVAL, "attach stdin: negative timeout");
	if (timeout_ms == 0)
		timeout_ms = engine->opts.request_timeout_ms;

	memset(&a, 0, sizeof(a));
	a.engine = engine;
	a.id = id;
	a.deadline = ecs_clock_ms() + timeout_ms;
	/* Only a stall that outlasts the first check period is worth a request. */
	a.next_state_check = ecs_clock_ms() + STALL_CHECK_MS;
	path = ecs_http_path("containers", id, "/attach?stream=1&stdin=1");
	if (path == NULL) {
		rc = ecs_engine_fail(engine, ECS_ENOMEM, "attach stdin: out of memory");
		goto out;
	}
	rc = ecs_stream_open(&a.stream, engine, path, a.deadline, "attach stdin");
	if (rc == ECS_OK)
		rc = send_all(&a, data, len);
	if (rc == ECS_OK && !a.peer_closed)
		rc = ecs_stream_shutdown_write(a.stream);
	if (rc == ECS_OK && !a.peer_closed)
		rc = drain(&a);
	if (a.peer_closed)
		ecs_engine_log(engine, ECS_LOG_DEBUG, "container %s: the process stopped before reading all of its stdin", id);
out:
	ecs_stream_close(a.stream);
	free(path);
	return rc;
}
