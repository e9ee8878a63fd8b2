/*
 * Private: a conversation with the ecs-agent of one container (protocol
 * version 2, agent/PROTOCOL.md): requests one after another on one attach
 * stream, each answered by frames that end with an EXIT record
 * (lib/agent_conn.c; files and artifacts over PUT and GET:
 * lib/agent_files.c).
 *
 * Every container ecs runs has the agent as PID 1: a cold task's (attached
 * before the start), a warm one's (attached when a task takes it) and a
 * session's (attached per request: its stdin stays open across attaches).
 * The pooled and cold backends and the session calls all talk to it through
 * here, so output capture, exit records, timeouts and file paths follow one
 * rule.
 *
 * A connection belongs to one thread at a time. Deadlines are ecs_clock_ms()
 * values. Errors are ECS_E* codes with the engine handle's message set;
 * @why buffers (may be NULL) get the agent's own MESSAGE text, which names
 * the path a PUT or GET refused.
 */
#ifndef ECS_AGENT_CONN_H
#define ECS_AGENT_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <ecs/ecs.h>
#include "agent_proto.h"
#include "capture.h"

typedef struct ecs_agent_conn ecs_agent_conn;

/**
 * ecs_agent_conn_open - attach (stdin, stdout, stderr) to container @id,
 * whose entrypoint is the agent. Works before the container starts (the cold
 * path attaches first, so no byte is missed) and after (warm, session).
 * Returns 0 or the transport's error (ECS_ENOTFOUND: no such container).
 */
int ecs_agent_conn_open(ecs_agent_conn **out, ecs_engine *engine, const char *id, long long deadline_ms);

/**
 * ecs_agent_conn_adopt - the conversation over @fd, the direct channel the
 * agent of container @id connected (lib/agent_chan.h), instead of an
 * attach: the same requests and answers, without the engine between. The
 * connection owns @fd (closed also when this fails). Returns 0 or
 * ECS_ENOMEM.
 */
int ecs_agent_conn_adopt(ecs_agent_conn **out, ecs_engine *engine, const char *id, int fd);

/** What one EXEC request runs. Borrowed. */
typedef struct {
	const char *const *argv;     /* the image's Entrypoint then the command, as the engine would run it */
	size_t argc;
	const char *const *env;      /* "NAME=value", added to (or replacing) the container's */
	size_t envc;
	const char *workdir;         /* absolute, or NULL for the container's */
	const unsigned char *stdin_data; /* NULL/0 with stdin_null: /dev/null */
	size_t stdin_len;
	int stdin_null;
	long timeout_ms;             /* the agent kills the command at this (0: no limit) */
	size_t out_cap, err_cap;     /* bytes kept per stream (all are counted) */
	ecs_output_fn on_output;     /* live output, or NULL (see <ecs/task.h>) */
	void *on_output_arg;
	ecs_cancel *cancel;          /* triggered: the agent is told to kill the command (CANCEL) */
} ecs_agent_exec_req;

/** How an EXEC ended. Owned by the caller; ecs_agent_exec_res_clear() frees it. */
typedef struct {
	int started;                 /* a START frame came: the command ran */
	ecs_agent_exit exit;         /* the EXIT record (kind, flags incl. TIMED_OUT, code, signal) */
	ecs_buffer out, err;         /* the head of each stream, NUL-terminated */
	uint64_t out_bytes, err_bytes;
	char message[512];           /* the agent's MESSAGE text, "" for none */
} ecs_agent_exec_res;

/* The reader's deadline for an EXEC is its timeout plus this: the agent's own kill comes first. */
#define ECS_AGENT_CONN_GRACE_MS 2000L

/**
 * ecs_agent_conn_exec - send EXEC and its stdin, read frames until EXIT.
 * Returns 0 when an EXIT record came (whatever it says: a FAILED kind means
 * the command never ran, exit.code an errno value; EPERM: the agent will not
 * run commands as the task's user in this container), ECS_ECANCELED (cancel
 * or on_output asked; the agent was told, its EXIT read when it came in
 * time), ECS_ETIMEDOUT (@deadline_ms passed without EXIT: the agent does not
 * answer; the caller sets it to the timeout plus a grace,
 * ECS_AGENT_CONN_GRACE_MS), ECS_ENOTFOUND (the first request on the
 * connection saw no answer and the container does not run: nothing ran),
 * ECS_EPROTO (the stream broke the protocol or ended without EXIT: the
 * agent or its container died) or a transport error. @res is filled in
 * every case (the output that came, res->started). After any failure the
 * connection is out of step: every later request is ECS_EPROTO.
 */
