/*
 * ecs-agent input: its stdin is the attach stream, on which requests come
 * one after another (agent/PROTOCOL.md). Bytes are read as they arrive and
 * fed to the protocol's reader; termination signals are watched while the
 * agent waits between requests, so a container stopped while idle ends at
 * once.
 */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"

void in_init(agent_in *in)
{
	in->off = in->len = 0;
	in->eof = 0;
	ecs_agent_reader_init(&in->r);
}

void in_clear(agent_in *in)
{
	ecs_agent_reader_clear(&in->r);
}

int in_fill(agent_in *in)
{
	ssize_t n;

	if (in->eof || in->len > 0)
		return 0;
	n = read(0, in->buf, sizeof(in->buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return -1;
	if (n <= 0) {
		/* a read error is the end of the stream too: nothing more can come */
		in->eof = 1;
		return 0;
	}
	in->off = 0;
	in->len = (size_t)n;
	return 0;
}

int in_next(agent_in *in, ecs_agent_rev *ev)
{
	const unsigned char *p = in->buf + in->off;
	size_t n = in->len;
	int rc = ecs_agent_reader_feed(&in->r, &p, &n, ev);

	in->off += in->len - n;
	in->len = n;
	return rc;
}

int in_wait_request(agent *a, agent_in *in)
{
	for (;;) {
		struct pollfd p[2] = { { .fd = 0, .events = POLLIN }, { .fd = a->sigfd, .events = POLLIN } };
		ecs_agent_rev ev;
		int rc, sig;

		while (in->len > 0) {
			if ((rc = in_next(in, &ev)) != 0)
				return rc;
			if (ev.type == ECS_AGENT_REV_REQUEST)
				return 0;
		}
		if (in->eof)
			return ecs_agent_reader_eof(&in->r) == 0 ? 1 : ECS_AGENT_EPROTO;
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return ECS_AGENT_EPROTO;
		}
		if ((p[1].revents & POLLIN) && (sig = signals_handle(a)) != 0)
			return 128 + sig;
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL))
			in_fill(in);
	}
}
