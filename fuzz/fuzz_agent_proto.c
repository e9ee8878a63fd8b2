/*
 * Fuzzer: the ecs-agent protocol (agent/proto.c), both directions.
 *
 * Input: 1 byte mode/chunking seed, then bytes.
 * - As a task header (what the agent parses from untrusted stdin): the
 *   12-byte prefix, then the body. A body that parses is encoded again and
 *   parsed again: the second parse must give the same task.
 * - As the agent's output (what libecs decodes): fed to one decoder in
 *   pseudo-random chunks and to another all at once; both must agree on every
 *   event byte and on the final result, so no split point changes a result.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same_task(const ecs_agent_task *a, const ecs_agent_task *b)
{
	size_t i;

	if (a->argc != b->argc || a->envc != b->envc || (a->workdir == NULL) != (b->workdir == NULL))
		return 0;
	if (a->workdir != NULL && strcmp(a->workdir, b->workdir) != 0)
		return 0;
	for (i = 0; i < a->argc; i++)
		if (strcmp(a->argv[i], b->argv[i]) != 0)
			return 0;
	for (i = 0; i < a->envc; i++)
		if (strcmp(a->env[i], b->env[i]) != 0)
			return 0;
	return a->argv[a->argc] == NULL && a->env[a->envc] == NULL;
}

static void header(const uint8_t *p, size_t n)
{
	ecs_agent_task t, again;
	unsigned char *buf;
	size_t body_len, len;

	if (n >= ECS_AGENT_PREFIX_LEN && ecs_agent_prefix_parse(&body_len, p) == 0 && body_len > ECS_AGENT_BODY_MAX)
		abort();
	if (ecs_agent_body_parse(&t, p, n) != 0) {
		ecs_agent_task_clear(&t);
		return;
	}
	if (t.argc == 0 || t.argv[0][0] == '\0')
		abort();
	if (ecs_agent_header_encode(NULL, 0, &len, &t) != ECS_AGENT_ETOOBIG || (buf = malloc(len)) == NULL)
		abort();
	if (ecs_agent_header_encode(buf, len, &len, &t) != 0 || ecs_agent_prefix_parse(&body_len, buf) != 0 ||
	    body_len + ECS_AGENT_PREFIX_LEN != len || body_len > n)
		abort();
	if (ecs_agent_body_parse(&again, buf + ECS_AGENT_PREFIX_LEN, body_len) != 0 || !same_task(&t, &again))
		abort();
	ecs_agent_task_clear(&again);
	ecs_agent_task_clear(&t);
	free(buf);
}

/* Everything one decoder produced: a running hash of events, and the end state. */
typedef struct {
	uint64_t hash;
	size_t bytes[5];
	int rc, exits, starts;
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
			if (ev.stream < 1 || ev.stream > 4 || ev.len == 0 || ev.len > ECS_AGENT_DATA_MAX)
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

static void output(const uint8_t *p, size_t n, uint32_t rng)
{
	ecs_agent_decoder chunked, whole;
	outcome a = { 0 }, b = { 0 };
	size_t off = 0;

	ecs_agent_decoder_init(&chunked);
	ecs_agent_decoder_init(&whole);
	while (off < n && a.rc == 0) {
		size_t k;

		rng = rng * 1103515245u + 12345u;
		k = 1 + (rng >> 16) % 19;
		if (k > n - off)
			k = n - off;
		decode(&chunked, &a, p + off, k);
		off += k;
	}
	decode(&whole, &b, p, n);
	if (a.rc != b.rc || a.hash != b.hash || a.exits != b.exits || a.starts != b.starts ||
	    memcmp(a.bytes, b.bytes, sizeof(a.bytes)) != 0)
		abort();
	if (a.exits > 1 || a.starts > 1)
		abort();
	if (ecs_agent_decode_finish(&chunked) != ecs_agent_decode_finish(&whole))
		abort();
	if (ecs_agent_decode_finish(&whole) == 0 && (b.exits != 1 || b.rc != 0))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1) {
		header(data + 1, size - 1);
		if (size - 1 >= ECS_AGENT_PREFIX_LEN)
			header(data + 1 + ECS_AGENT_PREFIX_LEN, size - 1 - ECS_AGENT_PREFIX_LEN);
	} else {
		output(data + 1, size - 1, data[0]);
	}
	return 0;
}
