/*
 * Fuzzer: the ecs-agent protocol, version 2 (agent/proto.c), all three ways.
 *
 * Input: 1 byte mode/chunking seed, then bytes.
 * - mode 0: the agent's output (what libecs decodes), across answers: fed to
 *   one decoder in pseudo-random chunks and to another all at once; both
 *   must agree on every event byte, the answers and the final result, so no
 *   split point changes a result.
 * - mode 1: the agent's stdin (what the agent parses from untrusted bytes):
 *   requests, chunks, cancels, fed to two readers the same way; every
 *   request that parses is encoded again and parsed again to the same one;
 *   with bit 2 of the seed the request's answer is "done" as soon as the
 *   request is complete, so sequences of requests and late cancels are
 *   reached.
 * - mode 2 and 3: a request body of kind (byte 1) parsed alone, then
 *   encoded and parsed again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chunks.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same_str(const char *a, const char *b)
{
	return (a == NULL) == (b == NULL) && (a == NULL || strcmp(a, b) == 0);
}

static int same_request(const ecs_agent_request *a, const ecs_agent_request *b)
{
	size_t i;

	if (a->kind != b->kind || a->argc != b->argc || a->envc != b->envc || !same_str(a->workdir, b->workdir) ||
	    a->stdin_null != b->stdin_null || a->timeout_ms != b->timeout_ms || !same_str(a->path, b->path) ||
	    a->limit != b->limit)
		return 0;
	for (i = 0; i < a->argc; i++)
		if (strcmp(a->argv[i], b->argv[i]) != 0)
			return 0;
	for (i = 0; i < a->envc; i++)
		if (strcmp(a->env[i], b->env[i]) != 0)
			return 0;
	return a->kind != ECS_AGENT_REQ_EXEC || (a->argv[a->argc] == NULL && a->env[a->envc] == NULL);
}

/* A request that parsed: encode it, parse that, the same request. */
static void roundtrip(const ecs_agent_request *t)
{
	ecs_agent_request again;
	unsigned char *buf;
	size_t body_len, len;
	unsigned kind;

	if (t->kind == ECS_AGENT_REQ_EXEC && (t->argc == 0 || t->argv[0][0] == '\0'))
		abort();
	if (ecs_agent_request_encode(NULL, 0, &len, t) != ECS_AGENT_ETOOBIG || (buf = malloc(len)) == NULL)
		abort();
	if (ecs_agent_request_encode(buf, len, &len, t) != 0 || ecs_agent_prefix_parse(&kind, &body_len, buf) != 0 ||
	    body_len + ECS_AGENT_PREFIX_LEN != len || kind != t->kind)
		abort();
	if (ecs_agent_body_parse(&again, kind, buf + ECS_AGENT_PREFIX_LEN, body_len) != 0 || !same_request(t, &again))
		abort();
	ecs_agent_request_clear(&again);
	free(buf);
}

static void body(unsigned kind, const uint8_t *p, size_t n)
{
	ecs_agent_request t;

	if (ecs_agent_body_parse(&t, kind, p, n) == 0)
		roundtrip(&t);
	ecs_agent_request_clear(&t);
}

/* Everything one decoder or reader produced: a running hash of events, and the end state. */
typedef struct {
	uint64_t hash;
	size_t bytes[7];
	int rc, exits, starts, requests, ends, cancels;
} outcome;

static void mix(outcome *o, uint64_t v)
{
	o->hash = (o->hash ^ v) * 0x100000001b3ULL;
}

static void decode(ecs_agent_decoder *d, outcome *o, const uint8_t *p, size_t n)
{
	while (o->rc == 0) {
		ecs_agent_event ev;
		int rc = ecs_agent_decode(d, &p, &n, &ev);

		if (rc != 0) {
			o->rc = rc;
			return;
		}
		if (ev.type == ECS_AGENT_EV_NONE) {
			if (n != 0)
				abort();
			return;
		}
		if (ev.type == ECS_AGENT_EV_DATA) {
			if (ev.stream < 1 || ev.stream > 6 || ev.stream == 3 || ev.stream == 5 || ev.len == 0 ||
			    ev.len > ECS_AGENT_DATA_MAX)
				abort();
			/* per byte, so that how data events are cut does not matter */
			for (size_t i = 0; i < ev.len; i++)
				mix(o, (uint64_t)ev.stream << 8 | ev.data[i]);
			o->bytes[ev.stream] += ev.len;
		} else if (ev.type == ECS_AGENT_EV_START) {
			o->starts++;
			mix(o, 0x10000 | ev.start.pid);
		} else {
			o->exits++;
			mix(o, 0x20000 | (uint64_t)ev.exit.kind << 40 | (uint64_t)(uint32_t)ev.exit.code << 8 | ev.exit.flags);
		}
	}
}

