/* json_strict.c - UTF-8, surrogate escapes and duplicate keys in a parsed JSON text. */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "json_strict.h"
#include "text.h"

static long hex4(const char *s, size_t n)
{
	long v = 0;
	size_t i;

	if (n < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* A key's text, as the client wrote it between its quotes. */
typedef struct {
	size_t start, len;
} span;

/* After the string that ends just before @i, is the next token ':'? Then it was a key. */
static int is_key(const char *t, size_t len, size_t i)
{
	while (i < len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r'))
		i++;
	return i < len && t[i] == ':';
}

/*
 * One pass over the text: in valid JSON every ':' outside a string ends a
 * key, so their count is the number of members written. Returns -1 at an
 * escape of an unpaired surrogate, -2 (and the key in @nul_key) at a key
 * with a \u0000 escape: json-c keeps keys as C strings, so "cmd\u0000x"
 * would reach the validation as "cmd".
 */
static int scan(const char *t, size_t len, size_t *members, span *nul_key)
{
	size_t i, n = 0, start = 0;
	int in_str = 0, has_nul = 0;

	for (i = 0; i < len; i++) {
		long u;

		if (!in_str) {
			if (t[i] == '"') {
				in_str = 1;
				has_nul = 0;
				start = i + 1;
			} else if (t[i] == ':') {
				n++;
			}
			continue;
		}
		if (t[i] == '"') {
			in_str = 0;
			if (has_nul && is_key(t, len, i + 1)) {
				nul_key->start = start;
				nul_key->len = i - start;
				return -2;
			}
			continue;
		}
		if (t[i] != '\\' || i + 1 >= len)
			continue;
		if (t[++i] != 'u' || (u = hex4(t + i + 1, len - i - 1)) < 0)
			continue;
		i += 4;
		if (u == 0)
			has_nul = 1;
		if (u >= 0xdc00 && u <= 0xdfff)
			return -1;
		if (u >= 0xd800 && u <= 0xdbff) {
			if (i + 2 >= len || t[i + 1] != '\\' || t[i + 2] != 'u')
				return -1;
			u = hex4(t + i + 3, len - i - 3);
			if (u < 0xdc00 || u > 0xdfff)
				return -1;
			i += 6;
		}
	}
	*members = n;
	return 0;
}

/* The members json-c kept; depth is bounded by its tokener's (32). */
static size_t kept(struct json_object *o)
{
	size_t n = 0, i, len;

	if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, key, val) {
			(void)key;
			n += 1 + kept(val);
		}
	} else if (json_object_is_type(o, json_type_array)) {
		len = json_object_array_length(o);
		for (i = 0; i < len; i++)
			n += kept(json_object_array_get_idx(o, i));
	}
	return n;
}

int json_strict_check(const char *text, size_t len, struct json_object *root, char *why, size_t whylen)
{
	size_t ok = text_utf8_prefix(text, len), written = 0;
	span key = { 0, 0 };
	int rc;

	if (ok < len) {
		snprintf(why, whylen, "the body is not UTF-8 (byte %zu)", ok);
		return -1;
	}
	rc = scan(text, len, &written, &key);
	if (rc == -2) {
		/* Named as written (escapes and all): no known property has a NUL. */
		char raw[72], q[80];
		size_t n = key.len < sizeof(raw) - 1 ? key.len : sizeof(raw) - 1;

		memcpy(raw, text + key.start, n);
		raw[n] = '\0';
		snprintf(why, whylen, "unknown property '%s'%s", text_quote(q, sizeof(q), text_cut(raw), 64),
				n < key.len ? " (cut)" : "");
		return -1;
	}
	if (rc != 0) {
		snprintf(why, whylen, "a \\u escape is half of a surrogate pair");
		return -1;
	}
	/* A duplicate replaces the first value, which takes its own members along. */
	if (kept(root) < written) {
		snprintf(why, whylen, "an object has the same key twice");
		return -1;
	}
	return 0;
}
