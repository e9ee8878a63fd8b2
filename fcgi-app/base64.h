/* base64.h - standard base64 (RFC 4648, padded) through OpenSSL's EVP coder. */
#ifndef ECSFCGI_BASE64_H
#define ECSFCGI_BASE64_H

#include <stddef.h>

/**
 * base64_encode - encode @len bytes of @data.
 * @out: receives a NUL-terminated string the caller frees with free().
 * Returns 0 or -1 (out of memory, or a length too big for EVP).
 */
int base64_encode(char **out, const unsigned char *data, size_t len);

/**
 * base64_decode - decode strictly: only the standard alphabet, length a
 * multiple of 4, '=' only as final padding. Whitespace is refused: a JSON
 * string has no reason to carry line breaks.
 * @out, @out_len: receive the bytes (NUL-terminated for convenience, not
 *   counted); the caller frees *out with free().
 * Returns 0, -1 for invalid input, -2 out of memory.
 */
int base64_decode(unsigned char **out, size_t *out_len, const char *in, size_t in_len);

#endif
