/* cred_cache.c - recently accepted (client, image, credentials). See cred_cache.h. */
#include <config.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "cred_cache.h"

typedef struct {
	unsigned char key[CRED_CACHE_KEY_LEN];
	double expires;   /* 0: empty */
} entry;

struct cred_cache {
	pthread_mutex_t lock;
	unsigned char secret[32];
	double ttl;
	size_t size;
	entry *v;
};

cred_cache *cred_cache_new(size_t size, double ttl_s)
{
	cred_cache *c;

	if (size == 0)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->v = calloc(size, sizeof(*c->v));
	if (c->v == NULL || RAND_bytes(c->secret, (int)sizeof(c->secret)) != 1 ||
	    pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c->v);
		free(c);
		return NULL;
	}
	c->size = size;
	c->ttl = ttl_s;
	return c;
}

void cred_cache_free(cred_cache *c)
{
	if (c == NULL)
		return;
	pthread_mutex_destroy(&c->lock);
	OPENSSL_cleanse(c->secret, sizeof(c->secret));
	free(c->v);
	free(c);
}

/* Length-prefixed, so no two field lists hash alike. */
static int feed(EVP_MAC_CTX *m, const char *s)
{
	unsigned char len[4];
	size_t n = s != NULL ? strlen(s) : 0;

	len[0] = (unsigned char)(n >> 24);
	len[1] = (unsigned char)(n >> 16);
	len[2] = (unsigned char)(n >> 8);
	len[3] = (unsigned char)n;
	return EVP_MAC_update(m, len, sizeof(len)) == 1 &&
		(n == 0 || EVP_MAC_update(m, (const unsigned char *)s, n) == 1);
}

int cred_cache_key(unsigned char out[CRED_CACHE_KEY_LEN], const cred_cache *c, const char *identity,
		const char *image, const ecs_registry_auth *auth)
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *m = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[2];
	size_t len = 0;
	int ok;

	params[0] = OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	ok = m != NULL && EVP_MAC_init(m, c->secret, sizeof(c->secret), params) == 1 &&
		feed(m, identity) && feed(m, image) && feed(m, auth != NULL ? "creds" : "none");
	if (ok && auth != NULL)
		ok = feed(m, auth->username) && feed(m, auth->password) && feed(m, auth->server_address);
	ok = ok && EVP_MAC_final(m, out, &len, CRED_CACHE_KEY_LEN) == 1 && len == CRED_CACHE_KEY_LEN;
	EVP_MAC_CTX_free(m);
	EVP_MAC_free(mac);
	return ok ? 0 : -1;
}

int cred_cache_hit(cred_cache *c, const unsigned char key[CRED_CACHE_KEY_LEN], double now)
{
	size_t i;
	int hit = 0;

	pthread_mutex_lock(&c->lock);
	for (i = 0; i < c->size && !hit; i++)
		hit = c->v[i].expires > now && memcmp(c->v[i].key, key, CRED_CACHE_KEY_LEN) == 0;
	pthread_mutex_unlock(&c->lock);
	return hit;
}

void cred_cache_put(cred_cache *c, const unsigned char key[CRED_CACHE_KEY_LEN], double now)
{
	size_t i, pick = 0;

	pthread_mutex_lock(&c->lock);
	for (i = 0; i < c->size; i++) {
		if (c->v[i].expires > 0 && memcmp(c->v[i].key, key, CRED_CACHE_KEY_LEN) == 0) {
			pick = i;
			break;
		}
		/* An empty or expired slot, else the one closest to expiry. */
		if (c->v[i].expires < c->v[pick].expires)
			pick = i;
	}
	memcpy(c->v[pick].key, key, CRED_CACHE_KEY_LEN);
	c->v[pick].expires = now + c->ttl;
	pthread_mutex_unlock(&c->lock);
}
