/* callback_sign.c - signing a delivery. See callback_sign.h. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "callback_sign.h"

int callback_sign(char *out, size_t size, const char *secret, long long t, const char *body, size_t len)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0, i;
	char prefix[32];
	int plen = snprintf(prefix, sizeof(prefix), "%lld.", t);
	unsigned char *msg;
	size_t at;

	if (size < CALLBACK_SIGNATURE_MAX || plen <= 0 || (size_t)plen >= sizeof(prefix))
		return -1;
	/* The timestamp is signed with the body: a captured delivery replayed later carries a stale t. */
	msg = malloc((size_t)plen + len + 1);
	if (msg == NULL)
		return -1;
	memcpy(msg, prefix, (size_t)plen);
	memcpy(msg + plen, body, len);
	if (HMAC(EVP_sha256(), secret, (int)strlen(secret), msg, (size_t)plen + len, mac, &maclen) == NULL) {
		free(msg);
		return -1;
	}
	free(msg);
	at = (size_t)snprintf(out, size, "t=%lld,v1=", t);
	for (i = 0; i < maclen && at + 3 <= size; i++)
		at += (size_t)snprintf(out + at, size - at, "%02x", mac[i]);
	return 0;
}

const char *callback_secret_for(const config *cfg, const client_rule *rule)
{
	if (rule != NULL && rule->callback_secret != NULL)
		return rule->callback_secret;
	return cfg->callbacks.secret;
}
