/*
 * image_match.h - the image patterns of [client] sections and the registry
 * lists of [ecs], matched against parsed image references.
 *
 * Parse, then match: a reference is split into registry host, port, path
 * segments, tag and digest (lib's ecs_image_ref_parse() judges it), a
 * pattern into the same parts, and each part is compared with its own glob.
 * `*` and `?` (fnmatch) never cross a part: not '/', ':' or '@', and in the
 * registry host not '.' either. Both sides are normalised the way the
 * engine names images: no registry is docker.io (index.docker.io is
 * docker.io too; registry-1.docker.io is not, to the engine), and a one-segment Docker Hub name
 * is library/NAME, so busybox:1, library/busybox:1 and
 * docker.io/library/busybox:1 are one image.
 *
 * Pattern syntax, as ecs.conf(5) documents it:
 *   [host[:port]/]seg[/seg...][:tag][@algorithm:hex]
 * The first segment is a host only when more follow and it holds '.' or
 * ':' or is "localhost" (the engine's rule). Without :tag and @digest a
 * pattern admits every tag and every digest of the repositories it names;
 * with :tag it admits those tags and no digest; with @digest, those digests
 * (and, when it also has :tag, only with a matching tag).
 */
#ifndef ECSFCGI_IMAGE_MATCH_H
#define ECSFCGI_IMAGE_MATCH_H

#include <stddef.h>

#include <ecs/ecs.h>

/** The parts of a reference or a pattern; every string owned by the struct. */
typedef struct {
	char *host;       /* lower case; "docker.io" when the reference names no registry */
	char *port;       /* NULL when none */
	char **path;      /* the path segments, "library" first for one-segment Docker Hub names */
	size_t path_len;
	char *tag;        /* NULL when none */
	char *digest;     /* "algorithm:hex", NULL when none */
} image_parts;

/**
 * image_parts_from_image_ref - normalise @ref (parsed by
 * ecs_image_ref_parse()) into its parts: nothing is parsed again.
 * @out: filled on success, all NULL on failure; free with image_parts_clear().
 * Returns 0, -1 for an image id (ECS_IMAGE_REF_ID: no registry, nothing to
 * match), -2 out of memory.
 */
int image_parts_from_image_ref(image_parts *out, const ecs_image_ref *ref);

/**
 * image_parts_from_ref - parse @reference as the engine would (via
 * ecs_image_ref_parse()) and normalise it (for tests and the fuzzer: the
 * responder parses a request's reference once, in task_body.c).
 * @out: filled on success, all NULL on failure; free with image_parts_clear().
 * Returns 0, -1 when it is not a valid reference with a tag or digest or
 * when it is an image id (ECS_IMAGE_REF_ID: no registry, nothing to match),
 * -2 out of memory.
 */
int image_parts_from_ref(image_parts *out, const char *reference);

/**
 * image_pattern_parse - parse and validate an image pattern (see above).
 * @why, @whylen: on -1, what is wrong with it.
 * Returns 0, -1 for a bad pattern, -2 out of memory.
 */
int image_pattern_parse(image_parts *out, const char *pattern, char *why, size_t whylen);

/**
 * image_registry_parse - parse a registry pattern "host[:port]" (a value of
 * allowed_registries or public_registries): only host and port are set.
 * Returns 0, -1 (reason in @why), -2 out of memory.
 */
int image_registry_parse(image_parts *out, const char *registry, char *why, size_t whylen);

/** image_parts_clear - free the members and set them to NULL. NULL is allowed. */
void image_parts_clear(image_parts *p);

/** image_parts_free_array - image_parts_clear() each of the @n parts of @v, then free @v. NULL is allowed. */
void image_parts_free_array(image_parts *v, size_t n);

/** image_pattern_match - 1 when the parsed @pattern admits the parsed @image, else 0. */
int image_pattern_match(const image_parts *pattern, const image_parts *image);

/** image_registry_match - 1 when @image's host and port match @registry's (an image_registry_parse() result). */
int image_registry_match(const image_parts *registry, const image_parts *image);

/**
 * image_match - parse both and match: 1 admitted; 0 not admitted, or either
 * side unparsable; -2 out of memory.
 */
int image_match(const char *pattern, const char *image);

/** image_parts_literal_host - 1 when @p's host and port hold no wildcard. */
int image_parts_literal_host(const image_parts *p);

/**
 * image_parts_registry - "host" or "host:port" of @p into @out (truncated
 * to @outlen), for messages and for the registry lists.
 */
void image_parts_registry(char *out, size_t outlen, const image_parts *p);

#endif