/* One side of a comparison: a decoder or a reader, and what it produced. */
typedef struct {
	ecs_agent_decoder d;
	ecs_agent_reader r;
	outcome o;
	int done_early;
} side;

/* Feed the input to @c in pieces of 1 to @max bytes and to @w whole. */
static void both(side *c, side *w, const uint8_t *p, size_t n, uint32_t rng, unsigned max,
		 void (*piece)(void *, const uint8_t *, size_t), int done_early)
{
	memset(c, 0, sizeof(*c));
	memset(w, 0, sizeof(*w));
	ecs_agent_decoder_init(&c->d);
	ecs_agent_decoder_init(&w->d);
	ecs_agent_reader_init(&c->r);
	ecs_agent_reader_init(&w->r);
	c->done_early = w->done_early = done_early;
	chunks_feed(p, n, rng, max, piece, c, &c->o.rc);
	piece(w, p, n);
}

static void decode_piece(void *ctx, const uint8_t *p, size_t n)
{
	side *x = ctx;

	decode(&x->d, &x->o, p, n);
}

static void output(const uint8_t *p, size_t n, uint32_t rng)
{
	static side c, w;
	outcome a, b;

	both(&c, &w, p, n, rng, 19, decode_piece, 0);
	a = c.o, b = w.o;
	if (a.rc != b.rc || a.hash != b.hash || a.exits != b.exits || a.starts != b.starts ||
	    memcmp(a.bytes, b.bytes, sizeof(a.bytes)) != 0)
		abort();
	if ((unsigned long)a.exits != w.d.answers || a.starts > a.exits + 1)
		abort();
	if (ecs_agent_decode_finish(&c.d) != ecs_agent_decode_finish(&w.d))
		abort();
	if (ecs_agent_decode_finish(&w.d) == 0 && (b.exits < 1 || b.rc != 0))
		abort();
}

static void read_in(ecs_agent_reader *r, outcome *o, const uint8_t *p, size_t n, int done_early)
{
	while (o->rc == 0) {
		ecs_agent_rev ev;
		int rc = ecs_agent_reader_feed(r, &p, &n, &ev);

		if (rc != 0) {
			o->rc = rc;
			return;
		}
		switch (ev.type) {
		case ECS_AGENT_REV_NONE:
			if (n != 0)
				abort();
			return;
		case ECS_AGENT_REV_REQUEST:
			o->requests++;
			mix(o, 0x30000 | r->req.kind);
			roundtrip(&r->req);
			break;
		case ECS_AGENT_REV_CHUNK:
			if (ev.len == 0 || ev.len > ECS_AGENT_CHUNK_MAX || r->req.stdin_null ||
			    (r->req.kind != ECS_AGENT_REQ_EXEC && r->req.kind != ECS_AGENT_REQ_PUT))
				abort();
			for (size_t i = 0; i < ev.len; i++)
				mix(o, 0x40000 | ev.data[i]);
			break;
		case ECS_AGENT_REV_END:
			o->ends++;
			mix(o, 0x50000);
			break;
		case ECS_AGENT_REV_CANCEL:
			if (r->req.kind != ECS_AGENT_REQ_EXEC)
				abort();
			o->cancels++;
			mix(o, 0x60000);
			break;
		}
		if (done_early && ecs_agent_reader_complete(r))
			ecs_agent_reader_done(r);
	}
}

static void read_piece(void *ctx, const uint8_t *p, size_t n)
{
	side *x = ctx;

	read_in(&x->r, &x->o, p, n, x->done_early);
}

static void input(const uint8_t *p, size_t n, uint32_t rng, int done_early)
{
	static side c, w;
	outcome a, b;

	both(&c, &w, p, n, rng, 23, read_piece, done_early);
	a = c.o, b = w.o;
	if (a.rc != b.rc || a.hash != b.hash || a.requests != b.requests || a.ends != b.ends || a.cancels != b.cancels)
		abort();
	if (ecs_agent_reader_eof(&c.r) != ecs_agent_reader_eof(&w.r))
		abort();
	if (a.rc != 0 && ecs_agent_reader_eof(&w.r) == 0)
		abort();
	ecs_agent_reader_clear(&c.r);
	ecs_agent_reader_clear(&w.r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] & 3) {
	case 0:
		output(data + 1, size - 1, data[0]);
		break;
	case 1:
		input(data + 1, size - 1, data[0], (data[0] & 4) != 0);
		break;
	default:
		if (size >= 2)
			body(data[1] % 6, data + 2, size - 2);
		break;
	}
	return 0;
}
