/* query.h - reading one parameter out of a URL query string. */
#ifndef ECSFCGI_QUERY_H
#define ECSFCGI_QUERY_H

/**
 * query_get - find parameter @name in @qs ("a=1&b=two", no leading '?').
 * Names and values are percent-decoded ('+' is a space). The first
 * occurrence wins. "name" without '=' has the value "".
 * @value: receives a copy the caller frees with free(), or NULL when absent.
 * Returns 1 found, 0 absent, -1 malformed (bad %-escape, or a decoded NUL),
 * -2 out of memory.
 */
int query_get(char **value, const char *qs, const char *name);

/**
 * query_decode_path - percent-decode a URL path (a '+' stays a '+') into
 * *@out (free()). Returns 0, -1 malformed (bad %-escape, or a decoded
 * NUL), -2 out of memory.
 */
int query_decode_path(char **out, const char *path);

/**
 * query_parse_bool - exactly "true" or "false" (as the API reference says) to 1/0.
 * Returns 0 and sets *out, or -1 for anything else (also "").
 */
int query_parse_bool(int *out, const char *value);

#endif
