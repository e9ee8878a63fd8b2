/*
 * The ecs-agent wire protocol, version 2: request encoder and parser, the
 * agent's streaming reader of its stdin, frame encoders, and the streaming
 * decoder of the agent's output. See agent/PROTOCOL.md.
 */
#include "proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const unsigned char magic[4] = { 'E', 'C', 'S', 'A' };

enum { TAG_ARG = 'A', TAG_ENV = 'E', TAG_WORKDIR = 'W', TAG_STDIN = 'S', TAG_TIMEOUT = 'T', TAG_PATH = 'P',
       TAG_LIMIT = 'L' };
static const char stdin_null[] = "null"; /* the only value of TAG_STDIN */
#define FIELD_HDR_LEN 5 /* tag, length as 4 bytes big-endian */
#define CHUNK_TAG 0x10
#define CANCEL_TAG 0x11
#define DECIMAL_MAX 21 /* digits of a uint64_t (20), and its NUL */

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* "NAME=value" with a non-empty NAME. */
static int env_entry_ok(const char *s, size_t n)
{
	const char *eq = memchr(s, '=', n);

	return eq != NULL && eq != s;
}

/* A decimal without sign, leading zero (but "0") or overflow: the one spelling of each number. */
static int decimal_parse(uint64_t *out, const char *s)
{
	uint64_t v = 0;
	size_t i, n = strlen(s);

	if (n == 0 || n >= DECIMAL_MAX || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static int path_ok(const char *s)
{
	return s[0] == '/' && strlen(s) + 1 <= ECS_AGENT_PATH_MAX;
}

/* ---- encoder */

static int field_size(size_t *total, const char *s)
{
	size_t n = strlen(s) + 1;

	if (n > ECS_AGENT_BODY_MAX || *total > ECS_AGENT_BODY_MAX - FIELD_HDR_LEN - n)
		return ECS_AGENT_ETOOBIG;
	*total += FIELD_HDR_LEN + n;
	return 0;
}

static unsigned char *field_put(unsigned char *p, int tag, const char *s)
{
	size_t n = strlen(s) + 1;

	*p = (unsigned char)tag;
	put32(p + 1, (uint32_t)n);
	memcpy(p + FIELD_HDR_LEN, s, n);
	return p + FIELD_HDR_LEN + n;
}

/* The fields of an EXEC, checked and sized (@buf NULL) or written. */
static int exec_fields(unsigned char **buf, size_t *body, const ecs_agent_request *req, char *timeout)
{
	size_t i;
	int rc;

	if (req->argv == NULL || req->argc == 0 || req->argv[0] == NULL || req->argv[0][0] == '\0' ||
	    (req->envc > 0 && req->env == NULL) || req->timeout_ms > ECS_AGENT_TIMEOUT_MAX_MS)
		return ECS_AGENT_EINVAL;
	if (req->argc > ECS_AGENT_ARGV_MAX || req->envc > ECS_AGENT_ENV_MAX)
		return ECS_AGENT_ETOOBIG;
	for (i = 0; i < req->argc; i++) {
		if (req->argv[i] == NULL)
			return ECS_AGENT_EINVAL;
		if (buf != NULL)
			*buf = field_put(*buf, TAG_ARG, req->argv[i]);
		else if ((rc = field_size(body, req->argv[i])) != 0)
			return rc;
	}
	for (i = 0; i < req->envc; i++) {
		if (req->env[i] == NULL || !env_entry_ok(req->env[i], strlen(req->env[i])))
			return ECS_AGENT_EINVAL;
		if (buf != NULL)
			*buf = field_put(*buf, TAG_ENV, req->env[i]);
		else if ((rc = field_size(body, req->env[i])) != 0)
			return rc;
	}
	if (req->workdir != NULL) {
		if (req->workdir[0] != '/')
			return ECS_AGENT_EINVAL;
		if (buf != NULL)
			*buf = field_put(*buf, TAG_WORKDIR, req->workdir);
		else if ((rc = field_size(body, req->workdir)) != 0)
			return rc;
	}
	if (req->stdin_null) {
		if (buf != NULL)
			*buf = field_put(*buf, TAG_STDIN, stdin_null);
		else if ((rc = field_size(body, stdin_null)) != 0)
			return rc;
	}
	if (req->timeout_ms > 0) {
		if (buf != NULL)
			*buf = field_put(*buf, TAG_TIMEOUT, timeout);
		else if ((rc = field_size(body, timeout)) != 0)
			return rc;
	}
	return 0;
}

static int path_fields(unsigned char **buf, size_t *body, const ecs_agent_request *req, const char *limit)
{
	int rc;

	if (req->path == NULL || req->path[0] != '/')
		return ECS_AGENT_EINVAL;
	if (!path_ok(req->path))
		return ECS_AGENT_ETOOBIG;
	if (buf != NULL)
		*buf = field_put(*buf, TAG_PATH, req->path);
	else if ((rc = field_size(body, req->path)) != 0)
		return rc;
	if (req->kind == ECS_AGENT_REQ_GET) {
		if (buf != NULL)
			*buf = field_put(*buf, TAG_LIMIT, limit);
		else if ((rc = field_size(body, limit)) != 0)
			return rc;
	}
	return 0;
}

static int encode(unsigned char *buf, size_t cap, size_t *len, const ecs_agent_request *req, unsigned version,
		  unsigned kind)
{
	char timeout[DECIMAL_MAX], limit[DECIMAL_MAX];
	unsigned char *p;
	size_t body = 0;
	int rc;

	*len = 0;
	if (req == NULL)
		return ECS_AGENT_EINVAL;
	snprintf(timeout, sizeof(timeout), "%lu", (unsigned long)req->timeout_ms);
	snprintf(limit, sizeof(limit), "%llu", (unsigned long long)req->limit);
	switch (kind) {
	case ECS_AGENT_REQ_EXEC:
		rc = exec_fields(NULL, &body, req, timeout);
		break;
	case ECS_AGENT_REQ_PUT:
	case ECS_AGENT_REQ_GET:
		rc = path_fields(NULL, &body, req, limit);
		break;
	case ECS_AGENT_REQ_PING:
		rc = 0;
		break;
	default:
		rc = ECS_AGENT_EINVAL;
	}
	if (rc != 0)
		return rc;
	*len = ECS_AGENT_PREFIX_LEN + body;
	if (buf == NULL || cap < *len)
		return ECS_AGENT_ETOOBIG;

	memcpy(buf, magic, 4);
	buf[4] = (unsigned char)version;
	/* version 1 had three zero flag bytes where version 2 has the kind */
	buf[5] = version == ECS_AGENT_PROTO_V1 ? 0 : (unsigned char)kind;
	buf[6] = buf[7] = 0;
	put32(buf + 8, (uint32_t)body);
	p = buf + ECS_AGENT_PREFIX_LEN;
	if (kind == ECS_AGENT_REQ_EXEC)
		exec_fields(&p, &body, req, timeout);
	else if (kind != ECS_AGENT_REQ_PING)
		path_fields(&p, &body, req, limit);
	return 0;
}

int ecs_agent_request_encode(unsigned char *buf, size_t cap, size_t *len, const ecs_agent_request *req)
{
	return encode(buf, cap, len, req, ECS_AGENT_PROTO_VERSION, req != NULL ? req->kind : 0);
}

int ecs_agent_header_encode(unsigned char *buf, size_t cap, size_t *len, const ecs_agent_task *task)
{
	ecs_agent_request v1;

	if (task == NULL) {
		*len = 0;
		return ECS_AGENT_EINVAL;
	}
	v1 = *task;
	v1.timeout_ms = 0; /* version 1 has no T */
	return encode(buf, cap, len, &v1, ECS_AGENT_PROTO_V1, ECS_AGENT_REQ_EXEC);
}

void ecs_agent_chunk_header(unsigned char hdr[ECS_AGENT_CHUNK_HDR_LEN], uint32_t len)
{
	hdr[0] = CHUNK_TAG;
	hdr[1] = hdr[2] = hdr[3] = 0;
	put32(hdr + 4, len);
}

void ecs_agent_cancel_encode(unsigned char out[ECS_AGENT_CHUNK_HDR_LEN])
{
	memset(out, 0, ECS_AGENT_CHUNK_HDR_LEN);
	out[0] = CANCEL_TAG;
}

/* ---- parser */

int ecs_agent_prefix_parse(unsigned *kind, size_t *body_len, const unsigned char p[ECS_AGENT_PREFIX_LEN])
{
	uint32_t n;

	*body_len = 0;
	*kind = 0;
	if (memcmp(p, magic, 4) != 0 || p[4] != ECS_AGENT_PROTO_VERSION || p[5] < ECS_AGENT_REQ_EXEC ||
	    p[5] > ECS_AGENT_REQ_PING || p[6] || p[7])
		return ECS_AGENT_EPROTO;
	n = get32(p + 8);
	if (n > ECS_AGENT_BODY_MAX)
		return ECS_AGENT_ETOOBIG;
	*kind = p[5];
	*body_len = n;
	return 0;
}

void ecs_agent_request_clear(ecs_agent_request *req)
{
	if (req == NULL)
		return;
	free(req->argv);
	free(req->env);
	memset(req, 0, sizeof(*req));
}

/* Which tags a kind takes. */
static int tag_allowed(unsigned kind, int tag)
{
	switch (kind) {
	case ECS_AGENT_REQ_EXEC:
		return tag == TAG_ARG || tag == TAG_ENV || tag == TAG_WORKDIR || tag == TAG_STDIN || tag == TAG_TIMEOUT;
	case ECS_AGENT_REQ_PUT:
		return tag == TAG_PATH;
	case ECS_AGENT_REQ_GET:
		return tag == TAG_PATH || tag == TAG_LIMIT;
	default:
		return 0;
	}
}

/*
 * Walk the fields once: validate each and count, or (with @req's arrays
 * allocated) fill them in.
 */
static int walk(ecs_agent_request *req, size_t *argc, size_t *envc, const unsigned char *body, size_t len)
{
	size_t off = 0, nargs = 0, nenv = 0;
	int have_wd = 0, have_stdin = 0, have_t = 0, have_p = 0, have_l = 0;

	while (off < len) {
		const char *s;
		uint64_t v;
		uint32_t n;
		int tag;

		if (len - off < FIELD_HDR_LEN)
			return ECS_AGENT_EPROTO;
		tag = body[off];
		n = get32(body + off + 1);
		off += FIELD_HDR_LEN;
		/* a string: n bytes ending in its only NUL */
		if (n == 0 || n > len - off)
			return ECS_AGENT_EPROTO;
		s = (const char *)body + off;
		if (s[n - 1] != '\0' || memchr(s, '\0', n - 1) != NULL)
			return ECS_AGENT_EPROTO;
		off += n;
		if (!tag_allowed(req->kind, tag))
			return ECS_AGENT_EPROTO;
		switch (tag) {
		case TAG_ARG:
			if (nargs == 0 && n == 1)
				return ECS_AGENT_EPROTO; /* empty argv[0] */
			if (nargs == ECS_AGENT_ARGV_MAX)
				return ECS_AGENT_ETOOBIG;
			if (req->argv != NULL)
				req->argv[nargs] = (char *)s;
			nargs++;
			break;
		case TAG_ENV:
			if (!env_entry_ok(s, n - 1))
				return ECS_AGENT_EPROTO;
			if (nenv == ECS_AGENT_ENV_MAX)
				return ECS_AGENT_ETOOBIG;
			if (req->env != NULL)
				req->env[nenv] = (char *)s;
			nenv++;
			break;
		case TAG_WORKDIR:
			if (have_wd || s[0] != '/')
				return ECS_AGENT_EPROTO;
			have_wd = 1;
			req->workdir = s;
			break;
		case TAG_STDIN:
			if (have_stdin || strcmp(s, stdin_null) != 0)
				return ECS_AGENT_EPROTO;
			have_stdin = 1;
			req->stdin_null = 1;
			break;
		case TAG_TIMEOUT:
			if (have_t || decimal_parse(&v, s) != 0 || v == 0 || v > ECS_AGENT_TIMEOUT_MAX_MS)
				return ECS_AGENT_EPROTO;
			have_t = 1;
			req->timeout_ms = (uint32_t)v;
			break;
		case TAG_PATH:
			if (have_p || s[0] != '/')
				return ECS_AGENT_EPROTO;
			if (n > ECS_AGENT_PATH_MAX)
				return ECS_AGENT_ETOOBIG;
			have_p = 1;
			req->path = s;
			break;
		case TAG_LIMIT:
			if (have_l || decimal_parse(&v, s) != 0)
				return ECS_AGENT_EPROTO;
			have_l = 1;
			req->limit = v;
			break;
		}
	}
	if (req->kind == ECS_AGENT_REQ_EXEC && nargs == 0)
		return ECS_AGENT_EPROTO;
	if ((req->kind == ECS_AGENT_REQ_PUT || req->kind == ECS_AGENT_REQ_GET) && !have_p)
		return ECS_AGENT_EPROTO;
	if (req->kind == ECS_AGENT_REQ_GET && !have_l)
		req->limit = ECS_AGENT_GET_LIMIT_DEFAULT;
	*argc = nargs;
	*envc = nenv;
	return 0;
}

int ecs_agent_body_parse(ecs_agent_request *req, unsigned kind, const unsigned char *body, size_t len)
{
	size_t argc, envc;
	int rc;

	memset(req, 0, sizeof(*req));
	req->kind = kind;
	if (kind < ECS_AGENT_REQ_EXEC || kind > ECS_AGENT_REQ_PING)
		return ECS_AGENT_EPROTO;
	if (len > ECS_AGENT_BODY_MAX)
		return ECS_AGENT_ETOOBIG;
	if ((rc = walk(req, &argc, &envc, body, len)) != 0)
		return rc;
	if (kind != ECS_AGENT_REQ_EXEC)
		return 0;
	req->argv = calloc(argc + 1, sizeof(char *));
	req->env = calloc(envc + 1, sizeof(char *));
	if (req->argv == NULL || req->env == NULL) {
		ecs_agent_request_clear(req);
		return ECS_AGENT_ENOMEM;
	}
	/* the second walk cannot fail: the bytes are the same */
	walk(req, &req->argc, &req->envc, body, len);
	return 0;
}

/* ---- the agent's reader of its stdin */

enum {
	RS_IDLE = 0,   /* between requests: a prefix may start */
	RS_PREFIX,     /* inside a prefix */
	RS_BODY,       /* inside a body */
	RS_CHUNK_HDR,  /* between chunks (hdr_have bytes of a chunk header) */
	RS_CHUNK_DATA, /* inside a chunk's payload */
	RS_COMPLETE,   /* the request is complete, its answer not done: only a cancel (EXEC) */
	RS_LATE_CANCEL /* between requests: a cancel that crossed its EXEC's EXIT */
};

void ecs_agent_reader_init(ecs_agent_reader *r)
{
	memset(r, 0, sizeof(*r));
}

void ecs_agent_reader_clear(ecs_agent_reader *r)
{
	ecs_agent_request_clear(&r->req);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

static int rfail(ecs_agent_reader *r, int err)
{
	r->error = err;
	return err;
}

/* Take up to @want bytes of the input into r->hdr; 1 when it holds @want. */
static int take_hdr(ecs_agent_reader *r, const unsigned char **buf, size_t *len, size_t want)
{
	size_t n = want - r->hdr_have;

	if (n > *len)
		n = *len;
	memcpy(r->hdr + r->hdr_have, *buf, n);
	r->hdr_have += n;
	*buf += n;
	*len -= n;
	return r->hdr_have == want;
}

static int body_done(ecs_agent_reader *r, ecs_agent_rev *ev)
{
	int rc = ecs_agent_body_parse(&r->req, r->req.kind, r->body, r->body_len);

	if (rc != 0)
		return rfail(r, rc);
	ev->type = ECS_AGENT_REV_REQUEST;
	r->hdr_have = 0;
	r->state = r->req.kind == ECS_AGENT_REQ_EXEC || r->req.kind == ECS_AGENT_REQ_PUT ? RS_CHUNK_HDR : RS_COMPLETE;
	return 0;
}

int ecs_agent_reader_feed(ecs_agent_reader *r, const unsigned char **buf, size_t *len, ecs_agent_rev *ev)
{
	memset(ev, 0, sizeof(*ev));
	if (r->error)
		return r->error;
	while (*len > 0) {
		size_t n;
		unsigned kind;
		int rc;

		switch (r->state) {
		case RS_IDLE:
			r->hdr_have = 0;
			if (**buf == CANCEL_TAG && r->prev_exec_open) {
				r->state = RS_LATE_CANCEL;
				break;
			}
			r->state = RS_PREFIX;
			/* fall through */
		case RS_PREFIX:
			if (!take_hdr(r, buf, len, ECS_AGENT_PREFIX_LEN))
				return 0;
			if ((rc = ecs_agent_prefix_parse(&kind, &r->body_len, r->hdr)) != 0)
				return rfail(r, rc);
			/* +1: malloc(0) may be NULL */
			if ((r->body = calloc(1, r->body_len + 1)) == NULL)
				return rfail(r, ECS_AGENT_ENOMEM);
			r->body_have = 0;
			r->req.kind = kind;
			r->state = RS_BODY;
			if (r->body_len == 0)
				return body_done(r, ev);
			break;
		case RS_BODY:
			n = r->body_len - r->body_have;
			if (n > *len)
				n = *len;
			memcpy(r->body + r->body_have, *buf, n);
			r->body_have += n;
			*buf += n;
			*len -= n;
			if (r->body_have == r->body_len)
				return body_done(r, ev);
			return 0;
		case RS_CHUNK_HDR:
			if (!take_hdr(r, buf, len, ECS_AGENT_CHUNK_HDR_LEN))
				return 0;
			r->hdr_have = 0;
			if (r->hdr[0] != CHUNK_TAG || r->hdr[1] || r->hdr[2] || r->hdr[3])
				return rfail(r, ECS_AGENT_EPROTO);
			r->chunk_left = get32(r->hdr + 4);
			if (r->chunk_left > ECS_AGENT_CHUNK_MAX || (r->chunk_left > 0 && r->req.stdin_null))
				return rfail(r, ECS_AGENT_EPROTO);
			if (r->chunk_left == 0) {
				r->state = RS_COMPLETE;
				ev->type = ECS_AGENT_REV_END;
				return 0;
			}
			r->state = RS_CHUNK_DATA;
			break;
		case RS_CHUNK_DATA:
			n = r->chunk_left < *len ? r->chunk_left : *len;
			ev->type = ECS_AGENT_REV_CHUNK;
			ev->data = *buf;
			ev->len = n;
			r->chunk_left -= (uint32_t)n;
			*buf += n;
			*len -= n;
			if (r->chunk_left == 0)
				r->state = RS_CHUNK_HDR;
			return 0;
		case RS_COMPLETE:
			/* one cancel, and only while an EXEC runs */
			if (r->req.kind != ECS_AGENT_REQ_EXEC || r->cancelled)
				return rfail(r, ECS_AGENT_EPROTO);
			if (!take_hdr(r, buf, len, ECS_AGENT_CHUNK_HDR_LEN))
				return 0;
			r->hdr_have = 0;
			if (r->hdr[0] != CANCEL_TAG || r->hdr[1] || r->hdr[2] || r->hdr[3] || get32(r->hdr + 4) != 0)
				return rfail(r, ECS_AGENT_EPROTO);
			r->cancelled = 1;
			ev->type = ECS_AGENT_REV_CANCEL;
			return 0;
		case RS_LATE_CANCEL:
			if (!take_hdr(r, buf, len, ECS_AGENT_CHUNK_HDR_LEN))
				return 0;
			r->hdr_have = 0;
			if (r->hdr[0] != CANCEL_TAG || r->hdr[1] || r->hdr[2] || r->hdr[3] || get32(r->hdr + 4) != 0)
				return rfail(r, ECS_AGENT_EPROTO);
			r->prev_exec_open = 0;
			r->state = RS_IDLE;
			break;
		default:
			return rfail(r, ECS_AGENT_EPROTO);
		}
	}
	return 0;
}

int ecs_agent_reader_eof(const ecs_agent_reader *r)
{
	if (r->error)
		return ECS_AGENT_EPROTO;
	if (r->state == RS_IDLE || (r->state == RS_COMPLETE && r->hdr_have == 0))
		return 0;
	return ECS_AGENT_EPROTO;
}

int ecs_agent_reader_complete(const ecs_agent_reader *r)
{
	return r->state == RS_COMPLETE;
}

void ecs_agent_reader_done(ecs_agent_reader *r)
{
	int err = r->error, open = r->req.kind == ECS_AGENT_REQ_EXEC && !r->cancelled;

	ecs_agent_reader_clear(r);
	r->error = err;
	r->prev_exec_open = open;
}

/* ---- frame encoders */

void ecs_agent_frame_header(unsigned char hdr[ECS_AGENT_FRAME_HDR_LEN], unsigned type, uint32_t len)
{
	hdr[0] = (unsigned char)type;
	hdr[1] = hdr[2] = hdr[3] = 0;
	put32(hdr + 4, len);
}

void ecs_agent_start_encode(unsigned char out[ECS_AGENT_START_LEN], const ecs_agent_start *s)
{
	out[0] = (unsigned char)s->version;
	out[1] = out[2] = out[3] = 0;
	put32(out + 4, s->pid);
}

void ecs_agent_exit_encode(unsigned char out[ECS_AGENT_EXIT_LEN], const ecs_agent_exit *x)
{
	out[0] = (unsigned char)x->kind;
	out[1] = (unsigned char)x->flags;
	out[2] = out[3] = 0;
	put32(out + 4, (uint32_t)x->code);
	put32(out + 8, (uint32_t)x->signal);
}

/* ---- decoder */

void ecs_agent_decoder_init(ecs_agent_decoder *d)
{
	memset(d, 0, sizeof(*d));
}

static int fail(ecs_agent_decoder *d, int err)
{
	d->error = err;
	return err;
}

/* A frame header is complete: check it and set up the payload. */
static int frame_begin(ecs_agent_decoder *d)
{
	unsigned type = d->hdr[0];
	uint32_t n = get32(d->hdr + 4);
	int shape = 0;

	if (d->hdr[1] || d->hdr[2] || d->hdr[3])
		return fail(d, ECS_AGENT_EPROTO);
	switch (type) {
	case ECS_AGENT_FRAME_STDOUT:
	case ECS_AGENT_FRAME_STDERR:
		shape = 1;
		/* fall through */
	case ECS_AGENT_FRAME_MESSAGE:
		if (n > ECS_AGENT_DATA_MAX)
			return fail(d, ECS_AGENT_EPROTO);
		break;
	case ECS_AGENT_FRAME_DATA:
		shape = 2;
		if (n > ECS_AGENT_DATA_MAX)
			return fail(d, ECS_AGENT_EPROTO);
		break;
	case ECS_AGENT_FRAME_START:
		shape = 1;
		if (d->started || n < ECS_AGENT_START_LEN || n > ECS_AGENT_RECORD_MAX)
			return fail(d, ECS_AGENT_EPROTO);
		break;
	case ECS_AGENT_FRAME_EXIT:
		if (n < ECS_AGENT_EXIT_LEN || n > ECS_AGENT_RECORD_MAX)
			return fail(d, ECS_AGENT_EPROTO);
		break;
	default:
		return fail(d, ECS_AGENT_EPROTO);
	}
	/* an answer is an EXEC's or a GET's, never both */
	if (shape != 0) {
		if (d->shape != 0 && d->shape != shape)
			return fail(d, ECS_AGENT_EPROTO);
		d->shape = shape;
	}
	d->in_answer = 1;
	d->type = type;
	d->left = n;
	d->rec_have = 0;
	d->rec_len = n;
	return 0;
}

/* A START or EXIT record is complete: turn it into an event. */
static int record_end(ecs_agent_decoder *d, ecs_agent_event *ev)
{
	const unsigned char *r = d->rec;

	if (d->type == ECS_AGENT_FRAME_START) {
		ev->type = ECS_AGENT_EV_START;
		ev->start.version = r[0];
		ev->start.pid = get32(r + 4);
		d->started = 1;
	} else {
		if (r[0] > ECS_AGENT_FAILED)
			return fail(d, ECS_AGENT_EPROTO);
		ev->type = ECS_AGENT_EV_EXIT;
		ev->exit.kind = r[0];
		ev->exit.flags = r[1];
		ev->exit.code = (int32_t)get32(r + 4);
		ev->exit.signal = (int32_t)get32(r + 8);
		/* the answer ends; the next one starts afresh */
		d->answers++;
		d->in_answer = 0;
		d->started = 0;
		d->shape = 0;
	}
	d->type = 0;
	return 0;
}

int ecs_agent_decode(ecs_agent_decoder *d, const unsigned char **buf, size_t *len, ecs_agent_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	if (d->error)
		return d->error;
	while (*len > 0) {
		size_t n;

		if (d->type == 0) {
			n = ECS_AGENT_FRAME_HDR_LEN - d->hdr_have;
			if (n > *len)
				n = *len;
			memcpy(d->hdr + d->hdr_have, *buf, n);
			d->hdr_have += n;
			*buf += n;
			*len -= n;
			if (d->hdr_have < ECS_AGENT_FRAME_HDR_LEN)
				return 0;
			d->hdr_have = 0;
			if (frame_begin(d) != 0)
				return d->error;
			if (d->left == 0) { /* an empty data frame: nothing to report */
				d->type = 0;
			}
			continue;
		}
		n = d->left < *len ? d->left : *len;
		if (d->type == ECS_AGENT_FRAME_START || d->type == ECS_AGENT_FRAME_EXIT) {
			memcpy(d->rec + d->rec_have, *buf, n);
			d->rec_have += n;
			d->left -= n;
			*buf += n;
			*len -= n;
			if (d->left == 0)
				return record_end(d, ev);
			return 0;
		}
		ev->type = ECS_AGENT_EV_DATA;
		ev->stream = d->type;
		ev->data = *buf;
		ev->len = n;
		d->left -= n;
		*buf += n;
		*len -= n;
		if (d->left == 0)
			d->type = 0;
		return 0;
	}
	return 0;
}

int ecs_agent_decode_finish(const ecs_agent_decoder *d)
{
	return !d->error && d->answers > 0 && !d->in_answer && d->type == 0 && d->hdr_have == 0 ? 0
												 : ECS_AGENT_EPROTO;
}

const char *ecs_agent_strerror(int err)
{
	switch (err) {
	case 0: return "success";
	case ECS_AGENT_ENOMEM: return "out of memory";
	case ECS_AGENT_EINVAL: return "invalid request";
	case ECS_AGENT_EPROTO: return "protocol error";
	case ECS_AGENT_ETOOBIG: return "over a protocol bound";
	default: return "unknown error";
	}
}
