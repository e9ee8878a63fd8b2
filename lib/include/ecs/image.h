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
 * ecs_image_ref_kind - what a reference names, by the engine's own rules.
 * @ECS_IMAGE_REF_NAME: a repository, with a tag and/or a digest.
 * @ECS_IMAGE_REF_ID: a local image id, which names no repository: the
 *   engine resolves "sha256:<hex>" with 1 to 64 hex digits (and likewise
 *   "sha384:" / "sha512:" with up to 96 / 128) and a bare 64-hex string
 *   against every image in its cache, by id prefix (moby's GetImage:
 *   ParseAnyReference, then imageStore.Search). No registry is involved, so
 *   no registry rule can authorize it: a caller that authorizes images
 *   must refuse it or resolve it first.
 */
typedef enum {
	ECS_IMAGE_REF_NAME = 0,
	ECS_IMAGE_REF_ID = 1,
} ecs_image_ref_kind;

/**
 * ecs_image_ref - a parsed image reference
 * "[registry[:port]/]path[:tag][@algorithm:hex]", or an image id.
 * Every member is owned by the struct and freed by ecs_image_ref_clear().
 * @registry: NULL when the reference names none (Docker Hub), and for an id.
 *   Always lower case: an upper-case host is refused (see ecs_image_ref_parse()).
 * @repository: the path, without registry ("library/x" stays as written); NULL for an id.
 * @tag: NULL when absent (always for an id).
 * @digest: NULL when absent; for an id, "algorithm:hex" with the hex as
 *   given (a prefix of the id, or all of it; "sha256:" added to a bare id).
 *   A name has a tag or a digest (or both); an id has only the digest.
 * @kind: ECS_IMAGE_REF_NAME or ECS_IMAGE_REF_ID.
 */
typedef struct {
	char *registry;
	char *repository;
	char *tag;
	char *digest;
	ecs_image_ref_kind kind;
} ecs_image_ref;

/**
 * ecs_image_ref_parse - parse and validate an image reference the way the
 * engine does (distribution/reference's grammar, go-digest's digests), and
 * require a tag or a digest (a bare name is refused: it would silently
 * mean ":latest").
 * @out: filled on success; cleared (all NULL, kind NAME) on failure.
 * @reference: NUL-terminated; at most 255 characters for the name, 128 for the tag and 255 for the digest.
 * An id reference ("sha256:<1 to 64 hex>", "sha384:"/"sha512:" likewise,
 * a bare 64-hex id) succeeds with @out->kind ECS_IMAGE_REF_ID; it is never
 * returned as a name.
 * Refused beyond the engine's grammar, because the engine would read them
 * as something other than what they look like: a registry host with upper
 * case (the engine uses it as written, so "Docker.io" is another registry
 * than "docker.io", and a lower-casing matcher would confuse them); a
 * Docker Hub repository named by 64 hex digits or by a digest algorithm
 * ("sha256:x" with a tag that is not hex), which the engine refuses or
 * mistakes for ids; digest algorithms other than sha256, sha384 and sha512
 * (go-digest's, which the engine refuses as unsupported); a first component
 * that the engine's splitDockerDomain takes for a host (it has '.' or ':')
 * but that is no valid host ("a_b.c/x:1": its Parse then reads the whole
 * name as a path with no host).
 * Returns 0, ECS_EINVAL (empty, upper case in the path or host, bad
 * characters, missing tag, bad digest...) or ECS_ENOMEM.
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
 * or wanted some; ECS_ENOTFOUND when it has no such repository or tag, and
 * for an image id (no registry is asked);
 * ECS_EENGINE for other failures (unreachable registry...), ECS_EPROTO,
 * ECS_ETIMEDOUT, ECS_EUNAVAILABLE, ECS_ENOMEM.
 */
ECS_EXTERN int ecs_image_distribution_inspect(char **digest, ecs_engine *engine, const char *image,
		const ecs_registry_auth *auth);

/**
 * ecs_image_distribution_inspect_ref - ecs_image_distribution_inspect() of
 * an image the caller parsed already, so a reference checked at the edge is
 * not parsed again.
 * @ref: @image as ecs_image_ref_parse() gave it (kind ECS_IMAGE_REF_NAME;
 *   an id answers ECS_ENOTFOUND as above).
 * @image: the same reference as text, for the engine's path and messages.
 * Returns as ecs_image_distribution_inspect(); ECS_EINVAL when @ref or
 * @image is NULL.
 */
ECS_EXTERN int ecs_image_distribution_inspect_ref(char **digest, ecs_engine *engine, const ecs_image_ref *ref,
		const char *image, const ecs_registry_auth *auth);

#ifdef __cplusplus
}
#endif
#endif
