/*
 * task_files.h - the `files` and `artifacts` of a request (a task body, a
 * session's exec), parsed once at the edge and judged against the task's
 * sandbox. The answer's `artifacts` are handler_task_artifacts()'s.
 *
 * `files`: [{"path": ABSOLUTE, "content": BASE64, "mode": 0..0777}],
 * written before the command runs. `artifacts`: [ABSOLUTE, ...], files or
 * directories read after it exits. A path is absolute, at most
 * ECS_TASK_MAX_PATH bytes, without an empty, "." or ".." component, and
 * lies under one of the task's writable mounts (task_files_check()): /tmp
 * and the profile's tmpfs paths, or anywhere but /proc, /sys and /dev with
 * a writable root. The agent in the container resolves the same path again
 * without following a symlink: this edge refuses what can be judged from
 * the request alone and names the path; the agent refuses the rest.
 */
#ifndef ECSFCGI_TASK_FILES_H
#define ECSFCGI_TASK_FILES_H

#include <stddef.h>

#include <ecs/ecs.h>

struct json_object;

/** Decoded `files` and the `artifacts` paths; strings point into the parsed JSON (borrowed). */
typedef struct {
	ecs_file *files;              /* each .data owned here (malloc'd), .path borrowed */
	size_t files_len;
	size_t files_bytes;           /* the decoded contents, all together */
	const char **artifacts;       /* borrowed strings, the array owned */
	size_t artifacts_len;
	int has_artifacts;            /* `artifacts` was in the request (even empty): answer it */
} task_files;

/** Why a request's files were refused: 400 with @code (PATH_REFUSED or BAD_REQUEST_BODY) and @message. */
typedef struct {
	const char *code;
	char message[256];
} task_files_error;

/**
 * task_files_parse - read the request members @files and @artifacts (either
 * may be NULL: not given) into @out (zeroed here), checking their shape and
 * each path's grammar. The strings stay borrowed from the JSON objects,
 * which must outlive @out.
 * Returns 0; -1 refused (@err, @out cleared); -2 out of memory.
 */
int task_files_parse(task_files *out, struct json_object *files, struct json_object *artifacts,
		task_files_error *err);

/**
 * task_files_check - @tf against the task's merged sandbox @profile (every
 * path under one of its writable mounts) and the operator's @files_cap
 * (bytes of file content in all; 0 = no cap).
 * Returns 0, or -1 with @err naming the first path refused.
 */
int task_files_check(const task_files *tf, const ecs_sandbox_profile *profile, size_t files_cap,
		task_files_error *err);

/** task_files_clear - free what @tf holds. */
void task_files_clear(task_files *tf);

#endif
