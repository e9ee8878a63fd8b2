/*
 * task_body.h - the body of POST /v1.1/tasks, validated.
 *
 * The original schema, exactly: docker_image (string with a tag or a
 * digest), cmd (array of one or more non-empty strings), optional creds
 * {username, password, email} (all three, non-empty). Our optional
 * extensions: timeout (whole seconds), env (["K=V"...]), stdin (base64),
 * limits {memory, cpus, pids}, network ("none" | "bridge"), user
 * ("uid[:gid]" or a name), runtime (an engine runtime's name), files and
 * artifacts (task_files.h); labels (task_labels.h) and callback {"url"}
 * (judged against callback_allow later, in intake). Anything else is refused. No string may contain a NUL byte.
 */
#ifndef ECSFCGI_TASK_BODY_H
#define ECSFCGI_TASK_BODY_H

#include <stddef.h>
#include <stdint.h>

#include <ecs/ecs.h>

#include "conf.h"
#include "task_files.h"

struct json_object;

typedef struct {
	struct json_object *root;     /* owns the strings below */
	const char *image;            /* as written, for messages and the engine */
	ecs_image_ref ref;            /* the same, parsed: the one parse of a request's image (owned) */
	int image_is_id;              /* an image id (sha256:<hex>...), not a name: ref.kind */
	const char **cmd;
	size_t cmd_len;
	const char **env;
	size_t env_len;
	int has_creds;
	ecs_registry_auth creds;
	unsigned char *stdin_data;    /* owned */
	size_t stdin_len;
	int has_stdin;
	long timeout_s;               /* 0 = not given */
	int64_t memory;               /* bytes, 0 = not given */
	double cpus;                  /* 0 = not given */
	int64_t pids;                 /* 0 = not given */
	const char *network;          /* NULL = not given */
	const char *user;             /* NULL = not given */
	const char *runtime;          /* NULL = not given */
	long idle_timeout_s;          /* a session's idleTimeout; 0 = not given */
	long lifetime_s;              /* a session's lifetime; 0 = not given */
	const char *workdir;          /* an exec's workdir (absolute); NULL = not given */
	task_files files;             /* files and artifacts (paths borrowed from root) */
	struct json_object *labels;   /* the labels object (borrowed from root, checked); NULL = not given */
	const char *callback_url;     /* callback.url (borrowed; syntax only: callback_check() judges it); NULL = not given */
} task_body;

/** Bytes of a callback URL. */
#define TASK_BODY_CALLBACK_URL_MAX 2048

/**
 * task_body_kind - which body: a task's (POST /v1.1/tasks), a session's
 * (POST /v1.1/sessions: the task's container properties, no cmd, timeout
 * or stdin, plus idleTimeout and lifetime), or an exec's in a session
 * (POST /v1.1/sessions/{id}/exec: cmd, env, stdin, timeout, workdir).
 */
typedef enum {
	TASK_BODY_TASK = 0,
	TASK_BODY_SESSION,
	TASK_BODY_EXEC
} task_body_kind;

typedef struct {
	int status;                   /* 400 */
	const char *code;             /* BAD_REQUEST_BODY, IMAGE_NAME_IS_INVALID or PATH_REFUSED */
	char message[256];
} body_error;

/**
 * task_body_parse - parse and validate @len bytes of @body (which should be
 * NUL-terminated at @len, as request_read_body() leaves it).
 * Returns 0 (free @out with task_body_clear()), -1 invalid (@err says why;
 * @out is cleared), -2 out of memory.
 */
int task_body_parse(task_body *out, const char *body, size_t len, body_error *err);

/** task_body_parse_kind - task_body_parse() of a body of @kind. */
int task_body_parse_kind(task_body *out, const char *body, size_t len, task_body_kind kind, body_error *err);

/**
 * task_body_check_caps - are the requested timeout and limits within @caps
 * (0 and LIMIT_UNLIMITED members are no cap)? Returns 0, or -1 with @why naming the first one over.
 */
int task_body_check_caps(const task_body *tb, const limit_caps *caps, char *why, size_t whylen);

/** task_body_clear - free what @tb holds. */
void task_body_clear(task_body *tb);

#endif
