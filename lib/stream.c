/*
 * libecs: hijacked attach streams (see stream.h).
 *
 * libcurl cannot speak an upgraded connection through its HTTP engine, so we
 * let it only connect (CURLOPT_CONNECT_ONLY, with the settings every request
 * of the handle uses: same endpoint, same TLS) and write the request
 * ourselves; after the 101 the connection is a plain byte pipe that
 * curl_easy_send/recv move bytes on, through TLS where there is one.
 */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/sockios.h>

#include <curl/curl.h>

#include <ecs/ecs.h>
#include "clock.h"
#include "engine_private.h"
#include "http.h"
#include "stream.h"

#define MAX_HEADERS 16384
#define MAX_ERROR_BODY 65536

struct ecs_stream {
	ecs_engine *engine;
	CURL *curl;
	curl_socket_t fd;
	const char *what;
	char head[MAX_HEADERS + 1];  /* the answer's headers, then what followed them */
	size_t head_len;
	size_t pending_off;          /* bytes of head[] after the headers not yet read */
	size_t pending_end;
	int hung_up;
	int masked;
	int pipe_was_pending;
	sigset_t old_set;
};

int ecs_stream_fd(const ecs_stream *s)
{
	return (int)s->fd;
}

int ecs_stream_hung_up(const ecs_stream *s)
{
	return s->hung_up;
}

