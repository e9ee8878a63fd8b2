/*
 * Minimal engine client for the ecs-agent tests and benchmark (see raw_client.h).
 */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "raw_client.h"

static char errbuf[512];

const char *ita_error(void)
{
	return errbuf;
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
	va_end(ap);
	return -1;
}

static const char *socket_path(void)
{
	const char *e = getenv("ECS_TEST_ENDPOINT");

	if (e != NULL && strncmp(e, "unix://", 7) == 0)
		return e + 7;
	return "/var/run/docker.sock";
}

static int dial(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return fail("socket: %s", strerror(errno));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", socket_path());
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return fail("connect %s: %s", sa.sun_path, strerror(errno));
	}
	return fd;
}

static int write_all(int fd, const void *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return fail("write: %s", strerror(errno));
		p = (const char *)p + w;
		n -= (size_t)w;
	}
	return 0;
}

/* One request with Connection: close; the whole response in *resp (NUL-terminated). */
static int request(const char *method, const char *path, const char *body, char **resp, size_t *resp_len)
{
	char head[1024];
	size_t cap = 4096, len = 0;
	char *buf;
	int fd, n;

	*resp = NULL;
	n = snprintf(head, sizeof(head),
		     "%s %s HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n%s%sContent-Length: %zu\r\n\r\n", method,
		     path, body ? "Content-Type: application/json" : "", body ? "\r\n" : "", body ? strlen(body) : 0);
	if (n < 0 || (size_t)n >= sizeof(head))
		return fail("request line too long");
	if ((fd = dial()) < 0)
		return -1;
	if (write_all(fd, head, (size_t)n) != 0 || (body && write_all(fd, body, strlen(body)) != 0)) {
		close(fd);
		return -1;
	}
	if ((buf = malloc(cap)) == NULL) {
		close(fd);
		return fail("out of memory");
	}
	for (;;) {
		ssize_t r;

		if (cap - len < 1024) {
			char *nb = realloc(buf, cap * 2);

			if (nb == NULL) {
				free(buf);
				close(fd);
				return fail("out of memory");
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = '\0';
	*resp = buf;
	if (resp_len)
		*resp_len = len;
	if (strncmp(buf, "HTTP/1.1 ", 9) != 0)
		return fail("%s %s: no HTTP response", method, path);
	return atoi(buf + 9);
}

static char *body_of(char *resp)
{
	char *b = strstr(resp, "\r\n\r\n");

	return b ? b + 4 : resp + strlen(resp);
}

int ita_post(const char *path)
{
	char *resp;
	int st = request("POST", path, NULL, &resp, NULL);

	if (st >= 300)
		fail("POST %s: %d %s", path, st, body_of(resp));
	free(resp);
	return st;
}

int ita_get(const char *path, char **body)
{
	char *resp;
	int st = request("GET", path, NULL, &resp, NULL);

	*body = NULL;
	if (resp != NULL) {
		*body = strdup(body_of(resp));
		free(resp);
	}
	return st;
}

int ita_remove(const char *id)
{
	char path[256];
	char *resp;
	int st;

	snprintf(path, sizeof(path), "/containers/%s?force=1", id);
	st = request("DELETE", path, NULL, &resp, NULL);
	free(resp);
	return st == 204 || st == 404 ? 0 : fail("DELETE %s: %d", id, st);
}

int ita_remove_labelled(const char *label)
{
	char path[512], *body, *p;
	int n = 0;

	/* filters={"label":["LABEL"]}, url-encoded; labels here are [A-Za-z0-9.=-] */
	snprintf(path, sizeof(path), "/containers/json?all=1&filters=%%7B%%22label%%22%%3A%%5B%%22%s%%22%%5D%%7D", label);
	if (ita_get(path, &body) != 200 || body == NULL) {
		free(body);
		return -1;
	}
	for (p = body; (p = strstr(p, "\"Id\":\"")) != NULL; p += 6) {
		char id[65];

		if (sscanf(p + 6, "%64[0-9a-f]", id) == 1 && ita_remove(id) == 0)
			n++;
	}
	free(body);
	return n;
}

/* Append @s as a JSON string. */
static void json_str(char *out, size_t cap, const char *s)
{
	size_t n = strlen(out);

	if (n + 1 < cap)
		out[n++] = '"';
	for (; *s && n + 8 < cap; s++) {
		if (*s == '"' || *s == '\\')
			out[n++] = '\\';
		out[n++] = *s;
	}
	if (n + 1 < cap)
		out[n++] = '"';
	out[n] = '\0';
}

static void cat(char *out, size_t cap, const char *s)
{
	size_t n = strlen(out);

	snprintf(out + n, cap - n, "%s", s);
}

char *ita_pool_container(const ita_spec *spec)
{
	char body[4096] = "", bind[1200], path[256], *resp, *id = NULL, *p;
	const char *image = spec->image ? spec->image : getenv("ECS_TEST_IMAGE");
	char key[128] = "", val[128] = "";
	int st;

	if (image == NULL || *image == '\0')
		image = "ecs/busybox:latest";
	if (spec->label != NULL)
		sscanf(spec->label, "%127[^=]=%127s", key, val);
	snprintf(bind, sizeof(bind), "%s:/.ecs/agent:ro", spec->agent);
	cat(body, sizeof(body), "{\"Image\":");
	json_str(body, sizeof(body), image);
	/* as lib/pool.c makes them: the agent starts as root, the task's user is its argument */
	cat(body, sizeof(body), ",\"Entrypoint\":[\"/.ecs/agent\"],\"Cmd\":[\"-u\",");
	json_str(body, sizeof(body), spec->user ? spec->user : "65534:65534");
	/* /tmp a tmpfs and the agent's one writable root, as the profile's tmpfs paths are (PUT, GET);
	 * /outside a tmpfs the task may write but PUT and GET may not reach (the confinement tests) */
	cat(body, sizeof(body), ",\"-h\",\"-w\",\"/tmp\"");
	if (spec->channel != NULL)
		cat(body, sizeof(body), ",\"-c\",\"/.ecs/chan/a\"");
	cat(body, sizeof(body), "],\"User\":\"0:0\"");
	cat(body, sizeof(body), ",\"OpenStdin\":true,\"StdinOnce\":true,\"AttachStdin\":true,"
				"\"AttachStdout\":true,\"AttachStderr\":true,\"Tty\":false,\"Env\":[");
	if (spec->env)
		json_str(body, sizeof(body), spec->env);
	cat(body, sizeof(body), "],\"Labels\":{\"ecs.managed\":\"true\"");
	if (*key) {
		cat(body, sizeof(body), ",");
		json_str(body, sizeof(body), key);
		cat(body, sizeof(body), ":");
		json_str(body, sizeof(body), val);
	}
	cat(body, sizeof(body), "},\"HostConfig\":{\"Binds\":[");
	json_str(body, sizeof(body), bind);
	if (spec->channel != NULL) {
		snprintf(bind, sizeof(bind), "%s:/.ecs/chan:ro", spec->channel);
		cat(body, sizeof(body), ",");
		json_str(body, sizeof(body), bind);
	}
	cat(body, sizeof(body), "],\"ReadonlyRootfs\":true,\"CapDrop\":[\"ALL\"],"
				"\"CapAdd\":[\"CAP_SETUID\",\"CAP_SETGID\",\"CAP_SETPCAP\",\"CAP_KILL\"],\"NetworkMode\":\"none\","
				"\"SecurityOpt\":[\"no-new-privileges\"],\"LogConfig\":{\"Type\":\"none\"},"
				"\"Memory\":67108864,\"MemorySwap\":67108864,\"Init\":false,"
				"\"Tmpfs\":{\"/tmp\":\"rw,nosuid,nodev,size=16m,mode=1777\","
				"\"/outside\":\"rw,nosuid,nodev,size=1m,mode=1777\"}");
	snprintf(path, sizeof(path), ",\"PidsLimit\":%d", spec->pids_limit > 0 ? spec->pids_limit : 64);
	cat(body, sizeof(body), path);
	if (spec->runtime) {
		cat(body, sizeof(body), ",\"Runtime\":");
		json_str(body, sizeof(body), spec->runtime);
	}
	cat(body, sizeof(body), "}}");

	st = request("POST", "/containers/create", body, &resp, NULL);
	if (st != 201) {
		fail("create: %d %s", st, resp ? body_of(resp) : "");
		free(resp);
		return NULL;
	}
	if ((p = strstr(resp, "\"Id\":\"")) != NULL) {
		id = strndup(p + 6, 64);
		if (id != NULL && strlen(id) != 64) {
			free(id);
			id = NULL;
		}
	}
	free(resp);
	if (id == NULL) {
		fail("create: no Id in the answer");
		return NULL;
	}
	snprintf(path, sizeof(path), "/containers/%s/start", id);
	if (ita_post(path) != 204) {
		char msg[sizeof(errbuf)];

		snprintf(msg, sizeof(msg), "%s", errbuf);
		ita_remove(id);
		free(id);
		fail("%s", msg);
		return NULL;
	}
	return id;
}

/* ---- attach and run */

/* Bytes after the 101 answer's header that belong to the stream. */
static unsigned char early[4096];
static size_t early_len;

int ita_attach(const char *id)
{
	char req[512], buf[4096];
	size_t len = 0;
	char *end;
	int fd, n;

	n = snprintf(req, sizeof(req),
		     "POST /containers/%s/attach?stream=1&stdin=1&stdout=1&stderr=1 HTTP/1.1\r\n"
		     "Host: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n", id);
	if ((fd = dial()) < 0)
		return -1;
	if (write_all(fd, req, (size_t)n) != 0)
		goto bad;
	for (;;) {
		ssize_t r = read(fd, buf + len, sizeof(buf) - 1 - len);

		if (r <= 0) {
			fail("attach: connection closed in the answer's header");
			goto bad;
		}
		len += (size_t)r;
		buf[len] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) != NULL)
			break;
		if (len == sizeof(buf) - 1) {
			fail("attach: header too long");
			goto bad;
		}
	}
	if (strncmp(buf, "HTTP/1.1 101", 12) != 0 && strncmp(buf, "HTTP/1.1 200", 12) != 0) {
		fail("attach: %.40s", buf);
		goto bad;
	}
	end += 4;
	early_len = len - (size_t)(end - buf);
	memcpy(early, end, early_len);
	return fd;
bad:
	close(fd);
	return -1;
}

/* Grow geometrically: 10 MB arrive in thousands of small frames. */
static int append(unsigned char **b, size_t *len, size_t *cap, const unsigned char *p, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t c = *cap ? *cap : 4096;
		unsigned char *nb;

		while (c < *len + n + 1)
			c *= 2;
		if ((nb = realloc(*b, c)) == NULL)
			return -1;
		*b = nb;
		*cap = c;
	}
	memcpy(*b + *len, p, n);
	*len += n;
	(*b)[*len] = '\0';
	return 0;
}

