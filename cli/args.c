/* args.c - what ecs-run reads from its caller: option values, stdin, the credentials file (see args.h). */
#include <config.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "fail.h"

/* "64m" -> 67108864. Refuses negatives, junk and overflow. */
int args_parse_size(const char *s, int64_t *out)
{
	char *end;
	unsigned long long v, mult = 1;

	if (s[0] == '-' || s[0] == '\0')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s)
		return -1;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': mult = 1024ULL; end++; break;
	case 'm': case 'M': mult = 1024ULL * 1024; end++; break;
	case 'g': case 'G': mult = 1024ULL * 1024 * 1024; end++; break;
	default: return -1;
	}
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end != '\0' || v > (unsigned long long)INT64_MAX / mult)
		return -1;
	*out = (int64_t)(v * mult);
	return 0;
}

/* A profile limit: a positive number (a size when @size), or "unlimited". */
int args_parse_limit(const char *s, int64_t *out, int size)
{
	int64_t v;

	if (strcmp(s, "unlimited") == 0) {
		*out = ECS_SANDBOX_UNLIMITED;
		return 0;
	}
	if (args_parse_size(s, &v) != 0 || v == 0 || (!size && strpbrk(s, "kKmMgG") != NULL))
		return -1;
	*out = v;
	return 0;
}

int args_parse_double(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return (errno != 0 || end == s || *end != '\0' || !(*out > 0)) ? -1 : 0;
}

/* Everything from @f, up to STDIN_MAX bytes. */
int args_read_all(FILE *f, unsigned char **data, size_t *len)
{
	size_t cap = 65536, n = 0;
	unsigned char *buf = malloc(cap);

	if (buf == NULL)
		return -1;
	for (;;) {
		size_t got;

		if (n == cap) {
			unsigned char *nb;

			if (cap >= STDIN_MAX) {
				free(buf);
				errno = EFBIG;
				return -1;
			}
			nb = realloc(buf, cap * 2);
			if (nb == NULL) {
				free(buf);
				return -1;
			}
			buf = nb;
			cap *= 2;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f)) {
				free(buf);
				return -1;
			}
			break;
		}
	}
	*data = buf;
	*len = n;
	return 0;
}

static const char *creds_member(json_object *root, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(root, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

int args_creds_load(args_creds *c, const char *path)
{
	memset(c, 0, sizeof(*c));
	c->root = json_object_from_file(path);
	if (c->root == NULL) {
		const char *why = json_util_get_last_err();
		size_t n = why ? strcspn(why, "\n") : 0;

		return cli_fail("creds", "%s: cannot read it as JSON (%.*s)", path, (int)n, why ? why : "");
	}
	if (!json_object_is_type(c->root, json_type_object))
		return cli_fail("creds", "%s: not a JSON object", path);
	c->auth.username = creds_member(c->root, "username");
	c->auth.password = creds_member(c->root, "password");
	c->auth.email = creds_member(c->root, "email");
	c->auth.server_address = creds_member(c->root, "serveraddress");
	if (c->auth.username == NULL || c->auth.password == NULL)
		return cli_fail("creds", "%s: needs string members \"username\" and \"password\"", path);
	return 0;
}

/* --file LOCAL:PATH: PATH is absolute, so the split is at the first ":/". */
int args_parse_file(const char *arg, remote_file *f)
{
	const char *sep = strstr(arg, ":/");

	if (sep == NULL || sep == arg)
		return -1;
	f->path = sep + 1;
	f->local = strndup(arg, (size_t)(sep - arg));
	return f->local != NULL ? 0 : -1;
}

