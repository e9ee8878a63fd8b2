/*
 * text.h - caller-supplied bytes in messages. Everything ecs-fcgi echoes
 * (a query value, a path, a key, an image name) goes through text_quote()
 * first, so an error document is valid UTF-8 whatever the caller sent and
 * however short the room for it.
 */
#ifndef ECSFCGI_TEXT_H
#define ECSFCGI_TEXT_H

#include <stddef.h>

/**
 * text_utf8_prefix - the length of the longest prefix of [@s, @s+@len) that
 * is well-formed UTF-8 (RFC 3629: shortest forms only, no surrogates,
 * nothing above U+10FFFF). Equal to @len exactly when all of it is.
 */
size_t text_utf8_prefix(const char *s, size_t len);

/**
 * text_quote - @src (NUL-terminated, any bytes) made fit for a message, into
 * @dst of @size bytes (always terminated when @size > 0). Well-formed UTF-8
 * is copied; every other byte and every control character becomes the four
 * characters \xHH. Output stops between two characters so that it takes at
 * most @max bytes (and fits @dst), ending in "..." when something was left
 * out. Returns @dst, for use as a printf argument. Thread-safe.
 */
const char *text_quote(char *dst, size_t size, const char *src, size_t max);

/**
 * text_cut - drop an incomplete UTF-8 sequence at the end of @s (as
 * snprintf() leaves when it cuts a message short). Returns @s.
 */
char *text_cut(char *s);

#endif
