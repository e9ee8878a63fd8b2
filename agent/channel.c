/*
 * ecs-agent's direct channel (agent/PROTOCOL.md, "The direct channel"): a
 * unix socket that the reader listens on, in a directory of its own
 * bind-mounted read-only into the container. Requests and frames then
 * travel through the kernel alone instead of through the engine's attach
 * stream (dockerd, the shim and the FIFOs: about 4 ms each way here).
 *
 * The agent connects at its start, before any task exists in the
 * container, and the reader then closes its listener: no later process in
 * the container can connect. Which of the two transports serves is decided
 * by the first thing that happens on either: a byte on the channel, or
 * anything on stdin (a byte, or its end: the reader attached instead). A
 * channel that ends or fails before its first byte is dropped (the reader
 * gave up waiting for the connection and uses the attach stream), so a
 * reader never finds an agent deaf to the transport it chose.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent.h"

/* A connected socket to @path, or -1 (no listener, a path too long, no sockets under this runtime). */
static int channel_connect(const char *path)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		if (errno == EINTR)
			continue;
		close(fd);
		return -1;
	}
	return fd;
}

/* 1 when a byte waits on @fd, 0 when it ended or failed (nothing more will come from it). */
static int has_byte(int fd)
{
	char c;
	ssize_t n;

	do
		n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	return n == 1 || (n < 0 && errno == EAGAIN);
}

int channel_pick(agent *a, const char *path)
{
	int fd = channel_connect(path);

	if (fd < 0)
		return 0;
	for (;;) {
		struct pollfd p[3] = { { .fd = fd, .events = POLLIN }, { .fd = 0, .events = POLLIN },
				       { .fd = a->sigfd, .events = POLLIN } };
		int sig;

		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if ((p[2].revents & POLLIN) && (sig = signals_handle(a)) != 0) {
			close(fd);
			return 128 + sig;
		}
		/* stdin spoke first (a byte, or its end): the reader attached; the channel is not used */
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL))
			break;
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (!has_byte(fd))
				break;
			/* the channel is fd 0 and fd 1 from now on; the children replace both (spawn.c, worker.c) */
			if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0)
				break;
			close(fd);
			return 0;
		}
	}
	close(fd);
	return 0;
}
