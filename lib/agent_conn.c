/*
 * libecs: a conversation with the ecs-agent of one container (agent_conn.h,
 * agent/PROTOCOL.md version 2), on the capture's agent mode (capture.h).
 *
 * Each request is encoded whole before it is sent (prefix, fields, then for
 * EXEC and PUT the payload cut into chunks and the empty chunk): stdin and
 * tar streams are bounded by what a caller may hold in memory anyway (a
 * request body, a session's upload), so one buffer is simpler than a
 * producer and costs one copy.
 *
 * Files and artifacts over PUT and GET: agent_files.c.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ecs/ecs.h>
#include "agent_conn.h"
#include "capture.h"
#include "clock.h"
#include "container_private.h"
#include "engine_private.h"

/*
 * The first answer on a connection that shows nothing this long gets the
 * container inspected: an attach to a container that no longer runs stays
 * open and silent (the engine waits for a start that never comes).
 */
#define PROBE_MS 500
/* After a cancel, how long the agent has to kill the command and say EXIT. */
#define CANCEL_GRACE_MS 2000
/* Tar headers around a GET's content: 512 bytes a file, and pax records; past this the answer is refused. */
#define TAR_OVERHEAD_MAX (16u * 1024u * 1024u)

struct ecs_agent_conn {
	ecs_engine *engine;
	ecs_capture *cap;
	char *id;
	unsigned long requests;   /* answered so far */
	int broken;               /* a request ended without its EXIT: the stream is out of step */
};

/* The conversation with container @id over @cap, which it takes (freed when this fails). 0 or ECS_ENOMEM. */
static int conn_over(ecs_agent_conn **out, ecs_engine *engine, const char *id, ecs_capture *cap)
{
	ecs_agent_conn *c = calloc(1, sizeof(*c));

	if (c == NULL || (c->id = strdup(id)) == NULL) {
		free(c);
		ecs_capture_free(cap);
		return ecs_engine_fail(engine, ECS_ENOMEM, "agent: out of memory");
	}
	c->engine = engine;
	c->cap = cap;
	*out = c;
	return ECS_OK;
}

int ecs_agent_conn_open(ecs_agent_conn **out, ecs_engine *engine, const char *id, long long deadline_ms)
{
	ecs_capture *cap = NULL;
	int rc;

	*out = NULL;
	rc = ecs_capture_attach_agent(&cap, engine, id, deadline_ms);
	return rc != ECS_OK ? rc : conn_over(out, engine, id, cap);
}

int ecs_agent_conn_adopt(ecs_agent_conn **out, ecs_engine *engine, const char *id, int fd)
{
	ecs_capture *cap = NULL;
	int rc;

	*out = NULL;
	rc = ecs_capture_adopt_agent(&cap, engine, fd);
	return rc != ECS_OK ? rc : conn_over(out, engine, id, cap);
}

ecs_engine *ecs_agent_conn_engine(const ecs_agent_conn *c)
{
	return c->engine;
}

int ecs_agent_conn_kill(ecs_agent_conn *c, const char *task_id, ecs_capture_stop *st)
{
	c->broken = 1;
	return ecs_capture_kill(c->cap, task_id, c->id, st);
}

void ecs_agent_conn_close(ecs_agent_conn *c, int eof)
{
	if (c == NULL)
		return;
	if (eof)
		(void)ecs_capture_agent_end(c->cap);
	ecs_capture_free(c->cap);
	free(c->id);
	free(c);
}

/* A growing byte buffer for one request. */
typedef struct {
	unsigned char *p;
	size_t len, cap;
	int oom;
} wbuf;

