/* auth.c - who is calling, and what they may run. See auth.h for the params. */
#include <config.h>

#include <string.h>

#include "auth.h"
#include "image_match.h"
#include "request.h"

void auth_check(auth_result *out, const config *cfg, char *const *envp)
{
	const char *verify = request_param(envp, "SSL_CLIENT_VERIFY");
	const char *user = request_param(envp, "REMOTE_USER");
	int cert_ok = verify != NULL && strcmp(verify, "SUCCESS") == 0;
	int user_ok = user != NULL && *user != '\0';
	int need_cert = cfg->auth == AUTH_MODE_CLIENT_CERT || cfg->auth == AUTH_MODE_CLIENT_CERT_BASIC;
	int need_user = cfg->auth == AUTH_MODE_BASIC || cfg->auth == AUTH_MODE_CLIENT_CERT_BASIC;

	memset(out, 0, sizeof(*out));
	/* An unverified certificate's subject proves nothing: never use it. */
	out->subject = cert_ok ? request_param(envp, "SSL_CLIENT_S_DN") : NULL;
	out->fingerprint = cert_ok ? request_param(envp, "SSL_CLIENT_FINGERPRINT") : NULL;
	/* nginx fills $remote_user from any Authorization: Basic header, even
	 * with auth_basic off: without BASIC in the mode the name is forged. */
	out->user = need_user && user_ok ? user : NULL;
	if (need_cert && !cert_ok) {
		out->status = 401;
		out->code = "UNAUTHENTICATED";
		out->message = "a verified client certificate is required";
		out->basic_challenge = need_user;
		return;
	}
	if (need_user && !user_ok) {
		out->status = 401;
		out->code = "UNAUTHENTICATED";
		out->message = "BASIC authentication is required";
		out->basic_challenge = 1;
		return;
	}
}

const char *auth_identity(const auth_result *a)
{
	if (a->subject != NULL && *a->subject != '\0')
		return a->subject;
	if (a->user != NULL)
		return a->user;
	return "-";
}

int auth_authorize_image(const client_rule **rule, const config *cfg, const auth_result *a, const image_parts *image)
{
	const client_rule *r;
	size_t i;

	*rule = NULL;
	if (cfg->clients_len == 0)
		return 1;
	r = config_find_client(cfg, a->subject, a->user);
	if (r == NULL)
		return 0;
	*rule = r;
	for (i = 0; i < r->images_len; i++)
		if (image_pattern_match(&r->patterns[i], image))
			return 1;
	return 0;
}
