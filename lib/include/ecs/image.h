/*
 * libecs: image references, registry credentials, image inspect and pull.
 */
#ifndef ECS_IMAGE_H
#define ECS_IMAGE_H

#include <ecs/engine.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * ecs_image_ref - a parsed image reference
 * "[registry[:port]/]path[:tag][@algorithm:hex]".
 * Every member is owned by the struct and freed by ecs_image_ref_clear().
 * @registry: NULL when the reference names none (Docker Hub).
 * @repository: the path, without registry ("library/x" stays as written).
 * @tag, @digest: NULL when absent; at least one is set after a successful parse.
 */
typedef struct {
	char *registry;
	char *repository;
	char *tag;
	char *digest;
} ecs_image_ref;

/**
 * ecs_image_ref_parse - parse and validate an image reference the way the
 * engine does, and require a tag or a digest (a bare name is refused: it
 * would silently mean ":latest").
 * @out: filled on success; cleared (all NULL) on failure.
 * @reference: NUL-terminated; at most 255 characters for the name, 128 for the tag and 255 for the digest.
 * Returns 0, ECS_EINVAL (empty, upper case in the path, bad characters,
 * missing tag, bad digest...) or ECS_ENOMEM.
 */
ECS_EXTERN int ecs_image_ref_parse(ecs_image_ref *out, const char *reference);

/** ecs_image_ref_clear - free the members and set them to NULL. NULL is allowed. */
ECS_EXTERN void ecs_image_ref_clear(ecs_image_ref *ref);

/**
 * ecs_registry_auth - credentials for a private registry. The strings belong
 * to the caller. @server_address may be NULL: the registry part of the image
 * reference is used.
 */
typedef struct {
	const char *username;
	const char *password;
	const char *email;
	const char *server_address;
} ecs_registry_auth;

/**
 * ecs_registry_auth_encode - the X-Registry-Auth header value: base64url of
 * the JSON {"username","password","email","serveraddress"} (built with json-c).
 * @out: receives a NUL-terminated string the caller frees with free().
 * Returns 0, ECS_EINVAL (NULL auth or username/password) or ECS_ENOMEM.
 */
ECS_EXTERN int ecs_registry_auth_encode(char **out, const ecs_registry_auth *auth);

/** What image inspect reports. Strings owned by the struct; see ecs_image_info_clear(). */
typedef struct {
	char *id;           /* "sha256:..." content-addressed image id */
	char *repo_digest;  /* "name@sha256:..." of the inspected reference's repository; NULL when
			     * the image has none (built or imported locally, pulled under another name) */
	char *working_dir;  /* Config.WorkingDir; "" when the image sets none */
} ecs_image_info;

/** ecs_image_info_clear - free the members. NULL is allowed. */
ECS_EXTERN void ecs_image_info_clear(ecs_image_info *info);

/**
 * ecs_image_inspect - GET /images/{name}/json.
 * @out: filled on success (may be NULL to only test existence).
 * Returns 0, ECS_ENOTFOUND when the engine has no such image, or a transport error.
 */
ECS_EXTERN int ecs_image_inspect(ecs_image_info *out, ecs_engine *engine, const char *image);

/**
 * ecs_image_pull - POST /images/create, reading the streamed progress to its
 * end (an error can arrive inside a 200 stream).
 * @image: a reference that ecs_image_ref_parse() accepts.
 * @auth: NULL for an anonymous pull.
 * @timeout_ms: bound on the whole pull; 0 means 300000.
 * Returns 0; ECS_EINVAL for a bad reference; ECS_ENOTFOUND when the registry
 * has no such repository or tag; ECS_EUNAUTHORIZED when it refused the
 * credentials or wanted some; ECS_EENGINE for other failures (unreachable
 * registry...), ECS_ETIMEDOUT, ECS_EUNAVAILABLE.
 */
ECS_EXTERN int ecs_image_pull(ecs_engine *engine, const char *image, const ecs_registry_auth *auth, long timeout_ms);

/**
 * ecs_image_distribution_inspect - GET /distribution/{name}/json: the
 * engine asks the registry for @image's manifest with @auth, and nothing is
 * downloaded. It tells whether these credentials may pull the image without
 * pulling it: a cached image from a private registry can be checked against
 * the caller's credentials before it is used (one round trip to the
 * registry, about as cheap as a HEAD of the manifest).
 * @digest: NULL, or receives the manifest digest the registry answered
 *   ("sha256:..."), which the caller frees with free(); NULL on failure.
 * @image: a reference that ecs_image_ref_parse() accepts.
 * @auth: NULL to ask anonymously.
 * The handle is not shared between threads while this runs (as for every call).
 * Returns 0; ECS_EINVAL for a bad reference or credentials without username
 * or password; ECS_EUNAUTHORIZED when the registry refused the credentials
 * or wanted some; ECS_ENOTFOUND when it has no such repository or tag;
 * ECS_EENGINE for other failures (unreachable registry...), ECS_EPROTO,
 * ECS_ETIMEDOUT, ECS_EUNAVAILABLE, ECS_ENOMEM.
 */
ECS_EXTERN int ecs_image_distribution_inspect(char **digest, ecs_engine *engine, const char *image,
		const ecs_registry_auth *auth);

/**
 * ecs_image_pull_cancellable - ecs_image_pull() that another thread may stop.
 * @cancel: optional (NULL is ecs_image_pull()); once triggered, the pull is
 *    abandoned within about a second and the call returns ECS_ECANCELED (the
 *    engine may still finish the download on its own).
 * Otherwise the same parameters and return values as ecs_image_pull().
 */
ECS_EXTERN int ecs_image_pull_cancellable(ecs_engine *engine, const char *image, const ecs_registry_auth *auth,
					  long timeout_ms, ecs_cancel *cancel);

#ifdef __cplusplus
}
#endif
#endif
