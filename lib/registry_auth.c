/*
 * libecs: the X-Registry-Auth header value.
 *
 * Encoding: URL-safe base64 ('-' and '_') *with* '=' padding. Engine 20.10
 * decodes the header with Go's base64.URLEncoding, which is the padded
 * alphabet; later engines accept both, so padding is the choice that works
 * everywhere.
 *
 * The JSON holds the password in clear, so it is built with json-c (which
 * does the escaping) and wiped with OPENSSL_cleanse() before json-c frees
 * it. The wipe is best effort: json-c's print buffer grows by realloc() and
 * we cannot reach the copies it leaves behind.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <ecs/image.h>
#include "image_private.h"

/* Add @key: @value to @obj unless @value is NULL. 0 or ECS_ENOMEM. */
static int add_string(json_object *obj, const char *key, const char *value)
{
	json_object *s;

	if (value == NULL)
		return ECS_OK;
	s = json_object_new_string(value);
	if (s == NULL)
		return ECS_ENOMEM;
	if (json_object_object_add(obj, key, s) != 0) {
		json_object_put(s);
		return ECS_ENOMEM;
	}
	return ECS_OK;
}

/* Wipe the string members' own copies of the credentials. */
static void wipe_members(json_object *obj)
{
	json_object_object_foreach(obj, key, val) {
		(void)key;
		if (json_object_is_type(val, json_type_string))
			OPENSSL_cleanse((char *)json_object_get_string(val), (size_t)json_object_get_string_len(val));
	}
}

int ecs_registry_auth_encode(char **out, const ecs_registry_auth *auth)
{
	json_object *obj = NULL;
	const char *json = NULL;
	size_t json_len = 0, enc_len;
	unsigned char *enc = NULL;
	int rc;

	if (out == NULL)
		return ECS_EINVAL;
	*out = NULL;
	if (auth == NULL || auth->username == NULL || auth->password == NULL)
		return ECS_EINVAL;

	obj = json_object_new_object();
	if (obj == NULL)
		return ECS_ENOMEM;
	if ((rc = add_string(obj, "username", auth->username)) != ECS_OK ||
	    (rc = add_string(obj, "password", auth->password)) != ECS_OK ||
	    (rc = add_string(obj, "email", auth->email)) != ECS_OK ||
	    (rc = add_string(obj, "serveraddress", auth->server_address)) != ECS_OK)
		goto out;

	json = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &json_len);
	if (json == NULL) {
		rc = ECS_ENOMEM;
		goto out;
	}
	/* EVP_EncodeBlock() takes an int length and writes 4 per 3 bytes plus a NUL. */
	if (json_len > (size_t)INT_MAX / 4 * 3 - 3) {
		rc = ECS_ENOMEM;
		goto out;
	}
	enc_len = 4 * ((json_len + 2) / 3);
	enc = malloc(enc_len + 1);
	if (enc == NULL) {
		rc = ECS_ENOMEM;
		goto out;
	}
	if ((size_t)EVP_EncodeBlock(enc, (const unsigned char *)json, (int)json_len) != enc_len) {
		rc = ECS_ERROR;
		goto out;
	}
	for (size_t i = 0; i < enc_len; i++) {
		if (enc[i] == '+')
			enc[i] = '-';
		else if (enc[i] == '/')
			enc[i] = '_';
	}
	enc[enc_len] = '\0';
	*out = (char *)enc;
	enc = NULL;
	rc = ECS_OK;
out:
	free(enc);
	/*
	 * The print buffer belongs to @obj but is ordinary heap json-c wrote
	 * into; casting away const to wipe it is the only way to reach it.
	 */
	if (json != NULL)
		OPENSSL_cleanse((char *)json, json_len);
	if (obj != NULL) {
		wipe_members(obj);
		json_object_put(obj);
	}
	return rc;
}
