/*
 * Private: the one check of a path a task names inside its container (a
 * file it writes, an artifact it reads, a session's PUT or GET). The agent
 * confines paths again inside the container (writable mounts, symlinks:
 * agent/PROTOCOL.md); this is what can be told without the container: the
 * shape of the text, so a bad path is refused before any I/O.
 */
#ifndef ECS_PATHS_H
#define ECS_PATHS_H

#include <stddef.h>

/**
 * ecs_path_check - 0 when @path is absolute, at most ECS_TASK_MAX_PATH
 * bytes, has at least one component and no empty, "." or ".." one (so no
 * "//" and no trailing "/"); else ECS_EINVAL with @why (may be NULL) saying
 * what, naming the path (cut at 200 bytes) after @what ("file", "artifact").
 */
int ecs_path_check(const char *path, const char *what, char *why, size_t why_len);

#endif
