/*
 * The ecs-agent wire protocol: header encoder and parser, frame encoders,
 * and the streaming decoder of the agent's output. See agent/PROTOCOL.md.
 */
#include "proto.h"

#include <stdlib.h>
#include <string.h>

static const unsigned char magic[4] = { 'E', 'C', 'S', 'A' };

enum { TAG_ARG = 'A', TAG_ENV = 'E', TAG_WORKDIR = 'W', TAG_STDIN = 'S' };
static const char stdin_null[] = "null"; /* the only value of TAG_STDIN */
#define FIELD_HDR_LEN 5 /* tag, length as 4 bytes big-endian */

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

int ecs_agent_header_encode(unsigned char *buf, size_t cap, size_t *len, const ecs_agent_task *task)
{
	size_t body = 0, i;
	unsigned char *p;
	int rc;

	*len = 0;
	if (task == NULL || task->argv == NULL || task->argc == 0 || task->argv[0] == NULL ||
	    task->argv[0][0] == '\0' || (task->envc > 0 && task->env == NULL))
		return ECS_AGENT_EINVAL;
	if (task->argc > ECS_AGENT_ARGV_MAX || task->envc > ECS_AGENT_ENV_MAX)
		return ECS_AGENT_ETOOBIG;
	for (i = 0; i < task->argc; i++) {
		if (task->argv[i] == NULL)
			return ECS_AGENT_EINVAL;
		if ((rc = field_size(&body, task->argv[i])) != 0)
			return rc;
	}
	for (i = 0; i < task->envc; i++) {
		if (task->env[i] == NULL || !env_entry_ok(task->env[i], strlen(task->env[i])))
			return ECS_AGENT_EINVAL;
		if ((rc = field_size(&body, task->env[i])) != 0)
			return rc;
	}
	if (task->workdir != NULL) {
		if (task->workdir[0] != '/')
			return ECS_AGENT_EINVAL;
		if ((rc = field_size(&body, task->workdir)) != 0)
			return rc;
	}
	if (task->stdin_null && (rc = field_size(&body, stdin_null)) != 0)
		return rc;
	*len = ECS_AGENT_PREFIX_LEN + body;
	if (buf == NULL || cap < *len)
		return ECS_AGENT_ETOOBIG;

	memcpy(buf, magic, 4);
	buf[4] = ECS_AGENT_PROTO_VERSION;
	buf[5] = buf[6] = buf[7] = 0;
	put32(buf + 8, (uint32_t)body);
	p = buf + ECS_AGENT_PREFIX_LEN;
	for (i = 0; i < task->argc; i++)
		p = field_put(p, TAG_ARG, task->argv[i]);
	for (i = 0; i < task->envc; i++)
		p = field_put(p, TAG_ENV, task->env[i]);
	if (task->workdir != NULL)
		p = field_put(p, TAG_WORKDIR, task->workdir);
	if (task->stdin_null)
		field_put(p, TAG_STDIN, stdin_null);
	return 0;
}

/* ---- parser */

int ecs_agent_prefix_parse(size_t *body_len, const unsigned char p[ECS_AGENT_PREFIX_LEN])
{
	uint32_t n;

	*body_len = 0;
	if (memcmp(p, magic, 4) != 0 || p[4] != ECS_AGENT_PROTO_VERSION || p[5] || p[6] || p[7])
		return ECS_AGENT_EPROTO;
	n = get32(p + 8);
	if (n > ECS_AGENT_BODY_MAX)
		return ECS_AGENT_ETOOBIG;
	*body_len = n;
	return 0;
}

void ecs_agent_task_clear(ecs_agent_task *task)
{
	if (task == NULL)
		return;
	free(task->argv);
	free(task->env);
	memset(task, 0, sizeof(*task));
}

/*
 * Walk the fields once: validate each and count, or (with @task's arrays
 * allocated) fill them in.
 */
static int walk(ecs_agent_task *task, size_t *argc, size_t *envc, const unsigned char *body, size_t len)
{
	size_t off = 0, nargs = 0, nenv = 0;
	int have_wd = 0, have_stdin = 0;

	while (off < len) {
		const char *s;
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
		switch (tag) {
		case TAG_ARG:
			if (nargs == 0 && n == 1)
				return ECS_AGENT_EPROTO; /* empty argv[0] */
			if (nargs == ECS_AGENT_ARGV_MAX)
				return ECS_AGENT_ETOOBIG;
			if (task->argv != NULL)
				task->argv[nargs] = (char *)s;
			nargs++;
			break;
		case TAG_ENV:
			if (!env_entry_ok(s, n - 1))
				return ECS_AGENT_EPROTO;
			if (nenv == ECS_AGENT_ENV_MAX)
				return ECS_AGENT_ETOOBIG;
			if (task->env != NULL)
				task->env[nenv] = (char *)s;
			nenv++;
			break;
		case TAG_WORKDIR:
			if (have_wd || s[0] != '/')
				return ECS_AGENT_EPROTO;
			have_wd = 1;
			task->workdir = s;
			break;
		case TAG_STDIN:
			if (have_stdin || strcmp(s, stdin_null) != 0)
				return ECS_AGENT_EPROTO;
			have_stdin = 1;
			task->stdin_null = 1;
			break;
		default:
			return ECS_AGENT_EPROTO;
		}
	}
	if (nargs == 0)
		return ECS_AGENT_EPROTO;
	*argc = nargs;
	*envc = nenv;
	return 0;
}

int ecs_agent_body_parse(ecs_agent_task *task, const unsigned char *body, size_t len)
{
	size_t argc, envc;
	int rc;

	memset(task, 0, sizeof(*task));
	if (len > ECS_AGENT_BODY_MAX)
		return ECS_AGENT_ETOOBIG;
	if ((rc = walk(task, &argc, &envc, body, len)) != 0)
		return rc;
	task->argv = calloc(argc + 1, sizeof(char *));
	task->env = calloc(envc + 1, sizeof(char *));
	if (task->argv == NULL || task->env == NULL) {
		ecs_agent_task_clear(task);
		return ECS_AGENT_ENOMEM;
	}
	/* the second walk cannot fail: the bytes are the same */
	walk(task, &task->argc, &task->envc, body, len);
	return 0;
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

	if (d->hdr[1] || d->hdr[2] || d->hdr[3])
		return fail(d, ECS_AGENT_EPROTO);
	switch (type) {
	case ECS_AGENT_FRAME_STDOUT:
	case ECS_AGENT_FRAME_STDERR:
	case ECS_AGENT_FRAME_MESSAGE:
		if (n > ECS_AGENT_DATA_MAX)
			return fail(d, ECS_AGENT_EPROTO);
		break;
	case ECS_AGENT_FRAME_START:
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
		d->done = 1;
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

		if (d->done)
			return fail(d, ECS_AGENT_EPROTO);
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
	return d->done && !d->error ? 0 : ECS_AGENT_EPROTO;
}

const char *ecs_agent_strerror(int err)
{
	switch (err) {
	case 0: return "success";
	case ECS_AGENT_ENOMEM: return "out of memory";
	case ECS_AGENT_EINVAL: return "invalid task";
	case ECS_AGENT_EPROTO: return "protocol error";
	case ECS_AGENT_ETOOBIG: return "over a protocol bound";
	default: return "unknown error";
	}
}
