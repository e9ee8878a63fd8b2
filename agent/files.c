/*
 * ecs-agent PUT, GET and PING: the agent relays (chunks of a tar stream
 * into a PUT worker, a GET worker's tar stream out as DATA frames) and
 * answers with the worker's outcome: EXIT EXITED 0 (TRUNCATED when GET's
 * cap cut content), or a MESSAGE naming the path and EXIT FAILED with its
 * errno value (agent/PROTOCOL.md).
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

static int answer_ok(agent *a, unsigned flags)
{
	ecs_agent_exit x = { .kind = ECS_AGENT_EXITED, .flags = flags };

	report_exit(a, &x);
	return 0;
}

/* No worker runs: read the rest of the request (PUT's chunks) and refuse it. */
static int refuse(agent *a, agent_in *in, int err, const char *msg)
{
	relay_job job = { .sink = -1, .src = { -1, -1 } };
	relay_outcome o = { 0 };

	a->child_done = 1;
	relay_run(a, in, &job, &o);
	if (o.proto != 0)
		return o.proto;
	report_failed(a, err, "%s", msg);
	return 0;
}

static int run(agent *a, agent_in *in, const agent_creds *creds, const agent_roots *roots)
{
	const ecs_agent_request *req = &in->r.req;
	int data[2] = { -1, -1 }, st[2] = { -1, -1 }, put = req->kind == ECS_AGENT_REQ_PUT, err;
	put_job pj = { .roots = roots, .dir = req->path };
	get_job gj = { .roots = roots, .path = req->path, .limit = req->limit };
	relay_job job = { .sink = -1, .src = { -1, -1 }, .src_type = { ECS_AGENT_FRAME_DATA, 0 } };
	relay_outcome o = { 0 };
	char msg[2 * ECS_AGENT_PATH_MAX + 512];
	unsigned flags;
	pid_t pid;

	if (req->kind == ECS_AGENT_REQ_PING)
		return answer_ok(a, 0);
	if (!creds->ok) {
		snprintf(msg, sizeof(msg), "ecs-agent: %s", creds->why);
		return refuse(a, in, EPERM, msg);
	}
	if (pipe2(data, O_CLOEXEC) != 0 || pipe2(st, O_CLOEXEC) != 0) {
		err = errno;
		for (int i = 0; i < 2; i++) {
			if (data[i] >= 0)
				close(data[i]);
			if (st[i] >= 0)
				close(st[i]);
		}
		snprintf(msg, sizeof(msg), "ecs-agent: cannot make the pipes for %s: %s", req->path, strerror(err));
		return refuse(a, in, err, msg);
	}
	pid = put ? worker_start(creds, put_unpack, &pj, data[0], -1, st[1])
		  : worker_start(creds, get_pack, &gj, -1, data[1], st[1]);
	close(st[1]);
	close(put ? data[0] : data[1]);
	if (pid < 0) {
		close(st[0]);
		close(put ? data[1] : data[0]);
		snprintf(msg, sizeof(msg), "ecs-agent: cannot start the worker for %s: %s", req->path,
			 strerror((int)-pid));
		return refuse(a, in, (int)-pid, msg);
	}
	a->child = pid;
	a->child_done = 0;
	if (put) {
		job.sink = data[1];
		fcntl(job.sink, F_SETFL, O_NONBLOCK);
	} else {
		job.src[0] = data[0];
		fcntl(job.src[0], F_SETFL, O_NONBLOCK);
	}
	relay_run(a, in, &job, &o);
	if (o.proto != 0) {
		close(st[0]);
		return o.proto;
	}
	worker_status_read(st[0], &err, &flags, msg, sizeof(msg));
	close(st[0]);
	if (err == 0 && !(WIFEXITED(a->child_status) && WEXITSTATUS(a->child_status) == 0)) {
		err = EIO;
		snprintf(msg, sizeof(msg), "ecs-agent: the worker for %s ended (status 0x%x) without a report", req->path,
			 (unsigned)a->child_status);
	}
	if (err != 0) {
		report_failed(a, err, "%s", msg);
		return 0;
	}
	return answer_ok(a, flags & ECS_AGENT_EXIT_TRUNCATED);
}

int files_request(agent *a, agent_in *in, const agent_creds *creds, const agent_roots *roots)
{
	int rc = run(a, in, creds, roots);

	a->child = 0;
	a->child_done = 0;
	return rc;
}
