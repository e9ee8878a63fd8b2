/* base64.c - base64 through OpenSSL EVP; we only add the strictness. */
#include <config.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "base64.h"

int base64_encode(char **out, const unsigned char *data, size_t len)
{
	size_t n;
	char *buf;

	*out = NULL;
	/* EVP_EncodeBlock takes an int length. */
	if (len > (size_t)INT_MAX / 4 * 3 - 3)
		return -1;
	n = 4 * ((len + 2) / 3);
	buf = malloc(n + 1);
	if (buf == NULL)
		return -1;
	if (EVP_EncodeBlock((unsigned char *)buf, data ? data : (const unsigned char *)"", (int)len) != (int)n) {
		free(buf);
		return -1;
	}
	buf[n] = '\0';
	*out = buf;
	return 0;
}

static int is_b64(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

int base64_decode(unsigned char **out, size_t *out_len, const char *in, size_t in_len)
{
	size_t i, pad = 0, n;
	unsigned char *buf;
	int got;

	*out = NULL;
	*out_len = 0;
	if (in_len % 4 != 0 || in_len > (size_t)INT_MAX)
		return -1;
	if (in_len > 0 && in[in_len - 1] == '=')
		pad++;
	if (in_len > 1 && in[in_len - 2] == '=')
		pad++;
	for (i = 0; i < in_len - pad; i++)
		if (!is_b64((unsigned char)in[i]))
			return -1;
	n = in_len / 4 * 3;
	buf = malloc(n + 1);
	if (buf == NULL)
		return -2;
	if (in_len == 0) {
		buf[0] = '\0';
		*out = buf;
		return 0;
	}
	/* EVP_DecodeBlock counts the padding as zero bytes: take them off. */
	got = EVP_DecodeBlock(buf, (const unsigned char *)in, (int)in_len);
	if (got < 0 || (size_t)got != n) {
		free(buf);
		return -1;
	}
	n -= pad;
	buf[n] = '\0';
	*out = buf;
	*out_len = n;
	return 0;
}
