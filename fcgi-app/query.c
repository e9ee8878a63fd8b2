/* query.c - query-string parsing. Only what the API needs: one named value. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "query.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode [s, s+len) into a fresh string ('+' a space with @plus). Returns -1 malformed, -2 ENOMEM. */
static int decode_as(char **out, const char *s, size_t len, int plus)
{
	char *d = malloc(len + 1);
	size_t i, j = 0;

	*out = NULL;
	if (d == NULL)
		return -2;
	for (i = 0; i < len; i++) {
		if (s[i] == '%') {
			int hi, lo;

			if (i + 2 >= len) {
				free(d);
				return -1;
			}
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				free(d);
				return -1;
			}
			d[j++] = (char)(hi * 16 + lo);
			i += 2;
		} else if (plus && s[i] == '+') {
			d[j++] = ' ';
		} else {
			d[j++] = s[i];
		}
	}
	d[j] = '\0';
	*out = d;
	return 0;
}

static int decode(char **out, const char *s, size_t len)
{
	return decode_as(out, s, len, 1);
}

int query_decode_path(char **out, const char *path)
{
	return decode_as(out, path, strlen(path), 0);
}

int query_get(char **value, const char *qs, const char *name)
{
	const char *p = qs;

	*value = NULL;
	if (qs == NULL)
		return 0;
	while (*p != '\0') {
		size_t plen = strcspn(p, "&;");
		const char *eq = memchr(p, '=', plen);
		size_t klen = eq ? (size_t)(eq - p) : plen;
		char *key;
		int rc;

		if (plen > 0) {
			rc = decode(&key, p, klen);
			if (rc != 0)
				return rc;
			if (strcmp(key, name) == 0) {
				free(key);
				if (eq == NULL)
					return decode(value, "", 0) == 0 ? 1 : -2;
				rc = decode(value, eq + 1, plen - klen - 1);
				return rc == 0 ? 1 : rc;
			}
			free(key);
		}
		p += plen;
		if (*p != '\0')
			p++;
	}
	return 0;
}

int query_parse_bool(int *out, const char *value)
{
	if (value == NULL)
		return -1;
	if (strcmp(value, "true") == 0) {
		*out = 1;
		return 0;
	}
	if (strcmp(value, "false") == 0) {
		*out = 0;
		return 0;
	}
	return -1;
}