/* Room for @n more bytes; sets b->oom when there is none. */
static int wb_reserve(wbuf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 4096;
	unsigned char *p;

	if (b->oom)
		return -1;
	if (b->len + n <= b->cap)
		return 0;
	while (cap < b->len + n)
		cap *= 2;
	if ((p = realloc(b->p, cap)) == NULL) {
		b->oom = 1;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

static void wb_put(wbuf *b, const void *data, size_t n)
{
	if (n == 0 || wb_reserve(b, n) != 0)
		return;
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

/* @req encoded, then (@chunked) @payload as chunks and the empty chunk that ends them. */
static int encode(wbuf *b, const ecs_agent_request *req, int chunked, const unsigned char *payload, size_t len)
{
	unsigned char hdr[ECS_AGENT_CHUNK_HDR_LEN];
	size_t need = 0;
	int rc = ecs_agent_request_encode(NULL, 0, &need, req);

	if (rc != ECS_AGENT_ETOOBIG || need == 0)
		return rc == ECS_AGENT_ENOMEM ? ECS_ENOMEM : ECS_EINVAL;
	if (wb_reserve(b, need + (chunked ? len + (len / ECS_AGENT_CHUNK_MAX + 2) * sizeof(hdr) : 0)) != 0)
		return ECS_ENOMEM;
	if (ecs_agent_request_encode(b->p + b->len, need, &need, req) != 0)
		return ECS_EINVAL;
	b->len += need;
	while (chunked) {
		size_t n = len < ECS_AGENT_CHUNK_MAX ? len : ECS_AGENT_CHUNK_MAX;

		ecs_agent_chunk_header(hdr, (uint32_t)n);
		wb_put(b, hdr, sizeof(hdr));
		wb_put(b, payload, n);
		payload += n;
		len -= n;
		if (n == 0)
			break;
	}
	return b->oom ? ECS_ENOMEM : ECS_OK;
}

/* 1 when the container runs, as far as a quick inspect tells. */
static int container_runs(ecs_agent_conn *c)
{
	ecs_container_info info;
	int running;

	memset(&info, 0, sizeof(info));
	running = ecs_container_inspect(&info, c->engine, c->id) == 0 && info.status != NULL &&
		  strcmp(info.status, "running") == 0;
	ecs_container_info_clear(&info);
	return running;
}

/*
 * Send the request in @b and read its answer until EXIT. @cancel (EXEC
 * only) sends the cancel frame and waits CANCEL_GRACE_MS for the EXIT.
 * Returns 0 with the EXIT in *@x, else ECS_ETIMEDOUT, ECS_ECANCELED,
 * ECS_EPROTO (no EXIT: the agent or its container is gone) or a transport
 * error; every failure leaves the connection broken (out of step).
 */
static int exchange(ecs_agent_conn *c, wbuf *b, size_t out_cap, size_t err_cap, ecs_buffer *data, size_t data_cap,
		    ecs_cancel *cancel, long long deadline_ms, ecs_agent_exit *x)
{
	long long probe = ecs_clock_ms() + PROBE_MS;
	unsigned char cancel_frame[ECS_AGENT_CHUNK_HDR_LEN];
	int rc;

	if (c->broken)
		return ecs_engine_fail(c->engine, ECS_EPROTO, "agent: the connection is out of step after a failed request");
	ecs_capture_agent_request(c->cap, b->p, b->len, out_cap, err_cap, data, data_cap);
	rc = ecs_capture_run(c->cap, NULL, 0, c->requests == 0 && probe < deadline_ms ? probe : deadline_ms, cancel);
	if (rc == ECS_ETIMEDOUT && c->requests == 0 && ecs_clock_ms() < deadline_ms) {
		if (!ecs_capture_agent_started(c->cap) && !container_runs(c)) {
			c->broken = 1;
			return ecs_engine_fail(c->engine, ECS_ENOTFOUND, "agent: container %.12s does not run", c->id);
		}
		rc = ecs_capture_run(c->cap, NULL, 0, deadline_ms, cancel);
	}
	if (rc == ECS_ECANCELED) {
		long long end = ecs_clock_ms() + CANCEL_GRACE_MS;

		/* the agent kills the command and answers EXIT; a request still being written cannot be cut */
		ecs_agent_cancel_encode(cancel_frame);
		ecs_capture_on_output(c->cap, NULL, NULL);
		if (ecs_capture_agent_written(c->cap) && !ecs_capture_done(c->cap)) {
			ecs_capture_agent_send(c->cap, cancel_frame, sizeof(cancel_frame));
			(void)ecs_capture_run(c->cap, NULL, 0, end < deadline_ms ? end : deadline_ms, NULL);
		}
		if (ecs_capture_agent_exit(c->cap, x, NULL))
			c->requests++;
		else
			c->broken = 1;
		return ecs_engine_fail(c->engine, ECS_ECANCELED, "agent: cancelled");
	}
	if (rc != ECS_OK) {
		c->broken = 1;
		return rc;
	}
	if (!ecs_capture_agent_exit(c->cap, x, NULL)) {
		c->broken = 1;
		/* a direct channel ends at once when its container stopped: as the attach's silence above */
		if (c->requests == 0 && !ecs_capture_agent_started(c->cap) && !container_runs(c))
			return ecs_engine_fail(c->engine, ECS_ENOTFOUND, "agent: container %.12s does not run", c->id);
		return ecs_engine_fail(c->engine, ECS_EPROTO, "agent: the stream ended without EXIT (the agent or its "
				       "container is gone)");
	}
	c->requests++;
	return ECS_OK;
}

int ecs_agent_conn_exec(ecs_agent_conn *c, const ecs_agent_exec_req *req, ecs_agent_exec_res *res,
			long long deadline_ms)
{
	ecs_agent_request r;
	wbuf b = { 0 };
	const char *msg = NULL;
	int rc;

	memset(res, 0, sizeof(*res));
	memset(&r, 0, sizeof(r));
	r.kind = ECS_AGENT_REQ_EXEC;
	r.argv = (char **)req->argv;
	r.argc = req->argc;
	r.env = (char **)req->env;
	r.envc = req->envc;
	r.workdir = req->workdir;
	r.stdin_null = req->stdin_null;
	if (req->timeout_ms < 0 || (unsigned long)req->timeout_ms > ECS_AGENT_TIMEOUT_MAX_MS)
		return ecs_engine_fail(c->engine, ECS_EINVAL, "agent: timeout out of range");
	r.timeout_ms = (uint32_t)req->timeout_ms;
	rc = encode(&b, &r, 1, req->stdin_null ? NULL : req->stdin_data, req->stdin_null ? 0 : req->stdin_len);
	if (rc != ECS_OK) {
		free(b.p);
		return ecs_engine_fail(c->engine, rc == ECS_ENOMEM ? rc : ECS_EINVAL,
				       "agent: the command, environment or working directory cannot be sent");
	}
	ecs_capture_on_output(c->cap, req->on_output, req->on_output_arg);
	rc = exchange(c, &b, req->out_cap, req->err_cap, NULL, 0, req->cancel, deadline_ms, &res->exit);
	ecs_capture_on_output(c->cap, NULL, NULL);
	free(b.p);
	res->started = ecs_capture_agent_started(c->cap);
	if (ecs_capture_take(c->cap, &res->out, &res->err, &res->out_bytes, &res->err_bytes) != ECS_OK)
		return ECS_ENOMEM;
	(void)ecs_capture_agent_exit(c->cap, NULL, &msg);
	snprintf(res->message, sizeof(res->message), "%s", msg != NULL ? msg : "");
	return rc;
}

void ecs_agent_exec_res_clear(ecs_agent_exec_res *res)
{
	if (res == NULL)
		return;
	ecs_buffer_clear(&res->out);
	ecs_buffer_clear(&res->err);
	memset(res, 0, sizeof(*res));
}

/*
 * A PUT's or GET's EXIT as a code: 0 for EXITED 0; FAILED ENOENT
 * ECS_ENOTFOUND, EPERM ECS_EDENIED (the agent will not act as the task's
 * user here), EPROTO ECS_EPROTO, ENOMEM ECS_ENOMEM, any other errno (a path
 * refused, a malformed tar, no space) ECS_EINVAL; @why gets the agent's
 * message, which names the path.
 */
static int file_outcome(ecs_agent_conn *c, const ecs_agent_exit *x, const char *what, const char *path, char *why,
			size_t why_len)
{
	const char *msg = NULL;
	int rc;

	if (x->kind == ECS_AGENT_EXITED && x->code == 0)
		return ECS_OK;
	(void)ecs_capture_agent_exit(c->cap, NULL, &msg);
	if (x->kind != ECS_AGENT_FAILED)
		rc = ECS_EPROTO;
	else if (x->code == ENOENT)
		rc = ECS_ENOTFOUND;
	else if (x->code == EPERM)
		rc = ECS_EDENIED;
	else if (x->code == EPROTO)
		rc = ECS_EPROTO;
	else if (x->code == ENOMEM)
		rc = ECS_ENOMEM;
	else
		rc = ECS_EINVAL;
	if (why != NULL && why_len > 0) {
		if (msg != NULL && msg[0] != '\0')
			snprintf(why, why_len, "%s", msg);
		else
			snprintf(why, why_len, "%s %.200s: %s", what, path, x->kind == ECS_AGENT_FAILED ?
				 strerror(x->code) : "unexpected answer");
	}
	return ecs_engine_fail(c->engine, rc, "agent: %s %.200s refused: %s", what, path,
			       msg != NULL && msg[0] != '\0' ? msg : ecs_strerror(rc));
}

int ecs_agent_conn_put_tar(ecs_agent_conn *c, const char *dir, const void *tar, size_t len, char *why,
			   size_t why_len, long long deadline_ms)
{
	ecs_agent_request r;
	ecs_agent_exit x;
	wbuf b = { 0 };
	int rc;

	if (why != NULL && why_len > 0)
		why[0] = '\0';
	memset(&r, 0, sizeof(r));
	r.kind = ECS_AGENT_REQ_PUT;
	r.path = dir;
	rc = encode(&b, &r, 1, tar, len);
	if (rc != ECS_OK) {
		free(b.p);
		if (why != NULL && why_len > 0)
			snprintf(why, why_len, "directory %.200s: cannot be sent to the agent", dir);
		return ecs_engine_fail(c->engine, rc, "agent: PUT %.200s cannot be encoded", dir);
	}
	rc = exchange(c, &b, 0, 0, NULL, 0, NULL, deadline_ms, &x);
	free(b.p);
	if (rc != ECS_OK)
		return rc;
	return file_outcome(c, &x, "directory", dir, why, why_len);
}

int ecs_agent_conn_get_tar(ecs_agent_conn *c, const char *path, size_t cap, ecs_buffer *tar, int *truncated,
			   char *why, size_t why_len, long long deadline_ms)
{
	ecs_agent_request r;
	ecs_agent_exit x;
	wbuf b = { 0 };
	size_t data_cap = cap + TAR_OVERHEAD_MAX;
	int rc;

	memset(tar, 0, sizeof(*tar));
	*truncated = 0;
	if (why != NULL && why_len > 0)
		why[0] = '\0';
	memset(&r, 0, sizeof(r));
	r.kind = ECS_AGENT_REQ_GET;
	r.path = path;
	r.limit = cap;
	rc = encode(&b, &r, 0, NULL, 0);
	if (rc != ECS_OK) {
		free(b.p);
		if (why != NULL && why_len > 0)
			snprintf(why, why_len, "path %.200s: cannot be sent to the agent", path);
		return ecs_engine_fail(c->engine, rc, "agent: GET %.200s cannot be encoded", path);
	}
	rc = exchange(c, &b, 0, 0, tar, data_cap < cap ? (size_t)-1 : data_cap, NULL, deadline_ms, &x);
	free(b.p);
	if (rc == ECS_OK)
		rc = file_outcome(c, &x, "path", path, why, why_len);
	if (rc == ECS_OK && tar->truncated) {
		if (why != NULL && why_len > 0)
			snprintf(why, why_len, "path %.200s: over %zu bytes of tar headers", path, (size_t)TAR_OVERHEAD_MAX);
		rc = ecs_engine_fail(c->engine, ECS_ETOOBIG, "agent: GET %.200s: the answer is too big", path);
	}
	if (rc != ECS_OK) {
		ecs_buffer_clear(tar);
		return rc;
	}
	*truncated = (x.flags & ECS_AGENT_EXIT_TRUNCATED) != 0;
	if (tar->data == NULL && (tar->data = calloc(1, 1)) == NULL)
		return ecs_engine_fail(c->engine, ECS_ENOMEM, "agent: out of memory");
	return ECS_OK;
}

int ecs_agent_conn_ping(ecs_agent_conn *c, long long deadline_ms)
{
	ecs_agent_request r;
	ecs_agent_exit x;
	wbuf b = { 0 };
	int rc;

	memset(&r, 0, sizeof(r));
	r.kind = ECS_AGENT_REQ_PING;
	rc = encode(&b, &r, 0, NULL, 0);
	if (rc == ECS_OK)
		rc = exchange(c, &b, 0, 0, NULL, 0, NULL, deadline_ms, &x);
	free(b.p);
	if (rc == ECS_OK && (x.kind != ECS_AGENT_EXITED || x.code != 0))
		rc = ecs_engine_fail(c->engine, ECS_EPROTO, "agent: PING answered kind %u code %d", x.kind, (int)x.code);
	return rc;
}
