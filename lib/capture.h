/*
 * Private: live output capture, the one every way of running a task uses.
 *
 * An attach stream opened on a container BEFORE it starts carries all of its
 * stdout and stderr, byte-exact and in time order (the log driver can then be
 * "none": nothing is kept on the engine's disk). The capture demultiplexes
 * it as bytes arrive into two capped buffers (the head of each stream is
 * kept, the totals are counted), writes the task's stdin on the same
 * connection and half-closes it, all on the calling thread: one poll loop
 * watches the socket, the deadline and the cancel token.
 *
 * ecs-agent speaks on the same kind of stream (agent mode, for
 * lib/agent_conn.c): its frames feed the same demultiplexer (demux.h), one
 * answer per request.
 */
#ifndef ECS_CAPTURE_H
#define ECS_CAPTURE_H

#include <stddef.h>
#include <stdint.h>
#include <ecs/ecs.h>
#include <ecs/task.h>
#include "agent_proto.h"

typedef struct ecs_capture ecs_capture;

/**
 * ecs_capture_attach - POST /containers/{id}/attach?stream=1&stdout=1&stderr=1
 * (&stdin=1 with @with_stdin: the container must have OpenStdin and
 * StdinOnce) with Upgrade: tcp. Call it before the container starts.
 * @out_cap, @err_cap: bytes kept per stream (the rest is counted, not kept).
 * @deadline_ms: ecs_clock_ms() bound on connecting and the answer.
 * Returns 0 or the transport's error (ECS_ENOTFOUND for no such container).
 */
int ecs_capture_attach(ecs_capture **out, ecs_engine *engine, const char *id, int with_stdin,
		size_t out_cap, size_t err_cap, long long deadline_ms);

/**
 * ecs_capture_run - move bytes until the stream ends: write @in (once: a
 * second call writes nothing more) and half-close, read and demultiplex
 * the output. May be called again after ECS_ETIMEDOUT/ECS_ECANCELED (say,
 * after killing the container) to read the rest.
 * @deadline_ms: when to give up (ecs_clock_ms() clock).
 * @cancel: optional; checked at least every 50 ms.
 * Returns 0 at end of stream (the process closed its stdout and stderr,
 * usually by exiting), ECS_ETIMEDOUT, ECS_ECANCELED, ECS_EPROTO (a malformed
 * stream), ECS_ENOMEM or ECS_EUNAVAILABLE. The handle's message says why.
 */
int ecs_capture_run(ecs_capture *c, const void *in, size_t in_len, long long deadline_ms, ecs_cancel *cancel);

/**
 * ecs_capture_attach_agent - ecs_capture_attach() with stdin, to a container
 * whose PID 1 is ecs-agent (agent/PROTOCOL.md, version 2), before or after
 * its start: the engine's stream 1 is then the agent's frames. Requests go
 * one at a time (ecs_capture_agent_request(), then ecs_capture_run() until
 * the answer's EXIT); stdin stays open between them until
 * ecs_capture_agent_end(). lib/agent_conn.c is the one caller.
 */
int ecs_capture_attach_agent(ecs_capture **out, ecs_engine *engine, const char *id, long long deadline_ms);

/**
 * ecs_capture_adopt_agent - ecs_capture_attach_agent() over @fd, the
 * agent's direct channel (lib/agent_chan.h) instead of an attach: the
 * bytes are the agent's frames without the engine's multiplexing. The
 * capture owns @fd from then on (closed also when this fails). Returns 0
 * or ECS_ENOMEM.
 */
int ecs_capture_adopt_agent(ecs_capture **out, ecs_engine *engine, int fd);

/**
 * ecs_capture_on_output - live output: @fn (see ecs_output_fn in
 * <ecs/task.h>) gets each chunk of the task's stdout and stderr
 * (ECS_TASK_STDOUT, ECS_TASK_STDERR) as it is demultiplexed, before the caps,
 * on the thread of ecs_capture_run() (and of ecs_capture_kill(), which
 * drains the rest): the plain stream's frames, or the agent's STDOUT and
 * STDERR frames (never its MESSAGE text). A non-zero return from @fn stops
 * the calls and makes ecs_capture_run() return ECS_ECANCELED (the caller
 * then kills the container, or tells the agent, as on a cancel); the
 * buffers keep filling. @fn NULL: no calls. Each call starts afresh (an
 * earlier refusal forgotten: an agent's next request, or the run that reads
 * a cancelled command's EXIT). Set it after the attach, before the run.
 */
void ecs_capture_on_output(ecs_capture *c, ecs_output_fn fn, void *arg);

/** 1 once the output callback returned non-zero (the reader went away), else 0. */
int ecs_capture_output_refused(const ecs_capture *c);

