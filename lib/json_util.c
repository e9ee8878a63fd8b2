/*
 * libecs: json-c helpers. Everything here reads bytes the engine sent, so
 * nothing trusts a length, a type or a terminator it has not checked.
 */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ecs/common.h>
#include "json_util.h"

static int is_json_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * Strict UTF-8 (RFC 3629) at s[0..len): the length of the sequence starting
 * there, or 0 when it is overlong, a surrogate, past U+10FFFF or cut short.
 * json-c's own check lets all of these through, and a string that reaches a
 * client in one of our JSON responses must be valid.
 */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* past U+10FFFF */
	} else {
		return 0;
	}
	if (len < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t k = 2; k < n; k++)
		if (s[k] < 0x80 || s[k] > 0xbf)
			return 0;
	return n;
}

/*
 * A lexical pass before json-c, which even with JSON_TOKENER_STRICT takes
 * single-quoted keys, raw control characters in strings, NaN and Infinity.
 * Outside strings only the bytes of JSON's punctuation, numbers and the
 * three literals may appear; inside them no control characters (NUL among
 * them: json-c would take it for the end of input, hiding what follows) and
 * only valid UTF-8. json-c still checks the grammar.
 */
static int lexically_json(const unsigned char *s, size_t len)
{
	int in_string = 0;
	size_t i = 0, n;

	while (i < len) {
		unsigned char c = s[i];

		if (in_string) {
			if (c < 0x20)
				return 0;
			if (c == '"') {
				in_string = 0;
			} else if (c == '\\') {
				/* The escaped byte is checked by json-c; only skip it. */
				if (i + 1 < len && s[i + 1] >= 0x20 && s[i + 1] < 0x80)
					i++;
			} else if (c >= 0x80) {
				if ((n = utf8_seq(s + i, len - i)) == 0)
					return 0;
				i += n;
				continue;
			}
		} else if (c == '"') {
			in_string = 1;
		} else if (strchr(" \t\r\n{}[],:-+.0123456789truefalsnE", c) == NULL || c == '\0') {
			return 0;
		}
		i++;
	}
	return 1;
}

json_object *ecs_json_parse(const char *data, size_t len)
{
	json_tokener *tok;
	json_object *obj = NULL;
	enum json_tokener_error jerr;
	size_t end, i;

	/* json-c takes an int length; the extra 1 is room for the terminator below. */
	if (data == NULL || len == 0 || len >= (size_t)INT_MAX)
		return NULL;
	if (!lexically_json((const unsigned char *)data, len))
		return NULL;

	tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH);
	if (tok == NULL)
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);

	obj = json_tokener_parse_ex(tok, data, (int)len);
	jerr = json_tokener_get_error(tok);
	if (jerr == json_tokener_success) {
		/*
		 * The document ended before @len: whatever follows must be
		 * whitespace (the engine ends bodies with a newline), anything
		 * else is a second document or garbage.
		 */
		end = json_tokener_get_parse_end(tok);
		for (i = end; i < len; i++) {
			if (!is_json_space(data[i])) {
				json_object_put(obj);
				obj = NULL;
				break;
			}
		}
	} else if (jerr == json_tokener_continue) {
		/*
		 * Values without an end of their own (a bare number) and
		 * truncated documents both land here. Feeding a separate
		 * terminator completes the first and fails the second, without
		 * ever reading data[len].
		 */
		obj = json_tokener_parse_ex(tok, "", 1);
		if (json_tokener_get_error(tok) != json_tokener_success) {
			json_object_put(obj);
			obj = NULL;
		}
	} else {
		obj = NULL;
	}
	json_tokener_free(tok);
	return obj;
}

/* The member @key of @obj when it has type @type, else NULL. */
static json_object *member(json_object *obj, const char *key, json_type type)
{
	json_object *val = NULL;

	if (obj == NULL || key == NULL || !json_object_is_type(obj, json_type_object))
		return NULL;
	if (!json_object_object_get_ex(obj, key, &val))
		return NULL;
	if (!json_object_is_type(val, type))
		return NULL;
	return val;
}

const char *ecs_json_get_string(json_object *obj, const char *key)
{
	return json_object_get_string(member(obj, key, json_type_string));
}

int ecs_json_get_int64(json_object *obj, const char *key, long long *out)
{
	json_object *val;
	double d;

	if (out == NULL)
		return -1;
	val = member(obj, key, json_type_int);
	if (val != NULL) {
		*out = (long long)json_object_get_int64(val);
		return 0;
	}
	/*
	 * The engine writes integers, but a JSON number like 1e3 or 5.0 is still
	 * a number; take it only when it is whole and fits, since converting
	 * anything else to an integer is undefined behaviour.
	 */
	val = member(obj, key, json_type_double);
	if (val == NULL)
		return -1;
	d = json_object_get_double(val);
	if (!isfinite(d) || d != floor(d) || d < -9223372036854775808.0 || d >= 9223372036854775808.0)
		return -1;
	*out = (long long)d;
	return 0;
}

