/* ini.c - ecs.conf's syntax, read once with every line number. See ini.h. */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ini.h"

/* iniparser's bound, kept: a longer line was an error before, and stays one. */
#define INI_LINE_MAX 1024

void ini_free(ini_file *f)
{
	size_t i;

	for (i = 0; i < f->len; i++) {
		free(f->v[i].section);
		free(f->v[i].key);
		free(f->v[i].value);
	}
	free(f->v);
	memset(f, 0, sizeof(*f));
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/*
 * The value after '=' (@v, trimmed), as iniparser read it: quoted, what
 * lies between the quotes, spaces kept; else up to a ';' or '#', trimmed;
 * "" and '' are empty.
 */
static char *value_of(char *v)
{
	char *end;

	if ((*v == '"' || *v == '\'') && v[1] != *v && v[1] != '\0') {
		end = strchr(v + 1, *v);
		if (end != NULL)
			*end = '\0';
		return v + 1;
	}
	v[strcspn(v, ";#")] = '\0';
	v = trim(v);
	if (strcmp(v, "\"\"") == 0 || strcmp(v, "''") == 0)
		*v = '\0';
	return v;
}

static int add(ini_file *f, int line, const char *section, const char *key, const char *value)
{
	ini_entry *e;

	if (f->len == f->cap) {
		size_t ncap = f->cap ? f->cap * 2 : 32;
		ini_entry *nv = realloc(f->v, ncap * sizeof(*nv));

		if (nv == NULL)
			return -2;
		f->v = nv;
		f->cap = ncap;
	}
	e = &f->v[f->len];
	memset(e, 0, sizeof(*e));
	e->line = line;
	e->section = strdup(section);
	e->key = key ? strdup(key) : NULL;
	e->value = value ? strdup(value) : NULL;
	if (e->section == NULL || (key && e->key == NULL) || (value && e->value == NULL)) {
		free(e->section);
		free(e->key);
		free(e->value);
		return -2;
	}
	f->len++;
	return 0;
}

/* The earlier entry a new one repeats (same section in any case; same key in it), or NULL. */
static const ini_entry *repeated(const ini_file *f, const char *section, const char *key)
{
	size_t i;

	for (i = 0; i < f->len; i++) {
		const ini_entry *e = &f->v[i];

		if (strcasecmp(e->section, section) == 0 &&
		    ((key == NULL && e->key == NULL) || (key != NULL && e->key != NULL && strcmp(e->key, key) == 0)))
			return e;
	}
	return NULL;
}

static int syntax(char *err, size_t errlen, const char *path, int line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* "PATH:LINE: what" into @err; always -1. */
static int syntax(char *err, size_t errlen, const char *path, int line, const char *fmt, ...)
{
	char what[INI_LINE_MAX + 128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s:%d: %s", path, line, what);
	return -1;
}

#define SYNTAX(...) return syntax(err, errlen, path, first, __VA_ARGS__)

/* One logical line (continuations joined) at @first, inside *@section. */
static int read_line(ini_file *out, char *l, int first, char *section, size_t section_size, const char *path,
		char *err, size_t errlen)
{
	const ini_entry *dup;
	char *eq, *k, *p;

	l = trim(l);
	if (*l == '\0' || *l == ';' || *l == '#')
		return 0;
	if (strlen(l) > INI_LINE_MAX)
		SYNTAX("line too long (at most %d characters)", INI_LINE_MAX);
	if (*l == '[') {
		char *close = strchr(l, ']');

		if (close == NULL || close[1] != '\0')
			SYNTAX("syntax error: a section header is '[name]'");
		*close = '\0';
		snprintf(section, section_size, "%s", trim(l + 1));
		if (section[0] == '\0')
			SYNTAX("syntax error: empty section name");
		if ((dup = repeated(out, section, NULL)) != NULL)
			SYNTAX("section [%s] repeated (first at line %d)", section, dup->line);
		return add(out, first, section, NULL, NULL);
	}
	eq = strchr(l, '=');
	if (eq == NULL)
		SYNTAX("syntax error: expected 'key = value' or '[section]'");
	*eq = '\0';
	k = trim(l);
	if (*k == '\0')
		SYNTAX("syntax error: missing key before '='");
	if (section[0] == '\0')
		SYNTAX("key '%s' outside any section (start with [ecs])", k);
	for (p = k; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if ((dup = repeated(out, section, k)) != NULL)
		SYNTAX("key '%s' repeated in [%s] (first at line %d)", k, section, dup->line);
	return add(out, first, section, k, value_of(trim(eq + 1)));
}

int ini_read(ini_file *out, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char buf[INI_LINE_MAX + 76], *line = NULL, section[INI_LINE_MAX + 1] = "";
	int lineno = 0, first = 0, rc = 0;
	size_t used = 0;

	memset(out, 0, sizeof(*out));
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && fgets(buf, sizeof(buf), f) != NULL) {
		size_t n = strlen(buf);
		char *nl;

		lineno++;
		if (used == 0)
			first = lineno;
		if (n == sizeof(buf) - 1 && buf[n - 1] != '\n') {
			snprintf(err, errlen, "%s:%d: line too long", path, lineno);
			rc = -1;
			break;
		}
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
			buf[--n] = '\0';
		nl = realloc(line, used + n + 1);
		if (nl == NULL) {
			rc = -2;
			break;
		}
		line = nl;
		memcpy(line + used, buf, n + 1);
		used += n;
		if (used > 0 && line[used - 1] == '\\') {
			line[--used] = '\0';
			continue;
		}
		used = 0;
		rc = read_line(out, line, first, section, sizeof(section), path, err, errlen);
	}
	if (rc == 0 && ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		rc = -1;
	}
	free(line);
	fclose(f);
	return rc;
}

int ini_line(const ini_file *f, const char *section, const char *key)
{
	const ini_entry *e = repeated(f, section, key);

	return e != NULL ? e->line : 0;
}