/**
 * ecs_capture_agent_request - begin the next request: @req (@len bytes: the
 * request and its chunks; the caller's until the run that writes it ends)
 * is written by the next ecs_capture_run(), which returns once the answer's
 * EXIT came and all of @req is written. The answer's STDOUT and STDERR go
 * into fresh buffers kept up to @out_cap/@err_cap (ecs_capture_take()), its
 * DATA frames (a GET's tar) are appended to @data up to @data_cap (the rest
 * dropped, @data->truncated set; NULL: DATA is a protocol error); START,
 * EXIT and MESSAGE are then this answer's.
 */
void ecs_capture_agent_request(ecs_capture *c, const void *req, size_t len, size_t out_cap, size_t err_cap,
			       ecs_buffer *data, size_t data_cap);

/** Write @len more bytes of the current request (the cancel frame) with the next run; the caller's until then. */
void ecs_capture_agent_send(ecs_capture *c, const void *bytes, size_t len);

/** 1 once every byte of the current request (and of ecs_capture_agent_send()) is written. */
int ecs_capture_agent_written(const ecs_capture *c);

/** Half-close the agent's stdin (a task container's agent then exits). 0 or ECS_ERROR. */
int ecs_capture_agent_end(ecs_capture *c);

/**
 * ecs_capture_agent_exit - 1 with @exit filled when the current answer's EXIT
 * frame came, else 0. @msg (may be NULL) gets the agent's MESSAGE text ("" for
 * none), valid until the next request or ecs_capture_free().
 */
int ecs_capture_agent_exit(const ecs_capture *c, ecs_agent_exit *exit, const char **msg);

/** 1 once the current answer's START frame came: the command runs (or ran). */
int ecs_capture_agent_started(const ecs_capture *c);

/*
 * The kill at a timeout or a cancel (ecs_capture_kill()). A task answers
 * within its timeout plus 2 s (docs/operations.md): these bounds, and the
 * backends' look at the exit status after them (ECS_BACKEND_EXIT_MS), take
 * at most 1.5 s of that, leaving the rest to the responder's own work and
 * to a loaded machine's scheduling.
 */
#define ECS_CAPTURE_KILL_MS 400L    /* the engine takes the kill in this long, or the removal goes out too */
#define ECS_CAPTURE_STOP_MS 1000L   /* kill and removal together: the first to land ends it */
#define ECS_CAPTURE_REMOVE_MS 500L  /* the force removal's bound, at least (a kill refused late) */
#define ECS_CAPTURE_EOF_MS 250L     /* after those, for the stream to end (a dead container's does at once) */
#define ECS_CAPTURE_PING_MS 300L    /* neither landed, no output came: alive if it answers a ping this fast */

/** What ecs_capture_kill() did. */
typedef struct {
	double kill_ms;     /* from sending the kill to its answer (or to giving up on it) */
	int landed;         /* the kill, or the force removal, took effect */
	int not_running;    /* the engine found the container already stopped (it ended by itself) or gone */
	int force_removed;  /* the kill did not land in time; the force removal did: the container is gone */
	int sent;           /* neither landed in time, but the engine is alive and has both: 1 it kept sending
	                       output, 2 it answered a ping (ECS_CAPTURE_PING_MS) */
} ecs_capture_stop;

/**
 * ecs_capture_kill - SIGKILL container @id, whose stream @c is, while its
 * output keeps draining into the capped buffers with every byte counted
 * (the engine finishes a kill only once its attach writer can hand over
 * what the process wrote: a kill sent while nobody reads stalls until the
 * request's timeout). A kill not answered in ECS_CAPTURE_KILL_MS (or
 * refused) gets the engine's force removal beside it; whichever lands
 * first, within ECS_CAPTURE_STOP_MS, ends it. Then the rest of the stream
 * is read (ECS_CAPTURE_EOF_MS at least). Logs what
 * happened with @task_id, @id and the durations. No stdin is written any
 * more. Fills @st. Returns 0 when the kill or the removal landed, or when
 * neither did in time but the engine is alive, only slow (@st->sent: it kept
 * sending output meanwhile, or it answers a ping within ECS_CAPTURE_PING_MS);
 * it carries out both, and the task's answer is due;
 * else the failure (ECS_ETIMEDOUT, ECS_EUNAVAILABLE...) with the handle's
 * message saying both; ecs_capture_done() tells whether the stream ended
 * anyway.
 */
int ecs_capture_kill(ecs_capture *c, const char *task_id, const char *id, ecs_capture_stop *st);

/** 1 once the stream ended (or, from an agent, its EXIT frame came). */
int ecs_capture_done(const ecs_capture *c);

/**
 * ecs_capture_take - move the buffers out (NUL-terminated, never NULL data on
 * success) with the byte counts of each stream. The capture keeps nothing.
 * Returns 0 or ECS_ENOMEM.
 */
int ecs_capture_take(ecs_capture *c, ecs_buffer *out, ecs_buffer *err, uint64_t *out_bytes, uint64_t *err_bytes);

/** ecs_capture_free - close the stream and free; NULL is allowed. Same thread as the attach. */
void ecs_capture_free(ecs_capture *c);

#endif