/* The engine's multiplexing: [stream, 0, 0, 0, size32be] frames. */
typedef struct {
	unsigned char hdr[8];
	size_t hdr_have, left;
	int stream;
} engine_demux;

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Feed agent bytes (engine stream 1) to the decoder. */
static void agent_bytes(ecs_agent_decoder *d, const unsigned char *p, size_t n, ita_result *r,
			void (*on_start)(void *), void *arg)
{
	for (;;) {
		ecs_agent_event ev;
		int rc;

		if (r->exited) {
			if (n > 0)
				r->trailing += (int)n;
			return;
		}
		rc = ecs_agent_decode(d, &p, &n, &ev);
		if (rc != 0) {
			r->proto_error = rc;
			return;
		}
		if (ev.type == ECS_AGENT_EV_NONE)
			return;
		if (ev.type == ECS_AGENT_EV_START) {
			r->started = 1;
			if (on_start)
				on_start(arg);
		} else if (ev.type == ECS_AGENT_EV_EXIT) {
			r->exited = 1;
			r->exit = ev.exit;
		} else if (ev.stream == ECS_AGENT_FRAME_STDOUT) {
			append(&r->out, &r->out_len, &r->out_cap, ev.data, ev.len);
		} else if (ev.stream == ECS_AGENT_FRAME_STDERR) {
			append(&r->err, &r->err_len, &r->err_cap, ev.data, ev.len);
		} else if (ev.stream == ECS_AGENT_FRAME_DATA) {
			append(&r->data, &r->data_len, &r->data_cap, ev.data, ev.len);
		} else {
			append(&r->msg, &r->msg_len, &r->msg_cap, ev.data, ev.len);
		}
	}
}

