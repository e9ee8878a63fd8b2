/* value.c - value parsers, the ground floor of the configuration. See value.h. */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "value.h"

int value_parse_uint(long long *out, const char *s, long long min, long long max)
{
	char *end;
	long long v;

	if (s == NULL || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int value_parse_size(int64_t *out, const char *s)
{
	static const struct { const char *suffix; int64_t mult; } units[] = {
		{ "", 1 }, { "b", 1 },
		{ "k", 1024 }, { "kb", 1024 }, { "kib", 1024 },
		{ "m", 1024 * 1024 }, { "mb", 1024 * 1024 }, { "mib", 1024 * 1024 },
		{ "g", 1024LL * 1024 * 1024 }, { "gb", 1024LL * 1024 * 1024 }, { "gib", 1024LL * 1024 * 1024 },
	};
	char *end;
	long long v;
	size_t i;

	if (s == NULL || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || v < 0)
		return -1;
	while (*end == ' ')
		end++;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(end, units[i].suffix) == 0) {
			if (v > INT64_MAX / units[i].mult)
				return -1;
			*out = (int64_t)v * units[i].mult;
			return 0;
		}
	}
	return -1;
}

int value_parse_cpus(double *out, const char *s)
{
	char *end;
	double v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !(v >= 0.0) || v > 1024.0)
		return -1;
	*out = v;
	return 0;
}

int value_parse_bool(int *out, const char *s)
{
	static const char *const yes[] = { "yes", "on", "true", "1" }, *const no[] = { "no", "off", "false", "0" };
	size_t i;

	for (i = 0; s != NULL && i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0 || strcasecmp(s, no[i]) == 0) {
			*out = strcasecmp(s, yes[i]) == 0;
			return 0;
		}
	}
	return -1;
}

int value_split_words(char ***out, size_t *len, const char *s)
{
	char *copy = strdup(s), *save = NULL, *w;
	char **v = NULL;
	size_t n = 0;

	*out = NULL;
	*len = 0;
	if (copy == NULL)
		return -2;
	for (w = strtok_r(copy, " \t,", &save); w != NULL; w = strtok_r(NULL, " \t,", &save)) {
		char **nv = realloc(v, (n + 1) * sizeof(*v));

		if (nv == NULL || (nv[n] = strdup(w)) == NULL) {
			if (nv != NULL)
				v = nv;
			value_free_words(v, n);
			free(copy);
			return -2;
		}
		v = nv;
		n++;
	}
	free(copy);
	*out = v;
	*len = n;
	return 0;
}

void value_free_words(char **v, size_t n)
{
	while (v != NULL && n > 0)
		free(v[--n]);
	free(v);
}

int64_t value_nano_cpus(double cpus)
{
	return (int64_t)(cpus * 1e9 + 0.5);
}
