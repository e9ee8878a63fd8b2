/*
 * Private: the one splitter for the engine's multiplexed stream (what
 * /logs answers and what an attach stream carries without a TTY).
 * Each frame: 8-byte header [stream: 0 stdin, 1 stdout, 2 stderr; 0; 0; 0;
 * size as 4 bytes big-endian] then size bytes. Bytes arrive in arbitrary
 * chunks; frames may be split anywhere, including inside the header.
 */
#ifndef ECS_DEMUX_H
#define ECS_DEMUX_H

#include <stddef.h>
#include <stdint.h>
#include <ecs/common.h>

/*
 * Where payload goes instead of the buffers (ecs_demux_set_sink): stream 1 or
 * 2 and the bytes. Returns 0 or an ECS_E* code, which the feed returns.
 */
typedef int (*ecs_demux_sink)(void *arg, int stream, const unsigned char *data, size_t len);

typedef struct {
	unsigned char header[8];
	size_t header_have;    /* header bytes collected so far */
	size_t frame_left;     /* payload bytes still to come in the current frame */
	int frame_stream;      /* 1 or 2 for the current frame */
	ecs_buffer out;        /* owned; freed by ecs_demux_clear() unless moved out */
	ecs_buffer err;
	size_t out_cap;
	size_t err_cap;
	uint64_t out_bytes;    /* every stdout payload byte seen, kept or not */
	uint64_t err_bytes;
	/*
	 * Stream 3 (what a Swarm task's /logs sends when it cannot read the
	 * node's logs): kept up to @sys_cap bytes when @sys_cap is not 0, else
	 * a header naming it is ECS_EPROTO. Set @sys_cap after ecs_demux_init().
	 */
	ecs_buffer sys;
	size_t sys_cap;
	ecs_demux_sink sink;   /* NULL: payload goes to out/err */
	void *sink_arg;
} ecs_demux;

/** Start a demultiplexer keeping at most @out_cap / @err_cap bytes of each stream. */
void ecs_demux_init(ecs_demux *d, size_t out_cap, size_t err_cap);

/**
 * Feed bytes. Returns 0, ECS_EPROTO for a header whose stream is not 0/1/2
 * or whose three padding bytes are not zero (stdin frames are dropped), or
 * ECS_ENOMEM. Bytes beyond a cap are dropped and the buffer's truncated flag
 * set; out_bytes/err_bytes count them all. The head of each stream is kept.
 */
int ecs_demux_feed(ecs_demux *d, const void *data, size_t len);

/**
 * Send every later payload byte to @sink instead of the buffers (a stream
 * that carries another framing inside, like ecs-agent's); the sink may put
 * bytes into the buffers with ecs_demux_append().
 */
void ecs_demux_set_sink(ecs_demux *d, ecs_demux_sink sink, void *arg);

/**
 * Append @len bytes to stream @stream's (1 stdout, 2 stderr) buffer, capped
 * and counted exactly as a frame's payload would be. Returns 0, ECS_EINVAL
 * (another stream) or ECS_ENOMEM.
 */
int ecs_demux_append(ecs_demux *d, int stream, const void *data, size_t len);

/**
 * Empty both buffers and their counts and set new caps, keeping the framing
 * state: the next answer on the same stream (an agent's next request)
 * starts from nothing.
 */
void ecs_demux_restart(ecs_demux *d, size_t out_cap, size_t err_cap);

/**
 * Append @len bytes to @buf kept up to @cap bytes, as a stream's buffer is
 * (the rest dropped, @buf->truncated set; data NUL-terminated). For another
 * buffer fed from the same stream. Returns 0 or ECS_ENOMEM.
 */
int ecs_demux_append_capped(ecs_buffer *buf, size_t cap, const void *data, size_t len);

/** End of stream: ECS_EPROTO if it stopped inside a frame, else 0. */
int ecs_demux_finish(const ecs_demux *d);

/**
 * Move both buffers out (their data never NULL: "" for no bytes); the
 * demultiplexer keeps nothing. 0 or ECS_ENOMEM.
 */
int ecs_demux_take(ecs_demux *d, ecs_buffer *out, ecs_buffer *err);

/** Free the buffers. */
void ecs_demux_clear(ecs_demux *d);

#endif