static void engine_bytes(engine_demux *m, ecs_agent_decoder *d, const unsigned char *p, size_t n, ita_result *r,
			 void (*on_start)(void *), void *arg)
{
	while (n > 0) {
		if (m->left == 0) {
			size_t k = 8 - m->hdr_have < n ? 8 - m->hdr_have : n;

			memcpy(m->hdr + m->hdr_have, p, k);
			m->hdr_have += k;
			p += k;
			n -= k;
			if (m->hdr_have < 8)
				return;
			m->hdr_have = 0;
			m->stream = m->hdr[0];
			m->left = (size_t)m->hdr[4] << 24 | (size_t)m->hdr[5] << 16 | (size_t)m->hdr[6] << 8 | m->hdr[7];
			if (m->hdr[1] || m->hdr[2] || m->hdr[3] || m->stream < 1 || m->stream > 2) {
				r->proto_error = -1;
				return;
			}
			continue;
		}
		size_t k = m->left < n ? m->left : n;

		if (m->stream == 1)
			agent_bytes(d, p, k, r, on_start, arg);
		else
			r->raw_stderr += k;
		m->left -= k;
		p += k;
		n -= k;
	}
}

/* A version 2 EXEC or PUT request: its data travels in chunks, then the empty one (PROTOCOL.md). */
static unsigned char *chunked(const unsigned char *req, size_t req_len, const void *in, size_t in_len, size_t *len)
{
	size_t n = req_len + in_len + (in_len / ECS_AGENT_CHUNK_MAX + 2) * ECS_AGENT_CHUNK_HDR_LEN, off = 0, at = 0;
	unsigned char *b = malloc(n);

	if (b == NULL)
		return NULL;
	memcpy(b, req, req_len);
	at = req_len;
	while (off < in_len) {
		size_t k = in_len - off < ECS_AGENT_CHUNK_MAX ? in_len - off : ECS_AGENT_CHUNK_MAX;

		ecs_agent_chunk_header(b + at, (uint32_t)k);
		memcpy(b + at + ECS_AGENT_CHUNK_HDR_LEN, (const unsigned char *)in + off, k);
		at += ECS_AGENT_CHUNK_HDR_LEN + k;
		off += k;
	}
	ecs_agent_chunk_header(b + at, 0);
	*len = at + ECS_AGENT_CHUNK_HDR_LEN;
	return b;
}