int ecs_json_get_bool(json_object *obj, const char *key, int *out)
{
	json_object *val;

	if (out == NULL)
		return -1;
	val = member(obj, key, json_type_boolean);
	if (val == NULL)
		return -1;
	*out = json_object_get_boolean(val) ? 1 : 0;
	return 0;
}

json_object *ecs_json_get_object(json_object *obj, const char *key)
{
	return member(obj, key, json_type_object);
}

char *ecs_json_dup_string(json_object *obj, const char *key)
{
	json_object *val = member(obj, key, json_type_string);
	char *copy;
	size_t n;

	if (val == NULL)
		return NULL;
	/* Copy by length: a JSON string may hold an escaped \u0000. */
	n = (size_t)json_object_get_string_len(val);
	copy = malloc(n + 1);
	if (copy == NULL)
		return NULL;
	memcpy(copy, json_object_get_string(val), n);
	copy[n] = '\0';
	return copy;
}

const char *ecs_json_engine_message(json_object *obj)
{
	const char *msg;

	/* Ordinary error bodies: {"message": "..."}. */
	msg = ecs_json_get_string(obj, "message");
	if (msg != NULL)
		return msg;
	/* Errors inside a 200 progress stream (pull): {"error", "errorDetail": {"message"}}. */
	msg = ecs_json_get_string(ecs_json_get_object(obj, "errorDetail"), "message");
	if (msg != NULL)
		return msg;
	return ecs_json_get_string(obj, "error");
}

/* Exactly @n decimal digits at *p; advances *p. -1 when they are not there. */
static int digits(const char **p, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		char c = (*p)[i];

		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*p += n;
	return v;
}

/*
 * Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil): pure arithmetic, so no time zone and no timegm().
 */
static long long days_from_civil(long long y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

long long ecs_json_parse_time(const char *s)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int year, mon, day, hour, min, sec, off = 0;
	const char *p = s;

	if (p == NULL)
		return -1;
	/* RFC 3339 as Go writes it: YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM). */
	if ((year = digits(&p, 4)) < 0 || *p++ != '-')
		return -1;
	if ((mon = digits(&p, 2)) < 0 || *p++ != '-')
		return -1;
	if ((day = digits(&p, 2)) < 0 || (*p != 'T' && *p != 't'))
		return -1;
	p++;
	if ((hour = digits(&p, 2)) < 0 || *p++ != ':')
		return -1;
	if ((min = digits(&p, 2)) < 0 || *p++ != ':')
		return -1;
	if ((sec = digits(&p, 2)) < 0)
		return -1;
	if (mon < 1 || mon > 12 || day < 1 || hour > 23 || min > 59 || sec > 59)
		return -1;
	if (day > mdays[mon - 1] + (mon == 2 && is_leap(year)))
		return -1;
	if (*p == '.') {
		/* Go writes up to nine digits; seconds are all we keep. */
		int n = 0;

		for (p++; *p >= '0' && *p <= '9'; p++)
			n++;
		if (n == 0 || n > 9)
			return -1;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p++ == '-' ? -1 : 1;
		int oh, om;

		if ((oh = digits(&p, 2)) < 0 || *p++ != ':')
			return -1;
		if ((om = digits(&p, 2)) < 0 || oh > 23 || om > 59)
			return -1;
		off = sign * (oh * 3600 + om * 60);
	} else {
		return -1;
	}
	if (*p != '\0')
		return -1;
	return days_from_civil(year, mon, day) * 86400LL + hour * 3600LL + min * 60LL + sec - off;
}

int ecs_json_put(json_object *obj, const char *key, json_object *value)
{
	if (value == NULL)
		return -1;
	if (json_object_object_add(obj, key, value) != 0) {
		json_object_put(value);
		return -1;
	}
	return 0;
}

json_object *ecs_json_string_array(const char *const *items, size_t len)
{
	json_object *arr = json_object_new_array_ext((int)len);
	size_t i;

	if (arr == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		json_object *s = json_object_new_string(items[i]);

		if (s == NULL || json_object_array_add(arr, s) != 0) {
			json_object_put(s);
			json_object_put(arr);
			return NULL;
		}
	}
	return arr;
}

char *ecs_json_label_filters(const char *const *labels, size_t labels_len)
{
	json_object *filters = json_object_new_object();
	json_object *arr = json_object_new_array();
	json_object *s;
	const char *text;
	char *out = NULL;

	if (filters == NULL || arr == NULL)
		goto out;
	s = json_object_new_string(ECS_LABEL_MANAGED "=true");
	if (s == NULL || json_object_array_add(arr, s) != 0) {
		json_object_put(s);
		goto out;
	}
	for (size_t i = 0; i < labels_len; i++) {
		s = json_object_new_string(labels[i]);
		if (s == NULL || json_object_array_add(arr, s) != 0) {
			json_object_put(s);
			goto out;
		}
	}
	if (json_object_object_add(filters, "label", arr) != 0)
		goto out;
	arr = NULL;  /* filters owns it now */
	text = json_object_to_json_string_ext(filters, JSON_C_TO_STRING_PLAIN);
	if (text != NULL)
		out = strdup(text);
out:
	json_object_put(arr);
	json_object_put(filters);
	return out;
}
