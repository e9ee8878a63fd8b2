/* conf_key.c - the key tables' lookup and shared readers. See conf_key.h. */
#include <config.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "conf_key.h"
#include "value.h"

const conf_key *conf_key_find(const conf_key *keys, const char *name)
{
	for (; keys->name != NULL; keys++)
		if (strcmp(keys->name, name) == 0)
			return keys;
	return NULL;
}

int conf_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return -1;
}

/* @v (within the member's range: the bounds say so) into the member @k describes. */
static void store(void *target, const conf_key *k, long long v)
{
	char *member = (char *)target + k->offset;

	if (k->size == sizeof(int32_t)) {
		int32_t n = (int32_t)v;

		memcpy(member, &n, sizeof(n));
	} else {
		int64_t n = (int64_t)v;

		memcpy(member, &n, sizeof(n));
	}
}

int conf_uint(void *target, const conf_key *k, const char *value, char *why, size_t whylen)
{
	long long n;

	if (value_parse_uint(&n, value, k->min, k->max) != 0)
		return conf_why(why, whylen, "%s", k->expect);
	store(target, k, n);
	return 0;
}

int conf_size(void *target, const conf_key *k, const char *value, char *why, size_t whylen)
{
	int64_t n;

	if (value_parse_size(&n, value) != 0 || n < k->min || n > k->max)
		return conf_why(why, whylen, "%s", k->expect);
	store(target, k, n);
	return 0;
}

int conf_bool(void *target, const conf_key *k, const char *value, char *why, size_t whylen)
{
	int b;

	if (value_parse_bool(&b, value) != 0)
		return conf_why(why, whylen, "%s", k->expect);
	store(target, k, b);
	return 0;
}

int conf_word(void *target, const conf_key *k, const char *value, char *why, size_t whylen)
{
	long long i;

	for (i = 0; k->words[i] != NULL; i++) {
		if (strcmp(value, k->words[i]) == 0) {
			store(target, k, i);
			return 0;
		}
	}
	return conf_why(why, whylen, "%s", k->expect);
}