static int has_chunks(const unsigned char *req, size_t len)
{
	return len >= ECS_AGENT_PREFIX_LEN && req[4] == ECS_AGENT_PROTO_VERSION &&
	       (req[5] == ECS_AGENT_REQ_EXEC || req[5] == ECS_AGENT_REQ_PUT);
}

struct ita_conn {
	int fd;
	engine_demux m;
	ecs_agent_decoder d;
};

/*
 * Send @out (all of it), half-close after it when @half_close, and read
 * until the answer's EXIT (or EOF with @to_eof). 0, or -1 on I/O failure
 * or timeout.
 */
static int exchange(ita_conn *c, const unsigned char *out, size_t out_len, int half_close, int to_eof,
		    int timeout_ms, void (*on_start)(void *), void *arg, ita_result *r)
{
	static unsigned char buf[65536];
	size_t sent = 0;
	int wr_open = 1;
	long deadline = now_ms() + timeout_ms;

	for (;;) {
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		long left = deadline - now_ms();

		if (r->proto_error || (r->exited && !to_eof))
			return 0;
		if (left <= 0)
			return fail("timed out after %d ms", timeout_ms);
		if (wr_open && sent == out_len) {
			if (half_close)
				shutdown(c->fd, SHUT_WR);
			wr_open = 0;
		}
		if (wr_open)
			p.events |= POLLOUT;
		if (poll(&p, 1, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			return fail("poll: %s", strerror(errno));
		}
		if (p.revents & POLLOUT) {
			size_t n = out_len - sent;
			ssize_t w = send(c->fd, out + sent, n > 65536 ? 65536 : n, MSG_NOSIGNAL | MSG_DONTWAIT);

			if (w < 0 && errno != EAGAIN && errno != EINTR)
				return fail("send: %s", strerror(errno));
			if (w > 0)
				sent += (size_t)w;
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(c->fd, buf, sizeof(buf));

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return fail("read: %s", strerror(errno));
			if (n == 0)
				return 0;
			engine_bytes(&c->m, &c->d, buf, (size_t)n, r, on_start, arg);
		}
	}
}

static ita_conn *conn_of(int fd, ita_result *r)
{
	ita_conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->fd = fd;
	ecs_agent_decoder_init(&c->d);
	if (early_len > 0) {
		engine_bytes(&c->m, &c->d, early, early_len, r, NULL, NULL);
		early_len = 0;
	}
	return c;
}

int ita_run(int fd, const unsigned char *hdr, size_t hdr_len, const void *in, size_t in_len, int to_eof,
	    int timeout_ms, void (*on_start)(void *), void *arg, ita_result *r)
{
	unsigned char *out = NULL;
	size_t out_len = 0;
	ita_conn *c;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if ((c = conn_of(fd, r)) == NULL) {
		close(fd);
		return fail("out of memory");
	}
	if (has_chunks(hdr, hdr_len)) {
		out = chunked(hdr, hdr_len, in, in_len, &out_len);
	} else if ((out = malloc(hdr_len + in_len + 1)) != NULL) {
		/* not a v2 request with chunks (a test's bad header): the bytes as they are */
		memcpy(out, hdr, hdr_len);
		if (in_len > 0)
			memcpy(out + hdr_len, in, in_len);
		out_len = hdr_len + in_len;
	}
	if (out != NULL)
		rc = exchange(c, out, out_len, 1, to_eof, timeout_ms, on_start, arg, r);
	else
		fail("out of memory");
	free(out);
	close(fd);
	free(c);
	return rc;
}

ita_conn *ita_conn_open(const char *id)
{
	ita_result r = { 0 };
	int fd = ita_attach(id);
	ita_conn *c;

	if (fd < 0)
		return NULL;
	if ((c = conn_of(fd, &r)) == NULL)
		close(fd);
	ita_result_clear(&r);
	return c;
}

int ita_conn_request(ita_conn *c, const unsigned char *req, size_t req_len, const void *data, size_t data_len,
		     int timeout_ms, void (*on_start)(void *), void *arg, ita_result *r)
{
	unsigned char *out;
	size_t out_len = req_len;
	int rc;

	memset(r, 0, sizeof(*r));
	out = has_chunks(req, req_len) ? chunked(req, req_len, data, data_len, &out_len) : NULL;
	rc = exchange(c, out != NULL ? out : req, out_len, 0, 0, timeout_ms, on_start, arg, r);
	free(out);
	return rc;
}

int ita_conn_send(ita_conn *c, const void *p, size_t n)
{
	return write_all(c->fd, p, n);
}

int ita_conn_fd(const ita_conn *c)
{
	return c->fd;
}

int ita_conn_finish(ita_conn *c, int timeout_ms, ita_result *r)
{
	int rc;

	memset(r, 0, sizeof(*r));
	r->exited = 1; /* every answer was read: any byte now is trailing */
	rc = exchange(c, NULL, 0, 1, 1, timeout_ms, NULL, NULL, r);
	r->exited = 0;
	return rc;
}

void ita_conn_close(ita_conn *c)
{
	if (c == NULL)
		return;
	close(c->fd);
	free(c);
}

unsigned char *ita_request(size_t *len, const ecs_agent_request *req)
{
	unsigned char *buf;

	if (ecs_agent_request_encode(NULL, 0, len, req) != ECS_AGENT_ETOOBIG || (buf = malloc(*len)) == NULL)
		return NULL;
	if (ecs_agent_request_encode(buf, *len, len, req) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

unsigned char *ita_header(size_t *len, const char *const *argv, const char *const *env, const char *workdir)
{
	ecs_agent_request t = { .kind = ECS_AGENT_REQ_EXEC, .argv = (char **)argv, .env = (char **)env,
				.workdir = workdir };

	while (argv[t.argc] != NULL)
		t.argc++;
	while (env != NULL && env[t.envc] != NULL)
		t.envc++;
	return ita_request(len, &t);
}

void ita_result_clear(ita_result *r)
{
	free(r->out);
	free(r->err);
	free(r->msg);
	free(r->data);
	memset(r, 0, sizeof(*r));
}
