/*
 * Fuzzer: the tar streams of PUT and GET (agent/tar.c), which the agent
 * parses from a caller's bytes as the task's user and libecs from the
 * agent's.
 *
 * Input: 1 byte chunking seed, then a tar stream. It is fed to one parser in
 * pseudo-random chunks and to another all at once: both must agree on every
 * event and the end. Every entry must be one the parser promises (a name
 * ecs_tar_name_ok() accepts without a trailing '/', a file or a directory,
 * mode within 0777, real size at least size, a directory without content, a
 * file's content exactly its size), and its header, written again with
 * ecs_tar_header(), must parse back to the same entry.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chunks.h"
#include "proto.h"
#include "tar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
	uint64_t hash;
	int rc, entries, ends;
	uint64_t content, want;
} outcome;

static void mix(outcome *o, uint64_t v)
{
	o->hash = (o->hash ^ v) * 0x100000001b3ULL;
}

static void rewrite(const ecs_tar_entry *e)
{
	unsigned char h[ECS_TAR_HEADER_MAX];
	const unsigned char *b = h;
	ecs_tar_parser p;
	ecs_tar_event ev;
	size_t n;

	if (ecs_tar_header(h, sizeof(h), &n, e) != 0)
		abort();
	ecs_tar_parser_init(&p);
	if (ecs_tar_parse(&p, &b, &n, &ev) != 0 || ev.type != ECS_TAR_EV_ENTRY || strcmp(ev.entry->name, e->name) != 0 ||
	    ev.entry->type != e->type || ev.entry->mode != e->mode || ev.entry->size != e->size ||
	    ev.entry->real_size != e->real_size || n != 0)
		abort();
}

static void feed(ecs_tar_parser *p, outcome *o, const uint8_t *b, size_t n)
{
	while (o->rc == 0) {
		ecs_tar_event ev;
		int rc = ecs_tar_parse(p, &b, &n, &ev);
		const ecs_tar_entry *e = ev.entry;

		if (rc != 0) {
			o->rc = rc;
			return;
		}
		switch (ev.type) {
		case ECS_TAR_EV_NONE:
			if (n != 0)
				abort();
			return;
		case ECS_TAR_EV_ENTRY:
			if (!ecs_tar_name_ok(e->name) || e->name[strlen(e->name) - 1] == '/' || e->mode > 0777 ||
			    e->real_size < e->size || (e->type != ECS_TAR_FILE && e->type != ECS_TAR_DIR) ||
			    (e->type == ECS_TAR_DIR && e->size != 0) || o->content != o->want)
				abort();
			o->entries++;
			o->content = 0;
			o->want = e->type == ECS_TAR_FILE ? e->size : 0;
			for (const char *c = e->name; *c; c++)
				mix(o, (unsigned char)*c);
			mix(o, e->type << 16 | e->mode);
			mix(o, e->size);
			if (e->size < (1u << 20))
				rewrite(e);
			break;
		case ECS_TAR_EV_DATA:
			o->content += ev.len;
			if (ev.len == 0 || o->content > o->want)
				abort();
			for (size_t i = 0; i < ev.len; i++)
				mix(o, 0x100 | ev.data[i]);
			break;
		case ECS_TAR_EV_FILE_END:
			if (o->content != o->want)
				abort();
			mix(o, 0x200);
			break;
		case ECS_TAR_EV_END:
			o->ends++;
			break;
		}
	}
}

typedef struct {
	ecs_tar_parser p;
	outcome o;
} parsing;

static void piece(void *ctx, const uint8_t *b, size_t n)
{
	parsing *x = ctx;

	feed(&x->p, &x->o, b, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static parsing c, w;

	if (size < 1)
		return 0;
	memset(&c, 0, sizeof(c));
	memset(&w, 0, sizeof(w));
	ecs_tar_parser_init(&c.p);
	ecs_tar_parser_init(&w.p);
	chunks_feed(data + 1, size - 1, data[0], 700, piece, &c, &c.o.rc);
	piece(&w, data + 1, size - 1);
	if (c.o.rc != w.o.rc || c.o.hash != w.o.hash || c.o.entries != w.o.entries || c.o.ends != w.o.ends ||
	    c.o.ends > 1)
		abort();
	if (ecs_tar_parse_finish(&c.p) != ecs_tar_parse_finish(&w.p))
		abort();
	return 0;
}
