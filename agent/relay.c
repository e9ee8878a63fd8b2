/*
 * ecs-agent relay: copy the task's stdout and stderr pipes to framed output
 * as the bytes arrive, until the task exited. Then, as the kernel does when a
 * container's PID 1 exits, every other process in the container is killed,
 * and the pipes are drained to EOF: all a process wrote before it died is
 * delivered, and nothing can be written after the exit record.
 */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "clock.h"

#define DRAIN_MS 2000 /* after the kill: a process stuck in the kernel cannot hold the exit record */

static unsigned char buf[ECS_AGENT_DATA_MAX];

/* Read once from *fd; frame what came; close it at EOF or error. */
static void pump(agent *a, int *fd, unsigned type)
{
	ssize_t n = read(*fd, buf, sizeof(buf));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		close(*fd);
		*fd = -1;
		return;
	}
	if (out_frame(a, type, buf, (size_t)n) != 0) {
		/* nobody can hear the task any more: end it */
		if (!a->child_done)
			kill(a->child, SIGKILL);
	}
}

static void kill_rest(agent *a)
{
	/* as PID 1, kill(-1) reaches every other process of the container */
	if (getpid() == 1)
		kill(-1, SIGKILL);
	else
		kill(-a->child, SIGKILL);
}

void relay_run(agent *a, int out_r, int err_r)
{
	int fds[2] = { out_r, err_r };
	long long deadline = 0;

	for (;;) {
		struct pollfd p[3];
		int i, n = 0, timeout = -1, idx[2] = { -1, -1 };

		if (a->child_done && deadline == 0) {
			kill_rest(a);
			deadline = ecs_clock_ms() + DRAIN_MS;
		}
		if (deadline != 0) {
			long long left = deadline - ecs_clock_ms();

			if ((fds[0] < 0 && fds[1] < 0) || left <= 0)
				break;
			timeout = (int)left;
		}
		for (i = 0; i < 2; i++) {
			if (fds[i] >= 0) {
				idx[i] = n;
				p[n].fd = fds[i];
				p[n++].events = POLLIN;
			}
		}
		p[n].fd = a->sigfd;
		p[n++].events = POLLIN;
		if (poll(p, (nfds_t)n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < 2; i++)
			if (idx[i] >= 0 && (p[idx[i]].revents & (POLLIN | POLLHUP | POLLERR)))
				pump(a, &fds[i], i == 0 ? ECS_AGENT_FRAME_STDOUT : ECS_AGENT_FRAME_STDERR);
		if (p[n - 1].revents & POLLIN)
			signals_handle(a);
	}
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}
