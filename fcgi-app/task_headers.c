/* task_headers.c - Prefer: respond-async, Idempotency-Key, the fingerprint. See task_headers.h. */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "task_headers.h"

static int ows(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * RFC 7240: Prefer = 1#preference; preference = token [ BWS "=" BWS word ]
 * *( OWS ";" [ OWS parameter ] ). Only the token's name matters here.
 */
int task_headers_respond_async(const char *prefer)
{
	static const char want[] = "respond-async";
	const char *p = prefer;

	if (p == NULL)
		return 0;
	while (*p != '\0') {
		const char *start, *end;

		while (ows(*p) || *p == ',')
			p++;
		start = p;
		while (*p != '\0' && *p != ',' && *p != ';' && *p != '=' && !ows(*p))
			p++;
		end = p;
		if ((size_t)(end - start) == sizeof(want) - 1 && strncasecmp(start, want, sizeof(want) - 1) == 0)
			return 1;
		/* the rest of this preference: its value and parameters, quoted strings included */
		while (*p != '\0' && *p != ',') {
			if (*p == '"') {
				for (p++; *p != '\0' && *p != '"'; p++)
					if (*p == '\\' && p[1] != '\0')
						p++;
				if (*p == '\0')
					return 0;
			}
			p++;
		}
	}
	return 0;
}

int task_headers_idem_key(const char *value)
{
	size_t n, i;

	if (value == NULL)
		return 0;
	n = strlen(value);
	if (n < 1 || n > TASK_IDEM_KEY_MAX || value[0] == ' ' || value[n - 1] == ' ')
		return -1;
	for (i = 0; i < n; i++)
		if ((unsigned char)value[i] < 0x20 || (unsigned char)value[i] > 0x7e)
			return -1;
	return 1;
}

int task_headers_fingerprint(char out[TASK_FINGERPRINT_SIZE], const char *method, const char *path,
			     const char *body, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok;

	if (c == NULL)
		return -1;
	ok = EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
	     EVP_DigestUpdate(c, method, strlen(method)) == 1 && EVP_DigestUpdate(c, " ", 1) == 1 &&
	     EVP_DigestUpdate(c, path, strlen(path)) == 1 && EVP_DigestUpdate(c, "\n", 1) == 1 &&
	     (len == 0 || EVP_DigestUpdate(c, body, len) == 1) && EVP_DigestFinal_ex(c, md, &mdlen) == 1 &&
	     mdlen == 32;
	EVP_MD_CTX_free(c);
	if (!ok)
		return -1;
	for (i = 0; i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}
