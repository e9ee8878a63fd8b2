/* private_image.c - check the caller's credentials before a cached private image runs. See private_image.h. */
#include <config.h>

#include <string.h>
#include <time.h>

#include "clock.h"
#include "private_image.h"
#include "registries.h"

int private_image_check(int *checked, cred_cache *cache, ecs_engine *engine, const config *cfg,
		const char *identity, const char *image, const ecs_image_ref *ref, const image_parts *parts,
		const ecs_registry_auth *auth)
{
	unsigned char key[CRED_CACHE_KEY_LEN];
	int keyed, rc;

	*checked = 0;
	if (cfg->pull_policy == ECS_PULL_ALWAYS || registries_public(cfg, parts))
		return ECS_OK;
	keyed = cache != NULL && cred_cache_key(key, cache, identity, image, auth) == 0;
	if (keyed && cred_cache_hit(cache, key, ecs_clock_s()))
		return ECS_OK;
	*checked = 1;
	rc = ecs_image_distribution_inspect_ref(NULL, engine, ref, image, auth);
	if (rc == ECS_OK && keyed)
		cred_cache_put(cache, key, ecs_clock_s());
	explicit_bzero(key, sizeof(key));
	return rc;
}
