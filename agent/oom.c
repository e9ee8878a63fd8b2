/*
 * ecs-agent OOM detection: the memory cgroup counts the processes it
 * OOM-killed. The agent reads the counter before and after the task; a
 * difference means the task (or one of its processes) was killed for memory.
 * cgroup v2 has it in memory.events, cgroup v1 (kernel 4.13+) in
 * memory.oom_control, both as an "oom_kill N" line; memory.failcnt is not
 * used: it counts hitting the limit, which reclaim often survives.
 */
#include <config.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"

static long counter(const char *path)
{
	char buf[4096];
	ssize_t n;
	char *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	for (p = buf; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, "oom_kill ", 9) == 0) {
			char *end;
			long v = strtol(p + 9, &end, 10);

			return end == p + 9 || v < 0 ? -1 : v;
		}
	}
	return -1;
}

long oom_kills(void)
{
	long v = counter("/sys/fs/cgroup/memory.events");

	return v >= 0 ? v : counter("/sys/fs/cgroup/memory/memory.oom_control");
}
