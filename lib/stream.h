/*
 * Private: hijacked (upgraded) connections to the engine, the transport's
 * second half. POST /containers/{id}/attach?... with "Upgrade: tcp" turns an
 * HTTP connection into a raw two-way byte pipe: what we write reaches the
 * process's stdin, what we read is its multiplexed stdout and stderr.
 *
 * A stream is one thread's. The calls never block except ecs_stream_open()
 * (bounded by its deadline) and ecs_stream_wait() (bounded by its argument):
 * callers poll the stream themselves, so one thread can read output, write
 * input and watch a deadline and a cancel token at once.
 */
#ifndef ECS_STREAM_H
#define ECS_STREAM_H

#include <stddef.h>
#include <ecs/engine.h>

typedef struct ecs_stream ecs_stream;

/** ecs_stream_recv()/ecs_stream_send(): nothing can move now; poll and try again. */
#define ECS_STREAM_AGAIN 1

/**
 * ecs_stream_open - connect with the handle's settings (ecs_http_setup()),
 * negotiate the API version if nothing did yet, send
 * "POST /v<version>@path" with Connection: Upgrade / Upgrade: tcp, and read
 * the answer's headers. Bytes that came after the headers are kept for the
 * first ecs_stream_recv().
 * @path: "/containers/<escaped id>/attach?..." (unversioned).
 * @deadline_ms: ecs_clock_ms() value (clock.h) bounding the connect and the answer.
 * @what: names the exchange in error messages ("attach").
 * SIGPIPE is blocked on the calling thread until ecs_stream_close().
 * Returns 0; a refused upgrade as ecs_http_fail() maps its status
 * (ECS_ENOTFOUND for 404...); ECS_EUNAVAILABLE, ECS_ETIMEDOUT, ECS_EPROTO,
 * ECS_ENOMEM. The handle's message says why.
 */
int ecs_stream_open(ecs_stream **out, ecs_engine *engine, const char *path, long long deadline_ms,
		const char *what);

/**
 * ecs_stream_adopt - a stream over @fd, a connected stream socket that is
 * not the engine's (an agent's direct channel, lib/agent_chan.h): the same
 * calls, without HTTP, TLS or curl. The stream owns @fd from then on (also
 * when this fails: then it is closed). @what names it in error messages.
 * Returns 0 or ECS_ENOMEM.
 */
int ecs_stream_adopt(ecs_stream **out, ecs_engine *engine, int fd, const char *what);

/** The socket, to poll(). */
int ecs_stream_fd(const ecs_stream *s);

/**
 * Read what is there without blocking. Returns 0 with *got > 0 bytes, 0 with
 * *got == 0 at end of stream (also when the engine hung up), ECS_STREAM_AGAIN,
 * or ECS_EUNAVAILABLE (handle's message set).
 */
int ecs_stream_recv(ecs_stream *s, void *buf, size_t room, size_t *got);

/**
 * Write what the socket takes now. Returns 0 with *sent bytes (maybe fewer
 * than @len), ECS_STREAM_AGAIN, or ECS_EUNAVAILABLE. When the engine hung up
 * (the process is gone and nobody reads), returns 0 and sets the stream's
 * hang-up flag (ecs_stream_hung_up()).
 */
int ecs_stream_send(ecs_stream *s, const void *data, size_t len, size_t *sent);

/** 1 once a send found the engine gone. */
int ecs_stream_hung_up(const ecs_stream *s);

/** Half-close our side: the process sees end of file on stdin (StdinOnce). 0, or ECS_ERROR. */
int ecs_stream_shutdown_write(ecs_stream *s);

/** Bytes written but not yet taken by the engine (SIOCOUTQ); 0 when that cannot be told. */
size_t ecs_stream_unsent(const ecs_stream *s);

/**
 * Poll the socket for @events up to @timeout_ms (bytes already buffered
 * count as POLLIN at once). Returns the revents, 0 on timeout, -1 on error.
 */
int ecs_stream_wait(ecs_stream *s, short events, long timeout_ms);

/** Close the connection, restore the thread's signal mask and free. NULL is allowed. */
void ecs_stream_close(ecs_stream *s);

#endif
