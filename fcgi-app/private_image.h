/*
 * private_image.h - a cached image from a private registry runs only for a
 * caller whose credentials that registry accepts.
 *
 * With pull_policy if-not-present or never, the engine would run a cached
 * image for anyone: a private image pulled once by one client would then
 * run for every client, with wrong credentials or none. So an image from a
 * registry not in public_registries (registries.h) is first checked: the
 * engine asks the registry for its manifest with the caller's credentials
 * (ecs_image_distribution_inspect(); none when the request has no creds, so
 * an anonymously readable repository still works). A success is cached for
 * CRED_CACHE_TTL_S seconds per (client identity, image, credentials). With
 * pull_policy always the pull itself checks the credentials: no extra call.
 */
#ifndef ECSFCGI_PRIVATE_IMAGE_H
#define ECSFCGI_PRIVATE_IMAGE_H

#include <ecs/ecs.h>

#include "conf.h"
#include "cred_cache.h"
#include "image_match.h"

/**
 * private_image_check - may @identity use @image (parsed once at the edge as
 * @ref, and normalised as @parts) with @auth (NULL: the request has no creds)?
 * @cache: may be NULL (no caching).
 * @checked: set to 1 when the registry was asked (for the log), else 0.
 * Returns 0 allowed; else the ecs_error of the check (ECS_EUNAUTHORIZED
 * refused or wanted credentials, ECS_ENOTFOUND, ECS_EENGINE unreachable...),
 * with the detail in ecs_engine_errmsg(@engine).
 */
int private_image_check(int *checked, cred_cache *cache, ecs_engine *engine, const config *cfg,
		const char *identity, const char *image, const ecs_image_ref *ref, const image_parts *parts,
		const ecs_registry_auth *auth);

#endif
