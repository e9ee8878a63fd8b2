/* text.c - caller-supplied bytes in messages: valid UTF-8, cut on boundaries. */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "text.h"

/* The length of the well-formed sequence at @p (@n bytes left), or 0. */
static size_t seq_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (n < len)
		return 0;
	/* The second byte's range excludes overlong forms, surrogates and > U+10FFFF. */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

size_t text_utf8_prefix(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len && (n = seq_len(p + i, len - i)) != 0)
		i += n;
	return i;
}

/* One character of output for the input at @p: its bytes (@from, @w) and the input it takes. */
static size_t next(const unsigned char *p, size_t left, const char **from, size_t *w, char esc[5])
{
	size_t n = seq_len(p, left);

	if (n == 0 || p[0] < 0x20 || p[0] == 0x7f) {
		snprintf(esc, 5, "\\x%02X", p[0]);
		*from = esc;
		*w = 4;
		return 1;
	}
	*from = (const char *)p;
	*w = n;
	return n;
}

const char *text_quote(char *dst, size_t size, const char *src, size_t max)
{
	const unsigned char *p;
	size_t left, used = 0, room, total = 0, n, w;
	const char *from;
	char esc[5];

	if (size == 0)
		return dst;
	room = size - 1 < max ? size - 1 : max;
	for (p = (const unsigned char *)src, left = strlen(src); left > 0; p += n, left -= n) {
		n = next(p, left, &from, &w, esc);
		total += w;
	}
	/* Cut short: keep room for "..." (when there is room for that). */
	if (total > room)
		room = room >= 3 ? room - 3 : 0;
	for (p = (const unsigned char *)src, left = strlen(src); left > 0; p += n, left -= n) {
		n = next(p, left, &from, &w, esc);
		if (used + w > room)
			break;
		memcpy(dst + used, from, w);
		used += w;
	}
	if (total > used && used + 3 <= (size - 1 < max ? size - 1 : max)) {
		memcpy(dst + used, "...", 3);
		used += 3;
	}
	dst[used] = '\0';
	return dst;
}

char *text_cut(char *s)
{
	size_t len = strlen(s), ok = text_utf8_prefix(s, len), need, i;
	unsigned char c = (unsigned char)s[ok];

	/* Only the start of a sequence that the end of the string cut short. */
	need = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
	if (ok == len || need == 0 || len - ok >= need)
		return s;
	for (i = ok + 1; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			return s;
	s[ok] = '\0';
	return s;
}
