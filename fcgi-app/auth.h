/*
 * auth.h - authentication (again: nginx already checked) and authorization
 * by client identity.
 *
 * The FastCGI params nginx passes, and nothing else, decide:
 *   SSL_CLIENT_VERIFY       "SUCCESS" when nginx verified a client certificate
 *   SSL_CLIENT_S_DN         the certificate subject, RFC 2253 ("CN=alice,O=Example")
 *   SSL_CLIENT_FINGERPRINT  SHA-1 fingerprint, logged only
 *   REMOTE_USER             the BASIC user nginx authenticated; read only when the
 *                           auth mode includes basic (nginx fills $remote_user
 *                           from any Authorization header, auth_basic on or off)
 * A missing or wrong param is a refusal: a misconfigured front door must not
 * open the service.
 */
#ifndef ECSFCGI_AUTH_H
#define ECSFCGI_AUTH_H

#include "conf.h"

typedef struct {
	int status;               /* 0 when authenticated, else 401 */
	const char *code;         /* "UNAUTHENTICATED" */
	const char *message;      /* static */
	int basic_challenge;      /* answer with WWW-Authenticate: Basic realm="ecs" */
	const char *subject;      /* SSL_CLIENT_S_DN when verified (points into envp) */
	const char *user;         /* REMOTE_USER in basic modes, else NULL (points into envp) */
	const char *fingerprint;  /* SSL_CLIENT_FINGERPRINT */
} auth_result;

/** auth_check - authenticate a request from its params. Always fills @out. */
void auth_check(auth_result *out, const config *cfg, char *const *envp);

/** auth_identity - who the client is, for logs: subject, else user, else "-". */
const char *auth_identity(const auth_result *a);

/**
 * auth_authorize_image - may this client run @image (the request's
 * reference, parsed once: image_parts_from_image_ref())?
 * With no [client] sections every authenticated client may run anything.
 * With some, a client needs a section (matched by subject, then by user)
 * whose images patterns (parsed at load) match @image, part by part
 * (image_match.h).
 * @rule: receives the client's section, or NULL.
 * Returns 1 allowed, 0 refused (403).
 */
int auth_authorize_image(const client_rule **rule, const config *cfg, const auth_result *a, const image_parts *image);

#endif
