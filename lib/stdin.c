/*
 * libecs: feed a container's stdin through a hijacked attach connection.
 *
 * POST /containers/{id}/attach?stream=1&stdin=1 with "Upgrade: tcp" turns
 * the HTTP connection into a raw byte pipe to the process's stdin. libcurl
 * cannot speak that through its HTTP engine, so we let it only connect
 * (CURLOPT_CONNECT_ONLY: same endpoint, same TLS settings as the handle) and
 * write the request ourselves. Half-closing our side is what the process
 * sees as end-of-file; the container was made with StdinOnce, so the engine
 * then closes the process's stdin.
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
#include <linux/sockios.h>

#include <curl/curl.h>

#include <ecs/ecs.h>
#include "engine_private.h"
#include "http.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 5000L
#define DEFAULT_REQUEST_TIMEOUT_MS 30000L
#define MAX_HEADERS 16384
#define MAX_ERROR_BODY 65536
/* How often the drain loop looks at the send queue while nothing else happens. */
#define DRAIN_POLL_MS 5
/* How often a stalled exchange asks the engine whether the container still runs. */
#define STALL_CHECK_MS 100

/* One attach exchange; the fields live as long as the call. */
typedef struct {
	ecs_engine *engine;
	const char *id;
	CURL *curl;
	curl_socket_t fd;
	long long deadline;  /* monotonic ms */
	char buf[MAX_HEADERS + 1];
	size_t have;
	int peer_closed;     /* the engine ended the attach, or the process is gone */
	long long next_state_check;
} attach;

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until @fd is ready for @events or the deadline: the revents, 0 timed out, -1 error. */
static int wait_fd(const attach *a, short events, long cap_ms)
{
	for (;;) {
		long long left = a->deadline - now_ms();
		struct pollfd p = { .fd = a->fd, .events = events, .revents = 0 };
		int n;

		if (left <= 0)
			return 0;
		if (cap_ms > 0 && left > cap_ms)
			left = cap_ms;
		n = poll(&p, 1, (int)left);
		if (n > 0)
			return p.revents;
		if (n == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

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

	if (now_ms() < a->next_state_check)
		return;
	rc = ecs_container_inspect(&info, a->engine, a->id);
	/* "created" will still run (a caller attaching before start): keep waiting for it. */
	if (rc == ECS_ENOTFOUND || (rc == ECS_OK && !info.running && strcmp(info.status, "created") != 0))
		a->peer_closed = 1;
	ecs_container_info_clear(&info);
	a->next_state_check = now_ms() + STALL_CHECK_MS;
}

/* The engine hung up on us: the attach ended because the container stopped. */
static int is_hangup(int err)
{
	return err == EPIPE || err == ECONNRESET;
}

/*
 * Something to read while we write: after the upgrade, that can only be the
 * engine ending the attach (end of stream), which it does once the container
 * stopped; it then no longer reads what we send. Sets a->peer_closed.
 */
static void check_peer(attach *a)
{
	char scratch[4096];
	size_t n = 0;
	CURLcode cc;

	errno = 0;
	cc = curl_easy_recv(a->curl, scratch, sizeof(scratch), &n);
	if ((cc == CURLE_OK && n == 0) || (cc != CURLE_OK && cc != CURLE_AGAIN))
		a->peer_closed = 1;
	/* Bytes on a stdin-only attach are not ours to keep: dropped. */
}

/*
 * Write all of @data. ECS_OK also when the engine ended the attach halfway
 * (a->peer_closed set): the process exited without reading it all.
 */
static int send_all(attach *a, const void *data, size_t len, const char *what)
{
	const unsigned char *p = data;

	while (len > 0 && !a->peer_closed) {
		size_t n = 0;
		CURLcode cc;
		int ready;

		errno = 0;
		cc = curl_easy_send(a->curl, p, len, &n);
		if (cc == CURLE_OK) {
			p += n;
			len -= n;
			continue;
		}
		if (cc != CURLE_AGAIN) {
			if (is_hangup(errno)) {
				a->peer_closed = 1;
				return ECS_OK;
			}
			return ecs_engine_fail(a->engine, ECS_EUNAVAILABLE, "attach stdin: %s: %s", what,
					curl_easy_strerror(cc));
		}
		ready = wait_fd(a, POLLOUT | POLLIN | POLLRDHUP, STALL_CHECK_MS);
		if (ready < 0)
			return ecs_engine_fail(a->engine, ECS_ERROR, "attach stdin: poll: %s", strerror(errno));
		if (ready == 0) {
			if (a->deadline - now_ms() <= 0)
				return ecs_engine_fail(a->engine, ECS_ETIMEDOUT, "attach stdin: timed out %s", what);
			check_stopped(a);
			continue;
		}
		if (ready & (POLLIN | POLLRDHUP | POLLHUP | POLLERR))
			check_peer(a);
	}
	return ECS_OK;
}

/*
 * Read into @dst, waiting up to the deadline. Returns the byte count (0 at end of stream),
 * ECS_ETIMEDOUT, or another negative code; a hang-up counts as end of stream.
 */
static long recv_some(attach *a, char *dst, size_t room)
{
	for (;;) {
		size_t n = 0;
		CURLcode cc;
		int ready;

		errno = 0;
		cc = curl_easy_recv(a->curl, dst, room, &n);
		if (cc == CURLE_OK)
			return (long)n;
		if (cc != CURLE_AGAIN) {
			if (is_hangup(errno))
				return 0;
			return ecs_engine_fail(a->engine, ECS_EUNAVAILABLE, "attach stdin: reading the answer: %s",
					curl_easy_strerror(cc));
		}
		ready = wait_fd(a, POLLIN | POLLRDHUP, 0);
		if (ready == 0)
			return ecs_engine_fail(a->engine, ECS_ETIMEDOUT, "attach stdin: timed out waiting for the engine");
		if (ready < 0)
			return ecs_engine_fail(a->engine, ECS_ERROR, "attach stdin: poll: %s", strerror(errno));
	}
}

/* Read up to the end of the response headers; the status through @status. */
static int read_headers(attach *a, long *status, size_t *header_len)
{
	char *end;

	for (;;) {
		long n;

		a->buf[a->have] = '\0';
		end = strstr(a->buf, "\r\n\r\n");
		if (end != NULL)
			break;
		if (a->have >= MAX_HEADERS)
			return ecs_engine_fail(a->engine, ECS_EPROTO, "attach stdin: response headers too long");
		n = recv_some(a, a->buf + a->have, MAX_HEADERS - a->have);
		if (n < 0)
			return (int)n;
		if (n == 0)
			return ecs_engine_fail(a->engine, ECS_EPROTO,
					"attach stdin: the engine closed the connection without an answer");
		a->have += (size_t)n;
	}
	*header_len = (size_t)(end - a->buf) + 4;
	if (sscanf(a->buf, "HTTP/%*d.%*d %ld", status) != 1)
		return ecs_engine_fail(a->engine, ECS_EPROTO, "attach stdin: not an HTTP answer");
	return ECS_OK;
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

/* A refused attach: collect the error body and let the transport's rules classify it. */
static int refused(attach *a, long status, size_t header_len)
{
	ecs_http_response resp = { status, NULL, 0 };
	long want;
	size_t body_have = a->have - header_len;
	int rc;

	a->buf[header_len - 2] = '\0';  /* headers only, for content_length() */
	want = content_length(a->buf);
	resp.body = malloc(MAX_ERROR_BODY + 1);
	if (resp.body == NULL)
		return ecs_engine_fail(a->engine, ECS_ENOMEM, "attach stdin: out of memory");
	if (body_have > MAX_ERROR_BODY)
		body_have = MAX_ERROR_BODY;
	memcpy(resp.body, a->buf + header_len, body_have);
	resp.len = body_have;
	while (resp.len < MAX_ERROR_BODY && (want < 0 || resp.len < (size_t)want)) {
		long n = recv_some(a, resp.body + resp.len, MAX_ERROR_BODY - resp.len);

		if (n <= 0)
			break;  /* the status alone still says enough */
		resp.len += (size_t)n;
	}
	resp.body[resp.len] = '\0';
	rc = ecs_http_fail(a->engine, &resp, "attach stdin");
	ecs_http_response_clear(&resp);
	return rc;
}

/*
 * After the half-close, wait until the engine has read every byte we sent
 * (our send queue is empty) or has hung up, so that returning 0 means the
 * bytes were handed over, and closing cannot reset a connection whose data
 * is still in flight.
 */
static int drain(attach *a)
{
	for (;;) {
		int queued = 0;
		int ready;

		if (ioctl(a->fd, SIOCOUTQ, &queued) != 0)
			return ECS_OK;  /* no way to tell: the kernel still delivers what is queued */
		if (queued == 0)
			return ECS_OK;
		ready = wait_fd(a, POLLIN | POLLRDHUP, DRAIN_POLL_MS);
		if (ready < 0)
			return ecs_engine_fail(a->engine, ECS_ERROR, "attach stdin: poll: %s", strerror(errno));
		if (ready > 0) {
			check_peer(a);
			if (a->peer_closed)
				return ECS_OK;
			continue;
		}
		if (a->deadline - now_ms() <= 0)
			return ecs_engine_fail(a->engine, ECS_ETIMEDOUT,
					"attach stdin: timed out: the process did not read all of its stdin");
		check_stopped(a);
		if (a->peer_closed)
			return ECS_OK;
	}
}

/* Connect with the handle's endpoint and TLS settings, nothing more. */
static int connect_only(attach *a)
{
	ecs_engine *e = a->engine;
	long connect_ms = e->opts.connect_timeout_ms > 0 ? e->opts.connect_timeout_ms : DEFAULT_CONNECT_TIMEOUT_MS;
	long long left = a->deadline - now_ms();
	CURLcode cc;

	if (left < connect_ms)
		connect_ms = left > 0 ? (long)left : 1;
	a->curl = curl_easy_init();
	if (a->curl == NULL)
		return ecs_engine_fail(e, ECS_ENOMEM, "attach stdin: out of memory");
	curl_easy_setopt(a->curl, CURLOPT_URL, e->base_url);
	if (e->socket_path != NULL)
		curl_easy_setopt(a->curl, CURLOPT_UNIX_SOCKET_PATH, e->socket_path);
	curl_easy_setopt(a->curl, CURLOPT_CONNECT_ONLY, 1L);
	/* We write HTTP/1.1 ourselves: ALPN must not settle on h2 with a TLS endpoint. */
	curl_easy_setopt(a->curl, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(a->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(a->curl, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	if (e->tls) {
		if (e->ca_file != NULL)
			curl_easy_setopt(a->curl, CURLOPT_CAINFO, e->ca_file);
		if (e->cert_file != NULL)
			curl_easy_setopt(a->curl, CURLOPT_SSLCERT, e->cert_file);
		if (e->key_file != NULL)
			curl_easy_setopt(a->curl, CURLOPT_SSLKEY, e->key_file);
	}
	cc = curl_easy_perform(a->curl);
	if (cc == CURLE_OPERATION_TIMEDOUT)
		return ecs_engine_fail(e, ECS_ETIMEDOUT, "attach stdin: connecting to %s timed out", e->endpoint);
	if (cc != CURLE_OK)
		return ecs_engine_fail(e, ECS_EUNAVAILABLE, "attach stdin: connecting to %s: %s", e->endpoint,
				curl_easy_strerror(cc));
	if (curl_easy_getinfo(a->curl, CURLINFO_ACTIVESOCKET, &a->fd) != CURLE_OK || a->fd == CURL_SOCKET_BAD)
		return ecs_engine_fail(e, ECS_ERROR, "attach stdin: no socket from libcurl");
	return ECS_OK;
}

/* The request line and headers; "Host" from the base URL ("http://localhost" for unix sockets). */
static char *attach_request(const ecs_engine *e, const char *id)
{
	const char *host = strstr(e->base_url, "://");
	char *esc = ecs_http_escape(id);
	char *req = NULL;

	host = host != NULL ? host + 3 : e->base_url;
	if (esc == NULL)
		return NULL;
	if (asprintf(&req,
			"POST /v%s/containers/%s/attach?stream=1&stdin=1 HTTP/1.1\r\n"
			"Host: %s\r\n"
			"User-Agent: libecs/" ECS_VERSION_STRING "\r\n"
			"Content-Type: text/plain\r\n"
			"Content-Length: 0\r\n"
			"Connection: Upgrade\r\n"
			"Upgrade: tcp\r\n"
			"\r\n", e->api_version, esc, host) < 0)
		req = NULL;
	free(esc);
	return req;
}

static int exchange(attach *a, const char *id, const void *data, size_t len)
{
	char *request = NULL;
	size_t header_len = 0;
	long status = 0;
	int rc;

	request = attach_request(a->engine, id);
	if (request == NULL)
		return ecs_engine_fail(a->engine, ECS_ENOMEM, "attach stdin: out of memory");
	rc = send_all(a, request, strlen(request), "sending the request");
	free(request);
	if (rc != ECS_OK)
		return rc;
	if (a->peer_closed)
		return ecs_engine_fail(a->engine, ECS_EUNAVAILABLE, "attach stdin: the engine closed the connection");
	rc = read_headers(a, &status, &header_len);
	if (rc != ECS_OK)
		return rc;
	if (status != 101 && status != 200)
		return refused(a, status, header_len);
	rc = send_all(a, data, len, "writing stdin");
	if (rc != ECS_OK || a->peer_closed)
		return rc;
	if (shutdown(a->fd, SHUT_WR) != 0) {
		if (is_hangup(errno) || errno == ENOTCONN)
			return ECS_OK;
		return ecs_engine_fail(a->engine, ECS_ERROR, "attach stdin: shutdown: %s", strerror(errno));
	}
	return drain(a);
}

int ecs_container_send_stdin(ecs_engine *engine, const char *id, const void *data, size_t len, long timeout_ms)
{
	attach *a = NULL;
	sigset_t pipe_set, old_set, pending;
	int pipe_was_pending = 0, masked = 0;
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
		timeout_ms = engine->opts.request_timeout_ms > 0 ? engine->opts.request_timeout_ms
				: DEFAULT_REQUEST_TIMEOUT_MS;

	/* The raw request carries the version in its path, so negotiate first if nothing did yet. */
	if (engine->api_version[0] == '\0') {
		ecs_engine_version v;

		rc = ecs_engine_version_get(engine, &v);
		if (rc != ECS_OK)
			return rc;
	}

	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return ecs_engine_fail(engine, ECS_ENOMEM, "attach stdin: out of memory");
	a->engine = engine;
	a->id = id;
	a->fd = CURL_SOCKET_BAD;
	a->deadline = now_ms() + timeout_ms;
	/* Only a stall that outlasts the first check period is worth a request. */
	a->next_state_check = now_ms() + STALL_CHECK_MS;

	/*
	 * libcurl sends with MSG_NOSIGNAL where it can, but a TLS library or an
	 * older libcurl may not: block SIGPIPE on this thread for the exchange
	 * and swallow one we caused, leaving one that was already pending alone.
	 */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	if (pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set) == 0) {
		masked = 1;
		if (sigpending(&pending) == 0)
			pipe_was_pending = sigismember(&pending, SIGPIPE) == 1;
	}

	rc = connect_only(a);
	if (rc == ECS_OK)
		rc = exchange(a, id, data, len);
	if (a->peer_closed)
		ecs_engine_log(engine, ECS_LOG_DEBUG, "container %s: the process stopped before reading all of its stdin", id);

	curl_easy_cleanup(a->curl);
	if (masked) {
		if (!pipe_was_pending && sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
			struct timespec zero = { 0, 0 };

			while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
				;
		}
		pthread_sigmask(SIG_SETMASK, &old_set, NULL);
	}
	free(a);
	return rc;
}
