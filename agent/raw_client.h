/*
 * A minimal engine client for the ecs-agent integration test and benchmark
 * (t/it/check_it_agent.c, bench/agent.c): plain sockets on the engine's unix
 * socket, no libecs, so the agent's protocol is exercised exactly as a
 * reader sees it: create a pooled container (the agent bind-mounted
 * read-only as its entrypoint), start it ahead, attach with an HTTP upgrade,
 * send the header and stdin, half-close, demultiplex the engine's stream and
 * decode the agent's frames with agent/proto.c.
 *
 * The socket is ECS_TEST_ENDPOINT when it is unix://PATH, else
 * /var/run/docker.sock. Errors return -1 with a message in ita_error().
 * Not part of ecs-agent (agent/Makefile.am): it lives beside the protocol
 * so that the test and the benchmark share it without one including the
 * other's tree.
 */
#ifndef ECS_AGENT_RAW_CLIENT_H
#define ECS_AGENT_RAW_CLIENT_H

#include <stddef.h>
#include "proto.h"

/** How a pooled container is made (NULL/0 members take the defaults). */
typedef struct {
	const char *image;   /* default ecs/busybox:latest (ECS_TEST_IMAGE) */
	const char *agent;   /* host path of ecs-agent (required) */
	const char *label;   /* "key=value" test label, besides ecs.managed=true */
	const char *runtime; /* e.g. "runsc"; NULL: the engine's default */
	const char *user;    /* the task's user (the agent's -u), default "65534:65534"; the agent starts as root */
	const char *env;     /* one container-level "NAME=value", or NULL */
	int pids_limit;      /* default 64; under runsc the sandbox's own threads count too (64 is too few) */
	const char *channel; /* a host directory bind-mounted at /.ecs/chan, the agent's "-c /.ecs/chan/a"; or NULL */
} ita_spec;

/** What one run returned. Free with ita_result_clear(). */
typedef struct {
	unsigned char *out, *err, *msg, *data; /* command stdout, stderr, agent messages, GET's tar stream */
	size_t out_len, err_len, msg_len, data_len;
	size_t out_cap, err_cap, msg_cap, data_cap;
	size_t raw_stderr;   /* bytes the engine gave on stream 2 (the agent's own stderr: must stay 0) */
	int started;         /* a START frame came */
	int exited;          /* the EXIT frame came */
	ecs_agent_exit exit;
	int proto_error;     /* a decoder or demux error (0 if none) */
	int trailing;        /* bytes arrived after the EXIT frame (read_to_eof only) */
} ita_result;

/** The last error's text (thread-unsafe static buffer; tests only). */
const char *ita_error(void);

/** Create and start a pooled container; returns its id (free() it) or NULL. */
char *ita_pool_container(const ita_spec *spec);

/** DELETE /containers/ID?force=1; 0 or -1. */
int ita_remove(const char *id);

/** Remove every container carrying @label ("key=value"); returns how many. */
int ita_remove_labelled(const char *label);

/** POST a request without body (e.g. "/containers/ID/kill?signal=TERM"); returns the HTTP status or -1. */
int ita_post(const char *path);

/** GET a path; returns the HTTP status or -1, the body in *body (free() it). */
int ita_get(const char *path, char **body);

/** Attach to the container's stdin/stdout/stderr; returns the hijacked fd or -1. */
int ita_attach(const char *id);

/**
 * On an attached @fd: send the request @hdr and @in as its chunks (EXEC's
 * stdin, PUT's tar; any other bytes are sent as they are), half-close, and
 * read until the EXIT frame (or, with @to_eof, until the engine closes the
 * stream). @on_start, when set, is called once when the START frame arrives.
 * Returns 0 or -1 (I/O failure or timeout of @timeout_ms); protocol errors
 * are reported in @r. Closes @fd.
 */
int ita_run(int fd, const unsigned char *hdr, size_t hdr_len, const void *in, size_t in_len, int to_eof,
	    int timeout_ms, void (*on_start)(void *), void *arg, ita_result *r);

/** Several requests on one attach stream (protocol version 2). */
typedef struct ita_conn ita_conn;

/** Attach to container @id; NULL on failure. */
ita_conn *ita_conn_open(const char *id);

/**
 * Send @req (and @data as its chunks for EXEC and PUT) and read its answer
 * until EXIT, keeping the stream open. @on_start as for ita_run(). 0 or -1.
 */
int ita_conn_request(ita_conn *c, const unsigned char *req, size_t req_len, const void *data, size_t data_len,
		     int timeout_ms, void (*on_start)(void *), void *arg, ita_result *r);

/** Write raw bytes (a cancel, a broken request) on the stream; 0 or -1. */
int ita_conn_send(ita_conn *c, const void *p, size_t n);

/** The stream's socket (for a callback that sends while a request runs). */
int ita_conn_fd(const ita_conn *c);

/** Half-close and read until the engine ends the stream; r->trailing counts agent bytes after the last answer. */
int ita_conn_finish(ita_conn *c, int timeout_ms, ita_result *r);

/** Close and free (NULL is fine). */
void ita_conn_close(ita_conn *c);

/** Encode any request; malloc'ed. */
unsigned char *ita_request(size_t *len, const ecs_agent_request *req);

/** Encode an EXEC for @argv (NULL-terminated), @env (NULL-terminated or NULL), @workdir; malloc'ed. */
unsigned char *ita_header(size_t *len, const char *const *argv, const char *const *env, const char *workdir);

void ita_result_clear(ita_result *r);

#endif