int ecs_stream_wait(ecs_stream *s, short events, long timeout_ms)
{
	struct pollfd p = { .fd = s->fd, .events = events, .revents = 0 };
	long long deadline = ecs_clock_ms() + (timeout_ms > 0 ? timeout_ms : 0);

	if ((events & POLLIN) && s->pending_off < s->pending_end)
		return POLLIN;
	for (;;) {
		long long left = deadline - ecs_clock_ms();
		int n = poll(&p, 1, left > 0 ? (int)left : 0);

		if (n > 0)
			return p.revents;
		if (n == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

/* The engine hung up on us: the attach ended because the container stopped. */
static int is_hangup(int err)
{
	return err == EPIPE || err == ECONNRESET;
}

/* An adopted socket's read (ecs_stream_adopt()): no TLS, no curl between. */
static int plain_recv(ecs_stream *s, void *buf, size_t room, size_t *got)
{
	ssize_t n;

	do
		n = recv(s->fd, buf, room, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n >= 0) {
		*got = (size_t)n;
		return ECS_OK;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return ECS_STREAM_AGAIN;
	if (is_hangup(errno))
		return ECS_OK;
	return ecs_engine_fail(s->engine, ECS_EUNAVAILABLE, "%s: reading: %s", s->what, strerror(errno));
}

/* An adopted socket's write: MSG_NOSIGNAL, so no SIGPIPE to mask. */
static int plain_send(ecs_stream *s, const void *data, size_t len, size_t *sent)
{
	ssize_t n;

	do
		n = send(s->fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n >= 0) {
		*sent = (size_t)n;
		return ECS_OK;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return ECS_STREAM_AGAIN;
	if (is_hangup(errno)) {
		s->hung_up = 1;
		return ECS_OK;
	}
	return ecs_engine_fail(s->engine, ECS_EUNAVAILABLE, "%s: writing: %s", s->what, strerror(errno));
}

int ecs_stream_recv(ecs_stream *s, void *buf, size_t room, size_t *got)
{
	CURLcode cc;
	size_t n = 0;

	*got = 0;
	if (s->pending_off < s->pending_end) {
		n = s->pending_end - s->pending_off;
		if (n > room)
			n = room;
		memcpy(buf, s->head + s->pending_off, n);
		s->pending_off += n;
		*got = n;
		return ECS_OK;
	}
	if (s->curl == NULL)
		return plain_recv(s, buf, room, got);
	errno = 0;
	cc = curl_easy_recv(s->curl, buf, room, &n);
	if (cc == CURLE_OK) {
		*got = n;
		return ECS_OK;
	}
	if (cc == CURLE_AGAIN)
		return ECS_STREAM_AGAIN;
	if (is_hangup(errno))
		return ECS_OK;  /* end of stream */
	return ecs_engine_fail(s->engine, ECS_EUNAVAILABLE, "%s: reading: %s", s->what, curl_easy_strerror(cc));
}

int ecs_stream_send(ecs_stream *s, const void *data, size_t len, size_t *sent)
{
	CURLcode cc;
	size_t n = 0;

	*sent = 0;
	if (s->hung_up)
		return ECS_OK;
	if (s->curl == NULL)
		return plain_send(s, data, len, sent);
	errno = 0;
	cc = curl_easy_send(s->curl, data, len, &n);
	if (cc == CURLE_OK) {
		*sent = n;
		return ECS_OK;
	}
	if (cc == CURLE_AGAIN)
		return ECS_STREAM_AGAIN;
	if (is_hangup(errno)) {
		s->hung_up = 1;
		return ECS_OK;
	}
	return ecs_engine_fail(s->engine, ECS_EUNAVAILABLE, "%s: writing: %s", s->what, curl_easy_strerror(cc));
}

int ecs_stream_shutdown_write(ecs_stream *s)
{
	if (shutdown(s->fd, SHUT_WR) == 0 || is_hangup(errno) || errno == ENOTCONN)
		return ECS_OK;
	return ecs_engine_fail(s->engine, ECS_ERROR, "%s: shutdown: %s", s->what, strerror(errno));
}

size_t ecs_stream_unsent(const ecs_stream *s)
{
	int queued = 0;

	if (ioctl(s->fd, SIOCOUTQ, &queued) != 0 || queued < 0)
		return 0;
	return (size_t)queued;
}

/* Blocking write of all of @data, bounded by @deadline. */
static int send_all(ecs_stream *s, const char *data, size_t len, long long deadline)
{
	while (len > 0) {
		size_t n = 0;
		int rc = ecs_stream_send(s, data, len, &n);
		long long left = deadline - ecs_clock_ms();

		if (rc < 0)
			return rc;
		if (s->hung_up)
			return ecs_engine_fail(s->engine, ECS_EUNAVAILABLE, "%s: the engine closed the connection",
					s->what);
		data += n;
		len -= n;
		if (rc == ECS_STREAM_AGAIN) {
			if (left <= 0)
				return ecs_engine_fail(s->engine, ECS_ETIMEDOUT, "%s: timed out sending the request",
						s->what);
			if (ecs_stream_wait(s, POLLOUT, (long)left) < 0)
				return ecs_engine_fail(s->engine, ECS_ERROR, "%s: poll: %s", s->what, strerror(errno));
		}
	}
	return ECS_OK;
}

/* Blocking read of some bytes, bounded by @deadline: the count, 0 at end of stream, or an error. */
static long recv_some(ecs_stream *s, char *dst, size_t room, long long deadline)
{
	for (;;) {
		size_t n = 0;
		int rc = ecs_stream_recv(s, dst, room, &n);
		long long left;
		int ready;

		if (rc == ECS_OK)
			return (long)n;
		if (rc < 0)
			return rc;
		left = deadline - ecs_clock_ms();
		if (left <= 0)
			return ecs_engine_fail(s->engine, ECS_ETIMEDOUT, "%s: timed out waiting for the engine", s->what);
		ready = ecs_stream_wait(s, POLLIN | POLLRDHUP, (long)left);
		if (ready < 0)
			return ecs_engine_fail(s->engine, ECS_ERROR, "%s: poll: %s", s->what, strerror(errno));
	}
}

/* The Content-Length header's value, or -1 when absent. */
static long content_length(const char *headers)
{
	const char *p = headers;

	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, "Content-Length:", 15) == 0)
			return strtol(p + 15, NULL, 10);
	}
	return -1;
}

/* A refused upgrade: collect the error body and let the transport's rules classify it. */
static int refused(ecs_stream *s, long status, size_t header_len, long long deadline)
{
	ecs_http_response resp = { status, NULL, 0 };
	size_t body_have = s->head_len - header_len;
	long want;
	int rc;

	s->head[header_len - 2] = '\0';  /* headers only, for content_length() */
	want = content_length(s->head);
	resp.body = malloc(MAX_ERROR_BODY + 1);
	if (resp.body == NULL)
		return ecs_engine_fail(s->engine, ECS_ENOMEM, "%s: out of memory", s->what);
	if (body_have > MAX_ERROR_BODY)
		body_have = MAX_ERROR_BODY;
	memcpy(resp.body, s->head + header_len, body_have);
	resp.len = body_have;
	while (resp.len < MAX_ERROR_BODY && (want < 0 || resp.len < (size_t)want)) {
		long n = recv_some(s, resp.body + resp.len, MAX_ERROR_BODY - resp.len, deadline);

		if (n <= 0)
			break;  /* the status alone still says enough */
		resp.len += (size_t)n;
	}
	resp.body[resp.len] = '\0';
	rc = ecs_http_fail(s->engine, &resp, s->what);
	ecs_http_response_clear(&resp);
	return rc;
}

/* Read up to the end of the answer's headers; 101/200 keep what followed them. */
static int read_answer(ecs_stream *s, long long deadline)
{
	long status = 0;
	size_t header_len;
	char *end;

	for (;;) {
		long n;

		s->head[s->head_len] = '\0';
		end = strstr(s->head, "\r\n\r\n");
		if (end != NULL)
			break;
		if (s->head_len >= MAX_HEADERS)
			return ecs_engine_fail(s->engine, ECS_EPROTO, "%s: answer headers too long", s->what);
		n = recv_some(s, s->head + s->head_len, MAX_HEADERS - s->head_len, deadline);
		if (n < 0)
			return (int)n;
		if (n == 0)
			return ecs_engine_fail(s->engine, ECS_EPROTO,
					"%s: the engine closed the connection without an answer", s->what);
		s->head_len += (size_t)n;
	}
	header_len = (size_t)(end - s->head) + 4;
	if (sscanf(s->head, "HTTP/%*d.%*d %ld", &status) != 1)
		return ecs_engine_fail(s->engine, ECS_EPROTO, "%s: not an HTTP answer", s->what);
	if (status != 101 && status != 200)
		return refused(s, status, header_len, deadline);
	s->pending_off = header_len;
	s->pending_end = s->head_len;
	return ECS_OK;
}

static int connect_only(ecs_stream *s, long long deadline)
{
	ecs_engine *e = s->engine;
	long long left = deadline - ecs_clock_ms();
	long connect_ms = e->opts.connect_timeout_ms;
	CURLcode cc;

	if (left < connect_ms)
		connect_ms = left > 0 ? (long)left : 1;
	s->curl = curl_easy_init();
	if (s->curl == NULL)
		return ecs_engine_fail(e, ECS_ENOMEM, "%s: out of memory", s->what);
	ecs_http_setup(e, s->curl, connect_ms);
	curl_easy_setopt(s->curl, CURLOPT_URL, e->base_url);
	curl_easy_setopt(s->curl, CURLOPT_CONNECT_ONLY, 1L);
	/* We write HTTP/1.1 ourselves: ALPN must not settle on h2 with a TLS endpoint. */
	curl_easy_setopt(s->curl, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	cc = curl_easy_perform(s->curl);
	if (cc == CURLE_OPERATION_TIMEDOUT)
		return ecs_engine_fail(e, ECS_ETIMEDOUT, "%s: connecting to %s timed out", s->what, e->endpoint);
	if (cc != CURLE_OK)
		return ecs_engine_fail(e, ECS_EUNAVAILABLE, "%s: connecting to %s: %s", s->what, e->endpoint,
				curl_easy_strerror(cc));
	if (curl_easy_getinfo(s->curl, CURLINFO_ACTIVESOCKET, &s->fd) != CURLE_OK || s->fd == CURL_SOCKET_BAD)
		return ecs_engine_fail(e, ECS_ERROR, "%s: no socket from libcurl", s->what);
	return ECS_OK;
}

/* The request line and headers; "Host" from the base URL ("http://localhost" for unix sockets). */
static char *upgrade_request(const ecs_engine *e, const char *path)
{
	const char *host = strstr(e->base_url, "://");
	char *req = NULL;

	host = host != NULL ? host + 3 : e->base_url;
	if (asprintf(&req,
			"POST /v%s%s HTTP/1.1\r\n"
			"Host: %s\r\n"
			"User-Agent: libecs/" ECS_VERSION_STRING "\r\n"
			"Content-Type: text/plain\r\n"
			"Content-Length: 0\r\n"
			"Connection: Upgrade\r\n"
			"Upgrade: tcp\r\n"
			"\r\n", e->api_version, path, host) < 0)
		req = NULL;
	return req;
}

/*
 * libcurl sends with MSG_NOSIGNAL where it can, but a TLS library or an
 * older libcurl may not: block SIGPIPE on this thread while the stream is
 * open, and swallow one we caused (leaving one that was already pending).
 */
static void mask_sigpipe(ecs_stream *s)
{
	sigset_t pipe_set, pending;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	if (pthread_sigmask(SIG_BLOCK, &pipe_set, &s->old_set) == 0) {
		s->masked = 1;
		if (sigpending(&pending) == 0)
			s->pipe_was_pending = sigismember(&pending, SIGPIPE) == 1;
	}
}

static void unmask_sigpipe(ecs_stream *s)
{
	sigset_t pipe_set, pending;
	struct timespec zero = { 0, 0 };

	if (!s->masked)
		return;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	if (!s->pipe_was_pending && sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &s->old_set, NULL);
}

int ecs_stream_open(ecs_stream **out, ecs_engine *engine, const char *path, long long deadline_ms,
		const char *what)
{
	ecs_stream *s;
	char *request;
	int rc;

	*out = NULL;
	rc = ecs_http_negotiate(engine);
	if (rc != ECS_OK)
		return rc;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return ecs_engine_fail(engine, ECS_ENOMEM, "%s: out of memory", what);
	s->engine = engine;
	s->what = what;
	s->fd = CURL_SOCKET_BAD;
	mask_sigpipe(s);
	rc = connect_only(s, deadline_ms);
	if (rc == ECS_OK) {
		request = upgrade_request(engine, path);
		if (request == NULL)
			rc = ecs_engine_fail(engine, ECS_ENOMEM, "%s: out of memory", what);
		else
			rc = send_all(s, request, strlen(request), deadline_ms);
		free(request);
	}
	if (rc == ECS_OK)
		rc = read_answer(s, deadline_ms);
	if (rc != ECS_OK) {
		ecs_stream_close(s);
		return rc;
	}
	*out = s;
	return ECS_OK;
}

int ecs_stream_adopt(ecs_stream **out, ecs_engine *engine, int fd, const char *what)
{
	ecs_stream *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (s == NULL) {
		close(fd);
		return ecs_engine_fail(engine, ECS_ENOMEM, "%s: out of memory", what);
	}
	s->engine = engine;
	s->what = what;
	s->fd = fd;
	*out = s;
	return ECS_OK;
}

void ecs_stream_close(ecs_stream *s)
{
	if (s == NULL)
		return;
	if (s->curl == NULL && s->fd != CURL_SOCKET_BAD)
		close(s->fd);
	curl_easy_cleanup(s->curl);
	unmask_sigpipe(s);
	free(s);
}
