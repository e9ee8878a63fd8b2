/* remote_body.h - the JSON body of an ecs-run --endpoint task (docs/api/openapi.yaml's task body). */
#ifndef ECSRUN_REMOTE_BODY_H
#define ECSRUN_REMOTE_BODY_H

#include <stddef.h>

#include "remote.h"

/**
 * remote_body - @t as the task body: docker_image, cmd, and what @t sets
 * (env, stdin, timeout, limits, creds, network, user, runtime, files with
 * each local file's bytes and permission bits, artifacts). Returns the JSON
 * text (free() it), or NULL with @why saying what failed (a local file that
 * cannot be read, out of memory).
 */
char *remote_body(const remote_task *t, char *why, size_t why_len);

#endif
