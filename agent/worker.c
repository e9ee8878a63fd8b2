/*
 * ecs-agent workers: a PUT unpacks and a GET packs in a child of the agent
 * that became the task's user exactly as a command does (creds.c), so a
 * file is written or read with the rights a command of the task has, and
 * no more. The worker holds none of the agent's descriptors: its stdin is
 * the tar stream (PUT) or /dev/null, its stdout the tar stream (GET) or
 * /dev/null, its stderr the status pipe.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agent.h"
#include "read_full.h"

#define FD_SCAN_MAX 4096 /* where the close loop stops when close_range is missing (gVisor, old kernels) */

static void close_from(int first)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)first, ~0u, 0) == 0)
		return;
#endif
	for (int fd = first; fd < FD_SCAN_MAX; fd++)
		close(fd);
}

pid_t worker_start(const agent_creds *creds, int (*fn)(void *), void *arg, int in, int out, int status)
{
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);

		signals_reset_child();
		setpgid(0, 0);
		if (nul < 0 || dup2(in >= 0 ? in : nul, 0) < 0 || dup2(out >= 0 ? out : nul, 1) < 0 || dup2(status, 2) < 0)
			_exit(120);
		close_from(3);
		if (creds_become_task(creds) != 0) {
			worker_status(EPERM, 0, "ecs-agent: cannot become the task's user");
			_exit(1);
		}
		_exit(fn(arg));
	}
	return pid;
}

void worker_status(int err, unsigned flags, const char *fmt, ...)
{
	char buf[2 * ECS_AGENT_PATH_MAX + 512];
	unsigned head[2] = { (unsigned)err, flags };
	size_t len = sizeof(head), off = 0;
	va_list ap;
	int n;

	memcpy(buf, head, sizeof(head));
	va_start(ap, fmt);
	n = vsnprintf(buf + len, sizeof(buf) - len, fmt, ap);
	va_end(ap);
	if (n > 0)
		len += (size_t)n < sizeof(buf) - len ? (size_t)n : sizeof(buf) - len - 1;
	while (off < len) {
		ssize_t w = write(2, buf + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		off += (size_t)w;
	}
}

void worker_status_read(int fd, int *err, unsigned *flags, char *msg, size_t msg_size)
{
	char buf[2 * ECS_AGENT_PATH_MAX + 512];
	unsigned head[2];
	size_t have;

	*err = 0;
	*flags = 0;
	msg[0] = '\0';
	have = ecs_read_full(fd, buf, sizeof(buf));
	if (have < sizeof(head))
		return;
	memcpy(head, buf, sizeof(head));
	*err = (int)head[0];
	*flags = head[1];
	snprintf(msg, msg_size, "%.*s", (int)(have - sizeof(head)), buf + sizeof(head));
}
