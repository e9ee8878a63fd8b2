/*
 * Fuzzer: the demultiplexer of the engine's multiplexed stream (lib/demux.c),
 * the one both /logs and the live attach capture (lib/capture.c) feed.
 *
 * Input: 2 bytes stdout cap, 2 bytes stderr cap, 1 byte chunking seed, then
 * the stream. The stream is fed in pseudo-random chunks to one demuxer and
 * all at once to another; both must agree exactly, which checks that no
 * split point changes the result, and the buffers must honour their caps:
 * each keeps the head of its stream, its byte count covers what was
 * dropped, and the truncated flag says exactly whether anything was.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ecs/ecs.h>
#include "demux.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_buffer(const ecs_buffer *b, size_t cap)
{
	if (b->len > cap)
		abort();
	if (b->data != NULL && b->data[b->len] != '\0')
		abort();
	if (b->data == NULL && b->len != 0)
		abort();
}

/* What was kept is what fits: the count says how much there was. */
static void check_count(const ecs_buffer *b, uint64_t bytes, size_t cap)
{
	uint64_t kept = bytes < cap ? bytes : cap;

	if (b->len != kept || b->truncated != (bytes > cap))
		abort();
}

static int same_buffer(const ecs_buffer *a, const ecs_buffer *b)
{
	return a->len == b->len && a->truncated == b->truncated &&
		(a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ecs_demux chunked, whole;
	size_t out_cap, err_cap, off = 0;
	uint32_t rng;
	int rc_chunked = 0, rc_whole;

	if (size < 5)
		return 0;
	out_cap = (size_t)data[0] << 8 | data[1];
	err_cap = (size_t)data[2] << 8 | data[3];
	rng = data[4] | 0x100u;
	data += 5;
	size -= 5;

	ecs_demux_init(&chunked, out_cap, err_cap);
	ecs_demux_init(&whole, out_cap, err_cap);

	while (off < size && rc_chunked == 0) {
		size_t n;

		/* xorshift32: cheap, deterministic chunk sizes of 0..31 bytes. */
		rng ^= rng << 13;
		rng ^= rng >> 17;
		rng ^= rng << 5;
		n = rng % 32;
		if (n > size - off)
			n = size - off;
		rc_chunked = ecs_demux_feed(&chunked, data + off, n);
		off += n;
	}
	rc_whole = ecs_demux_feed(&whole, data, size);
	if (rc_chunked != rc_whole)
		abort();
	if (rc_whole == 0 && ecs_demux_finish(&chunked) != ecs_demux_finish(&whole))
		abort();
	if (rc_whole != 0 && ecs_demux_finish(&whole) == 0)
		abort(); /* an error must stick */
	check_buffer(&chunked.out, out_cap);
	check_buffer(&chunked.err, err_cap);
	check_buffer(&whole.out, out_cap);
	check_buffer(&whole.err, err_cap);
	if (!same_buffer(&chunked.out, &whole.out) || !same_buffer(&chunked.err, &whole.err))
		abort();
	if (chunked.out_bytes != whole.out_bytes || chunked.err_bytes != whole.err_bytes)
		abort();
	if (rc_whole == 0) {
		check_count(&whole.out, whole.out_bytes, out_cap);
		check_count(&whole.err, whole.err_bytes, err_cap);
	}

	ecs_demux_clear(&chunked);
	ecs_demux_clear(&whole);
	return 0;
}
