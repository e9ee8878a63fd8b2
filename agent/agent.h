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

/* The agent's output: framed, on fd 1, never blocking signal handling. */
typedef struct agent agent;
struct agent {
	int sigfd;          /* signalfd of the signals main() blocked */
	pid_t child;        /* the task, 0 before it runs */
	int child_done;     /* the task was reaped: child_status holds its status */
	int child_status;
	int out_broken;     /* fd 1 failed: nothing more can be reported */
};

/*
 * creds.c: the agent's own uid and gid, which no task may have (a profile
 * or image user that resolves to it runs cold). Documented in PROTOCOL.md.
 */
#define AGENT_ID 2147483646u

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

/* out.c: write one frame (header + payload) to fd 1, all of it. 0 or -1 (and a->out_broken). */
int out_frame(agent *a, unsigned type, const void *payload, size_t len);
/* A MESSAGE frame from a printf format. */
void out_message(agent *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * header.c: read exactly one task header from fd 0, never a byte more (the
 * rest of stdin is the task's). On success *body is malloc'ed and parsed
 * into @task (free both). Returns 0, a negative ECS_AGENT_E* value, 1 for
 * EOF inside the header, or 128 + signal when a termination signal came first.
 */
int header_read(agent *a, ecs_agent_task *task, unsigned char **body);

/*
 * spawn.c: start the task with @task's argv and the container's environment
 * plus @task's (HOME=@home first, unless NULL); its stdout and stderr go to
 * @out_w and @err_w, stdin is fd 0; it runs as @creds->task (creds.c).
 * Returns the pid, or -errno.
 */
pid_t spawn_task(const ecs_agent_task *task, const agent_creds *creds, const char *home, int out_w, int err_w);

/* relay.c: relay the task's output until it exited and its pipes are drained. */
void relay_run(agent *a, int out_r, int err_r);

/* oom.c: the memory cgroup's OOM-kill counter, or -1 when none is readable. */
long oom_kills(void);

#endif
