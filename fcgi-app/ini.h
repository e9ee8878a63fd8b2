/*
 * ini.h - the one reader of ecs.conf's syntax: comments (';' or '#' at the
 * start of a line), [section] headers, "key = value" lines, a trailing '\'
 * continuing a line. Values read as iniparser read them, which ecs.conf
 * files were written for: text up to an inline ';' or '#' comment, trimmed;
 * or, quoted ("..." or '...'), everything between the quotes as written.
 * Keys are lower-cased; section names are kept as written (a certificate
 * subject is case-sensitive). Every entry carries its line, and a section
 * repeated (in any case) or a key repeated within one section is an error
 * naming both lines: nothing is merged silently. Knows no key's meaning.
 */
#ifndef ECSFCGI_INI_H
#define ECSFCGI_INI_H

#include <stddef.h>

/** One line of the file: a section header (@key NULL) or a key = value. */
typedef struct {
	int line;          /* where it starts (a continued line: its first) */
	char *section;     /* the section it is in, as written, trimmed */
	char *key;         /* lower case; NULL for a section header */
	char *value;       /* NULL for a section header */
} ini_entry;

typedef struct {
	ini_entry *v;
	size_t len;
	size_t cap;
} ini_file;

/**
 * ini_read - read @path into @out (free with ini_free(), whatever the result).
 * @err, @errlen: on failure, "PATH:LINE: what is wrong" (or "PATH: why"
 *   when it cannot be read).
 * Returns 0, -1 (bad or unreadable file), -2 out of memory.
 */
int ini_read(ini_file *out, const char *path, char *err, size_t errlen);

/** ini_line - the line of @key in section @section (as written, any case), or 0 when absent. */
int ini_line(const ini_file *f, const char *section, const char *key);

/** ini_free - free what @f holds. */
void ini_free(ini_file *f);

#endif
