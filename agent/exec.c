/*
 * ecs-agent EXEC: run one command with its stdin relayed from the
 * request's chunks, its output framed, its own timeout, and answer with
 * START (when it ran) and EXIT (agent/PROTOCOL.md).
 *
 * The timeout rule: the clock starts at the fork of the command and stops
 * at its reaping. When it runs out the agent first reaps what already
 * exited; only a command still running is killed (SIGKILL), and only a
 * command that the kill ended (it died of SIGKILL after the kill was sent)
 * is reported TIMED_OUT. A command that exited by itself, even in the same
 * millisecond, reports its own exit.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "clock.h"

#define EXIT_NOT_RUN 125

static void close_pair(int p[2])
{
	for (int i = 0; i < 2; i++)
		if (p[i] >= 0) {
			close(p[i]);
			p[i] = -1;
		}
}

/* The command never ran: the rest of its stdin is still read (the next request follows it). */
static int not_run(agent *a, agent_in *in, int err, const char *msg)
{
	relay_job job = { .sink = -1, .src = { -1, -1 } };
	relay_outcome o = { 0 };

	a->child_done = 1; /* no child: nothing to wait for */
	relay_run(a, in, &job, &o);
	if (o.proto != 0)
		return o.proto;
	report_failed(a, err, "%s", msg);
	return 0;
}

static void stage_text(char *msg, size_t size, int stage, const char *workdir, int err)
{
	if (stage == SPAWN_STAGE_WORKDIR)
		snprintf(msg, size, "ecs-agent: working directory %s: %s", workdir, strerror(err));
	else if (stage == SPAWN_STAGE_USER)
		snprintf(msg, size, "ecs-agent: cannot become the task's user: %s", strerror(err));
	else if (stage == SPAWN_STAGE_PIPES)
		snprintf(msg, size, "ecs-agent: cannot give the command its pipes: %s", strerror(err));
	else
		snprintf(msg, size, "ecs-agent: cannot start the command: %s", strerror(err));
}

/*
 * Run the command of in->r.req. Returns 0 when its answer was written,
 * or a protocol error (the caller reports it and ends).
 */
static int run(agent *a, agent_in *in, const agent_creds *creds, const char *home, int *status)
{
	const ecs_agent_request *req = &in->r.req;
	int pin[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	ecs_agent_exit x = { 0 };
	relay_outcome o = { 0 };
	long oom_before, oom_after;
	int setup_err, setup_stage, rc = 0;
	char msg[ECS_AGENT_PATH_MAX + 256];
	long long started;
	pid_t pid;

	*status = EXIT_NOT_RUN;
	if (!creds->ok) {
		/* EPERM: the reader runs the task elsewhere (PROTOCOL.md, "Why a task cannot forge an exit record") */
		snprintf(msg, sizeof(msg), "ecs-agent: %s", creds->why);
		return not_run(a, in, EPERM, msg);
	}
	if ((!req->stdin_null && pipe2(pin, O_CLOEXEC) != 0) || pipe2(out, O_CLOEXEC) != 0 ||
	    pipe2(err, O_CLOEXEC) != 0) {
		int e = errno;

		close_pair(pin);
		close_pair(out);
		close_pair(err);
		stage_text(msg, sizeof(msg), SPAWN_STAGE_PIPES, NULL, e);
		return not_run(a, in, e, msg);
	}
	if (pin[1] >= 0)
		fcntl(pin[1], F_SETFL, O_NONBLOCK);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(err[0], F_SETFL, O_NONBLOCK);
	oom_before = oom_kills();
	started = ecs_clock_ms();
	pid = spawn_task(req, creds, home, pin[0], out[1], err[1], &setup_err, &setup_stage);
	close(out[1]);
	close(err[1]);
	out[1] = err[1] = -1;
	if (pin[0] >= 0) {
		close(pin[0]);
		pin[0] = -1;
	}
	if (pid <= 0) {
		int e = pid < 0 ? (int)-pid : setup_err;

		close_pair(pin);
		close_pair(out);
		close_pair(err);
		stage_text(msg, sizeof(msg), pid < 0 ? 0 : setup_stage, req->workdir, e);
		return not_run(a, in, e, msg);
	}
	a->child = pid;
	a->child_done = 0;
	{
		unsigned char rec[ECS_AGENT_START_LEN];
		ecs_agent_start s = { .version = ECS_AGENT_PROTO_VERSION, .pid = (uint32_t)pid };

		ecs_agent_start_encode(rec, &s);
		out_frame(a, ECS_AGENT_FRAME_START, rec, sizeof(rec));
	}
	{
		relay_job job = { .sink = pin[1], .src = { out[0], err[0] },
				  .src_type = { ECS_AGENT_FRAME_STDOUT, ECS_AGENT_FRAME_STDERR },
				  .deadline = req->timeout_ms ? started + req->timeout_ms : 0, .kill_rest = 1 };

		pin[1] = out[0] = err[0] = -1; /* the relay owns them now */
		relay_run(a, in, &job, &o);
	}
	if (o.proto != 0)
		return o.proto;

	oom_after = oom_kills();
	if (oom_before < 0 || oom_after < 0)
		x.flags |= ECS_AGENT_EXIT_OOM_UNKNOWN;
	else if (oom_after > oom_before)
		x.flags |= ECS_AGENT_EXIT_OOM;
	if (WIFSIGNALED(a->child_status)) {
		x.kind = ECS_AGENT_SIGNALED;
		x.signal = WTERMSIG(a->child_status);
		x.code = 128 + x.signal;
		/* the agent's kill ended it: not a command that exited as the clock ran out */
		if (o.timed_out && x.signal == SIGKILL)
			x.flags |= ECS_AGENT_EXIT_TIMED_OUT;
	} else {
		x.kind = ECS_AGENT_EXITED;
		x.code = WEXITSTATUS(a->child_status);
	}
	report_exit(a, &x);
	*status = x.code;
	return rc;
}

int exec_request(agent *a, agent_in *in, const agent_creds *creds, const char *home, int *last_status)
{
	int rc = run(a, in, creds, home, last_status);

	a->child = 0;
	a->child_done = 0;
	return rc;
}
