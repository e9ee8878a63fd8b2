/*
 * libecs: the shape of a path inside a container (see paths.h).
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include <ecs/ecs.h>
#include "paths.h"

/* Bytes of a path quoted in a message: enough to find it, not a whole 4 KiB. */
#define QUOTE_MAX 200

static int refuse(const char *path, const char *what, const char *how, char *why, size_t why_len)
{
	if (why != NULL && why_len > 0)
		snprintf(why, why_len, "%s \"%.*s\"%s: %s", what, QUOTE_MAX, path,
			 strlen(path) > QUOTE_MAX ? "..." : "", how);
	return ECS_EINVAL;
}

int ecs_path_check(const char *path, const char *what, char *why, size_t why_len)
{
	const char *p;

	if (path == NULL) {
		if (why != NULL && why_len > 0)
			snprintf(why, why_len, "%s: NULL path", what);
		return ECS_EINVAL;
	}
	if (path[0] != '/')
		return refuse(path, what, "not an absolute path", why, why_len);
	if (strlen(path) > ECS_TASK_MAX_PATH) {
		char how[48];

		snprintf(how, sizeof(how), "longer than %u bytes", ECS_TASK_MAX_PATH);
		return refuse(path, what, how, why, why_len);
	}
	if (path[1] == '\0')
		return refuse(path, what, "names no file or directory", why, why_len);
	for (p = path + 1;;) {
		const char *end = strchr(p, '/');
		size_t n = end != NULL ? (size_t)(end - p) : strlen(p);

		if (n == 0)
			return refuse(path, what, "empty path component", why, why_len);
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return refuse(path, what, "\".\" or \"..\" component", why, why_len);
		if (end == NULL)
			return 0;
		p = end + 1;
	}
}
