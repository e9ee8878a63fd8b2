/*
 * json_strict.h - what json-c's tokener lets through even in strict mode,
 * checked on the text it accepted: bytes that are not UTF-8 (its own check
 * takes overlong forms and encoded surrogates), \u escapes of unpaired
 * surrogates (it makes them U+FFFD: the caller would get other text than it
 * sent), duplicate keys (the last one silently wins) and keys with a
 * \u0000 escape (json-c keeps keys as C strings, so "cmd\u0000x" would be
 * read as "cmd"; refused as the unknown property it is).
 */
#ifndef ECSFCGI_JSON_STRICT_H
#define ECSFCGI_JSON_STRICT_H

#include <stddef.h>

struct json_object;

/**
 * json_strict_check - @root is what json-c parsed from [@text, @text+@len).
 * Returns 0 when the text is UTF-8, every \u escape of a surrogate is half
 * of a pair, no key has a \u0000 escape and no object has a key twice; else -1 with @why (@whylen
 * bytes, terminated) saying which, and where for bad bytes. Any bytes are
 * safe to pass; the answer means something only for text json-c accepted.
 * Thread-safe.
 */
int json_strict_check(const char *text, size_t len, struct json_object *root, char *why, size_t whylen);

#endif
