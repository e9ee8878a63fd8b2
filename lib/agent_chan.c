/*
 * libecs: the direct channel to a container's agent (agent_chan.h).
 */
#define _GNU_SOURCE
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent_chan.h"
#include "agent_proto.h"
#include "clock.h"
#include "read_full.h"

struct ecs_agent_chan {
	int fd;          /* the listener, -1 once closed */
	char *dir;       /* @dir/@name */
	char *sock;      /* @dir/@name/ECS_AGENT_CHAN_SOCKET_NAME */
	int removed;     /* socket and directory gone */
};

int ecs_agent_chan_listen(ecs_agent_chan **out, const char *dir, const char *name)
{
	ecs_agent_chan *ch = calloc(1, sizeof(*ch));
	struct sockaddr_un sa;
	int err;

	*out = NULL;
	if (ch == NULL)
		return -1;
	ch->fd = -1;
	if (asprintf(&ch->dir, "%s/%s", dir, name) < 0 || asprintf(&ch->sock, "%s/%s/" ECS_AGENT_CHAN_SOCKET_NAME, dir, name) < 0) {
		ch->dir = ch->sock = NULL;
		free(ch);
		errno = ENOMEM;
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(ch->sock) >= sizeof(sa.sun_path)) {
		ch->removed = 1;
		ecs_agent_chan_free(ch);
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa.sun_path, ch->sock, strlen(ch->sock) + 1);
	/* mkdir's mode goes through the umask: chmod says what we mean */
	if (mkdir(ch->dir, 0711) != 0) {
		err = errno;
		ch->removed = 1;
		ecs_agent_chan_free(ch);
		errno = err;
		return -1;
	}
	if (chmod(ch->dir, 0711) != 0 || (ch->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0 ||
	    bind(ch->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || chmod(ch->sock, 0666) != 0 ||
	    listen(ch->fd, 4) != 0) {
		err = errno;
		ecs_agent_chan_free(ch);
		errno = err;
		return -1;
	}
	*out = ch;
	return 0;
}

const char *ecs_agent_chan_dir(const ecs_agent_chan *ch)
{
	return ch->dir;
}

/* The whole of a small /proc file, NUL-terminated, into @buf; its length or -1. */
static ssize_t read_proc(int pid, const char *what, char *buf, size_t size)
{
	char path[64];
	size_t have;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, what);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	have = ecs_read_full(fd, buf, size - 1);
	close(fd);
	buf[have] = '\0';
	return (ssize_t)have;
}

int ecs_agent_chan_proc_says(int pid, const char *container_id)
{
	char buf[8192], *ns, *end, *last;
	size_t idlen = strlen(container_id);

	/* a 64-digit id names one container; a shorter string could be a part of another's */
	if (pid <= 0 || idlen != 64 || strspn(container_id, "0123456789abcdef") != idlen)
		return 0;
	/* "NSpid:\t<ours>\t...\t1": PID 1 of the innermost namespace */
	if (read_proc(pid, "status", buf, sizeof(buf)) <= 0)
		return -1;
	if ((ns = strstr(buf, "\nNSpid:")) == NULL)
		return 0;
	ns += 7;
	end = strchr(ns, '\n');
	if (end != NULL)
		*end = '\0';
	last = strrchr(ns, '\t');
	last = last != NULL ? last + 1 : ns;
	while (*last == ' ')
		last++;
	if (strcmp(last, "1") != 0 || last == ns + strspn(ns, " \t"))
		return 0;
	if (read_proc(pid, "cgroup", buf, sizeof(buf)) <= 0)
		return 0;
	return strstr(buf, container_id) != NULL;
}

int ecs_agent_chan_peer_ok(int pid, unsigned int uid, unsigned int gid, const char *container_id)
{
	/* /proc hidden from us (systemd's ProtectProc=invisible, hidepid): the ids must do */
	return uid == ECS_AGENT_UID && gid == ECS_AGENT_UID && ecs_agent_chan_proc_says(pid, container_id) != 0;
}

/* Close the listener, remove the socket and the directory: nothing can connect any more. */
static void shut(ecs_agent_chan *ch)
{
	if (ch->fd >= 0)
		close(ch->fd);
	ch->fd = -1;
	if (!ch->removed) {
		(void)unlink(ch->sock);
		(void)rmdir(ch->dir);
		ch->removed = 1;
	}
}

int ecs_agent_chan_accept(ecs_agent_chan *ch, const char *container_id, long long deadline_ms)
{
	int fd = -1;

	while (ch->fd >= 0) {
		struct pollfd p = { .fd = ch->fd, .events = POLLIN };
		long long left = deadline_ms - ecs_clock_ms();
		struct ucred cred;
		socklen_t len = sizeof(cred);
		int c;

		c = accept4(ch->fd, NULL, NULL, SOCK_CLOEXEC);
		if (c >= 0) {
			if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
			    ecs_agent_chan_peer_ok(cred.pid, cred.uid, cred.gid, container_id)) {
				fd = c;
				break;
			}
			close(c);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if ((errno != EAGAIN && errno != EWOULDBLOCK) || left <= 0)
			break;
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			break;
	}
	shut(ch);
	return fd;
}

void ecs_agent_chan_free(ecs_agent_chan *ch)
{
	if (ch == NULL)
		return;
	shut(ch);
	free(ch->dir);
	free(ch->sock);
	free(ch);
}
