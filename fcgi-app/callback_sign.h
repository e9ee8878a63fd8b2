/*
 * callback_sign.h - what a receiver checks a delivery by: the secret of
 * the task's client, and the ECS-Signature header (callback.h) made with it.
 */
#ifndef ECSFCGI_CALLBACK_SIGN_H
#define ECSFCGI_CALLBACK_SIGN_H

#include <stddef.h>

#include "conf.h"

/* "t=" + at most 20 digits + ",v1=" + 64 hex digits + NUL. */
#define CALLBACK_SIGNATURE_MAX 96

/**
 * callback_sign - the value of ECS-Signature for @body (@len bytes) sent
 * at @t (Unix seconds): "t=T,v1=HEX(HMAC-SHA256(@secret, "T." + body))",
 * into @out (at least CALLBACK_SIGNATURE_MAX bytes).
 * Returns 0, or -1 (out of memory or OpenSSL failed).
 */
int callback_sign(char *out, size_t size, const char *secret, long long t, const char *body, size_t len);

/**
 * callback_secret_for - the secret that signs the callbacks of @rule's
 * client: its own callback_secret, else the [ecs] one (@rule NULL: the
 * [ecs] one). NULL: none configured (callbacks are refused).
 */
const char *callback_secret_for(const config *cfg, const client_rule *rule);

#endif
