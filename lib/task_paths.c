/*
 * libecs: the one check of a path a task names inside its container (a
 * file it writes, an artifact it reads, a session's PUT or GET): what can
 * be told without the container, so a bad path is refused before any I/O.
 * The agent confines paths again inside it (writable mounts, symlinks:
 * agent/PROTOCOL.md). The grammar of the components is the agent's own,
 * written once in the floor (ecs_tar_name_ok(), agent/tar.h).
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include <ecs/ecs.h>
#include "tar.h"

/* Bytes of a path quoted in a message: enough to find it, not a whole 4 KiB. */
#define QUOTE_MAX 200

static int refuse(const char *path, const char *what, const char *how, char *why, size_t why_len)
{
	if (why != NULL && why_len > 0)
		snprintf(why, why_len, "%s \"%.*s\"%s: %s", what, QUOTE_MAX, path,
			 strlen(path) > QUOTE_MAX ? "..." : "", how);
	return ECS_EINVAL;
}

int ecs_task_path_check(const char *path, const char *what, char *why, size_t why_len)
{
	size_t len;

	if (what == NULL)
		what = "path";
	if (path == NULL) {
		if (why != NULL && why_len > 0)
			snprintf(why, why_len, "%s: NULL path", what);
		return ECS_EINVAL;
	}
	len = strlen(path);
	if (path[0] != '/')
		return refuse(path, what, "not an absolute path", why, why_len);
	if (len > ECS_TASK_MAX_PATH) {
		char how[48];

		snprintf(how, sizeof(how), "longer than %u bytes", ECS_TASK_MAX_PATH);
		return refuse(path, what, how, why, why_len);
	}
	if (len == 1)
		return refuse(path, what, "names no file or directory", why, why_len);
	/* the agent's grammar allows one trailing '/' (a directory's tar name); a path here has none */
	if (path[len - 1] == '/' || !ecs_tar_name_ok(path + 1))
		return refuse(path, what, "an empty, \".\" or \"..\" component", why, why_len);
	return 0;
}
