/* callback_check.c - may a task call back this URL? (callback.h) */
#include <config.h>

#include <stdio.h>

#include "callback.h"
#include "callback_sign.h"
#include "callback_url.h"

int callback_check(const config *cfg, const client_rule *rule, const char *url, char *why, size_t whylen)
{
	char addr[CALLBACK_ADDR_MAX];
	callback_url u;
	int rc = callback_url_judge(&u, &cfg->callbacks, url, why, whylen);

	if (rc != 0)
		return rc;
	/* An unsigned delivery is one the receiver cannot tell from a forgery: refuse it at the door. */
	if (callback_secret_for(cfg, rule) == NULL) {
		snprintf(why, whylen, "callback url host %s port %d: no callback_secret is configured for this client", u.host,
			 u.port);
		return -1;
	}
	/* Resolved now so a refusal is a 400 at submission; again at each delivery (callback_send.c). */
	return callback_url_resolve(&u, addr, sizeof(addr), why, whylen);
}
