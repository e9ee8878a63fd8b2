#include <config.h>
#include <errno.h>
#include <unistd.h>
#include "read_full.h"

size_t ecs_read_full(int fd, void *buf, size_t size)
{
	char *p = buf;
	size_t have = 0;

	errno = 0;
	while (have < size) {
		ssize_t n = read(fd, p + have, size - have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	return have;
}
