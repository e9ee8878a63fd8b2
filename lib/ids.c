/*
 * libecs ground floor: identifiers (ids.h).
 */
#include <config.h>

#include <string.h>

#include <openssl/rand.h>

#include <ecs/common.h>
#include "ids.h"

int ecs_id_generate(char *buf, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[(ECS_ID_SIZE - 1) / 2];

	if (buf == NULL || size < ECS_ID_SIZE)
		return ECS_ERROR;
	if (RAND_bytes(raw, (int)sizeof(raw)) != 1)
		return ECS_ERROR;
	for (size_t i = 0; i < sizeof(raw); i++) {
		buf[2 * i] = hex[raw[i] >> 4];
		buf[2 * i + 1] = hex[raw[i] & 0xf];
	}
	buf[2 * sizeof(raw)] = '\0';
	return 0;
}

int ecs_id_chars_ok(const char *s, size_t max)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n == 0 || n > max)
		return 0;
	for (const char *p = s; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '_' || *p == '.' || *p == '-'))
			return 0;
	}
	return 1;
}
