/*
 * ecs-agent header reader: exactly the prefix, then exactly the body it
 * announces, so the first byte after the header is the task's first byte of
 * stdin (the task inherits fd 0 itself). Termination signals are watched
 * while it waits: a pooled container that is stopped before it got a task
 * ends at once.
 */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include "agent.h"

/* 0, 1 for EOF, -1 for a read error, or 128 + signal. */
static int read_exact(agent *a, unsigned char *buf, size_t len)
{
	size_t have = 0;

	while (have < len) {
		struct pollfd p[2] = { { .fd = 0, .events = POLLIN }, { .fd = a->sigfd, .events = POLLIN } };
		ssize_t n;
		int sig;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if ((p[1].revents & POLLIN) && (sig = signals_handle(a)) != 0)
			return 128 + sig;
		if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = read(0, buf + have, len - have);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 1;
		have += (size_t)n;
	}
	return 0;
}

int header_read(agent *a, ecs_agent_task *task, unsigned char **body)
{
	unsigned char prefix[ECS_AGENT_PREFIX_LEN];
	unsigned kind;
	size_t len;
	int rc;

	*body = NULL;
	if ((rc = read_exact(a, prefix, sizeof(prefix))) != 0)
		return rc < 0 ? ECS_AGENT_EPROTO : rc;
	if ((rc = ecs_agent_prefix_parse(&kind, &len, prefix)) != 0)
		return rc;
	/* +1: a zero-length body is a valid read but malloc(0) may be NULL */
	if ((*body = malloc(len + 1)) == NULL)
		return ECS_AGENT_ENOMEM;
	if ((rc = read_exact(a, *body, len)) != 0)
		return rc < 0 ? ECS_AGENT_EPROTO : rc;
	return ecs_agent_body_parse(task, kind, *body, len);
}
