/*
 * Private to ecs-agent: the pieces main() in ecs-agent.c puts together.
 * Each file does one job; none keeps global state except what main() owns.
 */
#ifndef ECS_AGENT_H
#define ECS_AGENT_H

#include <stddef.h>
#include <sys/types.h>
#include <stdint.h>
#include "proto.h"
#include "user.h"

/* The agent's state across requests; main() owns it. */
typedef struct agent agent;
struct agent {
	int sigfd;          /* signalfd of the signals main() blocked */
	pid_t child;        /* the command or the PUT/GET worker of the current request, 0 between requests */
	int child_done;     /* the child was reaped: child_status holds its status */
	int child_status;
	int out_broken;     /* fd 1 failed: nothing more can be reported */
};

/* The writable roots (-w PATH, repeated): where PUT and GET may reach. */
#define AGENT_ROOTS_MAX 64
typedef struct {
	const char *path[AGENT_ROOTS_MAX]; /* absolute, no ".", ".." or empty component, no trailing '/' but "/" */
	size_t n;
} agent_roots;

/*
 * creds.c: the agent's own uid and gid, which no task may have (a profile
 * or image user that resolves to it runs cold). Documented in PROTOCOL.md.
 */
#define AGENT_ID ECS_AGENT_UID

typedef struct {
	int ok;             /* the agent runs as AGENT_ID and the task can run as its own user */
	char why[256];      /* else: why not (a MESSAGE before a FAILED EPERM exit) */
	agent_user task;    /* who the task runs as */
	uint64_t task_caps; /* the task's bounding set: the container's minus the agent's */
} agent_creds;

/*
 * At start, as root: move to AGENT_ID, keeping CAP_SETUID, CAP_SETGID,
 * CAP_SETPCAP and CAP_KILL in effect. 0, or -1 with c->ok 0 and c->why set
 * (then no task may run: its uid would be the agent's, or the container
 * gives the agent what a task must not have).
 */
int creds_become_agent(agent_creds *c, const agent_user *task);
/*
 * After creds_become_agent(), the proof rather than the intent: a child
 * that becomes the task's user tries to write the agent's fd, open its
 * mem, write its oom_score_adj and signal it. Any success (gVisor lets a
 * root task into another uid's /proc/PID/fd) and c->ok is 0: no task runs
 * here, the reader runs it cold. Call before signals_setup(). 0 or -1.
 */
int creds_probe(agent_creds *c);
/* In the task's child: the task's bounding set, groups, gid, uid; no capability of the agent's. 0 or -1. */
int creds_become_task(const agent_creds *c);

/*
 * channel.c: the direct channel (-c PATH, agent/PROTOCOL.md). Connect to
 * the reader's socket at @path and wait for the first sign of life on it or
 * on stdin: the channel's first byte makes it fd 0 and fd 1; stdin's first
 * byte or end, or the channel's end, leaves stdin and stdout as they are.
 * Returns 0, or 128 + signal when a termination signal came first.
 */
int channel_pick(agent *a, const char *path);

/* signals.c: block what the agent handles, the rest is the task's. */
int signals_setup(agent *a);
/* Restore the dispositions and mask a fresh process expects (in the child). */
void signals_reset_child(void);
/*
 * Handle what is pending on a->sigfd: reap every exited child (orphans too),
 * forward termination signals to the task. Before the task runs, a
 * termination signal ends the agent (returns the signal number); else 0.
 */
int signals_handle(agent *a);
/* Reap what exited (the agent's children and the orphans it inherited); 1 while any remain, else 0. */
int signals_children_left(agent *a);

