/*
 * Private (never installed): image inspect and pull, the registry auth
 * header, and what image.c shares with the task runner and the unit tests.
 * A program using the library lets ecs_task_run() pull per its policy.
 */
#ifndef ECS_IMAGE_PRIVATE_H
#define ECS_IMAGE_PRIVATE_H

#include <ecs/ecs.h>

/**
 * ecs_registry_auth_encode - the X-Registry-Auth header value: base64url of
 * the JSON {"username","password","email","serveraddress"} (built with json-c).
 * @out: receives a NUL-terminated string the caller frees with free().
 * Returns 0, ECS_EINVAL (NULL auth or username/password) or ECS_ENOMEM.
 */
int ecs_registry_auth_encode(char **out, const ecs_registry_auth *auth);

/** What image inspect reports. Strings owned by the struct; see ecs_image_info_clear(). */
typedef struct {
	char *id;           /* "sha256:..." content-addressed image id */
	char *repo_digest;  /* "name@sha256:..." of the inspected reference's repository; NULL when
			     * the image has none (built or imported locally, pulled under another name) */
	char *working_dir;  /* Config.WorkingDir; "" when the image sets none */
	char *user;         /* Config.User; "" when the image sets none (root) */
	int has_home;       /* Config.Env sets HOME */
	char **entrypoint;  /* Config.Entrypoint (NULL/0 for none): what the engine runs before the command */
	size_t entrypoint_len;
} ecs_image_info;

#define ECS_IMAGE_INFO_INIT { NULL, NULL, NULL, NULL, 0, NULL, 0 }

struct json_object;

/** 1 when an image's Config (json-c object, may be NULL) has an Env entry HOME=...; else 0. */
int ecs_image_config_has_home(struct json_object *config);

/** ecs_image_info_clear - free the members. NULL is allowed. */
void ecs_image_info_clear(ecs_image_info *info);

/**
 * ecs_image_inspect - GET /images/{name}/json.
 * @out: filled on success (may be NULL to only test existence).
 * Returns 0, ECS_ENOTFOUND when the engine has no such image, or a transport error.
 */
int ecs_image_inspect(ecs_image_info *out, ecs_engine *engine, const char *image);

/**
 * ecs_image_inspect_ref - ecs_image_inspect() with @image's parts already
 * parsed (@ref, which picks the repo digest); @ref NULL for none (no repo
 * digest is then reported).
 */
int ecs_image_inspect_ref(ecs_image_info *out, ecs_engine *engine, const char *image, const ecs_image_ref *ref);

/**
 * ecs_image_ref_format - the text of a parsed reference, as the engine
 * reads it: "[registry/]repository[:tag][@digest]", or the digest of an id.
 * @out: malloc'd. Returns 0, ECS_EINVAL (an empty ref) or ECS_ENOMEM.
 */
int ecs_image_ref_format(char **out, const ecs_image_ref *ref);

/**
 * ecs_image_pull - POST /images/create, reading the streamed progress to its
 * end (an error can arrive inside a 200 stream).
 * @image: a reference that ecs_image_ref_parse() accepts.
 * @auth: NULL for an anonymous pull.
 * @timeout_ms: bound on the whole pull; 0 means 300000.
 * @cancel: optional; once triggered, the pull is abandoned within about a
 *    second and the call returns ECS_ECANCELED (the engine may still finish
 *    the download on its own).
 * Returns 0; ECS_EINVAL for a bad reference; ECS_ENOTFOUND when the registry
 * has no such repository or tag, and for an image id (ECS_IMAGE_REF_ID: no
 * repository to pull from, nothing is asked); ECS_EUNAUTHORIZED when it refused the
 * credentials or wanted some; ECS_EENGINE for other failures (unreachable
 * registry...), ECS_ETIMEDOUT, ECS_EUNAVAILABLE, ECS_ECANCELED.
 */
int ecs_image_pull(ecs_engine *engine, const char *image, const ecs_registry_auth *auth, long timeout_ms,
		   ecs_cancel *cancel);

/**
 * ecs_image_pull_ref - ecs_image_pull() of a reference already parsed
 * (@ref; @image is its text, for messages): the task runner parses a
 * task's image once and passes the parts down.
 */
int ecs_image_pull_ref(ecs_engine *engine, const ecs_image_ref *ref, const char *image,
		       const ecs_registry_auth *auth, long timeout_ms, ecs_cancel *cancel);

/**
 * 1 when references @a and @b name the same repository of the same registry
 * (tag and digest aside), Docker Hub spelled either way ("busybox",
 * "library/busybox", "docker.io/library/busybox"); 0 otherwise, also when
 * either does not parse or memory runs out. Pure.
 */
int ecs_image_same_repository(const char *a, const char *b);

#endif
