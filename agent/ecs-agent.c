/*
 * ecs-agent: PID 1 of a pooled container. It waits on stdin for one task
 * header, runs the task with the rest of stdin as the task's stdin, relays
 * the task's stdout and stderr as frames on its own stdout, and ends with an
 * exit record. The protocol is agent/PROTOCOL.md.
 *
 * Exit status of the agent itself: the task's (128 + signal when a signal
 * ended it), 125 when the task never ran, 128 + signal when the container
 * was stopped before a task came.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"

#define EXIT_NOT_RUN 125

/* The exit record, last thing written; returns the agent's own exit status. */
static int report(agent *a, const ecs_agent_exit *x)
{
	unsigned char rec[ECS_AGENT_EXIT_LEN];

	ecs_agent_exit_encode(rec, x);
	out_frame(a, ECS_AGENT_FRAME_EXIT, rec, sizeof(rec));
	if (x->kind == ECS_AGENT_EXITED)
		return x->code;
	return x->kind == ECS_AGENT_SIGNALED ? x->code : EXIT_NOT_RUN;
}

static int not_run(agent *a, int err, const char *what)
{
	ecs_agent_exit x = { .kind = ECS_AGENT_FAILED, .code = err };

	out_message(a, "ecs-agent: %s", what);
	return report(a, &x);
}

static int header_errno(int rc)
{
	return rc == ECS_AGENT_ENOMEM ? ENOMEM : rc == ECS_AGENT_ETOOBIG ? E2BIG : EPROTO;
}

static int run(agent *a, const agent_creds *creds, const char *home)
{
	ecs_agent_task task = { 0 };
	ecs_agent_exit x = { 0 };
	unsigned char *body = NULL;
	unsigned char rec[ECS_AGENT_START_LEN];
	int out[2] = { -1, -1 }, err[2] = { -1, -1 };
	long oom_before, oom_after;
	pid_t pid;
	int rc;

	rc = header_read(a, &task, &body);
	if (rc > 128) /* stopped while waiting: no one to report to */
		goto out;
	if (rc == 1) {
		rc = not_run(a, EPROTO, "stdin ended before a complete task header");
		goto out;
	}
	if (rc != 0) {
		out_message(a, "ecs-agent: bad task header: %s", ecs_agent_strerror(rc));
		x.kind = ECS_AGENT_FAILED;
		x.code = header_errno(rc);
		rc = report(a, &x);
		goto out;
	}
	if (task.workdir != NULL && chdir(task.workdir) != 0) {
		int e = errno;

		out_message(a, "ecs-agent: working directory %s: %s", task.workdir, strerror(e));
		x.kind = ECS_AGENT_FAILED;
		x.code = e;
		rc = report(a, &x);
		goto out;
	}
	if (!creds->ok) {
		/* EPERM: the reader runs the task cold (PROTOCOL.md, "Why a task cannot forge an exit record") */
		rc = not_run(a, EPERM, creds->why);
		goto out;
	}
	if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
		rc = not_run(a, errno, "cannot make the output pipes");
		goto out;
	}
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(err[0], F_SETFL, O_NONBLOCK);
	oom_before = oom_kills();
	pid = spawn_task(&task, creds, home, out[1], err[1]);
	if (pid < 0) {
		rc = not_run(a, (int)-pid, "cannot start the task");
		goto out;
	}
	a->child = pid;
	close(out[1]);
	close(err[1]);
	out[1] = err[1] = -1;
	{
		ecs_agent_start s = { .version = ECS_AGENT_PROTO_VERSION, .pid = (uint32_t)pid };

		ecs_agent_start_encode(rec, &s);
		out_frame(a, ECS_AGENT_FRAME_START, rec, sizeof(rec));
	}
	relay_run(a, out[0], err[0]);
	out[0] = err[0] = -1;

	oom_after = oom_kills();
	if (oom_before < 0 || oom_after < 0)
		x.flags |= ECS_AGENT_EXIT_OOM_UNKNOWN;
	else if (oom_after > oom_before)
		x.flags |= ECS_AGENT_EXIT_OOM;
	if (WIFSIGNALED(a->child_status)) {
		x.kind = ECS_AGENT_SIGNALED;
		x.signal = WTERMSIG(a->child_status);
		x.code = 128 + x.signal;
	} else {
		x.kind = ECS_AGENT_EXITED;
		x.code = WEXITSTATUS(a->child_status);
	}
	rc = report(a, &x);
out:
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	ecs_agent_request_clear(&task);
	free(body);
	return rc;
}

/* The whole of a small file (/etc/passwd, /etc/group), or NULL when there is none. */
static char *slurp(const char *path, size_t *len)
{
	size_t cap = 1u << 20, have = 0;
	char *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*len = 0;
	if (fd < 0)
		return NULL;
	if ((buf = malloc(cap + 1)) == NULL) {
		close(fd);
		return NULL;
	}
	while (have < cap) {
		ssize_t n = read(fd, buf + have, cap - have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	close(fd);
	buf[have] = '\0';
	*len = have;
	return buf;
}

/*
 * Arguments (set by libecs, agent/PROTOCOL.md): -u SPEC, the task's user as
 * the engine would take it (the profile's user, else the image's, "" for
 * root); -h: the image sets no HOME, so the task gets its user's (as the
 * engine's runtime sets it). Resolve the user, then leave root for AGENT_ID.
 */
static void setup_creds(agent_creds *c, int argc, char **argv, char *home, size_t home_size)
{
	const char *spec = NULL;
	char *passwd, *group;
	size_t plen, glen;
	agent_user u;
	int set_home = 0, rc;

	home[0] = '\0';
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-u") == 0 && i + 1 < argc) {
			spec = argv[++i];
		} else if (strcmp(argv[i], "-h") == 0) {
			set_home = 1;
		} else {
			snprintf(c->why, sizeof(c->why), "unknown argument %.64s", argv[i]);
			return;
		}
	}
	if (spec == NULL) {
		snprintf(c->why, sizeof(c->why), "started without the task's user (-u)");
		return;
	}
	passwd = slurp("/etc/passwd", &plen);
	group = slurp("/etc/group", &glen);
	rc = agent_user_resolve(&u, spec, passwd, plen, group, glen);
	free(passwd);
	free(group);
	if (rc != 0) {
		snprintf(c->why, sizeof(c->why), "unable to find user %.64s: %s", spec, agent_user_strerror(rc));
		return;
	}
	if (creds_become_agent(c, &u) == 0 && creds_probe(c) == 0 && set_home)
		snprintf(home, home_size, "HOME=%s", u.home);
}

int main(int argc, char **argv)
{
	agent a = { .sigfd = -1 };
	agent_creds creds;
	char home[AGENT_USER_MAX_HOME + 8];

	memset(&creds, 0, sizeof(creds));
	setup_creds(&creds, argc, argv, home, sizeof(home));
	/* without a uid of its own no task runs; non-dumpable then, as before (creds.c says why it is dumpable otherwise) */
	if (!creds.ok)
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (signals_setup(&a) != 0)
		return EXIT_NOT_RUN;
	fcntl(1, F_SETFL, fcntl(1, F_GETFL) | O_NONBLOCK);
	return run(&a, &creds, home[0] ? home : NULL);
}