/* out.c: write one frame (header + payload) to fd 1, all of it. 0 or -1 (and a->out_broken). */
int out_frame(agent *a, unsigned type, const void *payload, size_t len);
/* A MESSAGE frame from a printf format. */
void out_message(agent *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * input.c: the agent's stdin (the attach stream), read as it comes and fed
 * to the protocol's reader (proto.h): requests, their chunks, a cancel.
 */
#define AGENT_IN_BUF 65536
typedef struct {
	unsigned char buf[AGENT_IN_BUF];
	size_t off, len;    /* unread bytes: buf[off .. off+len) */
	int eof;            /* stdin ended (the reader half-closed, or went away) */
	ecs_agent_reader r;
} agent_in;

void in_init(agent_in *in);
void in_clear(agent_in *in);
/* One read() from fd 0 into the empty buffer: 0 (bytes or EOF, see in->eof), -1 when nothing was there (EAGAIN) or an error. */
int in_fill(agent_in *in);
/* The next event of what is buffered (REV_NONE: buffer empty); a negative ECS_AGENT_E* value for a protocol error. */
int in_next(agent_in *in, ecs_agent_rev *ev);
/*
 * Between requests: wait for the next request (REV_REQUEST, then in->r.req
 * holds it). Returns 0, 1 for EOF between requests, 128 + signal when a
 * termination signal came, or a negative ECS_AGENT_E* value (protocol error,
 * EOF inside a request).
 */
int in_wait_request(agent *a, agent_in *in);

/* paths.c: confinement of PUT and GET (agent/PROTOCOL.md, "Writable roots"). */
/* Add a root from -w; 0, or -1 when it is not absolute, has ".", ".." or an empty component, or too many. */
int roots_add(agent_roots *roots, const char *path);
/*
 * Open directory @path (PUT's target; made, with its missing parents,
 * when @create) or, with @want_dir 0, anything @path names, under one of
 * @roots, walking from / component by component with O_NOFOLLOW. Returns
 * an fd (O_PATH-free, O_RDONLY, O_CLOEXEC) or -errno: EXDEV outside every
 * root, EINVAL for a ".", ".." or empty component, ELOOP for a symlink on
 * the way, ENOENT, ENOTDIR, EACCES. @what gets a short reason.
 */
int paths_open(const agent_roots *roots, const char *path, int create, int want_dir, const char **what);
/*
 * 1 when @fd is what @name under @dirfd is, and that is no symlink: the
 * proof after an O_NOFOLLOW open (a runtime may not honour the flag).
 */
int paths_same(int dirfd, const char *name, int fd);
/* Open or make directory @name under @dirfd, no symlink; an fd or -errno. */
int paths_dir_at(int dirfd, const char *name, int create, unsigned mode);

/*
 * worker.c: PUT and GET run in a child that became the task's user exactly
 * as a command does (creds_become_task): @fn(@arg) with fd 0 = @in (or
 * /dev/null), fd 1 = @out (or /dev/null), fd 2 = @status, every other fd
 * closed; it exits with fn's return. Returns the pid, or -errno.
 */
pid_t worker_start(const agent_creds *creds, int (*fn)(void *), void *arg, int in, int out, int status);
/* In the worker: report the outcome on fd 2 (errno value 0 for success, flags, a message naming the path). */
void worker_status(int err, unsigned flags, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* In the agent: read what the worker reported from @fd; err 0 and "" when it reported nothing. */
void worker_status_read(int fd, int *err, unsigned *flags, char *msg, size_t msg_size);

/* put.c, get.c: the workers' bodies (arg: a put_job / get_job). */
typedef struct {
	const agent_roots *roots;
	const char *dir;    /* PUT's P */
} put_job;
int put_unpack(void *job);
typedef struct {
	const agent_roots *roots;
	const char *path;   /* GET's P */
	uint64_t limit;     /* L */
} get_job;
int get_pack(void *job);

/*
 * spawn.c: start the command with @req's argv, workdir and the container's
 * environment plus @req's (HOME=@home first, unless NULL); its stdout and
 * stderr go to @out_w and @err_w, its stdin is @in_r (or /dev/null when
 * @req->stdin_null); it runs as @creds->task (creds.c) in @req->workdir.
 * A working directory it cannot enter, a user it cannot become, pipes it
 * cannot take are reported through *@setup_err (an errno value) and
 * *@setup_stage (SPAWN_STAGE_*), and the child is reaped already.
 * Returns the pid (0 with *@setup_err set), or -errno.
 */
enum { SPAWN_STAGE_PIPES = 1, SPAWN_STAGE_USER = 2, SPAWN_STAGE_WORKDIR = 3 };
pid_t spawn_task(const ecs_agent_request *req, const agent_creds *creds, const char *home, int in_r, int out_w,
		 int err_w, int *setup_err, int *setup_stage);

/*
 * relay.c: while the current request's child runs: chunks from stdin go
 * to @sink (a pipe to the child; -1: dropped), the @src pipes become frames
 * of @src_type, a cancel or the deadline kills the child; once it was
 * reaped (and, with @kill_rest, every other process of the container
 * killed) the pipes are drained. It returns when the child was reaped, the
 * pipes are drained and the request is complete on stdin.
 */
typedef struct {
	int sink;
	int src[2];
	unsigned src_type[2];
	long long deadline;  /* ecs_clock_ms() at which the child is killed, 0: none */
	int kill_rest;
} relay_job;
typedef struct {
	int timed_out;       /* the deadline's kill was sent (the child had not been reaped) */
	int cancelled;       /* a cancel's kill was sent */
	int proto;           /* 0, or the protocol error (ECS_AGENT_E*) that ended the request */
} relay_outcome;
void relay_run(agent *a, agent_in *in, relay_job *job, relay_outcome *o);

/* exec.c, files.c: answer one request (its EXIT included); the agent's exit status if it must end, else -1. */
int exec_request(agent *a, agent_in *in, const agent_creds *creds, const char *home, int *last_status);
int files_request(agent *a, agent_in *in, const agent_creds *creds, const agent_roots *roots);

/* out.c too: the EXIT frame; MESSAGE (the formatted text) + EXIT FAILED @err. */
void report_exit(agent *a, const ecs_agent_exit *x);
void report_failed(agent *a, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* oom.c: the memory cgroup's OOM-kill counter, or -1 when none is readable. */
long oom_kills(void);

#endif
