/*
 * cred_cache.h - which (client, image, credentials) the registry accepted a
 * moment ago, so a cached private image is not re-checked on every task.
 *
 * Keys are HMAC-SHA256 digests under a random per-process key of the
 * client identity, the image and the credentials: no password is kept, and
 * a digest seen in a core file cannot be tested against guesses elsewhere.
 * Entries live CRED_CACHE_TTL_S seconds; at most CRED_CACHE_SIZE are kept
 * (the one closest to expiry is replaced). Only successes are cached: a
 * refusal is asked again, so new credentials work at once. All functions
 * are thread-safe on one cache.
 */
#ifndef ECSFCGI_CRED_CACHE_H
#define ECSFCGI_CRED_CACHE_H

#include <stddef.h>

#include <ecs/ecs.h>

#define CRED_CACHE_TTL_S 60
#define CRED_CACHE_SIZE 1024
#define CRED_CACHE_KEY_LEN 32

typedef struct cred_cache cred_cache;

/** cred_cache_new - an empty cache of @size entries living @ttl_s seconds; NULL when out of memory. */
cred_cache *cred_cache_new(size_t size, double ttl_s);

/** cred_cache_free - NULL is allowed. */
void cred_cache_free(cred_cache *c);

/**
 * cred_cache_key - the key for @identity, @image and @auth (NULL: no
 * credentials) into @out. Returns 0, or -1 when hashing failed.
 */
int cred_cache_key(unsigned char out[CRED_CACHE_KEY_LEN], const cred_cache *c, const char *identity,
		const char *image, const ecs_registry_auth *auth);

/** cred_cache_hit - 1 when @key was put less than the TTL before @now (seconds, monotonic). */
int cred_cache_hit(cred_cache *c, const unsigned char key[CRED_CACHE_KEY_LEN], double now);

/** cred_cache_put - remember @key as accepted at @now. */
void cred_cache_put(cred_cache *c, const unsigned char key[CRED_CACHE_KEY_LEN], double now);

#endif
