/*
 * ecs-agent output: every byte the agent writes on fd 1 is a frame (see
 * PROTOCOL.md), and every answer ends with an EXIT frame. fd 1 is non-blocking so that a slow reader never stops the
 * agent from reaping and forwarding signals while it waits to write.
 */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/uio.h>
#include <unistd.h>

#include "agent.h"

static int wait_writable(agent *a)
{
	struct pollfd p[2] = { { .fd = 1, .events = POLLOUT }, { .fd = a->sigfd, .events = POLLIN } };

	if (poll(p, 2, -1) < 0)
		return errno == EINTR ? 0 : -1;
	if (p[1].revents & POLLIN)
		signals_handle(a);
	if (p[0].revents & (POLLERR | POLLNVAL))
		return -1;
	return 0;
}

int out_frame(agent *a, unsigned type, const void *payload, size_t len)
{
	unsigned char hdr[ECS_AGENT_FRAME_HDR_LEN];
	struct iovec iov[2];
	int n = 2;
	struct iovec *v = iov;

	if (a->out_broken)
		return -1;
	ecs_agent_frame_header(hdr, type, (uint32_t)len);
	iov[0].iov_base = hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = (void *)payload;
	iov[1].iov_len = len;
	while (n > 0) {
		ssize_t w = writev(1, v, n);

		if (w < 0) {
			if ((errno == EAGAIN || errno == EINTR) && wait_writable(a) == 0)
				continue;
			a->out_broken = 1;
			return -1;
		}
		while (n > 0 && (size_t)w >= v->iov_len) {
			w -= (ssize_t)v->iov_len;
			v++;
			n--;
		}
		if (n > 0) {
			v->iov_base = (char *)v->iov_base + w;
			v->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* Room for a message that names a path (ECS_AGENT_PATH_MAX) twice, with words around it. */
#define MESSAGE_MAX (2 * ECS_AGENT_PATH_MAX + 512)

static void message_v(agent *a, const char *fmt, va_list ap)
{
	char buf[MESSAGE_MAX];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);

	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	out_frame(a, ECS_AGENT_FRAME_MESSAGE, buf, (size_t)n);
}

void out_message(agent *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	message_v(a, fmt, ap);
	va_end(ap);
}

void report_exit(agent *a, const ecs_agent_exit *x)
{
	unsigned char rec[ECS_AGENT_EXIT_LEN];

	ecs_agent_exit_encode(rec, x);
	out_frame(a, ECS_AGENT_FRAME_EXIT, rec, sizeof(rec));
}

void report_failed(agent *a, int err, const char *fmt, ...)
{
	ecs_agent_exit x = { .kind = ECS_AGENT_FAILED, .code = err };
	va_list ap;

	va_start(ap, fmt);
	message_v(a, fmt, ap);
	va_end(ap);
	report_exit(a, &x);
}
