/*
 * registries.h - which registries the engine may be sent to, and which of
 * them hold only public images.
 *
 * An image names its registry, so without a list any client could make the
 * engine connect to any address it reaches (127.0.0.1:PORT/x/y:1).
 *   allowed_registries  the registries a task's image may come from; the
 *                       built-in default is docker.io alone. The hosts that
 *                       [client] image patterns name literally are added:
 *                       naming one there is the operator allowing it.
 *   public_registries   images from these run without a credentials check
 *                       (default docker.io); from any other registry, a
 *                       cached image is used only after the caller's
 *                       credentials were checked against the registry
 *                       (private_image.h).
 * Both are lists of "host[:port]" patterns (image_match.h: '*' within one
 * label of the host); docker.io means an image that names no registry.
 */
#ifndef ECSFCGI_REGISTRIES_H
#define ECSFCGI_REGISTRIES_H

#include <stddef.h>

#include "conf.h"
#include "conf_key.h"
#include "image_match.h"

/** registries_defaults - set both lists to docker.io. Returns 0 or -2 (out of memory). */
int registries_defaults(config *c);

/** registries_free - free both lists (config_free() calls it). */
void registries_free(config *c);

/** registries_keys - allowed_registries and public_registries in [ecs]; their target is the config. */
extern const conf_key registries_keys[];

/**
 * registries_finish - after the whole file (and for the built-in
 * defaults): add the hosts [client] patterns name literally to
 * allowed_registries, and parse both lists once for the matches below.
 * Returns 0 or -2.
 */
int registries_finish(config *c);

/** registries_allowed - 1 when @image (parsed) comes from an allowed registry. */
int registries_allowed(const config *c, const image_parts *image);

/** registries_public - 1 when @image (parsed) comes from a public registry. */
int registries_public(const config *c, const image_parts *image);

#endif
