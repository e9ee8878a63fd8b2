/*
 * What the streaming fuzzers share: feed an input to a parser in
 * pseudo-random pieces (so that one run can be compared with a run on the
 * whole input: no split point may change a result).
 */
#ifndef ECS_FUZZ_CHUNKS_H
#define ECS_FUZZ_CHUNKS_H

#include <stddef.h>
#include <stdint.h>

/* @fn gets [p, p+n) in pieces of 1 to @max bytes chosen from @rng, until done or *@stop is set. */
static inline void chunks_feed(const uint8_t *p, size_t n, uint32_t rng, unsigned max,
			       void (*fn)(void *ctx, const uint8_t *p, size_t n), void *ctx, const int *stop)
{
	size_t off = 0;

	while (off < n && *stop == 0) {
		size_t k;

		rng = rng * 1103515245u + 12345u;
		k = 1 + (rng >> 16) % max;
		if (k > n - off)
			k = n - off;
		fn(ctx, p + off, k);
		off += k;
	}
}

#endif