int ecs_agent_conn_exec(ecs_agent_conn *c, const ecs_agent_exec_req *req, ecs_agent_exec_res *res,
			long long deadline_ms);

/** Free what an ecs_agent_exec_res holds and zero it; NULL is allowed. */
void ecs_agent_exec_res_clear(ecs_agent_exec_res *res);

/**
 * ecs_agent_conn_put_files - write @files (see ecs_file) with one PUT
 * request per parent directory (entries: the files' base names, in the
 * order given), as the task's user, confined to the container's writable
 * mounts. Returns 0, ECS_EINVAL (a path refused: @why names it),
 * ECS_EDENIED (the agent will not act as the task's user here: FAILED
 * EPERM), or a transport/protocol error (as ecs_agent_conn_exec()).
 */
int ecs_agent_conn_put_files(ecs_agent_conn *c, const ecs_file *files, size_t n, char *why, size_t why_len,
			     long long deadline_ms);

/**
 * ecs_agent_conn_put_tar - unpack the tar stream @tar (@len bytes) into
 * directory @dir (made when missing), as the task's user, confined as above.
 * Returns 0, ECS_EINVAL (a path refused or the tar malformed: @why says
 * which), or a transport/protocol error.
 */
int ecs_agent_conn_put_tar(ecs_agent_conn *c, const char *dir, const void *tar, size_t len, char *why,
			   size_t why_len, long long deadline_ms);

/**
 * ecs_agent_conn_get_tar - read @path (a file or a directory, recursively)
 * as a tar stream into @tar, at most @cap bytes of file content
 * (*@truncated set when more was there; the tar's headers may add up to
 * 16 MiB, more is ECS_ETOOBIG). Returns 0, ECS_ENOTFOUND (no such
 * path: @why names it), ECS_EINVAL (refused: outside the writable mounts, a
 * symlink on the way, "..": @why names it), ECS_EDENIED (as for PUT), or a
 * transport/protocol error. @tar is the caller's (ecs_buffer_clear()).
 */
int ecs_agent_conn_get_tar(ecs_agent_conn *c, const char *path, size_t cap, ecs_buffer *tar, int *truncated,
			   char *why, size_t why_len, long long deadline_ms);

/**
 * ecs_agent_conn_get_artifacts - ecs_agent_conn_get_tar() of each of
 * @paths, unpacked into ecs_artifact entries, one per regular file (a
 * directory's files with their absolute paths), in the order of @paths
 * and the agent's order within a directory. @cap bytes of content in all
 * (0: ECS_TASK_DEFAULT_ARTIFACTS_CAP); files cut by it come with
 * content.truncated, those past it with len 0 too, their real size in
 * .size. A path that does not exist gives no entry (a command that failed
 * before writing it: its output tells why). *@out is freed by the caller
 * (each path, each content, the array); NULL/0 when nothing came.
 * Returns 0, ECS_EINVAL naming the refused path in @why, ECS_EDENIED, or a
 * transport/protocol error (then *@out is NULL/0).
 */
int ecs_agent_conn_get_artifacts(ecs_agent_conn *c, const char *const *paths, size_t n, size_t cap,
				 ecs_artifact **out, size_t *out_len, char *why, size_t why_len,
				 long long deadline_ms);

/** ecs_agent_conn_ping - a PING request answered by EXIT: the agent is there and between requests. */
int ecs_agent_conn_ping(ecs_agent_conn *c, long long deadline_ms);

/** The engine handle @c was opened with (its message says why a call failed). */
ecs_engine *ecs_agent_conn_engine(const ecs_agent_conn *c);

/**
 * ecs_agent_conn_kill - an answer that did not come in time (the agent is
 * stuck, or the engine slow): kill container @id's processes through the
 * engine while the stream keeps draining (ecs_capture_kill(), capture.h;
 * @task_id names it in the log). For tasks only: a session's container is
 * lost then. Returns what ecs_capture_kill() returns, @st filled.
 */
int ecs_agent_conn_kill(ecs_agent_conn *c, const char *task_id, ecs_capture_stop *st);

/**
 * ecs_agent_conn_close - end the conversation: half-close stdin (@eof 1: the
 * agent of a task container then exits; a session's stdin is not one-shot,
 * so the agent waits for the next attach) and free. NULL is allowed.
 */
void ecs_agent_conn_close(ecs_agent_conn *c, int eof);

#endif
